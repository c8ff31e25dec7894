/*
 * jsonread.h — a small strict JSON (RFC 8259) reader for short documents:
 * signal rows' data and the snapshot progress in the offset file.
 *
 * jsonread_parse() builds a tree in one document: strings are decoded
 * (all escapes, \u surrogate pairs to UTF-8), numbers kept as their
 * text.  It rejects invalid UTF-8, control characters in strings,
 * nesting deeper than JSONREAD_MAX_DEPTH, trailing text and documents
 * over JSONREAD_MAX_BYTES; the error names the byte offset and what was
 * expected there.
 *
 * Ownership: the document owns every value; pointers from the lookup
 * functions are valid until jsonread_free().  Lookups accept NULL and
 * values of the wrong kind and then return NULL / 0, so a chain of
 * lookups needs one check at its end.
 */
#ifndef WALCAP_JSONREAD_H
#define WALCAP_JSONREAD_H

#include <stddef.h>

#define JSONREAD_MAX_DEPTH 32
#define JSONREAD_MAX_BYTES (1024 * 1024)

enum jsonread_type
{
	JSONREAD_NULL,
	JSONREAD_TRUE,
	JSONREAD_FALSE,
	JSONREAD_NUMBER,
	JSONREAD_STRING,
	JSONREAD_ARRAY,
	JSONREAD_OBJECT,
};

struct jsonread_value
{
	enum jsonread_type type;
	char	   *str;			/* string (decoded) or number (as written) */
	char	   *key;			/* member name when inside an object */
	size_t		n;				/* array/object: number of children */
	struct jsonread_value *kids;
};

struct jsonread_doc
{
	struct jsonread_value *root;
};

/* 0, or -1 with err set (and nothing to free). */
int		jsonread_parse(struct jsonread_doc *d, const char *text,
					   char *err, size_t errlen);
void	jsonread_free(struct jsonread_doc *d);

const struct jsonread_value *jsonread_root(const struct jsonread_doc *d);
/* An object's member (the last one if the key repeats), or NULL. */
const struct jsonread_value *jsonread_get(const struct jsonread_value *v,
										  const char *key);
/* An array's length (0 if v is not an array) and element i. */
size_t	jsonread_array_len(const struct jsonread_value *v);
const struct jsonread_value *jsonread_array_get(const struct jsonread_value *v,
												size_t i);
/* The text of a string or a number, else NULL. */
const char *jsonread_string(const struct jsonread_value *v);

#endif
