/*
 * secret.h — secrets in the configuration: which keys hold one, where a
 * secret may come from besides its key (a *.file key, an environment
 * variable), wiping before release, and the masked form --print-config
 * writes.  A secret appears in no message and no output: messages here
 * name keys, files and variables, never a secret's text.
 *
 * Every function that can fail writes a one-line message into the
 * caller's err[errlen] and returns -1.  Strings returned through char **
 * are malloc'd and owned by the caller, who releases them with
 * secret_free().
 */
#ifndef WALCAP_SECRET_H
#define WALCAP_SECRET_H

#include <stddef.h>
#include <stdio.h>

/* Longest secret accepted from a *.file key (database.password.file, ...). */
#define SECRET_FILE_MAX 4096

/*
 * librdkafka secrets that may also come from the environment, NULL
 * terminated: each from WALCAP_KAFKA_ plus the name in capitals with '.'
 * as '_' (secret_env_name).
 */
extern const char *const secret_kafka_env[];

/* Overwrite n bytes at p, in a way the compiler does not drop. */
void	secret_wipe(void *p, size_t n);
/* Wipe and free() a NUL-terminated secret; NULL is allowed. */
void	secret_free(char *s);

/*
 * Set a secret key: the old *field is wiped and freed; an empty value
 * leaves it unset (NULL).  *from becomes key (a static name the caller
 * keeps alive) when set, NULL when not.
 */
int		secret_set(char **field, const char **from, const char *key,
				   const char *value, char *err, size_t errlen);

/*
 * Read a secret from path into *out: the whole file, trailing CR/LF
 * removed; it must be one non-empty line of at most SECRET_FILE_MAX
 * bytes.  key names the *.file key in messages.
 */
int		secret_read_file(const char *key, const char *path, char **out,
						 char *err, size_t errlen);

/*
 * A secret its key did not give (*field NULL): read it from file (the
 * value of file_key) if that is set, else take the environment variable
 * env if it is set and not empty.  *from records file_key or env.
 * Nothing changes when *field is already set.
 */
int		secret_fallback(char **field, const char **from, const char *file_key,
						const char *file, const char *env, char *err, size_t errlen);

/* prefix plus name in capitals with '.' as '_', into out[outlen]. */
void	secret_env_name(const char *prefix, const char *name, char *out, size_t outlen);

/* Whether librdkafka property name (no "kafka." prefix) holds a secret. */
int		config_kafka_secret(const char *name);

/*
 * Whether the HTTP sink's request header name (a sink.http.header.<Name>
 * key without the prefix) holds a secret: its name contains auth, token,
 * key, secret, password, cookie, signature, credential or session, in
 * any case.  Such a value is masked and refused on the command line as
 * any secret (the Authorization header has its own key).
 */
int		config_http_header_secret(const char *name);

/*
 * A secret's --print-config line: "key =" when unset, else masked, with
 * "(from <from>)" when it came from elsewhere than key itself.
 */
void	secret_print(FILE *f, const char *key, const char *value, const char *from);

#endif
