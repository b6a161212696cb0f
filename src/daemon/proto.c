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

static_assert(sizeof(((struct proto_msg *)0)->body) == sizeof(struct proto_attr),
	      "the attribute request is the largest body");
static_assert(HDR_SIZE + sizeof(struct proto_reply) <= PROTO_MAX_MSG, "every message fits");

/* Body sizes of this version, indexed by enum proto_type. */
static const size_t body_size[PROTO_TYPE_MAX] = {
	[PROTO_HELLO] = sizeof(struct proto_hello),
	[PROTO_BIND] = sizeof(struct proto_dev),
	[PROTO_OPEN_WQ] = sizeof(struct proto_open_wq),
	[PROTO_CLOSE_WQ] = sizeof(struct proto_close_wq),
	[PROTO_STATS] = sizeof(struct proto_stats),
	[PROTO_REPLY] = sizeof(struct proto_reply),
	[PROTO_DEVICE] = sizeof(struct proto_device),
	[PROTO_UNBIND] = sizeof(struct proto_dev),
	[PROTO_ATTR_GET] = sizeof(struct proto_attr),
	[PROTO_ATTR_SET] = sizeof(struct proto_attr),
	[PROTO_ADMIN] = sizeof(struct proto_admin),
	[PROTO_STATUS] = sizeof(struct proto_dev),
	[PROTO_ATTR_INFO] = sizeof(struct proto_attr_info),
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

/* A NUL-terminated string in a fixed array, zero after the NUL. */
static bool str_ok(const char *s, size_t size, bool nonempty)
{
	const char *nul = memchr(s, 0, size);

	if (!nul || (nonempty && nul == s))
		return false;
	return all_zero(nul, size - (size_t)(nul - s));
}

/* Reply data that is one string: exactly its bytes plus the NUL. */
static bool data_str_ok(const uint8_t *data, uint32_t len)
{
	return len >= 1 && data[len - 1] == 0 && memchr(data, 0, len) == data + len - 1;
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

static int check_dev(const struct proto_dev *d)
{
	if (d->reserved0 || d->reserved1 || d->device_id >= PROTO_MAX_DEVICES)
		return -EINVAL;
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

static int check_stats(const struct proto_stats *s)
{
	if (s->device_id >= PROTO_MAX_DEVICES || s->kind < PROTO_STATS_WQ ||
	    s->kind >= PROTO_STATS_KIND_MAX)
		return -EINVAL;
	if (s->kind == PROTO_STATS_WQ)
		return s->index < PROTO_MAX_WQS ? 0 : -EINVAL;
	if (s->kind == PROTO_STATS_ENGINE)
		return s->index < PROTO_MAX_ENGINES ? 0 : -EINVAL;
	if (s->kind == PROTO_STATS_PASID)
		return s->index < PROTO_MAX_PASID_ROWS ? 0 : -EINVAL;
	return s->index ? -EINVAL : 0;
}

static int check_attr(const struct proto_attr *a, bool set)
{
	if (a->device_id >= PROTO_MAX_DEVICES || a->reserved0 || a->reserved1)
		return -EINVAL;
	if (!str_ok(a->obj, sizeof(a->obj), true) || !str_ok(a->attr, sizeof(a->attr), true))
		return -EINVAL;
	if (set ? !str_ok(a->val, sizeof(a->val), false) : !all_zero(a->val, sizeof(a->val)))
		return -EINVAL;
	return 0;
}

static int check_attr_info(const struct proto_attr_info *a)
{
	if (a->device_id >= PROTO_MAX_DEVICES || a->reserved0)
		return -EINVAL;
	return str_ok(a->obj, sizeof(a->obj), true) ? 0 : -EINVAL;
}

static int check_admin(const struct proto_admin *a)
{
	if (a->device_id >= PROTO_MAX_DEVICES || a->cmd < PROTO_CMD_DEV_ENABLE ||
	    a->cmd >= PROTO_CMD_MAX)
		return -EINVAL;
	switch (a->cmd) {
	case PROTO_CMD_WQ_ENABLE:
	case PROTO_CMD_WQ_DISABLE:
	case PROTO_CMD_WQ_RESET:
	case PROTO_CMD_DRAIN_WQ:
	case PROTO_CMD_ABORT_WQ:
		return a->arg < PROTO_MAX_WQS ? 0 : -EINVAL;
	case PROTO_CMD_DRAIN_PASID:
	case PROTO_CMD_ABORT_PASID:
		return a->arg < PROTO_PASID_LIMIT ? 0 : -EINVAL;
	default:
		return a->arg ? -EINVAL : 0;
	}
}

/*
 * A reply payload is only as long as the answered request needs; the rest
 * of the fixed union is reserved. On failure there is no payload and no
 * data at all.
 */
static int check_reply(const struct proto_reply *r, const uint8_t *data)
{
	const void *tail;
	size_t used = 0;
	bool str = false, stats = false;

	if (r->reserved0)
		return -EINVAL;
	if (r->result > 0 || r->result < -PROTO_MAX_ERRNO)
		return -EINVAL;
	if (r->req_type < PROTO_HELLO || r->req_type >= PROTO_TYPE_MAX ||
	    r->req_type == PROTO_REPLY)
		return -EINVAL;
	if (r->data_len > PROTO_MAX_DATA)
		return -EMSGSIZE;
	if (r->result < 0)
		return all_zero(r->u.raw, sizeof(r->u.raw)) && !r->data_len ? 0 : -EINVAL;

	switch (r->req_type) {
	case PROTO_HELLO:
		if (r->u.hello.reserved0 || r->u.hello.reserved1)
			return -EINVAL;
		if (PROTO_VERSION_MAJOR_OF(r->u.hello.server_version) != PROTO_VERSION_MAJOR)
			return -EPROTO;
		if (r->u.hello.max_msg < sizeof(struct proto_hdr) + sizeof(struct proto_reply) ||
		    r->u.hello.ndevices > PROTO_MAX_DEVICES)
			return -EINVAL;
		used = sizeof(r->u.hello);
		break;
	case PROTO_DEVICE: {
		const struct proto_device_reply *d = &r->u.device;

		if (d->device_id >= PROTO_MAX_DEVICES || d->reserved0 || d->reserved1 ||
		    !d->nwqs || d->nwqs > PROTO_MAX_WQS || !d->nengines ||
		    d->nengines > PROTO_MAX_ENGINES)
			return -EINVAL;
		used = sizeof(*d);
		break;
	}
	case PROTO_BIND:
		/* PASID 0 is reserved for the untranslated requests (system.md §2.1). */
		if (r->u.bind.reserved || !r->u.bind.pasid || r->u.bind.pasid >= PROTO_PASID_LIMIT)
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
		if ((o->flags & ~PROTO_WQ_DEDICATED) || !o->pasid || o->pasid >= PROTO_PASID_LIMIT)
			return -EINVAL;
		used = sizeof(*o);
		break;
	}
	case PROTO_STATUS:
		str = true;
		/* fall through */
	case PROTO_ADMIN:
	case PROTO_ATTR_SET:
		if (r->u.cmd.reserved)
			return -EINVAL;
		used = sizeof(r->u.cmd);
		break;
	case PROTO_ATTR_GET:
		str = true;
		break;
	case PROTO_ATTR_INFO:
		/* a name: non-empty, NUL-terminated */
		if ((r->u.attr_info.flags & ~PROTO_ATTR_WRITABLE) || r->u.attr_info.reserved ||
		    r->data_len < 2)
			return -EINVAL;
		str = true;
		used = sizeof(r->u.attr_info);
		break;
	case PROTO_STATS:
		stats = true;
		break;
	default:	/* CLOSE_WQ, UNBIND: nothing to report */
		break;
	}
	if (str ? !data_str_ok(data, r->data_len)
		: stats ? !r->data_len || r->data_len % 8 : r->data_len != 0)
		return -EINVAL;
	tail = r->u.raw + used;
	return all_zero(tail, sizeof(r->u.raw) - used) ? 0 : -EINVAL;
}

/*
 * Field checks on the copied header and body; the header is already
 * validated. data is the reply data (data_len bytes, read-only here).
 */
static int check_body(unsigned int type, const union proto_body *b, const uint8_t *data)
{
	switch (type) {
	case PROTO_HELLO:
		return check_hello(&b->hello);
	case PROTO_BIND:
	case PROTO_UNBIND:
	case PROTO_STATUS:
		return check_dev(&b->dev);
	case PROTO_DEVICE:
		return str_ok(b->device.name, sizeof(b->device.name), true) ? 0 : -EINVAL;
	case PROTO_OPEN_WQ:
		return check_open_wq(&b->open_wq);
	case PROTO_CLOSE_WQ:
		if (b->close_wq.reserved || !b->close_wq.handle)
			return -EINVAL;
		return 0;
	case PROTO_STATS:
		return check_stats(&b->stats);
	case PROTO_ATTR_GET:
	case PROTO_ATTR_SET:
		return check_attr(&b->attr, type == PROTO_ATTR_SET);
	case PROTO_ADMIN:
		return check_admin(&b->admin);
	case PROTO_ATTR_INFO:
		return check_attr_info(&b->attr_info);
	case PROTO_REPLY:
		return check_reply(&b->reply, data);
	}
	return -EBADMSG;
}

int proto_encode_data(enum proto_type t, uint32_t seq, const void *body, size_t body_len,
		      const void *data, size_t data_len, void *buf, size_t cap, size_t *ret_len)
{
	ssize_t want = proto_body_size(t);
	struct proto_hdr h;
	union proto_body b;
	int r;

	if (want < 0)
		return (int)want;
	if (!buf || !ret_len || (body_len && !body) || body_len != (size_t)want ||
	    (data_len && !data))
		return -EINVAL;
	if (data_len > PROTO_MAX_DATA || (data_len && t != PROTO_REPLY))
		return -EINVAL;
	if (cap < HDR_SIZE + body_len + data_len)
		return -ENOBUFS;

	memset(&h, 0, sizeof(h));
	memset(&b, 0, sizeof(b));
	h.magic = PROTO_MAGIC;
	h.version = PROTO_VERSION;
	h.type = (uint16_t)t;
	h.size = (uint32_t)(HDR_SIZE + body_len + data_len);
	h.seq = seq;
	if (body_len)
		memcpy(&b, body, body_len);
	if (t == PROTO_REPLY && b.reply.data_len != data_len)
		return -EINVAL;
	r = check_body(t, &b, data);
	if (r)
		return r;

	memcpy(buf, &h, HDR_SIZE);
	if (body_len)
		memcpy((uint8_t *)buf + HDR_SIZE, &b, body_len);
	if (data_len)
		memcpy((uint8_t *)buf + HDR_SIZE + body_len, data, data_len);
	*ret_len = HDR_SIZE + body_len + data_len;
	return 0;
}

int proto_encode(enum proto_type t, uint32_t seq, const void *body, size_t body_len,
		 void *buf, size_t cap, size_t *ret_len)
{
	return proto_encode_data(t, seq, body, body_len, NULL, 0, buf, cap, ret_len);
}

int proto_decode(const void *buf, size_t len, struct proto_msg *ret)
{
	const uint8_t *p = buf, *data;
	struct proto_hdr h;
	union proto_body b;
	size_t body, extra;
	ssize_t want;
	int r;

	if (!buf || !ret)
		return -EINVAL;
	if (len > PROTO_MAX_MSG)
		return -EMSGSIZE;
	if (len < HDR_SIZE)
		return -EBADMSG;

	memcpy(&h, p, HDR_SIZE);
	if (h.magic != PROTO_MAGIC)
		return -EBADMSG;
	if (PROTO_VERSION_MAJOR_OF(h.version) != PROTO_VERSION_MAJOR)
		return -EPROTO;
	want = proto_body_size(h.type);
	if (want < 0)
		return -EBADMSG;
	if (h.size > PROTO_MAX_MSG)
		return -EMSGSIZE;
	/* SEQPACKET keeps boundaries: a size that disagrees is a broken sender. */
	if (h.size != len || len - HDR_SIZE < (size_t)want)
		return -EBADMSG;

	body = (size_t)want;
	extra = len - HDR_SIZE - body;
	data = p + HDR_SIZE + body;
	memset(&b, 0, sizeof(b));
	memcpy(&b, p + HDR_SIZE, body);
	if (h.type == PROTO_REPLY) {
		/* Replies end with exactly data_len bytes of data. */
		if (extra != b.reply.data_len)
			return extra > b.reply.data_len ? -EINVAL : -EBADMSG;
	} else if (!all_zero(data, extra)) {
		/* Fields of a newer minor that we do not know must be left at zero. */
		return -EINVAL;
	}
	/*
	 * The data is checked where it arrived and copied after: the buffer
	 * is the caller's own receive buffer, which nobody else writes.
	 */
	r = check_body(h.type, &b, h.type == PROTO_REPLY ? data : NULL);
	if (r)
		return r;
	ret->hdr = h;
	ret->body = b;
	if (h.type != PROTO_REPLY)
		extra = 0;
	memcpy(ret->data, data, extra);
	memset(ret->data + extra, 0, sizeof(ret->data) - extra);
	return 0;
}
