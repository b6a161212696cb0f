/* SPDX-License-Identifier: MIT */
/*
 * The control loop of svad: the listening socket, one epoll thread that
 * accepts connections and serves their requests one packet at a time, and
 * the clean shutdown on SIGTERM/SIGINT (signalfd).
 *
 * Every packet is untrusted: it is received into a bounded buffer (a
 * longer one is truncated and refused), decoded by proto_decode() into a
 * private copy, and a malformed one gets an error reply and a closed
 * connection. fds a client attaches to a request are never installed (no
 * control buffer is offered). Replies are sent without blocking: a client
 * that does not read its replies is disconnected rather than allowed to
 * stall the loop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/daemon.h"

#define SERVER_BACKLOG	64

/* Tags of epoll data that are not connections. */
static char tag_listen, tag_signal, tag_reaper;

/* Finish the jobs the reaper is done with. */
static void reaped(struct svad *sd)
{
	struct reap_job *j = reaper_take_done(sd->reaper);

	while (j) {
		struct reap_job *next = j->next;

		conn_reaped(sd, j);
		free(j);
		j = next;
	}
}

int server_reply(struct svad_conn *c, const struct proto_msg *req, int result,
		 const struct proto_reply *body, const void *data, size_t data_len,
		 const int *fds, unsigned int nfds)
{
	return server_reply_to(c, req->hdr.seq, req->hdr.type, result, body, data, data_len, fds,
			       nfds);
}

int server_reply_to(struct svad_conn *c, uint32_t seq, unsigned int type, int result,
		    const struct proto_reply *body, const void *data, size_t data_len,
		    const int *fds, unsigned int nfds)
{
	static uint8_t buf[PROTO_MAX_MSG];	/* control thread only */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct proto_reply rep = { 0 };
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len;
	ssize_t n;
	int r;

	if (result >= 0 && body)
		rep = *body;
	if (result < 0) {
		data_len = 0;
		nfds = 0;
		if (result < -PROTO_MAX_ERRNO)
			result = -EINVAL;
	}
	rep.req_seq = seq;
	rep.result = result;
	/* A garbage request still names a request type in its error reply. */
	rep.req_type = type >= PROTO_HELLO && type < PROTO_TYPE_MAX && type != PROTO_REPLY
			       ? (uint16_t)type
			       : PROTO_HELLO;
	rep.data_len = (uint32_t)data_len;
	r = proto_encode_data(PROTO_REPLY, seq, &rep, sizeof(rep), data, data_len, buf,
			      sizeof(buf), &len);
	if (r) {
		svad_log(3, "internal: reply to type %u does not encode: %s", type, strerror(-r));
		return r;
	}
	iov.iov_base = buf;
	iov.iov_len = len;
	if (nfds) {
		struct cmsghdr *cm;

		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -EPIPE;
}

/* Close a connection and release everything it held. */
static void drop(struct svad *sd, struct svad_conn *c)
{
	epoll_ctl(sd->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	conn_free(c);
}

/* Read and serve one packet; false when the connection must close. */
static bool serve_packet(struct svad *sd, struct svad_conn *c)
{
	static uint8_t buf[PROTO_MAX_MSG + 1];	/* one more: oversize shows as MSG_TRUNC */
	static struct proto_msg m;
	ssize_t n;
	int r;

	do
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN;
	if (n == 0)
		return false;	/* hang-up (or an empty packet: not ours either) */
	r = (size_t)n > PROTO_MAX_MSG ? -EMSGSIZE : proto_decode(buf, (size_t)n, &m);
	if (r) {
		/* Answer what we can tell about the request, then hang up. */
		memset(&m.hdr, 0, sizeof(m.hdr));
		if ((size_t)n >= sizeof(m.hdr))
			memcpy(&m.hdr, buf, sizeof(m.hdr));
		svad_log(6, "pid %d: malformed message (%zd bytes): %s", (int)c->pid, n,
			 strerror(-r));
		server_reply(c, &m, r, NULL, NULL, 0, NULL, 0);
		return false;
	}
	return conn_request(c, &m) >= 0;
}

static void do_accept(struct svad *sd)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct svad_conn *c;
		int fd = accept4(sd->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				svad_log(4, "accept: %s", strerror(errno));
			return;
		}
		/*
		 * Connections refused by a per-process limit stay open until
		 * their HELLO is answered; this bound keeps them from piling up.
		 */
		if (sd->nconns >= (uint64_t)sd->lim.procs * sd->lim.conns_per_proc) {
			sd->refused++;
			close(fd);
			continue;
		}
		if (conn_new(sd, fd, &c)) {
			close(fd);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(sd->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
			conn_free(c);
	}
}

/*
 * Bind path, replacing a stale socket left by a crashed svad (only that),
 * and give it its mode and group before listen(): until then a connect()
 * is refused, so nobody can get in under the file's initial permissions
 * and whoever reaches svad sees the configured ones.
 */
static int listen_on(const char *path, mode_t mode, gid_t gid, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (!lstat(path, &st)) {
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		if (!S_ISSOCK(st.st_mode)) {
			r = -EEXIST;
			svad_log(3, "%s exists and is not a socket", path);
			goto err_close;
		}
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			r = -EADDRINUSE;
			svad_log(3, "%s: another svad is serving it", path);
			goto err_close;
		}
		if (probe >= 0)
			close(probe);
		svad_log(5, "replacing stale socket %s", path);
		unlink(path);
	}
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	if (r == -ENOENT) {
		/* The default /run/sva may not exist outside systemd: create it (one level). */
		char dir[sizeof(sa.sun_path)];
		char *slash;

		memcpy(dir, sa.sun_path, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (!mkdir(dir, 0755))
				svad_log(5, "created %s", dir);
		}
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	}
	if (r)
		goto err_close;
	/* Permissions like /dev/dsa: the mode and group decide who may connect. */
	if (chmod(path, mode) || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid))) {
		r = -errno;
		svad_log(3, "%s: permissions: %s", path, strerror(errno));
		goto err_unlink;
	}
	if (listen(fd, SERVER_BACKLOG)) {
		r = -errno;
		goto err_unlink;
	}
	*ret_fd = fd;
	return 0;

err_unlink:
	unlink(path);
err_close:
	close(fd);
	return r;
}

int server_init(struct svad *sd, const struct svad_opts *o)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;
	int r;

	sd->listen_fd = sd->epoll_fd = sd->signal_fd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* main() blocked them before any thread started. */
	sd->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	sd->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (sd->signal_fd < 0 || sd->epoll_fd < 0)
		return -errno;
	r = listen_on(o->socket_path, o->mode, o->gid, &sd->listen_fd);
	if (r)
		return r;
	ev.data.ptr = &tag_listen;
	if (epoll_ctl(sd->epoll_fd, EPOLL_CTL_ADD, sd->listen_fd, &ev))
		return -errno;
	ev.data.ptr = &tag_signal;
	if (epoll_ctl(sd->epoll_fd, EPOLL_CTL_ADD, sd->signal_fd, &ev))
		return -errno;
	r = reaper_start(sd, &sd->reaper);
	if (r)
		return r;
	ev.data.ptr = &tag_reaper;
	if (epoll_ctl(sd->epoll_fd, EPOLL_CTL_ADD, reaper_fd(sd->reaper), &ev))
		return -errno;
	return psrv_start(sd, &sd->ps);
}

int server_run(struct svad *sd)
{
	struct epoll_event ev[32];

	while (!sd->stopping) {
		int n = epoll_wait(sd->epoll_fd, ev, 32, -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &tag_listen) {
				do_accept(sd);
			} else if (ev[i].data.ptr == &tag_reaper) {
				reaped(sd);
			} else if (ev[i].data.ptr == &tag_signal) {
				struct signalfd_siginfo si;

				if (read(sd->signal_fd, &si, sizeof(si)) == sizeof(si)) {
					svad_log(6, "signal %u: shutting down", si.ssi_signo);
					sd->stopping = true;
				}
			} else {
				struct svad_conn *c = ev[i].data.ptr;

				/* Serve what arrived before a hang-up; then close. */
				if (!serve_packet(sd, c) ||
				    ((ev[i].events & (EPOLLHUP | EPOLLERR)) && !(ev[i].events & EPOLLIN)))
					drop(sd, c);
			}
		}
	}
	return 0;
}

void server_exit(struct svad *sd, const char *socket_path)
{
	/* Waiting clients see SHUTDOWN at once instead of their connection's drain. */
	for (struct svad_conn *c = sd->conns; c; c = c->next)
		for (struct svad_portal *p = c->portals; p; p = p->next)
			atomic_store(&p->ring->state, RING_SHUTDOWN);
	if (sd->listen_fd >= 0) {
		close(sd->listen_fd);
		unlink(socket_path);
	}
	while (sd->conns)
		drop(sd, sd->conns);
	/* Every release finishes (its drains included) before the devices stop. */
	while (sd->reaper && sd->jobs) {
		struct pollfd pfd = { .fd = reaper_fd(sd->reaper), .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		reaped(sd);
	}
	reaper_stop(sd->reaper);
	sd->reaper = NULL;
	psrv_stop(sd->ps);
	sd->ps = NULL;
	if (sd->epoll_fd >= 0)
		close(sd->epoll_fd);
	if (sd->signal_fd >= 0)
		close(sd->signal_fd);
}
