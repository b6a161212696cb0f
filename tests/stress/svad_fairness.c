/* SPDX-License-Identifier: MIT */
/*
 * Description: fairness of one svad shared WQ (issue 5 §4). The WQ is
 * reconfigured by an admin client to size 32, and 16 client processes
 * each submit 100,000 MEMFILLs to it with ENQCMD, every one with its own
 * 8-byte destination, its own pattern and its own completion record. Each
 * result is verified when it completes; every record is then marked
 * consumed, and after a final drain a record written twice (a duplicate
 * execution) or a destination changed since shows up. svad's and the WQ's
 * counters must add up to exactly 16 x 100,000 (nothing lost, nothing
 * executed twice). Throughput is compared over the window in which all 16
 * run: from a common start until the first process finishes, each
 * process's completions in that window; Jain's fairness index
 * (sum x)^2 / (n * sum x^2) must be at least 0.8 and every process must
 * have made progress. Sanitizer builds run fewer descriptors and say so.
 */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

#define NPROC		16
#ifdef SVA_SANITIZED
#define PER_PROC	20000	/* ~7 s under ASan or TSan, within the CI budget */
#else
#define PER_PROC	100000
#endif
#define WQ_SIZE		"32"
#define WINDOW		8	/* descriptors in flight per process: 16 x 8 > 32, so retries */
#define CONSUMED	0x7f	/* not a DSA status: a record already checked */

struct shared {
	_Atomic int ready, go, snapped;
	_Atomic uint64_t done[NPROC];	/* completions verified so far */
	uint64_t snap[NPROC];		/* done[] when the first process finished */
	uint64_t retries[NPROC];
	uint64_t t0, t1;		/* the window: all started .. first finished */
};

static struct shared *sh;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t pattern(int idx, uint32_t i)
{
	return ((uint64_t)(idx + 1) << 48) ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull >> 16) ^ i;
}

/* Check record i and destination i, then mark the record consumed. */
static void consume(int idx, struct dsa_completion_record *cr, uint64_t *dst, uint32_t i)
{
	if (sva_wait(&cr[i], 30ll * 1000000000) || cr[i].status != DSA_COMP_SUCCESS ||
	    dst[i] != pattern(idx, i)) {
		if (t_failures++ < 3)
			fprintf(stderr, "client %d desc %u: status 0x%x dst 0x%llx\n", idx, i,
				cr[i].status, (unsigned long long)dst[i]);
	}
	cr[i].status = CONSUMED;
	atomic_store_explicit(&sh->done[idx], i + 1, memory_order_relaxed);
}

static void client(const char *sock, int idx)
{
	size_t crlen = PER_PROC * sizeof(struct dsa_completion_record);
	struct dsa_completion_record *cr = t_map(crlen);
	uint64_t *dst = t_map(PER_PROC * sizeof(uint64_t));
	struct sva_device *dev;
	struct sva_portal *p;
	uint32_t s = 0, c = 0;
	uint64_t retries = 0;

	t_failures = 0;
	if (sva_device_connect(sock, "dsa0", &dev) ||
	    sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p))
		_exit(2);
	atomic_fetch_add(&sh->ready, 1);
	while (!atomic_load(&sh->go))
		usleep(100);
	while (c < PER_PROC) {
		struct dsa_hw_desc d;
		int r;

		if (s == PER_PROC || s - c == WINDOW) {
			consume(idx, cr, dst, c++);
			continue;
		}
		sva_prep_memfill(&d, &dst[s], pattern(idx, s), sizeof(uint64_t), &cr[s], 0);
		r = sva_enqcmd(p, &d);
		if (r == 1) {
			/*
			 * Retry (ZF=1): the WQ is full. Complete our own oldest
			 * work first if there is any, else give the CPU away:
			 * spinning on Retry with 16 processes on 2 CPUs would
			 * starve the svad threads that empty the WQ.
			 */
			retries++;
			if (s > c)
				consume(idx, cr, dst, c++);
			else
				sched_yield();
			continue;
		}
		if (r) {
			fprintf(stderr, "client %d: enqcmd %d\n", idx, r);
			_exit(3);
		}
		s++;
	}
	if (atomic_exchange(&sh->snapped, 1) == 0) {
		sh->t1 = now_ns();
		for (int i = 0; i < NPROC; i++)
			sh->snap[i] = atomic_load(&sh->done[i]);
	}
	sh->retries[idx] = retries;
	/* Nothing may arrive late: after the drain every record is still consumed. */
	T_EQ(sva_drain_wq(dev, 0), 0);
	for (uint32_t i = 0; i < PER_PROC; i++) {
		if (cr[i].status != CONSUMED || dst[i] != pattern(idx, i)) {
			if (t_failures++ < 3)
				fprintf(stderr, "client %d desc %u rewritten: status 0x%x\n", idx, i,
					cr[i].status);
		}
	}
	sva_portal_close(p);
	sva_device_free(dev);
	_exit(t_failures ? 1 : 0);
}

static void configure(struct sva_device *dev)
{
	char buf[32];

	/* As in idxd, a WQ's size changes only while the device is disabled. */
	T_EQ(sva_wq_disable(dev, 0), 0);
	T_EQ(sva_device_disable(dev), 0);
	T_EQ(sva_attr_set(dev, "wq0.0", "size", WQ_SIZE), 0);
	/* Threshold = size: every client is a limited (ENQCMD) portal. */
	T_EQ(sva_attr_set(dev, "wq0.0", "threshold", WQ_SIZE), 0);
	T_EQ(sva_device_enable(dev), 0);
	T_EQ(sva_wq_enable(dev, 0), 0);
	T_CHECK(sva_attr_get(dev, "wq0.0", "size", buf, sizeof(buf)) > 0 && !strcmp(buf, WQ_SIZE),
		"size '%s'", buf);
	T_CHECK(sva_attr_get(dev, "wq0.0", "state", buf, sizeof(buf)) > 0 &&
			!strcmp(buf, "enabled"), "state '%s'", buf);
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	struct sva_daemon_stats st0 = { .size = sizeof(st0) }, st = st0;
	struct sva_wq_stats ws0 = { .size = sizeof(ws0) }, ws = ws0;
	double sum = 0, sum2 = 0, jain, secs;
	uint64_t total = (uint64_t)NPROC * PER_PROC, retries = 0, t_end;
	struct sva_device *dev;
	pid_t pid[NPROC];
	struct t_svad sv;

#ifdef SVA_SANITIZED
	printf("sanitizer build: %d descriptors per process instead of 100000\n", PER_PROC);
#endif
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		T_FATAL("mmap");
	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	if (sva_device_connect(sv.socket, "dsa0", &dev))
		T_FATAL("connect");
	configure(dev);
	T_EQ(sva_daemon_stats(dev, &st0), 0);
	T_EQ(sva_wq_stats(dev, 0, &ws0), 0);
	for (int i = 0; i < NPROC; i++) {
		pid[i] = t_fork_quiet();
		if (pid[i] == 0)
			client(sv.socket, i);
	}
	/* Start barrier: the window opens when all 16 have their portals. */
	for (int i = 0; i < 3000 && atomic_load(&sh->ready) < NPROC; i++)
		usleep(10000);
	T_EQ(atomic_load(&sh->ready), NPROC);
	sh->t0 = now_ns();
	atomic_store(&sh->go, 1);
	for (int i = 0; i < NPROC; i++)
		T_EQ(t_child_fate(pid[i]), -1);
	t_end = now_ns();

	for (int i = 0; i < NPROC; i++) {
		T_EQ(atomic_load(&sh->done[i]), PER_PROC);
		T_CHECK(sh->snap[i] > 0, "client %d made no progress while all ran", i);
		sum += (double)sh->snap[i];
		sum2 += (double)sh->snap[i] * (double)sh->snap[i];
		retries += sh->retries[i];
	}
	jain = sum2 > 0 ? sum * sum / (NPROC * sum2) : 0;
	secs = (double)(sh->t1 - sh->t0) / 1e9;
	printf("%d processes x %d MEMFILLs on one SWQ of size %s: %.2f s in all, "
	       "%.0f desc/s, %llu retries\n",
	       NPROC, PER_PROC, WQ_SIZE, (double)(t_end - sh->t0) / 1e9,
	       (double)total / ((double)(t_end - sh->t0) / 1e9), (unsigned long long)retries);
	printf("window with all %d running: %.2f s; completions per process:", NPROC, secs);
	for (int i = 0; i < NPROC; i++)
		printf(" %llu", (unsigned long long)sh->snap[i]);
	printf("\nJain's fairness index: %.4f\n", jain);
	T_CHECK(jain >= 0.8, "Jain's index %.4f < 0.8", jain);

	/* Exactly one admission and one execution per descriptor. */
	T_EQ(sva_daemon_stats(dev, &st), 0);
	T_EQ(sva_wq_stats(dev, 0, &ws), 0);
	T_EQ(st.enq_accepted - st0.enq_accepted, total);
	T_EQ(ws.accepted - ws0.accepted, total);
	T_EQ(ws.completed - ws0.completed, total);
	T_EQ(ws.aborted - ws0.aborted, 0);
	T_EQ(ws.retries - ws0.retries, retries);
	sva_device_free(dev);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	return t_done("svad_fairness");
}
