/*
 * test_console.c — unit tests for console.c and the embedding
 * (scripts/embed.c): every file of web/ is served byte for byte as it is
 * on disk, "/" is index.html, each with its content type; anything else
 * is not found.  Run from the repository root (tests/run-unit is).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "testhelp.h"

/* The whole of path, malloc'd, or NULL. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long		n;

	if (f == NULL)
	{
		perror(path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
		(data = malloc((size_t) n + 1)) != NULL)
	{
		*len = fread(data, 1, (size_t) n, f);
		if (*len != (size_t) n)
		{
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

/* path is served with exactly the bytes of file and content type want_type. */
static void
check_served(const char *path, const char *file, const char *want_type)
{
	const unsigned char *data = NULL;
	const char *type = NULL;
	size_t		len = 0,
				flen = 0;
	unsigned char *disk = slurp(file, &flen);

	CHECK(disk != NULL);
	CHECK_INT(console_asset(path, &data, &len, &type), 0);
	CHECK_STR(type, want_type);
	CHECK_INT(len, flen);
	CHECK(disk != NULL && data != NULL && len == flen && memcmp(data, disk, len) == 0);
	/* one NUL past the end, so text can be used as a string */
	CHECK(data != NULL && data[len] == '\0');
	free(disk);
}

static void
test_served(void)
{
	check_served("/", "web/index.html", "text/html; charset=utf-8");
	check_served("/index.html", "web/index.html", "text/html; charset=utf-8");
	check_served("/console.js", "web/console.js", "text/javascript; charset=utf-8");
	check_served("/console.css", "web/console.css", "text/css; charset=utf-8");
}

static void
test_not_found(void)
{
	static const char *const missing[] = {
		"", "/nope", "index.html", "/web/index.html", "/../web/index.html",
		"/console.js/", "/INDEX.HTML", "//", "/connectors",
	};
	const unsigned char *data = NULL;
	const char *type = NULL;
	size_t		len = 0;

	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
		CHECK_INT(console_asset(missing[i], &data, &len, &type), -1);
	CHECK_INT(console_asset(NULL, &data, &len, &type), -1);
}

/* No framework and nothing from elsewhere: the page loads only our files. */
static void
test_no_remote(void)
{
	const unsigned char *data = NULL;
	const char *type = NULL;
	size_t		len = 0;

	for (int i = 0; i < console_nfiles; i++)
	{
		const char *s = (const char *) console_files[i].data;

		CHECK(strstr(s, "http://") == NULL && strstr(s, "https://") == NULL);
	}
	CHECK_INT(console_asset("/", &data, &len, &type), 0);
	CHECK(strstr((const char *) data, "<script src=\"console.js\"></script>") != NULL);
	CHECK(strstr((const char *) data, "<link rel=\"stylesheet\" href=\"console.css\">") != NULL);
}

int
main(void)
{
	test_served();
	test_not_found();
	test_no_remote();
	return TEST_REPORT("test_console");
}
