/* SPDX-License-Identifier: MIT */
/*
 * The daemon backend of the public API: a device hosted by svad, reached
 * over one SOCK_SEQPACKET connection per handle (proto.h), with portals
 * that are shared-memory rings served by svad (ring.h). Control calls are
 * one request and one reply under the handle's lock; submission never
 * touches the socket except to poll it for a hang-up while waiting.
 *
 * Failure semantics: once svad has gone (the socket hung up, or a ring was
 * shut down), every call on the handle returns -ESHUTDOWN at once and
 * nothing waits forever (docs/DAEMON.md "Failures").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib.h"
#include "daemon/proto.h"

#define REMOTE_DEFAULT_SOCKET	"/run/sva/sva.sock"
#define REMOTE_ERR_SIZE		256

struct sva_remote {
	int fd;
	pthread_mutex_t lock;		/* one request at a time; guards everything below */
	uint32_t seq;
	uint16_t dev_id;
	uint16_t server_version;	/* from HELLO: which requests svad knows */
	uint32_t nwqs;
	_Atomic int dead;		/* svad gone: -ESHUTDOWN from now on */
	char last_error[REMOTE_ERR_SIZE];
	uint8_t buf[PROTO_MAX_MSG];
	struct proto_msg msg;		/* the last reply */
};

/* Close the fds of a received SCM_RIGHTS message. */
static void close_fds(const int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
}

/* Collect up to max fds from a message's control data into fds. */
static unsigned int take_fds(struct msghdr *mh, int *fds, unsigned int max)
{
	unsigned int n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/*
 * One request/reply; the caller holds rd->lock. Returns the reply's result
 * (the reply itself in rd->msg), -ESHUTDOWN when svad is gone, -EPROTO for
 * a reply that does not decode. Received fds go to fds (up to maxfds, the
 * count in *ret_nfds); any others are closed.
 */
static int rcall(struct sva_remote *rd, enum proto_type t, const void *body, int *fds,
		 unsigned int maxfds, unsigned int *ret_nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	size_t len;
	ssize_t n;
	int r;

	if (ret_nfds)
		*ret_nfds = 0;
	if (atomic_load(&rd->dead))
		return -ESHUTDOWN;
	r = proto_encode(t, ++rd->seq, body, (size_t)proto_body_size(t), rd->buf,
			 sizeof(rd->buf), &len);
	if (r)
		return r;
	do
		n = send(rd->fd, rd->buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		goto dead;
	for (;;) {
		struct iovec iov = { rd->buf, sizeof(rd->buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		int got[4];
		unsigned int k;

		n = recvmsg(rd->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto dead;
		k = take_fds(&mh, got, 4);
		r = (mh.msg_flags & MSG_TRUNC) ? -EMSGSIZE : proto_decode(rd->buf, (size_t)n, &rd->msg);
		if (r || rd->msg.hdr.type != PROTO_REPLY) {
			close_fds(got, k);
			return -EPROTO;
		}
		if (rd->msg.body.reply.req_seq != rd->seq) {
			close_fds(got, k);	/* a reply to an earlier, abandoned call */
			continue;
		}
		if (k > maxfds || rd->msg.body.reply.req_type != t) {
			close_fds(got, k);
			return -EPROTO;
		}
		for (unsigned int i = 0; i < k; i++)
			fds[i] = got[i];
		if (ret_nfds)
			*ret_nfds = k;
		return rd->msg.body.reply.result;
	}
dead:
	atomic_store(&rd->dead, 1);
	return -ESHUTDOWN;
}

/* rcall() under the lock, for requests whose reply needs nothing but result. */
static int rcall_simple(struct sva_device *dev, enum proto_type t, const void *body)
{
	struct sva_remote *rd = dev->remote;
	int r;

	pthread_mutex_lock(&rd->lock);
	r = rcall(rd, t, body, NULL, 0, NULL);
	pthread_mutex_unlock(&rd->lock);
	return r;
}

/*
 * Under Yama ptrace_scope 1, svad (not our ancestor) could not open our
 * /proc/PID/mem: name it our ptracer, as debuggers' helpers do. Harmless
 * without Yama (prctl fails with EINVAL and is ignored).
 */
static void allow_daemon_dma(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) && cr.pid > 0)
		prctl(PR_SET_PTRACER, (unsigned long)cr.pid, 0, 0, 0);
}

static int connect_socket(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = -errno;
		close(fd);
		/* Nobody serves there: no such device. Permission errors stay. */
		return r == -EACCES || r == -EPERM ? r : -ENODEV;
	}
	*ret_fd = fd;
	return 0;
}

static struct sva_remote *remote_get(struct sva_device *dev)
{
	return dev->remote;
}

int remote_connect(const char *socket_path, const char *name, struct sva_device **ret_dev)
{
	struct proto_hello h = { .client_version = PROTO_VERSION };
	struct proto_device d;
	struct sva_remote *rd;
	struct sva_device *dev;
	int r;

	if (!socket_path)
		socket_path = secure_getenv("SVA_DAEMON");
	if (!socket_path || !*socket_path)
		socket_path = REMOTE_DEFAULT_SOCKET;
	memset(&d, 0, sizeof(d));
	if (!*name || strlen(name) >= sizeof(d.name))
		return -ENODEV;
	memcpy(d.name, name, strlen(name));
	rd = calloc(1, sizeof(*rd));
	dev = calloc(1, sizeof(*dev));
	if (!rd || !dev) {
		r = -ENOMEM;
		goto err_free;
	}
	pthread_mutex_init(&rd->lock, NULL);
	r = connect_socket(socket_path, &rd->fd);
	if (r)
		goto err_free;
	allow_daemon_dma(rd->fd);
	r = rcall(rd, PROTO_HELLO, &h, NULL, 0, NULL);
	if (r == -ESHUTDOWN)
		r = -ENODEV;	/* refused before a word: nothing to talk to */
	if (r)
		goto err_close;
	rd->server_version = rd->msg.body.reply.u.hello.server_version;
	r = rcall(rd, PROTO_DEVICE, &d, NULL, 0, NULL);
	if (r)
		goto err_close;
	rd->dev_id = rd->msg.body.reply.u.device.device_id;
	rd->nwqs = rd->msg.body.reply.u.device.nwqs;
	atomic_init(&dev->refs, 1);
	dev->remote = rd;
	dev->pid = proc_pid_get();
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	*ret_dev = dev;
	return 0;

err_close:
	close(rd->fd);
err_free:
	if (rd)
		pthread_mutex_destroy(&rd->lock);
	free(rd);
	free(dev);
	return r;
}

void remote_free(struct sva_device *dev)
{
	struct sva_remote *rd = remote_get(dev);

	/* svad sees the hang-up and releases what this connection held. */
	close(rd->fd);
	pthread_mutex_destroy(&rd->lock);
	free(rd);
	free(dev);
}

/* Fill an attribute request; names that cannot fit cannot exist. */
static int attr_body(struct sva_device *dev, struct proto_attr *a, const char *obj,
		     const char *attr, const char *val)
{
	memset(a, 0, sizeof(*a));
	a->device_id = remote_get(dev)->dev_id;
	if (!*obj || !*attr || strlen(obj) >= sizeof(a->obj) || strlen(attr) >= sizeof(a->attr))
		return -ENOENT;
	memcpy(a->obj, obj, strlen(obj));
	memcpy(a->attr, attr, strlen(attr));
	if (val) {
		if (strlen(val) >= sizeof(a->val))
			return -EINVAL;
		memcpy(a->val, val, strlen(val));
	}
	return 0;
}

/*
 * The model's read of an attribute (attr_read in device.c): the value,
 * NUL-terminated, in buf and the size of the sysfs file as the return
 * (value plus newline, or 0 for an empty file). svad answers with the
 * file's bytes and a NUL (proto.h), so both cases arrive intact.
 */
int remote_attr_get(struct sva_device *dev, const char *obj, const char *attr, char *buf,
		    size_t len)
{
	struct sva_remote *rd = remote_get(dev);
	struct proto_attr a;
	int r = attr_body(dev, &a, obj, attr, NULL);

	if (r)
		return r;
	pthread_mutex_lock(&rd->lock);
	r = rcall(rd, PROTO_ATTR_GET, &a, NULL, 0, NULL);
	if (!r) {
		/* proto_decode() checked: data_len bytes, NUL last and only there. */
		size_t n = rd->msg.body.reply.data_len - 1;	/* the file's bytes */
		const char *show = (const char *)rd->msg.data;

		if (n && show[n - 1] != '\n')
			r = -EPROTO;	/* a non-empty sysfs file ends in its newline */
		else if ((n ? n : 1) > len)
			r = -ENOSPC;	/* the value and its NUL: n bytes (1 when empty) */
		if (!r) {
			size_t v = n ? n - 1 : 0;

			memcpy(buf, show, v);
			buf[v] = '\0';
			r = (int)n;
		}
	}
	pthread_mutex_unlock(&rd->lock);
	return r;
}

int remote_attr_info(struct sva_device *dev, const char *obj, unsigned int index, char *ret_name,
		     size_t len, unsigned int *ret_flags)
{
	struct sva_remote *rd = remote_get(dev);
	struct proto_attr_info a = { .device_id = rd->dev_id, .index = index };
	int r;

	/* an object name that cannot travel cannot exist */
	if (!*obj || strlen(obj) >= sizeof(a.obj))
		return -ENOENT;
	memcpy(a.obj, obj, strlen(obj));
	pthread_mutex_lock(&rd->lock);
	r = rcall(rd, PROTO_ATTR_INFO, &a, NULL, 0, NULL);
	if (!r) {
		size_t n = rd->msg.body.reply.data_len;	/* the name and its NUL */

		if (n > len) {
			r = -ENOSPC;
		} else {
			memcpy(ret_name, rd->msg.data, n);
			*ret_flags = rd->msg.body.reply.u.attr_info.flags & PROTO_ATTR_WRITABLE
					     ? SVA_ATTR_WRITABLE : 0;
		}
	}
	pthread_mutex_unlock(&rd->lock);
	return r;
}

int remote_attr_set(struct sva_device *dev, const char *obj, const char *attr, const char *val)
{
	struct proto_attr a;
	int r = attr_body(dev, &a, obj, attr, val);

	return r ? r : rcall_simple(dev, PROTO_ATTR_SET, &a);
}

int remote_admin(struct sva_device *dev, unsigned int cmd, uint32_t arg)
{
	struct proto_admin a = { .device_id = remote_get(dev)->dev_id, .cmd = (uint16_t)cmd,
				 .arg = arg };

	return rcall_simple(dev, PROTO_ADMIN, &a);
}

uint32_t remote_cmd_status(struct sva_device *dev)
{
	struct sva_remote *rd = remote_get(dev);
	struct proto_dev d = { .device_id = rd->dev_id };
	uint32_t st = 0;
	int r;

	pthread_mutex_lock(&rd->lock);
	r = rcall(rd, PROTO_STATUS, &d, NULL, 0, NULL);
	if (!r) {
		st = rd->msg.body.reply.u.cmd.cmd_status;
		size_t n = strnlen((char *)rd->msg.data, sizeof(rd->last_error) - 1);

		memcpy(rd->last_error, rd->msg.data, n);
		rd->last_error[n] = '\0';
	} else {
		snprintf(rd->last_error, sizeof(rd->last_error), "svad: %s", strerror(-r));
	}
	pthread_mutex_unlock(&rd->lock);
	return st;
}

const char *remote_last_error(struct sva_device *dev)
{
	remote_cmd_status(dev);
	return remote_get(dev)->last_error;
}

int remote_stats(struct sva_device *dev, unsigned int kind, uint32_t index, void *ret,
		 size_t size)
{
	struct sva_remote *rd = remote_get(dev);
	struct proto_stats s = { .device_id = rd->dev_id, .kind = (uint16_t)kind,
				 .index = index };
	int r;

	/*
	 * An older svad would take an unknown kind for a malformed request
	 * and close the connection: ask only what it knows.
	 */
	if (kind == PROTO_STATS_PASID && (rd->server_version & 0xff) < 2)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&rd->lock);
	r = rcall(rd, PROTO_STATS, &s, NULL, 0, NULL);
	if (!r) {
		size_t n = rd->msg.body.reply.data_len;

		if (kind == PROTO_STATS_SWERROR) {
			if (n != size)
				r = -EPROTO;
			else
				memcpy(ret, rd->msg.data, n);
		} else {
			/*
			 * Versioned structs (size first): copy what both sides
			 * know and leave the caller's size field alone.
			 */
			size_t both = n < size ? n : size;

			if (both < sizeof(uint64_t))
				r = -EPROTO;
			else
				memcpy((uint8_t *)ret + 4, rd->msg.data + 4, both - 4);
		}
	}
	pthread_mutex_unlock(&rd->lock);
	return r;
}

int remote_bind(struct sva_device *dev, uint32_t *ret_pasid)
{
	struct sva_remote *rd = remote_get(dev);
	struct proto_dev d = { .device_id = rd->dev_id };
	int r;

	pthread_mutex_lock(&rd->lock);
	r = rcall(rd, PROTO_BIND, &d, NULL, 0, NULL);
	if (!r) {
		*ret_pasid = rd->msg.body.reply.u.bind.pasid;
		/* The trap layer's IA32_PASID fixup hands this PASID out. */
		proc_set_remote_pasid(*ret_pasid);
	}
	pthread_mutex_unlock(&rd->lock);
	return r;
}

int remote_unbind(struct sva_device *dev)
{
	struct proto_dev d = { .device_id = remote_get(dev)->dev_id };

	return rcall_simple(dev, PROTO_UNBIND, &d);
}

/* Map and check the ring svad created; 0 or -EPROTO. */
static int ring_map(struct sva_rportal *rp, int memfd, const struct proto_open_wq_reply *o)
{
	struct ring_hdr *h;
	struct stat st;

	rp->bytes = ring_bytes(o->ring_slots);
	if (o->slot_size != RING_SLOT_SIZE || fstat(memfd, &st) || (size_t)st.st_size < rp->bytes)
		return -EPROTO;
	h = mmap(NULL, rp->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (h == MAP_FAILED)
		return -errno;
	if (h->magic != RING_MAGIC || h->version != RING_VERSION ||
	    h->hdr_size != RING_HDR_SIZE || h->slot_size != RING_SLOT_SIZE ||
	    h->nslots != o->ring_slots) {
		munmap(h, rp->bytes);
		return -EPROTO;
	}
	rp->rc.hdr = h;
	rp->rc.nslots = o->ring_slots;
	return 0;
}

int remote_portal_open(struct sva_device *dev, unsigned int wq, unsigned int flags,
		       struct sva_portal **ret_portal)
{
	struct sva_remote *rd = remote_get(dev);
	struct proto_open_wq o = { .device_id = rd->dev_id, .wq_id = (uint16_t)wq,
				   .flags = flags & SVA_PORTAL_UNLIMITED ? PROTO_WQ_UNLIMITED
									 : PROTO_WQ_LIMITED };
	struct proto_open_wq_reply rep;
	struct sva_rportal *rp = NULL;
	struct sva_portal *p = NULL;
	unsigned int nfds = 0;
	int fds[2], r;

	if (wq >= rd->nwqs)
		return -EINVAL;
	pthread_mutex_lock(&rd->lock);
	r = rcall(rd, PROTO_OPEN_WQ, &o, fds, 2, &nfds);
	rep = rd->msg.body.reply.u.open_wq;
	pthread_mutex_unlock(&rd->lock);
	if (r)
		goto err_fds;
	if (nfds != 2) {
		r = -EPROTO;
		goto err_close;
	}
	rp = calloc(1, sizeof(*rp));
	p = calloc(1, sizeof(*p));
	if (!rp || !p) {
		r = -ENOMEM;
		goto err_close;
	}
	r = ring_map(rp, fds[0], &rep);
	if (r)
		goto err_close;
	close(fds[0]);
	/* Waiters in sva_wait() execute svad's jobs posted there (coop.c); -ENOSPC: svad does. */
	coop_assist_add(ring_assist(rp->rc.hdr, rp->rc.nslots));
	rp->rc.doorbell_fd = fds[1];
	rp->rc.sock_fd = rd->fd;
	rp->handle = rep.handle;
	rp->wq_size = rep.wq_size;
	proc_set_remote_pasid(rep.pasid);
	p->remote = rp;
	p->dev = lib_device_ref(dev);
	p->wq_id = wq;
	p->unlimited = flags & SVA_PORTAL_UNLIMITED;
	p->dedicated = rep.flags & PROTO_WQ_DEDICATED;
	p->pasid = rep.pasid;
	p->pid = proc_pid_get();
	*ret_portal = p;
	return 0;

err_close:
	{
		/* svad holds a portal we cannot use: give it back. */
		struct proto_close_wq c = { .handle = rep.handle };

		rcall_simple(dev, PROTO_CLOSE_WQ, &c);
	}
err_fds:
	close_fds(fds, nfds);
	free(rp);
	free(p);
	return r;
}

void remote_portal_close(struct sva_portal *p)
{
	struct sva_rportal *rp = p->remote;
	struct proto_close_wq c = { .handle = rp->handle };

	/* A fork child shares the connection: only the opener closes in svad. */
	if (proc_check(p->pid) == 0)
		rcall_simple(p->dev, PROTO_CLOSE_WQ, &c);
	/* Returns once no waiter looks at the job page any more. */
	coop_assist_remove(ring_assist(rp->rc.hdr, rp->rc.nslots));
	munmap(rp->rc.hdr, rp->bytes);
	close(rp->rc.doorbell_fd);
	free(rp);
}

int remote_portal_wq_size(struct sva_portal *p)
{
	return (int)p->remote->wq_size;
}
