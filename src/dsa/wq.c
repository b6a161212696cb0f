/* SPDX-License-Identifier: MIT */
/*
 * Work queue runtime (dsa-device.md §3): admission, the descriptor ring and
 * occupancy.
 *
 * Admission is one compare-and-swap on a word holding the occupancy and a
 * CLOSED bit: a descriptor is accepted only while the queue is open and its
 * occupancy is below the portal's limit (threshold for the limited portal,
 * size for the unlimited one). That makes "accepted" and "refused" atomic
 * with respect to every other submitter and to disable (DEV-3).
 * An accepted descriptor then takes a ring position with fetch-and-add and
 * publishes its slot (a bounded MPMC ring with per-slot sequence numbers).
 * Occupancy counts slots in use, so a position is always free when taken.
 * Consumers are the engines of the WQ's group, serialised by the group lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dsa.h"
#include "sva/sva_barrier.h"

#define WQ_CLOSED	(1u << 31)
#define WQ_OCC_MASK	(WQ_CLOSED - 1)
#define WQ_MAX_ABORTS	32

struct wq_slot {
	_Atomic uint64_t seq;		/* pos + 1: published for pos; pos + cap: free */
	uint32_t pasid;
	bool priv;
	struct as *as;
	struct dsa_hw_desc desc;
} __attribute__((aligned(64)));

struct wq_abort {
	uint32_t pasid;			/* WQ_ANY_PASID for the whole WQ */
	uint64_t below;			/* tickets below this are abandoned */
};

struct wq_rt {
	unsigned int id;
	struct pstats *pstats;		/* the device's per-PASID counters */
	/*
	 * One cache line each: the admission word is shared by submitters and
	 * engines by nature, but the tail is producers' only and the head the
	 * engines' only, so neither bounces with the other side's writes.
	 */
	_Atomic uint32_t state __attribute__((aligned(64)));	/* occupancy | WQ_CLOSED */
	_Atomic uint64_t tail __attribute__((aligned(64)));	/* next position to take */
	_Atomic uint64_t head __attribute__((aligned(64)));	/* next to dequeue (group lock) */
	/*
	 * WRR counter, group lock: on the engines' line, not next to the
	 * owner fields every MOVDIR64B reads, or each dequeue would take
	 * that line from the submitter and each submission take it back.
	 */
	int credit;
	struct wq_slot *ring __attribute__((aligned(64)));
	uint64_t cap, mask;		/* ring capacity, a power of two >= size */
	/*
	 * Configuration snapshot, written only while closed. Submitters read
	 * the fields they need before their admission CAS, possibly while a
	 * restart rewrites them (they will then find the queue closed), so
	 * those fields are relaxed atomics.
	 */
	_Atomic uint32_t size, threshold;
	_Atomic bool shared;
	struct group_rt *_Atomic group;
	uint8_t priority;
	struct dsa_wq_attr attr;
	_Atomic(struct as *) owner_as;	/* DWQ: the opener's address space */
	_Atomic uint32_t owner_pasid;	/* DWQ: WQCFG.pasid */
	pthread_mutex_t abort_lock;
	_Atomic unsigned int naborts;
	struct wq_abort aborts[WQ_MAX_ABORTS];	/* abort_lock */
	/*
	 * WQ_STAT_*. Accepted is derived from tail; the engine-side counters
	 * live on their own cache line so that submitters and engines do not
	 * bounce one line per descriptor.
	 */
	_Atomic uint64_t stat[6] __attribute__((aligned(64)));
	_Atomic uint64_t stat_engine[2] __attribute__((aligned(64)));	/* completed, aborted */
};

int wq_rt_new(unsigned int id, struct pstats *ps, struct wq_rt **ret_wq)
{
	struct wq_rt *wq = calloc(1, sizeof(*wq));

	if (!wq)
		return -ENOMEM;
	wq->id = id;
	wq->pstats = ps;
	atomic_init(&wq->state, WQ_CLOSED);
	atomic_init(&wq->owner_pasid, PASID_INVALID);
	pthread_mutex_init(&wq->abort_lock, NULL);
	*ret_wq = wq;
	return 0;
}

struct wq_rt *wq_rt_free(struct wq_rt *wq)
{
	if (!wq)
		return NULL;
	pthread_mutex_destroy(&wq->abort_lock);
	free(wq->ring);
	free(wq);
	return NULL;
}

int wq_rt_start(struct wq_rt *wq, const struct dsa_wq_cfg *cfg, const struct dsa_wq_attr *attr,
		struct group_rt *group)
{
	uint64_t cap = 1;

	if (!(atomic_load(&wq->state) & WQ_CLOSED) || (atomic_load(&wq->state) & WQ_OCC_MASK))
		return -EBUSY;
	if (cfg->size == 0)
		return -EINVAL;
	while (cap < cfg->size)
		cap <<= 1;
	if (cap != wq->cap) {
		struct wq_slot *ring = aligned_alloc(64, cap * sizeof(*ring));

		if (!ring)
			return -ENOMEM;
		free(wq->ring);
		wq->ring = ring;
		wq->cap = cap;
		wq->mask = cap - 1;
	}
	/* Slot i is free for position i: seq = i (the ring starts at position 0). */
	atomic_fetch_add(&wq->stat[WQ_STAT_ACCEPTED], atomic_load(&wq->tail));
	atomic_store(&wq->tail, 0);
	atomic_store(&wq->head, 0);
	for (uint64_t i = 0; i < cap; i++)
		atomic_store_explicit(&wq->ring[i].seq, i, memory_order_relaxed);
	atomic_store_explicit(&wq->size, cfg->size, memory_order_relaxed);
	atomic_store_explicit(&wq->threshold, cfg->shared ? cfg->threshold : cfg->size,
			      memory_order_relaxed);
	atomic_store_explicit(&wq->shared, cfg->shared, memory_order_relaxed);
	atomic_store_explicit(&wq->group, group, memory_order_relaxed);
	wq->priority = cfg->priority;
	wq->attr = *attr;
	wq->credit = cfg->priority;
	wq_rt_clear_aborts(wq);
	/* Pairs with the acquire load in admission: the snapshot is visible first. */
	atomic_fetch_and_explicit(&wq->state, ~WQ_CLOSED, memory_order_release);
	return 0;
}

void wq_rt_close(struct wq_rt *wq)
{
	atomic_fetch_or(&wq->state, WQ_CLOSED);
}

bool wq_rt_is_open(const struct wq_rt *wq)
{
	return !(atomic_load(&wq->state) & WQ_CLOSED);
}

unsigned int wq_rt_id(const struct wq_rt *wq)
{
	return wq->id;
}

const struct dsa_wq_attr *wq_rt_attr(const struct wq_rt *wq)
{
	return &wq->attr;
}

uint8_t wq_rt_priority(const struct wq_rt *wq)
{
	return wq->priority;
}

bool wq_rt_shared(const struct wq_rt *wq)
{
	return atomic_load_explicit(&wq->shared, memory_order_relaxed);
}

uint32_t wq_rt_size(const struct wq_rt *wq)
{
	return atomic_load_explicit(&wq->size, memory_order_relaxed);
}

void wq_rt_set_owner(struct wq_rt *wq, struct as *as, uint32_t pasid)
{
	atomic_store(&wq->owner_as, as);
	atomic_store(&wq->owner_pasid, pasid);
}

void wq_rt_count(struct wq_rt *wq, int what)
{
	_Atomic uint64_t *c = what >= WQ_STAT_COMPLETED ? &wq->stat_engine[what - WQ_STAT_COMPLETED]
						      : &wq->stat[what];

	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void wq_rt_stats(const struct wq_rt *wq, uint64_t ret[6])
{
	for (int i = 0; i < WQ_STAT_COMPLETED; i++)
		ret[i] = atomic_load_explicit(&wq->stat[i], memory_order_relaxed);
	ret[WQ_STAT_COMPLETED] = atomic_load_explicit(&wq->stat_engine[0], memory_order_relaxed);
	ret[WQ_STAT_ABORTED] = atomic_load_explicit(&wq->stat_engine[1], memory_order_relaxed);
	/* Every accepted descriptor took exactly one ring position. */
	ret[WQ_STAT_ACCEPTED] += atomic_load_explicit(&wq->tail, memory_order_relaxed);
}

/* Take one unit of occupancy below limit, unless closed. */
static bool wq_admit(struct wq_rt *wq, uint32_t limit)
{
	/* Acquire pairs with wq_rt_start's release: the config snapshot is seen. */
	uint32_t s = atomic_load_explicit(&wq->state, memory_order_acquire);

	do {
		if (sva_unlikely((s & WQ_CLOSED) || (s & WQ_OCC_MASK) >= limit))
			return false;
	} while (!atomic_compare_exchange_weak(&wq->state, &s, s + 1));
	return true;
}

static void wq_publish(struct wq_rt *wq, const struct dsa_hw_desc *d, struct as *as,
		       uint32_t pasid, bool priv)
{
	uint64_t pos = atomic_fetch_add_explicit(&wq->tail, 1, memory_order_relaxed);
	struct wq_slot *slot = &wq->ring[pos & wq->mask];

	/*
	 * The admitted occupancy guarantees the slot's previous occupant was
	 * released; the acquire pairs with the consumer's release of seq, so
	 * its reads of the old contents are done before we overwrite them.
	 */
	while (atomic_load_explicit(&slot->seq, memory_order_acquire) != pos)
		sva_cpu_relax();
	memcpy(&slot->desc, d, sizeof(*d));
	slot->as = as;
	slot->pasid = pasid;
	slot->priv = priv;
	/* Pairs with the acquire in wq_rt_dequeue: the contents are visible first. */
	atomic_store_explicit(&slot->seq, pos + 1, memory_order_release);
}

enum wq_submit wq_rt_enqcmd(struct wq_rt *wq, const struct dsa_hw_desc *d, struct as *as,
			    uint32_t pasid, bool priv, bool unlimited)
{
	uint32_t limit = unlimited ? wq_rt_size(wq)
				   : atomic_load_explicit(&wq->threshold, memory_order_relaxed);

	/* A DMWr to a dedicated WQ gets Retry (dsa-device.md §3). */
	if (!wq_rt_shared(wq) || !wq_admit(wq, limit)) {
		wq_rt_count(wq, WQ_STAT_RETRIES);
		pstats_retry(wq->pstats, pasid);
		return WQ_RETRY;
	}
	wq_publish(wq, d, as, pasid, priv);
	return WQ_ACCEPTED;
}

enum wq_submit wq_rt_movdir64b(struct wq_rt *wq, const struct dsa_hw_desc *d)
{
	struct as *as;

	/* A posted write to a shared or disabled WQ is silently ignored. */
	if (wq_rt_shared(wq) || !wq_rt_is_open(wq)) {
		wq_rt_count(wq, WQ_STAT_IGNORED);
		return WQ_IGNORED;
	}
	as = atomic_load(&wq->owner_as);
	if (!as || !wq_admit(wq, wq_rt_size(wq))) {
		/* No flow control on a DWQ: a full queue drops (SWERROR 0x53). */
		if (as) {
			wq_rt_count(wq, WQ_STAT_DROPPED);
			return WQ_DROPPED;
		}
		wq_rt_count(wq, WQ_STAT_IGNORED);
		return WQ_IGNORED;
	}
	/* The device uses WQCFG.pasid; the descriptor's PASID and Priv are ignored. */
	wq_publish(wq, d, as, atomic_load(&wq->owner_pasid), false);
	return WQ_ACCEPTED;
}

uint32_t wq_rt_occupancy(const struct wq_rt *wq)
{
	return atomic_load_explicit(&wq->state, memory_order_relaxed) & WQ_OCC_MASK;
}

bool wq_rt_dequeue(struct wq_rt *wq, struct wq_item *ret_item, struct engine_cur *cur,
		   unsigned int wq_index)
{
	uint64_t pos = atomic_load_explicit(&wq->head, memory_order_relaxed);
	struct wq_slot *slot = &wq->ring[pos & wq->mask];

	/*
	 * The admission word was last written by a submitter's CAS: ask for
	 * it now, so the decrement below does not wait for a second
	 * cross-CPU transfer after the one that brings the slot.
	 */
	dsa_prefetchw(&wq->state);
	/* Pairs with the release in wq_publish. */
	if (atomic_load_explicit(&slot->seq, memory_order_acquire) != pos + 1)
		return false;	/* empty, or admitted but not yet published */
	memcpy(&ret_item->desc, &slot->desc, sizeof(ret_item->desc));
	ret_item->as = slot->as;
	ret_item->pasid = slot->pasid;
	ret_item->priv = slot->priv;
	ret_item->ticket = pos;
	/*
	 * Publish what this engine now executes before the head moves past it:
	 * a drain that sees the new head also sees the engine busy with it
	 * (both seq_cst, read in the opposite order by rt_drain_wait).
	 */
	atomic_store_explicit(&cur->wq, wq_index, memory_order_relaxed);
	atomic_store_explicit(&cur->ticket, pos, memory_order_relaxed);
	atomic_store_explicit(&cur->pasid, slot->pasid, memory_order_relaxed);
	/* Its release part orders the three fields before busy for the drainer. */
	atomic_store(&cur->busy, 1);
	atomic_store(&wq->head, pos + 1);
	/* Pairs with the acquire in wq_publish: our reads are done. */
	atomic_store_explicit(&slot->seq, pos + wq->cap, memory_order_release);
	atomic_fetch_sub(&wq->state, 1);
	return true;
}

uint64_t wq_rt_tail(const struct wq_rt *wq)
{
	return atomic_load(&wq->tail);
}

uint64_t wq_rt_head(const struct wq_rt *wq)
{
	return atomic_load(&wq->head);
}

int wq_rt_mark_abort(struct wq_rt *wq, uint32_t pasid, uint64_t below)
{
	uint64_t head = atomic_load(&wq->head);
	int r = -ENOSPC;

	pthread_mutex_lock(&wq->abort_lock);
	/* Marks whose tickets have all been dequeued can no longer match. */
	for (unsigned int i = 0; i < WQ_MAX_ABORTS; i++) {
		if (wq->aborts[i].below && wq->aborts[i].below <= head) {
			wq->aborts[i].below = 0;
			atomic_fetch_sub(&wq->naborts, 1);
		}
	}
	for (unsigned int i = 0; i < WQ_MAX_ABORTS; i++) {
		struct wq_abort *a = &wq->aborts[i];

		if (a->below == 0 || (a->pasid == pasid)) {
			if (a->below == 0)
				atomic_fetch_add(&wq->naborts, 1);
			a->pasid = pasid;
			if (below > a->below)
				a->below = below;
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&wq->abort_lock);
	return r;
}

void wq_rt_clear_aborts(struct wq_rt *wq)
{
	pthread_mutex_lock(&wq->abort_lock);
	memset(wq->aborts, 0, sizeof(wq->aborts));
	atomic_store(&wq->naborts, 0);
	pthread_mutex_unlock(&wq->abort_lock);
}

bool wq_rt_aborted(struct wq_rt *wq, const struct wq_item *it)
{
	bool hit = false;

	if (!atomic_load_explicit(&wq->naborts, memory_order_acquire))
		return false;
	pthread_mutex_lock(&wq->abort_lock);
	for (unsigned int i = 0; i < WQ_MAX_ABORTS && !hit; i++) {
		const struct wq_abort *a = &wq->aborts[i];

		hit = a->below && it->ticket < a->below &&
		      (a->pasid == WQ_ANY_PASID || a->pasid == it->pasid);
	}
	pthread_mutex_unlock(&wq->abort_lock);
	return hit;
}

int *wq_rt_credit(struct wq_rt *wq)
{
	return &wq->credit;
}

void group_rt_kick_wq(struct wq_rt *wq)
{
	group_rt_kick(atomic_load_explicit(&wq->group, memory_order_relaxed));
}
