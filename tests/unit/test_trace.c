/*
 * test_trace.c - the message-trace readers' pieces (src/input/clixml.c,
 * recipstatus.c, trace.c, tracecsv.c, msgtrk.c) where the data tests of
 * tests/run-trace.sh cannot look closely: _xHHHH_ decoding, RecipientStatus
 * tuples with every hazard of the real samples, Detail strings, positional
 * status cells, field names, CSV rows, UTF-16 text, type detection, and
 * the CLIXML reader on small in-memory exports (whitespace kept, <Ref>,
 * empty lists, <Nil>, enums as objects, errors and their places).
 */
#include <stdlib.h>
#include <string.h>

#include "input/input.h"
#include "input/trace.h"
#include "unit.h"

/* ---------------------------------------------------------------- unescape */

static const char *unescape(const char *s) {
  static char buf[512];
  size_t n = strlen(s);
  memcpy(buf, s, n);
  n = ndr_clixml_unescape(buf, n);
  buf[n] = '\0';
  return buf;
}

static void test_unescape(void) {
  CHECK_STR(unescape("plain"), "plain");
  CHECK_STR(unescape("a_x000D__x000A_b"), "a\r\nb");
  CHECK_STR(unescape("Q3_x005F_x report"), "Q3_x report");
  CHECK_STR(unescape("caf_x00e9_ _x00E9_"), "caf\xc3\xa9 \xc3\xa9");
  CHECK_STR(unescape("_xD83D__xDE00_"), "\xf0\x9f\x98\x80"); /* pair */
  CHECK_STR(unescape("_xd83d__xde00_"), "\xf0\x9f\x98\x80"); /* lower */
  CHECK_STR(unescape("_X0001F600_"), "\xf0\x9f\x98\x80");    /* 8 digits */
  CHECK_STR(unescape("a_xD800_b"), "a\xef\xbf\xbd"
                                   "b"); /* lone high */
  CHECK_STR(unescape("a_xDC00_b"), "a\xef\xbf\xbd"
                                   "b");              /* lone low */
  CHECK_STR(unescape("_xD83D_x"), "\xef\xbf\xbdx");   /* high, no low */
  CHECK_STR(unescape("_x00110000_"), "\xef\xbf\xbd"); /* > U+10FFFF */
  CHECK_STR(unescape("_x0000_"), "\xef\xbf\xbd");     /* NUL: text */
  CHECK_STR(unescape("keep _xZZ_ _x12_ _x1234 _"), "keep _xZZ_ _x12_ _x1234 _");
  CHECK_STR(unescape("__x0041_"), "_A");
  CHECK_STR(unescape("_x0041__x0042_"), "AB");
  CHECK_STR(unescape("_x0041"), "_x0041"); /* cut at the end */
  CHECK_STR(unescape("  "), "  ");         /* never trimmed */
  CHECK_INT(ndr_clixml_unescape(NULL, 0), 0);
}

/* ------------------------------------------------------------------ tuples */

static char got_led[2048], got_fqdn[256], got_ip[64], got_msg[256], got_lrt[64];

static int tuple(const char *s) {
  trace_tuple t;
  int r = trace_parse_tuple(s, strlen(s), &t);
  snprintf(got_led, sizeof got_led, "%.*s", (int)t.led_len, t.led);
  snprintf(got_msg, sizeof got_msg, "%.*s", (int)t.msg_len, t.msg);
  snprintf(got_fqdn, sizeof got_fqdn, "%.*s", (int)t.fqdn_len, t.fqdn);
  snprintf(got_ip, sizeof got_ip, "%.*s", (int)t.ip_len, t.ip);
  snprintf(got_lrt, sizeof got_lrt, "%.*s", (int)t.lrt_len, t.lrt);
  return r;
}

static void test_tuples(void) {
  CHECK(tuple("[{LED=550 5.7.1 Sender ID (PRA) Not Permitted};{MSG=};{FQDN=};"
              "{IP=x.x.x.x};{LRT=}]"));
  CHECK_STR(got_led, "550 5.7.1 Sender ID (PRA) Not Permitted");
  CHECK_STR(got_ip, "x.x.x.x");
  CHECK_STR(got_fqdn, "");
  /* ';' inside LED */
  CHECK(tuple("[{LED=550 5.1.1 RESOLVER.ADR.RecipNotFound; not found};{MSG=};"
              "{FQDN=};{IP=};{LRT=}]"));
  CHECK_STR(got_led, "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found");
  /* '{' and '}' inside LED: the sample's "i{...}}" */
  CHECK(
      tuple("[{LED=451-4.7.23 Message deferred IB305 i{2b0c499b-c839}};{MSG=};"
            "{FQDN=extmail.bigpond.com};{IP=203.42.22.10};{LRT=1/21/2025 "
            "3:45:12 AM}]"));
  CHECK_STR(got_led, "451-4.7.23 Message deferred IB305 i{2b0c499b-c839}");
  CHECK_STR(got_fqdn, "extmail.bigpond.com");
  CHECK_STR(got_lrt, "1/21/2025 3:45:12 AM");
  /* '[' and ']' and a "};" that is not a separator */
  CHECK(tuple("[{LED=450 4.4.316 Connection refused [Message=Socket error code "
              "10061] {a};b [c]};{MSG=m};{FQDN=f};{IP=i};{LRT=l}]"));
  CHECK_STR(got_led,
            "450 4.4.316 Connection refused [Message=Socket error code "
            "10061] {a};b [c]");
  CHECK_STR(got_msg, "m");
  /* line breaks inside LED, and Format-List's break between parts */
  CHECK(tuple("[{LED=550-5.7.26 one \r\n550 5.7.26 two};{MSG=};"
              "{FQDN=gmail-smtp-in.l.google.com};\r\n   {IP=74.125.142.27};"
              "{LRT=12/03/2025 19:50:43}]"));
  CHECK_STR(got_led, "550-5.7.26 one \r\n550 5.7.26 two");
  CHECK_STR(got_ip, "74.125.142.27");
  /* any key order, LRT first, no MSG */
  CHECK(tuple("[{LRT=};{LED=550 5.1.1 x};{FQDN=mx.example};{IP=}]"));
  CHECK_STR(got_led, "550 5.1.1 x");
  CHECK_STR(got_fqdn, "mx.example");
  /* keys in lower case, a "}]" inside the text */
  CHECK(tuple("[{led=554 5.6.0 a}]b};{fqdn=h}]"));
  CHECK_STR(got_led, "554 5.6.0 a}]b");
  CHECK_STR(got_fqdn, "h");
  /* cut off: runs to the end */
  CHECK(tuple(
      "Reason: [{LED=450 4.4.316 Connection refused [Message=Socket error "
      "code 10061]."));
  CHECK_STR(
      got_led,
      "450 4.4.316 Connection refused [Message=Socket error code 10061].");
  /* the Format-List {...} wrapper */
  CHECK(tuple("{[{LED=550 5.7.1 x};{MSG=};{FQDN=};{IP=};{LRT=}]}"));
  CHECK_STR(got_led, "550 5.7.1 x");
  /* not tuples */
  CHECK(!tuple("550 5.7.1 Sender ID (PRA) Domain Does Not Exist"));
  CHECK(!tuple("To"));
  CHECK(!tuple("[{foo=1}]"));
  CHECK(!tuple(""));
}

static void test_detail(void) {
  const char *t, *r;
  size_t tl, rl;
  const char *d = "Defer:Reason: [{LED=451 4.7.0 later};{MSG=};{FQDN=};{IP=};"
                  "{LRT=}]. OutboundProxyTargetIP: 203.42.22.10. "
                  "OutboundProxyTargetHostName: extmail.bigpond.com";
  trace_detail_text(d, strlen(d), &t, &tl, &r, &rl);
  CHECK(tl == strlen("451 4.7.0 later") &&
        memcmp(t, "451 4.7.0 later", tl) == 0);
  CHECK(rl == strlen("extmail.bigpond.com") &&
        memcmp(r, "extmail.bigpond.com", rl) == 0);
  d = "Reason: [{LED=};{MSG=only the message};{FQDN=mx.a};{IP=};{LRT=}]";
  trace_detail_text(d, strlen(d), &t, &tl, &r, &rl);
  CHECK(tl == strlen("only the message"));
  CHECK(rl == 4 && memcmp(r, "mx.a", 4) == 0);
  d = "The message was deferred. 450 4.4.316 Connection timed out";
  trace_detail_text(d, strlen(d), &t, &tl, &r, &rl);
  CHECK(t == d && tl == strlen(d));
  CHECK(r == NULL && rl == 0);
}

/* ---------------------------------------------------------------- splitting */

static void test_split(void) {
  trace_row row;
  trace_row_init(&row);
  size_t l;
  const char *s = "[{LED=550 5.1.1 a; b};{MSG=};{FQDN=};{IP=};{LRT=}];"
                  "[{LED=552 5.2.2 full; c};{MSG=};{FQDN=};{IP=};{LRT=}]";
  CHECK_INT(trace_split_statuses(s, strlen(s), 2, &row, TF_RSTATUS), 2);
  const char *v = trace_row_item(&row, TF_RSTATUS, 1, &l);
  CHECK(l > 10 && memcmp(v, "[{LED=552", 9) == 0);
  trace_row_clear(&row);
  s = "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found;250 2.1.5 Recipient OK";
  CHECK_INT(trace_split_statuses(s, strlen(s), 2, &row, TF_RSTATUS), 2);
  v = trace_row_item(&row, TF_RSTATUS, 0, &l);
  CHECK(l == strlen("550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"));
  trace_row_clear(&row);
  s = "To;Cc;Bcc";
  CHECK_INT(trace_split_statuses(s, strlen(s), 3, &row, TF_RSTATUS), 3);
  v = trace_row_item(&row, TF_RSTATUS, 2, &l);
  CHECK(l == 3 && memcmp(v, "Bcc", 3) == 0);
  trace_row_clear(&row);
  s = ";;"; /* three empty statuses */
  CHECK_INT(trace_split_statuses(s, strlen(s), 3, &row, TF_RSTATUS), 3);
  trace_row_clear(&row);
  s = "250 ok;250 ok;250 ok"; /* more values than wanted: the last takes the
                                 rest */
  CHECK_INT(trace_split_statuses(s, strlen(s), 2, &row, TF_RSTATUS), 2);
  v = trace_row_item(&row, TF_RSTATUS, 1, &l);
  CHECK(l == strlen("250 ok;250 ok"));
  trace_row_free(&row);
}

static void test_fields(void) {
  CHECK_INT(trace_field_lookup("RecipientStatus", 15), TF_RSTATUS);
  CHECK_INT(trace_field_lookup("recipient-status", 16), TF_RSTATUS);
  CHECK_INT(trace_field_lookup("recipient_status", 16), TF_RSTATUS);
  CHECK_INT(trace_field_lookup("date_time_utc", 13), TF_TIME);
  CHECK_INT(trace_field_lookup("Date Time", 9), TF_TIME);
  CHECK_INT(trace_field_lookup("EventId", 7), TF_EVENT);
  CHECK_INT(trace_field_lookup("event-id", 8), TF_EVENT);
  CHECK_INT(trace_field_lookup("Recipients", 10), TF_RECIPIENT);
  CHECK_INT(trace_field_lookup("PSComputerName", 14), -1);
  CHECK_INT(trace_field_lookup("", 0), -1);
  char longname[300];
  memset(longname, 'a', sizeof longname);
  CHECK_INT(trace_field_lookup(longname, sizeof longname), -1);
  /* a value over the limit is cut and says so */
  trace_row row;
  trace_row_init(&row);
  char *big = malloc(70000);
  memset(big, 'x', 70000);
  CHECK_INT(trace_row_add(&row, TF_DETAIL, big, 70000), 0);
  size_t l;
  trace_row_item(&row, TF_DETAIL, 0, &l);
  CHECK(l < 70000 && row.cut[TF_DETAIL]);
  free(big);
  trace_row_free(&row);
}

/* ---------------------------------------------------------------- CSV, text */

static void test_csv(void) {
  const char in[] = "#Fields: a,b\r\n"
                    "1,\"two, with \"\"quotes\"\"\r\nand a break\",3\r\n"
                    "\n"
                    "x,,\r\n"
                    "last";
  FILE *f = fmemopen((void *)in, sizeof in - 1, "r");
  trace_csv c;
  trace_csv_init(&c, f, ',');
  CHECK_INT(trace_csv_next(&c), 1);
  CHECK(c.raw_hash && strcmp(c.raw.p, "#Fields: a,b") == 0);
  CHECK_INT(trace_csv_next(&c), 1);
  CHECK_INT(c.nf, 3);
  CHECK_INT(c.row_line, 2);
  CHECK_STR(c.row.p + c.fields[1].off, "two, with \"quotes\"\r\nand a break");
  CHECK_INT(trace_csv_next(&c), 1);
  CHECK_INT(c.row_line, 4); /* the blank line: one empty field */
  CHECK(c.nf == 1 && c.fields[0].len == 0);
  CHECK_INT(trace_csv_next(&c), 1);
  CHECK_INT(c.nf, 3);
  CHECK_INT(trace_csv_next(&c), 1);
  CHECK_STR(c.row.p + c.fields[0].off, "last");
  CHECK_INT(trace_csv_next(&c), 0);
  trace_csv_free(&c);
  fclose(f);
}

static void test_text(void) {
  /* UTF-16LE with BOM, an emoji (surrogate pair), then a lone surrogate
     and a cut-off last byte: U+FFFD each */
  const unsigned char in[] = {0xFF, 0xFE, 'a',  0,    0xE9, 0,
                              0x3D, 0xD8, 0x00, 0xDE, 'b',  0,
                              0x00, 0xD8, 'c',  0,    'd'};
  FILE *f = fmemopen((void *)in, sizeof in, "r");
  const char *enc = NULL;
  FILE *g = trace_open_text(f, &enc);
  CHECK(g != NULL);
  CHECK_STR(enc, "UTF-16LE");
  char out[64] = "";
  size_t n = fread(out, 1, sizeof out - 1, g);
  out[n] = '\0';
  CHECK_STR(out, "a\xc3\xa9\xf0\x9f\x98\x80"
                 "b\xef\xbf\xbd"
                 "c\xef\xbf\xbd");
  fclose(g);
  fclose(f);
  const unsigned char u8[] = {0xEF, 0xBB, 0xBF, 'h', 'i'};
  f = fmemopen((void *)u8, sizeof u8, "r");
  g = trace_open_text(f, &enc);
  n = fread(out, 1, sizeof out - 1, g);
  out[n] = '\0';
  CHECK_STR(out, "hi");
  CHECK_STR(enc, "UTF-8");
  fclose(g);
  fclose(f);
}

static void test_detect(void) {
#define D(s) ndr_input_detect((const unsigned char *)(s), sizeof(s) - 1)
  CHECK_INT(D("<Objs Version=\"1.1.0.1\">"), NDR_IN_CLIXML);
  CHECK_INT(D("\xEF\xBB\xBF<Objs Version"), NDR_IN_CLIXML);
  CHECK_INT(D("#< CLIXML\r\n<Objs"), NDR_IN_CLIXML);
  CHECK_INT(D("<Obj RefId=\"0\"><TN"), NDR_IN_CLIXML);
  CHECK_INT(D("<!DOCTYPE Objs [<!ENTITY x \"y\">]>"), NDR_IN_CLIXML);
  CHECK_INT(D("\xFF\xFE<\0O\0b\0j\0s\0"), NDR_IN_CLIXML);
  CHECK_INT(D("<\0O\0b\0j\0s\0"), NDR_IN_CLIXML);
  CHECK_INT(D("\xFE\xFF\0<\0O\0b\0j"), NDR_IN_CLIXML);
  CHECK_INT(D("\xFF\xFE\"\0d\0a\0t\0e\0_\0t\0i\0m\0e\0_\0u\0t\0c\0\"\0,\0\"\0c"
              "\0\"\0,\0\"\0d\0\"\0,\0\"\0e\0\"\0\r\0\n\0"),
            NDR_IN_CSV);
  CHECK_INT(D("#Software: Microsoft Exchange Server\r\n"), NDR_IN_MSGTRK);
  CHECK_INT(D("2024-01-25T15:16:09.843Z,,,,exchange-mail,No suitable shadow "
              "servers,,SMTP,HAREDIRECTFAIL,7,<a>,2f,m@d,,1,1,,,s,M@h,r@h,,"
              "Incoming,,,,S:D=N,Email,dc,15.02.0330.005\n"),
            NDR_IN_MSGTRK);
  CHECK_INT(D("#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting."
              "MessageTrace\r\n"),
            NDR_IN_CSV);
  CHECK_INT(D("origin_timestamp_utc,sender_address,recipient_status,"
              "message_subject\r\n"),
            NDR_IN_CSV);
  /* SMTP lines stay lines, even with commas or a leading '<' */
  CHECK_INT(D("<kijitora@example.jp>: host mx said: 550 5.1.1 unknown, sorry, "
              "really, yes\n"),
            NDR_IN_LINES);
  CHECK_INT(D("550 5.7.1 Unable to relay\n"), NDR_IN_LINES);
#undef D
}

/* ------------------------------------------------------------- CLIXML reads */

typedef struct got {
  int records, skipped, errors, warnings;
  char text[8][256], recip[8][128], subject[8][128], event[8][32];
  unsigned long where[8];
  char last_problem[512];
} got;

static int on_rec(void *user, const char *input, unsigned long where,
                  ndr_record *r) {
  got *g = user;
  (void)input;
  if (g->records < 8) {
    size_t l;
    const char *v = ndr_record_get(r, NDR_F_TEXT, &l);
    snprintf(g->text[g->records], 256, "%.*s", (int)l, v);
    v = ndr_record_get(r, NDR_F_RECIPIENT, &l);
    snprintf(g->recip[g->records], 128, "%.*s", (int)l, v);
    v = ndr_record_get(r, NDR_F_SUBJECT, &l);
    snprintf(g->subject[g->records], 128, "%.*s", (int)l, v);
    v = ndr_record_get(r, NDR_F_EVENT, &l);
    snprintf(g->event[g->records], 32, "%.*s", (int)l, v);
    g->where[g->records] = where;
    CHECK(ndr_record_kind(r) == NDR_KIND_TRACE);
  }
  g->records++;
  return 0;
}

static void on_skip(void *user, const char *input, unsigned long where,
                    const char *what) {
  got *g = user;
  (void)input;
  (void)where;
  (void)what;
  g->skipped++;
}

static void on_prob(void *user, ndr_level level, const char *input,
                    unsigned long where, const char *message) {
  got *g = user;
  (void)input;
  (void)where;
  if (level == NDR_ERROR)
    g->errors++;
  else
    g->warnings++;
  snprintf(g->last_problem, sizeof g->last_problem, "%s", message);
}

static ndr_status read_clixml(const char *xml, size_t len, got *g) {
  memset(g, 0, sizeof *g);
  FILE *f = fmemopen((void *)xml, len, "r");
  ndr_input_cb cb = {on_rec, on_skip, on_prob, g};
  ndr_status st = ndr_input_clixml(f, "mem", &cb);
  fclose(f);
  return st;
}

#define OBJS                                                                   \
  "<Objs Version=\"1.1.0.1\" "                                                 \
  "xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">"

static void test_clixml(void) {
  got g;
  /* whitespace is data; an empty <S/>; <Nil>; enum object; Ref to a list */
  const char a[] =
      OBJS "<Obj RefId=\"0\"><TN "
           "RefId=\"0\"><T>Deserialized.X.MessageTrackingEvent</T>"
           "<T>Deserialized.System.Object</T></TN><Props>"
           "<S N=\"EventId\">FAIL</S>"
           "<S N=\"MessageSubject\">  two spaces  </S>"
           "<Nil N=\"MessageId\" />"
           "<Obj N=\"Recipients\" RefId=\"1\"><TN "
           "RefId=\"1\"><T>System.String[]</T></TN>"
           "<LST><S>a@x.example</S><S>b_x0040_x.example</S></LST></Obj>"
           "<Obj N=\"RecipientStatus\" RefId=\"2\"><TNRef RefId=\"1\" /><LST>"
           "<S>[{LED=550 5.1.1 one};{MSG=};{FQDN=};{IP=};{LRT=}]</S>"
           "<S>550 5.1.1 two</S></LST></Obj>"
           "</Props></Obj>"
           "<Obj RefId=\"3\"><TNRef RefId=\"0\" /><Props>"
           "<Obj N=\"EventId\" RefId=\"4\"><TN RefId=\"2\"><T>Enum</T></TN>"
           "<ToString>DEFER</ToString><I32>3</I32></Obj>"
           "<S N=\"MessageSubject\" />"
           "<Ref N=\"Recipients\" RefId=\"1\" />"
           "<Obj N=\"RecipientStatus\" RefId=\"5\"><TNRef RefId=\"1\" /><LST "
           "/></Obj>"
           "</Props></Obj>"
           "<S>bare</S><Nil />"
           "</Objs>";
  CHECK_INT(read_clixml(a, sizeof a - 1, &g), NDR_OK);
  CHECK_INT(g.records, 4);
  CHECK_STR(g.text[0], "550 5.1.1 one");
  CHECK_STR(g.text[1], "550 5.1.1 two");
  CHECK_STR(g.recip[1], "b@x.example");
  CHECK_STR(g.subject[0], "  two spaces  ");
  CHECK_STR(g.event[2], "DEFER");
  CHECK_STR(g.recip[2], "a@x.example"); /* through the <Ref> */
  CHECK_STR(g.recip[3], "b@x.example");
  CHECK_STR(g.text[2], ""); /* empty <LST />: no status */
  CHECK_STR(g.subject[2], "");
  CHECK_INT(g.where[0], 1);
  CHECK_INT(g.where[2], 2);
  CHECK_INT(g.skipped, 2); /* the bare <S> and <Nil /> */
  CHECK_INT(g.errors, 0);
  CHECK_INT(g.warnings, 1); /* "not a trace object", once */

  /* Select-Object: everything under <MS>; a remoting fragment without Objs */
  const char b[] = "<Obj RefId=\"0\"><MS><S N=\"EventId\">FAIL</S>"
                   "<S N=\"Recipients\">r@x;s@y</S>"
                   "<S N=\"RecipientStatus\">550 5.1.1 r; gone;550 5.1.1 s</S>"
                   "</MS></Obj>";
  CHECK_INT(read_clixml(b, sizeof b - 1, &g), NDR_OK);
  CHECK_INT(g.records, 2);
  CHECK_STR(g.text[0], "550 5.1.1 r; gone");
  CHECK_STR(g.recip[1], "s@y");

  /* UTF-16LE without BOM, after a "#< CLIXML" line */
  const char c8[] =
      "#< CLIXML\r\n" OBJS "<Obj RefId=\"0\"><Props><S N=\"Event\">Fail</S>"
      "<S N=\"Detail\">Reason: [{LED=554 5.4.4 nodns};{MSG=};"
      "{FQDN=};{IP=};{LRT=}]</S></Props></Obj></Objs>";
  char c16[2 * sizeof c8];
  for (size_t i = 0; i < sizeof c8 - 1; i++) {
    c16[2 * i] = c8[i];
    c16[2 * i + 1] = 0;
  }
  CHECK_INT(read_clixml(c16, 2 * (sizeof c8 - 1), &g), NDR_OK);
  CHECK_INT(g.records, 1);
  CHECK_STR(g.text[0], "554 5.4.4 nodns");

  /* cut short: the first object, then an error with the line, NDR_ERR_INPUT */
  const char d[] =
      OBJS "\n<Obj RefId=\"0\"><Props><S N=\"EventId\">FAIL</S>"
           "<S N=\"RecipientStatus\">550 5.1.1 a</S></Props></Obj>\n"
           "<Obj RefId=\"1\"><Props><S N=\"EventId\">FA";
  CHECK_INT(read_clixml(d, sizeof d - 1, &g), NDR_ERR_INPUT);
  CHECK_INT(g.records, 1);
  CHECK_INT(g.errors, 1);
  CHECK(strstr(g.last_problem, "line 3:") != NULL);
  CHECK(strstr(g.last_problem, "object 2 is lost") != NULL);

  /* a DOCTYPE, after an XML declaration and a comment: refused unparsed */
  const char e[] =
      "<?xml version=\"1.0\"?>\n<!-- c -->\n"
      "<!DOCTYPE Objs [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" OBJS
      "</Objs>";
  CHECK_INT(read_clixml(e, sizeof e - 1, &g), NDR_ERR_INPUT);
  CHECK(strstr(g.last_problem, "line 3: the file declares a DOCTYPE") != NULL);

  /* not CLIXML, and nothing at all */
  CHECK_INT(read_clixml("<html/>", 7, &g), NDR_ERR_INPUT);
  CHECK(strstr(g.last_problem, "root element is <html>") != NULL);
  CHECK_INT(read_clixml("", 0, &g), NDR_ERR_INPUT);
  CHECK_INT(g.errors, 1);
}

static void mep(void *user, const char *name, const char *value) {
  if (strcmp(name, "ServerHostName") == 0)
    snprintf((char *)user, 64, "%s", value);
}

static void test_data(void) {
  void *rd = NULL;
  const char *err;
  char server[64] = "";
  const char ok[] = "<root><MEP Name=\"ServerHostName\" String=\"SRV1\" />"
                    "<MEP Name=\"X\" Integer=\"5\" /></root>";
  CHECK_INT(trace_parse_data(&rd, ok, sizeof ok - 1, mep, server, &err), 0);
  CHECK_STR(server, "SRV1");
  const char dt[] =
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<root><MEP Name=\"ServerHostName\" String=\"&x;\"/></root>";
  server[0] = '\0';
  CHECK_INT(trace_parse_data(&rd, dt, sizeof dt - 1, mep, server, &err), -1);
  CHECK_STR(server, "");
  const char bad[] = "<root><MEP Name=\"ServerHostName\" String=\"S\"></root>";
  CHECK_INT(trace_parse_data(&rd, bad, sizeof bad - 1, mep, server, &err), -1);
  CHECK_INT(trace_parse_data(&rd, ok, sizeof ok - 1, mep, server, &err), 0);
  trace_data_free(&rd);
  CHECK(rd == NULL);
}

int main(void) {
  test_unescape();
  test_tuples();
  test_detail();
  test_split();
  test_fields();
  test_csv();
  test_text();
  test_detect();
  test_clixml();
  test_data();
  return unit_done();
}
