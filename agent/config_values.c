/*
 * config_values.c — scalar value parsers of the configuration.
 *
 * All parsers are strict: no leading '+', no hexadecimal, no fractions, no
 * trailing garbage. A strict parser turns a typo into an error at load time
 * instead of a surprise at failover time.
 */
#include "config_values.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

int pgq_parse_int64(const char *s, int64_t *out)
{
	const char *p = s;
	bool negative = false;
	uint64_t v = 0;

	if (*p == '-') {
		negative = true;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_C(9223372036854775808) - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*p != '\0')
		return -1;
	if (!negative && v > INT64_MAX)
		return -1;
	*out = negative ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int pgq_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Leading unsigned decimal; returns the end, or NULL on no digits/overflow. */
static const char *parse_u64_prefix(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return s;
}

struct unit {
	const char *name;
	uint64_t factor;
};

static int parse_with_units(const char *s, uint64_t default_factor, const struct unit *units, size_t n_units,
			    uint64_t *out)
{
	uint64_t v;
	const char *p = parse_u64_prefix(s, &v);
	uint64_t factor = default_factor;

	if (p == NULL)
		return -1;
	if (*p == ' ') {
		/* "10 s" is fine, "10 " is not: a space must lead to a unit. */
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return -1;
	}
	if (*p != '\0') {
		size_t i;

		for (i = 0; i < n_units; i++)
			if (strcmp(p, units[i].name) == 0)
				break;
		if (i == n_units)
			return -1;
		factor = units[i].factor;
	}
	if (factor != 0 && v > UINT64_MAX / factor)
		return -1;
	*out = v * factor;
	return 0;
}

int pgq_parse_duration_ms(const char *s, uint64_t default_unit_ms, uint64_t *out, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000},
	};

	if (parse_with_units(s, default_unit_ms, units, sizeof(units) / sizeof(units[0]), out) == 0)
		return 0;
	snprintf(err, errlen, "expected a duration (an integer in %s, or with a unit: ms, s, min, h, d), got '%s'",
		 default_unit_ms == 1 ? "milliseconds" : "seconds", s);
	return -1;
}

int pgq_parse_size_bytes(const char *s, uint64_t *out, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{"B", 1}, {"kB", UINT64_C(1) << 10}, {"MB", UINT64_C(1) << 20},
		{"GB", UINT64_C(1) << 30}, {"TB", UINT64_C(1) << 40},
	};

	if (parse_with_units(s, 1, units, sizeof(units) / sizeof(units[0]), out) == 0)
		return 0;
	snprintf(err, errlen, "expected a size (an integer in bytes, or with a unit: B, kB, MB, GB, TB), got '%s'", s);
	return -1;
}

static bool only_digits_and_dots(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and '-'. */
static bool valid_hostname(const char *s)
{
	size_t total = strlen(s), label = 0;

	if (total == 0 || total > 253)
		return false;
	for (size_t i = 0; i <= total; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (label == 0 && c == '-')
			return false;
		label++;
	}
	return true;
}

static int parse_port(const char *s, uint16_t *port)
{
	int64_t v;

	if (pgq_parse_int64(s, &v) != 0 || v < 1 || v > 65535 || s[0] == '-')
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int pgq_parse_hostport(const char *s, struct pgq_hostport *out, char *err, size_t errlen)
{
	const char *colon, *port_text;
	char *host = NULL;
	int family;
	unsigned char buf[16];

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL) {
			snprintf(err, errlen, "'%s' is not host:port: missing ']' after the IPv6 address", s);
			return -1;
		}
		if (close[1] != ':') {
			snprintf(err, errlen, "'%s' is not host:port: expected ':PORT' after ']'", s);
			return -1;
		}
		host = strndup(s + 1, (size_t)(close - s - 1));
		port_text = close + 2;
		if (host == NULL)
			goto oom;
		if (inet_pton(AF_INET6, host, buf) != 1) {
			snprintf(err, errlen, "'%s' is not host:port: invalid IPv6 address '%s'", s, host);
			goto fail;
		}
		family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			snprintf(err, errlen, "'%s' is not host:port: missing ':PORT'", s);
			return -1;
		}
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			snprintf(err, errlen, "'%s' is not host:port: an IPv6 address must be in brackets, e.g. [::1]:7000", s);
			return -1;
		}
		host = strndup(s, (size_t)(colon - s));
		port_text = colon + 1;
		if (host == NULL)
			goto oom;
		if (host[0] == '\0') {
			snprintf(err, errlen, "'%s' is not host:port: missing host", s);
			goto fail;
		}
		if (only_digits_and_dots(host)) {
			if (inet_pton(AF_INET, host, buf) != 1) {
				snprintf(err, errlen, "'%s' is not host:port: invalid IPv4 address '%s'", s, host);
				goto fail;
			}
			family = AF_INET;
		} else {
			if (!valid_hostname(host)) {
				snprintf(err, errlen, "'%s' is not host:port: invalid host name '%s'", s, host);
				goto fail;
			}
			family = AF_UNSPEC;
		}
	}
	if (parse_port(port_text, &out->port) != 0) {
		snprintf(err, errlen, "'%s' is not host:port: invalid port '%s' (allowed: 1 to 65535)", s, port_text);
		goto fail;
	}
	out->text = strdup(s);
	if (out->text == NULL)
		goto oom;
	out->host = host;
	out->family = family;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(host);
	memset(out, 0, sizeof(*out));
	return -1;
}

void pgq_hostport_clear(struct pgq_hostport *hp)
{
	free(hp->text);
	free(hp->host);
	memset(hp, 0, sizeof(*hp));
}

int pgq_hostport_copy(struct pgq_hostport *dst, const struct pgq_hostport *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->text == NULL)
		return 0;
	dst->text = strdup(src->text);
	dst->host = strdup(src->host);
	if (dst->text == NULL || dst->host == NULL) {
		pgq_hostport_clear(dst);
		return -1;
	}
	dst->port = src->port;
	dst->family = src->family;
	return 0;
}

bool pgq_hostport_is_wildcard(const struct pgq_hostport *hp)
{
	unsigned char buf[16];
	static const unsigned char zero[16];

	if (hp->host == NULL || hp->family == AF_UNSPEC)
		return false;
	if (inet_pton(hp->family, hp->host, buf) != 1)
		return false;
	return memcmp(buf, zero, hp->family == AF_INET ? 4 : 16) == 0;
}

bool pgq_hostport_equal(const struct pgq_hostport *a, const struct pgq_hostport *b)
{
	unsigned char ba[16], bb[16];

	if (a->host == NULL || b->host == NULL || a->port != b->port || a->family != b->family)
		return false;
	if (a->family == AF_UNSPEC)
		return strcasecmp(a->host, b->host) == 0;
	if (inet_pton(a->family, a->host, ba) != 1 || inet_pton(b->family, b->host, bb) != 1)
		return false;
	return memcmp(ba, bb, a->family == AF_INET ? 4 : 16) == 0;
}

int pgq_parse_cidr(const char *s, struct pgq_cidr *out, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	char addr[64];
	size_t addr_len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned max_prefix;
	int64_t prefix;

	memset(out, 0, sizeof(*out));
	if (addr_len == 0 || addr_len >= sizeof(addr)) {
		snprintf(err, errlen, "'%s' is not an address or a CIDR network (e.g. 10.0.0.0/8, fd00::/8)", s);
		return -1;
	}
	memcpy(addr, s, addr_len);
	addr[addr_len] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max_prefix = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max_prefix = 128;
	} else {
		snprintf(err, errlen, "'%s' is not an address or a CIDR network (e.g. 10.0.0.0/8, fd00::/8)", s);
		return -1;
	}
	if (slash == NULL) {
		prefix = max_prefix;
	} else if (pgq_parse_int64(slash + 1, &prefix) != 0 || slash[1] == '-' || prefix > max_prefix) {
		snprintf(err, errlen, "'%s': invalid prefix length '%s' (allowed: 0 to %u)", s, slash + 1, max_prefix);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	/* Host bits set (10.0.0.1/8) is almost always a typo for the network. */
	for (unsigned bit = (unsigned)prefix; bit < max_prefix; bit++) {
		if (out->addr[bit / 8] & (0x80u >> (bit % 8))) {
			char net[INET6_ADDRSTRLEN];
			uint8_t masked[16];

			memcpy(masked, out->addr, sizeof(masked));
			for (unsigned b = (unsigned)prefix; b < max_prefix; b++)
				masked[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			inet_ntop(out->family, masked, net, sizeof(net));
			snprintf(err, errlen, "'%s' has host bits set; did you mean '%s/%u'?", s, net, (unsigned)prefix);
			memset(out, 0, sizeof(*out));
			return -1;
		}
	}
	out->prefix_len = (unsigned)prefix;
	out->text = strdup(s);
	if (out->text == NULL) {
		snprintf(err, errlen, "out of memory");
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

void pgq_cidr_clear(struct pgq_cidr *c)
{
	free(c->text);
	memset(c, 0, sizeof(*c));
}

size_t pgq_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	/* Keys are short; past 64 characters no hint is useful anyway. */
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void pgq_format_duration(uint64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%llumin", (unsigned long long)(ms / 60000));
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}
