/*
 * compiler.c - the public face of the rule-pack compiler: files and
 * directories, includes (read once, bounded depth), the diagnostic helper,
 * and the check/build entry points that run the later stages.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/dirlist.h"
#include "common/limits.h"
#include "compile/compiler.h"

static void buffer_diag(void *user, const ndr_diag *d);

ndr_compiler *ndr_compiler_new(void) {
  ndr_compiler *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  ndr_arena_init(&c->arena);
  c->sink.fn = buffer_diag;
  c->sink.user = c;
  c->packs_tail = &c->packs;
  c->rules_tail = &c->rules;
  c->categories_tail = &c->categories;
  c->patterns_tail = &c->patterns;
  return c;
}

void ndr_compiler_free(ndr_compiler *c) {
  if (!c) return;
  ndr_c_flush(c);
  free(c->pending);
  for (size_t i = 0; i < c->n_files; i++) {
    free(c->files[i].path);
    free(c->files[i].real);
    free(c->files[i].text);
  }
  free(c->files);
  free(c->rule_order);
  ndr_arena_free(&c->arena);
  free(c);
}

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

/*
 * Diagnostics are held until the end of a stage and then delivered sorted by
 * file (in the order files were read), line and column, so that a file's
 * problems read from top to bottom. A note stays right after the diagnostic
 * it belongs to.
 */
static void buffer_diag(void *user, const ndr_diag *d) {
  ndr_compiler *c = user;
  if (c->n_pending == c->cap_pending) {
    size_t cap = c->cap_pending ? c->cap_pending * 2 : 32;
    ndr_pending *p = realloc(c->pending, cap * sizeof *p);
    if (!p) return;
    c->pending = p;
    c->cap_pending = cap;
  }
  ndr_pending *p = &c->pending[c->n_pending];
  p->d = *d;
  p->d.file = dup_or_null(d->file);
  p->d.code = dup_or_null(d->code);
  p->d.message = dup_or_null(d->message);
  p->d.source_line = dup_or_null(d->source_line);
  p->seq = c->n_pending;
  if (d->level == NDR_NOTE && c->n_pending > 0) {
    ndr_pending *prev = &c->pending[c->n_pending - 1];
    p->fseq = prev->fseq;
    p->gline = prev->gline;
    p->gcol = prev->gcol;
  } else {
    p->fseq = UINT32_MAX;
    for (size_t i = 0; i < c->n_files && d->file; i++)
      if (strcmp(c->files[i].path, d->file) == 0) {
        p->fseq = (unsigned)i;
        break;
      }
    p->gline = d->line;
    p->gcol = d->col;
  }
  c->n_pending++;
}

static int cmp_pending(const void *a, const void *b) {
  const ndr_pending *x = a, *y = b;
  if (x->fseq != y->fseq) return x->fseq < y->fseq ? -1 : 1;
  if (x->gline != y->gline) return x->gline < y->gline ? -1 : 1;
  if (x->gcol != y->gcol) return x->gcol < y->gcol ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void ndr_c_flush(ndr_compiler *c) {
  if (c->n_pending == 0) return;
  qsort(c->pending, c->n_pending, sizeof *c->pending, cmp_pending);
  for (size_t i = 0; i < c->n_pending; i++) {
    ndr_pending *p = &c->pending[i];
    if (c->user_fn && p->d.message) c->user_fn(c->user, &p->d);
    free((char *)p->d.file);
    free((char *)p->d.code);
    free((char *)p->d.message);
    free((char *)p->d.source_line);
  }
  c->n_pending = 0;
}

void ndr_compiler_set_diag(ndr_compiler *c, ndr_diag_fn fn, void *user) {
  c->user_fn = fn;
  c->user = user;
}

unsigned ndr_compiler_errors(const ndr_compiler *c) {
  return c->sink.errors;
}
unsigned ndr_compiler_warnings(const ndr_compiler *c) {
  return c->sink.warnings;
}

const char *ndr_c_printable(ndr_compiler *c, const char *s, size_t len) {
  ndr_buf b = NDR_BUF_INIT;
  if (ndr_buf_add_printable(&b, s, len) < 0) {
    ndr_buf_free(&b);
    return "?";
  }
  char *r = ndr_arena_strndup(&c->arena, ndr_buf_str(&b), b.len);
  ndr_buf_free(&b);
  return r ? r : "?";
}

void ndr_c_diag(ndr_compiler *c, ndr_level lvl, ndr_span sp, const char *code,
                const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (sp.file < c->n_files) {
    ndr_src *f = &c->files[sp.file];
    if (lvl == NDR_ERROR) {
      if (f->capped) {
        c->sink.errors++;
        va_end(ap);
        return;
      }
      if (++f->errors > NDR_MAX_ERRORS_PER_FILE) {
        f->capped = 1;
        ndr_diag_report(&c->sink, NDR_NOTE, f->path, NULL, 0, 0, 0,
                        "too-many-errors",
                        "too many errors in this file; the rest are not shown");
        c->sink.errors++;
        va_end(ap);
        return;
      }
    }
    ndr_diag_vreport(&c->sink, lvl, f->path, f->text, f->len, sp.off, sp.len,
                     code, fmt, ap);
  } else {
    ndr_diag_vreport(&c->sink, lvl, NULL, NULL, 0, 0, 0, code, fmt, ap);
  }
  va_end(ap);
}

/* Report an I/O problem with no place in a rule file. */
static void io_diag(ndr_compiler *c, ndr_span from, const char *path,
                    const char *what) {
  const char *p = ndr_c_printable(c, path, strlen(path));
  if (from.file < c->n_files)
    ndr_c_diag(c, NDR_ERROR, from, "io-error", "cannot read '%s': %s", p, what);
  else
    ndr_diag_report(&c->sink, NDR_ERROR, p, NULL, 0, 0, 0, "io-error",
                    "cannot read this file: %s", what);
}

static uint32_t add_src(ndr_compiler *c, const char *name, char *real,
                        char *text, size_t len) {
  if (c->n_files >= NDR_MAX_FILES) {
    ndr_diag_report(&c->sink, NDR_ERROR, name, NULL, 0, 0, 0, "too-many-files",
                    "more than %u rule files in one compilation; this one is "
                    "not read",
                    NDR_MAX_FILES);
    free(real);
    free(text);
    return UINT32_MAX;
  }
  if (c->n_files == c->cap_files) {
    size_t cap = c->cap_files ? c->cap_files * 2 : 16;
    ndr_src *f = realloc(c->files, cap * sizeof *f);
    if (!f) {
      free(real);
      free(text);
      return UINT32_MAX;
    }
    c->files = f;
    c->cap_files = cap;
  }
  ndr_src *f = &c->files[c->n_files];
  memset(f, 0, sizeof *f);
  f->path = strdup(name);
  f->real = real;
  f->text = text;
  f->len = len;
  if (!f->path) {
    free(real);
    free(text);
    return UINT32_MAX;
  }
  return (uint32_t)c->n_files++;
}

uint32_t ndr_c_load_file(ndr_compiler *c, const char *path, ndr_span from,
                         int *already) {
  *already = 0;
  char *real = realpath(path, NULL);
  if (!real) {
    io_diag(c, from, path, strerror(errno));
    return UINT32_MAX;
  }
  for (size_t i = 0; i < c->n_files; i++) {
    if (c->files[i].real && strcmp(c->files[i].real, real) == 0) {
      free(real);
      *already = 1;
      return (uint32_t)i;
    }
  }
  struct stat sb;
  if (stat(real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    /* a device or FIFO could block or never end */
    io_diag(c, from, path, "not a regular file");
    free(real);
    return UINT32_MAX;
  }
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    io_diag(c, from, path, strerror(errno));
    free(real);
    return UINT32_MAX;
  }
  ndr_buf b = NDR_BUF_INIT;
  char chunk[65536];
  size_t n;
  int too_big = 0;
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
    if (b.len + n > NDR_MAX_PACK_FILE_BYTES) {
      too_big = 1;
      break;
    }
    if (ndr_buf_add(&b, chunk, n) < 0) {
      too_big = 1;
      break;
    }
  }
  int err = ferror(fp);
  fclose(fp);
  if (too_big || err) {
    io_diag(c, from, path,
            too_big ? "file is larger than the 16 MiB limit for a rule pack"
                    : "read error");
    free(real);
    ndr_buf_free(&b);
    return UINT32_MAX;
  }
  if (!b.p && ndr_buf_add(&b, "", 0) < 0) {
    free(real);
    return UINT32_MAX;
  }
  return add_src(c, path, real, b.p, b.len);
}

ast_pack *ndr_c_new_pack(ndr_compiler *c, uint32_t file) {
  ast_pack *k = ndr_arena_alloc(&c->arena, sizeof *k);
  if (!k) return NULL;
  /* the implicit name: the file's base name without its extension */
  const char *path = c->files[file].path;
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  const char *dot = strrchr(base, '.');
  if (dot && dot != base) n = (size_t)(dot - base);
  k->id.s = ndr_arena_strndup(&c->arena, base, n);
  k->id.len = n;
  k->id.span = (ndr_span){file, 0, 1};
  k->span = k->id.span;
  k->tier = NDR_TIER_SITE;
  k->load_order = c->n_packs++;
  *c->packs_tail = k;
  c->packs_tail = &k->next;
  return k;
}

static ndr_status add_file(ndr_compiler *c, const char *path) {
  int already;
  uint32_t f = ndr_c_load_file(c, path, (ndr_span){UINT32_MAX, 0, 0}, &already);
  if (f == UINT32_MAX) return NDR_ERR_IO;
  if (already) return NDR_OK;
  ast_pack *k = ndr_c_new_pack(c, f);
  if (!k) return NDR_ERR_NOMEM;
  c->files[f].pack = k;
  c->checked = 0;
  ndr_c_parse_file(c, f, k, 0);
  return NDR_OK;
}

static int has_rules_ext(const char *name) {
  size_t n = strlen(name);
  return n > 6 && strcmp(name + n - 6, ".rules") == 0;
}

static ndr_status add_dir(ndr_compiler *c, const char *path, unsigned depth) {
  if (depth > NDR_MAX_INCLUDE_DEPTH) return NDR_OK;
  char **names;
  size_t n;
  if (ndr_dirlist(path, &names, &n) < 0) {
    io_diag(c, (ndr_span){UINT32_MAX, 0, 0}, path, strerror(errno));
    return NDR_ERR_IO;
  }
  ndr_status st = NDR_OK;
  size_t before = c->n_files;
  for (size_t i = 0; i < n; i++) {
    struct stat sb;
    if (st == NDR_OK && stat(names[i], &sb) == 0) {
      ndr_status s2 = NDR_OK;
      if (S_ISDIR(sb.st_mode))
        s2 = add_dir(c, names[i], depth + 1);
      else if (S_ISREG(sb.st_mode) && has_rules_ext(names[i]))
        s2 = add_file(c, names[i]);
      if (s2 != NDR_OK && st == NDR_OK) st = s2;
    }
  }
  ndr_dirlist_free(names, n);
  if (st == NDR_OK && depth == 0 && c->n_files == before) {
    /* a mistyped path in CI must not pass as "nothing to complain about" */
    ndr_diag_report(&c->sink, NDR_ERROR, ndr_c_printable(c, path, strlen(path)),
                    NULL, 0, 0, 0, "io-error",
                    "no *.rules file in this directory or below");
    return NDR_ERR_IO;
  }
  return st;
}

ndr_status ndr_compiler_add_path(ndr_compiler *c, const char *path) {
  if (!c || !path) return NDR_ERR_ARG;
  struct stat sb;
  if (stat(path, &sb) != 0) {
    io_diag(c, (ndr_span){UINT32_MAX, 0, 0}, path, strerror(errno));
    return NDR_ERR_IO;
  }
  c->checked = 0;
  if (S_ISDIR(sb.st_mode)) return add_dir(c, path, 0);
  return add_file(c, path);
}

ndr_status ndr_compiler_add_string(ndr_compiler *c, const char *name,
                                   const char *text, size_t len) {
  if (!c || !name || (!text && len)) return NDR_ERR_ARG;
  if (len > NDR_MAX_PACK_FILE_BYTES) return NDR_ERR_LIMIT;
  char *copy = malloc(len + 1);
  if (!copy) return NDR_ERR_NOMEM;
  if (len) memcpy(copy, text, len);
  copy[len] = '\0';
  uint32_t f = add_src(c, name, NULL, copy, len);
  if (f == UINT32_MAX) return NDR_ERR_NOMEM;
  ast_pack *k = ndr_c_new_pack(c, f);
  if (!k) return NDR_ERR_NOMEM;
  c->checked = 0;
  ndr_c_parse_file(c, f, k, 0);
  return NDR_OK;
}

ndr_status ndr_compiler_add_base(ndr_compiler *c, const ndr_table *base) {
  if (!c || !base) return NDR_ERR_ARG;
  c->base = base;
  c->checked = 0;
  return NDR_OK;
}

void ndr_c_include(ndr_parse_ctx *p, ndr_tok path) {
  ndr_compiler *c = p->c;
  if (!path.s) return;
  if (p->pack) p->pack->n_items++;
  if (p->depth + 1 > NDR_MAX_INCLUDE_DEPTH) {
    ndr_c_diag(c, NDR_ERROR, path.span, "include-depth",
               "includes nest deeper than %u levels", NDR_MAX_INCLUDE_DEPTH);
    return;
  }
  if (memchr(path.s, '\0', path.len) || path.len == 0) {
    ndr_c_diag(c, NDR_ERROR, path.span, "io-error", "bad include path");
    return;
  }
  /* relative to the including file */
  ndr_buf full = NDR_BUF_INIT;
  const char *cur = c->files[p->file].path;
  const char *slash = strrchr(cur, '/');
  if (path.s[0] != '/' && slash)
    ndr_buf_add(&full, cur, (size_t)(slash - cur) + 1);
  ndr_buf_add(&full, path.s, path.len);
  int already;
  uint32_t f = ndr_c_load_file(c, ndr_buf_str(&full), path.span, &already);
  ndr_buf_free(&full);
  if (f == UINT32_MAX) return;
  if (already) {
    /* read once: its rules stay with the pack that read it first */
    ast_pack *owner = f < c->n_files ? c->files[f].pack : NULL;
    if (owner && owner != p->pack)
      ndr_c_diag(c, NDR_WARNING, path.span, "included-twice",
                 "this file was already read into pack '%s'; its rules stay "
                 "there and are not added to this pack",
                 ndr_c_printable(c, owner->id.s, owner->id.len));
    return;
  }
  c->files[f].pack = p->pack;
  ndr_c_parse_file(c, f, p->pack, p->depth + 1);
}

/* -------------------------------------------------------- check & build */

void ndr_c_example_shadow(ndr_compiler *c, const ndr_table *t);

/*
 * Lint: the semantic checks, then (when they pass) the checks that need the
 * lowered rules: structural shadowing, and rules whose every example an
 * earlier rule takes.
 */
ndr_status ndr_compiler_check(ndr_compiler *c) {
  if (!c) return NDR_ERR_ARG;
  if (c->checked) return c->check_status;
  c->checked = 1;
  c->check_status = ndr_c_check(c);
  if (c->check_status != NDR_OK || c->sink.errors) {
    ndr_c_flush(c);
    return c->check_status;
  }
  ndr_ir ir;
  ndr_ir_init(&ir);
  ndr_status st = ndr_c_lower(c, &ir);
  if (st == NDR_OK) {
    ndr_c_shadow(c, &ir);
    ndr_table *t = NULL;
    const char *err = NULL;
    st = ndr_table_from_ir(&ir, &t, &err);
    if (st == NDR_OK) {
      ndr_c_example_shadow(c, t);
      ndr_table_free(t);
    } else {
      ndr_diag_report(&c->sink, NDR_ERROR, NULL, NULL, 0, 0, 0,
                      "internal-error", "cannot build the decision table: %s",
                      err ? err : ndr_strerror(st));
    }
  }
  ndr_ir_release(&ir);
  c->check_status = st;
  ndr_c_flush(c);
  return st;
}

ndr_status ndr_compiler_build(ndr_compiler *c, ndr_table **out) {
  if (!c || !out) return NDR_ERR_ARG;
  *out = NULL;
  ndr_status st = ndr_compiler_check(c);
  if (st != NDR_OK) return st;
  if (c->sink.errors) return NDR_ERR_RULES;
  ndr_ir ir;
  ndr_ir_init(&ir);
  st = ndr_c_lower(c, &ir);
  if (st != NDR_OK) {
    ndr_ir_release(&ir);
    return st;
  }
  const char *err = NULL;
  st = ndr_table_from_ir(&ir, out, &err);
  if (st != NDR_OK) {
    ndr_diag_report(&c->sink, NDR_ERROR, NULL, NULL, 0, 0, 0, "internal-error",
                    "cannot build the decision table: %s",
                    err ? err : ndr_strerror(st));
    ndr_ir_release(&ir);
  }
  ndr_c_flush(c);
  return st;
}
