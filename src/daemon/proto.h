/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/daemon: the svad wire protocol. Messages go
 * over a SOCK_SEQPACKET Unix socket, one message per packet, in host byte
 * order (both ends are on the same machine). Every message is a fixed
 * struct proto_hdr followed by a per-type body of fixed layout; all structs
 * are naturally aligned, contain no pointers and no implicit padding, and
 * carry reserved space that must be zero (STYLE rule 13).
 *
 * Compatibility: version is major << 8 | minor. A receiver accepts any
 * minor of its own major. A newer minor may append fields to a body; a
 * receiver accepts the longer body only if the bytes it does not know are
 * zero (as the kernel's copy_struct_from_user() does), so new fields must
 * default to "off" when zero.
 *
 * The PASID is never carried by a client message: svad derives the client
 * identity from SO_PEERCRED. Portal rings travel as a memfd in SCM_RIGHTS
 * next to the OPEN_WQ reply, not inside it.
 */
#ifndef SVA_DAEMON_PROTO_H
#define SVA_DAEMON_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* wire constants */

#define PROTO_MAGIC		0x50415653u	/* "SVAP" in little-endian memory */
#define PROTO_VERSION_MAJOR	1
#define PROTO_VERSION_MINOR	0
#define PROTO_VERSION		((PROTO_VERSION_MAJOR << 8) | PROTO_VERSION_MINOR)
#define PROTO_VERSION_MAJOR_OF(v)	((unsigned int)(v) >> 8)
#define PROTO_MAX_MSG		4096u	/* bound on any packet; sizes receive buffers */

#define PROTO_MAX_DEVICES	16u	/* device id < this */
#define PROTO_MAX_WQS		64u	/* wq id < this */
#define PROTO_MAX_RING_SLOTS	4096u	/* portal ring slots: power of two, <= this */
#define PROTO_MAX_SLOT_SIZE	4096u	/* slot size: power of two, 64 .. this */
#define PROTO_MAX_WQ_SIZE	65535u	/* WQCAP total_wq_size is 16 bits */
#define PROTO_MAX_ERRNO		4095	/* replies carry 0 or -1 .. -4095 */

enum proto_type {
	PROTO_HELLO = 1,	/* body: struct proto_hello */
	PROTO_BIND,		/* no body; PASID comes from SO_PEERCRED */
	PROTO_OPEN_WQ,		/* body: struct proto_open_wq */
	PROTO_CLOSE_WQ,		/* body: struct proto_close_wq */
	PROTO_STATS,		/* body: struct proto_stats */
	PROTO_REPLY,		/* body: struct proto_reply, daemon to client only */
	PROTO_TYPE_MAX,		/* first unknown type */
};

struct proto_hdr {
	uint32_t magic;		/* PROTO_MAGIC */
	uint16_t version;	/* PROTO_VERSION of the sender */
	uint16_t type;		/* enum proto_type */
	uint32_t size;		/* whole message, header included; == packet length */
	uint32_t seq;		/* chosen by the requester, echoed in proto_reply.req_seq */
};
static_assert(sizeof(struct proto_hdr) == 16, "proto_hdr is wire ABI");

/* request bodies */

#define PROTO_HELLO_FLAGS_KNOWN	0u	/* no client options defined in 1.x yet */

struct proto_hello {
	uint16_t client_version;	/* highest PROTO_VERSION the client speaks */
	uint16_t reserved0;
	uint32_t flags;			/* PROTO_HELLO_FLAGS_KNOWN */
	uint32_t reserved[2];
};
static_assert(sizeof(struct proto_hello) == 16, "proto_hello is wire ABI");

/*
 * DSA portals come in pairs per WQ: the limited portal honours the WQ
 * threshold for ENQCMD, the unlimited one is for ENQCMDS/privileged use
 * (DSA spec 3.3.1). Exactly one must be asked for.
 */
#define PROTO_WQ_LIMITED	(1u << 0)
#define PROTO_WQ_UNLIMITED	(1u << 1)

struct proto_open_wq {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t wq_id;		/* < PROTO_MAX_WQS */
	uint32_t flags;		/* exactly one of PROTO_WQ_LIMITED, PROTO_WQ_UNLIMITED */
	uint32_t reserved[2];
};
static_assert(sizeof(struct proto_open_wq) == 16, "proto_open_wq is wire ABI");

struct proto_close_wq {
	uint32_t handle;	/* from proto_open_wq_reply; 0 is never issued */
	uint32_t reserved;
};
static_assert(sizeof(struct proto_close_wq) == 8, "proto_close_wq is wire ABI");

struct proto_stats {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t reserved0;
	uint32_t reserved1;
};
static_assert(sizeof(struct proto_stats) == 8, "proto_stats is wire ABI");

/* reply bodies */

struct proto_hello_reply {
	uint16_t server_version;	/* PROTO_VERSION of svad */
	uint16_t reserved0;
	uint32_t max_msg;		/* PROTO_MAX_MSG of svad */
};

struct proto_bind_reply {
	uint32_t pasid;		/* 20-bit PASID bound to the peer's address space */
	uint32_t reserved;
};

struct proto_open_wq_reply {
	uint32_t handle;	/* non-zero; names the portal in CLOSE_WQ */
	uint32_t ring_slots;	/* geometry of the memfd ring sent with SCM_RIGHTS */
	uint32_t slot_size;
	uint32_t wq_size;	/* WQ entries granted to this client */
};

struct proto_stats_reply {
	uint64_t submitted;	/* descriptors accepted by the device's WQs */
	uint64_t completed;	/* descriptors completed with success */
	uint64_t failed;	/* completed with an error status */
	uint64_t retries;	/* ENQCMD attempts refused (WQ full or over threshold) */
	uint64_t page_faults;	/* PRS-style faults resolved on behalf of clients */
	uint64_t bytes;		/* source bytes processed */
	uint64_t reserved[2];
};

#define PROTO_REPLY_PAYLOAD	64	/* fixed; the largest payload plus room to grow */

struct proto_reply {
	uint32_t req_seq;	/* seq of the request answered */
	int32_t result;		/* 0 or -errno; on error the payload is all zero */
	uint16_t req_type;	/* enum proto_type of the request; selects the payload */
	uint16_t reserved0;
	uint32_t reserved1;
	union {
		struct proto_hello_reply hello;
		struct proto_bind_reply bind;
		struct proto_open_wq_reply open_wq;
		struct proto_stats_reply stats;	/* PROTO_STATS */
		uint8_t raw[PROTO_REPLY_PAYLOAD];	/* CLOSE_WQ: none */
	} u;
};
static_assert(sizeof(struct proto_reply) == 16 + PROTO_REPLY_PAYLOAD, "proto_reply is wire ABI");
static_assert(sizeof(struct proto_stats_reply) <= PROTO_REPLY_PAYLOAD, "stats fit the payload");
static_assert(offsetof(struct proto_reply, u) % 8 == 0, "payload is 8-byte aligned");

/* decoded message: always a copy, never a view of the receive buffer */

struct proto_msg {
	struct proto_hdr hdr;
	union {
		struct proto_hello hello;
		struct proto_open_wq open_wq;
		struct proto_close_wq close_wq;
		struct proto_stats stats;
		struct proto_reply reply;
	} body;
};

/* encoding and decoding (proto.c) */

/*
 * Body length the current version sends for type t (0 for BIND), or
 * -EBADMSG if t is not a known type.
 */
ssize_t proto_body_size(unsigned int t);

/*
 * Build a message of type t with sequence number seq in buf (cap bytes).
 * body_len must be exactly proto_body_size(t) and the body must pass the
 * same checks as proto_decode(), so svad and clients never emit what they
 * would reject. Returns 0 with *ret_len set to the message length;
 * -EBADMSG for an unknown type, -EINVAL for a wrong body_len or an invalid
 * body, -ENOBUFS if cap is too small. *ret_len is untouched on failure.
 */
int proto_encode(enum proto_type t, uint32_t seq, const void *body, size_t body_len,
		 void *buf, size_t cap, size_t *ret_len);

/*
 * Validate the len bytes at buf (one received packet, any alignment) and
 * copy them into *ret, zero-filled past the sender's body. Returns 0, or:
 * -EMSGSIZE if len > PROTO_MAX_MSG; -EBADMSG for a truncated header, a
 * bad magic, an unknown type, hdr.size != len or a body shorter than the
 * type needs; -EPROTO for another major version; -EINVAL for non-zero
 * reserved bytes (unknown trailing bytes included), an out-of-range id or
 * unknown flags. *ret is untouched on failure. The caller must answer a
 * failure with an error reply and close the connection.
 */
int proto_decode(const void *buf, size_t len, struct proto_msg *ret);

#endif /* SVA_DAEMON_PROTO_H */
