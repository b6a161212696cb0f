/* SPDX-License-Identifier: MIT */
/*
 * The reaper: releases what closed portals, connections and client
 * processes held, off the control thread. Releasing drains (idxd's
 * release: Drain PASID, after an abort for a dead client), which lasts as
 * long as the client's queued work; done on the control thread, one
 * client closing a portal behind big transfers would hold up every other
 * client's requests and new connections meanwhile.
 *
 * Jobs run one at a time in the order they were queued, so a connection's
 * earlier CLOSE_WQ finishes before its teardown, and a process is freed
 * after all its connections. The reaper touches only what a job hands it
 * (portals unlinked from every list, the process's address space) and the
 * devices, which are thread-safe; every daemon-wide count and list stays
 * with the control thread, which finishes each job when the reaper hands
 * it back (server.c, through an eventfd in its epoll).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/daemon.h"

struct reaper {
	pthread_t thread;
	struct svad *sd;		/* devices only: read-only after start */
	pthread_mutex_t lock;		/* the two queues and stop */
	pthread_cond_t cond;
	struct reap_job *pending, **pending_tail;
	struct reap_job *done, **done_tail;
	bool stop;
	int efd;			/* readable when jobs are done */
};

/* Release one portal: drain its work, give the WQ back, unmap the ring. */
static void release_portal(struct svad_portal *p, bool abort, struct reap_job *j)
{
	lib_wq_detach(p->dev, p->wq_id, p->as, p->pasid, p->dedicated, abort);
	as_unref(p->as);
	munmap(p->ring, p->bytes);
	close(p->efd);
	j->nportals++;
	j->ring_bytes += p->bytes;
	free(p);
}

static void run(struct reaper *rp, struct reap_job *j)
{
	struct svad *sd = rp->sd;

	while (j->portals) {
		struct svad_portal *p = j->portals;

		j->portals = p->next;
		release_portal(p, j->abort, j);
	}
	for (; j->unbinds; j->unbinds--)
		as_unbind(j->proc->as);
	if (j->kind == REAP_PROC) {
		struct svad_proc *proc = j->proc;
		uint32_t pasid = as_pasid(proc->as);

		/* Nothing tagged with the PASID may outlive it (SYS-3). */
		if (pasid != PASID_INVALID)
			for (unsigned int i = 0; i < sd->ndev; i++)
				rt_drain(sd->dev[i]->rt, -1, pasid, false);
		svad_log(6, "client pid %d gone, PASID %u freed", (int)proc->pid, pasid);
		as_unref(proc->as);
		close(proc->pidfd);
		free(proc);
		j->proc = NULL;
	}
}

static void *reaper_main(void *arg)
{
	struct reaper *rp = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&rp->lock);
	for (;;) {
		struct reap_job *j = rp->pending;

		if (!j) {
			if (rp->stop)
				break;
			pthread_cond_wait(&rp->cond, &rp->lock);
			continue;
		}
		rp->pending = j->next;
		if (!rp->pending)
			rp->pending_tail = &rp->pending;
		pthread_mutex_unlock(&rp->lock);
		run(rp, j);
		pthread_mutex_lock(&rp->lock);
		j->next = NULL;
		*rp->done_tail = j;
		rp->done_tail = &j->next;
		if (write(rp->efd, &one, sizeof(one)) < 0)
			svad_log(3, "reaper: eventfd: %s", strerror(errno));
	}
	pthread_mutex_unlock(&rp->lock);
	return NULL;
}

int reaper_start(struct svad *sd, struct reaper **ret)
{
	struct reaper *rp = calloc(1, sizeof(*rp));
	int r;

	if (!rp)
		return -ENOMEM;
	rp->sd = sd;
	rp->pending_tail = &rp->pending;
	rp->done_tail = &rp->done;
	rp->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rp->efd < 0) {
		r = -errno;
		free(rp);
		return r;
	}
	pthread_mutex_init(&rp->lock, NULL);
	pthread_cond_init(&rp->cond, NULL);
	r = -pthread_create(&rp->thread, NULL, reaper_main, rp);
	if (r) {
		close(rp->efd);
		free(rp);
		return r;
	}
	*ret = rp;
	return 0;
}

int reaper_fd(const struct reaper *rp)
{
	return rp->efd;
}

void reaper_queue(struct reaper *rp, struct reap_job *j)
{
	pthread_mutex_lock(&rp->lock);
	j->next = NULL;
	*rp->pending_tail = j;
	rp->pending_tail = &j->next;
	pthread_cond_signal(&rp->cond);
	pthread_mutex_unlock(&rp->lock);
}

struct reap_job *reaper_take_done(struct reaper *rp)
{
	struct reap_job *list;
	uint64_t v;

	if (read(rp->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		svad_log(3, "reaper: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&rp->lock);
	list = rp->done;
	rp->done = NULL;
	rp->done_tail = &rp->done;
	pthread_mutex_unlock(&rp->lock);
	return list;
}

void reaper_stop(struct reaper *rp)
{
	if (!rp)
		return;
	pthread_mutex_lock(&rp->lock);
	rp->stop = true;
	pthread_cond_signal(&rp->cond);
	pthread_mutex_unlock(&rp->lock);
	pthread_join(rp->thread, NULL);
	/* Jobs finished after the control thread's last look: nothing left to account. */
	while (rp->done) {
		struct reap_job *j = rp->done;

		rp->done = j->next;
		free(j);
	}
	pthread_mutex_destroy(&rp->lock);
	pthread_cond_destroy(&rp->cond);
	close(rp->efd);
	free(rp);
}
