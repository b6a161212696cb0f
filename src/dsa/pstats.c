/* SPDX-License-Identifier: MIT */
/*
 * Per-PASID counters of a device: descriptors completed by status, bytes,
 * Retry answers and aborts, for each PASID the device served.
 *
 * Memory is bounded: PSTATS_ROWS rows, each claimed by the first
 * descriptor (or Retry) of a PASID and kept for the device's lifetime,
 * plus one "other" row for the PASIDs that come after the table is full.
 * Rows are not freed with their PASID: the point of the counters is to
 * show what happened during a run, after its processes (and PASIDs) are
 * gone (svarun --stats, svactl stats). A PASID number that is reused by a
 * later process therefore keeps accumulating in the same row; the device
 * itself cannot tell the two owners apart either. Since PASIDs are
 * allocated lowest-free-first (pasid.c), the numbers a device ever sees
 * stay below the peak number of processes bound at once, so 256 rows
 * (svad's default client limit) cover most systems without overflow.
 *
 * Hot path (one descriptor completion, one Retry): a PASID is found with
 * open addressing in an index of 32-bit words, each holding a PASID and
 * its row number, so a lookup is one relaxed load and a compare in the
 * common case. A PASID seen for the first time reserves a row with
 * fetch-add on nrows and publishes it with one CAS on an empty index word:
 * lock-free and async-signal-safe (Retries are counted inside the trap
 * handler). Two threads racing to claim the same new PASID both reserve a
 * row; the loser leaves its row unused (a hole the listing skips), so at
 * most one row per such race is lost.
 *
 * Completions are counted by the engine threads, each in a slice of its
 * own (one counter set per row and engine): a single writer increments
 * with a plain load and store, no locked instruction and no cache line
 * shared with another engine, so counting costs the engine about a
 * nanosecond. A reader sums the slices. Retries come from any submitter
 * thread and are rare by nature: one shared atomic per row. Every increment
 * lands in exactly one counter, and an engine counts a descriptor before
 * it lets a drain see it finished, so after a drain the sums over the rows
 * equal the device-wide counters exactly.
 *
 * Rows are listed in the order PASIDs were first seen (a row is listed
 * once its claim succeeded), so indexes are stable, except that two
 * PASIDs seen for the first time at the same moment may be listed in
 * either order.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "dsa.h"
#include "sva/sva_barrier.h"

#define PSTATS_INDEX	(2 * PSTATS_ROWS)	/* load factor <= 1/2: short probes */
#define ROW_OTHER	PSTATS_ROWS		/* the row of everything past the table */
#define KEY_PASID_BITS	20
#define KEY_PASID_MASK	((1u << KEY_PASID_BITS) - 1)

static_assert((PSTATS_ROWS & (PSTATS_ROWS - 1)) == 0, "PSTATS_ROWS is a power of two");
static_assert(PSTATS_ROWS < (1u << (32 - KEY_PASID_BITS)) - 1, "row + 1 fits the key");
static_assert(PSTATS_NSTATUS == 64, "statuses 0x00-0x3e, and 0x3f for the rest");

/* One engine's counts of one row: written by that engine's thread only. */
struct pstats_ctr {
	_Atomic uint64_t by_status[PSTATS_NSTATUS];
	_Atomic uint64_t bytes;
	_Atomic uint64_t aborted;
};

struct pstats_slice {
	struct pstats_ctr row[PSTATS_ROWS + 1];		/* [ROW_OTHER]: other */
};

struct pstats_retries {
	_Atomic uint64_t n __attribute__((aligned(64)));	/* a line per row: submitters */
};

struct pstats {
	/* index word: pasid | (row + 1) << 20; 0 is empty */
	_Atomic uint32_t index[PSTATS_INDEX];
	_Atomic uint32_t nrows;				/* rows reserved (may pass PSTATS_ROWS) */
	_Atomic uint32_t label[PSTATS_ROWS];		/* pasid + 1 once claimed; 0: free or a hole */
	struct pstats_retries retries[PSTATS_ROWS + 1];
	struct pstats_slice *_Atomic slice[DSA_MAX_ENGINES];	/* attached before the engine runs */
};

/*
 * Anonymous memory: zero, page-aligned, and only the pages of rows in use
 * become resident (a device serving one process touches a few KiB of the
 * table and of each engine's 133 KiB slice).
 */
static void *zalloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int pstats_new(struct pstats **ret_ps)
{
	struct pstats *ps = zalloc(sizeof(*ps));

	if (!ps)
		return -ENOMEM;
	*ret_ps = ps;
	return 0;
}

struct pstats *pstats_free(struct pstats *ps)
{
	if (!ps)
		return NULL;
	for (unsigned int e = 0; e < DSA_MAX_ENGINES; e++) {
		struct pstats_slice *s = atomic_load(&ps->slice[e]);

		if (s)
			munmap(s, sizeof(*s));
	}
	munmap(ps, sizeof(*ps));
	return NULL;
}

int pstats_engine_attach(struct pstats *ps, unsigned int engine)
{
	struct pstats_slice *s;

	if (engine >= DSA_MAX_ENGINES)
		return -EINVAL;
	if (atomic_load(&ps->slice[engine]))
		return 0;	/* a restarted engine goes on counting in its slice */
	s = zalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* Release pairs with the readers' acquire: they see a zeroed slice. */
	atomic_store_explicit(&ps->slice[engine], s, memory_order_release);
	return 0;
}

/*
 * The row of pasid: found, claimed, or ROW_OTHER when the table is full.
 * Relaxed throughout: an index word carries all a reader needs (the row
 * number), and counters start zeroed, so there is nothing else to publish.
 */
static unsigned int pstats_row(struct pstats *ps, uint32_t pasid)
{
	unsigned int i = pasid & (PSTATS_INDEX - 1);
	uint32_t r = UINT32_MAX;

	if (sva_unlikely(pasid > KEY_PASID_MASK))
		return ROW_OTHER;	/* PASID_INVALID: no identity to count under */
	for (unsigned int n = 0; n < PSTATS_INDEX; n++, i = (i + 1) & (PSTATS_INDEX - 1)) {
		uint32_t w = atomic_load_explicit(&ps->index[i], memory_order_relaxed);

		if (sva_likely(w && (w & KEY_PASID_MASK) == pasid))
			return (w >> KEY_PASID_BITS) - 1;
		if (w)
			continue;
		/* Not in the index: reserve a row once, then claim this empty word. */
		if (r == UINT32_MAX) {
			if (atomic_load_explicit(&ps->nrows, memory_order_relaxed) >= PSTATS_ROWS)
				return ROW_OTHER;
			r = atomic_fetch_add_explicit(&ps->nrows, 1, memory_order_relaxed);
			if (r >= PSTATS_ROWS)
				return ROW_OTHER;
		}
		/* On failure w holds the winner's word: the same PASID's, or probe on. */
		if (atomic_compare_exchange_strong_explicit(
			    &ps->index[i], &w, pasid | ((r + 1) << KEY_PASID_BITS),
			    memory_order_relaxed, memory_order_relaxed)) {
			/* Labelled once ours: the listing shows only rows that won. */
			atomic_store_explicit(&ps->label[r], pasid + 1, memory_order_relaxed);
			return r;
		}
		if ((w & KEY_PASID_MASK) == pasid)
			return (w >> KEY_PASID_BITS) - 1;	/* our row stays a hole */
	}
	/* Unreachable: at most PSTATS_ROWS of the 2 * PSTATS_ROWS words are used. */
	return ROW_OTHER;
}

/* A single writer's increment: no locked instruction, still a data-race-free atomic. */
static inline void ctr_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static struct pstats_ctr *engine_ctr(struct pstats *ps, unsigned int engine, uint32_t pasid)
{
	struct pstats_slice *s = atomic_load_explicit(&ps->slice[engine], memory_order_relaxed);

	assert(s);	/* attached before the engine thread was created */
	return &s->row[pstats_row(ps, pasid)];
}

void pstats_complete(struct pstats *ps, unsigned int engine, uint32_t pasid, uint8_t status,
		     uint64_t bytes)
{
	struct pstats_ctr *c = engine_ctr(ps, engine, pasid);
	unsigned int st = status & DSA_COMP_STATUS_MASK;

	ctr_add(&c->by_status[st < PSTATS_NSTATUS ? st : PSTATS_NSTATUS - 1], 1);
	if (bytes)
		ctr_add(&c->bytes, bytes);
}

void pstats_abort(struct pstats *ps, unsigned int engine, uint32_t pasid)
{
	ctr_add(&engine_ctr(ps, engine, pasid)->aborted, 1);
}

void pstats_retry(struct pstats *ps, uint32_t pasid)
{
	atomic_fetch_add_explicit(&ps->retries[pstats_row(ps, pasid)].n, 1, memory_order_relaxed);
}

static void row_read(struct pstats *ps, unsigned int r, uint32_t pasid, struct pstats_snap *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->pasid = pasid;
	ret->retries = atomic_load_explicit(&ps->retries[r].n, memory_order_relaxed);
	for (unsigned int e = 0; e < DSA_MAX_ENGINES; e++) {
		struct pstats_slice *s = atomic_load_explicit(&ps->slice[e], memory_order_acquire);

		if (!s)
			continue;
		for (unsigned int st = 0; st < PSTATS_NSTATUS; st++)
			ret->by_status[st] += atomic_load_explicit(&s->row[r].by_status[st],
								   memory_order_relaxed);
		ret->bytes += atomic_load_explicit(&s->row[r].bytes, memory_order_relaxed);
		ret->aborted += atomic_load_explicit(&s->row[r].aborted, memory_order_relaxed);
	}
}

static bool snap_used(const struct pstats_snap *s)
{
	if (s->retries || s->aborted)
		return true;
	for (unsigned int st = 0; st < PSTATS_NSTATUS; st++)
		if (s->by_status[st])
			return true;
	return false;
}

int pstats_read(struct pstats *ps, unsigned int index, struct pstats_snap *ret)
{
	uint32_t n = atomic_load_explicit(&ps->nrows, memory_order_relaxed);
	struct pstats_snap other;

	if (n > PSTATS_ROWS)
		n = PSTATS_ROWS;
	/* Labelled rows in claim order; holes and rows being claimed are skipped. */
	for (uint32_t r = 0; r < n; r++) {
		uint32_t p = atomic_load_explicit(&ps->label[r], memory_order_relaxed);

		if (!p)
			continue;
		if (index-- == 0) {
			row_read(ps, r, p - 1, ret);
			return 0;
		}
	}
	/* "other" is listed last, once something was counted in it. */
	if (index == 0) {
		row_read(ps, ROW_OTHER, PSTATS_OTHER, &other);
		if (snap_used(&other)) {
			*ret = other;
			return 0;
		}
	}
	return -ENOENT;
}
