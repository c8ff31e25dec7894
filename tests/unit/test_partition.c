/*
 * test_partition.c — unit tests for partition.c: a partition's Relation
 * message rewritten as its root's (name, column order by name, the
 * leaf's types and identity flags), the mismatches refused, tuples put
 * in the root's order, the catalog result read (a PGresult built with
 * libpq's own PQsetvalue), and relcache_set_root keeping a map only
 * when the order differs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "partition.h"
#include "relcache.h"
#include "testhelp.h"

/* root (id, k, v); a leaf created as (v, k, id) */
static char *root_cols[] = {"id", "k", "v"};
static struct partition_root root = {4242, "public", "part", 3, root_cols};

static struct decoder_relcol leaf_cols[] = {
	{0, "v", 25, -1},
	{1, "k", 23, -1},
	{1, "id", 23, -1},
};

static void
leaf_msg(struct decoder_msg *m, struct decoder_relcol *cols, int ncols)
{
	memset(m, 0, sizeof(*m));
	m->type = DECODER_RELATION;
	m->u.relation.relid = 5001;
	m->u.relation.nspname = "public";
	m->u.relation.relname = "part_b2";
	m->u.relation.replident = 'd';
	m->u.relation.ncols = ncols;
	m->u.relation.cols = cols;
}

static void
test_as_root(void)
{
	struct decoder_msg leaf, out;
	struct decoder_relcol cols[3];
	int			map[3];

	leaf_msg(&leaf, leaf_cols, 3);
	partition_as_root(&root, &leaf, &out, cols, map);
	CHECK_INT(out.u.relation.relid, 5001);	/* the stream's OID stays */
	CHECK_STR(out.u.relation.nspname, "public");
	CHECK_STR(out.u.relation.relname, "part");
	CHECK_INT(out.u.relation.replident, 'd');
	CHECK_INT(out.u.relation.ncols, 3);
	CHECK_STR(out.u.relation.cols[0].name, "id");
	CHECK_STR(out.u.relation.cols[1].name, "k");
	CHECK_STR(out.u.relation.cols[2].name, "v");
	CHECK_INT(out.u.relation.cols[0].typid, 23);
	CHECK_INT(out.u.relation.cols[2].typid, 25);
	CHECK_INT(out.u.relation.cols[0].flags, 1);	/* the leaf's identity */
	CHECK_INT(out.u.relation.cols[2].flags, 0);
	CHECK_INT(map[0], 2);
	CHECK_INT(map[1], 1);
	CHECK_INT(map[2], 0);

	/*
	 * The root's catalog newer than the message: a column the root no
	 * longer has (dropped or renamed since) comes after the root's, a
	 * column it has since gained is not there; never refused.
	 */
	{
		struct decoder_relcol old[3] = {{0, "v", 25, -1}, {0, "kk", 23, -1}, {1, "id", 23, -1}};

		leaf_msg(&leaf, old, 3);
		partition_as_root(&root, &leaf, &out, cols, map);
		CHECK_INT(out.u.relation.ncols, 3);
		CHECK_STR(out.u.relation.cols[0].name, "id");
		CHECK_STR(out.u.relation.cols[1].name, "v");
		CHECK_STR(out.u.relation.cols[2].name, "kk");
		CHECK_INT(map[0], 2);
		CHECK_INT(map[1], 0);
		CHECK_INT(map[2], 1);
		leaf_msg(&leaf, old, 1);
		partition_as_root(&root, &leaf, &out, cols, map);
		CHECK_INT(out.u.relation.ncols, 1);
		CHECK_STR(out.u.relation.cols[0].name, "v");
		CHECK_INT(map[0], 0);
	}
}

static void
test_remap(void)
{
	struct decoder_column leafrow[3] = {
		{DECODER_COL_TEXT, 1, "x"}, {DECODER_COL_TEXT, 3, "150"}, {DECODER_COL_NULL, 0, NULL},
	};
	struct decoder_column scratch[3];
	struct decoder_tuple t = {3, leafrow};
	int			map[3] = {2, 1, 0};

	partition_remap_tuple(map, 3, &t, scratch);
	CHECK(t.cols == scratch);
	CHECK_INT(t.cols[0].kind, DECODER_COL_NULL);
	CHECK_INT(t.cols[1].len, 3);
	CHECK(memcmp(t.cols[1].data, "150", 3) == 0);
	CHECK(t.cols[2].data == leafrow[0].data);
	CHECK_INT(leafrow[0].kind, DECODER_COL_TEXT);	/* the decoder's array is untouched */

	/* another width: left as it is, for the event writer to report */
	t.ncols = 2;
	t.cols = leafrow;
	partition_remap_tuple(map, 3, &t, scratch);
	CHECK(t.cols == leafrow);
}

static void
test_read(void)
{
	PGresult   *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[4];
	const char *names[4] = {"oid", "nspname", "relname", "attname"};
	const char *rows[3][4] = {{"4242", "public", "part", "id"}, {"4242", "public", "part", "k"},
	{"4242", "public", "part", "v"}};
	struct partition_root r;
	char		err[64];

	memset(attrs, 0, sizeof(attrs));
	for (int i = 0; i < 4; i++)
	{
		attrs[i].name = (char *) names[i];
		attrs[i].format = 0;
		attrs[i].typid = 25;
		attrs[i].typlen = -1;
		attrs[i].atttypmod = -1;
	}
	CHECK_INT(PQsetResultAttrs(res, 4, attrs), 1);
	CHECK_INT(partition_root_read(res, &r, err, sizeof(err)), 0);	/* no row: no partition */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			CHECK_INT(PQsetvalue(res, i, j, (char *) rows[i][j], (int) strlen(rows[i][j])), 1);
	CHECK_INT(partition_root_read(res, &r, err, sizeof(err)), 1);
	CHECK_INT(r.relid, 4242);
	CHECK_STR(r.schema, "public");
	CHECK_STR(r.table, "part");
	CHECK_INT(r.ncols, 3);
	CHECK_STR(r.cols[2], "v");
	partition_root_free(&r);
	CHECK(r.cols == NULL && r.ncols == 0);
	PQclear(res);
	CHECK(strstr(partition_root_sql(120000), "attgenerated") != NULL);
	CHECK(strstr(partition_root_sql(110000), "attgenerated") == NULL);
}

static void
test_relcache_root(void)
{
	struct relcache c;
	struct decoder_msg leaf, out;
	struct decoder_relcol cols[3];
	struct relcache_rel *rel;
	int			map[3], same[3] = {0, 1, 2};
	char		err[256];

	relcache_init(&c, NULL, NULL);
	leaf_msg(&leaf, leaf_cols, 3);
	partition_as_root(&root, &leaf, &out, cols, map);
	rel = relcache_update(&c, &out, err, sizeof(err));
	CHECK(rel != NULL);
	CHECK_INT(rel->root_relid, 5001);	/* before: itself */
	CHECK(rel->colmap == NULL);
	CHECK_INT(relcache_set_root(rel, 4242, map, 3), 0);
	CHECK_INT(rel->relid, 5001);
	CHECK_INT(rel->root_relid, 4242);
	CHECK(rel->colmap != NULL && rel->colmap[0] == 2 && rel->colmap[2] == 0);
	CHECK_STR(rel->source_tail, "\"schema\":\"public\",\"table\":\"part\"");
	/* a partition in the root's own order needs no work per row */
	CHECK_INT(relcache_set_root(rel, 4242, same, 3), 0);
	CHECK(rel->colmap == NULL);
	CHECK(relcache_get(&c, 5001) == rel);
	relcache_free(&c);
}

int
main(void)
{
	test_as_root();
	test_remap();
	test_read();
	test_relcache_root();
	return TEST_REPORT("test_partition");
}
