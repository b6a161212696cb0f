/* SPDX-License-Identifier: MIT */
/*
 * svarun: run an unmodified accel-config / DSA program against sva devices
 * (accel-config-compat.md §1, CMP-1).
 *
 *   svarun [--config FILE.json] [--keep-going] [--driver-name] [--stats[=json]] -- COMMAND [ARGS...]
 *
 * In a private mount namespace it serves the idxd sysfs tree of the
 * devices over FUSE (src/sysfs) and bind-mounts it on /sys/bus/dsa, the
 * device directories under /sys/devices/pci0000:6a and /sys/module/idxd;
 * /dev/dsa becomes a tmpfs that the tree fills with WQ nodes on bind.
 * Paths that sysfs and devtmpfs cannot create are made with an overlay
 * whose upper layer lives in svarun's scratch tmpfs (itself on
 * /dev/svarun, a path of the namespace only); everything else of
 * /sys and /dev stays real. COMMAND runs with libsva-trap.so preloaded and
 * its own lsmod/rmmod/modprobe first on PATH (§8.1, CMP-12): these module
 * commands are this binary under those names, and "modprobe idxd" resets
 * the devices.
 *
 * svarun returns COMMAND's exit status (128 + signal if it was killed),
 * 77 when it lacks the privileges or kernel features it needs. Whatever
 * happens, every descendant is gone and nothing stays mounted when it
 * returns, and a SIGKILL of svarun leaves nothing either: COMMAND runs in
 * a PID namespace whose init dies with svarun (init_main), the mount
 * namespace dies with its last process, and nothing was made on the host.
 *
 * The devices live in an svad that svarun starts inside its mount namespace
 * (but outside the PID namespace, to see its clients' host pids) on
 * a private socket (svad --unconfigured [--driver-name]) and stops at
 * exit: the tree serves them over sva_device_connect() handles, and
 * COMMAND gets SVA_DAEMON, so the trap library's portals reach the same
 * live devices (one device, shared by accel-config and every program).
 * svad dies with svarun even when svarun is SIGKILLed (PR_SET_PDEATHSIG).
 *
 * --config applies an accel-config JSON configuration (save-config's
 * output) and enables what it lists before COMMAND starts, with
 * sva_config_load() over the daemon handle; a store or enable it cannot
 * apply ends svarun with status 1 unless --keep-going, which keeps what
 * was applied and runs COMMAND anyway. --driver-name gives the devices the
 * WQ driver_name attribute of Linux 6.7+ (CMP-4). --stats prints the
 * report of `svactl stats` for the devices on stderr when COMMAND has
 * exited (a table, or JSON with --stats=json): what the command's
 * programs did on them, per opcode, status, WQ, engine and PASID.
 *
 * Environment: SVA_TRAP_LIB and SVA_SVAD override the paths of the preload
 * library and of svad (default: next to svarun in the build tree, else the
 * dynamic loader's and PATH's choice).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sva/sva.h"
#include "sva/sva_config.h"
#include "stats_report.h"
#include "sysfs/sysfs.h"

#define EXIT_SKIP	77
#define MAX_MOUNTS	32

struct run {
	char work[PATH_MAX];		/* scratch tmpfs: /dev/svarun, in the namespace only */
	char fs[PATH_MAX + 8];		/* the FUSE mount */
	char *mounts[MAX_MOUNTS];	/* made in the namespace, undone in reverse */
	unsigned int nmounts;
	unsigned int nscratch;		/* mounts up to the scratch tmpfs: undone last */
	unsigned int noverlays;
	struct sva_device *devs[SYSFS_MAX_DEVICES];
	unsigned int ndevs;
	struct sysfs_server *srv;
	pid_t svad;			/* 0: not running (or already reaped) */
	bool svad_failed;		/* a real error, not missing privileges: exit 1 */
	char sock[PATH_MAX + 16];	/* svad's socket, in the scratch tmpfs */
	const char *config;		/* --config FILE.json */
	bool keep_going;
	bool driver_name;		/* --driver-name: the 6.7+ personality */
	bool stats;
	bool stats_json;		/* --stats=json */
};

/* the module commands (CMP-12) */

/*
 * lsmod prints nothing, rmmod succeeds, modprobe succeeds and, for idxd,
 * returns the devices to their power-on state as a module reload would,
 * so an aborted run cannot poison the next one.
 */
static int module_cmd_main(const char *name, int argc, char **argv)
{
	const char *ctl = getenv("SVARUN_CONTROL");
	bool idxd = false;
	int i, fd;

	if (strcmp(name, "modprobe"))
		return 0;
	for (i = 1; i < argc; i++)
		idxd |= !strcmp(argv[i], "idxd");
	if (!idxd)
		return 0;
	fd = ctl ? open(ctl, O_WRONLY | O_CLOEXEC) : -1;
	if (fd < 0 || write(fd, "reset", 5) != 5) {
		fprintf(stderr, "modprobe (svarun): cannot reset the sva devices: %s\n",
			strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

/* devices: an svad of our own */

/* A file next to svarun in the build tree (build/tools/svarun: ../src/NAME), else NULL. */
static const char *build_tree_file(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	if (snprintf(buf, len, "%s/../src/%s", exe, name) >= (int)len || access(buf, R_OK))
		return NULL;
	return buf;
}

/*
 * Start svad on r->sock with the devices in their power-on state
 * (accel-config-compat.md §4) and wait until it serves. It runs in our
 * namespace, in a process group of its own (a terminal's ^C goes to
 * COMMAND, not to it), with SIGTERM as its parent-death signal: however
 * svarun ends, svad shuts down cleanly (docs/COMPAT.md).
 */
static int svad_start(struct run *r, const sigset_t *old)
{
	char path[PATH_MAX];
	const char *svad = getenv("SVA_SVAD");
	pid_t parent = getpid(), pid;
	int i, st;

	if (!svad)
		svad = build_tree_file("svad", path, sizeof(path));
	if (!svad)
		svad = "svad";
	snprintf(r->sock, sizeof(r->sock), "%s/svad.sock", r->work);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		const char *argv[] = { "svad", "--socket", r->sock, "--mode", "0666", "--devices",
				       "1", "--unconfigured", "--quiet",
				       r->driver_name ? "--driver-name" : NULL, NULL };
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)	/* svarun died before the line above */
			_exit(1);
		setpgid(0, 0);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);	/* stderr stays: svad's errors are svarun's */
		}
		sigprocmask(SIG_SETMASK, old, NULL);
		execvp(svad, (char *const *)argv);
		fprintf(stderr, "svarun: cannot run %s: %s\n", svad, strerror(errno));
		_exit(127);
	}
	r->svad = pid;
	/* it serves once dsa0 answers; give up if it exits or takes over 30 s */
	for (i = 0; i < 3000; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int e = sva_device_connect(r->sock, "dsa0", &r->devs[0]);

		if (!e) {
			r->ndevs = 1;
			return 0;
		}
		if (e != -ENODEV)
			return e;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			r->svad = 0;
			return -ECHILD;
		}
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* Close the handles, then stop svad: SIGTERM, SIGKILL if it has not ended in 15 s. */
static void svad_stop(struct run *r)
{
	int i, st;

	while (r->ndevs) {
		r->ndevs--;
		r->devs[r->ndevs] = sva_device_free(r->devs[r->ndevs]);
	}
	if (!r->svad)
		return;
	kill(r->svad, SIGTERM);
	for (i = 0; i < 1500 && waitpid(r->svad, &st, WNOHANG) == 0; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	if (i == 1500) {
		fprintf(stderr, "svarun: svad did not stop; killing it\n");
		kill(r->svad, SIGKILL);
		waitpid(r->svad, &st, 0);
	}
	r->svad = 0;
}

/*
 * --config: load the file into every device over the daemon handle, as
 * `accel-config load-config -f -e` after a module reload. A device the
 * file has no entry for is left alone; a file for none of them fails.
 */
static int apply_config(struct run *r)
{
	unsigned int i, applied = 0;
	char msg[512];
	int e, first = 0;

	for (i = 0; i < r->ndevs; i++) {
		msg[0] = '\0';
		e = sva_config_load(r->devs[i], r->config,
				    SVA_LOAD_FORCE | SVA_LOAD_RESET | SVA_LOAD_ENABLE, msg,
				    sizeof(msg));
		if (e == -ENODEV)
			continue;
		if (e) {
			fprintf(stderr, "svarun: config: %s: %s\n", sva_device_name(r->devs[i]),
				msg[0] ? msg : strerror(-e));
			if (!first)
				first = e;
			continue;
		}
		applied++;
	}
	if (!applied && !first) {
		fprintf(stderr, "svarun: config: %s: no entry for dsa0\n", r->config);
		first = -ENODEV;
	}
	return first;
}

/* mounts */

static int remember(struct run *r, const char *target)
{
	if (r->nmounts == MAX_MOUNTS)
		return -ENOSPC;
	r->mounts[r->nmounts] = strdup(target);
	if (!r->mounts[r->nmounts])
		return -ENOMEM;
	r->nmounts++;
	return 0;
}

static int do_mount(struct run *r, const char *src, const char *target, const char *type,
		    unsigned long flags, const char *data)
{
	if (mount(src, target, type, flags, data)) {
		fprintf(stderr, "svarun: mount %s on %s: %s\n", type ? type : src, target,
			strerror(errno));
		return -errno;
	}
	return remember(r, target);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* /proc/self/mountinfo escapes blanks and backslashes as \ooo */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/*
 * Top-level mounts below target, in mount order: the overlay hides them,
 * so they are bound again from a recursive copy taken before.
 */
static int submounts(const char *target, char ***ret, unsigned int *ret_n)
{
	char line[4096], mp[PATH_MAX], **v = NULL, **nv;
	size_t tl = strlen(target);
	unsigned int n = 0, i;
	bool nested;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		unescape(mp);
		if (strncmp(mp, target, tl) || mp[tl] != '/')
			continue;
		for (nested = false, i = 0; i < n && !nested; i++)
			nested = !strcmp(v[i], mp) ||
				 (!strncmp(mp, v[i], strlen(v[i])) && mp[strlen(v[i])] == '/');
		if (nested)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(mp))) {
			free(nv ? nv : v);
			fclose(f);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	fclose(f);
	*ret = v;
	*ret_n = n;
	return 0;
}

/*
 * Make target/name exist for every name of the NULL-terminated names: if
 * any is missing, put one overlay on target whose upper layer (in the
 * scratch tmpfs) holds the missing ones as empty directories. The real
 * entries of target stay visible through the lower layer. The stash of
 * target's submounts lives in the scratch and goes with it: it is not
 * remembered.
 */
static int overlay_dirs(struct run *r, const char *target, const char *const *names)
{
	char path[PATH_MAX], base[PATH_MAX + 16], upper[PATH_MAX + 32], wk[PATH_MAX + 32];
	char stash[PATH_MAX + 32], opts[3 * PATH_MAX + 64], src[2 * PATH_MAX + 32];
	char **subs = NULL;
	unsigned int n = 0, i, missing = 0;
	int e;

	snprintf(base, sizeof(base), "%s/ov%u", r->work, r->noverlays);
	for (i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", target, names[i]);
		if (access(path, F_OK) == 0)
			continue;
		snprintf(upper, sizeof(upper), "%s/upper/%s", base, names[i]);
		if ((e = mkdir_p(upper, 0755)))
			return e;
		missing++;
	}
	if (!missing)
		return 0;
	r->noverlays++;
	snprintf(wk, sizeof(wk), "%s/work", base);
	snprintf(stash, sizeof(stash), "%s/stash", base);
	if ((e = mkdir_p(wk, 0755)) || (e = mkdir_p(stash, 0755)))
		return e;
	e = submounts(target, &subs, &n);
	if (e)
		return e;
	if (n && mount(target, stash, NULL, MS_BIND | MS_REC, NULL)) {
		e = -errno;
		fprintf(stderr, "svarun: bind %s on %s: %s\n", target, stash, strerror(errno));
		goto out;
	}
	snprintf(upper, sizeof(upper), "%s/upper", base);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", target, upper, wk);
	e = do_mount(r, "overlay", target, "overlay", 0, opts);
	for (i = 0; !e && i < n; i++) {
		snprintf(src, sizeof(src), "%s%s", stash, subs[i] + strlen(target));
		e = do_mount(r, src, subs[i], NULL, MS_BIND | MS_REC, NULL);
	}
out:
	for (i = 0; i < n; i++)
		free(subs[i]);
	free(subs);
	return e;
}

/* Bind the tree's subdirectory rel (of the FUSE mount) on /sys/rel. */
static int bind_tree(struct run *r, const char *parent, const char *name)
{
	char src[2 * PATH_MAX], dst[PATH_MAX];
	const char *const names[] = { name, NULL };
	int e;

	e = overlay_dirs(r, parent, names);
	if (e)
		return e;
	snprintf(dst, sizeof(dst), "%s/%s", parent, name);
	snprintf(src, sizeof(src), "%s%s/%s", r->fs, parent + strlen("/sys"), name);
	return do_mount(r, src, dst, NULL, MS_BIND, NULL);
}

/* the command's environment */

static const char *trap_lib(char *buf, size_t len)
{
	const char *env = getenv("SVA_TRAP_LIB");
	const char *built = build_tree_file("libsva-trap.so", buf, len);

	if (env)
		return env;
	/* else installed: found by the dynamic loader */
	return built ? built : "libsva-trap.so";
}

/* the module commands on PATH and the preload, set before any thread exists (setenv is not thread-safe) */
static int setup_env(struct run *r)
{
	char bin[PATH_MAX + 8], link[2 * PATH_MAX], exe[PATH_MAX], lib[PATH_MAX], *v;
	static const char *const cmds[] = { "lsmod", "rmmod", "modprobe" };
	const char *path = getenv("PATH"), *pre = getenv("LD_PRELOAD"), *tl;
	ssize_t n;
	size_t i;
	int e;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/bin", r->work);
	if ((e = mkdir_p(bin, 0755)))
		return e;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(link, sizeof(link), "%s/%s", bin, cmds[i]);
		if (symlink(exe, link))
			return -errno;
	}
	tl = trap_lib(lib, sizeof(lib));
	if (asprintf(&v, "%s:%s", bin, path ? path : "/usr/bin:/bin") < 0)
		return -ENOMEM;
	setenv("PATH", v, 1);
	free(v);
	if (asprintf(&v, "%s%s%s", tl, pre && *pre ? ":" : "", pre ? pre : "") < 0)
		return -ENOMEM;
	setenv("LD_PRELOAD", v, 1);
	free(v);
	snprintf(link, sizeof(link), "%s/sva_control", r->fs);
	setenv("SVARUN_CONTROL", link, 1);
	/* the programs' devices (sva_device_new(NULL), the trap library's nodes) */
	setenv("SVA_DAEMON", r->sock, 1);
	/* the banner would be printed by every process of the tree */
	setenv("SVA_TRAP_QUIET", "1", 0);
	return 0;
}

/*
 * The scratch tmpfs hangs on /dev/svarun, a directory that exists only in
 * the namespace: a host directory such as /tmp/svarun.* would outlive
 * a SIGKILLed svarun, since only svarun could remove it. /dev gets one
 * overlay whose upper layer holds svarun, dsa and iax (the /dev paths
 * svarun needs), and that layer lives on a bootstrap tmpfs mounted over
 * /tmp only while the overlay is made: the overlay keeps it afterwards.
 * Nothing but svarun runs in the namespace yet, so nobody sees /tmp covered.
 */
static int setup_scratch(struct run *r)
{
	static const char *const names[] = { "svarun", "dsa", "iax", NULL };
	int e;

	if (mount("svarun-boot", "/tmp", "tmpfs", MS_NOSUID, "mode=0700")) {
		e = -errno;
		fprintf(stderr, "svarun: mount tmpfs on /tmp: %s\n", strerror(-e));
		return e;
	}
	snprintf(r->work, sizeof(r->work), "/tmp");
	e = overlay_dirs(r, "/dev", names);
	if (umount2("/tmp", MNT_DETACH) && !e)
		e = -errno;
	if (e)
		return e;
	snprintf(r->work, sizeof(r->work), "/dev/svarun");
	if ((e = do_mount(r, "svarun", r->work, "tmpfs", MS_NOSUID, "mode=0755")))
		return e;
	/* teardown keeps this one and what came before until the server stopped */
	r->nscratch = r->nmounts;
	return 0;
}

static int setup_mounts(struct run *r, const sigset_t *old)
{
	int e;

	if (unshare(CLONE_NEWNS)) {
		fprintf(stderr, "svarun: no mount namespace: %s\n", strerror(errno));
		return -errno;
	}
	/* nothing we mount may propagate back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if ((e = setup_scratch(r)))
		return e;
	snprintf(r->fs, sizeof(r->fs), "%s/sys", r->work);
	if ((e = mkdir_p(r->fs, 0755)))
		return e;
	/* before setup_env: svad gets neither the preload nor the module commands */
	e = svad_start(r, old);
	if (e) {
		fprintf(stderr, "svarun: svad did not start: %s\n", strerror(-e));
		r->svad_failed = true;
		return e;
	}
	if ((e = setup_env(r)))
		return e;
	/* the server creates WQ nodes in /dev/dsa from the start */
	if ((e = do_mount(r, "svarun-dsa", "/dev/dsa", "tmpfs", MS_NOSUID | MS_NOEXEC,
			  "mode=0755")))
		return e;
	e = sysfs_server_start(r->devs, r->ndevs, r->fs, "/dev", &r->srv);
	if (e) {
		fprintf(stderr, "svarun: cannot serve the sysfs tree over FUSE: %s\n",
			strerror(-e));
		return e;
	}
	/* refusals name the rule on svarun's stderr, which the command shares (dmesg) */
	sysfs_server_set_log(r->srv, stderr);
	if ((e = bind_tree(r, "/sys/bus", "dsa")) ||
	    (e = bind_tree(r, "/sys/devices", SYSFS_PCI_ROOT)) ||
	    (e = bind_tree(r, "/sys/module", "idxd")))
		return e;
	return 0;
}

static void unmount_to(struct run *r, unsigned int keep)
{
	while (r->nmounts > keep) {
		r->nmounts--;
		umount2(r->mounts[r->nmounts], MNT_DETACH);
		free(r->mounts[r->nmounts]);
	}
}

static void teardown(struct run *r)
{
	/* the binds hold the FUSE connection: they go before the server stops */
	unmount_to(r, r->nscratch);
	r->srv = sysfs_server_stop(r->srv);
	unmount_to(r, 0);
}

/* the command */

/* What the main thread takes with sigwaitinfo: child exits and the signals it forwards. */
static void taken_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

/*
 * Wait for child, forwarding the taken signals to it and reaping every
 * other child that ends; the child's exit status, 128 + signal if it was
 * killed. svad, when it is one of them (in svarun), is reported.
 */
static int wait_forwarding(struct run *r, pid_t child)
{
	sigset_t set;
	siginfo_t si;
	pid_t pid;
	int st, status = -1;

	taken_signals(&set);
	while (status < 0) {
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			kill(child, si.si_signo);	/* the command decides what it means */
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			if (pid == child)
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			if (r && pid == r->svad) {
				/* the devices are gone: the command sees -ESHUTDOWN */
				fprintf(stderr, "svarun: svad ended early (status %#x)\n", st);
				r->svad = 0;
			}
		}
	}
	return status;
}

/*
 * pid 1 of the command's PID namespace. The kernel kills every process of
 * the namespace when it ends, so it dies with svarun (PR_SET_PDEATHSIG),
 * and whatever COMMAND left running goes with it: background jobs,
 * daemons, double forks, also when svarun is SIGKILLed. It mounts the
 * namespace's own /proc in a mount namespace of its own (a copy of
 * svarun's), so that the pids programs see match /proc; svarun and svad
 * keep the host's /proc, which svad needs for its clients' memory. The
 * signals svarun forwards are blocked here, so pid 1 takes them with
 * sigwaitinfo instead of ignoring them. It reaps the namespace's orphans
 * and exits with COMMAND's status (128 + signal if it was killed).
 */
static int init_main(char **argv, const sigset_t *old, int alive)
{
	struct pollfd pfd = { .fd = alive, .events = POLLIN };
	pid_t child;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* svarun died before the line above: its end of alive is closed */
	if (poll(&pfd, 1, 0) != 0)
		return 1;
	close(alive);
	if (unshare(CLONE_NEWNS) ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		fprintf(stderr, "svarun: /proc of the PID namespace: %s\n", strerror(errno));
		return 1;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "svarun: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "svarun: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return wait_forwarding(NULL, child);
}

/*
 * Run COMMAND under init_main in a new PID namespace: unshare() puts the
 * next child there; svarun itself, svad and the FUSE server stay in the
 * host's, so SO_PEERCRED, /proc/PID/mem and FUSE give svad and the server
 * host pids. When init has ended, so has every process of the namespace.
 * svarun's own later children go to the host's namespace again (setns):
 * the new one refuses them once its init has exited (LeakSanitizer's
 * helper at exit is one).
 */
static int run_command(struct run *r, char **argv, const sigset_t *old)
{
	int alive[2] = { -1, -1 }, host, status;
	pid_t init;

	host = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (host < 0 || pipe2(alive, O_CLOEXEC)) {
		status = -errno;
		goto out;
	}
	if (unshare(CLONE_NEWPID)) {
		fprintf(stderr, "svarun: no PID namespace: %s\n", strerror(errno));
		status = -errno;
		goto out;
	}
	init = fork();
	if (init == 0) {
		close(alive[1]);
		_exit(init_main(argv, old, alive[0]));
	}
	status = init < 0 ? -errno : 0;
	/* our own active namespace: the kernel always lets us back in */
	setns(host, CLONE_NEWPID);
	if (init > 0)
		status = wait_forwarding(r, init);
out:
	if (host >= 0)
		close(host);
	if (alive[0] >= 0) {
		close(alive[0]);
		close(alive[1]);
	}
	return status;
}

/* The report of `svactl stats` for the run's devices, on stderr (stdout is COMMAND's). */
static void print_stats(const struct run *r)
{
	json_object *jarr = r->stats_json ? json_object_new_array() : NULL;

	for (unsigned int i = 0; i < r->ndevs; i++) {
		if (i && !jarr)
			fputc('\n', stderr);
		stats_report(r->devs[i], jarr, stderr, stderr, "svarun --stats");
	}
	if (jarr)
		fprintf(stderr, "%s\n", json_object_to_json_string_ext(jarr, JSON_C_TO_STRING_PRETTY));
	json_object_put(jarr);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: svarun [--config FILE.json] [--keep-going] [--driver-name] [--stats[=json]]"
		   " -- COMMAND [ARGS...]\n"
		   "Run COMMAND with the idxd sysfs tree and /dev/dsa of sva devices.\n"
		   "  --config FILE   apply an accel-config JSON configuration and enable it\n"
		   "  --keep-going    run COMMAND even if part of the configuration fails\n"
		   "  --driver-name   WQs have driver_name, as with Linux 6.7+\n"
		   "  --stats[=json]  print the devices' counters at exit (svactl stats)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "driver-name", no_argument, NULL, 'd' },
		{ "stats", optional_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	struct run r = { 0 };
	sigset_t set, old;
	int c, e, status;

	if (strcmp(name, "svarun") && strcmp(name, "lt-svarun"))
		return module_cmd_main(name, argc, argv);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 's') {
			r.stats = true;
			if (optarg && strcmp(optarg, "json") && strcmp(optarg, "table")) {
				usage(stderr);
				return 2;
			}
			r.stats_json = optarg && !strcmp(optarg, "json");
		} else if (c == 'c') {
			r.config = optarg;
		} else if (c == 'k') {
			r.keep_going = true;
		} else if (c == 'd') {
			r.driver_name = true;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "svarun: needs root (a mount namespace and a FUSE mount)\n");
		return EXIT_SKIP;
	}
	/* signals are taken synchronously by the main thread; FUSE threads inherit the mask */
	taken_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);

	e = setup_mounts(&r, &old);
	if (!e && r.config) {
		/* the nodes of what the file enables appear before COMMAND starts */
		e = apply_config(&r);
		sysfs_sync_nodes(r.srv);
		if (e && !r.keep_going) {
			teardown(&r);
			svad_stop(&r);
			return 1;
		}
		e = 0;
	}
	if (e) {
		teardown(&r);
		svad_stop(&r);
		/* missing privileges or kernel features: the caller's test is skipped */
		return e == -ENOMEM || r.svad_failed ? 1 : EXIT_SKIP;
	}
	status = run_command(&r, argv + optind, &old);
	if (status < 0)
		fprintf(stderr, "svarun: cannot run %s: %s\n", argv[optind], strerror(-status));
	if (r.stats)
		print_stats(&r);
	teardown(&r);
	svad_stop(&r);
	return status < 0 ? 1 : status;
}
