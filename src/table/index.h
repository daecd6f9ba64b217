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

/* Intervals of a key space, each with the set of items (rules or packs) it
   admits. */
typedef struct ndr_keyindex {
  uint32_t *bounds; /* sorted interval starts; interval i = [bounds[i],
                       bounds[i+1]) */
  size_t n;         /* number of intervals */
  size_t words;     /* 64-bit words in an item set */
  uint64_t *bits;   /* (n + 1) * words: row 0 = keys below bounds[0] */
} ndr_keyindex;

/*
 * Items each admitted by one of several alternatives of mixed kinds (a
 * status range, a reply range, a literal): an item is admitted when it has
 * no such requirement (none), or its status or reply index row, or the row
 * of a literal found, holds it.
 */
typedef struct ndr_mixindex {
  size_t words; /* 64-bit words in an item set */
  uint64_t *none;
  ndr_keyindex status, reply;
  uint64_t *atom; /* n_hits * words */
} ndr_mixindex;

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
  uint32_t *node_desc_len;
  uint32_t *node_str_len; /* per PHRASE or EQUALS node: length of its string */
  /*
   * The verdict's `why` starts with the same words for every record a rule
   * decides: "Meaning (rule ID matched ", the meaning capitalised. Built
   * once here, so that a classification copies them instead of assembling
   * them piece by piece.
   */
  char **rule_why;
  uint32_t *rule_why_len;
  uint32_t unknown_cat; /* the table's own `unknown` category, or NDR_NONE */
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
   * say; the rules are admitted through `mixed`.
   */
  ndr_mixindex mixed;
  /*
   * Packs: what each one's `applies when` needs, in the same form (a pack
   * with nothing indexable is in pack_gate.none); a pack it does not admit
   * cannot apply, and takes its rules (pack_rules) out of the candidates.
   */
  ndr_mixindex pack_gate;
  uint64_t *pack_rules; /* n_packs * words */
};

/* Kinds of alternative in a requirement. */
enum { NDR_ALT_STATUS, NDR_ALT_REPLY, NDR_ALT_ATOM };

/* PCRE2 compile options for our regex flags. */
uint32_t ndr_pcre2_options(uint32_t rx_flags);

#endif

/* Render a condition tree as rule-language text (for dumps and explain). */
#include "common/buf.h"
void ndr_render_node(const ndr_ir *ir, uint32_t n, ndr_buf *b, int paren);
/* The item set admitted by a key index for one key. */
const uint64_t *ndr_keyindex_lookup(const ndr_keyindex *k, uint32_t key);
