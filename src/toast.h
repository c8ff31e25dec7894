/*
 * toast.h — what stands in for an unchanged TOAST value that a change
 * message does not carry: unavailable.value.placeholder, shaped like the
 * column's values.
 *
 * When an UPDATE leaves an out-of-line (TOASTed) value unchanged,
 * pgoutput sends the column kind 'u' instead of the value.  If the old
 * tuple of the same message carries the value (REPLICA IDENTITY FULL, or
 * a replica identity key column), the event writer uses that instead;
 * only where the value is in no part of the message is a placeholder
 * written.
 *
 * Debezium's PostgreSQL connector shapes its placeholder by the column's
 * type (UnchangedToastedReplicationMessageColumn picks a marker,
 * UnchangedToastedPlaceholder holds the values, PostgresValueConverter
 * turns them into Connect values), so that a consumer reading an array
 * column gets an array.  The placeholder's bytes are its UTF-8 bytes (Java's
 * String.getBytes()).  The forms, with the default placeholder:
 *
 *   TOAST_STRING        "__debezium_unavailable_value"
 *   TOAST_BASE64        the bytes in base64 ("X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==")
 *   TOAST_BASE64_URL    the same, URL-safe alphabet
 *   TOAST_VSD           {"scale":0,"value":<TOAST_BASE64>} (VariableScaleDecimal)
 *   TOAST_MAP           {"__debezium_unavailable_value":"__debezium_unavailable_value"}
 *   TOAST_JSON_MAP      TOAST_MAP's text as a JSON string
 *   TOAST_NUMBERS       the bytes as signed numbers (Java's byte): [95,95,100,…]
 *   TOAST_UUIDS         the bytes' name-based (version 3) UUID, as Java's
 *                       UUID.nameUUIDFromBytes gives it, in a one-element
 *                       array: ["b68a35a7-17ad-35b3-af2a-ae46edb4545a"]
 *   TOAST_ARR_*         the forms above in a one-element array
 *
 * toast_form() picks the form of a column from its conversion rule, so
 * that the placeholder has the JSON type the column's values have and
 * its Connect schema (schema.h) declares; docs/events.md ("Unchanged
 * TOAST values") has the table, type by type, and where it departs from
 * Debezium (which writes null, after a failed conversion, for the types
 * its rules do not fit).
 *
 * Every form is built once, by toast_init(); the per-row path only picks
 * and appends one.  The struct owns its buffer; toast_free() releases it.
 */
#ifndef WALCAP_TOAST_H
#define WALCAP_TOAST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "convert.h"

enum toast_form
{
	TOAST_STRING = 0,
	TOAST_BASE64,
	TOAST_BASE64_URL,
	TOAST_VSD,
	TOAST_MAP,
	TOAST_JSON_MAP,
	TOAST_ARR_STRING,			/* the six above, each in a one-element array */
	TOAST_ARR_BASE64,
	TOAST_ARR_BASE64_URL,
	TOAST_ARR_VSD,
	TOAST_ARR_MAP,
	TOAST_ARR_JSON_MAP,
	TOAST_NUMBERS,
	TOAST_UUIDS,
	TOAST_NFORMS
};

struct toast
{
	struct buf	text;			/* every form's JSON, back to back */
	size_t		off[TOAST_NFORMS];
	size_t		len[TOAST_NFORMS];
};

/* Build every form of placeholder (a C string).  -1 if out of memory. */
int		toast_init(struct toast *t, const char *placeholder);
void	toast_free(struct toast *t);

/*
 * The form for a column with conversion rule conv under modes o; typid
 * is the column's type OID, base_typid a domain's base type OID or 0
 * (uuid[] has its own form).
 */
enum toast_form toast_form(const struct convert_type *conv, uint32_t typid,
						   uint32_t base_typid, const struct convert_opts *o);

/* Append form f's JSON to out. */
static inline void
toast_put(const struct toast *t, struct buf *out, enum toast_form f)
{
	buf_append(out, t->text.data + t->off[f], t->len[f]);
}

/*
 * The name-based (version 3) UUID of p[0..n), lowercase, as Java's
 * UUID.nameUUIDFromBytes formats it, into out (36 characters and a NUL).
 */
void	toast_uuid_v3(const void *p, size_t n, char out[37]);

#endif
