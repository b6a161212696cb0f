/* SPDX-License-Identifier: MIT */
/*
 * Description: the svarun launcher (accel-config-compat.md §1, CMP-1,
 * CMP-12): it returns the command's exit status (128 + signal when
 * killed), keeps the rest of /sys and /dev real (submounts included),
 * puts the lsmod/rmmod/modprobe stubs first on PATH, preloads the trap
 * library, and leaves nothing behind: no mount on the host, no process of
 * the command's tree (background children included).
 */
#include <signal.h>

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

int main(void)
{
	const char *svarun = compat_require(false);

	check_status(svarun);
	check_view(svarun);
	check_cleanup(svarun);
	return t_done("compat/svarun");
}
