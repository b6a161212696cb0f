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
 * request box (psrv_add/psrv_remove), so only this thread changes the ring
 * list, under the same try-lock that decides who scans (below).
 *
 * Idle policy: spin over the rings (yielding) for PSRV_SPIN_NS after the
 * last work, then set every ring's server_sleeping flag, re-check, and
 * block in epoll_wait on the doorbell eventfds (see ring.h for the
 * handshake).
 *
 * Spinning engines serve the rings too (rt_set_idle_hook): an engine that
 * spins for work has a CPU anyway, and while it polls the rings this thread
 * parks on a futex instead of competing for a CPU, so one client needs one
 * svad thread, not two, to get its verdict and its work executed at once
 * (on 2 CPUs, 1 MiB MEMMOVE 0.45x -> 0.73x memcpy, 4 KiB round trip
 * 5.2 -> 2.4 us: docs/PERFORMANCE.md "svad"). Who scans is decided by a
 * try-lock (serving) that also guards the ring list; the engine says when
 * it stops (end: it goes to sleep), and a park is bounded by PSRV_PARK_NS,
 * after which this thread takes over if no engine has scanned meanwhile (it
 * executes one long descriptor), so a verdict never waits much longer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/daemon.h"

#define PSRV_SPIN_NS	50000ll		/* ~50 us of polling before sleeping */
#define PSRV_MAX	4096u		/* rings served at once (procs x portals bound) */
#define PSRV_PARK_NS	100000ll	/* a park's bound: an engine that stopped polling */

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
	/* shared with polling engines: the holder of serving scans */
	_Atomic bool serving;
	struct svad_portal **list;	/* serving */
	unsigned int n;			/* serving */
	_Atomic uint64_t engine_polls;	/* scans done by engines */
	_Atomic uint32_t nudge;		/* futex word: a parked thread wakes when it moves */
	struct rt_idle_hook hook;
	struct dsa_rt *rts[PROTO_MAX_DEVICES];	/* devices whose engines poll */
	struct svad_counters *ctr;
	unsigned int nrts;
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

static bool serve_trylock(struct psrv *ps)
{
	bool no = false;

	return !atomic_load_explicit(&ps->serving, memory_order_relaxed) &&
	       atomic_compare_exchange_strong_explicit(&ps->serving, &no, true,
						       memory_order_acquire, memory_order_relaxed);
}

static void serve_lock(struct psrv *ps)
{
	while (!serve_trylock(ps))
		sva_cpu_relax();	/* an engine's scan: a few hundred ns */
}

static void serve_unlock(struct psrv *ps)
{
	atomic_store_explicit(&ps->serving, false, memory_order_release);
}

static unsigned int serve_all(struct psrv *ps)
{
	unsigned int work = 0;

	for (unsigned int i = 0; i < ps->n; i++)
		work += ring_serve(&ps->list[i]->srv, serve_one, ps->list[i]);
	return work;
}

static void nudge(struct psrv *ps)
{
	atomic_fetch_add(&ps->nudge, 1);
	syscall(SYS_futex, &ps->nudge, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The idle hook: a spinning engine scans unless someone else does. */
static int engine_poll(void *arg)
{
	struct psrv *ps = arg;
	unsigned int work;

	if (!serve_trylock(ps))
		return 0;
	work = serve_all(ps);
	atomic_fetch_add_explicit(&ps->engine_polls, 1, memory_order_relaxed);
	serve_unlock(ps);
	if (work)
		atomic_fetch_add_explicit(&ps->ctr->engine_served, work, memory_order_relaxed);
	return (int)work;
}

/* The engine goes to sleep: this thread takes over at once. */
static void engine_end(void *arg)
{
	nudge(arg);
}

/*
 * Stay out of a polling engine's way: sleep until it ends, a request
 * comes, or a whole PSRV_PARK_NS passes without an engine scan.
 */
static void park(struct psrv *ps)
{
	uint32_t v = atomic_load(&ps->nudge);
	uint64_t seen;

	do {
		struct timespec ts = { 0, PSRV_PARK_NS };

		seen = atomic_load_explicit(&ps->engine_polls, memory_order_relaxed);
		if (atomic_load(&ps->pending))
			return;
		syscall(SYS_futex, &ps->nudge, FUTEX_WAIT_PRIVATE, v, &ts, NULL, 0);
	} while (atomic_load(&ps->nudge) == v &&
		 atomic_load_explicit(&ps->engine_polls, memory_order_relaxed) != seen);
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
	uint64_t polls = 0;

	for (;;) {
		unsigned int work = 0;
		uint64_t p;
		bool idle;

		serve_lock(ps);
		if (atomic_load_explicit(&ps->pending, memory_order_acquire) && !handle_request(ps)) {
			serve_unlock(ps);
			break;
		}
		work = serve_all(ps);
		serve_unlock(ps);
		if (work) {
			idle_since = ring_now_ns();
			continue;
		}
		p = atomic_load_explicit(&ps->engine_polls, memory_order_relaxed);
		if (p != polls) {
			/* An engine serves the rings: leave the CPUs to it and the clients. */
			park(ps);
			polls = atomic_load_explicit(&ps->engine_polls, memory_order_relaxed);
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
		serve_lock(ps);
		set_sleeping(ps, 1);
		idle = !atomic_load(&ps->pending);
		for (unsigned int i = 0; idle && i < ps->n; i++)
			idle = !ring_server_pending(&ps->list[i]->srv);
		serve_unlock(ps);
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
		serve_lock(ps);
		set_sleeping(ps, 0);
		serve_unlock(ps);
		idle_since = ring_now_ns();
		polls = atomic_load_explicit(&ps->engine_polls, memory_order_relaxed);
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
	nudge(ps);	/* parked rather than in epoll_wait */
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

int psrv_start(struct svad *sd, struct psrv **ret_ps)
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
	ps->hook = (struct rt_idle_hook){ engine_poll, engine_end, ps };
	ps->ctr = &sd->ctr;
	for (unsigned int i = 0; i < sd->ndev; i++) {
		ps->rts[ps->nrts] = sd->dev[i]->rt;
		rt_set_idle_hook(ps->rts[ps->nrts++], &ps->hook);
	}
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
	/* No engine is inside the hook once this returns. */
	for (unsigned int i = 0; i < ps->nrts; i++)
		rt_set_idle_hook(ps->rts[i], NULL);
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
