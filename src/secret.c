/*
 * secret.c — reading, wiping and masking secrets; see secret.h.
 *
 * A secret's copies on the stack and in freed memory are wiped, so that
 * a core file or a later allocation does not show it.
 */
#include "secret.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const secret_kafka_env[] = {
	"sasl.password", "ssl.key.password", "ssl.keystore.password",
	"sasl.oauthbearer.client.secret", NULL
};

void
secret_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

void
secret_free(char *s)
{
	if (s != NULL)
	{
		secret_wipe(s, strlen(s));
		free(s);
	}
}

int
secret_set(char **field, const char **from, const char *key, const char *value,
		   char *err, size_t errlen)
{
	char	   *old = *field;

	*field = NULL;
	*from = NULL;
	secret_free(old);
	if (value[0] == '\0')
		return 0;
	if ((*field = strdup(value)) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	*from = key;
	return 0;
}

int
secret_read_file(const char *key, const char *path, char **out, char *err, size_t errlen)
{
	char		data[SECRET_FILE_MAX + 3];	/* two line-end bytes, NUL */
	size_t		len;
	int			more;
	FILE	   *f;
	int			rc;

	if ((f = fopen(path, "r")) == NULL)
		return errbuf_fail(err, errlen, "%s: cannot open \"%s\": %s",
					key, path, strerror(errno));
	len = fread(data, 1, sizeof(data) - 1, f);
	more = len == sizeof(data) - 1 && fgetc(f) != EOF;
	if (ferror(f))
	{
		rc = errbuf_fail(err, errlen, "%s: error reading \"%s\": %s",
				  key, path, strerror(errno));
		fclose(f);
		secret_wipe(data, sizeof(data));
		return rc;
	}
	fclose(f);
	data[len] = '\0';
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';

	if (more || len > SECRET_FILE_MAX)
		rc = errbuf_fail(err, errlen, "%s: \"%s\" is longer than %d bytes",
				  key, path, SECRET_FILE_MAX);
	else if (len == 0)
		rc = errbuf_fail(err, errlen, "%s: \"%s\" is empty", key, path);
	else if (memchr(data, '\0', len) != NULL || memchr(data, '\n', len) != NULL ||
			 memchr(data, '\r', len) != NULL)
		rc = errbuf_fail(err, errlen,
				  "%s: \"%s\" must hold the secret alone on one line", key, path);
	else if ((*out = strdup(data)) == NULL)
		rc = errbuf_fail(err, errlen, "%s: out of memory", key);
	else
		rc = 0;
	secret_wipe(data, sizeof(data));
	return rc;
}

int
secret_fallback(char **field, const char **from, const char *file_key, const char *file,
				const char *env, char *err, size_t errlen)
{
	const char *v;

	if (*field != NULL)
		return 0;
	if (file != NULL)
	{
		if (secret_read_file(file_key, file, field, err, errlen) != 0)
			return -1;
		*from = file_key;
	}
	else if ((v = getenv(env)) != NULL && v[0] != '\0')
	{
		if ((*field = strdup(v)) == NULL)
			return errbuf_fail(err, errlen, "%s: out of memory", env);
		*from = env;
	}
	return 0;
}

void
secret_env_name(const char *prefix, const char *name, char *out, size_t outlen)
{
	size_t		n = (size_t) snprintf(out, outlen, "%s", prefix);

	if (n >= outlen)
		return;
	for (const char *p = name; *p && n + 1 < outlen; p++)
		out[n++] = *p == '.' ? '_' : (char) toupper((unsigned char) *p);
	out[n] = '\0';
}

int
config_kafka_secret(const char *name)
{
	return strstr(name, "password") != NULL || strstr(name, "secret") != NULL ||
		strcmp(name, "ssl.key.pem") == 0 || strcmp(name, "sasl.oauthbearer.config") == 0;
}

/*
 * Header names that say their value is a credential, compared without
 * case: X-Api-Key, X-Auth-Token, Cookie, X-Hub-Signature, ...
 */
int
config_http_header_secret(const char *name)
{
	static const char *const words[] = {
		"auth", "token", "key", "secret", "password", "cookie", "signature",
		"credential", "session", NULL
	};

	for (int i = 0; words[i] != NULL; i++)
		if (strcasestr(name, words[i]) != NULL)
			return 1;
	return 0;
}

void
secret_print(FILE *f, const char *key, const char *value, const char *from)
{
	if (value == NULL)
		fprintf(f, "%s =\n", key);
	else if (from == NULL || strcmp(from, key) == 0)
		fprintf(f, "%s = ********\n", key);
	else
		fprintf(f, "%s = ******** (from %s)\n", key, from);
}
