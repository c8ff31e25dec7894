/*
 * dynlib.c — dlopen on first use; see dynlib.h.
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

#include "log.h"

static int
load(struct dynlib *lib, char *err, size_t errlen)
{
	void	   *h;
	const char *why;

	if (lib->table_size != lib->n * sizeof(lib->slot[0]))
		return errbuf_fail(err, errlen, "%s: the function table is not %zu slots", lib->soname,
						   lib->n);
	/* RTLD_LOCAL: nothing else resolves against it by accident */
	if ((h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL)
	{
		why = dlerror();
		return errbuf_fail(err, errlen, "cannot load %s (%s): install the package %s",
						   lib->soname, why ? why : "not found", lib->package);
	}
	for (size_t i = 0; i < lib->n; i++)
	{
		void	   *p;

		dlerror();
		if ((p = dlsym(h, lib->names[i])) == NULL)
		{
			why = dlerror();
			/* h stays open: dlclose could run destructors of a half-used library */
			return errbuf_fail(err, errlen,
							   "%s has no function %s (%s): it is older than the one walcap was built "
							   "against; install the package %s as shipped with this system",
							   lib->soname, lib->names[i], why ? why : "null", lib->package);
		}
		lib->slot[i] = (void (*) (void)) p;
	}
	lib->loaded = 1;
	return 0;
}

int
dynlib_load(struct dynlib *lib, char *err, size_t errlen)
{
	int			rc = 0;

	pthread_mutex_lock(&lib->mu);
	if (!lib->loaded)
		rc = load(lib, err, errlen);
	pthread_mutex_unlock(&lib->mu);
	return rc;
}
