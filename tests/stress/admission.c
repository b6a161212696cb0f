/* SPDX-License-Identifier: MIT */
/*
 * Description: SWQ admission under contention (dsa-device.md §3, DEV-3):
 * 8 threads submit 1,000,000 descriptors in total to one shared WQ through
 * ENQCMD with retry. Every descriptor has its own completion record; every
 * record must be written exactly once with success, and the WQ's accepted
 * and completed counters must equal the submissions: nothing lost, nothing
 * duplicated, no spurious Retry left unaccounted. SVA_STRESS_SCALE divides
 * the count (sanitizer builds).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "lib/lib.h"

#define THREADS 8

static struct sva_device *dev;
static struct dsa_completion_record *crs;
static uint64_t per_thread;
static _Atomic uint64_t retries;

static void *submitter(void *arg)
{
	uintptr_t t = (uintptr_t)arg;
	struct sva_portal *p;
	struct dsa_hw_desc d;

	if (sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p))
		T_FATAL("portal open");
	for (uint64_t i = 0; i < per_thread; i++) {
		struct dsa_completion_record *cr = &crs[t * per_thread + i];
		int r;

		/* A NOOP with a record: the record is the proof of one completion. */
		sva_prep_noop(&d, cr, 0);
		while ((r = sva_enqcmd(p, &d)) == 1) {
			atomic_fetch_add_explicit(&retries, 1, memory_order_relaxed);
			sva_cpu_relax();
		}
		if (r)
			T_FATAL("enqcmd: %d", r);
	}
	sva_portal_close(p);	/* drains this process's work on the SWQ */
	return NULL;
}

int main(void)
{
	const char *scale = getenv("SVA_STRESS_SCALE");
	uint64_t total = 1000000 / (scale ? strtoull(scale, NULL, 0) : 1);
	struct sva_wq_stats st = { .size = sizeof(st) };
	pthread_t th[THREADS];
	uint64_t bad = 0;

	per_thread = total / THREADS;
	total = per_thread * THREADS;
	crs = mmap(NULL, total * sizeof(*crs), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (crs == MAP_FAILED)
		T_FATAL("mmap");
	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	for (uintptr_t t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, submitter, (void *)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	/* Every record written exactly once: status success, nothing else touched. */
	for (uint64_t i = 0; i < total; i++) {
		if (sva_poll(&crs[i]) != DSA_COMP_SUCCESS)
			bad++;
	}
	T_EQ(bad, 0);
	T_EQ(sva_wq_stats(dev, 0, &st), 0);
	T_EQ(st.accepted, total);
	T_EQ(st.completed, total);
	T_EQ(st.retries, atomic_load(&retries));
	T_EQ(st.occupancy, 0);
	printf("%llu descriptors from %d threads, %llu retries\n", (unsigned long long)total,
	       THREADS, (unsigned long long)st.retries);
	sva_device_free(dev);
	return t_done("stress/admission");
}
