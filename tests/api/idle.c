/* SPDX-License-Identifier: MIT */
/*
 * Description: the idle policy (issue: engines spin, back off, then sleep
 * on a futex). A default device with four engines, left idle for one
 * second after some work, must use under 1% of a core (CPU time of the
 * whole process, measured with getrusage, not wall-clock timing), and must
 * still wake promptly for the next descriptor.
 */
#include <sys/resource.h>
#include <unistd.h>

#include "harness.h"
#include "lib/lib.h"

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(void)
{
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	struct sva_device *dev;
	struct sva_portal *p;
	struct dsa_hw_desc d;
	struct sva_engine_stats es = { .size = sizeof(es) };
	double c0, used;

	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	T_EQ(sva_portal_open(dev, 0, 0, &p), 0);
	sva_prep_noop(&d, &cr, 0);
	T_EQ(sva_enqcmd(p, &d), 0);
	T_EQ(sva_wait(&cr, 5000000000ll), 0);
	usleep(100 * 1000);	/* let the engines finish spinning */
	c0 = cpu_s();
	sleep(1);
	used = cpu_s() - c0;
	printf("idle device: %.2f ms of CPU in 1 s (%.3f%% of a core)\n", used * 1e3, used * 100);
	T_CHECK(used < 0.01, "idle CPU %.4f s >= 1%% of a core", used);
	T_EQ(sva_engine_stats(dev, 0, &es), 0);
	T_CHECK(es.sleeps > 0, "engine 0 never slept");
	/* Wakeup after sleeping: the next descriptor completes. */
	sva_prep_noop(&d, &cr, 0);
	T_EQ(sva_enqcmd(p, &d), 0);
	T_EQ(sva_wait(&cr, 5000000000ll), 0);
	T_EQ(sva_poll(&cr), DSA_COMP_SUCCESS);
	sva_portal_close(p);
	sva_device_free(dev);
	return t_done("api/idle");
}
