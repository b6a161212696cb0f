/* SPDX-License-Identifier: MIT */
/*
 * Client processes and their connections (system.md §4: bind, PASID
 * lifetime, release).
 *
 * Identity comes from the kernel, never from the client: SO_PEERCRED for
 * uid and pid, SO_PEERPIDFD for the process itself. Connections of one
 * process (same pidfs inode) share one svad_proc: one remote address space
 * (DMA through /proc/PID/mem bound to that process) and so one PASID from
 * the daemon-wide allocator. A connection's portals and binds are undone
 * when it closes; when the last connection of a process closes, its PASID
 * is drained on every device and the address space is released, which
 * frees the PASID (as_unref: drain first, then free, SYS-3).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77		/* Linux 6.5 */
#endif

static struct svad_proc *proc_find(struct svad *sd, uint64_t ino)
{
	for (struct svad_proc *p = sd->procs; p; p = p->next)
		if (p->ino == ino)
			return p;
	return NULL;
}

/* A pidfd polls readable once its process exited, zombie or reaped. */
static bool proc_alive(const struct svad_proc *p)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

/* Find or create the svad_proc of the peer; -EAGAIN over the limits. */
static int proc_get(struct svad *sd, int pidfd, pid_t pid, struct svad_proc **ret)
{
	struct svad_proc *p;
	struct stat st;
	int r;

	if (fstat(pidfd, &st))
		return -errno;
	p = proc_find(sd, st.st_ino);
	if (p) {
		if (p->nconns >= sd->lim.conns_per_proc)
			return -EAGAIN;
		*ret = p;
		return 0;
	}
	if (sd->nprocs >= sd->lim.procs)
		return -EAGAIN;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->teardown = calloc(1, sizeof(*p->teardown));
	r = p->teardown ? as_new_remote_pidfd(pasid_alloc_global(), pidfd, &p->as) : -ENOMEM;
	if (r) {
		free(p->teardown);
		free(p);
		return r;
	}
	p->ino = st.st_ino;
	p->pid = pid;
	p->pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	if (p->pidfd < 0) {
		r = -errno;
		as_unref(p->as);
		free(p->teardown);
		free(p);
		return r;
	}
	p->next = sd->procs;
	sd->procs = p;
	sd->nprocs++;
	sd->clients_total++;
	*ret = p;
	return 0;
}

int conn_new(struct svad *sd, int fd, struct svad_conn **ret_conn)
{
	struct svad_conn *c = calloc(1, sizeof(*c));
	struct ucred cr;
	socklen_t l = sizeof(cr);
	int pidfd = -1, r;

	if (!c)
		return -ENOMEM;
	/* Allocated now, so closing never needs memory. */
	c->teardown = calloc(1, sizeof(*c->teardown));
	if (!c->teardown) {
		r = -ENOMEM;
		goto err_free;
	}
	c->sd = sd;
	c->fd = fd;
	c->next_handle = 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l)) {
		r = -errno;
		goto err_free;
	}
	c->uid = cr.uid;
	c->pid = cr.pid;
	c->privileged = cr.uid == 0 || cr.uid == sd->uid;
	l = sizeof(pidfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &l)) {
		/* No pidfd means no way to bind DMA safely: refuse this peer. */
		c->refuse = -errno;
	} else {
		c->refuse = proc_get(sd, pidfd, cr.pid, &c->proc);
		close(pidfd);
	}
	if (c->refuse) {
		sd->refused++;
		svad_log(5, "refusing pid %d uid %u: %s", (int)cr.pid, (unsigned int)cr.uid,
			 strerror(-c->refuse));
	} else {
		c->proc->nconns++;
	}
	c->next = sd->conns;
	sd->conns = c;
	sd->nconns++;
	*ret_conn = c;
	return 0;

err_free:
	free(c->teardown);
	free(c);
	return r;
}

/* portals */

/*
 * Stop serving a portal now: out of the portal thread's list, ring marked
 * SHUTDOWN (a client still waiting gets -ESHUTDOWN, not a hang). What it
 * holds is released by the reaper.
 */
static void portal_stop(struct svad *sd, struct svad_portal *p)
{
	psrv_remove(sd->ps, p);
	atomic_store(&p->ring->state, RING_SHUTDOWN);
}

static void queue_job(struct svad *sd, struct reap_job *j)
{
	sd->jobs++;
	reaper_queue(sd->reaper, j);
}

static int ring_create(struct svad_portal *p, uint32_t nslots, int *ret_memfd)
{
	int fd = memfd_create("sva-portal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r;

	if (fd < 0)
		return -errno;
	p->nslots = nslots;
	p->bytes = ring_bytes(nslots);
	if (ftruncate(fd, (off_t)p->bytes)) {
		r = -errno;
		goto err_close;
	}
	/* The client must never be able to shrink it under us (SIGBUS). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		r = -errno;
		goto err_close;
	}
	p->ring = mmap(NULL, p->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->ring == MAP_FAILED) {
		r = -errno;
		goto err_close;
	}
	p->ring->magic = RING_MAGIC;
	p->ring->version = RING_VERSION;
	p->ring->hdr_size = RING_HDR_SIZE;
	p->ring->slot_size = RING_SLOT_SIZE;
	p->ring->nslots = nslots;
	/* Until the portal thread has seen the ring, clients ring the doorbell. */
	atomic_store(&p->ring->server_sleeping, 1);
	p->srv.hdr = p->ring;
	p->srv.nslots = nslots;
	*ret_memfd = fd;
	return 0;

err_close:
	close(fd);
	return r;
}

static int open_wq(struct svad_conn *c, const struct proto_msg *m)
{
	const struct proto_open_wq *o = &m->body.open_wq;
	struct svad *sd = c->sd;
	struct proto_reply rep = { 0 };
	struct svad_portal *p;
	int memfd = -1, r;

	if (o->device_id >= sd->ndev)
		return server_reply(c, m, -ENODEV, NULL, NULL, 0, NULL, 0);
	if (o->wq_id >= rt_nwqs(sd->dev[o->device_id]->rt))
		return server_reply(c, m, -EINVAL, NULL, NULL, 0, NULL, 0);
	if (c->proc->nportals >= sd->lim.portals_per_proc) {
		sd->refused++;
		return server_reply(c, m, -EMFILE, NULL, NULL, 0, NULL, 0);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return server_reply(c, m, -ENOMEM, NULL, NULL, 0, NULL, 0);
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		r = -errno;
		goto err_free;
	}
	r = ring_create(p, sd->lim.ring_slots, &memfd);
	if (r)
		goto err_efd;
	p->dev = sd->dev[o->device_id];
	p->rt = p->dev->rt;
	p->wq_id = o->wq_id;
	p->wq = rt_wq(p->rt, o->wq_id);
	p->as = as_ref(c->proc->as);
	p->unlimited = o->flags == PROTO_WQ_UNLIMITED;
	p->privileged = c->privileged;
	p->ctr = &sd->ctr;
	r = lib_wq_attach(p->dev, o->wq_id, p->as, &p->pasid, &p->dedicated);
	if (r)
		goto err_unmap;
	r = psrv_add(sd->ps, p);
	if (r)
		goto err_detach;
	p->handle = c->next_handle++;
	if (!c->next_handle)
		c->next_handle = 1;	/* 0 is never a handle */
	p->next = c->portals;
	c->portals = p;
	c->proc->nportals++;
	sd->nportals++;
	sd->ring_bytes += p->bytes;
	rep.u.open_wq = (struct proto_open_wq_reply){
		.handle = p->handle, .ring_slots = p->nslots, .slot_size = RING_SLOT_SIZE,
		.wq_size = wq_rt_size(p->wq), .flags = p->dedicated ? PROTO_WQ_DEDICATED : 0,
		.pasid = p->pasid,
	};
	r = server_reply(c, m, 0, &rep, NULL, 0, (int[]){ memfd, p->efd }, 2);
	close(memfd);
	return r;

err_detach:
	lib_wq_detach(p->dev, p->wq_id, p->as, p->pasid, p->dedicated, false);
err_unmap:
	as_unref(p->as);
	munmap(p->ring, p->bytes);
	close(memfd);
err_efd:
	close(p->efd);
err_free:
	free(p);
	return server_reply(c, m, r, NULL, NULL, 0, NULL, 0);
}

/* Answered once the reaper has drained and released the portal (conn_reaped). */
static int close_wq(struct svad_conn *c, const struct proto_msg *m)
{
	for (struct svad_portal **pp = &c->portals; *pp; pp = &(*pp)->next) {
		struct svad_portal *p = *pp;
		struct reap_job *j;

		if (p->handle != m->body.close_wq.handle)
			continue;
		j = calloc(1, sizeof(*j));
		if (!j)
			return server_reply(c, m, -ENOMEM, NULL, NULL, 0, NULL, 0);
		*pp = p->next;
		p->next = NULL;
		portal_stop(c->sd, p);
		j->kind = REAP_PORTAL;
		j->conn = c;
		j->proc = c->proc;
		j->portals = p;
		j->req_seq = m->hdr.seq;
		queue_job(c->sd, j);
		return 0;
	}
	return server_reply(c, m, -EBADF, NULL, NULL, 0, NULL, 0);
}

/* binding */

static int bind_dev(struct svad_conn *c, const struct proto_msg *m, bool bind)
{
	unsigned int d = m->body.dev.device_id;
	struct proto_reply rep = { 0 };
	uint32_t pasid;
	int r;

	if (d >= c->sd->ndev)
		return server_reply(c, m, -ENODEV, NULL, NULL, 0, NULL, 0);
	if (!bind) {
		if (!c->binds[d])
			return server_reply(c, m, -EINVAL, NULL, NULL, 0, NULL, 0);
		c->binds[d]--;
		return server_reply(c, m, as_unbind(c->proc->as), NULL, NULL, 0, NULL, 0);
	}
	r = as_bind(c->proc->as, PASID_MAX, &pasid);
	if (r)
		return server_reply(c, m, r, NULL, NULL, 0, NULL, 0);
	c->binds[d]++;
	rep.u.bind.pasid = pasid;
	return server_reply(c, m, 0, &rep, NULL, 0, NULL, 0);
}

static int hello(struct svad_conn *c, const struct proto_msg *m)
{
	struct proto_reply rep = { 0 };

	if (c->refuse) {
		server_reply(c, m, c->refuse, NULL, NULL, 0, NULL, 0);
		return -1;
	}
	c->hello = true;
	rep.u.hello.server_version = PROTO_VERSION;
	rep.u.hello.max_msg = PROTO_MAX_MSG;
	rep.u.hello.ndevices = c->sd->ndev;
	return server_reply(c, m, 0, &rep, NULL, 0, NULL, 0);
}

static int device(struct svad_conn *c, const struct proto_msg *m)
{
	struct proto_reply rep = { 0 };

	for (unsigned int i = 0; i < c->sd->ndev; i++) {
		struct sva_device *dev = c->sd->dev[i];

		if (strcmp(sva_device_name(dev), m->body.device.name))
			continue;
		rep.u.device.device_id = (uint16_t)i;
		rep.u.device.nwqs = rt_nwqs(dev->rt);
		rep.u.device.nengines = rt_nengines(dev->rt);
		return server_reply(c, m, 0, &rep, NULL, 0, NULL, 0);
	}
	return server_reply(c, m, -ENODEV, NULL, NULL, 0, NULL, 0);
}

int conn_request(struct svad_conn *c, const struct proto_msg *m)
{
	if (m->hdr.type == PROTO_HELLO)
		return hello(c, m);
	/* Nothing before HELLO: a client that skips it is not speaking our protocol. */
	if (!c->hello) {
		server_reply(c, m, -EPROTO, NULL, NULL, 0, NULL, 0);
		return -1;
	}
	switch (m->hdr.type) {
	case PROTO_DEVICE:
		return device(c, m);
	case PROTO_BIND:
		return bind_dev(c, m, true);
	case PROTO_UNBIND:
		return bind_dev(c, m, false);
	case PROTO_OPEN_WQ:
		return open_wq(c, m);
	case PROTO_CLOSE_WQ:
		return close_wq(c, m);
	case PROTO_REPLY:
		/* Replies flow from svad only. */
		server_reply(c, m, -EPROTO, NULL, NULL, 0, NULL, 0);
		return -1;
	default:
		return admin_request(c, m);
	}
}

void conn_free(struct svad_conn *c)
{
	struct svad *sd = c->sd;
	struct reap_job *j = c->teardown;

	for (struct svad_conn **pp = &sd->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->closing = true;
	for (struct svad_portal *p = c->portals; p; p = p->next)
		portal_stop(sd, p);
	c->teardown = NULL;
	j->kind = REAP_CONN;
	j->conn = c;
	j->proc = c->proc;
	j->portals = c->portals;
	c->portals = NULL;
	/*
	 * A dead client's queued work can only write into a gone mm, and at
	 * shutdown nobody will be told how it ended (-ESHUTDOWN): abort it.
	 */
	j->abort = sd->stopping || (c->proc && !proc_alive(c->proc));
	for (unsigned int d = 0; c->proc && d < PROTO_MAX_DEVICES; d++)
		j->unbinds += c->binds[d];
	queue_job(sd, j);
}

static void proc_unlink(struct svad *sd, struct svad_proc *p)
{
	for (struct svad_proc **pp = &sd->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	sd->nprocs--;
}

void conn_reaped(struct svad *sd, struct reap_job *j)
{
	struct svad_conn *c = j->conn;

	sd->jobs--;
	sd->nportals -= j->nportals;
	sd->ring_bytes -= j->ring_bytes;
	if (j->proc && j->kind != REAP_PROC)
		j->proc->nportals -= j->nportals;
	switch (j->kind) {
	case REAP_PORTAL:
		if (!c->closing)
			server_reply_to(c, j->req_seq, PROTO_CLOSE_WQ, 0, NULL, NULL, 0, NULL, 0);
		break;
	case REAP_CONN:
		if (j->proc && --j->proc->nconns == 0) {
			struct reap_job *pj = j->proc->teardown;

			proc_unlink(sd, j->proc);
			j->proc->teardown = NULL;
			pj->kind = REAP_PROC;
			pj->proc = j->proc;
			queue_job(sd, pj);
		}
		close(c->fd);
		sd->nconns--;
		free(c);
		break;
	case REAP_PROC:
		break;
	}
}
