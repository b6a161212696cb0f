/* SPDX-License-Identifier: MIT */
/*
 * sigill_trap: the cost of a trapped ENQCMD next to a bare SIGILL round trip
 * (a handler that only skips a ud2), measured in the same run
 * (performance.md §3.3). Target: trapped ENQCMD <= 1.2x the bare round trip.
 * ENQCMD is emitted as bytes (F2 0F 38 F8 02: enqcmd (%rdx),%rax), so no
 * -menqcmd is needed. Median of 9 inner runs, range over 3 outer runs.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "sva/sva.h"

#define N 20000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void skip_ud2(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static int enqcmd_bytes(void *portal, const void *desc)
{
	unsigned char zf;

	__asm__ volatile(".byte 0xf2, 0x0f, 0x38, 0xf8, 0x02\n\tsetz %0"
			 : "=r"(zf) : "a"(portal), "d"(desc) : "memory", "cc");
	return zf;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	static struct dsa_hw_desc d __attribute__((aligned(64)));
	struct sva_device *dev;
	struct sva_portal *p;
	void *portal;
	struct sigaction sa, old;
	double bare[3], trap[3];

	if (sva_device_new(NULL, &dev) || sva_portal_open(dev, 0, 0, &p) ||
	    sva_portal_mmap(p, &portal))
		return 1;
	memset(&d, 0, sizeof(d));
	d.opcode = DSA_OPCODE_NOOP;	/* no record: nothing to wait for */
	for (int o = 0; o < 3; o++) {
		double in_bare[9], in_trap[9];

		for (int i = 0; i < 9; i++) {
			double t0;

			memset(&sa, 0, sizeof(sa));
			sa.sa_sigaction = skip_ud2;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGILL, &sa, &old);
			t0 = now_ns();
			for (int k = 0; k < N; k++)
				__asm__ volatile("ud2" ::: "memory");
			in_bare[i] = (now_ns() - t0) / N;
			sigaction(SIGILL, &old, NULL);

			sva_trap_install();
			t0 = now_ns();
			for (int k = 0; k < N; k++) {
				while (enqcmd_bytes(portal, &d))
					;
			}
			in_trap[i] = (now_ns() - t0) / N;
			sva_drain_wq(dev, 0);
		}
		qsort(in_bare, 9, sizeof(double), cmp);
		qsort(in_trap, 9, sizeof(double), cmp);
		bare[o] = in_bare[4];
		trap[o] = in_trap[4];
	}
	qsort(bare, 3, sizeof(double), cmp);
	qsort(trap, 3, sizeof(double), cmp);
	printf("bare SIGILL round trip   %8.0f ns [%.0f-%.0f]\n", bare[1], bare[0], bare[2]);
	printf("trapped ENQCMD (accepted) %7.0f ns [%.0f-%.0f]\n", trap[1], trap[0], trap[2]);
	printf("ratio %.2f (target <= 1.20)\n", trap[1] / bare[1]);
	sva_portal_munmap(p, portal);
	sva_portal_close(p);
	sva_device_free(dev);
	return 0;
}
