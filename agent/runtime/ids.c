/*
 * ids.c — name -> Raft id (see ids.h).
 */
#include "runtime/ids.h"

raft_id_t pgq_member_id(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	/* Keep ids in the positive int64 range (JSON readers) and never RAFT_NONE. */
	h &= 0x7fffffffffffffffull;
	return h != RAFT_NONE ? h : 1;
}
