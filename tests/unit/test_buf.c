/*
 * test_buf.c - the byte buffer (src/common/buf.c): appends that grow, the
 * decimal and printf appends, CSV fields (with and without the guard
 * against spreadsheet formulas), and JSON escaping against a plain reference
 * written from RFC 8259 (the buffer's own version copies runs sixteen
 * bytes at a time, so the reference is a separate byte-by-byte reading).
 */
#include "common/buf.h"

#include <stdlib.h>

#include "unit.h"

/* RFC 8259 string body: '"' and '\\' escaped, control bytes as \n \r \t or
   \u00XX, DEL as \u007f, valid UTF-8 as it is, any other byte U+FFFD. */
static void ref_json(const unsigned char *s, size_t len, ndr_buf *out) {
  for (size_t i = 0; i < len;) {
    unsigned char c = s[i];
    char tmp[8];
    if (c == '"' || c == '\\') {
      tmp[0] = '\\';
      tmp[1] = (char)c;
      ndr_buf_add_grow(out, tmp, 2);
      i++;
    } else if (c == '\n') {
      ndr_buf_add_grow(out, "\\n", 2), i++;
    } else if (c == '\r') {
      ndr_buf_add_grow(out, "\\r", 2), i++;
    } else if (c == '\t') {
      ndr_buf_add_grow(out, "\\t", 2), i++;
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(tmp, sizeof tmp, "\\u%04x", c);
      ndr_buf_add_grow(out, tmp, 6);
      i++;
    } else if (c < 0x80) {
      ndr_buf_add_grow(out, s + i, 1);
      i++;
    } else {
      size_t n = ndr_utf8_len(s + i, len - i);
      if (n) {
        ndr_buf_add_grow(out, s + i, n);
        i += n;
      } else {
        ndr_buf_add_grow(out, "\\ufffd", 6);
        i++;
      }
    }
  }
}

static void test_json_random(void) {
  /* bytes near every class boundary, and whole UTF-8 characters */
  static const char *const piece[] = {"a",
                                      "Z",
                                      " ",
                                      "~",
                                      "\x7f",
                                      "\x1f",
                                      "\x20",
                                      "\"",
                                      "\\",
                                      "\n",
                                      "\r",
                                      "\t",
                                      "\x01",
                                      "\x80",
                                      "\xff",
                                      "\xc3",
                                      "\0",
                                      "}",
                                      "!",
                                      "\xc3\xa9",
                                      "\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80",
                                      "\xed\xa0\x80",
                                      "plain text of a diagnostic "};
  const size_t np = sizeof piece / sizeof *piece;
  unit_seed(8259);
  unsigned bad = 0;
  for (int round = 0; round < 20000; round++) {
    size_t n;
    unsigned char *s = (unsigned char *)unit_pieces(piece, np, 40, 300, &n);
    if (!s) continue;
    ndr_buf got = NDR_BUF_INIT, want = NDR_BUF_INIT;
    /* something in the buffer already: the escaping appends */
    ndr_buf_adds(&got, "x");
    ndr_buf_adds(&want, "x");
    CHECK(ndr_buf_add_json(&got, (const char *)s, n) == 0);
    ref_json(s, n, &want);
    if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0 ||
        got.p[got.len] != '\0')
      bad++;
    ndr_buf_free(&got);
    ndr_buf_free(&want);
    free(s);
  }
  CHECK_INT(bad, 0);
}

static void test_json_fixed(void) {
  ndr_buf b = NDR_BUF_INIT;
  const char in[] = "550 5.1.1 <a@b> \"x\"\\\t\x01\x7f\xc3\xa9\xff end";
  ndr_buf_add_json(&b, in, sizeof in - 1);
  CHECK_STR(ndr_buf_str(&b), "550 5.1.1 <a@b> \\\"x\\\"\\\\\\t\\u0001\\u007f"
                             "\xc3\xa9\\ufffd end");
  ndr_buf_clear(&b);
  ndr_buf_add_json(&b, "", 0);
  CHECK_INT(b.len, 0);
  ndr_buf_free(&b);
}

static void test_appends(void) {
  ndr_buf b = NDR_BUF_INIT;
  CHECK_STR(ndr_buf_str(&b), "");
  /* growth across many doublings keeps every byte and the NUL */
  for (int i = 0; i < 1000; i++) ndr_buf_addc(&b, (char)('a' + i % 26));
  CHECK_INT(b.len, 1000);
  CHECK(b.p[999] == 'a' + 999 % 26 && b.p[1000] == '\0');
  ndr_buf_clear(&b);
  ndr_buf_add_uint(&b, 0);
  ndr_buf_addc(&b, ' ');
  ndr_buf_add_uint(&b, 18446744073709551615ull);
  ndr_buf_addc(&b, ' ');
  ndr_buf_add_uint(&b, 1000);
  CHECK_STR(ndr_buf_str(&b), "0 18446744073709551615 1000");
  /* printf: short, then longer than the room reserved first */
  ndr_buf_clear(&b);
  ndr_buf_printf(&b, "%d-%s", 42, "x");
  CHECK_STR(ndr_buf_str(&b), "42-x");
  char big[600];
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  ndr_buf_printf(&b, "[%s]", big);
  CHECK_INT(b.len, 4 + 2 + 599);
  CHECK(b.p[4] == '[' && b.p[5] == 'q' && b.p[b.len - 1] == ']' &&
        b.p[b.len] == '\0');
  ndr_buf_free(&b);
  CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
}

static void test_csv(void) {
  ndr_buf b = NDR_BUF_INIT;
  static const struct {
    const char *in, *plain, *guarded;
  } cases[] = {
      {"550 5.1.1 unknown", "550 5.1.1 unknown", "550 5.1.1 unknown"},
      {"a,b", "\"a,b\"", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\"", "\"say \"\"hi\"\"\""},
      {" lead", "\" lead\"", "\" lead\""},
      {"=1+2", "=1+2", "\"'=1+2\""},
      {"+1", "+1", "\"'+1\""},
      {"-2+3", "-2+3", "\"'-2+3\""},
      {"@SUM(A1)", "@SUM(A1)", "\"'@SUM(A1)\""},
      {"\tx", "\tx", "\"'\tx\""},
      {"=HYPERLINK(\"u\")", "\"=HYPERLINK(\"\"u\"\")\"",
       "\"'=HYPERLINK(\"\"u\"\")\""},
      {"-", "-", "-"},
      {"", "", ""},
      {"a=b", "a=b", "a=b"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ndr_buf_clear(&b);
    ndr_buf_add_csv(&b, cases[i].in, strlen(cases[i].in));
    CHECK_STR(ndr_buf_str(&b), cases[i].plain);
    ndr_buf_clear(&b);
    ndr_buf_add_csv_guarded(&b, cases[i].in, strlen(cases[i].in));
    CHECK_STR(ndr_buf_str(&b), cases[i].guarded);
  }
  ndr_buf_free(&b);
}

int main(void) {
  test_appends();
  test_csv();
  test_json_fixed();
  test_json_random();
  return unit_done();
}
