/* SPDX-License-Identifier: MIT */
/*
 * svajob: the main job that `make run` runs, on the default embedded device.
 * Three threads share the shared WQ (ENQCMD with retry) and one thread owns
 * the dedicated WQ (MOVDIR64B with credits, several descriptors in flight).
 * The mix covers every DSA 1.0 operation, batches with a fence, delta
 * records, T10-DIF, and a page-fault-and-resume case. Every result is
 * verified against a plain CPU computation; the summary gives operations,
 * bytes, throughput, retries, faults, p50/p99 latency per operation and the
 * device counters. Exit status 0 means every check passed.
 *
 * Usage: svajob [rounds]        Build: make (binary: build/tools/svajob)
 */
#include <isa-l/crc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "sva/sva.h"

#define SWQ_THREADS 3
#define MAX_SAMPLES 2048
#define BUF (2u << 20)

struct op_stats {
	uint64_t ops, bytes, failures;
	uint32_t nsamples;
	double ns[MAX_SAMPLES];
};

struct worker {
	struct sva_portal *portal;
	bool dedicated;
	struct sva_credits credits;
	uint64_t retries, faults, resubmits;
	uint64_t rng;
	uint8_t *b[4];
	struct dsa_completion_record cr __attribute__((aligned(32)));
	struct op_stats stats[256];
};

static struct sva_device *dev;
static int rounds = 30;
static _Atomic uint64_t verify_failures;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void fill(struct worker *w, void *p, size_t n)
{
	uint64_t *q = p;

	for (size_t i = 0; i < n / 8; i++) {
		w->rng ^= w->rng << 13;
		w->rng ^= w->rng >> 7;
		w->rng ^= w->rng << 17;
		q[i] = w->rng;
	}
}

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("svajob: mmap");
		exit(1);
	}
	memset(p, 0, n);
	return p;
}

/* Submit one descriptor, wait for its record, account latency and bytes. */
static uint8_t run(struct worker *w, struct dsa_hw_desc *d, uint64_t bytes)
{
	struct op_stats *s = &w->stats[d->opcode];
	double t0 = now_ns();
	int r;

	if (w->dedicated) {
		/* One credit per descriptor in flight: a DWQ never overflows. */
		while (sva_credits_take(&w->credits))
			sva_cpu_relax();
		r = sva_movdir64b(w->portal, d);
	} else {
		while ((r = sva_enqcmd(w->portal, d)) == 1) {
			w->retries++;
			sva_cpu_relax();
		}
	}
	if (r < 0 || sva_wait(&w->cr, 10000000000ll)) {
		fprintf(stderr, "svajob: submission failed (%d)\n", r);
		exit(1);
	}
	if (w->dedicated)
		sva_credits_put(&w->credits, 1);
	double dt = now_ns() - t0;

	s->ops++;
	s->bytes += bytes;
	if (s->nsamples < MAX_SAMPLES)
		s->ns[s->nsamples++] = dt;
	return sva_poll(&w->cr);
}

static void expect(struct worker *w, bool ok, uint8_t op, const char *what)
{
	if (!ok) {
		atomic_fetch_add(&verify_failures, 1);
		w->stats[op].failures++;
		fprintf(stderr, "svajob: verification failed: opcode 0x%02x: %s\n", op, what);
	}
}

static void job_mem(struct worker *w, uint32_t n)
{
	uint8_t *src = w->b[0], *dst = w->b[1], *dst2 = w->b[2];
	struct dsa_completion_record *cr = &w->cr;
	struct dsa_hw_desc d;

	fill(w, src, n);
	sva_prep_memmove(&d, dst, src, n, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS && !memcmp(src, dst, n), d.opcode, "copy");
	sva_prep_compare(&d, src, dst, n, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS && cr->result == 0, d.opcode, "equal");
	dst[n / 2] ^= 1;
	sva_prep_compare(&d, src, dst, n, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS && cr->result == 1 &&
			  cr->bytes_completed == n / 2, d.opcode, "first difference");
	sva_prep_memfill(&d, dst, 0x0123456789abcdefull, n, cr, 0);
	run(w, &d, n);
	sva_prep_compval(&d, dst, 0x0123456789abcdefull, n, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS && cr->result == 0, d.opcode, "fill+compval");
	/* dst and dst2 are page-aligned mappings: bits 11:0 agree, as dualcast needs. */
	sva_prep_dualcast(&d, dst, dst2, src, n, cr, 0);
	expect(w, run(w, &d, 2ull * n) == DSA_COMP_SUCCESS && !memcmp(src, dst, n) &&
			  !memcmp(src, dst2, n), d.opcode, "both copies");
	sva_prep_crcgen(&d, src, n, 0x12345678, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS &&
			  cr->crc_val == (uint32_t)~crc32_iscsi(src, (int)n, ~0x12345678u),
	       d.opcode, "crc-32c");
	sva_prep_copy_crc(&d, dst2, src, n, 0, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS && !memcmp(src, dst2, n) &&
			  cr->crc_val == (uint32_t)~crc32_iscsi(src, (int)n, ~0u),
	       d.opcode, "copy+crc");
	sva_prep_cflush(&d, dst, n, cr, 0);
	expect(w, run(w, &d, 0) == DSA_COMP_SUCCESS, d.opcode, "flush");
	sva_prep_noop(&d, cr, 0);
	expect(w, run(w, &d, 0) == DSA_COMP_SUCCESS, d.opcode, "noop");
}

static void job_delta(struct worker *w, uint32_t n)
{
	uint8_t *orig = w->b[0], *changed = w->b[1], *rec = w->b[2];
	struct dsa_completion_record *cr = &w->cr;
	struct dsa_hw_desc d;
	uint32_t size;

	fill(w, orig, n);
	memcpy(changed, orig, n);
	for (int i = 0; i < 8; i++)
		changed[(w->rng % (n / 8)) * 8 + (uint32_t)i] ^= 0xff;
	sva_prep_cr_delta(&d, orig, changed, n, rec, 800, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS && cr->result == 1, d.opcode, "delta");
	size = cr->delta_rec_size;
	sva_prep_ap_delta(&d, orig, n, rec, size, cr, 0);
	expect(w, run(w, &d, size) == DSA_COMP_SUCCESS && !memcmp(orig, changed, n), d.opcode,
	       "apply reproduces the new buffer");
}

/* T10-DIF: insert tuples, check them, give them new tags, strip them. */
static void job_dif(struct worker *w, uint32_t blocks)
{
	uint8_t *data = w->b[0], *prot = w->b[1], *prot2 = w->b[2], *out = w->b[3];
	uint32_t n = blocks * 512, pn = blocks * 520;
	struct dsa_completion_record *cr = &w->cr;
	struct dsa_hw_desc d;

	fill(w, data, n);
	sva_prep_dif_insert(&d, prot, data, n, SVA_DIF_BLOCK_512, 0, 0xabba, 0xface, 0, cr, 0);
	expect(w, run(w, &d, n) == DSA_COMP_SUCCESS, d.opcode, "insert");
	sva_prep_dif_check(&d, prot, pn, SVA_DIF_BLOCK_512, 0, 0xabba, 0xface, 0, cr, 0);
	expect(w, run(w, &d, pn) == DSA_COMP_SUCCESS, d.opcode, "check");
	sva_prep_dif_update(&d, prot2, prot, pn, SVA_DIF_BLOCK_512, 0, 0, 0xabba, 0xface, 0,
			    0x1000, 0xbeef, 0, cr, 0);
	expect(w, run(w, &d, pn) == DSA_COMP_SUCCESS, d.opcode, "update");
	sva_prep_dif_strip(&d, out, prot2, pn, SVA_DIF_BLOCK_512, 0, 0x1000, 0xbeef, 0, cr, 0);
	expect(w, run(w, &d, pn) == DSA_COMP_SUCCESS && !memcmp(out, data, n), d.opcode,
	       "strip returns the data");
}

/* 15 copies and a fenced NOOP in one batch. */
static void job_batch(struct worker *w, uint32_t n)
{
	static __thread struct dsa_hw_desc list[16] __attribute__((aligned(64)));
	static __thread struct dsa_completion_record mcr[16] __attribute__((aligned(64)));
	uint32_t piece = n / 15 ? n / 15 : 1;
	struct dsa_hw_desc d;
	bool ok = true;

	fill(w, w->b[0], 16ull * piece + 8);
	for (int i = 0; i < 15; i++)
		sva_prep_memmove(&list[i], w->b[1] + i * piece, w->b[0] + i * piece, piece,
				 &mcr[i], 0);
	sva_prep_noop(&list[15], &mcr[15], IDXD_OP_FLAG_FENCE);
	sva_prep_batch(&d, list, 16, &w->cr, 0);
	ok = run(w, &d, 15ull * piece) == DSA_COMP_SUCCESS && w->cr.bytes_completed == 16;
	for (int i = 0; i < 16; i++)
		ok = ok && mcr[i].status == DSA_COMP_SUCCESS;
	expect(w, ok && !memcmp(w->b[0], w->b[1], 15ull * piece), d.opcode, "batch of 16");
}

/* A page made non-resident mid-buffer: fault, touch fault_addr, resubmit. */
static void job_fault_resume(struct worker *w, uint32_t n)
{
	uint8_t *src = w->b[0], *dst = w->b[1];
	struct dsa_hw_desc d;

	fill(w, src, n);
	madvise(src + n / 2, 4096, MADV_DONTNEED);	/* reads back as zeroes */
	sva_prep_memmove(&d, dst, src, n, &w->cr, 0);
	for (int i = 0; i < 8; i++) {
		uint8_t st = run(w, &d, d.xfer_size);

		if (st == DSA_COMP_SUCCESS)
			break;
		if ((st & DSA_COMP_STATUS_MASK) != DSA_COMP_PAGE_FAULT_NOBOF)
			break;
		w->faults++;
		w->resubmits++;
		(void)*(volatile uint8_t *)(uintptr_t)w->cr.fault_addr;
		d.src_addr += w->cr.bytes_completed;
		d.dst_addr += w->cr.bytes_completed;
		d.xfer_size -= w->cr.bytes_completed;
		memset(&w->cr, 0, sizeof(w->cr));
	}
	expect(w, w->cr.status == DSA_COMP_SUCCESS && !memcmp(src, dst, n), DSA_OPCODE_MEMMOVE,
	       "fault and resume");
}

static void *worker_main(void *arg)
{
	static const uint32_t sizes[] = { 64, 4096, 65536, 1 << 20 };
	struct worker *w = arg;

	for (int r = 0; r < rounds; r++) {
		for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			job_mem(w, sizes[s]);
			job_batch(w, sizes[s]);
		}
		job_delta(w, 65536);
		job_dif(w, 64);
		job_fault_resume(w, 1 << 20);
	}
	return NULL;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static const char *op_name(int op)
{
	static const char *const names[] = {
		"noop", "batch", "drain", "memmove", "memfill", "compare", "compval",
		"cr_delta", "ap_delta", "dualcast", [0x10] = "crcgen", "copy_crc",
		"dif_check", "dif_insert", "dif_strip", "dif_update", [0x20] = "cflush",
	};

	return op < (int)(sizeof(names) / sizeof(names[0])) && names[op] ? names[op] : "?";
}

static void report(struct worker *w, int nw, double elapsed)
{
	static struct op_stats all[256];
	struct sva_device_stats ds = { .size = sizeof(ds) };
	struct sva_wq_stats ws = { .size = sizeof(ws) };
	uint64_t ops = 0, bytes = 0, retries = 0, faults = 0;

	for (int i = 0; i < nw; i++) {
		retries += w[i].retries;
		faults += w[i].faults;
		for (int op = 0; op < 256; op++) {
			struct op_stats *s = &w[i].stats[op], *a = &all[op];

			a->ops += s->ops;
			a->bytes += s->bytes;
			a->failures += s->failures;
			for (uint32_t k = 0; k < s->nsamples && a->nsamples < MAX_SAMPLES; k++)
				a->ns[a->nsamples++] = s->ns[k];
		}
	}
	printf("\n%-11s %9s %12s %10s %10s %7s\n", "operation", "ops", "bytes", "p50 us",
	       "p99 us", "failed");
	for (int op = 0; op < 256; op++) {
		struct op_stats *a = &all[op];

		if (!a->ops)
			continue;
		qsort(a->ns, a->nsamples, sizeof(double), cmp_double);
		printf("%-11s %9llu %12llu %10.2f %10.2f %7llu\n", op_name(op),
		       (unsigned long long)a->ops, (unsigned long long)a->bytes,
		       a->ns[a->nsamples / 2] / 1e3, a->ns[a->nsamples * 99 / 100] / 1e3,
		       (unsigned long long)a->failures);
		ops += a->ops;
		bytes += a->bytes;
	}
	printf("\ntotal: %llu descriptors, %.1f MB in %.2f s: %.2f GB/s, %.3f M desc/s\n",
	       (unsigned long long)ops, bytes / 1e6, elapsed / 1e9, bytes / elapsed,
	       ops / (elapsed / 1e3));
	printf("retries: %llu, page faults resumed: %llu, verification failures: %llu\n",
	       (unsigned long long)retries, (unsigned long long)faults,
	       (unsigned long long)atomic_load(&verify_failures));
	sva_device_stats(dev, &ds);
	printf("\ndevice %s: faults %llu, SWERRORs %llu; statuses:", sva_device_name(dev),
	       (unsigned long long)ds.faults, (unsigned long long)ds.swerrors);
	for (int st = 0; st < 256; st++) {
		if (ds.by_status[st])
			printf(" 0x%02x=%llu", st, (unsigned long long)ds.by_status[st]);
	}
	printf("\n");
	for (unsigned int q = 0; q < 2; q++) {
		sva_wq_stats(dev, q, &ws);
		printf("wq0.%u: accepted %llu, retries %llu, dropped %llu, completed %llu\n", q,
		       (unsigned long long)ws.accepted, (unsigned long long)ws.retries,
		       (unsigned long long)ws.dropped, (unsigned long long)ws.completed);
	}
	for (unsigned int e = 0; e < 4; e++) {
		struct sva_engine_stats es = { .size = sizeof(es) };

		sva_engine_stats(dev, e, &es);
		printf("engine0.%u (group %d): %llu descriptors, %.1f MB, busy %.1f ms\n", e,
		       es.group_id, (unsigned long long)es.descs, es.bytes / 1e6, es.busy_ns / 1e6);
	}
}

int main(int argc, char **argv)
{
	static struct worker w[SWQ_THREADS + 1];
	pthread_t th[SWQ_THREADS + 1];
	uint32_t pasid;
	double t0;
	int r;

	if (argc > 1)
		rounds = atoi(argv[1]);
	r = sva_device_new(NULL, &dev);
	if (r || (r = sva_bind(dev, &pasid))) {
		fprintf(stderr, "svajob: cannot create the default device: %d\n", r);
		return 1;
	}
	printf("svajob: %s, default config: wq0.0 shared (ENQCMD, %d threads), "
	       "wq0.1 dedicated (MOVDIR64B, 1 thread); PASID %u; %d rounds\n",
	       sva_device_name(dev), SWQ_THREADS, pasid, rounds);
	for (int i = 0; i <= SWQ_THREADS; i++) {
		w[i].dedicated = i == SWQ_THREADS;
		w[i].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		r = sva_portal_open(dev, w[i].dedicated ? 1 : 0, 0, &w[i].portal);
		if (r) {
			fprintf(stderr, "svajob: portal: %d\n", r);
			return 1;
		}
		if (w[i].dedicated)
			sva_credits_init(&w[i].credits, sva_portal_wq_size(w[i].portal));
		for (int k = 0; k < 4; k++)
			w[i].b[k] = map(BUF + 4096);
	}
	t0 = now_ns();
	for (int i = 0; i <= SWQ_THREADS; i++)
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	for (int i = 0; i <= SWQ_THREADS; i++)
		pthread_join(th[i], NULL);
	report(w, SWQ_THREADS + 1, now_ns() - t0);
	for (int i = 0; i <= SWQ_THREADS; i++) {
		sva_portal_close(w[i].portal);
		for (int k = 0; k < 4; k++)
			munmap(w[i].b[k], BUF + 4096);
	}
	sva_unbind(dev);
	sva_device_free(dev);
	r = atomic_load(&verify_failures) ? 1 : 0;
	printf("%s\n", r ? "svajob: FAILED" : "svajob: all results verified");
	return r;
}
