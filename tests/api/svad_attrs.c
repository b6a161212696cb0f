/* SPDX-License-Identifier: MIT */
/*
 * Description: a device hosted by svad answers sva_attr_info and
 * sva_attr_show exactly as an embedded device of the same configuration
 * does, for every attribute of every object (names, writable flags, return
 * values and bytes, empty files apart from empty values, -ENOENT past the
 * end and for unknown objects, -ENOSPC for short buffers), in the default
 * configuration and in svad's --unconfigured --driver-name personality;
 * then after the same stores and enables on both. svad --config: a good
 * accel-config file configures and enables the devices before clients
 * connect; a bad file, a store the device refuses and a file naming no
 * hosted device make svad exit 1 with a message saying why.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

/* every object of a default DSA: dsa0, 8 WQs, 4 groups, 4 engines */
static void objects(unsigned int i, char *buf, size_t len)
{
	if (i == 0)
		snprintf(buf, len, "dsa0");
	else if (i <= 8)
		snprintf(buf, len, "wq0.%u", i - 1);
	else if (i <= 12)
		snprintf(buf, len, "group0.%u", i - 9);
	else
		snprintf(buf, len, "engine0.%u", i - 13);
}
#define NOBJ	17

/* Compare one object's attribute list and every value; returns the count compared. */
static unsigned int compare_obj(struct sva_device *emb, struct sva_device *rem, const char *obj)
{
	char ne[64], nr[64], ve[4096], vr[4096];
	unsigned int i, fe, fr;
	int re, rr;

	for (i = 0;; i++) {
		fe = fr = 0xdead;
		re = sva_attr_info(emb, obj, i, ne, sizeof(ne), &fe);
		rr = sva_attr_info(rem, obj, i, nr, sizeof(nr), &fr);
		T_CHECK(re == rr, "%s attr %u: info %d embedded, %d remote", obj, i, re, rr);
		if (re || rr)
			break;
		T_CHECK(!strcmp(ne, nr) && fe == fr, "%s attr %u: %s/%u embedded, %s/%u remote",
			obj, i, ne, fe, nr, fr);
		memset(ve, 0x5a, sizeof(ve));
		memset(vr, 0x5a, sizeof(vr));
		re = sva_attr_show(emb, obj, ne, ve, sizeof(ve));
		rr = sva_attr_show(rem, obj, ne, vr, sizeof(vr));
		T_CHECK(re == rr && (re <= 0 || !memcmp(ve, vr, (size_t)re)),
			"%s/%s: show %d [%.*s] embedded, %d [%.*s] remote", obj, ne, re,
			re > 0 ? re : 0, ve, rr, rr > 0 ? rr : 0, vr);
		/* the model's value: the same, and the same -ENOSPC with one byte too few */
		re = sva_attr_get(emb, obj, ne, ve, sizeof(ve));
		rr = sva_attr_get(rem, obj, ne, vr, sizeof(vr));
		T_CHECK(re == rr && (re < 0 || !strcmp(ve, vr)), "%s/%s: get %d/%d", obj, ne, re,
			rr);
		if (re > 0) {
			T_EQ(sva_attr_get(emb, obj, ne, ve, (size_t)re), -ENOSPC);
			T_EQ(sva_attr_get(rem, obj, ne, vr, (size_t)re), -ENOSPC);
		}
	}
	T_EQ(re, -ENOENT);
	/* a name that does not fit: -ENOSPC both ways, and nothing written */
	strcpy(nr, "x");
	T_EQ(sva_attr_info(emb, obj, 0, ne, 2, &fe), sva_attr_info(rem, obj, 0, nr, 2, &fr));
	T_CHECK(!strcmp(nr, "x"), "name written on failure");
	return i;
}

static void compare_all(struct sva_device *emb, struct sva_device *rem, const char *when)
{
	unsigned int i, n = 0;
	char obj[32], buf[64];
	unsigned int f;

	for (i = 0; i < NOBJ; i++) {
		objects(i, obj, sizeof(obj));
		n += compare_obj(emb, rem, obj);
	}
	T_CHECK(n > 100, "%s: only %u attributes compared", when, n);
	T_EQ(sva_attr_info(rem, "wq0.8", 0, buf, sizeof(buf), &f), -ENOENT);
	T_EQ(sva_attr_info(rem, "nothing0.0", 0, buf, sizeof(buf), &f), -ENOENT);
	T_EQ(sva_attr_show(rem, "dsa0", "nothing", buf, sizeof(buf)), -ENOENT);
	/* an empty group list is an empty file; an empty name is a newline */
	T_EQ(sva_attr_show(rem, "group0.3", "engines", buf, sizeof(buf)), 0);
	T_EQ(sva_attr_show(rem, "wq0.7", "name", buf, sizeof(buf)), 1);
	T_EQ(buf[0], '\n');
	printf("%s: %u attributes identical\n", when, n);
}

/* the same stores and enables on both devices, then compare the live values */
static void configure(struct sva_device *d)
{
	static const char *const st[][3] = {
		{ "engine0.0", "group_id", "0" }, { "wq0.2", "group_id", "0" },
		{ "wq0.2", "size", "8" },	   { "wq0.2", "mode", "shared" },
		{ "wq0.2", "threshold", "6" },   { "wq0.2", "priority", "4" },
		{ "wq0.2", "type", "user" },	   { "wq0.2", "driver_name", "user" },
		{ "wq0.2", "name", "same" },
	};

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		T_CHECK(sva_attr_set(d, st[i][0], st[i][1], st[i][2]) == 0, "%s/%s=%s: %s",
			st[i][0], st[i][1], st[i][2], sva_last_error(d));
	T_EQ(sva_device_enable(d), 0);
	T_EQ(sva_wq_enable(d, 2), 0);
}

static void check_identical(const char *const *args, uint32_t flags, const char *when)
{
	struct sva_device_config cfg = { .size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
					 .flags = flags };
	struct sva_device *emb = NULL, *rem = NULL;
	struct t_svad d;
	int r;

	r = t_svad_start(&d, SVA_SVAD_PATH, args);
	if (r)
		T_FATAL("svad did not start: %s", strerror(-r));
	T_EQ(sva_device_connect(d.socket, "dsa0", &rem), 0);
	T_EQ(sva_device_new(flags ? &cfg : NULL, &emb), 0);
	if (emb && rem) {
		compare_all(emb, rem, when);
		if (flags) {
			configure(emb);
			configure(rem);
			compare_all(emb, rem, "after the same configuration");
		}
	}
	sva_device_free(rem);
	sva_device_free(emb);
	t_svad_stop(&d, SIGTERM);
	t_svad_cleanup(&d);
}

/* svad --config FILE: the exit status and what it printed (NULL: it started) */
static int svad_config(const char *file, char *out, size_t len)
{
	char sock[T_TMP_MAX], path[96];
	int pfd[2], st = -1;
	ssize_t n, got = 0;
	pid_t pid;

	if (!mkdtemp(t_tmp_name(sock, sizeof(sock), "svad-cfg-")) || pipe(pfd))
		T_FATAL("mkdtemp/pipe: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/s", sock);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 2);
		execl(SVA_SVAD_PATH, "svad", "--socket", path, "--unconfigured", "--config", file,
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* a good file: svad serves, then the test stops it; a bad one: svad exits by itself */
	for (int i = 0; i < 1000 && access(path, F_OK) && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (!access(path, F_OK)) {
		struct sva_device *dev = NULL;
		char v[64] = "";

		T_EQ(sva_device_connect(path, "dsa0", &dev), 0);
		if (dev) {
			sva_attr_get(dev, "wq0.3", "state", v, sizeof(v));
			T_CHECK(!strcmp(v, "enabled"), "wq0.3 is %s", v);
			sva_attr_get(dev, "wq0.3", "threshold", v, sizeof(v));
			T_CHECK(!strcmp(v, "6"), "threshold %s", v);
			sva_device_free(dev);
		}
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
	} else if (st == -1) {
		waitpid(pid, &st, 0);
	}
	while (got < (ssize_t)len - 1 && (n = read(pfd[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(pfd[0]);
	rmdir(sock);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd))
		T_FATAL("%s: %s", path, strerror(errno));
}

static void check_config(void)
{
	char good[] =
		"[{\"dev\":\"dsa0\",\"groups\":[{\"dev\":\"group0.2\",\"grouped_workqueues\":["
		"{\"dev\":\"wq0.3\",\"mode\":\"shared\",\"size\":8,\"group_id\":2,"
		"\"priority\":3,\"type\":\"user\",\"name\":\"cfg\",\"threshold\":6}],"
		"\"grouped_engines\":[{\"dev\":\"engine0.1\",\"group_id\":2}]}]}]";
	char path[T_TMP_MAX], out[4096], *p;
	int fd = mkstemp(t_tmp_name(path, sizeof(path), "svad-config-")), st;

	if (fd < 0)
		T_FATAL("mkstemp: %s", strerror(errno));
	close(fd);
	write_file(path, good);
	st = svad_config(path, out, sizeof(out));
	T_CHECK(st == 0, "good file: exit %d: %s", st, out);

	p = strstr(good, "\"threshold\":6");
	p[strlen("\"threshold\":")] = '9';	/* above the size: the device refuses */
	write_file(path, good);
	st = svad_config(path, out, sizeof(out));
	T_CHECK(st == 1 && strstr(out, "--config") && strstr(out, "threshold"),
		"refused store: exit %d: %s", st, out);

	write_file(path, "{ not json");
	st = svad_config(path, out, sizeof(out));
	T_CHECK(st == 1 && strstr(out, "--config"), "bad json: exit %d: %s", st, out);

	write_file(path, "[{\"dev\":\"dsa7\"}]");
	st = svad_config(path, out, sizeof(out));
	T_CHECK(st == 1 && strstr(out, "no entry for any hosted device"), "dsa7: exit %d: %s",
		st, out);

	st = svad_config("/nonexistent/config.json", out, sizeof(out));
	T_CHECK(st == 1 && strstr(out, "/nonexistent/config.json"), "missing: exit %d: %s", st,
		out);
	unlink(path);
}

/*
 * In a child of its own: the embedded device is then this process's first,
 * dsa0, named as svad's is (a second one would be dsa1, with wq1.N).
 */
static void in_child(const char *const *args, uint32_t flags, const char *when)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		check_identical(args, flags, when);
		exit(t_done(when));
	}
	T_CHECK(t_child_fate(pid) == -1, "%s failed", when);
}

int main(void)
{
	static const char *const personality[] = { "--unconfigured", "--driver-name", NULL };

	in_child(NULL, 0, "default configuration");
	in_child(personality, SVA_CONFIG_UNCONFIGURED | SVA_CONFIG_DRIVER_NAME,
		 "unconfigured, driver_name");
	check_config();
	return t_done("api/svad_attrs");
}
