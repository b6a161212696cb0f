/* SPDX-License-Identifier: MIT */
/*
 * Description: svactl's commands (tools/svactl_cmds.c) on an embedded
 * device: an accel-config style session configures and enables a WQ;
 * config-wq writes in accel-config's order; device refusals exit 1 with
 * the device's message; usage errors exit 2; list and save-config print
 * the config dump; load-config restores a saved state; stats counts what
 * the device executed (by opcode, status, WQ, engine and PASID), as a
 * table and as JSON; on an svad-hosted device it adds svad's own counters.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "harness.h"
#include "svactl_cmds.h"

static char *out_buf, *err_buf;
static struct sva_device *second;	/* a second device, once multi() runs */

/* Run "svactl ARGS" (a NULL-terminated list) on dev (and second); output in out_buf, err_buf. */
static int run(struct sva_device *dev, ...)
{
	struct sva_device *devs[2] = { dev, second };
	size_t ndevs = second ? 2 : 1;
	char *argv[32];
	size_t olen, elen;
	FILE *out, *err;
	va_list ap;
	int argc = 0, r;

	va_start(ap, dev);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	free(out_buf);
	free(err_buf);
	out = open_memstream(&out_buf, &olen);
	err = open_memstream(&err_buf, &elen);
	if (!out || !err)
		T_FATAL("memstream");
	r = svactl_run(devs, ndevs, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void expect_attr(struct sva_device *dev, const char *obj, const char *attr,
			const char *want)
{
	char buf[128];
	int r = sva_attr_get(dev, obj, attr, buf, sizeof(buf));

	T_CHECK(r >= 0 && !strcmp(buf, want), "%s/%s = '%s' (%d), expected '%s'", obj, attr,
		r >= 0 ? buf : "", r, want);
}

/* The first device made in this process is dsa0: the session uses its names. */
static void session(struct sva_device *dev)
{
	T_EQ(run(dev, "config-engine", "dsa0/engine0.0", "-g", "0", NULL), 0);
	/* accel-config writes group_id even without -g: 0 */
	T_EQ(sva_attr_set(dev, "engine0.1", "group_id", "2"), 0);
	T_EQ(run(dev, "config-engine", "dsa0/engine0.1", NULL), 0);
	expect_attr(dev, "engine0.1", "group_id", "0");
	T_EQ(run(dev, "config-group", "dsa0/group0.0", "--read-buffers-allowed=8", NULL), 0);
	expect_attr(dev, "group0.0", "read_buffers_allowed", "8");
	/* options may follow the object, long or short */
	T_EQ(run(dev, "config-wq", "dsa0/wq0.0", "-g", "0", "-s", "16", "-p", "10", "-m", "shared",
		 "-t", "15", "-y", "user", "-n", "app1", "-b", "1", "--max-batch-size=32", NULL),
	     0);
	expect_attr(dev, "wq0.0", "threshold", "15");
	expect_attr(dev, "wq0.0", "max_batch_size", "32");
	expect_attr(dev, "wq0.0", "name", "app1");
	/* size is written before threshold: 20 > 16 works when both are given */
	T_EQ(run(dev, "config-wq", "-t", "20", "-s", "24", "dsa0/wq0.0", NULL), 0);
	expect_attr(dev, "wq0.0", "threshold", "20");
	/* mode is written before threshold: a dedicated WQ refuses one */
	T_EQ(run(dev, "config-wq", "dsa0/wq0.1", "-t", "5", "-m", "dedicated", "-s", "8", NULL), 1);
	T_CHECK(strstr(err_buf, "wq0.1/threshold") && strstr(err_buf, "dedicated"), "%s", err_buf);

	T_EQ(run(dev, "enable-wq", "dsa0/wq0.0", NULL), 1);	/* device not enabled */
	T_CHECK(strstr(out_buf, "enabled 0 wq(s) out of 1"), "%s", out_buf);
	T_CHECK(strstr(err_buf, "cmd_status 0x"), "%s", err_buf);
	T_EQ(run(dev, "enable-device", "dsa0", NULL), 0);
	T_CHECK(!strcmp(out_buf, "enabled 1 device(s) out of 1\n"), "%s", out_buf);
	T_EQ(run(dev, "enable-wq", "dsa0/wq0.0", NULL), 0);
	T_CHECK(!strcmp(out_buf, "enabled 1 wq(s) out of 1\n"), "%s", out_buf);
	expect_attr(dev, "wq0.0", "state", "enabled");
	/* configuration while enabled: the device's -EPERM, named */
	T_EQ(run(dev, "config-wq", "dsa0/wq0.0", "-p", "3", NULL), 1);
	T_CHECK(strstr(err_buf, "wq0.0/priority") && strstr(err_buf, "not permitted"), "%s",
		err_buf);
}

static void bad_usage(struct sva_device *dev)
{
	T_EQ(run(dev, "frobnicate", NULL), 2);
	T_CHECK(strstr(err_buf, "unknown command"), "%s", err_buf);
	T_EQ(run(dev, "config-wq", "-s", "8", NULL), 2);		/* no object */
	T_CHECK(strstr(err_buf, "usage: svactl config-wq"), "%s", err_buf);
	T_EQ(run(dev, "config-wq", "dsa0/wq0.0", "--bogus", NULL), 2);
	T_EQ(run(dev, "config-wq", "dsa9/wq9.0", "-s", "8", NULL), 1);
	T_CHECK(strstr(err_buf, "dsa9: no such device"), "%s", err_buf);
	T_EQ(run(dev, "config-wq", "dsa0/engine0.0", "-s", "8", NULL), 1);
	T_CHECK(strstr(err_buf, "not a wq of dsa0"), "%s", err_buf);
	T_EQ(run(dev, "config-wq", "dsa0/wq0.0", "-s", "eight", NULL), 1);
	T_CHECK(strstr(err_buf, "--wq-size: \"eight\" is not a number"), "%s", err_buf);
	T_EQ(run(dev, "config-wq", "dsa0/wq0.99", "-s", "8", NULL), 1);
	T_EQ(run(dev, "load-config", NULL), 2);
	T_EQ(run(dev, "load-config", "-c", "/nonexistent.conf", NULL), 1);
	T_CHECK(strstr(err_buf, "/nonexistent.conf: No such file"), "%s", err_buf);
	T_EQ(run(dev, "stats", "dsa0", "dsa1", NULL), 2);
}

/* save-config -s into a new file under /tmp (its name in path), then "list"; a copy of the list. */
static char *save_and_list(struct sva_device *dev, char *path, size_t len)
{
	int fd = mkstemp(t_tmp_name(path, len, "svactl-"));

	T_CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	T_EQ(run(dev, "save-config", "-s", path, NULL), 0);
	T_EQ(run(dev, "list", NULL), 0);
	return strdup(out_buf);
}

static void list_save_load(struct sva_device *dev)
{
	char path[T_TMP_MAX], *saved, *before, *json;

	T_EQ(run(dev, "list", NULL), 0);
	T_EQ(sva_config_dump(&dev, 1, SVA_DUMP_LIST, &json), 0);
	T_CHECK(!strcmp(out_buf, json), "list is the list dump");
	free(json);
	T_EQ(run(dev, "list", "-i", NULL), 0);
	T_CHECK(strstr(out_buf, "\"ungrouped workqueues\""), "list -i shows idle WQs");
	T_EQ(run(dev, "save-config", NULL), 0);
	saved = strdup(out_buf);
	T_CHECK(strstr(saved, "\"name\":\"app1\"") && !strstr(saved, "\"state\""), "%s", saved);

	before = save_and_list(dev, path, sizeof(path));
	/* change things, then restore from the file */
	T_EQ(run(dev, "disable-device", "dsa0", NULL), 0);
	T_CHECK(!strcmp(out_buf, "disabled 1 device(s) out of 1\n"), "%s", out_buf);
	T_EQ(run(dev, "config-wq", "dsa0/wq0.0", "-n", "other", "-t", "3", NULL), 0);
	T_EQ(run(dev, "load-config", "-c", path, "-e", NULL), 0);
	T_EQ(run(dev, "list", NULL), 0);
	T_CHECK(!strcmp(out_buf, before), "load-config did not restore:\n%s\n%s", before, out_buf);
	/* enabled device: refused without -f */
	T_EQ(run(dev, "load-config", "-c", path, NULL), 1);
	T_CHECK(strstr(err_buf, "dsa0 is enabled"), "%s", err_buf);
	T_EQ(run(dev, "load-config", "-c", path, "-f", "-e", NULL), 0);
	unlink(path);
	free(saved);
	free(before);
}

static void stats(struct sva_device *dev)
{
	static struct dsa_completion_record cr[8] __attribute__((aligned(32)));
	static char src[4096], dst[4096];
	struct sva_portal *p;
	struct dsa_hw_desc d;
	json_object *arr, *o, *v, *w;
	uint32_t pasid;
	char row[128];

	T_EQ(sva_bind(dev, &pasid), 0);
	/* resident pages: no fault completions */
	memset(src, 1, sizeof(src));
	memset(dst, 0, sizeof(dst));
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	for (int i = 0; i < 8; i++) {
		sva_prep_memmove(&d, dst, src, sizeof(src), &cr[i], 0);
		while (sva_enqcmd(p, &d) == 1)
			;
		T_EQ(sva_wait(&cr[i], -1), 0);
	}
	/* a client holds the WQ: disable-wq refuses without -f */
	T_EQ(run(dev, "disable-wq", "dsa0/wq0.0", NULL), 1);
	T_CHECK(strstr(err_buf, "1 client(s)"), "%s", err_buf);
	sva_portal_close(p);

	T_EQ(run(dev, "stats", NULL), 0);
	T_CHECK(strstr(out_buf, "dsa0 (enabled): 8 descriptors completed"), "%s", out_buf);
	T_CHECK(strstr(out_buf, "memmove                 8"), "%s", out_buf);
	T_CHECK(strstr(out_buf, "0x01   success"), "%s", out_buf);
	T_CHECK(!strstr(out_buf, "svad"), "svad counters of an embedded device: %s", out_buf);
	/* the process's PASID row: 8 successes of 4 KiB */
	snprintf(row, sizeof(row), "\n%-8u %10u %10u %8u %10u %14u %8u  -\n", pasid, 8, 8, 0, 0,
		 8 * 4096, 0);
	T_CHECK(strstr(out_buf, row), "no row \"%s\" in:\n%s", row, out_buf);
	T_EQ(run(dev, "stats", "--json", "dsa0", NULL), 0);
	arr = json_tokener_parse(out_buf);
	T_CHECK(arr && json_object_array_length(arr) == 1, "stats --json: %s", out_buf);
	o = json_object_array_get_idx(arr, 0);
	if (!o)
		return;
	T_CHECK(json_object_object_get_ex(o, "by_opcode", &v) &&
		json_object_object_get_ex(v, "memmove", &w) && json_object_get_int(w) == 8,
		"by_opcode.memmove");
	T_CHECK(json_object_object_get_ex(o, "work_queues", &v) &&
		json_object_object_get_ex(json_object_array_get_idx(v, 0), "accepted", &w) &&
		json_object_get_int(w) == 8, "work_queues[0].accepted");
	T_CHECK(json_object_object_get_ex(o, "engines", &v) && json_object_array_length(v) == 4,
		"engines");
	T_CHECK(json_object_object_get_ex(o, "pasids", &v) && json_object_array_length(v) == 1 &&
		json_object_object_get_ex(json_object_array_get_idx(v, 0), "pasid", &w) &&
		json_object_get_int64(w) == pasid &&
		json_object_object_get_ex(json_object_array_get_idx(v, 0), "completed", &w) &&
		json_object_get_int(w) == 8, "pasids[0]");
	json_object_put(arr);
	T_EQ(run(dev, "disable-wq", "dsa0/wq0.0", NULL), 0);
	T_CHECK(!strcmp(out_buf, "disabled 1 wq(s) out of 1\n"), "%s", out_buf);
}

/* Two devices: list and save-config show both, a named object picks its device. */
static void multi(struct sva_device *dev)
{
	char path[T_TMP_MAX], *both;
	json_object *arr;

	if (sva_device_new(NULL, &second) || strcmp(sva_device_name(second), "dsa1"))
		T_FATAL("second device");
	/*
	 * save-config keeps enabled WQs only (as accel-config): an enabled
	 * device with none would save a file that cannot enable it again
	 */
	T_EQ(run(dev, "enable-wq", "dsa0/wq0.0", NULL), 0);
	T_EQ(run(dev, "list", NULL), 0);
	arr = json_tokener_parse(out_buf);
	T_CHECK(arr && json_object_array_length(arr) == 2, "list shows both: %s", out_buf);
	json_object_put(arr);
	T_EQ(run(dev, "stats", "--json", NULL), 0);
	arr = json_tokener_parse(out_buf);
	T_CHECK(arr && json_object_array_length(arr) == 2, "stats of both: %s", out_buf);
	json_object_put(arr);
	T_EQ(run(dev, "stats", "dsa1", NULL), 0);
	T_CHECK(!strncmp(out_buf, "dsa1 (enabled)", 14), "%s", out_buf);

	T_EQ(run(dev, "disable-device", "dsa1", NULL), 0);
	T_EQ(run(dev, "config-wq", "dsa1/wq1.0", "-n", "second", NULL), 0);
	expect_attr(second, "wq1.0", "name", "second");
	T_EQ(run(dev, "enable-device", "dsa1", NULL), 0);
	T_EQ(run(dev, "enable-wq", "dsa1/wq1.0", "dsa1/wq1.1", NULL), 0);
	T_CHECK(!strcmp(out_buf, "enabled 2 wq(s) out of 2\n"), "%s", out_buf);

	/* one file for both; load-config gives each device its own entry */
	both = save_and_list(dev, path, sizeof(path));
	T_EQ(sva_attr_set(second, "wq1.0", "name", "x"), -EPERM);
	T_EQ(run(dev, "load-config", "-c", path, "-f", "-r", "-e", NULL), 0);
	T_EQ(run(dev, "list", NULL), 0);
	T_CHECK(!strcmp(out_buf, both), "both devices restored:\n%s\n%s", both, out_buf);
	unlink(path);
	free(both);
	second = sva_device_free(second);
}

/* stats of a device svad hosts: the daemon's line and JSON object too. */
static void daemon_stats(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	struct sva_device *dev = NULL, *saved = second;
	struct sva_portal *p;
	struct dsa_hw_desc d;
	json_object *arr, *o, *v;
	struct t_svad sv;
	int r;

	r = t_svad_start(&sv, SVA_SVAD_PATH, args);
	if (r)
		T_FATAL("svad did not start: %s", strerror(-r));
	second = NULL;
	T_EQ(sva_device_connect(sv.socket, "dsa0", &dev), 0);
	if (!dev)
		goto out;
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	sva_prep_noop(&d, &cr, 0);
	while (sva_enqcmd(p, &d) == 1)
		;
	T_EQ(sva_wait(&cr, -1), 0);
	T_EQ(run(dev, "stats", NULL), 0);
	/* svad's start-up probe may still count as a client: only ours binds */
	T_CHECK(strstr(out_buf, "\nsvad: ") && strstr(out_buf, " 1 PASIDs, 1 portals ("), "%s",
		out_buf);
	T_CHECK(strstr(out_buf, "\nsvad portals: 1 admitted, 0 retried, 0 posted; "), "%s",
		out_buf);
	T_EQ(run(dev, "stats", "--json", NULL), 0);
	arr = json_tokener_parse(out_buf);
	o = arr ? json_object_array_get_idx(arr, 0) : NULL;
	T_CHECK(o && json_object_object_get_ex(o, "daemon", &o) &&
			json_object_object_get_ex(o, "enq_accepted", &v) &&
			json_object_get_int(v) == 1 &&
			json_object_object_get_ex(o, "engine_served", &v),
		"stats --json: %s", out_buf);
	json_object_put(arr);
	sva_portal_close(p);
	sva_device_free(dev);
out:
	second = saved;
	t_svad_cleanup(&sv);
}

int main(void)
{
	struct sva_device_config cfg = {
		.size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
		.flags = SVA_CONFIG_UNCONFIGURED,
	};
	char *argv[] = { "config-wq", "dsa12/wq12.3", "-s", "1", NULL };
	struct sva_device *dev;

	if (sva_device_new(&cfg, &dev))
		T_FATAL("device");
	if (strcmp(sva_device_name(dev), "dsa0"))
		T_FATAL("first device is %s", sva_device_name(dev));
	T_CHECK(!strcmp(svactl_device_name(4, argv), "dsa12"), "device name of a command");
	T_CHECK(svactl_device_name(1, argv) == NULL, "no device named");
	session(dev);
	bad_usage(dev);
	list_save_load(dev);
	stats(dev);
	multi(dev);
	daemon_stats();
	sva_device_free(dev);
	free(out_buf);
	free(err_buf);
	return t_done("svactl");
}
