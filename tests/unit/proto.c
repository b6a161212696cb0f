/* SPDX-License-Identifier: MIT */
/*
 * Description: the svad wire protocol (src/daemon/proto.c). Every message
 * type, requests and replies to each request (with their data: strings,
 * counters), survives encode/decode unchanged, from an unaligned buffer too; every malformed message is
 * rejected with its exact errno (bad magic, other major version, unknown
 * type, size mismatch both ways, truncated header, oversize, non-zero
 * reserved or trailing bytes, out-of-range ids, unknown flags) and leaves
 * the output untouched; the encoder refuses what the decoder would.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "daemon/proto.h"

/* aligned so hdr() may view it; proto_decode() itself never needs that */
static _Alignas(8) uint8_t wire[PROTO_MAX_MSG + 64];

/* Encode into wire + off, asserting success; returns the length. */
static size_t enc(enum proto_type t, uint32_t seq, const void *body, size_t off)
{
	size_t len = 0;
	int r = proto_encode(t, seq, body, (size_t)proto_body_size(t), wire + off,
			     sizeof(wire) - off, &len);

	if (r)
		T_FATAL("proto_encode(type %d): %d", t, r);
	return len;
}

static size_t enc_data(const void *body, const void *data, size_t dlen, size_t off)
{
	size_t len = 0;
	int r = proto_encode_data(PROTO_REPLY, 3, body, sizeof(struct proto_reply), data, dlen,
				  wire + off, sizeof(wire) - off, &len);

	if (r)
		T_FATAL("proto_encode_data: %d", r);
	return len;
}

static void round_trip(enum proto_type t, const void *body)
{
	size_t blen = (size_t)proto_body_size(t);

	/* offset 1 and 3: the decoder must not rely on the packet's alignment */
	for (size_t off = 0; off < 4; off += (off ? 2 : 1)) {
		struct proto_msg m;
		size_t len = enc(t, 0x1234 + (uint32_t)t, body, off);

		T_EQ(len, sizeof(struct proto_hdr) + blen);
		memset(&m, 0xa5, sizeof(m));
		T_EQ(proto_decode(wire + off, len, &m), 0);
		T_EQ(m.hdr.magic, PROTO_MAGIC);
		T_EQ(m.hdr.version, PROTO_VERSION);
		T_EQ(m.hdr.type, t);
		T_EQ(m.hdr.size, len);
		T_EQ(m.hdr.seq, 0x1234 + (uint32_t)t);
		T_CHECK(!blen || !memcmp(&m.body, body, blen), "type %d body differs", t);
	}
}

static struct proto_reply reply_to(enum proto_type req)
{
	struct proto_reply r;

	memset(&r, 0, sizeof(r));
	r.req_seq = 77;
	r.req_type = (uint16_t)req;
	switch (req) {
	case PROTO_HELLO:
		r.u.hello.server_version = PROTO_VERSION;
		r.u.hello.max_msg = PROTO_MAX_MSG;
		break;
	case PROTO_BIND:
		r.u.bind.pasid = 1;	/* single low byte: pokes can zero it */
		break;
	case PROTO_OPEN_WQ:
		r.u.open_wq = (struct proto_open_wq_reply){ .handle = 9, .ring_slots = 256,
							    .slot_size = 64, .wq_size = 32,
							    .flags = PROTO_WQ_DEDICATED,
							    .pasid = 1 };
		break;
	case PROTO_DEVICE:
		r.u.device = (struct proto_device_reply){ .device_id = 15, .nwqs = 1,
							  .nengines = 64 };
		break;
	case PROTO_ADMIN:
	case PROTO_ATTR_SET:
	case PROTO_STATUS:
		r.u.cmd.cmd_status = 0x80000003u;
		break;
	default:
		break;
	}
	/* Requests whose replies carry data: a string or counters. */
	switch (req) {
	case PROTO_STATUS:
	case PROTO_ATTR_GET:
		r.data_len = 1;		/* "" */
		break;
	case PROTO_STATS:
		r.data_len = 8;
		break;
	case PROTO_ATTR_INFO:
		r.u.attr_info.flags = PROTO_ATTR_WRITABLE;
		r.data_len = 2;		/* "x": a name is never empty */
		break;
	default:
		break;
	}
	return r;
}

static void test_round_trips(void)
{
	struct proto_hello h = { .client_version = PROTO_VERSION };
	struct proto_open_wq o = { .device_id = 15, .wq_id = 63, .flags = PROTO_WQ_UNLIMITED };
	struct proto_close_wq c = { .handle = 0xffffffff };
	struct proto_stats s = { .device_id = 3, .kind = PROTO_STATS_WQ, .index = 63 };
	struct proto_reply err = { .req_seq = 1, .result = -EBUSY, .req_type = PROTO_OPEN_WQ };
	struct proto_dev d = { .device_id = 15 };
	struct proto_device dn = { .name = "dsa15" };
	struct proto_attr a = { .device_id = 1, .obj = "wq1.3", .attr = "op_cap" };
	struct proto_admin ad = { .device_id = 2, .cmd = PROTO_CMD_ABORT_PASID,
				  .arg = (1u << 20) - 1 };
	struct proto_attr_info ai = { .device_id = 15, .index = 0xffffffff, .obj = "group1.3" };

	round_trip(PROTO_HELLO, &h);
	round_trip(PROTO_BIND, &d);
	round_trip(PROTO_UNBIND, &d);
	round_trip(PROTO_STATUS, &d);
	round_trip(PROTO_DEVICE, &dn);
	round_trip(PROTO_ATTR_GET, &a);
	memcpy(a.val, "shared", 7);
	round_trip(PROTO_ATTR_SET, &a);
	round_trip(PROTO_ADMIN, &ad);
	round_trip(PROTO_ATTR_INFO, &ai);
	s.kind = PROTO_STATS_DAEMON;
	s.index = 0;
	round_trip(PROTO_STATS, &s);
	s.kind = PROTO_STATS_PASID;
	s.index = PROTO_MAX_PASID_ROWS - 1;
	round_trip(PROTO_STATS, &s);
	s.kind = PROTO_STATS_WQ;
	s.index = 63;
	round_trip(PROTO_OPEN_WQ, &o);
	o.flags = PROTO_WQ_LIMITED;
	round_trip(PROTO_OPEN_WQ, &o);
	round_trip(PROTO_CLOSE_WQ, &c);
	round_trip(PROTO_STATS, &s);
	for (int t = PROTO_HELLO; t < PROTO_TYPE_MAX; t++) {
		struct proto_reply r = reply_to(t);
		static const uint8_t zeros[8];
		struct proto_msg m;
		size_t len;

		if (t == PROTO_REPLY)
			continue;
		if (!r.data_len) {
			round_trip(PROTO_REPLY, &r);
			continue;
		}
		len = enc_data(&r, t == PROTO_ATTR_INFO ? (const uint8_t *)"x" : zeros, r.data_len,
			       1);
		T_EQ(proto_decode(wire + 1, len, &m), 0);
		T_EQ(m.body.reply.data_len, r.data_len);
		T_EQ(m.body.reply.req_type, t);
	}
	round_trip(PROTO_REPLY, &err);
	err = reply_to(PROTO_BIND);
	err.u.bind.pasid = (1u << 20) - 1;	/* the largest PASID */
	round_trip(PROTO_REPLY, &err);
}

/* Decode wire[0..len) expecting err, and check *ret was not written. */
#define REJECT(len, err)                                                          \
	do {                                                                      \
		struct proto_msg m_;                                              \
		memset(&m_, 0x5a, sizeof(m_));                                    \
		T_EQ(proto_decode(wire, (len), &m_), (uint64_t)(int64_t)(err));   \
		T_CHECK(!(err) || (((uint8_t *)&m_)[0] == 0x5a &&                  \
				   ((uint8_t *)&m_)[sizeof(m_) - 1] == 0x5a),      \
			"output clobbered on failure");                           \
	} while (0)

static struct proto_hdr *hdr(void)
{
	return (struct proto_hdr *)wire;	/* wire is our own aligned buffer */
}

static void test_header_rejects(void)
{
	struct proto_stats s = { .device_id = 1, .kind = PROTO_STATS_DEVICE };
	size_t len = enc(PROTO_STATS, 5, &s, 0);

	REJECT(len, 0);
	REJECT(0, -EBADMSG);			/* truncated header */
	REJECT(sizeof(struct proto_hdr) - 1, -EBADMSG);
	REJECT(PROTO_MAX_MSG + 1, -EMSGSIZE);	/* oversize packet */

	hdr()->magic ^= 1;
	REJECT(len, -EBADMSG);
	hdr()->magic ^= 1;

	hdr()->version = (PROTO_VERSION_MAJOR + 1) << 8;	/* newer major */
	REJECT(len, -EPROTO);
	hdr()->version = 0;					/* older major */
	REJECT(len, -EPROTO);
	hdr()->version = PROTO_VERSION | 0xff;			/* newer minor: accepted */
	REJECT(len, 0);
	hdr()->version = PROTO_VERSION;

	for (unsigned int t = 0; t < 0x10000; t += t < 8 ? 1 : 0x1000) {
		if (t >= PROTO_HELLO && t < PROTO_TYPE_MAX)
			continue;
		hdr()->type = (uint16_t)t;
		REJECT(len, -EBADMSG);
	}
	hdr()->type = PROTO_STATS;

	hdr()->size = (uint32_t)len + 1;	/* header claims more than arrived */
	REJECT(len, -EBADMSG);
	hdr()->size = (uint32_t)len - 1;	/* packet longer than the header says */
	REJECT(len, -EBADMSG);
	hdr()->size = PROTO_MAX_MSG + 1;
	REJECT(len, -EMSGSIZE);
	/* a body shorter than the type needs, consistently sized */
	hdr()->size = (uint32_t)len - 4;
	REJECT(len - 4, -EBADMSG);
	hdr()->size = (uint32_t)len;

	/* a newer minor's extra bytes: fine when zero, refused otherwise */
	memset(wire + len, 0, PROTO_MAX_MSG - len);
	hdr()->size = (uint32_t)len + 8;
	REJECT(len + 8, 0);
	wire[len + 7] = 1;
	REJECT(len + 8, -EINVAL);
	hdr()->size = PROTO_MAX_MSG;
	wire[len + 7] = 0;
	REJECT(PROTO_MAX_MSG, 0);	/* the largest packet is still legal */
}

/* Encode a valid body, then corrupt one byte of it in place. */
static void reject_poke(enum proto_type t, const void *body, size_t at, uint8_t v, int err)
{
	size_t len = enc(t, 1, body, 0);

	wire[sizeof(struct proto_hdr) + at] = v;
	REJECT(len, err);
	/* and the encoder refuses the same body */
	{
		uint8_t b[sizeof(struct proto_attr)];	/* the largest body */
		size_t out = 0;

		memcpy(b, wire + sizeof(struct proto_hdr), len - sizeof(struct proto_hdr));
		T_EQ(proto_encode(t, 1, b, len - sizeof(struct proto_hdr), wire, sizeof(wire),
				  &out), (uint64_t)(int64_t)err);
		T_EQ(out, 0);
	}
}

#define OFF(type, field) offsetof(struct type, field)

static void test_body_rejects(void)
{
	struct proto_hello h = { .client_version = PROTO_VERSION };
	struct proto_open_wq o = { .device_id = 0, .wq_id = 0, .flags = PROTO_WQ_LIMITED };
	struct proto_close_wq c = { .handle = 1 };
	struct proto_stats s = { .kind = PROTO_STATS_ENGINE, .index = 3 };
	struct proto_dev d = { 0 };
	struct proto_device dn = { .name = "dsa0" };
	struct proto_attr a = { .obj = "dsa0", .attr = "max_batch_size" };
	struct proto_admin ad = { .cmd = PROTO_CMD_WQ_ENABLE, .arg = 63 };
	struct proto_attr_info ai = { .index = 3, .obj = "engine0.1" };
	struct proto_reply r;

	reject_poke(PROTO_HELLO, &h, OFF(proto_hello, reserved0), 1, -EINVAL);
	reject_poke(PROTO_HELLO, &h, OFF(proto_hello, reserved) + 7, 0x80, -EINVAL);
	reject_poke(PROTO_HELLO, &h, OFF(proto_hello, flags), 1, -EINVAL);
	reject_poke(PROTO_HELLO, &h, OFF(proto_hello, client_version) + 1, 2, -EPROTO);

	reject_poke(PROTO_OPEN_WQ, &o, OFF(proto_open_wq, device_id), PROTO_MAX_DEVICES, -EINVAL);
	reject_poke(PROTO_OPEN_WQ, &o, OFF(proto_open_wq, wq_id), PROTO_MAX_WQS, -EINVAL);
	reject_poke(PROTO_OPEN_WQ, &o, OFF(proto_open_wq, wq_id) + 1, 1, -EINVAL);
	reject_poke(PROTO_OPEN_WQ, &o, OFF(proto_open_wq, flags), 0, -EINVAL);
	reject_poke(PROTO_OPEN_WQ, &o, OFF(proto_open_wq, flags), 3, -EINVAL);	/* both */
	reject_poke(PROTO_OPEN_WQ, &o, OFF(proto_open_wq, flags), 4, -EINVAL);	/* unknown */
	reject_poke(PROTO_OPEN_WQ, &o, OFF(proto_open_wq, reserved), 1, -EINVAL);

	reject_poke(PROTO_CLOSE_WQ, &c, OFF(proto_close_wq, handle), 0, -EINVAL);
	reject_poke(PROTO_CLOSE_WQ, &c, OFF(proto_close_wq, reserved) + 3, 1, -EINVAL);

	reject_poke(PROTO_STATS, &s, OFF(proto_stats, device_id), PROTO_MAX_DEVICES, -EINVAL);
	reject_poke(PROTO_STATS, &s, OFF(proto_stats, kind), 0, -EINVAL);
	reject_poke(PROTO_STATS, &s, OFF(proto_stats, kind), PROTO_STATS_KIND_MAX, -EINVAL);
	reject_poke(PROTO_STATS, &s, OFF(proto_stats, index), PROTO_MAX_ENGINES, -EINVAL);
	s.kind = PROTO_STATS_PASID;
	s.index = 0;
	reject_poke(PROTO_STATS, &s, OFF(proto_stats, index) + 1, PROTO_MAX_PASID_ROWS >> 8,
		    -EINVAL);
	s.kind = PROTO_STATS_DEVICE;
	s.index = 0;
	reject_poke(PROTO_STATS, &s, OFF(proto_stats, index), 1, -EINVAL);	/* no index */

	reject_poke(PROTO_BIND, &d, OFF(proto_dev, device_id), PROTO_MAX_DEVICES, -EINVAL);
	reject_poke(PROTO_UNBIND, &d, OFF(proto_dev, reserved0), 1, -EINVAL);
	reject_poke(PROTO_STATUS, &d, OFF(proto_dev, reserved1) + 3, 1, -EINVAL);

	reject_poke(PROTO_DEVICE, &dn, 0, 0, -EINVAL);		/* empty name */
	reject_poke(PROTO_DEVICE, &dn, 5, 'x', -EINVAL);	/* garbage after the NUL */
	memset(dn.name, 'd', sizeof(dn.name));
	{
		size_t len = enc(PROTO_DEVICE, 1, &(struct proto_device){ .name = "dsa0" }, 0);

		memcpy(wire + sizeof(struct proto_hdr), dn.name, sizeof(dn.name));
		REJECT(len, -EINVAL);	/* no NUL at all */
	}

	reject_poke(PROTO_ATTR_GET, &a, OFF(proto_attr, obj), 0, -EINVAL);
	reject_poke(PROTO_ATTR_GET, &a, OFF(proto_attr, attr), 0, -EINVAL);
	reject_poke(PROTO_ATTR_GET, &a, OFF(proto_attr, val), 'x', -EINVAL);	/* get has no value */
	reject_poke(PROTO_ATTR_GET, &a, OFF(proto_attr, reserved1), 1, -EINVAL);
	reject_poke(PROTO_ATTR_SET, &a, OFF(proto_attr, val) + PROTO_VAL_SIZE - 1, 'x', -EINVAL);
	reject_poke(PROTO_ATTR_SET, &a, OFF(proto_attr, obj) + PROTO_OBJ_SIZE - 1, 'x', -EINVAL);

	reject_poke(PROTO_ATTR_INFO, &ai, OFF(proto_attr_info, obj), 0, -EINVAL);
	reject_poke(PROTO_ATTR_INFO, &ai, OFF(proto_attr_info, obj) + PROTO_OBJ_SIZE - 1, 'x',
		    -EINVAL);
	reject_poke(PROTO_ATTR_INFO, &ai, OFF(proto_attr_info, reserved0), 1, -EINVAL);
	reject_poke(PROTO_ATTR_INFO, &ai, OFF(proto_attr_info, device_id), PROTO_MAX_DEVICES,
		    -EINVAL);

	reject_poke(PROTO_ADMIN, &ad, OFF(proto_admin, arg), 64, -EINVAL);	/* wq range */
	reject_poke(PROTO_ADMIN, &ad, OFF(proto_admin, cmd), 0, -EINVAL);
	reject_poke(PROTO_ADMIN, &ad, OFF(proto_admin, cmd), PROTO_CMD_MAX, -EINVAL);
	reject_poke(PROTO_ADMIN, &ad, OFF(proto_admin, device_id), PROTO_MAX_DEVICES, -EINVAL);
	ad.cmd = PROTO_CMD_DEV_ENABLE;
	ad.arg = 0;
	reject_poke(PROTO_ADMIN, &ad, OFF(proto_admin, arg), 1, -EINVAL);	/* takes none */
	ad.cmd = PROTO_CMD_DRAIN_PASID;
	reject_poke(PROTO_ADMIN, &ad, OFF(proto_admin, arg) + 2, 0x10, -EINVAL);	/* 2^20 */

	r = reply_to(PROTO_CLOSE_WQ);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, req_type), PROTO_REPLY, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, req_type), 0, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, reserved0), 1, -EINVAL);
	{
		/* data_len promises data the packet does not have */
		size_t len = enc(PROTO_REPLY, 1, &r, 0);

		wire[sizeof(struct proto_hdr) + OFF(proto_reply, data_len)] = 1;
		REJECT(len, -EBADMSG);
	}
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, result), 1, -EINVAL);	/* positive */
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u), 1, -EINVAL);	/* no payload */
	r.result = -EPERM;
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u) + 63, 1, -EINVAL);	/* + payload */
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, result) + 1, 0, -EINVAL);	/* < -4095 */

	r = reply_to(PROTO_BIND);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.bind.pasid), 0, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.bind.pasid) + 2, 0x10, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.bind.reserved), 1, -EINVAL);
	r = reply_to(PROTO_OPEN_WQ);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.open_wq.handle), 0, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.open_wq.ring_slots), 3, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.open_wq.slot_size), 32, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.open_wq.wq_size), 0, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.open_wq) + 24, 1, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.open_wq.flags), 2, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.open_wq.pasid), 0, -EINVAL);
	r = reply_to(PROTO_DEVICE);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.device.nwqs), 0, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.device.nengines), 65, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.device.device_id), 16, -EINVAL);
	r = reply_to(PROTO_ADMIN);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.cmd.reserved), 1, -EINVAL);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.cmd) + 8, 1, -EINVAL);
	r = reply_to(PROTO_ATTR_INFO);
	r.data_len = 0;		/* poked replies carry no data: a name is required */
	{
		struct proto_reply ok = reply_to(PROTO_CLOSE_WQ);
		size_t len = enc(PROTO_REPLY, 1, &ok, 0);

		memcpy(wire + sizeof(struct proto_hdr), &r, sizeof(r));
		REJECT(len, -EINVAL);
	}
	r = reply_to(PROTO_ATTR_INFO);
	{
		/* unknown flags and reserved words are refused, by the encoder too */
		size_t out;

		r.u.attr_info.flags = 2;
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "x", 2, wire, sizeof(wire),
				       &out), -EINVAL);
		r.u.attr_info.flags = PROTO_ATTR_WRITABLE;
		r.u.attr_info.reserved = 1;
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "x", 2, wire, sizeof(wire),
				       &out), -EINVAL);
		r.u.attr_info.reserved = 0;
		r.data_len = 1;	/* "" */
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "", 1, wire, sizeof(wire),
				       &out), -EINVAL);
		r.data_len = 2;
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "x", 2, wire, sizeof(wire),
				       &out), 0);
	}
	r = reply_to(PROTO_HELLO);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.hello.server_version) + 1, 9, -EPROTO);
	reject_poke(PROTO_REPLY, &r, OFF(proto_reply, u.hello.reserved0), 1, -EINVAL);
}

static void test_encode_args(void)
{
	struct proto_stats s = { .kind = PROTO_STATS_SWERROR };
	size_t len = 99;
	uint8_t small[sizeof(struct proto_hdr) + sizeof(s) - 1];

	T_EQ(proto_encode(0, 0, &s, sizeof(s), wire, sizeof(wire), &len), -EBADMSG);
	T_EQ(proto_encode(PROTO_TYPE_MAX, 0, &s, sizeof(s), wire, sizeof(wire), &len), -EBADMSG);
	T_EQ(proto_encode(PROTO_STATS, 0, &s, sizeof(s) + 1, wire, sizeof(wire), &len), -EINVAL);
	T_EQ(proto_encode(PROTO_STATS, 0, NULL, sizeof(s), wire, sizeof(wire), &len), -EINVAL);
	T_EQ(proto_encode(PROTO_STATS, 0, &s, sizeof(s), NULL, sizeof(wire), &len), -EINVAL);
	T_EQ(proto_encode(PROTO_STATS, 0, &s, sizeof(s), wire, sizeof(wire), NULL), -EINVAL);
	T_EQ(proto_encode(PROTO_STATS, 0, &s, sizeof(s), small, sizeof(small), &len), -ENOBUFS);
	T_EQ(len, 99);
	T_EQ(proto_decode(NULL, 16, &(struct proto_msg){ 0 }), -EINVAL);
	T_EQ(proto_decode(wire, 16, NULL), -EINVAL);
	T_EQ(proto_body_size(PROTO_BIND), sizeof(struct proto_dev));
	/* data only on replies, and only as long as the reply says */
	T_EQ(proto_encode_data(PROTO_STATS, 0, &s, sizeof(s), "x", 1, wire, sizeof(wire), &len),
	     -EINVAL);
	{
		struct proto_reply r = reply_to(PROTO_STATS);

		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "abcdefgh", 7, wire,
				       sizeof(wire), &len), -EINVAL);
		r.data_len = 7;	/* counters come in 8-byte words */
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "abcdefgh", 7, wire,
				       sizeof(wire), &len), -EINVAL);
		r = reply_to(PROTO_ATTR_GET);
		r.data_len = 3;	/* a string has its NUL last and only there */
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "a\0b", 3, wire,
				       sizeof(wire), &len), -EINVAL);
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "abc", 3, wire,
				       sizeof(wire), &len), -EINVAL);
		T_EQ(proto_encode_data(PROTO_REPLY, 0, &r, sizeof(r), "ab", 3, wire,
				       sizeof(wire), &len), 0);
		T_EQ(len, sizeof(struct proto_hdr) + sizeof(r) + 3);
		/* decoded data is the string; a truncated packet is refused */
		{
			struct proto_msg m;

			T_EQ(proto_decode(wire, len, &m), 0);
			T_CHECK(!strcmp((char *)m.data, "ab"), "data %s", (char *)m.data);
			hdr()->size = (uint32_t)len - 1;
			REJECT(len - 1, -EBADMSG);
			hdr()->size = (uint32_t)len + 1;
			wire[len] = 0;
			REJECT(len + 1, -EINVAL);	/* more than data_len */
		}
	}
	T_EQ(proto_body_size(PROTO_TYPE_MAX), -EBADMSG);
}

int main(void)
{
	test_round_trips();
	test_header_rejects();
	test_body_rejects();
	test_encode_args();
	return t_done("proto");
}
