/*
 * tls.c — the REST server's certificate, key and client-certificate check
 * (tls.h), on GnuTLS, the library libmicrohttpd's TLS runs on.
 *
 * Owns: the installed credentials (a list: the current one first, older
 * ones kept until release because a handshake may still hold them) under
 * a mutex, as libmicrohttpd's certificate callback has no context pointer.
 */
#include "rest/tls.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 16

struct pgq_rest_tls_creds {
	gnutls_pcert_st chain[MAX_CHAIN];
	unsigned n_chain;
	gnutls_privkey_t key;
	struct pgq_rest_tls_creds *older;   /* install list link */
};

static pthread_mutex_t installed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pgq_rest_tls_creds *installed;    /* current first */

/* The whole file; err says which setting and file failed and why. */
static int read_file(const char *what, const char *path, gnutls_datum_t *out, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	int rc;

	out->data = NULL;
	out->size = 0;
	if (f == NULL) {
		snprintf(err, errlen, "restapi.%s \"%s\" cannot be read: %s", what, path,
			 strerror(errno));
		return -1;
	}
	fclose(f);
	rc = gnutls_load_file(path, out);
	if (rc < 0) {
		snprintf(err, errlen, "restapi.%s \"%s\" cannot be read: %s", what, path,
			 gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

void pgq_rest_tls_creds_free(struct pgq_rest_tls_creds *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n_chain; i++)
		gnutls_pcert_deinit(&c->chain[i]);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	free(c);
}

/* Does the key belong to the certificate? GnuTLS checks when both are set together. */
static int check_pair(const gnutls_datum_t *cert, const gnutls_datum_t *key, const char *password,
		      const struct pgq_rest_tls_files *f, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = gnutls_certificate_set_x509_key_mem2(cred, cert, key, GNUTLS_X509_FMT_PEM, password, 0);
	gnutls_certificate_free_credentials(cred);
	if (rc < 0) {
		snprintf(err, errlen, "restapi.keyfile \"%s\" does not go with restapi.certfile \"%s\": %s",
			 f->keyfile, f->certfile, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static int check_ca(const gnutls_datum_t *ca, const char *path, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = gnutls_certificate_set_x509_trust_mem(cred, ca, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (rc <= 0) {
		snprintf(err, errlen, "restapi.cafile \"%s\" holds no PEM certificate%s%s", path,
			 rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
		return -1;
	}
	return 0;
}

int pgq_rest_tls_load(const struct pgq_rest_tls_files *f, struct pgq_rest_tls_creds **out,
		      char **ca_pem, char *err, size_t errlen)
{
	gnutls_datum_t cert = { 0 }, key = { 0 }, ca = { 0 };
	struct pgq_rest_tls_creds *c = NULL;
	int rc = -1;

	*out = NULL;
	if (ca_pem != NULL)
		*ca_pem = NULL;
	if (f->certfile == NULL || f->keyfile == NULL) {
		snprintf(err, errlen, "TLS needs restapi.certfile and restapi.keyfile");
		return -1;
	}
	if (read_file("certfile", f->certfile, &cert, err, errlen) != 0 ||
	    read_file("keyfile", f->keyfile, &key, err, errlen) != 0)
		goto out;
	if (f->cafile != NULL && (read_file("cafile", f->cafile, &ca, err, errlen) != 0 ||
				  check_ca(&ca, f->cafile, err, errlen) != 0))
		goto out;
	c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	c->n_chain = MAX_CHAIN;
	rc = gnutls_pcert_list_import_x509_raw(c->chain, &c->n_chain, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || c->n_chain == 0) {
		c->n_chain = 0;
		snprintf(err, errlen, "restapi.certfile \"%s\" holds no valid PEM certificate: %s",
			 f->certfile, rc < 0 ? gnutls_strerror(rc) : "empty");
		rc = -1;
		goto out;
	}
	rc = gnutls_privkey_init(&c->key);
	if (rc >= 0)
		rc = gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM,
						    f->keyfile_password, 0);
	if (rc < 0) {
		snprintf(err, errlen, "restapi.keyfile \"%s\" holds no usable private key%s: %s",
			 f->keyfile, f->keyfile_password != NULL ? " (with keyfile_password)" : "",
			 gnutls_strerror(rc));
		rc = -1;
		goto out;
	}
	if (check_pair(&cert, &key, f->keyfile_password, f, err, errlen) != 0) {
		rc = -1;
		goto out;
	}
	if (ca_pem != NULL && ca.data != NULL) {
		*ca_pem = malloc(ca.size + 1);
		if (*ca_pem == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			goto out;
		}
		memcpy(*ca_pem, ca.data, ca.size);
		(*ca_pem)[ca.size] = '\0';
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	pgq_rest_tls_creds_free(c);
	gnutls_free(cert.data);
	if (key.data != NULL)
		memset(key.data, 0, key.size);   /* the key text should not linger */
	gnutls_free(key.data);
	gnutls_free(ca.data);
	return rc;
}

void pgq_rest_tls_install(struct pgq_rest_tls_creds *c)
{
	pthread_mutex_lock(&installed_lock);
	c->older = installed;
	installed = c;
	pthread_mutex_unlock(&installed_lock);
}

void pgq_rest_tls_release(void)
{
	struct pgq_rest_tls_creds *c;

	pthread_mutex_lock(&installed_lock);
	c = installed;
	installed = NULL;
	pthread_mutex_unlock(&installed_lock);
	while (c != NULL) {
		struct pgq_rest_tls_creds *next = c->older;
		pgq_rest_tls_creds_free(c);
		c = next;
	}
}

/* gnutls_certificate_retrieve_function2: the credentials installed now. */
static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
		    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	int rc = -1;

	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&installed_lock);
	if (installed != NULL) {
		*pcert = installed->chain;
		*pcert_length = installed->n_chain;
		*privkey = installed->key;
		rc = 0;
	}
	pthread_mutex_unlock(&installed_lock);
	return rc;
}

void *pgq_rest_tls_cert_callback(void)
{
	static gnutls_certificate_retrieve_function2 *fn = retrieve;
	return (void *)fn;
}

bool pgq_rest_tls_client_ok(void *gnutls_session, enum pgq_rest_verify_client verify, char *err,
			    size_t errlen)
{
	gnutls_session_t session = gnutls_session;
	unsigned status = 0;
	unsigned n_peer = 0;
	int rc;

	if (verify == PGQ_REST_VERIFY_NONE)
		return true;
	if (session == NULL) {
		snprintf(err, errlen, "a client certificate is required (restapi.verify_client) but the connection is not TLS");
		return false;
	}
	if (gnutls_certificate_get_peers(session, &n_peer) == NULL || n_peer == 0) {
		if (verify == PGQ_REST_VERIFY_OPTIONAL)
			return true;
		snprintf(err, errlen, "a client certificate is required (restapi.verify_client: required)");
		return false;
	}
	rc = gnutls_certificate_verify_peers2(session, &status);
	if (rc < 0) {
		snprintf(err, errlen, "the client certificate could not be verified: %s",
			 gnutls_strerror(rc));
		return false;
	}
	if (status != 0) {
		gnutls_datum_t why = { 0 };
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) == 0) {
			snprintf(err, errlen, "the client certificate was refused: %s", why.data);
			gnutls_free(why.data);
		} else {
			snprintf(err, errlen, "the client certificate was refused (status 0x%x)", status);
		}
		return false;
	}
	return true;
}
