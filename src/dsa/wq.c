/* SPDX-License-Identifier: MIT */
/*
 * Work queue runtime (dsa-device.md §3): admission, the descriptor ring and
 * occupancy.
 *
 * Admission is one compare-and-swap on the tail, the next ring position,
 * which also carries a CLOSED bit: a descriptor is accepted only while the
 * queue is open and tail - head (its occupancy) is below the portal's
 * limit (threshold for the limited portal, size for the unlimited one), and
 * the successful CAS both admits it and gives it its position. That makes
 * "accepted" and "refused" atomic with respect to every other submitter and
 * to disable (DEV-3). The submitter then publishes its slot (seq = pos + 1).
 *
 * Producers and consumers write disjoint cache lines: submitters the tail
 * (and head_seen), engines the head. An engine learns of work from the
 * ring slot it must read anyway, never from the tail, and frees a slot
 * only by moving the head. Submitters bound occupancy with head_seen, a
 * snapshot of the head, and read the engines' line only when that snapshot
 * says the queue may be full. The head only grows, so the snapshot only
 * over-estimates occupancy: a stale one causes a re-read, never an
 * over-admission. Before this split (one occupancy word, decremented by
 * every dequeue) an engine that kept pace with a burst took that line back
 * after every descriptor, and an accepted ENQCMD cost ~39 ns; now ~13
 * (docs/PERFORMANCE.md, docs/DECISIONS.md).
 *
 * Positions grow across restarts (a restart skips one), so a tail value
 * read before a close never matches again after the next start: the CAS
 * cannot succeed against a newer configuration or ring (no ABA).
 * Consumers are the engines of the WQ's group, serialised by the group lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dsa.h"
#include "sva/sva_barrier.h"

#define WQ_CLOSED	(1ull << 63)	/* in tail: admission refused */
#define WQ_MAX_ABORTS	32

struct wq_slot {
	_Atomic uint64_t seq;		/* pos + 1: published for pos (only grows) */
	uint32_t pasid;
	bool priv;
	struct as *as;
	struct dsa_hw_desc desc;
} __attribute__((aligned(64)));

/*
 * A ring of a power-of-two number of slots, mask with it so that a reader
 * loads both with one pointer. Rings only grow and a replaced one is kept
 * (prev) until the WQ is freed: an idle engine may poll a WQ it found in its
 * group's list just before a restart (wq_rt_ready, without the group lock),
 * and must read stale slots then, not freed memory. Growing in powers of
 * two bounds what is kept to less than the current ring.
 */
struct wq_ring {
	struct wq_ring *prev;		/* replaced ring, freed with the WQ */
	uint64_t mask;			/* slots - 1 */
	struct wq_slot slots[] __attribute__((aligned(64)));
};

struct wq_abort {
	uint32_t pasid;			/* WQ_ANY_PASID for the whole WQ */
	uint64_t below;			/* tickets below this are abandoned */
};

struct wq_rt {
	unsigned int id;
	struct pstats *pstats;		/* the device's per-PASID counters */
	/*
	 * Submitters' line: the admission CAS, and their snapshot of head
	 * (refreshed only when tail - head_seen reaches a limit). Engines
	 * never read it while they have work, so it stays in the submitting
	 * CPU's cache during a burst.
	 */
	_Atomic uint64_t tail __attribute__((aligned(64)));	/* next position | WQ_CLOSED */
	_Atomic uint64_t head_seen;	/* some earlier value of head: <= head */
	/*
	 * Engines' line (group lock): head, and the WRR counter, not next to
	 * the owner fields every MOVDIR64B reads, or each dequeue would take
	 * that line from the submitter and each submission take it back.
	 */
	_Atomic uint64_t head __attribute__((aligned(64)));	/* next to dequeue */
	int credit;
	_Atomic(struct wq_ring *) ring __attribute__((aligned(64)));	/* >= size slots */
	/*
	 * Configuration snapshot, written only while closed. Submitters read
	 * the fields they need before their admission CAS, possibly while a
	 * restart rewrites them (their CAS then fails: the tail has moved),
	 * so those fields are relaxed atomics.
	 */
	_Atomic uint32_t size, threshold;
	_Atomic bool shared;
	struct group_rt *_Atomic group;
	uint8_t priority;
	struct dsa_wq_attr attr;
	_Atomic uint64_t skipped;	/* positions skipped by restarts (never accepted) */
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
	atomic_init(&wq->tail, WQ_CLOSED);
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
	for (struct wq_ring *r = atomic_load(&wq->ring), *prev; r; r = prev) {
		prev = r->prev;
		free(r);
	}
	free(wq);
	return NULL;
}

int wq_rt_start(struct wq_rt *wq, const struct dsa_wq_cfg *cfg, const struct dsa_wq_attr *attr,
		struct group_rt *group)
{
	uint64_t cap = 1, t = atomic_load(&wq->tail);
	struct wq_ring *old;

	if (!(t & WQ_CLOSED) || (t & ~WQ_CLOSED) != atomic_load(&wq->head))
		return -EBUSY;
	if (cfg->size == 0)
		return -EINVAL;
	while (cap < cfg->size)
		cap <<= 1;
	old = atomic_load_explicit(&wq->ring, memory_order_relaxed);
	if (!old || old->mask + 1 < cap) {
		struct wq_ring *ring = aligned_alloc(64, sizeof(*ring) + cap * sizeof(ring->slots[0]));

		if (!ring)
			return -ENOMEM;
		ring->prev = old;
		ring->mask = cap - 1;
		/* seq 0 is "published for position -1": never a position to come. */
		for (uint64_t i = 0; i < cap; i++)
			atomic_init(&ring->slots[i].seq, 0);
		/* Pairs with the acquire in wq_slot(): mask and seqs are seen first. */
		atomic_store_explicit(&wq->ring, ring, memory_order_release);
	}
	/*
	 * Skip one position (see the top of the file: no ABA across a
	 * restart). The ring is empty, so head moves with the tail; slots keep
	 * seq <= t, below every position to come.
	 */
	t = (t & ~WQ_CLOSED) + 1;
	atomic_fetch_add_explicit(&wq->skipped, 1, memory_order_relaxed);
	atomic_store(&wq->head, t);
	atomic_store(&wq->head_seen, t);
	atomic_store_explicit(&wq->size, cfg->size, memory_order_relaxed);
	atomic_store_explicit(&wq->threshold, cfg->shared ? cfg->threshold : cfg->size,
			      memory_order_relaxed);
	atomic_store_explicit(&wq->shared, cfg->shared, memory_order_relaxed);
	atomic_store_explicit(&wq->group, group, memory_order_relaxed);
	wq->priority = cfg->priority;
	wq->attr = *attr;
	wq->credit = cfg->priority;
	wq_rt_clear_aborts(wq);
	/* Pairs with the acquire load in wq_admit: the snapshot is visible first. */
	atomic_store_explicit(&wq->tail, t, memory_order_release);
	return 0;
}

void wq_rt_close(struct wq_rt *wq)
{
	atomic_fetch_or(&wq->tail, WQ_CLOSED);
}

bool wq_rt_is_open(const struct wq_rt *wq)
{
	return !(atomic_load(&wq->tail) & WQ_CLOSED);
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
	ret[WQ_STAT_ACCEPTED] += (atomic_load_explicit(&wq->tail, memory_order_relaxed) & ~WQ_CLOSED) -
				 atomic_load_explicit(&wq->skipped, memory_order_relaxed);
}

/*
 * Take the next position while tail - head < limit (threshold, or size if
 * unlimited), unless closed. Exact: head only grows, so h <= head at the
 * CAS, and the CAS proves tail == t then; the occupancy it creates is at
 * most t + 1 - head <= t + 1 - h <= limit. A refusal follows a fresh read
 * of head taken after t, when the occupancy was at least t - h >= limit.
 */
static bool wq_admit(struct wq_rt *wq, bool unlimited, uint64_t *ret_pos)
{
	/*
	 * head_seen before tail, so h <= t here. Acquire pairs with the
	 * release that stored head_seen, which carries the engines' release
	 * of head: their reads of the slot we may reuse are done.
	 */
	uint64_t h = atomic_load_explicit(&wq->head_seen, memory_order_acquire);
	/* Acquire pairs with wq_rt_start's release: the config snapshot is seen. */
	uint64_t t = atomic_load_explicit(&wq->tail, memory_order_acquire);
	/*
	 * Read after the tail: if it belongs to a newer configuration than t,
	 * the tail has moved on and the CAS below fails.
	 */
	int64_t limit = unlimited ? wq_rt_size(wq)
				  : atomic_load_explicit(&wq->threshold, memory_order_relaxed);

	do {
		if (sva_unlikely(t & WQ_CLOSED))
			return false;
		/*
		 * Signed: a refreshed h may be ahead of a stale t; the tail
		 * has then moved on and the CAS fails, reloading t.
		 */
		if (sva_unlikely((int64_t)(t - h) >= limit)) {
			/* Pairs with the release in wq_rt_dequeue's store of head. */
			h = atomic_load_explicit(&wq->head, memory_order_acquire);
			if ((int64_t)(t - h) >= limit)
				return false;
			/* Pairs with the acquire above in other submitters. */
			atomic_store_explicit(&wq->head_seen, h, memory_order_release);
		}
		/* seq_cst: group_rt_kick's loads must not pass it (Dekker with the sleeper). */
	} while (!atomic_compare_exchange_weak(&wq->tail, &t, t + 1));
	*ret_pos = t;
	return true;
}

static struct wq_slot *wq_slot(const struct wq_rt *wq, uint64_t pos)
{
	/* Pairs with the release in wq_rt_start (a plain load on x86). */
	const struct wq_ring *r = atomic_load_explicit(&wq->ring, memory_order_acquire);

	return (struct wq_slot *)&r->slots[pos & r->mask];
}

static void wq_publish(struct wq_rt *wq, uint64_t pos, const struct dsa_hw_desc *d,
		       struct as *as, uint32_t pasid, bool priv)
{
	struct wq_slot *slot = wq_slot(wq, pos);

	/*
	 * Admission saw head > pos - cap, so the slot's previous occupant was
	 * dequeued and (acquire on head) the engine's reads of it are done.
	 */
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
	uint64_t pos;

	/* A DMWr to a dedicated WQ gets Retry (dsa-device.md §3). */
	if (!wq_rt_shared(wq) || !wq_admit(wq, unlimited, &pos)) {
		wq_rt_count(wq, WQ_STAT_RETRIES);
		pstats_retry(wq->pstats, pasid);
		return WQ_RETRY;
	}
	wq_publish(wq, pos, d, as, pasid, priv);
	return WQ_ACCEPTED;
}

enum wq_submit wq_rt_movdir64b(struct wq_rt *wq, const struct dsa_hw_desc *d)
{
	struct as *as;
	uint64_t pos;

	/* A posted write to a shared or disabled WQ is silently ignored. */
	if (wq_rt_shared(wq) || !wq_rt_is_open(wq)) {
		wq_rt_count(wq, WQ_STAT_IGNORED);
		return WQ_IGNORED;
	}
	as = atomic_load(&wq->owner_as);
	if (!as || !wq_admit(wq, true, &pos)) {
		/* No flow control on a DWQ: a full queue drops (SWERROR 0x53). */
		if (as) {
			wq_rt_count(wq, WQ_STAT_DROPPED);
			return WQ_DROPPED;
		}
		wq_rt_count(wq, WQ_STAT_IGNORED);
		return WQ_IGNORED;
	}
	/* The device uses WQCFG.pasid; the descriptor's PASID and Priv are ignored. */
	wq_publish(wq, pos, d, as, atomic_load(&wq->owner_pasid), false);
	return WQ_ACCEPTED;
}

uint32_t wq_rt_occupancy(const struct wq_rt *wq)
{
	/* Head first: it never passes the tail, so the difference is >= 0. */
	uint64_t h = atomic_load(&wq->head);

	return (uint32_t)((atomic_load(&wq->tail) & ~WQ_CLOSED) - h);
}

bool wq_rt_ready(const struct wq_rt *wq)
{
	uint64_t pos = atomic_load_explicit(&wq->head, memory_order_relaxed);

	/* A hint (wq_rt_dequeue re-checks with acquire); reads only the slot. */
	return atomic_load_explicit(&wq_slot(wq, pos)->seq, memory_order_relaxed) == pos + 1;
}

bool wq_rt_dequeue(struct wq_rt *wq, struct wq_item *ret_item, struct engine_cur *cur,
		   unsigned int wq_index)
{
	uint64_t pos = atomic_load_explicit(&wq->head, memory_order_relaxed);
	struct wq_slot *slot = wq_slot(wq, pos);

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
	/*
	 * Frees the slot: its release part pairs with the submitters' acquire
	 * of head (or head_seen), so our reads above are done before reuse.
	 */
	atomic_store(&wq->head, pos + 1);
	return true;
}

uint64_t wq_rt_tail(const struct wq_rt *wq)
{
	return atomic_load(&wq->tail) & ~WQ_CLOSED;
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
