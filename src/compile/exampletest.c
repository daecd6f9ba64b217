/*
 * exampletest.c - runs the examples written in rules against a built table
 * (ndrsift test), and finds rules whose every example an earlier rule takes
 * (a lint warning).
 *
 * Each example is classified as a record of kind `line` (or the kind its
 * `with` says) by the whole table, so an example that an earlier rule
 * steals fails at the example's own line and names the thief.
 */
#include <stdlib.h>
#include <string.h>

#include "compile/compiler.h"
#include "match/matcher.h"
#include "table/index.h"

typedef struct ex_run {
  ndr_compiler *c;
  const ndr_table *t;
  ndr_matcher *m;
  ndr_record *rec;
} ex_run;

/* Classify one example; returns the deciding rule index or NDR_NONE. Its
   record is a line record of its text, with the fields its `with` settings
   give (those the checker accepted). */
static uint32_t run_one(ex_run *x, const ast_example *e) {
  ndr_record_set_line(x->rec, e->text, e->len);
  for (size_t i = 0; i < e->n_settings; i++) {
    const ast_setting *st = &e->settings[i];
    if (st->field_id == AST_F_KIND)
      ndr_record_set_kind(x->rec, (ndr_kind)st->kind);
    else if (st->field_id >= 0 && st->field_id < NDR_F_COUNT_)
      ndr_record_set(x->rec, (ndr_field)st->field_id, st->value->tok.s,
                     st->value->tok.len);
  }
  ndr_verdict v;
  if (ndr_classify(x->m, x->rec, &v) != NDR_OK) return NDR_NONE;
  return ndr_matcher_last_rule(x->m);
}

static int ex_open(ex_run *x, ndr_compiler *c, const ndr_table *t) {
  x->c = c;
  x->t = t;
  x->rec = ndr_record_new();
  if (!x->rec || ndr_matcher_new(t, &x->m) != NDR_OK) {
    ndr_record_free(x->rec);
    return -1;
  }
  return 0;
}

static void ex_close(ex_run *x) {
  ndr_matcher_free(x->m);
  ndr_record_free(x->rec);
}

static unsigned line_of(ndr_compiler *c, ndr_span sp) {
  unsigned line, col;
  size_t ls, ll;
  const ndr_src *f = &c->files[sp.file];
  ndr_locate(f->text, f->len, sp.off, &line, &col, &ls, &ll);
  return line;
}

ndr_status ndr_compiler_test(ndr_compiler *c, const ndr_table *t,
                             ndr_example_fn fn, void *user, unsigned *passed,
                             unsigned *failed) {
  if (!c || !t) return NDR_ERR_ARG;
  unsigned np = 0, nf = 0;
  ex_run x;
  if (ex_open(&x, c, t) < 0) return NDR_ERR_NOMEM;
  const ndr_ir *ir = ndr_table_ir(t);
  for (size_t i = 0; i < c->n_rule_order; i++) {
    ast_rule *r = c->rule_order[i];
    for (size_t k = 0; k < r->n_examples; k++) {
      const ast_example *e = &r->examples[k];
      uint32_t got = run_one(&x, e);
      int ok = e->counter ? got != r->ir_index : got == r->ir_index;
      ndr_example_result res = {0};
      res.file = c->files[e->span.file].path;
      unsigned col;
      size_t ls, ll;
      ndr_locate(c->files[e->span.file].text, c->files[e->span.file].len,
                 e->span.off, &res.line, &col, &ls, &ll);
      res.col = col;
      res.rule_id = r->id.s;
      res.counter = e->counter;
      res.passed = ok;
      res.text = e->text;
      if (got != NDR_NONE) {
        res.got_rule = ndr_ir_str(ir, ir->rules[got].id);
        res.got_file = ndr_ir_str(ir, ir->rules[got].file);
        res.got_line = ir->rules[got].line;
      }
      if (ok) {
        np++;
      } else {
        nf++;
        const char *txt =
            ndr_c_printable(c, e->text, e->len > 80 ? 80 : e->len);
        if (e->counter)
          ndr_c_diag(c, NDR_ERROR, e->span, "counterexample-matched",
                     "counterexample is classified by rule '%s' itself: %s%s",
                     r->id.s, txt, e->len > 80 ? "..." : "");
        else if (got == NDR_NONE)
          ndr_c_diag(c, NDR_ERROR, e->span, "example-unmatched",
                     "example of rule '%s' is not classified by any rule: %s%s",
                     r->id.s, txt, e->len > 80 ? "..." : "");
        else
          ndr_c_diag(c, NDR_ERROR, e->span, "example-stolen",
                     "example of rule '%s' is classified by %s rule '%s' "
                     "(%s:%u): %s%s",
                     r->id.s, got < r->ir_index ? "earlier" : "later",
                     res.got_rule, res.got_file, res.got_line, txt,
                     e->len > 80 ? "..." : "");
      }
      if (fn) fn(user, &res);
    }
  }
  ex_close(&x);
  ndr_c_flush(c);
  if (passed) *passed = np;
  if (failed) *failed = nf;
  (void)line_of;
  return NDR_OK;
}

/* Lint: a rule all of whose examples an earlier rule takes can never win. */
void ndr_c_example_shadow(ndr_compiler *c, const ndr_table *t);
void ndr_c_example_shadow(ndr_compiler *c, const ndr_table *t) {
  ex_run x;
  if (ex_open(&x, c, t) < 0) return;
  const ndr_ir *ir = ndr_table_ir(t);
  for (size_t i = 0; i < c->n_rule_order; i++) {
    ast_rule *r = c->rule_order[i];
    size_t positives = 0, stolen = 0;
    uint32_t thief = NDR_NONE;
    for (size_t k = 0; k < r->n_examples; k++) {
      const ast_example *e = &r->examples[k];
      if (e->counter) continue;
      positives++;
      uint32_t got = run_one(&x, e);
      if (got != NDR_NONE && got < r->ir_index) {
        stolen++;
        thief = got;
      }
    }
    if (positives && stolen == positives && !r->shadowed) {
      if (positives == 1)
        ndr_c_diag(c, NDR_WARNING, r->id.span, "shadowed-rule",
                   "rule '%s' never wins on its own example: earlier rule "
                   "'%s' (%s:%u) takes it",
                   r->id.s, ndr_ir_str(ir, ir->rules[thief].id),
                   ndr_ir_str(ir, ir->rules[thief].file),
                   ir->rules[thief].line);
      else
        ndr_c_diag(c, NDR_WARNING, r->id.span, "shadowed-rule",
                   "rule '%s' never wins on its own examples: earlier rules "
                   "such as '%s' (%s:%u) take all %zu of them",
                   r->id.s, ndr_ir_str(ir, ir->rules[thief].id),
                   ndr_ir_str(ir, ir->rules[thief].file), ir->rules[thief].line,
                   positives);
    }
  }
  ex_close(&x);
}
