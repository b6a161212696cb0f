/* SPDX-License-Identifier: MIT */
/*
 * Description: several client processes on one svad shared WQ at once.
 * 4 processes x 2 threads each submit 2,000 MEMMOVEs of random sizes
 * through one portal per process (threads share it, as they may), every
 * result verified in the submitter's own memory, while the parent keeps
 * issuing control requests (counters, attributes, drains) on its own
 * connection. svad's counters add up: every descriptor admitted once.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

#define NPROCS		4
#define NTHREADS	2
#define PER_THREAD	2000
#define MAXLEN		16384

struct worker {
	pthread_t tid;
	struct sva_portal *p;
	uint64_t seed;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static _Thread_local struct dsa_completion_record cr __attribute__((aligned(32)));
	uint8_t *src = t_map(MAXLEN), *dst = t_map(MAXLEN);
	uint64_t x = w->seed;

	for (int i = 0; i < PER_THREAD; i++) {
		struct dsa_hw_desc d;
		uint32_t len;
		int r;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = 64 + (uint32_t)(x % (MAXLEN - 64));
		memset(src, (int)(x >> 24), len);
		src[len - 1] = (uint8_t)i;
		sva_prep_memmove(&d, dst, src, len, &cr, 0);
		while ((r = sva_enqcmd(w->p, &d)) == 1)
			;
		if (r || sva_wait(&cr, 20ll * 1000000000) || cr.status != DSA_COMP_SUCCESS ||
		    memcmp(src, dst, len)) {
			if (w->failures++ < 3)
				fprintf(stderr, "pid %d desc %d: r %d status 0x%x\n", (int)getpid(),
					i, r, cr.status);
		}
	}
	t_unmap(src, MAXLEN);
	t_unmap(dst, MAXLEN);
	return NULL;
}

static void client(const char *sock, int idx)
{
	struct worker w[NTHREADS];
	struct sva_device *dev;
	struct sva_portal *p;
	int failures = 0;

	if (sva_device_connect(sock, "dsa0", &dev) ||
	    sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p))
		_exit(2);
	for (int t = 0; t < NTHREADS; t++) {
		w[t] = (struct worker){ .p = p, .seed = 0x9e3779b97f4a7c15ull * (idx * 8 + t + 1) };
		pthread_create(&w[t].tid, NULL, worker_main, &w[t]);
	}
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(w[t].tid, NULL);
		failures += w[t].failures;
	}
	sva_portal_close(p);
	sva_device_free(dev);
	_exit(failures ? 1 : 0);
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	struct sva_daemon_stats st = { .size = sizeof(st) };
	struct sva_device *dev = NULL;
	pid_t pid[NPROCS];
	struct t_svad sv;
	uint64_t base;
	char buf[64];

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	if (sva_device_connect(sv.socket, "dsa0", &dev) || sva_daemon_stats(dev, &st))
		T_FATAL("connect");
	base = st.clients_total;	/* svad also counts t_svad_start's readiness probe */
	for (int i = 0; i < NPROCS; i++) {
		pid[i] = t_fork_quiet();
		if (pid[i] == 0)
			client(sv.socket, i);
	}
	/* Control traffic while the clients run, until all of them have left svad. */
	for (int n = 0; n < 60000; n++) {
		struct sva_wq_stats ws = { .size = sizeof(ws) };

		T_EQ(sva_wq_stats(dev, 0, &ws), 0);
		T_CHECK(sva_attr_get(dev, "wq0.0", "clients", buf, sizeof(buf)) > 0, "clients");
		T_EQ(sva_drain_wq(dev, 0), 0);
		T_EQ(sva_daemon_stats(dev, &st), 0);
		if (st.clients_total == base + NPROCS && st.clients == 1)
			break;
		usleep(1000);
	}
	for (int i = 0; i < NPROCS; i++)
		T_EQ(t_child_fate(pid[i]), -1);
	T_EQ(sva_daemon_stats(dev, &st), 0);
	T_EQ(st.enq_accepted, NPROCS * NTHREADS * PER_THREAD);
	T_EQ(st.clients_total, base + NPROCS);
	sva_device_free(dev);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	return t_done("svad_clients");
}
