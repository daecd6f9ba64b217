/*
 * builtin_none.c - an empty built-in table, for the tools and tests that are
 * linked before the shipped packs have been compiled (ndrsift-tablegen itself).
 */
#include <stddef.h>

const unsigned char ndr_builtin_table[1] = {0};
const size_t ndr_builtin_table_len = 0;
