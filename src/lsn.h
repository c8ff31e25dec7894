/*
 * lsn.h — WAL positions (LSNs) as 64-bit integers, in PostgreSQL's
 * "%X/%X" text form.
 */
#ifndef WALCAP_LSN_H
#define WALCAP_LSN_H

#include <stdint.h>

#define LSN_INVALID ((uint64_t) 0)
#define LSN_FMT "%X/%X"
#define LSN_ARGS(l) (unsigned) ((l) >> 32), (unsigned) (l)

/* Parse "HI/LO" (hex); 0 on success, -1 if s is not a valid LSN. */
int		lsn_parse(const char *s, uint64_t *out);

#endif
