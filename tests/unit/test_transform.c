/*
 * test_transform.c — the transforms key (transform.h): aliases and types,
 * ExtractNewRecordState's delete modes and added field names, and
 * RegexRouter's renaming ($N groups, escapes, whole-topic matches only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform.h"
#include "testhelp.h"

/* Compile list from the "key=value" settings; 0 or -1, err in *err. */
static int
setup(struct transforms *t, const char *list, const char *const *kv, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	for (int i = 0; kv[i]; i++)
	{
		char		key[256];
		const char *eq = strchr(kv[i], '=');

		snprintf(key, sizeof(key), "%.*s", (int) (eq - kv[i]), kv[i]);
		if (transforms_set(t, key, eq + 1, err, errlen) != 0)
			return -1;
	}
	return transforms_finish(t, list, err, errlen);
}

static const char *
routed(const struct transforms *t, const char *topic)
{
	static char out[256];
	int			oom;
	char	   *r = transforms_route(t, topic, &oom);

	CHECK_INT(oom, 0);
	snprintf(out, sizeof(out), "%s", r ? r : "(unchanged)");
	free(r);
	return out;
}

static void
test_route(void)
{
	struct transforms t;
	char		err[256];
	const char *const kv[] = {
		"transforms.r.type=org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.r.regex=([^.]+)\\.([^.]+)\\.([^.]+)",
		"transforms.r.replacement=$3-of-$1\\$x",
		NULL
	};

	CHECK_INT(setup(&t, "r", kv, err, sizeof(err)), 0);
	CHECK_INT(t.route, 1);
	CHECK_INT(t.unwrap, 0);
	CHECK_STR(routed(&t, "shop.public.orders"), "orders-of-shop$x");
	/* only a whole-topic match renames */
	CHECK_STR(routed(&t, "shop.public"), "(unchanged)");
	CHECK_STR(routed(&t, "a.b.c.d"), "(unchanged)");
	transforms_free(&t);
}

static void
test_unwrap(void)
{
	struct transforms t;
	char		err[256];
	const char *const plain[] = {NULL};
	const char *const kv[] = {
		"transforms.unwrap.delete.handling.mode=none",
		"transforms.unwrap.drop.tombstones=false",
		"transforms.unwrap.add.fields=op,source.ts_ms,table,lsn:pos,transaction.id,total_order",
		"transforms.unwrap.add.fields.prefix=_",
		NULL
	};
	const char *const newer[] = {
		"transforms.unwrap.delete.handling.mode=none",
		"transforms.unwrap.delete.tombstone.handling.mode=rewrite-with-tombstone",
		NULL
	};
	static const char *const outs[] = {"_op", "_source_ts_ms", "_table", "_pos", "_transaction_id", "_total_order"};
	static const enum unwrap_from froms[] = {UNWRAP_FROM_TOP, UNWRAP_FROM_SOURCE, UNWRAP_FROM_SOURCE,
	UNWRAP_FROM_SOURCE, UNWRAP_FROM_TRANSACTION, UNWRAP_FROM_TRANSACTION};
	static const enum unwrap_fid ids[] = {UF_OP, UF_SOURCE_TS_MS, UF_TABLE, UF_LSN, UF_TXN_ID,
	UF_TOTAL_ORDER};

	/* an alias named unwrap needs no type; drop is the default */
	CHECK_INT(setup(&t, " unwrap ", plain, err, sizeof(err)), 0);
	CHECK_INT(t.unwrap, 1);
	CHECK_INT(t.del, UNWRAP_DELETE_DROP);
	CHECK_INT(t.keep_tombstones, 0);
	CHECK_INT(t.rewrite, 0);
	transforms_free(&t);

	CHECK_INT(setup(&t, "unwrap", kv, err, sizeof(err)), 0);
	CHECK_INT(t.del, UNWRAP_DELETE_NULL);
	CHECK_INT(t.keep_tombstones, 1);
	CHECK_INT(t.nfields, 6);
	for (int i = 0; i < t.nfields && i < 6; i++)
	{
		CHECK_STR(t.fields[i].out, outs[i]);
		CHECK_INT(t.fields[i].from, froms[i]);
		CHECK_INT(t.fields[i].id, ids[i]);
	}
	/* compiled again: the same, not doubled */
	CHECK_INT(transforms_finish(&t, "unwrap", err, sizeof(err)), 0);
	CHECK_INT(t.nfields, 6);
	transforms_free(&t);

	CHECK_INT(setup(&t, "unwrap", newer, err, sizeof(err)), 0);
	CHECK_INT(t.del, UNWRAP_DELETE_REWRITE);
	CHECK_INT(t.keep_tombstones, 1);
	CHECK_INT(t.rewrite, 1);
	transforms_free(&t);
}

static void
test_errors(void)
{
	struct transforms t;
	char		err[256];
	const char *const twice[] = {"transforms.a.type=" TRANSFORM_UNWRAP_TYPE,
	"transforms.b.type=" TRANSFORM_UNWRAP_TYPE, NULL};
	const char *const bad_bool[] = {"transforms.unwrap.drop.tombstones=no", NULL};
	const char *const no_rep[] = {"transforms.route.regex=x", NULL};
	const char *const none[] = {NULL};

	CHECK_INT(setup(&t, "a,b", twice, err, sizeof(err)), -1);
	CHECK_STR(err, "transforms.b: ExtractNewRecordState is configured twice");
	transforms_free(&t);
	CHECK_INT(setup(&t, "unwrap", bad_bool, err, sizeof(err)), -1);
	CHECK_STR(err, "transforms.unwrap.drop.tombstones: \"no\" is not one of false, true");
	transforms_free(&t);
	CHECK_INT(setup(&t, "route", no_rep, err, sizeof(err)), -1);
	CHECK_STR(err, "transforms.route.replacement is required for RegexRouter");
	transforms_free(&t);
	CHECK_INT(setup(&t, "x", none, err, sizeof(err)), -1);
	CHECK(strstr(err, "transforms.x.type is not set") != NULL);
	transforms_free(&t);
	memset(&t, 0, sizeof(t));
	CHECK_INT(transforms_set(&t, "transforms.noprop", "1", err, sizeof(err)), -1);
	CHECK_STR(err, "transforms.noprop: a transform's property is transforms.<alias>.<property>");
	transforms_free(&t);
}

int
main(void)
{
	test_route();
	test_unwrap();
	test_errors();
	return TEST_REPORT("test_transform");
}
