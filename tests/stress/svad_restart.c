/* SPDX-License-Identifier: MIT */
/*
 * Description: svad stopped under load, then restarted (issue 5 §3, §4).
 * api/svad_lifecycle covers one SIGKILL with single-threaded clients
 * copying and one SIGTERM with an idle client; this test stops svad with
 * SIGTERM and then SIGKILL while NCLIENT processes each run a submitting
 * thread (verified MEMMOVEs through ENQCMD) and a control thread (counters,
 * attributes, drains) on the same handle. Every API call must return
 * within CALL_BOUND, with success or -ESHUTDOWN (-ENODEV for a new
 * connect while svad is down); a record accepted just before the stop may
 * stay unwritten, but only once svad is gone, and no result may be wrong.
 * Once all clients have seen the stop, svad is restarted on the same
 * socket with the same command line; each client reconnects and its
 * copies are right again. The restarted svad shows the same devices and
 * WQs: sva_config_dump() in accel-config list format, idle objects
 * included, is byte for byte what the first svad showed at start. When
 * svad has --config (its --help says so), both start from a file written
 * with sva_config_save() (wq0.0 resized and renamed), and the dump must
 * show that configuration; an svad without it is compared in its default
 * configuration, and the test says so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"
#include "sva/sva_config.h"

#define NCLIENT		3
#define CHUNK		4096u
#define AFTER		50		/* verified copies after the restart */
#ifdef SVA_SANITIZED
#define CALL_BOUND	(20ll * 1000000000)
#else
#define CALL_BOUND	(5ll * 1000000000)
#endif

struct shared {
	_Atomic uint64_t copies;	/* verified copies before the stop */
	_Atomic int64_t slowest;	/* longest API call seen, ns */
	_Atomic int refused;		/* connects answered -ENODEV while svad was down */
	_Atomic int progress;	/* clients with verified copies before the stop */
	_Atomic int stopped;	/* clients whose threads have both seen the stop */
	_Atomic int restarted;	/* set by the parent once svad is back */
};

static struct shared *sh;
static const char *sock;
static _Atomic int fails;	/* per client process */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* r came back from what, started at t0: within the bound, and expected? */
static int checked(const char *what, int64_t t0, int r, int ok_err)
{
	int64_t took = now_ns() - t0, prev = atomic_load(&sh->slowest);

	while (took > prev && !atomic_compare_exchange_weak(&sh->slowest, &prev, took))
		;
	if (took > CALL_BOUND || (r < 0 && r != ok_err)) {
		atomic_fetch_add(&fails, 1);
		fprintf(stderr, "pid %d: %s returned %d after %lld ms\n", (int)getpid(), what, r,
			(long long)(took / 1000000));
	}
	return r;
}

struct client {
	struct sva_device *dev;
	struct sva_portal *p;
};

/*
 * One verified copy: 0, or -ESHUTDOWN. A record accepted just before the
 * stop may never be written: while it is missing, ask svad (its counters)
 * every 100 ms; a record may stay missing only once svad is gone.
 */
static int copy(struct client *c, uint8_t *src, uint8_t *dst)
{
	static _Thread_local struct dsa_completion_record cr __attribute__((aligned(32)));
	struct dsa_hw_desc d;
	int64_t t0;
	int r;

	t_fill_random(src, CHUNK);
	sva_prep_memmove(&d, dst, src, CHUNK, &cr, 0);
	do {
		t0 = now_ns();
		r = checked("sva_enqcmd", t0, sva_enqcmd(c->p, &d), -ESHUTDOWN);
	} while (r == 1);
	if (r)
		return r;
	t0 = now_ns();
	while (sva_wait(&cr, 100000000)) {
		struct sva_daemon_stats ds = { .size = sizeof(ds) };

		if (sva_daemon_stats(c->dev, &ds) == -ESHUTDOWN)
			return -ESHUTDOWN;
		if (now_ns() - t0 > CALL_BOUND) {
			atomic_fetch_add(&fails, 1);
			fprintf(stderr, "pid %d: a record never written, svad alive\n",
				(int)getpid());
			return -ETIMEDOUT;
		}
	}
	if (cr.status != DSA_COMP_SUCCESS || memcmp(src, dst, CHUNK)) {
		atomic_fetch_add(&fails, 1);
		fprintf(stderr, "pid %d: copy status 0x%x\n", (int)getpid(), cr.status);
	}
	return 0;
}

static void *submitter(void *arg)
{
	struct client *c = arg;
	uint8_t *src = t_map(CHUNK), *dst = t_map(CHUNK);
	int r = 0;

	for (int n = 1; r != -ESHUTDOWN; n++) {
		r = copy(c, src, dst);
		if (!r)
			atomic_fetch_add(&sh->copies, 1);
		if (n == 200)
			atomic_fetch_add(&sh->progress, 1);
	}
	t_unmap(src, CHUNK);
	t_unmap(dst, CHUNK);
	return NULL;
}

static void *controller(void *arg)
{
	struct client *c = arg;
	int r = 0;

	while (r != -ESHUTDOWN) {
		struct sva_wq_stats ws = { .size = sizeof(ws) };
		struct sva_daemon_stats ds = { .size = sizeof(ds) };
		char buf[64];
		int64_t t0 = now_ns();

		r = checked("sva_wq_stats", t0, sva_wq_stats(c->dev, 0, &ws), -ESHUTDOWN);
		if (r)
			break;
		t0 = now_ns();
		r = checked("sva_attr_get", t0, sva_attr_get(c->dev, "wq0.0", "state", buf,
							     sizeof(buf)), -ESHUTDOWN);
		if (r < 0)
			break;
		t0 = now_ns();
		r = checked("sva_drain_wq", t0, sva_drain_wq(c->dev, 0), -ESHUTDOWN);
		if (r)
			break;
		t0 = now_ns();
		r = checked("sva_daemon_stats", t0, sva_daemon_stats(c->dev, &ds), -ESHUTDOWN);
	}
	return NULL;
}

static void connect_client(struct client *c)
{
	if (sva_device_connect(sock, "dsa0", &c->dev) ||
	    sva_portal_open(c->dev, 0, SVA_PORTAL_LIMITED, &c->p))
		_exit(3);
}

static void client(void)
{
	uint8_t *src = t_map(CHUNK), *dst = t_map(CHUNK);
	pthread_t sub, ctl;
	struct client c;
	uint32_t pasid;
	int64_t t0;
	int r;

	connect_client(&c);
	pthread_create(&sub, NULL, submitter, &c);
	pthread_create(&ctl, NULL, controller, &c);
	pthread_join(sub, NULL);
	pthread_join(ctl, NULL);
	/* The handle keeps answering, promptly, that svad is gone. */
	t0 = now_ns();
	T_EQ(checked("sva_bind", t0, sva_bind(c.dev, &pasid), -ESHUTDOWN), -ESHUTDOWN);
	t0 = now_ns();
	sva_portal_close(c.p);
	sva_device_free(c.dev);
	checked("close and free", t0, 0, 0);
	atomic_fetch_add(&sh->stopped, 1);

	/* While svad is down a new connect says so at once; then it works again. */
	for (;;) {
		int up = atomic_load(&sh->restarted);

		t0 = now_ns();
		r = checked("sva_device_connect", t0, sva_device_connect(sock, "dsa0", &c.dev),
			    -ENODEV);
		if (!r)
			break;
		T_CHECK(!up, "connect after the restart: %d", r);
		atomic_fetch_add(&sh->refused, 1);
		if (up)
			_exit(1);
		usleep(5000);
	}
	T_EQ(sva_portal_open(c.dev, 0, SVA_PORTAL_LIMITED, &c.p), 0);
	for (int i = 0; i < AFTER; i++)
		T_EQ(copy(&c, src, dst), 0);
	sva_portal_close(c.p);
	sva_device_free(c.dev);
	_exit(t_failures || atomic_load(&fails) ? 1 : 0);
}

/* Wait for pid at most 60 s: a client still there has hung. */
static int fate_bounded(pid_t pid)
{
	for (int i = 0; i < 6000; i++) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFSIGNALED(st) ? WTERMSIG(st) : -(WEXITSTATUS(st) + 1);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	T_CHECK(0, "client %d hung", (int)pid);
	return t_child_fate(pid);
}

/* Does this svad take --config FILE? Asked through its usage text. */
static bool has_config_option(void)
{
	FILE *f = popen(SVA_SVAD_PATH " --help 2>&1", "r");
	char line[256];
	bool found = false;

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, "--config") != NULL;
	if (f)
		pclose(f);
	return found;
}

/* A configuration unlike the default: wq0.0 of size 32, threshold 24, "rst". */
static void write_config(const char *path)
{
	struct sva_device *dev;

	if (sva_device_new(NULL, &dev))
		T_FATAL("embedded device");
	T_EQ(sva_device_disable(dev), 0);
	T_EQ(sva_attr_set(dev, "wq0.0", "size", "32"), 0);
	T_EQ(sva_attr_set(dev, "wq0.0", "threshold", "24"), 0);
	T_EQ(sva_attr_set(dev, "wq0.0", "name", "rst"), 0);
	T_EQ(sva_device_enable(dev), 0);
	T_EQ(sva_wq_enable(dev, 0), 0);
	T_EQ(sva_wq_enable(dev, 1), 0);
	T_EQ(sva_config_save(&dev, 1, path, 0), 0);
	sva_device_free(dev);
}

static char *dump(void)
{
	struct sva_device *dev;
	char *json = NULL;

	T_EQ(sva_device_connect(sock, "dsa0", &dev), 0);
	T_EQ(sva_config_dump(&dev, 1, SVA_DUMP_LIST | SVA_DUMP_IDLE, &json), 0);
	sva_device_free(dev);
	if (!json)
		T_FATAL("no configuration dump");
	return json;
}

static void round_(struct t_svad *sv, int sig, const char *first)
{
	pid_t pid[NCLIENT];
	int64_t t0, gone;
	char *again;

	memset(sh, 0, sizeof(*sh));
	for (int i = 0; i < NCLIENT; i++) {
		pid[i] = t_fork_quiet();
		if (pid[i] == 0)
			client();
	}
	for (int i = 0; i < 3000 && atomic_load(&sh->progress) < NCLIENT; i++)
		usleep(10000);
	T_EQ(atomic_load(&sh->progress), NCLIENT);
	/* SIGTERM: a clean exit (status 0); SIGKILL: the raw wait status. */
	t0 = now_ns();
	T_EQ(t_svad_stop(sv, sig), sig == SIGTERM ? 0 : sig);
	gone = now_ns() - t0;
	for (int i = 0; i < 3000 && atomic_load(&sh->stopped) < NCLIENT; i++)
		usleep(10000);
	T_EQ(atomic_load(&sh->stopped), NCLIENT);
	T_EQ(t_svad_restart(sv, NULL), 0);
	atomic_store(&sh->restarted, 1);
	for (int i = 0; i < NCLIENT; i++)
		T_EQ(fate_bounded(pid[i]), -1);
	printf("%s under load: svad gone in %lld ms, %llu copies before, slowest call %lld ms, "
	       "%d connects refused (-ENODEV) while down\n",
	       sig == SIGTERM ? "SIGTERM" : "SIGKILL", (long long)(gone / 1000000),
	       (unsigned long long)atomic_load(&sh->copies),
	       (long long)(atomic_load(&sh->slowest) / 1000000), atomic_load(&sh->refused));
	T_CHECK(atomic_load(&sh->refused) > 0, "no connect tried while svad was down");
	again = dump();
	T_CHECK(!strcmp(first, again), "devices and WQs differ after the restart (%s)",
		sig == SIGTERM ? "SIGTERM" : "SIGKILL");
	free(again);
}

int main(void)
{
	static char path[T_TMP_MAX];
	const char *args[] = { "--mode", "0600", NULL, NULL, NULL };
	bool config = has_config_option();
	struct t_svad sv;
	char *first;
	int fd;

	t_seed(3);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		T_FATAL("mmap");
	if (config) {
		fd = mkstemp(t_tmp_name(path, sizeof(path), "sva-restart-config."));
		if (fd < 0)
			T_FATAL("mkstemp");
		close(fd);
		write_config(path);
		args[2] = "--config";
		args[3] = path;
		printf("svad started and restarted with --config %s\n", path);
	} else {
		printf("svad has no --config: comparing its default configuration\n");
	}
	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	sock = sv.socket;
	first = dump();
	T_CHECK(strstr(first, "\"wq0.0\"") && strstr(first, "\"wq0.1\""), "dump: %s", first);
	if (config)
		T_CHECK(strstr(first, "\"name\":\"rst\"") && strstr(first, "\"size\":32"),
			"the configuration file was not applied: %s", first);
	round_(&sv, SIGTERM, first);
	round_(&sv, SIGKILL, first);
	free(first);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	if (config)
		unlink(path);
	return t_done("svad_restart");
}
