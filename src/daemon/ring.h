/* SPDX-License-Identifier: MIT */
/*
 * The portal ring shared by svad and one client portal (a memfd created and
 * sealed by svad, passed with SCM_RIGHTS next to the OPEN_WQ reply). It
 * stands for the portal's MMIO page: a client "executes" ENQCMD, ENQCMDS or
 * MOVDIR64B by writing the 64-byte descriptor into a slot, and svad answers
 * ENQCMD/ENQCMDS with the verdict of the real WQ admission (accept/retry,
 * as the instruction's ZF) in the same slot.
 *
 * Slots are claimed by CAS on their own state word, so any number of client
 * threads (and the trap handler, from a signal) submit concurrently and in
 * any order: a thread stopped between its claim and its post never blocks
 * another one. The server scans only when the posted counter moved.
 *
 *   state FREE -(client CAS)-> CLAIMED -(client, release)-> POSTED
 *         POSTED -(server, seq_cst; futex wake if waiting)-> DONE (verdict
 *         valid) -(client)-> FREE
 *         POSTED -(server, MOVDIR64B: posted, no verdict)-> FREE
 *
 * Doorbell: a client bumps posted (seq_cst) and then reads server_sleeping;
 * the server sets server_sleeping (seq_cst) and then re-reads posted before
 * it blocks on the eventfd. One of the two always sees the other (Dekker),
 * so a wake-up is never lost and a busy server is never signalled.
 *
 * Trust: svad treats everything in the ring as hostile. It never takes an
 * index from it, reads a slot's opcode and descriptor exactly once into
 * private memory, and the memfd is sealed against shrinking, so a client
 * scribbling concurrently can only hurt itself. Shared memory holds no
 * pointers (STYLE rule 13).
 *
 * Everything here is async-signal-safe: atomics, PAUSE, sched_yield(),
 * futex, poll(), write() and clock_gettime().
 */
#ifndef SVA_DAEMON_RING_H
#define SVA_DAEMON_RING_H

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/idxd.h>
#include <sys/syscall.h>

#include "sva/sva_barrier.h"
#include "core/assist.h"

#define RING_MAGIC		0x474e5253u	/* "SRNG" */
#define RING_VERSION		2u	/* 2: the assist page follows the slots */
#define RING_HDR_SIZE		256u
#define RING_SLOT_SIZE		128u
#define RING_SLOTS_DEFAULT	64u	/* outstanding admissions per portal */

enum ring_state {
	RING_ACTIVE = 0,
	RING_SHUTDOWN = 1,	/* svad stops or the portal is closed: never served again */
};

enum ring_slot_state {
	SLOT_FREE = 0,
	SLOT_CLAIMED,		/* a client thread is writing the descriptor */
	SLOT_POSTED,		/* ready for svad */
	SLOT_DONE,		/* verdict written; the claiming thread frees the slot */
};

enum ring_op {
	RING_OP_ENQCMD = 1,	/* PASID from the connection, Priv 0 */
	RING_OP_ENQCMDS = 2,	/* privileged clients: PASID/Priv from the descriptor */
	RING_OP_MOVDIR64B = 3,	/* posted: no verdict, slot freed by svad */
};

/* Verdicts: 0 accepted, 1 retry (ZF=1), or -errno (bad op, ...). */

struct ring_hdr {
	uint32_t magic;			/* RING_MAGIC */
	uint32_t version;		/* RING_VERSION */
	uint32_t hdr_size;		/* RING_HDR_SIZE: slots start here */
	uint32_t slot_size;		/* RING_SLOT_SIZE */
	uint32_t nslots;		/* a power of two */
	uint32_t reserved0;
	_Atomic uint32_t state;		/* enum ring_state, written by svad */
	uint32_t reserved1[9];
	/* client side: bumped once per post */
	_Atomic uint64_t posted __attribute__((aligned(64)));
	/* server side */
	_Atomic uint32_t server_sleeping __attribute__((aligned(64)));
	uint32_t reserved2;
	_Atomic uint64_t served;	/* slots handled, for statistics */
	uint8_t pad[RING_HDR_SIZE - 144];
} __attribute__((aligned(64)));
static_assert(sizeof(struct ring_hdr) == RING_HDR_SIZE, "ring header is shared ABI");

struct ring_slot {
	struct dsa_hw_desc desc;	/* 64 bytes: the portal write */
	_Atomic uint32_t state;		/* enum ring_slot_state; a futex word */
	_Atomic uint32_t op;		/* enum ring_op, read once by svad */
	_Atomic int32_t verdict;	/* valid in SLOT_DONE */
	_Atomic uint32_t waiting;	/* the client sleeps on state: svad wakes it */
	uint8_t pad[RING_SLOT_SIZE - 64 - 16];
} __attribute__((aligned(64)));
static_assert(sizeof(struct ring_slot) == RING_SLOT_SIZE, "ring slot is shared ABI");
static_assert(sizeof(struct dsa_hw_desc) == 64, "descriptor is 64 bytes");

/* Header and slots rounded to pages, then the assist page (core/assist.h). */
static inline size_t ring_bytes(uint32_t nslots)
{
	size_t b = RING_HDR_SIZE + (size_t)nslots * RING_SLOT_SIZE;

	return ((b + 4095) & ~(size_t)4095) + ASSIST_BYTES;
}

static inline struct assist_area *ring_assist(struct ring_hdr *h, uint32_t nslots)
{
	return (struct assist_area *)((uint8_t *)h + ring_bytes(nslots) - ASSIST_BYTES);
}

static inline struct ring_slot *ring_slot(struct ring_hdr *h, uint32_t i)
{
	return (struct ring_slot *)((uint8_t *)h + RING_HDR_SIZE) + i;
}

/* client side */

/* What a waiting client checks, besides the ring, to notice a dead svad. */
struct ring_client {
	struct ring_hdr *hdr;
	uint32_t nslots;		/* from the OPEN_WQ reply, checked against hdr */
	int doorbell_fd;		/* eventfd */
	int sock_fd;			/* the connection: POLLHUP when svad is gone */
	_Atomic int dead;		/* svad gone: every later call fails at once */
	_Atomic uint32_t hint;		/* where the next claim starts looking */
};

/*
 * PAUSE iterations before yielding (full ring). Short: on a small machine
 * the client spinning takes the CPU svad needs to answer (2 CPUs: 4 KiB
 * MEMMOVE round trip ~15 us with 32, ~20-75 us with 256-2048).
 */
#define RING_SPIN_PAUSE		32
/*
 * PAUSE iterations before sleeping on the verdict: shorter still. When no
 * svad engine spins, svad's portal thread may need this very CPU, and every
 * PAUSE delays the verdict (~86 ns each on AMD EPYC): 4 KiB MEMMOVE p50
 * 5.2 us with 4, 5.7-6.0 us with 32, 8.7 us with a 3 us spin, measured
 * before engines served the rings. Since they do (portal_srv.c), the
 * verdict p50 is 0.4-0.8 us and 4, 16 and 32 PAUSEs measure the same
 * within noise (docs/PERFORMANCE.md "svad").
 */
#define RING_VERDICT_SPIN	4
#define RING_CHECK_NS		2000000ll	/* liveness check period while waiting */

/*
 * The slot's state word is a futex shared by both processes (a MAP_SHARED
 * memfd: no FUTEX_PRIVATE_FLAG). A client that waited long enough for its
 * verdict sleeps on it instead of competing for the CPU with svad.
 */
static inline void ring_futex_wait(_Atomic uint32_t *addr, uint32_t val, long long ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ll), (long)(ns % 1000000000ll) };

	syscall(SYS_futex, addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

static inline void ring_futex_wake(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static inline long long ring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* True when svad shut the ring down or hung up; latches c->dead. */
static inline int ring_client_gone(struct ring_client *c)
{
	struct pollfd pfd = { .fd = c->sock_fd, .events = 0 };

	if (atomic_load_explicit(&c->dead, memory_order_relaxed))
		return 1;
	if (atomic_load_explicit(&c->hdr->state, memory_order_acquire) == RING_SHUTDOWN ||
	    (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))) {
		atomic_store(&c->dead, 1);
		return 1;
	}
	return 0;
}

/*
 * Back off in a wait loop: PAUSE first, then sched_yield(), and every
 * RING_CHECK_NS a liveness check. Returns -ESHUTDOWN once svad is gone.
 */
static inline int ring_client_backoff(struct ring_client *c, unsigned int *spins,
				      long long *next_check)
{
	if (++*spins < RING_SPIN_PAUSE) {
		sva_cpu_relax();
		return 0;
	}
	sched_yield();
	if (ring_now_ns() >= *next_check) {
		if (ring_client_gone(c))
			return -ESHUTDOWN;
		*next_check = ring_now_ns() + RING_CHECK_NS;
	}
	return 0;
}

/*
 * Submit one portal write. ENQCMD/ENQCMDS wait for svad's verdict and
 * return it (0 accepted, 1 retry, -errno); MOVDIR64B returns 0 once posted.
 * A full ring is waited out: it holds this portal's submissions that svad
 * has not answered yet, which it does in microseconds. -ESHUTDOWN when svad
 * is gone, never a hang.
 */
static inline int ring_submit(struct ring_client *c, enum ring_op op, const void *desc)
{
	uint32_t mask = c->nslots - 1, i;
	unsigned int spins = 0;
	long long next_check = 0;
	struct ring_slot *s;
	int r;

	if (sva_unlikely(atomic_load_explicit(&c->dead, memory_order_relaxed)))
		return -ESHUTDOWN;
	/* Claim a free slot. */
	for (i = atomic_load_explicit(&c->hint, memory_order_relaxed);; i++) {
		uint32_t st = SLOT_FREE;

		s = ring_slot(c->hdr, i & mask);
		if (atomic_load_explicit(&s->state, memory_order_relaxed) == SLOT_FREE &&
		    atomic_compare_exchange_strong_explicit(&s->state, &st, SLOT_CLAIMED,
							    memory_order_acquire,
							    memory_order_relaxed))
			break;
		if ((i & mask) == mask) {
			if (!next_check)
				next_check = ring_now_ns() + RING_CHECK_NS;
			r = ring_client_backoff(c, &spins, &next_check);
			if (r)
				return r;
		}
	}
	atomic_store_explicit(&c->hint, i + 1, memory_order_relaxed);
	memcpy(&s->desc, desc, sizeof(s->desc));
	atomic_store_explicit(&s->op, op, memory_order_relaxed);
	/* Pairs with svad's acquire of POSTED: descriptor and op are visible first. */
	sva_store_release(&s->state, (uint32_t)SLOT_POSTED);
	/* seq_cst: ordered before the sleeping-flag load (see the Dekker note above). */
	atomic_fetch_add(&c->hdr->posted, 1);
	if (atomic_load(&c->hdr->server_sleeping)) {
		uint64_t one = 1;

		if (write(c->doorbell_fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
			atomic_store(&c->dead, 1);
			return -ESHUTDOWN;
		}
	}
	if (op == RING_OP_MOVDIR64B)
		return 0;
	/* Pairs with svad's release of DONE: the verdict is visible after it. */
	for (spins = 0; spins < RING_VERDICT_SPIN; spins++) {
		if (sva_load_acquire(&s->state) == SLOT_DONE)
			goto done;
		sva_cpu_relax();
	}
	/*
	 * Sleep on the slot. seq_cst: the waiting flag is visible before the
	 * state is re-read, and svad reads waiting after storing DONE, so one
	 * of us sees the other (the ring's Dekker rule again).
	 */
	atomic_store(&s->waiting, 1);
	while (atomic_load(&s->state) != SLOT_DONE) {
		ring_futex_wait(&s->state, SLOT_POSTED, RING_CHECK_NS);
		if (atomic_load(&s->state) != SLOT_DONE && ring_client_gone(c))
			return -ESHUTDOWN;	/* the slot stays claimed: the ring is dead anyway */
	}
	atomic_store_explicit(&s->waiting, 0, memory_order_relaxed);
done:
	r = atomic_load_explicit(&s->verdict, memory_order_relaxed);
	sva_store_release(&s->state, (uint32_t)SLOT_FREE);
	return r;
}

/* server side (svad's portal thread; unit tests) */

/* What svad keeps per ring, in its private memory. */
struct ring_server {
	struct ring_hdr *hdr;
	uint32_t nslots;		/* svad's own value, never read back from the ring */
	uint64_t seen;			/* posted count at the last scan */
	uint32_t cursor;		/* where the next scan starts */
};

/*
 * Serve every posted slot: copy op and descriptor out of the shared slot
 * once, call fn on the copies, and publish fn's verdict (ENQCMD/ENQCMDS)
 * or free the slot (MOVDIR64B: posted, nobody waits). Returns the number
 * of slots served; 0 at once when posted has not moved since the last scan.
 */
static inline unsigned int ring_serve(struct ring_server *sv,
				      int (*fn)(void *arg, uint32_t op,
						const struct dsa_hw_desc *d),
				      void *arg)
{
	uint32_t mask = sv->nslots - 1;
	unsigned int done = 0;
	/* seq_cst pairs with the client's increment after its POSTED store. */
	uint64_t snap = atomic_load(&sv->hdr->posted);

	if (snap == sv->seen)
		return 0;
	sv->seen = snap;
	for (uint32_t k = 0; k < sv->nslots; k++) {
		struct ring_slot *s = ring_slot(sv->hdr, (sv->cursor + k) & mask);
		struct dsa_hw_desc d;
		uint32_t op;
		int v;

		/* Pairs with the client's release of POSTED. */
		if (sva_load_acquire(&s->state) != SLOT_POSTED)
			continue;
		/* One copy of everything the client controls, then only the copy. */
		op = atomic_load_explicit(&s->op, memory_order_relaxed);
		memcpy(&d, &s->desc, sizeof(d));
		v = fn(arg, op, &d);
		if (op == RING_OP_MOVDIR64B) {
			sva_store_release(&s->state, (uint32_t)SLOT_FREE);
		} else {
			atomic_store_explicit(&s->verdict, v, memory_order_relaxed);
			/*
			 * seq_cst (a release too, pairing with the client's
			 * acquire of DONE): ordered before the waiting load, so
			 * a client that went to sleep is always woken.
			 */
			atomic_store(&s->state, (uint32_t)SLOT_DONE);
			if (atomic_load(&s->waiting))
				ring_futex_wake(&s->state);
		}
		done++;
	}
	sv->cursor = (sv->cursor + 1) & mask;
	atomic_fetch_add_explicit(&sv->hdr->served, done, memory_order_relaxed);
	return done;
}

/* True when posted moved since the last scan (the sleep re-check). */
static inline bool ring_server_pending(const struct ring_server *sv)
{
	return atomic_load(&sv->hdr->posted) != sv->seen;
}

#endif /* SVA_DAEMON_RING_H */
