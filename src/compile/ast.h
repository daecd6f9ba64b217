/*
 * ast.h - the abstract syntax tree of rule packs.
 *
 * The parser builds it (through the thin functions of build.c), the checker
 * (check.c) annotates it, the lowerer (lower.c) turns it into the IR. Every
 * node keeps the byte span it came from, so a diagnostic can point at it.
 * All AST memory lives in the compiler's arena.
 */
#ifndef NDR_AST_H
#define NDR_AST_H

#include <stddef.h>
#include <stdint.h>

#include "ndrsift.h"

/* A place in a source file: file index into the compiler's file table. */
typedef struct ndr_span {
  uint32_t file;
  uint32_t off;
  uint32_t len;
} ndr_span;

/* A token's text and place, as the lexer hands it to the parser. */
typedef struct ndr_tok {
  char *s; /* NUL-terminated, arena-owned (unescaped for strings) */
  size_t len;
  ndr_span span;
} ndr_tok;

/* Values that can follow a field name in a condition. */
typedef enum ast_vkind {
  V_STRING, /* "phrase" */
  V_REGEX,  /* /re/flags: s = pattern source, flags = flag letters */
  V_PATREF, /* $name */
  V_STATUS, /* 5.7.1 or 5.7.900-5.7.999 (s, s2 = raw texts) */
  V_NUMBER, /* 550 or 550-554 */
  V_WILD,   /* 5xx, 55x */
  V_IDENT,  /* bounce, gmail */
} ast_vkind;

typedef struct ast_value {
  ast_vkind kind;
  ndr_tok tok;  /* first (or only) token */
  ndr_tok tok2; /* range end, when has_range */
  int has_range;
  char *flags;   /* regex flags */
  ndr_span span; /* the whole value */
  /* filled by the checker */
  uint32_t lo, hi;             /* status keys or reply codes */
  struct ast_pattern *pattern; /* resolved $name */
  uint32_t rx_flags;
} ast_value;

typedef enum ast_ckind {
  C_AND,
  C_OR,
  C_NOT,
  C_LEAF,   /* FIELD value */
  C_IS,     /* FIELD is value */
  C_IN,     /* FIELD in (values) */
  C_NONE,   /* FIELD none */
  C_PATREF, /* $name alone: text matches pattern */
} ast_ckind;

typedef struct ast_cond {
  ast_ckind kind;
  ndr_span span;
  struct ast_cond **kids; /* AND/OR/NOT */
  size_t n_kids;
  ndr_tok field;     /* leaf field name */
  ast_value *values; /* leaf values (1 unless C_IN) */
  size_t n_values;
  int field_id; /* filled by the checker: enum ndr_field or a pseudo */
} ast_cond;

/* Pseudo fields that are not string fields of a record. */
enum {
  AST_F_STATUS = 100,
  AST_F_REPLY,
  AST_F_KIND,
  AST_F_PROVIDER,
};

/* `with FIELD VALUE` after an example: a record field the example sets. */
typedef struct ast_setting {
  ndr_tok field;
  ast_value *value;
  ndr_span span;
  int field_id; /* filled by the checker: enum ndr_field or AST_F_KIND */
  int kind;     /* for AST_F_KIND: enum ndr_kind */
} ast_setting;

typedef struct ast_example {
  char *text;
  size_t len;
  ndr_span span;
  int counter;
  ast_setting *settings;
  size_t n_settings, cap_settings;
} ast_example;

typedef struct ast_pack ast_pack;

typedef struct ast_rule {
  ndr_tok id;
  ndr_span span;
  ast_pack *pack;
  unsigned order; /* position in its pack */
  ast_cond **whens;
  size_t n_whens;
  ndr_tok category;
  int has_category;
  ndr_tok fixer, retry, advice, meaning, sisimai;
  int has_fixer, has_retry, has_advice, has_meaning, has_sisimai;
  ast_example *examples;
  size_t n_examples, cap_examples;
  struct ast_rule *next; /* next rule in global parse order */
  /* filled by check/lower */
  uint32_t category_index;
  uint32_t ir_index;
  int bad;      /* a syntax error cut it short: only its id is checked */
  int shadowed; /* a structural shadowing warning was given */
} ast_rule;

typedef struct ast_category {
  ndr_tok id;
  ndr_span span;
  ast_pack *pack;
  ndr_tok meaning, fixer, retry, advice, sisimai;
  int has_meaning, has_fixer, has_retry, has_advice, has_sisimai;
  struct ast_category *next;
  uint32_t ir_index;
  int bad; /* a syntax error cut it short */
} ast_category;

typedef struct ast_pattern {
  ndr_tok name;
  ndr_span span;
  ast_value value; /* V_STRING or V_REGEX */
  uint32_t uses;
  struct ast_pattern *next;
} ast_pattern;

struct ast_pack {
  ndr_tok id;
  ndr_span span;
  int explicit_header;
  ndr_tok title, version, tier_tok;
  int has_title, has_version, has_tier, has_priority;
  ndr_tier tier;
  long priority;
  ndr_span priority_span;
  ast_cond *applies;
  unsigned load_order;
  unsigned n_rules, n_categories, n_items;
  ast_pack *next;
  uint32_t ir_index;
};

#endif
