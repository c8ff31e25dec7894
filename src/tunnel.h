/*
 * tunnel.h — the SSH tunnel to a bastion host (ssh.* keys).
 *
 * A listener on 127.0.0.1 (an ephemeral port) whose connections are each
 * forwarded over a direct-tcpip channel of one SSH session to
 * database.hostname:database.port as the bastion sees them — what
 * `ssh -L` does.  pgconn_connect() opens it on first use and points every
 * libpq connection at it (hostaddr 127.0.0.1 and its port, with host
 * still database.hostname so that verify-full checks the right name).
 *
 * One tunnel per process.  tunnel_ensure() runs in the calling thread:
 * it connects, verifies the bastion's host key against
 * ssh.known.hosts.file (an unknown or changed key is refused unless
 * ssh.host.key.check=false) and authenticates with ssh.private.key.file,
 * so every failure is reported to the caller with its cause.  Then a
 * forwarding thread owns the session until it is lost or closed.  A lost
 * session (the bastion gone, its sshd killed) cuts every forwarded
 * connection at once, and connections made to the listener are then
 * closed at once; the next tunnel_ensure() — the reconnection path's next
 * pgconn_connect — opens a new session behind the same listener, whose
 * port stays walcap's until tunnel_close().  No message ever holds the
 * key's passphrase.
 */
#ifndef WALCAP_TUNNEL_H
#define WALCAP_TUNNEL_H

#include <stddef.h>

#include "config.h"

/*
 * Open the tunnel if it is not open (again if it was lost).  Sets *port
 * to the local port to connect to and *seq to the count of forwarding
 * errors so far (see tunnel_error_since).  Returns 0, or -1 with a
 * message and, after a newline, a hint in err.
 */
int			tunnel_ensure(const struct config *c, int *port, unsigned *seq,
						  char *err, size_t errlen);

/*
 * If the forwarding thread recorded an error after seq (a channel the
 * bastion would not open, the session lost), copy the latest into err and
 * return 1; else 0.  This is why a forwarded connection was closed, which
 * libpq can only report as "server closed the connection unexpectedly".
 */
int			tunnel_error_since(unsigned seq, char *err, size_t errlen);

/*
 * What the open tunnel is, for `walcap check`: "127.0.0.1:PORT -> user@
 * bastion:port -> host:port, host key TYPE SHA256:... (verified in FILE)"
 * or "(NOT verified: ssh.host.key.check=false)".  Empty if not open.
 */
void		tunnel_describe(char *out, size_t outlen);

/* Stop the thread, close the session and the listener; safe to repeat. */
void		tunnel_close(void);

#endif
