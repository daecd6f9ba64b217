/*
 * dirlist.c - sorted directory listings (see dirlist.h).
 */
#include "common/dirlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void ndr_dirlist_free(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

int ndr_dirlist(const char *path, char ***names, size_t *n) {
  *names = NULL;
  *n = 0;
  DIR *d = opendir(path);
  if (!d) return -1;
  char **v = NULL;
  size_t k = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    ndr_buf full = NDR_BUF_INIT;
    if (k == cap) {
      cap = cap ? cap * 2 : 32;
      char **nv = realloc(v, cap * sizeof *nv);
      if (!nv) goto nomem;
      v = nv;
    }
    if (ndr_buf_printf(&full, "%s/%s", path, e->d_name) < 0) goto nomem;
    v[k++] = full.p;
  }
  closedir(d);
  if (k) qsort(v, k, sizeof *v, cmp_str);
  *names = v;
  *n = k;
  return 0;
nomem:
  closedir(d);
  ndr_dirlist_free(v, k);
  errno = ENOMEM;
  return -1;
}
