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
 * identity from SO_PEERCRED and SO_PEERPIDFD. Portal rings (ring.h) travel
 * as a memfd plus an eventfd doorbell in SCM_RIGHTS next to the OPEN_WQ
 * reply, not inside it. docs/DAEMON.md describes the conversation.
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
#define PROTO_VERSION_MINOR	2	/* 1.1: ATTR_INFO; ATTR_GET answers the show bytes; 1.2: STATS_PASID */
#define PROTO_VERSION		((PROTO_VERSION_MAJOR << 8) | PROTO_VERSION_MINOR)
#define PROTO_VERSION_MAJOR_OF(v)	((unsigned int)(v) >> 8)
#define PROTO_MAX_MSG		16384u	/* bound on any packet; sizes receive buffers */

#define PROTO_MAX_DEVICES	16u	/* device id < this */
#define PROTO_MAX_WQS		64u	/* wq id < this */
#define PROTO_MAX_ENGINES	64u	/* engine id < this */
#define PROTO_MAX_RING_SLOTS	4096u	/* portal ring slots: power of two, <= this */
#define PROTO_MAX_SLOT_SIZE	4096u	/* slot size: power of two, 64 .. this */
#define PROTO_MAX_WQ_SIZE	65535u	/* WQCAP total_wq_size is 16 bits */
#define PROTO_MAX_ERRNO		4095	/* replies carry 0 or -1 .. -4095 */
#define PROTO_NAME_SIZE		16u	/* device name, NUL included */
#define PROTO_OBJ_SIZE		32u	/* attribute object ("wq0.3"), NUL included */
#define PROTO_ATTR_SIZE		32u	/* attribute name, NUL included */
#define PROTO_VAL_SIZE		256u	/* attribute value to store, NUL included */
#define PROTO_PASID_LIMIT	(1u << 20)
#define PROTO_MAX_PASID_ROWS	4096u	/* per-PASID counter row index < this */

enum proto_type {
	PROTO_HELLO = 1,	/* body: struct proto_hello; must come first */
	PROTO_BIND,		/* body: struct proto_dev; PASID comes from the peer's identity */
	PROTO_OPEN_WQ,		/* body: struct proto_open_wq; reply carries memfd + eventfd */
	PROTO_CLOSE_WQ,		/* body: struct proto_close_wq */
	PROTO_STATS,		/* body: struct proto_stats; reply data: the counters */
	PROTO_REPLY,		/* body: struct proto_reply (+ data), daemon to client only */
	PROTO_DEVICE,		/* body: struct proto_device: look a device up by name */
	PROTO_UNBIND,		/* body: struct proto_dev */
	PROTO_ATTR_GET,		/* body: struct proto_attr (val zero); reply data: the show bytes */
	PROTO_ATTR_SET,		/* body: struct proto_attr; privileged */
	PROTO_ADMIN,		/* body: struct proto_admin */
	PROTO_STATUS,		/* body: struct proto_dev; reply data: the last error text */
	PROTO_ATTR_INFO,	/* body: struct proto_attr_info; reply data: the name (1.1) */
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

/* Requests about one device (BIND, UNBIND, STATUS). */
struct proto_dev {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t reserved0;
	uint32_t reserved1;
};
static_assert(sizeof(struct proto_dev) == 8, "proto_dev is wire ABI");

/*
 * Strings travel in fixed arrays: NUL-terminated, with every byte after
 * the NUL zero, so one value has one encoding.
 */
struct proto_device {
	char name[PROTO_NAME_SIZE];	/* "dsa0"; non-empty */
};
static_assert(sizeof(struct proto_device) == 16, "proto_device is wire ABI");

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

enum proto_stats_kind {
	PROTO_STATS_WQ = 1,	/* data: struct sva_wq_stats of WQ index */
	PROTO_STATS_ENGINE,	/* data: struct sva_engine_stats of engine index */
	PROTO_STATS_DEVICE,	/* data: struct sva_device_stats; index 0 */
	PROTO_STATS_SWERROR,	/* data: the four SWERROR words; index 0 */
	PROTO_STATS_DAEMON,	/* data: struct sva_daemon_stats; index 0 */
	PROTO_STATS_PASID,	/* 1.2, data: struct sva_pasid_stats of row index; -ENOENT past the end */
	PROTO_STATS_KIND_MAX,
};

struct proto_stats {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t kind;		/* enum proto_stats_kind */
	uint32_t index;		/* WQ, engine or PASID row; 0 for the others */
};
static_assert(sizeof(struct proto_stats) == 8, "proto_stats is wire ABI");

struct proto_attr {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t reserved0;
	uint32_t reserved1;
	char obj[PROTO_OBJ_SIZE];	/* "dsa0", "wq0.1", ...; non-empty */
	char attr[PROTO_ATTR_SIZE];	/* non-empty */
	char val[PROTO_VAL_SIZE];	/* ATTR_SET: the value (may be ""); ATTR_GET: all zero */
};
/*
 * The ATTR_GET reply data is what one read() of the sysfs file returns
 * (sva_attr_show: "value\n", or nothing for an empty file such as an empty
 * group list) followed by a NUL, so an empty file ("") and an empty value
 * ("\n") stay apart.
 */
static_assert(sizeof(struct proto_attr) == 8 + 32 + 32 + 256, "proto_attr is wire ABI");

/*
 * The index-th attribute of obj (sva_attr_info): the reply carries its
 * name as data and its flags in proto_attr_info_reply; -ENOENT past the
 * last one or for an unknown object.
 */
struct proto_attr_info {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t reserved0;
	uint32_t index;		/* any: past the end is -ENOENT */
	char obj[PROTO_OBJ_SIZE];	/* non-empty */
};
static_assert(sizeof(struct proto_attr_info) == 8 + 32, "proto_attr_info is wire ABI");

/* Admin commands of sva.h; those marked P need a privileged peer. */
enum proto_cmd {
	PROTO_CMD_DEV_ENABLE = 1,	/* P */
	PROTO_CMD_DEV_DISABLE,		/* P */
	PROTO_CMD_DEV_RESET,		/* P */
	PROTO_CMD_WQ_ENABLE,		/* P, arg: wq */
	PROTO_CMD_WQ_DISABLE,		/* P, arg: wq */
	PROTO_CMD_WQ_RESET,		/* P, arg: wq */
	PROTO_CMD_DRAIN_ALL,
	PROTO_CMD_DRAIN_WQ,		/* arg: wq */
	PROTO_CMD_DRAIN_PASID,		/* arg: pasid */
	PROTO_CMD_ABORT_ALL,		/* P */
	PROTO_CMD_ABORT_WQ,		/* P, arg: wq */
	PROTO_CMD_ABORT_PASID,		/* P unless the peer's own PASID, arg: pasid */
	PROTO_CMD_SWERROR_CLEAR,	/* P */
	PROTO_CMD_MAX,
};

struct proto_admin {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t cmd;		/* enum proto_cmd */
	uint32_t arg;		/* wq < PROTO_MAX_WQS, pasid < 2^20, else 0 */
};
static_assert(sizeof(struct proto_admin) == 8, "proto_admin is wire ABI");

/* reply bodies */

struct proto_hello_reply {
	uint16_t server_version;	/* PROTO_VERSION of svad */
	uint16_t reserved0;
	uint32_t max_msg;		/* PROTO_MAX_MSG of svad */
	uint32_t ndevices;		/* devices hosted, <= PROTO_MAX_DEVICES */
	uint32_t reserved1;
};

struct proto_device_reply {
	uint16_t device_id;	/* < PROTO_MAX_DEVICES */
	uint16_t reserved0;
	uint32_t nwqs;		/* 1 .. PROTO_MAX_WQS */
	uint32_t nengines;	/* 1 .. PROTO_MAX_ENGINES */
	uint32_t reserved1;
};

struct proto_bind_reply {
	uint32_t pasid;		/* 20-bit PASID bound to the peer's address space */
	uint32_t reserved;
};

#define PROTO_WQ_DEDICATED	(1u << 0)	/* proto_open_wq_reply.flags */

struct proto_open_wq_reply {
	uint32_t handle;	/* non-zero; names the portal in CLOSE_WQ */
	uint32_t ring_slots;	/* geometry of the memfd ring sent with SCM_RIGHTS */
	uint32_t slot_size;
	uint32_t wq_size;	/* the WQ's size, for credits */
	uint32_t flags;		/* PROTO_WQ_DEDICATED */
	uint32_t pasid;		/* the peer's PASID: opening binds, as open() does */
};

#define PROTO_ATTR_WRITABLE	(1u << 0)	/* proto_attr_info_reply.flags: SVA_ATTR_WRITABLE */

struct proto_attr_info_reply {
	uint32_t flags;		/* PROTO_ATTR_WRITABLE */
	uint32_t reserved;
};

struct proto_cmd_reply {
	uint32_t cmd_status;	/* the device's command status after the request */
	uint32_t reserved;
};

#define PROTO_REPLY_PAYLOAD	64	/* fixed; the largest payload plus room to grow */
#define PROTO_MAX_DATA		(PROTO_MAX_MSG - sizeof(struct proto_hdr) - sizeof(struct proto_reply))

/*
 * A reply is the fixed struct below followed by exactly data_len bytes of
 * variable data (attribute values, error texts, counters). Replies grow in
 * their fixed payload union, never past it, so the data is unambiguous.
 */
struct proto_reply {
	uint32_t req_seq;	/* seq of the request answered */
	int32_t result;		/* 0 (or a length for ATTR_GET) or -errno; errors carry nothing */
	uint16_t req_type;	/* enum proto_type of the request; selects the payload */
	uint16_t reserved0;
	uint32_t data_len;	/* bytes of data after this struct */
	union {
		struct proto_hello_reply hello;
		struct proto_device_reply device;
		struct proto_bind_reply bind;
		struct proto_open_wq_reply open_wq;
		struct proto_cmd_reply cmd;	/* ADMIN, STATUS, ATTR_SET */
		struct proto_attr_info_reply attr_info;
		uint8_t raw[PROTO_REPLY_PAYLOAD];	/* others: none */
	} u;
};
static_assert(sizeof(struct proto_reply) == 16 + PROTO_REPLY_PAYLOAD, "proto_reply is wire ABI");
static_assert(offsetof(struct proto_reply, u) % 8 == 0, "payload is 8-byte aligned");

/* decoded message: always a copy, never a view of the receive buffer */

union proto_body {
	struct proto_hello hello;
	struct proto_dev dev;
	struct proto_device device;
	struct proto_open_wq open_wq;
	struct proto_close_wq close_wq;
	struct proto_stats stats;
	struct proto_attr attr;
	struct proto_admin admin;
	struct proto_attr_info attr_info;
	struct proto_reply reply;
};

struct proto_msg {
	struct proto_hdr hdr;
	union proto_body body;
	uint8_t data[PROTO_MAX_DATA];	/* reply data, data_len bytes; zero past it */
};

/* encoding and decoding (proto.c) */

/*
 * Body length the current version sends for type t (0 for BIND), or
 * -EBADMSG if t is not a known type.
 */
ssize_t proto_body_size(unsigned int t);

/*
 * Build a message of type t with sequence number seq in buf (cap bytes).
 * proto_encode_data() appends data_len bytes of reply data (REPLY only;
 * the reply's data_len must say the same).
 * body_len must be exactly proto_body_size(t) and the body must pass the
 * same checks as proto_decode(), so svad and clients never emit what they
 * would reject. Returns 0 with *ret_len set to the message length;
 * -EBADMSG for an unknown type, -EINVAL for a wrong body_len or an invalid
 * body, -ENOBUFS if cap is too small. *ret_len is untouched on failure.
 */
int proto_encode(enum proto_type t, uint32_t seq, const void *body, size_t body_len,
		 void *buf, size_t cap, size_t *ret_len);
int proto_encode_data(enum proto_type t, uint32_t seq, const void *body, size_t body_len,
		      const void *data, size_t data_len, void *buf, size_t cap, size_t *ret_len);

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
