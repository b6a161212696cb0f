/* SPDX-License-Identifier: MIT */
/*
 * Description: under svarun, accel-config's tree and the programs share one
 * live device hosted by svarun's svad. Run as the command of
 * `svarun --config 2g2q_user_1.conf`, this program checks that: dsa_test's
 * submissions show up in svad's WQ counters (sva_wq_stats over the
 * daemon handle); the tree's wq0.N/clients counts the opens of other
 * processes; a dedicated WQ held here is -EBUSY for dsa_test and a shell;
 * `accel-config disable-wq` refuses while a client holds the WQ and `-f`
 * disables it as idxd does: the node goes, the client's mapping stays,
 * its later ENQCMD is answered Retry and its MOVDIR64B is ignored (no
 * record), both counted by svad; re-enabled, the WQ serves a new open.
 * Without SVA_DAEMON a node of the tree cannot be opened (ENXIO).
 *
 * The submissions use the ENQCMD/MOVDIR64B intrinsics on the mmap()ed
 * /dev/dsa nodes, as a DSA program written for idxd does.
 */
#include <immintrin.h>
#include <linux/idxd.h>
#include <sys/mman.h>

#include "compat.h"
#include "sva/sva.h"

#define ACCFG	"accel-config "
#define DSA_TEST	ACCFG_TEST_DIR "/dsa_test"
#define WQ_ATTR	"/sys/bus/dsa/devices/wq0."

static uint8_t src[4096], dst[4096];
static struct dsa_completion_record cr __attribute__((aligned(32)));

/* One read of a tree attribute, without its newline. */
static void tree_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n - 1 : 0] = '\0';
}

static void expect_attr(unsigned int wq, const char *attr, const char *want)
{
	char path[128], v[64];

	snprintf(path, sizeof(path), WQ_ATTR "%u/%s", wq, attr);
	tree_read(path, v, sizeof(v));
	T_CHECK(!strcmp(v, want), "%s reads %s, want %s", path, v, want);
}

static struct sva_wq_stats wq_stats(struct sva_device *dev, unsigned int wq)
{
	struct sva_wq_stats s = { .size = sizeof(s) };

	T_EQ(sva_wq_stats(dev, wq, &s), 0);
	return s;
}

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void *map_node(const char *path, int *ret_fd)
{
	void *p;

	*ret_fd = open(path, O_RDWR | O_CLOEXEC);
	if (*ret_fd < 0)
		T_FATAL("open %s: %s", path, strerror(errno));
	p = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED | MAP_POPULATE, *ret_fd, 0);
	if (p == MAP_FAILED)
		T_FATAL("mmap %s: %s", path, strerror(errno));
	return p;
}

static void prep(struct dsa_hw_desc *d)
{
	memset(d, 0, sizeof(*d));
	memset(&cr, 0, sizeof(cr));
	memset(dst, 0, sizeof(dst));
	d->opcode = DSA_OPCODE_MEMMOVE;
	d->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	d->completion_addr = (uintptr_t)&cr;
	d->src_addr = (uintptr_t)src;
	d->dst_addr = (uintptr_t)dst;
	d->xfer_size = sizeof(src);
}

static void wait_done(void)
{
	/* a generous bound against a hang, not a timing check */
	for (int i = 0; i < 10000 && !*(volatile uint8_t *)&cr.status; i++)
		usleep(1000);
	T_CHECK(cr.status == DSA_COMP_SUCCESS && !memcmp(dst, src, sizeof(src)),
		"status 0x%x", cr.status);
}

static int inner(void)
{
	struct sva_wq_stats s0, s1;
	struct sva_device *dev = NULL;
	struct dsa_hw_desc d __attribute__((aligned(64)));
	void *swq, *dwq;
	int sfd, dfd, retry, i;

	memset(src, 0xa5, sizeof(src));
	T_EQ(sva_device_connect(NULL, "dsa0", &dev), 0);	/* SVA_DAEMON: svarun's svad */
	if (!dev)
		return t_done("compat/shared_device");

	/* dsa_test's work lands in the device the tree shows */
	s0 = wq_stats(dev, 0);
	T_EQ(sh(DSA_TEST " -w 1 -l 4096 -o 0x3 t200 >/dev/null"), 0);
	s1 = wq_stats(dev, 0);
	T_CHECK(s1.accepted > s0.accepted && s1.completed > s0.completed,
		"svad's wq0.0 counters did not move: accepted %llu -> %llu",
		(unsigned long long)s0.accepted, (unsigned long long)s1.accepted);
	expect_attr(0, "clients", "0");

	/* a dedicated WQ held here is busy for every other process */
	dwq = map_node("/dev/dsa/wq0.1", &dfd);
	expect_attr(1, "clients", "1");
	T_CHECK(sh(DSA_TEST " -w 0 -l 4096 -o 0x3 t200 >/dev/null 2>&1") != 0,
		"dsa_test used a dedicated WQ held by another process");
	T_CHECK(sh("(exec 3<>/dev/dsa/wq0.1) 2>/dev/null") != 0, "a second open of wq0.1 worked");
	prep(&d);
	_movdir64b(dwq, &d);
	wait_done();

	/* a node of the tree without SVA_DAEMON: no device to reach (ENXIO) */
	T_EQ(sh("SVA_DAEMON= sh -c 'exec 3<>/dev/dsa/wq0.0' 2>&1 | "
		"grep -q 'No such device or address'"), 0);

	/* the shared WQ, then disable-wq while we hold it */
	swq = map_node("/dev/dsa/wq0.0", &sfd);
	prep(&d);
	while (_enqcmd(swq, &d))
		;
	wait_done();
	expect_attr(0, "clients", "1");
	T_CHECK(sh(ACCFG "disable-wq dsa0/wq0.0 >/dev/null 2>&1") != 0,
		"disable-wq without -f ignored the client");
	expect_attr(0, "state", "enabled");
	T_EQ(sh(ACCFG "disable-wq -f dsa0/wq0.0 >/dev/null 2>&1"), 0);
	expect_attr(0, "state", "disabled");
	T_CHECK(access("/dev/dsa/wq0.0", F_OK) < 0, "node of a disabled WQ");

	/* idxd: the mapping stays; a disabled WQ answers ENQCMD with Retry */
	s0 = wq_stats(dev, 0);
	prep(&d);
	for (retry = 0, i = 0; i < 100; i++)
		retry += _enqcmd(swq, &d);
	T_EQ(retry, 100);
	s1 = wq_stats(dev, 0);
	T_CHECK(s1.retries >= s0.retries + 100 && s1.accepted == s0.accepted,
		"retries %llu -> %llu", (unsigned long long)s0.retries,
		(unsigned long long)s1.retries);

	/* and MOVDIR64B to a disabled dedicated WQ is ignored */
	T_EQ(sh(ACCFG "disable-wq -f dsa0/wq0.1 >/dev/null 2>&1"), 0);
	s0 = wq_stats(dev, 1);
	prep(&d);
	_movdir64b(dwq, &d);
	/*
	 * Posted: svad's portal thread takes it from the ring when it gets to
	 * it. Wait for the verdict (a bound against a hang, not a timing check).
	 */
	for (i = 0; i < 10000; i++) {
		s1 = wq_stats(dev, 1);
		if (s1.ignored != s0.ignored || s1.accepted != s0.accepted)
			break;
		usleep(1000);
	}
	T_EQ(sva_drain_all(dev), 0);
	s1 = wq_stats(dev, 1);
	T_CHECK(s1.ignored == s0.ignored + 1 && s1.accepted == s0.accepted,
		"ignored %llu -> %llu", (unsigned long long)s0.ignored,
		(unsigned long long)s1.ignored);
	T_EQ(cr.status, 0);

	munmap(swq, 4096);
	munmap(dwq, 4096);
	close(sfd);
	close(dfd);
	expect_attr(0, "clients", "0");
	/* enabled again, the WQ serves new clients */
	T_EQ(sh(ACCFG "enable-wq dsa0/wq0.0 >/dev/null 2>&1"), 0);
	T_EQ(sh(DSA_TEST " -w 1 -l 4096 -o 0x3 t200 >/dev/null"), 0);
	sva_device_free(dev);
	return t_done("compat/shared_device (inner)");
}

int main(int argc, char **argv)
{
	static char out[1 << 14], script[PATH_MAX + 16], self[PATH_MAX];
	const char *opts[] = { "--config=" ACCFG_TEST_DIR "/configs/2g2q_user_1.conf", NULL };
	const char *svarun;
	int st;

	if (argc > 1 && !strcmp(argv[1], "inner"))
		return inner();
	svarun = compat_require(true);
	if (!realpath("/proc/self/exe", self))
		T_FATAL("realpath: %s", strerror(errno));
	snprintf(script, sizeof(script), "exec %s inner", self);
	st = compat_run(svarun, opts, NULL, script, out, sizeof(out));
	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	printf("%s", out);
	return t_done("compat/shared_device");
}
