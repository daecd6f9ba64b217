/*
 * parser.y - grammar of the rule-pack language (see docs/rule-language.md).
 *
 * Actions are thin: each calls one builder function of src/compile/build.c.
 * Semantic values point into the compiler's arena, which is freed in one step
 * with the AST, so error recovery cannot leak (no %destructor is needed: the
 * arena owns every value). Syntax errors are reported by
 * yyreport_syntax_error with what was expected; parsing then resynchronises
 * at the next '}' (the end of a rule, category or pack header), so one run
 * reports every error of a file.
 */

%define api.pure full
%define api.prefix {ndr_yy}
%define api.location.type {ndr_loc}
%define parse.error custom
%define parse.lac full
%locations
%param {void *scanner}
%parse-param {ndr_parse_ctx *ctx}

%code requires {
#include "compile/compiler.h"
}

%code provides {
int ndr_yylex(NDR_YYSTYPE *yylval, NDR_YYLTYPE *yylloc, void *scanner);
}

%code {
#include <stdio.h>
#include <string.h>
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                          \
  do {                                                                       \
    if (N) {                                                                 \
      (Cur).off = YYRHSLOC(Rhs, 1).off;                                      \
      (Cur).end = YYRHSLOC(Rhs, N).end;                                      \
    } else {                                                                 \
      (Cur).off = (Cur).end = YYRHSLOC(Rhs, 0).end;                          \
    }                                                                        \
  } while (0)
#define LOC(l) (l)
static void ndr_yyerror(NDR_YYLTYPE *l, void *scanner, ndr_parse_ctx *ctx,
                        const char *msg);
}

%union {
  ndr_tok tok;
  ast_cond *cond;
  ast_value *val;
}

%token <tok> IDENT "identifier" DOTTED "dotted identifier" STRING "string"
%token <tok> REGEX "regular expression" PATREF "pattern reference"
%token <tok> STATUSV "status code" NUMBER "number" WILD "reply code pattern"
%token WHEN "when" CATEGORY "category"
%token PACK "pack" INCLUDE "include" PATTERN "pattern"
%token RULE "rule" APPLIES "applies"
%token AND "and" OR "or" NOT "not" ANY "any" ALL "all" OF "of" IN "in"
%token IS "is" NONE "none"
%token TITLE "title" VERSION "version" TIER "tier" PRIORITY "priority"
%token FIXER "fixer" RETRY "retry" ADVICE "advice" MEANING "meaning"
%token SISIMAI "sisimai" WITH "with"
%token <tok> EXLINE "example:" CEXLINE "counterexample:"
%token <tok> EXBLOCK "example block" CEXBLOCK "counterexample block"
%token INVALID "invalid token"

%type <tok> strings ruleid
%type <cond> cond leaf cond_list
%type <val> value values textval

%left OR
%left AND
%precedence NOT

%%

file
  : %empty
  | file item
  ;

/*
 * Error recovery: after a syntax error, skip to the end of the enclosing
 * block ('}'), or to the next thing that starts a top-level item, whichever
 * comes first, so that an error in a pattern or include line does not
 * swallow the rule after it.
 */
item
  : top_item
  | error '}'                           { yyerrok; }
  | error top_item                      { yyerrok; }
  ;

top_item
  : pack_header
  | INCLUDE strings                     { ndr_c_include(ctx, $2); }
  | PATTERN IDENT '=' textval           { ndr_b_pattern(ctx, $2, $4, @$); }
  | category_decl
  | rule_decl
  ;

pack_header
  : PACK IDENT                          { ndr_loc l = {@1.off, @2.end}; ndr_b_pack_header(ctx, $2, l); }
    '{' pack_items '}'
  ;

pack_items
  : %empty
  | pack_items pack_item
  ;

pack_item
  : TITLE strings                       { ndr_b_pack_field(ctx, NDR_FLD_TITLE, $2, @$); }
  | VERSION strings                     { ndr_b_pack_field(ctx, NDR_FLD_VERSION, $2, @$); }
  | TIER IDENT                          { ndr_b_pack_field(ctx, NDR_FLD_TIER, $2, @$); }
  | PRIORITY NUMBER                     { ndr_b_pack_field(ctx, NDR_FLD_PRIORITY, $2, @$); }
  | PRIORITY '-' NUMBER                 { ndr_tok t = $3; t.span.off = @1.end; ndr_b_pack_field(ctx, NDR_FLD_PRIORITY, ndr_b_concat(ctx, (ndr_tok){"-", 1, t.span}, t), @$); }
  | APPLIES WHEN cond                   { ndr_b_pack_applies(ctx, $3, @$); }
  ;

category_decl
  : CATEGORY IDENT                      { ndr_loc l = {@1.off, @2.end}; ndr_b_category_begin(ctx, $2, l, YYRECOVERING()); }
    '{' cat_items '}'                   { ndr_b_category_end(ctx, @$); }
  ;

cat_items
  : %empty
  | cat_items cat_item
  ;

cat_item
  : MEANING strings                     { ndr_b_category_field(ctx, NDR_FLD_MEANING, $2, @$); }
  | FIXER IDENT                         { ndr_b_category_field(ctx, NDR_FLD_FIXER, $2, @$); }
  | RETRY IDENT                         { ndr_b_category_field(ctx, NDR_FLD_RETRY, $2, @$); }
  | ADVICE strings                      { ndr_b_category_field(ctx, NDR_FLD_ADVICE, $2, @$); }
  | SISIMAI strings                     { ndr_b_category_field(ctx, NDR_FLD_SISIMAI, $2, @$); }
  ;

rule_decl
  : RULE ruleid                         { ndr_loc l = {@1.off, @2.end}; ndr_b_rule_begin(ctx, $2, l); }
    '{' rule_items '}'                  { ndr_b_rule_end(ctx, @$); }
  ;

ruleid
  : IDENT
  | DOTTED
  ;

rule_items
  : %empty
  | rule_items rule_item
  ;

rule_item
  : WHEN cond                           { ndr_b_rule_when(ctx, $2); }
  | CATEGORY IDENT                      { ndr_b_rule_field(ctx, NDR_FLD_CATEGORY, $2, @$); }
  | FIXER IDENT                         { ndr_b_rule_field(ctx, NDR_FLD_FIXER, $2, @$); }
  | RETRY IDENT                         { ndr_b_rule_field(ctx, NDR_FLD_RETRY, $2, @$); }
  | ADVICE strings                      { ndr_b_rule_field(ctx, NDR_FLD_ADVICE, $2, @$); }
  | MEANING strings                     { ndr_b_rule_field(ctx, NDR_FLD_MEANING, $2, @$); }
  | SISIMAI strings                     { ndr_b_rule_field(ctx, NDR_FLD_SISIMAI, $2, @$); }
  | EXLINE                              { ndr_b_rule_example(ctx, $1, 0); }
  | CEXLINE                             { ndr_b_rule_example(ctx, $1, 1); }
  | EXBLOCK                             { ndr_b_rule_example(ctx, $1, 0); }
  | CEXBLOCK                            { ndr_b_rule_example(ctx, $1, 1); }
  | WITH settings
  ;

settings
  : setting
  | settings ',' setting
  ;

setting
  : IDENT value                         { ndr_b_example_with(ctx, $1, $2, @$); }
  ;

cond
  : cond OR cond                        { $$ = ndr_b_and(ctx, $1, $3, 1); }
  | cond AND cond                       { $$ = ndr_b_and(ctx, $1, $3, 0); }
  | NOT cond                            { $$ = ndr_b_not(ctx, $2, @$); }
  | '(' cond ')'                        { $$ = $2; }
  | ANY OF '(' cond_list ')'            { $$ = ndr_b_group(ctx, $4, 1, @$); }
  | ALL OF '(' cond_list ')'            { $$ = ndr_b_group(ctx, $4, 0, @$); }
  | leaf
  ;

cond_list
  : cond                                { $$ = ndr_b_list_add(ctx, NULL, $1); }
  | cond_list ',' cond                  { $$ = ndr_b_list_add(ctx, $1, $3); }
  ;

leaf
  : IDENT value                         { $$ = ndr_b_leaf(ctx, C_LEAF, $1, $2, @$); }
  | IDENT IS value                      { $$ = ndr_b_leaf(ctx, C_IS, $1, $3, @$); }
  | IDENT IN '(' values ')'             { $$ = ndr_b_leaf(ctx, C_IN, $1, $4, @$); }
  | IDENT NONE                          { $$ = ndr_b_leaf(ctx, C_NONE, $1, NULL, @$); }
  | PATREF                              { $$ = ndr_b_patref(ctx, $1); }
  ;

values
  : value                               { $$ = ndr_b_values_add(ctx, NULL, $1); }
  | values ',' value                    { $$ = ndr_b_values_add(ctx, $1, $3); }
  ;

value
  : textval
  | PATREF                              { $$ = ndr_b_value(ctx, V_PATREF, $1); }
  | STATUSV                             { $$ = ndr_b_value(ctx, V_STATUS, $1); }
  | STATUSV '-' STATUSV                 { $$ = ndr_b_range(ctx, V_STATUS, $1, $3); }
  | NUMBER                              { $$ = ndr_b_value(ctx, V_NUMBER, $1); }
  | NUMBER '-' NUMBER                   { $$ = ndr_b_range(ctx, V_NUMBER, $1, $3); }
  | WILD                                { $$ = ndr_b_value(ctx, V_WILD, $1); }
  | IDENT                               { $$ = ndr_b_value(ctx, V_IDENT, $1); }
  ;

textval
  : strings                             { $$ = ndr_b_value(ctx, V_STRING, $1); }
  | REGEX                               { $$ = ndr_b_value(ctx, V_REGEX, $1); }
  ;

strings
  : STRING
  | strings STRING                      { $$ = ndr_b_concat(ctx, $1, $2); }
  ;

%%

static void ndr_yyerror(NDR_YYLTYPE *l, void *scanner, ndr_parse_ctx *ctx,
                        const char *msg) {
  (void)scanner;
  ndr_c_diag(ctx->c, NDR_ERROR, ndr_c_span(ctx, *l), "syntax-error", "%s", msg);
}

/* What a person would call each token, for "expected ..." hints. */
static const char *tok_desc(yysymbol_kind_t k) {
  switch (k) {
  case YYSYMBOL_YYEOF: return "end of file";
  case YYSYMBOL_IDENT: return "a name";
  case YYSYMBOL_DOTTED: return "a dotted rule id";
  case YYSYMBOL_STRING: return "a quoted string";
  case YYSYMBOL_REGEX: return "a /regex/";
  case YYSYMBOL_PATREF: return "a $pattern";
  case YYSYMBOL_STATUSV: return "a status code";
  case YYSYMBOL_NUMBER: return "a number";
  case YYSYMBOL_WILD: return "a reply code pattern";
  default: return yysymbol_name(k);
  }
}

static int yyreport_syntax_error(const yypcontext_t *pc, void *scanner,
                                 ndr_parse_ctx *ctx) {
  (void)scanner;
  /* the rule or category being read is incomplete: check nothing more of it */
  if (ctx->cur_rule) ctx->cur_rule->bad = 1;
  if (ctx->cur_cat) ctx->cur_cat->bad = 1;
  yysymbol_kind_t got = yypcontext_token(pc);
  const NDR_YYLTYPE *l = yypcontext_location(pc);
  if (got == YYSYMBOL_INVALID && ctx->lex_error) {
    ndr_c_diag(ctx->c, NDR_ERROR, ndr_c_span(ctx, *l), "syntax-error", "%s",
               ctx->lex_error);
    return 0;
  }
  if (got == YYSYMBOL_YYEOF && (ctx->cur_rule || ctx->cur_cat)) {
    ndr_c_diag(ctx->c, NDR_ERROR, ndr_c_span(ctx, *l), "syntax-error",
               "unexpected end of file: %s '%s' is not closed with '}' (an "
               "'example:' line takes the whole rest of its line, '}' included)",
               ctx->cur_rule ? "rule" : "category",
               ctx->cur_rule ? ctx->cur_rule->id.s : ctx->cur_cat->id.s);
    return 0;
  }
  enum { MAXEXP = YYNTOKENS, SHOWN = 7 };
  yysymbol_kind_t exp[MAXEXP];
  int n = yypcontext_expected_tokens(pc, exp, MAXEXP);
  /* a closing brace is the most common fix: name it first */
  for (int i = 1; i < n; i++)
    if (strcmp(yysymbol_name(exp[i]), "'}'") == 0) {
      yysymbol_kind_t k = exp[i];
      memmove(exp + 1, exp, (size_t)i * sizeof *exp);
      exp[0] = k;
      break;
    }
  int more = n > SHOWN;
  if (more) n = SHOWN;
  char buf[512];
  size_t o = 0;
  buf[0] = '\0';
  if (n > 0) {
    o += (size_t)snprintf(buf + o, sizeof buf - o, "; expected ");
    for (int i = 0; i < n && o < sizeof buf; i++) {
      const char *sep = i == 0 ? "" : (i == n - 1 && !more ? " or " : ", ");
      o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", sep, tok_desc(exp[i]));
    }
    if (more && o < sizeof buf) snprintf(buf + o, sizeof buf - o, " or another");
  } else if (n == 0) {
    snprintf(buf, sizeof buf, "; nothing can follow here");
  } else {
    snprintf(buf, sizeof buf, "; too many possibilities to list");
  }
  const ndr_src *f = &ctx->c->files[ctx->file];
  size_t len = l->end > l->off ? l->end - l->off : 0;
  if (len > 40) len = 40;
  const char *what = got == YYSYMBOL_YYEOF ? "end of file" : ndr_c_printable(ctx->c, f->text + l->off, len);
  ndr_c_diag(ctx->c, NDR_ERROR, ndr_c_span(ctx, *l), "syntax-error",
             "unexpected %s%s%s%s", got == YYSYMBOL_YYEOF ? "" : "'", what,
             got == YYSYMBOL_YYEOF ? "" : "'", buf);
  return 0;
}
