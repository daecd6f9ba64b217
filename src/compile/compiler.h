/*
 * compiler.h - internals of the rule-pack compiler shared by its modules:
 * the compiler state (files, AST lists, diagnostics), the parse context the
 * grammar actions receive, and the builder functions those actions call.
 *
 * Stages: build.c (parser actions -> AST), compiler.c (files, includes,
 * public API), check.c (semantic checks), lower.c (AST -> IR), shadow.c
 * (rules that can never win), exampletest.c (ndrsift test).
 */
#ifndef NDR_COMPILER_H
#define NDR_COMPILER_H

#include "common/arena.h"
#include "common/diag.h"
#include "compile/ast.h"
#include "ndrsift.h"
#include "table/ir.h"

typedef struct ndr_src {
  char *path; /* as given (for diagnostics) */
  char *real; /* realpath, for read-once */
  char *text;
  size_t len;
  unsigned errors;       /* errors reported in this file */
  struct ast_pack *pack; /* the pack the file was read into */
  int capped;            /* the error cap was reached */
} ndr_src;

/* A diagnostic held back so that a run reports in file and line order. */
typedef struct ndr_pending {
  ndr_diag d;
  unsigned fseq, gline, gcol; /* sort key: its group's file, line, column */
  size_t seq;
} ndr_pending;

struct ndr_compiler {
  ndr_arena arena;
  ndr_diag_sink sink; /* fn buffers into pending; user_fn gets them sorted */
  ndr_diag_fn user_fn;
  void *user;
  ndr_pending *pending;
  size_t n_pending, cap_pending;
  ndr_src *files;
  size_t n_files, cap_files;
  ast_pack *packs, **packs_tail;
  ast_rule *rules, **rules_tail;
  ast_category *categories, **categories_tail;
  ast_pattern *patterns, **patterns_tail;
  unsigned n_packs;
  const ndr_table *base;
  int checked; /* check() ran */
  int check_status;
  /* the example texts of rules, lowered: filled by lower.c */
  ast_rule **rule_order; /* AST rules in evaluation order */
  size_t n_rule_order;
};

/* What the grammar actions see. */
typedef struct ndr_parse_ctx {
  ndr_compiler *c;
  uint32_t file;
  ast_pack *pack; /* the pack items go to */
  int top_level;  /* 0 for an included file */
  unsigned depth; /* include depth */
  void *scanner;
  /* lexer state */
  size_t pos;
  char heredoc_tag[64];
  int heredoc_counter;
  size_t heredoc_start;
  size_t heredoc_indent_from; /* offset of first content line */
  char *lex_error;            /* message for an INVALID token */
  ast_rule *cur_rule;         /* the rule being built */
  ast_category *cur_cat;      /* the category being built */
  int header_ignored;         /* the pack header being read was rejected */
} ndr_parse_ctx;

/* Location type of the grammar: byte offsets into the current file. */
typedef struct ndr_loc {
  uint32_t off, end;
} ndr_loc;

/* diagnostics at a span */
void ndr_c_diag(ndr_compiler *c, ndr_level lvl, ndr_span sp, const char *code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* a printable copy of untrusted text for messages (arena-owned) */
const char *ndr_c_printable(ndr_compiler *c, const char *s, size_t len);
ndr_span ndr_c_span(const ndr_parse_ctx *p, ndr_loc l);

/* parse one file's text into the AST (grammar driver in build.c) */
void ndr_c_parse_file(ndr_compiler *c, uint32_t file, ast_pack *pack,
                      unsigned depth);
/* handle `include "path"` from the current file */
void ndr_c_include(ndr_parse_ctx *p, ndr_tok path);
/* load a file into the table; returns its index or UINT32_MAX */
uint32_t ndr_c_load_file(ndr_compiler *c, const char *path, ndr_span from,
                         int *already);
ast_pack *ndr_c_new_pack(ndr_compiler *c, uint32_t file);

/* builder functions called from grammar actions */
ast_cond *ndr_b_and(ndr_parse_ctx *p, ast_cond *a, ast_cond *b, int is_or);
ast_cond *ndr_b_not(ndr_parse_ctx *p, ast_cond *a, ndr_loc l);
ast_cond *ndr_b_group(ndr_parse_ctx *p, ast_cond *list, int is_or, ndr_loc l);
ast_cond *ndr_b_list_add(ndr_parse_ctx *p, ast_cond *list, ast_cond *item);
ast_cond *ndr_b_leaf(ndr_parse_ctx *p, ast_ckind kind, ndr_tok field,
                     ast_value *values, ndr_loc l);
ast_cond *ndr_b_patref(ndr_parse_ctx *p, ndr_tok ref);
/* `with FIELD VALUE` after an example: sets a field of the last one. */
void ndr_b_example_with(ndr_parse_ctx *p, ndr_tok field, ast_value *v,
                        ndr_loc l);
ast_value *ndr_b_value(ndr_parse_ctx *p, ast_vkind kind, ndr_tok t);
ast_value *ndr_b_range(ndr_parse_ctx *p, ast_vkind kind, ndr_tok a, ndr_tok b);
ast_value *ndr_b_values_add(ndr_parse_ctx *p, ast_value *list, ast_value *v);
ndr_tok ndr_b_concat(ndr_parse_ctx *p, ndr_tok a, ndr_tok b);

void ndr_b_pack_header(ndr_parse_ctx *p, ndr_tok id, ndr_loc l);
void ndr_b_pack_field(ndr_parse_ctx *p, int which, ndr_tok v, ndr_loc l);
void ndr_b_pack_applies(ndr_parse_ctx *p, ast_cond *c, ndr_loc l);
void ndr_b_pattern(ndr_parse_ctx *p, ndr_tok name, ast_value *v, ndr_loc l);

void ndr_b_category_begin(ndr_parse_ctx *p, ndr_tok id, ndr_loc l,
                          int recovering);
void ndr_b_category_field(ndr_parse_ctx *p, int which, ndr_tok v, ndr_loc l);
void ndr_b_category_end(ndr_parse_ctx *p, ndr_loc l);

void ndr_b_rule_begin(ndr_parse_ctx *p, ndr_tok id, ndr_loc l);
void ndr_b_rule_when(ndr_parse_ctx *p, ast_cond *c);
void ndr_b_rule_field(ndr_parse_ctx *p, int which, ndr_tok v, ndr_loc l);
void ndr_b_rule_example(ndr_parse_ctx *p, ndr_tok text, int counter);
void ndr_b_rule_end(ndr_parse_ctx *p, ndr_loc l);

/* `which` values for the *_field builders */
enum {
  NDR_FLD_TITLE,
  NDR_FLD_VERSION,
  NDR_FLD_TIER,
  NDR_FLD_PRIORITY,
  NDR_FLD_MEANING,
  NDR_FLD_FIXER,
  NDR_FLD_RETRY,
  NDR_FLD_ADVICE,
  NDR_FLD_SISIMAI,
  NDR_FLD_CATEGORY,
};

/* deliver buffered diagnostics to the caller, sorted by place */
void ndr_c_flush(ndr_compiler *c);

/* check.c */
ndr_status ndr_c_check(ndr_compiler *c);
/* lower.c: AST (+ base table) -> IR; fills rule_order and ir_index */
ndr_status ndr_c_lower(ndr_compiler *c, ndr_ir *ir);
/* shadow.c: structural shadowing warnings (on the lowered IR) */
void ndr_c_shadow(ndr_compiler *c, const ndr_ir *ir);

/* index.c: IR -> table (takes ownership of *ir on success) */
ndr_status ndr_table_from_ir(ndr_ir *ir, ndr_table **out, const char **err);
const ndr_ir *ndr_table_ir(const ndr_table *t);

#endif
