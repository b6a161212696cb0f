/* SPDX-License-Identifier: MIT */
/*
 * Description: lifecycle of svad and its clients (system.md §4.4, issue 5
 * §3). A client killed with SIGKILL in the middle of batches: svad aborts
 * and drains its work, frees its PASID, portal and ring (daemon counters
 * back to the baseline), and another client running at the same time
 * finishes with every result correct. svad killed with SIGKILL while three
 * clients submit: their calls return -ESHUTDOWN, none hangs. svad
 * restarted on the same path (the stale socket replaced): connect, bind
 * and MEMMOVE work again. SIGTERM with clients connected: a clean exit, the
 * socket removed, and the clients get -ESHUTDOWN.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

#define CHUNK	16384u
#define NB	8	/* batch members */

static const char *sock;

static int submit(struct sva_portal *p, struct dsa_hw_desc *d)
{
	int r;

	while ((r = sva_enqcmd(p, d)) == 1)
		;
	return r;
}

/* One verified MEMMOVE of CHUNK bytes; 0, or -errno from the API. */
static int one_copy(struct sva_portal *p, uint8_t *src, uint8_t *dst, int timeout_s)
{
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	struct dsa_hw_desc d;
	int r;

	t_fill_random(src, CHUNK);
	sva_prep_memmove(&d, dst, src, CHUNK, &cr, 0);
	r = submit(p, &d);
	if (r)
		return r;
	if (sva_wait(&cr, (int64_t)timeout_s * 1000000000))
		return -ETIMEDOUT;
	T_EQ(cr.status, DSA_COMP_SUCCESS);
	T_CHECK(!memcmp(src, dst, CHUNK), "copy differs");
	return 0;
}

static struct sva_portal *open_client(struct sva_device **ret_dev)
{
	struct sva_portal *p = NULL;

	if (sva_device_connect(sock, "dsa0", ret_dev) ||
	    sva_portal_open(*ret_dev, 0, SVA_PORTAL_LIMITED, &p))
		_exit(3);
	return p;
}

/* Client A: batches of MEMMOVEs forever; reports once, then gets killed. */
static void victim(int wr)
{
	static struct dsa_hw_desc list[NB] __attribute__((aligned(64)));
	static struct dsa_completion_record crs[NB + 1] __attribute__((aligned(32)));
	uint8_t *src = t_map(NB * CHUNK), *dst = t_map(NB * CHUNK);
	struct sva_device *dev;
	struct sva_portal *p = open_client(&dev);
	struct dsa_hw_desc d;

	for (unsigned long n = 0;; n++) {
		for (int i = 0; i < NB; i++)
			sva_prep_memmove(&list[i], dst + i * CHUNK, src + i * CHUNK, CHUNK, &crs[i], 0);
		sva_prep_batch(&d, list, NB, &crs[NB], 0);
		if (submit(p, &d))
			_exit(4);
		if (n == 10 && write(wr, "x", 1) != 1)
			_exit(5);
		/* Only every other batch is waited for: work stays in flight. */
		if (n & 1)
			sva_wait(&crs[NB], -1);
	}
}

/* Client B: n verified copies; exit status 0 when all were right. */
static void survivor(int n)
{
	uint8_t *src = t_map(CHUNK), *dst = t_map(CHUNK);
	struct sva_device *dev;
	struct sva_portal *p = open_client(&dev);

	t_failures = 0;
	for (int i = 0; i < n; i++)
		T_EQ(one_copy(p, src, dst, 20), 0);
	sva_portal_close(p);
	sva_device_free(dev);
	_exit(t_failures ? 1 : 0);
}

/* Client C: copies until svad is gone; then every call says so. */
static void orphan(int wr)
{
	uint8_t *src = t_map(CHUNK), *dst = t_map(CHUNK);
	struct sva_wq_stats st = { .size = sizeof(st) };
	struct sva_device *dev;
	struct sva_portal *p = open_client(&dev);
	uint32_t pasid;
	int r = 0;

	t_failures = 0;
	for (unsigned long n = 0; r != -ESHUTDOWN; n++) {
		if (n == 10 && write(wr, "x", 1) != 1)
			_exit(5);
		/* A copy accepted just before the crash never completes: time out. */
		r = one_copy(p, src, dst, 2);
		T_CHECK(!r || r == -ESHUTDOWN || r == -ETIMEDOUT, "copy: %d", r);
	}
	T_EQ(sva_bind(dev, &pasid), -ESHUTDOWN);
	T_EQ(sva_wq_stats(dev, 0, &st), -ESHUTDOWN);
	T_EQ(sva_movdir64b(p, &(struct dsa_hw_desc){ 0 }), -ESHUTDOWN);
	sva_portal_close(p);
	sva_device_free(dev);
	_exit(t_failures ? 1 : 0);
}

static pid_t spawn(void (*fn)(int), int arg)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0)
		fn(arg);
	return pid;
}

static void wait_byte(int rd)
{
	char c;

	if (read(rd, &c, 1) != 1)
		T_FATAL("client died before making progress");
}

/* Poll svad's counters until cond holds (10 s at most). */
#define WAIT_STATS(dev, st, cond)                                                  \
	do {                                                                      \
		for (int i_ = 0; i_ < 1000; i_++) {                               \
			T_EQ(sva_daemon_stats(dev, &(st)), 0);                    \
			if (cond)                                                 \
				break;                                            \
			usleep(10000);                                            \
		}                                                                 \
		T_CHECK(cond, "%s: clients %llu pasids %llu portals %llu", #cond, \
			(unsigned long long)(st).clients, (unsigned long long)(st).pasids, \
			(unsigned long long)(st).portals);                        \
	} while (0)

static void test_client_killed(struct t_svad *sv)
{
	struct sva_daemon_stats base = { .size = sizeof(base) }, st = base;
	struct sva_device *obs;
	uint32_t pasid;
	pid_t a, b;
	int pfd[2];

	if (pipe(pfd) || sva_device_connect(sock, "dsa0", &obs) || sva_bind(obs, &pasid))
		T_FATAL("observer");
	T_EQ(sva_daemon_stats(obs, &base), 0);
	T_EQ(base.clients, 1);
	a = spawn(victim, pfd[1]);
	b = spawn((void (*)(int))survivor, 3000);
	wait_byte(pfd[0]);
	WAIT_STATS(obs, st, st.clients == 3 && st.pasids == base.pasids + 2);
	T_EQ(kill(a, SIGKILL), 0);
	T_EQ(t_child_fate(a), SIGKILL);
	T_EQ(t_child_fate(b), -1);	/* every copy of the survivor was right */
	WAIT_STATS(obs, st, st.clients == 1 && st.pasids == base.pasids && st.portals == 0);
	T_EQ(st.ring_bytes, 0);
	T_EQ(st.connections, 1);
	T_EQ(st.clients_total, base.clients_total + 2);
	sva_device_free(obs);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_daemon_killed(struct t_svad *sv)
{
	uint8_t *src = t_map(CHUNK), *dst = t_map(CHUNK);
	struct sva_device *dev;
	struct sva_portal *p;
	int pfd[2];
	pid_t c[3];
	uint32_t pasid;

	if (pipe(pfd))
		T_FATAL("pipe");
	/* Three clients under load when svad dies: none may hang. */
	for (int i = 0; i < 3; i++)
		c[i] = spawn(orphan, pfd[1]);
	for (int i = 0; i < 3; i++)
		wait_byte(pfd[0]);
	T_EQ(t_svad_stop(sv, SIGKILL), SIGKILL);	/* raw wait status: killed */
	for (int i = 0; i < 3; i++)
		T_EQ(t_child_fate(c[i]), -1);
	T_EQ(access(sock, F_OK), 0);			/* a stale socket is left */
	T_EQ(sva_device_connect(sock, "dsa0", &dev), -ENODEV);

	/* Restarted on the same path: the stale socket is replaced. */
	T_EQ(t_svad_restart(sv, NULL), 0);
	p = open_client(&dev);
	T_EQ(sva_bind(dev, &pasid), 0);
	T_EQ(one_copy(p, src, dst, 20), 0);

	/* SIGTERM with a client connected: clean exit, the client is told. */
	T_EQ(t_svad_stop(sv, SIGTERM), 0);
	T_CHECK(access(sock, F_OK) != 0, "socket left after SIGTERM");
	T_EQ(one_copy(p, src, dst, 20), -ESHUTDOWN);
	T_EQ(sva_drain_all(dev), -ESHUTDOWN);
	sva_portal_close(p);
	sva_device_free(dev);
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	struct t_svad sv;

	t_seed(77);
	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	sock = sv.socket;
	test_client_killed(&sv);
	test_daemon_killed(&sv);
	t_svad_cleanup(&sv);
	return t_done("svad_lifecycle");
}
