/* SPDX-License-Identifier: MIT */
/*
 * Description: the runtime's idle hook (rt_set_idle_hook, dsa.h), which svad
 * uses to let spinning engines serve its portal rings. On a default device:
 * a spinning engine polls the hook and calls end before it sleeps;
 * rt_set_idle_hook(NULL) returns only after a poll in progress has
 * returned, and no poll starts after it. On a device with one engine: a
 * poll that reports work keeps it spinning (100,000 polls, where an engine
 * that slept after each 50 us spin would poll a few thousand times in the
 * 5 s bound), it polls between two descriptors it executes back to back
 * (queued while it spins: the poll sees the first record written and not
 * the second), and it ends once polls find nothing.
 * No timing is asserted: the waits only bound a broken implementation.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "dsa/dsa.h"
#include "lib/lib.h"
#include "sva/sva_config.h"

#define BIG	(32u << 20)	/* a copy of some milliseconds */

/* One group, one engine, one shared WQ. */
static const char one_engine[] =
	"[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":\"group0.0\","
	"\"grouped_workqueues\":[{\"dev\":\"wq0.0\",\"mode\":\"shared\",\"size\":16,"
	"\"group_id\":0,\"priority\":10,\"type\":\"user\",\"name\":\"swq\","
	"\"threshold\":16}],\"grouped_engines\":[{\"dev\":\"engine0.0\",\"group_id\":0}]}]}]";
#define TRIES	5
static struct dsa_completion_record big_cr[TRIES][2] __attribute__((aligned(32)));
static _Atomic int try_no;	/* the pair the polls look at */
static _Atomic int between;	/* a poll saw big_cr[0] written and big_cr[1] not */

static _Atomic unsigned long polls, ends;
static _Atomic int busy;	/* polls report work while set */
static _Atomic int slow;	/* the next poll lingers (10 ms) */
static _Atomic int inside;	/* a poll is running */

static int poll_fn(void *arg)
{
	(void)arg;
	atomic_store(&inside, 1);
	atomic_fetch_add(&polls, 1);
	if (sva_poll(&big_cr[atomic_load(&try_no)][0]) &&
	    !sva_poll(&big_cr[atomic_load(&try_no)][1]))
		atomic_store(&between, 1);
	if (atomic_exchange(&slow, 0))
		usleep(10000);
	atomic_store(&inside, 0);
	return atomic_load(&busy);
}

static void end_fn(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ends, 1);
}

static const struct rt_idle_hook hook = { poll_fn, end_fn, NULL };

/* One NOOP through WQ 0: wakes an engine, which then spins. */
static void noop(struct sva_portal *p)
{
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	struct dsa_hw_desc d;

	sva_prep_noop(&d, &cr, 0);
	while (sva_enqcmd(p, &d) == 1)
		;
	T_EQ(sva_wait(&cr, 5000000000ll), 0);
	T_EQ(sva_poll(&cr), DSA_COMP_SUCCESS);
}

/* Wait (bounded) until *v >= want. */
static bool reaches(_Atomic unsigned long *v, unsigned long want)
{
	for (int i = 0; i < 5000 && atomic_load(v) < want; i++)
		usleep(1000);
	return atomic_load(v) >= want;
}



/* The checks that need a device with one engine (with more, any may spin). */
static void one_engine_device(void)
{
	struct sva_device_config cfg = {
		.size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
		.flags = SVA_CONFIG_UNCONFIGURED,
	};
	struct sva_device *dev;
	struct sva_portal *p;
	struct dsa_hw_desc d[TRIES][2];
	char err[256] = "";
	uint8_t *src = malloc(BIG), *dst = malloc(BIG);
	unsigned long e0;

	if (!src || !dst || sva_device_new(&cfg, &dev))
		T_FATAL("device");
	memset(src, 7, BIG);
	memset(dst, 0, BIG);	/* resident: no faults */
	T_EQ(sva_config_load_buf(dev, one_engine, strlen(one_engine), SVA_LOAD_ANY_NAME |
				 SVA_LOAD_ENABLE, err, sizeof(err)), 0);
	T_CHECK(!err[0], "%s", err);
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	if (!p)
		T_FATAL("portal");
	/* Prepared (records cleared) before any poll reads the records. */
	for (int t = 0; t < TRIES; t++)
		for (int i = 0; i < 2; i++)
			sva_prep_memmove(&d[t][i], dst, src, BIG, &big_cr[t][i], 0);
	rt_set_idle_hook(dev->rt, &hook);

	/* Polls that report work keep the engine spinning. */
	atomic_store(&busy, 1);
	noop(p);
	T_CHECK(reaches(&polls, atomic_load(&polls) + 100000),
		"polls stopped while they reported work");

	/*
	 * A poll between two descriptors executed back to back, queued while
	 * the engine spins (it polls between descriptors only after it has
	 * spun; a preemption longer than its spin window ends the spin, so a
	 * try may see no poll: up to TRIES tries, each with records of its own).
	 */
	for (int t = 0; t < TRIES && !atomic_load(&between); t++) {
		atomic_store(&try_no, t);
		T_CHECK(reaches(&polls, atomic_load(&polls) + 1000), "the engine does not spin");
		for (int i = 0; i < 2; i++)
			while (sva_enqcmd(p, &d[t][i]) == 1)
				;
		/*
		 * Spin, not sleep, on the records: while this thread sleeps the
		 * engine was seen passing through its idle loop between the two
		 * (each then took its ~1 ms), which this check would take for a
		 * poll between descriptors.
		 */
		for (int i = 0; i < 2; i++) {
			uint64_t t0 = sva__now_ns();

			while (!sva_poll(&big_cr[t][i]))
				if (sva__now_ns() - t0 > 10000000000ull)
					T_FATAL("copy %d of try %d not done", i, t);
			T_EQ(big_cr[t][i].status, DSA_COMP_SUCCESS);
		}
	}
	T_CHECK(atomic_load(&between), "no poll between two descriptors in %d tries", TRIES);

	/* Nothing found: the engine ends before it sleeps. */
	e0 = atomic_load(&ends);
	atomic_store(&busy, 0);
	T_CHECK(reaches(&ends, e0 + 1), "no end once polls found nothing");
	rt_set_idle_hook(dev->rt, NULL);
	sva_portal_close(p);
	sva_device_free(dev);
	free(src);
	free(dst);
}

int main(void)
{
	struct sva_device *dev;
	struct sva_portal *p;
	unsigned long n0;

	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	T_EQ(sva_portal_open(dev, 0, 0, &p), 0);
	rt_set_idle_hook(dev->rt, &hook);

	/* Idle after work: the spinner polls, then ends before it sleeps. */
	noop(p);
	T_CHECK(reaches(&ends, 1), "no end after the spin (%lu polls)", atomic_load(&polls));
	T_CHECK(atomic_load(&polls) > 0, "the spinning engine never polled");

	/* Detach waits for a poll in progress; none starts after it. */
	atomic_store(&slow, 1);
	noop(p);
	for (int i = 0; i < 5000 && !atomic_load(&inside) && atomic_load(&slow); i++)
		usleep(100);
	rt_set_idle_hook(dev->rt, NULL);
	T_EQ(atomic_load(&inside), 0);
	n0 = atomic_load(&polls);
	noop(p);
	usleep(20000);
	T_EQ(atomic_load(&polls), n0);

	sva_portal_close(p);
	sva_device_free(dev);
	one_engine_device();
	return t_done("api/idle_hook");
}
