/*
 * extract.h - the SMTP reply code and the RFC 3463 enhanced status code of
 * one delivery diagnostic, and the diagnostic's normalised one-line form.
 *
 * Promise: both functions take arbitrary bytes (NULs, CR-only line breaks,
 * binary junk), run in time linear in len with bounded look-ahead, never read
 * outside text[0..len), never allocate and never print. A NULL text is
 * accepted when len is 0.
 *
 * What counts as an enhanced status code
 *   class "." subject "." detail, class 2, 4 or 5, subject and detail of 1-3
 *   digits without leading zeros (a lone "0" is fine): 5.7.1, 4.7.500,
 *   5.1.10, 5.0.0. It must stand alone:
 *   - the byte before it is absent, a space or control byte, or one of
 *     # ( [ < > ' " ; : = - ,   (so "#5.7.1", "550-5.7.26", "smtp;5.1.0");
 *     a digit, letter or '.' before it rejects it (IPs 198.51.100.7 and
 *     10.5.1.2, "4.16.55.1", "v2.5.1");
 *   - the byte after it is not a digit, letter, '_' or '@', and not '.'
 *     followed by a digit (so 5.1.1.2, 2.5.1.3 and 5.1.2024 are rejected,
 *     while "5.1.1." at the end of a sentence and "5.1.1=" are accepted).
 *
 * What counts as a reply code
 *   Three digits, the first 2-5, the second 0-5, followed by the end of the
 *   text, a space or control byte, or '-' ("550-5.7.26", "550-'Invalid");
 *   preceded by nothing, a space or control byte, or one of # ; : ( [ < > '
 *   " ("#550", "smtp;550", "'550", "<421", "-> 550"), but not by ':' that
 *   follows a digit or ']' (times, ports "[192.0.2.1]:250").
 *   Such a candidate is only believed when it is ANCHORED:
 *   - it is followed, across spaces, line breaks, '-' and '#' (at most 32
 *     bytes), by an enhanced status ("550 5.1.1", "554\n    5.6.0",
 *     "550 #5.1.0"): an adjacent pair; or
 *   - it is followed by '-' (the multi-line form "NNN-"); or
 *   - only spaces and tabs separate it from the start of its segment (see
 *     below), the start of a line, or one of : ; # ' " < > ( ("said: 550",
 *     "refused to talk to me: 421").
 *   So "after 550 seconds", "552 bytes", "[416]", "(S3150)", "AS16012611",
 *   "a_id/80870/p/622" are not reply codes.
 *
 * Innermost reply: segments
 *   The text is cut into segments at wrapper markers: "->", "smtp;" (any
 *   case), '<' followed (after optional blanks) by '#' or by a reply code
 *   ("< #5.7.133", "<421 4.4.2"), and an opening quote (' or " not preceded
 *   by a letter or digit, so "doesn't" does not cut). The LAST segment that
 *   holds a status or an anchored reply wins: it is the innermost reply of
 *   an Exchange wrapper ("554 5.7.0 < #5.7.133 smtp;550 5.7.133 ..." gives
 *   550 5.7.133), of an EXO relay ("... -> 550 5.7.1 ...") and of a quoted
 *   "Remote Server returned '550 5.7.1 ...'".
 *   Inside the winning segment the first adjacent pair is taken
 *   ("220-laposte 421 4.2.1" gives 421 4.2.1); without a pair, its first
 *   anchored reply and its first status. When the segment has only one of
 *   the two, the other comes from the nearest earlier segment that has one:
 *   "5.1.0 - Unknown address error 550-'5.1.1 <x>: ...'" gives 550 5.1.1,
 *   "550 5.1.351 ... -> 550 : User unknown" gives 550 5.1.351, and a lone
 *   "#5.1.1" gives reply 0. Reply and status are kept as found even when
 *   their classes disagree ("550 4.7.1").
 *
 * Multi-line replies
 *   A reply followed by '-' opens a multi-line reply; a following line that
 *   starts (after blanks) with the same three digits and '-' or a blank is a
 *   continuation, its "NNN-"/"NNN " prefix and a repeated identical status
 *   are not candidates, so offsets point into the first line. A line that
 *   is not a continuation closes the multi-line reply.
 */
#ifndef NDR_MATCH_EXTRACT_H
#define NDR_MATCH_EXTRACT_H

#include <stddef.h>

typedef struct ndr_codes {
  int reply; /* 3-digit SMTP reply code, 0 = none */
  int st_class, st_subject,
      st_detail;    /* enhanced status; st_class == 0 = none */
  size_t reply_off; /* byte offset of the chosen reply code in the text,
                       SIZE_MAX if none */
  size_t status_off,
      status_len; /* where the chosen status is (offset SIZE_MAX if none) */
} ndr_codes;

/* Extract codes from text[0..len) (not NUL-terminated, may contain any
   bytes). status_len is 0 when there is no status. */
void ndr_extract_codes(const char *text, size_t len, ndr_codes *out);

/* Normalise a diagnostic into out (capacity >= len + 1; result
   NUL-terminated, returns its length):
   - CR, LF and CRLF line breaks all count as line breaks; lines are joined
     with a single space; lines that are empty after trimming are dropped;
   - a multi-line SMTP reply ("550-5.7.26 First line\n550-5.7.26 second\n
     550 5.7.26 last - gsmtp") is joined the way a server means it: the first
     line keeps its code ("550 5.7.26 First line second last - gsmtp"), the
     repeated "NNN-" / "NNN " prefixes and the repeated enhanced code on
     continuation lines are dropped. The first line's "NNN-" opens such a
     reply when it starts the line or follows ';' or ':' ("smtp; 550-5.1.1");
     its '-' becomes a space only when a continuation line follows;
   - leading/trailing whitespace of every line trimmed, runs of spaces and
     tabs inside kept as they are;
   - NUL bytes and other C0 control characters become a space (tab is kept).
   Bytes 0x7F and above are copied unchanged. The result is never longer
   than len. */
size_t ndr_diag_normalize(const char *text, size_t len, char *out);

#endif
