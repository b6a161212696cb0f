/* SPDX-License-Identifier: MIT */
/*
 * Description: admission is exact under concurrent submitters (dsa-device.md
 * §3, DEV-3). With dispatch frozen, four threads started together race on
 * one SWQ (size 64, threshold 48): through limited portals exactly 48 are
 * accepted; then, from an empty queue again, through two limited and two
 * unlimited portals exactly 64, of which at most 48 limited. Four threads
 * posting to one DWQ (size 64) get exactly 64 accepted and the rest dropped.
 * Between phases the queues drain, so the submitters' snapshot of the head
 * goes stale and must be refreshed (a refusal is final only after a fresh
 * read), and every fifth round disables and re-enables both WQs (positions
 * continue across the restart; the DWQ's portal is reopened). Every
 * accepted descriptor completes once, refused ones leave their record
 * untouched, and the WQ counters match.
 */
#include <pthread.h>
#include <string.h>

#include "harness.h"
#include "lib/lib.h"

#define THREADS	4
#define TRIES	40	/* per thread and phase: 160 > 64 */
#define ROUNDS	60

enum { SWQ = 0, DWQ = 1 };

struct job {
	pthread_t th;
	struct sva_portal *p;
	bool posted;
	struct dsa_completion_record cr[TRIES] __attribute__((aligned(32)));
	int accepted;
};

static struct sva_device *dev;
static struct job jobs[THREADS];
static _Atomic int ready, go;

static void *submitter(void *arg)
{
	struct job *j = arg;
	struct dsa_hw_desc d;

	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&go))
		sva_cpu_relax();
	for (int i = 0; i < TRIES; i++) {
		int r;

		sva_prep_noop(&d, &j->cr[i], 0);
		r = j->posted ? sva_movdir64b(j->p, &d) : sva_enqcmd(j->p, &d);
		if (r < 0)
			T_FATAL("submit: %d", r);
		/* A post returns 0 either way; its record tells whether it was accepted. */
		if (!j->posted && r == 0)
			j->accepted++;
	}
	return NULL;
}

/*
 * One phase with dispatch frozen: every thread submits TRIES NOOPs through
 * its portal at once. Returns the accepted count of the threads in [lo, hi).
 */
static int phase(unsigned int wq, int lo, int hi, int *ret_total)
{
	int part = 0, total = 0;

	rt_pause(dev->rt, true);
	atomic_store(&ready, 0);
	atomic_store(&go, 0);
	for (int t = 0; t < THREADS; t++) {
		memset(jobs[t].cr, 0, sizeof(jobs[t].cr));
		jobs[t].accepted = 0;
		pthread_create(&jobs[t].th, NULL, submitter, &jobs[t]);
	}
	while (atomic_load(&ready) < THREADS)
		sva_cpu_relax();
	atomic_store(&go, 1);
	for (int t = 0; t < THREADS; t++)
		pthread_join(jobs[t].th, NULL);
	rt_pause(dev->rt, false);
	T_EQ(sva_drain_wq(dev, wq), 0);
	for (int t = 0; t < THREADS; t++) {
		int done = 0, bad = 0;

		for (int i = 0; i < TRIES; i++) {
			if (jobs[t].cr[i].status == DSA_COMP_SUCCESS)
				done++;
			else if (jobs[t].cr[i].status != 0)
				bad++;
		}
		T_EQ(bad, 0);
		if (jobs[t].posted)
			jobs[t].accepted = done;
		else	/* accepted ones completed, refused ones untouched */
			T_EQ(done, jobs[t].accepted);
		total += jobs[t].accepted;
		if (t >= lo && t < hi)
			part += jobs[t].accepted;
	}
	*ret_total = total;
	return part;
}

int main(void)
{
	struct sva_portal *lim[THREADS], *unl[2], *dwq;
	struct sva_wq_stats st = { .size = sizeof(st) };
	uint64_t swq_acc = 0, dwq_acc = 0, dropped = 0;
	uint32_t pasid;
	int total, part;

	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	T_EQ(sva_bind(dev, &pasid), 0);
	for (int t = 0; t < THREADS; t++)
		T_EQ(sva_portal_open(dev, SWQ, SVA_PORTAL_LIMITED, &lim[t]), 0);
	for (int t = 0; t < 2; t++)
		T_EQ(sva_portal_open(dev, SWQ, SVA_PORTAL_UNLIMITED, &unl[t]), 0);
	T_EQ(sva_portal_open(dev, DWQ, 0, &dwq), 0);
	for (int round = 0; round < ROUNDS; round++) {
		/* Limited only: exactly the threshold. */
		for (int t = 0; t < THREADS; t++)
			jobs[t] = (struct job){ .p = lim[t] };
		phase(SWQ, 0, THREADS, &total);
		T_EQ(total, 48);
		swq_acc += (uint64_t)total;
		/* Two limited, two unlimited: exactly the size, at most 48 limited. */
		for (int t = 2; t < THREADS; t++)
			jobs[t] = (struct job){ .p = unl[t - 2] };
		part = phase(SWQ, 0, 2, &total);
		T_EQ(total, 64);
		T_CHECK(part <= 48, "round %d: %d accepted through limited portals", round, part);
		swq_acc += (uint64_t)total;
		/* Posted to the DWQ: exactly the size, the rest dropped. */
		for (int t = 0; t < THREADS; t++)
			jobs[t] = (struct job){ .p = dwq, .posted = true };
		phase(DWQ, 0, THREADS, &total);
		T_EQ(total, 64);
		dwq_acc += (uint64_t)total;
		dropped += (uint64_t)(THREADS * TRIES - total);
		if (t_failures)
			break;
		if (round % 5 == 4) {
			/* SWQ portals survive a restart; a DWQ is owned again by a new open. */
			T_EQ(sva_wq_disable(dev, SWQ), 0);
			T_EQ(sva_wq_enable(dev, SWQ), 0);
			sva_portal_close(dwq);
			T_EQ(sva_wq_disable(dev, DWQ), 0);
			T_EQ(sva_wq_enable(dev, DWQ), 0);
			T_EQ(sva_portal_open(dev, DWQ, 0, &dwq), 0);
		}
	}
	T_EQ(sva_wq_stats(dev, SWQ, &st), 0);
	T_EQ(st.accepted, swq_acc);
	T_EQ(st.completed, swq_acc);
	T_EQ(st.occupancy, 0);
	T_EQ(sva_wq_stats(dev, DWQ, &st), 0);
	T_EQ(st.accepted, dwq_acc);
	T_EQ(st.dropped, dropped);
	T_EQ(st.occupancy, 0);
	for (int t = 0; t < THREADS; t++)
		sva_portal_close(lim[t]);
	for (int t = 0; t < 2; t++)
		sva_portal_close(unl[t]);
	sva_portal_close(dwq);
	sva_unbind(dev);
	sva_device_free(dev);
	return t_done("stress/admission_bound");
}
