/* SPDX-License-Identifier: MIT */
/*
 * svad_bench: what a client pays for a device hosted by svad, next to what
 * it would pay without one, measured in the same run (issue 5, section 5):
 *
 *   lat4k    4 KiB MEMMOVE, submit to completion (p50), against one
 *            process_vm_readv() plus one process_vm_writev() of 4 KiB, the
 *            floor of any cross-process copy without shared memory.
 *            Target: at most 3x.
 *   bw1m     1 MiB MEMMOVE, synchronous, against memcpy. Target: >= 0.5x.
 *   scale    aggregate 4 KiB MEMMOVE throughput of 1, 2, 4, 8 and 16 client
 *            processes sharing one SWQ (queue depth 4 each), with Jain's
 *            fairness index over the per-process rates.
 *
 * Usage: svad_bench [--svad PATH] [--socket PATH] [--seconds S] [--json]
 * Without --socket it starts its own svad (PATH, default build/src/svad)
 * on a private socket and stops it at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sva/sva.h"
#include "dsa/dsa.h"
#include "svabench_util.h"

#define LAT_ITERS	20000
#define SCALE_QD	4
#define SCALE_MAX	16
#define TIMEOUT_NS	(5ll * 1000000000ll)

static const char *sock_path;
static double seconds = 2.0;
static bool json;
static char bench_dir[64];

/* svad jobs this process executed itself (client-assisted execution, core/assist.h). */
static uint64_t assisted(void)
{
	uint64_t s[COOP_STAT_NR];

	coop_stats(s);
	return s[COOP_STAT_REMOTE_JOBS];
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static uint64_t pct(uint64_t *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(size_t)(p * (double)(n - 1))];
}

static void *xmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("svad_bench: mmap");
		exit(1);
	}
	memset(p, 0x5a, len);
	return p;
}

/* A client of svad: the device handle and a portal on the shared WQ 0. */
struct client {
	struct sva_device *dev;
	struct sva_portal *p;
};

static int client_open(struct client *c)
{
	int r = sva_device_connect(sock_path, "dsa0", &c->dev);

	if (r)
		return r;
	uint32_t pasid;

	r = sva_bind(c->dev, &pasid);
	if (!r)
		r = sva_portal_open(c->dev, 0, SVA_PORTAL_LIMITED, &c->p);
	if (r)
		c->dev = sva_device_free(c->dev);
	return r;
}

static void client_close(struct client *c)
{
	c->p = sva_portal_close(c->p);
	c->dev = sva_device_free(c->dev);
}

/* Submit with retry; returns 0 or the negative error of sva_enqcmd(). */
static int submit(struct sva_portal *p, const struct dsa_hw_desc *d)
{
	int r;

	while ((r = sva_enqcmd(p, d)) == 1)
		sva_cpu_relax();
	return r;
}

/*
 * One synchronous MEMMOVE of len bytes; ns taken, or 0 on error. With
 * verdict_ns, also the part spent in sva_enqcmd() until svad's verdict (the
 * portal thread's admission), so the round trip splits into admission and
 * execution (docs/PERFORMANCE.md "svad").
 */
static uint64_t sync_move(struct client *c, void *dst, const void *src, uint32_t len,
			  uint64_t *verdict_ns)
{
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	struct dsa_hw_desc d __attribute__((aligned(64)));
	uint64_t t0 = bu_now_ns();
	int r;

	memset(&cr, 0, sizeof(cr));
	sva_prep_memmove(&d, dst, src, len, &cr, IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_CRAV);
	r = submit(c->p, &d);
	if (verdict_ns)
		*verdict_ns = bu_now_ns() - t0;
	if (r || sva_wait(&cr, TIMEOUT_NS) || cr.status != DSA_COMP_SUCCESS) {
		fprintf(stderr, "svad_bench: memmove %u failed (status %#x)\n", len, cr.status);
		return 0;
	}
	return bu_now_ns() - t0;
}

static int bench_lat4k(struct client *c)
{
	static uint64_t dev_ns[LAT_ITERS], pvm_ns[LAT_ITERS], adm_ns[LAT_ITERS];
	char *src = xmap(4096), *dst = xmap(4096), *peer = xmap(4096);
	int pipefd[2];
	pid_t child;
	double dev_p50, pvm_p50, adm_p50, share;
	uint64_t a0 = assisted();

	for (int i = 0; i < LAT_ITERS; i++) {
		dev_ns[i] = sync_move(c, dst, src, 4096, &adm_ns[i]);
		if (!dev_ns[i])
			return 1;
	}
	if (memcmp(dst, src, 4096))
		return fprintf(stderr, "svad_bench: 4 KiB copy is wrong\n"), 1;
	share = (double)(assisted() - a0) / LAT_ITERS;

	/* the baseline: a peer process whose buffer is read, then written */
	if (pipe(pipefd))
		return perror("pipe"), 1;
	child = fork();
	if (child == 0) {
		char b;

		close(pipefd[1]);
		(void)!read(pipefd[0], &b, 1);	/* until the parent is done */
		_exit(0);
	}
	close(pipefd[0]);
	for (int i = 0; i < LAT_ITERS; i++) {
		struct iovec local = { dst, 4096 }, remote = { peer, 4096 };
		uint64_t t0 = bu_now_ns();

		if (process_vm_readv(child, &local, 1, &remote, 1, 0) != 4096 ||
		    process_vm_writev(child, &local, 1, &remote, 1, 0) != 4096) {
			perror("svad_bench: process_vm_readv/writev");
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			return 1;
		}
		pvm_ns[i] = bu_now_ns() - t0;
	}
	close(pipefd[1]);
	waitpid(child, NULL, 0);

	dev_p50 = (double)pct(dev_ns, LAT_ITERS, 0.5);
	pvm_p50 = (double)pct(pvm_ns, LAT_ITERS, 0.5);
	adm_p50 = (double)pct(adm_ns, LAT_ITERS, 0.5);
	if (json)
		printf("{\"workload\":\"svad-lat4k\",\"p50_ns\":%.0f,\"p99_ns\":%llu,"
		       "\"baseline\":\"process_vm_readv+writev\",\"baseline_p50_ns\":%.0f,"
		       "\"ratio\":%.2f,\"target\":\"<= 3\",\"assisted\":%.3f,"
		       "\"verdict_p50_ns\":%.0f}\n",
		       dev_p50, (unsigned long long)pct(dev_ns, LAT_ITERS, 0.99), pvm_p50,
		       dev_p50 / pvm_p50, share, adm_p50);
	else
		printf("lat4k  memmove 4 KiB via svad p50 %.0f ns (p99 %llu) | "
		       "process_vm_readv+writev p50 %.0f ns | ratio %.2f (target <= 3) | "
		       "client-assisted %.0f%% | verdict p50 %.0f ns\n",
		       dev_p50, (unsigned long long)pct(dev_ns, LAT_ITERS, 0.99), pvm_p50,
		       dev_p50 / pvm_p50, share * 100, adm_p50);
	return 0;
}

struct move_arg {
	struct client *c;
	void *dst, *src;
	uint32_t len;
	int err;
	uint64_t count;		/* MEMMOVEs submitted */
};

static double time_svad(void *arg, long iters)
{
	struct move_arg *a = arg;
	uint64_t t = 0;

	for (long i = 0; i < iters; i++) {
		uint64_t ns = sync_move(a->c, a->dst, a->src, a->len, NULL);

		a->count++;
		if (!ns)
			a->err = 1;
		t += ns;
	}
	return (double)t;
}

static double time_memcpy(void *arg, long iters)
{
	struct move_arg *a = arg;
	uint64_t t0 = bu_now_ns();

	for (long i = 0; i < iters; i++) {
		memcpy(a->dst, a->src, a->len);
		__asm__ volatile("" : : "r"(a->dst) : "memory");
	}
	return (double)(bu_now_ns() - t0);
}

static int bench_bw1m(struct client *c)
{
	struct move_arg a = { c, xmap(1 << 20), xmap(1 << 20), 1 << 20, 0, 0 };
	struct bu_side dev = { time_svad, &a, 1 << 20, 0 };
	struct bu_side base = { time_memcpy, &a, 1 << 20, 0 };
	double dev_ns, base_ns, share;
	uint64_t a0, n0 = 0;

	bu_calibrate(&dev, seconds * 1e9 / 10);
	bu_calibrate(&base, seconds * 1e9 / 10);
	a0 = assisted();
	n0 = a.count;
	dev_ns = bu_run_side(&dev, 5);
	share = a.count > n0 ? (double)(assisted() - a0) / (double)(a.count - n0) : 0;
	base_ns = bu_run_side(&base, 5);
	if (a.err)
		return 1;
	/* ns per byte -> GB/s is 1/x */
	if (json)
		printf("{\"workload\":\"svad-bw1m\",\"gbps\":%.2f,\"baseline\":\"memcpy\","
		       "\"baseline_gbps\":%.2f,\"ratio\":%.2f,\"target\":\">= 0.5\","
		       "\"assisted\":%.3f}\n",
		       1 / dev_ns, 1 / base_ns, base_ns / dev_ns, share);
	else
		printf("bw1m   memmove 1 MiB via svad %.2f GB/s | memcpy %.2f GB/s | "
		       "ratio %.2f (target >= 0.5) | client-assisted %.0f%%\n",
		       1 / dev_ns, 1 / base_ns, base_ns / dev_ns, share * 100);
	return 0;
}

/*
 * One scaling client: keeps SCALE_QD 4 KiB copies in flight for the
 * measured window that starts when the parent closes the start pipe, then
 * reports its completion count (or -1) on the result pipe.
 */
static void scale_child(int start_fd, int res_fd)
{
	static struct dsa_completion_record cr[SCALE_QD] __attribute__((aligned(32)));
	struct dsa_hw_desc d __attribute__((aligned(64)));
	char *src = xmap(SCALE_QD * 4096), *dst = xmap(SCALE_QD * 4096);
	struct client c;
	long long n = -1;
	uint64_t end;
	char b;

	if (client_open(&c))
		goto out;
	(void)!read(start_fd, &b, 1);
	end = bu_now_ns() + (uint64_t)(seconds * 1e9);
	n = 0;
	for (int q = 0; q < SCALE_QD; q++) {
		sva_prep_memmove(&d, dst + q * 4096, src + q * 4096, 4096, &cr[q],
				 IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_CRAV);
		if (submit(c.p, &d))
			goto fail;
	}
	while (bu_now_ns() < end) {
		for (int q = 0; q < SCALE_QD; q++) {
			if (sva_wait(&cr[q], TIMEOUT_NS) || cr[q].status != DSA_COMP_SUCCESS)
				goto fail;
			n++;
			memset(&cr[q], 0, sizeof(cr[q]));
			sva_prep_memmove(&d, dst + q * 4096, src + q * 4096, 4096, &cr[q],
					 IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_CRAV);
			if (submit(c.p, &d))
				goto fail;
		}
	}
	for (int q = 0; q < SCALE_QD; q++)
		if (sva_wait(&cr[q], TIMEOUT_NS))
			goto fail;
	if (memcmp(src, dst, SCALE_QD * 4096))
		goto fail;
	client_close(&c);
	goto out;
fail:
	n = -1;
	client_close(&c);
out:
	(void)!write(res_fd, &n, sizeof(n));
	_exit(n < 0);
}

static int bench_scale_one(int nproc)
{
	long long cnt[SCALE_MAX], sum = 0;
	double sq = 0, jain;
	int start[2], res[2], bad = 0;
	pid_t pid[SCALE_MAX];

	if (pipe(start) || pipe(res))
		return perror("pipe"), 1;
	for (int i = 0; i < nproc; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(start[1]);
			close(res[0]);
			scale_child(start[0], res[1]);
		}
	}
	close(start[0]);
	close(res[1]);
	usleep(200000);		/* let every client connect before the window opens */
	close(start[1]);
	for (int i = 0; i < nproc; i++) {
		if (read(res[0], &cnt[i], sizeof(cnt[i])) != sizeof(cnt[i]) || cnt[i] < 0)
			bad = 1, cnt[i] = 0;
		sum += cnt[i];
		sq += (double)cnt[i] * (double)cnt[i];
	}
	close(res[0]);
	for (int i = 0; i < nproc; i++)
		waitpid(pid[i], NULL, 0);
	if (bad)
		return fprintf(stderr, "svad_bench: a scaling client failed\n"), 1;
	jain = sq > 0 ? (double)sum * (double)sum / (nproc * sq) : 0;
	if (json)
		printf("{\"workload\":\"svad-scale\",\"clients\":%d,\"ops_per_s\":%.0f,"
		       "\"gbps\":%.3f,\"jain\":%.3f}\n",
		       nproc, sum / seconds, sum * 4096.0 / seconds / 1e9, jain);
	else
		printf("scale  %2d clients  %9.0f ops/s  %6.3f GB/s  Jain %.3f\n", nproc,
		       sum / seconds, sum * 4096.0 / seconds / 1e9, jain);
	return 0;
}

static pid_t start_svad(const char *svad, char *path, size_t len)
{
	pid_t pid;

	/* a private directory (mode 0700) for the socket, removed at the end */
	snprintf(bench_dir, sizeof(bench_dir), "/tmp/svad_bench.%d", (int)getpid());
	if (mkdir(bench_dir, 0700))
		return perror("svad_bench: mkdir"), -1;
	snprintf(path, len, "%s/sva.sock", bench_dir);
	pid = fork();
	if (pid == 0) {
		execl(svad, svad, "--foreground", "--socket", path, (char *)NULL);
		fprintf(stderr, "svad_bench: exec %s: %s\n", svad, strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {		/* up to 5 s for the socket */
		if (!access(path, F_OK))
			return pid;
		usleep(10000);
	}
	fprintf(stderr, "svad_bench: %s did not create %s\n", svad, path);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "svad", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	const char *svad = "build/src/svad";
	char path[108];
	pid_t daemon = 0;
	struct client c;
	int o, r = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': svad = optarg; break;
		case 's': sock_path = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'j': json = true; break;
		default:
			fprintf(stderr, "usage: svad_bench [--svad PATH] [--socket PATH] "
					"[--seconds S] [--json]\n");
			return 2;
		}
	}
	if (seconds <= 0)
		seconds = 2.0;
	if (!sock_path) {
		daemon = start_svad(svad, path, sizeof(path));
		if (daemon < 0)
			return 1;
		sock_path = path;
	}
	r = client_open(&c);
	if (r) {
		fprintf(stderr, "svad_bench: connect %s: %s\n", sock_path, strerror(-r));
		r = 1;
		goto out;
	}
	r = bench_lat4k(&c) || bench_bw1m(&c);
	client_close(&c);
	for (int n = 1; !r && n <= SCALE_MAX; n *= 2)
		r = bench_scale_one(n);
out:
	if (daemon > 0) {
		kill(daemon, SIGTERM);
		waitpid(daemon, NULL, 0);
		unlink(path);		/* svad removes it on SIGTERM; this covers a crash */
		rmdir(bench_dir);
	}
	return r;
}
