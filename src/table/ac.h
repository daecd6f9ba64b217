/*
 * ac.h - an Aho-Corasick multi-pattern matcher that ignores ASCII case.
 *
 * Patterns are collected in an ndr_ac_builder and compiled once into an
 * ndr_ac: a deterministic automaton (every transition resolved, over byte
 * equivalence classes) whose states already carry every pattern that ends
 * there, so a scan does one table load per input byte and never follows a
 * failure link. Matching folds ASCII letters only; bytes >= 0x80 must be
 * equal.
 *
 * Contract:
 *  - An ndr_ac is immutable after ndr_ac_build: any number of threads may
 *    scan with the same one at the same time. The builder is not needed
 *    after the build and is never shared.
 *  - Pattern ids are dense, 0, 1, 2, ... in order of first addition; adding
 *    a pattern equal (after ASCII folding) to an earlier one returns the
 *    earlier id.
 *  - Every occurrence is seen, overlapping and nested ones included.
 *  - Memory: the transition table has a row of about (classes + 1) entries
 *    of 2 or 4 bytes per state; a build whose table would exceed
 * NDR_MAX_AC_BYTES fails like an allocation failure (NULL), so hostile pattern
 * sets cannot ask for unbounded memory.
 */
#ifndef NDR_AC_H
#define NDR_AC_H

#include <stddef.h>
#include <stdint.h>

typedef struct ndr_ac ndr_ac;
typedef struct ndr_ac_builder ndr_ac_builder;

ndr_ac_builder *ndr_ac_builder_new(void);
void ndr_ac_builder_free(ndr_ac_builder *b); /* NULL-safe */

/*
 * Add a pattern; returns its id (0,1,2,.. in order of first addition; adding
 * bytes equal after ASCII case folding returns the existing id), or -1 on out
 * of memory or len==0. The bytes are copied.
 */
int32_t ndr_ac_add(ndr_ac_builder *b, const char *pat, size_t len);

/*
 * Build the automaton (the builder may be freed afterwards). NULL on out of
 * memory (or when the table would exceed NDR_MAX_AC_BYTES). Works with zero
 * patterns (scan finds nothing).
 */
ndr_ac *ndr_ac_build(const ndr_ac_builder *b);
void ndr_ac_free(ndr_ac *ac); /* NULL-safe */

size_t ndr_ac_count(const ndr_ac *ac);  /* number of patterns */
size_t ndr_ac_memory(const ndr_ac *ac); /* bytes held */
/* Bytes per transition: 2 (the narrow table) or 4 (wide); 0 for NULL. */
int ndr_ac_entry_size(const ndr_ac *ac);

/*
 * For every pattern occurring anywhere in text, set bit id in hits (array of
 * (count+63)/64 uint64_t words that the caller zeroed; hits may be NULL when
 * only the count is wanted). Returns the number of occurrences seen (counting
 * repeats), saturating at SIZE_MAX.
 */
size_t ndr_ac_scan(const ndr_ac *ac, const char *text, size_t len,
                   uint64_t *hits);

#endif
