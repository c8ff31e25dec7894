/*
 * log.c — stderr logging; see log.h.
 */
#include "log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_level current = LOGL_INFO;
static enum log_level last = LOGL_INFO;	/* level of the last message */

static const char *const names[] = {"ERROR", "WARNING", "INFO", "DEBUG"};

void
log_set_level(enum log_level level)
{
	current = level;
}

int
log_enabled(enum log_level level)
{
	return level <= current;
}

int
log_parse_level(const char *s)
{
	static const char *const lower[] = {"error", "warning", "info", "debug"};

	for (int i = 0; i < 4; i++)
		if (strcmp(s, lower[i]) == 0)
			return i;
	return -1;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list		ap;

	last = level;
	if (!log_enabled(level))
		return;
	fprintf(stderr, "walcap: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
log_cont(const char *label, const char *fmt, va_list ap)
{
	if (!log_enabled(last))
		return;
	fprintf(stderr, "walcap: %s: ", label);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_detail(const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	log_cont("DETAIL", fmt, ap);
	va_end(ap);
}

void
log_hint(const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	log_cont("HINT", fmt, ap);
	va_end(ap);
}

void
log_error_hint(const char *prefix, const char *err)
{
	const char *nl = strchr(err, '\n');

	if (nl == NULL)
	{
		log_error("%s%s", prefix, err);
		return;
	}
	log_error("%s%.*s", prefix, (int) (nl - err), err);
	log_hint("%s", nl + 1);
}

void
log_human_size(char *out, size_t len, int64_t n)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double		v = (double) n;
	int			u = 0;

	while (v >= 1024 && u < 4)
	{
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%" PRId64 " bytes", n);
	else
		snprintf(out, len, "%.1f %s", v, units[u]);
}

int
errbuf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
