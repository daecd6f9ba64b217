/*
 * dirlist.h - the entries of a directory, as full paths sorted by name
 * (hidden entries skipped), so that every walk over a folder (rule packs,
 * message folders) is deterministic.
 */
#ifndef NDR_DIRLIST_H
#define NDR_DIRLIST_H

#include <stddef.h>

/*
 * Fill *names with malloc'd "path/entry" strings and *n with their count.
 * Returns 0, or -1 with errno set (opendir failed or memory ran out; nothing
 * to free then). Free with ndr_dirlist_free.
 */
int ndr_dirlist(const char *path, char ***names, size_t *n);
void ndr_dirlist_free(char **names, size_t n);

#endif
