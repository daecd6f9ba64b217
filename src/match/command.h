/*
 * command.h - which SMTP command a remote server was answering when it
 * refused a message, read from the words of a bounce or a log line.
 *
 * Why it matters: the same "550 User unknown" means a mailbox that does not
 * exist when it answers RCPT TO, but usually a content filter that hides
 * behind those words when it only comes after the message was sent (end of
 * DATA). A refusal of the connection, the greeting or HELO/EHLO is about
 * the sending server; one of MAIL FROM is about the sender's address.
 *
 * The answer is one of the values below, or NULL when the text does not say.
 * The phrases read (ASCII case ignored):
 *   Postfix     "(in reply to RCPT TO command)", "(in reply to end of DATA
 *               command)", "while sending MAIL FROM", "while receiving the
 *               initial server greeting", "refused to talk to me"
 *   Exim        "SMTP error from remote mail server after RCPT TO:<a>",
 *               "after pipelined MAIL FROM", "after end of data", "after
 *               initial connection", "SMTP timeout after ..."; older Exim
 *               "... for RCPT TO command", "for TEXT command"
 *   OpenSMTPD,  "did not like our RCPT TO:", "did not like our final DATA",
 *   dma         "did not like our EHLO"
 *   qmail       "Connected to H but sender was rejected" (MAIL), "... but my
 *               name was rejected" (HELO), "... but greeting failed"
 *   Yahoo       a "[RCPT_TO]" / "[MAIL_FROM]" tag after the reply
 *   Sendmail,   a transcript: the last ">>> COMMAND" line before a
 *   Courier     "<<< 4xx/5xx" reply (">>> ." is the end of DATA; a refusal
 *               after "... while talking to H:" and before any command is
 *               CONNECT); the first 5xx refusal decides, else the first 4xx
 * A space in a phrase stands for any run of blanks and line breaks (reports
 * wrap long lines). The first phrase found decides; a transcript is read
 * only when there is no phrase.
 *
 * Promise: linear in len, reads only text[0..len), never allocates.
 */
#ifndef NDR_MATCH_COMMAND_H
#define NDR_MATCH_COMMAND_H

#include <stddef.h>

/* The values, as the record's `command` field holds them. */
#define NDR_CMD_CONNECT "CONNECT" /* the connection or the greeting */
#define NDR_CMD_HELO "HELO"
#define NDR_CMD_EHLO "EHLO"
#define NDR_CMD_STARTTLS "STARTTLS"
#define NDR_CMD_AUTH "AUTH"
#define NDR_CMD_MAIL "MAIL"
#define NDR_CMD_RCPT "RCPT"
#define NDR_CMD_DATA "DATA" /* DATA, BDAT and the end of the message */

const char *ndr_smtp_command(const char *text, size_t len);

#endif
