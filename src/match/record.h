/*
 * record.h - the layout of ndr_record, shared by the modules that fill
 * records (inputs) and the matcher that reads them. Not public.
 */
#ifndef NDR_RECORD_H
#define NDR_RECORD_H

#include <stdint.h>

#include "common/buf.h"
#include "ndrsift.h"

struct ndr_record {
  ndr_kind kind;
  ndr_buf f[NDR_F_COUNT_];
  int reply;
  int st_class, st_subject, st_detail;
  size_t status_off, status_len;
  int truncated; /* a field was cut at its limit */
};

static inline uint32_t ndr_record_status_key(const ndr_record *r) {
  if (!r->st_class) return 0;
  return (uint32_t)r->st_class * 1000000u + (uint32_t)r->st_subject * 1000u +
         (uint32_t)r->st_detail;
}

#endif
