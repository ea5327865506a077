/*
 * tls.h — the REST server's TLS material (GnuTLS): the server certificate
 * and key it presents, the CA its clients' certificates must chain to, and
 * the check of a client certificate on one connection.
 *
 * Why its own module: the files are read and validated here, once at start
 * and again at every reload, so that a bad file is refused with its name
 * before anything is swapped; libmicrohttpd asks for the certificate per
 * handshake (MHD_OPTION_HTTPS_CERT_CALLBACK), so a reload takes effect for
 * the next connection without restarting the listener.
 */
#ifndef PGQ_REST_TLS_H
#define PGQ_REST_TLS_H

#include <stdbool.h>
#include <stddef.h>

enum pgq_rest_verify_client {
	PGQ_REST_VERIFY_NONE = 0,      /* no client certificate asked for */
	PGQ_REST_VERIFY_OPTIONAL,      /* asked for; one that is sent must verify */
	PGQ_REST_VERIFY_REQUIRED,      /* every request needs a verified one */
};

struct pgq_rest_tls_files {
	const char *certfile;          /* PEM, the server certificate (chain) */
	const char *keyfile;           /* PEM, its private key */
	const char *keyfile_password;  /* NULL: the key is not encrypted */
	const char *cafile;            /* PEM, client certificate CA; NULL with VERIFY_NONE */
	enum pgq_rest_verify_client verify_client;
};

/* A validated certificate and key (opaque; owned by whoever loaded it). */
struct pgq_rest_tls_creds;

/*
 * Read and check the files: the certificate parses, the key parses (with
 * the password) and belongs to the certificate, the CA file holds at least
 * one certificate. On failure err names the file and the reason.
 * *ca_pem receives the CA file's text (malloc'd) when cafile is set, for
 * libmicrohttpd's MHD_OPTION_HTTPS_MEM_TRUST; pass NULL to skip it.
 */
int pgq_rest_tls_load(const struct pgq_rest_tls_files *files, struct pgq_rest_tls_creds **out,
		      char **ca_pem, char *err, size_t errlen);

void pgq_rest_tls_creds_free(struct pgq_rest_tls_creds *creds);

/*
 * Serve these credentials from the next handshake on (takes ownership).
 * The previous ones stay alive until pgq_rest_tls_release(): a handshake
 * in progress may still use them. One REST server per process: the
 * libmicrohttpd callback carries no context pointer, so the current
 * credentials live in this module.
 */
void pgq_rest_tls_install(struct pgq_rest_tls_creds *creds);

/* Free every installed credential (after the daemon stopped). */
void pgq_rest_tls_release(void);

/* The callback to pass with MHD_OPTION_HTTPS_CERT_CALLBACK. */
void *pgq_rest_tls_cert_callback(void);

/*
 * Check the client certificate of a TLS session (a gnutls_session_t from
 * MHD_CONNECTION_INFO_GNUTLS_SESSION) under the given policy. True: the
 * request may go on; false: why in err.
 */
bool pgq_rest_tls_client_ok(void *gnutls_session, enum pgq_rest_verify_client verify,
			    char *err, size_t errlen);

#endif /* PGQ_REST_TLS_H */
