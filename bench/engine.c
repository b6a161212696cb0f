/* SPDX-License-Identifier: MIT */
/*
 * engine: the execution engine (no queues) against the baseline a user
 * would call instead, in the same run: MEMMOVE vs glibc memcpy, CRCGEN vs
 * ISA-L crc32_iscsi, and the cost of decoding, validating and executing a
 * NOOP (record write included). Each figure is the median of 9 inner runs;
 * the range is over 3 outer repetitions (performance.md method).
 *
 * Usage: engine [--json]
 */
#include <isa-l/crc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/core.h"
#include "dsa/dsa.h"

#define INNER 9
#define OUTER 3

static struct dsa_caps caps;
static struct dsa_wq_attr wq;
static struct as *as;
static uint32_t pasid;
static struct dsa_completion_record cr __attribute__((aligned(32)));
static volatile uint32_t sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	return v[n / 2];
}

enum kind { K_ENGINE_MEMMOVE, K_MEMCPY, K_ENGINE_CRC, K_ISAL_CRC, K_ENGINE_NOOP };

/* Nanoseconds per call of one kind, averaged over iters calls. */
static double run_once(enum kind k, uint8_t *src, uint8_t *dst, uint32_t n, int iters)
{
	struct dsa_hw_desc d;
	struct dsa_result r;
	double t0;

	memset(&d, 0, sizeof(d));
	d.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	d.completion_addr = (uint64_t)(uintptr_t)&cr;
	d.src_addr = (uint64_t)(uintptr_t)src;
	d.dst_addr = (uint64_t)(uintptr_t)dst;
	d.xfer_size = n;
	d.opcode = k == K_ENGINE_CRC ? DSA_OPCODE_CRCGEN
		   : k == K_ENGINE_NOOP ? DSA_OPCODE_NOOP : DSA_OPCODE_MEMMOVE;
	t0 = now_ns();
	for (int i = 0; i < iters; i++) {
		switch (k) {
		case K_MEMCPY:
			memcpy(dst, src, n);
			__asm__ volatile("" : : "r"(dst) : "memory");
			break;
		case K_ISAL_CRC:
			sink = ~crc32_iscsi(src, (int)n, ~0u);
			break;
		default:
			cr.status = 0;
			dsa_exec_desc(&caps, &wq, as, pasid, false, &d, &r);
			if (r.status != DSA_COMP_SUCCESS) {
				fprintf(stderr, "engine: status 0x%x\n", r.status);
				exit(1);
			}
			break;
		}
	}
	return (now_ns() - t0) / iters;
}

struct fig {
	double med, lo, hi;
};

static struct fig measure(enum kind k, uint8_t *src, uint8_t *dst, uint32_t n, int iters)
{
	struct fig f = { 0, 1e30, 0 };
	double outer[OUTER];

	for (int o = 0; o < OUTER; o++) {
		double in[INNER];

		for (int i = 0; i < INNER; i++)
			in[i] = run_once(k, src, dst, n, iters);
		outer[o] = median(in, INNER);
		if (outer[o] < f.lo)
			f.lo = outer[o];
		if (outer[o] > f.hi)
			f.hi = outer[o];
	}
	f.med = median(outer, OUTER);
	return f;
}

static void row(bool json, bool *first, const char *name, uint32_t n, struct fig sva,
		struct fig base, const char *base_name, double target)
{
	double gbs = n / sva.med, bgbs = n / base.med, ratio = base.med / sva.med;

	if (json) {
		printf("%s{\"name\":\"%s\",\"bytes\":%u,\"sva_ns\":%.1f,\"sva_gbs\":%.2f,"
		       "\"baseline\":\"%s\",\"baseline_ns\":%.1f,\"baseline_gbs\":%.2f,"
		       "\"ratio\":%.3f,\"target\":%.2f}",
		       *first ? "" : ",\n", name, n, sva.med, gbs, base_name, base.med, bgbs,
		       ratio, target);
		*first = false;
		return;
	}
	printf("%-16s %8u  %8.1f ns %6.2f GB/s [%.1f-%.1f] | %-12s %8.1f ns %6.2f GB/s | "
	       "ratio %.2f (target >= %.2f)\n",
	       name, n, sva.med, gbs, n / sva.hi, n / sva.lo, base_name, base.med, bgbs, ratio,
	       target);
}

int main(int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	bool first = true;
	size_t cap = 1u << 21;
	uint8_t *src = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const uint32_t copy_sizes[] = { 4096, 65536, 1u << 20 };
	struct fig noop;

	if (src == MAP_FAILED || dst == MAP_FAILED)
		return 1;
	memset(src, 0x5a, cap);
	memset(dst, 0xa5, cap);
	dsa_caps_default(&caps);
	dsa_wq_attr_default(&wq);
	if (as_new_self(pasid_alloc_global(), &as) || as_bind(as, PASID_MAX, &pasid))
		return 1;
	if (json)
		printf("[\n");
	else
		printf("engine benchmark: median of %d inner runs, [range] over %d outer runs\n",
		       INNER, OUTER);
	for (unsigned int i = 0; i < sizeof(copy_sizes) / sizeof(copy_sizes[0]); i++) {
		uint32_t n = copy_sizes[i];
		int iters = n >= (1u << 20) ? 20 : 2000;
		struct fig e = measure(K_ENGINE_MEMMOVE, src, dst, n, iters);
		struct fig m = measure(K_MEMCPY, src, dst, n, iters);

		row(json, &first, "memmove", n, e, m, "memcpy", 0.9);
	}
	{
		struct fig e = measure(K_ENGINE_CRC, src, dst, 65536, 2000);
		struct fig m = measure(K_ISAL_CRC, src, dst, 65536, 2000);

		row(json, &first, "crcgen", 65536, e, m, "crc32_iscsi", 0.9);
	}
	noop = measure(K_ENGINE_NOOP, src, dst, 0, 200000);
	if (json)
		printf(",\n{\"name\":\"noop\",\"sva_ns\":%.1f,\"target_ns\":50}\n]\n", noop.med);
	else
		printf("%-16s %8s  %8.1f ns [%.1f-%.1f] per descriptor (decode, validate, "
		       "execute, record; target <= 50 ns)\n",
		       "noop", "-", noop.med, noop.lo, noop.hi);
	as_unbind(as);
	as_unref(as);
	return 0;
}
