/*
 * convert_int.h — what convert.c shares with convert_binary.c, the other
 * half of the convert stage.  Not for other modules.
 */
#ifndef WALCAP_CONVERT_INT_H
#define WALCAP_CONVERT_INT_H

#include <stdint.h>

/* Year (astronomical: 0 is 1 BC), month and day of day z after 1970-01-01. */
void	civil_from_days(int64_t z, int64_t *y, int *m, int *d);

#endif
