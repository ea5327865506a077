/*
 * addr.c — "host:port" parsing for peer and listen addresses (addr.h).
 */
#include "transport/addr.h"

#include <stdio.h>
#include <string.h>

int pgq_addr_split(const char *s, char *host, size_t hostcap, int *port,
		   int allow_zero_port, char *err, size_t errlen)
{
	const char *host_start = s, *host_end, *colon;

	if (!s || !*s) {
		snprintf(err, errlen, "empty address");
		return -1;
	}
	if (s[0] == '[') {
		host_start = s + 1;
		host_end = strchr(host_start, ']');
		if (!host_end || host_end[1] != ':') {
			snprintf(err, errlen, "invalid address \"%s\": expected [ipv6]:port", s);
			return -1;
		}
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s))) {
			snprintf(err, errlen, "invalid address \"%s\": expected host:port", s);
			return -1;
		}
		host_end = colon;
	}
	size_t hlen = (size_t)(host_end - host_start);
	if (hlen == 0 || hlen >= hostcap) {
		snprintf(err, errlen, "invalid address \"%s\": bad host length", s);
		return -1;
	}
	const char *p = colon + 1;
	long v = 0;
	if (!*p) {
		snprintf(err, errlen, "invalid address \"%s\": missing port", s);
		return -1;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535) {
			snprintf(err, errlen, "invalid address \"%s\": bad port", s);
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (v > 65535 || (v == 0 && !allow_zero_port)) {
		snprintf(err, errlen, "invalid address \"%s\": port out of range", s);
		return -1;
	}
	memcpy(host, host_start, hlen);
	host[hlen] = '\0';
	*port = (int)v;
	return 0;
}
