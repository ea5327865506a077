/*
 * http.c — pgquorumctl's only network code: one libcurl easy request per
 * call, agents tried in the order given until one answers. Redirects are
 * followed (an agent that is not the Raft leader answers 307 to the
 * leader's URL, keeping method and body) and keep the credentials: the
 * leader is a member of the same cluster, named by its record.
 */
#include "ctl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		n = strlen(url) + 8;
		copy = malloc(n);
		if (copy != NULL)
			snprintf(copy, n, "http://%s", url);
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
	free(c->cacert);
	free(c->cert);
	free(c->key);
	c->userpwd = c->cacert = c->cert = c->key = NULL;
}

void ctl_reply_free(struct ctl_reply *r)
{
	json_decref(r->json);
	free(r->text);
	r->json = NULL;
	r->text = NULL;
}

const char *ctl_reply_message(const struct ctl_reply *r)
{
	const char *e = json_string_value(json_object_get(r->json, "error"));

	if (e == NULL)
		e = json_string_value(json_object_get(r->json, "message"));
	if (e == NULL)
		e = json_string_value(json_object_get(r->json, "status"));
	if (e == NULL && json_is_string(r->json))
		e = json_string_value(r->json);
	if (e == NULL && r->text != NULL && r->text[0] != '\0')
		e = r->text;
	return e != NULL ? e : "(no body)";
}

int ctl_endpoint_missing(const struct ctl_reply *r)
{
	const char *e;

	if (r->code == 405 || r->code == 501)
		return 1;
	if (r->code != 404)
		return 0;
	e = json_string_value(json_object_get(r->json, "error"));
	return r->json == NULL || (e != NULL && strcmp(e, "no such endpoint") == 0);
}

int ctl_fail_at(const char *who, const char *method, const char *path, const struct ctl_reply *r)
{
	fprintf(stderr, "pgquorumctl: %s%s", who != NULL ? who : "", who != NULL ? ": " : "");
	if (ctl_endpoint_missing(r))
		fprintf(stderr, "this agent does not support %s %s yet (HTTP %ld)\n", method, path,
			r->code);
	else /* at most 300 bytes of an unexpected body */
		fprintf(stderr, "%s %s failed (HTTP %ld): %.300s\n", method, path, r->code,
			ctl_reply_message(r));
	return CTL_EXIT_FAILED;
}

int ctl_fail(const char *method, const char *path, const struct ctl_reply *r)
{
	return ctl_fail_at(NULL, method, path, r);
}

/* One attempt against one base URL. 0 answered, -1 transport failure. */
static int request_one(const struct ctl_ctx *c, const char *base, const char *method,
		       const char *path, const char *body, struct ctl_reply *r, char *err,
		       size_t errlen)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct buf b = { 0 };
	char url[1024];
	char *effective = NULL;
	CURLcode rc;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(url, sizeof url, "%s%s", base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	/* 307/308 keep the method; this keeps POST on 301/302/303 too. */
	curl_easy_setopt(h, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms < 2000 ? c->timeout_ms : 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if (c->cert != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
	if (c->key != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->userpwd != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERPWD, c->userpwd);
		curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 1L);
	}
	if (body != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
		if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
		    effective != NULL)
			snprintf(r->url, sizeof r->url, "%s", effective);
		r->text = b.data != NULL ? b.data : strdup("");
		if (r->text != NULL && r->text[0] != '\0')
			r->json = json_loads(r->text, JSON_DECODE_ANY, NULL);
	} else {
		snprintf(err, errlen, "%s: %s", base,
			 b.too_big ? "answer too large" : curl_easy_strerror(rc));
		free(b.data);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc == CURLE_OK ? 0 : -1;
}

static int request_body(const json_t *body, char **text)
{
	*text = NULL;
	if (body == NULL)
		return 0;
	*text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	return *text != NULL ? 0 : -1;
}

int ctl_request_at(const struct ctl_ctx *c, const char *base_url, const char *method,
		   const char *path, const json_t *body, struct ctl_reply *r, char *err,
		   size_t errlen)
{
	char *text;
	int rc;

	memset(r, 0, sizeof *r);
	if (request_body(body, &text) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = request_one(c, base_url, method, path, text, r, err, errlen);
	free(text);
	return rc;
}

static int request_once(const struct ctl_ctx *c, const char *method, const char *path,
			const json_t *body, struct ctl_reply *r, char *err, size_t errlen);

/* The agents' "no Raft leader known" 503 is answered before anything is
 * proposed (an election, e.g. leadership moving off a new primary's host):
 * the request, write or read, is safe to send again. */
#define LEADERLESS_RETRY_MS 500
#define LEADERLESS_RETRIES 20

int ctl_request(const struct ctl_ctx *c, const char *method, const char *path,
		const json_t *body, struct ctl_reply *r, char *err, size_t errlen)
{
	int rc = -1;

	for (int attempt = 0; attempt <= LEADERLESS_RETRIES; attempt++) {
		rc = request_once(c, method, path, body, r, err, errlen);
		if (rc != 0 || r->code != 503 ||
		    strstr(ctl_reply_message(r), "no Raft leader known") == NULL ||
		    attempt == LEADERLESS_RETRIES)
			return rc;
		ctl_reply_free(r);
		usleep(LEADERLESS_RETRY_MS * 1000);
	}
	return rc;
}

static int request_once(const struct ctl_ctx *c, const char *method, const char *path,
			const json_t *body, struct ctl_reply *r, char *err, size_t errlen)
{
	char *text;
	char one[512];
	size_t used = 0;

	memset(r, 0, sizeof *r);
	snprintf(err, errlen, "no agent URL given (use -c CONFIG, --url URL or PGQUORUMCTL_URL)");
	if (request_body(body, &text) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < c->n_urls; i++) {
		if (request_one(c, c->urls[i], method, path, text, r, one, sizeof one) == 0) {
			/* A read that one agent cannot serve yet (503: not bootstrapped,
			 * no leader known) may be served by the next. Writes are never
			 * re-sent: a 503 after proposing means "outcome unknown". */
			if (r->code == 503 && strcmp(method, "GET") == 0 && i + 1 < c->n_urls) {
				snprintf(one, sizeof one, "%s: HTTP 503: %.200s", c->urls[i],
					 ctl_reply_message(r));
				ctl_reply_free(r);
				memset(r, 0, sizeof *r);
			} else {
				free(text);
				return 0;
			}
		}
		/* Keep every agent's reason: "none answers" needs all of them. */
		if (i == 0)
			err[0] = '\0';
		used = strlen(err);
		snprintf(err + used, errlen - used, "%s%s", i > 0 ? "; " : "", one);
	}
	free(text);
	return -1;
}
