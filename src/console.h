/* console.h — placeholder until the console lands: the embedded web console's files. */
#ifndef WALCAP_CONSOLE_H
#define WALCAP_CONSOLE_H
#include <stddef.h>
int console_asset(const char *path, const unsigned char **data, size_t *len, const char **content_type);
#endif
