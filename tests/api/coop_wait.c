/* SPDX-License-Identifier: MIT */
/*
 * Description: cooperative execution (src/dsa/coop.c). A thread waiting in
 * sva_wait() on a large MEMMOVE/MEMFILL executes the back part and writes
 * the record (asserted through the coop and engine counters, with the
 * engines told to leave shared jobs to waiters); without a waiter the
 * engine does everything, and after 16 such jobs publishes only probes; a
 * wait with a short timeout stays a poll; a waiter done long before the
 * engine hands the record back; a record page the device cannot write
 * still gives SWERROR 0x1a; records are byte-exact, written exactly once,
 * and counters stay exact. Overlapping copies and copies that will fault
 * never take the shared path, so direction, bytes_completed and fault_addr
 * stay exact; a page unmapped under a waiter's part is reported as the
 * fault guard reports it. Several waiters, several submitters, a Drain
 * behind a shared copy, and a fork child that must not claim the parent's
 * job.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lib/lib.h"

#define SWQ 0
#define DWQ 1
#define TIMEOUT_NS 20000000000ll

static struct sva_device *dev;

/* Engine counters summed over the device's engines. */
static void engines_now(uint64_t *ret_descs, uint64_t *ret_bytes)
{
	*ret_descs = *ret_bytes = 0;
	for (unsigned int i = 0; i < 4; i++) {
		struct sva_engine_stats st = { .size = sizeof(st) };

		if (sva_engine_stats(dev, i, &st))
			break;
		*ret_descs += st.descs;
		*ret_bytes += st.bytes;
	}
}

static void submit(struct sva_portal *p, int q, const struct dsa_hw_desc *d)
{
	int r;

	if (q == DWQ) {
		T_EQ(sva_movdir64b(p, d), 0);
		return;
	}
	while ((r = sva_enqcmd(p, d)) == 1)
		sched_yield();
	T_EQ(r, 0);
}

static bool all_bytes(const uint8_t *p, size_t n, const uint8_t *want)
{
	return memcmp(p, want, n) == 0;
}

/* One test's portal, buffers (n bytes and a page each), record page and counter snapshot. */
struct fix {
	struct sva_portal *p;
	int q;
	uint32_t n;
	uint8_t *src, *dst;
	struct dsa_completion_record *cr;
	uint64_t c0[COOP_STAT_NR];
};

static void fix_open(struct fix *f, int q, uint32_t n)
{
	f->q = q;
	f->n = n;
	T_EQ(sva_portal_open(dev, q, 0, &f->p), 0);
	f->src = t_map(n + 4096);
	f->dst = t_map(n + 4096);
	f->cr = t_map(4096);
	t_fill_random(f->src, n);
	coop_stats(f->c0);
}

static void fix_close(struct fix *f)
{
	sva_portal_close(f->p);
	t_unmap(f->src, f->n + 4096);
	t_unmap(f->dst, f->n + 4096);
	t_unmap(f->cr, 4096);
}

/* Submit a MEMMOVE of n bytes from the fixture's src to its dst. */
static void fix_memmove(struct fix *f, uint32_t n, uint32_t flags)
{
	struct dsa_hw_desc d;

	sva_prep_memmove(&d, f->dst, f->src, n, f->cr, flags);
	submit(f->p, f->q, &d);
}

/* How much a coop counter moved since fix_open. */
static uint64_t fix_delta(const struct fix *f, int what)
{
	uint64_t now[COOP_STAT_NR];

	coop_stats(now);
	return now[what] - f->c0[what];
}

/* An engine published the job (so it found every page resident) and, if held, waits for us. */
static void fix_published(const struct fix *f, uint64_t jobs)
{
	while (fix_delta(f, COOP_STAT_JOBS) < jobs)
		sched_yield();
}

/* Wait forever on the fixture's record and let the engine finish its accounting. */
static void fix_wait_ok(struct fix *f)
{
	T_EQ(sva_wait(f->cr, TIMEOUT_NS), 0);
	T_EQ(sva_drain_wq(dev, f->q), 0);
	T_EQ(f->cr->status, DSA_COMP_SUCCESS);
}

/* The waiter executes the whole job and writes the record; counters stay exact. */
static void test_waiter_executes(void)
{
	const uint32_t sizes[] = { 32u << 10, (1u << 20) + 13, 300001 };
	struct sva_wq_stats w0 = { .size = sizeof(w0) }, w1 = w0;
	struct sva_device_stats *d0 = calloc(2, sizeof(*d0)), *d1 = d0 + 1;
	uint64_t e0d, e0b, e1d, e1b, bytes = 0;
	uint8_t *ref = t_map(2u << 20);
	struct fix f;

	fix_open(&f, DWQ, 2u << 20);
	d0->size = d1->size = sizeof(*d0);
	engines_now(&e0d, &e0b);
	sva_wq_stats(dev, DWQ, &w0);
	sva_device_stats(dev, d0);
	coop_test_hold(COOP_HOLD_WAITER);
	for (unsigned int i = 0; i < 3; i++) {
		uint32_t n = sizes[i];
		struct dsa_hw_desc d;

		memset(f.dst, 0, n + 64);
		fix_memmove(&f, n, IDXD_OP_FLAG_BOF);
		fix_wait_ok(&f);
		T_EQ(f.cr->result, 0);
		T_EQ(f.cr->bytes_completed, 0);
		T_EQ(f.cr->fault_addr, 0);
		T_CHECK(all_bytes(f.dst, n, f.src), "memmove of %u bytes differs", n);
		T_EQ(f.dst[n], 0);
		bytes += n;

		/* MEMFILL, with a pattern whose phase matters. */
		memset(f.dst, 0, n + 64);
		for (uint32_t k = 0; k < n; k++)
			ref[k] = (uint8_t)(0x11 * ((k & 7) + 1));
		sva_prep_memfill(&d, f.dst, 0x8877665544332211ull, n, f.cr, 0);
		submit(f.p, DWQ, &d);
		fix_wait_ok(&f);
		T_CHECK(all_bytes(f.dst, n, ref), "memfill of %u bytes differs", n);
		T_EQ(f.dst[n], 0);
		bytes += n;
	}
	coop_test_hold(0);
	engines_now(&e1d, &e1b);
	sva_wq_stats(dev, DWQ, &w1);
	sva_device_stats(dev, d1);
	/* Held engines leave everything to the waiter: it ran every byte and wrote every record. */
	T_EQ(fix_delta(&f, COOP_STAT_JOBS), 6);
	T_EQ(fix_delta(&f, COOP_STAT_HELPED_BYTES), bytes);
	T_EQ(fix_delta(&f, COOP_STAT_HELPER_RECORDS), 6);
	/* The device still counts each descriptor once, with all its bytes. */
	T_EQ(e1d - e0d, 6);
	T_EQ(e1b - e0b, bytes);
	T_EQ(w1.completed - w0.completed, 6);
	T_EQ(d1->by_opcode[DSA_OPCODE_MEMMOVE] - d0->by_opcode[DSA_OPCODE_MEMMOVE], 3);
	T_EQ(d1->by_opcode[DSA_OPCODE_MEMFILL] - d0->by_opcode[DSA_OPCODE_MEMFILL], 3);
	T_EQ(d1->by_status[DSA_COMP_SUCCESS] - d0->by_status[DSA_COMP_SUCCESS], 6);
	free(d0);
	t_unmap(ref, 2u << 20);
	fix_close(&f);
}

/* Nobody helps (polling without sva_wait): the engine runs both parts and writes the record. */
static void test_engine_alone(void)
{
	struct fix f;

	fix_open(&f, SWQ, (512u << 10) + 7);
	fix_memmove(&f, f.n, 0);
	while (!sva_poll(f.cr))
		sched_yield();
	T_EQ(f.cr->status, DSA_COMP_SUCCESS);
	T_CHECK(all_bytes(f.dst, f.n, f.src), "memmove differs");
	T_EQ(fix_delta(&f, COOP_STAT_JOBS), 1);
	T_EQ(sva_drain_wq(dev, SWQ), 0);
	T_EQ(fix_delta(&f, COOP_STAT_HELPED_BYTES), 0);
	T_EQ(fix_delta(&f, COOP_STAT_HELPER_RECORDS), 0);
	fix_close(&f);
}

/* Forty copies run by a fresh "engine" thread that nobody helps. */
static void *lonely_engine_main(void *arg)
{
	struct fix *f = arg;
	struct t_dev t;

	t_dev_init(&t);
	for (int i = 0; i < 40; i++) {
		struct dsa_hw_desc d;

		t_desc(&d, DSA_OPCODE_MEMMOVE, 0, f->cr);
		d.src_addr = (uint64_t)(uintptr_t)f->src;
		d.dst_addr = (uint64_t)(uintptr_t)f->dst;
		d.xfer_size = f->n;
		memset(f->dst, 0, f->n);
		T_EQ(t_exec(&t, &d, NULL), DSA_COMP_SUCCESS);
		T_EQ(f->cr->status, DSA_COMP_SUCCESS);
		T_CHECK(all_bytes(f->dst, f->n, f->src), "copy %d differs", i);
	}
	t_dev_exit(&t);
	return NULL;
}

/*
 * An engine that no waiter helps for 16 jobs in a row publishes only one
 * job in 16 afterwards (a probe), and skips the checks for the others.
 */
static void test_idle_engine_probes(void)
{
	struct fix f;
	pthread_t t;

	fix_open(&f, DWQ, 64u << 10);
	pthread_create(&t, NULL, lonely_engine_main, &f);
	pthread_join(t, NULL);
	T_EQ(fix_delta(&f, COOP_STAT_JOBS), 16 + 1);
	T_EQ(fix_delta(&f, COOP_STAT_HELPED_BYTES), 0);
	fix_close(&f);
}

/* sva_wait() with a timeout too short for the part stays a poll; then it helps. */
static void test_budget(void)
{
	struct fix f;

	fix_open(&f, DWQ, 1u << 20);
	coop_test_hold(COOP_HOLD_WAITER);
	fix_memmove(&f, f.n, 0);
	fix_published(&f, 1);
	/* 1 MiB at the assumed worst 1 GB/s does not fit in 0 or 100 us. */
	T_EQ(sva_wait(f.cr, 0), -ETIMEDOUT);
	T_EQ(sva_wait(f.cr, 100000), -ETIMEDOUT);
	T_EQ(fix_delta(&f, COOP_STAT_HELPED_BYTES), 0);
	fix_wait_ok(&f);
	coop_test_hold(0);
	T_EQ(fix_delta(&f, COOP_STAT_HELPED_BYTES), f.n);
	T_CHECK(all_bytes(f.dst, f.n, f.src), "memmove differs");
	fix_close(&f);
}

/*
 * The waiter finishes its part long before the engine's: it stops waiting
 * (a waiter never blocks on the device) and the engine writes the record.
 */
static void test_handoff(void)
{
	struct fix f;
	uint64_t helped;

	fix_open(&f, DWQ, 1u << 20);
	coop_test_hold(COOP_HOLD_LATE);
	fix_memmove(&f, f.n, 0);
	fix_wait_ok(&f);
	coop_test_hold(0);
	T_CHECK(all_bytes(f.dst, f.n, f.src), "memmove differs");
	helped = fix_delta(&f, COOP_STAT_HELPED_BYTES);
	T_CHECK(helped > 0 && helped < f.n, "waiter ran %llu of %u bytes",
		(unsigned long long)helped, f.n);
	T_EQ(fix_delta(&f, COOP_STAT_HELPER_RECORDS), 0);
	fix_close(&f);
}

/* Overlapping buffers keep memmove semantics and the direction bit; never shared. */
static void test_overlap(void)
{
	const uint32_t cap = 2u << 20, n = 512u << 10;
	const long shifts[] = { 4096, -4096, 100, -100, 64 << 10, -(64 << 10) };
	struct fix f;

	fix_open(&f, DWQ, cap);		/* src: the buffer, dst: its reference */
	coop_test_hold(COOP_HOLD_WAITER);	/* if one were shared, the waiter would do it all */
	for (unsigned int i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		uint8_t *src = f.src + (cap - n) / 2, *dst = src + shifts[i];
		struct dsa_hw_desc d;

		t_fill_random(f.src, cap);
		memcpy(f.dst, f.src, cap);
		memmove(f.dst + (dst - f.src), f.dst + (src - f.src), n);
		sva_prep_memmove(&d, dst, src, n, f.cr, IDXD_OP_FLAG_BOF);
		submit(f.p, DWQ, &d);
		fix_wait_ok(&f);
		T_EQ(f.cr->result, shifts[i] > 0);
		T_CHECK(all_bytes(f.src, cap, f.dst), "overlapping memmove by %ld differs", shifts[i]);
	}
	coop_test_hold(0);
	T_EQ(fix_delta(&f, COOP_STAT_JOBS), 0);
	fix_close(&f);
}

/* Submit, wait, and expect a page fault at addr after done bytes. */
static void expect_fault(struct fix *f, uint32_t flags, uint8_t status, uint32_t done,
			 const uint8_t *addr)
{
	fix_memmove(f, f->n, flags);
	T_EQ(sva_wait(f->cr, TIMEOUT_NS), 0);
	T_EQ(f->cr->status, status);
	T_EQ(f->cr->bytes_completed, done);
	T_EQ(f->cr->fault_addr, (uint64_t)(uintptr_t)addr);
	T_CHECK(all_bytes(f->dst, done, f->src), "bytes before the fault differ");
}

/*
 * Copies that will fault take the ordinary path: the fault is reported at
 * its exact place, deep inside what would otherwise be the waiter's part.
 */
static void test_fault_later(void)
{
	const uint32_t at = 200u << 10;
	struct fix f;

	fix_open(&f, DWQ, 256u << 10);
	coop_test_hold(COOP_HOLD_WAITER);
	/* Not resident, block-on-fault off: 0x03 with the write bit. */
	T_EQ(madvise(f.dst + at, 4096, MADV_DONTNEED), 0);
	expect_fault(&f, 0, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE, at, f.dst + at);
	/* The same with block-on-fault: faulted in, then copied. */
	fix_memmove(&f, f.n, IDXD_OP_FLAG_BOF);
	fix_wait_ok(&f);
	T_CHECK(all_bytes(f.dst, f.n, f.src), "memmove after block-on-fault differs");
	/* An inaccessible source page: an Invalid Request, 0x04 with BOF, on a read. */
	memset(f.dst, 0, f.n);
	T_EQ(mprotect(f.src + at, 4096, PROT_NONE), 0);
	expect_fault(&f, IDXD_OP_FLAG_BOF, DSA_COMP_PAGE_FAULT_IR, at, f.src + at);
	T_EQ(mprotect(f.src + at, 4096, PROT_READ | PROT_WRITE), 0);
	coop_test_hold(0);
	/* Each had a page that was not resident or not accessible: none was shared. */
	T_EQ(fix_delta(&f, COOP_STAT_JOBS), 0);
	fix_close(&f);
}

/*
 * A page unmapped after the engine checked residency, under the waiter's
 * part: the guard reports it as a page fault with nothing completed.
 */
static void test_unmapped_under_waiter(void)
{
	struct fix f;
	uint8_t *hole;

	fix_open(&f, DWQ, 256u << 10);
	hole = f.dst + (f.n / 2 & ~4095u);
	coop_test_hold(COOP_HOLD_WAITER);
	fix_memmove(&f, f.n, IDXD_OP_FLAG_BOF);
	fix_published(&f, 1);
	T_EQ(munmap(hole, 4096), 0);
	T_EQ(sva_wait(f.cr, TIMEOUT_NS), 0);
	coop_test_hold(0);
	T_EQ(f.cr->status, DSA_COMP_PAGE_FAULT_IR);
	T_EQ(f.cr->bytes_completed, 0);
	T_CHECK(f.cr->fault_addr >= (uint64_t)(uintptr_t)hole &&
			f.cr->fault_addr < (uint64_t)(uintptr_t)hole + 4096,
		"fault_addr 0x%llx outside the unmapped page", (unsigned long long)f.cr->fault_addr);
	T_EQ(sva_drain_wq(dev, DWQ), 0);
	T_EQ(fix_delta(&f, COOP_STAT_HELPER_RECORDS), 0);
	fix_close(&f);
}

/*
 * A record page the device cannot write: the waiter ran the whole copy but
 * leaves the record to the engine, which reports SWERROR 0x1a as always.
 */
static void test_record_unwritable(void)
{
	struct dsa_hw_desc d;
	uint64_t sw[4];
	struct fix f;

	fix_open(&f, DWQ, 256u << 10);
	sva_swerror_clear(dev);
	coop_test_hold(COOP_HOLD_WAITER);
	sva_prep_memmove(&d, f.dst, f.src, f.n, f.cr, 0);
	T_EQ(mprotect(f.cr, 4096, PROT_READ), 0);
	submit(f.p, DWQ, &d);
	T_EQ(sva_wait(f.cr, 300000000ll), -ETIMEDOUT);
	coop_test_hold(0);
	T_EQ(sva_drain_wq(dev, DWQ), 0);
	T_EQ(f.cr->status, 0);
	T_CHECK(all_bytes(f.dst, f.n, f.src), "memmove differs");
	T_EQ(fix_delta(&f, COOP_STAT_HELPED_BYTES), f.n);
	T_EQ(fix_delta(&f, COOP_STAT_HELPER_RECORDS), 0);
	T_EQ(sva_swerror(dev, sw), 0);
	T_EQ(sw[0] & 1, 1);
	T_EQ((sw[0] >> 8) & 0xff, DSA_COMP_CRA_XLAT);
	sva_swerror_clear(dev);
	fix_close(&f);
}

struct waiter {
	const struct dsa_completion_record *cr;
	_Atomic int go;
	int ret;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	while (!atomic_load(&w->go))
		sched_yield();
	w->ret = sva_wait(w->cr, TIMEOUT_NS);
	return NULL;
}

/* Three threads wait on one record: all see success, the record is written once. */
static void test_same_record(void)
{
	struct fix f;

	fix_open(&f, DWQ, 1u << 20);
	for (int round = 0; round < 20; round++) {
		struct waiter w[2] = { { f.cr, 0, -1 }, { f.cr, 0, -1 } };
		pthread_t t[2];

		t_fill_random(f.src, f.n);
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, waiter_main, &w[i]);
		fix_memmove(&f, f.n, 0);
		for (int i = 0; i < 2; i++)
			atomic_store(&w[i].go, 1);
		fix_wait_ok(&f);
		for (int i = 0; i < 2; i++) {
			pthread_join(t[i], NULL);
			T_EQ(w[i].ret, 0);
		}
		T_CHECK(all_bytes(f.dst, f.n, f.src), "round %d: memmove differs", round);
		/* No second write of the record may follow: clear it and let the engines go idle. */
		f.cr->status = 0;
		T_EQ(sva_drain_wq(dev, DWQ), 0);
		T_EQ(f.cr->status, 0);
	}
	fix_close(&f);
}

struct submitter {
	int id;
	int ret;
};

/* Each submitter copies through the SWQ (two engines) and checks every byte. */
static void *submitter_main(void *arg)
{
	struct submitter *s = arg;
	static const uint32_t sizes[] = { 32u << 10, 64u << 10, (128u << 10) + 64, 300005 };
	struct dsa_completion_record *cr = aligned_alloc(32, sizeof(*cr));
	uint8_t *src = t_map(512u << 10), *dst = t_map(512u << 10);
	struct sva_portal *p;

	s->ret = sva_portal_open(dev, SWQ, 0, &p);
	for (int i = 0; i < 200 && !s->ret; i++) {
		uint32_t n = sizes[(i + s->id) % 4];
		struct dsa_hw_desc d;
		int r;

		memset(src, (uint8_t)(i * 7 + s->id), n);
		src[i % n] ^= 0xff;
		sva_prep_memmove(&d, dst, src, n, cr, 0);
		while ((r = sva_enqcmd(p, &d)) == 1)
			sched_yield();
		if (r || sva_wait(cr, TIMEOUT_NS) || cr->status != DSA_COMP_SUCCESS ||
		    memcmp(dst, src, n))
			s->ret = -1;
	}
	sva_portal_close(p);
	t_unmap(src, 512u << 10);
	t_unmap(dst, 512u << 10);
	free(cr);
	return NULL;
}

static void test_concurrent_submitters(void)
{
	struct submitter s[3];
	pthread_t t[3];
	uint64_t c0[COOP_STAT_NR], c1[COOP_STAT_NR];

	coop_stats(c0);
	for (int i = 0; i < 3; i++) {
		s[i] = (struct submitter){ i, -1 };
		pthread_create(&t[i], NULL, submitter_main, &s[i]);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		T_EQ(s[i].ret, 0);
	}
	coop_stats(c1);
	/*
	 * Each engine publishes at least its first jobs; whether a waiter
	 * arrives in time is up to the scheduler, so only the bytes are checked.
	 */
	T_CHECK(c1[COOP_STAT_JOBS] - c0[COOP_STAT_JOBS] > 0, "no copy was shared");
}

/* A Drain behind a shared copy completes after the copy's record. */
static void test_drain_after_shared(void)
{
	static struct dsa_completion_record drain_cr __attribute__((aligned(32)));
	struct fix f;

	fix_open(&f, DWQ, 4u << 20);
	for (int round = 0; round < 10; round++) {
		struct waiter w = { f.cr, 1, -1 };
		struct dsa_hw_desc d;
		pthread_t t;

		fix_memmove(&f, f.n, 0);
		pthread_create(&t, NULL, waiter_main, &w);
		sva_prep_drain(&d, &drain_cr, 0);
		submit(f.p, DWQ, &d);
		while (!sva_poll(&drain_cr))
			sched_yield();
		/* Seen the Drain's record: the copy's record is there. */
		T_EQ(sva_poll(f.cr), DSA_COMP_SUCCESS);
		pthread_join(t, NULL);
		T_EQ(w.ret, 0);
	}
	fix_close(&f);
}

/* A fork child must not take part in a job of the parent's engines. */
static void test_fork_child(void)
{
	struct fix f;
	pid_t pid;

	fix_open(&f, DWQ, 1u << 20);
	coop_test_hold(COOP_HOLD_WAITER);
	fix_memmove(&f, f.n, 0);
	fix_published(&f, 1);
	pid = t_fork_quiet();
	if (pid == 0) {
		/* The published job is the parent's: nothing to take, nothing written. */
		int took = sva_wait_help(f.cr, -1);

		_exit(took == 0 && f.cr->status == 0 ? 0 : 1);
	}
	T_EQ(t_child_fate(pid), -1);
	fix_wait_ok(&f);
	coop_test_hold(0);
	T_CHECK(all_bytes(f.dst, f.n, f.src), "memmove differs");
	fix_close(&f);
}

/*
 * These provoke faults that the DMA guard catches; under TSan the fault
 * lands inside the sanitizer's atomic interceptors, which die of it.
 */
static bool guard_faults_work(void)
{
#ifdef SVA_SANITIZED_THREAD
	return false;
#else
	return true;
#endif
}

int main(void)
{
	t_seed(0xc00b);
	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	test_waiter_executes();
	test_engine_alone();
	test_handoff();
	test_idle_engine_probes();
	test_budget();
	test_overlap();
	if (guard_faults_work()) {
		test_fault_later();
		test_unmapped_under_waiter();
		test_record_unwritable();
	} else {
		printf("fault subtests skipped under TSan (the other builds run them)\n");
	}
	test_same_record();
	test_concurrent_submitters();
	test_drain_after_shared();
	test_fork_child();
	sva_device_free(dev);
	return t_done("api/coop_wait");
}
