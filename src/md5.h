/*
 * md5.h — MD5 (RFC 1321), for the name-based UUID of the TOAST
 * placeholder (toast.h), computed once at startup.
 *
 * walcap needs 16 bytes of MD5 once per run; this small implementation
 * avoids linking libcrypto directly for that (libpq and libssh only
 * pull it in indirectly).  Not for anything security-related.
 */
#ifndef WALCAP_MD5_H
#define WALCAP_MD5_H

#include <stddef.h>
#include <stdint.h>

/* The MD5 digest of data[0..len) into out. */
void	md5(const void *data, size_t len, uint8_t out[16]);

#endif
