/*
 * cli_config.c — the dynamic configuration: `show-config`, `edit-config`
 * ($EDITOR on the YAML, `--set key=value`, `--apply FILE`; sent as an RFC
 * 7386 merge patch with PATCH /config), and `pause` / `resume`
 * (PATCH /config {"pause": true|false}, Patroni's contract).
 */
#include "ctl.h"
#include "yamljson.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The stored configuration: GET /config, or, from an agent without it,
 * the "config" object of GET /cluster (the record's effective values).
 */
static int fetch_config(const struct ctl_ctx *c, json_t **out)
{
	return ctl_fetch_or_cluster_field(c, "/config", "config", 0, out, NULL);
}

static const char show_help[] =
	"Usage: pgquorumctl show-config [-f yaml|json]\n"
	"\n"
	"Print the cluster's dynamic configuration (GET /config), YAML by default.\n"
	"\n"
	"  -f, --format FMT   yaml (default) or json (table is the same as yaml)\n"
	"  -h, --help         show this help\n";

int ctl_cmd_show_config(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ctl_format fmt = CTL_FORMAT_YAML;
	json_t *cfg;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (ctl_parse_format(optarg, &fmt) != 0)
				return CTL_EXIT_USAGE;
			break;
		case 'h':
			fputs(show_help, stdout);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error("show-config", "unknown option");
		}
	}
	if (optind != argc)
		return ctl_usage_error("show-config", "takes no argument");
	rc = fetch_config(c, &cfg);
	if (rc != CTL_EXIT_OK)
		return rc;
	rc = ctl_print_doc(fmt == CTL_FORMAT_JSON ? CTL_FORMAT_JSON : CTL_FORMAT_YAML, cfg);
	json_decref(cfg);
	return rc;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf != NULL) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
		if (n + 1 == cap) {
			char *grown = cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;
			if (grown == NULL) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (buf == NULL || ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static json_t *load_yaml_file(const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0;
	char *text;
	json_t *v;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	text = read_all(f, &len);
	if (f != stdin)
		fclose(f);
	if (text == NULL) {
		snprintf(err, errlen, "cannot read \"%s\"", path);
		return NULL;
	}
	v = ctl_yaml_loads(text, len, err, errlen);
	free(text);
	if (v != NULL && !json_is_object(v)) {
		snprintf(err, errlen, "\"%s\" is not a YAML mapping", path);
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* A private temporary directory under $TMPDIR (else /tmp) into dir. */
static int make_temp_dir(char *dir, size_t len)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(dir, len, "%s/pgquorumctl.XXXXXX", base) >= len)
		return -1;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Run "$EDITOR file" through the shell (EDITOR may hold arguments). */
/* Run "$PGQ_CTL_EDITOR file" through the shell (an EDITOR may hold
 * arguments, e.g. "code --wait"); the caller sets PGQ_CTL_EDITOR. */
static int run_editor(const char *path)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $PGQ_CTL_EDITOR \"$1\"", "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Print a unified diff of two texts with diff(1); plain texts without it. */
static void show_diff(const char *before, const char *after)
{
	char dir[512], a[600], b[600];
	pid_t pid;
	int status;

	if (make_temp_dir(dir, sizeof dir) != 0)
		return;
	snprintf(a, sizeof a, "%s/before", dir);
	snprintf(b, sizeof b, "%s/after", dir);
	if (write_file(a, before) == 0 && write_file(b, after) == 0) {
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			execlp("diff", "diff", "-u", "--label", "current", "--label", "new", a, b,
			       (char *)NULL);
			_exit(127);
		}
		if (pid > 0) {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				printf("--- current\n%s+++ new\n%s", before, after);
		}
	}
	unlink(a);
	unlink(b);
	rmdir(dir);
}

static const char edit_help[] =
	"Usage: pgquorumctl edit-config [--set KEY=VALUE]... [--apply FILE] [--force]\n"
	"                               [--quiet]\n"
	"\n"
	"Change the cluster's dynamic configuration. Without --set or --apply, opens\n"
	"$VISUAL or $EDITOR (default vi) on the YAML of GET /config. The change is\n"
	"shown as a unified diff and, once confirmed, sent as a JSON merge patch\n"
	"(RFC 7386) with PATCH /config; the agents validate it as a whole (a bad\n"
	"change is refused and nothing changes).\n"
	"\n"
	"  -s, --set KEY=VALUE  set one key; dotted keys reach nested ones\n"
	"                       (postgresql.parameters.work_mem=64MB); the value is a\n"
	"                       YAML scalar (10, 1.5, true, text; null removes the key\n"
	"                       so its default returns). Repeatable\n"
	"  -a, --apply FILE     apply a YAML merge patch from FILE (\"-\": standard input)\n"
	"  -q, --quiet          do not show the diff\n"
	"  --force              apply without asking\n"
	"  -h, --help           show this help\n"
	"\n"
	"Without --force it asks for confirmation, and refuses when standard input\n"
	"is not a terminal.\n";

int ctl_cmd_edit_config(struct ctl_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "apply", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *apply = NULL;
	int force = 0, quiet = 0, opt, rc, n_set = 0;
	json_t *patch = json_object(), *cfg = NULL, *after = NULL;
	char err[768], *before_text = NULL, *after_text = NULL;
	struct ctl_reply r;

	if (patch == NULL)
		return CTL_EXIT_FAILED;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "s:a:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (ctl_patch_add_set(patch, optarg, err, sizeof err) != 0) {
				json_decref(patch);
				return ctl_usage_error("edit-config", err);
			}
			n_set++;
			break;
		case 'a': apply = optarg; break;
		case 'q': quiet = 1; break;
		case 'F': force = 1; break;
		case 'h':
			fputs(edit_help, stdout);
			json_decref(patch);
			return CTL_EXIT_OK;
		default:
			json_decref(patch);
			return ctl_usage_error("edit-config", "unknown option");
		}
	}
	if (optind != argc) {
		json_decref(patch);
		return ctl_usage_error("edit-config", "takes no argument");
	}
	if (apply != NULL && n_set > 0) {
		json_decref(patch);
		return ctl_usage_error("edit-config", "--set and --apply exclude each other");
	}
	if (apply != NULL) {
		json_decref(patch);
		patch = load_yaml_file(apply, err, sizeof err);
		if (patch == NULL) {
			fprintf(stderr, "pgquorumctl: %s\n", err);
			return CTL_EXIT_FAILED;
		}
	}
	rc = fetch_config(c, &cfg);
	if (rc != CTL_EXIT_OK)
		goto out;
	rc = CTL_EXIT_FAILED;
	before_text = ctl_yaml_dumps(cfg, err, sizeof err);
	if (before_text == NULL)
		goto fail_msg;
	if (apply == NULL && n_set == 0) {
		/* Interactive: the operator edits the YAML; the patch is the diff. */
		char dir[512], path[600];
		json_t *edited;

		if (make_temp_dir(dir, sizeof dir) != 0) {
			snprintf(err, sizeof err, "cannot create a temporary directory: %s", strerror(errno));
			goto fail_msg;
		}
		snprintf(path, sizeof path, "%s/config.yaml", dir);
		if (write_file(path, before_text) != 0) {
			rmdir(dir);
			snprintf(err, sizeof err, "cannot write \"%s\"", path);
			goto fail_msg;
		}
		{
			const char *editor = getenv("VISUAL");
			if (editor == NULL || editor[0] == '\0')
				editor = getenv("EDITOR");
			setenv("PGQ_CTL_EDITOR", editor != NULL && editor[0] != '\0' ? editor : "vi", 1);
		}
		if (run_editor(path) != 0) {
			unlink(path);
			rmdir(dir);
			snprintf(err, sizeof err, "the editor failed; nothing changed");
			goto fail_msg;
		}
		edited = load_yaml_file(path, err, sizeof err);
		unlink(path);
		rmdir(dir);
		if (edited == NULL)
			goto fail_msg;
		json_decref(patch);
		patch = ctl_merge_patch_diff(cfg, edited);
		json_decref(edited);
		if (patch == NULL) {
			snprintf(err, sizeof err, "out of memory");
			goto fail_msg;
		}
	}
	after = ctl_merge_patch_apply(cfg, patch);
	after_text = after != NULL ? ctl_yaml_dumps(after, err, sizeof err) : NULL;
	if (after_text == NULL)
		goto fail_msg;
	if (json_object_size(patch) == 0 || strcmp(before_text, after_text) == 0) {
		printf("Not changed\n");
		rc = CTL_EXIT_OK;
		goto out;
	}
	if (!quiet)
		show_diff(before_text, after_text);
	if (!ctl_confirm("Apply these changes?", force))
		goto out;
	if (ctl_request(c, "PATCH", "/config", patch, &r, err, sizeof err) != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		rc = CTL_EXIT_UNREACHABLE;
		goto out;
	}
	if (r.code == 200) {
		printf("Configuration changed\n");
		rc = CTL_EXIT_OK;
	} else {
		rc = ctl_fail("PATCH", "/config", &r);
	}
	ctl_reply_free(&r);
	goto out;
fail_msg:
	fprintf(stderr, "pgquorumctl: %s\n", err);
out:
	free(before_text);
	free(after_text);
	json_decref(after);
	json_decref(cfg);
	json_decref(patch);
	return rc;
}

/* ---- pause / resume ---- */

static int cluster_paused(const struct ctl_ctx *c, int *paused)
{
	struct ctl_cluster cl;
	int rc = ctl_fetch_cluster(c, &cl);

	if (rc != CTL_EXIT_OK)
		return rc;
	*paused = cl.paused;
	ctl_cluster_free(&cl);
	return CTL_EXIT_OK;
}

static int set_pause(struct ctl_ctx *c, int argc, char **argv, int pause)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = pause ? "pause" : "resume";
	int wait = 0, opt, rc, paused = 0;
	struct ctl_reply r;
	char err[1024];
	json_t *body;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'w': wait = 1; break;
		case 'h':
			printf("Usage: pgquorumctl %s [--wait]\n\n%s", cmd,
			       pause ? "Put the cluster in maintenance mode: no automatic failover or\n"
				       "unnamed switchover while paused (SAFETY.md S18); the primary\n"
				       "keeps renewing its lease. PATCH /config {\"pause\": true}.\n"
				     : "Leave maintenance mode: automatic failover resumes.\n"
				       "PATCH /config {\"pause\": false}.\n");
			printf("\n  --wait       wait (up to 30 s) until the cluster record shows it\n"
			       "  -h, --help   show this help\n");
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return ctl_usage_error(cmd, "takes no argument");
	rc = cluster_paused(c, &paused);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (paused == pause) {
		fprintf(stderr, "pgquorumctl: the cluster is %s\n",
			pause ? "already paused" : "not paused");
		return CTL_EXIT_FAILED;
	}
	body = json_pack("{s:b}", "pause", pause);
	if (body == NULL)
		return CTL_EXIT_FAILED;
	rc = ctl_request(c, "PATCH", "/config", body, &r, err, sizeof err);
	json_decref(body);
	if (rc != 0) {
		fprintf(stderr, "pgquorumctl: cluster unreachable: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (r.code != 200 && r.code != 202) {
		rc = ctl_fail("PATCH", "/config", &r);
		ctl_reply_free(&r);
		return rc;
	}
	ctl_reply_free(&r);
	if (wait) {
		time_t end = time(NULL) + 30;
		while (cluster_paused(c, &paused) == CTL_EXIT_OK && paused != pause && time(NULL) < end)
			usleep(200 * 1000);
		if (paused != pause) {
			fprintf(stderr, "pgquorumctl: the cluster did not report %s within 30 s\n",
				pause ? "paused" : "resumed");
			return CTL_EXIT_FAILED;
		}
	}
	printf("%s\n", pause ? "Maintenance mode on: automatic failover is paused"
			     : "Maintenance mode off: automatic failover resumed");
	return CTL_EXIT_OK;
}

int ctl_cmd_pause(struct ctl_ctx *c, int argc, char **argv)
{
	return set_pause(c, argc, argv, 1);
}

int ctl_cmd_resume(struct ctl_ctx *c, int argc, char **argv)
{
	return set_pause(c, argc, argv, 0);
}
