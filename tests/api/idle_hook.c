/* SPDX-License-Identifier: MIT */
/*
 * Description: the runtime's idle hook (rt_set_idle_hook, dsa.h), which svad
 * uses to let spinning engines serve its portal rings. On a default device:
 * a spinning engine polls the hook; a poll that reports work keeps it
 * spinning (no end while polls report work); once polls find nothing the
 * engine calls end before it sleeps; rt_set_idle_hook(NULL) returns only
 * after a poll in progress has returned, and no poll starts after it.
 * No timing is asserted: the waits only bound a broken implementation.
 */
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"
#include "dsa/dsa.h"
#include "lib/lib.h"

static _Atomic unsigned long polls, ends;
static _Atomic int busy;	/* polls report work while set */
static _Atomic int slow;	/* the next poll lingers (10 ms) */
static _Atomic int inside;	/* a poll is running */

static int poll_fn(void *arg)
{
	(void)arg;
	atomic_store(&inside, 1);
	atomic_fetch_add(&polls, 1);
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

int main(void)
{
	struct sva_device *dev;
	struct sva_portal *p;
	unsigned long e0, n0;

	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	T_EQ(sva_portal_open(dev, 0, 0, &p), 0);
	rt_set_idle_hook(dev->rt, &hook);

	/* Idle after work: the spinner polls, then ends before it sleeps. */
	noop(p);
	T_CHECK(reaches(&ends, 1), "no end after the spin (%lu polls)", atomic_load(&polls));
	T_CHECK(atomic_load(&polls) > 0, "the spinning engine never polled");

	/* Polls that find work keep it spinning: no end meanwhile. */
	atomic_store(&busy, 1);
	e0 = atomic_load(&ends);
	n0 = atomic_load(&polls);
	noop(p);
	T_CHECK(reaches(&polls, n0 + 100000), "polls stopped while they reported work");
	T_EQ(atomic_load(&ends), e0);
	atomic_store(&busy, 0);
	T_CHECK(reaches(&ends, e0 + 1), "no end once polls found nothing");

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
	return t_done("api/idle_hook");
}
