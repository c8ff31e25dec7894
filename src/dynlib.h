/*
 * dynlib.h — shared libraries opened on first use (dlopen), so that a
 * process which never needs one never maps it nor runs its constructors.
 *
 * Why: libssh's constructor initialises OpenSSL and libmicrohttpd's runs
 * gnutls_global_init; linked in, they cost every `walcap run` ~6 MiB of
 * RSS although most use neither an SSH tunnel nor an HTTP listener.
 * The same holds for librdkafka when the sink is not Kafka.
 *
 * A module keeps including the library's header for its types and lists
 * the functions it calls in an X-macro; DYNLIB_TABLE makes one pointer
 * per function, typed from the library's own declaration (so every call
 * is checked as a direct call would be), over the slots dynlib_load
 * fills:
 *
 *   #define LIBFOO_FUNCS(X) X(foo_new) X(foo_free)
 *   static DYNLIB_TABLE(LIBFOO_FUNCS) F;
 *   static const char *const foo_names[] = {LIBFOO_FUNCS(DYNLIB_NAME)};
 *   static struct dynlib libfoo = DYNLIB_INIT(WALCAP_LIBFOO_SONAME, "libfoo1", foo_names, F);
 *
 *   if (dynlib_load(&libfoo, err, errlen) != 0) return -1;   then F.foo_new(...)
 *
 * The SONAMEs (WALCAP_LIBSSH_SONAME, ...) come from the Makefile, which
 * reads them from the libraries the linker would have used.  Nothing is
 * ever closed: the libraries stay for the life of the process.
 */
#ifndef WALCAP_DYNLIB_H
#define WALCAP_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

#define DYNLIB_MEMBER(f) __typeof__(f) *f;
#define DYNLIB_NAME(f) #f,
#define DYNLIB_COUNT(LIST) (sizeof((const char *[]) {LIST(DYNLIB_NAME)}) / sizeof(const char *))

/*
 * An anonymous struct of typed pointers laid over the generic slots:
 * every member is a function pointer, so there is no padding and member
 * i is slot i (dynlib.c checks that the slot count matches).
 */
#define DYNLIB_TABLE(LIST) \
	union \
	{ \
		struct \
		{ \
			LIST(DYNLIB_MEMBER) \
		}; \
		void		(*slot[DYNLIB_COUNT(LIST)]) (void); \
	}

#define DYNLIB_INIT(so, pkg, names_, table) \
	{ \
		.soname = (so), .package = (pkg), .names = (names_), \
		.n = sizeof(names_) / sizeof((names_)[0]), .slot = (table).slot, \
		.table_size = sizeof(table), .mu = PTHREAD_MUTEX_INITIALIZER, \
	}

struct dynlib
{
	const char *soname;			/* "libssh.so.4" */
	const char *package;		/* the Debian package that ships it */
	const char *const *names;	/* the functions, in slot order */
	size_t		n;
	void		(**slot) (void);	/* n slots, filled by dynlib_load */
	size_t		table_size;		/* sizeof the table: n slots, checked */
	pthread_mutex_t mu;
	int			loaded;			/* every slot is filled */
};

/*
 * Open lib->soname and fill every slot; at once when done before.
 * Thread-safe.  0, or -1 with err naming the library, what failed and
 * the package to install ("cannot load libssh.so.4 (...): install the
 * package libssh-4"); a failed load may be tried again.
 */
int			dynlib_load(struct dynlib *lib, char *err, size_t errlen);

#endif
