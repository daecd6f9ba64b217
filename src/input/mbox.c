/*
 * mbox.c - an mbox file as a stream of messages.
 *
 * A message starts at a "From " line at the start of the file or after a
 * blank line (mboxo/mboxrd), or at a "From " line that looks like an
 * envelope line ("From sender date") even without the blank line. Bytes
 * before the first "From " line that are not blank are read as a message
 * too (a single message given as an mbox). Line ends may be LF, CRLF or CR
 * only; they are made LF as the bytes come in.
 *
 * Memory: one message buffer of at most NDR_MAX_MESSAGE_BYTES (a longer
 * message is read on its first bytes, the rest skipped up to the next "From "
 * line, and a warning says so) and one read buffer; nothing grows with the
 * size of the file or the number of messages. `where` is the 1-based
 * message number.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/msg.h"

#define CHUNK 65536u

typedef struct mbox {
  ndr_msg_reader *rd;
  const char *name;
  const ndr_input_cb *cb;
  ndr_buf m;           /* the current message */
  int have;            /* a message has begun */
  int cut;             /* the current message went over the limit */
  int nl_run;          /* newlines at the end of what was read (max 2) */
  int pending_cr;      /* the last chunk ended with CR */
  int skipping;        /* inside a "From " line, not copied */
  unsigned long msgno; /* messages finished */
  int stop;
} mbox;

static void add(mbox *mb, const char *p, size_t n) {
  if (!n || mb->skipping) return;
  if (mb->m.len >= NDR_MAX_MESSAGE_BYTES) {
    mb->cut = 1;
    return;
  }
  if (n > NDR_MAX_MESSAGE_BYTES - mb->m.len) {
    n = NDR_MAX_MESSAGE_BYTES - mb->m.len;
    mb->cut = 1;
  }
  if (ndr_buf_add(&mb->m, p, n) < 0) mb->cut = 1;
}

static void finish(mbox *mb) {
  if (mb->stop) return;
  int blank = 1;
  for (size_t i = 0; i < mb->m.len && blank; i++)
    if (mb->m.p[i] != '\n' && mb->m.p[i] != ' ' && mb->m.p[i] != '\t')
      blank = 0;
  if (mb->have || !blank) {
    mb->msgno++;
    if (blank) {
      if (mb->cb->skipped)
        mb->cb->skipped(mb->cb->user, mb->name, mb->msgno, "empty message");
    } else {
      mb->stop = ndr_msg_read(mb->rd, mb->name, mb->msgno, mb->m.p, mb->m.len,
                              mb->cut, mb->cb);
    }
  }
  ndr_buf_clear(&mb->m);
  mb->cut = 0;
  mb->have = 0;
}

/* "From sender date": an envelope line, even without a blank line before. */
static int envelope_line(const char *p, size_t n) {
  if (n < 10 || memcmp(p, "From ", 5) != 0 || p[5] == ' ') return 0;
  /* a time "hh:mm" and a digit run of four (the year) */
  int time = 0, year = 0;
  for (size_t i = 5; i + 2 < n && i < 200; i++) {
    if (p[i] >= '0' && p[i] <= '9' && p[i + 1] >= '0' && p[i + 1] <= '9' &&
        p[i + 2] == ':')
      time = 1;
    if (i + 3 < n && p[i - 1] == ' ' && p[i] >= '1' && p[i] <= '2' &&
        p[i + 1] >= '0' && p[i + 1] <= '9' && p[i + 2] >= '0' &&
        p[i + 2] <= '9' && p[i + 3] >= '0' && p[i + 3] <= '9')
      year = 1;
  }
  return time && year;
}

/* CRLF and CR to LF, across chunks. */
static size_t normalize(char *p, size_t n, int *pending_cr) {
  size_t i = 0, o = 0;
  if (*pending_cr && n && p[0] == '\n') i = 1;
  *pending_cr = 0;
  if (!memchr(p + i, '\r', n - i)) {
    if (i) memmove(p, p + 1, n - 1);
    return n - i;
  }
  for (; i < n; i++) {
    if (p[i] == '\r') {
      p[o++] = '\n';
      if (i + 1 < n && p[i + 1] == '\n')
        i++;
      else if (i + 1 == n)
        *pending_cr = 1;
    } else {
      p[o++] = p[i];
    }
  }
  return o;
}

/* Process c[0..n) (LF only). Returns how many bytes at the end were left
   for the next call: the start of a line that may be a "From " line. */
static size_t feed(mbox *mb, const char *c, size_t n, int eof) {
  size_t pos = 0;
  while (pos < n && !mb->stop) {
    if (mb->skipping) { /* the "From " line itself is not copied */
      const char *le = memchr(c + pos, '\n', n - pos);
      if (!le) {
        mb->nl_run = 0;
        return 0;
      }
      pos = (size_t)(le - c) + 1;
      mb->skipping = 0;
      mb->nl_run = 1;
      continue;
    }
    if (mb->nl_run > 0) { /* at a line start: a separator? */
      size_t avail = n - pos;
      if (!eof && avail < 5 && memcmp(c + pos, "From ", avail) == 0)
        return avail;
      if (avail >= 5 && memcmp(c + pos, "From ", 5) == 0) {
        const char *le = memchr(c + pos, '\n', avail);
        if (!le && !eof && avail < 1024) return avail;
        size_t ll = le ? (size_t)(le - (c + pos)) : avail;
        if (mb->nl_run >= 2 || envelope_line(c + pos, ll)) {
          finish(mb);
          mb->have = 1;
          mb->skipping = 1;
          continue;
        }
      }
    }
    /* copy up to the next line that may be a separator */
    const char *q = memmem(c + pos, n - pos, "\nFrom ", 6);
    size_t upto = q ? (size_t)(q - c) + 1 : n;
    if (!q && !eof) /* a line start cut by the chunk end: keep it */
      for (size_t t = 1; t <= 4 && t + 1 <= n - pos; t++)
        if (c[n - t - 1] == '\n' && memcmp(c + n - t, "From ", t) == 0) {
          upto = n - t;
          break;
        }
    if (upto <= pos) upto = n;
    add(mb, c + pos, upto - pos);
    size_t t = upto;
    int run = 0;
    while (t > pos && c[t - 1] == '\n' && run < 2) {
      t--;
      run++;
    }
    if (t == pos) run = mb->nl_run + run > 2 ? 2 : mb->nl_run + run;
    mb->nl_run = run;
    pos = upto;
  }
  return 0;
}

ndr_status ndr_input_mbox(FILE *f, const char *name, const ndr_input_cb *cb) {
  mbox mb;
  memset(&mb, 0, sizeof mb);
  mb.rd = ndr_msg_reader_new();
  if (!mb.rd) return NDR_ERR_NOMEM;
  mb.name = name;
  mb.cb = cb;
  mb.nl_run = 2; /* the start of the file counts as after a blank line */
  char *buf = malloc(CHUNK + 2048);
  if (!buf) {
    ndr_msg_reader_free(mb.rd);
    return NDR_ERR_NOMEM;
  }
  size_t carry = 0;
  ndr_status st = NDR_OK;
  for (;;) {
    size_t got = fread(buf + carry, 1, CHUNK, f);
    int eof = got == 0;
    size_t n = carry + normalize(buf + carry, got, &mb.pending_cr);
    size_t left = feed(&mb, buf, n, eof);
    if (mb.stop) break;
    if (left > 2048) left = 0; /* cannot happen: tails are short */
    memmove(buf, buf + n - left, left);
    carry = left;
    if (eof) {
      if (carry) feed(&mb, buf, carry, 1);
      break;
    }
  }
  if (ferror(f)) st = NDR_ERR_IO;
  if (!mb.stop) finish(&mb);
  free(buf);
  ndr_buf_free(&mb.m);
  ndr_msg_reader_free(mb.rd);
  return st;
}
