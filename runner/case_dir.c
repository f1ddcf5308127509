/* case_dir: loads a folder of case files (one level of area folders), sorted by id; each
 * file's place must agree with its id. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case.h"
#include "util.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists dir's entries that are directories (want_dirs) or regular files ending in suffix. */
static char **list_dir(const char *dir, bool want_dirs, const char *suffix, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *full = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        bool ok = stat(full, &st) == 0 && (want_dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        size_t ln = strlen(e->d_name), ls = suffix ? strlen(suffix) : 0;
        if (ok && suffix && (ln <= ls || strcmp(e->d_name + ln - ls, suffix) != 0))
            ok = false;
        if (ok) {
            grow_array((void **)&names, &cap, *n, sizeof *names);
            names[(*n)++] = full;
        } else {
            free(full);
        }
    }
    closedir(d);
    if (!names) /* an empty folder: an empty list, not the NULL of "cannot read" */
        names = xcalloc(1, sizeof *names);
    else
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

/* The id must match where the file lives: cases/AREA/NAME.case holds AREA/NAME. */
static int check_placement(const case_def *c, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *area_end = base - 1;
    const char *area = area_end;
    while (area > path && area[-1] != '/')
        area--;
    char *want = xasprintf("%.*s/%.*s", (int)(area_end - area), area,
                           (int)(strlen(base) - strlen(".case")), base);
    int rc = strcmp(want, c->id) == 0 ? 0 : -1;
    if (rc)
        fprintf(stderr, "%s:%d: id '%s' does not match the file's place (expected '%s')\n", path,
                c->line, c->id, want);
    free(want);
    return rc;
}

static int cmp_case_id(const void *a, const void *b)
{
    return strcmp(((const case_def *)a)->id, ((const case_def *)b)->id);
}

int case_load_dir(const char *dir, const req_catalog *cat, case_def **out, size_t *n)
{
    size_t nareas = 0, cap = 0;
    *out = NULL;
    *n = 0;
    char **areas = list_dir(dir, true, NULL, &nareas);
    if (!areas) {
        fprintf(stderr, "h1xx: cannot read cases folder %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (size_t a = 0; a < nareas; a++) {
        size_t nf = 0;
        char **files = list_dir(areas[a], false, ".case", &nf);
        for (size_t i = 0; i < nf; i++) {
            char err[512];
            grow_array((void **)out, &cap, *n, sizeof **out);
            if (case_load_file(files[i], cat, &(*out)[*n], err, sizeof err)) {
                fprintf(stderr, "%s\n", err);
                case_free(&(*out)[*n]);
                rc = -1;
            } else if (check_placement(&(*out)[*n], files[i])) {
                case_free(&(*out)[*n]);
                rc = -1;
            } else {
                (*n)++;
            }
            free(files[i]);
        }
        free(files);
        free(areas[a]);
    }
    free(areas);
    if (*n > 1) /* file names sort differently ("a-b.case" before "a.case") */
        qsort(*out, *n, sizeof **out, cmp_case_id);
    return rc;
}

void case_list_free(case_def *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        case_free(&cases[i]);
    free(cases);
}
