/*
 * config_file.c — the properties file's syntax and --set arguments:
 * lines, comments, a byte order mark, the key=value split and trimming;
 * each key=value found goes to config_set() (config.c), which knows the
 * keys.  See config.h for the contract and docs/config.md, "File syntax".
 *
 * A line may hold the password, so copies are wiped and messages about a
 * malformed line never quote it.
 */
#include "config.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Trim blanks off s[0..*len); returns the new start, *len the new length. */
static char *
trim(char *s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char) *s))
		s++, (*len)--;
	while (*len > 0 && isspace((unsigned char) s[*len - 1]))
		(*len)--;
	s[*len] = '\0';
	return s;
}

/* Whether key is made only of the characters keys are made of. */
static int
valid_key_chars(const char *key)
{
	for (; *key; key++)
		if (!isalnum((unsigned char) *key) && *key != '.' && *key != '_' &&
			*key != '-')
			return 0;
	return 1;
}

/*
 * Split the key=value text in line (modified in place) and set it.  The
 * message, on failure, has no location; it never quotes a malformed line,
 * which may hold a password.
 */
static int
apply_line(config_line_fn fn, void *arg, char *line, size_t len, char *msg, size_t msglen)
{
	char	   *eq = memchr(line, '=', len);
	char	   *key;
	char	   *value;
	size_t		klen;
	size_t		vlen;

	if (eq == NULL)
		return errbuf_fail(msg, msglen, "expected key=value");
	klen = (size_t) (eq - line);
	vlen = len - klen - 1;
	key = trim(line, &klen);
	value = trim(eq + 1, &vlen);
	if (klen == 0)
		return errbuf_fail(msg, msglen, "expected key=value, found no key before '='");
	if (!valid_key_chars(key))
		return errbuf_fail(msg, msglen,
					"expected key=value with a key of letters, digits, '.', '_' and '-'");
	return fn(arg, key, value, msg, msglen);
}

static int
set_line(void *arg, const char *key, const char *value, char *msg, size_t msglen)
{
	return config_set(arg, key, value, msg, msglen);
}

/* Apply each line of path in order; stops at the first bad line. */
int
config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	return config_read_file(path, set_line, c, err, errlen);
}

int
config_read_file(const char *path, config_line_fn fn, void *arg, char *err, size_t errlen)
{
	FILE	   *f;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	int			lineno = 0;
	int			rc = 0;
	char		msg[1024];

	if ((f = fopen(path, "r")) == NULL)
		return errbuf_fail(err, errlen, "config: cannot open \"%s\": %s",
					path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0)
	{
		char	   *s = line;
		size_t		len = (size_t) n;

		lineno++;
		if (lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3, len -= 3;	/* a UTF-8 byte order mark */
		if (memchr(s, '\0', len) != NULL)
		{
			rc = errbuf_fail(err, errlen, "config: %s:%d: line contains a NUL byte",
					  path, lineno);
			break;
		}
		s = trim(s, &len);
		if (len == 0 || s[0] == '#' || s[0] == '!')
			continue;
		if (apply_line(fn, arg, s, len, msg, sizeof(msg)) != 0)
		{
			rc = errbuf_fail(err, errlen, "config: %s:%d: %s", path, lineno, msg);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = errbuf_fail(err, errlen, "config: error reading \"%s\": %s",
				  path, strerror(errno));
	if (line != NULL)
		secret_wipe(line, cap);		/* it may have held the password */
	free(line);
	fclose(f);
	return rc;
}

/* One --set argument: key=value split at the first '='. */
int
config_set_arg(struct config *c, const char *arg, char *err, size_t errlen)
{
	size_t		len = strlen(arg);
	char	   *copy = malloc(len + 1);
	char		msg[1024];
	int			rc;

	if (copy == NULL)
		return errbuf_fail(err, errlen, "config: --set: out of memory");
	memcpy(copy, arg, len + 1);
	rc = apply_line(set_line, c, copy, len, msg, sizeof(msg));
	secret_wipe(copy, len);
	free(copy);
	if (rc != 0)
		return errbuf_fail(err, errlen, "config: --set: %s", msg);
	return 0;
}
