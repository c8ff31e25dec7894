/*
 * metrics_int.h — what metrics.c (rendering, the report line) and
 * metrics_parse.c (reading the report line) share: the table of scalar
 * figures.  Not for other modules.  Two files because json.h and
 * <jansson.h> both define json_string and json_is_number.
 */
#ifndef WALCAP_METRICS_INT_H
#define WALCAP_METRICS_INT_H

#include <stddef.h>

enum metrics_kind
{
	MK_INT,						/* int */
	MK_I64,						/* int64_t */
	MK_U64,						/* uint64_t */
	MK_DBL,						/* double */
	MK_SINCE,					/* derived: sampled_ms - last_event_ms, -1 if none */
	MK_EVENTS,					/* derived: every streamed event */
};

struct metrics_field
{
	const char *metric;			/* NULL: reported, not rendered */
	const char *type;			/* "gauge" or "counter" */
	const char *help;
	const char *key;			/* in the report line; NULL: derived */
	enum metrics_kind kind;
	size_t		off;
};

extern const struct metrics_field metrics_fields[];
extern const int metrics_nfields;

#endif
