/*
 * build.c - the grammar actions' side: builds the AST from tokens, and drives
 * the parser over one file.
 *
 * Every builder allocates from the compiler's arena and reports problems
 * that are visible at parse time (a field given twice, a pack header in the
 * wrong place) as diagnostics; everything else is left to check.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/limits.h"
#include "compile/compiler.h"
#include "parser.h"

typedef void *yyscan_t;
int ndr_yylex_init_extra(ndr_parse_ctx *extra, yyscan_t *scanner);
int ndr_yylex_destroy(yyscan_t scanner);
struct yy_buffer_state *ndr_yy_scan_bytes(const char *bytes, int len,
                                          yyscan_t scanner);
int ndr_yyparse(void *scanner, ndr_parse_ctx *ctx);

ndr_span ndr_c_span(const ndr_parse_ctx *p, ndr_loc l) {
  ndr_span s = {p->file, l.off, l.end > l.off ? l.end - l.off : 1};
  return s;
}

static void *alloc(ndr_parse_ctx *p, size_t n) {
  return ndr_arena_alloc(&p->c->arena, n);
}

/* ------------------------------------------------------------ conditions */

static ndr_span join(ndr_span a, ndr_span b) {
  ndr_span s = a;
  if (b.off + b.len > a.off + a.len) s.len = b.off + b.len - a.off;
  return s;
}

ast_cond *ndr_b_and(ndr_parse_ctx *p, ast_cond *a, ast_cond *b, int is_or) {
  if (!a || !b) return a ? a : b;
  ast_ckind k = is_or ? C_OR : C_AND;
  /* flatten a chain of the same operator: a and b and c -> AND(a,b,c) */
  if (a->kind == k && a->span.len && a->n_kids >= 2 && !a->field.s) {
    ast_cond **kids = ndr_arena_grow(&p->c->arena, a->kids, a->n_kids,
                                     a->n_kids + 1, sizeof *kids);
    if (!kids) return a;
    kids[a->n_kids++] = b;
    a->kids = kids;
    a->span = join(a->span, b->span);
    return a;
  }
  ast_cond *c = alloc(p, sizeof *c);
  if (!c) return a;
  c->kind = k;
  c->kids = alloc(p, 2 * sizeof *c->kids);
  if (!c->kids) return a;
  c->kids[0] = a;
  c->kids[1] = b;
  c->n_kids = 2;
  c->span = join(a->span, b->span);
  return c;
}

ast_cond *ndr_b_not(ndr_parse_ctx *p, ast_cond *a, ndr_loc l) {
  if (!a) return NULL;
  ast_cond *c = alloc(p, sizeof *c);
  if (!c) return a;
  c->kind = C_NOT;
  c->kids = alloc(p, sizeof *c->kids);
  if (!c->kids) return a;
  c->kids[0] = a;
  c->n_kids = 1;
  c->span = ndr_c_span(p, l);
  return c;
}

/* A list under construction is an AND node with field.s marking "list". */
ast_cond *ndr_b_list_add(ndr_parse_ctx *p, ast_cond *list, ast_cond *item) {
  if (!item) return list;
  if (!list) {
    list = alloc(p, sizeof *list);
    if (!list) return NULL;
    list->kind = C_AND;
    list->field.s = (char *)"list";
    list->span = item->span;
  }
  ast_cond **kids = ndr_arena_grow(&p->c->arena, list->kids, list->n_kids,
                                   list->n_kids + 1, sizeof *kids);
  if (!kids) return list;
  kids[list->n_kids++] = item;
  list->kids = kids;
  list->span = join(list->span, item->span);
  return list;
}

ast_cond *ndr_b_group(ndr_parse_ctx *p, ast_cond *list, int is_or, ndr_loc l) {
  if (!list) return NULL;
  list->kind = is_or ? C_OR : C_AND;
  list->field.s = NULL;
  list->span = ndr_c_span(p, l);
  if (list->n_kids == 1) return list->kids[0];
  return list;
}

ast_cond *ndr_b_leaf(ndr_parse_ctx *p, ast_ckind kind, ndr_tok field,
                     ast_value *values, ndr_loc l) {
  ast_cond *c = alloc(p, sizeof *c);
  if (!c) return NULL;
  c->kind = kind;
  c->field = field;
  c->span = ndr_c_span(p, l);
  if (values) {
    /* a single value has hi == 0; a list keeps its count there until now */
    c->n_values = values[0].hi ? values[0].hi : 1;
    c->values = values;
    values[0].hi = 0;
  }
  return c;
}

ast_cond *ndr_b_patref(ndr_parse_ctx *p, ndr_tok ref) {
  ast_cond *c = alloc(p, sizeof *c);
  if (!c) return NULL;
  c->kind = C_PATREF;
  c->span = ref.span;
  c->values = alloc(p, sizeof *c->values);
  if (!c->values) return NULL;
  c->values[0].kind = V_PATREF;
  c->values[0].tok = ref;
  c->values[0].span = ref.span;
  c->n_values = 1;
  return c;
}

static void check_length(ndr_parse_ctx *p, ndr_tok t) {
  if (t.len > NDR_MAX_STRING_BYTES)
    ndr_c_diag(p->c, NDR_ERROR, t.span, "string-too-long",
               "this text is %zu bytes long; the limit is %u", t.len,
               NDR_MAX_STRING_BYTES);
}

ast_value *ndr_b_value(ndr_parse_ctx *p, ast_vkind kind, ndr_tok t) {
  check_length(p, t);
  ast_value *v = alloc(p, sizeof *v);
  if (!v) return NULL;
  v->kind = kind;
  v->tok = t;
  v->span = t.span;
  if (kind == V_REGEX && t.s) v->flags = t.s + t.len + 1;
  return v;
}

ast_value *ndr_b_range(ndr_parse_ctx *p, ast_vkind kind, ndr_tok a, ndr_tok b) {
  ast_value *v = ndr_b_value(p, kind, a);
  if (!v) return NULL;
  v->tok2 = b;
  v->has_range = 1;
  v->span =
      (ndr_span){a.span.file, a.span.off, b.span.off + b.span.len - a.span.off};
  return v;
}

/*
 * Values of an `in (...)` list are kept in one arena vector; while the list
 * is being built, element 0's `hi` holds the count (reset by ndr_b_leaf).
 */
ast_value *ndr_b_values_add(ndr_parse_ctx *p, ast_value *list, ast_value *v) {
  if (!v) return list;
  size_t n = list ? (list[0].hi ? list[0].hi : 1) : 0;
  ast_value *nl = ndr_arena_grow(&p->c->arena, list, n, n + 1, sizeof *nl);
  if (!nl) return list;
  nl[n] = *v;
  nl[0].hi = (uint32_t)(n + 1);
  if (n == 0) nl[0].hi = 1;
  return nl;
}

ndr_tok ndr_b_concat(ndr_parse_ctx *p, ndr_tok a, ndr_tok b) {
  ndr_tok t = a;
  char *s = ndr_arena_alloc(&p->c->arena, a.len + b.len + 1);
  if (!s) return a;
  memcpy(s, a.s, a.len);
  memcpy(s + a.len, b.s, b.len);
  s[a.len + b.len] = '\0';
  t.s = s;
  t.len = a.len + b.len;
  t.span = join(a.span, b.span);
  return t;
}

/* ------------------------------------------------------------- the pack */

static void item_seen(ndr_parse_ctx *p) {
  if (p->pack) p->pack->n_items++;
}

void ndr_b_pack_header(ndr_parse_ctx *p, ndr_tok id, ndr_loc l) {
  ndr_span sp = ndr_c_span(p, l);
  p->header_ignored = 1; /* until it is accepted below */
  if (!p->top_level) {
    ndr_c_diag(p->c, NDR_ERROR, sp, "pack-header-in-include",
               "an included file cannot declare a pack; its rules belong to "
               "the including file's pack");
    return;
  }
  ast_pack *k = p->pack;
  if (k->explicit_header) {
    ndr_c_diag(p->c, NDR_ERROR, sp, "duplicate-pack-header",
               "a file holds one pack header at most; this one is ignored");
    return;
  }
  if (k->n_items) {
    ndr_c_diag(p->c, NDR_ERROR, sp, "misplaced-pack-header",
               "the pack header must come before the first rule, category "
               "or pattern of the file");
    return;
  }
  k->explicit_header = 1;
  k->id = id;
  k->span = sp;
  p->header_ignored = 0;
}

void ndr_b_pack_field(ndr_parse_ctx *p, int which, ndr_tok v, ndr_loc l) {
  ast_pack *k = p->pack;
  if (!p->top_level || !k || p->header_ignored) return;
  int *has = NULL;
  ndr_tok *dst = NULL;
  switch (which) {
  case NDR_FLD_TITLE:
    has = &k->has_title;
    dst = &k->title;
    break;
  case NDR_FLD_VERSION:
    has = &k->has_version;
    dst = &k->version;
    break;
  case NDR_FLD_TIER:
    has = &k->has_tier;
    dst = &k->tier_tok;
    break;
  case NDR_FLD_PRIORITY: {
    if (k->has_priority) goto dup;
    k->has_priority = 1;
    k->priority_span = v.span;
    char *end = NULL;
    long pr = strtol(v.s, &end, 10);
    if (!end || *end || pr < -1000000 || pr > 1000000) {
      ndr_c_diag(
          p->c, NDR_ERROR, v.span, "bad-priority",
          "priority must be a whole number between -1000000 and 1000000");
      pr = 0;
    }
    k->priority = pr;
    return;
  }
  default:
    return;
  }
  if (*has) goto dup;
  *has = 1;
  *dst = v;
  return;
dup:
  ndr_c_diag(p->c, NDR_ERROR, ndr_c_span(p, l), "duplicate-field",
             "this pack header field is already set");
}

void ndr_b_pack_applies(ndr_parse_ctx *p, ast_cond *c, ndr_loc l) {
  ast_pack *k = p->pack;
  if (!p->top_level || !k || !c || p->header_ignored) return;
  if (k->applies) {
    k->applies = ndr_b_and(p, k->applies, c, 0);
    return;
  }
  k->applies = c;
  (void)l;
}

void ndr_b_pattern(ndr_parse_ctx *p, ndr_tok name, ast_value *v, ndr_loc l) {
  item_seen(p);
  if (!v) return;
  ast_pattern *pt = alloc(p, sizeof *pt);
  if (!pt) return;
  pt->name = name;
  pt->span = ndr_c_span(p, l);
  pt->value = *v;
  *p->c->patterns_tail = pt;
  p->c->patterns_tail = &pt->next;
}

/* ------------------------------------------------------------ categories */

/*
 * While the parser recovers from a syntax error inside a rule, a rule line
 * `category X` looks like the start of a category block; such a category is
 * marked bad until its block really completes.
 */
void ndr_b_category_begin(ndr_parse_ctx *p, ndr_tok id, ndr_loc l,
                          int recovering) {
  item_seen(p);
  ast_category *c = alloc(p, sizeof *c);
  p->cur_cat = c;
  if (!c) return;
  c->id = id;
  c->span = ndr_c_span(p, l);
  c->bad = recovering;
  c->pack = p->pack;
  if (p->pack) p->pack->n_categories++;
  *p->c->categories_tail = c;
  p->c->categories_tail = &c->next;
}

void ndr_b_category_field(ndr_parse_ctx *p, int which, ndr_tok v, ndr_loc l) {
  ast_category *c = p->cur_cat;
  if (!c) return;
  int *has;
  ndr_tok *dst;
  switch (which) {
  case NDR_FLD_MEANING:
    has = &c->has_meaning;
    dst = &c->meaning;
    break;
  case NDR_FLD_FIXER:
    has = &c->has_fixer;
    dst = &c->fixer;
    break;
  case NDR_FLD_RETRY:
    has = &c->has_retry;
    dst = &c->retry;
    break;
  case NDR_FLD_ADVICE:
    has = &c->has_advice;
    dst = &c->advice;
    break;
  case NDR_FLD_SISIMAI:
    has = &c->has_sisimai;
    dst = &c->sisimai;
    break;
  default:
    return;
  }
  if (*has) {
    ndr_c_diag(p->c, NDR_ERROR, ndr_c_span(p, l), "duplicate-field",
               "this category field is already set");
    return;
  }
  *has = 1;
  *dst = v;
}

void ndr_b_category_end(ndr_parse_ctx *p, ndr_loc l) {
  if (p->cur_cat) {
    p->cur_cat->span = ndr_c_span(p, l);
    p->cur_cat->bad = 0;
  }
  p->cur_cat = NULL;
}

/* ----------------------------------------------------------------- rules */

void ndr_b_rule_begin(ndr_parse_ctx *p, ndr_tok id, ndr_loc l) {
  item_seen(p);
  ast_rule *r = alloc(p, sizeof *r);
  p->cur_rule = r;
  if (!r) return;
  r->id = id;
  r->span = ndr_c_span(p, l);
  r->pack = p->pack;
  if (p->pack) r->order = p->pack->n_rules++;
  *p->c->rules_tail = r;
  p->c->rules_tail = &r->next;
}

void ndr_b_rule_when(ndr_parse_ctx *p, ast_cond *c) {
  ast_rule *r = p->cur_rule;
  if (!r || !c) return;
  ast_cond **w = ndr_arena_grow(&p->c->arena, r->whens, r->n_whens,
                                r->n_whens + 1, sizeof *w);
  if (!w) return;
  w[r->n_whens++] = c;
  r->whens = w;
}

void ndr_b_rule_field(ndr_parse_ctx *p, int which, ndr_tok v, ndr_loc l) {
  ast_rule *r = p->cur_rule;
  if (!r) return;
  int *has;
  ndr_tok *dst;
  switch (which) {
  case NDR_FLD_CATEGORY:
    has = &r->has_category;
    dst = &r->category;
    break;
  case NDR_FLD_FIXER:
    has = &r->has_fixer;
    dst = &r->fixer;
    break;
  case NDR_FLD_RETRY:
    has = &r->has_retry;
    dst = &r->retry;
    break;
  case NDR_FLD_ADVICE:
    has = &r->has_advice;
    dst = &r->advice;
    break;
  case NDR_FLD_SISIMAI:
    has = &r->has_sisimai;
    dst = &r->sisimai;
    break;
  case NDR_FLD_MEANING:
    has = &r->has_meaning;
    dst = &r->meaning;
    break;
  default:
    return;
  }
  if (*has) {
    ndr_c_diag(p->c, NDR_ERROR, ndr_c_span(p, l), "duplicate-field",
               "this rule field is already set");
    return;
  }
  *has = 1;
  *dst = v;
}

void ndr_b_rule_example(ndr_parse_ctx *p, ndr_tok text, int counter) {
  ast_rule *r = p->cur_rule;
  if (!r) return;
  if (r->n_examples == r->cap_examples) {
    size_t cap = r->cap_examples ? r->cap_examples * 2 : 4;
    ast_example *e = ndr_arena_grow(&p->c->arena, r->examples, r->n_examples,
                                    cap, sizeof *e);
    if (!e) return;
    r->examples = e;
    r->cap_examples = cap;
  }
  check_length(p, text);
  ast_example *e = &r->examples[r->n_examples++];
  e->text = text.s;
  e->len = text.len;
  e->span = text.span;
  e->counter = counter;
  e->settings = NULL;
  e->n_settings = e->cap_settings = 0;
  if (text.len == 0)
    ndr_c_diag(p->c, NDR_WARNING, text.span, "empty-example",
               "this example has no text");
}

void ndr_b_example_with(ndr_parse_ctx *p, ndr_tok field, ast_value *v,
                        ndr_loc l) {
  ast_rule *r = p->cur_rule;
  if (!r || !v) return;
  if (r->n_examples == 0) {
    ndr_c_diag(p->c, NDR_ERROR, ndr_c_span(p, l), "with-without-example",
               "'with' sets a field of the example just before it, and this "
               "rule has no example yet");
    return;
  }
  ast_example *e = &r->examples[r->n_examples - 1];
  if (e->n_settings == e->cap_settings) {
    size_t cap = e->cap_settings ? e->cap_settings * 2 : 2;
    ast_setting *s = ndr_arena_grow(&p->c->arena, e->settings, e->n_settings,
                                    cap, sizeof *s);
    if (!s) return;
    e->settings = s;
    e->cap_settings = cap;
  }
  ast_setting *s = &e->settings[e->n_settings++];
  memset(s, 0, sizeof *s);
  s->field = field;
  s->value = v;
  s->span = ndr_c_span(p, l);
  s->field_id = -1;
}

void ndr_b_rule_end(ndr_parse_ctx *p, ndr_loc l) {
  if (p->cur_rule) p->cur_rule->span = ndr_c_span(p, l);
  p->cur_rule = NULL;
}

/* ---------------------------------------------------------------- driver */

void ndr_c_parse_file(ndr_compiler *c, uint32_t file, ast_pack *pack,
                      unsigned depth) {
  ndr_parse_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.c = c;
  ctx.file = file;
  ctx.pack = pack;
  ctx.top_level = depth == 0;
  ctx.depth = depth;
  yyscan_t sc;
  if (ndr_yylex_init_extra(&ctx, &sc) != 0) {
    c->sink.errors++;
    return;
  }
  ctx.scanner = sc;
  ndr_src *f = &c->files[file];
  if (f->len <= (size_t)INT32_MAX - 2) {
    ndr_yy_scan_bytes(f->text, (int)f->len, sc);
    ndr_yyparse(sc, &ctx);
  }
  ndr_yylex_destroy(sc);
}
