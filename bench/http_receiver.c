/*
 * bench/http_receiver.c — the receiver of bench/http: an HTTP/1.1 server
 * on 127.0.0.1 that reads every POST's body, counts its bytes and its
 * '\n's (NDJSON events), throws it away and answers 200, keeping the
 * connection open.
 *
 *   http_receiver            prints the port it listens on, one line;
 *                            on SIGTERM or SIGINT prints
 *                            "requests N bytes N lines N" and exits 0
 *
 * Why C and not Node (the tests' receiver, tests/integration/
 * http_server.js): the benchmark runs walcap, the walsender and this on
 * two cores, so what the receiver spends per byte is taken from the
 * other two.  Here a body costs a read() per 1 MiB and a memchr() pass;
 * Node would run JavaScript per chunk of 64 KiB.
 *
 * Only what walcap sends is understood: Content-Length bodies (no
 * chunked encoding), no pipelining beyond a request at a time per
 * connection, headers in one 64 KiB buffer.  One thread, poll().
 *
 * Build: cc -O2 -o http_receiver bench/http_receiver.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXCONN 64
#define HDR_MAX 65536
#define READ_MAX (1 << 20)

struct conn
{
	int			fd;
	char		hdr[HDR_MAX];	/* the request's head as it arrives */
	size_t		hlen;
	long long	body_left;		/* -1: reading the head */
};

static volatile sig_atomic_t stop;
static unsigned long long requests, bytes, lines;
static char buf[READ_MAX];

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static void
answer(struct conn *c)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

	requests++;
	if (write(c->fd, ok, sizeof(ok) - 1) != (ssize_t) sizeof(ok) - 1)
	{
		close(c->fd);
		c->fd = -1;
	}
	c->hlen = 0;
	c->body_left = -1;
}

/* Count the body bytes in p[0..n), answer when the body is complete; bytes used. */
static size_t
eat_body(struct conn *c, const char *p, size_t n)
{
	size_t		take = (long long) n < c->body_left ? n : (size_t) c->body_left;

	bytes += take;
	for (const char *q = p, *e = p + take; (q = memchr(q, '\n', (size_t) (e - q))) != NULL; q++)
		lines++;
	c->body_left -= (long long) take;
	if (c->body_left == 0)
		answer(c);
	return take;
}

/* Head bytes: once it is complete, its Content-Length; bytes used, or -1 (close). */
static long
eat_head(struct conn *c, const char *p, size_t n)
{
	size_t		room = HDR_MAX - 1 - c->hlen;
	size_t		take = n < room ? n : room;
	char	   *end,
			   *cl;
	size_t		used;

	memcpy(c->hdr + c->hlen, p, take);
	c->hlen += take;
	c->hdr[c->hlen] = '\0';
	if ((end = strstr(c->hdr, "\r\n\r\n")) == NULL)
		return c->hlen == HDR_MAX - 1 ? -1 : (long) take;
	used = take - (c->hlen - (size_t) (end + 4 - c->hdr));
	*end = '\0';
	c->body_left = 0;
	for (cl = c->hdr; (cl = strchr(cl, '\n')) != NULL;)
	{
		cl++;
		if (strncasecmp(cl, "Content-Length:", 15) == 0)
			c->body_left = atoll(cl + 15);
	}
	if (c->body_left == 0)
		answer(c);
	return (long) used;
}

int
main(void)
{
	struct sockaddr_in a;
	socklen_t	alen = sizeof(a);
	struct pollfd p[MAXCONN + 1];
	static struct conn conns[MAXCONN];
	int			lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int			one = 1;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		bind(lfd, (struct sockaddr *) &a, sizeof(a)) != 0 || listen(lfd, 16) != 0 ||
		getsockname(lfd, (struct sockaddr *) &a, &alen) != 0)
	{
		perror("http_receiver: listen");
		return 1;
	}
	printf("%d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (int i = 0; i < MAXCONN; i++)
		conns[i].fd = -1;
	while (!stop)
	{
		int			n = 0;

		p[n++] = (struct pollfd) {lfd, POLLIN, 0};
		for (int i = 0; i < MAXCONN; i++)
			if (conns[i].fd >= 0)
				p[n++] = (struct pollfd) {conns[i].fd, POLLIN, 0};
		if (poll(p, (nfds_t) n, 200) < 0)
		{
			if (errno == EINTR)
				continue;
			perror("http_receiver: poll");
			return 1;
		}
		if (p[0].revents & POLLIN)
		{
			int			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			for (int i = 0; fd >= 0 && i < MAXCONN; i++)
				if (conns[i].fd < 0)
				{
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					conns[i].fd = fd;
					conns[i].hlen = 0;
					conns[i].body_left = -1;
					fd = -1;
				}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < MAXCONN; i++)
		{
			struct conn *c = &conns[i];
			ssize_t		r;
			size_t		off = 0;

			if (c->fd < 0)
				continue;
			r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0)
			{
				close(c->fd);
				c->fd = -1;
				continue;
			}
			while (off < (size_t) r && c->fd >= 0)
			{
				long		used;

				if (c->body_left >= 0)
					used = (long) eat_body(c, buf + off, (size_t) r - off);
				else if ((used = eat_head(c, buf + off, (size_t) r - off)) < 0)
				{
					close(c->fd);
					c->fd = -1;
					break;
				}
				off += (size_t) used;
			}
		}
	}
	printf("requests %llu bytes %llu lines %llu\n", requests, bytes, lines);
	return 0;
}
