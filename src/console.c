/* console.c — placeholder until the console lands. */
#include "console.h"

int
console_asset(const char *path, const unsigned char **data, size_t *len, const char **content_type)
{
	(void) path;
	(void) data;
	(void) len;
	(void) content_type;
	return -1;
}
