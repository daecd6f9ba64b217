/*
 * test_message.c - the message readers (src/input/mime.c, dsn.c, human.c,
 * ses.c, message.c, mbox.c): MIME decoders, RFC 3464 fields, each human
 * format, the records a message gives, and hostile inputs (truncated MIME,
 * lying boundaries, binary junk, 1 MB lines, deep nesting, big messages).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/input.h"
#include "input/msg.h"
#include "unit.h"

/* ------------------------------------------------------------ harness */

#define MAXREC 64

typedef struct rec {
  ndr_kind kind;
  unsigned long where;
  char status[16];
  int reply;
  char f[NDR_F_COUNT_][512];
} rec;

typedef struct got {
  int n, skipped, errors, warnings;
  rec r[MAXREC];
  char skip[256], problem[256];
} got;

static int on_rec(void *user, const char *input, unsigned long where,
                  ndr_record *r) {
  got *g = user;
  (void)input;
  if (g->n >= MAXREC) return 0;
  rec *x = &g->r[g->n++];
  x->kind = ndr_record_kind(r);
  x->where = where;
  ndr_record_status(r, x->status, sizeof x->status);
  x->reply = ndr_record_reply(r);
  for (int i = 0; i < NDR_F_COUNT_; i++) {
    size_t len;
    const char *s = ndr_record_get(r, (ndr_field)i, &len);
    snprintf(x->f[i], sizeof x->f[i], "%.*s", (int)len, s);
  }
  return 0;
}

static void on_skip(void *user, const char *input, unsigned long where,
                    const char *what) {
  got *g = user;
  (void)input;
  (void)where;
  g->skipped++;
  snprintf(g->skip, sizeof g->skip, "%s", what);
}

static void on_problem(void *user, ndr_level lv, const char *input,
                       unsigned long where, const char *msg) {
  got *g = user;
  (void)input;
  (void)where;
  if (lv == NDR_ERROR)
    g->errors++;
  else
    g->warnings++;
  snprintf(g->problem, sizeof g->problem, "%s", msg);
}

static void run(const char *data, size_t n, ndr_input_type type, got *g) {
  memset(g, 0, sizeof *g);
  ndr_input_cb cb = {on_rec, on_skip, on_problem, g};
  FILE *f = fmemopen((void *)data, n ? n : 1, "rb");
  if (!f) {
    unit_failed++;
    return;
  }
  if (n == 0) fgetc(f); /* fmemopen cannot open an empty buffer */
  ndr_status st = type == NDR_IN_MBOX ? ndr_input_mbox(f, "test", &cb)
                                      : ndr_input_eml(f, "test", &cb);
  fclose(f);
  CHECK(st == NDR_OK);
}

static void eml(const char *text, got *g) {
  run(text, strlen(text), NDR_IN_EML, g);
}

#define RCPT(g, i) ((g)->r[i].f[NDR_F_RECIPIENT])
#define TEXT(g, i) ((g)->r[i].f[NDR_F_TEXT])
#define FIELD(g, i, x) ((g)->r[i].f[x])

static int contains(const char *hay, const char *needle) {
  return strstr(hay, needle) != NULL;
}

/* --------------------------------------------------------- decoders */

static void test_qp_b64(void) {
  char out[256];
  const char *q = "a=3Db=\nc=20d =ZZ end=";
  size_t n = ndr_qp_decode(q, strlen(q), out);
  out[n] = '\0';
  CHECK_STR(out, "a=bc d =ZZ end");
  q = "soft=  \nbreak=3d";
  n = ndr_qp_decode(q, strlen(q), out);
  out[n] = '\0';
  CHECK_STR(out, "softbreak=");
  /* in place */
  char inplace[] = "x=41=42y";
  n = ndr_qp_decode(inplace, strlen(inplace), inplace);
  inplace[n] = '\0';
  CHECK_STR(inplace, "xABy");

  const char *b = "aGVs\nbG8g\r\nd29y!!bGQ=";
  n = ndr_b64_decode(b, strlen(b), out);
  out[n] = '\0';
  CHECK_STR(out, "hello world");
  b = "YQ==Yg=="; /* two padded groups */
  n = ndr_b64_decode(b, strlen(b), out);
  out[n] = '\0';
  CHECK_STR(out, "ab");
  n = ndr_b64_decode("", 0, out);
  CHECK_INT(n, 0);
}

static const char *hdr_text(ndr_mime *m, const char *raw) {
  static ndr_buf out = NDR_BUF_INIT;
  ndr_buf_clear(&out);
  ndr_span s = {raw, strlen(raw)};
  ndr_mime_header_text(m, s, &out);
  return ndr_buf_str(&out);
}

static void test_words(void) {
  ndr_mime *m = ndr_mime_new();
  CHECK(m != NULL);
  CHECK_STR(hdr_text(m, " =?UTF-8?B?w6lsw6h2ZQ==?="), "élève");
  CHECK_STR(hdr_text(m, " =?iso-8859-1?Q?caf=E9_au_lait?="), "café au lait");
  /* blanks between adjacent words go, the text around them stays */
  CHECK_STR(hdr_text(m, " Re: =?utf-8?Q?a?= =?utf-8?Q?b?= end"), "Re: ab end");
  /* folded */
  CHECK_STR(hdr_text(m, " Undeliverable:\n =?utf-8?B?w6k=?=\n\tx"),
            "Undeliverable: é x");
  CHECK_STR(hdr_text(m, " =?iso-2022-jp?B?GyRCJUslYyE8JXMbKEI=?="), "ニャーン");
  /* a character split across two words (UTF-8 "é" = C3 A9) */
  CHECK_STR(hdr_text(m, " =?utf-8?Q?=C3?= =?utf-8?Q?=A9t=C3=A9?="), "été");
  /* not words: left as they are */
  CHECK_STR(hdr_text(m, " =?utf-8?X?abc?= =?utf-8?Q?abc"),
            "=?utf-8?X?abc?= =?utf-8?Q?abc");
  CHECK_STR(hdr_text(m, " =?"), "=?");
  CHECK_STR(hdr_text(m, " =?unknown-cs?Q?plain?="), "plain");
  ndr_mime_free(m);
}

static void test_ctype(void) {
  ndr_ctype ct;
  const char *v =
      " multipart/report; report-type=delivery-status;\n\tboundary=\"abc def\"";
  ndr_span s = {v, strlen(v)};
  ndr_ctype_parse(s, &ct);
  CHECK_STR(ct.type, "multipart");
  CHECK_STR(ct.sub, "report");
  CHECK_STR(ct.report_type, "delivery-status");
  CHECK_STR(ct.boundary, "abc def");
  CHECK_INT(ct.boundary_len, 7);
  v = " Multipart/Mixed boundary=xyz"; /* no ';' */
  s.p = v;
  s.n = strlen(v);
  ndr_ctype_parse(s, &ct);
  CHECK_STR(ct.type, "multipart");
  CHECK_STR(ct.sub, "mixed");
  CHECK_STR(ct.boundary, "xyz");
  v = " text/plain; charset=\"ISO-8859-1\"; format=flowed";
  s.p = v;
  s.n = strlen(v);
  ndr_ctype_parse(s, &ct);
  CHECK_STR(ct.charset, "iso-8859-1");
  CHECK_INT(ct.boundary_len, 0);
  v = " text/plain; name=\"x; boundary=no\""; /* not a parameter */
  s.p = v;
  s.n = strlen(v);
  ndr_ctype_parse(s, &ct);
  CHECK_STR(ct.sub, "plain");
  v = "";
  s.p = v;
  s.n = 0;
  ndr_ctype_parse(s, &ct);
  CHECK_STR(ct.type, "");
  ndr_span e = {" Quoted-Printable", 17};
  CHECK(ndr_cte_parse(e) == NDR_CTE_QP);
  e.p = "base64";
  e.n = 6;
  CHECK(ndr_cte_parse(e) == NDR_CTE_B64);
  e.p = "7bit";
  e.n = 4;
  CHECK(ndr_cte_parse(e) == NDR_CTE_NONE);
}

static const char *conv(ndr_mime *m, const char *cs, const char *in) {
  static ndr_buf out = NDR_BUF_INIT;
  ndr_buf_clear(&out);
  ndr_mime_charset(m, cs, in, strlen(in), &out);
  return ndr_buf_str(&out);
}

static void test_charsets(void) {
  ndr_mime *m = ndr_mime_new();
  CHECK_STR(conv(m, "windows-1252", "\x80 5"), "€ 5");
  CHECK_STR(conv(m, "ISO-8859-1", "caf\xe9"), "café");
  CHECK_STR(conv(m, "iso-8859-15", "\xa4"), "€");
  CHECK_STR(conv(m, "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4"), "Привет");
  CHECK_STR(conv(m, "ISO-2022-JP", "\x1b$B%f!<%6!<\x1b(B ok"), "ユーザー ok");
  /* undeclared text in ISO-2022-JP */
  CHECK_STR(conv(m, "", "\x1b$B%f!<%6!<\x1b(B"), "ユーザー");
  /* EUC-JP declared as ISO-2022-JP */
  CHECK_STR(conv(m, "iso-2022-jp", "\xa5\xe6\xa1\xbc\xa5\xb6\xa1\xbc"),
            "ユーザー");
  CHECK_STR(conv(m, "shift_jis", "\x83\x86\x81\x5b\x83\x55\x81\x5b"),
            "ユーザー");
  CHECK_STR(conv(m, "gb2312", "\xc4\xe3\xba\xc3"), "你好");
  CHECK_STR(conv(m, "ks_c_5601-1987", "\xbe\xc8\xb3\xe7"), "안녕");
  /* unknown charset: bytes as they are */
  CHECK_STR(conv(m, "x-no-such-charset", "abc\xff"), "abc\xff");
  /* bytes that do not convert: U+FFFD, and the rest goes on */
  CHECK_STR(conv(m, "utf-8", "ok"), "ok");
  CHECK_STR(conv(m, "iso-2022-jp", "\x1b$B\xff\xff"),
            conv(m, "iso-2022-jp", "\x1b$B\xff\xff"));
  ndr_mime_free(m);

  char lf[] = "a\r\nb\rc\n\r";
  size_t n = ndr_mime_lf(lf, strlen(lf));
  lf[n] = '\0';
  CHECK_STR(lf, "a\nb\nc\n\n");
}

static void test_html(void) {
  ndr_buf out = NDR_BUF_INIT;
  const char *h =
      "<html><head><title>t</title><style>p{x:1}</style></head><body>"
      "<p>Hello&nbsp;<b>world</b></p><script>alert(1)</script>"
      "<p>&lt;a@b.c&gt; &#233;&#x41; &bogus; a < b</p><!-- c -->"
      "<table><tr><td>Reported error:</td><td>550 5.1.1 x</td></tr></table>"
      "<pre>l1\nl2</pre><a href=\"x>y\">link</a></body></html>";
  ndr_html_to_text(h, strlen(h), &out);
  const char *t = ndr_buf_str(&out);
  CHECK(contains(t, "Hello world"));
  CHECK(contains(t, "<a@b.c> éA &bogus; a < b"));
  CHECK(contains(t, "Reported error: 550 5.1.1 x"));
  CHECK(contains(t, "l1\nl2"));
  CHECK(contains(t, "link"));
  CHECK(!contains(t, "alert"));
  CHECK(!contains(t, "p{x:1}"));
  CHECK(!contains(t, "<b>"));
  /* unterminated tags and entities do not read past the end */
  ndr_buf_clear(&out);
  ndr_html_to_text("<p class=\"x", 11, &out);
  ndr_html_to_text("&#x1234", 7, &out);
  ndr_html_to_text("<style>", 7, &out);
  ndr_html_to_text("<!--", 4, &out);
  ndr_buf_free(&out);
}

static const char *addr(const char *s) {
  static char buf[256];
  ndr_span a = ndr_find_addr(s, strlen(s));
  snprintf(buf, sizeof buf, "%.*s", (int)a.n, a.p);
  return buf;
}

static void test_addresses(void) {
  CHECK_STR(addr("<kijitora@example.jp>: host"), "kijitora@example.jp");
  CHECK_STR(addr("mailto:neko.nyaan+x@mx.example.co.jp."),
            "neko.nyaan+x@mx.example.co.jp");
  CHECK_STR(addr("rfc822;user@[192.0.2.1]"), "user@[192.0.2.1]");
  CHECK_STR(addr("\"neko..nyaan\"@example.org"), "\"neko..nyaan\"@example.org");
  CHECK_STR(addr("kijitora@example.jp\xe6\x82\xa8\xe5\xa5\xbd"),
            "kijitora@example.jp");
  CHECK_STR(addr("no address @ here"), "");
  CHECK_STR(addr("@"), "");
  CHECK(ndr_is_addr(" <a@b.c> ", 9));
  CHECK(!ndr_is_addr("x a@b.c", 7));
}

/* ------------------------------------------------------------ DSN */

static void test_dsn_fields(void) {
  const char *d =
      "X-Microsoft-Exchange-Diagnostics: 1;junk\n"
      "Reporting-MTA: dns;mx.example.com\n"
      "Received-From-MTA: dns; relay.example.org\n"
      "Arrival-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
      "\n"
      "Final-Recipient: rfc822; <a@example.jp>\n"
      "Original-Recipient: rfc822;alias@example.jp\n"
      "Action: failed\n"
      "Status: 5.1.1 (user unknown)\n"
      "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to\n"
      "    550-5.1.1 reach does not exist.\n"
      "    550 5.1.1 https://support.google.com/mail/?p=NoSuchUser - gsmtp\n"
      "Remote-MTA: dns; gmail-smtp-in.l.google.com\n"
      "X-Supplementary-Info: <mx #5.1.1 smtp;550 5.1.1 gone>\n"
      "X-Display-Name: Kiji Tora\n"
      "Last-Attempt-Date: Mon, 1 Jan 2024 00:00:01 +0000\n"
      "\n"
      "Action: delayed\n"
      "Final-Recipient: rfc822; b@example.jp\n"
      "Status: 4.4.7\n"
      "Will-Retry-Until: Tue, 2 Jan 2024 00:00:00 +0000\n"
      "\n"
      "Status: 5.0.0\n"; /* a group without an address joins the one before */
  ndr_buf pool = NDR_BUF_INIT;
  ndr_dsn dsn;
  memset(&dsn, 0, sizeof dsn);
  size_t n = ndr_dsn_parse(d, strlen(d), &pool, &dsn);
  CHECK_INT(n, 2);
  CHECK_STR(ndr_pool_str(&pool, dsn.reporting_mta), "mx.example.com");
  CHECK_STR(ndr_pool_str(&pool, dsn.received_from), "relay.example.org");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[0].final_rcpt), "a@example.jp");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[0].orig_rcpt), "alias@example.jp");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[0].status), "5.1.1 (user unknown)");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[0].diag),
            "550-5.1.1 The email account that you tried to\n550-5.1.1 reach "
            "does not exist.\n550 5.1.1 "
            "https://support.google.com/mail/?p=NoSuchUser - gsmtp");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[0].remote_mta),
            "gmail-smtp-in.l.google.com");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[0].supp),
            "<mx #5.1.1 smtp;550 5.1.1 gone>");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[0].display), "Kiji Tora");
  CHECK(dsn.r[0].last_date.len > 0);
  CHECK_STR(ndr_pool_str(&pool, dsn.r[1].final_rcpt), "b@example.jp");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[1].action), "delayed");
  CHECK_STR(ndr_pool_str(&pool, dsn.r[1].status), "4.4.7");
  CHECK(dsn.r[1].will_retry.len > 0);
  ndr_dsn_free(&dsn);
  ndr_buf_free(&pool);

  ndr_span t;
  ndr_dsn_strip_type("  X-Unix; 255 ", 14, &t);
  CHECK(t.n == 3 && memcmp(t.p, "255", 3) == 0);
  ndr_dsn_strip_type("550 5.1.1; no type", 18, &t);
  CHECK(t.n == 18);
}

/* ---------------------------------------------------- whole messages */

static const char *DSN_MSG =
    "Return-Path: <>\r\n"
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
    "To: sender@example.org\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Date: Thu, 29 Apr 2010 23:34:45 +0900\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"B1\"\r\n"
    "\r\n"
    "This is a MIME-encapsulated message.\r\n"
    "\r\n"
    "--B1\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This is the mail system at host mx.example.org.\r\n"
    "\r\n"
    "<a@example.jp>: host mx.example.jp[192.0.2.1] said: 550 5.1.1\r\n"
    "    <a@example.jp>: Recipient address rejected: User unknown (in reply "
    "to\r\n    RCPT TO command)\r\n"
    "\r\n"
    "--B1\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.org\r\n"
    "\r\n"
    "Final-Recipient: rfc822; a@example.jp\r\n"
    "Action: failed\r\n"
    "Status: 5.0.0\r\n"
    "Remote-MTA: dns; mx.example.jp\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <a@example.jp>: Recipient address\r\n"
    "    rejected: User unknown\r\n"
    "\r\n"
    "Final-Recipient: rfc822; b@example.jp\r\n"
    "Action: delayed\r\n"
    "Status: 4.4.1\r\n"
    "Diagnostic-Code: X-Postfix; connect to mx.example.jp: Connection "
    "timed out\r\n"
    "\r\n"
    "Final-Recipient: rfc822; c@example.jp\r\n"
    "Action: delivered\r\n"
    "Status: 2.0.0\r\n"
    "\r\n"
    "--B1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: =?utf-8?B?U8OpbmRlcg==?= <sender@example.org>\r\n"
    "To: a@example.jp\r\n"
    "Subject: =?iso-8859-1?Q?Caf=E9?=\r\n"
    "Date: Thu, 29 Apr 2010 23:34:40 +0900\r\n"
    "Message-ID: <orig@example.org>\r\n"
    "\r\n"
    "Body\r\n"
    "--B1--\r\n";

static void test_dsn_message(void) {
  got g;
  eml(DSN_MSG, &g);
  CHECK_INT(g.n, 2);
  CHECK_INT(g.skipped, 1); /* the delivered recipient */
  CHECK(contains(g.skip, "delivered"));
  CHECK_INT(g.r[0].kind, NDR_KIND_BOUNCE);
  CHECK_STR(RCPT(&g, 0), "a@example.jp");
  /* the diagnostic's 5.1.1 wins over the DSN's generic 5.0.0 */
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK_INT(g.r[0].reply, 550);
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORTING_MTA), "mx.example.org");
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mx.example.jp");
  CHECK_STR(FIELD(&g, 0, NDR_F_ACTION), "failed");
  CHECK_STR(FIELD(&g, 0, NDR_F_MESSAGE_ID), "<orig@example.org>");
  CHECK_STR(FIELD(&g, 0, NDR_F_FROM), "Sénder <sender@example.org>");
  CHECK_STR(FIELD(&g, 0, NDR_F_SUBJECT), "Café");
  CHECK_STR(FIELD(&g, 0, NDR_F_TO), "a@example.jp");
  CHECK_STR(FIELD(&g, 0, NDR_F_DATE), "Thu, 29 Apr 2010 23:34:40 +0900");
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORT_DATE), "Thu, 29 Apr 2010 23:34:45 +0900");
  CHECK_STR(
      TEXT(&g, 0),
      "550 5.1.1 <a@example.jp>: Recipient address rejected: User unknown");
  /* the delayed one: its own kind, the DSN status (none in the text) */
  CHECK_INT(g.r[1].kind, NDR_KIND_DELAY);
  CHECK_STR(RCPT(&g, 1), "b@example.jp");
  CHECK_STR(g.r[1].status, "4.4.1");
  CHECK_STR(FIELD(&g, 1, NDR_F_ACTION), "delayed");
  CHECK_INT(g.r[0].where, 1);

  /* the same message with CR-only line ends reads the same */
  size_t n = strlen(DSN_MSG);
  char *cr = malloc(n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (DSN_MSG[i] != '\n') cr[k++] = DSN_MSG[i];
  got g2;
  run(cr, k, NDR_IN_EML, &g2);
  CHECK_INT(g2.n, 2);
  CHECK_STR(RCPT(&g2, 0), "a@example.jp");
  CHECK_STR(g2.r[0].status, "5.1.1");
  CHECK_STR(TEXT(&g2, 0), TEXT(&g, 0));
  free(cr);
}

static void test_status_decision(void) {
  got g;
  /* DSN specific, diagnostic without a status: the DSN's */
  eml("From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; "
      "boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822; a@b.jp\nAction: failed\nStatus: 5.2.2\n"
      "Diagnostic-Code: smtp; 552 Mailbox full\n--b--\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(g.r[0].status, "5.2.2");
  CHECK_INT(g.r[0].reply, 552);
  /* both specific and different: the diagnostic's (the server's words) */
  eml("From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; "
      "boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822; a@b.jp\nAction: failed\nStatus: 5.1.351\n"
      "Diagnostic-Code: smtp;550 5.1.351 Remote server returned -> 550 5.1.1 "
      "User unknown\n--b--\n",
      &g);
  CHECK_STR(g.r[0].status, "5.1.1");
  /* a success code in the diagnostic: the DSN's */
  eml("From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; "
      "boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822; a@b.jp\nAction: failed\nStatus: 4.3.0\n"
      "Diagnostic-Code: smtp; 250 2.1.5 Ok\n--b--\n",
      &g);
  CHECK_STR(g.r[0].status, "4.3.0");
  /* Exchange: extra fields in the part's headers, X-Supplementary-Info says
     what the remote server said, X-Display-Name */
  eml("From: postmaster@contoso.com\nContent-Type: multipart/report; "
      "report-type=delivery-status; boundary=b\n\n--b\n"
      "Content-Type: message/delivery-status\n"
      "X-Microsoft-Exchange-Diagnostics:\n\t1;SG2;27:abc\n"
      "X-Message-Delivery: Vj0xLjE7dXM9MDs=\n\n"
      "Reporting-MTA: dns;SG2APC01HT247.mail.protection.outlook.com\n"
      "Received-From-MTA: dns;SLXP216MB0381.KORP216.PROD.OUTLOOK.COM\n"
      "Arrival-Date: Mon, 21 May 2018 05:07:55 +0000\n\n"
      "Final-Recipient: rfc822;a@b.jp\nAction: failed\nStatus: 5.1.351\n"
      "Diagnostic-Code: smtp;550 5.1.351 Remote server returned unknown "
      "recipient or\n mailbox unavailable\nRemote-MTA: dns;mx.b.jp\n"
      "X-Supplementary-Info: <mx.b.jp #5.1.1 smtp;550 5.1.1 <a@b.jp>: "
      "Recipient address rejected: User unknown>\n"
      "X-Display-Name: A\n\n--b--\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK(contains(TEXT(&g, 0), "5.1.351 Remote server returned unknown "
                              "recipient or mailbox unavailable"));
  CHECK(contains(TEXT(&g, 0), "User unknown"));
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORTING_MTA),
            "SG2APC01HT247.mail.protection.outlook.com");
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mx.b.jp");
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORT_DATE), "Mon, 21 May 2018 05:07:55 +0000");
  /* a diagnostic without any code: the human text's paragraph */
  eml("From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; "
      "boundary=b\n\n--b\n\n   ----- Transcript of session follows -----\n"
      "554 5.3.0 unknown mailer error 255\n\n"
      "--b\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822; a@b.jp\nAction: failed\nStatus: 5.0.0\n"
      "Diagnostic-Code: X-Unix; 255\n--b--\n",
      &g);
  CHECK_STR(g.r[0].status, "5.3.0");
  CHECK(contains(TEXT(&g, 0), "unknown mailer error 255"));
}

/* ------------------------------------------------------ human formats */

static void test_exchange(void) {
  got g;
  /* Exchange 2003 (IMS), no delivery-status part */
  eml("From: System Administrator <postmaster@example.jp>\n"
      "Subject: Undeliverable: Nyaan\nX-Mailer: Internet Mail Service "
      "(5.5.2653.19)\n\n"
      "Your message\n\n  To:      kijitora@example.com\n  Subject: Nyaan\n"
      "  Sent:    Thu, 29 Apr 2004 00:00:00 -0000\n\n"
      "did not reach the following recipient(s):\n\n"
      "kijitora@example.com on Thu, 29 Apr 2004 00:00:01 -0000\n"
      "    The e-mail account does not exist at the organization this "
      "message was sent to.\n"
      "    <mx.example.jp #5.1.1 smtp;550 5.1.1 <kijitora@example.com>... "
      "User unknown>\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "kijitora@example.com");
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK_INT(g.r[0].reply, 550);
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mx.example.jp");

  /* Exchange 2007: two recipients, "#550 5.1.1 ... ##" */
  eml("From: postmaster@example.jp\nSubject: Undeliverable: Nyaan\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "Content-Transfer-Encoding: quoted-printable\n\n"
      "Delivery has failed to these recipients or distribution lists:\n\n"
      "kijitora@example.jp\nThe recipient's e-mail address was not found in "
      "the recipient's e-mail syst=\nem.\n\nneko@example.jp\nThe recipient's "
      "mailbox is full.\n\nSent by Microsoft Exchange Server 2007\n\n"
      "Diagnostic information for administrators:\n\n"
      "Generating server: mta.example.jp\n\n"
      "kijitora@example.jp\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found "
      "##\n\nneko@example.jp\n#550 5.2.2 STOREDRV.Deliver; mailbox full ##\n\n"
      "Original message headers:\n\nReceived: from x by y\n"
      "Message-ID: <abc@example.org>\nFrom: Sender <sender@example.org>\n"
      "To: kijitora@example.jp\nSubject: Nyaan\n",
      &g);
  CHECK_INT(g.n, 2);
  CHECK_STR(RCPT(&g, 0), "kijitora@example.jp");
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK(contains(TEXT(&g, 0), "RESOLVER.ADR.RecipNotFound"));
  CHECK_STR(RCPT(&g, 1), "neko@example.jp");
  CHECK_STR(g.r[1].status, "5.2.2");
  CHECK_STR(FIELD(&g, 1, NDR_F_REPORTING_MTA), "mta.example.jp");
  CHECK_STR(FIELD(&g, 1, NDR_F_MESSAGE_ID), "<abc@example.org>");

  /* 2013-2019 and EXO classic: nested reply, the innermost code decides */
  eml("From: Microsoft Outlook <postmaster@contoso.com>\n"
      "Subject: Undeliverable: Hello\n\n"
      "Delivery has failed to these recipients or groups:\n\n"
      "user@fabrikam.com (user@fabrikam.com)\nYour message wasn't delivered "
      "because the recipient's email provider rejected it.\n\n"
      "Diagnostic information for administrators:\n\n"
      "Generating server: BL2PR01MB1234.prod.outlook.com\n\n"
      "user@fabrikam.com\nmx.fabrikam.com\n"
      "Remote Server returned '554 5.7.0 < #5.7.133 smtp;550 5.7.133 "
      "RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication "
      "required>'\n\nOriginal message headers:\n\nFrom: a@contoso.com\n"
      "Subject: Hello\nMessage-ID: <m@contoso.com>\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "user@fabrikam.com");
  CHECK_STR(g.r[0].status, "5.7.133");
  CHECK_INT(g.r[0].reply, 550);
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORTING_MTA),
            "BL2PR01MB1234.prod.outlook.com");
  CHECK_STR(FIELD(&g, 0, NDR_F_SUBJECT), "Hello");

  /* Exchange 2010 delay: retries listed newest first */
  eml("From: postmaster@example.com\n"
      "Subject: Delivery Status Notification (Delay)\n\n"
      "Delivery is delayed to these recipients or "
      "groups:\n\nuser@mydomain.com\n\n"
      "Diagnostic information for administrators:\n\n"
      "Generating server: mail.example.com\n\nuser@mydomain.com\n"
      "3/10/2016 8:05:56 PM - Remote Server at mydomain.com (10.1.1.3) "
      "returned '400 4.4.7 Message delayed'\n"
      "3/10/2016 7:34:12 PM - Remote Server at mydomain.com (10.1.1.3) "
      "returned '441 4.4.1 Error encountered'\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.r[0].kind, NDR_KIND_DELAY);
  CHECK_STR(g.r[0].status, "4.4.7");
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mydomain.com");
}

static void test_outlook_rendered(void) {
  got g;
  /* an NDR as Outlook shows it, forwarded by a user */
  eml("From: user@example.org\nTo: helpdesk@example.org\n"
      "Subject: FW: Undeliverable: Test\n\n"
      "-----Original Message-----\nFrom: System Administrator\n"
      "Sent: Wednesday, January 1, 2020 10:00 AM\nTo: user@example.org\n"
      "Subject: Undeliverable: Test\n\n"
      "Your message did not reach some or all of the intended recipients.\n\n"
      "      Subject:\tTest\n      Sent:\t1/1/2020 10:00 AM\n\n"
      "The following recipient(s) cannot be reached:\n\n"
      "      'kijitora@example.jp' on 1/1/2020 10:00 AM\n"
      "            Server error: '550 5.1.1 <kijitora@example.jp>: Recipient "
      "address rejected: User unknown'\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "kijitora@example.jp");
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK_INT(g.r[0].reply, 550);
}

static void test_exo_enhanced_html(void) {
  got g;
  eml("From: Microsoft Outlook <MicrosoftExchange@contoso.onmicrosoft.com>\n"
      "Subject: Undeliverable: Report\nContent-Type: text/html; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n\n"
      "<html><body><p>Your message to <a href=3D\"mailto:nobody@fabrikam.com\">"
      "nobody@fabrikam.com</a> couldn't be delivered.</p>"
      "<p>nobody wasn't found at fabrikam.com.</p><p><b>Unknown To address</b>"
      "</p><p><b>More Info for Email Admins</b></p><p>Status code: 550 5.1.10"
      "</p><table><tr><td>Reported error:</td><td>550 5.1.10 RESOLVER.ADR."
      "RecipientNotFound; Recipient not found by SMTP address lookup</td></tr>"
      "<tr><td>DSN generated by:</td><td>AM0PR01MB1234.eurprd01.prod."
      "exchangelabs.com</td></tr></table><p><b>Message Hops</b></p><table><tr>"
      "<td>1</td><td>mail.contoso.com</td></tr></table></body></html>\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "nobody@fabrikam.com");
  CHECK_STR(g.r[0].status, "5.1.10");
  CHECK(contains(TEXT(&g, 0), "RecipientNotFound"));
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORTING_MTA),
            "AM0PR01MB1234.eurprd01.prod.exchangelabs.com");
}

static void test_gmail(void) {
  got g;
  /* old format */
  eml("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
      "Subject: Delivery Status Notification (Failure)\n\n"
      "Delivery to the following recipient failed permanently:\n\n"
      "     userunknown@example.jp\n\n"
      "Technical details of permanent failure: \nGoogle tried to deliver your "
      "message, but it was rejected by the server for the recipient domain "
      "example.jp by mx.example.jp. [192.0.2.153].\n\n"
      "The error that the other server returned was:\n550 5.1.1 "
      "<userunknown@example.jp>... User Unknown\n\n"
      "----- Original message -----\n\nDKIM-Signature: v=1\n"
      "Message-Id: <D9@gmail.com>\nSubject: TEST\nFrom: a@gmail.com\n"
      "To: userunknown@example.jp\n\ntest\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "userunknown@example.jp");
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mx.example.jp");
  CHECK_STR(FIELD(&g, 0, NDR_F_MESSAGE_ID), "<D9@gmail.com>");
  /* several recipients, one technical section */
  eml("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
      "Subject: Delivery Status Notification (Failure)\n\n"
      "Delivery to the following recipients failed permanently:\n\n"
      "     a@example.jp\n     b@example.jp\n\n"
      "Technical details of permanent failure:\nGoogle tried to deliver "
      "your message, but it was rejected by the server for the recipient "
      "domain example.jp by mx.example.jp. [192.0.2.1].\n\n"
      "The error that the other server returned was:\n550 5.1.1 User "
      "unknown\n",
      &g);
  CHECK_INT(g.n, 2);
  CHECK_STR(RCPT(&g, 0), "a@example.jp");
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK_STR(RCPT(&g, 1), "b@example.jp");
  CHECK_STR(g.r[1].status, "5.1.1");
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mx.example.jp");
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORTING_MTA), "googlemail.com");
  /* new format, text only (an empty delivery-status part) */
  eml("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
      "Subject: Delivery Status Notification (Failure)\n"
      "Content-Type: multipart/report; boundary=g1; "
      "report-type=delivery-status\n\n--g1\nContent-Type: text/plain; "
      "charset=UTF-8\n\n** Address not found **\n\nYour message wasn't "
      "delivered to nouser@example.com because the address couldn't be "
      "found, or is unable to receive mail.\n\nThe response from the remote "
      "server was:\n550 5.1.1 <nouser@example.com>: Recipient address "
      "rejected\n\n--g1\nContent-Type: message/delivery-status\n\n--g1--\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "nouser@example.com");
  CHECK_STR(g.r[0].status, "5.1.1");
  /* delay */
  eml("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
      "Subject: Delivery Status Notification (Delay)\n\n"
      "Delivery to the following recipient has been delayed:\n\n"
      "     kijitora@example.com\n\nMessage will be retried for 2 more "
      "day(s)\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.r[0].kind, NDR_KIND_DELAY);
}

static void test_yahoo_qmail(void) {
  got g;
  eml("From: MAILER-DAEMON@yahoo.com\nSubject: Failure Notice\n\n"
      "Sorry, we were unable to deliver your message to the following "
      "address.\n\n<kijitora@example.jp>:\nRemote host said:\n550 5.1.1 "
      "<kijitora@example.jp>... User Unknown\n[RCPT_TO]\n\n"
      "--- Below this line is a copy of the message.\n\n"
      "Received: from x by y\nFrom: a@yahoo.com\nTo: kijitora@example.jp\n"
      "Subject: Nyaaan\nMessage-ID: <y@yahoo.com>\n\nNyaaan\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "kijitora@example.jp");
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK_STR(FIELD(&g, 0, NDR_F_SUBJECT), "Nyaaan");
  eml("From: MAILER-DAEMON@mx4.example.jp\nSubject: failure notice\n\n"
      "Hi. This is the qmail-send program at mx4.example.jp.\n"
      "I'm afraid I wasn't able to deliver your message to the following "
      "addresses.\nThis is a permanent error; I've given up. Sorry it didn't "
      "work out.\n\n<a@example.ne.jp>:\n192.0.2.32 does not like recipient.\n"
      "Remote host said: 550 Unknown user\nGiving up on 192.0.2.32.\n\n"
      "<b@example.ne.jp>:\nThis address no longer accepts mail. (#5.1.1)\n\n"
      "--- Below this line is a copy of the message.\n\n",
      &g);
  CHECK_INT(g.n, 2);
  CHECK_STR(RCPT(&g, 0), "a@example.ne.jp");
  CHECK_INT(g.r[0].reply, 550);
  CHECK_STR(RCPT(&g, 1), "b@example.ne.jp");
  CHECK_STR(g.r[1].status, "5.1.1");
  CHECK_STR(FIELD(&g, 1, NDR_F_REPORTING_MTA), "mx4.example.jp");
}

static void test_mta_transcripts(void) {
  got g;
  /* Postfix without a delivery-status part */
  eml("From: MAILER-DAEMON (Mail Delivery System)\n"
      "Subject: Undelivered Mail Returned to Sender\n\n"
      "This is the Postfix program at host mx.example.org.\n\n"
      "For further assistance, please contact <postmaster@example.org>\n\n"
      "<a@example.jp>: host mx.example.jp[192.0.2.1] said: 550 5.2.2\n"
      "    <a@example.jp>: Mailbox full (in reply to RCPT TO command)\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "a@example.jp");
  CHECK_STR(g.r[0].status, "5.2.2");
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mx.example.jp");
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORTING_MTA), "mx.example.org");
  /* Sendmail transcript, old style, several recipients */
  eml("From: Mail Delivery Subsystem <MAILER-DAEMON@example.jp>\n"
      "Subject: Returned mail: User unknown\n\n"
      "   ----- Transcript of session follows -----\n"
      "550 <a@example.edu>... Host unknown (Name server: example.edu: host "
      "not found)\n"
      "While talking to mail.example.co.jp:\n>>> RCPT To:<b@example.co.jp>\n"
      "<<< 550 Requested User Mailbox not found.\n"
      "550 <b@example.co.jp>... User unknown\n\n"
      "   ----- Unsent message follows -----\n"
      "Received: by x; Thu, 29 Apr 1999\nFrom: s@example.jp\n"
      "To: a@example.edu\nSubject: Nyaan\n\nNyaaaan\n",
      &g);
  CHECK_INT(g.n, 2);
  CHECK_STR(RCPT(&g, 0), "a@example.edu");
  CHECK(contains(TEXT(&g, 0), "Host unknown"));
  CHECK_STR(RCPT(&g, 1), "b@example.co.jp");
  CHECK(contains(TEXT(&g, 1), "User unknown"));
  /* Exim: the sender's MAIL FROM is not a recipient */
  eml("From: Mail Delivery System <Mailer-Daemon@e1.example.org>\n"
      "To: shironeko@example.jp\n"
      "Subject: Mail delivery failed: returning message to sender\n"
      "X-Failed-Recipients: kijitora@example.ed.jp\n\n"
      "This message was created automatically by mail delivery software.\n\n"
      "A message that you sent could not be delivered to one or more of its\n"
      "recipients. This is a permanent error. The following address(es) "
      "failed:\n\n  kijitora@example.ed.jp\n"
      "    SMTP error from remote mail server after MAIL "
      "FROM:<shironeko@example.jp> SIZE=1543:\n"
      "    host mx.example.jp [192.0.2.20]: 550 5.7.0 "
      "<shironeko@example.jp>... "
      "Please use the smtp server of your ISP.\n\n"
      "------ This is a copy of the message, including all the headers. "
      "------\n\nReturn-path: <shironeko@example.jp>\nReceived: from x\n"
      "Message-Id: <E1@e1.example.org>\nFrom: shironeko@example.jp\n\ntest\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "kijitora@example.ed.jp");
  CHECK_STR(g.r[0].status, "5.7.0");
  CHECK_STR(FIELD(&g, 0, NDR_F_REMOTE_MTA), "mx.example.jp");
  CHECK_STR(FIELD(&g, 0, NDR_F_MESSAGE_ID), "<E1@e1.example.org>");
  /* a report that names nobody: X-Failed-Recipients */
  eml("From: MAILER-DAEMON@example.org\nSubject: Mail delivery failed\n"
      "X-Failed-Recipients: x@example.net, y@example.net\n\n"
      "550 5.1.1 User unknown\n",
      &g);
  CHECK_INT(g.n, 2);
  CHECK_STR(RCPT(&g, 1), "y@example.net");
  CHECK_STR(g.r[1].status, "5.1.1");
}

static void test_other_kinds(void) {
  got g;
  /* ARF */
  eml("From: feedbackloop@feedback.example.com\nSubject: FW: x\n"
      "Content-Type: multipart/report; report-type=feedback-report; "
      "boundary=\"f\"\n\n--f\nContent-Type: text/plain\n\nAbuse report\n\n"
      "--f\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"
      "User-Agent: Thing/1.0\nVersion: 1\nOriginal-Rcpt-To: a@example.com\n"
      "Original-Rcpt-To: b@example.com\n\n--f\nContent-Type: "
      "message/rfc822\n\nFrom: n@example.jp\nTo: a@example.com\n"
      "Message-ID: <spam@example.jp>\n\nbuy\n--f--\n",
      &g);
  /* one feedback record for each recipient the report names */
  CHECK_INT(g.n, 2);
  for (int i = 0; i < 2; i++) {
    CHECK_INT(g.r[i].kind, NDR_KIND_FEEDBACK);
    CHECK_STR(FIELD(&g, i, NDR_F_ACTION), "abuse");
    CHECK_STR(FIELD(&g, i, NDR_F_MESSAGE_ID), "<spam@example.jp>");
  }
  CHECK_STR(RCPT(&g, 0), "a@example.com");
  CHECK_STR(RCPT(&g, 1), "b@example.com");
  /* vacation */
  eml("From: kijitora@example.net\nTo: s@example.org\n"
      "Subject: Away until May 5\nAuto-Submitted: auto-replied\n\n"
      "I am away, mail me at neko@example.net for urgent matters.\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_INT(g.r[0].kind, NDR_KIND_AUTOREPLY);
  CHECK_STR(RCPT(&g, 0), "kijitora@example.net");
  /* an ordinary message: counted, not classified */
  eml("From: a@example.org\nTo: b@example.org\nSubject: lunch?\n\n"
      "Shall we? Write to c@example.org too.\n",
      &g);
  CHECK_INT(g.n, 0);
  CHECK_INT(g.skipped, 1);
  CHECK(contains(g.skip, "not a bounce"));
  /* a read receipt */
  eml("From: a@example.org\nSubject: Read: x\nContent-Type: multipart/report; "
      "report-type=disposition-notification; boundary=m\n\n--m\n"
      "Content-Type: text/plain\n\nYour message was read.\n--m\n"
      "Content-Type: message/disposition-notification\n\nDisposition: "
      "manual-action/MDN-sent-manually; displayed\n--m--\n",
      &g);
  CHECK_INT(g.n, 0);
  CHECK(contains(g.skip, "read receipt"));
  /* Amazon SES (SNS) notification */
  eml("From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n"
      "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
      "\"Permanent\",\"bouncedRecipients\":[{\"emailAddress\":\"bounce@"
      "simulator.amazonses.com\",\"action\":\"failed\",\"status\":\"5.1.1\","
      "\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}],\"reportingMTA\":"
      "\"dsn; a27-23.smtp-out.us-west-2.amazonses.com\"},\"mail\":{}}\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "bounce@simulator.amazonses.com");
  CHECK_STR(g.r[0].status, "5.1.1");
  CHECK_STR(FIELD(&g, 0, NDR_F_REPORTING_MTA),
            "a27-23.smtp-out.us-west-2.amazonses.com");
  /* a forwarded bounce, quoted by a mail client */
  eml("From: someone@example.jp\nSubject: Fwd: Returned mail\n\n"
      "Begin forwarded message:\n\n> From: Mail Delivery Subsystem "
      "<MAILER-DAEMON>\n> Subject: Returned mail: see transcript for details\n"
      ">\n>    ----- The following addresses had permanent fatal errors -----\n"
      "> <kijitora@example.com>\n>     (reason: 550 5.1.1 User unknown)\n"
      "> Final-Recipient: RFC822; kijitora@example.com\n> Action: failed\n"
      "> Status: 5.1.1\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "kijitora@example.com");
  CHECK_STR(g.r[0].status, "5.1.1");
}

/* ------------------------------------------------------------ hostile */

static void test_hostile(void) {
  got g;
  /* truncated MIME: no closing boundary, cut inside a part's headers */
  eml("From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; "
      "boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822; a@b.jp\nAction: failed\nStatus: 5.1.1\n"
      "--b\nContent-Ty",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(g.r[0].status, "5.1.1");
  /* a lying boundary: the body uses another one */
  eml("From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; "
      "boundary=\"declared\"\n\n--actual\nContent-Type: "
      "message/delivery-status\n\nFinal-Recipient: rfc822; a@b.jp\n"
      "Action: failed\nStatus: 5.2.2\n--actual--\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(g.r[0].status, "5.2.2");
  CHECK(g.warnings >= 1);
  /* a missing boundary parameter */
  eml("From: MAILER-DAEMON@x.org\nContent-Type: multipart/mixed\n\n"
      "--zz\nContent-Type: text/plain\n\n<a@b.jp>: host h.b.jp[192.0.2.1] "
      "said: 550 5.1.1 unknown\n--zz--\n",
      &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "a@b.jp");
  /* binary junk */
  unsigned char junk[4096];
  unsigned x = 12345;
  for (size_t i = 0; i < sizeof junk; i++) {
    x = x * 1103515245u + 12345u;
    junk[i] = (unsigned char)(x >> 16);
  }
  run((const char *)junk, sizeof junk, NDR_IN_EML, &g);
  CHECK(g.n + g.skipped + g.errors >= 1);
  run((const char *)junk, sizeof junk, NDR_IN_MBOX, &g);
  CHECK(g.n + g.skipped + g.errors >= 1);
  /* headers only, empty, blank */
  eml("From: MAILER-DAEMON@x.org\nSubject: Undeliverable", &g);
  CHECK_INT(g.n, 1); /* a bounce that names nobody still gives a record */
  CHECK_STR(RCPT(&g, 0), "");
  run("", 0, NDR_IN_EML, &g);
  CHECK_INT(g.skipped, 1);
  eml("\n\n  \n", &g);
  CHECK_INT(g.skipped, 1);

  /* a 1 MB line in the text and in a header */
  size_t big = 1024 * 1024;
  char *m = malloc(big + 512);
  int k = snprintf(m, 512, "From: MAILER-DAEMON@x.org\nX-Long: ");
  memset(m + k, 'a', big);
  k += (int)big;
  k += snprintf(m + k, 512, "\n\n<a@b.jp>: 550 5.1.1 unknown ");
  memset(m + k, 'b', 100);
  k += 100;
  m[k] = '\0';
  eml(m, &g);
  CHECK_INT(g.n, 1);
  CHECK_STR(RCPT(&g, 0), "a@b.jp");
  run(m, (size_t)k, NDR_IN_MBOX, &g);
  CHECK_INT(g.n, 1);
  free(m);

  /* deep nesting: 1000 multiparts, each inside the one before */
  ndr_buf d = NDR_BUF_INIT;
  ndr_buf_adds(&d, "From: MAILER-DAEMON@x.org\n");
  for (int i = 0; i < 1000; i++)
    ndr_buf_printf(&d,
                   "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n"
                   "--b%d\n",
                   i, i);
  ndr_buf_adds(&d, "Content-Type: text/plain\n\n<a@b.jp>: 550 5.1.1 x\n");
  eml(ndr_buf_str(&d), &g);
  CHECK(g.warnings >= 1);
  CHECK(g.n + g.skipped >= 1);
  /* many parts */
  ndr_buf_clear(&d);
  ndr_buf_adds(&d, "From: MAILER-DAEMON@x.org\nContent-Type: multipart/mixed; "
                   "boundary=p\n\n");
  for (int i = 0; i < 3000; i++)
    ndr_buf_adds(&d, "--p\nContent-Type: text/plain\n\nx\n");
  ndr_buf_adds(&d, "--p--\n");
  eml(ndr_buf_str(&d), &g);
  CHECK(g.warnings >= 1);
  /* more recipients than the limit: the rest are dropped, and said so */
  ndr_buf_clear(&d);
  ndr_buf_adds(&d,
               "From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; "
               "boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n");
  for (unsigned i = 0; i < NDR_MAX_RECIPIENTS + 10; i++)
    ndr_buf_printf(&d, "Final-Recipient: rfc822; u%u@b.jp\nAction: failed\n\n",
                   i);
  eml(ndr_buf_str(&d), &g);
  CHECK_INT(g.errors, 1);
  CHECK(contains(g.problem, "more recipients than the limit"));
  /* NULs inside */
  static const char nul[] =
      "From: MAILER-DAEMON@x.org\n\n<a@b.jp>: 550 5.1.1\0x\n";
  run(nul, sizeof nul - 1, NDR_IN_EML, &g);
  CHECK_INT(g.n, 1);
  ndr_buf_free(&d);

  /* a message over the size limit: read on its first bytes, one warning */
  size_t huge = NDR_MAX_MESSAGE_BYTES + 4096;
  char *hm = malloc(huge);
  int hk = snprintf(hm, 512,
                    "From: MAILER-DAEMON@x.org\nContent-Type: "
                    "multipart/mixed; boundary=h\n\n--h\n\n<a@b.jp>: "
                    "550 5.1.1 gone\n--h\nContent-Type: "
                    "application/octet-stream\n\n");
  memset(hm + hk, 'z', huge - (size_t)hk);
  for (size_t i = (size_t)hk + 76; i < huge; i += 77) hm[i] = '\n';
  run(hm, huge, NDR_IN_EML, &g);
  CHECK_INT(g.n, 1);
  CHECK(g.warnings >= 1);
  CHECK(contains(g.problem, "longer than"));
  free(hm);
}

/* --------------------------------------------------------------- mbox */

static void test_mbox(void) {
  got g;
  const char *mb =
      "From MAILER-DAEMON Thu Apr 29 23:34:45 2010\n"
      "From: MAILER-DAEMON@x.org\nSubject: Undeliverable\n\n"
      "<a@b.jp>: 550 5.1.1 unknown\n"
      "From the text, not a separator (no blank line before)\n\n"
      "From MAILER-DAEMON Thu Apr 29 23:34:46 2010\n"
      "From: MAILER-DAEMON@x.org\nSubject: Undeliverable\n\n"
      "<c@d.jp>: 550 5.2.2 full\n"
      "From someone@example.org Thu Apr 29 23:34:47 2010\n" /* envelope line */
      "From: a@example.org\nSubject: hi\n\nnot a bounce\n"
      "\n"
      "From MAILER-DAEMON Thu Apr 29 23:34:48 2010\n"; /* empty message */
  run(mb, strlen(mb), NDR_IN_MBOX, &g);
  CHECK_INT(g.n, 2);
  CHECK_STR(RCPT(&g, 0), "a@b.jp");
  CHECK_INT(g.r[0].where, 1);
  CHECK_STR(RCPT(&g, 1), "c@d.jp");
  CHECK_INT(g.r[1].where, 2);
  CHECK_INT(g.skipped, 2); /* the third (not a bounce), the fourth (empty) */
  /* CR-only line ends, and CRLF, split over the reader's chunks */
  size_t n = strlen(mb);
  char *cr = malloc(n * 2 + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) cr[k++] = mb[i] == '\n' ? '\r' : mb[i];
  run(cr, k, NDR_IN_MBOX, &g);
  CHECK_INT(g.n, 2);
  CHECK_STR(RCPT(&g, 1), "c@d.jp");
  k = 0;
  for (size_t i = 0; i < n; i++) {
    if (mb[i] == '\n') cr[k++] = '\r';
    cr[k++] = mb[i];
  }
  run(cr, k, NDR_IN_MBOX, &g);
  CHECK_INT(g.n, 2);
  free(cr);
  /* many messages: the separator found wherever the chunks cut */
  ndr_buf d = NDR_BUF_INIT;
  for (int i = 0; i < 5000; i++)
    ndr_buf_printf(&d,
                   "From MAILER-DAEMON Thu Apr 29 23:34:45 2010\n"
                   "From: MAILER-DAEMON@x.org\nSubject: Undeliverable\n\n"
                   "<u%d@b.jp>: 550 5.1.1 unknown%.*s\n\n",
                   i, i % 37, "                                     ");
  got *many = malloc(sizeof *many);
  memset(many, 0, sizeof *many);
  ndr_input_cb cb = {on_rec, on_skip, on_problem, many};
  FILE *f = fmemopen(d.p, d.len, "rb");
  CHECK(ndr_input_mbox(f, "many", &cb) == NDR_OK);
  fclose(f);
  CHECK_INT(many->n, MAXREC); /* capped by the harness */
  CHECK_INT(many->skipped, 0);
  CHECK_INT(many->errors, 0);
  CHECK_STR(many->r[MAXREC - 1].f[NDR_F_RECIPIENT], "u63@b.jp");
  free(many);
  ndr_buf_free(&d);
  /* text without a "From " line is one message */
  run("From: MAILER-DAEMON@x.org\n\n<a@b.jp>: 550 5.1.1 x\n", 44, NDR_IN_MBOX,
      &g);
  CHECK_INT(g.n, 1);
  run("22\n", 3, NDR_IN_MBOX, &g);
  CHECK_INT(g.n + g.skipped + g.errors, 1);
}

int main(void) {
  test_qp_b64();
  test_words();
  test_ctype();
  test_charsets();
  test_html();
  test_addresses();
  test_dsn_fields();
  test_dsn_message();
  test_status_decision();
  test_exchange();
  test_outlook_rendered();
  test_exo_enhanced_html();
  test_gmail();
  test_yahoo_qmail();
  test_mta_transcripts();
  test_other_kinds();
  test_hostile();
  test_mbox();
  return unit_done();
}
