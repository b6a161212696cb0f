/* SPDX-License-Identifier: MIT */
/*
 * Helpers of tools/svabench.c (a header, because every .c in bench/ and
 * tools/ becomes its own program): the measurement method of
 * docs/spec/performance.md (inner runs calibrated to a duration, their
 * median), CPU pinning, a cross-CPU ping-pong that tells the host's state,
 * and the software T10 DIF that serves as baseline and reference.
 */
#ifndef SVABENCH_UTIL_H
#define SVABENCH_UTIL_H

#include <errno.h>
#include <isa-l/crc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BU_OUTER_MAX	9
#define BU_INNER_MAX	9

static inline uint64_t bu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int bu_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static inline int bu_cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Sorts v. */
static inline double bu_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bu_cmp_double);
	return v[n / 2];
}

struct bu_fig {
	double med, lo, hi;	/* median and range over the outer runs */
};

static inline struct bu_fig bu_fig_of(const double *v, int n)
{
	double s[BU_OUTER_MAX];
	struct bu_fig f;

	memcpy(s, v, (size_t)n * sizeof(*v));
	f.med = bu_median(s, n);
	f.lo = s[0];
	f.hi = s[n - 1];
	return f;
}

/* A timed loop: fn returns the elapsed ns of iters iterations of units each. */
struct bu_side {
	double (*fn)(void *arg, long iters);
	void *arg;
	double units;
	long iters;		/* calibrated */
};

/* Pick iters so that one inner run lasts about run_ns. */
static inline void bu_calibrate(struct bu_side *s, double run_ns)
{
	long it = 2;
	double t;

	s->fn(s->arg, it);	/* warm caches; wake an engine that went to sleep */
	for (;;) {
		t = s->fn(s->arg, it);
		if (t >= run_ns / 8 || it >= (1l << 26))
			break;
		it *= 4;
	}
	s->iters = (long)((double)it * run_ns / (t > 1 ? t : 1));
	if (s->iters < 2)
		s->iters = 2;
}

/* ns per unit: the median of inner runs of s->iters iterations. */
static inline double bu_run_side(struct bu_side *s, int inner)
{
	double in[BU_INNER_MAX];

	/* Warm-up: the engine may have gone to sleep while the other side ran. */
	s->fn(s->arg, s->iters / 8 + 1);
	for (int i = 0; i < inner; i++)
		in[i] = s->fn(s->arg, s->iters) / ((double)s->iters * s->units);
	return bu_median(in, inner);
}

static _Atomic uint32_t bu_pp_line __attribute__((aligned(64)));

static inline void *bu_pp_peer(void *arg)
{
	uint32_t n = (uint32_t)(uintptr_t)arg >> 8;

	bu_pin_self((int)((uintptr_t)arg & 0xff));
	for (uint32_t i = 0; i < n; i++) {
		while (atomic_load_explicit(&bu_pp_line, memory_order_acquire) != 2 * i + 1)
			__builtin_ia32_pause();
		atomic_store_explicit(&bu_pp_line, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

/*
 * Round trip of one cache line between the calling thread and a thread
 * pinned to cpu, in ns: the host's state (performance.md §3.5: ~80 ns good,
 * 230-420 ns bad). 0 when the thread cannot be created.
 */
static inline double bu_pingpong_rtt(int cpu, uint32_t n)
{
	pthread_t t;
	uint64_t t0;

	atomic_store(&bu_pp_line, 0);
	if (pthread_create(&t, NULL, bu_pp_peer, (void *)(uintptr_t)(n << 8 | (uint32_t)cpu)))
		return 0;
	t0 = bu_now_ns();
	for (uint32_t i = 0; i < n; i++) {
		atomic_store_explicit(&bu_pp_line, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&bu_pp_line, memory_order_acquire) != 2 * i + 2)
			__builtin_ia32_pause();
	}
	t0 = bu_now_ns() - t0;
	pthread_join(t, NULL);
	return (double)t0 / n;
}

/* "4K", "1M", "-" for 0. */
static inline const char *bu_size_str(uint32_t n, char *buf, size_t len)
{
	if (n == 0)
		snprintf(buf, len, "-");
	else if (n % (1u << 20) == 0)
		snprintf(buf, len, "%uM", n >> 20);
	else if (n % 1024 == 0)
		snprintf(buf, len, "%uK", n >> 10);
	else
		snprintf(buf, len, "%u", n);
	return buf;
}

/* T10 DIF, 512-byte blocks, tuple = guard | app tag 0 | ref tag k (big-endian). */
static inline void bu_dif_insert(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t k = 0; k < n / 512; k++, src += 512, dst += 520) {
		uint16_t g = crc16_t10dif(0, src, 512);
		uint8_t t[8] = { (uint8_t)(g >> 8), (uint8_t)g, 0, 0, (uint8_t)(k >> 24),
				 (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k };

		memcpy(dst, src, 512);
		memcpy(dst + 512, t, 8);
	}
}

/* Non-zero when a tuple of the n data bytes at p (n / 512 blocks of 520) is wrong. */
static inline uint32_t bu_dif_check(const uint8_t *p, uint32_t n)
{
	uint32_t bad = 0;

	for (uint32_t k = 0; k < n / 512; k++, p += 520) {
		uint16_t g = crc16_t10dif(0, p, 512);
		uint8_t t[8] = { (uint8_t)(g >> 8), (uint8_t)g, 0, 0, (uint8_t)(k >> 24),
				 (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k };

		bad |= (uint32_t)(memcmp(p + 512, t, 8) != 0);
	}
	return bad;
}

#endif /* SVABENCH_UTIL_H */
