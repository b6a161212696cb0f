/* SPDX-License-Identifier: MIT */
/*
 * Purpose: cost of the PASID allocator (src/core/pasid.c) against its
 * targets: one alloc+free pair <= 100 ns uncontended, allocating all
 * 2^20 - 1 ids < 1 s. Alongside: the same pair deep in a half-full space,
 * with two threads contending, and the floor (two uncontended mutex
 * lock/unlock pairs, which a pair must pay anyway).
 * Medians of several runs with [min-max]; informative only, never a verdict.
 * Build: make && build/bench/pasid_bench
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

#define RUNS		9	/* inner runs per figure; the median is reported */
#define FILL_RUNS	5
#define PAIRS		1000000
#define TARGET_PAIR_NS	100.0
#define TARGET_FILL_MS	1000.0

static volatile uint64_t sink;	/* keeps the loops from being optimised away */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stats(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return (struct stat3){ .med = v[n / 2], .min = v[0], .max = v[n - 1] };
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: an unpinned figure is still a figure. */
	sched_setaffinity(0, sizeof(set), &set);
}

static struct pasid_alloc *new_pa(void)
{
	struct pasid_alloc *pa;
	int r = pasid_alloc_new(PASID_MAX, &pa);

	if (r) {
		fprintf(stderr, "pasid_alloc_new: %s\n", strerror(-r));
		exit(1);
	}
	return pa;
}

/* ns per get+put pair; the same id comes back each time. */
static double run_pairs(struct pasid_alloc *pa, long pairs)
{
	uint64_t acc = 0;
	uint32_t id;
	double t0 = now_ns();

	for (long i = 0; i < pairs; i++) {
		if (pasid_get(pa, &id))
			abort();
		acc += id;
		pasid_put(pa, id);
	}
	sink += acc;
	return (now_ns() - t0) / (double)pairs;
}

/* Pairs with `held` low ids allocated beforehand, so the search runs deep. */
static struct stat3 bench_pairs(uint32_t held)
{
	struct pasid_alloc *pa = new_pa();
	double v[RUNS];
	uint32_t id;

	for (uint32_t i = 0; i < held; i++)
		pasid_get(pa, &id);
	run_pairs(pa, PAIRS / 10);	/* warm up */
	for (int r = 0; r < RUNS; r++)
		v[r] = run_pairs(pa, PAIRS);
	pasid_alloc_free(pa);
	return stats(v, RUNS);
}

static struct stat3 bench_mutex_floor(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	double v[RUNS];

	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < PAIRS; i++) {
			pthread_mutex_lock(&m);
			sink++;
			pthread_mutex_unlock(&m);
			pthread_mutex_lock(&m);
			sink++;
			pthread_mutex_unlock(&m);
		}
		v[r] = (now_ns() - t0) / PAIRS;
	}
	return stats(v, RUNS);
}

struct contender {
	pthread_t thread;
	struct pasid_alloc *pa;
	pthread_barrier_t *start;
	int cpu;
	double ns;
};

static void *contender_main(void *arg)
{
	struct contender *c = arg;

	pin(c->cpu);
	pthread_barrier_wait(c->start);
	c->ns = run_pairs(c->pa, PAIRS / 2);
	return NULL;
}

/* Two threads hammering one allocator: ns per pair as each thread sees it. */
static struct stat3 bench_contended(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct pasid_alloc *pa = new_pa();
	struct contender c[2];
	pthread_barrier_t start;
	double v[RUNS];

	for (int r = 0; r < RUNS; r++) {
		pthread_barrier_init(&start, NULL, 2);
		for (int i = 0; i < 2; i++) {
			c[i] = (struct contender){ .pa = pa, .start = &start,
						   .cpu = (int)(i % (ncpu > 0 ? ncpu : 1)) };
			pthread_create(&c[i].thread, NULL, contender_main, &c[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(c[i].thread, NULL);
		pthread_barrier_destroy(&start);
		v[r] = (c[0].ns + c[1].ns) / 2;
	}
	pasid_alloc_free(pa);
	return stats(v, RUNS);
}

/* Milliseconds to allocate (fill) and then free (drain) the whole space. */
static void bench_fill(struct stat3 *ret_fill, struct stat3 *ret_drain)
{
	double fill[FILL_RUNS], drain[FILL_RUNS];

	for (int r = 0; r < FILL_RUNS; r++) {
		struct pasid_alloc *pa = new_pa();
		uint32_t id, n = 0;
		double t0 = now_ns();

		while (pasid_get(pa, &id) == 0)
			n++;
		fill[r] = (now_ns() - t0) / 1e6;
		if (n != PASID_MAX - 1) {
			fprintf(stderr, "filled %u ids, expected %u\n", n, PASID_MAX - 1);
			exit(1);
		}
		t0 = now_ns();
		for (id = PASID_FIRST; id < PASID_MAX; id++)
			pasid_put(pa, id);
		drain[r] = (now_ns() - t0) / 1e6;
		pasid_alloc_free(pa);
	}
	*ret_fill = stats(fill, FILL_RUNS);
	*ret_drain = stats(drain, FILL_RUNS);
}

static void row(const char *what, struct stat3 s, const char *unit, const char *target,
		const char *within)
{
	printf("%-40s %9.1f %-3s [%7.1f - %7.1f]  %-9s %s\n", what, s.med, unit, s.min, s.max,
	       target, within);
}

int main(void)
{
	struct stat3 empty, deep, cont, mfloor, fill, drain;

	pin(0);
	empty = bench_pairs(0);
	deep = bench_pairs(PASID_MAX / 2);
	mfloor = bench_mutex_floor();
	cont = bench_contended();
	bench_fill(&fill, &drain);

	printf("pasid allocator: median of %d runs of %d pairs; fill/drain median of %d runs\n\n",
	       RUNS, PAIRS, FILL_RUNS);
	printf("%-40s %13s [%17s]  %-9s %s\n", "figure", "median", "range", "target", "within");
	row("alloc+free pair, empty space", empty, "ns", "<= 100 ns",
	    empty.med <= TARGET_PAIR_NS ? "yes" : "no");
	row("alloc+free pair, 2^19 ids held", deep, "ns", "<= 100 ns",
	    deep.med <= TARGET_PAIR_NS ? "yes" : "no");
	row("alloc+free pair, 2 threads contending", cont, "ns", "-", "-");
	row("floor: 2x mutex lock+unlock", mfloor, "ns", "-", "-");
	row("allocate all 2^20 - 1 ids", fill, "ms", "< 1000 ms",
	    fill.med < TARGET_FILL_MS ? "yes" : "no");
	row("free all 2^20 - 1 ids", drain, "ms", "-", "-");
	printf("\nper id while filling: %.1f ns\n", fill.med * 1e6 / (PASID_MAX - 1));
	return 0;
}
