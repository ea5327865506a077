/*
 * fuzz_target.h — what every fuzz target in tests/fuzz/ provides, and the
 * one helper they share.
 *
 * A target is a single LLVMFuzzerTestOneInput(). clang links it with
 * libFuzzer (run-fuzz.sh); gcc links the same source with replay_main.c so
 * `make check` replays the committed corpus through it.
 */
#ifndef PGQ_FUZZ_TARGET_H
#define PGQ_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "raft/raft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The codec's smallest message: header 16 + fixed fields 64 + CRC 4 (docs/codec.md). */
#define FUZZ_MIN_MSG_LEN 84

/* A failed property: name it, then abort so libFuzzer (or the replay
 * driver's sanitizer run) reports the input. */
#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                      \
		}                                                                     \
	} while (0)

/*
 * Rewrites total_len (bytes 8..11) and the trailing CRC32C of an encoded
 * message in place (docs/codec.md). A random mutation almost never keeps the
 * checksum right; resealing lets the fuzzer reach the structural and semantic
 * checks behind it. len must be at least 12.
 */
static inline void fuzz_reseal(uint8_t *buf, size_t len)
{
	uint32_t crc;

	for (int i = 0; i < 4; i++)
		buf[8 + i] = (uint8_t)((uint32_t)len >> (8 * i));
	crc = pgq_crc32c(0, buf, len - 4);
	for (int i = 0; i < 4; i++)
		buf[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

#endif /* PGQ_FUZZ_TARGET_H */
