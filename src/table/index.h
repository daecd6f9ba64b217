/*
 * index.h - the ready decision table: the IR plus what makes classification
 * fast (compiled regexes, the literal prefilter, status and reply indexes).
 *
 * A table is immutable once built and may be shared between threads; all
 * per-classification state lives in an ndr_matcher (match/matcher.c).
 *
 * Candidate selection for a record: the rules whose status requirement
 * covers the record's status AND whose reply requirement covers its reply
 * AND (that need no literal OR one of whose literals occurs in the text).
 * Each requirement is derived conservatively from the condition tree, so
 * the index never drops a rule that could match; the full condition is then
 * evaluated on the candidates only, in evaluation order.
 */
#ifndef NDR_INDEX_H
#define NDR_INDEX_H

#include <stdint.h>

#include <pcre2.h>

#include "table/ac.h"
#include "table/ir.h"

/* Intervals of a key space, each with the set of rules it admits. */
typedef struct ndr_keyindex {
  uint32_t *bounds; /* sorted interval starts; interval i = [bounds[i],
                       bounds[i+1]) */
  size_t n;         /* number of intervals */
  uint64_t *bits;   /* (n + 1) * words: row 0 = keys below bounds[0] */
} ndr_keyindex;

struct ndr_table {
  ndr_ir ir;
  size_t words; /* 64-bit words in a rule bitset */
  pcre2_code **re;
  uint32_t *re_atoms_off, *re_atoms_n; /* per regex: its atom ids */
  uint32_t *atom_list;
  uint32_t *node_atom; /* per node: atom id of a PHRASE on text, or NDR_NONE */
  ndr_ac *ac;
  size_t n_atoms, atom_words;
  uint64_t *text_any;   /* rules that need no literal */
  uint64_t *atom_rules; /* per atom: rules that one of whose literals it is */
  ndr_keyindex status, reply;
  char **node_desc; /* per leaf node: how it reads, for evidence */
  uint32_t *cat_of_rule;
  size_t provider_packs; /* packs of tier provider */
};

/* PCRE2 compile options for our regex flags. */
uint32_t ndr_pcre2_options(uint32_t rx_flags);

#endif

/* Render a condition tree as rule-language text (for dumps and explain). */
#include "common/buf.h"
void ndr_render_node(const ndr_ir *ir, uint32_t n, ndr_buf *b, int paren);
/* The rule set admitted by a key index for one key. */
const uint64_t *ndr_keyindex_lookup(const ndr_table *t, const ndr_keyindex *k,
                                    uint32_t key);
