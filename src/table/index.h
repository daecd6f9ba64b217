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
  uint8_t *node_exact; /* per node: the PHRASE is its whole atom (not cut) */
  ndr_ac *ac;
  size_t n_atoms, atom_words;
  uint64_t *text_any;   /* rules that need no literal */
  uint64_t *atom_rules; /* per atom: rules that one of whose literals it is */
  ndr_keyindex status, reply;
  char **node_desc; /* per leaf node: how it reads, for evidence */
  uint32_t *cat_of_rule;
  size_t provider_packs; /* packs of tier provider */
  /*
   * Literal ids n_atoms .. n_atoms + NDR_F_COUNT_ - 1 are pseudo-literals
   * "field F is not empty": a phrase, or a regex that cannot match the empty
   * string, on another field than the text needs its field to hold
   * something, so such conditions are indexed as well.
   */
  size_t n_hits;
  uint32_t *re_minlen; /* per regex: PCRE2's minimum match length */
  uint8_t *re_jit;     /* per regex: compiled by the JIT */
  /*
   * A regex tested on the text whose top-level alternatives have literals
   * of their own is also compiled branch by branch (ndr_regex_branches):
   * the matcher runs only the branches one of whose literals was found (and
   * those without any), and takes the leftmost match, as the whole regex
   * would.
   */
  uint32_t *re_br_off, *re_br_n; /* per regex: its branches; n 0: unsplit */
  pcre2_code **br_re;            /* per branch */
  uint8_t *br_jit;
  uint32_t *br_atoms_off, *br_atoms_n; /* per branch: its literals, in
                                          atom_list; n 0: always run */
  size_t n_br;
  /*
   * A big `or` of phrases (a pack's applies, a list of wordings) would test
   * its phrases one by one; instead, per such node, the set of their
   * literals: when none was found in the text, every one of those phrases
   * is false at once and only the other children (or_rest) are evaluated;
   * when one was, the `or` holds (unless evidence is wanted: then its
   * children are evaluated in order, so that the first true one is shown).
   */
  uint32_t *or_mask;  /* per node: index of its mask, or NDR_NONE */
  uint64_t *or_masks; /* atom_words per mask */
  uint32_t *or_rest_off, *or_rest_n; /* per mask: the other children, */
  uint32_t *or_rest;                 /* in order */
  uint8_t *by_mask; /* per node: a phrase decided by its literal alone */
  /*
   * A fourth requirement mixes kinds: `status 5.7.515 or text "..."` needs
   * the status OR the literal, which none of the three indexes above can
   * say. mixed_none holds the rules without such a requirement; the others
   * are admitted through mixed_status, mixed_reply or mixed_atom.
   */
  uint64_t *mixed_none;
  ndr_keyindex mixed_status, mixed_reply;
  uint64_t *mixed_atom; /* n_hits * words */
  /* per pack: what its `applies when` needs, and the rules it holds */
  struct ndr_pack_req *pack_req;
  uint64_t *pack_rules; /* n_packs * words */
};

/* Alternatives one of which a pack's `applies when` needs. */
enum { NDR_ALT_STATUS, NDR_ALT_REPLY, NDR_ALT_ATOM };
typedef struct ndr_pack_req {
  int gated; /* 0: nothing indexable (always evaluate the condition) */
  uint64_t *atom_mask; /* the literal alternatives, as a set of literal ids */
  uint8_t *ty;
  uint32_t *lo, *hi;
  size_t n;
} ndr_pack_req;

/* PCRE2 compile options for our regex flags. */
uint32_t ndr_pcre2_options(uint32_t rx_flags);

#endif

/* Render a condition tree as rule-language text (for dumps and explain). */
#include "common/buf.h"
void ndr_render_node(const ndr_ir *ir, uint32_t n, ndr_buf *b, int paren);
/* The rule set admitted by a key index for one key. */
const uint64_t *ndr_keyindex_lookup(const ndr_table *t, const ndr_keyindex *k,
                                    uint32_t key);
