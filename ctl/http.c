/*
 * http.c — pgquorumctl's only network code: one libcurl easy request per
 * call, agents tried in the order given until one answers. Redirects are
 * followed (an agent that is not the Raft leader answers 307 to the
 * leader's URL, keeping method and body).
 */
#include "ctl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_MAX_REPLY_BYTES (4u << 20)

struct buf {
	char *data;
	size_t len;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n > CTL_MAX_REPLY_BYTES) {
		b->too_big = 1;
		return 0;
	}
	grown = realloc(b->data, b->len + n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

int ctl_add_url(struct ctl_ctx *c, const char *url)
{
	size_t n;
	char *copy;

	if (c->n_urls == CTL_MAX_URLS)
		return -1;
	if (strstr(url, "://") == NULL) {
		copy = malloc(strlen(url) + 8);
		if (copy != NULL)
			sprintf(copy, "http://%s", url); /* banned-ok: sized above */
	} else {
		copy = strdup(url);
	}
	if (copy == NULL)
		return -1;
	n = strlen(copy);
	while (n > 0 && copy[n - 1] == '/')
		copy[--n] = '\0';
	c->urls[c->n_urls++] = copy;
	return 0;
}

void ctl_free(struct ctl_ctx *c)
{
	for (size_t i = 0; i < c->n_urls; i++)
		free(c->urls[i]);
	c->n_urls = 0;
	free(c->userpwd);
	c->userpwd = NULL;
}

const char *ctl_reply_error(const json_t *reply)
{
	const char *e = json_string_value(json_object_get(reply, "error"));
	return e != NULL ? e : "unexpected answer";
}

int ctl_request(const struct ctl_ctx *c, const char *method, const char *path,
		const char *body, long *status, json_t **reply, char *err, size_t errlen)
{
	snprintf(err, errlen, "no agent URL given (use -c CONFIG, --url URL or PGQUORUMCTL_URL)");
	*reply = NULL;
	for (size_t i = 0; i < c->n_urls; i++) {
		CURL *h = curl_easy_init();
		struct curl_slist *hdr = NULL;
		struct buf b = { 0 };
		char url[1024];
		CURLcode rc;

		if (h == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(url, sizeof url, "%s%s", c->urls[i], path);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		if (c->userpwd != NULL) {
			curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(h, CURLOPT_USERPWD, c->userpwd);
			/* The redirect goes to the leader, another member of the same
			 * cluster (from its record): it needs the same credentials. */
			curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 1L);
		}
		if (body != NULL) {
			hdr = curl_slist_append(hdr, "Content-Type: application/json");
			curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		}
		rc = curl_easy_perform(h);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
			if (b.data != NULL)
				*reply = json_loadb(b.data, b.len, 0, NULL);
			free(b.data);
			curl_slist_free_all(hdr);
			curl_easy_cleanup(h);
			return 0;
		}
		snprintf(err, errlen, "%s: %s", c->urls[i],
			 b.too_big ? "answer too large" : curl_easy_strerror(rc));
		free(b.data);
		curl_slist_free_all(hdr);
		curl_easy_cleanup(h);
	}
	return -1;
}
