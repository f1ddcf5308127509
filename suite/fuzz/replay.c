/* Replays fuzz inputs through a harness without libFuzzer: `replay-X FILE|DIR...` runs every
 * file (a directory's files in name order) through LLVMFuzzerTestOneInput once. Built with the
 * ordinary compiler by `make test` (and so also run under `make asan` and `make valgrind`), so
 * the corpus and every regression input kept in suite/fuzz/regressions are replayed on every
 * test run. A harness that finds a violation aborts, an input that takes over a minute ends
 * the process (SIGALRM); otherwise this prints a summary line. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define INPUT_MAX (16 * 1024 * 1024)
#define INPUT_SECONDS 60

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    buf_t b;
    buf_init(&b, INPUT_MAX);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&b, tmp, n);
    int bad = ferror(f) || b.truncated;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read (or larger than 16 MiB)\n", path);
        buf_free(&b);
        return -1;
    }
    /* an exact-size copy, so that a read past the input is caught by ASan / valgrind */
    size_t len = b.len;
    uint8_t *data = xmalloc(len ? len : 1);
    memcpy(data, b.data ? b.data : "", len);
    buf_free(&b);
    alarm(INPUT_SECONDS); /* a hang is a failure too (SIGALRM ends the process) */
    LLVMFuzzerTestOneInput(data, len);
    alarm(0);
    free(data);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        grow_array((void **)&names, &cap, n, sizeof *names);
        names[n++] = xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc |= replay_file(names[i]);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    size_t count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc |= replay_dir(argv[i], &count);
        } else {
            rc |= replay_file(argv[i]);
            count++;
        }
    }
    printf("%s: %zu inputs replayed%s\n", argv[0], count, rc ? ", some unreadable" : "");
    return rc ? 1 : 0;
}
