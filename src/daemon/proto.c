/* SPDX-License-Identifier: MIT */
/*
 * svad wire protocol: encoding and validation of messages (proto.h). Used
 * by svad on every received packet and by the client backend in libsva.
 *
 * The receive buffer comes from another, untrusted process, so decoding
 * never casts it: the header and the body are memcpy()'d into an aligned
 * struct proto_msg after their lengths are checked, and every check runs
 * on that copy.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "daemon/proto.h"

#define HDR_SIZE	sizeof(struct proto_hdr)

static_assert(sizeof(((struct proto_msg *)0)->body) == sizeof(struct proto_reply),
	      "the reply is the largest body");
static_assert(HDR_SIZE + sizeof(struct proto_reply) <= PROTO_MAX_MSG, "every message fits");

/* Body sizes of this version, indexed by enum proto_type. */
static const size_t body_size[PROTO_TYPE_MAX] = {
	[PROTO_HELLO] = sizeof(struct proto_hello),
	[PROTO_BIND] = 0,
	[PROTO_OPEN_WQ] = sizeof(struct proto_open_wq),
	[PROTO_CLOSE_WQ] = sizeof(struct proto_close_wq),
	[PROTO_STATS] = sizeof(struct proto_stats),
	[PROTO_REPLY] = sizeof(struct proto_reply),
};

ssize_t proto_body_size(unsigned int t)
{
	if (t < PROTO_HELLO || t >= PROTO_TYPE_MAX)
		return -EBADMSG;
	return (ssize_t)body_size[t];
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int check_hello(const struct proto_hello *h)
{
	if (h->reserved0 || !all_zero(h->reserved, sizeof(h->reserved)))
		return -EINVAL;
	if (h->flags & ~PROTO_HELLO_FLAGS_KNOWN)
		return -EINVAL;
	/* The header version may be any 1.x; what the client speaks must agree. */
	if (PROTO_VERSION_MAJOR_OF(h->client_version) != PROTO_VERSION_MAJOR)
		return -EPROTO;
	return 0;
}

static int check_open_wq(const struct proto_open_wq *o)
{
	if (!all_zero(o->reserved, sizeof(o->reserved)))
		return -EINVAL;
	if (o->device_id >= PROTO_MAX_DEVICES || o->wq_id >= PROTO_MAX_WQS)
		return -EINVAL;
	if (o->flags != PROTO_WQ_LIMITED && o->flags != PROTO_WQ_UNLIMITED)
		return -EINVAL;
	return 0;
}

/*
 * A reply payload is only as long as the answered request needs; the rest
 * of the fixed union is reserved. On failure there is no payload at all.
 */
static int check_reply(const struct proto_reply *r)
{
	const void *tail;
	size_t used;

	if (r->reserved0 || r->reserved1)
		return -EINVAL;
	if (r->result > 0 || r->result < -PROTO_MAX_ERRNO)
		return -EINVAL;
	if (r->req_type < PROTO_HELLO || r->req_type > PROTO_STATS)
		return -EINVAL;
	if (r->result < 0)
		return all_zero(r->u.raw, sizeof(r->u.raw)) ? 0 : -EINVAL;

	switch (r->req_type) {
	case PROTO_HELLO:
		if (r->u.hello.reserved0)
			return -EINVAL;
		if (PROTO_VERSION_MAJOR_OF(r->u.hello.server_version) != PROTO_VERSION_MAJOR)
			return -EPROTO;
		if (r->u.hello.max_msg < HDR_SIZE + sizeof(struct proto_reply))
			return -EINVAL;
		used = sizeof(r->u.hello);
		break;
	case PROTO_BIND:
		/* PASID 0 is reserved for the untranslated requests (system.md §2.1). */
		if (r->u.bind.reserved || !r->u.bind.pasid || r->u.bind.pasid >= 1u << 20)
			return -EINVAL;
		used = sizeof(r->u.bind);
		break;
	case PROTO_OPEN_WQ: {
		const struct proto_open_wq_reply *o = &r->u.open_wq;

		if (!o->handle || !is_pow2(o->ring_slots) || o->ring_slots > PROTO_MAX_RING_SLOTS)
			return -EINVAL;
		/* a slot holds at least one 64-byte descriptor */
		if (!is_pow2(o->slot_size) || o->slot_size < 64 ||
		    o->slot_size > PROTO_MAX_SLOT_SIZE)
			return -EINVAL;
		if (!o->wq_size || o->wq_size > PROTO_MAX_WQ_SIZE)
			return -EINVAL;
		used = sizeof(*o);
		break;
	}
	case PROTO_STATS:
		if (!all_zero(r->u.stats.reserved, sizeof(r->u.stats.reserved)))
			return -EINVAL;
		used = sizeof(r->u.stats);
		break;
	default:	/* PROTO_CLOSE_WQ: nothing to report */
		used = 0;
		break;
	}
	tail = r->u.raw + used;
	return all_zero(tail, sizeof(r->u.raw) - used) ? 0 : -EINVAL;
}

/* Field checks on the copied message; the header is already validated. */
static int check_body(const struct proto_msg *m)
{
	switch (m->hdr.type) {
	case PROTO_HELLO:
		return check_hello(&m->body.hello);
	case PROTO_BIND:
		return 0;
	case PROTO_OPEN_WQ:
		return check_open_wq(&m->body.open_wq);
	case PROTO_CLOSE_WQ:
		if (m->body.close_wq.reserved || !m->body.close_wq.handle)
			return -EINVAL;
		return 0;
	case PROTO_STATS:
		if (m->body.stats.reserved0 || m->body.stats.reserved1)
			return -EINVAL;
		if (m->body.stats.device_id >= PROTO_MAX_DEVICES)
			return -EINVAL;
		return 0;
	case PROTO_REPLY:
		return check_reply(&m->body.reply);
	}
	return -EBADMSG;
}

int proto_encode(enum proto_type t, uint32_t seq, const void *body, size_t body_len,
		 void *buf, size_t cap, size_t *ret_len)
{
	ssize_t want = proto_body_size(t);
	struct proto_msg m;
	int r;

	if (want < 0)
		return (int)want;
	if (!buf || !ret_len || (body_len && !body) || body_len != (size_t)want)
		return -EINVAL;
	if (cap < HDR_SIZE + body_len)
		return -ENOBUFS;

	memset(&m, 0, sizeof(m));
	m.hdr.magic = PROTO_MAGIC;
	m.hdr.version = PROTO_VERSION;
	m.hdr.type = (uint16_t)t;
	m.hdr.size = (uint32_t)(HDR_SIZE + body_len);
	m.hdr.seq = seq;
	if (body_len)
		memcpy(&m.body, body, body_len);
	r = check_body(&m);
	if (r)
		return r;

	memcpy(buf, &m.hdr, HDR_SIZE);
	if (body_len)
		memcpy((uint8_t *)buf + HDR_SIZE, &m.body, body_len);
	*ret_len = HDR_SIZE + body_len;
	return 0;
}

int proto_decode(const void *buf, size_t len, struct proto_msg *ret)
{
	const uint8_t *p = buf;
	struct proto_msg m;
	size_t body, extra;
	ssize_t want;
	int r;

	if (!buf || !ret)
		return -EINVAL;
	if (len > PROTO_MAX_MSG)
		return -EMSGSIZE;
	if (len < HDR_SIZE)
		return -EBADMSG;

	memset(&m, 0, sizeof(m));
	memcpy(&m.hdr, p, HDR_SIZE);
	if (m.hdr.magic != PROTO_MAGIC)
		return -EBADMSG;
	if (PROTO_VERSION_MAJOR_OF(m.hdr.version) != PROTO_VERSION_MAJOR)
		return -EPROTO;
	want = proto_body_size(m.hdr.type);
	if (want < 0)
		return -EBADMSG;
	if (m.hdr.size > PROTO_MAX_MSG)
		return -EMSGSIZE;
	/* SEQPACKET keeps boundaries: a size that disagrees is a broken sender. */
	if (m.hdr.size != len || len - HDR_SIZE < (size_t)want)
		return -EBADMSG;

	body = (size_t)want;
	extra = len - HDR_SIZE - body;
	memcpy(&m.body, p + HDR_SIZE, body);
	/* Fields of a newer minor that we do not know must be left at zero. */
	if (!all_zero(p + HDR_SIZE + body, extra))
		return -EINVAL;
	r = check_body(&m);
	if (r)
		return r;
	*ret = m;
	return 0;
}
