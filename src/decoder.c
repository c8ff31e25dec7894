/*
 * decoder.c — pgoutput message parsers; see decoder.h.
 *
 * Each parser reads its whole message through the wire reader and checks
 * once at the end that nothing was short or left over (wire_end), the
 * way proto.c pairs pq_getmsg* with pq_getmsgend.
 */
#include "decoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

void
decoder_init(struct decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void
decoder_free(struct decoder *d)
{
	free(d->tuple_cols[0]);
	free(d->tuple_cols[1]);
	free(d->relcols);
	memset(d, 0, sizeof(*d));
}

/* Grow *arr to hold n elements of size sz; 0 on success. */
static int
ensure(void **arr, int *cap, int n, size_t sz)
{
	void	   *p;

	if (n <= *cap)
		return 0;
	p = realloc(*arr, (size_t) n * sz);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/*
 * TupleData:
 *   Int16  number of columns
 *   per column: Byte1 kind 'n' | 'u' | 't' | 'b';
 *               for 't' and 'b': Int32 length, Byte[length] value
 */
static int
read_tuple(struct decoder *d, struct wire_reader *r, int slot,
		   struct decoder_tuple *t, char *err, size_t errlen)
{
	int			n = wire_i16(r);

	if (!wire_ok(r))
		FAIL("tuple truncated before its column count");
	if (n < 0 || n > DECODER_MAX_COLUMNS)
		FAIL("tuple has an invalid column count %d", n);
	if (ensure((void **) &d->tuple_cols[slot], &d->tuple_cap[slot], n,
			   sizeof(struct decoder_column)) != 0)
		FAIL("out of memory for %d columns", n);
	t->ncols = n;
	t->cols = d->tuple_cols[slot];
	for (int i = 0; i < n; i++)
	{
		struct decoder_column *c = &t->cols[i];

		c->kind = (char) wire_u8(r);
		c->len = 0;
		c->data = NULL;
		switch (c->kind)
		{
			case DECODER_COL_NULL:
			case DECODER_COL_UNCHANGED:
				break;
			case DECODER_COL_TEXT:
			case DECODER_COL_BINARY:
				c->len = wire_u32(r);
				if (c->len > 0x3FFFFFFF)	/* MaxAllocSize: no datum is larger */
					FAIL("column %d has an invalid length %u", i + 1, c->len);
				c->data = wire_bytes(r, c->len);
				break;
			default:
				if (!wire_ok(r))
					FAIL("tuple truncated at column %d", i + 1);
				FAIL("column %d has an unknown kind 0x%02x", i + 1,
					 (unsigned char) c->kind);
		}
		if (!wire_ok(r))
			FAIL("tuple truncated at column %d", i + 1);
	}
	return 0;
}

/* Read the xid that prefixes data messages inside a streamed transaction. */
static void
read_stream_xid(struct decoder *d, struct wire_reader *r, struct decoder_msg *m)
{
	m->xid = d->in_stream ? wire_u32(r) : 0;
}

/* Begin: Int64 final LSN, Int64 commit timestamp, Int32 xid */
static int
decode_begin(struct wire_reader *r, struct decoder_msg *m, char *err, size_t errlen)
{
	m->u.begin.final_lsn = wire_u64(r);
	m->u.begin.commit_ts = wire_i64(r);
	m->u.begin.xid = wire_u32(r);
	if (!wire_end(r))
		FAIL("malformed Begin message");
	if (m->u.begin.final_lsn == 0)
		FAIL("Begin message has no final LSN");
	return 0;
}

/*
 * Commit: Int8 flags (0), Int64 commit LSN, Int64 end LSN, Int64 commit
 * timestamp.  Stream Commit has Int32 xid before the same fields.
 */
static int
decode_commit(struct wire_reader *r, struct decoder_msg *m, int stream,
			  char *err, size_t errlen)
{
	if (stream)
		m->xid = wire_u32(r);
	m->u.commit.flags = wire_u8(r);
	m->u.commit.commit_lsn = wire_u64(r);
	m->u.commit.end_lsn = wire_u64(r);
	m->u.commit.commit_ts = wire_i64(r);
	if (!wire_end(r))
		FAIL("malformed %s message", stream ? "Stream Commit" : "Commit");
	if (m->u.commit.flags != 0)
		FAIL("Commit message has unknown flags 0x%02x", m->u.commit.flags);
	if (m->u.commit.end_lsn < m->u.commit.commit_lsn)
		FAIL("Commit message ends before it starts");
	return 0;
}

/* Origin: Int64 origin commit LSN, String name */
static int
decode_origin(struct wire_reader *r, struct decoder_msg *m, char *err, size_t errlen)
{
	m->u.origin.origin_lsn = wire_u64(r);
	m->u.origin.name = wire_cstring(r, NULL);
	if (!wire_end(r))
		FAIL("malformed Origin message");
	return 0;
}

/*
 * Relation: [Int32 xid], Int32 relid, String namespace, String name,
 * Int8 replica identity, Int16 ncols, then per column: Int8 flags,
 * String name, Int32 type OID, Int32 typmod.
 */
static int
decode_relation(struct decoder *d, struct wire_reader *r, struct decoder_msg *m,
				char *err, size_t errlen)
{
	int			n;

	read_stream_xid(d, r, m);
	m->u.relation.relid = wire_u32(r);
	m->u.relation.nspname = wire_cstring(r, NULL);
	m->u.relation.relname = wire_cstring(r, NULL);
	m->u.relation.replident = (char) wire_u8(r);
	n = wire_i16(r);
	if (!wire_ok(r))
		FAIL("malformed Relation message");
	if (n < 0 || n > DECODER_MAX_COLUMNS)
		FAIL("Relation message has an invalid column count %d", n);
	switch (m->u.relation.replident)
	{
		case 'd': case 'n': case 'f': case 'i':
			break;
		default:
			FAIL("Relation message has an unknown replica identity 0x%02x",
				 (unsigned char) m->u.relation.replident);
	}
	if (ensure((void **) &d->relcols, &d->relcol_cap, n,
			   sizeof(struct decoder_relcol)) != 0)
		FAIL("out of memory for %d columns", n);
	m->u.relation.ncols = n;
	m->u.relation.cols = d->relcols;
	for (int i = 0; i < n; i++)
	{
		struct decoder_relcol *c = &d->relcols[i];

		c->flags = wire_u8(r);
		c->name = wire_cstring(r, NULL);
		c->typid = wire_u32(r);
		c->typmod = wire_i32(r);
		if (!wire_ok(r))
			FAIL("Relation message truncated at column %d", i + 1);
		if (c->flags & ~1u)
			FAIL("Relation column %d has unknown flags 0x%02x", i + 1, c->flags);
	}
	if (!wire_end(r))
		FAIL("Relation message has %zu trailing bytes", wire_remaining(r));
	if (m->u.relation.relid == 0)
		FAIL("Relation message has relation OID 0");
	return 0;
}

/* Type: [Int32 xid], Int32 type OID, String namespace, String name */
static int
decode_type(struct decoder *d, struct wire_reader *r, struct decoder_msg *m,
			char *err, size_t errlen)
{
	read_stream_xid(d, r, m);
	m->u.type.typid = wire_u32(r);
	m->u.type.nspname = wire_cstring(r, NULL);
	m->u.type.typname = wire_cstring(r, NULL);
	if (!wire_end(r))
		FAIL("malformed Type message");
	return 0;
}

/*
 * Insert: [Int32 xid], Int32 relid, Byte1 'N', TupleData
 * Update: [Int32 xid], Int32 relid, [Byte1 'K' | 'O', TupleData],
 *         Byte1 'N', TupleData
 * Delete: [Int32 xid], Int32 relid, Byte1 'K' | 'O', TupleData
 */
static int
decode_change(struct decoder *d, struct wire_reader *r, struct decoder_msg *m,
			  char *err, size_t errlen)
{
	char		tag;

	read_stream_xid(d, r, m);
	m->u.change.relid = wire_u32(r);
	m->u.change.old_kind = 0;
	m->u.change.old.ncols = m->u.change.new.ncols = 0;
	m->u.change.old.cols = m->u.change.new.cols = NULL;
	tag = (char) wire_u8(r);
	if (!wire_ok(r))
		FAIL("malformed %c message", m->type);
	if (m->type != DECODER_INSERT && (tag == 'K' || tag == 'O'))
	{
		m->u.change.old_kind = tag;
		if (read_tuple(d, r, 0, &m->u.change.old, err, errlen) != 0)
			return -1;
		if (m->type == DECODER_UPDATE)
			tag = (char) wire_u8(r);
	}
	if (m->type == DECODER_DELETE)
	{
		if (m->u.change.old_kind == 0)
			FAIL("Delete message without 'K' or 'O' tuple (got 0x%02x)",
				 (unsigned char) tag);
	}
	else
	{
		if (tag != 'N')
			FAIL("%s message without 'N' tuple (got 0x%02x)",
				 m->type == DECODER_INSERT ? "Insert" : "Update",
				 (unsigned char) tag);
		if (read_tuple(d, r, 1, &m->u.change.new, err, errlen) != 0)
			return -1;
	}
	if (!wire_end(r))
		FAIL("%c message has %zu trailing bytes", m->type, wire_remaining(r));
	return 0;
}

/*
 * Truncate: [Int32 xid], Int32 nrels, Int8 options, Int32[nrels] relids
 */
static int
decode_truncate(struct decoder *d, struct wire_reader *r, struct decoder_msg *m,
				char *err, size_t errlen)
{
	uint32_t	n;

	read_stream_xid(d, r, m);
	n = wire_u32(r);
	m->u.truncate.options = wire_u8(r);
	if (!wire_ok(r))
		FAIL("malformed Truncate message");
	if (n == 0 || n > wire_remaining(r) / 4)
		FAIL("Truncate message has an invalid relation count %u", n);
	m->u.truncate.nrels = (int) n;
	m->u.truncate.relids = wire_bytes(r, (size_t) n * 4);
	if (!wire_end(r))
		FAIL("Truncate message has %zu trailing bytes", wire_remaining(r));
	if (m->u.truncate.options & ~3u)
		FAIL("Truncate message has unknown options 0x%02x", m->u.truncate.options);
	return 0;
}

uint32_t
decoder_truncate_relid(const struct decoder_msg *msg, int i)
{
	struct wire_reader r;

	wire_init(&r, msg->u.truncate.relids + (size_t) i * 4, 4);
	return wire_u32(&r);
}

/*
 * Message: [Int32 xid], Int8 flags, Int64 LSN, String prefix, Int32
 * length, Byte[length] content
 */
static int
decode_message(struct decoder *d, struct wire_reader *r, struct decoder_msg *m,
			   char *err, size_t errlen)
{
	read_stream_xid(d, r, m);
	m->u.message.flags = wire_u8(r);
	m->u.message.lsn = wire_u64(r);
	m->u.message.prefix = wire_cstring(r, NULL);
	m->u.message.len = wire_u32(r);
	if (!wire_ok(r))
		FAIL("malformed Message message");
	m->u.message.content = wire_bytes(r, m->u.message.len);
	if (!wire_end(r))
		FAIL("Message message length does not match its content");
	if (m->u.message.flags & ~1u)
		FAIL("Message message has unknown flags 0x%02x", m->u.message.flags);
	return 0;
}

int
decoder_decode(struct decoder *d, const void *data, size_t len,
			   struct decoder_msg *m, char *err, size_t errlen)
{
	struct wire_reader r;

	wire_init(&r, data, len);
	memset(m, 0, sizeof(*m));
	m->type = (enum decoder_msg_type) wire_u8(&r);
	if (!wire_ok(&r))
		FAIL("empty pgoutput message");

	switch (m->type)
	{
		case DECODER_BEGIN:
			return decode_begin(&r, m, err, errlen);
		case DECODER_COMMIT:
			return decode_commit(&r, m, 0, err, errlen);
		case DECODER_ORIGIN:
			return decode_origin(&r, m, err, errlen);
		case DECODER_RELATION:
			return decode_relation(d, &r, m, err, errlen);
		case DECODER_TYPE:
			return decode_type(d, &r, m, err, errlen);
		case DECODER_INSERT:
		case DECODER_UPDATE:
		case DECODER_DELETE:
			return decode_change(d, &r, m, err, errlen);
		case DECODER_TRUNCATE:
			return decode_truncate(d, &r, m, err, errlen);
		case DECODER_MESSAGE:
			return decode_message(d, &r, m, err, errlen);
		case DECODER_STREAM_START:
			/* Stream Start: Int32 xid, Int8 first-segment flag */
			if (d->in_stream)
				FAIL("Stream Start inside a streamed block");
			m->xid = wire_u32(&r);
			m->u.stream_start.first = wire_u8(&r);
			if (!wire_end(&r))
				FAIL("malformed Stream Start message");
			d->in_stream = 1;
			return 0;
		case DECODER_STREAM_STOP:
			/* Stream Stop: no fields */
			if (!d->in_stream)
				FAIL("Stream Stop outside a streamed block");
			if (!wire_end(&r))
				FAIL("malformed Stream Stop message");
			d->in_stream = 0;
			return 0;
		case DECODER_STREAM_COMMIT:
			return decode_commit(&r, m, 1, err, errlen);
		case DECODER_STREAM_ABORT:
			/*
			 * Stream Abort: Int32 xid, Int32 subxid, and from protocol
			 * version 4 Int64 abort LSN and Int64 abort timestamp.
			 */
			m->xid = wire_u32(&r);
			m->u.stream_abort.subxid = wire_u32(&r);
			if (wire_remaining(&r) == 16)
				(void) wire_bytes(&r, 16);
			if (!wire_end(&r))
				FAIL("malformed Stream Abort message");
			return 0;
	}
	FAIL("unknown pgoutput message type 0x%02x", (unsigned char) m->type);
}
