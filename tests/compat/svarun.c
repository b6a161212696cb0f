/* SPDX-License-Identifier: MIT */
/*
 * Description: the svarun launcher (accel-config-compat.md §1, CMP-1,
 * CMP-12): it returns the command's exit status (128 + signal when
 * killed), keeps the rest of /sys and /dev real (submounts included),
 * puts its own lsmod/rmmod/modprobe first on PATH, preloads the trap
 * library, applies --config files (refusing bad ones unless --keep-going),
 * forwards SIGTERM to the command, and leaves nothing behind, also when
 * svarun is SIGKILLed: no mount on the host, no process of the command's
 * PID namespace (background children included), no svad (in its own
 * process group, SVA_DAEMON exported to the command), no scratch
 * directory on the host. --stats prints
 * svactl's report after the command (table or JSON), with the command's work.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>

#include <json-c/json.h>

#include "compat.h"

static char out[1 << 14];

/* Mounts of svarun visible in this (the host's) namespace. */
static unsigned int leaked_mounts(void)
{
	char line[4096];
	unsigned int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		T_FATAL("mountinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "svarun") || strstr(line, "sva-sysfs");
	fclose(f);
	return n;
}

static void check_status(const char *svarun)
{
	T_EQ(compat_run(svarun, NULL, NULL, "exit 3", out, sizeof(out)), 3);
	T_EQ(compat_run(svarun, NULL, NULL, "kill -9 $$", out, sizeof(out)), 128 + SIGKILL);
	T_EQ(compat_run(svarun, NULL, NULL, "exec /nonexistent/cmd", out, sizeof(out)), 127);
}

static void check_view(const char *svarun)
{
	int st;

	st = compat_run(svarun, NULL, NULL,
			"set -e; test -d /sys/bus/pci/devices; test -d /sys/module/idxd;"
			"test -d /sys/devices/system/cpu; echo x > /dev/null; test -d /dev/pts;"
			"test -d /dev/dsa; test -L /sys/bus/dsa/devices/dsa0;"
			"echo lsmod=[$(lsmod)]; rmmod idxd; modprobe idxd; modprobe other;"
			"echo preload=$LD_PRELOAD",
			out, sizeof(out));
	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	T_CHECK(strstr(out, "lsmod=[]\n"), "%s", out);
	T_CHECK(strstr(out, "libsva-trap.so"), "preload: %s", out);
}

/*
 * Processes whose namespace link kind ("pid", "mnt") reads link, e.g.
 * "pid:[4026532178]"; their pids in pids (up to max) if not NULL.
 */
static unsigned int ns_members(const char *kind, const char *link, pid_t *pids, unsigned int max)
{
	char path[300], buf[64];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir("/proc");
	ssize_t k;

	if (!d)
		T_FATAL("/proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", de->d_name, kind);
		k = readlink(path, buf, sizeof(buf) - 1);
		if (k <= 0)
			continue;	/* gone, or a zombie past its namespaces */
		buf[k] = '\0';
		if (strcmp(buf, link))
			continue;
		if (pids && n < max)
			pids[n] = atoi(de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* The value after "key=" in out, up to the end of the line, in buf; "" if none. */
static const char *field(const char *text, const char *key, char *buf, size_t len)
{
	const char *p = strstr(text, key);
	size_t n;

	buf[0] = '\0';
	if (!p)
		return buf;
	p += strlen(key);
	n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/*
 * Mounts of the run, read from a process in svarun's namespace: how many
 * have their mount point on /dev/svarun (the scratch) and how many on a
 * path of the host's /tmp, where a directory made for them would be left
 * behind by a SIGKILLed svarun (older svaruns used /tmp/svarun.*).
 */
static void run_mounts(pid_t pid, unsigned int *scratch, unsigned int *in_tmp)
{
	char path[64], line[4096], mp[PATH_MAX];
	FILE *f;

	*scratch = *in_tmp = 0;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	f = fopen(path, "re");
	if (!f)
		T_FATAL("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		*scratch += !strcmp(mp, "/dev/svarun");
		*in_tmp += !strncmp(mp, "/tmp/", 5);
	}
	fclose(f);
}

static void check_cleanup(const char *svarun)
{
	char ns[64];
	int st;

	/* a background child that would outlive the command; its PID namespace */
	st = compat_run(svarun, NULL, NULL,
			"sleep 600 & echo ns=$(readlink /proc/self/ns/pid); exit 0", out, sizeof(out));
	T_EQ(st, 0);
	T_CHECK(!strncmp(field(out, "ns=", ns, sizeof(ns)), "pid:[", 5), "%s", out);
	T_EQ(ns_members("pid", ns, NULL, 0), 0);
	T_EQ(leaked_mounts(), 0);
	/* on a host without idxd, the tree and the nodes were the namespace's only */
	if (access("/sys/module/idxd", F_OK) < 0)
		T_CHECK(access("/sys/bus/dsa", F_OK) < 0 && access("/dev/dsa", F_OK) < 0,
			"the tree leaked to the host");
}

/* accel-config's save-config format: wq0.3 shared in group 2 with engine0.1 */
static char good_config[] =
	"[{\"dev\":\"dsa0\",\"read_buffer_limit\":0,\"max_groups\":4,\"groups\":["
	"{\"dev\":\"group0.2\",\"use_read_buffer_limit\":0,\"traffic_class_a\":1,"
	"\"grouped_workqueues\":[{\"dev\":\"wq0.3\",\"mode\":\"shared\",\"size\":8,"
	"\"group_id\":2,\"priority\":3,\"type\":\"user\",\"driver_name\":\"user\","
	"\"name\":\"cfg\",\"threshold\":6}],"
	"\"grouped_engines\":[{\"dev\":\"engine0.1\",\"group_id\":2}]}]}]";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f))
		T_FATAL("%s: %s", path, strerror(errno));
}

static void check_config(const char *svarun)
{
	char path[T_TMP_MAX], opt[96], *bad;
	const char *cfg[] = { opt, NULL }, *cfg_keep[] = { "--keep-going", opt, NULL };
	int fd, st;

	fd = mkstemp(t_tmp_name(path, sizeof(path), "svarun-config-"));
	if (fd < 0)
		T_FATAL("mkstemp: %s", strerror(errno));
	close(fd);
	snprintf(opt, sizeof(opt), "--config=%s", path);
	write_file(path, good_config);
	st = compat_run(svarun, cfg, NULL,
			"D=/sys/bus/dsa/devices/dsa0; echo $(ls /dev/dsa) $(cat $D/state "
			"$D/wq0.3/state $D/wq0.3/threshold $D/group0.2/engines)", out, sizeof(out));
	T_CHECK(st == 0 && strstr(out, "wq0.3 enabled enabled 6 engine0.1\n"), "exit %d: %s",
		st, out);

	/* threshold above size: refused with the model's reason, COMMAND not run */
	bad = strstr(good_config, "\"threshold\":6");
	bad[strlen("\"threshold\":")] = '9';
	write_file(path, good_config);
	st = compat_run(svarun, cfg, NULL, "echo ran", out, sizeof(out));
	T_CHECK(st == 1 && !strstr(out, "ran") && strstr(out, "wq0.3/threshold: 9 not in 1..8"),
		"exit %d: %s", st, out);
	st = compat_run(svarun, cfg_keep, NULL, "echo ran; cat /sys/bus/dsa/devices/wq0.3/size",
			out, sizeof(out));
	T_CHECK(st == 0 && strstr(out, "ran\n8\n"), "--keep-going: exit %d: %s", st, out);
	write_file(path, "{ not json");
	st = compat_run(svarun, cfg, NULL, "echo ran", out, sizeof(out));
	T_CHECK(st == 1 && !strstr(out, "ran"), "exit %d: %s", st, out);
	unlink(path);
}

/* The pid of parent's child named comm, or 0. */
static pid_t child_named(pid_t parent, const char *comm)
{
	char path[300], buf[512], name[64];
	struct dirent *de;
	pid_t found = 0;
	DIR *d = opendir("/proc");
	int ppid;

	while (d && !found && (de = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		/* "pid (comm) state ppid": comm has no blanks here */
		if (fgets(buf, sizeof(buf), f) &&
		    sscanf(buf, "%*d (%63[^)]) %*c %d", name, &ppid) == 2 && ppid == parent &&
		    !strcmp(name, comm))
			found = atoi(de->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * svad runs while the command does; after svarun, however it ends (SIGTERM,
 * or SIGKILL, which it cannot handle), nothing of the run is left: no
 * process of the command's PID namespace (a background grandchild
 * included), no svad, no process in svarun's or the command's mount
 * namespace (so their mounts are gone), no mount on the host and no
 * scratch directory on the host. We are the subreaper of the run, so the
 * orphans of a SIGKILLed svarun are reaped here and "gone" is exact.
 */
static void check_svad(const char *svarun, bool sigkill)
{
	char buf[512] = "", pidns[64], cmdmnt[64], svadmnt[64] = "", sock[256], path[64];
	unsigned int left = 0, nmembers, scratch, in_tmp;
	pid_t pid, svad, members[8];
	int fd, st, i;
	ssize_t n;

	fd = compat_spawn(svarun, NULL, NULL,
			  "sleep 600 & echo pidns=$(readlink /proc/self/ns/pid);"
			  "echo mntns=$(readlink /proc/self/ns/mnt); echo daemon=$SVA_DAEMON;"
			  "test -S $SVA_DAEMON && echo up; exec sleep 600", &pid);
	for (n = 0; n < (ssize_t)sizeof(buf) - 1 && !strstr(buf, "up\n");) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n);

		if (k <= 0)
			break;
		n += k;
		buf[n] = '\0';
	}
	field(buf, "pidns=", pidns, sizeof(pidns));
	field(buf, "mntns=", cmdmnt, sizeof(cmdmnt));
	field(buf, "daemon=", sock, sizeof(sock));
	T_CHECK(!strncmp(pidns, "pid:[", 5) && !strncmp(cmdmnt, "mnt:[", 5) &&
		!strcmp(sock, "/dev/svarun/svad.sock") && strstr(buf, "up\n"), "%s", buf);
	/* the socket is in the namespace's /dev only */
	T_CHECK(access("/dev/svarun", F_OK) < 0, "/dev/svarun exists on the host");
	svad = child_named(pid, "svad");
	T_CHECK(svad > 0, "no svad under svarun %d", (int)pid);
	if (svad > 0) {
		T_CHECK(getpgid(svad) == svad, "svad shares a process group (^C would stop it)");
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)svad);
		n = readlink(path, svadmnt, sizeof(svadmnt) - 1);
		svadmnt[n > 0 ? n : 0] = '\0';
		T_CHECK(!strncmp(svadmnt, "mnt:[", 5) && strcmp(svadmnt, cmdmnt), "svad in %s",
			svadmnt);
		run_mounts(svad, &scratch, &in_tmp);
		T_CHECK(scratch == 1 && in_tmp == 0, "%u scratch mounts, %u on /tmp", scratch,
			in_tmp);
	}
	/* init, the command and its background sleep (the latter two execed: bounded) */
	for (i = 0; ns_members("pid", pidns, NULL, 0) < 3 && i < 1000; i++)
		usleep(10000);
	nmembers = ns_members("pid", pidns, members, 8);
	T_CHECK(nmembers == 3, "%u processes in %s", nmembers, pidns);
	kill(pid, sigkill ? SIGKILL : SIGTERM);
	T_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	T_CHECK(sigkill ? WIFSIGNALED(st) : WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM,
		"svarun status %#x", st);
	/* the kernel and svad's parent-death signal do it: a bound against a hang, not a timing */
	for (i = 0; i < 3000; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;	/* the orphans svarun left to us: init, svad */
		left = ns_members("pid", pidns, NULL, 0) + ns_members("mnt", cmdmnt, NULL, 0) +
		       (svadmnt[0] ? ns_members("mnt", svadmnt, NULL, 0) : 0) +
		       (svad > 0 && kill(svad, 0) == 0);
		if (!left)
			break;
		usleep(10000);
	}
	T_CHECK(!left, "after %s: %u in %s, %u in %s, %u in %s, svad %d %s",
		sigkill ? "SIGKILL" : "SIGTERM", ns_members("pid", pidns, NULL, 0), pidns,
		ns_members("mnt", cmdmnt, NULL, 0), cmdmnt,
		svadmnt[0] ? ns_members("mnt", svadmnt, NULL, 0) : 0, svadmnt, (int)svad,
		svad > 0 && kill(svad, 0) == 0 ? "alive" : "gone");
	for (i = 0; i < (int)nmembers && i < 8; i++)
		T_CHECK(kill(members[i], 0) < 0 && errno == ESRCH, "pid %d of the run is left",
			(int)members[i]);
	close(fd);
	T_EQ(leaked_mounts(), 0);
	T_CHECK(access("/dev/svarun", F_OK) < 0, "/dev/svarun left on the host");
}

/* SIGTERM to svarun reaches the command; svarun then returns 128 + SIGTERM */
static void check_signal(const char *svarun)
{
	char buf[16] = "";
	int fd, st;
	pid_t pid;

	fd = compat_spawn(svarun, NULL, NULL, "echo up; exec sleep 600", &pid);
	/* "up": the command runs, so svarun waits for signals synchronously */
	T_CHECK(read(fd, buf, sizeof(buf) - 1) > 0 && !strcmp(buf, "up\n"), "%s", buf);
	close(fd);
	kill(pid, SIGTERM);
	T_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 128 + SIGTERM, "svarun status %#x", st);
	T_EQ(leaked_mounts(), 0);
}

/*
 * --stats prints svactl's report for the devices after the command, on
 * stderr: every section, the command's own output first; --stats=json is
 * the same as JSON; anything else is a usage error.
 */
static void check_stats(const char *svarun)
{
	static const char *const table[] = { "--stats", NULL };
	static const char *const json[] = { "--stats=json", NULL };
	static const char *const bad[] = { "--stats=yaml", NULL };
	json_object *arr, *pasids;
	char *p;

	T_EQ(compat_run(svarun, table, NULL, "echo command-ran", out, sizeof(out)), 0);
	p = strstr(out, "command-ran\n");
	T_CHECK(p && strstr(p, "dsa0 (") && strstr(p, "descriptors completed") &&
		strstr(p, "\nopcode ") && strstr(p, "\nstatus ") && strstr(p, "\nwq ") &&
		strstr(p, "\nengine ") && strstr(p, "\npasid "), "report:\n%s", out);
	T_EQ(compat_run(svarun, json, NULL, "true", out, sizeof(out)), 0);
	arr = json_tokener_parse(out);
	T_CHECK(arr && json_object_array_length(arr) == 1 &&
		json_object_object_get_ex(json_object_array_get_idx(arr, 0), "pasids", &pasids),
		"json report:\n%s", out);
	json_object_put(arr);
	T_EQ(compat_run(svarun, bad, NULL, "true", out, sizeof(out)), 2);
}

int main(void)
{
	const char *svarun = compat_require(false);

	/* the orphans of a SIGKILLed svarun come to us (check_svad) */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	check_status(svarun);
	check_view(svarun);
	check_cleanup(svarun);
	check_config(svarun);
	check_signal(svarun);
	check_svad(svarun, false);
	check_svad(svarun, true);
	check_stats(svarun);
	return t_done("compat/svarun");
}
