/* SPDX-License-Identifier: MIT */
/*
 * svajob: the main job that `make run` runs. It drives a realistic mix of
 * DSA descriptors through the execution engine on the calling process's
 * address space: every DSA 1.0 operation, batches with a fence, and a
 * page-fault-and-resume case. Every result is verified against a plain CPU
 * computation, and a summary of operations, bytes, throughput, faults and
 * per-operation latency is printed. Exit status 0 means every check passed.
 *
 * Build: make (the binary is build/tools/svajob)
 */
#include <isa-l/crc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/core.h"
#include "dsa/dsa.h"

#define MAX_SAMPLES 4096

struct op_stats {
	const char *name;
	uint64_t ops, bytes, failures;
	uint32_t nsamples;
	double ns[MAX_SAMPLES];
};

static struct op_stats stats[256];
static struct dsa_caps caps;
static struct dsa_wq_attr wq;
static struct as *as;
static uint32_t pasid;
static uint64_t faults, resubmits, verify_failures;
static struct dsa_completion_record cr __attribute__((aligned(32)));

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 0, n);
	return p;
}

static void prep(struct dsa_hw_desc *d, uint8_t op, uint32_t flags)
{
	memset(d, 0, sizeof(*d));
	memset(&cr, 0, sizeof(cr));
	d->opcode = op;
	d->flags = flags | IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	d->completion_addr = a(&cr);
}

/* Run one descriptor, time it, and account it under its opcode. */
static uint8_t run(struct dsa_hw_desc *d)
{
	struct op_stats *s = &stats[d->opcode];
	struct dsa_result r;
	double t0 = now_ns();

	dsa_exec_desc(&caps, &wq, as, pasid, false, d, &r);
	double dt = now_ns() - t0;

	s->name = dsa_opcode_name(d->opcode);
	s->ops += r.descs;
	s->bytes += r.bytes;
	if (s->nsamples < MAX_SAMPLES)
		s->ns[s->nsamples++] = dt;
	return r.status;
}

static void expect(bool ok, uint8_t op, const char *what)
{
	if (!ok) {
		verify_failures++;
		stats[op].failures++;
		fprintf(stderr, "svajob: verification failed: %s: %s\n", dsa_opcode_name(op), what);
	}
}

static void job_mem(uint8_t *src, uint8_t *dst, uint8_t *dst2, uint32_t n)
{
	struct dsa_hw_desc d;

	fill(src, n);
	prep(&d, DSA_OPCODE_MEMMOVE, 0);
	d.src_addr = a(src);
	d.dst_addr = a(dst);
	d.xfer_size = n;
	expect(run(&d) == DSA_COMP_SUCCESS && !memcmp(src, dst, n), d.opcode, "copy");

	prep(&d, DSA_OPCODE_COMPARE, 0);
	d.src_addr = a(src);
	d.src2_addr = a(dst);
	d.xfer_size = n;
	expect(run(&d) == DSA_COMP_SUCCESS && cr.result == 0, d.opcode, "equal buffers");
	dst[n / 2] ^= 1;
	expect(run(&d) == DSA_COMP_SUCCESS && cr.result == 1 && cr.bytes_completed == n / 2,
	       d.opcode, "first difference");

	prep(&d, DSA_OPCODE_MEMFILL, 0);
	d.pattern = 0x0123456789abcdefull;
	d.dst_addr = a(dst);
	d.xfer_size = n;
	run(&d);
	prep(&d, DSA_OPCODE_COMPVAL, 0);
	d.src_addr = a(dst);
	d.comp_pattern = 0x0123456789abcdefull;
	d.xfer_size = n;
	expect(run(&d) == DSA_COMP_SUCCESS && cr.result == 0, d.opcode, "fill then compval");

	prep(&d, DSA_OPCODE_DUALCAST, 0);
	d.src_addr = a(src);
	d.dst_addr = a(dst);
	d.dest2 = a(dst2);
	d.xfer_size = n;
	expect(run(&d) == DSA_COMP_SUCCESS && !memcmp(src, dst, n) && !memcmp(src, dst2, n),
	       d.opcode, "both copies");

	prep(&d, DSA_OPCODE_CRCGEN, 0);
	d.src_addr = a(src);
	d.xfer_size = n;
	d.crc_seed = 0x12345678;
	expect(run(&d) == DSA_COMP_SUCCESS &&
		       cr.crc_val == (uint32_t)~crc32_iscsi(src, (int)n, ~0x12345678u),
	       d.opcode, "crc-32c");

	prep(&d, DSA_OPCODE_COPY_CRC, 0);
	d.src_addr = a(src);
	d.dst_addr = a(dst2);
	d.xfer_size = n;
	expect(run(&d) == DSA_COMP_SUCCESS && !memcmp(src, dst2, n) &&
		       cr.crc_val == (uint32_t)~crc32_iscsi(src, (int)n, ~0u),
	       d.opcode, "copy and crc");

	prep(&d, DSA_OPCODE_CFLUSH, 0);
	d.dst_addr = a(dst);
	d.xfer_size = n;
	expect(run(&d) == DSA_COMP_SUCCESS, d.opcode, "flush");
}

static void job_delta(uint8_t *orig, uint8_t *changed, uint8_t *rec, uint32_t n)
{
	struct dsa_hw_desc d;
	uint32_t size;

	n &= ~7u;
	fill(orig, n);
	memcpy(changed, orig, n);
	for (int i = 0; i < 8; i++)
		changed[(rnd() % (n / 8)) * 8] ^= 0xff;
	prep(&d, DSA_OPCODE_CR_DELTA, 0);
	d.src_addr = a(orig);
	d.src2_addr = a(changed);
	d.xfer_size = n;
	d.delta_addr = a(rec);
	d.max_delta_size = 80 * 10;
	expect(run(&d) == DSA_COMP_SUCCESS && cr.result == 1, d.opcode, "delta record");
	size = cr.delta_rec_size;
	prep(&d, DSA_OPCODE_AP_DELTA, 0);
	d.src_addr = a(rec);
	d.dst_addr = a(orig);
	d.xfer_size = n;
	d.delta_rec_size = size;
	expect(run(&d) == DSA_COMP_SUCCESS && !memcmp(orig, changed, n), d.opcode,
	       "apply reproduces the new buffer");
}

/* T10-DIF: insert tuples, check them, update tags, strip them again. */
static void job_dif(uint8_t *data, uint8_t *prot, uint8_t *prot2, uint8_t *out, uint32_t blocks)
{
	uint32_t bs = 512, n = blocks * bs;
	struct dsa_hw_desc d;

	fill(data, n);
	prep(&d, DSA_OPCODE_DIF_INS, 0);
	d.src_addr = a(data);
	d.dst_addr = a(prot);
	d.xfer_size = n;
	d.ins_ref_tag_seed = 0xabba;
	d.ins_app_tag_seed = 0xface;
	expect(run(&d) == DSA_COMP_SUCCESS, d.opcode, "insert");

	prep(&d, DSA_OPCODE_DIF_CHECK, 0);
	d.src_addr = a(prot);
	d.xfer_size = blocks * (bs + 8);
	d.chk_ref_tag_seed = 0xabba;
	d.chk_app_tag_seed = 0xface;
	expect(run(&d) == DSA_COMP_SUCCESS, d.opcode, "check the inserted tuples");

	prep(&d, DSA_OPCODE_DIF_UPDT, 0);
	d.src_addr = a(prot);
	d.dst_addr = a(prot2);
	d.xfer_size = blocks * (bs + 8);
	d.src_ref_tag_seed = 0xabba;
	d.src_app_tag_seed = 0xface;
	d.dest_ref_tag_seed = 0x1000;
	d.dest_app_tag_seed = 0xbeef;
	expect(run(&d) == DSA_COMP_SUCCESS, d.opcode, "update tags");

	prep(&d, DSA_OPCODE_DIF_STRP, 0);
	d.src_addr = a(prot2);
	d.dst_addr = a(out);
	d.xfer_size = blocks * (bs + 8);
	d.chk_ref_tag_seed = 0x1000;
	d.chk_app_tag_seed = 0xbeef;
	expect(run(&d) == DSA_COMP_SUCCESS && !memcmp(out, data, n), d.opcode,
	       "strip returns the data");
}

/* A batch of copies with a fenced NOOP at the end. */
static void job_batch(uint8_t *src, uint8_t *dst, uint32_t n)
{
	static struct dsa_hw_desc list[16] __attribute__((aligned(64)));
	static struct dsa_completion_record mcr[16] __attribute__((aligned(64)));
	struct dsa_hw_desc d;
	uint32_t piece = n / 15;

	fill(src, n);
	memset(mcr, 0, sizeof(mcr));
	for (int i = 0; i < 15; i++) {
		memset(&list[i], 0, sizeof(list[i]));
		list[i].opcode = DSA_OPCODE_MEMMOVE;
		list[i].flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
		list[i].completion_addr = a(&mcr[i]);
		list[i].src_addr = a(src + i * piece);
		list[i].dst_addr = a(dst + i * piece);
		list[i].xfer_size = piece;
	}
	memset(&list[15], 0, sizeof(list[15]));
	list[15].opcode = DSA_OPCODE_NOOP;
	list[15].flags = IDXD_OP_FLAG_FENCE | IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	list[15].completion_addr = a(&mcr[15]);
	prep(&d, DSA_OPCODE_BATCH, 0);
	d.desc_list_addr = a(list);
	d.desc_count = 16;
	expect(run(&d) == DSA_COMP_SUCCESS && cr.bytes_completed == 16 &&
		       !memcmp(src, dst, 15 * piece) && mcr[15].status == DSA_COMP_SUCCESS,
	       d.opcode, "batch of 16");
}

/* Pages made non-resident: fault, touch fault_addr, resubmit the rest. */
static void job_fault_resume(uint8_t *src, uint8_t *dst, uint32_t n)
{
	struct dsa_hw_desc d;

	fill(src, n);
	madvise(src + n / 2, 4096, MADV_DONTNEED);
	prep(&d, DSA_OPCODE_MEMMOVE, 0);
	d.src_addr = a(src);
	d.dst_addr = a(dst);
	d.xfer_size = n;
	for (int i = 0; i < 8; i++) {
		uint8_t st = run(&d);

		if (st == DSA_COMP_SUCCESS)
			break;
		faults++;
		resubmits++;
		(void)*(volatile uint8_t *)(uintptr_t)cr.fault_addr;
		d.src_addr += cr.bytes_completed;
		d.dst_addr += cr.bytes_completed;
		d.xfer_size -= cr.bytes_completed;
		memset(&cr, 0, sizeof(cr));
	}
	expect(cr.status == DSA_COMP_SUCCESS && !memcmp(src, dst, n), DSA_OPCODE_MEMMOVE,
	       "fault and resume");
}

static int cmp_double(const void *x, const void *y)
{
	double a1 = *(const double *)x, b1 = *(const double *)y;

	return (a1 > b1) - (a1 < b1);
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 4096, 65536, 1 << 20 };
	size_t cap = (2u << 20) + 8192;
	uint8_t *b[4];
	double t0, elapsed;
	uint64_t total_ops = 0, total_bytes = 0;
	int rounds = argc > 1 ? atoi(argv[1]) : 40;

	dsa_caps_default(&caps);
	dsa_wq_attr_default(&wq);
	wq.bof = true;
	if (as_new_self(pasid_alloc_global(), &as) || as_bind(as, PASID_MAX, &pasid)) {
		fprintf(stderr, "svajob: cannot create the address space\n");
		return 1;
	}
	for (int i = 0; i < 4; i++)
		b[i] = map(cap);
	printf("svajob: DSA 1.0 engine, in-process address space, PASID %u\n", pasid);
	t0 = now_ns();
	for (int r = 0; r < rounds; r++) {
		for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			job_mem(b[0], b[1], b[2], sizes[s]);
			job_batch(b[0], b[1], sizes[s]);
		}
		job_delta(b[0], b[1], b[2], 65536);
		job_dif(b[0], b[1], b[2], b[3], 64);
		job_fault_resume(b[0], b[1], 1 << 20);
	}
	elapsed = now_ns() - t0;

	printf("\n%-11s %9s %12s %10s %10s %8s\n", "operation", "ops", "bytes", "p50 us",
	       "p99 us", "failed");
	for (int op = 0; op < 256; op++) {
		struct op_stats *s = &stats[op];

		if (!s->ops)
			continue;
		qsort(s->ns, s->nsamples, sizeof(double), cmp_double);
		printf("%-11s %9llu %12llu %10.2f %10.2f %8llu\n", s->name,
		       (unsigned long long)s->ops, (unsigned long long)s->bytes,
		       s->ns[s->nsamples / 2] / 1e3, s->ns[s->nsamples * 99 / 100] / 1e3,
		       (unsigned long long)s->failures);
		total_ops += s->ops;
		total_bytes += s->bytes;
	}
	printf("\ntotal: %llu descriptors, %.1f MB in %.2f s: %.2f GB/s, %.2f M desc/s\n",
	       (unsigned long long)total_ops, total_bytes / 1e6, elapsed / 1e9,
	       total_bytes / elapsed, total_ops / (elapsed / 1e3));
	printf("faults: %llu (resubmitted %llu), verification failures: %llu\n",
	       (unsigned long long)faults, (unsigned long long)resubmits,
	       (unsigned long long)verify_failures);
	for (int i = 0; i < 4; i++)
		munmap(b[i], cap);
	as_unbind(as);
	as = as_unref(as);
	printf("%s\n", verify_failures ? "svajob: FAILED" : "svajob: all results verified");
	return verify_failures ? 1 : 0;
}
