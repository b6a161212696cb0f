/* SPDX-License-Identifier: MIT */
/*
 * The portal-server thread: it plays the part of the portals' MMIO pages.
 * One thread polls every client ring (ring.h), copies each posted
 * descriptor out of shared memory once, runs the REAL admission of the WQ
 * (wq_rt_enqcmd/wq_rt_movdir64b: the runtime's lock-free CAS against the
 * WQ's occupancy, so every client shares the WQ's capacity and accept/retry
 * is exact) with the connection's PASID stamped, and writes the verdict.
 *
 * Why a thread of its own rather than the control epoll: control requests
 * can block for a long time (a drain at disable or at a client's exit waits
 * for descriptors to complete), and a client spinning on its verdict must
 * never wait for that. The control thread hands rings over through a small
 * request box (psrv_add/psrv_remove), so the ring list itself is owned by
 * this thread and needs no lock on the hot path.
 *
 * Idle policy: spin over the rings (PAUSE) for PSRV_SPIN_NS after the last
 * work, then set every ring's server_sleeping flag, re-check, and block in
 * epoll_wait on the doorbell eventfds (see ring.h for the handshake).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/daemon.h"

#define PSRV_SPIN_NS	50000ll		/* ~50 us of polling before sleeping */
#define PSRV_MAX	4096u		/* rings served at once (procs x portals bound) */

enum psrv_op { PSRV_NONE, PSRV_ADD, PSRV_REMOVE, PSRV_STOP };

struct psrv {
	pthread_t thread;
	int epfd;
	int wake_fd;			/* eventfd: a request is waiting */
	pthread_mutex_t lock;		/* the request box */
	pthread_cond_t cond;
	_Atomic bool pending;
	enum psrv_op op;		/* lock */
	struct svad_portal *arg;	/* lock */
	int result;			/* lock */
	bool running;
	/* thread only */
	struct svad_portal **list;
	unsigned int n;
};

/* Admit one descriptor for portal p: the verdict the client's ENQCMD sees. */
static int serve_one(void *arg, uint32_t op, const struct dsa_hw_desc *d)
{
	struct svad_portal *p = arg;
	uint32_t pasid = p->pasid;
	bool priv = false;

	switch (op) {
	case RING_OP_ENQCMDS:
		/*
		 * ENQCMDS takes PASID and Priv from the descriptor, which only
		 * privileged peers may do; others get ENQCMD semantics on the
		 * portal they opened: the descriptor's PASID is ignored.
		 */
		if (p->privileged) {
			if (d->rsvd)
				return -EINVAL;
			pasid = d->pasid;
			priv = d->priv;
		}
		/* fall through */
	case RING_OP_ENQCMD:
		if (wq_rt_enqcmd(p->wq, d, p->as, pasid, priv, p->unlimited) != WQ_ACCEPTED) {
			atomic_fetch_add_explicit(&p->ctr->enq_retries, 1, memory_order_relaxed);
			return 1;
		}
		group_rt_kick_wq(p->wq);
		atomic_fetch_add_explicit(&p->ctr->enq_accepted, 1, memory_order_relaxed);
		return 0;
	case RING_OP_MOVDIR64B:
		atomic_fetch_add_explicit(&p->ctr->posted, 1, memory_order_relaxed);
		switch (wq_rt_movdir64b(p->wq, d)) {
		case WQ_ACCEPTED:
			group_rt_kick_wq(p->wq);
			break;
		case WQ_DROPPED:
			rt_record_drop(p->rt, p->wq, d, p->pasid);
			break;
		default:
			break;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static void set_sleeping(struct psrv *ps, uint32_t v)
{
	for (unsigned int i = 0; i < ps->n; i++)
		atomic_store(&ps->list[i]->ring->server_sleeping, v);
}

/* Apply the control thread's request; returns false on STOP. */
static bool handle_request(struct psrv *ps)
{
	bool go = true;
	int r = 0;

	pthread_mutex_lock(&ps->lock);
	switch (ps->op) {
	case PSRV_ADD: {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ps->arg };

		if (ps->n >= PSRV_MAX) {
			r = -ENOSPC;
			break;
		}
		r = epoll_ctl(ps->epfd, EPOLL_CTL_ADD, ps->arg->efd, &ev) ? -errno : 0;
		if (!r) {
			ps->list[ps->n++] = ps->arg;
			/* We are awake and will scan it: no doorbells needed until we sleep. */
			atomic_store(&ps->arg->ring->server_sleeping, 0);
		}
		break;
	}
	case PSRV_REMOVE:
		for (unsigned int i = 0; i < ps->n; i++) {
			if (ps->list[i] != ps->arg)
				continue;
			epoll_ctl(ps->epfd, EPOLL_CTL_DEL, ps->arg->efd, NULL);
			ps->list[i] = ps->list[--ps->n];
			break;
		}
		break;
	case PSRV_STOP:
		for (unsigned int i = 0; i < ps->n; i++)
			atomic_store(&ps->list[i]->ring->state, RING_SHUTDOWN);
		go = false;
		break;
	default:
		break;
	}
	ps->op = PSRV_NONE;
	ps->result = r;
	atomic_store(&ps->pending, false);
	pthread_cond_broadcast(&ps->cond);
	pthread_mutex_unlock(&ps->lock);
	return go;
}

static void *psrv_main(void *arg)
{
	struct psrv *ps = arg;
	struct epoll_event ev[64];
	long long idle_since = ring_now_ns();

	for (;;) {
		unsigned int work = 0;
		bool idle;

		if (atomic_load_explicit(&ps->pending, memory_order_acquire) && !handle_request(ps))
			break;
		for (unsigned int i = 0; i < ps->n; i++)
			work += ring_serve(&ps->list[i]->srv, serve_one, ps->list[i]);
		if (work) {
			idle_since = ring_now_ns();
			continue;
		}
		if (ring_now_ns() - idle_since < PSRV_SPIN_NS) {
			/*
			 * Poll, but give the CPU to whoever is runnable: the
			 * client that will post next may be waiting for it.
			 */
			sched_yield();
			continue;
		}
		/* Sleep: flags first, then one more look (ring.h's handshake). */
		set_sleeping(ps, 1);
		idle = !atomic_load(&ps->pending);
		for (unsigned int i = 0; idle && i < ps->n; i++)
			idle = !ring_server_pending(&ps->list[i]->srv);
		if (idle) {
			int k = epoll_wait(ps->epfd, ev, 64, -1);

			for (int j = 0; j < k; j++) {
				uint64_t v;
				int fd = ev[j].data.ptr ? ((struct svad_portal *)ev[j].data.ptr)->efd
							: ps->wake_fd;

				if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					svad_log(4, "doorbell read: %s", strerror(errno));
			}
		}
		set_sleeping(ps, 0);
		idle_since = ring_now_ns();
	}
	return NULL;
}

/* Hand a request to the thread and wait until it is applied. */
static int psrv_call(struct psrv *ps, enum psrv_op op, struct svad_portal *p)
{
	uint64_t one = 1;
	int r;

	pthread_mutex_lock(&ps->lock);
	while (ps->op != PSRV_NONE)
		pthread_cond_wait(&ps->cond, &ps->lock);
	ps->op = op;
	ps->arg = p;
	atomic_store_explicit(&ps->pending, true, memory_order_release);
	if (write(ps->wake_fd, &one, sizeof(one)) < 0)
		svad_log(3, "portal thread wake-up: %s", strerror(errno));
	while (ps->op != PSRV_NONE)
		pthread_cond_wait(&ps->cond, &ps->lock);
	r = ps->result;
	pthread_mutex_unlock(&ps->lock);
	return r;
}

int psrv_add(struct psrv *ps, struct svad_portal *p)
{
	if (!ps->running)
		return -ESHUTDOWN;
	/*
	 * The first portal's job page serves the whole address space for
	 * client-assisted execution (core/assist.h); the space maps it again
	 * for itself, so it outlives this portal. Without one (an error, or
	 * a later portal), svad executes everything itself.
	 */
	if (as_remote_assist_attach(p->as, ring_assist(p->ring, p->nslots)) == 0)
		svad_log(7, "pasid %u: client-assisted execution through portal %u", p->pasid,
			 p->handle);
	return psrv_call(ps, PSRV_ADD, p);
}

void psrv_remove(struct psrv *ps, struct svad_portal *p)
{
	if (ps->running)
		psrv_call(ps, PSRV_REMOVE, p);
}

int psrv_start(struct psrv **ret_ps)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct psrv *ps = calloc(1, sizeof(*ps));
	int r;

	if (!ps)
		return -ENOMEM;
	ps->list = calloc(PSRV_MAX, sizeof(*ps->list));
	ps->epfd = epoll_create1(EPOLL_CLOEXEC);
	ps->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!ps->list || ps->epfd < 0 || ps->wake_fd < 0) {
		r = ps->list ? -errno : -ENOMEM;
		goto err_free;
	}
	if (epoll_ctl(ps->epfd, EPOLL_CTL_ADD, ps->wake_fd, &ev)) {
		r = -errno;
		goto err_free;
	}
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->cond, NULL);
	r = -pthread_create(&ps->thread, NULL, psrv_main, ps);
	if (r)
		goto err_free;
	ps->running = true;
	*ret_ps = ps;
	return 0;

err_free:
	if (ps->epfd >= 0)
		close(ps->epfd);
	if (ps->wake_fd >= 0)
		close(ps->wake_fd);
	free(ps->list);
	free(ps);
	return r;
}

void psrv_stop(struct psrv *ps)
{
	if (!ps)
		return;
	if (ps->running) {
		psrv_call(ps, PSRV_STOP, NULL);
		pthread_join(ps->thread, NULL);
		ps->running = false;
	}
	pthread_mutex_destroy(&ps->lock);
	pthread_cond_destroy(&ps->cond);
	close(ps->epfd);
	close(ps->wake_fd);
	free(ps->list);
	free(ps);
}
