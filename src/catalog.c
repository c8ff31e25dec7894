/*
 * catalog.c — type lookups; see catalog.h.
 */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "partition.h"
#include "pgconn.h"

void
catalog_init(struct catalog *cat, const struct config *cfg)
{
	sideconn_init(&cat->side, cfg, NULL, NULL);
	cat->on_wait = NULL;
	cat->wait_arg = NULL;
}

void
catalog_close(struct catalog *cat)
{
	sideconn_close(&cat->side);
}

struct pgtype
{
	char		typtype;
	char		category;
	char		delim;
	char		name[64];
	uint32_t	basetype;
	int32_t		typtypmod;
	uint32_t	elem;
};

/*
 * Run sql with its text parameters, opening the connection on first
 * use; the result, or NULL with err (a broken connection is reopened
 * next time).
 */
static PGresult *
query(struct catalog *cat, const char *sql, int nparams, const char *const *params,
	  char *err, size_t errlen)
{
	PGconn	   *conn = sideconn_get(&cat->side, err, errlen);
	PGresult   *res;

	if (conn == NULL)
		return NULL;
	res = pgconn_exec(conn, sql, nparams, params, cat->on_wait, cat->wait_arg);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgconn_result_error(conn, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* query() with the OID as its one parameter ($1). */
static PGresult *
query_oid(struct catalog *cat, const char *sql, uint32_t oid, char *err, size_t errlen)
{
	char		oidtext[16];
	const char *params[1] = {oidtext};

	snprintf(oidtext, sizeof(oidtext), "%u", oid);
	return query(cat, sql, 1, params, err, errlen);
}

static int
fetch(struct catalog *cat, uint32_t oid, struct pgtype *t, char *err, size_t errlen)
{
	PGresult   *res = query_oid(cat,
								"SELECT typtype, typcategory, typdelim, typname, typbasetype, "
								"typtypmod, typelem FROM pg_catalog.pg_type WHERE oid = $1::oid",
								oid, err, errlen);

	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
	{
		snprintf(err, errlen, "type OID %u is not in pg_type", oid);
		PQclear(res);
		return -1;
	}
	t->typtype = PQgetvalue(res, 0, 0)[0];
	t->category = PQgetvalue(res, 0, 1)[0];
	t->delim = PQgetvalue(res, 0, 2)[0];
	snprintf(t->name, sizeof(t->name), "%s", PQgetvalue(res, 0, 3));
	t->basetype = (uint32_t) strtoul(PQgetvalue(res, 0, 4), NULL, 10);
	t->typtypmod = (int32_t) strtol(PQgetvalue(res, 0, 5), NULL, 10);
	t->elem = (uint32_t) strtoul(PQgetvalue(res, 0, 6), NULL, 10);
	PQclear(res);
	return 0;
}

/* The conversion rule of a scalar (non-array) type, following domains. */
static int
resolve_scalar(struct catalog *cat, uint32_t oid, int32_t typmod,
			   struct convert_type *out, char *err, size_t errlen)
{
	for (int depth = 0; depth < 32; depth++)
	{
		struct pgtype t;

		if (convert_builtin(oid, typmod, out) == 0)
			return 0;
		if (fetch(cat, oid, &t, err, errlen) != 0)
			return -1;
		if (t.typtype == 'd')
		{
			/* a domain's own typmod applies when the column has none */
			if (typmod == -1)
				typmod = t.typtypmod;
			oid = t.basetype;
			continue;
		}
		memset(out, 0, sizeof(*out));
		out->typmod = typmod;
		out->delim = ',';
		if (strcmp(t.name, "hstore") == 0)
		{
			out->kind = CONVERT_HSTORE;
			out->bin = CONVERT_BIN_HSTORE;
		}
		else if (t.category == 'A' && t.elem != 0)
		{
			struct convert_type e;

			if (resolve_scalar(cat, t.elem, typmod, &e, err, errlen) != 0)
				return -1;
			if (e.kind == CONVERT_ARRAY)
				e.kind = e.elem_kind;
			out->kind = CONVERT_ARRAY;
			out->elem_kind = e.kind;
			out->delim = t.delim ? t.delim : ',';
			out->bin = CONVERT_BIN_ARRAY;
			out->elem_bin = e.bin;
		}
		else
		{
			out->kind = CONVERT_STRING;	/* enum, composite, range, extension */
			/* an enum's and citext's send functions send the text */
			if (t.typtype == 'e' || strcmp(t.name, "citext") == 0)
				out->bin = CONVERT_BIN_TEXT;
		}
		return 0;
	}
	snprintf(err, errlen, "type OID %u: domain nesting too deep", oid);
	return -1;
}

int
catalog_resolve(void *arg, uint32_t typid, int32_t typmod,
				struct convert_type *out, char *err, size_t errlen)
{
	return resolve_scalar(arg, typid, typmod, out, err, errlen);
}

int
catalog_columns(struct catalog *cat, struct relcache_rel *rel, char *err, size_t errlen)
{
	PGresult   *res = query_oid(cat,
								"SELECT a.attname, a.attnotnull, "
								"coalesce(a.attnum = ANY (i.indkey::int2[]), false), "
								CATALOG_TYPE_INFO_SQL
								"FROM pg_catalog.pg_attribute a "
								"JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
								"LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
								"WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
								rel->relid, err, errlen);

	if (res == NULL)
		return -1;
	for (int i = 0; i < rel->ncols; i++)
	{
		rel->cols[i].flags &= (uint8_t) ~(2 | 4);
		for (int j = 0; j < PQntuples(res); j++)
			if (strcmp(rel->cols[i].name, PQgetvalue(res, j, 0)) == 0)
			{
				if (PQgetvalue(res, j, 1)[0] == 't')
					rel->cols[i].flags |= 4;
				if (PQgetvalue(res, j, 2)[0] == 't')
					rel->cols[i].flags |= 2;
				if (relcache_set_type_info(rel, i, PQgetisnull(res, j, 3) ? NULL : PQgetvalue(res, j, 3),
										   (uint32_t) strtoul(PQgetvalue(res, j, 4), NULL, 10),
										   PQgetisnull(res, j, 5) ? NULL : PQgetvalue(res, j, 5)) != 0)
				{
					snprintf(err, errlen, "out of memory");
					PQclear(res);
					return -1;
				}
			}
	}
	rel->keyflag = 2;
	PQclear(res);
	return 0;
}

int
catalog_partition_root(struct catalog *cat, uint32_t relid, int server_version,
					   struct partition_root *root, char *err, size_t errlen)
{
	PGresult   *res = query_oid(cat, partition_root_sql(server_version), relid, err, errlen);
	int			rc;

	if (res == NULL)
		return -1;
	rc = partition_root_read(res, root, err, errlen);
	PQclear(res);
	return rc;
}

int
catalog_truncates_root(struct catalog *cat, uint32_t root, const struct decoder_msg *m,
					   char *err, size_t errlen)
{
	char		oidtext[16];
	const char *params[3] = {oidtext, cat->side.cfg->publication_name, NULL};
	struct buf	list;
	PGresult   *res;
	int			rc;

	snprintf(oidtext, sizeof(oidtext), "%u", root);
	buf_init(&list, 0);
	buf_putc(&list, '{');
	for (int i = 0; i < m->u.truncate.nrels; i++)
		buf_printf(&list, "%s%u", i ? "," : "", decoder_truncate_relid(m, i));
	buf_putc(&list, '}');
	if (buf_failed(&list))
	{
		buf_free(&list);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	params[2] = list.data;
	res = query(cat,
				"SELECT coalesce(bool_and(NOT published OR relid = ANY ($3::oid[])), true) "
				"FROM (" PARTITION_LEAVES_SQL ") leaves",
				3, params, err, errlen);
	buf_free(&list);
	if (res == NULL)
		return -1;
	rc = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return rc;
}
