/*
 * test_tablefile.c - the IR (interning, append, copy, validate) and the
 * .ndrt file format: round trip, byte-identical re-serialization, and a
 * loader that fails cleanly on every kind of damage.
 *
 * The layout constants below restate the format on purpose: if the writer
 * drifts from the documented layout, these tests notice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "table/ir.h"
#include "unit.h"

enum { HDR = 40, ENTRY = 32 };
enum { S_STRINGS = 1, S_NODES, S_KIDS, S_REGEXES, S_PACKS, S_CATS, S_RULES };

/* ------------------------------------------------------------- helpers */

static uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p) {
  return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void wr64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Offset of the directory entry of a section type (each appears once). */
static size_t dir_at(const unsigned char *buf, uint32_t type) {
  uint32_t n = rd32(buf + 32);
  for (uint32_t i = 0; i < n; i++)
    if (rd32(buf + HDR + i * ENTRY) == type) return HDR + (size_t)i * ENTRY;
  return 0;
}
#define dir_entry(buf, type) ((buf) + dir_at((buf), (type)))

static const unsigned char *section(const unsigned char *buf, uint32_t type) {
  return buf + rd64(dir_entry(buf, type) + 8);
}

static unsigned char *dup_buf(const unsigned char *b, size_t n) {
  unsigned char *c = malloc(n ? n : 1);
  if (c && n) memcpy(c, b, n);
  return c;
}

static ndr_status load(const unsigned char *b, size_t n, const char **err) {
  ndr_ir ir;
  ndr_status st = ndr_ir_deserialize(b, n, &ir, err);
  ndr_ir_release(&ir);
  return st;
}

/* Load a damaged copy and expect a given status and message. */
#define EXPECT_FAIL(b, n, want_st, want_msg)                                   \
  do {                                                                         \
    const char *e_ = NULL;                                                     \
    CHECK_INT(load((b), (n), &e_), (want_st));                                 \
    CHECK_STR(e_, (want_msg));                                                 \
  } while (0)

static uint32_t S(ndr_ir *ir, const char *s) {
  return ndr_ir_string(ir, s, strlen(s));
}

static uint32_t node(ndr_ir *ir, unsigned op, unsigned field, uint32_t a,
                     uint32_t b) {
  ndr_ir_node n = {(uint8_t)op, (uint8_t)field, 7, a, b, 42};
  return ndr_ir_add_node(ir, &n);
}

/* 2 packs, 3 categories, 4 rules, every node operator. */
static void build_sample(ndr_ir *ir) {
  ndr_ir_init(ir);
  uint32_t rx = ndr_ir_add_regex(ir, S(ir, "quota\\s+exceeded"),
                                 NDR_RX_CASELESS | NDR_RX_EXTENDED);
  uint32_t n0 = node(ir, NDR_OP_STATUS, 0, NDR_STATUS_KEY(5, 7, 1),
                     NDR_STATUS_KEY(5, 7, 1));
  uint32_t n1 = node(ir, NDR_OP_REPLY, 0, 550, 554);
  uint32_t n2 = node(ir, NDR_OP_PHRASE, NDR_F_TEXT, S(ir, "mailbox full"), 0);
  uint32_t n3 = node(ir, NDR_OP_REGEX, NDR_F_TEXT, rx, 0);
  uint32_t n4 = node(ir, NDR_OP_EQUALS, NDR_F_EVENT, S(ir, "FAIL"), 0);
  uint32_t n5 =
      node(ir, NDR_OP_KIND, 0, 1u << NDR_KIND_BOUNCE | 1u << NDR_KIND_TRACE, 0);
  uint32_t n6 = node(ir, NDR_OP_PROVIDER, 0, S(ir, "gmail"), 0);
  uint32_t k7[] = {n2, n3};
  uint32_t n7 = node(ir, NDR_OP_OR, 0, ndr_ir_add_kids(ir, k7, 2), 2);
  uint32_t n8 = node(ir, NDR_OP_NOT, 0, n4, 0);
  uint32_t k9[] = {n0, n1, n7};
  uint32_t n9 = node(ir, NDR_OP_AND, 0, ndr_ir_add_kids(ir, k9, 3), 3);
  uint32_t k10[] = {n5, n8, n6};
  uint32_t n10 = node(ir, NDR_OP_AND, 0, ndr_ir_add_kids(ir, k10, 3), 3);
  node(ir, NDR_OP_TRUE, 0, 0, 0);
  node(ir, NDR_OP_STATUS, 0, 0, 0);

  ndr_ir_pack p0 = {S(ir, "site"), S(ir, "Site rules"),
                    S(ir, "1.0"),  S(ir, "site.rules"),
                    NDR_TIER_SITE, 10,
                    NDR_NONE,      1};
  ndr_ir_pack p1 = {S(ir, "gmail"),
                    S(ir, "Gmail"),
                    S(ir, "2"),
                    S(ir, "gmail.rules"),
                    NDR_TIER_PROVIDER,
                    -5,
                    n6,
                    3};
  ndr_ir_add_pack(ir, &p0);
  ndr_ir_add_pack(ir, &p1);

  ndr_ir_category c0 = {S(ir, "mailbox_full"), S(ir, "the mailbox is full"),
                        S(ir, "wait"),         S(ir, "mailboxfull"),
                        S(ir, "cat.rules"),    NDR_FIXER_RECIPIENT,
                        NDR_RETRY_LATER,       10};
  ndr_ir_category c1 = {S(ir, "policy"),     S(ir, "blocked by policy"),
                        S(ir, "fix dns"),    S(ir, "policyviolation"),
                        S(ir, "cat.rules"),  NDR_FIXER_SENDER_ADMIN,
                        NDR_RETRY_AFTER_FIX, 20};
  ndr_ir_category c2 = {
      S(ir, "unknown"), 0, 0, 0, S(ir, "cat.rules"), NDR_FIXER_UNKNOWN,
      NDR_RETRY_NO,     30};
  ndr_ir_add_category(ir, &c0);
  ndr_ir_add_category(ir, &c1);
  ndr_ir_add_category(ir, &c2);

  ndr_ir_rule r0 = {S(ir, "site.policy"),
                    S(ir, "site.rules"),
                    5,
                    0,
                    1,
                    NDR_NONE,
                    NDR_NONE,
                    0,
                    0,
                    n9,
                    0};
  ndr_ir_rule r1 = {S(ir, "site.full"),
                    S(ir, "site.rules"),
                    9,
                    0,
                    0,
                    NDR_FIXER_PROVIDER,
                    NDR_RETRY_NO,
                    S(ir, "call them"),
                    S(ir, "special"),
                    n10,
                    S(ir, "filtered")};
  ndr_ir_rule r2 = {S(ir, "gmail.quota"),
                    S(ir, "gmail.rules"),
                    7,
                    1,
                    0,
                    NDR_NONE,
                    NDR_RETRY_LATER,
                    0,
                    0,
                    n3,
                    0};
  ndr_ir_rule r3 = {S(ir, "gmail.other"),
                    S(ir, "gmail.rules"),
                    12,
                    1,
                    2,
                    NDR_NONE,
                    NDR_NONE,
                    0,
                    0,
                    NDR_NONE,
                    0};
  ndr_ir_add_rule(ir, &r0);
  ndr_ir_add_rule(ir, &r1);
  ndr_ir_add_rule(ir, &r2);
  ndr_ir_add_rule(ir, &r3);
}

static void compare_ir(const ndr_ir *a, const ndr_ir *b) {
  CHECK_INT(b->strings_len, a->strings_len);
  CHECK(a->strings_len == b->strings_len &&
        memcmp(a->strings, b->strings, a->strings_len) == 0);
  CHECK_INT(b->n_nodes, a->n_nodes);
  for (size_t i = 0; i < a->n_nodes && i < b->n_nodes; i++) {
    const ndr_ir_node *x = &a->nodes[i], *y = &b->nodes[i];
    CHECK_INT(y->op, x->op);
    CHECK_INT(y->field, x->field);
    CHECK_INT(y->src_col, x->src_col);
    CHECK_INT(y->a, x->a);
    CHECK_INT(y->b, x->b);
    CHECK_INT(y->src_line, x->src_line);
  }
  CHECK_INT(b->n_kids, a->n_kids);
  for (size_t i = 0; i < a->n_kids && i < b->n_kids; i++)
    CHECK_INT(b->kids[i], a->kids[i]);
  CHECK_INT(b->n_regexes, a->n_regexes);
  for (size_t i = 0; i < a->n_regexes && i < b->n_regexes; i++) {
    CHECK_INT(b->regexes[i].pattern, a->regexes[i].pattern);
    CHECK_INT(b->regexes[i].flags, a->regexes[i].flags);
  }
  CHECK_INT(b->n_packs, a->n_packs);
  for (size_t i = 0; i < a->n_packs && i < b->n_packs; i++) {
    const ndr_ir_pack *x = &a->packs[i], *y = &b->packs[i];
    CHECK_INT(y->id, x->id);
    CHECK_INT(y->title, x->title);
    CHECK_INT(y->version, x->version);
    CHECK_INT(y->file, x->file);
    CHECK_INT(y->tier, x->tier);
    CHECK_INT(y->priority, x->priority);
    CHECK_INT(y->applies, x->applies);
    CHECK_INT(y->line, x->line);
  }
  CHECK_INT(b->n_categories, a->n_categories);
  for (size_t i = 0; i < a->n_categories && i < b->n_categories; i++) {
    const ndr_ir_category *x = &a->categories[i], *y = &b->categories[i];
    CHECK_INT(y->id, x->id);
    CHECK_INT(y->meaning, x->meaning);
    CHECK_INT(y->advice, x->advice);
    CHECK_INT(y->sisimai, x->sisimai);
    CHECK_INT(y->file, x->file);
    CHECK_INT(y->fixer, x->fixer);
    CHECK_INT(y->retry, x->retry);
    CHECK_INT(y->line, x->line);
  }
  CHECK_INT(b->n_rules, a->n_rules);
  for (size_t i = 0; i < a->n_rules && i < b->n_rules; i++) {
    const ndr_ir_rule *x = &a->rules[i], *y = &b->rules[i];
    CHECK_INT(y->id, x->id);
    CHECK_INT(y->file, x->file);
    CHECK_INT(y->line, x->line);
    CHECK_INT(y->pack, x->pack);
    CHECK_INT(y->category, x->category);
    CHECK_INT(y->fixer, x->fixer);
    CHECK_INT(y->retry, x->retry);
    CHECK_INT(y->advice, x->advice);
    CHECK_INT(y->meaning, x->meaning);
    CHECK_INT(y->cond, x->cond);
    CHECK_INT(y->sisimai, x->sisimai);
  }
}

/* -------------------------------------------------------------- tests */

static void test_names(void) {
  const char *fx[] = {"sender",          "sender_admin", "recipient",
                      "recipient_admin", "provider",     "unknown"};
  for (uint32_t i = 0; i < NDR_FIXER_COUNT_; i++) {
    CHECK_STR(ndr_fixer_name(i), fx[i]);
    CHECK_INT(ndr_fixer_parse(fx[i]), i);
  }
  const char *rt[] = {"no", "later", "after_fix"};
  for (uint32_t i = 0; i < NDR_RETRY_COUNT_; i++) {
    CHECK_STR(ndr_retry_name(i), rt[i]);
    CHECK_INT(ndr_retry_parse(rt[i]), i);
  }
  CHECK(ndr_fixer_name(NDR_FIXER_COUNT_) == NULL);
  CHECK(ndr_retry_name(NDR_NONE) == NULL);
  CHECK_INT(ndr_fixer_parse("Sender"), NDR_NONE);
  CHECK_INT(ndr_fixer_parse(NULL), NDR_NONE);
  CHECK_INT(ndr_retry_parse("after-fix"), NDR_NONE);
}

static void test_intern(void) {
  ndr_ir ir;
  ndr_ir_init(&ir);
  CHECK_INT(ir.strings_len, 1);
  CHECK_STR(ndr_ir_str(&ir, 0), "");
  CHECK_INT(ndr_ir_string(&ir, "", 0), 0);
  CHECK_INT(ndr_ir_string(&ir, NULL, 0), 0);
  CHECK_INT(ndr_ir_string(&ir, NULL, 3), NDR_NONE);
  CHECK_INT(ndr_ir_string(&ir, "\0abc", 4), 0);
  uint32_t abc = ndr_ir_string(&ir, "abc", 3);
  CHECK_INT(abc, 1);
  CHECK_INT(ndr_ir_string(&ir, "abcdef", 3), abc);   /* only len bytes count */
  CHECK_INT(ndr_ir_string(&ir, "abc\0def", 7), abc); /* stops at the NUL */
  uint32_t ab = ndr_ir_string(&ir, "ab", 2);
  CHECK(ab != abc && ab != NDR_NONE);
  CHECK_STR(ndr_ir_str(&ir, ab), "ab");
  size_t before = ir.strings_len;
  /* A source inside the blob itself, appended while the blob grows. */
  for (int i = 0; i < 200; i++) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "pad-%d-padding-padding", i);
    ndr_ir_string(&ir, tmp, (size_t)n);
  }
  uint32_t bc = ndr_ir_string(&ir, ndr_ir_str(&ir, abc) + 1, 2);
  CHECK(bc != NDR_NONE && bc >= before);
  CHECK_STR(ndr_ir_str(&ir, bc), "bc");

  /* Many strings: rehashing keeps every offset. */
  enum { N = 20000 };
  static uint32_t offs[N];
  int ok = 1;
  for (int i = 0; i < N; i++) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "s%d", i);
    offs[i] = ndr_ir_string(&ir, tmp, (size_t)n);
    if (offs[i] == NDR_NONE) ok = 0;
  }
  for (int i = 0; i < N; i++) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "s%d", i);
    if (ndr_ir_string(&ir, tmp, (size_t)n) != offs[i]) ok = 0;
    if (strcmp(ndr_ir_str(&ir, offs[i]), tmp) != 0) ok = 0;
  }
  CHECK(ok);
  CHECK(ndr_ir_validate(&ir) == NULL);
  ndr_ir_release(&ir);
  ndr_ir_release(&ir); /* release leaves a released IR */
  ndr_ir_release(NULL);

  /* A released (zeroed) IR puts "" back at offset 0 on first use. */
  CHECK_INT(ndr_ir_string(&ir, "x", 1), 1);
  CHECK_STR(ndr_ir_str(&ir, 0), "");
  ndr_ir_release(&ir);
}

static void test_append(void) {
  ndr_ir ir;
  ndr_ir_init(&ir);
  CHECK_INT(ndr_ir_add_kids(&ir, NULL, 0), 0);
  CHECK_INT(ndr_ir_add_kids(&ir, NULL, 1), NDR_NONE);
  CHECK_INT(ndr_ir_add_node(&ir, NULL), NDR_NONE);
  /* Adding a record that lives in the array itself, across growth. */
  node(&ir, NDR_OP_REPLY, 0, 421, 451);
  int ok = 1;
  for (uint32_t i = 1; i < 1000; i++)
    if (ndr_ir_add_node(&ir, &ir.nodes[i - 1]) != i) ok = 0;
  for (size_t i = 0; i < ir.n_nodes; i++)
    if (ir.nodes[i].a != 421 || ir.nodes[i].b != 451) ok = 0;
  CHECK(ok);
  uint32_t k[] = {1, 2, 3};
  uint32_t a = ndr_ir_add_kids(&ir, k, 3);
  CHECK_INT(a, 0);
  for (int i = 0; i < 100; i++) ndr_ir_add_kids(&ir, ir.kids, 3);
  CHECK_INT(ir.n_kids, 303);
  CHECK_INT(ir.kids[302], 3);
  CHECK_INT(ndr_ir_add_kids(&ir, k, 0), 303);
  ndr_ir_release(&ir);
}

static void test_validate(void) {
  ndr_ir ir;
  build_sample(&ir);
  CHECK(ndr_ir_validate(&ir) == NULL);
  CHECK_STR(ndr_ir_validate(NULL), "no table");

#define TRY(stmt, msg)                                                         \
  do {                                                                         \
    ndr_ir t_;                                                                 \
    build_sample(&t_);                                                         \
    stmt;                                                                      \
    CHECK_STR(ndr_ir_validate(&t_), msg);                                      \
    ndr_ir_release(&t_);                                                       \
  } while (0)

  TRY(t_.nodes[0].op = NDR_OP_COUNT_, "node has an unknown operator");
  TRY(t_.nodes[2].field = NDR_F_COUNT_, "node tests an unknown field");
  TRY(t_.nodes[3].field = 200, "node tests an unknown field");
  TRY(t_.nodes[0].a = NDR_STATUS_KEY(5, 7, 2), "status range is reversed");
  TRY(t_.nodes[0].a = NDR_STATUS_KEY(1, 9, 9),
      "status key is not an enhanced status code");
  TRY(t_.nodes[0].b = NDR_STATUS_KEY(6, 0, 0),
      "status key is not an enhanced status code");
  TRY(t_.nodes[12].b = NDR_STATUS_KEY(5, 0, 0),
      "status key is not an enhanced status code");
  TRY(t_.nodes[1].a = 600, "reply range is reversed");
  TRY(t_.nodes[1].a = 199, "reply code is outside 200..599");
  TRY(t_.nodes[1].b = 600, "reply code is outside 200..599");
  TRY(t_.nodes[5].a = 1u << NDR_KIND_COUNT_, "kind mask has unknown bits");
  TRY(t_.nodes[3].a = 1, "regex node refers to a missing regex");
  TRY(t_.nodes[8].a = 8, "node child index is not smaller than the node's own");
  TRY(t_.nodes[9].b = 0, "and/or node has no children");
  TRY(t_.nodes[9].b = 100, "and/or node's children lie outside the kid list");
  TRY(t_.nodes[9].a = UINT32_MAX,
      "and/or node's children lie outside the kid list");
  TRY(t_.kids[0] = 7, "node child index is not smaller than the node's own");
  TRY(t_.nodes[6].a = (uint32_t)t_.strings_len,
      "string offset is out of range");
  TRY(t_.nodes[6].a = 2, "string offset points into the middle of a string");
  TRY(t_.regexes[0].flags = 16, "regex has unknown flags");
  TRY(t_.packs[1].tier = NDR_TIER_FALLBACK + 1, "pack tier is unknown");
  TRY(t_.packs[1].applies = (uint32_t)t_.n_nodes,
      "pack condition refers to a missing node");
  TRY(t_.categories[0].fixer = NDR_NONE, "category fixer is unknown");
  TRY(t_.categories[2].retry = NDR_RETRY_COUNT_, "category retry is unknown");
  TRY(t_.rules[0].pack = 2, "rule refers to a missing pack");
  TRY(t_.rules[0].category = 3, "rule refers to a missing category");
  TRY(t_.rules[0].fixer = NDR_FIXER_COUNT_, "rule fixer is unknown");
  TRY(t_.rules[0].retry = NDR_RETRY_COUNT_, "rule retry is unknown");
  TRY(t_.rules[0].cond = (uint32_t)t_.n_nodes,
      "rule condition refers to a missing node");
  TRY(t_.rules[3].meaning = 99999, "string offset is out of range");
  TRY(t_.rules[1].sisimai = 99999, "string offset is out of range");
  TRY(t_.strings[0] = 'x', "string table does not start with the empty string");
  TRY(t_.strings[t_.strings_len - 1] = 'x',
      "string table does not end with a nul byte");
  TRY(t_.strings_len = 0, "string table is empty");
  TRY(t_.n_rules = NDR_MAX_RULES + 1, "too many rules");
  TRY(t_.n_packs = NDR_MAX_FILES + 1, "too many packs");
  TRY(t_.n_nodes = NDR_MAX_TABLE_NODES + 1, "too many nodes");
#undef TRY

  /* A regex source over the limit. */
  {
    ndr_ir t;
    build_sample(&t);
    char *big = malloc(NDR_MAX_REGEX_BYTES + 1);
    memset(big, 'a', NDR_MAX_REGEX_BYTES + 1);
    t.regexes[0].pattern = ndr_ir_string(&t, big, NDR_MAX_REGEX_BYTES + 1);
    CHECK_STR(ndr_ir_validate(&t), "regex pattern exceeds the length limit");
    t.regexes[0].pattern = ndr_ir_string(&t, big, NDR_MAX_REGEX_BYTES);
    CHECK(ndr_ir_validate(&t) == NULL);
    free(big);
    ndr_ir_release(&t);
  }
  ndr_ir_release(&ir);
}

static void test_copy_tree(void) {
  ndr_ir src, dst;
  ndr_ir_init(&src);
  ndr_ir_init(&dst);
  S(&dst, "already");
  uint32_t dst_x = S(&dst, "x");
  node(&dst, NDR_OP_TRUE, 0, 0, 0);
  size_t dst_nodes = dst.n_nodes;

  node(&src, NDR_OP_PHRASE, NDR_F_TEXT, S(&src, "unrelated"), 0); /* 0 */
  uint32_t s1 = node(&src, NDR_OP_PHRASE, NDR_F_TEXT, S(&src, "x"), 0);
  uint32_t s2 = node(&src, NDR_OP_NOT, 0, s1, 0);
  uint32_t k3[] = {s1, s2};
  uint32_t s3 = node(&src, NDR_OP_AND, 0, ndr_ir_add_kids(&src, k3, 2), 2);
  uint32_t rx = ndr_ir_add_regex(&src, S(&src, "a+b"), NDR_RX_DOTALL);
  uint32_t s4 = node(&src, NDR_OP_REGEX, NDR_F_SENDER, rx, 0);
  uint32_t s5 = node(&src, NDR_OP_PROVIDER, 0, S(&src, "outlook"), 0);
  uint32_t k6[] = {s3, s4, s5, s1};
  uint32_t s6 = node(&src, NDR_OP_OR, 0, ndr_ir_add_kids(&src, k6, 4), 4);
  node(&src, NDR_OP_EQUALS, NDR_F_EVENT, S(&src, "after"), 0); /* 7 */
  CHECK(ndr_ir_validate(&src) == NULL);

  uint32_t root = ndr_ir_copy_tree(&dst, &src, s6);
  CHECK(root != NDR_NONE);
  CHECK(ndr_ir_validate(&dst) == NULL);
  /* s1..s6: six nodes, the shared s1 copied once, node 0 and 7 not at all */
  CHECK_INT(dst.n_nodes, dst_nodes + 6);
  CHECK_INT(root, dst.n_nodes - 1);
  const ndr_ir_node *r = &dst.nodes[root];
  CHECK_INT(r->op, NDR_OP_OR);
  CHECK_INT(r->b, 4);
  CHECK_INT(r->src_line, 42);
  const ndr_ir_node *x = &dst.nodes[dst.kids[r->a + 3]];
  CHECK_INT(x->op, NDR_OP_PHRASE);
  CHECK_INT(x->a, dst_x); /* re-interned onto dst's existing "x" */
  const ndr_ir_node *and = &dst.nodes[dst.kids[r->a]];
  CHECK_INT(and->op, NDR_OP_AND);
  CHECK_INT(dst.kids[ and->a], dst.kids[r->a + 3]); /* still shared */
  const ndr_ir_node *not = &dst.nodes[dst.kids[ and->a + 1]];
  CHECK_INT(not ->op, NDR_OP_NOT);
  CHECK_INT(not ->a, dst.kids[r->a + 3]);
  const ndr_ir_node *re = &dst.nodes[dst.kids[r->a + 1]];
  CHECK_INT(re->op, NDR_OP_REGEX);
  CHECK_INT(re->field, NDR_F_SENDER);
  CHECK_INT(dst.n_regexes, 1);
  CHECK_STR(ndr_ir_str(&dst, dst.regexes[re->a].pattern), "a+b");
  CHECK_INT(dst.regexes[re->a].flags, NDR_RX_DOTALL);
  const ndr_ir_node *pv = &dst.nodes[dst.kids[r->a + 2]];
  CHECK_STR(ndr_ir_str(&dst, pv->a), "outlook");
  int unrelated = 0;
  for (size_t i = 0; i + 10 < dst.strings_len; i++)
    if (memcmp(dst.strings + i, "unrelated", 9) == 0) unrelated = 1;
  CHECK(!unrelated);

  /* A leaf and the errors. */
  uint32_t leaf = ndr_ir_copy_tree(&dst, &src, s5);
  CHECK_INT(leaf, dst.n_nodes - 1);
  CHECK_INT(ndr_ir_copy_tree(&dst, &src, (uint32_t)src.n_nodes), NDR_NONE);
  CHECK_INT(ndr_ir_copy_tree(&dst, &src, NDR_NONE), NDR_NONE);
  src.nodes[s2].a = s2; /* a cycle: refused, not followed */
  CHECK_INT(ndr_ir_copy_tree(&dst, &src, s6), NDR_NONE);
  src.nodes[s2].a = s1;

  /* Copying within one IR (every array may move underneath). */
  size_t before = src.n_nodes;
  uint32_t self = ndr_ir_copy_tree(&src, &src, s6);
  CHECK_INT(self, before + 5);
  CHECK(ndr_ir_validate(&src) == NULL);
  CHECK_INT(src.nodes[self].op, NDR_OP_OR);
  CHECK_INT(src.n_regexes, 2);
  ndr_ir_release(&src);
  ndr_ir_release(&dst);
}

static void test_roundtrip(unsigned char **out, size_t *out_len) {
  ndr_ir ir, back;
  build_sample(&ir);
  unsigned char *buf = NULL;
  size_t len = 0;
  CHECK_INT(ndr_ir_serialize(&ir, &buf, &len), NDR_OK);
  CHECK(buf != NULL && len % 8 == 0);
  if (!buf) return;

  /* The documented layout. */
  CHECK(memcmp(buf, "NDRT\r\n\x1a\n", 8) == 0);
  CHECK_INT(rd32(buf + 8), 1);
  CHECK_INT(rd32(buf + 12), HDR);
  CHECK_INT(rd64(buf + 16), len);
  CHECK_INT(rd32(buf + 32), 7);
  CHECK_INT(rd32(buf + 36), 0);
  for (uint32_t t = 1; t <= 7; t++) {
    const unsigned char *e = buf + HDR + (t - 1) * ENTRY;
    CHECK_INT(rd32(e), t);
    CHECK_INT(rd64(e + 8) % 8, 0);
  }
  CHECK_INT(rd64(dir_entry(buf, S_STRINGS) + 8), HDR + 7 * ENTRY);
  CHECK_INT(rd64(dir_entry(buf, S_NODES) + 24), 13);
  CHECK_INT(rd64(dir_entry(buf, S_NODES) + 16), 13 * 16);
  CHECK_INT(rd64(dir_entry(buf, S_RULES) + 16), 4 * 44);
  const unsigned char *pk = section(buf, S_PACKS) + 32;
  CHECK_INT(rd32(pk + 20), 0xfffffffbu); /* priority -5 */

  const char *err = "unset";
  CHECK_INT(ndr_ir_deserialize(buf, len, &back, &err), NDR_OK);
  CHECK(err == NULL);
  compare_ir(&ir, &back);
  CHECK(back.strings != ir.strings && back.intern == NULL);
  CHECK((void *)back.strings < (void *)buf ||
        (void *)back.strings >= (void *)(buf + len)); /* no aliasing */

  unsigned char *buf2 = NULL;
  size_t len2 = 0;
  CHECK_INT(ndr_ir_serialize(&back, &buf2, &len2), NDR_OK);
  CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
  free(buf2);

  /* A loaded IR interns against what it loaded. */
  size_t slen = back.strings_len;
  CHECK_INT(S(&back, "gmail"), ir.packs[1].id);
  CHECK_INT(back.strings_len, slen);
  uint32_t fresh = S(&back, "fresh");
  CHECK_INT(fresh, slen);
  CHECK(ndr_ir_validate(&back) == NULL);

  /* Serializing refuses what loading would refuse. */
  back.nodes[0].op = 99;
  CHECK_INT(ndr_ir_serialize(&back, &buf2, &len2), NDR_ERR_ARG);
  CHECK(buf2 == NULL && len2 == 0);
  back.nodes[0].op = NDR_OP_TRUE;
  size_t saved = back.n_rules;
  back.n_rules = NDR_MAX_RULES + 1;
  CHECK_INT(ndr_ir_serialize(&back, &buf2, &len2), NDR_ERR_LIMIT);
  back.n_rules = saved;
  CHECK_INT(ndr_ir_serialize(NULL, &buf2, &len2), NDR_ERR_ARG);
  CHECK_INT(ndr_ir_deserialize(buf, len, NULL, &err), NDR_ERR_ARG);
  ndr_ir_release(&back); /* deserialize overwrites, it does not release */
  CHECK_INT(ndr_ir_deserialize(buf, len, &back, NULL), NDR_OK);
  ndr_ir_release(&back);

  ndr_ir_release(&ir);
  *out = buf;
  *out_len = len;
}

static void test_truncation(const unsigned char *good, size_t len) {
  int all_fail = 1, all_corrupt = 1;
  for (size_t n = 0; n < len; n++) {
    /* an exact-size copy, so ASan catches any read past n */
    unsigned char *b = dup_buf(good, n);
    const char *err = NULL;
    ndr_ir ir;
    ndr_status st = ndr_ir_deserialize(b, n, &ir, &err);
    if (st == NDR_OK || err == NULL) all_fail = 0;
    if (st != NDR_ERR_CORRUPT) all_corrupt = 0;
    if (ir.strings || ir.nodes || ir.n_nodes) all_fail = 0; /* left empty */
    ndr_ir_release(&ir);
    free(b);
  }
  CHECK(all_fail);
  CHECK(all_corrupt);
  EXPECT_FAIL(NULL, 0, NDR_ERR_CORRUPT,
              "truncated: file is shorter than a table header");
  EXPECT_FAIL(good, 20, NDR_ERR_CORRUPT,
              "truncated: file is shorter than a table header");
  EXPECT_FAIL((const unsigned char *)"hello", 5, NDR_ERR_CORRUPT,
              "not an ndrsift table (bad magic)");
  EXPECT_FAIL(good, len - 8, NDR_ERR_CORRUPT,
              "truncated: file is shorter than its header says");
}

static void test_header_damage(const unsigned char *good, size_t len) {
  unsigned char *b = dup_buf(good, len);

  b[0] = 'X';
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT, "not an ndrsift table (bad magic)");
  memcpy(b, good, len);
  b[6] = 0; /* "\x1a" damaged by a text-mode transfer, say */
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT, "not an ndrsift table (bad magic)");
  memcpy(b, good, len);

  wr32(b + 8, 2);
  EXPECT_FAIL(b, len, NDR_ERR_VERSION,
              "table written by a newer ndrsift (format version above 1, "
              "this ndrsift reads version 1)");
  wr32(b + 8, 0);
  EXPECT_FAIL(b, len, NDR_ERR_VERSION,
              "table written by an older ndrsift (format version below 1, "
              "this ndrsift reads version 1)");
  wr32(b + 8, 0x01000000); /* version 1 written big-endian */
  CHECK_INT(load(b, len, NULL), NDR_ERR_VERSION);
  memcpy(b, good, len);

  wr32(b + 12, 48);
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT, "table header has the wrong size");
  memcpy(b, good, len);
  wr32(b + 36, 1);
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT, "reserved field is not zero");
  memcpy(b, good, len);

  wr64(b + 16, len + 1);
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT,
              "truncated: file is shorter than its header says");
  wr64(b + 16, UINT64_MAX);
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT,
              "truncated: file is shorter than its header says");
  wr64(b + 16, len - 8);
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT,
              "trailing bytes: file is longer than its header says");
  memcpy(b, good, len);

  /* one flipped bit anywhere after the header */
  int all = 1;
  for (size_t i = HDR; i < len; i++) {
    b[i] ^= 0x10;
    const char *err = NULL;
    if (load(b, len, &err) != NDR_ERR_CORRUPT || !err ||
        strcmp(err, "checksum mismatch: the file is corrupt") != 0)
      all = 0;
    b[i] ^= 0x10;
  }
  CHECK(all);
  wr64(b + 24, rd64(b + 24) ^ 1);
  EXPECT_FAIL(b, len, NDR_ERR_CORRUPT,
              "checksum mismatch: the file is corrupt");
  free(b);
}

/* Damage a copy with `stmt` (b, len in scope), re-seal, expect a message. */
#define DAMAGE(good, len, stmt, want)                                          \
  do {                                                                         \
    unsigned char *b = dup_buf((good), (len));                                 \
    stmt;                                                                      \
    ndr_ir_test_fix_checksum(b, (len));                                        \
    EXPECT_FAIL(b, (len), NDR_ERR_CORRUPT, (want));                            \
    free(b);                                                                   \
  } while (0)

/*
 * A copy with `extra` zero bytes appended as the new home of section `type`
 * (count records of `rec` bytes), header and checksum fixed up.
 */
static unsigned char *relocate(const unsigned char *good, size_t len,
                               uint32_t type, uint64_t count, uint64_t rec,
                               size_t *new_len) {
  size_t extra = (size_t)(count * rec + 7) / 8 * 8;
  unsigned char *b = calloc(1, len + extra);
  memcpy(b, good, len);
  unsigned char *e = dir_entry(b, type);
  wr64(e + 8, len);
  wr64(e + 16, count * rec);
  wr64(e + 24, count);
  wr64(b + 16, len + extra);
  ndr_ir_test_fix_checksum(b, len + extra);
  *new_len = len + extra;
  return b;
}

static void test_directory_damage(const unsigned char *good, size_t len) {
  DAMAGE(good, len, wr64(dir_entry(b, S_REGEXES) + 8, len + 8),
         "regexes section lies outside the file");
  DAMAGE(good, len, wr64(dir_entry(b, S_REGEXES) + 8, len),
         "regexes section lies outside the file"); /* size 8 past the end */
  DAMAGE(good, len,
         (wr64(dir_entry(b, S_NODES) + 8, UINT64_MAX - 7),
          wr64(dir_entry(b, S_NODES) + 16, 16)),
         "nodes section lies outside the file"); /* offset + size wraps */
  DAMAGE(good, len, wr64(dir_entry(b, S_KIDS) + 8, 8),
         "section overlaps the header or the section directory");
  DAMAGE(good, len,
         wr64(dir_entry(b, S_KIDS) + 8, rd64(dir_entry(b, S_KIDS) + 8) + 4),
         "section is not 8-byte aligned");
  DAMAGE(good, len, wr32(b + 32, 1000),
         "section directory lies outside the file");
  DAMAGE(good, len, wr32(b + 32, UINT32_MAX),
         "section directory lies outside the file");
  DAMAGE(good, len, wr32(b + 32, 6), "missing rules section");
  DAMAGE(good, len, wr32(b + 32, 0), "missing strings section");
  DAMAGE(good, len, wr32(dir_entry(b, S_PACKS), 99), "unknown section type");
  DAMAGE(good, len, wr32(dir_entry(b, S_PACKS), 0), "unknown section type");
  DAMAGE(good, len, wr32(dir_entry(b, S_PACKS), S_NODES), "duplicate section");
  DAMAGE(good, len, wr32(dir_entry(b, S_PACKS) + 4, 1),
         "reserved field is not zero");
  DAMAGE(good, len,
         wr64(dir_entry(b, S_NODES) + 24, rd64(dir_entry(b, S_NODES) + 24) - 1),
         "nodes section size does not match its record count");

  /* Huge counts: refused before any allocation (ASan would abort on one). */
  DAMAGE(good, len,
         (wr64(dir_entry(b, S_NODES) + 24, 1ull << 40),
          wr64(dir_entry(b, S_NODES) + 16, 16ull << 40)),
         "nodes section lies outside the file");
  DAMAGE(good, len,
         (wr64(dir_entry(b, S_RULES) + 24, 1ull << 62),
          wr64(dir_entry(b, S_RULES) + 16, 0)),
         "rules section size does not match its record count"); /* wraps */
  DAMAGE(good, len, wr64(dir_entry(b, S_STRINGS) + 24, UINT64_MAX),
         "strings section size does not match its record count");

  /* Counts over limits.h, with every byte actually present. */
  size_t n;
  unsigned char *b = relocate(good, len, S_PACKS, NDR_MAX_FILES + 1, 32, &n);
  EXPECT_FAIL(b, n, NDR_ERR_CORRUPT, "packs section exceeds the table limits");
  free(b);
  b = relocate(good, len, S_RULES, NDR_MAX_RULES + 1, 44, &n);
  EXPECT_FAIL(b, n, NDR_ERR_CORRUPT, "rules section exceeds the table limits");
  free(b);
  /* ...and right at the limit: 4096 zeroed packs are valid packs. */
  b = relocate(good, len, S_PACKS, NDR_MAX_FILES, 32, &n);
  ndr_ir ir;
  CHECK_INT(ndr_ir_deserialize(b, n, &ir, NULL), NDR_OK);
  CHECK_INT(ir.n_packs, NDR_MAX_FILES);
  ndr_ir_release(&ir);
  free(b);
  /* Sections in another order are still read: strings moved to the end. */
  size_t str_off = (size_t)rd64(dir_entry(good, S_STRINGS) + 8);
  size_t str_len = (size_t)rd64(dir_entry(good, S_STRINGS) + 16);
  b = relocate(good, len, S_STRINGS, str_len, 1, &n);
  memcpy(b + len, good + str_off, str_len);
  ndr_ir_test_fix_checksum(b, n);
  CHECK_INT(ndr_ir_deserialize(b, n, &ir, NULL), NDR_OK);
  CHECK_STR(ndr_ir_str(&ir, ir.rules[3].id), "gmail.other");
  ndr_ir_release(&ir);
  free(b);
}

static void test_content_damage(const unsigned char *good, size_t len) {
  const unsigned char *g = good;
  size_t nodes = rd64(dir_entry(g, S_NODES) + 8);
  size_t kids = rd64(dir_entry(g, S_KIDS) + 8);
  size_t rules = rd64(dir_entry(g, S_RULES) + 8);
  size_t strs = rd64(dir_entry(g, S_STRINGS) + 8);
  size_t slen = rd64(dir_entry(g, S_STRINGS) + 16);

  /* node 8 is NOT(node 4): point it at itself, then forward */
  DAMAGE(good, len, wr32(b + nodes + 8 * 16 + 4, 8),
         "node child index is not smaller than the node's own");
  DAMAGE(good, len, wr32(b + nodes + 8 * 16 + 4, 12),
         "node child index is not smaller than the node's own");
  /* kids[0] belongs to node 7: make it 7 */
  DAMAGE(good, len, wr32(b + kids, 7),
         "node child index is not smaller than the node's own");
  DAMAGE(good, len, b[nodes + 11 * 16] = NDR_OP_COUNT_,
         "node has an unknown operator");
  /* rule 0's id out of range, then inside a string */
  DAMAGE(good, len, wr32(b + rules, (uint32_t)slen),
         "string offset is out of range");
  DAMAGE(good, len, wr32(b + rules, UINT32_MAX),
         "string offset is out of range");
  DAMAGE(good, len, wr32(b + rules, (uint32_t)slen - 2),
         "string offset points into the middle of a string");
  /* the blob's final NUL gone: the last string would run off the end */
  DAMAGE(good, len, b[strs + slen - 1] = 'x',
         "string table does not end with a nul byte");
  DAMAGE(good, len, b[strs] = 'x',
         "string table does not start with the empty string");
  DAMAGE(good, len,
         (wr64(dir_entry(b, S_STRINGS) + 16, 0),
          wr64(dir_entry(b, S_STRINGS) + 24, 0)),
         "string table is empty");
  DAMAGE(good, len, wr32(b + rules + 12, 2), "rule refers to a missing pack");
}

/* xorshift64*: the fuzz loop is deterministic and reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

static void test_random_flips(const unsigned char *good, size_t len) {
  unsigned ok = 0, failed = 0, nomsg = 0, bad_ok = 0;
  unsigned char *b = malloc(len);
  for (int it = 0; it < 5000; it++) {
    memcpy(b, good, len);
    int flips = 1 + (int)(rnd() % 4);
    for (int f = 0; f < flips; f++) {
      /* mostly the checksummed part, where the deep checks live */
      size_t at = rnd() % 8 ? HDR + rnd() % (len - HDR) : rnd() % len;
      b[at] ^= (unsigned char)(1u + rnd() % 255u);
    }
    ndr_ir_test_fix_checksum(b, len);
    ndr_ir ir;
    const char *err = NULL;
    ndr_status st = ndr_ir_deserialize(b, len, &ir, &err);
    if (st == NDR_OK) {
      ok++;
      unsigned char *again = NULL;
      size_t alen = 0;
      if (ndr_ir_validate(&ir) != NULL ||
          ndr_ir_serialize(&ir, &again, &alen) != NDR_OK)
        bad_ok++;
      free(again);
    } else {
      failed++;
      if (!err || !*err) nomsg++;
    }
    ndr_ir_release(&ir);
  }
  free(b);
  CHECK_INT(ok + failed, 5000);
  CHECK(failed > 1000); /* most damage is caught */
  CHECK_INT(nomsg, 0);
  CHECK_INT(bad_ok, 0);
  printf("random flips: %u loaded, %u rejected\n", ok, failed);
}

int main(void) {
  test_names();
  test_intern();
  test_append();
  test_validate();
  test_copy_tree();
  unsigned char *good = NULL;
  size_t len = 0;
  test_roundtrip(&good, &len);
  if (good) {
    test_truncation(good, len);
    test_header_damage(good, len);
    test_directory_damage(good, len);
    test_content_damage(good, len);
    test_random_flips(good, len);
  }
  free(good);
  return unit_done();
}
