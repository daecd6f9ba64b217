/*
 * ir.h - the decision table's portable form (what a .ndrt file stores).
 *
 * The IR is a handful of flat arrays of fixed-size records plus one string
 * blob; every reference is an index or a byte offset, never a pointer, so it
 * can be written to disk as is and validated on load. The compiler lowers the
 * checked AST into an ndr_ir; the loader reads one back from a file; the
 * indexer (index.c) turns an ndr_ir into a ready ndr_table.
 *
 * Invariants (checked by ndr_ir_validate for anything loaded from outside):
 *  - every string reference is an offset of a NUL-terminated string inside
 *    `strings` (offset 0 is always the empty string "");
 *  - node children have smaller indices than their parent (so the graph is
 *    acyclic and a single forward pass can evaluate or validate it);
 *  - AND/OR nodes reference kids[a .. a+b-1];
 *  - rules are in evaluation order; every index is in range.
 */
#ifndef NDR_IR_H
#define NDR_IR_H

#include <stddef.h>
#include <stdint.h>

#include "ndrsift.h"

#define NDR_NONE UINT32_MAX

/* Condition node operators. Values are part of the file format. */
enum ndr_op {
  NDR_OP_TRUE = 0,   /* always true */
  NDR_OP_AND = 1,    /* a = first kid index, b = count */
  NDR_OP_OR = 2,     /* a = first kid index, b = count */
  NDR_OP_NOT = 3,    /* a = child node */
  NDR_OP_STATUS = 4, /* a = lo key, b = hi key (see ndr_status_key); 0 = none */
  NDR_OP_REPLY = 5,  /* a = lo, b = hi (200..599); 0..0 = no reply code */
  NDR_OP_PHRASE = 6, /* field; a = string (case-insensitive substring) */
  NDR_OP_REGEX = 7,  /* field; a = regex index */
  NDR_OP_EQUALS = 8, /* field; a = string (case-insensitive equality) */
  NDR_OP_KIND = 9,   /* a = bit mask of ndr_kind */
  NDR_OP_PROVIDER = 10, /* a = string: attributed provider's pack id */
  NDR_OP_COUNT_
};

/* Enhanced status "c.s.d" as one sortable key: c*1000000 + s*1000 + d. */
#define NDR_STATUS_KEY(c, s, d)                                                \
  ((uint32_t)(c)*1000000u + (uint32_t)(s)*1000u + (uint32_t)(d))

typedef struct ndr_ir_node {
  uint8_t op;    /* enum ndr_op */
  uint8_t field; /* enum ndr_field, for PHRASE/REGEX/EQUALS */
  uint16_t src_col;
  uint32_t a, b;
  uint32_t src_line; /* where the condition was written (0 if unknown) */
} ndr_ir_node;

/* Regex flags (file format). */
enum {
  NDR_RX_CASELESS = 1u << 0,  /* i */
  NDR_RX_MULTILINE = 1u << 1, /* m */
  NDR_RX_DOTALL = 1u << 2,    /* s */
  NDR_RX_EXTENDED = 1u << 3,  /* x */
};

typedef struct ndr_ir_regex {
  uint32_t pattern; /* string */
  uint32_t flags;
} ndr_ir_regex;

enum ndr_fixer {
  NDR_FIXER_SENDER = 0,
  NDR_FIXER_SENDER_ADMIN,
  NDR_FIXER_RECIPIENT,
  NDR_FIXER_RECIPIENT_ADMIN,
  NDR_FIXER_PROVIDER,
  NDR_FIXER_UNKNOWN,
  NDR_FIXER_COUNT_
};

enum ndr_retry {
  NDR_RETRY_NO = 0,
  NDR_RETRY_LATER,
  NDR_RETRY_AFTER_FIX,
  NDR_RETRY_COUNT_
};

typedef struct ndr_ir_pack {
  uint32_t id, title, version, file; /* strings */
  uint32_t tier;                     /* ndr_tier */
  int32_t priority;
  uint32_t applies; /* root node, or NDR_NONE for "every record" */
  uint32_t line;
} ndr_ir_pack;

typedef struct ndr_ir_category {
  uint32_t id, meaning, advice, sisimai, file; /* strings */
  uint32_t fixer, retry;
  uint32_t line;
} ndr_ir_category;

typedef struct ndr_ir_rule {
  uint32_t id, file; /* strings */
  uint32_t line;
  uint32_t pack;         /* pack index */
  uint32_t category;     /* category index */
  uint32_t fixer, retry; /* NDR_NONE = category default */
  uint32_t advice;       /* string, 0 = category default */
  uint32_t meaning;      /* string, 0 = category default */
  uint32_t cond;         /* root node, or NDR_NONE for "always" */
  uint32_t sisimai;      /* string, 0 = the category's Sisimai reason */
} ndr_ir_rule;

typedef struct ndr_ir {
  char *strings;
  size_t strings_len, strings_cap;
  ndr_ir_node *nodes;
  size_t n_nodes, cap_nodes;
  uint32_t *kids;
  size_t n_kids, cap_kids;
  ndr_ir_regex *regexes;
  size_t n_regexes, cap_regexes;
  ndr_ir_pack *packs;
  size_t n_packs, cap_packs;
  ndr_ir_category *categories;
  size_t n_categories, cap_categories;
  ndr_ir_rule *rules;
  size_t n_rules, cap_rules;
  /* Private to ir.c: the intern index over `strings`, built lazily (so an IR
   * read from a file interns correctly too) and freed by ndr_ir_release. */
  void *intern;
} ndr_ir;

void ndr_ir_init(ndr_ir *ir);
void ndr_ir_release(ndr_ir *ir);

/* Intern a string; returns its offset, or NDR_NONE on allocation failure. */
uint32_t ndr_ir_string(ndr_ir *ir, const char *s, size_t len);
static inline const char *ndr_ir_str(const ndr_ir *ir, uint32_t off) {
  return ir->strings + off;
}

/* Append helpers; each returns the new index or NDR_NONE on allocation failure.
 */
uint32_t ndr_ir_add_node(ndr_ir *ir, const ndr_ir_node *n);
uint32_t ndr_ir_add_kids(ndr_ir *ir, const uint32_t *kids, size_t n);
uint32_t ndr_ir_add_regex(ndr_ir *ir, uint32_t pattern, uint32_t flags);
uint32_t ndr_ir_add_pack(ndr_ir *ir, const ndr_ir_pack *p);
uint32_t ndr_ir_add_category(ndr_ir *ir, const ndr_ir_category *c);
uint32_t ndr_ir_add_rule(ndr_ir *ir, const ndr_ir_rule *r);

/*
 * Copy the node tree rooted at `root` of `src` into `dst` (strings and
 * regexes re-interned); returns the new root or NDR_NONE.
 */
uint32_t ndr_ir_copy_tree(ndr_ir *dst, const ndr_ir *src, uint32_t root);

/*
 * Check every invariant listed at the top of this file. Returns NULL when
 * the IR is sound, else a static description of the first violation.
 */
const char *ndr_ir_validate(const ndr_ir *ir);

/* File format (tablefile.c). */
#define NDR_TABLE_MAGIC "NDRT\r\n\x1a\n"
#define NDR_TABLE_FORMAT_VERSION 1u

ndr_status ndr_ir_serialize(const ndr_ir *ir, unsigned char **buf, size_t *len);
/*
 * Parse and validate; on failure *err names what was wrong. *out is
 * overwritten (pass an uninitialised or released IR), shares nothing with
 * buf, and is left empty on failure, so releasing it is always safe.
 */
ndr_status ndr_ir_deserialize(const unsigned char *buf, size_t len, ndr_ir *out,
                              const char **err);

/* For tests: recompute and store the checksum of a serialized table in
 * place, so a test can damage the body and still reach the later checks. */
void ndr_ir_test_fix_checksum(unsigned char *buf, size_t len);

const char *ndr_fixer_name(uint32_t f);
const char *ndr_retry_name(uint32_t r);
/* Parse names; return NDR_NONE when unknown. */
uint32_t ndr_fixer_parse(const char *s);
uint32_t ndr_retry_parse(const char *s);

#endif
