/* SPDX-License-Identifier: MIT */
/*
 * Description: the portal ring protocol of src/daemon/ring.h, both sides in
 * one process (so TSan sees them). Four client threads submit 20,000
 * descriptors each through an 8-slot ring (full most of the time), mixing
 * ENQCMD and posted MOVDIR64B; a server thread runs ring_serve() and
 * sleeps on the eventfd doorbell whenever it finds no work. Every ENQCMD
 * gets exactly its own verdict, every descriptor is served exactly once,
 * no wake-up is lost (the server never waits on a ring with pending posts).
 * Then a client waiting for a verdict gets -ESHUTDOWN when the ring is shut
 * down, and another when the socket hangs up; later calls fail at once.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "harness.h"
#include "daemon/ring.h"

#define NSLOTS		8u
#define NTHREADS	4
#define PER_THREAD	20000u

static struct ring_hdr *hdr;
static struct ring_client cl;
static struct ring_server sv;
static _Atomic bool stop;
static _Atomic unsigned int seen[NTHREADS][PER_THREAD];	/* times served */
static _Atomic unsigned int lost_wakeups;

/* Verdict: the low bit of xfer_size; an unknown op is -EINVAL. */
static int serve(void *arg, uint32_t op, const struct dsa_hw_desc *d)
{
	unsigned int t = (unsigned int)(d->src_addr >> 32), i = (uint32_t)d->src_addr;

	if (op != RING_OP_ENQCMD && op != RING_OP_MOVDIR64B)
		return -EINVAL;
	if (t < NTHREADS && i < PER_THREAD)
		atomic_fetch_add(&seen[t][i], 1);
	return d->xfer_size & 1;
}

static void *server(void *arg)
{
	while (!atomic_load(&stop)) {
		struct pollfd p = { .fd = cl.doorbell_fd, .events = POLLIN };
		uint64_t v;

		if (ring_serve(&sv, serve, NULL))
			continue;
		/* Sleep as svad does: flag, re-check, wait for the doorbell. */
		atomic_store(&hdr->server_sleeping, 1);
		if (!ring_server_pending(&sv)) {
			if (poll(&p, 1, 1000) == 0 && ring_server_pending(&sv))
				atomic_fetch_add(&lost_wakeups, 1);
			if (read(cl.doorbell_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				T_CHECK(0, "doorbell read");
		}
		atomic_store(&hdr->server_sleeping, 0);
	}
	return NULL;
}

static void *client(void *arg)
{
	unsigned int t = (unsigned int)(uintptr_t)arg;
	long bad = 0;

	for (unsigned int i = 0; i < PER_THREAD; i++) {
		struct dsa_hw_desc d = { .src_addr = (uint64_t)t << 32 | i, .xfer_size = i * 7 };
		bool posted = i % 10 == 3;
		int r = ring_submit(&cl, posted ? RING_OP_MOVDIR64B : RING_OP_ENQCMD, &d);

		if (r != (posted ? 0 : (int)((i * 7) & 1)))
			bad++;
	}
	return (void *)bad;
}

static void test_concurrent(void)
{
	pthread_t srv, th[NTHREADS];
	struct dsa_hw_desc d = { .src_addr = ~0ull };	/* counted by nobody */

	pthread_create(&srv, NULL, server, NULL);
	for (int t = 0; t < NTHREADS; t++)
		pthread_create(&th[t], NULL, client, (void *)(uintptr_t)t);
	for (int t = 0; t < NTHREADS; t++) {
		void *bad;

		pthread_join(th[t], &bad);
		T_EQ((long)bad, 0);
	}
	T_EQ(ring_submit(&cl, 9, &d), -EINVAL);	/* an op svad does not know */
	atomic_store(&stop, true);
	ring_submit(&cl, RING_OP_MOVDIR64B, &d);	/* posted: wakes the server, waits for nothing */
	pthread_join(srv, NULL);
	for (int t = 0; t < NTHREADS; t++)
		for (unsigned int i = 0; i < PER_THREAD; i++)
			if (atomic_load(&seen[t][i]) != 1) {
				T_CHECK(0, "thread %d desc %u served %u times", t, i,
					atomic_load(&seen[t][i]));
				return;
			}
	T_EQ(atomic_load(&lost_wakeups), 0);
	T_CHECK(atomic_load(&hdr->served) >= NTHREADS * PER_THREAD + 1, "served %llu",
		(unsigned long long)atomic_load(&hdr->served));
}

static void *shutdown_later(void *arg)
{
	usleep(20000);	/* the client is (most likely) waiting by now; either way it must fail */
	atomic_store(&hdr->state, RING_SHUTDOWN);
	return NULL;
}

/* Nobody serves: the waiting client must notice svad is gone. */
static void test_gone(int peer)
{
	struct dsa_hw_desc d = { 0 };
	pthread_t th;

	/* 1. the ring is shut down while we wait */
	pthread_create(&th, NULL, shutdown_later, NULL);
	T_EQ(ring_submit(&cl, RING_OP_ENQCMD, &d), -ESHUTDOWN);
	pthread_join(th, NULL);
	T_EQ(ring_submit(&cl, RING_OP_MOVDIR64B, &d), -ESHUTDOWN);	/* latched */

	/* 2. a fresh ring, and the other end of the socket hangs up */
	memset(hdr, 0, ring_bytes(NSLOTS));
	hdr->nslots = NSLOTS;
	atomic_store(&cl.dead, 0);
	close(peer);
	T_EQ(ring_submit(&cl, RING_OP_ENQCMD, &d), -ESHUTDOWN);
}

int main(void)
{
	int sp[2];

	hdr = mmap(NULL, ring_bytes(NSLOTS), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (hdr == MAP_FAILED || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp))
		T_FATAL("setup");
	hdr->nslots = NSLOTS;
	cl.hdr = sv.hdr = hdr;
	cl.nslots = sv.nslots = NSLOTS;
	cl.doorbell_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cl.sock_fd = sp[0];
	test_concurrent();
	test_gone(sp[1]);
	return t_done("ring");
}
