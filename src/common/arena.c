/*
 * arena.c - bump allocator (see arena.h).
 */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ndr_arena_block {
  ndr_arena_block *next;
  size_t size, used;
  max_align_t data[];
};

void ndr_arena_init(ndr_arena *a) {
  a->head = NULL;
  a->used = 0;
}

void ndr_arena_free(ndr_arena *a) {
  ndr_arena_block *b = a->head;
  while (b) {
    ndr_arena_block *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
  a->used = 0;
}

void *ndr_arena_alloc(ndr_arena *a, size_t size) {
  const size_t align = sizeof(max_align_t);
  if (size > SIZE_MAX / 2) return NULL;
  size = (size + align - 1) & ~(align - 1);
  if (size == 0) size = align;
  ndr_arena_block *b = a->head;
  if (!b || b->size - b->used < size) {
    size_t bs = 64 * 1024;
    if (size > bs / 4) bs = size; /* big objects get a block of their own */
    b = malloc(sizeof(*b) + bs);
    if (!b) return NULL;
    b->size = bs;
    b->used = 0;
    if (a->head && size == bs) { /* keep the current block for small objects */
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  void *p = (char *)b->data + b->used;
  b->used += size;
  a->used += size;
  memset(p, 0, size);
  return p;
}

char *ndr_arena_strndup(ndr_arena *a, const char *s, size_t len) {
  char *p = ndr_arena_alloc(a, len + 1);
  if (!p) return NULL;
  if (len) memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

void *ndr_arena_grow(ndr_arena *a, void *old, size_t old_n, size_t new_n,
                     size_t elem) {
  if (new_n && elem > SIZE_MAX / new_n) return NULL;
  void *p = ndr_arena_alloc(a, new_n * elem);
  if (p && old && old_n) memcpy(p, old, old_n * elem);
  return p;
}
