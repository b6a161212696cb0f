/* SPDX-License-Identifier: MIT */
/*
 * Description: accel-config JSON files (sva_config.h). A saved default
 * device loads into a fresh unconfigured one and saves back identically;
 * the configs shipped with accel-config load and give the attributes they
 * list; malformed files are rejected with -EINVAL and a message naming the
 * place, before anything is written; device rejections carry the device's
 * errno and name the attribute.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

static char err[512];

static struct sva_device *fresh(void)
{
	struct sva_device_config cfg = {
		.size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
		.flags = SVA_CONFIG_UNCONFIGURED,
	};
	struct sva_device *dev;

	if (sva_device_new(&cfg, &dev))
		T_FATAL("device");
	return dev;
}

static char *dump(struct sva_device *dev, unsigned int flags)
{
	char *j = NULL;

	T_EQ(sva_config_dump(&dev, 1, flags, &j), 0);
	return j ? j : strdup("");
}

/* Rewrite dev's number to 'N' so dumps of two devices compare. */
static char *neutral(struct sva_device *dev, char *j)
{
	const char *num = sva_device_name(dev) + 3;
	static const char *const pfx[] = { "\"dsa", "\"wq", "\"group", "\"engine" };
	size_t nl = strlen(num);

	for (size_t i = 0; i < 4; i++) {
		size_t pl = strlen(pfx[i]);

		for (char *p = strstr(j, pfx[i]); p; p = strstr(p + 1, pfx[i]))
			if (!strncmp(p + pl, num, nl) && (p[pl + nl] == '.' || p[pl + nl] == '"')) {
				p[pl] = 'N';
				memmove(p + pl + 1, p + pl + nl, strlen(p + pl + nl) + 1);
			}
	}
	return j;
}

/* kind "dsa" is the device itself; "wq", "group", "engine" take index m */
static void expect_attr(struct sva_device *dev, const char *kind, unsigned int m, const char *attr,
			const char *want)
{
	char obj[32], buf[128];
	unsigned int n = (unsigned int)atoi(sva_device_name(dev) + 3);
	int r;

	if (!strcmp(kind, "dsa"))
		snprintf(obj, sizeof(obj), "dsa%u", n);
	else
		snprintf(obj, sizeof(obj), "%s%u.%u", kind, n, m);
	r = sva_attr_get(dev, obj, attr, buf, sizeof(buf));
	T_CHECK(r >= 0 && !strcmp(buf, want), "%s/%s = '%s' (%d), expected '%s'", obj, attr,
		r >= 0 ? buf : "", r, want);
}

static void round_trip(void)
{
	struct sva_device *def, *dev = fresh();
	char *a, *b, *c, path[T_TMP_MAX];
	struct stat st;
	int fd;

	if (sva_device_new(NULL, &def))
		T_FATAL("device");
	a = dump(def, 0);
	/* an unconfigured (disabled) device saves as an empty list, as accel-config does */
	b = dump(dev, 0);
	T_CHECK(!strcmp(b, "[\n]\n"), "empty save: %s", b);
	free(b);
	T_EQ(sva_config_load_buf(dev, a, strlen(a), SVA_LOAD_ANY_NAME | SVA_LOAD_ENABLE, err,
				 sizeof(err)), 0);
	T_CHECK(!err[0], "no message on success: %s", err);
	b = dump(dev, 0);
	T_CHECK(!strcmp(neutral(def, a), neutral(dev, b)), "round trip differs:\n%s\n%s", a, b);
	expect_attr(dev, "wq", 0, "state", "enabled");
	expect_attr(dev, "wq", 1, "state", "enabled");

	/* through a file, back into the first device (same name, no renaming) */
	fd = mkstemp(t_tmp_name(path, sizeof(path), "sva-config-"));
	T_CHECK(fd >= 0, "mkstemp");
	close(fd);
	free(a);
	a = dump(def, 0);
	T_EQ(sva_config_save(&def, 1, path, 0), 0);
	T_EQ(stat(path, &st), 0);
	T_EQ(st.st_mode & 0777, 0644);
	T_EQ(sva_config_save(&def, 1, "/nonexistent/dir/sva.json", 0), -ENOENT);
	T_EQ(sva_config_save(&def, 1, path, 1u << 30), -EINVAL);
	T_EQ(sva_config_load(def, path, 0, err, sizeof(err)), -EBUSY);
	T_CHECK(strstr(err, "is enabled"), "%s", err);
	T_EQ(sva_config_load(def, path, SVA_LOAD_FORCE | SVA_LOAD_RESET | SVA_LOAD_ENABLE, err,
			     sizeof(err)), 0);
	c = dump(def, 0);
	T_CHECK(!strcmp(a, c), "file round trip differs:\n%s\n%s", a, c);
	/* list -i output loads too; a WQ marked disabled stays disabled */
	free(c);
	c = dump(def, SVA_DUMP_LIST | SVA_DUMP_IDLE);
	T_CHECK(strstr(c, "\"ungrouped workqueues\""), "list -i shape");
	T_CHECK(strstr(c, "\"cdev_minor\":0"), "cdev_minor of an enabled WQ");
	T_EQ(sva_wq_disable(def, 1), 0);
	free(c);
	c = dump(def, SVA_DUMP_LIST | SVA_DUMP_IDLE);
	T_EQ(sva_config_load_buf(def, c, strlen(c), SVA_LOAD_FORCE | SVA_LOAD_ENABLE, err,
				 sizeof(err)), 0);
	expect_attr(def, "wq", 0, "state", "enabled");
	expect_attr(def, "wq", 1, "state", "disabled");
	unlink(path);
	free(a);
	free(b);
	free(c);
	sva_device_free(def);
	sva_device_free(dev);
}

/* What accel-config's profiles in /etc/accel-config/contrib/configs set up. */
struct profile {
	const char *file;
	unsigned int nwqs;
	struct {
		const char *mode, *size, *threshold, *batch, *xfer;
	} wq[4];
};

static const struct profile profiles[] = {
	{ "app_profile.conf", 2, { { "shared", "8", "6", "32", "16384" },
				   { "shared", "32", "28", "32", "2097152" } } },
	{ "net_profile.conf", 4, { { "dedicated", "32", "0", "1024", "16384" },
				   { "dedicated", "32", "0", "1024", "16384" },
				   { "dedicated", "32", "0", "1024", "16384" },
				   { "dedicated", "32", "0", "1024", "16384" } } },
	{ "storage_profile.conf", 2, { { "dedicated", "32", "0", "32", "16384" },
				       { "dedicated", "32", "0", "32", "2097152" } } },
};

static void shipped(void)
{
	const char *user1 = "/usr/libexec/accel-config/test/configs/2g2q_user_1.conf";
	const char *user2 = "/usr/libexec/accel-config/test/configs/2g2q_user_2.conf";
	const char *prof = "/etc/accel-config/contrib/configs/";
	struct sva_device *dev;
	char path[256];

	if (access(user1, R_OK) || access(user2, R_OK)) {
		printf("accel-config-test not installed: shipped test configs not checked\n");
		return;
	}
	dev = fresh();
	T_EQ(sva_config_load(dev, user1, SVA_LOAD_ANY_NAME | SVA_LOAD_ENABLE, err, sizeof(err)),
	     0);
	T_CHECK(!err[0], "%s", err);
	expect_attr(dev, "dsa", 0, "state", "enabled");
	expect_attr(dev, "wq", 0, "mode", "shared");
	expect_attr(dev, "wq", 0, "size", "16");
	expect_attr(dev, "wq", 0, "threshold", "15");
	expect_attr(dev, "wq", 0, "name", "app1");
	expect_attr(dev, "wq", 0, "state", "enabled");
	expect_attr(dev, "wq", 1, "mode", "dedicated");
	expect_attr(dev, "wq", 1, "group_id", "1");
	expect_attr(dev, "wq", 1, "name", "app2");
	expect_attr(dev, "wq", 1, "block_on_fault", "1");
	expect_attr(dev, "engine", 1, "group_id", "0");
	expect_attr(dev, "engine", 2, "group_id", "1");
	expect_attr(dev, "group", 0, "read_buffers_allowed", "8");
	expect_attr(dev, "group", 3, "read_buffers_allowed", "8");
	/* the IAA config: no DSA entry */
	T_EQ(sva_config_load(dev, user2, SVA_LOAD_ANY_NAME | SVA_LOAD_FORCE, err, sizeof(err)),
	     -ENODEV);
	T_CHECK(strstr(err, "no DSA device entry"), "%s", err);
	sva_device_free(dev);

	/* accel-config's profiles (some with trailing commas json-c accepts) */
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		const struct profile *pr = &profiles[i];

		snprintf(path, sizeof(path), "%s%s", prof, pr->file);
		if (access(path, R_OK)) {
			printf("%s not installed: not checked\n", path);
			continue;
		}
		dev = fresh();
		T_EQ(sva_config_load(dev, path, SVA_LOAD_ANY_NAME | SVA_LOAD_ENABLE, err,
				     sizeof(err)), 0);
		T_CHECK(!err[0], "%s: %s", pr->file, err);
		for (unsigned int q = 0; q < pr->nwqs; q++) {
			char g[12];

			snprintf(g, sizeof(g), "%u", q);
			expect_attr(dev, "wq", q, "state", "enabled");
			expect_attr(dev, "wq", q, "mode", pr->wq[q].mode);
			expect_attr(dev, "wq", q, "size", pr->wq[q].size);
			expect_attr(dev, "wq", q, "threshold", pr->wq[q].threshold);
			expect_attr(dev, "wq", q, "max_batch_size", pr->wq[q].batch);
			expect_attr(dev, "wq", q, "max_transfer_size", pr->wq[q].xfer);
			expect_attr(dev, "wq", q, "group_id", g);
			/* one engine per group */
			expect_attr(dev, "engine", q, "group_id", g);
		}
		sva_device_free(dev);
	}
	snprintf(path, sizeof(path), "%sos_profile.conf", prof);
	if (!access(path, R_OK)) {
		/* a kernel WQ cannot be named while PASIDs are on: the device's -EOPNOTSUPP */
		dev = fresh();
		T_EQ(sva_config_load(dev, path, SVA_LOAD_ANY_NAME, err, sizeof(err)), -EOPNOTSUPP);
		T_CHECK(strstr(err, "name=dmaengine"), "%s", err);
		sva_device_free(dev);
	}
}

struct bad {
	const char *json;
	int rc;
	const char *msg;
};

static const struct bad bad[] = {
	{ "[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.0\"", -EINVAL,
	  "1:48: unexpected end of file" },
	{ "[ {\n \"dev\":\"dsa0\",\n \"read_buffer_limit\":0 ]", -EINVAL,
	  "3:24: object value separator" },
	{ "[]\n junk", -EINVAL, "2:2: text after" },
	{ "{ \"dev\":\"dsa0\" }", -EINVAL, "expected an array of devices, got object" },
	{ "[ { \"read_buffer_limit\":0, \"dev\":\"dsa0\" } ]", -EINVAL,
	  "first key must be \"dev\"" },
	{ "[ { \"dev\":\"dsa0\", \"read_buffer_limit\":\"0\" } ]", -EINVAL,
	  "dsa0: \"read_buffer_limit\": expected an integer, got string" },
	{ "[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.0\", \"grouped_workqueues\":"
	  "[ { \"dev\":\"wq0.0\", \"size\":16.5 } ] } ] } ]", -EINVAL,
	  "\"size\": expected an integer, got double" },
	{ "[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.0\", \"grouped_workqueues\":"
	  "[ { \"dev\":\"wq0.0\", \"mode\":1 } ] } ] } ]", -EINVAL,
	  "\"mode\": expected a string, got int" },
	{ "[ { \"dev\":\"dsa0\", \"groups\":{} } ]", -EINVAL, "\"groups\": expected an array" },
	{ "[ { \"dev\":\"dsa0\", \"groups\":[ 3 ] } ]", -EINVAL,
	  "\"groups\"[0]: expected an object, got int" },
	{ "[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"wq0.0\" } ] } ]", -EINVAL,
	  "\"wq0.0\": expected a name like group0.0" },
	{ "[ { \"dev\":\"dsa0\", \"ungrouped_engines\":[ { \"dev\":\"engine1.0\" } ] } ]",
	  -EINVAL, "engine1.0 does not belong to the entry of device 0" },
	{ "[ { \"dev\":\"dsa0\", \"ungrouped_engines\":[ { \"dev\":\"engine0.4\" } ] } ]",
	  -EINVAL, "engine0.4: the device has 4 engines (0..3)" },
	{ "[ { \"dev\":\"dsa0\", \"ungrouped_engines\":[ { \"dev\":\"engine0.01\" } ] } ]",
	  -EINVAL, "\"engine0.01\": expected a name like engine0.0" },
	{ "[ { \"dev\":\"dsa0\", \"ungrouped_engines\":[ { \"dev\":\"engine0.1\" },"
	  " { \"dev\":\"engine0.1\" } ] } ]", -EINVAL, "engine0.1 is listed twice" },
	{ "[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.1\", \"grouped_engines\":"
	  "[ { \"dev\":\"engine0.0\", \"group_id\":0 } ] } ] } ]", -EINVAL,
	  "group_id 0, but listed under group0.1" },
	{ "[ { \"dev\":\"dsa0\", \"colour\":\"blue\" } ]", -EINVAL, "unknown key \"colour\"" },
	{ "[ { \"dev\":\"qat0\" } ]", -EINVAL, "not a DSA or IAA device name" },
	{ "[ { } ]", -EINVAL, "empty object" },
	{ "[ { \"dev\":\"dsa3\" }, { \"dev\":\"iax3\" }, { \"dev\":\"dsa3\" } ]", -EINVAL,
	  "dsa3 is listed twice" },
	{ "[ { \"dev\":\"dsa0\" } ]", -ENODEV, "no entry for dsa" },	/* no ANY_NAME */
	{ "", -EINVAL, "1:1: unexpected end of file" },
};

static void malformed(void)
{
	struct sva_device *dev;
	char *before, *after;

	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	before = dump(dev, SVA_DUMP_LIST | SVA_DUMP_IDLE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *want = bad[i].msg;	/* names as in the file */
		unsigned int flags =
			SVA_LOAD_FORCE | (bad[i].rc == -ENODEV ? 0 : SVA_LOAD_ANY_NAME);
		int r = sva_config_load_buf(dev, bad[i].json, strlen(bad[i].json), flags, err,
					    sizeof(err));

		T_CHECK(r == bad[i].rc, "case %zu: %d, expected %d (%s)", i, r, bad[i].rc, err);
		T_CHECK(strstr(err, want) && !strncmp(err, "<buffer>: ", 10),
			"case %zu: message '%s' lacks '%s'", i, err, want);
	}
	/* checked before anything is written: the enabled device is untouched */
	after = dump(dev, SVA_DUMP_LIST | SVA_DUMP_IDLE);
	T_CHECK(!strcmp(before, after), "a rejected file changed the device");
	T_EQ(sva_config_load(dev, "/nonexistent/sva.json", 0, err, sizeof(err)), -ENOENT);
	T_CHECK(strstr(err, "/nonexistent/sva.json"), "%s", err);
	T_EQ(sva_config_load_buf(dev, "[]", 2, 1u << 31, err, sizeof(err)), -EINVAL);
	free(before);
	free(after);
	sva_device_free(dev);
}

/* Values the device refuses: its errno, and the message names the attribute. */
static void rejected(void)
{
	static const char thr0[] =
		"[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.0\", \"grouped_workqueues\":"
		"[ { \"dev\":\"wq0.0\", \"mode\":\"shared\", \"size\":16, \"threshold\":0,"
		" \"priority\":1, \"type\":\"user\", \"name\":\"x\" } ], \"grouped_engines\":"
		"[ { \"dev\":\"engine0.0\" } ] } ] } ]";
	static const char thr17[] =
		"[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.0\", \"grouped_workqueues\":"
		"[ { \"dev\":\"wq0.0\", \"mode\":\"shared\", \"size\":16,"
		" \"threshold\":17 } ] } ] } ]";
	static const char big[] =
		"[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.0\", \"grouped_workqueues\":"
		"[ { \"dev\":\"wq0.0\", \"size\":200 } ] } ] } ]";
	static const char noeng[] =
		"[ { \"dev\":\"dsa0\", \"groups\":[ { \"dev\":\"group0.0\", \"grouped_workqueues\":"
		"[ { \"dev\":\"wq0.0\", \"size\":8, \"priority\":1, \"type\":\"user\","
		" \"name\":\"x\" } ] } ] } ]";
	struct sva_device *dev = fresh();
	int r;

	/* (T_EQ evaluates its argument again to print it: load once into r) */
	r = sva_config_load_buf(dev, thr17, strlen(thr17), SVA_LOAD_ANY_NAME, err, sizeof(err));
	T_EQ(r, -EINVAL);
	T_CHECK(strstr(err, "wq") && strstr(err, "threshold=17") && strstr(err, "not in 1..16"),
		"%s", err);
	r = sva_config_load_buf(dev, big, strlen(big), SVA_LOAD_ANY_NAME, err, sizeof(err));
	T_EQ(r, -EINVAL);
	T_CHECK(strstr(err, "size=200") && strstr(err, "max_work_queues_size"), "%s", err);
	sva_device_free(dev);

	/* threshold 0 is the unset value: not written, and the shared WQ cannot be enabled */
	dev = fresh();
	r = sva_config_load_buf(dev, thr0, strlen(thr0), SVA_LOAD_ANY_NAME | SVA_LOAD_ENABLE, err,
				sizeof(err));
	T_EQ(r, -ENXIO);
	T_CHECK(strstr(err, "enabling wq") && strstr(err, "WQ_NO_THRESH"), "%s", err);
	sva_device_free(dev);

	/* the group has no engine: enabling fails with the device's rule */
	dev = fresh();
	r = sva_config_load_buf(dev, noeng, strlen(noeng), SVA_LOAD_ANY_NAME | SVA_LOAD_ENABLE,
				err, sizeof(err));
	T_EQ(r, -ENXIO);
	T_CHECK(strstr(err, "enabling the device") && strstr(err, "no engine"), "%s", err);
	sva_device_free(dev);
}

/* contrib/svad.json, the sample for svad, is the default device's save-config. */
static void sample(void)
{
	struct sva_device *def, *dev = fresh();
	char *a, *b;

	if (sva_device_new(NULL, &def))
		T_FATAL("device");
	T_EQ(sva_config_load(dev, SVA_SOURCE_DIR "/contrib/svad.json",
			     SVA_LOAD_ANY_NAME | SVA_LOAD_ENABLE, err, sizeof(err)), 0);
	T_CHECK(!err[0], "%s", err);
	a = neutral(def, dump(def, 0));
	b = neutral(dev, dump(dev, 0));
	T_CHECK(!strcmp(a, b), "contrib/svad.json is not the default device:\n%s", b);
	free(a);
	free(b);
	sva_device_free(def);
	sva_device_free(dev);
}

int main(void)
{
	round_trip();
	sample();
	shipped();
	malformed();
	rejected();
	return t_done("config_file");
}
