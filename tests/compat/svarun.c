/* SPDX-License-Identifier: MIT */
/*
 * Description: the svarun launcher (accel-config-compat.md §1, CMP-1,
 * CMP-12): it returns the command's exit status (128 + signal when
 * killed), keeps the rest of /sys and /dev real (submounts included),
 * puts the lsmod/rmmod/modprobe stubs first on PATH, preloads the trap
 * library, applies --config files (refusing bad ones unless --keep-going),
 * forwards SIGTERM to the command, and leaves nothing behind: no mount on the host, no process of
 * the command's tree (background children included), and no svad: the
 * one svarun starts (in its own process group, SVA_DAEMON exported to the
 * command) ends with svarun, also when svarun is SIGKILLed. --stats prints
 * svactl's report after the command (table or JSON), with the command's work.
 */
#include <dirent.h>
#include <signal.h>

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

static void check_cleanup(const char *svarun)
{
	int st, pid = 0;
	char *p;

	/* a background child that would outlive the command */
	st = compat_run(svarun, NULL, NULL, "sleep 600 & echo bg=$!; exit 0", out, sizeof(out));
	T_EQ(st, 0);
	p = strstr(out, "bg=");
	T_CHECK(p && sscanf(p, "bg=%d", &pid) == 1 && pid > 0, "%s", out);
	if (pid > 0)
		T_CHECK(kill(pid, 0) < 0 && errno == ESRCH, "pid %d survived svarun", pid);
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
	char path[] = "/tmp/svarun-config-XXXXXX", opt[64], *bad;
	const char *cfg[] = { opt, NULL }, *cfg_keep[] = { "--keep-going", opt, NULL };
	int fd, st;

	fd = mkstemp(path);
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

/* A process that is gone, or a zombie waiting for a reaper that is not us. */
static bool gone(pid_t pid)
{
	char path[64], buf[512], *p;
	bool z = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		z = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return z;
}

/* svad runs while the command does and is gone after svarun, however svarun ends. */
static void check_svad(const char *svarun, bool sigkill)
{
	char buf[256] = "", *p, *e;
	pid_t pid, svad, cmd;
	int fd, st, i;
	ssize_t n;

	fd = compat_spawn(svarun, NULL, NULL,
			  "echo daemon=$SVA_DAEMON; test -S $SVA_DAEMON && echo up; exec sleep 600",
			  &pid);
	for (n = 0; n < (ssize_t)sizeof(buf) - 1 && !strstr(buf, "up\n");) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n);

		if (k <= 0)
			break;
		n += k;
		buf[n] = '\0';
	}
	T_CHECK(strstr(buf, "daemon=/tmp/svarun.") && strstr(buf, "up\n"), "%s", buf);
	svad = child_named(pid, "svad");
	/* "up" comes just before the exec: wait until the shell became sleep (bounded) */
	for (i = 0; !(cmd = child_named(pid, "sleep")) && i < 1000; i++)
		usleep(10000);
	T_CHECK(svad > 0 && cmd > 0, "svad %d, command %d", (int)svad, (int)cmd);
	if (svad > 0)
		T_CHECK(getpgid(svad) == svad, "svad shares a process group (^C would stop it)");
	kill(pid, sigkill ? SIGKILL : SIGTERM);
	T_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	if (sigkill && cmd > 0)
		kill(cmd, SIGKILL);	/* svarun did not live to do it */
	/* svad stops on its parent-death signal: a bound against a hang, not a timing check */
	for (i = 0; svad > 0 && i < 3000 && !gone(svad); i++)
		usleep(10000);
	if (svad > 0)
		T_CHECK(gone(svad), "svad %d survived svarun (%s)", (int)svad,
			sigkill ? "SIGKILL" : "SIGTERM");
	close(fd);
	T_EQ(leaked_mounts(), 0);
	/*
	 * The socket lived in the namespace's scratch tmpfs; its host directory
	 * goes too, except after a SIGKILL (documented): remove it then.
	 */
	if ((p = strstr(buf, "daemon=")) && (e = strstr(p, "/svad.sock"))) {
		*e = '\0';
		p += strlen("daemon=");
		if (sigkill)
			rmdir(p);
		else
			T_CHECK(access(p, F_OK) < 0, "%s left behind", p);
	}
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
