/*
 * configtest.h — helpers shared by the configuration's unit tests
 * (test_config.c, test_filter.c, test_secret.c): temporary files, a
 * config with the required keys, and the tables' case types.  Include
 * after testhelp.h.
 */
#ifndef WALCAP_CONFIGTEST_H
#define WALCAP_CONFIGTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testhelp.h"

/* A secret that must appear in no message and no output. */
#define SECRET "hunter2-s3cr=t"

static char errbuf[1024];

/* Write content to a new file under /tmp; its path goes to path[64]. */
static inline void
write_tmp(char *path, const char *content)
{
	int			fd;
	size_t		len = strlen(content);

	strcpy(path, "/tmp/walcap_test_config_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, content, len) != (ssize_t) len)
	{
		perror("mkstemp/write");
		exit(2);
	}
	close(fd);
}

/* config_init() plus the two required keys. */
static inline void
init_base(struct config *c)
{
	config_init(c);
	CHECK_INT(config_set(c, "database.user", "u", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(c, "database.dbname", "shop", errbuf, sizeof(errbuf)), 0);
}

/* Setting key on a fresh config to value fails with exactly want. */
struct set_error_case
{
	const char *key;
	const char *value;
	const char *want;
};

/* Setting key=value on a fresh config fails with exactly want. */
static inline void
expect_set_error(const char *key, const char *value, const char *want)
{
	struct config c;

	config_init(&c);
	errbuf[0] = '\0';
	CHECK_INT(config_set(&c, key, value, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, want);
	config_free(&c);
}

/* Input text (a file's content) and the exact end of the error it gives. */
struct text_error_case
{
	const char *text;
	const char *rest;
};

/* config_print into a string (caller frees). */
static inline char *
printed(const struct config *c)
{
	char	   *out = NULL;
	size_t		len = 0;
	FILE	   *f = open_memstream(&out, &len);

	config_print(c, f);
	fclose(f);
	return out;
}

#endif
