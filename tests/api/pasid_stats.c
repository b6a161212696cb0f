/* SPDX-License-Identifier: MIT */
/*
 * Description: sva_pasid_stats() on an embedded device and through svad.
 * Embedded: -EINVAL for bad arguments, -ENOENT on a fresh device; then
 * successes, a page fault (MADV_DONTNEED, BOF=0), a bad opcode, Retries
 * of a full SWQ, and ENQCMDS work under a second PASID that an abort
 * abandons; each PASID's row holds exactly its own counts, rows come in
 * first-seen order, and the sums over the rows equal the device-wide,
 * per-WQ and per-engine counters. svad: two client processes at once get
 * a row each with their own counts, read from a third connection; a later
 * process adds to its PASID's row, which may be a reused one. An svad of
 * protocol 1.1 is never sent the request: -EOPNOTSUPP.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lib/lib.h"
#include "daemon/proto.h"

#define NOK		4
#define NOTHER		5
#define NRETRY		3
#define QMAX		64

static struct dsa_completion_record cr[QMAX + 16] __attribute__((aligned(32)));

static void submit(struct sva_portal *p, struct dsa_hw_desc *d)
{
	int r;

	while ((r = sva_enqcmd(p, d)) == 1)
		;
	T_EQ(r, 0);
}

static int rows(struct sva_device *dev, struct sva_pasid_stats *ret, int max)
{
	int n = 0;

	for (; n < max; n++) {
		ret[n] = (struct sva_pasid_stats){ .size = sizeof(ret[n]) };
		if (sva_pasid_stats(dev, (unsigned int)n, &ret[n]))
			break;
	}
	return n;
}

/* The rows add up to the device's other counters. */
static void check_sums(struct sva_device *dev)
{
	struct sva_pasid_stats r[8];
	struct sva_device_stats *ds = calloc(1, sizeof(*ds));
	struct sva_wq_stats ws = { .size = sizeof(ws) };
	struct sva_engine_stats es = { .size = sizeof(es) };
	uint64_t completed = 0, faults = 0, retries = 0, aborted = 0, bytes = 0, ops = 0;
	uint64_t wq_retries = 0, wq_aborted = 0, eng_bytes = 0;
	int n = rows(dev, r, 8);

	for (int i = 0; i < n; i++) {
		uint64_t sum = 0;

		for (int s = 0; s < SVA_PASID_NSTATUS; s++)
			sum += r[i].by_status[s];
		T_EQ(r[i].completed, sum);
		T_EQ(r[i].faults, r[i].by_status[3] + r[i].by_status[4]);
		completed += r[i].completed;
		faults += r[i].faults;
		retries += r[i].retries;
		aborted += r[i].aborted;
		bytes += r[i].bytes;
	}
	ds->size = sizeof(*ds);
	T_EQ(sva_device_stats(dev, ds), 0);
	for (int i = 0; i < 256; i++)
		ops += ds->by_opcode[i];
	for (unsigned int q = 0; sva_wq_stats(dev, q, &ws) == 0; q++) {
		wq_retries += ws.retries;
		wq_aborted += ws.aborted;
	}
	for (unsigned int e = 0; sva_engine_stats(dev, e, &es) == 0; e++)
		eng_bytes += es.bytes;
	T_EQ(completed, ops);
	T_EQ(faults, ds->faults);
	T_EQ(retries, wq_retries);
	T_EQ(aborted, wq_aborted);
	T_EQ(bytes, eng_bytes);
	free(ds);
}

struct abort_job {
	struct sva_device *dev;
	uint32_t pasid;
	int ret;
};

static void *abort_main(void *arg)
{
	struct abort_job *j = arg;

	j->ret = sva_abort_pasid(j->dev, j->pasid);
	return NULL;
}

/*
 * Abort pasid's queued work while dispatch is frozen: the abort marks its
 * tickets, then waits for them, so dispatch resumes once the mark is seen.
 */
static int abort_frozen(struct sva_device *dev, uint32_t pasid)
{
	struct abort_job j = { dev, pasid, -1 };
	struct wq_item probe = { .pasid = pasid, .ticket = 0 };
	pthread_t t;

	pthread_create(&t, NULL, abort_main, &j);
	while (!wq_rt_aborted(rt_wq(dev->rt, 0), &probe))
		usleep(1000);
	rt_pause(dev->rt, false);
	pthread_join(t, NULL);
	return j.ret;
}

static void test_embedded(void)
{
	size_t pg = t_page();
	uint8_t *src = t_map(4 * pg), *dst = t_map(4 * pg);
	struct sva_pasid_stats r[4], bad = { .size = 8 };
	struct sva_portal *p, *pu;
	struct sva_device *dev;
	struct dsa_hw_desc d;
	uint32_t mine, other;
	int k = 0, accepted = 0;

	T_EQ(sva_device_new(NULL, &dev), 0);
	r[0] = (struct sva_pasid_stats){ .size = sizeof(r[0]) };
	T_EQ(sva_pasid_stats(NULL, 0, &r[0]), -EINVAL);
	T_EQ(sva_pasid_stats(dev, 0, NULL), -EINVAL);
	T_EQ(sva_pasid_stats(dev, 0, &bad), -EINVAL);
	T_EQ(sva_pasid_stats(dev, 0, &r[0]), -ENOENT);
	T_EQ(sva_bind(dev, &mine), 0);
	other = mine + 1000;
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_UNLIMITED, &pu), 0);

	for (int i = 0; i < NOK; i++) {
		sva_prep_memmove(&d, dst, src, (uint32_t)pg, &cr[k], 0);
		submit(p, &d);
		T_EQ(sva_wait(&cr[k], 5000000000ll), 0);
		T_EQ(cr[k++].status, DSA_COMP_SUCCESS);
	}
	/* the source's second page is not resident: a partial completion */
	T_EQ(madvise(src + pg, pg, MADV_DONTNEED), 0);
	sva_prep_memmove(&d, dst, src, (uint32_t)(2 * pg), &cr[k], 0);
	submit(p, &d);
	T_EQ(sva_wait(&cr[k], 5000000000ll), 0);
	T_EQ(cr[k].status, DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr[k++].bytes_completed, pg);
	sva_prep_desc(&d, 0x3e, 0, &cr[k]);	/* not an opcode */
	submit(p, &d);
	T_EQ(sva_wait(&cr[k], 5000000000ll), 0);
	T_EQ(cr[k++].status, DSA_COMP_BAD_OPCODE);

	/* frozen: fill the SWQ to its threshold, then exactly NRETRY Retries */
	rt_pause(dev->rt, true);
	for (int retries = 0; retries < NRETRY;) {
		int res;

		T_CHECK(k < QMAX, "the SWQ never answered Retry");
		if (k >= QMAX)
			break;
		sva_prep_noop(&d, &cr[k], 0);
		res = sva_enqcmd(p, &d);
		if (res == 1) {
			retries++;
		} else {
			T_EQ(res, 0);
			k++;
			accepted++;
		}
	}
	/* ENQCMDS under another PASID (the unlimited portal admits up to the size) */
	for (int i = 0; i < NOTHER; i++) {
		sva_prep_noop(&d, &cr[k + i], 0);
		d.pasid = other;
		T_EQ(sva_enqcmds(pu, &d), 0);
	}
	T_EQ(abort_frozen(dev, other), 0);
	T_EQ(sva_drain_all(dev), 0);
	for (int i = 0; i < NOTHER; i++)
		T_EQ(cr[k + i].status, 0);	/* abandoned: no record */

	T_EQ(rows(dev, r, 4), 2);
	T_EQ(r[0].pasid, mine);
	T_EQ(r[0].completed, NOK + 2 + accepted);
	T_EQ(r[0].by_status[DSA_COMP_SUCCESS], NOK + accepted);
	T_EQ(r[0].by_status[DSA_COMP_PAGE_FAULT_NOBOF], 1);
	T_EQ(r[0].by_status[DSA_COMP_BAD_OPCODE], 1);
	T_EQ(r[0].faults, 1);
	T_EQ(r[0].retries, NRETRY);
	T_EQ(r[0].bytes, (NOK + 1) * pg);	/* the faulting copy moved one page */
	T_EQ(r[0].aborted, 0);
	T_EQ(r[1].pasid, other);
	T_EQ(r[1].completed, 0);
	T_EQ(r[1].aborted, NOTHER);
	T_EQ(r[1].retries, 0);
	check_sums(dev);

	sva_portal_close(pu);
	sva_portal_close(p);
	sva_device_free(dev);
	t_unmap(src, 4 * pg);
	t_unmap(dst, 4 * pg);
}

/*
 * One client process of svad: n copies, its PASID on fds[1], then it stays
 * connected (and keeps its PASID) until hold[0] reads end of file.
 */
static int client(const char *sock, int n, int out, int hold)
{
	uint8_t *src = t_map(4096), *dst = t_map(4096);
	struct sva_device *dev;
	struct sva_portal *p;
	struct dsa_hw_desc d;
	uint32_t pasid;
	char c;

	if (sva_device_connect(sock, "dsa0", &dev) || sva_bind(dev, &pasid) ||
	    sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p))
		return 1;
	for (int i = 0; i < n; i++) {
		sva_prep_memmove(&d, dst, src, 4096, &cr[i], 0);
		submit(p, &d);
		if (sva_wait(&cr[i], 5000000000ll) || cr[i].status != DSA_COMP_SUCCESS)
			return 1;
	}
	if (write(out, &pasid, sizeof(pasid)) != sizeof(pasid))
		return 1;
	while (read(hold, &c, 1) > 0)
		;
	sva_portal_close(p);
	sva_device_free(dev);
	return 0;
}

static pid_t client_start(const char *sock, int n, int out, int hold[2])
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		close(hold[1]);
		_exit(client(sock, n, out, hold[0]));
	}
	return pid;
}

static void test_svad(void)
{
	struct sva_pasid_stats r[4], bad = { .size = 8 };
	struct sva_device *dev;
	struct t_svad sd;
	uint32_t pasid[3];
	int out[2], hold[2], err, n;
	pid_t pid[3];

	err = t_svad_start(&sd, SVA_SVAD_PATH, NULL);
	if (err)
		T_FATAL("svad did not start: %s", strerror(-err));
	T_EQ(pipe(out), 0);
	T_EQ(pipe(hold), 0);
	/* two processes at once: two PASIDs */
	for (int c = 0; c < 2; c++) {
		pid[c] = client_start(sd.socket, 3 + c, out[1], hold);
		T_EQ(read(out[0], &pasid[c], sizeof(pasid[c])), sizeof(pasid[c]));
	}
	T_CHECK(pasid[0] != pasid[1], "two clients share PASID %u", pasid[0]);
	/* a third connection, which never submitted anything, reads both rows */
	T_EQ(sva_device_connect(sd.socket, "dsa0", &dev), 0);
	T_EQ(sva_pasid_stats(dev, 0, &bad), -EINVAL);
	T_EQ(rows(dev, r, 4), 2);
	r[3] = (struct sva_pasid_stats){ .size = sizeof(r[3]) };
	T_EQ(sva_pasid_stats(dev, 1u << 30, &r[3]), -ENOENT);
	for (int c = 0; c < 2; c++) {
		T_EQ(r[c].pasid, pasid[c]);
		T_EQ(r[c].by_status[DSA_COMP_SUCCESS], 3 + c);
		T_EQ(r[c].bytes, (3 + c) * 4096);
	}
	check_sums(dev);
	close(hold[1]);
	for (int c = 0; c < 2; c++)
		T_EQ(t_child_fate(pid[c]), -1);	/* exit status 0 */

	/*
	 * A later process may get a freed PASID again (lowest free first);
	 * its work then adds to that PASID's row, else it gets a row.
	 */
	T_EQ(pipe(hold), 0);
	pid[2] = client_start(sd.socket, 5, out[1], hold);
	T_EQ(read(out[0], &pasid[2], sizeof(pasid[2])), sizeof(pasid[2]));
	close(hold[1]);
	T_EQ(t_child_fate(pid[2]), -1);
	close(hold[0]);
	n = rows(dev, r, 4);
	T_EQ(n, pasid[2] == pasid[0] || pasid[2] == pasid[1] ? 2 : 3);
	for (int i = 0; i < n; i++) {
		uint64_t before = r[i].pasid == pasid[0] ? 3 : r[i].pasid == pasid[1] ? 4 : 0;

		T_EQ(r[i].by_status[DSA_COMP_SUCCESS], before + (r[i].pasid == pasid[2] ? 5 : 0));
	}
	check_sums(dev);
	sva_device_free(dev);
	close(out[0]);
	close(out[1]);
	T_EQ(t_svad_stop(&sd, SIGTERM), 0);
	t_svad_cleanup(&sd);
}

/*
 * An svad of protocol 1.1 answers HELLO and DEVICE only; any other request
 * is recorded. It would take the 1.2 stats kind for a malformed request
 * and hang up, so the client must not send it.
 */
static _Atomic int old_svad_asked;

static void *old_svad(void *arg)
{
	static uint8_t buf[PROTO_MAX_MSG];
	static struct proto_msg m;
	int fd = accept4(*(int *)arg, NULL, NULL, SOCK_CLOEXEC);
	ssize_t n;

	while (fd >= 0 && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		struct proto_reply r = { 0 };
		size_t len;

		if (proto_decode(buf, (size_t)n, &m))
			break;
		r.req_seq = m.hdr.seq;
		r.req_type = m.hdr.type;
		if (m.hdr.type == PROTO_HELLO) {
			r.u.hello.server_version = PROTO_VERSION_MAJOR << 8 | 1;
			r.u.hello.max_msg = PROTO_MAX_MSG;
			r.u.hello.ndevices = 1;
		} else if (m.hdr.type == PROTO_DEVICE) {
			r.u.device.nwqs = 2;
			r.u.device.nengines = 1;
		} else {
			atomic_store(&old_svad_asked, m.hdr.type);
			r.result = -EINVAL;
		}
		if (proto_encode(PROTO_REPLY, 1, &r, sizeof(r), buf, sizeof(buf), &len) ||
		    send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_old_svad(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sva_pasid_stats r = { .size = sizeof(r) };
	struct sva_device *dev;
	pthread_t t;
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/sva-old-%d.sock", (int)getpid());
	unlink(sa.sun_path);
	T_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	T_EQ(listen(lfd, 1), 0);
	pthread_create(&t, NULL, old_svad, &lfd);
	T_EQ(sva_device_connect(sa.sun_path, "dsa0", &dev), 0);
	if (dev) {
		T_EQ(sva_pasid_stats(dev, 0, &r), -EOPNOTSUPP);
		sva_device_free(dev);
	}
	pthread_join(t, NULL);
	T_EQ(atomic_load(&old_svad_asked), 0);
	close(lfd);
	unlink(sa.sun_path);
}

int main(void)
{
	test_embedded();
	test_svad();
	test_old_svad();
	return t_done("api/pasid_stats");
}
