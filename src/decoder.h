/*
 * decoder.h — pgoutput messages (protocol versions 1 and 2) as typed
 * structs.
 *
 * One decode_* per message type, chosen by the first byte, in the shape
 * of PostgreSQL's logicalproto.h/proto.c.  The byte layouts are in
 * docs/protocol.md and above each parser in decoder.c.  Every byte is
 * read through wire.h.
 *
 * Lifetime: a decoded message points into the bytes it was decoded from
 * (names, column values) and into arrays the decoder owns (tuple
 * columns, relation columns); everything is valid until the next
 * decoder_decode() on the same decoder or until those bytes are freed.
 * The decoder allocates only when a message has more columns than any
 * before it, so the per-row path allocates nothing.
 */
#ifndef WALCAP_DECODER_H
#define WALCAP_DECODER_H

#include <stddef.h>
#include <stdint.h>

/* Message types; the values are the bytes on the wire. */
enum decoder_msg_type
{
	DECODER_BEGIN = 'B',
	DECODER_COMMIT = 'C',
	DECODER_ORIGIN = 'O',
	DECODER_RELATION = 'R',
	DECODER_TYPE = 'Y',
	DECODER_INSERT = 'I',
	DECODER_UPDATE = 'U',
	DECODER_DELETE = 'D',
	DECODER_TRUNCATE = 'T',
	DECODER_MESSAGE = 'M',
	DECODER_STREAM_START = 'S',
	DECODER_STREAM_STOP = 'E',
	DECODER_STREAM_COMMIT = 'c',
	DECODER_STREAM_ABORT = 'A',
};

/* Column kinds inside TupleData; the values are the bytes on the wire. */
enum decoder_col_kind
{
	DECODER_COL_NULL = 'n',
	DECODER_COL_UNCHANGED = 'u',	/* unchanged TOASTed value, not sent */
	DECODER_COL_TEXT = 't',
	DECODER_COL_BINARY = 'b',
};

#define DECODER_MAX_COLUMNS 1664	/* MaxTupleAttributeNumber */

struct decoder_column
{
	char		kind;			/* enum decoder_col_kind */
	uint32_t	len;			/* for text/binary */
	const char *data;			/* for text/binary; not NUL-terminated */
};

struct decoder_tuple
{
	int			ncols;
	struct decoder_column *cols;
};

struct decoder_relcol
{
	uint8_t		flags;			/* 1 = part of the replica identity key */
	const char *name;
	uint32_t	typid;
	int32_t		typmod;
};

struct decoder_msg
{
	enum decoder_msg_type type;
	uint32_t	xid;			/* streamed-transaction xid prefix, else 0 */
	union
	{
		struct
		{
			uint64_t	final_lsn;	/* LSN of the commit record */
			int64_t		commit_ts;	/* µs since 2000-01-01 */
			uint32_t	xid;
		}			begin;
		struct
		{
			uint8_t		flags;
			uint64_t	commit_lsn;
			uint64_t	end_lsn;
			int64_t		commit_ts;
		}			commit;		/* also Stream Commit (xid in msg.xid) */
		struct
		{
			uint64_t	origin_lsn;
			const char *name;
		}			origin;
		struct
		{
			uint32_t	relid;
			const char *nspname;	/* "" means pg_catalog */
			const char *relname;
			char		replident;	/* d, n, f or i */
			int			ncols;
			struct decoder_relcol *cols;
		}			relation;
		struct
		{
			uint32_t	typid;
			const char *nspname;
			const char *typname;
		}			type;
		struct
		{
			uint32_t	relid;
			char		old_kind;	/* 0 if none, 'K' key or 'O' old row */
			struct decoder_tuple old;	/* update/delete */
			struct decoder_tuple new;	/* insert/update */
		}			change;
		struct
		{
			int			nrels;
			uint8_t		options;	/* 1 CASCADE, 2 RESTART IDENTITY */
			const char *relids;	/* nrels big-endian uint32s */
		}			truncate;
		struct
		{
			uint8_t		flags;	/* 1 = transactional */
			uint64_t	lsn;
			const char *prefix;
			uint32_t	len;
			const char *content;
		}			message;
		struct
		{
			uint8_t		first;	/* first segment of this xid */
		}			stream_start;
		struct
		{
			uint32_t	subxid;
		}			stream_abort;
	}			u;
};

struct decoder
{
	int			in_stream;		/* between Stream Start and Stream Stop */
	int			tuple_cap[2];
	struct decoder_column *tuple_cols[2];	/* old, new */
	int			relcol_cap;
	struct decoder_relcol *relcols;
};

void	decoder_init(struct decoder *d);
void	decoder_free(struct decoder *d);

/*
 * Decode one pgoutput message data[0..len).  Returns 0 and fills *msg, or
 * -1 with a description of the protocol violation in err[errlen].
 */
int		decoder_decode(struct decoder *d, const void *data, size_t len,
					   struct decoder_msg *msg, char *err, size_t errlen);

/* The i-th relation OID of a Truncate message. */
uint32_t decoder_truncate_relid(const struct decoder_msg *msg, int i);

#endif
