/*
 * relcache.c — relation metadata cache; see relcache.h.
 */
#include "relcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"

void
relcache_init(struct relcache *c, relcache_resolver resolve, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->resolve = resolve;
	c->resolve_arg = arg;
}

static void
rel_free(struct relcache_rel *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < r->ncols; i++)
	{
		free(r->cols[i].name);
		free(r->cols[i].key);
		free(r->cols[i].enum_labels);
		free(r->cols[i].type_name);
	}
	free(r->cols);
	free(r->colmap);
	free(r->schema);
	free(r->table);
	free(r->source_tail);
	free(r->topic);
	free(r->value_schema);
	free(r->key_schema);
	free(r);
}

void
relcache_free(struct relcache *c)
{
	for (size_t i = 0; i < c->nslots; i++)
		rel_free(c->slots[i]);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

/* Fibonacci hashing spreads sequential OIDs over the table. */
static size_t
slot_of(const struct relcache *c, uint32_t relid)
{
	return (size_t) ((relid * UINT64_C(11400714819323198485)) >> 32) & (c->nslots - 1);
}

struct relcache_rel *
relcache_get(const struct relcache *c, uint32_t relid)
{
	if (c->nslots == 0)
		return NULL;
	for (size_t i = slot_of(c, relid);; i = (i + 1) & (c->nslots - 1))
	{
		struct relcache_rel *r = c->slots[i];

		if (r == NULL)
			return NULL;
		if (r->relid == relid)
			return r;
	}
}

/* Double the table (or create it); 0 on success. */
static int
grow(struct relcache *c)
{
	size_t		n = c->nslots ? c->nslots * 2 : 64;
	struct relcache_rel **old = c->slots;
	size_t		oldn = c->nslots;

	c->slots = calloc(n, sizeof(*c->slots));
	if (c->slots == NULL)
	{
		c->slots = old;
		return -1;
	}
	c->nslots = n;
	for (size_t i = 0; i < oldn; i++)
	{
		size_t		j;

		if (old[i] == NULL)
			continue;
		for (j = slot_of(c, old[i]->relid); c->slots[j]; j = (j + 1) & (n - 1))
			;
		c->slots[j] = old[i];
	}
	free(old);
	return 0;
}

/* Take the built bytes of b as a new string; NULL if b failed. */
static char *
take_json(struct buf *b, size_t *len)
{
	if (len)
		*len = b->len;
	return buf_take(b);
}

/* Work out a column's conversion rule, asking the catalog if need be. */
static void
resolve_column(struct relcache *c, const struct relcache_rel *r,
			   struct relcache_col *col)
{
	char		err[256];

	if (convert_builtin(col->typid, col->typmod, &col->conv) == 0)
		return;
	if (c->resolve &&
		c->resolve(c->resolve_arg, col->typid, col->typmod, &col->conv,
				   err, sizeof(err)) == 0)
		return;
	if (c->resolve)
		log_warning("column \"%s\".\"%s\".\"%s\" has type OID %u that could not be looked up; its values are written as strings: %s",
					r->schema, r->table, col->name, col->typid, err);
	col->conv.kind = CONVERT_STRING;
	col->conv.typmod = col->typmod;
	col->conv.bin = CONVERT_BIN_NONE;
}

static struct relcache_rel *
build(struct relcache *c, const struct decoder_msg *m)
{
	struct relcache_rel *r = calloc(1, sizeof(*r));
	struct buf	b;

	if (r == NULL)
		return NULL;
	r->relid = m->u.relation.relid;
	r->root_relid = r->relid;
	r->replident = m->u.relation.replident;
	r->keyflag = 1;
	/* pgoutput sends "" for pg_catalog */
	r->schema = strdup(m->u.relation.nspname[0] ? m->u.relation.nspname : "pg_catalog");
	r->table = strdup(m->u.relation.relname);
	r->cols = calloc((size_t) (m->u.relation.ncols ? m->u.relation.ncols : 1),
					 sizeof(*r->cols));
	if (!r->schema || !r->table || !r->cols)
		goto fail;

	buf_init(&b, 0);
	buf_lit(&b, "\"schema\":");
	json_cstring(&b, r->schema);
	buf_lit(&b, ",\"table\":");
	json_cstring(&b, r->table);
	r->source_tail = take_json(&b, &r->source_tail_len);
	if (r->source_tail == NULL)
		goto fail;

	for (int i = 0; i < m->u.relation.ncols; i++)
	{
		const struct decoder_relcol *dc = &m->u.relation.cols[i];
		struct relcache_col *col = &r->cols[i];

		r->ncols = i + 1;
		col->name = strdup(dc->name);
		col->typid = dc->typid;
		col->typmod = dc->typmod;
		col->flags = dc->flags;
		buf_init(&b, 0);
		json_cstring(&b, dc->name);
		buf_putc(&b, ':');
		col->key = take_json(&b, &col->keylen);
		if (col->name == NULL || col->key == NULL)
			goto fail;
		resolve_column(c, r, col);
	}
	return r;

fail:
	rel_free(r);
	return NULL;
}

struct relcache_rel *
relcache_update(struct relcache *c, const struct decoder_msg *m,
				char *err, size_t errlen)
{
	struct relcache_rel *r;
	size_t		i;

	if ((c->count + 1) * 2 > c->nslots && grow(c) != 0)
	{
		snprintf(err, errlen, "out of memory caching relation %u", m->u.relation.relid);
		return NULL;
	}
	r = build(c, m);
	if (r == NULL)
	{
		snprintf(err, errlen, "out of memory caching relation %u", m->u.relation.relid);
		return NULL;
	}
	for (i = slot_of(c, r->relid); c->slots[i]; i = (i + 1) & (c->nslots - 1))
	{
		if (c->slots[i]->relid == r->relid)
		{
			rel_free(c->slots[i]);
			c->slots[i] = r;
			return r;
		}
	}
	c->slots[i] = r;
	c->count++;
	return r;
}

int
relcache_set_key(struct relcache_rel *rel, char *const *cols, int ncols)
{
	int			found = 0;

	for (int j = 0; j < ncols; j++)
		for (int i = 0; i < rel->ncols; i++)
			if (strcmp(rel->cols[i].name, cols[j]) == 0)
				found++;
	if (found == 0)
		return 0;
	for (int i = 0; i < rel->ncols; i++)
	{
		rel->cols[i].flags &= (uint8_t) ~2;
		for (int j = 0; j < ncols; j++)
			if (strcmp(rel->cols[i].name, cols[j]) == 0)
				rel->cols[i].flags |= 2;
	}
	rel->keyflag = 2;
	free(rel->topic);			/* routing is worked out again */
	rel->topic = NULL;
	free(rel->key_schema);
	rel->key_schema = NULL;
	return found;
}

int
relcache_set_root(struct relcache_rel *rel, uint32_t root_relid, const int *map, int ncols)
{
	int			same = 1;

	free(rel->colmap);
	rel->colmap = NULL;
	rel->root_relid = root_relid;
	for (int i = 0; i < ncols; i++)
		same &= map[i] == i;
	if (same)
		return 0;				/* the leaf's order is the root's: nothing to do per row */
	rel->colmap = malloc(sizeof(int) * (size_t) ncols);
	if (rel->colmap == NULL)
		return -1;
	memcpy(rel->colmap, map, sizeof(int) * (size_t) ncols);
	return 0;
}

int
relcache_set_type_info(struct relcache_rel *rel, int col, const char *enum_labels,
					   uint32_t base_typid, const char *type_name)
{
	struct relcache_col *c = &rel->cols[col];

	free(c->enum_labels);
	c->enum_labels = NULL;
	free(c->type_name);
	c->type_name = NULL;
	c->base_typid = base_typid;
	free(rel->value_schema);	/* worked out again */
	rel->value_schema = NULL;
	if (enum_labels && (c->enum_labels = strdup(enum_labels)) == NULL)
		return -1;
	if (type_name && (c->type_name = strdup(type_name)) == NULL)
		return -1;
	return 0;
}
