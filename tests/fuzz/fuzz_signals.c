/*
 * fuzz_signals.c — libFuzzer target for signal rows: the JSON reader
 * (src/jsonread.c) and signal_parse() (src/signals.c), the code that
 * reads what anyone allowed to write the signal table puts there.
 *
 * Input: the signal's type, a NUL byte, then its data (no NUL: data
 * NULL).  Checks beyond the sanitizers: a parse either fails with a
 * non-empty one-line message or yields a signal whose names are
 * non-empty, and everything it owns is released by signal_free().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"
#include "signals.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf = malloc(size + 1);
	char	   *nul;
	const char *type, *json = NULL;
	struct signal s;
	struct jsonread_doc d;
	char		err[512];

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	type = buf;
	nul = memchr(buf, '\0', size);
	if (nul && (size_t) (nul - buf) < size)
		json = nul + 1;
	if (signal_parse(type, json, &s, err, sizeof(err)) == 0)
	{
		for (int i = 0; i < s.ncollections; i++)
			if (s.collections[i].schema[0] == '\0' || s.collections[i].table[0] == '\0')
				abort();
		if (s.kind == SIGNAL_EXECUTE_SNAPSHOT && s.ncollections == 0)
			abort();
		if (s.kind == SIGNAL_LOG && s.message == NULL)
			abort();
		signal_free(&s);
	}
	else if (err[0] == '\0' || strchr(err, '\n'))
		abort();
	if (json && jsonread_parse(&d, json, err, sizeof(err)) == 0)
	{
		if (jsonread_root(&d) == NULL)
			abort();
		jsonread_free(&d);
	}
	free(buf);
	return 0;
}
