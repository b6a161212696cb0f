/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int t_failures;
static uint64_t rng_state = 1;

int t_done(const char *name)
{
	if (t_failures) {
		printf("%s: %d check(s) failed\n", name, t_failures);
		return T_EXIT_FAIL;
	}
	printf("%s: ok\n", name);
	return T_EXIT_PASS;
}

uint64_t t_seed(uint64_t default_seed)
{
	const char *env = getenv("SVA_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : default_seed;

	rng_state = seed ? seed : 1;
	printf("seed: 0x%llx (set SVA_TEST_SEED to reproduce)\n", (unsigned long long)seed);
	return seed;
}

uint64_t t_rand(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

uint64_t t_rand_range(uint64_t lo, uint64_t hi)
{
	return lo + t_rand() % (hi - lo + 1);
}

void t_fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(t_rand() >> 32);
}

size_t t_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t round_page(size_t len)
{
	size_t pg = t_page();

	return (len + pg - 1) / pg * pg;
}

void *t_map(size_t len)
{
	void *p = mmap(NULL, round_page(len ? len : 1), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		T_FATAL("mmap %zu: %s", len, strerror(errno));
	memset(p, 0x5a, round_page(len ? len : 1));
	return p;
}

void t_unmap(void *p, size_t len)
{
	if (p)
		munmap(p, round_page(len ? len : 1));
}

void *t_map_guarded(size_t len)
{
	size_t n = round_page(len ? len : 1);
	uint8_t *p = mmap(NULL, n + t_page(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == (uint8_t *)MAP_FAILED)
		T_FATAL("mmap %zu: %s", len, strerror(errno));
	memset(p, 0x5a, n);
	munmap(p + n, t_page());
	return p;
}

uint32_t ref_crc32c(uint32_t dsa_seed, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~dsa_seed;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return ~crc;
}

uint16_t ref_crc16_t10dif(uint16_t init, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint16_t crc = init;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)((crc & 0x8000) ? (crc << 1) ^ 0x8BB7 : crc << 1);
	}
	return crc;
}

void t_dev_init(struct t_dev *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	dsa_caps_default(&t->caps);
	dsa_wq_attr_default(&t->wq);
	t->wq.bof = true;
	r = as_new_self(pasid_alloc_global(), &t->as);
	if (r)
		T_FATAL("as_new_self: %d", r);
	r = as_bind(t->as, PASID_MAX, &t->pasid);
	if (r)
		T_FATAL("as_bind: %d", r);
}

void t_peer_start(struct t_peer *p, void (*child)(int wr, int rd))
{
	int up[2], down[2];

	if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC))
		T_FATAL("pipe: %s", strerror(errno));
	p->pid = t_fork_quiet();
	if (p->pid == 0) {
		close(up[0]);
		close(down[1]);
		child(up[1], down[0]);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	p->up = up[0];
	p->down = down[1];
	t_peer_read(p, &p->base, sizeof(p->base));
}

void t_peer_read(struct t_peer *p, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = read(p->up, (uint8_t *)buf + off, len - off);

		if (n <= 0)
			T_FATAL("peer %d: report cut short (%zd)", (int)p->pid, n);
		off += (size_t)n;
	}
}

void t_dev_init_peer(struct t_dev *t, struct t_peer *p)
{
	int r;

	memset(t, 0, sizeof(*t));
	dsa_caps_default(&t->caps);
	dsa_wq_attr_default(&t->wq);
	t->wq.bof = true;
	r = as_new_remote(pasid_alloc_global(), p->pid, &t->as);
	if (r == -EPERM || r == -EACCES) {
		kill(p->pid, SIGKILL);
		t_child_fate(p->pid);
		T_SKIP("no ptrace access to the peer (%d)", r);
	}
	if (r)
		T_FATAL("as_new_remote: %d", r);
	r = as_bind(t->as, PASID_MAX, &t->pasid);
	if (r)
		T_FATAL("as_bind: %d", r);
}

void t_dev_exit(struct t_dev *t)
{
	as_unbind(t->as);
	t->as = as_unref(t->as);
}

uint8_t t_exec(struct t_dev *t, const struct dsa_hw_desc *desc, struct dsa_result *ret)
{
	struct dsa_result r;

	if (!ret)
		ret = &r;
	if (dsa_exec_desc(&t->caps, &t->wq, t->as, t->pasid, false, desc, ret))
		T_FATAL("dsa_exec_desc failed");
	return ret->status;
}

void t_desc(struct dsa_hw_desc *d, uint8_t opcode, uint32_t flags,
	    struct dsa_completion_record *cr)
{
	memset(d, 0, sizeof(*d));
	d->opcode = opcode;
	d->flags = flags | IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	d->completion_addr = (uint64_t)(uintptr_t)cr;
	if (cr)
		memset(cr, 0, sizeof(*cr));
}

pid_t t_fork_quiet(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
	}
	return pid;
}

int t_child_fate(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) != pid)
		if (errno != EINTR)
			return -1000;
	if (WIFSIGNALED(st))
		return WTERMSIG(st);
	return -(WEXITSTATUS(st) + 1);
}

/* svad for daemon tests */

/*
 * A test that stops early (T_FATAL) must not leave its svad running or its
 * directory behind: the starting process cleans up at exit, and svad
 * itself dies with that process (PR_SET_PDEATHSIG, e.g. on a ctest timeout).
 */
#define T_SVAD_MAX 4
static struct t_svad *t_svads[T_SVAD_MAX];
static pid_t t_svad_owner;

static void t_svad_atexit(void)
{
	if (getpid() != t_svad_owner)
		return;	/* a forked child exiting: not ours to clean */
	for (int i = 0; i < T_SVAD_MAX; i++)
		if (t_svads[i])
			t_svad_cleanup(t_svads[i]);
}

static void t_svad_track(struct t_svad *d)
{
	if (!t_svad_owner) {
		t_svad_owner = getpid();
		atexit(t_svad_atexit);
	}
	for (int i = 0; i < T_SVAD_MAX; i++) {
		if (t_svads[i] == d)
			return;
		if (!t_svads[i]) {
			t_svads[i] = d;
			return;
		}
	}
}

char *t_tmp_name(char *buf, size_t len, const char *prefix)
{
	int n = snprintf(buf, len, "/tmp/%s", prefix);

	if (n < 0 || (size_t)n + 7 > len)
		T_FATAL("temporary name for %s does not fit in %zu bytes", prefix, len);
	memset(buf + n, 'X', 6);
	buf[n + 6] = '\0';
	return buf;
}

int t_svad_start(struct t_svad *d, const char *binary, const char *const *extra)
{
	const char *argv[32];
	int n = 0;

	memset(d, 0, sizeof(*d));
	if (!mkdtemp(t_tmp_name(d->dir, sizeof(d->dir), "sva-test.")))
		return -errno;
	/* Other users (the uid-65534 tests) must reach the socket inside. */
	chmod(d->dir, 0755);
	snprintf(d->socket, sizeof(d->socket), "%s/sva.sock", d->dir);
	argv[n++] = binary;
	argv[n++] = "--socket";
	argv[n++] = d->socket;
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	return t_svad_restart(d, argv);
}

int t_svad_restart(struct t_svad *d, const char *const *argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (argv) {
		int i;

		for (i = 0; argv[i] && i < 31; i++)
			d->argv[i] = argv[i];
		d->argv[i] = NULL;
	}
	t_svad_track(d);
	d->pid = t_fork_quiet();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(d->argv[0], (char *const *)d->argv);
		fprintf(stderr, "exec %s: %s\n", d->argv[0], strerror(errno));
		_exit(127);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->socket);
	/* Ready when the socket accepts: at most 20 s (sanitizer builds start slowly). */
	for (int i = 0; i < 2000; i++) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		int ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));

		if (fd >= 0)
			close(fd);
		if (ok)
			return 0;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = 0;
			return -ECHILD;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

int t_svad_stop(struct t_svad *d, int sig)
{
	int st = 0;

	if (d->pid > 0) {
		kill(d->pid, sig);
		/* SIGTERM must end it cleanly and soon; anything else is a failure. */
		for (int i = 0; i < 1500; i++) {
			if (waitpid(d->pid, &st, WNOHANG) == d->pid)
				break;
			usleep(10000);
			if (i == 1499) {
				kill(d->pid, SIGKILL);
				waitpid(d->pid, &st, 0);
				st = -1;
			}
		}
		d->pid = 0;
	}
	return st;
}

void t_svad_cleanup(struct t_svad *d)
{
	t_svad_stop(d, SIGKILL);
	if (d->dir[0]) {
		unlink(d->socket);
		rmdir(d->dir);
		d->dir[0] = '\0';
	}
	for (int i = 0; i < T_SVAD_MAX; i++)
		if (t_svads[i] == d)
			t_svads[i] = NULL;
}
