/* SPDX-License-Identifier: MIT */
/*
 * Description: the per-PASID counter table of src/dsa/pstats.c. Rows come
 * in first-seen order with the "other" row last and only once used;
 * PASIDs that share an index word get rows of their own; statuses are
 * counted without the write bit, 0x3f and above together; PASID_INVALID
 * and everything past the 256 rows go to "other"; a row sums the slices
 * of every engine. Then four threads (four engines, each counting in its
 * slice, and all counting Retries) race on fresh tables to claim the same
 * new PASIDs (and a disjoint set each); every PASID is listed once, and
 * every count is exact (TSan runs this test).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "harness.h"
#include "dsa/dsa.h"

#define NTHREADS	4
#define ROUNDS		200
#define SHARED		24	/* PASIDs every thread uses */
#define OWN		16	/* PASIDs one thread uses */
#define OPS		6	/* per PASID per thread */

static unsigned int nrows(struct pstats *ps)
{
	struct pstats_snap s;
	unsigned int n = 0;

	while (pstats_read(ps, n, &s) == 0)
		n++;
	return n;
}

static void test_basic(void)
{
	struct pstats *ps;
	struct pstats_snap s;

	T_EQ(pstats_new(&ps), 0);
	T_EQ(pstats_engine_attach(ps, 0), 0);
	T_EQ(pstats_engine_attach(ps, 1), 0);
	T_EQ(pstats_engine_attach(ps, DSA_MAX_ENGINES), -EINVAL);
	T_EQ(pstats_read(ps, 0, &s), -ENOENT);

	pstats_complete(ps, 0, 5, DSA_COMP_SUCCESS, 100);
	pstats_complete(ps, 0, 5, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE, 0);
	pstats_retry(ps, 9);
	/* 5 + 512 and 5 share their first index word */
	pstats_complete(ps, 0, 5 + 2 * PSTATS_ROWS, 0x45, 7);
	pstats_abort(ps, 1, 5);	/* another engine's slice, same row */

	T_EQ(pstats_read(ps, 0, &s), 0);
	T_EQ(s.pasid, 5);
	T_EQ(s.by_status[DSA_COMP_SUCCESS], 1);
	T_EQ(s.by_status[DSA_COMP_PAGE_FAULT_NOBOF], 1);
	T_EQ(s.bytes, 100);
	T_EQ(s.aborted, 1);
	T_EQ(s.retries, 0);
	T_EQ(pstats_read(ps, 1, &s), 0);
	T_EQ(s.pasid, 9);
	T_EQ(s.retries, 1);
	T_EQ(pstats_read(ps, 2, &s), 0);
	T_EQ(s.pasid, 5 + 2 * PSTATS_ROWS);
	T_EQ(s.by_status[PSTATS_NSTATUS - 1], 1);
	T_EQ(s.bytes, 7);
	/* "other" is not listed before it counted anything */
	T_EQ(pstats_read(ps, 3, &s), -ENOENT);

	pstats_complete(ps, 0, PASID_INVALID, DSA_COMP_SUCCESS, 1);
	T_EQ(pstats_read(ps, 3, &s), 0);
	T_EQ(s.pasid, PSTATS_OTHER);
	T_EQ(s.by_status[DSA_COMP_SUCCESS], 1);
	T_EQ(pstats_read(ps, 4, &s), -ENOENT);
	pstats_free(ps);
}

/* 300 PASIDs: the first 256 get rows, the rest share "other", nothing is lost. */
static void test_overflow(void)
{
	struct pstats *ps;
	struct pstats_snap s;
	uint64_t total = 0;

	T_EQ(pstats_new(&ps), 0);
	T_EQ(pstats_engine_attach(ps, 0), 0);
	for (uint32_t p = 1; p <= 300; p++)
		for (uint32_t k = 0; k < p % 3 + 1; k++)
			pstats_complete(ps, 0, p, DSA_COMP_SUCCESS, p);
	T_EQ(nrows(ps), PSTATS_ROWS + 1);
	for (unsigned int i = 0; i < PSTATS_ROWS; i++) {
		T_EQ(pstats_read(ps, i, &s), 0);
		T_EQ(s.pasid, i + 1);
		T_EQ(s.by_status[DSA_COMP_SUCCESS], (i + 1) % 3 + 1);
		total += s.by_status[DSA_COMP_SUCCESS];
	}
	T_EQ(pstats_read(ps, PSTATS_ROWS, &s), 0);
	T_EQ(s.pasid, PSTATS_OTHER);
	total += s.by_status[DSA_COMP_SUCCESS];
	uint64_t want = 0, bytes = 0;

	for (uint32_t p = 1; p <= 300; p++) {
		want += p % 3 + 1;
		if (p > PSTATS_ROWS)
			bytes += (uint64_t)p * (p % 3 + 1);
	}
	T_EQ(total, want);
	T_EQ(s.bytes, bytes);
	/* a PASID with a row keeps it after the table filled */
	pstats_retry(ps, 1);
	T_EQ(pstats_read(ps, 0, &s), 0);
	T_EQ(s.retries, 1);
	pstats_free(ps);
}

struct race {
	struct pstats *ps;
	pthread_barrier_t *go;
	unsigned int id;
};

static uint32_t shared_pasid(unsigned int k)
{
	/* spread over the index, with collisions: k * 512 lands on one word */
	return 1 + k * (k & 1 ? 2 * PSTATS_ROWS : 3);
}

static void *racer(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(r->go);
	for (unsigned int op = 0; op < OPS; op++) {
		for (unsigned int k = 0; k < SHARED; k++) {
			uint32_t p = shared_pasid(k);

			pstats_complete(r->ps, r->id, p, DSA_COMP_SUCCESS, 1);
			pstats_retry(r->ps, p);
		}
		for (unsigned int k = 0; k < OWN; k++)
			pstats_complete(r->ps, r->id, 100000 + r->id * 100 + k,
					DSA_COMP_PAGE_FAULT_IR, 2);
	}
	return NULL;
}

static void test_races(void)
{
	pthread_barrier_t go;
	pthread_t th[NTHREADS];
	struct race rc[NTHREADS];

	pthread_barrier_init(&go, NULL, NTHREADS);
	for (unsigned int round = 0; round < ROUNDS && !t_failures; round++) {
		struct pstats *ps;
		struct pstats_snap s;
		unsigned int seen_shared = 0, seen_own = 0;

		T_EQ(pstats_new(&ps), 0);
		for (unsigned int t = 0; t < NTHREADS; t++)
			T_EQ(pstats_engine_attach(ps, t), 0);
		for (unsigned int t = 0; t < NTHREADS; t++) {
			rc[t] = (struct race){ .ps = ps, .go = &go, .id = t };
			pthread_create(&th[t], NULL, racer, &rc[t]);
		}
		for (unsigned int t = 0; t < NTHREADS; t++)
			pthread_join(th[t], NULL);
		for (unsigned int i = 0; pstats_read(ps, i, &s) == 0; i++) {
			T_CHECK(s.pasid != PSTATS_OTHER, "round %u: a PASID went to other", round);
			if (s.pasid >= 100000) {
				seen_own++;
				T_EQ(s.by_status[DSA_COMP_PAGE_FAULT_IR], OPS);
				T_EQ(s.bytes, 2 * OPS);
			} else {
				seen_shared++;
				T_EQ(s.by_status[DSA_COMP_SUCCESS], NTHREADS * OPS);
				T_EQ(s.retries, NTHREADS * OPS);
				T_EQ(s.bytes, NTHREADS * OPS);
			}
		}
		/* each PASID exactly once: a duplicate row would split its counts */
		T_EQ(seen_shared, SHARED);
		T_EQ(seen_own, NTHREADS * OWN);
		pstats_free(ps);
	}
	pthread_barrier_destroy(&go);
}

int main(void)
{
	test_basic();
	test_overflow();
	test_races();
	return t_done("unit/pasid_stats");
}
