/*
 * tunnel.c — the SSH tunnel; see tunnel.h.
 *
 * The forwarding thread runs one poll() loop over the listener, the
 * session's socket and every forwarded connection's local socket.  The
 * session stays in blocking mode (connect.timeout.ms bounds each wait) so
 * that a channel write waits for the peer's window as ssh(1) does; reads
 * from channels are non-blocking.  Flow control is the SSH window: a
 * channel is read only when what was read from it before has reached its
 * local socket, so a slow reader (walcap blocked on its sink) holds back
 * only its own channel, and the others — status updates going out on the
 * replication connection, a heartbeat query — keep moving.  What walcap
 * sends is small (queries, status updates): a write that waits for the
 * window, or a channel being opened, holds the loop for at most
 * connect.timeout.ms, after which the session counts as lost.
 */
#include "tunnel.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "dynlib.h"
#include "log.h"

#ifndef WALCAP_LIBSSH_SONAME
#error "WALCAP_LIBSSH_SONAME is unset: the Makefile found no libssh.so (install libssh-dev)"
#endif

/*
 * libssh, opened by tunnel_ensure (src/dynlib.h): its constructor sets up
 * OpenSSL, megabytes that a run without ssh.enabled should not carry.
 * L.f is libssh's f; ssh_callbacks_init is a macro and needs no entry.
 */
#define LIBSSH_FUNCS(X) \
	X(ssh_add_channel_callbacks) X(ssh_blocking_flush) X(ssh_channel_close) \
	X(ssh_channel_free) X(ssh_channel_is_eof) X(ssh_channel_is_open) X(ssh_channel_new) \
	X(ssh_channel_open_forward) X(ssh_channel_read_nonblocking) X(ssh_channel_write) \
	X(ssh_clean_pubkey_hash) X(ssh_connect) X(ssh_disconnect) X(ssh_free) X(ssh_get_error) \
	X(ssh_get_fd) X(ssh_get_fingerprint_hash) X(ssh_get_publickey_hash) \
	X(ssh_get_server_publickey) X(ssh_get_status) X(ssh_is_connected) X(ssh_key_free) \
	X(ssh_key_type) X(ssh_key_type_to_char) X(ssh_new) X(ssh_options_set) \
	X(ssh_pki_import_privkey_file) X(ssh_remove_channel_callbacks) \
	X(ssh_session_export_known_hosts_entry) X(ssh_session_is_known_server) \
	X(ssh_set_log_callback) X(ssh_set_log_level) X(ssh_string_free_char) \
	X(ssh_userauth_list) X(ssh_userauth_publickey)

static DYNLIB_TABLE(LIBSSH_FUNCS) L;
static const char *const libssh_names[] = {LIBSSH_FUNCS(DYNLIB_NAME)};
static struct dynlib libssh = DYNLIB_INIT(WALCAP_LIBSSH_SONAME, "libssh-4", libssh_names, L);

/* Forwarded connections at once; walcap itself opens at most a handful. */
#define TUNNEL_MAX_FWD 32
/* Bytes read from a channel and not yet written to its local socket. */
#define TUNNEL_BUF 32768

/* One forwarded connection: a local socket and its channel. */
struct fwd
{
	int			fd;				/* accepted from the listener, non-blocking */
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;	/* sets pending */
	int			pending;		/* libssh holds data of this channel */
	size_t		off;			/* buf[off..len) still to write to fd */
	size_t		len;
	char		buf[TUNNEL_BUF];
};

/*
 * The process's tunnel.  Fields above the mutex belong to the thread
 * calling tunnel_ensure while no forwarding thread runs, and to the
 * forwarding thread while it does; those below it are shared under mu.
 */
static struct tunnel
{
	ssh_session ssh;
	int			listen_fd;
	int			port;
	int			wake[2];		/* a byte on wake[1] stops the thread */
	pthread_t	thr;
	int			running;		/* thr was started and not joined */
	int			opened;			/* it was open once: later opens are re-opens */
	char		db_host[256];
	int			db_port;
	char		where[320];		/* user@bastion:port */
	char		host_key[160];	/* "ssh-ed25519 SHA256:..." */
	char		verified[300];	/* how the host key was checked */
	struct fwd *fwd[TUNNEL_MAX_FWD];
	int			nfwd;

	pthread_mutex_t mu;
	unsigned	err_seq;		/* errors recorded so far */
	char		err[512];		/* the latest */
	int			dead;			/* the session is gone: open a new one */
	int			stop;
}			T = {
	.listen_fd = -1,
	.wake = {-1, -1},
	.mu = PTHREAD_MUTEX_INITIALIZER,
};

/* Record an error from the forwarding thread (under the mutex). */
static void record(int dead, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
record(int dead, const char *fmt,...)
{
	va_list		ap;

	pthread_mutex_lock(&T.mu);
	va_start(ap, fmt);
	vsnprintf(T.err, sizeof(T.err), fmt, ap);
	va_end(ap);
	T.err_seq++;
	if (dead)
		T.dead = 1;
	pthread_mutex_unlock(&T.mu);
}

int
tunnel_error_since(unsigned seq, char *err, size_t errlen)
{
	int			found;

	pthread_mutex_lock(&T.mu);
	found = T.err_seq != seq;
	if (found)
		snprintf(err, errlen, "%s", T.err);
	pthread_mutex_unlock(&T.mu);
	return found;
}

/* ---- the forwarding thread ---- */

static void
fwd_close(int i)
{
	struct fwd *f = T.fwd[i];

	/*
	 * libssh keeps a freed channel until the bastion confirms the close,
	 * and would call f's callbacks from then on: detach them first.
	 */
	L.ssh_remove_channel_callbacks(f->ch, &f->cb);
	close(f->fd);
	if (L.ssh_channel_is_open(f->ch) && L.ssh_is_connected(T.ssh))
		L.ssh_channel_close(f->ch);
	L.ssh_channel_free(f->ch);
	free(f);
	T.fwd[i] = T.fwd[--T.nfwd];
}

/* Whether the session itself (not one channel) has failed. */
static int
session_lost(void)
{
	return !L.ssh_is_connected(T.ssh) ||
		(L.ssh_get_status(T.ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;
}

/*
 * Called by libssh whenever data arrives for f's channel, whichever
 * channel was being read: consume nothing (it stays in libssh's buffer),
 * only note that this channel has some.
 */
static int
on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
		int is_stderr, void *userdata)
{
	(void) session;
	(void) channel;
	(void) data;
	(void) len;
	(void) is_stderr;
	((struct fwd *) userdata)->pending = 1;
	return 0;
}

/* The same for the channel's end: reading it then reports the end. */
static void
on_end(ssh_session session, ssh_channel channel, void *userdata)
{
	(void) session;
	(void) channel;
	((struct fwd *) userdata)->pending = 1;
}

/*
 * Accept one connection and open its channel; closes it on failure.
 * Returns -1 if accept itself failed (out of descriptors, say).
 */
static int
fwd_accept(void)
{
	struct sockaddr_in peer;
	socklen_t	plen = sizeof(peer);
	int			fd = accept4(T.listen_fd, (struct sockaddr *) &peer, &plen,
							 SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct fwd *f;
	int			one = 1;
	int			rc;

	if (fd < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			errno == ECONNABORTED ? 0 : -1;
	if (T.nfwd == TUNNEL_MAX_FWD || (f = calloc(1, sizeof(*f))) == NULL)
	{
		record(0, "more than %d connections through the SSH tunnel at once", TUNNEL_MAX_FWD);
		close(fd);
		return 0;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	f->fd = fd;
	f->ch = L.ssh_channel_new(T.ssh);
	rc = f->ch ? L.ssh_channel_open_forward(f->ch, T.db_host, T.db_port, "127.0.0.1",
										    ntohs(peer.sin_port)) : SSH_ERROR;
	if (rc != SSH_OK)
	{
		/* no answer within connect.timeout.ms: the session is as good as lost */
		if (rc == SSH_AGAIN)
			record(1, "the bastion %s did not answer within connect.timeout.ms", T.where);
		else if (session_lost())
			record(1, "the SSH connection to %s was lost: %s", T.where, L.ssh_get_error(T.ssh));
		else
			record(0, "the bastion %s could not open a connection to %s:%d: %s", T.where,
				   T.db_host, T.db_port, L.ssh_get_error(T.ssh));
		if (f->ch)
			L.ssh_channel_free(f->ch);
		free(f);
		close(fd);
		return 0;
	}
	ssh_callbacks_init(&f->cb);
	f->cb.userdata = f;
	f->cb.channel_data_function = on_data;
	f->cb.channel_eof_function = on_end;
	f->cb.channel_close_function = on_end;
	L.ssh_add_channel_callbacks(f->ch, &f->cb);
	T.fwd[T.nfwd++] = f;
	return 0;
}

/* Write what f holds to its socket; -1 if the socket is gone. */
static int
fwd_flush(struct fwd *f)
{
	while (f->off < f->len)
	{
		ssize_t		n = write(f->fd, f->buf + f->off, f->len - f->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		f->off += (size_t) n;
	}
	f->off = f->len = 0;
	return 0;
}

/*
 * Move what the local socket has into the channel.  Returns 1 if bytes
 * moved, 0 if none, -1 to close the connection, -2 if the session is lost.
 */
static int
fwd_upstream(struct fwd *f)
{
	char		buf[16384];
	ssize_t		n = read(f->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;				/* libpq closed it (or it failed) */
	if (L.ssh_channel_write(f->ch, buf, (uint32_t) n) != (int) n)
		return session_lost() ? -2 : -1;
	return 1;
}

/* Move what the channel has into f's buffer and on; as fwd_upstream. */
static int
fwd_downstream(struct fwd *f)
{
	int			n;

	if (f->len > 0)
		return 0;				/* the socket has not taken the last read yet */
	f->pending = 0;
	n = L.ssh_channel_read_nonblocking(f->ch, f->buf, sizeof(f->buf), 0);
	if (n == SSH_EOF || (n == 0 && L.ssh_channel_is_eof(f->ch)))
		return -1;				/* the server closed it */
	if (n < 0)
		return session_lost() ? -2 : -1;
	if (n == 0)
		return 0;
	f->pending = 1;				/* there may be more than one read's worth */
	f->len = (size_t) n;
	return fwd_flush(f) == 0 ? 1 : -1;
}

/* Whether the stop byte arrived (drains the pipe). */
static int
stop_requested(void)
{
	char		b[16];
	int			stop;

	while (read(T.wake[0], b, sizeof(b)) > 0)
		;
	pthread_mutex_lock(&T.mu);
	stop = T.stop;
	pthread_mutex_unlock(&T.mu);
	return stop;
}

/*
 * Move what the channels hold to their sockets, until nothing moves and
 * no channel that could take more has data waiting in libssh (reading one
 * channel may bring in another's).  At most 64 rounds, so that a steady
 * stream does not starve the other direction: more waits for the next.
 * Returns 1 if data is still waiting, 0 if not, -1 if the session is lost.
 */
static int
drain_channels(void)
{
	for (int round = 0; round < 64; round++)
	{
		int			moved = 0,
					waiting = 0;

		for (int i = 0; i < T.nfwd; i++)
		{
			int			rc = fwd_downstream(T.fwd[i]);

			if (rc == -2)
				return -1;
			if (rc < 0)
				fwd_close(i--);
			else
				moved |= rc;
		}
		for (int i = 0; i < T.nfwd; i++)
			waiting |= T.fwd[i]->pending && T.fwd[i]->len == 0;
		if (!moved && !waiting)
			return 0;
	}
	return 1;
}

/*
 * After the session is lost: keep the listener (so that its port stays
 * ours) and close what connects to it at once, until tunnel_ensure()
 * stops this thread to open a new session.
 */
static void
refuse_until_stopped(void)
{
	for (;;)
	{
		struct pollfd p[2] = {{T.wake[0], POLLIN, 0}, {T.listen_fd, POLLIN, 0}};
		int			fd;

		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			return;
		if (p[0].revents && stop_requested())
			return;
		if (p[1].revents && (fd = accept4(T.listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(fd);
		else if (p[1].revents)
			poll(NULL, 0, 100);	/* out of descriptors: do not spin */
	}
}

static void *
forward(void *arg)
{
	struct pollfd p[TUNNEL_MAX_FWD + 3];
	int			accept_paused = 0;
	int			lost;

	(void) arg;
	for (;;)
	{
		int			n = 0,
					more,
					want_ssh = 0,
					ssh_events;

		lost = 0;
		if ((more = drain_channels()) < 0)
			lost = 1;

		p[n++] = (struct pollfd) {T.wake[0], POLLIN, 0};
		p[n++] = (struct pollfd) {accept_paused ? -1 : T.listen_fd, POLLIN, 0};
		for (int i = 0; i < T.nfwd; i++)
		{
			struct fwd *f = T.fwd[i];

			p[n++] = (struct pollfd) {f->fd, f->len > 0 ? POLLOUT : POLLIN, 0};
			want_ssh |= f->len == 0;
		}

		/*
		 * The session's socket: for reading while some channel can take
		 * data (when every one waits for its socket, the SSH window holds
		 * back the rest), for writing while libssh has output queued (a
		 * window adjustment, say).
		 */
		ssh_events = (want_ssh ? POLLIN : 0) |
			(L.ssh_get_status(T.ssh) & SSH_WRITE_PENDING ? POLLOUT : 0);
		p[n++] = (struct pollfd) {ssh_events && !lost ? L.ssh_get_fd(T.ssh) : -1, (short) ssh_events, 0};
		if (!lost && poll(p, (nfds_t) n, more || accept_paused ? (more ? 0 : 100) : 1000) < 0 &&
			errno != EINTR)
			lost = 1;
		accept_paused = 0;
		if (!lost && p[0].revents && stop_requested())
			break;
		if (!lost && (p[n - 1].revents & POLLOUT))
			L.ssh_blocking_flush(T.ssh, 0);
		/* local sockets: p[2 + i] is T.fwd[i] as it was before any close */
		for (int i = T.nfwd - 1; i >= 0 && !lost; i--)
		{
			struct fwd *f = T.fwd[i];
			short		ev = p[2 + i].revents;
			int			rc = 0;

			if (ev == 0)
				continue;
			if (f->len > 0)
				rc = (ev & (POLLERR | POLLHUP | POLLNVAL)) && !(ev & POLLOUT) ? -1 : fwd_flush(f);
			else
				rc = fwd_upstream(f);
			if (rc == -2)
				lost = 1;
			else if (rc < 0)
				fwd_close(i);
		}
		if (!lost && p[1].revents && fwd_accept() != 0)
			accept_paused = 1;	/* out of descriptors: try again in 100 ms */
		if (lost || session_lost())
		{
			record(1, "the SSH connection to %s was lost: %s", T.where, L.ssh_get_error(T.ssh));
			break;
		}
		pthread_mutex_lock(&T.mu);
		lost = T.dead;			/* fwd_accept found it lost */
		pthread_mutex_unlock(&T.mu);
		if (lost)
			break;
	}

	/* cut every forwarded connection now, so that their owners notice at once */
	while (T.nfwd > 0)
		fwd_close(T.nfwd - 1);
	pthread_mutex_lock(&T.mu);
	lost = T.dead;
	pthread_mutex_unlock(&T.mu);
	if (lost)
		refuse_until_stopped();
	return NULL;
}

/* ---- opening ---- */

/* TCP keepalives and user timeout on the session's socket, as connect.* says. */
static void
tune_socket(int fd, const struct config *c)
{
	int			one = 1;
	int			idle = (int) ((c->keepalive_idle_ms + 999) / 1000);
	int			intvl = (int) ((c->keepalive_interval_ms + 999) / 1000);
	int			cnt = (int) c->keepalive_count;
	unsigned	user = (unsigned) c->tcp_user_timeout_ms;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (user > 0)
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user, sizeof(user));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * Check the bastion's host key against the known hosts file.  Returns 0
 * if it may be used (verified, or checking is off: logged), else -1 with
 * the fingerprint and the line to add or remove in err.
 */
static int
check_host_key(const struct config *c, char *err, size_t errlen)
{
	ssh_key		key = NULL;
	unsigned char *hash = NULL;
	size_t		hlen = 0;
	char	   *fpr = NULL;
	char	   *entry = NULL;
	enum ssh_known_hosts_e state;
	int			rc = -1;

	if (L.ssh_get_server_publickey(T.ssh, &key) != SSH_OK ||
		L.ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0 ||
		(fpr = L.ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen)) == NULL)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: no host key from the bastion %s: %s",
				 T.where, L.ssh_get_error(T.ssh));
		goto out;
	}
	snprintf(T.host_key, sizeof(T.host_key), "%s %s", L.ssh_key_type_to_char(L.ssh_key_type(key)), fpr);
	state = L.ssh_session_is_known_server(T.ssh);
	if (state == SSH_KNOWN_HOSTS_OK)
	{
		snprintf(T.verified, sizeof(T.verified), "verified in %s", c->ssh_known_hosts);
		rc = 0;
	}
	else if (state == SSH_KNOWN_HOSTS_ERROR)
		snprintf(err, errlen, "could not open the SSH tunnel: cannot read ssh.known.hosts.file \"%s\": %s\n"
				 "make it a readable known_hosts file (ssh-keyscan output, checked against the bastion's fingerprint)",
				 c->ssh_known_hosts, L.ssh_get_error(T.ssh));
	else if (!c->ssh_host_key_check)
	{
		log_warning("ssh.host.key.check=false: the SSH host key of %s (%s) is %s and was NOT verified",
					T.where, T.host_key,
					state == SSH_KNOWN_HOSTS_CHANGED || state == SSH_KNOWN_HOSTS_OTHER ?
					"not the one in ssh.known.hosts.file" : "unknown");
		snprintf(T.verified, sizeof(T.verified), "NOT verified: ssh.host.key.check=false");
		rc = 0;
	}
	else if (state == SSH_KNOWN_HOSTS_CHANGED || state == SSH_KNOWN_HOSTS_OTHER)
	{
		char		name[300];

		/* known_hosts names port 22 by the bare host, others as [host]:port */
		if (c->ssh_port == 22)
			snprintf(name, sizeof(name), "%s", c->ssh_host);
		else
			snprintf(name, sizeof(name), "[%s]:%d", c->ssh_host, c->ssh_port);
		snprintf(err, errlen, "could not open the SSH tunnel: the SSH host key of %s:%d has CHANGED: it is now %s, "
				 "and %s holds another key for it; someone may be intercepting the connection\n"
				 "if the bastion's key was replaced on purpose, check %s against it "
				 "(ssh-keygen -lf on the bastion's host key), then remove the old line "
				 "(ssh-keygen -R '%s' -f %s) and add the new one",
				 c->ssh_host, c->ssh_port, T.host_key, c->ssh_known_hosts, fpr,
				 name, c->ssh_known_hosts);
	}
	else
	{
		if (L.ssh_session_export_known_hosts_entry(T.ssh, &entry) != SSH_OK)
			entry = NULL;
		snprintf(err, errlen, "could not open the SSH tunnel: the SSH host key of %s:%d is unknown: it presented %s, and %s %s\n"
				 "if %s is the bastion's key (ssh-keygen -lf on its host key shows it), add this line to %s: %s",
				 c->ssh_host, c->ssh_port, T.host_key, c->ssh_known_hosts,
				 access(c->ssh_known_hosts, F_OK) != 0 ? "does not exist" : "has no line for it",
				 fpr, c->ssh_known_hosts, entry ? entry : "(could not be formed)");
		/* libssh ends the entry with a newline: not wanted inside a hint */
		if (entry)
		{
			size_t		l = strlen(err);

			while (l > 0 && err[l - 1] == '\n')
				err[--l] = '\0';
		}
	}
out:
	L.ssh_string_free_char(entry);
	L.ssh_string_free_char(fpr);
	L.ssh_clean_pubkey_hash(&hash);
	L.ssh_key_free(key);
	return rc;
}

/* Log in with the private key.  -1 with the reason in err. */
static int
authenticate(const struct config *c, char *err, size_t errlen)
{
	ssh_key		key = NULL;
	int			rc;
	int			methods;
	FILE	   *f;

	if ((f = fopen(c->ssh_key_file, "r")) == NULL)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: ssh.private.key.file: cannot open \"%s\": %s",
				 c->ssh_key_file, strerror(errno));
		return -1;
	}
	fclose(f);
	if (L.ssh_pki_import_privkey_file(c->ssh_key_file, c->ssh_passphrase, NULL, NULL, &key) != SSH_OK)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: ssh.private.key.file: \"%s\" could not be loaded: %s\n"
				 "%s",
				 c->ssh_key_file,
				 c->ssh_passphrase ? "wrong passphrase, or not a private key" :
				 "it is encrypted (and no passphrase was given), or not a private key",
				 c->ssh_passphrase ? "check the passphrase (ssh.private.key.passphrase.file or " CONFIG_SSH_PASSPHRASE_ENV ") and that the file is an OpenSSH or PEM private key" :
				 "give its passphrase in ssh.private.key.passphrase.file or " CONFIG_SSH_PASSPHRASE_ENV ", and check that the file is an OpenSSH or PEM private key");
		return -1;
	}
	rc = L.ssh_userauth_publickey(T.ssh, NULL, key);
	L.ssh_key_free(key);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: logging in to %s failed: %s",
				 T.where, L.ssh_get_error(T.ssh));
		return -1;
	}
	methods = L.ssh_userauth_list(T.ssh, NULL);
	snprintf(err, errlen, "could not open the SSH tunnel: the bastion %s:%d refused the key %s for user \"%s\" "
			 "(authentication failed%s%s%s%s%s)\n"
			 "add the public key to ~%s/.ssh/authorized_keys on the bastion, or check ssh.user and ssh.private.key.file",
			 c->ssh_host, c->ssh_port, c->ssh_key_file, c->ssh_user,
			 methods ? "; it accepts:" : "",
			 methods & SSH_AUTH_METHOD_PUBLICKEY ? " publickey" : "",
			 methods & SSH_AUTH_METHOD_PASSWORD ? " password" : "",
			 methods & SSH_AUTH_METHOD_INTERACTIVE ? " keyboard-interactive" : "",
			 methods & SSH_AUTH_METHOD_GSSAPI_MIC ? " gssapi" : "",
			 c->ssh_user);
	return -1;
}

/*
 * libssh's own diagnostics, at log.level=debug only.  libssh keeps its
 * log level and callback per thread: the forwarding thread has neither,
 * so it never logs (log.c is not meant for two threads).
 */
static void
libssh_log(int priority, const char *function, const char *buffer, void *userdata)
{
	(void) priority;
	(void) function;
	(void) userdata;
	log_debug("libssh: %s", buffer);
}

/* A new session to the bastion, checked and logged in: T.ssh. */
static int
open_session(const struct config *c, char *err, size_t errlen)
{
	long		timeout = (long) ((c->connect_timeout_ms + 999) / 1000);
	int			port = c->ssh_port;
	int			no = 0,
				yes = 1,
				quiet = SSH_LOG_NOLOG;

	L.ssh_set_log_callback(libssh_log);
	L.ssh_set_log_level(log_enabled(LOGL_DEBUG) ? SSH_LOG_PROTOCOL : SSH_LOG_NOLOG);
	snprintf(T.where, sizeof(T.where), "%s@%s:%d", c->ssh_user, c->ssh_host, c->ssh_port);
	snprintf(T.db_host, sizeof(T.db_host), "%s", c->hostname);
	T.db_port = c->port;
	T.host_key[0] = T.verified[0] = '\0';
	if ((T.ssh = L.ssh_new()) == NULL)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: out of memory");
		return -1;
	}
	/* only the ssh.* keys decide: no ~/.ssh/config, no system known hosts */
	if (L.ssh_options_set(T.ssh, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_HOST, c->ssh_host) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_PORT, &port) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_USER, c->ssh_user) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_KNOWNHOSTS, c->ssh_known_hosts) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, c->ssh_known_hosts) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_NODELAY, &yes) < 0 ||
		L.ssh_options_set(T.ssh, SSH_OPTIONS_LOG_VERBOSITY,
						  log_enabled(LOGL_DEBUG) ? &(int) {SSH_LOG_PROTOCOL} : &quiet) < 0)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: ssh.*: %s", L.ssh_get_error(T.ssh));
		return -1;
	}
	if (L.ssh_connect(T.ssh) != SSH_OK)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: cannot connect to the bastion %s:%d: %s\n"
				 "check ssh.host and ssh.port: is sshd running there, and reachable from here?",
				 c->ssh_host, c->ssh_port, L.ssh_get_error(T.ssh));
		return -1;
	}
	tune_socket(L.ssh_get_fd(T.ssh), c);
	if (check_host_key(c, err, errlen) != 0 || authenticate(c, err, errlen) != 0)
		return -1;
	return 0;
}

/* The listener on 127.0.0.1, an ephemeral port: T.listen_fd, T.port. */
static int
open_listener(char *err, size_t errlen)
{
	struct sockaddr_in a;
	socklen_t	alen = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (T.listen_fd < 0 || bind(T.listen_fd, (struct sockaddr *) &a, sizeof(a)) != 0 ||
		listen(T.listen_fd, 16) != 0 ||
		getsockname(T.listen_fd, (struct sockaddr *) &a, &alen) != 0)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: no local listener on 127.0.0.1: %s",
				 strerror(errno));
		if (T.listen_fd >= 0)
			close(T.listen_fd);
		T.listen_fd = -1;
		return -1;
	}
	T.port = ntohs(a.sin_port);
	return 0;
}

/*
 * Close the session an open attempt or a lost tunnel left; the thread is
 * joined.  The listener stays: its port is the tunnel's for as long as
 * the process runs, so no other process can take it in between.
 */
static void
release(void)
{
	if (T.ssh)
	{
		L.ssh_disconnect(T.ssh);
		L.ssh_free(T.ssh);
		T.ssh = NULL;
	}
}

/* Stop and join the forwarding thread, if one runs. */
static void
join(void)
{
	if (!T.running)
		return;
	pthread_mutex_lock(&T.mu);
	T.stop = 1;
	pthread_mutex_unlock(&T.mu);
	if (write(T.wake[1], "x", 1) < 0)
	{
		/* the pipe is full: the thread is waking up anyway */
	}
	pthread_join(T.thr, NULL);
	T.running = 0;
	T.stop = 0;
}

int
tunnel_ensure(const struct config *c, int *port, unsigned *seq, char *err, size_t errlen)
{
	sigset_t	block, old;
	int			dead;
	char		why[sizeof(T.err)];

	pthread_mutex_lock(&T.mu);
	dead = T.dead;
	*seq = T.err_seq;
	snprintf(why, sizeof(why), "%s", T.err);
	pthread_mutex_unlock(&T.mu);
	if (T.running && !dead)
	{
		*port = T.port;
		return 0;
	}
	join();
	release();
	if (dead)
		log_warning("SSH tunnel: %s; opening it again", why);
	if (dynlib_load(&libssh, why, sizeof(why)) != 0)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: %s", why);
		return -1;
	}
	if (T.wake[0] < 0 && pipe2(T.wake, O_CLOEXEC | O_NONBLOCK) != 0)
	{
		snprintf(err, errlen, "could not open the SSH tunnel: pipe: %s", strerror(errno));
		return -1;
	}
	if (open_session(c, err, errlen) != 0 ||
		(T.listen_fd < 0 && open_listener(err, errlen) != 0))
	{
		release();
		return -1;
	}
	pthread_mutex_lock(&T.mu);
	T.dead = 0;
	*seq = T.err_seq;
	pthread_mutex_unlock(&T.mu);

	/* signals are for the main thread: its poll() must see them */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&T.thr, NULL, forward, NULL) != 0)
	{
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		snprintf(err, errlen, "could not open the SSH tunnel: cannot start its thread");
		release();
		return -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	T.running = 1;
	log_info("SSH tunnel %s: 127.0.0.1:%d -> %s -> %s:%d; host key %s %s",
			 T.opened ? "open again" : "open", T.port, T.where, T.db_host, T.db_port,
			 T.host_key, T.verified);
	T.opened = 1;
	*port = T.port;
	return 0;
}

void
tunnel_describe(char *out, size_t outlen)
{
	if (!T.running)
		snprintf(out, outlen, "%s", "");
	else
		snprintf(out, outlen, "127.0.0.1:%d -> %s -> %s:%d, host key %s (%s)",
				 T.port, T.where, T.db_host, T.db_port, T.host_key, T.verified);
}

void
tunnel_close(void)
{
	join();
	release();
	if (T.listen_fd >= 0)
		close(T.listen_fd);
	T.listen_fd = -1;
	T.port = 0;
	if (T.wake[0] >= 0)
	{
		close(T.wake[0]);
		close(T.wake[1]);
		T.wake[0] = T.wake[1] = -1;
	}
	pthread_mutex_lock(&T.mu);
	T.dead = 0;
	pthread_mutex_unlock(&T.mu);
}
