/*
 * arena.h - a bump allocator for data that lives and dies together (the AST
 * of one compilation). Everything allocated from an arena is released by one
 * ndr_arena_free; nothing is freed individually, so parser error recovery
 * cannot leak.
 */
#ifndef NDR_ARENA_H
#define NDR_ARENA_H

#include <stddef.h>

typedef struct ndr_arena_block ndr_arena_block;
typedef struct ndr_arena {
  ndr_arena_block *head;
  size_t used; /* bytes handed out, for statistics */
} ndr_arena;

void ndr_arena_init(ndr_arena *a);
void ndr_arena_free(ndr_arena *a);
/* Zeroed memory, aligned for any type; NULL when out of memory. */
void *ndr_arena_alloc(ndr_arena *a, size_t size);
/* A NUL-terminated copy of s[0..len). */
char *ndr_arena_strndup(ndr_arena *a, const char *s, size_t len);
/* Grow a vector held in the arena: returns the new storage (old copied). */
void *ndr_arena_grow(ndr_arena *a, void *old, size_t old_n, size_t new_n,
                     size_t elem);

#endif
