/*
 * test_extract.c - reply code, enhanced status and normalisation of SMTP
 * diagnostics (src/match/extract.c). Real values come from the public
 * corpus in shared/corpus/set-of-emails (Diagnostic-Code fields and the
 * human-readable parts of Exchange, Gmail, Yahoo and Postfix bounces).
 */
#include "match/extract.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "unit.h"

/*
 * extract.c once more, built without its SSE2 scan (as on a machine that
 * has none), to check that both paths give the same results.
 */
#define NDR_NO_SIMD 1
#define ndr_extract_codes portable_extract_codes
#define ndr_diag_normalize portable_diag_normalize
void portable_extract_codes(const char *text, size_t len, ndr_codes *out);
size_t portable_diag_normalize(const char *text, size_t len, char *out);
#include "../../src/match/extract.c"
#undef ndr_extract_codes
#undef ndr_diag_normalize

/* Every result must point at what it claims to have found. */
static void check_offsets(const char *s, size_t n, const ndr_codes *c) {
  if (c->reply) {
    CHECK(c->reply_off != SIZE_MAX && c->reply_off + 3 <= n);
    if (c->reply_off != SIZE_MAX && c->reply_off + 3 <= n) {
      const char *p = s + c->reply_off;
      CHECK((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0') == c->reply);
    }
  } else {
    CHECK(c->reply_off == SIZE_MAX);
  }
  if (c->st_class) {
    CHECK(c->status_off != SIZE_MAX && c->status_len >= 5 &&
          c->status_len <= 9 && c->status_off + c->status_len <= n);
    if (c->status_off != SIZE_MAX && c->status_off + c->status_len <= n) {
      char buf[16], want[32];
      memcpy(buf, s + c->status_off, c->status_len);
      buf[c->status_len] = '\0';
      snprintf(want, sizeof want, "%d.%d.%d", c->st_class, c->st_subject,
               c->st_detail);
      CHECK_STR(buf, want);
    }
  } else {
    CHECK(c->status_off == SIZE_MAX && c->status_len == 0 &&
          c->st_subject == 0 && c->st_detail == 0);
  }
}

static char got[64];
static ndr_codes last;

/* "550 5.7.1", "550 -" (no status) or "0 5.1.1" (no reply). */
static const char *codes(const char *s, size_t n) {
  ndr_extract_codes(s, n, &last);
  check_offsets(s, n, &last);
  if (last.st_class)
    snprintf(got, sizeof got, "%d %d.%d.%d", last.reply, last.st_class,
             last.st_subject, last.st_detail);
  else
    snprintf(got, sizeof got, "%d -", last.reply);
  return got;
}

static char *norm_buf;

static const char *norm(const char *s, size_t n) {
  free(norm_buf);
  norm_buf = malloc(n + 1); /* exactly the documented capacity */
  if (!norm_buf) abort();
  size_t r = ndr_diag_normalize(s, n, norm_buf);
  CHECK(r <= n && norm_buf[r] == '\0' && strlen(norm_buf) == r);
  return norm_buf;
}

/* Normalise, then extract from the result. */
static const char *norm_codes(const char *s, size_t n) {
  const char *t = norm(s, n);
  return codes(t, strlen(t));
}

#define EX(s, want) CHECK_STR(codes((s), sizeof(s) - 1), (want))
#define NORM(s, want) CHECK_STR(norm((s), sizeof(s) - 1), (want))
#define NEX(s, want) CHECK_STR(norm_codes((s), sizeof(s) - 1), (want))

static void test_plain(void) {
  EX("550 5.7.1 Unable to relay", "550 5.7.1");
  CHECK_INT(last.reply_off, 0);
  CHECK_INT(last.status_off, 4);
  CHECK_INT(last.status_len, 5);
  EX("421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred",
     "421 4.7.0");
  EX("550 5.7.1 Service unavailable, Client host [198.51.100.7] blocked "
     "using Spamhaus (AS16012611)",
     "550 5.7.1");
  EX("451 4.7.500 Server busy. Please try again later from [198.51.100.7]. "
     "(AS843)",
     "451 4.7.500");
  CHECK_INT(last.status_len, 7);
  EX("554 5.2.2 mailbox full; "
     "STOREDRV.Submission.Exception:QuotaExceededException",
     "554 5.2.2");
  EX("550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
     "550 5.7.54");
  EX("553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.7, "
     "because the ip is in Spamhaus's list",
     "553 5.7.1");
  EX("554 delivery error: dd This user doesn't have a yahoo.com account",
     "554 -");
  EX("550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup", "550 5.7.133");
  EX("550 5.1.10 RESOLVER.ADR.RecipientNotFound", "550 5.1.10");
  EX("550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. "
     "(S3150)",
     "550 5.7.1");
  EX("550 4.7.1 odd but real", "550 4.7.1"); /* classes disagree: kept */
  EX("250 2.0.0 Ok: queued", "250 2.0.0");
}

static void test_lone(void) {
  EX("#5.1.1", "0 5.1.1");
  CHECK_INT(last.status_off, 1);
  EX("5.7.1 Unable to relay", "0 5.7.1");
  EX("550 Requested action not taken: mailbox unavailable", "550 -");
  CHECK(last.status_off == SIZE_MAX);
  EX("<mail.example.com #5.1.1>", "0 5.1.1");
  EX("(#5.5.0)", "0 5.5.0");
  EX("[5.7.1]", "0 5.7.1");
  EX("\"5.1.1\"", "0 5.1.1");
  EX("code=5.7.1;", "0 5.7.1");
  EX("550", "550 -");
  EX("5.0.0", "0 5.0.0");
  EX("", "0 -");
  CHECK_STR(codes(NULL, 0), "0 -");
  ndr_extract_codes("x", 1, NULL); /* must not crash */
}

static void test_wrapped(void) {
  EX("554 5.7.0 < #5.7.133 smtp;550 5.7.133 "
     "RESOLVER.RST.SenderNotAuthenticatedForGroup; Sender not authenticated "
     "for group>",
     "550 5.7.133");
  CHECK_INT(last.reply_off, 26);
  EX("Remote Server returned '554 5.7.0 < #5.7.133 smtp;550 5.7.133 "
     "RESOLVER.RST.SenderNotAuthenticatedForGroup; ...>'",
     "550 5.7.133");
  EX("550 5.7.23 The message was rejected because of Sender Policy "
     "Framework violation -> 550 5.7.1 This message failed DMARC evaluation",
     "550 5.7.1");
  EX("Remote Server returned '550 5.7.1 Unable to relay'", "550 5.7.1");
  CHECK_INT(last.reply_off, 24);
  EX("Remote Server returned '< #5.0.0 smtp; 5.1.0 - Unknown address error "
     "550-'Invalid recipient <x@y>' (delivery attempts: 0)>'",
     "550 5.1.0");
  EX("<mx.example.com #5.1.1 smtp;550 5.1.1 User unknown>", "550 5.1.1");
  EX("remote.host #<local.host #5.7.1 smtp;530 5.7.1 Client was not "
     "authenticated> #SMTP#",
     "530 5.7.1");
  EX("#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", "550 5.1.1");
  CHECK_INT(last.reply_off, 1);
  EX("host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@b>: Recipient "
     "address rejected: User unknown (in reply to RCPT TO command)",
     "550 5.1.1");
  EX("host mx.example.com[192.0.2.1] said: 550 Mailbox is frozen (in reply "
     "to RCPT TO command)",
     "550 -");
  EX("10/2/2024 1:55:00 PM - Remote Server at mx.example.com (192.0.2.7) "
     "returned '451 4.4.0 Primary target IP address responded with: \"421 "
     "4.4.2 Connection dropped.\"'",
     "421 4.4.2");
  EX("Status code: 550 5.1.10", "550 5.1.10");
  EX("smtp; 554 4.4.7 Message expired: unable to deliver in 840 "
     "minutes.<421 4.4.2 Connection timed out>",
     "421 4.4.2");
  EX("550 5.1.351 Remote server returned unknown recipient or mailbox "
     "unavailable -> 550 Unknown user someone@example.ne.jp",
     "550 5.1.351");
  CHECK_INT(last.reply_off, 79);
  EX("5.7.1 wrapped -> 550 text only", "550 5.7.1");
  EX("554 5.7.0 < #5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup>",
     "554 5.7.133");
  EX("SMTP error from remote mail server after RCPT TO:<x@example.org>: 550 "
     "5.1.1 <x@example.org>: Recipient address rejected",
     "550 5.1.1");
}

static void test_not_codes(void) {
  EX("Messages from 198.51.100.7 deferred", "0 -");
  EX("route via 10.5.1.2 failed", "0 -");
  EX("Postfix 2.5.1.3 said hello", "0 -");
  EX("5.1.1.2", "0 -");
  EX("v2.5.1", "0 -");
  EX("date 5.1.2024", "0 -");
  EX("see 4.16.55.1; later", "0 -");
  EX("5.01.1 leading zero", "0 -");
  EX("5.1.01 leading zero", "0 -");
  EX("5.1000.1 too long", "0 -");
  EX("3.1.1 bad class", "0 -");
  EX("5.1.1x glued", "0 -");
  EX("<5.1.1@example.com>", "0 -");
  EX("timed out after 550 seconds", "0 -");
  EX("message is 552 bytes too big", "0 -");
  EX("blocked (S3150) [416] [AS16012611]", "0 -");
  EX("at 12:55:00 we gave up", "0 -");
  EX("connect to [192.0.2.1]:250 refused", "0 -");
  EX("a_id/80870/p/622 see", "0 -");
  EX("id=20025-09 and =550 and x550 and 5501", "0 -");
  EX("600 700 190 560", "0 -");
  EX("(-1915321397:308:-2147467259)", "0 -");
}

static void test_multiline(void) {
  static const char gm[] = "550-5.7.26 First line\n550-5.7.26 second\n"
                           "550 5.7.26 last - gsmtp";
  NORM("550-5.7.26 First line\n550-5.7.26 second\n550 5.7.26 last - gsmtp",
       "550 5.7.26 First line second last - gsmtp");
  NEX("550-5.7.26 First line\n550-5.7.26 second\n550 5.7.26 last - gsmtp",
      "550 5.7.26");
  EX("550-5.7.26 First line\n550-5.7.26 second\n550 5.7.26 last - gsmtp",
     "550 5.7.26");
  CHECK_INT(last.reply_off, 0);
  CHECK_INT(last.status_off, 4);
  CHECK_STR(codes(gm, sizeof gm - 1), "550 5.7.26");
  NORM("550-5.7.26 a\r\n550-5.7.26 b\r\n550 5.7.26 c", "550 5.7.26 a b c");
  NORM("550-5.7.26 a\r550-5.7.26 b\r550 5.7.26 c", "550 5.7.26 a b c");
  /* real Gmail reply inside a folded Diagnostic-Code */
  NORM("smtp; 550-5.1.1 The email account that you tried to reach does not "
       "exist. Please try\n 550-5.1.1 double-checking the recipient's email "
       "address for typos or\n 550-5.1.1 unnecessary spaces. Learn more at\n "
       "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser "
       "y3si675602plr.1 - gsmtp",
       "smtp; 550 5.1.1 The email account that you tried to reach does not "
       "exist. Please try double-checking the recipient's email address for "
       "typos or unnecessary spaces. Learn more at "
       "https://support.google.com/mail/?p=NoSuchUser y3si675602plr.1 - "
       "gsmtp");
  CHECK_STR(codes(norm_buf, strlen(norm_buf)), "550 5.1.1");
  CHECK_INT(last.reply_off, 6);
  /* no enhanced code */
  NORM("550-Please turn on SMTP Authentication in your mail client. \n"
       "550-mail0.bemta0.messagelabs.com [198.51.100.21]:11111 is not "
       "permitted to\n550 relay through this server without authentication.",
       "550 Please turn on SMTP Authentication in your mail client. "
       "mail0.bemta0.messagelabs.com [198.51.100.21]:11111 is not permitted "
       "to relay through this server without authentication.");
  /* a different status on a continuation line is kept */
  NORM("550-5.7.1 a\n550 5.7.26 b", "550 5.7.1 a 5.7.26 b");
  /* "NNN-" without a continuation keeps its dash */
  NORM("220-laposte 421 4.2.1 Service refuse\n plus tard",
       "220-laposte 421 4.2.1 Service refuse plus tard");
  NORM("550-5.7.1 only line", "550-5.7.1 only line");
  /* a different code is not a continuation */
  NORM("550-5.7.1 a\n421 4.7.0 b", "550-5.7.1 a 421 4.7.0 b");
  /* empty continuation lines and blank lines */
  NORM("550-5.7.26 a\n550-5.7.26\n\n550 5.7.26 b", "550 5.7.26 a b");
  /* sendmail transcript: each "<<<" line is a segment, the codes agree */
  EX(">>> DATA\n<<< 550-5.7.1 Unauthenticated email from cpanel.com is not "
     "accepted due to domain's\n<<< 550-5.7.1 DMARC policy. Please contact "
     "the administrator of cpanel.com domain\n<<< 550 5.7.1 DMARC "
     "initiative. y13si1773519pll.31 - gsmtp",
     "550 5.7.1");
  /* raw multi-line with a quote in between: offsets stay on line one */
  EX("550-5.7.1 see 'policy'\n550-5.7.1 more\n550 5.7.1 end", "550 5.7.1");
  CHECK_INT(last.reply_off, 0);
}

static void test_normalize(void) {
  NORM("  a  \n\t b\t\n", "a b");
  NORM("a\r\nb\rc\nd", "a b c d");
  NORM("a \t  b", "a \t  b");
  NORM("a\0b\x01"
       "c\x1f",
       "a b c");
  NORM("\0\0\0", "");
  NORM("", "");
  NORM("\r\n\r\n", "");
  NORM("x\x7f\xc3\xa9", "x\x7f\xc3\xa9");
  char one[1];
  CHECK_INT(ndr_diag_normalize(NULL, 0, one), 0);
  CHECK_INT(one[0], 0);
  CHECK_INT(ndr_diag_normalize("abc", 3, NULL), 0);
  NORM("smtp; 554\n    5.6.0 This message", "smtp; 554 5.6.0 This message");
}

/* One control byte (or a tab) at every position of lines of up to 40 bytes:
   the eight-bytes-at-a-time plain-line test must see it wherever it is. */
static void test_normalize_positions(void) {
  static const char ctl[] = {'\x01', '\x1f', '\0', '\t', '\x0b'};
  char in[41], want[41], out[42];
  unsigned bad = 0;
  for (size_t n = 1; n <= 40; n++)
    for (size_t p = 0; p < n; p++)
      for (size_t c = 0; c < sizeof ctl; c++) {
        memset(in, 'a', n);
        in[p] = ctl[c];
        /* a tab stays inside the line, any other control byte is a blank */
        memcpy(want, in, n);
        if (ctl[c] != '\t') want[p] = ' ';
        size_t s = 0, e = n;
        while (s < e && (want[s] == ' ' || want[s] == '\t')) s++;
        while (e > s && (want[e - 1] == ' ' || want[e - 1] == '\t')) e--;
        size_t r = ndr_diag_normalize(in, n, out);
        if (r != e - s || memcmp(out, want + s, r) != 0) bad++;
      }
  CHECK_INT(bad, 0);
}

static void test_bytes(void) {
  EX("550\x00"
     "5.1.1 nul separated",
     "550 5.1.1");
  EX("\x00\x00#5.7.1\x00", "0 5.7.1");
  EX("550 5.1.1\r\nUser unknown", "550 5.1.1");
  EX("421\r4.7.0 cr only", "421 4.7.0");
  EX("\xff\xfe 550 5.7.1 \xc3\xa9t\xc3\xa9", "550 5.7.1");
  EX("\xc3\xa9"
     "550 5.7.1 glued to a non-ASCII byte",
     "0 5.7.1");
  /* truncated tokens at the very end of the text */
  EX("550 5.7.", "550 -");
  EX("550 5.", "550 -");
  EX("55", "0 -");
  EX("5.7", "0 -");
  EX("550 5.2.=", "550 -");
  EX("smtp; 55=", "0 -");
  EX("smtp", "0 -");
  EX("smtp;", "0 -");
  EX("->", "0 -");
  EX("<", "0 -");
  EX("< ", "0 -");
  EX("'", "0 -");
  /* a prefix of a longer text must give the same as that text cut there */
  static const char s[] = "550 5.7.133 x";
  CHECK_STR(codes(s, 7), "550 -");
  CHECK_STR(codes(s, 9), "550 5.7.1");
  CHECK_STR(codes(s, 10), "550 5.7.13");
  CHECK_STR(codes(s, 11), "550 5.7.133");
}

/* Copied from Diagnostic-Code fields (folded lines kept) and bounce bodies
   of the corpus. */
static void test_corpus(void) {
  EX("smtp; 550 5.1.1 <kijitora@example.jp>... User Unknown", "550 5.1.1");
  EX("smtp; 554 Host network not allowed -\n    "
     "https://community.mimecast.com/docs/DOC-1369#554\n    "
     "[z7qZw5BPd1zlDYHka4589ru.us222]",
     "554 -");
  CHECK_INT(last.reply_off, 6);
  EX("smtp; 550 Ip frequency limited\n    "
     "[V2VkIEFwciAgMyAxNjozNjo1OSBKU1QgMjAxOQo=/RkNGMjlFQTVEQ0E Blocked IP\n"
     "    192.0.2.22].",
     "550 -");
  EX("SMTP; 553 Invalid recipient destinaion@example.net (Mode: normal)",
     "553 -");
  EX("smtp; 550-Please turn on SMTP Authentication in your mail client. \n"
     "550-mail0.bemta0.messagelabs.com [198.51.100.21]:11111 is not "
     "permitted to\n550 relay through this server without authentication.",
     "550 -");
  CHECK_INT(last.reply_off, 6);
  EX("smtp; 550 5.1.0 "
     "<010001725d8ad4fc-9fe8fb1f-0292-430b-a634-1eba65166dbb-000000@"
     "amazonses.com> sender rejected. Please see "
     "https://www.spectrum.net/support/internet/"
     "understanding-email-error-codes for more information. AUP#In-1310",
     "550 5.1.0");
  EX("SMTP; 550 5.1.1 Adresse d au moins un destinataire invalide. Invalid "
     "recipient. OFR_416 [416]",
     "550 5.1.1");
  EX("smtp; 550 5.1.1=\n <kijitora@example.jp>... User Unknown", "550 5.1.1");
  EX("smtp; 421 4.3.0 Upstream error, please check\n    "
     "https://developers.cloudflare.com/email-routing/postmaster for "
     "possible\n    reasons why. RsrUEMk60942",
     "421 4.3.0");
  EX("smtp;550 5.2.1 <kijitora@example.jp>... User Unknown", "550 5.2.1");
  EX("SMTP; 550 : User unknown", "550 -");
  EX("smtp; 5.1.0 - Unknown address error 550-'5.1.1 "
     "<non-existent-blackberry-user-addr@docomo.blackberry.com>: Recipient "
     "address rejected: User unknown in virtual alias table' (delivery "
     "attempts: 0)",
     "550 5.1.1");
  EX("smtp; 5.3.0 - Other mail system problem 550-'Unknown user "
     "this-local-part-does-not-exist-on-the-server@docomo.ne.jp' (delivery "
     "attempts: 0)",
     "550 5.3.0");
  EX("SMTP; 554 delivery error: dd This user doesn't have a yahoo.com "
     "account (this-is-not-a-yahoo-user-address@yahoo.com) [0] - "
     "mta107.mail.re1.yahoo.com",
     "554 -");
  EX("SMTP; 450 4.2.2 <mailboxfull@example.kyoto.jp>... Mailbox Full",
     "450 4.2.2");
  EX("SMTP; 550 #5.1.0 Address rejected "
     "this-user-does-not-have-goo-id@mail.goo.ne.jp",
     "550 5.1.0");
  EX("SMTP; 552 Message size exceeds fixed maximum message size: 20971520 "
     "bytes",
     "552 -");
  EX("SMTP; 552-5.7.0 Our system detected an illegal attachment on your "
     "message. Please",
     "552 5.7.0");
  EX("smtp; DNS Error: 80480947 DNS type 'mx' lookup of haineko.org "
     "responded with code NXDOMAIN\n Domain name not found: haineko.org",
     "0 -");
  EX("smtp; 550-5.7.26 Unauthenticated email from libsisimai.org is\n    "
     "not accepted due to 550-5.7.26 domain's DMARC policy. Please contact "
     "the\n    administrator of 550-5.7.26 libsisimai.org domain if this was "
     "a legitimate\n    mail. Please visit",
     "550 5.7.26");
  CHECK_INT(last.reply_off, 6);
  EX("SMTP; 450 4.7.1 <c135.kyoto.example.ne.jp[192.0.2.56]>: Client host "
     "rejected: may not be mail exchanger",
     "450 4.7.1");
  EX("SMTP; 525 5.7.13 Disabled recipient address", "525 5.7.13");
  EX("SMTP; 550-5.7.1 [192.0.2.222      13] Messages with multiple "
     "addresses in From:",
     "550 5.7.1");
  EX("SMTP; 553 http://www.spamhaus.org/query/bl?ip=192.0.2.222", "553 -");
  EX("SMTP; 554 IP=192.0.2.254 - A problem occurred. (Ask your postmaster "
     "for help or to contact neko@example.org to clarify.) (BL)",
     "554 -");
  EX("X-Postfix; delivery temporarily suspended: connect to\n    "
     "mfsmax.example.com[192.0.2.232]: server refused to talk to me: 421\n  "
     "  Service not available, closing transmission channel",
     "421 -");
  EX("X-Postfix; host mta.example.com[192.0.2.225] said: 554\n    5.6.0 "
     "This message has been scored as spam with a probability of more "
     "than\n    90% (in reply to end of DATA command)",
     "554 5.6.0");
  EX("X-Postfix; host nyaan.example.jp[192.0.2.2] said: 501 Rcpt-To\n    "
     "validation failed: RCPT TO not accepted: 5.7.1 This system is not\n  "
     "  configured to relay mail (r) from <nekonyaans@p2.example.com> to\n  "
     "  <kijitora@example.jp> for 127.0.",
     "501 5.7.1");
  EX("X-Postfix; connect to example.org[203.0.113.225]:25: Connection\n    "
     "timed out",
     "0 -");
  EX("smtp; 220-laposte 421 4.2.1 Service refuse. Veuillez essayer\n    "
     "plus tard. Service refused, please try later. LPN006_107",
     "421 4.2.1");
  EX("smtp; 421 4.7.0 [TSS04] Messages from 192.0.2.192\n    temporarily "
     "deferred due to unexpected volume or user complaints -\n    "
     "4.16.55.1; see https://postmaster.verizonmedia.com/error-codes",
     "421 4.7.0");
  EX("smtp; 421 mwinf5c77 ME Service refuse. Veuillez essayer plus\n    "
     "tard. Service refused, please try later. OFR_999 [999]",
     "421 -");
  EX("smtp; 550 5.1.1 <kijitora@example.com>  - 203.0.113.222 has\n    "
     "sent to too many recipients this hour. IB607  <http://x.co/rlbounce>",
     "550 5.1.1");
  EX("smtp; 550 5.1.1 RCP-P2 "
     "http://postmaster.facebook.com/response_codes?ip=192.0.2.135#rcp "
     "Refused due to recipient preferences",
     "550 5.1.1");
  EX("smtp; 550 5.4.1 <kijitora@example.br>: Recipient\n    address "
     "rejected: Access denied\n    "
     "[BL2NAM02FT061.eop-nam02.prod.protection.outlook.com]",
     "550 5.4.1");
  EX("smtp; 550 Connection frequency limited\n    "
     "[Q1YzZ3kxdnRYYnpkbVZ0MAo+QTMzMTMzRjUxNzQ4Cg/MTI3MTY2MDge= Blocked "
     "IP\n    192.0.2.22].\n    "
     "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no="
     "1000722",
     "550 -");
  EX("smtp; 550 mwinf5c04 ME Adresse IP source bloquee pour incident\n    "
     "de spam. Client host blocked for spamming issues. OFR006_102 Ref\n    "
     "http://csi.cloudmark.com/reset-request/?ip=10.0.0.1 [102]",
     "550 -");
  EX("smtp; 550-5.1.0 MXIN506 MailFrom domain is listed in Spamhaus.\n    "
     "To request removal from this list see https: 550 5.1.0\n    "
     "//www.spamhaus.org/query/lookup/\n    "
     ";id=DLOkvMxsVeZooDLOkv7hl0;sid=DLOkvMxsVeZoo;mta=mx12-prd-nl1-vmo;d="
     "202510",
     "550 5.1.0");
  CHECK_INT(last.reply_off, 6);
  EX("smtp; 554 5.7.1 <xxxx.xxxx.net[#.#.#.#]:49309>:\n    Client host "
     "rejected: #216 lpn LPN000_630",
     "554 5.7.1");
  EX("smtp; 554 Message not allowed - 554 Message not allowed - DM\n    "
     "Email not accepted for policy reasons. Please visit\n    "
     "https://www.yahoo-help.jp/app/answers/detail/a_id/80870/p/622 [895]",
     "554 -");
  CHECK_INT(last.reply_off, 6);
  EX("smtp;554 The mail could not be delivered to the recipient because "
     "the domain is not reachable. Please check the domain and try again "
     "(-1915321397:308:-2147467259)",
     "554 -");
  EX("smtp; 554-mail.com (mxgmxus002) Nemesis ESMTP Service not\n    "
     "available 554-No SMTP service 554-Bad DNS PTR resource record. 554 "
     "For\n    explanation visit\n    "
     "http://postmaster.gmx.com/en/error-messages?ip=192.0.2.22&c=rdns",
     "554 -");
  CHECK_INT(last.reply_off, 6);
  EX("smtp;550 5.1.351 Remote server returned unknown recipient or mailbox "
     "unavailable -> 550 : User unknown",
     "550 5.1.351");
  CHECK_INT(last.reply_off, 84);
  EX("Remote Server returned '550 5.1.351 Remote server returned unknown "
     "recipient or mailbox unavailable -> 550 Unknown user "
     "azumakuniyuki@example.ne.jp'",
     "550 5.1.351");
  EX("smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found "
     "by SMTP address lookup",
     "550 5.1.10");
  EX("smtp; 554 5.7.0 Reject, id=20025-09 - SPAM", "554 5.7.0");
  EX("smtp; 552 5.2.2 <neko@nyaaan.example.org> Quota exceeded\n    "
     "(mailbox for user is full)",
     "552 5.2.2");
  EX("X-Unix; 127", "0 -");
  EX("x-unix; procmail: Couldn't create \"/var/spool/mail/neko\" id:\n    "
     "r.example.org: No such user",
     "0 -");
  EX("smtp; 250 2.1.5 Ok", "250 2.1.5");
  EX("SMTP; 554 st11p00im-smtpin013.me.com ESMTP not accepting connections",
     "554 -");
  EX("smtp; 550 Bad SPF records for\n    [example.org:192.0.2.2], see "
     "http://spf.pobox.com/",
     "550 -");
  EX("Remote host said: 550 5.7.509 Access denied, sending domain "
     "[NQ.EXAMPLE.JP] does not pass DMARC verification and has a DMARC "
     "policy of reject. [TY1P286MB3121.JPNP286.PROD.OUTLOOK.COM "
     "2024-06-24T08:58:06.389Z 08DC93087F48F48A]",
     "550 5.7.509");
  EX("smtp; 554 4.4.7 Message expi=", "554 4.4.7");
  EX("smtp; 550 5.2.=", "550 -");
  EX("Unknown user kijitora@example.ne.jp. (#5.5.0)(Other MXes tried: "
     "192.0.2.32 said 550 for RCPT TO response",
     "0 5.5.0");
  EX("<<< 503 5.0.0 Need RCPT (recipient)", "503 5.0.0");
  EX("smtp; Your email to group kijitora@example.com was rejected due to "
     "spam classification.",
     "0 -");
  /* a known miss: a QP soft break glued to the reply code */
  EX("smtp; 550=\n 5.3.5 <kuroneko@example.org>... Internal System Error",
     "0 5.3.5");
}

static void fill(char *b, size_t n, const char *pat) {
  size_t m = strlen(pat);
  for (size_t i = 0; i < n; i++) b[i] = pat[i % m];
}

/* Big hostile inputs: linear time, no crash, sane results. */
static void test_big(void) {
  const size_t n = 1u << 20;
  char *b = malloc(n), *o = malloc(n + 1);
  if (!b || !o) abort();
  static const char *pats[] = {
      "5.5.5.", "1.2.3.4.", "550.5.1.1.",  "550 ", "550-", "<   ",
      "' ",     "550\n",    "550-5.1.1\n", " ",    "0",    "->smtp;"};
  clock_t t0 = clock();
  for (size_t k = 0; k < sizeof pats / sizeof pats[0]; k++) {
    fill(b, n, pats[k]);
    ndr_codes c;
    ndr_extract_codes(b, n, &c);
    check_offsets(b, n, &c);
    size_t r = ndr_diag_normalize(b, n, o);
    CHECK(r <= n && o[r] == '\0');
  }
  fill(b, n, "5.5.5.");
  CHECK_STR(codes(b, n), "0 -");
  fill(b, n, "550 ");
  CHECK_STR(codes(b, n), "550 -");
  CHECK_INT(last.reply_off, 0);
  /* a reply, a megabyte of blanks, a status: too far apart to pair */
  memset(b, ' ', n);
  memcpy(b, "550", 3);
  memcpy(b + n - 5, "5.7.1", 5);
  CHECK_STR(codes(b, n), "550 5.7.1");
  CHECK_INT(last.status_off, n - 5);
  /* Gmail-style multi-line reply of a megabyte */
  fill(b, n, "550-5.7.26 x\n");
  size_t r = ndr_diag_normalize(b, n, o);
  CHECK(r < n && strncmp(o, "550 5.7.26 x x x", 16) == 0);
  CHECK_STR(codes(o, r), "550 5.7.26");
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  CHECK(secs < 10.0); /* quadratic behaviour would take hours */
  free(b);
  free(o);
}

/* Random bytes from a small alphabet of code-ish characters. */
static void test_random(void) {
  static const char alpha[] = "0123455.-#<>';: \r\n\"smtp;x\0";
  unsigned long seed = 12345;
  char buf[96], out[97];
  for (int round = 0; round < 20000; round++) {
    seed = seed * 6364136223846793005ul + 1442695040888963407ul;
    size_t n = (seed >> 33) % sizeof buf;
    for (size_t i = 0; i < n; i++) {
      seed = seed * 6364136223846793005ul + 1442695040888963407ul;
      buf[i] = alpha[(seed >> 33) % (sizeof alpha - 1)];
    }
    ndr_codes c;
    ndr_extract_codes(buf, n, &c);
    if (c.reply && (c.reply_off + 3 > n || c.reply < 200 || c.reply > 559))
      CHECK(0);
    if (c.st_class && c.status_off + c.status_len > n) CHECK(0);
    size_t r = ndr_diag_normalize(buf, n, out);
    if (r > n || out[r] != '\0') CHECK(0);
  }
  CHECK(1);
}

/*
 * The SSE2 scan and the portable one agree, on texts made of the pieces
 * the scan stops at (and the bytes around them that decide whether it
 * must), at every length and alignment.
 */
static void test_portable_agrees(void) {
  static const char *const piece[] = {
      "2",    "3",     "4",     "5",     "0",  "9",       ".",     "-",
      ">",    "<",     "s",     "S",     "m",  "M",       "smtp;", "SMTP;",
      "->",   "'",     "\"",    " ",     "\t", "\n",      "\r",    "#",
      ";",    ":",     "a",     "Z",     "(",  "[",       "550",   "5.7.1",
      "250-", "550-",  "4.4.7", "\x80",  "=",  "@",       "_",     ",",
      "< 55", "<#5.1", "x5",    "1.2.3", "\0", "Remote ", "text "};
  const size_t np = sizeof piece / sizeof *piece;
  unit_seed(20261122);
  unsigned bad = 0;
  for (int round = 0; round < 200000; round++) {
    size_t n;
    char *s = unit_pieces(piece, np, 48, 400, &n);
    if (!s) continue;
    ndr_codes a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ndr_extract_codes(s, n, &a);
    portable_extract_codes(s, n, &b);
    if (memcmp(&a, &b, sizeof a) != 0 && bad++ < 3)
      fprintf(stderr, "SSE2 and portable scans differ on \"%.*s\"\n", (int)n,
              s);
    free(s);
  }
  CHECK_INT(bad, 0);
}

int main(void) {
  test_plain();
  test_lone();
  test_wrapped();
  test_not_codes();
  test_multiline();
  test_normalize();
  test_normalize_positions();
  test_bytes();
  test_corpus();
  test_big();
  test_random();
  test_portable_agrees();
  free(norm_buf);
  return unit_done();
}
