/*
 * seed_table.c - writes table files for the fuzz_table seed corpus:
 * what `ndrsift compile --no-default-rules -o OUT PATH...` does, without
 * needing the ndrsift binary (whose build also compiles the shipped packs
 * and fails while they have warnings). Not instrumented; not installed.
 *
 * usage: ndr-seed-table OUT.ndrt PATH...
 * Exit: 0 written, 1 the packs do not build, 2 usage or I/O error.
 */
#include <stdio.h>

#include "ndrsift.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs("usage: ndr-seed-table OUT.ndrt PATH...\n", stderr);
    return 2;
  }
  ndr_compiler *c = ndr_compiler_new();
  if (!c) return 2;
  for (int i = 2; i < argc; i++)
    if (ndr_compiler_add_path(c, argv[i]) != NDR_OK) return 2;
  ndr_table *t = NULL;
  if (ndr_compiler_build(c, &t) != NDR_OK) return 1;
  ndr_status st = ndr_table_save(t, argv[1]);
  ndr_table_free(t);
  ndr_compiler_free(c);
  return st == NDR_OK ? 0 : 2;
}
