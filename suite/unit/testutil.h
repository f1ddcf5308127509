/* testutil: small helpers shared by the unit test files (files, temporary folders,
 * counting). */
#ifndef H1XX_TESTUTIL_H
#define H1XX_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* The whole file (malloc'd, NUL-terminated after *len), or NULL. */
char *tu_slurp(const char *path, size_t *len);
/* A fresh folder under /tmp (malloc'd path), or NULL. */
char *tu_tmpdir(void);
/* Removes dir and everything in it. */
void tu_rmtree(const char *dir);
/* Entries of dir whose name contains ".tmp." (-1 when dir cannot be read). */
int tu_temp_files(const char *dir);
/* Occurrences of needle in hay. */
size_t tu_count(const char *hay, const char *needle);
/* True when [s, s+len) is well-formed UTF-8 (shortest forms, no surrogates). */
bool tu_utf8_ok(const char *s, size_t len);

#endif
