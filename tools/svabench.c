/* SPDX-License-Identifier: MIT */
/*
 * svabench: sva's data path through the public API (embedded device, work
 * queues, engine threads) next to the baseline a user would call instead,
 * both measured in the same run: glibc memcpy/memset/memcmp, ISA-L
 * crc32_iscsi and crc16_t10dif. Each row gives ops/s, GB/s, the
 * submit-to-completion latency p50/p99 of synchronous workloads and the
 * ratio sva/baseline. Method of docs/spec/performance.md: each figure is
 * the median of several inner runs, the [range] is over --outer passes of
 * the whole suite (so it spans the host's drift, not one row's moment), and
 * each pass records the CPU 0 <-> 1 ping-pong time (the host's state). The
 * submitter runs on CPU 0 and the device's single engine thread on CPU 1.
 * Every operation is verified once against the baseline's result first.
 * Timings never decide the exit status: 0 ok, 1 a wrong result or a failed
 * submission, 2 usage. Results are printed at the end, progress on stderr.
 *
 * Usage: svabench [--json] [--quick] [--outer N] [--engines N] [WORKLOAD...]
 * Build: make (binary: build/tools/svabench)
 */
#include <errno.h>
#include <isa-l/crc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sva/sva.h"
#include "../bench/svabench_util.h"

#define MAX_ROWS	64
#define INNER_MAX	7
#define SUBMIT_CPU	0
#define ENGINE_CPU	1
#define SWQ		0	/* wq<N>.0: shared, ENQCMD */
#define DWQ		1	/* wq<N>.1: dedicated, MOVDIR64B */
#define WQ_SIZE		64	/* both WQs; the SWQ threshold is 48 */
#define SWQ_THRESHOLD	48
#define SPAN		(6u << 20)	/* async walk; all buffers fit the 16 MiB ATC */
#define MAX_DEPTH	64
#define MAX_BATCH	1024
#define BURST		32		/* enqcmd-cost: below the SWQ threshold */
#define THR_WIN		32		/* swq-threads: NOOPs in flight per thread */
#define MAX_THREADS	4
#define PATTERN		0x5a5a5a5a5a5a5a5aull
#define TIMEOUT_NS	5000000000ll

enum op { OP_MEMMOVE, OP_FILL, OP_COMPARE, OP_CRCGEN, OP_COPY_CRC, OP_DIF_CHECK, OP_DIF_INSERT,
	  OP_NOOP };

static const struct {
	const char *name, *base;
} opinfo[] = {
	[OP_MEMMOVE] = { "memmove", "memcpy" },
	[OP_FILL] = { "memfill", "memset" },
	[OP_COMPARE] = { "compare", "memcmp" },
	[OP_CRCGEN] = { "crcgen", "crc32_iscsi" },
	[OP_COPY_CRC] = { "copy_crc", "memcpy+crc32_iscsi" },
	[OP_DIF_CHECK] = { "dif_check", "crc16_t10dif" },
	[OP_DIF_INSERT] = { "dif_insert", "memcpy+crc16_t10dif" },
	[OP_NOOP] = { "noop", NULL },
};

enum target { T_NONE, T_RATIO_GE, T_P50_LE, T_RATE_GE, T_NS_LE };

struct row {
	const char *workload, *variant, *op, *base;
	uint32_t bytes;		/* per unit; 0 for NOOPs */
	unsigned int depth, batch, threads;
	enum target target;
	double target_val;
	/* per pass: ns per unit of sva [0] and baseline [1], latency, retries */
	long iters[2];
	double out[2][BU_OUTER_MAX], p50s[BU_OUTER_MAX], p99s[BU_OUTER_MAX];
	double rs[BU_OUTER_MAX];
	/* summary over the passes */
	struct bu_fig ns, base_ns;	/* base_ns.med == 0: no baseline */
	struct bu_fig p50;		/* latency; med == 0: not measured */
	double p99, retries_s;
};

struct job {
	enum op op;
	int q;
	uint32_t n;
	unsigned int depth, batch;
	uint64_t retries;
	double *lat;		/* per-op submit-to-completion ns, when set */
};

static struct sva_device *dev;
static struct sva_portal *portal[2];
static struct {
	uint8_t *src, *dst, *src2, *prot, *tmp;
} b;
static struct dsa_hw_desc *lists;	/* MAX_DEPTH batch lists of MAX_BATCH NOOPs */
static struct dsa_completion_record recs[MAX_DEPTH] __attribute__((aligned(64)));
static bool json, quick, pinned, first_row = true;
static int inner = INNER_MAX, outer = 3, nengines = 1;
static struct row rows[MAX_ROWS];
static int nrows, cursor, pass;	/* rows are made in pass 0 and revisited in order */
static double rtt[BU_OUTER_MAX];	/* CPU 0 <-> 1 ping-pong at the start of each pass */
static double target_ns = 4e6;		/* length of one inner run */
static volatile uint64_t sink;

static void die(const char *what, int r)
{
	fprintf(stderr, "svabench: %s (%d)\n", what, r);
	exit(1);
}

/* device and buffers */

static void set_attr(const char *obj, const char *attr, const char *val)
{
	int r = sva_attr_set(dev, obj, attr, val);

	if (r) {
		fprintf(stderr, "svabench: %s/%s = %s: %s\n", obj, attr, val, sva_last_error(dev));
		die("configuration", r);
	}
}

/*
 * One group with the SWQ, the DWQ and nengines engines. Engine threads are
 * created by Enable Device and inherit the creator's CPU mask, so the
 * creator moves to ENGINE_CPU for the enable and back to SUBMIT_CPU after:
 * on 2 vCPUs the single engine owns CPU 1 and the submitter CPU 0.
 */
static void device_setup(void)
{
	struct sva_device_config cfg = {
		.size = sizeof(cfg),
		.version = SVA_CONFIG_VERSION,
		.flags = SVA_CONFIG_UNCONFIGURED,
		.engine_spin_us = 1000,	/* engines busy-poll between back-to-back ops */
	};
	char obj[32];
	unsigned int id;
	int r;

	pinned = sysconf(_SC_NPROCESSORS_ONLN) >= 2 && nengines == 1 && !bu_pin_self(ENGINE_CPU);
	r = sva_device_new(&cfg, &dev);
	if (r)
		die("sva_device_new", r);
	id = (unsigned int)strtoul(sva_device_name(dev) + 3, NULL, 10);
	for (int q = 0; q < 2; q++) {
		static const char *const attrs[][3] = {
			{ "mode", "shared", "dedicated" }, { "size", "64", "64" },
			{ "threshold", "48", NULL },	   { "priority", "10", "10" },
			{ "block_on_fault", "1", "1" },	   { "group_id", "0", "0" },
			{ "type", "user", "user" },	   { "name", "bench-swq", "bench-dwq" },
		};

		snprintf(obj, sizeof(obj), "wq%u.%d", id, q);
		for (unsigned int a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++)
			if (attrs[a][1 + q])
				set_attr(obj, attrs[a][0], attrs[a][1 + q]);
	}
	for (int e = 0; e < nengines; e++) {
		snprintf(obj, sizeof(obj), "engine%u.%d", id, e);
		set_attr(obj, "group_id", "0");
	}
	if ((r = sva_device_enable(dev)) || (r = sva_wq_enable(dev, SWQ)) ||
	    (r = sva_wq_enable(dev, DWQ))) {
		fprintf(stderr, "svabench: enable: %s\n", sva_last_error(dev));
		die("enable", r);
	}
	if (pinned)
		bu_pin_self(SUBMIT_CPU);
	if ((r = sva_portal_open(dev, SWQ, SVA_PORTAL_LIMITED, &portal[SWQ])) ||
	    (r = sva_portal_open(dev, DWQ, 0, &portal[DWQ])))
		die("sva_portal_open", r);
}

static void device_teardown(void)
{
	portal[SWQ] = sva_portal_close(portal[SWQ]);
	portal[DWQ] = sva_portal_close(portal[DWQ]);
	dev = sva_device_free(dev);
}

static void buffers_setup(void)
{
	size_t total = 2 * (size_t)SPAN + (1u << 20) + (256u << 10);
	uint8_t *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	if (m == MAP_FAILED)
		die("mmap", -errno);
	madvise(m, total, MADV_HUGEPAGE);
	memset(m, 0, total);	/* resident: the device sees no page fault */
	b.src = m;
	b.dst = m + SPAN;
	b.src2 = m + 2 * (size_t)SPAN;
	b.prot = b.src2 + (1u << 20);
	b.tmp = b.prot + (128u << 10);
	for (size_t i = 0; i < SPAN / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(b.src + 8 * i, &x, 8);
	}
	memcpy(b.src2, b.src, 1u << 20);
	bu_dif_insert(b.prot, b.src, 64u << 10);
	lists = aligned_alloc(64, (size_t)MAX_DEPTH * MAX_BATCH * sizeof(*lists));
	if (!lists)
		die("aligned_alloc", -ENOMEM);
	for (size_t i = 0; i < (size_t)MAX_DEPTH * MAX_BATCH; i++)
		sva_prep_noop(&lists[i], NULL, 0);
}

/* submission */

static void prep(struct dsa_hw_desc *d, struct dsa_completion_record *cr, enum op op,
		 uint8_t *dst, const uint8_t *src, uint32_t n)
{
	switch (op) {
	case OP_MEMMOVE:
		sva_prep_memmove(d, dst, src, n, cr, 0);
		break;
	case OP_FILL:
		sva_prep_memfill(d, dst, PATTERN, n, cr, 0);
		break;
	case OP_COMPARE:
		sva_prep_compare(d, src, b.src2, n, cr, 0);
		break;
	case OP_CRCGEN:
		sva_prep_crcgen(d, src, n, 0, cr, 0);
		break;
	case OP_COPY_CRC:
		sva_prep_copy_crc(d, dst, src, n, 0, cr, 0);
		break;
	case OP_DIF_CHECK:
		sva_prep_dif_check(d, b.prot, n / 512 * 520, SVA_DIF_BLOCK_512, 0, 0, 0, 0, cr, 0);
		break;
	case OP_DIF_INSERT:
		sva_prep_dif_insert(d, dst, src, n, SVA_DIF_BLOCK_512, 0, 0, 0, 0, cr, 0);
		break;
	case OP_NOOP:
		sva_prep_noop(d, cr, 0);
		break;
	}
}

/* ENQCMD retried until accepted (counted), or MOVDIR64B (the caller holds a credit). */
static void submit(int q, const struct dsa_hw_desc *d, uint64_t *retries)
{
	int r;

	if (q == DWQ) {
		r = sva_movdir64b(portal[DWQ], d);
	} else {
		while ((r = sva_enqcmd(portal[SWQ], d)) == 1) {
			(*retries)++;
			sva_cpu_relax();
		}
	}
	if (sva_unlikely(r))
		die("submission refused", r);
}

static void wait_ok(const struct dsa_completion_record *cr)
{
	int r = sva_wait(cr, TIMEOUT_NS);

	if (sva_unlikely(r))
		die("completion timed out", r);
	if (sva_unlikely(sva_poll(cr) != DSA_COMP_SUCCESS)) {
		fprintf(stderr, "svabench: status 0x%02x: %s\n", sva_poll(cr),
			sva_strstatus(sva_poll(cr)));
		die("operation failed", -EIO);
	}
}

/* timed loops */

static double run_sync(void *arg, long iters)
{
	struct job *j = arg;
	struct dsa_hw_desc d;
	uint64_t t0 = bu_now_ns();

	for (long i = 0; i < iters; i++) {
		uint64_t s = 0;

		prep(&d, &recs[0], j->op, b.dst, b.src, j->n);
		if (j->lat)
			s = bu_now_ns();
		submit(j->q, &d, &j->retries);
		wait_ok(&recs[0]);
		if (j->lat)
			j->lat[i] = (double)(bu_now_ns() - s);
	}
	return (double)(bu_now_ns() - t0);
}

static double run_base(void *arg, long iters)
{
	struct job *j = arg;
	uint32_t n = j->n;
	uint64_t t0 = bu_now_ns();

	for (long i = 0; i < iters; i++) {
		size_t off = j->depth ? (size_t)(i % (SPAN / n)) * n : 0;

		switch (j->op) {
		case OP_MEMMOVE:
			memcpy(b.dst + off, b.src + off, n);
			break;
		case OP_FILL:
			memset(b.dst, 0x5a, n);
			break;
		case OP_COMPARE:
			sink += (uint64_t)memcmp(b.src, b.src2, n);
			break;
		case OP_CRCGEN:
			sink += ~crc32_iscsi(b.src, (int)n, ~0u);
			break;
		case OP_COPY_CRC:
			memcpy(b.dst, b.src, n);
			sink += ~crc32_iscsi(b.src, (int)n, ~0u);
			break;
		case OP_DIF_CHECK:
			sink += bu_dif_check(b.prot, n);
			break;
		case OP_DIF_INSERT:
			bu_dif_insert(b.dst, b.src, n);
			break;
		case OP_NOOP:
			break;
		}
		/* The copies must happen: their result is "used" here. */
		__asm__ volatile("" : : "r"(b.dst) : "memory");
	}
	return (double)(bu_now_ns() - t0);
}

/*
 * depth descriptors in flight, each with its own record: slot i % depth is
 * reused once its previous descriptor completed (one engine completes in
 * order, so this waits for the oldest). The DWQ takes a credit per
 * descriptor and gets it back at completion. With batch > 1 each
 * descriptor is a batch of that many NOOPs from the slot's own list.
 */
static double run_async(void *arg, long iters)
{
	struct job *j = arg;
	struct sva_credits cred;
	struct dsa_hw_desc d;
	long inflight = 0, nchunks = j->n ? SPAN / j->n : 1;
	uint64_t t0 = bu_now_ns();

	sva_credits_init(&cred, sva_portal_wq_size(portal[DWQ]));
	for (long i = 0; i < iters; i++) {
		unsigned int slot = (unsigned int)(i % j->depth);
		size_t off = (size_t)(i % nchunks) * j->n;

		if (i >= j->depth) {
			wait_ok(&recs[slot]);
			sva_credits_put(&cred, 1);
			inflight--;
		}
		if (j->batch > 1)
			sva_prep_batch(&d, &lists[(size_t)slot * MAX_BATCH], j->batch, &recs[slot], 0);
		else
			prep(&d, &recs[slot], j->op, b.dst + off, b.src + off, j->n);
		if (j->q == DWQ && sva_credits_take(&cred))
			die("out of DWQ credits", -EBUSY);
		submit(j->q, &d, &j->retries);
		inflight++;
	}
	for (long i = iters - inflight; i < iters; i++)
		wait_ok(&recs[i % j->depth]);
	return (double)(bu_now_ns() - t0);
}

/* Bursts of BURST NOOPs; only the submission calls are timed, then the burst drains. */
static double run_enq(void *arg, long iters)
{
	struct job *j = arg;
	struct dsa_hw_desc d[BURST];
	double spent = 0;

	for (long i = 0; i < iters; i++) {
		uint64_t t0;

		for (int k = 0; k < BURST; k++)
			sva_prep_noop(&d[k], &recs[k], 0);
		t0 = bu_now_ns();
		for (int k = 0; k < BURST; k++)
			submit(j->q, &d[k], &j->retries);
		spent += (double)(bu_now_ns() - t0);
		for (int k = 0; k < BURST; k++)
			wait_ok(&recs[k]);
	}
	return spent;
}

/* Submit-to-completion percentiles of a synchronous job for this pass. */
static void latency(struct job *j, struct row *r)
{
	long n = r->iters[0] * 2 < 500 ? 500 : r->iters[0] * 2 > 20000 ? 20000 : r->iters[0] * 2;
	double *v = malloc((size_t)n * sizeof(*v));

	if (!v)
		die("malloc", -ENOMEM);
	j->lat = v;
	run_sync(j, 16);
	run_sync(j, n);
	qsort(v, (size_t)n, sizeof(*v), bu_cmp_double);
	r->p50s[pass] = v[n / 2];
	r->p99s[pass] = v[n * 99 / 100];
	j->lat = NULL;
	free(v);
}

/* The row of this workload step: made in pass 0, the same one in later passes. */
static struct row *row_next(const struct row *tmpl)
{
	if (pass == 0) {
		if (nrows == MAX_ROWS)
			die("too many rows", -ENOSPC);
		rows[nrows++] = *tmpl;
	}
	return &rows[cursor++];
}

/* One pass of sva (and the baseline): calibrated in pass 0, median of the inner runs. */
static void measure(struct row *r, struct bu_side *a, struct bu_side *base)
{
	struct bu_side *side[2] = { a, base };

	for (int k = 0; k < 2; k++) {
		if (!side[k])
			continue;
		if (pass == 0)
			bu_calibrate(side[k], target_ns);
		else
			side[k]->iters = r->iters[k];
		r->iters[k] = side[k]->iters;
		r->out[k][pass] = bu_run_side(side[k], inner);
	}
}

/* output */

/* The figure a target is about, and whether it is met. */
static bool row_met(const struct row *r, double *ret_val)
{
	switch (r->target) {
	case T_RATIO_GE:
		*ret_val = r->base_ns.med / r->ns.med;
		break;
	case T_P50_LE:
		*ret_val = r->p50.med;
		break;
	case T_RATE_GE:
		*ret_val = 1e9 / r->ns.med;
		break;
	default:
		*ret_val = r->ns.med;
		break;
	}
	if (r->target == T_RATIO_GE || r->target == T_RATE_GE)
		return *ret_val >= r->target_val;
	return *ret_val <= r->target_val;
}

/* The target as text, e.g. "ratio >= 0.9". */
static void target_str(const struct row *r, char *buf, size_t len)
{
	static const char *const what[] = { "", "ratio >=", "p50 ns <=", "rate/s >=", "ns <=" };

	snprintf(buf, len, "%s %g", what[r->target], r->target_val);
}

static void emit(struct row *r)
{
	double ops = 1e9 / r->ns.med, gbs = r->bytes / r->ns.med, val = 0;
	bool has_base = r->base_ns.med > 0, met = row_met(r, &val);
	char sz[16], tgt[48] = "", var[32], op[32];

	if (r->target != T_NONE)
		target_str(r, tgt, sizeof(tgt));
	if (json) {
		printf("%s    {\"workload\":\"%s\",\"variant\":\"%s\",\"op\":\"%s\",\"bytes\":%u,"
		       "\"depth\":%u,\"batch\":%u,\"threads\":%u,\"ns\":%.2f,\"ns_lo\":%.2f,"
		       "\"ns_hi\":%.2f,\"ops_s\":%.0f,\"ops_s_lo\":%.0f,\"ops_s_hi\":%.0f,"
		       "\"gbs\":%.3f,\"gbs_lo\":%.3f,\"gbs_hi\":%.3f",
		       first_row ? "" : ",\n", r->workload, r->variant, r->op, r->bytes, r->depth,
		       r->batch, r->threads, r->ns.med, r->ns.lo, r->ns.hi, ops, 1e9 / r->ns.hi,
		       1e9 / r->ns.lo, gbs, r->bytes / r->ns.hi, r->bytes / r->ns.lo);
		if (r->p50.med > 0)
			printf(",\"p50_ns\":%.0f,\"p50_lo\":%.0f,\"p50_hi\":%.0f,\"p99_ns\":%.0f",
			       r->p50.med, r->p50.lo, r->p50.hi, r->p99);
		if (r->threads)
			printf(",\"retries_s\":%.0f", r->retries_s);
		if (has_base)
			printf(",\"baseline\":\"%s\",\"baseline_ns\":%.2f,\"baseline_ops_s\":%.0f,"
			       "\"baseline_gbs\":%.3f,\"baseline_gbs_lo\":%.3f,"
			       "\"baseline_gbs_hi\":%.3f,\"ratio\":%.4f",
			       r->base, r->base_ns.med, 1e9 / r->base_ns.med, r->bytes / r->base_ns.med,
			       r->bytes / r->base_ns.hi, r->bytes / r->base_ns.lo,
			       r->base_ns.med / r->ns.med);
		if (r->target != T_NONE)
			printf(",\"target\":\"%s\",\"value\":%.4g,\"met\":%s", tgt, val,
			       met ? "true" : "false");
		printf("}");
		first_row = false;
		fflush(stdout);
		return;
	}
	snprintf(var, sizeof(var), r->threads ? "%s x%u" : "%s", r->variant, r->threads);
	snprintf(op, sizeof(op), r->batch > 1 ? "%s x%u" : "%s", r->op, r->batch);
	printf("%-13s %-10s %-12s %4s %8.3f M/s [%.3f-%.3f]", r->workload, var, op,
	       bu_size_str(r->bytes, sz, sizeof(sz)), ops / 1e6, 1e3 / r->ns.hi, 1e3 / r->ns.lo);
	if (r->bytes)
		printf(" %7.2f GB/s [%.2f-%.2f]", gbs, r->bytes / r->ns.hi, r->bytes / r->ns.lo);
	if (r->p50.med > 0)
		printf("  p50 %.0f [%.0f-%.0f] p99 %.0f ns", r->p50.med, r->p50.lo, r->p50.hi,
		       r->p99);
	if (r->workload && !strcmp(r->workload, "enqcmd-cost"))
		printf("  %.1f ns/call [%.1f-%.1f]", r->ns.med, r->ns.lo, r->ns.hi);
	if (r->threads)
		printf("  retries %.3fM/s", r->retries_s / 1e6);
	if (has_base)
		printf("  | %s %.2f GB/s %.3fM/s  ratio %.2f", r->base, r->bytes / r->base_ns.med,
		       1e3 / r->base_ns.med, r->base_ns.med / r->ns.med);
	if (r->target != T_NONE)
		printf("  [%s: %s]", tgt, met ? "met" : "NOT met");
	printf("\n");
	fflush(stdout);
}

/* verification: once per (op, queue, size), before timing */

static void verify(enum op op, int q, uint32_t n)
{
	struct dsa_completion_record *cr = &recs[0];
	struct dsa_hw_desc d;
	uint64_t retries = 0;
	bool ok = true;

	memset(b.dst, 0xee, n + 4096);
	prep(&d, cr, op, b.dst, b.src, n);
	submit(q, &d, &retries);
	wait_ok(cr);
	switch (op) {
	case OP_MEMMOVE:
		ok = !memcmp(b.dst, b.src, n);
		break;
	case OP_COPY_CRC:
		ok = !memcmp(b.dst, b.src, n) &&
		     (uint32_t)cr->crc_val == ~crc32_iscsi(b.src, (int)n, ~0u);
		break;
	case OP_CRCGEN:
		ok = (uint32_t)cr->crc_val == ~crc32_iscsi(b.src, (int)n, ~0u);
		break;
	case OP_FILL:
		for (uint32_t i = 0; i < n; i++)
			ok &= b.dst[i] == 0x5a;
		break;
	case OP_COMPARE:
		ok = cr->result == 0;
		break;
	case OP_DIF_INSERT:
		bu_dif_insert(b.tmp, b.src, n);
		ok = !memcmp(b.dst, b.tmp, n / 512 * 520);
		break;
	default:	/* DIF check: wait_ok saw success on software-made tuples */
		break;
	}
	if (!ok) {
		fprintf(stderr, "svabench: %s %u bytes: result differs from the baseline\n",
			opinfo[op].name, n);
		exit(1);
	}
}

/* workloads */

static void sync_row(const char *wl, enum op op, int q, uint32_t n, enum target t, double tv)
{
	struct job j = { .op = op, .q = q, .n = n }, jb = j;
	struct bu_side a = { run_sync, &j, 1, 0 }, base = { run_base, &jb, 1, 0 };
	struct row *r = row_next(&(struct row){
		.workload = wl, .variant = q == SWQ ? "swq" : "dwq", .op = opinfo[op].name,
		.base = opinfo[op].base, .bytes = n, .depth = 1, .target = t, .target_val = tv });

	if (pass == 0)
		verify(op, q, n);
	measure(r, &a, &base);
	latency(&j, r);
}

static void wl_memmove_sync(void)
{
	static const uint32_t sizes[] = { 4096, 65536, 262144, 1u << 20 };

	for (unsigned int i = 0; i < 4; i++)
		for (int q = SWQ; q <= DWQ; q++)
			sync_row("memmove-sync", OP_MEMMOVE, q, sizes[i],
				 sizes[i] == 4096 ? T_P50_LE : T_RATIO_GE,
				 sizes[i] == 4096 ? 1000 : 0.9);
}

/* fill, compare, crc, dif: two operations (or one) at 4 KiB and 64 KiB, sync, SWQ. */
static void wl_ops(const char *wl, enum op op1, enum op op2)
{
	for (uint32_t n = 4096; n <= 65536; n *= 16) {
		sync_row(wl, op1, SWQ, n, T_NONE, 0);
		if (op2 != op1)
			sync_row(wl, op2, SWQ, n, T_NONE, 0);
	}
}

static void wl_memmove_async(void)
{
	static const struct {
		int q;
		unsigned int depth;
		const char *name;
	} v[] = { { DWQ, 16, "dwq qd16" }, { DWQ, 32, "dwq qd32" }, { SWQ, 32, "swq qd32" } };

	for (unsigned int i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct job j = { .op = OP_MEMMOVE, .q = v[i].q, .n = 65536, .depth = v[i].depth };
		struct job jb = j;
		struct bu_side a = { run_async, &j, 1, 0 }, base = { run_base, &jb, 1, 0 };
		struct row *r = row_next(&(struct row){
			.workload = "memmove-async", .variant = v[i].name, .op = "memmove",
			.base = "memcpy", .bytes = 65536, .depth = v[i].depth });

		measure(r, &a, &base);
	}
}

static void wl_noop_batch(void)
{
	static const unsigned int sizes[] = { 32, 128, 1024 };

	for (unsigned int i = 0; i < 3; i++) {
		for (int q = SWQ; q <= DWQ; q++) {
			unsigned int depth = q == SWQ ? 1 : 4;
			struct job j = { .op = OP_NOOP, .q = q, .depth = depth, .batch = sizes[i] };
			struct bu_side a = { run_async, &j, sizes[i], 0 };
			struct row *r = row_next(&(struct row){
				.workload = "noop-batch", .variant = q == SWQ ? "swq qd1" : "dwq qd4",
				.op = "noop", .depth = depth, .batch = sizes[i], .target = T_RATE_GE,
				.target_val = 10e6 });

			measure(r, &a, NULL);
		}
	}
	/* Unbatched reference: one NOOP per descriptor, same queues. */
	for (int q = SWQ; q <= DWQ; q++) {
		struct job j = { .op = OP_NOOP, .q = q, .depth = 32 };
		struct bu_side a = { run_async, &j, 1, 0 };
		struct row *r = row_next(&(struct row){
			.workload = "noop-batch", .variant = q == SWQ ? "swq qd32" : "dwq qd32",
			.op = "noop", .depth = 32, .batch = 1 });

		measure(r, &a, NULL);
	}
}

static void wl_enqcmd_cost(void)
{
	for (int q = SWQ; q <= DWQ; q++) {
		struct job j = { .op = OP_NOOP, .q = q };
		struct bu_side a = { run_enq, &j, BURST, 0 };
		struct row *r = row_next(&(struct row){
			.workload = "enqcmd-cost", .variant = q == SWQ ? "enqcmd" : "movdir64b",
			.op = "noop", .batch = 1, .target = q == SWQ ? T_NS_LE : T_NONE,
			.target_val = 30 });

		measure(r, &a, NULL);
		if (j.retries)
			fprintf(stderr, "svabench: enqcmd-cost: %llu unexpected retries\n",
				(unsigned long long)j.retries);
	}
}

struct thr {
	pthread_t t;
	bool memmove;
	uint8_t *src, *dst;
	uint64_t descs, retries;
	struct dsa_completion_record cr[THR_WIN] __attribute__((aligned(32)));
};

static _Atomic int thr_ready, thr_go, thr_stop;

/* A submitter on the SWQ: THR_WIN NOOPs in flight, or one 4 KiB memmove at a time. */
static void *thr_main(void *arg)
{
	struct thr *t = arg;
	struct dsa_hw_desc d;
	uint64_t i = 0;

	if (pinned)
		bu_pin_self(SUBMIT_CPU);
	atomic_fetch_add(&thr_ready, 1);
	while (!atomic_load(&thr_go))
		sva_cpu_relax();
	for (; !atomic_load_explicit(&thr_stop, memory_order_relaxed); i++) {
		unsigned int slot = t->memmove ? 0 : (unsigned int)(i % THR_WIN);

		if (t->memmove) {
			sva_prep_memmove(&d, t->dst, t->src, 4096, &t->cr[0], 0);
		} else {
			if (i >= THR_WIN)
				wait_ok(&t->cr[slot]);
			sva_prep_noop(&d, &t->cr[slot], 0);
		}
		submit(SWQ, &d, &t->retries);
		t->descs++;
		if (t->memmove)
			wait_ok(&t->cr[0]);
	}
	for (uint64_t k = i > THR_WIN ? i - THR_WIN : 0; !t->memmove && k < i; k++)
		wait_ok(&t->cr[k % THR_WIN]);
	return NULL;
}

static void thr_run(int nthr, bool memmove, double dur_ns, double *ret_rate, double *ret_retries)
{
	struct thr *t = aligned_alloc(64, MAX_THREADS * sizeof(*t));
	uint64_t descs = 0, retries = 0, t0, t1;
	struct timespec ts = { (time_t)(dur_ns / 1e9), (long)((uint64_t)dur_ns % 1000000000ull) };

	if (!t)
		die("aligned_alloc", -ENOMEM);
	memset(t, 0, MAX_THREADS * sizeof(*t));
	atomic_store(&thr_ready, 0);
	atomic_store(&thr_go, 0);
	atomic_store(&thr_stop, 0);
	for (int k = 0; k < nthr; k++) {
		t[k].memmove = memmove;
		t[k].src = b.src + (size_t)k * 8192;
		t[k].dst = b.dst + (size_t)k * 8192;
		if (pthread_create(&t[k].t, NULL, thr_main, &t[k]))
			die("pthread_create", -EAGAIN);
	}
	while (atomic_load(&thr_ready) < nthr)
		sched_yield();
	t0 = bu_now_ns();
	atomic_store(&thr_go, 1);
	nanosleep(&ts, NULL);
	atomic_store(&thr_stop, 1);
	t1 = bu_now_ns();
	for (int k = 0; k < nthr; k++) {
		pthread_join(t[k].t, NULL);
		descs += t[k].descs;
		retries += t[k].retries;
	}
	free(t);
	*ret_rate = (double)descs * 1e9 / (double)(t1 - t0);
	*ret_retries = (double)retries * 1e9 / (double)(t1 - t0);
}

static void wl_swq_threads(void)
{
	static const int counts[] = { 1, 2, 4 };
	double dur = quick ? 20e6 : 50e6;

	for (int m = 0; m < 2; m++) {
		for (unsigned int c = 0; c < 3; c++) {
			double in_ns[INNER_MAX], in_rs[INNER_MAX];
			struct row *r = row_next(&(struct row){
				.workload = "swq-threads", .variant = m ? "memmove" : "noop",
				.op = m ? "memmove" : "noop", .bytes = m ? 4096 : 0,
				.depth = m ? 1 : THR_WIN, .threads = (unsigned int)counts[c] });

			for (int i = 0; i < inner; i++) {
				double rate;

				thr_run(counts[c], m, dur, &rate, &in_rs[i]);
				in_ns[i] = 1e9 / rate;
			}
			r->out[0][pass] = bu_median(in_ns, inner);
			r->rs[pass] = bu_median(in_rs, inner);
		}
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
	void (*ops)(const char *wl, enum op op1, enum op op2);
	enum op op1, op2;
} workloads[] = {
	{ "memmove-sync", wl_memmove_sync, NULL, 0, 0 },
	{ "memmove-async", wl_memmove_async, NULL, 0, 0 },
	{ "fill", NULL, wl_ops, OP_FILL, OP_FILL },
	{ "compare", NULL, wl_ops, OP_COMPARE, OP_COMPARE },
	{ "crc", NULL, wl_ops, OP_CRCGEN, OP_COPY_CRC },
	{ "dif", NULL, wl_ops, OP_DIF_CHECK, OP_DIF_INSERT },
	{ "noop-batch", wl_noop_batch, NULL, 0, 0 },
	{ "enqcmd-cost", wl_enqcmd_cost, NULL, 0, 0 },
	{ "swq-threads", wl_swq_threads, NULL, 0, 0 },
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

/* Summaries over the passes, then every row, as text or JSON. */
static void report(void)
{
	struct bu_fig f = bu_fig_of(rtt, outer);

	if (json)
		printf("{\"tool\":\"svabench\",\"version\":1,\"quick\":%s,\"cpus\":%ld,"
		       "\"pinned\":%s,\"engines\":%d,\"inner\":%d,\"outer\":%d,"
		       "\"wq_size\":%d,\"swq_threshold\":%d,\"engine_spin_us\":1000,"
		       "\"rtt_ns\":%.0f,\"rtt_lo\":%.0f,\"rtt_hi\":%.0f,\n  \"results\":[\n",
		       quick ? "true" : "false", sysconf(_SC_NPROCESSORS_ONLN),
		       pinned ? "true" : "false", nengines, inner, outer, WQ_SIZE, SWQ_THRESHOLD,
		       f.med, f.lo, f.hi);
	else
		printf("svabench: %d engine(s)%s; median of %d inner runs [range over %d passes]; "
		       "cpu0<->cpu1 rtt %.0f [%.0f-%.0f] ns\n",
		       nengines, pinned ? ", submitter on CPU 0, engine on CPU 1" : ", unpinned",
		       inner, outer, f.med, f.lo, f.hi);
	for (int i = 0; i < nrows; i++) {
		struct row *r = &rows[i];

		r->ns = bu_fig_of(r->out[0], outer);
		if (r->base)
			r->base_ns = bu_fig_of(r->out[1], outer);
		if (r->p50s[0] > 0) {
			r->p50 = bu_fig_of(r->p50s, outer);
			r->p99 = bu_fig_of(r->p99s, outer).med;
		}
		r->retries_s = bu_fig_of(r->rs, outer).med;
		emit(r);
	}
	if (json)
		printf("\n  ]\n}\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: svabench [--json] [--quick] [--outer N] [--engines N] [WORKLOAD...]\n"
		   "workloads:");
	for (unsigned int i = 0; i < NWORKLOADS; i++)
		fprintf(f, " %s", workloads[i].name);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	bool sel[NWORKLOADS] = { false }, any = false;

	for (int i = 1; i < argc; i++) {
		unsigned int w;

		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[i], "--outer") && i + 1 < argc) {
			outer = atoi(argv[++i]);
			if (outer < 1 || outer > BU_OUTER_MAX) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "--engines") && i + 1 < argc) {
			nengines = atoi(argv[++i]);
			if (nengines < 1 || nengines > 4) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			for (w = 0; w < NWORKLOADS && strcmp(argv[i], workloads[w].name); w++)
				;
			if (w == NWORKLOADS) {
				usage(stderr);
				return 2;
			}
			sel[w] = any = true;
		}
	}
	if (quick) {
		inner = 3;
		target_ns = 1e6;
	}
	buffers_setup();
	device_setup();
	/*
	 * The outer repetitions are whole passes over the selected workloads,
	 * so that the range of a figure spans the host's slow drifts and not
	 * only the few hundred milliseconds one row takes.
	 */
	for (pass = 0; pass < outer; pass++) {
		cursor = 0;
		if (pinned) {
			struct timespec ts = { 0, 2000000 };	/* the engine goes to sleep */

			nanosleep(&ts, NULL);
			rtt[pass] = bu_pingpong_rtt(ENGINE_CPU, 20000);
		}
		fprintf(stderr, "svabench: pass %d/%d (cpu0<->cpu1 rtt %.0f ns)\n", pass + 1, outer,
			rtt[pass]);
		for (unsigned int w = 0; w < NWORKLOADS; w++) {
			if (any && !sel[w])
				continue;
			if (workloads[w].fn)
				workloads[w].fn();
			else
				workloads[w].ops(workloads[w].name, workloads[w].op1, workloads[w].op2);
		}
	}
	report();
	device_teardown();
	return 0;
}
