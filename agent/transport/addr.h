/*
 * addr.h — parse a peer address "host:port" or "[ipv6]:port".
 */
#ifndef PGQ_TRANSPORT_ADDR_H
#define PGQ_TRANSPORT_ADDR_H

#include <stddef.h>

/*
 * Splits s into host (NUL-terminated, brackets removed) and port (1..65535;
 * 0 is accepted only when allow_zero_port, for "listen on any port").
 * Returns 0, or -1 with err filled.
 */
int pgq_addr_split(const char *s, char *host, size_t hostcap, int *port,
		   int allow_zero_port, char *err, size_t errlen);

#endif /* PGQ_TRANSPORT_ADDR_H */
