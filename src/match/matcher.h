/*
 * matcher.h - internal additions to the public matcher API.
 */
#ifndef NDR_MATCHER_H
#define NDR_MATCHER_H

#include <stdint.h>

#include "ndrsift.h"

/* Index of the rule that decided the last classification, or UINT32_MAX. */
uint32_t ndr_matcher_last_rule(const ndr_matcher *m);

/* Baseline for benchmarks: classify with no index and no prefilter. */
ndr_status ndr_classify_naive(ndr_matcher *m, const ndr_record *r,
                              uint32_t *rule);

/*
 * How selective the index was on the last ndr_classify: the literals found,
 * the candidate rules, and how many candidates precede the deciding rule.
 */
void ndr_matcher_stats(const ndr_matcher *m, unsigned *literals,
                       unsigned *candidates, unsigned *before);

#endif
