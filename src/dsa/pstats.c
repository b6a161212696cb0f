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
 * common case; counting is one or two relaxed fetch-adds on the row. A
 * PASID seen for the first time reserves a row with fetch-add on nrows and
 * publishes it with one CAS on an empty index word: lock-free and
 * async-signal-safe (Retries are counted inside the trap handler). Two
 * threads racing to claim the same new PASID both reserve a row; the loser
 * leaves its row unused (a hole the listing skips), so at most one row
 * per such race is lost. Every increment lands in exactly one row, so the
 * sums over the rows equal the device-wide counters exactly.
 *
 * Rows are listed in the order PASIDs were first seen (a row is listed
 * once its claim succeeded), so indexes are stable, except that two
 * PASIDs seen for the first time at the same moment may be listed in
 * either order.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "dsa.h"
#include "sva/sva_barrier.h"

#define PSTATS_INDEX	(2 * PSTATS_ROWS)	/* load factor <= 1/2: short probes */
#define KEY_PASID_BITS	20
#define KEY_PASID_MASK	((1u << KEY_PASID_BITS) - 1)

static_assert((PSTATS_ROWS & (PSTATS_ROWS - 1)) == 0, "PSTATS_ROWS is a power of two");
static_assert(PSTATS_ROWS < (1u << (32 - KEY_PASID_BITS)) - 1, "row + 1 fits the key");
static_assert(PSTATS_NSTATUS == 64, "statuses 0x00-0x3e, and 0x3f for the rest");

struct pstats_row {
	/* submitters' line: Retry answers are counted at admission */
	_Atomic uint64_t retries __attribute__((aligned(64)));
	/* the engines' lines */
	_Atomic uint64_t by_status[PSTATS_NSTATUS] __attribute__((aligned(64)));
	_Atomic uint64_t bytes;
	_Atomic uint64_t aborted;
	_Atomic uint32_t pasid;		/* pasid + 1 once claimed; 0: free or a hole */
};

struct pstats {
	/* index word: pasid | (row + 1) << 20; 0 is empty */
	_Atomic uint32_t index[PSTATS_INDEX];
	_Atomic uint32_t nrows;		/* rows reserved (may pass PSTATS_ROWS) */
	struct pstats_row other;
	struct pstats_row rows[PSTATS_ROWS];
};

int pstats_new(struct pstats **ret_ps)
{
	/*
	 * Anonymous memory: zero, line-aligned rows, and only the pages of
	 * rows in use become resident (a device serving one process touches
	 * a few KiB of the table's 165 KiB).
	 */
	void *p = mmap(NULL, sizeof(struct pstats), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	*ret_ps = p;
	return 0;
}

struct pstats *pstats_free(struct pstats *ps)
{
	if (ps)
		munmap(ps, sizeof(*ps));
	return NULL;
}

/*
 * The row of pasid: found, claimed, or "other" when the table is full.
 * Relaxed throughout: an index word carries all a reader needs (the row
 * number), and rows start zeroed, so there is nothing else to publish.
 */
static struct pstats_row *pstats_row(struct pstats *ps, uint32_t pasid)
{
	unsigned int i = pasid & (PSTATS_INDEX - 1);
	uint32_t r = UINT32_MAX;

	if (sva_unlikely(pasid > KEY_PASID_MASK))
		return &ps->other;	/* PASID_INVALID: no identity to count under */
	for (unsigned int n = 0; n < PSTATS_INDEX; n++, i = (i + 1) & (PSTATS_INDEX - 1)) {
		uint32_t w = atomic_load_explicit(&ps->index[i], memory_order_relaxed);

		if (sva_likely(w && (w & KEY_PASID_MASK) == pasid))
			return &ps->rows[(w >> KEY_PASID_BITS) - 1];
		if (w)
			continue;
		/* Not in the index: reserve a row once, then claim this empty word. */
		if (r == UINT32_MAX) {
			if (atomic_load_explicit(&ps->nrows, memory_order_relaxed) >= PSTATS_ROWS)
				return &ps->other;
			r = atomic_fetch_add_explicit(&ps->nrows, 1, memory_order_relaxed);
			if (r >= PSTATS_ROWS)
				return &ps->other;
		}
		/* On failure w holds the winner's word: the same PASID's, or probe on. */
		if (atomic_compare_exchange_strong_explicit(
			    &ps->index[i], &w, pasid | ((r + 1) << KEY_PASID_BITS),
			    memory_order_relaxed, memory_order_relaxed)) {
			/* Labelled once ours: the listing shows only rows that won. */
			atomic_store_explicit(&ps->rows[r].pasid, pasid + 1, memory_order_relaxed);
			return &ps->rows[r];
		}
		if ((w & KEY_PASID_MASK) == pasid)
			return &ps->rows[(w >> KEY_PASID_BITS) - 1];	/* our row stays a hole */
	}
	/* Unreachable: at most PSTATS_ROWS of the 2 * PSTATS_ROWS words are used. */
	return &ps->other;
}

void pstats_complete(struct pstats *ps, uint32_t pasid, uint8_t status, uint64_t bytes)
{
	struct pstats_row *row = pstats_row(ps, pasid);
	unsigned int s = status & DSA_COMP_STATUS_MASK;

	atomic_fetch_add_explicit(&row->by_status[s < PSTATS_NSTATUS ? s : PSTATS_NSTATUS - 1], 1,
				  memory_order_relaxed);
	if (bytes)
		atomic_fetch_add_explicit(&row->bytes, bytes, memory_order_relaxed);
}

void pstats_retry(struct pstats *ps, uint32_t pasid)
{
	atomic_fetch_add_explicit(&pstats_row(ps, pasid)->retries, 1, memory_order_relaxed);
}

void pstats_abort(struct pstats *ps, uint32_t pasid)
{
	atomic_fetch_add_explicit(&pstats_row(ps, pasid)->aborted, 1, memory_order_relaxed);
}

static bool row_used(const struct pstats_row *row)
{
	if (atomic_load_explicit(&row->retries, memory_order_relaxed) ||
	    atomic_load_explicit(&row->aborted, memory_order_relaxed))
		return true;
	for (unsigned int s = 0; s < PSTATS_NSTATUS; s++)
		if (atomic_load_explicit(&row->by_status[s], memory_order_relaxed))
			return true;
	return false;
}

static void row_read(const struct pstats_row *row, uint32_t pasid, struct pstats_snap *ret)
{
	ret->pasid = pasid;
	for (unsigned int s = 0; s < PSTATS_NSTATUS; s++)
		ret->by_status[s] = atomic_load_explicit(&row->by_status[s], memory_order_relaxed);
	ret->retries = atomic_load_explicit(&row->retries, memory_order_relaxed);
	ret->bytes = atomic_load_explicit(&row->bytes, memory_order_relaxed);
	ret->aborted = atomic_load_explicit(&row->aborted, memory_order_relaxed);
}

int pstats_read(struct pstats *ps, unsigned int index, struct pstats_snap *ret)
{
	uint32_t n = atomic_load_explicit(&ps->nrows, memory_order_relaxed);

	if (n > PSTATS_ROWS)
		n = PSTATS_ROWS;
	/* Labelled rows in claim order; holes and rows being claimed are skipped. */
	for (uint32_t r = 0; r < n; r++) {
		uint32_t p = atomic_load_explicit(&ps->rows[r].pasid, memory_order_relaxed);

		if (!p)
			continue;
		if (index-- == 0) {
			row_read(&ps->rows[r], p - 1, ret);
			return 0;
		}
	}
	/* "other" is listed last, once something was counted in it. */
	if (index == 0 && row_used(&ps->other)) {
		row_read(&ps->other, PSTATS_OTHER, ret);
		return 0;
	}
	return -ENOENT;
}
