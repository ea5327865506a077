#!/bin/bash
# contrib/demo.sh — README's first command. Installs the build dependencies,
# builds pgquorum and shows what the current build can do.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq build-essential autoconf automake \
	pkg-config libpq-dev libyaml-dev libcurl4-openssl-dev libcmocka-dev libuv1-dev \
	libmicrohttpd-dev libjansson-dev libsystemd-dev postgresql-15 >/dev/null
autoreconf -fi >/dev/null 2>&1
mkdir -p build && cd build
"$SRC/configure" --quiet
make -j"$(nproc)" >/dev/null
./pgquorum --version
./pgquorumctl --version
./pgquorum --validate-config "$SRC/contrib/pgquorum.yml.example" && echo "contrib/pgquorum.yml.example: valid"
