/* SPDX-License-Identifier: MIT */
/*
 * Description: the public API against a device hosted by svad (started
 * here on a private socket with two devices). Connect by name (-ENODEV for
 * a missing device or socket), bind (the daemon's PASID, the same for a
 * second connection of this process and on the other device), MEMMOVE/MEMFILL/CRCGEN/BATCH through a shared-WQ
 * portal and MOVDIR64B through the dedicated one, all results verified in
 * our memory with their completion records; attributes (a long op_cap
 * string, -ENOSPC, -ENOENT), WQ/engine/device/daemon counters, command
 * status and last error, sva_device_new(NULL) redirected by SVA_DAEMON, and
 * verdicts answered by svad's engines while a client submits one descriptor
 * after another (engine_served; the portal thread stays parked).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sva/sva.h"

#define LEN	(64u << 10)

static struct dsa_completion_record cr[16] __attribute__((aligned(32)));
static struct dsa_hw_desc batch[4] __attribute__((aligned(64)));

static void submit(struct sva_portal *p, struct dsa_hw_desc *d)
{
	int r;

	while ((r = sva_enqcmd(p, d)) == 1)
		;
	T_EQ(r, 0);
}

static void wait_ok(struct dsa_completion_record *c)
{
	T_EQ(sva_wait(c, 10ll * 1000000000), 0);
	T_CHECK(c->status == DSA_COMP_SUCCESS, "status 0x%x (%s)", c->status,
		sva_strstatus(c->status));
}

static void test_ops(struct sva_device *dev)
{
	uint8_t *src = t_map(LEN), *dst = t_map(LEN), *bdst = t_map(4 * 4096);
	struct sva_portal *p;
	struct dsa_hw_desc d;

	t_fill_random(src, LEN);
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	if (!p)
		return;
	T_EQ(sva_portal_wq_size(p), 64);

	sva_prep_memmove(&d, dst, src, LEN, &cr[0], 0);
	d.pasid = 0x777;	/* whatever a descriptor claims is ignored */
	submit(p, &d);
	wait_ok(&cr[0]);
	T_CHECK(!memcmp(dst, src, LEN), "memmove result differs");
	T_EQ(cr[0].bytes_completed, 0);

	sva_prep_memfill(&d, dst, 0x0123456789abcdefull, LEN - 8, &cr[1], 0);
	submit(p, &d);
	wait_ok(&cr[1]);
	for (size_t i = 0; i < LEN - 8; i++)
		if (dst[i] != (uint8_t)(0x0123456789abcdefull >> (8 * (i % 8)))) {
			T_CHECK(0, "memfill byte %zu = 0x%x", i, dst[i]);
			break;
		}
	T_CHECK(!memcmp(dst + LEN - 8, src + LEN - 8, 8), "memfill ran past its end");

	sva_prep_crcgen(&d, src, LEN, 0x12345678, &cr[2], 0);
	submit(p, &d);
	wait_ok(&cr[2]);
	T_EQ(cr[2].crc_val, ref_crc32c(0x12345678, src, LEN));

	for (int i = 0; i < 4; i++)
		sva_prep_memmove(&batch[i], bdst + i * 4096, src + i * 8192, 4096, &cr[4 + i], 0);
	sva_prep_batch(&d, batch, 4, &cr[3], 0);
	submit(p, &d);
	wait_ok(&cr[3]);
	T_EQ(cr[3].bytes_completed, 4);	/* batch: descriptors completed */
	for (int i = 0; i < 4; i++) {
		wait_ok(&cr[4 + i]);
		T_CHECK(!memcmp(bdst + i * 4096, src + i * 8192, 4096), "batch member %d", i);
	}
	T_CHECK(sva_portal_close(p) == NULL, "close");

	/* The dedicated WQ: MOVDIR64B, posted. */
	T_EQ(sva_portal_open(dev, 1, SVA_PORTAL_LIMITED, &p), 0);
	memset(dst, 0, LEN);
	sva_prep_memmove(&d, dst, src, 8192, &cr[8], 0);
	T_EQ(sva_movdir64b(p, &d), 0);
	wait_ok(&cr[8]);
	T_CHECK(!memcmp(dst, src, 8192), "DWQ memmove result differs");
	sva_portal_close(p);
	t_unmap(src, LEN);
	t_unmap(dst, LEN);
	t_unmap(bdst, 4 * 4096);
}

/*
 * A configuration sequence with successes and failures; every return
 * value, command status and message is recorded, to be compared between
 * an embedded device and the remote one (same model, same answers).
 */
#define NSEQ 40

struct seq_out {
	long r[NSEQ];
	char text[NSEQ][200];
	int n;
};

static void rec(struct seq_out *o, long r, const char *text)
{
	if (o->n >= NSEQ)
		T_FATAL("sequence too long");
	o->r[o->n] = r;
	snprintf(o->text[o->n++], sizeof(o->text[0]), "%s", text ? text : "");
}

static void config_seq(struct sva_device *dev, struct seq_out *o)
{
	static const char *const sets[][3] = {
		{ "wq0.0", "threshold", "16" },	 { "wq0.0", "size", "32" },
		{ "wq0.2", "mode", "shared" },	 { "wq0.2", "size", "8" },
		{ "wq0.2", "group_id", "0" },	 { "wq0.2", "type", "user" },
		{ "wq0.2", "name", "t" },	 { "wq0.2", "priority", "5" },
		{ "wq0.2", "threshold", "0" },	 { "wq0.3", "nonsense", "1" },
	};
	char buf[1024];
	int r;

#define GET(obj, attr) (r = sva_attr_get(dev, obj, attr, buf, sizeof(buf)), rec(o, r, r < 0 ? "" : buf))
	memset(o, 0, sizeof(*o));
	GET("wq0.0", "op_cap");					/* 0 */
	GET("dsa0", "op_cap");
	GET("wq0.0", "nonsense");
	rec(o, sva_wq_disable(dev, 2), NULL);
	rec(o, sva_device_disable(dev), NULL);
	GET("dsa0", "state");					/* 5 */
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)	/* 6..15 */
		rec(o, sva_attr_set(dev, sets[i][0], sets[i][1], sets[i][2]), NULL);
	rec(o, sva_device_enable(dev), NULL);			/* 16 */
	rec(o, sva_wq_enable(dev, 0), NULL);
	rec(o, sva_wq_enable(dev, 1), NULL);
	rec(o, sva_wq_enable(dev, 2), NULL);			/* 19: no threshold */
	rec(o, sva_cmd_status(dev), sva_last_error(dev));
	rec(o, sva_attr_set(dev, "wq0.2", "threshold", "4"), NULL);
	rec(o, sva_wq_enable(dev, 2), NULL);			/* 22 */
	rec(o, sva_cmd_status(dev), sva_last_error(dev));
	GET("wq0.2", "state");
	rec(o, sva_drain_wq(dev, 2), NULL);
	rec(o, sva_abort_wq(dev, 2), NULL);
	rec(o, sva_wq_disable(dev, 2), NULL);			/* 27 */
	rec(o, sva_wq_reset(dev, 2), NULL);
	GET("wq0.2", "mode");
	rec(o, sva_device_disable(dev), NULL);			/* 30 */
	rec(o, sva_attr_set(dev, "wq0.0", "size", "64"), NULL);
	rec(o, sva_attr_set(dev, "wq0.0", "threshold", "48"), NULL);
	rec(o, sva_device_enable(dev), NULL);
	rec(o, sva_wq_enable(dev, 0), NULL);
	rec(o, sva_wq_enable(dev, 1), NULL);			/* 35 */
	rec(o, sva_cmd_status(dev), sva_last_error(dev));
#undef GET
}

static void compare_control(struct sva_device *remote)
{
	struct seq_out *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct sva_device *local;

	T_EQ(sva_device_new(NULL, &local), 0);
	config_seq(local, a);
	config_seq(remote, b);
	T_EQ(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		T_CHECK(a->r[i] == b->r[i] && !strcmp(a->text[i], b->text[i]),
			"step %d: embedded %ld '%s', remote %ld '%s'", i, a->r[i], a->text[i],
			b->r[i], b->text[i]);
	}
	/* the sequence does reach failures and successes */
	T_CHECK(a->n == 37 && a->r[1] > 0 && a->r[2] == -ENOENT && a->r[3] < 0 &&
			a->r[17] == 0 && a->r[19] < 0 && a->r[20] != 0 && a->r[22] == 0 &&
			a->r[23] == 0 && a->r[34] == 0 && a->r[35] == 0 && a->r[36] == 0,
		"sequence: %d steps, see SVA_TEST_VERBOSE=1", a->n);
	if (getenv("SVA_TEST_VERBOSE"))
		for (int i = 0; i < a->n; i++)
			printf("step %d: %ld %s\n", i, a->r[i], a->text[i]);
	sva_device_free(local);
	free(a);
}

static void test_control(struct sva_device *dev, const char *sock)
{
	struct sva_wq_stats ws = { .size = sizeof(ws) };
	struct sva_engine_stats es = { .size = sizeof(es) };
	struct sva_device_stats *ds = calloc(1, sizeof(*ds));
	struct sva_daemon_stats dm = { .size = sizeof(dm) };
	struct sva_device *dev2;
	uint32_t pasid, pasid2;
	uint64_t sw[4];
	char buf[512], small[4];
	int r;

	T_EQ(sva_bind(dev, &pasid), 0);
	T_CHECK(pasid >= 1 && pasid < (1u << 20), "pasid %u", pasid);
	/* A second connection of this process shares its PASID. */
	T_EQ(sva_device_connect(sock, "dsa0", &dev2), 0);
	T_EQ(sva_bind(dev2, &pasid2), 0);
	T_EQ(pasid2, pasid);
	T_EQ(sva_unbind(dev2), 0);
	T_EQ(sva_unbind(dev2), -EINVAL);
	sva_device_free(dev2);
	/* Another device of the same svad: the process keeps its one PASID. */
	T_EQ(sva_device_connect(sock, "dsa1", &dev2), 0);
	T_EQ(sva_bind(dev2, &pasid2), 0);
	T_EQ(pasid2, pasid);
	T_CHECK(!strcmp(sva_device_name(dev2), "dsa1"), "name %s", sva_device_name(dev2));
	sva_device_free(dev2);
	T_EQ(sva_device_connect(sock, "dsa2", &dev2), -ENODEV);
	T_EQ(sva_device_connect(sock, "", &dev2), -ENODEV);
	T_EQ(sva_device_connect("/nonexistent/sva.sock", "dsa0", &dev2), -ENODEV);
	T_CHECK(!strcmp(sva_device_name(dev), "dsa0"), "name %s", sva_device_name(dev));

	r = sva_attr_get(dev, "wq0.0", "mode", buf, sizeof(buf));
	T_CHECK(r == 6 && !strcmp(buf, "shared"), "mode %d '%s'", r, buf);
	T_EQ(sva_attr_get(dev, "dsa0", "op_cap", small, sizeof(small)), -ENOSPC);
	T_EQ(sva_attr_get(dev, "wq9999999999999999999999999999999.0", "mode", buf, sizeof(buf)),
	     -ENOENT);
	compare_control(dev);
	T_EQ(sva_drain_wq(dev, 64), -EINVAL);
	T_EQ(sva_drain_pasid(dev, pasid), 0);
	T_EQ(sva_drain_all(dev), 0);

	T_EQ(sva_wq_stats(dev, 0, &ws), 0);
	T_EQ(ws.size, sizeof(ws));
	T_CHECK(ws.accepted >= 4 && ws.completed >= 4, "wq0 accepted %llu completed %llu",
		(unsigned long long)ws.accepted, (unsigned long long)ws.completed);
	T_EQ(sva_engine_stats(dev, 0, &es), 0);
	T_EQ(es.group_id, 0);
	T_EQ(sva_engine_stats(dev, 64, &es), -EINVAL);
	ds->size = sizeof(*ds);
	T_EQ(sva_device_stats(dev, ds), 0);
	T_CHECK(ds->by_opcode[DSA_OPCODE_MEMMOVE] >= 2 && ds->by_opcode[DSA_OPCODE_BATCH] == 1,
		"by_opcode memmove %llu batch %llu",
		(unsigned long long)ds->by_opcode[DSA_OPCODE_MEMMOVE],
		(unsigned long long)ds->by_opcode[DSA_OPCODE_BATCH]);
	free(ds);
	T_EQ(sva_swerror(dev, sw), 0);
	T_EQ(sva_swerror_clear(dev), 0);
	/* Closed connections are released asynchronously: wait for dev2's. */
	for (int i = 0; i < 1000; i++) {
		T_EQ(sva_daemon_stats(dev, &dm), 0);
		if (dm.connections == 1)
			break;
		usleep(10000);
	}
	T_EQ(dm.clients, 1);
	T_EQ(dm.connections, 1);
	T_CHECK(dm.pasids >= 1 && dm.rss_bytes > 0 && dm.enq_accepted >= 4 && dm.posted == 1,
		"daemon stats pasids %llu rss %llu accepted %llu posted %llu",
		(unsigned long long)dm.pasids, (unsigned long long)dm.rss_bytes,
		(unsigned long long)dm.enq_accepted, (unsigned long long)dm.posted);
	T_EQ(sva_unbind(dev), 0);
}

/*
 * NOOPs submitted back to back, each as soon as the previous one's verdict
 * came: the engine that executed one spins (or polls between descriptors)
 * when the next is posted, and answers its verdict itself. Not waiting for
 * completions keeps the gap between posts well inside the engine's spin
 * window even in sanitizer builds (waiting for each record, ASan runs were
 * seen to leave every gap longer than the window). Counted, not timed:
 * any of them will do.
 */
static void test_engine_served(struct sva_device *dev)
{
	struct sva_daemon_stats a = { .size = sizeof(a) }, b = { .size = sizeof(b) };
	struct sva_portal *p;
	struct dsa_hw_desc d;

	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	if (!p)
		return;
	T_EQ(sva_daemon_stats(dev, &a), 0);
	for (int i = 0; i < 2000; i++) {
		sva_prep_noop(&d, &cr[i % 16], 0);
		submit(p, &d);
	}
	for (int i = 0; i < 16; i++)
		wait_ok(&cr[i]);
	T_EQ(sva_daemon_stats(dev, &b), 0);
	T_CHECK(b.engine_served > a.engine_served &&
			b.engine_served - a.engine_served <= b.enq_accepted - a.enq_accepted +
								      b.enq_retries - a.enq_retries,
		"engine answered %llu of %llu submissions",
		(unsigned long long)(b.engine_served - a.engine_served),
		(unsigned long long)(b.enq_accepted - a.enq_accepted));
	printf("svad_basic: engines answered %llu of %llu back-to-back submissions\n",
	       (unsigned long long)(b.engine_served - a.engine_served),
	       (unsigned long long)(b.enq_accepted - a.enq_accepted));
	sva_portal_close(p);
}

/* svad refuses bad options with status 2 before touching anything. */
static void test_options(void)
{
	static const char *const bad[][3] = {
		{ "--mode", "9999" },	  { "--devices", "17" }, { "--devices", "0" },
		{ "--log", "syslog" },	  { "--ring-slots", "3" }, { "--max-portals", "0" },
		{ "--group", "no-such-group-x" }, { "stray" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pid_t pid = t_fork_quiet();

		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, STDERR_FILENO);
			execl(SVA_SVAD_PATH, SVA_SVAD_PATH, "--socket", "/nonexistent/x/s.sock",
			      bad[i][0], bad[i][1], (char *)NULL);
			_exit(127);
		}
		T_CHECK(t_child_fate(pid) == -3, "svad %s %s was not refused", bad[i][0],
			bad[i][1] ? bad[i][1] : "");
	}
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", "--devices", "2", NULL };
	struct sva_device *dev = NULL, *env_dev = NULL;
	struct sva_daemon_stats dm = { .size = sizeof(dm) };
	struct t_svad d;
	int r;

	t_seed(5);
	test_options();
	r = t_svad_start(&d, SVA_SVAD_PATH, args);
	if (r)
		T_FATAL("svad did not start: %s", strerror(-r));
	T_EQ(sva_device_connect(d.socket, "dsa0", &dev), 0);
	if (dev) {
		test_ops(dev);
		test_control(dev, d.socket);
		test_engine_served(dev);
		T_EQ(sva_daemon_stats(dev, &dm), 0);
		T_EQ(dm.portals, 0);
		T_EQ(dm.ring_bytes, 0);
		sva_device_free(dev);
	}
	/* SVA_DAEMON turns the default device into the daemon's dsa0. */
	setenv("SVA_DAEMON", d.socket, 1);
	T_EQ(sva_device_new(NULL, &env_dev), 0);
	T_EQ(sva_daemon_stats(env_dev, &dm), 0);
	sva_device_free(env_dev);
	setenv("SVA_DAEMON", "", 1);	/* empty: as if unset */
	T_EQ(sva_device_new(NULL, &env_dev), 0);
	T_EQ(sva_daemon_stats(env_dev, &dm), -EOPNOTSUPP);
	sva_device_free(env_dev);
	unsetenv("SVA_DAEMON");

	T_EQ(t_svad_stop(&d, SIGTERM), 0);	/* clean exit, status 0 */
	T_CHECK(access(d.socket, F_OK) != 0, "socket left behind after SIGTERM");
	t_svad_cleanup(&d);
	return t_done("svad_basic");
}
