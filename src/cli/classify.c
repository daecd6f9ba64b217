/*
 * classify.c - `ndrsift classify` and `ndrsift explain` on SMTP diagnostic
 * lines: reads lines with a bounded buffer, classifies each as one record,
 * writes text, JSON Lines or CSV to stdout and a summary of counts to stderr.
 *
 * Every non-blank input line yields exactly one output record; blank lines
 * are counted and skipped; an over-long line is cut at the limit with a
 * warning naming the file and line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/limits.h"
#include "input/input.h"

typedef enum out_format { OF_TEXT, OF_JSONL, OF_CSV, OF_SUMMARY } out_format;

typedef struct cat_count {
  const char *cat;
  unsigned n;
} cat_count;

typedef struct run {
  out_format fmt;
  ndr_matcher *m;
  ndr_record *rec;
  ndr_buf out;
  unsigned long records, unknown, blank, truncated, limit_hits;
  cat_count *counts;
  size_t n_counts, cap_counts;
  cat_count *skipped; /* counted, not classified: "delivered"... */
  size_t n_skipped, cap_skipped;
  unsigned long problems;
  int quiet;
  int csv_raw;      /* --csv-raw: no guard against spreadsheet formulas */
  cli_summary *sum; /* --format=summary */
} run;

/* Count one more of `what` in the tally v. The strings outlive the run
   (category ids live in the table, which holds each once, so the pointer
   finds one first; readers pass string literals for what they skip). */
static void tally(cat_count **v, size_t *n, size_t *cap, const char *what) {
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i].cat == what) {
      (*v)[i].n++;
      return;
    }
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*v)[i].cat, what) == 0) {
      (*v)[i].n++;
      return;
    }
  if (*n == *cap) {
    size_t c2 = *cap ? *cap * 2 : 16;
    cat_count *c = realloc(*v, c2 * sizeof *c);
    if (!c) return;
    *v = c;
    *cap = c2;
  }
  (*v)[(*n)++] = (cat_count){what, 1};
}

static void count_category(run *r, const char *cat) {
  tally(&r->counts, &r->n_counts, &r->cap_counts, cat);
}

static void count_skipped(run *r, const char *what) {
  tally(&r->skipped, &r->n_skipped, &r->cap_skipped, what);
}

static void json_str(ndr_buf *b, const char *s) {
  if (!s) {
    ndr_buf_adds(b, "null");
    return;
  }
  ndr_buf_addc(b, '"');
  ndr_buf_add_json(b, s, strlen(s));
  ndr_buf_addc(b, '"');
}

static void emit(run *r, const char *input, unsigned long recno,
                 unsigned long lineno, const ndr_verdict *v) {
  ndr_buf *b = &r->out;
  size_t tl;
  const char *text = ndr_record_get(r->rec, NDR_F_TEXT, &tl);
  char st[16];
  int has_st = ndr_record_status(r->rec, st, sizeof st);
  int reply = ndr_record_reply(r->rec);
  ndr_buf_clear(b);
  switch (r->fmt) {
  case OF_SUMMARY: /* records go to cli_summary_record instead */
    return;
  case OF_JSONL:
    ndr_buf_adds(b, "{\"input\":");
    json_str(b, input);
    ndr_buf_adds(b, ",\"record\":");
    ndr_buf_add_uint(b, recno);
    ndr_buf_adds(b, ",\"line\":");
    ndr_buf_add_uint(b, lineno);
    ndr_buf_adds(b, ",\"kind\":");
    json_str(b, ndr_kind_name(ndr_record_kind(r->rec)));
    ndr_buf_adds(b, ",\"provider\":");
    json_str(b, v->provider);
    if (reply) {
      ndr_buf_adds(b, ",\"reply_code\":");
      ndr_buf_add_uint(b, (unsigned)reply);
    } else
      ndr_buf_adds(b, ",\"reply_code\":null");
    ndr_buf_adds(b, ",\"status\":");
    json_str(b, has_st ? st : NULL);
    ndr_buf_adds(b, ",\"diagnostic\":\"");
    ndr_buf_add_json(b, text, tl);
    ndr_buf_adds(b, "\",\"category\":");
    json_str(b, v->category);
    ndr_buf_adds(b, ",\"fixer\":");
    json_str(b, v->fixer);
    ndr_buf_adds(b, ",\"retry\":");
    json_str(b, v->retry);
    ndr_buf_adds(b, ",\"advice\":");
    json_str(b, v->advice);
    ndr_buf_adds(b, ",\"sisimai_reason\":");
    json_str(b, v->sisimai);
    ndr_buf_adds(b, ",\"rule\":");
    if (v->rule_id) {
      ndr_buf_adds(b, "{\"id\":");
      json_str(b, v->rule_id);
      ndr_buf_adds(b, ",\"file\":");
      json_str(b, v->rule_file);
      ndr_buf_adds(b, ",\"line\":");
      ndr_buf_add_uint(b, v->rule_line);
      ndr_buf_adds(b, ",\"pack\":");
      json_str(b, v->pack_id);
      ndr_buf_addc(b, '}');
    } else {
      ndr_buf_adds(b, "null");
    }
    ndr_buf_adds(b, ",\"evidence\":[");
    for (size_t i = 0; i < v->n_evidence; i++) {
      const ndr_evidence *e = &v->evidence[i];
      if (i) ndr_buf_addc(b, ',');
      ndr_buf_adds(b, "{\"condition\":");
      json_str(b, e->what);
      if (e->offset != SIZE_MAX && e->offset <= tl &&
          e->length <= tl - e->offset) {
        ndr_buf_adds(b, ",\"offset\":");
        ndr_buf_add_uint(b, e->offset);
        ndr_buf_adds(b, ",\"matched\":\"");
        ndr_buf_add_json(b, text + e->offset, e->length);
        ndr_buf_addc(b, '"');
      }
      ndr_buf_addc(b, '}');
    }
    ndr_buf_adds(b, "],\"why\":");
    json_str(b, v->why);
    /* the fields an NDR or a trace record carries, when present */
    for (int f = NDR_F_TEXT + 1; f < NDR_F_COUNT_; f++) {
      size_t fl;
      const char *fv = ndr_record_get(r->rec, (ndr_field)f, &fl);
      if (!fl) continue;
      ndr_buf_adds(b, ",\"");
      ndr_buf_adds(b, ndr_field_name((ndr_field)f));
      ndr_buf_adds(b, "\":\"");
      ndr_buf_add_json(b, fv, fl);
      ndr_buf_addc(b, '"');
    }
    ndr_buf_adds(b, "}\n");
    break;
  case OF_CSV: {
    char num[32], lnum[32];
    const char *cols[17];
    size_t n = 0;
    snprintf(num, sizeof num, "%lu", recno);
    snprintf(lnum, sizeof lnum, "%lu", lineno);
    char rep[8], line[16];
    snprintf(rep, sizeof rep, "%d", reply);
    snprintf(line, sizeof line, "%u", v->rule_line);
    cols[n++] = input;
    cols[n++] = num;
    cols[n++] = lnum;
    cols[n++] = ndr_kind_name(ndr_record_kind(r->rec));
    cols[n++] = v->provider ? v->provider : "";
    cols[n++] = reply ? rep : "";
    cols[n++] = has_st ? st : "";
    cols[n++] = v->category;
    cols[n++] = v->fixer;
    cols[n++] = v->retry;
    cols[n++] = v->rule_id ? v->rule_id : "";
    cols[n++] = v->rule_id ? v->rule_file : "";
    cols[n++] = v->rule_id ? line : "";
    cols[n++] = v->sisimai ? v->sisimai : "";
    cols[n++] = text;
    cols[n++] = v->why;
    cols[n++] = v->advice ? v->advice : "";
    int (*cell)(ndr_buf *, const char *, size_t) =
        r->csv_raw ? ndr_buf_add_csv : ndr_buf_add_csv_guarded;
    for (size_t i = 0; i < n; i++) {
      if (i) ndr_buf_addc(b, ',');
      cell(b, cols[i], strlen(cols[i]));
    }
    for (int f = NDR_F_TEXT + 1; f < NDR_F_COUNT_; f++) {
      size_t fl;
      const char *fv = ndr_record_get(r->rec, (ndr_field)f, &fl);
      ndr_buf_addc(b, ',');
      cell(b, fv, fl);
    }
    ndr_buf_adds(b, "\r\n");
    break;
  }
  case OF_TEXT:
    ndr_buf_add_printable(b, input, strlen(input));
    ndr_buf_printf(b, ":%lu: %s  fixer=%s retry=%s", lineno, v->category,
                   v->fixer, v->retry);
    if (v->rule_id)
      ndr_buf_printf(b, "  rule=%s (%s:%u)", v->rule_id, v->rule_file,
                     v->rule_line);
    ndr_buf_adds(b, "\n    ");
    ndr_buf_add_printable(b, text, tl > 300 ? 300 : tl);
    if (tl > 300) ndr_buf_adds(b, "...");
    ndr_buf_printf(b, "\n    why: %s\n", v->why);
    {
      size_t fl;
      const char *fv = ndr_record_get(r->rec, NDR_F_RECIPIENT, &fl);
      if (fl) {
        ndr_buf_adds(b, "    recipient: ");
        ndr_buf_add_printable(b, fv, fl);
        ndr_buf_addc(b, '\n');
      }
    }
    if (v->advice && *v->advice)
      ndr_buf_printf(b, "    advice: %s\n", v->advice);
    break;
  }
  fwrite(ndr_buf_str(b), 1, b->len, stdout);
}

/* ----------------------------------------------------- input callbacks */

static int on_record(void *user, const char *input, unsigned long where,
                     ndr_record *rec) {
  run *r = user;
  ndr_verdict v;
  r->rec = rec;
  if (ndr_classify(r->m, rec, &v) != NDR_OK) return 0;
  r->records++;
  if (!v.rule_id) r->unknown++;
  if (v.limit_hits) {
    r->limit_hits += v.limit_hits;
    cli_warn(
        "%s:%lu: a regex hit the PCRE2 match limit and counted as no match",
        input, where);
  }
  count_category(r, v.category);
  if (r->sum)
    cli_summary_record(r->sum, input, where, rec, &v);
  else
    emit(r, input, r->records, where, &v);
  return 0;
}

static void on_skipped(void *user, const char *input, unsigned long where,
                       const char *what) {
  run *r = user;
  (void)input;
  (void)where;
  if (r->sum) cli_summary_skipped(r->sum, what);
  if (strcmp(what, "blank line") == 0)
    r->blank++;
  else
    count_skipped(r, what);
}

static void on_problem(void *user, ndr_level level, const char *input,
                       unsigned long where, const char *message) {
  run *r = user;
  ndr_buf b = NDR_BUF_INIT;
  ndr_buf_add_printable(&b, input, strlen(input));
  if (where) ndr_buf_printf(&b, ":%lu", where);
  if (level == NDR_ERROR) {
    cli_error("%s: %s", ndr_buf_str(&b), message);
    r->problems++;
  } else {
    cli_warn("%s: %s", ndr_buf_str(&b), message);
    r->truncated++;
  }
  ndr_buf_free(&b);
}

static int cmp_count(const void *a, const void *b) {
  const cat_count *x = a, *y = b;
  if (x->n != y->n) return x->n > y->n ? -1 : 1;
  return strcmp(x->cat, y->cat);
}

static void summary(run *r, int inputs) {
  if (r->quiet) return;
  if (r->sum) { /* the counts are in the report on stdout */
    if (r->problems)
      fprintf(stderr,
              "ndrsift: %lu input unit%s could not be read (see the errors "
              "above)\n",
              r->problems, r->problems == 1 ? "" : "s");
    return;
  }
  fprintf(stderr,
          "ndrsift: %lu record%s from %d input%s: %lu classified, %lu unknown",
          r->records, r->records == 1 ? "" : "s", inputs,
          inputs == 1 ? "" : "s", r->records - r->unknown, r->unknown);
  if (r->blank)
    fprintf(stderr, " (%lu blank line%s skipped)", r->blank,
            r->blank == 1 ? "" : "s");
  fputc('\n', stderr);
  if (r->n_counts) qsort(r->counts, r->n_counts, sizeof *r->counts, cmp_count);
  for (size_t i = 0; i < r->n_counts; i++)
    fprintf(stderr, "  %7u  %s\n", r->counts[i].n, r->counts[i].cat);
  for (size_t i = 0; i < r->n_skipped; i++)
    fprintf(stderr, "  %7u  %s (counted, not classified)\n", r->skipped[i].n,
            r->skipped[i].cat);
  if (r->problems)
    fprintf(
        stderr,
        "ndrsift: %lu input unit%s could not be read (see the errors above)\n",
        r->problems, r->problems == 1 ? "" : "s");
  if (r->limit_hits)
    fprintf(stderr,
            "ndrsift: warning: %lu regex evaluation%s hit the PCRE2 limit\n",
            r->limit_hits, r->limit_hits == 1 ? "" : "s");
}

static const char *const classify_help =
    "usage: ndrsift classify [OPTIONS] [FILE...|-]\n"
    "\n"
    "Say for every failed recipient why delivery failed, who can fix it,\n"
    "whether a retry can help, and which rule decided. Inputs, detected from\n"
    "their content: SMTP diagnostic lines (one per line, e.g. '550 5.7.1\n"
    "Unable to relay'), NDR messages (.eml, mbox, Maildir folders), and\n"
    "Exchange message-trace exports (Export-Clixml of Get-MessageTrace[V2],\n"
    "Get-MessageTraceDetail[V2], Get-MessageTrackingLog; MSGTRK logs; EAC\n"
    "CSV). A FILE may be a directory. Reads standard input when no FILE is\n"
    "given. Records go to stdout, a summary of counts to stderr.\n"
    "\n"
    "options:\n"
    "  --format=FORMAT           text (default), jsonl, csv or summary: one\n"
    "                            report of the totals, the failures by\n"
    "                            category, who must act, recipient domain,\n"
    "                            sender and rule, and each category's advice\n"
    "                            with examples\n"
    "  --rules PATH              add site rule packs, tried before the shipped "
    "ones\n"
    "  --no-default-rules        do not use the shipped rule packs\n"
    "  --table FILE              classify with a table from 'ndrsift compile'\n"
    "  --input=TYPE              auto (default: from the content), lines, eml, "
    "mbox,\n"
    "                            maildir, clixml, msgtrk or csv\n"
    "  --csv-raw                 csv: write cells as they are; by default a\n"
    "                            cell that starts with = + - @ gets a leading\n"
    "                            ' so that a spreadsheet shows it as text\n"
    "                            instead of running it as a formula\n"
    "  -q, --quiet               no summary on stderr\n"
    "\n"
    "Exit: 0 done, 2 usage, I/O error or unreadable rules/table.\n";

enum { O_FORMAT = 300, O_RULES, O_NODEF, O_TABLE, O_INPUT, O_CSV_RAW };

static int parse_table_opts(int argc, char **argv, table_opts *to,
                            ndr_input_type *input, out_format *fmt, int *quiet,
                            int *csv_raw, const char *help) {
  static const struct option longs[] = {
      {"format", required_argument, NULL, O_FORMAT},
      {"rules", required_argument, NULL, O_RULES},
      {"no-default-rules", no_argument, NULL, O_NODEF},
      {"table", required_argument, NULL, O_TABLE},
      {"input", required_argument, NULL, O_INPUT},
      {"csv-raw", no_argument, NULL, O_CSV_RAW},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(to, 0, sizeof *to);
  to->rules = calloc((size_t)argc + 1, sizeof *to->rules);
  if (!to->rules) return -1;
  optind = 1;
  int ch;
  /* classify takes options anywhere; explain stops at its text, which may start
   * with '-' */
  while ((ch = getopt_long(argc, argv, fmt ? "qh" : "+h", longs, NULL)) != -1) {
    switch (ch) {
    case O_FORMAT:
      if (!fmt) {
        cli_error("explain has no --format: it prints a report for people");
        return -1;
      }
      if (strcmp(optarg, "text") && strcmp(optarg, "jsonl") &&
          strcmp(optarg, "csv") && strcmp(optarg, "summary")) {
        cli_error("--format must be text, jsonl, csv or summary, not '%s'",
                  optarg);
        return -1;
      }
      *fmt = optarg[0] == 't'   ? OF_TEXT
             : optarg[0] == 'j' ? OF_JSONL
             : optarg[0] == 's' ? OF_SUMMARY
                                : OF_CSV;
      break;
    case O_RULES:
      to->rules[to->n_rules++] = optarg;
      break;
    case O_NODEF:
      to->no_default = 1;
      break;
    case O_TABLE:
      to->table_file = optarg;
      break;
    case O_INPUT:
      if (!input || ndr_input_type_parse(optarg) == NDR_IN_COUNT_) {
        cli_error("--input must be auto, lines, eml, mbox, maildir, clixml, "
                  "msgtrk or csv, not '%s'",
                  optarg);
        return -1;
      }
      *input = ndr_input_type_parse(optarg);
      break;
    case O_CSV_RAW:
      if (!csv_raw) {
        cli_error("explain has no --csv-raw: it prints a report for people");
        return -1;
      }
      *csv_raw = 1;
      break;
    case 'q':
      if (quiet) *quiet = 1;
      break;
    case 'h':
      fputs(help, stdout);
      exit(EXIT_CLEAN);
    default:
      fputs(help, stderr);
      return -1;
    }
  }
  return 0;
}

int cmd_classify(int argc, char **argv) {
  run r;
  memset(&r, 0, sizeof r);
  table_opts to;
  ndr_input_type itype = NDR_IN_AUTO;
  if (parse_table_opts(argc, argv, &to, &itype, &r.fmt, &r.quiet, &r.csv_raw,
                       classify_help) < 0) {
    free(to.rules);
    return EXIT_TROUBLE;
  }
  ndr_table *t = NULL;
  int rc = cli_load_table(&to, &t);
  free(to.rules);
  if (rc) return rc;
  r.rec = ndr_record_new();
  if (r.fmt == OF_SUMMARY) r.sum = cli_summary_new();
  if (!r.rec || (r.fmt == OF_SUMMARY && !r.sum) ||
      ndr_matcher_new(t, &r.m) != NDR_OK) {
    cli_error("out of memory");
    ndr_table_free(t);
    return EXIT_TROUBLE;
  }
  if (r.fmt == OF_CSV) { /* the fixed columns, then one per record field */
    fputs("input,record,line,kind,provider,reply_code,status,category,fixer,"
          "retry,rule,rule_file,rule_line,sisimai_reason,diagnostic,why,advice",
          stdout);
    for (int f = NDR_F_TEXT + 1; f < NDR_F_COUNT_; f++)
      printf(",%s", ndr_field_name((ndr_field)f));
    fputs("\r\n", stdout);
  }
  ndr_input_cb cb = {on_record, on_skipped, on_problem, &r};
  ndr_record *own = r.rec;
  int inputs = 0;
  if (optind >= argc) {
    if (ndr_input_read_path("-", itype, &cb) != NDR_OK) rc = EXIT_TROUBLE;
    inputs = 1;
  }
  for (int i = optind; i < argc; i++) {
    inputs++;
    if (ndr_input_read_path(argv[i], itype, &cb) != NDR_OK) rc = EXIT_TROUBLE;
  }
  r.rec = own;
  if (r.sum) cli_summary_print(r.sum, stdout, inputs, r.problems, r.truncated);
  fflush(stdout);
  summary(&r, inputs);
  ndr_buf_free(&r.out);
  free(r.counts);
  free(r.skipped);
  cli_summary_free(r.sum);
  ndr_matcher_free(r.m);
  ndr_record_free(r.rec);
  ndr_table_free(t);
  if (ferror(stdout)) {
    cli_error("cannot write the output");
    return EXIT_TROUBLE;
  }
  return rc;
}

static const char *const explain_help =
    "usage: ndrsift explain [--rules PATH] [--no-default-rules] [--table FILE] "
    "TEXT|-\n"
    "\n"
    "Show how one diagnostic is classified: the facts extracted from it, the\n"
    "packs that apply, every candidate rule with each condition's result, and\n"
    "the verdict. TEXT is the diagnostic (several arguments are joined with\n"
    "spaces); '-' reads it from standard input.\n";

static void write_out(void *user, const char *bytes, size_t len) {
  (void)user;
  fwrite(bytes, 1, len, stdout);
}

int cmd_explain(int argc, char **argv) {
  table_opts to;
  if (parse_table_opts(argc, argv, &to, NULL, NULL, NULL, NULL, explain_help) <
      0) {
    free(to.rules);
    return EXIT_TROUBLE;
  }
  if (optind >= argc) {
    free(to.rules);
    cli_error("explain needs the diagnostic text");
    fputs(explain_help, stderr);
    return EXIT_TROUBLE;
  }
  ndr_buf text = NDR_BUF_INIT;
  if (optind == argc - 1 && strcmp(argv[optind], "-") == 0) {
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0 &&
           text.len < NDR_MAX_DIAG_BYTES)
      ndr_buf_add(&text, chunk, n);
  } else {
    for (int i = optind; i < argc; i++) {
      if (i > optind) ndr_buf_addc(&text, ' ');
      ndr_buf_adds(&text, argv[i]);
    }
  }
  ndr_table *t = NULL;
  int rc = cli_load_table(&to, &t);
  free(to.rules);
  if (rc) {
    ndr_buf_free(&text);
    return rc;
  }
  ndr_record *rec = ndr_record_new();
  ndr_matcher *m = NULL;
  if (!rec || ndr_matcher_new(t, &m) != NDR_OK) {
    rc = EXIT_TROUBLE;
  } else {
    ndr_record_set_line(rec, ndr_buf_str(&text), text.len);
    ndr_explain(m, rec, write_out, NULL);
  }
  ndr_matcher_free(m);
  ndr_record_free(rec);
  ndr_table_free(t);
  ndr_buf_free(&text);
  return rc;
}
