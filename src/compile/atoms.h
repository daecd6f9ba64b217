/*
 * atoms.h - literal extraction from PCRE2 regex sources, for prefiltering,
 * and a detector for catastrophic-backtracking shapes.
 *
 * ndr_regex_atoms promises soundness above all: when it returns atoms,
 * every subject the regex can match contains at least one of them (ignoring
 * ASCII case). Whenever the source uses something whose effect on that
 * promise is not fully understood, it returns no atoms (n = 0) and the
 * caller must run the regex without a prefilter. It never reads past `len`
 * (the source need not be NUL-terminated) and never crashes on malformed
 * input; malformed input simply yields n = 0.
 *
 * Assumptions about how the caller compiles the regex (outside them the
 * promise does not hold):
 *  - without PCRE2_UTF/PCRE2_UCP (a source that starts with (*UTF) or
 *    (*UCP) gets no atoms): in UTF mode a caseless 'k' or 's' also matches
 *    U+212A or U+017F, and caseless non-ASCII letters match other bytes;
 *  - with PCRE2's default character tables and a newline convention in
 *    which LF ends a line (LF, ANYCRLF or ANY; the build default is LF),
 *    which only matters for '#' comments in extended mode;
 *  - without compile options other than those the NDR_RX_* flags map to
 *    (PCRE2_CASELESS, MULTILINE, DOTALL, EXTENDED).
 * Atoms always lie inside the matched text itself: lookaround contents never
 * yield atoms and \K poisons the result, so scanning the subject suffices.
 */
#ifndef NDR_ATOMS_H
#define NDR_ATOMS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ndr_atoms {
  size_t
      n; /* number of alternatives; 0 = no usable literal (cannot prefilter) */
  char **atom; /* each NUL-terminated, ASCII-lowercased */
  size_t *len;
} ndr_atoms;

/*
 * Compute a set of literals such that EVERY string the regex can match
 * contains at least one of them (as a substring, ignoring ASCII case).
 * rx_flags are NDR_RX_* bits (table/ir.h). Each atom is between
 * NDR_MIN_ATOM_LEN and NDR_MAX_ATOM_LEN bytes; there are at most
 * NDR_MAX_ATOM_ALTS. `out` is overwritten (release it with ndr_atoms_free).
 * Returns 0, or -1 on out of memory (then out->n == 0).
 */
int ndr_regex_atoms(const char *pattern, size_t len, uint32_t rx_flags,
                    ndr_atoms *out);

/*
 * Split a regex at its top-level '|' into branches that can be matched
 * one by one: start[i]..end[i] (byte offsets into pattern) is branch i, in
 * order. Compiled alone with the same flags, branch i matches exactly what
 * the i-th alternative of the whole regex matches, so the whole regex's
 * leftmost match is the leftmost of the branches' matches (at equal starts
 * the earlier branch's). Returns the number of branches (2..max), or 0 when
 * the source has a single branch, more than max, cannot be parsed, or has
 * something that ties branches together or that this analysis does not
 * model: back references, subroutine calls, callouts, conditions, start
 * verbs, \K, an option setting at the top level such as (?i) (it reaches
 * into the later branches), UTF mode.
 */
size_t ndr_regex_branches(const char *pattern, size_t len, uint32_t rx_flags,
                          size_t *start, size_t *end, size_t max);

/* Frees the contents, NULL-safe, leaves n=0. */
void ndr_atoms_free(ndr_atoms *a);

/*
 * 1 if a group that can repeat without bound (*, +, {n,}) contains an
 * element that itself repeats without bound, e.g. (a+)+, (\w+\s?)*,
 * (?:x*y*)+ - a catastrophic-backtracking risk; *offset (if not NULL)
 * receives the byte offset of the outer quantifier (the first such group to
 * close). 0 otherwise, and for sources that cannot be parsed.
 */
int ndr_regex_nested_quantifier(const char *pattern, size_t len,
                                size_t *offset);

#endif
