#!/bin/sh
# tests/sim/ci-campaign.sh — the simulator campaign `make check` runs:
# RAFTSIM_SEEDS seeds per cluster size (3 and 5 nodes), RAFTSIM_STEPS steps
# each. raftsim prints the TAP itself (one line per cluster size).
# make check exports top_builddir (the binaries live there in a VPATH build).
dir=${top_builddir:+$top_builddir/tests/sim}
dir=${dir:-$(dirname "$0")}
seeds=${RAFTSIM_SEEDS:-1000}
steps=${RAFTSIM_STEPS:-10000}
exec "$dir/raftsim" --seeds "$seeds" --steps "$steps"
