/* SPDX-License-Identifier: MIT */
/*
 * Description: ENQCMD and MOVDIR64B executed natively by the program
 * (intrinsics) reach the WQ through the trap layer (system.md §5, SYS-8):
 * 4 threads submit 5,000 MEMMOVEs each with _enqcmd() on a mapped SWQ
 * portal, retrying on ZF=1 at any 64-byte offset of the page; a DWQ takes
 * _movdir64b() under sva_credits with nothing dropped; the trap counters
 * add up; ENQCMD to ordinary memory answers Retry and writes nothing;
 * MOVDIR64B to ordinary memory is a plain 64-byte store.
 */
#include <immintrin.h>
#include <pthread.h>
#include <string.h>

#include "harness.h"
#include "sva/sva.h"

#define NTHREADS	4
#define PER_THREAD	5000
#define XFER		64	/* bytes per MEMMOVE */
#define DWQ_DESCS	2000
#define WAIT_NS		(5ll * 1000000000ll)

static unsigned int ordinary_movdir_trapped;	/* 0: the CPU has MOVDIR64B */

struct worker {
	pthread_t tid;
	unsigned int idx;
	uint8_t *portal;
	struct dsa_completion_record *crs;	/* PER_THREAD, 32-byte aligned */
	uint8_t *src, *dst;			/* PER_THREAD * XFER each */
	uint64_t retries;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct dsa_hw_desc d __attribute__((aligned(64)));

	for (unsigned int i = 0; i < PER_THREAD; i++) {
		uint8_t *s = w->src + (size_t)i * XFER;

		for (unsigned int j = 0; j < XFER; j++)
			s[j] = (uint8_t)(w->idx * 131 + i * 7 + j);
		sva_prep_memmove(&d, w->dst + (size_t)i * XFER, s, XFER, &w->crs[i], 0);
		/* Rotate through the page, as idxd_wq_portal_addr() does. */
		void *dst = w->portal + (i % 64) * 64;

		while (_enqcmd(dst, &d)) {
			w->retries++;
			sva_cpu_relax();
		}
	}
	for (unsigned int i = 0; i < PER_THREAD; i++) {
		if (sva_wait(&w->crs[i], WAIT_NS) || sva_poll(&w->crs[i]) != DSA_COMP_SUCCESS) {
			if (w->failures++ < 5)
				fprintf(stderr, "thread %u desc %u: status 0x%x\n", w->idx, i,
					sva_poll(&w->crs[i]));
			continue;
		}
		if (memcmp(w->dst + (size_t)i * XFER, w->src + (size_t)i * XFER, XFER)) {
			if (w->failures++ < 5)
				fprintf(stderr, "thread %u desc %u: data differ\n", w->idx, i);
		}
	}
	return NULL;
}

static void test_swq(struct sva_device *dev)
{
	struct sva_portal *p;
	void *addr = NULL;
	struct worker w[NTHREADS];
	struct sva_wq_stats st = { .size = sizeof(st) };
	uint64_t retries = 0;

	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	T_EQ(sva_portal_mmap(p, &addr), 0);
	T_CHECK(addr && ((uintptr_t)addr & 4095) == 0, "portal address %p", addr);
	if (!addr)
		T_FATAL("no portal mapping");
	for (unsigned int t = 0; t < NTHREADS; t++) {
		w[t] = (struct worker){ .idx = t, .portal = addr };
		w[t].crs = t_map(PER_THREAD * sizeof(*w[t].crs));
		w[t].src = t_map(PER_THREAD * XFER);
		w[t].dst = t_map(PER_THREAD * XFER);
		T_EQ(pthread_create(&w[t].tid, NULL, worker_main, &w[t]), 0);
	}
	for (unsigned int t = 0; t < NTHREADS; t++) {
		pthread_join(w[t].tid, NULL);
		T_EQ(w[t].failures, 0);
		retries += w[t].retries;
		t_unmap(w[t].crs, PER_THREAD * sizeof(*w[t].crs));
		t_unmap(w[t].src, PER_THREAD * XFER);
		t_unmap(w[t].dst, PER_THREAD * XFER);
	}
	T_EQ(sva_wq_stats(dev, 0, &st), 0);
	T_CHECK(st.accepted >= NTHREADS * PER_THREAD, "accepted %llu",
		(unsigned long long)st.accepted);
	T_CHECK(st.retries >= retries, "wq retries %llu < ZF=1 seen %llu",
		(unsigned long long)st.retries, (unsigned long long)retries);
	printf("swq: %d descriptors, %llu retries\n", NTHREADS * PER_THREAD,
	       (unsigned long long)retries);
	T_EQ(sva_portal_munmap(p, addr), 0);
	sva_portal_close(p);
}

static void test_dwq(struct sva_device *dev)
{
	struct sva_portal *p;
	void *addr = NULL;
	struct sva_credits c;
	struct sva_wq_stats st = { .size = sizeof(st) };
	struct dsa_hw_desc d __attribute__((aligned(64)));
	struct dsa_completion_record *crs = t_map(DWQ_DESCS * sizeof(*crs));
	uint8_t *src = t_map(DWQ_DESCS * XFER), *dst = t_map(DWQ_DESCS * XFER);
	uint64_t sw[4];
	unsigned int done = 0, bad = 0;

	T_EQ(sva_portal_open(dev, 1, 0, &p), 0);
	T_EQ(sva_portal_mmap(p, &addr), 0);
	if (!addr)
		T_FATAL("no DWQ portal mapping");
	T_EQ(sva_swerror_clear(dev), 0);
	t_fill_random(src, DWQ_DESCS * XFER);
	sva_credits_init(&c, sva_portal_wq_size(p));
	for (unsigned int i = 0; i < DWQ_DESCS; i++) {
		/* No credit left: the oldest outstanding one must complete first. */
		while (sva_credits_take(&c)) {
			T_EQ(sva_wait(&crs[done], WAIT_NS), 0);
			done++;
			sva_credits_put(&c, 1);
		}
		sva_prep_memmove(&d, dst + (size_t)i * XFER, src + (size_t)i * XFER, XFER,
				 &crs[i], 0);
		_movdir64b((uint8_t *)addr + (i % 64) * 64, &d);
	}
	for (unsigned int i = 0; i < DWQ_DESCS; i++) {
		if (sva_wait(&crs[i], WAIT_NS) || sva_poll(&crs[i]) != DSA_COMP_SUCCESS ||
		    memcmp(dst + (size_t)i * XFER, src + (size_t)i * XFER, XFER))
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(sva_wq_stats(dev, 1, &st), 0);
	T_EQ(st.dropped, 0);
	T_CHECK(st.accepted >= DWQ_DESCS, "accepted %llu", (unsigned long long)st.accepted);
	T_EQ(sva_swerror(dev, sw), 0);
	T_EQ(sw[0] & 1, 0);	/* no SWERROR 0x53: credits never overflowed */
	T_EQ(sva_portal_munmap(p, addr), 0);
	sva_portal_close(p);
	t_unmap(crs, DWQ_DESCS * sizeof(*crs));
	t_unmap(src, DWQ_DESCS * XFER);
	t_unmap(dst, DWQ_DESCS * XFER);
}

static void test_ordinary_memory(void)
{
	uint8_t *buf = t_map(t_page()), before[128];
	struct dsa_hw_desc d __attribute__((aligned(64)));
	struct dsa_completion_record cr __attribute__((aligned(32)));
	uint8_t pattern[64] __attribute__((aligned(64)));
	struct sva_trap_stats ts = { .size = sizeof(ts) };
	uint64_t movdir_before;

	/* ENQCMD to an address that is not a WQ: Retry, nothing written. */
	memset(buf, 0xa5, 128);
	memcpy(before, buf, 128);
	sva_prep_noop(&d, &cr, 0);
	T_EQ(_enqcmd(buf + 64, &d), 1);
	T_CHECK(memcmp(buf, before, 128) == 0, "ENQCMD wrote ordinary memory");
	T_EQ(cr.status, 0);
	/* MOVDIR64B to ordinary memory: exactly those 64 bytes are stored. */
	for (unsigned int i = 0; i < 64; i++)
		pattern[i] = (uint8_t)(i * 3 + 1);
	T_EQ(sva_trap_stats(&ts), 0);
	movdir_before = ts.movdir64b;
	_movdir64b(buf + 64, pattern);
	T_EQ(sva_trap_stats(&ts), 0);
	/*
	 * Some CPUs (Zen 5) execute MOVDIR64B natively even when CPUID hides
	 * it: the store to ordinary memory then never traps. Both are right.
	 */
	ordinary_movdir_trapped = ts.movdir64b - movdir_before;
	T_CHECK(ordinary_movdir_trapped <= 1, "%u", ordinary_movdir_trapped);
	printf("MOVDIR64B to memory: %s\n", ordinary_movdir_trapped ? "emulated" : "native");
	T_CHECK(memcmp(buf + 64, pattern, 64) == 0, "MOVDIR64B did not store");
	T_CHECK(memcmp(buf, before, 64) == 0, "MOVDIR64B wrote before dst");
	t_unmap(buf, t_page());
}

int main(void)
{
	struct sva_device *dev;
	struct sva_trap_stats ts = { .size = sizeof(ts) };

	t_seed(0x7a9e1c3d);
	if (sva_device_new(NULL, &dev))
		T_FATAL("sva_device_new");
	T_EQ(sva_trap_install(), 0);
	T_EQ(sva_trap_install(), 0);	/* idempotent */
	test_swq(dev);
	test_dwq(dev);
	test_ordinary_memory();
	T_EQ(sva_trap_stats(&ts), 0);
	T_CHECK(ts.enqcmd >= NTHREADS * PER_THREAD + 1, "enqcmd %llu",
		(unsigned long long)ts.enqcmd);
	/* A native MOVDIR64B to the no-access portal page faults into the trap too. */
	T_CHECK(ts.movdir64b >= DWQ_DESCS + ordinary_movdir_trapped, "movdir64b %llu",
		(unsigned long long)ts.movdir64b);
	T_EQ(ts.chained, 0);
	/* Each worker thread and the main thread took exactly one fixup. */
	T_EQ(ts.fixups_process, NTHREADS + 1);
	T_EQ(ts.fixups_thread, 1);
	T_CHECK(sva_device_free(dev) == NULL, "sva_device_free");
	return t_done("api/trap_enqcmd");
}
