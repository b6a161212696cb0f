/* SPDX-License-Identifier: MIT */
/*
 * Description: enabling and disabling while busy (dsa-device.md §2, DEV-3):
 * four threads submit to the shared WQ with retry while the main thread
 * disables and re-enables the WQ, then the whole device, many times. Every
 * descriptor that was accepted must complete with its record; refused ones
 * must leave no trace. Then the device is freed with work in flight, which
 * must complete it all before returning (clean shutdown).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "lib/lib.h"

#define THREADS 4
#define PER_THREAD 20000

static struct sva_device *dev;
static struct sva_portal *portals[THREADS];
static struct dsa_completion_record *crs;
static uint8_t *accepted;

static void *submitter(void *arg)
{
	uintptr_t t = (uintptr_t)arg;
	struct sva_portal *p = portals[t];
	struct dsa_hw_desc d;

	for (int i = 0; i < PER_THREAD; i++) {
		size_t k = t * PER_THREAD + (size_t)i;

		sva_prep_noop(&d, &crs[k], 0);
		/* Retry a bounded number of times, as DTO and dsa_test do, then give up. */
		for (int tries = 0; tries < 64; tries++) {
			if (sva_enqcmd(p, &d) == 0) {
				accepted[k] = 1;
				break;
			}
			sva_cpu_relax();
		}
	}
	return NULL;
}

int main(void)
{
	size_t total = THREADS * PER_THREAD;
	pthread_t th[THREADS];
	uint64_t n_acc = 0, bad = 0;

	crs = mmap(NULL, total * sizeof(*crs), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	accepted = calloc(total, 1);
	if (crs == MAP_FAILED || !accepted)
		T_FATAL("alloc");
	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	for (uintptr_t t = 0; t < THREADS; t++) {
		/* Open first: an open while the WQ is disabled is -ENODEV. */
		if (sva_portal_open(dev, 0, 0, &portals[t]))
			T_FATAL("portal");
		pthread_create(&th[t], NULL, submitter, (void *)t);
	}
	for (int round = 0; round < 20; round++) {
		usleep(500);
		T_EQ(sva_wq_disable(dev, 0), 0);
		usleep(200);
		T_EQ(sva_wq_enable(dev, 0), 0);
		if (round % 5 == 4) {
			/* The whole device: disable drains and disables every WQ. */
			T_EQ(sva_device_disable(dev), 0);
			usleep(200);
			T_EQ(sva_device_enable(dev), 0);
			T_EQ(sva_wq_enable(dev, 0), 0);
			T_EQ(sva_wq_enable(dev, 1), 0);
		}
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < THREADS; t++)
		sva_portal_close(portals[t]);
	for (size_t k = 0; k < total; k++) {
		uint8_t st = sva_poll(&crs[k]);

		n_acc += accepted[k];
		if (accepted[k] ? st != DSA_COMP_SUCCESS : st != 0)
			bad++;
	}
	printf("%llu of %zu accepted across 20 disable/enable cycles\n",
	       (unsigned long long)n_acc, total);
	T_EQ(bad, 0);
	T_CHECK(n_acc > 0, "nothing accepted");

	/* Clean shutdown with work in flight: freeing drains first. */
	struct sva_portal *p;
	struct dsa_hw_desc d;

	memset(crs, 0, total * sizeof(*crs));
	T_EQ(sva_portal_open(dev, 1, 0, &p), 0);
	rt_pause(dev->rt, true);
	for (int i = 0; i < 64; i++) {
		sva_prep_noop(&d, &crs[i], 0);
		sva_movdir64b(p, &d);
	}
	rt_pause(dev->rt, false);
	sva_portal_close(p);
	sva_device_free(dev);
	for (int i = 0; i < 64; i++)
		T_EQ(sva_poll(&crs[i]), DSA_COMP_SUCCESS);
	return t_done("stress/enable_disable");
}
