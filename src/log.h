/*
 * log.h — leveled logging to stderr.
 *
 * stdout carries events only, so every diagnostic goes through here.  A
 * line is "walcap: LEVEL: message"; log_detail()/log_hint() add the
 * PostgreSQL-style continuation lines that say why and how to fix it.
 * Messages must never contain a password: callers pass identifiers and
 * server messages, not connection strings.
 */
#ifndef WALCAP_LOG_H
#define WALCAP_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level
{
	LOGL_ERROR = 0,
	LOGL_WARNING,
	LOGL_INFO,
	LOGL_DEBUG,
};

void	log_set_level(enum log_level level);
int		log_enabled(enum log_level level);

/* Parse "error", "warning", "info", "debug"; -1 if none of them. */
int		log_parse_level(const char *s);

void	log_msg(enum log_level level, const char *fmt, ...)
			__attribute__((format(printf, 2, 3)));
/* Continuation lines of the message just logged at the same level. */
void	log_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * An error whose text is "message\nhint" (as pgconn_connect and the
 * tunnel write them): an ERROR line with prefix, then a HINT line.
 */
void	log_error_hint(const char *prefix, const char *err);

#define log_error(...)   log_msg(LOGL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOGL_WARNING, __VA_ARGS__)
#define log_info(...)    log_msg(LOGL_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_enabled(LOGL_DEBUG)) log_msg(LOGL_DEBUG, __VA_ARGS__); } while (0)

/*
 * "12.3 MiB" (binary units; plain "N bytes" below 1 KiB) for n bytes: how
 * messages and reports show a size.
 */
void		log_human_size(char *out, size_t len, int64_t n);

/*
 * Write a message into the caller's err[errlen] (when there is room) and
 * return -1, so that error paths read "return errbuf_fail(err, errlen, ...)".
 */
int			errbuf_fail(char *err, size_t errlen, const char *fmt, ...)
			__attribute__((format(printf, 3, 4)));

#endif
