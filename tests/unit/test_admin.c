/*
 * test_admin.c — unit tests for admin.c's statement builders: the exact
 * SQL text, for plain names and for names that need quoting (a double
 * quote in an identifier, a single quote in a literal), since setup
 * prints it and check and the run's hints propose it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "buf.h"
#include "testhelp.h"

/* Reset b, let the caller build into it, and compare. */
#define SQL_IS(b, want) do { \
	CHECK(!buf_failed(&(b))); \
	CHECK_STR((b).data ? (b).data : "", (want)); \
	buf_reset(&(b)); \
} while (0)

static void
test_role(void)
{
	CHECK_STR(admin_grantee(1, "u"), "streamkap_role");
	CHECK_STR(admin_grantee(-1, "u"), "streamkap_role");
	CHECK_STR(admin_grantee(0, "u"), "u");
}

static void
test_signal(void)
{
	struct buf	b;

	buf_init(&b, 0);
	admin_signal_table_sql(&b, "streamkap", 0);
	SQL_IS(b, "CREATE TABLE \"streamkap\".\"streamkap_signal\" (id VARCHAR(255) PRIMARY KEY, "
		   "type VARCHAR(32) NOT NULL, data VARCHAR(2000) NULL)");
	admin_signal_table_sql(&b, "my \"s\"", 1);
	SQL_IS(b, "CREATE TABLE \"my \"\"s\"\"\".\"streamkap_signal\" (\n"
		   "  id VARCHAR(255) PRIMARY KEY,\n"
		   "  type VARCHAR(32) NOT NULL,\n"
		   "  data VARCHAR(2000) NULL\n"
		   ")");
	admin_schema_usage_sql(&b, "my \"s\"", "streamkap_role");
	SQL_IS(b, "GRANT USAGE ON SCHEMA \"my \"\"s\"\"\" TO \"streamkap_role\"");
	admin_signal_grant_sql(&b, "s", "u\"x", 0);
	SQL_IS(b, "GRANT SELECT, UPDATE, INSERT ON TABLE \"s\".\"streamkap_signal\" TO \"u\"\"x\"");
	admin_signal_grant_sql(&b, "s", "streamkap_role", 1);
	SQL_IS(b, "GRANT SELECT, UPDATE, INSERT, DELETE ON TABLE \"s\".\"streamkap_signal\" TO \"streamkap_role\"");
	buf_free(&b);
}

static void
test_grants(void)
{
	struct buf	b;

	buf_init(&b, 0);
	admin_table_select_sql(&b, "public", "My \"T\"", "streamkap_role");
	SQL_IS(b, "GRANT SELECT ON \"public\".\"My \"\"T\"\"\" TO \"streamkap_role\"");
	admin_connect_sql(&b, "d'b", "streamkap_role");
	SQL_IS(b, "GRANT CONNECT ON DATABASE \"d'b\" TO \"streamkap_role\"");
	admin_replication_sql(&b, "my \"user\"");
	SQL_IS(b, "ALTER ROLE \"my \"\"user\"\"\" REPLICATION");
	buf_free(&b);
}

static void
test_publication(void)
{
	struct buf	b;
	const char *tables[] = {"\"public\".\"a\"", "\"x\".\"b\""};

	buf_init(&b, 0);
	admin_publication_sql(&b, "my \"pub\"", NULL, 0, NULL, 0);
	SQL_IS(b, "CREATE PUBLICATION \"my \"\"pub\"\"\" FOR ALL TABLES");
	admin_publication_sql(&b, "streamkap_pub", NULL, 0, NULL, 1);
	SQL_IS(b, "CREATE PUBLICATION \"streamkap_pub\" FOR ALL TABLES WITH (publish_via_partition_root = true)");
	admin_publication_sql(&b, "p", tables, 2, "streamkap", 0);
	SQL_IS(b, "CREATE PUBLICATION \"p\" FOR TABLE \"public\".\"a\", \"x\".\"b\", \"streamkap\".\"streamkap_signal\"");
	/* no table resolved (no connection): the signal table alone */
	admin_publication_sql(&b, "p", NULL, 0, "streamkap", 1);
	SQL_IS(b, "CREATE PUBLICATION \"p\" FOR TABLE \"streamkap\".\"streamkap_signal\" "
		   "WITH (publish_via_partition_root = true)");
	admin_publication_add_sql(&b, "my \"pub\"");
	SQL_IS(b, "ALTER PUBLICATION \"my \"\"pub\"\"\" ADD TABLE ");
	admin_publication_viaroot_sql(&b, "my \"pub\"");
	SQL_IS(b, "ALTER PUBLICATION \"my \"\"pub\"\"\" SET (publish_via_partition_root = true)");
	buf_free(&b);
}

static void
test_slot(void)
{
	struct buf	b;

	buf_init(&b, 0);
	admin_create_slot_sql(&b, "streamkap_slot", 0);
	SQL_IS(b, "SELECT pg_create_logical_replication_slot('streamkap_slot', 'pgoutput')");
	admin_create_slot_sql(&b, "it's", 1);
	SQL_IS(b, "SELECT pg_create_logical_replication_slot('it''s', 'pgoutput', failover => true)");
	admin_slot_exists_sql(&b, "it's");
	SQL_IS(b, "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'it''s'");
	admin_drop_slot_sql(&b, "it's");
	SQL_IS(b, "SELECT pg_drop_replication_slot('it''s')");
	admin_create_slot_cmd(&b, "s", 0);
	SQL_IS(b, "CREATE_REPLICATION_SLOT \"s\" LOGICAL pgoutput EXPORT_SNAPSHOT");
	admin_create_slot_cmd(&b, "s\"x", 1);
	SQL_IS(b, "CREATE_REPLICATION_SLOT \"s\"\"x\" LOGICAL pgoutput (FAILOVER true, SNAPSHOT 'export')");
	admin_alter_slot_failover_cmd(&b, "s");
	SQL_IS(b, "ALTER_REPLICATION_SLOT \"s\" (FAILOVER true)");
	admin_drop_slot_cmd(&b, "s");
	SQL_IS(b, "DROP_REPLICATION_SLOT \"s\"");
	buf_free(&b);
}

/* A buf past its cap is failed, and the builders leave it so. */
static void
test_oom(void)
{
	struct buf	b;

	buf_init(&b, 8);
	admin_publication_sql(&b, "a long publication name", NULL, 0, NULL, 0);
	CHECK(buf_failed(&b));
	buf_free(&b);
}

int
main(void)
{
	test_role();
	test_signal();
	test_grants();
	test_publication();
	test_slot();
	test_oom();
	return TEST_REPORT("test_admin");
}
