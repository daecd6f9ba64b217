/*
 * limits.h - every hard limit of ndrsift, in one place.
 *
 * Inputs are hostile (NDRs from the internet, exports from anywhere, rule
 * packs from users): each limit bounds memory or time for one input. When a
 * limit is hit the caller gets a clear diagnostic, never a crash.
 */
#ifndef NDR_LIMITS_H
#define NDR_LIMITS_H

/* Rule packs */
#define NDR_MAX_PACK_FILE_BYTES (16u * 1024u * 1024u) /* one .rules file */
#define NDR_MAX_INCLUDE_DEPTH 16u
#define NDR_MAX_FILES 4096u         /* files in one compilation */
#define NDR_MAX_COND_DEPTH 64u      /* nesting of and/or/not/any/all */
#define NDR_MAX_ERRORS_PER_FILE 50u /* diagnostics after which a file stops */
#define NDR_MAX_REGEX_BYTES 4096u   /* one regex's source */
#define NDR_MAX_STRING_BYTES 65536u /* one quoted string or example */
#define NDR_MAX_RULES 100000u
#define NDR_MIN_ATOM_LEN 3u  /* shorter literals do not prefilter */
#define NDR_MAX_ATOM_LEN 32u /* longer literals are cut to this */
/* Literals enter the prefilter automaton cut to this many bytes: a small
   automaton stays in cache; a phrase longer than this is confirmed with a
   plain search when its window is found. */
#define NDR_AC_WINDOW 12u
#define NDR_MAX_DNF_TERMS 32u /* shadowing analysis gives up beyond */

/* PCRE2 at match time */
#define NDR_PCRE2_MATCH_LIMIT 100000u
#define NDR_PCRE2_DEPTH_LIMIT 5000u
#define NDR_PCRE2_HEAP_LIMIT_KIB 4096u

/* Records */
#define NDR_MAX_LINE_BYTES (1024u * 1024u) /* one input line */
#define NDR_MAX_DIAG_BYTES (64u * 1024u)   /* diagnostic text kept per record */
#define NDR_MAX_FIELD_BYTES (16u * 1024u)  /* any other record field */
#define NDR_MAX_WRAP_DEPTH 8u              /* nested replies unwrapped */
#define NDR_MAX_EVIDENCE 16u

/* Table files */
#define NDR_MAX_TABLE_BYTES (256u * 1024u * 1024u)
#define NDR_MAX_TABLE_NODES (4u * 1024u * 1024u)

/* Prefilter (Aho-Corasick automaton and regex literal extraction) */
#define NDR_MAX_AC_BYTES (256u * 1024u * 1024u) /* one automaton's tables */
#define NDR_MAX_REGEX_NEST 250u /* group nesting analysed (PCRE2's default) */
#define NDR_MAX_ATOM_ALTS 32u   /* literals one regex may need; beyond: none */
#define NDR_MAX_REGEX_BRANCHES 64u /* top-level alternatives matched apart */

/* Messages (.eml, mbox, Maildir; src/input/message.c and friends). Of a
   longer message the first NDR_MAX_MESSAGE_BYTES are read, the rest skipped. */
#define NDR_MAX_MESSAGE_BYTES (16u * 1024u * 1024u)
#define NDR_MAX_MIME_DEPTH 24u            /* nesting of multiparts */
#define NDR_MAX_MIME_PARTS 512u           /* parts looked at in one message */
#define NDR_MAX_TEXT_BYTES (512u * 1024u) /* decoded human text per message */
#define NDR_MAX_DSN_BYTES (256u * 1024u)  /* one delivery-status part */
#define NDR_MAX_RECIPIENTS 2000u          /* recipients read from one message */
#define NDR_MAX_HUMAN_LINES 20000u        /* lines of human text scanned */
#define NDR_MAX_HUMAN_RCPTS 1000u /* recipients named by one human report */

/* Message-trace exports (CLIXML, MSGTRK, CSV: src/input/clixml.c...) */
#define NDR_MAX_TRACE_VALUE_BYTES (64u * 1024u) /* one value or cell kept */
#define NDR_MAX_TRACE_LIST_ITEMS 10000u /* items of one list (Recipients) */
#define NDR_MAX_TRACE_LIST_BYTES (1024u * 1024u)     /* bytes of one list */
#define NDR_MAX_TRACE_ROW_BYTES (4u * 1024u * 1024u) /* one CSV/log row */
#define NDR_MAX_TRACE_COLUMNS 512u    /* columns of a CSV or log header */
#define NDR_MAX_TRACE_TYPES 4096u     /* CLIXML <TN> type lists remembered */
#define NDR_MAX_TRACE_TYPE_BYTES 256u /* of each, the most derived name */
#define NDR_MAX_TRACE_REFS 64u        /* recent lists kept for <Ref> */
#define NDR_MAX_TRACE_REF_BYTES (64u * 1024u)   /* each; longer: not kept */
#define NDR_MAX_TRACE_DATA_BYTES (256u * 1024u) /* a Data blob, as XML */
#define NDR_MAX_SUMMARY_KEYS 10000u /* distinct senders, domains... counted */

#endif
