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

/*
 * A key space (status keys, reply codes) cut into intervals, with one row of
 * `fw` words per interval: the rules the interval admits by their status
 * (or reply) requirement (`words` words, to AND), then those it admits by
 * a mixed requirement (`words` words) and the packs it admits (`pack_words`
 * words), both to OR. Row 0 holds the keys below bounds[0].
 */
typedef struct ndr_keymap {
  uint32_t *bounds; /* sorted interval starts */
  size_t n;
  uint64_t *rows; /* (n + 1) * fw */
} ndr_keymap;

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
  uint64_t *text_any; /* rules that need no literal */
  char **node_desc;   /* per leaf node: how it reads, for evidence */
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
   * What the matcher reads per record. A rule is a candidate when its
   * status requirement admits the record's status, its reply requirement
   * the reply, its literal requirement (none, or a literal found) the text,
   * and its mixed requirement (`status 5.7.515 or text "..."`, which none
   * of the three can say alone) one of those. A pack whose `applies when`
   * cannot hold (by the same kinds of requirement) takes its rules out.
   * The indexes are fused so that a record costs one search per key and
   * one pass per literal found; a row has fw = 2 * words + pack_words
   * words: [literal requirement | mixed requirement | packs].
   */
  size_t pack_words, fw;
  uint64_t *fuse_base; /* fw: rules needing no literal | no mixed one | packs
                          needing nothing indexable */
  uint64_t *fuse_atom; /* n_hits * fw: what each literal found admits */
  ndr_keymap status_map, reply_map;
  /* per pack: the words of the rule sets that hold its rules, and masks */
  uint32_t *pack_cut_off, *pack_cut_n;
  uint32_t *pack_cut_word;
  uint64_t *pack_cut_mask;
};

/* Kinds of alternative in a requirement. */
enum { NDR_ALT_STATUS, NDR_ALT_REPLY, NDR_ALT_ATOM };

/* PCRE2 compile options for our regex flags. */
uint32_t ndr_pcre2_options(uint32_t rx_flags);

#endif

/* Render a condition tree as rule-language text (for dumps and explain). */
#include "common/buf.h"
void ndr_render_node(const ndr_ir *ir, uint32_t n, ndr_buf *b, int paren);
/* The row of a key map for one key. */
const uint64_t *ndr_keymap_row(const ndr_keymap *k, size_t fw, uint32_t key);
