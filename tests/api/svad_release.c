/* SPDX-License-Identifier: MIT */
/*
 * Description: releases do not hold svad up. A client queues 64 MEMMOVEs
 * of 32 MiB and closes its portal, which drains them (idxd's release);
 * while that drain runs (svad reports it in `releasing`), another client
 * connects and is served, and the closing client's sva_portal_close() has
 * not returned yet. Then the close returns with every copy complete and
 * correct, and nothing is left releasing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

#define N	64
#define LEN	(32u << 20)

static struct dsa_completion_record crs[N] __attribute__((aligned(32)));

static void closer(const char *sock, int wr)
{
	uint8_t *src = t_map(LEN), *dst = t_map(LEN);
	struct sva_device *dev;
	struct sva_portal *p;
	struct dsa_hw_desc d;
	int bad = 0;

	if (sva_device_connect(sock, "dsa0", &dev) ||
	    sva_portal_open(dev, 0, SVA_PORTAL_UNLIMITED, &p))
		_exit(2);
	t_fill_random(src, LEN);
	for (int i = 0; i < N; i++) {
		sva_prep_memmove(&d, dst, src, LEN, &crs[i], 0);
		while (sva_enqcmd(p, &d) == 1)
			;
	}
	if (write(wr, "s", 1) != 1)
		_exit(3);
	sva_portal_close(p);	/* drains all of them */
	if (write(wr, "c", 1) != 1)
		_exit(3);
	for (int i = 0; i < N; i++)
		bad += crs[i].status != DSA_COMP_SUCCESS;
	bad += memcmp(src, dst, LEN) != 0;
	sva_device_free(dev);
	_exit(bad ? 1 : 0);
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	struct sva_daemon_stats st = { .size = sizeof(st) };
	struct sva_device *dev = NULL;
	struct t_svad sv;
	int pfd[2], n;
	char c = 0;
	pid_t pid;

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	if (pipe(pfd))
		T_FATAL("pipe");
	pid = t_fork_quiet();
	if (pid == 0)
		closer(sv.socket, pfd[1]);
	if (read(pfd[0], &c, 1) != 1 || c != 's')
		T_FATAL("closer failed");
	/* A new connection is served while the release drains. */
	T_EQ(sva_device_connect(sv.socket, "dsa0", &dev), 0);
	if (!dev)
		T_FATAL("connect during a release");
	for (n = 0; n < 100000; n++) {
		T_EQ(sva_daemon_stats(dev, &st), 0);
		if (st.releasing)
			break;
		usleep(100);
	}
	T_EQ(st.releasing, 1);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	T_CHECK(read(pfd[0], &c, 1) < 0 && errno == EAGAIN, "close returned before its drain");
	T_EQ(t_child_fate(pid), -1);
	for (n = 0; n < 1000; n++) {
		T_EQ(sva_daemon_stats(dev, &st), 0);
		if (!st.releasing && st.clients == 1)
			break;
		usleep(10000);
	}
	T_EQ(st.releasing, 0);
	T_EQ(st.portals, 0);
	sva_device_free(dev);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	return t_done("svad_release");
}
