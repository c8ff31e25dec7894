/*
 * console.c — look up the web console's embedded files (console.h).
 */
#include <string.h>

#include "console.h"

/* The content type of a file name, by its extension. */
static const char *
content_type_of(const char *path)
{
	static const struct
	{
		const char *ext;
		const char *type;
	}			types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".json", "application/json"},
		{".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');

	if (dot != NULL)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

int
console_asset(const char *path, const unsigned char **data, size_t *len,
			  const char **content_type)
{
	if (path == NULL)
		return -1;
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (int i = 0; i < console_nfiles; i++)
	{
		if (strcmp(console_files[i].path, path) == 0)
		{
			*data = console_files[i].data;
			*len = console_files[i].len;
			*content_type = content_type_of(path);
			return 0;
		}
	}
	return -1;
}
