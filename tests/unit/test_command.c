/*
 * test_command.c - the SMTP command a refusal answered (src/match/command.c)
 * and the line records that carry it (ndr_record_set_line).
 *
 * Every text is copied into a malloc'd buffer of its exact length, without
 * a terminating NUL, so that a read past `len` is a heap overflow that
 * AddressSanitizer reports (build with -DNDR_SANITIZE=ON). The wordings come
 * from the bounces of tests/corpus/set-of-emails and from the sources of the
 * servers named in command.h.
 */
#include "match/command.h"

#include <stdint.h>
#include <stdlib.h>

#include "ndrsift.h"
#include "unit.h"

/*
 * command.c once more, built without its SSE2 scan (as on a machine that
 * has none), to check that both paths find the same command.
 */
#define NDR_NO_SIMD 1
#define ndr_smtp_command portable_smtp_command
const char *portable_smtp_command(const char *text, size_t len);
#include "../../src/match/command.c"
#undef ndr_smtp_command

#define NONE "(none)"

/* ndr_smtp_command on the first n bytes of s, read from a buffer of exactly
   n bytes; NONE when it finds nothing. */
static const char *cmd_n(const char *s, size_t n) {
  char *b = malloc(n ? n : 1);
  if (!b) return "(nomem)";
  memcpy(b, s, n);
  const char *c = ndr_smtp_command(b, n);
  free(b);
  return c ? c : NONE;
}

static const char *cmd(const char *s) {
  return cmd_n(s, strlen(s));
}

typedef struct probe {
  const char *text, *want;
} probe;

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Each probe's answer; with `prefixes`, also every shorter prefix of its
   text, which must give nothing or the same answer. */
static void check_probes(const probe *p, size_t n, int prefixes) {
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(p[i].text);
    const char *got = cmd_n(p[i].text, len);
    CHECK_STR(got, p[i].want);
    if (strcmp(got, p[i].want) != 0) fprintf(stderr, "  text: %s\n", p[i].text);
    if (!prefixes) continue;
    unsigned bad = 0;
    for (size_t k = 0; k < len; k++) {
      const char *c = cmd_n(p[i].text, k);
      if (strcmp(c, NONE) != 0 && strcmp(c, p[i].want) != 0) {
        if (!bad++)
          fprintf(stderr, "  prefix %zu of \"%s\" gives %s\n", k, p[i].text, c);
      }
    }
    CHECK_INT(bad, 0);
  }
}

/* Each text gives the command, and every prefix of it gives nothing or the
   same command: a phrase cut at the very end is read up to `len` and no
   further. */
static const probe cut_safe[] = {
    /* Postfix */
    {"host mx.example.org[192.0.2.1] said: 550 5.1.1 <bob@example.org>: "
     "Recipient address rejected: User unknown in virtual mailbox table "
     "(in reply to RCPT TO command)",
     NDR_CMD_RCPT},
    {"host gmail-smtp-in.l.google.com[142.250.27.26] said: 550 5.7.1 "
     "[192.0.2.1] The IP you are using to send mail is not authorized - "
     "gsmtp (in reply to end of DATA command)",
     NDR_CMD_DATA},
    {"host mx[192.0.2.1] said: 553 5.1.8 <a@b.example>: Sender address "
     "rejected: Domain not found (in reply to MAIL FROM command)",
     NDR_CMD_MAIL},
    {"said: 554 5.5.1 Error: no valid recipients (in reply to DATA command)",
     NDR_CMD_DATA},
    {"said: 550 5.7.1 Client host rejected (in reply to EHLO command)",
     NDR_CMD_EHLO},
    {"said: 504 5.5.2 Helo command rejected (in reply to HELO command)",
     NDR_CMD_HELO},
    {"said: 454 4.7.0 TLS not available (in reply to STARTTLS command)",
     NDR_CMD_STARTTLS},
    {"said: 535 5.7.8 Authentication failed (in reply to AUTH command)",
     NDR_CMD_AUTH},
    {"said: 550 5.1.1 unknown user (in reply to LHLO command)", NDR_CMD_EHLO},
    {"said: 552 5.3.4 Message too big (in reply to BDAT command)",
     NDR_CMD_DATA},
    {"conversation with mx.example.org[192.0.2.1] timed out while sending "
     "MAIL FROM",
     NDR_CMD_MAIL},
    {"lost connection with mx.example.org[192.0.2.1] while sending RCPT TO",
     NDR_CMD_RCPT},
    {"conversation with mx[192.0.2.1] timed out while sending end of data "
     "-- message may be sent more than once",
     NDR_CMD_DATA},
    {"lost connection with mx[192.0.2.1] while sending message body",
     NDR_CMD_DATA},
    {"lost connection with mx.example.org[192.0.2.1] while receiving the "
     "initial server greeting",
     NDR_CMD_CONNECT},
    {"conversation with mx[192.0.2.1] timed out while performing the EHLO "
     "handshake",
     NDR_CMD_EHLO},
    {"lost connection with mx[192.0.2.1] while performing the HELO "
     "handshake",
     NDR_CMD_HELO},
    {"host mx.example.org[192.0.2.1] refused to talk to me: 554 5.7.1 "
     "Service unavailable; Client host [192.0.2.9] blocked",
     NDR_CMD_CONNECT},
    /* Postfix wraps the text of its reports at about 80 columns, anywhere
       in the phrase (lhost-postfix-*.eml and rhost-tencent-*.eml) */
    {"550 5.1.1 <a@example.jp>... User Unknown (in reply to\n"
     "    RCPT TO command)",
     NDR_CMD_RCPT},
    {"DMARC initiative. z2si1584129pfn.61 - gsmtp (in reply\n"
     "    to end of DATA command)",
     NDR_CMD_DATA},
    {"http://service.mail.qq.com/cgi-bin/help?subtype=1 (in\n"
     "    reply to end of DATA command)",
     NDR_CMD_DATA},
    {"Duplicate header 'DKIM-Signature'. (in reply to end of\n"
     "    DATA command)",
     NDR_CMD_DATA},
    {"550 5.1.1 Address rejected (in reply to RCPT\n    TO command)",
     NDR_CMD_RCPT},
    {"550 5.1.1 Address rejected (in reply to\r\n    RCPT TO command)",
     NDR_CMD_RCPT},
    {"lost connection with mx[192.0.2.1] while\n    receiving the initial\n"
     "    server greeting",
     NDR_CMD_CONNECT},
    {"SMTP error from remote mail server after\n  RCPT TO:<a@b.example>:",
     NDR_CMD_RCPT},
    {"Connected to 192.0.2.1 but\nsender was rejected.", NDR_CMD_MAIL},
    {"(in  reply\tto   RCPT  TO command)", NDR_CMD_RCPT},
    /* Exim */
    {"SMTP error from remote mail server after RCPT TO:<bob@example.org>: "
     "550 5.1.1 <bob@example.org>: Recipient address rejected",
     NDR_CMD_RCPT},
    {"SMTP error from remote mail server after pipelined MAIL "
     "FROM:<a@example.com> SIZE=1234: 550 5.7.1 Sender rejected",
     NDR_CMD_MAIL},
    {"SMTP error from remote mail server after pipelined RCPT "
     "TO:<bob@example.org>: 550 5.1.1 unknown",
     NDR_CMD_RCPT},
    {"SMTP error from remote mail server after end of data: 550 5.7.1 "
     "Message rejected as spam",
     NDR_CMD_DATA},
    {"SMTP error from remote mail server after initial connection: 554 "
     "5.7.1 Your IP is listed",
     NDR_CMD_CONNECT},
    {"SMTP error from remote mail server after EHLO mail.example.com: 550 "
     "Bad HELO",
     NDR_CMD_EHLO},
    {"SMTP error from remote mail server after HELO mail.example.com: 550",
     NDR_CMD_HELO},
    {"SMTP error from remote mail server after AUTH PLAIN: 535 Incorrect "
     "authentication data",
     NDR_CMD_AUTH},
    {"SMTP error from remote mail server after STARTTLS: 454 TLS "
     "unavailable",
     NDR_CMD_STARTTLS},
    {"SMTP timeout after end of data (0 bytes written)", NDR_CMD_DATA},
    {"SMTP error from remote mailer after RCPT TO:<bob@example.org>: host "
     "mx.example.org [192.0.2.1]: 550 5.1.1 unknown",
     NDR_CMD_RCPT},
    {"SMTP error from remote mailer for RCPT TO command: host "
     "mx.example.org: 550 unknown",
     NDR_CMD_RCPT},
    {"SMTP error from remote mailer for TEXT command: host mx.example.org: "
     "554 rejected",
     NDR_CMD_DATA},
    {"for DATA command", NDR_CMD_DATA},
    {"for MAIL FROM command", NDR_CMD_MAIL},
    {"for text\n  command", NDR_CMD_DATA},
    /* OpenSMTPD, dma */
    {"remote delivery failed: did not like our final DATA: 554 5.7.1 "
     "rejected",
     NDR_CMD_DATA},
    {"Remote host did not like our RCPT TO: 550 5.1.1 unknown", NDR_CMD_RCPT},
    {"did not like our MAIL FROM: 553 sender rejected", NDR_CMD_MAIL},
    {"did not like our EHLO: 550 go away", NDR_CMD_EHLO},
    {"did not like our DATA: 554 no", NDR_CMD_DATA},
    /* qmail */
    {"Connected to 192.0.2.1 but sender was rejected.\nRemote host said: "
     "553 5.1.8 sender domain does not exist",
     NDR_CMD_MAIL},
    {"Connected to 192.0.2.1 but my name was rejected.\nRemote host said: "
     "550 bad HELO",
     NDR_CMD_HELO},
    {"Connected to 192.0.2.1 but greeting failed.\nRemote host said: 554 "
     "go away",
     NDR_CMD_CONNECT},
    {"<bob@example.org>:\n192.0.2.1 does not like recipient.\nRemote host "
     "said: 550 5.1.1 unknown\nGiving up on 192.0.2.1.",
     NDR_CMD_RCPT},
    {"Sorry, no SMTP connection got far enough; most progress was RCPT TO "
     "response; last error was: 451 try later",
     NDR_CMD_RCPT},
    {"most progress was MAIL FROM response", NDR_CMD_MAIL},
    /* Gmail, Yahoo */
    {"Technical details of permanent failure:\nGoogle tried to deliver "
     "your message, but it was rejected by the recipient domain. The error "
     "that the other server returned was: SMTP:RCPT host mx.example.org: "
     "553 5.1.1 unknown",
     NDR_CMD_RCPT},
    {"SMTP:DATA host mx.example.org: 554 rejected", NDR_CMD_DATA},
    {"554 delivery error: dd This user doesn't have a yahoo.com account "
     "(bob@yahoo.com) [0] - mta1.mail.example.yahoo.com [RCPT_TO]",
     NDR_CMD_RCPT},
    {"553 5.7.1 [BL21] Connections will not be accepted [MAIL_FROM]",
     NDR_CMD_MAIL},
    {"550 unknown [rcpt_to]", NDR_CMD_RCPT},
    /* Sendmail and Courier show the end of the session: ">>> " what was
       sent, "<<< " what came back */
    {"----- Transcript of session follows -----\n"
     "... while talking to mx.example.org.:\n"
     ">>> RCPT To:<bob@example.org>\n"
     "<<< 550 5.1.1 <bob@example.org>... User unknown\n"
     "550 5.1.1 <bob@example.org>... User unknown",
     NDR_CMD_RCPT},
    {"... while talking to mx.example.org.:\n>>> MAIL From:<a@b.example> "
     "SIZE=1234\n<<< 553 5.1.8 Domain of sender address does not exist",
     NDR_CMD_MAIL},
    /* DATA with one reply: the refusal answered DATA */
    {"... while talking to mx.example.org.:\n>>> DATA\n<<< 554 5.7.1 "
     "Message refused",
     NDR_CMD_DATA},
    /* a multi-line reply counts once */
    {">>> DATA\n<<< 554-5.7.1 first line\n<<< 554 5.7.1 last line",
     NDR_CMD_DATA},
    {">>> RCPT To:<b@example.org>\n<<< 550-5.1.1 first\n<<< 550 5.1.1 last",
     NDR_CMD_RCPT},
    /* the end of the message */
    {"... while talking to mx.example.org.:\n>>> .\n<<< 554 5.7.1 Message "
     "rejected as spam",
     NDR_CMD_DATA},
    {">>> .\r\n<<< 554 5.7.1 spam\r\n", NDR_CMD_DATA},
    {">>> MAIL From:<a@b.example>\n<<< 250 ok\n>>> RCPT To:<c@d.example>\n"
     "<<< 250 ok\n>>> DATA\n<<< 354 go ahead\n>>> .\n<<< 550 5.7.1 spam",
     NDR_CMD_DATA},
    /* the first refusal decides, later commands do not */
    {">>> RCPT To:<c@d.example>\n<<< 550 5.1.1 unknown\n>>> DATA\n"
     "<<< 503 5.5.1 No recipients",
     NDR_CMD_RCPT},
    {"   >>> RCPT To:<c@d.example>\n\t<<< 452 4.2.2 Mailbox full",
     NDR_CMD_RCPT},
    {">>> BDAT 1234 LAST\n<<< 552 5.3.4 too big", NDR_CMD_DATA},
    {">>> EHLO client.example\n<<< 550 5.7.1 go away", NDR_CMD_EHLO},
    {">>> STARTTLS\n<<< 454 4.7.0 TLS not available", NDR_CMD_STARTTLS},
    /* Courier */
    {">>> RCPT TO:<bob@example.org>\n<<< 550 5.1.1 <bob@example.org>... "
     "User unknown",
     NDR_CMD_RCPT},
};

/* Each text gives the command; its prefixes may say something else. */
static const probe exact[] = {
    /* older Exim: "for" needs its "command" */
    {"thank you for TEXT messages", NONE},
    {"for RCPT TO messages", NONE},
    {"for TEXT commands", NONE},
    {"for TEXT", NONE},
    {"for data", NONE},
    /* OpenSMTPD, dma */
    {"did not like our attitude", NONE},
    {"did not like our final answer", NONE},
    /* qmail */
    {"most progress was made yesterday", NONE},
    {"but sender was rejoiced", NONE},
    /* Gmail, Yahoo */
    {"SMTP: 550 5.1.1 unknown", NONE},
    {"smtp://mx.example.org", NONE},
    {"550 unknown [RCPT_TOO]", NONE},
    {"550 unknown [RCPT TO]", NONE},
    /* transcripts, pipelined: MAIL, RCPT and DATA went together; a refusal
       that is not the last reply answered a recipient (so a prefix of these
       gives DATA) */
    {"... while talking to mx.example.org.:\n>>> DATA\n"
     "<<< 550 5.1.1 <bob@example.org>... User unknown\n"
     "550 5.1.1 <bob@example.org>... User unknown\n"
     "<<< 503 5.5.1 No recipients",
     NDR_CMD_RCPT},
    {">>> DATA\n<<< 250 2.1.0 Sender ok\n<<< 550 5.1.1 User "
     "unknown\n<<< 554 5.5.1 no valid recipients",
     NDR_CMD_RCPT},
    {">>> DATA\n<<< 250 2.1.0 Sender ok\n<<< 554 5.5.1 no valid "
     "recipients",
     NDR_CMD_DATA},
    /* no refusal, or no reply line */
    {">>> RCPT To:<b@example.org>\n<<< 250 2.1.5 ok", NONE},
    {">>> RCPT To:<b@example.org>\n550 5.1.1 unknown", NONE},
    {">>> RCPT To:<b@example.org>\n<<< 55", NONE},
    {">>> RCPT To:<b@example.org>\n<<< 5x0 no", NONE},
    {">>> .\n", NONE},
    /* the marks take one space, not a line break */
    {">>> RCPT To:<b@x>\n<<< 250 ok\n>>>\nDATA\n<<< 554 no", NDR_CMD_RCPT},
    /* ">>> ." is the end of the data only on its own */
    {">>> RCPT To:<b@x>\n<<< 250 ok\n>>> .foo\n<<< 550 5.7.1 no", NDR_CMD_RCPT},
    /* a refusal before anything was sent refused the connection; a new
       "... while talking to" starts a new session */
    {"... while talking to mx.example.org.:\n<<< 554 5.7.1 go away",
     NDR_CMD_CONNECT},
    {">>> RCPT To:<b@x>\n<<< 250 ok\n"
     "... while talking to mx2.example.org.:\n"
     "<<< 554 5.7.1 go away",
     NDR_CMD_CONNECT},
    {"... while talking to mx1.example.org.:\n>>> DATA\n"
     "<<< 554 5.7.1 spam\n... while talking to mx2.example.org.:\n"
     "<<< 250 ok",
     NDR_CMD_DATA},
    /* replies without a command or a session start say nothing */
    {"<<< 554 5.7.1 go away", NONE},
    {"<<< 250 ok\n<<< 550 5.1.1 unknown", NONE},
    /* a permanent refusal decides over a temporary one, else the first */
    {"... while talking to mx1.example.org.:\n>>> RCPT To:<b@x>\n"
     "<<< 452 4.2.2 full\n... while talking to mx2.example.org.:\n"
     ">>> DATA\n<<< 554 5.7.1 spam",
     NDR_CMD_DATA},
    {"... while talking to mx1.example.org.:\n>>> DATA\n<<< 554 5.7.1 "
     "spam\n... while talking to mx2.example.org.:\n>>> RCPT To:<b@x>\n"
     "<<< 550 5.1.1 unknown",
     NDR_CMD_DATA},
    {"... while talking to mx1.example.org.:\n>>> RCPT To:<b@x>\n"
     "<<< 451 4.3.0 later\n... while talking to mx2.example.org.:\n"
     ">>> DATA\n<<< 451 4.3.0 later",
     NDR_CMD_RCPT},
    {">>> RCPT To:<b@x>\n<<< 452 4.2.2 full\n>>> RCPT To:<c@x>\n"
     "<<< 550 5.1.1 unknown",
     NDR_CMD_RCPT},
    {">>> MAIL From:<a@x>\n<<< 451 4.1.8 try later\n>>> RCPT To:<c@x>\n"
     "<<< 550 5.1.1 unknown",
     NDR_CMD_RCPT},
    /* a phrase, wherever it stands, comes before the transcript */
    {">>> RCPT To:<b@x>\n<<< 550 5.1.1 unknown\n"
     "(in reply to end of DATA command)",
     NDR_CMD_DATA},
    /* ASCII case is ignored */
    {"(IN REPLY TO rcpt to COMMAND)", NDR_CMD_RCPT},
    {"(In Reply To End Of Data Command)", NDR_CMD_DATA},
    {"SMTP ERROR FROM REMOTE MAIL SERVER AFTER END OF DATA", NDR_CMD_DATA},
    {"After Pipelined Mail From:<a@b>", NDR_CMD_MAIL},
    {"DID NOT LIKE OUR FINAL data", NDR_CMD_DATA},
    {"WHILE RECEIVING THE INITIAL SERVER GREETING", NDR_CMD_CONNECT},
    {"Connected to 192.0.2.1 BUT SENDER WAS REJECTED.", NDR_CMD_MAIL},
    {"REFUSED TO TALK TO ME", NDR_CMD_CONNECT},
    {"smtp:rcpt host x", NDR_CMD_RCPT},
    {"[Rcpt_To]", NDR_CMD_RCPT},
    {">>> rcpt to:<b@x>\n<<< 550 5.1.1 unknown", NDR_CMD_RCPT},
    /* a phrase starts a word, and a command's name is a whole word */
    {"thereafter RCPT TO:<a@b.example> failed", NONE},
    {"hereafter end of data", NONE},
    {"after authentication failed", NONE},
    {"535 5.7.8 authentication failed", NONE},
    {"after datacenter maintenance", NONE},
    {"after RCPTS", NONE},
    {"after helot", NONE},
    {"after mail fromage", NONE},
    {"in reply to your message of Monday", NONE},
    {"in reply to RCPTX command", NONE},
    {"within reply to RCPT TO command", NONE},
    {"begin reply to RCPT TO command", NONE},
    {"awhile sending MAIL FROM", NONE},
    {"esmtp:RCPT host x", NONE},
    {"xdid not like our RCPT TO", NONE},
    {"therefor RCPT TO command", NONE},
    {"after_RCPT TO", NONE},
    {"550 5.1.1 User unknown", NONE},
    {"RCPT TO:<a@b> 550 5.1.1 User unknown", NONE},
    {"DATA 554 rejected", NONE},
    /* punctuation and non-ASCII bytes do not join words */
    {"said: 550 unknown(in reply to RCPT TO command)", NDR_CMD_RCPT},
    {"\303\251after RCPT TO:<a>", NDR_CMD_RCPT},
    {"-after end of data", NDR_CMD_DATA},
    {"after RCPT TO", NDR_CMD_RCPT},
    {"after RCPT", NDR_CMD_RCPT},
    /* the first phrase in the text decides; a phrase whose command is not
       known does not stop the search */
    {"Connected to 192.0.2.1 but sender was rejected. (in reply "
     "to RCPT TO command)",
     NDR_CMD_MAIL},
    {"(in reply to RCPT TO command) Connected to 192.0.2.1 but "
     "sender was rejected.",
     NDR_CMD_RCPT},
    {"after end of data; did not like our RCPT TO", NDR_CMD_DATA},
    {"[MAIL_FROM] after RCPT TO:<a>", NDR_CMD_MAIL},
    {"in reply to your message: 550 unknown (in reply to RCPT TO "
     "command)",
     NDR_CMD_RCPT},
    {"after 30 seconds: SMTP error after end of data", NDR_CMD_DATA},
};

static void test_phrases(void) {
  check_probes(cut_safe, N_OF(cut_safe), 1);
  check_probes(exact, N_OF(exact), 0);
}

static void test_bounds(void) {
  /* NULL and empty */
  CHECK(ndr_smtp_command(NULL, 0) == NULL);
  CHECK(ndr_smtp_command(NULL, 40) == NULL);
  CHECK(ndr_smtp_command("", 0) == NULL);
  CHECK(ndr_smtp_command("(in reply to RCPT TO command)", 0) == NULL);
  CHECK_STR(cmd_n("", 0), NONE);
  /* len is obeyed, not the NUL */
  const char *s = "(in reply to RCPT TO command)";
  CHECK_STR(cmd_n(s, 16), NONE); /* "(in reply to RCP" */
  CHECK_STR(cmd_n(s, 17), NDR_CMD_RCPT);
  /* a phrase cut at the very end (cmd() passes the exact length) */
  CHECK_STR(cmd("in reply to end of DA"), NONE);
  CHECK_STR(cmd("in reply to end of DATA"), NDR_CMD_DATA);
  CHECK_STR(cmd("Connected to 192.0.2.1 but sender was rej"), NONE);
  CHECK_STR(cmd("did not like our final"), NONE);
  CHECK_STR(cmd("did not like our "), NONE);
  CHECK_STR(cmd("in reply to "), NONE);
  CHECK_STR(cmd("in reply to\n  "), NONE);
  CHECK_STR(cmd("after pipelined"), NONE);
  CHECK_STR(cmd("[RCPT_TO"), NONE);
  CHECK_STR(cmd("refused to talk to m"), NONE);
  CHECK_STR(cmd(">>> RCPT To:<a>\n<<< 5"), NONE);
  CHECK_STR(cmd(">>> RCPT To:<a>\n<<< 550"), NDR_CMD_RCPT);
  CHECK_STR(cmd(">>> RCPT To:<a>\n<<"), NONE);
  CHECK_STR(cmd(">>> RCPT To:<a>\n<<<"), NONE);
  CHECK_STR(cmd(">>> ."), NONE);
  CHECK_STR(cmd(">>>"), NONE);
  CHECK_STR(cmd("<<<"), NONE);
  CHECK_STR(cmd("for TEXT comm"), NONE);
  CHECK_STR(cmd("... while talking to"), NONE);
  /* NUL bytes are text like any other */
  static const char nul[] = "\0(in reply to RCPT TO command)";
  CHECK_STR(cmd_n(nul, sizeof nul - 1), NDR_CMD_RCPT);
  static const char nul2[] = "(in reply to\0RCPT TO command)";
  CHECK_STR(cmd_n(nul2, sizeof nul2 - 1), NONE);
  static const char nul3[] = ">>> DATA\n\0<<< 554 spam";
  CHECK_STR(cmd_n(nul3, sizeof nul3 - 1), NONE);
}

static int known(const char *c) {
  static const char *const all[] = {
      NDR_CMD_CONNECT, NDR_CMD_HELO, NDR_CMD_EHLO, NDR_CMD_STARTTLS,
      NDR_CMD_AUTH,    NDR_CMD_MAIL, NDR_CMD_RCPT, NDR_CMD_DATA};
  for (size_t i = 0; i < N_OF(all); i++)
    if (strcmp(c, all[i]) == 0) return 1;
  return 0;
}

/* Random bytes, and random mixes of the pieces the reader looks for. */
static void test_junk(void) {
  static const char *const pieces[] = {"in reply to ",
                                       "after ",
                                       "pipelined ",
                                       "did not like our ",
                                       "final ",
                                       "RCPT TO",
                                       "MAIL FROM",
                                       "end of data",
                                       "DATA",
                                       ">>> ",
                                       "<<< 550 ",
                                       "<<< 250 ",
                                       "<<< 550-",
                                       "\n",
                                       "\r\n",
                                       " ",
                                       ".",
                                       "command",
                                       "for ",
                                       "TEXT ",
                                       "[RCPT_TO]",
                                       "smtp:",
                                       "\0",
                                       "\xff",
                                       "while ",
                                       "sending ",
                                       "<<<",
                                       ">>> .",
                                       "... while talking to ",
                                       "most progress was "};
  uint32_t x = 2463534242u;
  unsigned odd = 0;
  for (int round = 0; round < 4000; round++) {
    char buf[512];
    size_t n = 0;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    size_t want = x % sizeof buf;
    while (n < want) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      if (round & 1) {
        buf[n++] = (char)(x & 0xff);
      } else {
        const char *pc = pieces[x % N_OF(pieces)];
        size_t pl = pc[0] ? strlen(pc) : 1;
        if (pl > sizeof buf - n) pl = sizeof buf - n;
        memcpy(buf + n, pc, pl);
        n += pl;
      }
    }
    char *b = malloc(n ? n : 1);
    if (!b) break;
    memcpy(b, buf, n);
    const char *c = ndr_smtp_command(b, n);
    if (c && !known(c)) odd++;
    free(b);
  }
  CHECK_INT(odd, 0);
}

/* Long texts of what almost matches: one pass, whatever the blanks. */
static void test_long(void) {
  size_t n = 4u << 20;
  char *b = malloc(n);
  if (!b) return;
  memcpy(b, "(in reply to", 12);
  memset(b + 12, ' ', n - 12);
  memcpy(b + n - 16, "RCPT TO command)", 16);
  CHECK_STR(ndr_smtp_command(b, n), NDR_CMD_RCPT);
  for (size_t i = 0; i + 9 <= n; i += 9) memcpy(b + i, "in reply ", 9);
  CHECK(ndr_smtp_command(b, n) == NULL);
  for (size_t i = 0; i + 4 <= n; i += 4) memcpy(b + i, "<<< ", 4);
  CHECK(ndr_smtp_command(b, n) == NULL);
  for (size_t i = 0; i + 6 <= n; i += 6) memcpy(b + i, ">>> .\n", 6);
  CHECK(ndr_smtp_command(b, n) == NULL);
  free(b);
}

static void test_record_set_line(void) {
  CHECK_STR(ndr_field_name(NDR_F_COMMAND), "command");
  ndr_record *r = ndr_record_new();
  CHECK(r != NULL);
  if (!r) return;
  size_t len;
  char st[16];

  const char *t1 = "host mx.example.org[192.0.2.1] said: 550 5.1.1 "
                   "<bob@example.org>: Recipient address rejected: User "
                   "unknown (in reply to RCPT TO command)";
  CHECK_INT(ndr_record_set_line(r, t1, strlen(t1)), NDR_OK);
  CHECK_INT(ndr_record_kind(r), NDR_KIND_LINE);
  CHECK_STR(ndr_record_get(r, NDR_F_TEXT, &len), t1);
  CHECK_INT(len, strlen(t1));
  CHECK_INT(ndr_record_reply(r), 550);
  CHECK(ndr_record_status(r, st, sizeof st));
  CHECK_STR(st, "5.1.1");
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, &len), "RCPT");
  CHECK_INT(len, 4);

  /* a record used for something else first: everything is forgotten */
  ndr_record_reset(r);
  ndr_record_set_kind(r, NDR_KIND_BOUNCE);
  ndr_record_set(r, NDR_F_RECIPIENT, "bob@example.org", 15);
  ndr_record_set(r, NDR_F_REMOTE_MTA, "mx.example.org", 14);
  ndr_record_set(r, NDR_F_COMMAND, "DATA", 4);
  ndr_record_set_status(r, 5, 7, 1);
  ndr_record_set_reply(r, 554);
  const char *t2 = "421 Service not available, closing transmission channel";
  CHECK_INT(ndr_record_set_line(r, t2, strlen(t2)), NDR_OK);
  CHECK_INT(ndr_record_kind(r), NDR_KIND_LINE);
  CHECK_STR(ndr_record_get(r, NDR_F_TEXT, NULL), t2);
  CHECK_INT(ndr_record_reply(r), 421);
  CHECK(!ndr_record_status(r, st, sizeof st));
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, &len), "");
  CHECK_INT(len, 0);
  CHECK_STR(ndr_record_get(r, NDR_F_RECIPIENT, &len), "");
  CHECK_INT(len, 0);
  CHECK_STR(ndr_record_get(r, NDR_F_REMOTE_MTA, &len), "");
  CHECK_INT(len, 0);

  /* the command of the previous line does not stay */
  CHECK_INT(ndr_record_set_line(r, t1, strlen(t1)), NDR_OK);
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, NULL), "RCPT");
  const char *t3 = "550 5.7.1 Message rejected";
  CHECK_INT(ndr_record_set_line(r, t3, strlen(t3)), NDR_OK);
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, &len), "");
  CHECK_INT(len, 0);

  /* a multi-line reply, wrapped: the text is joined, the command found */
  const char *t4 = "550-5.7.26 This mail is unauthenticated. Gmail requires\n"
                   "550 5.7.26 SPF or DKIM. - gsmtp (in reply\n"
                   "    to end of DATA command)";
  CHECK_INT(ndr_record_set_line(r, t4, strlen(t4)), NDR_OK);
  CHECK_INT(ndr_record_reply(r), 550);
  CHECK(ndr_record_status(r, st, sizeof st));
  CHECK_STR(st, "5.7.26");
  CHECK(strchr(ndr_record_get(r, NDR_F_TEXT, NULL), '\n') == NULL);
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, NULL), "DATA");

  /* other phrase families reach the record the same way */
  const char *t5 = "SMTP error from remote mail server after pipelined MAIL "
                   "FROM:<a@b.example>: 553 5.1.8 sender rejected";
  CHECK_INT(ndr_record_set_line(r, t5, strlen(t5)), NDR_OK);
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, NULL), "MAIL");
  CHECK_INT(ndr_record_reply(r), 553);
  const char *t6 = "... while talking to mx.example.org.:\n>>> DATA\n"
                   "<<< 554 5.7.1 spam\n554 5.7.1 spam";
  CHECK_INT(ndr_record_set_line(r, t6, strlen(t6)), NDR_OK);
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, NULL), "DATA");

  /* the text is read up to len only */
  CHECK_INT(ndr_record_set_line(r, t1, strlen(t1) - 16), NDR_OK);
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, &len), "");
  CHECK_INT(len, 0);

  /* empty and wrong arguments */
  CHECK_INT(ndr_record_set_line(r, NULL, 0), NDR_OK);
  CHECK_STR(ndr_record_get(r, NDR_F_TEXT, &len), "");
  CHECK_INT(len, 0);
  CHECK_INT(ndr_record_reply(r), 0);
  CHECK_STR(ndr_record_get(r, NDR_F_COMMAND, &len), "");
  CHECK_INT(len, 0);
  CHECK_INT(ndr_record_set_line(r, "", 0), NDR_OK);
  CHECK_INT(ndr_record_set_line(r, NULL, 5), NDR_ERR_ARG);
  CHECK_INT(ndr_record_set_line(NULL, t1, strlen(t1)), NDR_ERR_ARG);
  ndr_record_free(r);
}

/*
 * The SSE2 scan and the portable one agree, on texts built from the
 * phrases, their first bytes, and what stands around them, at every length
 * and alignment.
 */
static void test_portable_agrees(void) {
  static const char *const piece[] = {"in reply to ",
                                      "RCPT TO",
                                      "after ",
                                      "MAIL FROM",
                                      "did not like our ",
                                      "final ",
                                      "DATA",
                                      "<<< 550 ",
                                      "<<< 250 ",
                                      ">>> RCPT To:<a>\n",
                                      "\n",
                                      " ",
                                      "SMTP:",
                                      "x",
                                      "[RCPT_TO]",
                                      "[mail_from]",
                                      "while sending ",
                                      "for ",
                                      "command",
                                      "does not like recipient",
                                      "refused to talk to me",
                                      "most progress was ",
                                      "but greeting failed",
                                      "in",
                                      "I",
                                      "a",
                                      "<",
                                      "<<",
                                      "... while talking to h:\n",
                                      "EHLO",
                                      "text ",
                                      "9",
                                      "-",
                                      "do",
                                      "mo"};
  const size_t np = sizeof piece / sizeof *piece;
  unit_seed(5321);
  unsigned bad = 0;
  for (int round = 0; round < 100000; round++) {
    size_t n;
    char *s = unit_pieces(piece, np, 16, 600, &n);
    if (!s) continue;
    const char *a = ndr_smtp_command(s, n), *b = portable_smtp_command(s, n);
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0)) bad++;
    free(s);
  }
  CHECK_INT(bad, 0);
}

int main(void) {
  test_phrases();
  test_bounds();
  test_junk();
  test_long();
  test_record_set_line();
  test_portable_agrees();
  return unit_done();
}
