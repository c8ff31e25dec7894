/*
 * fuzz_binary.c — libFuzzer target for the binary-mode value readers
 * (src/convert_binary.c): the bytes a server sends for a column in
 * pgoutput's binary mode, for every layout walcap reads.
 *
 * Input: one byte picking the type (an index into TYPES), one byte
 * picking the modes, then the value's bytes.  Checks beyond the
 * sanitizers:
 *   - convert_binary_text() either refuses (appending nothing) or
 *     appends a text;
 *   - convert_binary_value() refuses exactly when the text did, and
 *     otherwise appends one JSON value that jsonread parses (unless it
 *     holds a NUL or a byte past ASCII: text-like values keep the
 *     server's bytes, which random input need not have in UTF-8);
 *   - a text that was accepted is also what convert_value() sees: the
 *     binary JSON equals the text path's JSON for that text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "convert_binary.h"
#include "json.h"
#include "jsonread.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* every OID convert_binary reads, with typmods the converters use */
static const struct
{
	uint32_t	oid;
	int32_t		typmod;
}			TYPES[] = {
	{16, -1}, {17, -1}, {19, -1}, {20, -1}, {21, -1}, {23, -1}, {25, -1}, {26, -1},
	{27, -1}, {28, -1}, {114, -1}, {142, -1}, {600, -1}, {601, -1}, {602, -1},
	{603, -1}, {604, -1}, {628, -1}, {650, -1}, {700, -1}, {701, -1}, {718, -1},
	{774, -1}, {790, -1}, {829, -1}, {869, -1}, {1007, -1}, {1009, -1}, {1020, -1},
	{1022, -1}, {1082, -1}, {1083, 6 - 0}, {1114, 3}, {1184, -1}, {1186, -1},
	{1231, 0x00080006}, {1266, -1}, {1560, 5}, {1562, -1}, {1700, 0x0008000a},
	{1700, -1}, {2950, -1}, {3220, -1}, {3614, -1}, {3802, -1}, {3904, -1},
	{3908, -1}, {3910, -1}, {4451, -1}, {4536, -1}, {5069, -1}, {1185, -1},
	{1115, -1}, {1187, -1}, {1000, -1}, {1001, -1}, {1017, -1}, {1041, -1},
	{2951, -1}, {3807, -1}, {4072, -1},
};

#define NTYPES (sizeof(TYPES) / sizeof(TYPES[0]))

/* JSON jsonread takes: no byte past ASCII, no \u0000 (it keeps C strings) */
static int
readable(const char *p)
{
	for (; *p; p++)
		if ((unsigned char) *p >= 0x80 || strncmp(p, "\\u0000", 6) == 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct buf out, text, scratch, plain;
	static int	ready;
	struct convert_type t;
	struct convert_opts o = {0};
	char	   *value;
	size_t		len;
	int			rt, rv;

	if (!ready)
	{
		buf_init(&out, 0);
		buf_init(&text, 0);
		buf_init(&scratch, 0);
		buf_init(&plain, 0);
		ready = 1;
	}
	if (size < 2)
		return 0;
	if (convert_builtin(TYPES[data[0] % NTYPES].oid, TYPES[data[0] % NTYPES].typmod, &t) != 0)
		abort();
	/* one of the user-type rules the catalog makes */
	if (data[0] / NTYPES == 1)
		t = (struct convert_type) {.kind = CONVERT_HSTORE, .typmod = -1, .bin = CONVERT_BIN_HSTORE};
	o.binary = (enum convert_binary_mode) (data[1] & 3);
	o.decimal = (enum convert_decimal_mode) ((data[1] >> 2) % 3);
	o.time = (enum convert_time_mode) ((data[1] >> 4) % 3);
	o.interval = (enum convert_interval_mode) ((data[1] >> 6) & 1);
	o.hstore = (enum convert_hstore_mode) (data[1] >> 7);
	len = size - 2;
	value = malloc(len ? len : 1);
	if (value == NULL)
		return 0;
	memcpy(value, data + 2, len);

	buf_reset(&text);
	rt = convert_binary_text(&text, &t, value, len);
	if (rt != 0 && text.len != 0)
		abort();
	buf_reset(&out);
	buf_reset(&scratch);
	rv = convert_binary_value(&out, &scratch, &t, value, len, &o);
	if ((rt != 0) != (rv < 0) || (rv < 0 && out.len != 0))
		abort();
	if (rv >= 0)
	{
		struct jsonread_doc d;
		char		err[256];

		buf_putc(&out, '\0');
		/* jsonread reads documents: wrap the value */
		buf_reset(&plain);
		buf_lit(&plain, "[");
		buf_puts(&plain, out.data);
		buf_lit(&plain, "]");
		buf_putc(&plain, '\0');
		/*
		 * Text-like values pass through as the server's bytes, which a
		 * server always sends in valid UTF-8 without NULs; random bytes
		 * need not be.
		 */
		if (jsonread_parse(&d, plain.data, err, sizeof(err)) == 0)
			jsonread_free(&d);
		else if (readable(out.data))
			abort();
		/* the text path, on the same text */
		buf_reset(&plain);
		if (convert_value(&plain, &t, text.data, text.len, &o) != 0)
			json_text(&plain, text.data, text.len);
		buf_putc(&plain, '\0');
		if (strcmp(plain.data, out.data) != 0)
			abort();
	}
	free(value);
	return 0;
}
