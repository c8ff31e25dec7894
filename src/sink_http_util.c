/*
 * sink_http_util.c — the HTTP sink's parts that need no network; see
 * sink_http.h.
 */
#include "sink_http.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

/* ---- configuration ---- */

/* The length of the scheme and "://" that url starts with, or 0. */
static size_t
scheme_len(const char *url)
{
	if (strncasecmp(url, "http://", 7) == 0)
		return 7;
	if (strncasecmp(url, "https://", 8) == 0)
		return 8;
	return 0;
}

int
sink_http_url_check(const char *url, char *why, size_t whylen)
{
	size_t		s = scheme_len(url);
	size_t		auth_len;
	const char *host,
			   *end,
			   *port = NULL;

	for (const unsigned char *p = (const unsigned char *) url; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
		{
			snprintf(why, whylen, "the URL holds a space or a control character (write %%20 for a space in a path)");
			return -1;
		}
	if (s == 0)
	{
		snprintf(why, whylen, "not an http:// or https:// URL");
		return -1;
	}
	host = url + s;
	auth_len = strcspn(host, "/?#");
	if (memchr(host, '@', auth_len) != NULL)
	{
		snprintf(why, whylen, "credentials in the URL (user:password@) are refused: they would show wherever the URL does; put them in sink.http.authorization (e.g. Basic <base64 of user:password>)");
		return -1;
	}
	end = host + auth_len;
	if (host[0] == '[')
	{
		const char *close = memchr(host, ']', auth_len);

		if (close == NULL || close == host + 1)
		{
			snprintf(why, whylen, "an IPv6 address must be written [address]");
			return -1;
		}
		if (close + 1 < end)
		{
			if (close[1] != ':')
			{
				snprintf(why, whylen, "unexpected text after the ] of the IPv6 address");
				return -1;
			}
			port = close + 2;
		}
	}
	else
	{
		const char *colon = memchr(host, ':', auth_len);

		if (colon == host || auth_len == 0)
		{
			snprintf(why, whylen, "no host after %.*s", (int) s, url);
			return -1;
		}
		if (colon != NULL)
			port = colon + 1;
	}
	if (port != NULL)
	{
		long		n = 0;

		if (port == end)
		{
			snprintf(why, whylen, "no port number after the ':'");
			return -1;
		}
		for (const char *p = port; p < end; p++)
		{
			if (!isdigit((unsigned char) *p) || n > 65535)
			{
				snprintf(why, whylen, "the port is not a number from 1 to 65535");
				return -1;
			}
			n = n * 10 + (*p - '0');
		}
		if (n < 1 || n > 65535)
		{
			snprintf(why, whylen, "the port is not a number from 1 to 65535");
			return -1;
		}
	}
	return 0;
}

void
sink_http_url_shown(const char *url, char *out, size_t outlen)
{
	size_t		s = scheme_len(url);
	size_t		n = s + strcspn(url + s, "?#");

	if (outlen == 0)
		return;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

int
sink_http_value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* RFC 9110's tchar. */
static int
token_char(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
sink_http_header_check(const char *name, const char *value, char *why, size_t whylen)
{
	static const char *const refused[][2] = {
		{"Authorization", "set sink.http.authorization instead (a secret: never shown, and it may come from a file or WALCAP_SINK_HTTP_AUTHORIZATION)"},
		{"Content-Length", "libcurl sets it from the body"},
		{"Transfer-Encoding", "libcurl frames the body itself"},
	};

	if (name[0] == '\0')
	{
		snprintf(why, whylen, "a header name must follow \"" CONFIG_HTTP_HEADER_PREFIX "\"");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
		if (!token_char(*p))
		{
			snprintf(why, whylen, "not an HTTP header name (letters, digits and !#$%%&'*+-.^_`|~ only)");
			return -1;
		}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strcasecmp(name, refused[i][0]) == 0)
		{
			snprintf(why, whylen, "walcap does not take this header here: %s", refused[i][1]);
			return -1;
		}
	if (!sink_http_value_ok(value))
	{
		snprintf(why, whylen, "the value holds a line break or another control character; a header's value is one line");
		return -1;
	}
	return 0;
}

/* ---- bodies ---- */

void
sink_http_frame_add(struct buf *b, enum config_http_format f, const char *run, size_t len)
{
	size_t		from;

	if (f == CONFIG_HTTP_NDJSON)
	{
		buf_append(b, run, len);
		return;
	}
	if (b->len == 0)
		buf_putc(b, '[');
	from = b->len;
	buf_append(b, run, len);
	if (buf_failed(b))
		return;
	/* each value's '\n' becomes the ',' before the next (the last, "]") */
	for (char *p = b->data + from, *e = b->data + b->len;
		 (p = memchr(p, '\n', (size_t) (e - p))) != NULL; p++)
		*p = ',';
}

void
sink_http_frame_end(struct buf *b, enum config_http_format f)
{
	if (f == CONFIG_HTTP_ARRAY && b->len > 1 && !buf_failed(b))
		b->data[b->len - 1] = ']';
}

/* ---- answers ---- */

enum sink_http_verdict
sink_http_classify(long status, int curl_code)
{
	switch ((CURLcode) curl_code)
	{
		case CURLE_OK:
			break;
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_WEIRD_SERVER_REPLY:
		case CURLE_HTTP2:
		case CURLE_PARTIAL_FILE:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_AGAIN:
		case CURLE_HTTP2_STREAM:
		case CURLE_HTTP3:
		case CURLE_QUIC_CONNECT_ERROR:
			return SINK_HTTP_RETRY;
		default:
			return SINK_HTTP_STOP;
	}
	if (status >= 200 && status <= 299)
		return SINK_HTTP_DONE;
	if (status == 408 || status == 429 || (status >= 500 && status <= 599))
		return SINK_HTTP_RETRY;
	return SINK_HTTP_STOP;
}

const char *
sink_http_reason(long status)
{
	static const struct
	{
		short		code;
		const char *text;
	}			reasons[] = {
		{100, "Continue"}, {101, "Switching Protocols"},
		{200, "OK"}, {201, "Created"}, {202, "Accepted"},
		{203, "Non-Authoritative Information"}, {204, "No Content"},
		{205, "Reset Content"}, {206, "Partial Content"},
		{300, "Multiple Choices"}, {301, "Moved Permanently"}, {302, "Found"},
		{303, "See Other"}, {304, "Not Modified"}, {305, "Use Proxy"},
		{307, "Temporary Redirect"}, {308, "Permanent Redirect"},
		{400, "Bad Request"}, {401, "Unauthorized"}, {402, "Payment Required"},
		{403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
		{406, "Not Acceptable"}, {407, "Proxy Authentication Required"},
		{408, "Request Timeout"}, {409, "Conflict"}, {410, "Gone"},
		{411, "Length Required"}, {412, "Precondition Failed"},
		{413, "Content Too Large"}, {414, "URI Too Long"},
		{415, "Unsupported Media Type"}, {416, "Range Not Satisfiable"},
		{417, "Expectation Failed"}, {421, "Misdirected Request"},
		{422, "Unprocessable Content"}, {426, "Upgrade Required"},
		{428, "Precondition Required"}, {429, "Too Many Requests"},
		{431, "Request Header Fields Too Large"},
		{451, "Unavailable For Legal Reasons"},
		{500, "Internal Server Error"}, {501, "Not Implemented"},
		{502, "Bad Gateway"}, {503, "Service Unavailable"},
		{504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"},
		{507, "Insufficient Storage"}, {511, "Network Authentication Required"},
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return "";
}

void
sink_http_first_line(const char *body, size_t len, const char *const *hide, int nhide,
					 char *out, size_t outlen)
{
	char		line[2048];
	size_t		n = 0;
	const char *p = body,
			   *e = body + len;

	if (outlen == 0)
		return;
	out[0] = '\0';
	/* the first line with anything but white space */
	for (;;)
	{
		const char *q = p;

		while (p < e && *p != '\n' && *p != '\r')
			p++;
		while (q < p && isspace((unsigned char) *q))
			q++;
		if (q < p || p >= e)
		{
			p = q;
			break;
		}
		p++;
	}
	while (p < e && *p != '\n' && *p != '\r' && n < sizeof(line) - 1)
	{
		unsigned char c = (unsigned char) *p++;

		line[n++] = c < ' ' || c == 0x7f ? '?' : (char) c;
	}
	while (n > 0 && isspace((unsigned char) line[n - 1]))
		n--;
	line[n] = '\0';
	/* secrets as ******** (the line may only grow here: rebuilt into out) */
	{
		size_t		o = 0;

		for (size_t i = 0; i < n && o + 1 < outlen;)
		{
			size_t		m = 0;

			for (int h = 0; h < nhide && m == 0; h++)
				if (hide[h] != NULL && hide[h][0] != '\0' &&
					strncmp(line + i, hide[h], strlen(hide[h])) == 0)
					m = strlen(hide[h]);
			if (m > 0)
			{
				for (const char *s = "********"; *s && o + 1 < outlen; s++)
					out[o++] = *s;
				i += m;
			}
			else
				out[o++] = line[i++];
			if (o + 1 == outlen && i < n && outlen > 4)
			{
				memcpy(out + outlen - 4, "...", 3);
				o = outlen - 1;
			}
		}
		out[o] = '\0';
	}
}

int64_t
sink_http_retry_after_ms(const char *value, int64_t now_unix)
{
	struct tm	tm;
	const char *end;
	int64_t		s = 0;

	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char) *value))
	{
		for (; isdigit((unsigned char) *value); value++)
			if (s < 100000000)
				s = s * 10 + (*value - '0');
		while (*value == ' ' || *value == '\t')
			value++;
		return *value == '\0' ? s * 1000 : -1;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return -1;
	s = (int64_t) timegm(&tm) - now_unix;
	return s > 0 ? s * 1000 : 0;
}

int64_t
sink_http_backoff_ms(int64_t initial_ms, int64_t max_ms, int n, int64_t retry_after_ms)
{
	int64_t		w = initial_ms;

	for (int i = 1; i < n && w < max_ms; i++)
		w *= 2;
	if (retry_after_ms > w)
		w = retry_after_ms;
	return w < max_ms ? w : max_ms;
}
