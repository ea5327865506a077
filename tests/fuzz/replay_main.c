/*
 * replay_main.c — runs a fuzz target over its committed corpus without
 * libFuzzer, so `make check` (gcc + ASan/UBSan) exercises every input that
 * fuzzing ever found interesting.
 *
 * Built once per target with -DFUZZ_TARGET_NAME="fuzz_x" and linked with
 * that target's source. Reads tests/fuzz/corpus/<target>/ (under
 * $top_srcdir, or the directory or single file given as argv[1]) in name
 * order, hands each
 * file to LLVMFuzzerTestOneInput in a buffer of exactly its size (so ASan
 * sees any over-read) and prints one TAP line for the directory. A crash
 * aborts the program; the last "# replaying" line on stderr names the input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"

#ifndef FUZZ_TARGET_NAME
#error "build with -DFUZZ_TARGET_NAME=\"fuzz_x\""
#endif

/* Reads a whole file into a fresh buffer of exactly its size (1 byte for an empty file). */
static int read_file(const char *path, uint8_t **out, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fclose(f);
		return -1;
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL || (len > 0 && fread(buf, 1, len, f) != len)) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	*out = buf;
	*out_len = len;
	return 0;
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	char dir[4096];
	struct dirent **names;
	int replayed = 0, failed = 0;

	if (argc > 1) {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	} else {
		const char *top = getenv("top_srcdir");
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_TARGET_NAME);
	}
	printf("1..1\n");
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) {
		/* One input, e.g. a crash-* file libFuzzer left behind. */
		uint8_t *buf;
		size_t len;
		if (read_file(dir, &buf, &len) != 0) {
			printf("not ok 1 - %s: cannot read %s\n", FUZZ_TARGET_NAME, dir);
			return 1;
		}
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("ok 1 - %s: %s replayed without a fault\n", FUZZ_TARGET_NAME, dir);
		return 0;
	}
	int n = scandir(dir, &names, not_hidden, alphasort);
	if (n < 0) {
		printf("not ok 1 - %s: cannot read corpus %s: %s\n", FUZZ_TARGET_NAME, dir, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[8192];
		uint8_t *buf;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (read_file(path, &buf, &len) != 0) {
			fprintf(stderr, "# cannot read %s\n", path);
			failed++;
			continue;
		}
		fprintf(stderr, "# replaying %s (%zu bytes)\n", path, len);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		replayed++;
	}
	free(names);
	if (failed > 0 || replayed == 0) {
		printf("not ok 1 - %s: %d inputs replayed, %d unreadable (corpus %s)\n", FUZZ_TARGET_NAME, replayed,
		       failed, dir);
		return 1;
	}
	printf("ok 1 - %s: %d corpus inputs replayed without a fault\n", FUZZ_TARGET_NAME, replayed);
	return 0;
}
