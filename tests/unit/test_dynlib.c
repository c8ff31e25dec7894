/*
 * test_dynlib.c — libssh, libmicrohttpd, librdkafka and hiredis are not linked
 * in: none is mapped until dynlib_load opens it by the SONAME the
 * Makefile read, and then its functions answer; a missing library or
 * function is an error that names it and the package to install.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <libssh/libssh.h>
#include <microhttpd.h>

#include "dynlib.h"
#include "testhelp.h"

#define SSH_FUNCS(X) X(ssh_version)
#define MHD_FUNCS(X) X(MHD_get_version)
#define KAFKA_FUNCS(X) X(rd_kafka_version_str)
#define HIREDIS_FUNCS(X) X(redisReaderCreate) X(redisReaderFree)

static DYNLIB_TABLE(SSH_FUNCS) S;
static DYNLIB_TABLE(MHD_FUNCS) M;
static DYNLIB_TABLE(KAFKA_FUNCS) K;
static DYNLIB_TABLE(HIREDIS_FUNCS) R;
static const char *const ssh_names[] = {SSH_FUNCS(DYNLIB_NAME)};
static const char *const mhd_names[] = {MHD_FUNCS(DYNLIB_NAME)};
static const char *const kafka_names[] = {KAFKA_FUNCS(DYNLIB_NAME)};
static const char *const hiredis_names[] = {HIREDIS_FUNCS(DYNLIB_NAME)};
static struct dynlib ssh_lib = DYNLIB_INIT(WALCAP_LIBSSH_SONAME, "libssh-4", ssh_names, S);
static struct dynlib mhd_lib = DYNLIB_INIT(WALCAP_LIBMICROHTTPD_SONAME, "libmicrohttpd12", mhd_names, M);
static struct dynlib kafka_lib = DYNLIB_INIT(WALCAP_LIBRDKAFKA_SONAME, "librdkafka1", kafka_names, K);
static struct dynlib hiredis_lib = DYNLIB_INIT(WALCAP_LIBHIREDIS_SONAME, "libhiredis0.14", hiredis_names, R);

/* Whether a file whose name starts with prefix is mapped in this process. */
static int
mapped(const char *prefix)
{
	FILE	   *f = fopen("/proc/self/maps", "r");
	char		line[4096];
	int			found = 0;

	if (f == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
	{
		const char *slash = strrchr(line, '/');

		found = slash != NULL && strncmp(slash + 1, prefix, strlen(prefix)) == 0;
	}
	fclose(f);
	return found;
}

static void
test_not_linked(void)
{
	/* the unit tests link as walcap does (LDLIBS) */
	CHECK_INT(mapped("libssh.so"), 0);
	CHECK_INT(mapped("libmicrohttpd.so"), 0);
	CHECK_INT(mapped("librdkafka.so"), 0);
	CHECK_INT(mapped("libhiredis.so"), 0);
}

static void
test_load(void)
{
	char		err[512] = "";

	CHECK_STR(WALCAP_LIBSSH_SONAME, "libssh.so.4");
	CHECK_STR(WALCAP_LIBMICROHTTPD_SONAME, "libmicrohttpd.so.12");
	CHECK_STR(WALCAP_LIBRDKAFKA_SONAME, "librdkafka.so.1");
	CHECK_STR(WALCAP_LIBHIREDIS_SONAME, "libhiredis.so.0.14");

	CHECK_INT(dynlib_load(&ssh_lib, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(mapped("libssh.so.4"), 1);
	/* ssh_version(v) is NULL when the library is older than v */
	CHECK(S.ssh_version(SSH_VERSION_INT(0, 8, 0)) != NULL);

	CHECK_INT(dynlib_load(&mhd_lib, err, sizeof(err)), 0);
	CHECK_INT(mapped("libmicrohttpd.so.12"), 1);
	CHECK(strncmp(M.MHD_get_version(), "0.9.", 4) == 0 || strncmp(M.MHD_get_version(), "1.", 2) == 0);

	CHECK_INT(dynlib_load(&kafka_lib, err, sizeof(err)), 0);
	CHECK_INT(mapped("librdkafka.so.1"), 1);
	CHECK(strchr(K.rd_kafka_version_str(), '.') != NULL);

	CHECK_INT(dynlib_load(&hiredis_lib, err, sizeof(err)), 0);
	CHECK_INT(mapped("libhiredis.so.0.14"), 1);
	{
		redisReader *r = R.redisReaderCreate();

		CHECK(r != NULL);
		R.redisReaderFree(r);
	}

	/* a second load is a no-op */
	CHECK_INT(dynlib_load(&ssh_lib, err, sizeof(err)), 0);
	CHECK_STR(err, "");
}

static void
test_missing_library(void)
{
	static DYNLIB_TABLE(SSH_FUNCS) t;
	static struct dynlib lib = DYNLIB_INIT("libwalcap-nonesuch.so.7", "walcap-nonesuch7", ssh_names, t);
	char		err[512] = "";

	CHECK_INT(dynlib_load(&lib, err, sizeof(err)), -1);
	CHECK_STR(err, "cannot load libwalcap-nonesuch.so.7 (libwalcap-nonesuch.so.7: cannot open shared "
			  "object file: No such file or directory): install the package walcap-nonesuch7");
	CHECK(t.ssh_version == NULL);
	/* still failing the second time, not marked loaded */
	err[0] = '\0';
	CHECK_INT(dynlib_load(&lib, err, sizeof(err)), -1);
	CHECK(strncmp(err, "cannot load libwalcap-nonesuch.so.7 (", 37) == 0);
}

static void
test_missing_function(void)
{
	static const char *const names[] = {"ssh_version", "ssh_walcap_nonesuch"};
	static union
	{
		void		(*slot[2]) (void);
	}			t;
	static struct dynlib lib = DYNLIB_INIT(WALCAP_LIBSSH_SONAME, "libssh-4", names, t);
	char		err[512] = "";
	const char *want = WALCAP_LIBSSH_SONAME " has no function ssh_walcap_nonesuch (";

	CHECK_INT(dynlib_load(&lib, err, sizeof(err)), -1);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	CHECK(strstr(err, "): it is older than the one walcap was built against; "
				 "install the package libssh-4 as shipped with this system") != NULL);
}

/* A table whose size is not its name count is refused, not overrun. */
static void
test_table_mismatch(void)
{
	static const char *const names[] = {"ssh_version", "ssh_new"};
	static DYNLIB_TABLE(SSH_FUNCS) t;	/* one slot */
	static struct dynlib lib = DYNLIB_INIT(WALCAP_LIBSSH_SONAME, "libssh-4", names, t);
	char		err[512] = "";

	CHECK_INT(dynlib_load(&lib, err, sizeof(err)), -1);
	CHECK_STR(err, "libssh.so.4: the function table is not 2 slots");
}

int
main(void)
{
	test_not_linked();
	test_load();
	test_missing_library();
	test_missing_function();
	test_table_mismatch();
	return TEST_REPORT("test_dynlib");
}
