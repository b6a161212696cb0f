/* SPDX-License-Identifier: MIT */
/*
 * Description: garbage on svad's socket. Random packets, a truncated
 * header, a wrong magic, another major version, an oversize packet, a
 * request before HELLO, a reply sent by a client and a bad body each get
 * an error reply with the exact errno and a closed connection; fds sent to
 * svad are not kept; a client that never reads its replies is cut off.
 * After all of it svad still serves a real client correctly and holds no
 * connection or client state for the garbage senders.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "daemon/proto.h"
#include "sva/sva.h"

static const char *sock;

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		T_FATAL("connect: %s", strerror(errno));
	return fd;
}

/* Receive one reply: its result, or 1 if the connection closed instead. */
static int recv_reply(int fd, struct proto_msg *m)
{
	static uint8_t buf[PROTO_MAX_MSG];
	struct timeval tv = { 10, 0 };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, sizeof(buf), 0);
	if (n == 0)
		return 1;
	if (n < 0)
		T_FATAL("recv: %s", strerror(errno));
	T_EQ(proto_decode(buf, (size_t)n, m), 0);
	T_EQ(m->hdr.type, PROTO_REPLY);
	return m->body.reply.result;
}

/* Send len bytes; expect error err in a reply and then the hang-up. */
static void expect_rejected(int fd, const void *pkt, size_t len, int err)
{
	static struct proto_msg m;

	T_EQ(send(fd, pkt, len, MSG_NOSIGNAL), (ssize_t)len);
	T_EQ(recv_reply(fd, &m), err);
	T_EQ(recv_reply(fd, &m), 1);	/* closed */
	close(fd);
}

static size_t hello(uint8_t *buf, uint32_t seq)
{
	struct proto_hello h = { .client_version = PROTO_VERSION };
	size_t len;

	if (proto_encode(PROTO_HELLO, seq, &h, sizeof(h), buf, PROTO_MAX_MSG, &len))
		T_FATAL("encode");
	return len;
}

static void test_malformed(void)
{
	static uint8_t buf[PROTO_MAX_MSG + 512];
	static struct proto_msg m;
	struct proto_dev dv = { 0 };
	size_t len;
	int fd;

	len = hello(buf, 1);
	fd = raw_connect();
	expect_rejected(fd, buf, 10, -EBADMSG);			/* truncated header */
	buf[0] ^= 0xff;
	expect_rejected(raw_connect(), buf, len, -EBADMSG);	/* magic */
	buf[0] ^= 0xff;
	buf[5] = PROTO_VERSION_MAJOR + 1;
	expect_rejected(raw_connect(), buf, len, -EPROTO);	/* another major */
	buf[5] = PROTO_VERSION_MAJOR;
	memset(buf + len, 0, sizeof(buf) - len);
	((struct proto_hdr *)buf)->size = PROTO_MAX_MSG + 256;
	expect_rejected(raw_connect(), buf, PROTO_MAX_MSG + 256, -EMSGSIZE);	/* oversize */
	len = hello(buf, 1);
	buf[16 + 2] = 1;					/* reserved0 of the body */
	expect_rejected(raw_connect(), buf, len, -EINVAL);

	/* Nothing but HELLO first. */
	if (proto_encode(PROTO_BIND, 2, &dv, sizeof(dv), buf, sizeof(buf), &len))
		T_FATAL("encode");
	expect_rejected(raw_connect(), buf, len, -EPROTO);

	/* A client sending a reply. */
	fd = raw_connect();
	len = hello(buf, 3);
	T_EQ(send(fd, buf, len, 0), (ssize_t)len);
	T_EQ(recv_reply(fd, &m), 0);
	T_EQ(m.body.reply.req_seq, 3);
	{
		struct proto_reply r = { .req_seq = 1, .result = -EIO, .req_type = PROTO_BIND };

		if (proto_encode(PROTO_REPLY, 4, &r, sizeof(r), buf, sizeof(buf), &len))
			T_FATAL("encode");
		expect_rejected(fd, buf, len, -EPROTO);
	}
}

static void test_random(void)
{
	static uint8_t buf[PROTO_MAX_MSG];
	static struct proto_msg m;

	for (int i = 0; i < 200; i++) {
		size_t len = t_rand_range(1, i < 100 ? 64 : sizeof(buf));
		int fd = raw_connect(), r;

		t_fill_random(buf, len);
		if (i & 1)	/* a valid magic and version make it past the first checks */
			memcpy(buf, &(struct proto_hdr){ PROTO_MAGIC, PROTO_VERSION,
							 (uint16_t)t_rand_range(0, 14),
							 (uint32_t)len, 1 },
			       len < 16 ? len : 16);
		T_EQ(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
		r = recv_reply(fd, &m);
		T_CHECK(r < 0 || r == 1, "random packet %d accepted: %d", i, r);
		if (r < 0)
			T_EQ(recv_reply(fd, &m), 1);
		close(fd);
	}
}

/* fds attached to a request are dropped; the request itself is served. */
static void test_fds(void)
{
	static uint8_t buf[PROTO_MAX_MSG];
	static struct proto_msg m;
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { buf, hello(buf, 9) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int fd = raw_connect(), pass = STDERR_FILENO;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass, sizeof(int));
	T_EQ(sendmsg(fd, &mh, 0), (ssize_t)iov.iov_len);
	T_EQ(recv_reply(fd, &m), 0);
	close(fd);
}

/* A client that floods requests and never reads is disconnected. */
static void test_no_reader(void)
{
	static uint8_t buf[PROTO_MAX_MSG];
	size_t len = hello(buf, 1);
	int fd = raw_connect(), sent = 0;
	struct timeval tv = { 0, 200000 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < 100000; i++) {
		if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
		sent++;
	}
	T_CHECK(sent < 100000, "svad kept accepting %d unread requests", sent);
	/* What svad managed to answer is queued here, then the hang-up. */
	tv.tv_sec = 10;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0) {
			/* A close with our requests unread may reset the connection. */
			T_CHECK(n == 0 || errno == ECONNRESET, "no hang-up from svad: %s",
				strerror(errno));
			break;
		}
	}
	close(fd);
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	struct sva_daemon_stats st = { .size = sizeof(st) };
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	struct sva_device *dev = NULL;
	struct sva_portal *p = NULL;
	uint8_t *a = t_map(4096), *b = t_map(4096);
	struct dsa_hw_desc d;
	struct t_svad sv;
	int r;

	t_seed(0x5eed);
	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	sock = sv.socket;
	test_malformed();
	test_random();
	test_fds();
	test_no_reader();

	/* svad is unharmed and serves a real client. */
	T_EQ(sva_device_connect(sock, "dsa0", &dev), 0);
	if (!dev)
		T_FATAL("no connection after garbage");
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	t_fill_random(a, 4096);
	sva_prep_memmove(&d, b, a, 4096, &cr, 0);
	while ((r = sva_enqcmd(p, &d)) == 1)
		;
	T_EQ(r, 0);
	T_EQ(sva_wait(&cr, 10ll * 1000000000), 0);
	T_EQ(cr.status, DSA_COMP_SUCCESS);
	T_CHECK(!memcmp(a, b, 4096), "memmove after garbage");
	/* Garbage connections left nothing behind (they are all closed by now). */
	for (int i = 0; i < 500; i++) {
		T_EQ(sva_daemon_stats(dev, &st), 0);
		if (st.connections == 1)
			break;
		usleep(10000);
	}
	T_EQ(st.connections, 1);
	T_EQ(st.clients, 1);
	sva_portal_close(p);
	sva_device_free(dev);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	return t_done("svad_protocol");
}
