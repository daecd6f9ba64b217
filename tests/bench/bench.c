/*
 * bench.c - throughput benchmark of the classifier (not a test: never run
 * by ctest; see tests/bench/run.sh).
 *
 * usage: ndrsift-bench [--lines N] [--naive-lines N] [--threads N]
 *                      [--out FILE] PACK_PATH...
 *
 * Compiles the given rule packs, collects the text of every example and
 * counterexample (through ndr_compiler_test), and builds a corpus of N lines
 * (default 1,000,000) by cycling through them; a multi-line example becomes
 * one line, its lines joined with a space. In one run it then measures:
 *   - the indexed classifier (literal prefilter + status/reply index) on one
 *     thread, over all N lines;
 *   - the naive baseline (ndr_classify_naive: every rule in order, every
 *     regex, no prefilter, no index) on the first --naive-lines lines;
 *   - that both pick the same deciding rule for every line of that subset;
 *   - the indexed classifier on --threads threads (one matcher each, one
 *     shared table), when --threads > 1;
 *   - peak RSS and the table's sizes.
 * The corpus is written to --out (or a temporary file that is removed at the
 * end) so that run.sh can time the CLI on exactly the same lines.
 *
 * Exit: 0 done, 1 the two classifiers disagree on some line, 2 usage, I/O
 * or rule-pack errors.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "match/matcher.h"
#include "match/record.h"
#include "ndrsift.h"
#include "table/index.h"

typedef struct line {
  const char *s;
  size_t len;
} line;

typedef struct corpus {
  char **texts; /* the example texts, one line each (owned) */
  size_t n_texts, cap_texts;
  unsigned examples, counterexamples, failed;
  line *lines; /* the benchmark lines, pointing into texts */
  size_t n_lines;
  size_t bytes; /* sum of line lengths, newlines excluded */
} corpus;

static unsigned n_errors, n_warnings;

static void on_diag(void *user, const ndr_diag *d) {
  (void)user;
  if (d->level == NDR_ERROR) n_errors++;
  if (d->level == NDR_WARNING) n_warnings++;
  /* example failures are expected while packs are being written: count them
   * but do not flood the report */
  if (d->level != NDR_ERROR ||
      (d->code && strncmp(d->code, "example-", 8) == 0) ||
      (d->code && strcmp(d->code, "counterexample-matched") == 0))
    return;
  static const char *const lv[] = {"note", "warning", "error"};
  fprintf(stderr, "%s:%u:%u: %s: %s [%s]\n", d->file ? d->file : "?", d->line,
          d->col, lv[d->level], d->message, d->code ? d->code : "");
}

/* The example as one line: every run of CR/LF becomes one space, and leading
 * and trailing blanks go (the CLI trims them too). */
static char *one_line(const char *s) {
  size_t n = strlen(s);
  char *o = malloc(n + 1);
  if (!o) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n' || s[i] == '\r') {
      while (i + 1 < n && (s[i + 1] == '\n' || s[i + 1] == '\r')) i++;
      o[k++] = ' ';
    } else {
      o[k++] = s[i];
    }
  }
  size_t a = 0;
  while (a < k && (o[a] == ' ' || o[a] == '\t')) a++;
  while (k > a && (o[k - 1] == ' ' || o[k - 1] == '\t')) k--;
  memmove(o, o + a, k - a);
  o[k - a] = '\0';
  return o;
}

static void on_example(void *user, const ndr_example_result *r) {
  corpus *c = user;
  if (r->counter)
    c->counterexamples++;
  else
    c->examples++;
  if (!r->passed) c->failed++;
  if (!r->text) return;
  char *s = one_line(r->text);
  if (!s) return;
  if (!*s) {
    free(s);
    return;
  }
  if (c->n_texts == c->cap_texts) {
    size_t cap = c->cap_texts ? c->cap_texts * 2 : 256;
    char **t = realloc(c->texts, cap * sizeof *t);
    if (!t) {
      free(s);
      return;
    }
    c->texts = t;
    c->cap_texts = cap;
  }
  c->texts[c->n_texts++] = s;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1234567 -> "1,234,567" (into a rotating static buffer: up to 8 per printf) */
static const char *grp(double v) {
  static char bufs[8][32];
  static int k;
  char *b = bufs[k++ % 8];
  char raw[32];
  snprintf(raw, sizeof raw, "%.0f", v);
  size_t n = strlen(raw), o = 0;
  for (size_t i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0 && raw[i - 1] != '-') b[o++] = ',';
    b[o++] = raw[i];
  }
  b[o] = '\0';
  return b;
}

static int classify_one(ndr_matcher *m, ndr_record *rec, const line *l,
                        ndr_verdict *v) {
  ndr_record_reset(rec);
  ndr_record_set_kind(rec, NDR_KIND_LINE);
  ndr_record_set_diagnostic(rec, l->s, l->len);
  return ndr_classify(m, rec, v) == NDR_OK;
}

/* -------------------------------------------------------------- threads */

typedef struct job {
  const ndr_table *t;
  const line *lines;
  size_t from, to;
  pthread_barrier_t *go;
  double start, end;
  unsigned long unknown;
  int ok;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  ndr_matcher *m = NULL;
  ndr_record *rec = ndr_record_new();
  if (!rec || ndr_matcher_new(j->t, &m) != NDR_OK) {
    ndr_record_free(rec);
    pthread_barrier_wait(j->go);
    return NULL;
  }
  pthread_barrier_wait(j->go);
  j->start = now();
  ndr_verdict v;
  for (size_t i = j->from; i < j->to; i++) {
    if (!classify_one(m, rec, &j->lines[i], &v)) continue;
    if (!v.rule_id) j->unknown++;
  }
  j->end = now();
  j->ok = 1;
  ndr_matcher_free(m);
  ndr_record_free(rec);
  return NULL;
}

static double run_threads(const ndr_table *t, const corpus *c,
                          unsigned nthreads) {
  pthread_t tid[64];
  job jobs[64];
  pthread_barrier_t go;
  if (nthreads > 64) nthreads = 64;
  pthread_barrier_init(&go, NULL, nthreads);
  size_t per = c->n_lines / nthreads;
  for (unsigned i = 0; i < nthreads; i++) {
    jobs[i] = (job){.t = t,
                    .lines = c->lines,
                    .from = i * per,
                    .to = i + 1 == nthreads ? c->n_lines : (i + 1) * per,
                    .go = &go};
    if (pthread_create(&tid[i], NULL, run_job, &jobs[i]) != 0) {
      fprintf(stderr, "ndrsift-bench: cannot start thread %u\n", i);
      exit(2);
    }
  }
  double start = 1e300, end = 0;
  int ok = 1;
  for (unsigned i = 0; i < nthreads; i++) {
    pthread_join(tid[i], NULL);
    ok &= jobs[i].ok;
    if (jobs[i].start < start) start = jobs[i].start;
    if (jobs[i].end > end) end = jobs[i].end;
  }
  pthread_barrier_destroy(&go);
  return ok ? end - start : -1;
}

/* ----------------------------------------------------------- index stats */

/* How selective the index was on a line, as the matcher computed it. */
typedef struct idx_stats {
  double cand, before, atoms_hit, regex_nodes_before;
} idx_stats;

static void index_stats(ndr_matcher *m, idx_stats *s) {
  unsigned lit, cand, before;
  ndr_matcher_stats(m, &lit, &cand, &before);
  s->atoms_hit += lit;
  s->cand += cand;
  s->before += before;
}

/* ------------------------------------------------------------------ main */

static void usage(void) {
  fputs("usage: ndrsift-bench [--lines N] [--naive-lines N] [--threads N] "
        "[--out FILE] "
        "PACK_PATH...\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv) {
  size_t n_lines = 1000000, n_naive = 100000;
  unsigned nthreads = 2;
  const char *out_path = NULL;
  int argi = 1;
  for (; argi < argc && strncmp(argv[argi], "--", 2) == 0; argi++) {
    const char *a = argv[argi];
    if (strcmp(a, "--") == 0) {
      argi++;
      break;
    }
    if (argi + 1 >= argc) usage();
    if (strcmp(a, "--lines") == 0)
      n_lines = strtoul(argv[++argi], NULL, 10);
    else if (strcmp(a, "--naive-lines") == 0)
      n_naive = strtoul(argv[++argi], NULL, 10);
    else if (strcmp(a, "--threads") == 0)
      nthreads = (unsigned)strtoul(argv[++argi], NULL, 10);
    else if (strcmp(a, "--out") == 0)
      out_path = argv[++argi];
    else
      usage();
  }
  if (argi >= argc || n_lines == 0) usage();

  /* ---- compile */
  double t0 = now();
  ndr_compiler *comp = ndr_compiler_new();
  if (!comp) return 2;
  ndr_compiler_set_diag(comp, on_diag, NULL);
  for (int i = argi; i < argc; i++)
    if (ndr_compiler_add_path(comp, argv[i]) != NDR_OK) {
      fprintf(stderr, "ndrsift-bench: %s: cannot read\n", argv[i]);
      return 2;
    }
  ndr_table *t = NULL;
  ndr_status st = ndr_compiler_build(comp, &t);
  if (st != NDR_OK) {
    fprintf(stderr, "ndrsift-bench: the rule packs do not compile: %s\n",
            ndr_strerror(st));
    return 2;
  }
  double t_compile = now() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double rss_compiled = (double)ru.ru_maxrss / 1024.0;
  unsigned build_errors = n_errors, build_warnings = n_warnings;

  corpus c = {0};
  unsigned passed = 0, failed = 0;
  ndr_compiler_test(comp, t, on_example, &c, &passed, &failed);
  if (c.n_texts == 0) {
    fprintf(
        stderr,
        "ndrsift-bench: the packs have no examples to build a corpus from\n");
    return 2;
  }
  c.lines = malloc(n_lines * sizeof *c.lines);
  if (!c.lines) return 2;
  size_t *lens = malloc(c.n_texts * sizeof *lens);
  if (!lens) return 2;
  for (size_t i = 0; i < c.n_texts; i++) lens[i] = strlen(c.texts[i]);
  for (size_t i = 0; i < n_lines; i++) {
    size_t k = i % c.n_texts;
    c.lines[i] = (line){c.texts[k], lens[k]};
    c.bytes += lens[k];
  }
  c.n_lines = n_lines;
  free(lens);

  /* ---- the line file, for timing the CLI on the same input */
  char tmp_path[] = "/tmp/ndrsift-bench-XXXXXX";
  FILE *lf = NULL;
  if (out_path) {
    lf = fopen(out_path, "wb");
  } else {
    int fd = mkstemp(tmp_path);
    if (fd >= 0) lf = fdopen(fd, "wb");
    out_path = tmp_path;
  }
  if (!lf) {
    fprintf(stderr, "ndrsift-bench: %s: %s\n", out_path, strerror(errno));
    return 2;
  }
  for (size_t i = 0; i < n_lines; i++) {
    fwrite(c.lines[i].s, 1, c.lines[i].len, lf);
    fputc('\n', lf);
  }
  if (fclose(lf) != 0) {
    fprintf(stderr, "ndrsift-bench: %s: write error\n", out_path);
    return 2;
  }

  const ndr_ir *ir = &t->ir;
  size_t always = 0;
  for (size_t w = 0; w < t->words; w++)
    always += (size_t)__builtin_popcountll(t->text_any[w]);
  printf("ndrsift-bench\n");
  printf("table:    %u rules in %u packs, %u categories; %zu regexes, %zu "
         "condition nodes\n",
         ndr_table_rule_count(t), ndr_table_pack_count(t),
         ndr_table_category_count(t), ir->n_regexes, ir->n_nodes);
  printf("          %zu prefilter literals (Aho-Corasick, %.1f KB); %zu rules "
         "need no literal\n",
         t->n_atoms, t->ac ? (double)ndr_ac_memory(t->ac) / 1024.0 : 0.0,
         always);
  printf("          compiled in %.3f s (%u errors, %u warnings)\n", t_compile,
         build_errors, build_warnings);
  printf("examples: %u examples + %u counterexamples (%u failing in ndrsift "
         "test), "
         "%zu texts\n",
         c.examples, c.counterexamples, failed, c.n_texts);
  printf("corpus:   %s lines, %.1f MB, cycled over the examples -> %s\n",
         grp((double)n_lines), (double)(c.bytes + n_lines) / 1e6, out_path);

  ndr_record *rec = ndr_record_new();
  ndr_matcher *m = NULL;
  if (!rec || ndr_matcher_new(t, &m) != NDR_OK) return 2;
  ndr_verdict v;

  /* ---- (a) indexed, one thread (after a short warm-up) */
  for (size_t i = 0; i < n_lines && i < 10000; i++)
    classify_one(m, rec, &c.lines[i], &v);
  unsigned long unknown = 0, limit_hits = 0;
  t0 = now();
  for (size_t i = 0; i < n_lines; i++) {
    if (!classify_one(m, rec, &c.lines[i], &v)) continue;
    if (!v.rule_id) unknown++;
    limit_hits += v.limit_hits;
  }
  double t_idx = now() - t0;
  double idx_rate = (double)n_lines / t_idx;
  printf(
      "\nindexed:  %s lines in %.3f s = %s lines/s (%.1f MB/s, %.2f us/line); "
      "%s unknown, %lu PCRE2 limit hits\n",
      grp((double)n_lines), t_idx, grp(idx_rate),
      (double)(c.bytes + n_lines) / 1e6 / t_idx, 1e6 * t_idx / (double)n_lines,
      grp((double)unknown), limit_hits);

  /* ---- where the indexed time goes: the record alone, then with the
   * literal scan; the rest is candidate selection, evaluation and verdict */
  {
    size_t np = n_lines < 200000 ? n_lines : 200000;
    uint64_t *scan_hits =
        calloc(t->atom_words ? t->atom_words : 1, sizeof *scan_hits);
    if (!scan_hits) return 2;
    t0 = now();
    for (size_t i = 0; i < np; i++) {
      ndr_record_reset(rec);
      ndr_record_set_kind(rec, NDR_KIND_LINE);
      ndr_record_set_diagnostic(rec, c.lines[i].s, c.lines[i].len);
    }
    double t_rec = (now() - t0) / (double)np;
    t0 = now();
    for (size_t i = 0; i < np; i++) {
      ndr_record_reset(rec);
      ndr_record_set_kind(rec, NDR_KIND_LINE);
      ndr_record_set_diagnostic(rec, c.lines[i].s, c.lines[i].len);
      size_t tl;
      const char *tx = ndr_record_get(rec, NDR_F_TEXT, &tl);
      memset(scan_hits, 0, t->atom_words * sizeof *scan_hits);
      if (t->n_atoms) ndr_ac_scan(t->ac, tx, tl, scan_hits);
    }
    double t_scan = (now() - t0) / (double)np - t_rec;
    double t_all = t_idx / (double)n_lines;
    double t_rest = t_all - t_rec - t_scan;
    printf("parts:    per line %.2f us = record (normalise, extract codes) "
           "%.2f us (%.0f%%)"
           " + literal scan %.2f us (%.0f%%) + index, rules, verdict %.2f us "
           "(%.0f%%)\n",
           1e6 * t_all, 1e6 * t_rec, 100 * t_rec / t_all, 1e6 * t_scan,
           100 * t_scan / t_all, 1e6 * t_rest, 100 * t_rest / t_all);
    free(scan_hits);
  }

  /* ---- (b) naive, on a subset */
  if (n_naive > n_lines) n_naive = n_lines;
  uint32_t rule;
  double naive_rate = 0;
  if (n_naive) {
    for (size_t i = 0; i < n_naive && i < 1000; i++) {
      ndr_record_reset(rec);
      ndr_record_set_kind(rec, NDR_KIND_LINE);
      ndr_record_set_diagnostic(rec, c.lines[i].s, c.lines[i].len);
      ndr_classify_naive(m, rec, &rule);
    }
    t0 = now();
    for (size_t i = 0; i < n_naive; i++) {
      ndr_record_reset(rec);
      ndr_record_set_kind(rec, NDR_KIND_LINE);
      ndr_record_set_diagnostic(rec, c.lines[i].s, c.lines[i].len);
      ndr_classify_naive(m, rec, &rule);
    }
    double t_naive = now() - t0;
    naive_rate = (double)n_naive / t_naive;
    printf("naive:    %s lines in %.3f s = %s lines/s (%.2f us/line)%s\n",
           grp((double)n_naive), t_naive, grp(naive_rate),
           1e6 * t_naive / (double)n_naive,
           n_naive < n_lines ? " [the first lines only: the baseline is slow]"
                             : "");
    printf("ratio:    %.1fx (indexed / naive lines/s)\n",
           idx_rate / naive_rate);
  } else {
    printf("naive:    skipped (--naive-lines 0)\n");
  }

  /* ---- (d) the same deciding rule, line by line; and index selectivity */
  size_t mismatches = 0;
  idx_stats is = {0};
  size_t n_check =
      n_naive < c.n_texts ? c.n_texts : n_naive; /* every text at least once */
  if (n_check > n_lines) n_check = n_lines;
  for (size_t i = 0; i < n_check; i++) {
    classify_one(m, rec, &c.lines[i], &v);
    uint32_t a = ndr_matcher_last_rule(m);
    if (i < c.n_texts) index_stats(m, &is);
    ndr_classify_naive(m, rec, &rule);
    if (a != rule) {
      if (mismatches < 10) {
        fprintf(
            stderr, "mismatch on line %zu: indexed %s, naive %s: %.*s\n", i + 1,
            a == UINT32_MAX ? "(none)" : ndr_ir_str(ir, ir->rules[a].id),
            rule == UINT32_MAX ? "(none)" : ndr_ir_str(ir, ir->rules[rule].id),
            (int)(c.lines[i].len > 200 ? 200 : c.lines[i].len), c.lines[i].s);
      }
      mismatches++;
    }
  }
  printf("check:    %s lines classified both ways: %zu mismatches%s\n",
         grp((double)n_check), mismatches, mismatches ? " (FAIL)" : "");
  double nd = (double)(n_check < c.n_texts ? n_check : c.n_texts);
  printf("index:    per example text: %.1f literals found, %.1f of %zu rules "
         "are candidates, "
         "%.1f candidates tried before the decision\n",
         is.atoms_hit / nd, is.cand / nd, ir->n_rules, is.before / nd);

  /* ---- (f) threads */
  if (nthreads > 1) {
    double tt = run_threads(t, &c, nthreads);
    if (tt > 0)
      printf("threads:  %u threads (one matcher each, one table): %s lines in "
             "%.3f s = %s "
             "lines/s (%.2fx one thread)\n",
             nthreads, grp((double)n_lines), tt, grp((double)n_lines / tt),
             ((double)n_lines / tt) / idx_rate);
    else
      printf("threads:  could not create the matchers\n");
  }

  /* ---- (e) memory */
  getrusage(RUSAGE_SELF, &ru);
  size_t text_bytes = 0;
  for (size_t i = 0; i < c.n_texts; i++) text_bytes += strlen(c.texts[i]) + 1;
  printf("peak RSS: %.1f MB (whole process: compiler, table, %.1f MB of line "
         "index, matchers); "
         "%.1f MB after compiling\n",
         (double)ru.ru_maxrss / 1024.0,
         (double)(text_bytes + n_lines * sizeof(line)) / 1e6, rss_compiled);

  ndr_matcher_free(m);
  ndr_record_free(rec);
  ndr_table_free(t);
  ndr_compiler_free(comp);
  for (size_t i = 0; i < c.n_texts; i++) free(c.texts[i]);
  free(c.texts);
  free(c.lines);
  if (out_path == tmp_path) unlink(tmp_path);
  return mismatches ? 1 : 0;
}
