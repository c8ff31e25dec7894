/*
 * sigdone.c — ids of finished execute-snapshot signals; see sigdone.h.
 */
#include "sigdone.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "lsn.h"

void
sigdone_init(struct sigdone *d)
{
	d->n = 0;
	d->unplaced = 0;
}

static void
drop(struct sigdone *d, int i)
{
	if (d->e[i].lsn == SIGDONE_UNPLACED)
		d->unplaced--;
	memmove(&d->e[i], &d->e[i + 1], sizeof(d->e[0]) * (size_t) (d->n - i - 1));
	d->n--;
}

static int
find(const struct sigdone *d, const char *id)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->e[i].id, id) == 0)
			return i;
	return -1;
}

static void
append(struct sigdone *d, const char *id, uint64_t lsn)
{
	int			i = find(d, id);

	if (i >= 0)
		drop(d, i);
	if (d->n == SIGDONE_MAX)
		drop(d, 0);
	snprintf(d->e[d->n].id, sizeof(d->e[0].id), "%s", id);
	d->e[d->n].lsn = lsn;
	if (lsn == SIGDONE_UNPLACED)
		d->unplaced++;
	d->n++;
}

void
sigdone_add(struct sigdone *d, const char *id)
{
	append(d, id, SIGDONE_UNPLACED);
}

int
sigdone_has(const struct sigdone *d, const char *id)
{
	return find(d, id) >= 0;
}

void
sigdone_place(struct sigdone *d, uint64_t lsn)
{
	if (d->unplaced == 0)
		return;
	for (int i = 0; i < d->n; i++)
		if (d->e[i].lsn == SIGDONE_UNPLACED)
			d->e[i].lsn = lsn;
	d->unplaced = 0;
}

int
sigdone_forget(struct sigdone *d, uint64_t confirmed)
{
	int			n = 0;

	for (int i = d->n - 1; i >= 0; i--)
		if (d->e[i].lsn != SIGDONE_UNPLACED && d->e[i].lsn <= confirmed)
		{
			drop(d, i);
			n++;
		}
	return n;
}

void
sigdone_json(const struct sigdone *d, struct buf *b)
{
	buf_putc(b, '[');
	for (int i = 0; i < d->n; i++)
	{
		buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
		json_cstring(b, d->e[i].id);
		if (d->e[i].lsn == SIGDONE_UNPLACED)
			buf_lit(b, ",\"lsn\":null}");
		else
			buf_printf(b, ",\"lsn\":\"" LSN_FMT "\"}", LSN_ARGS(d->e[i].lsn));
	}
	buf_putc(b, ']');
}

int
sigdone_from_json(struct sigdone *d, const struct jsonread_value *v,
				  char *err, size_t errlen)
{
	sigdone_init(d);
	if (v == NULL || v->type == JSONREAD_NULL)
		return 0;
	if (v->type != JSONREAD_ARRAY)
	{
		snprintf(err, errlen, "\"done\" is not an array");
		return -1;
	}
	for (size_t i = 0; i < jsonread_array_len(v); i++)
	{
		const struct jsonread_value *e = jsonread_array_get(v, i);
		const struct jsonread_value *l = jsonread_get(e, "lsn");
		const char *id = jsonread_string(jsonread_get(e, "id"));
		uint64_t	lsn = SIGDONE_UNPLACED;

		if (id == NULL || jsonread_get(e, "id")->type != JSONREAD_STRING ||
			strlen(id) >= SIGDONE_ID_LEN ||
			(l && l->type != JSONREAD_NULL &&
			 (l->type != JSONREAD_STRING || lsn_parse(l->str, &lsn) != 0)))
		{
			snprintf(err, errlen, "an entry of \"done\" is malformed");
			sigdone_init(d);
			return -1;
		}
		append(d, id, lsn);
	}
	return 0;
}
