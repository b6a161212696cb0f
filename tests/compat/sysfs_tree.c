/* SPDX-License-Identifier: MIT */
/*
 * Description: the FUSE sysfs tree read and written through the file
 * system: layout and relative links (accel-config-compat.md §2), one-read
 * values and formats (§3-4), stores that replace (§5, CMP-6), bind/unbind
 * with links and /dev nodes appearing before write() returns (§6, CMP-7),
 * and the modprobe reset. Runs in a private mount namespace; skips without
 * root, namespaces or /dev/fuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "sysfs/sysfs.h"

static char root[PATH_MAX];
static char mnt[PATH_MAX + 8];
static char devdir[PATH_MAX + 8];
#define DEV0 "devices/pci0000:6a/0000:6a:01.0/dsa0"

/* One read() at offset 0, as libaccfg does; the bytes, or "<-errno>" on failure. */
static const char *rd(const char *rel)
{
	static char buf[4096];
	char path[PATH_MAX * 2];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", mnt, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, sizeof(buf), "<-%d>", errno);
		return buf;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		snprintf(buf, sizeof(buf), "<-%d>", errno);
	else
		buf[n] = '\0';
	close(fd);
	return buf;
}

/* One write() of the bare value without O_TRUNC, as libaccfg does: 0 or -errno. */
static int wr(const char *rel, const char *val)
{
	char path[PATH_MAX * 2];
	ssize_t n;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", mnt, rel);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		r = -errno;
	else if ((size_t)n != strlen(val))
		r = -EIO;
	close(fd);
	return r;
}

static bool exists(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", mnt, rel);
	return lstat(path, &st) == 0;
}

static const char *link_of(const char *rel)
{
	static char buf[PATH_MAX];
	char path[PATH_MAX * 2];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", mnt, rel);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void check_layout(void)
{
	char path[PATH_MAX * 2], *real;
	struct stat st;

	T_CHECK(!strcmp(link_of("bus/dsa/devices/dsa0"), "../../../" DEV0), "%s",
		link_of("bus/dsa/devices/dsa0"));
	T_CHECK(!strcmp(link_of("bus/dsa/devices/wq0.7"), "../../../" DEV0 "/wq0.7"), "%s",
		link_of("bus/dsa/devices/wq0.7"));
	T_CHECK(exists("bus/dsa/devices/engine0.3") && !exists("bus/dsa/devices/engine0.4") &&
		exists("bus/dsa/devices/group0.3") && !exists("bus/dsa/devices/wq0.8"), "objects");
	/* the library takes realpath(dsa0) as the device path, and its basename as the name */
	snprintf(path, sizeof(path), "%s/bus/dsa/devices/dsa0", mnt);
	real = realpath(path, NULL);
	T_CHECK(real && strstr(real, "/" DEV0) && !strcmp(strrchr(real, '/'), "/dsa0"), "%s",
		real ? real : "(null)");
	free(real);
	T_CHECK(exists("module/idxd") && exists("bus/dsa/drivers/idxd/bind") &&
		exists("bus/dsa/drivers/user/unbind") && exists("bus/dsa/drivers/dmaengine/bind"),
		"drivers and module (CMP-2)");
	snprintf(path, sizeof(path), "%s/" DEV0 "/max_groups", mnt);
	T_CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4096 &&
		(st.st_mode & 0777) == 0444, "attribute files are 4096-byte regular files");
	snprintf(path, sizeof(path), "%s/" DEV0 "/wq0.0/size", mnt);
	T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "RW attributes are 0644");
	T_CHECK(!exists(DEV0 "/driver") && !exists(DEV0 "/wq0.0/driver"), "unbound: no links");
}

static void check_reads(void)
{
	T_CHECK(!strcmp(rd(DEV0 "/max_groups"), "4\n"), "%s", rd(DEV0 "/max_groups"));
	T_CHECK(!strcmp(rd(DEV0 "/op_cap"), "0x1003f03ff 0 0 0\n"), "%s", rd(DEV0 "/op_cap"));
	T_CHECK(!strcmp(rd(DEV0 "/errors"), "0 0 0 0\n"), "%s", rd(DEV0 "/errors"));
	T_CHECK(!strcmp(rd(DEV0 "/state"), "disabled\n"), "%s", rd(DEV0 "/state"));
	T_CHECK(!strcmp(rd(DEV0 "/pasid_enabled"), "1\n"), "%s", rd(DEV0 "/pasid_enabled"));
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/group_id"), "-1\n"), "%s", rd(DEV0 "/wq0.0/group_id"));
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/mode"), "dedicated\n"), "%s", rd(DEV0 "/wq0.0/mode"));
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/name"), "\n"), "empty name reads a newline");
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/cdev_minor"), "<-6>"), "disabled WQ: cdev_minor ENXIO");
	T_CHECK(!strcmp(rd(DEV0 "/group0.0/engines"), ""), "an empty list is 0 bytes");
	T_CHECK(!exists(DEV0 "/wq0.0/driver_name"), "default personality: no driver_name");
}

static void check_stores(void)
{
	T_EQ(wr(DEV0 "/wq0.0/mode", "shared"), 0);
	T_EQ(wr(DEV0 "/wq0.0/mode", "dedicated"), 0);	/* no "sharedted" (§1.3) */
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/mode"), "dedicated\n"), "%s", rd(DEV0 "/wq0.0/mode"));
	T_EQ(wr(DEV0 "/wq0.0/mode", "bogus"), -EINVAL);
	T_EQ(wr(DEV0 "/wq0.0/size", "16\n"), 0);	/* one newline is trimmed */
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/size"), "16\n"), "%s", rd(DEV0 "/wq0.0/size"));
	T_EQ(wr(DEV0 "/wq0.0/size", "1000"), -EINVAL);
	T_EQ(wr(DEV0 "/max_groups", "3"), -EACCES);	/* read-only: no write open */
	T_EQ(wr(DEV0 "/wq0.0/group_id", "0"), 0);
	T_CHECK(!strcmp(rd(DEV0 "/group0.0/work_queues"), "wq0.0\n"), "%s",
		rd(DEV0 "/group0.0/work_queues"));
	T_EQ(wr(DEV0 "/engine0.0/group_id", "0"), 0);
	T_EQ(wr(DEV0 "/wq0.0/priority", "10"), 0);
	T_EQ(wr(DEV0 "/wq0.0/type", "user"), 0);
	T_EQ(wr(DEV0 "/wq0.0/name", "app1"), 0);
	T_EQ(wr(DEV0 "/wq0.0/type", "kernel"), 0);	/* a type change clears the name */
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/name"), "\n"), "%s", rd(DEV0 "/wq0.0/name"));
	T_EQ(wr(DEV0 "/wq0.0/type", "user"), 0);
	T_EQ(wr(DEV0 "/wq0.0/name", "app1"), 0);
	T_EQ(wr(DEV0 "/cmd_status", "1"), 0);	/* any write clears it */
	T_CHECK(!strcmp(rd(DEV0 "/cmd_status"), "0\n"), "%s", rd(DEV0 "/cmd_status"));
}

static void check_bind(void)
{
	char node[PATH_MAX * 2];
	struct stat st;

	snprintf(node, sizeof(node), "%s/dsa/wq0.0", devdir);
	/* a WQ cannot be bound before its device; the error is the model's */
	T_CHECK(wr("bus/dsa/drivers/user/bind", "wq0.0") < 0, "WQ bind on a disabled device");
	T_CHECK(strcmp(rd(DEV0 "/cmd_status"), "0\n"), "cmd_status set: %s",
		rd(DEV0 "/cmd_status"));
	T_EQ(wr("bus/dsa/drivers/idxd/bind", "wq0.0"), -ENODEV);
	T_EQ(wr("bus/dsa/drivers/idxd/bind", "dsa9"), -ENODEV);
	T_EQ(wr("bus/dsa/drivers/idxd/bind", "dsa0\n"), 0);
	T_CHECK(!strcmp(rd(DEV0 "/state"), "enabled\n"), "%s", rd(DEV0 "/state"));
	T_CHECK(!strcmp(link_of(DEV0 "/driver"), "../../../../bus/dsa/drivers/idxd"), "%s",
		link_of(DEV0 "/driver"));
	T_CHECK(!strcmp(link_of("bus/dsa/drivers/idxd/dsa0"), "../../../../" DEV0), "%s",
		link_of("bus/dsa/drivers/idxd/dsa0"));
	T_EQ(wr("bus/dsa/drivers/idxd/bind", "dsa0"), wr("bus/dsa/drivers/idxd/bind", "dsa0"));
	T_CHECK(!strcmp(rd(DEV0 "/cmd_status"), "0x80000010\n"), "DEV_ENABLED: %s",
		rd(DEV0 "/cmd_status"));

	T_EQ(wr("bus/dsa/drivers/user/bind", "wq0.0"), 0);
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/state"), "enabled\n"), "%s", rd(DEV0 "/wq0.0/state"));
	T_CHECK(rd(DEV0 "/wq0.0/cdev_minor")[0] != '<', "cdev_minor while enabled");
	T_CHECK(!strcmp(link_of(DEV0 "/wq0.0/driver"), "../../../../../bus/dsa/drivers/user"),
		"%s", link_of(DEV0 "/wq0.0/driver"));
	T_CHECK(exists("bus/dsa/drivers/user/wq0.0"), "back-link");
	T_CHECK(stat(node, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
		(st.st_mode & 0777) == 0666, "node %s (CMP-8)", node);
	T_EQ(wr(DEV0 "/wq0.0/size", "8"), -EPERM);	/* enabled device */

	T_EQ(wr("bus/dsa/drivers/idxd/unbind", "wq0.0"), -ENODEV);
	T_EQ(wr("bus/dsa/drivers/user/unbind", "wq0.0"), 0);
	T_CHECK(!strcmp(rd(DEV0 "/wq0.0/state"), "disabled\n"), "%s", rd(DEV0 "/wq0.0/state"));
	T_CHECK(stat(node, &st) < 0 && errno == ENOENT, "node removed");
	T_CHECK(!exists(DEV0 "/wq0.0/driver") && !exists("bus/dsa/drivers/user/wq0.0"),
		"links removed");
	T_EQ(wr("bus/dsa/drivers/user/unbind", "wq0.0"), -ENODEV);

	/* unbinding the device disables its WQs first */
	T_EQ(wr("bus/dsa/drivers/user/bind", "wq0.0"), 0);
	T_EQ(wr("bus/dsa/drivers/idxd/unbind", "dsa0"), 0);
	T_CHECK(!strcmp(rd(DEV0 "/state"), "disabled\n") &&
		!strcmp(rd(DEV0 "/wq0.0/state"), "disabled\n"), "device unbind");
	T_CHECK(stat(node, &st) < 0 && !exists(DEV0 "/driver"), "unbind: node and link gone");

	/* modprobe idxd: everything back to power-on */
	T_EQ(wr("bus/dsa/drivers/idxd/bind", "dsa0"), 0);
	T_EQ(wr("bus/dsa/drivers/user/bind", "wq0.0"), 0);
	T_EQ(wr("sva_control", "bogus"), -EINVAL);
	T_EQ(wr("sva_control", "reset\n"), 0);
	T_CHECK(!strcmp(rd(DEV0 "/state"), "disabled\n") &&
		!strcmp(rd(DEV0 "/wq0.0/size"), "0\n") &&
		!strcmp(rd(DEV0 "/wq0.0/group_id"), "-1\n"), "reset to power-on");
	T_CHECK(stat(node, &st) < 0, "reset removes the nodes");
}

/* Another user reads everything but stores nothing, as with sysfs modes 0644/0444/0200. */
static void check_other_user(void)
{
	pid_t pid = t_fork_quiet();
	int fate;

	if (pid == 0) {
		bool ok;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		ok = !strcmp(rd(DEV0 "/wq0.0/size"), "0\n") &&
		     wr(DEV0 "/wq0.0/size", "8") == -EACCES &&
		     wr("bus/dsa/drivers/idxd/bind", "dsa0") == -EACCES &&
		     wr(DEV0 "/cmd_status", "1") == -EACCES;
		_exit(ok ? 0 : 1);
	}
	fate = t_child_fate(pid);
	T_EQ(fate, -1);	/* exit status 0 */
}

int main(void)
{
	struct sva_device_config cfg = {
		.size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
		.flags = SVA_CONFIG_UNCONFIGURED,
	};
	struct sysfs_server *srv;
	struct sva_device *dev;
	char path[PATH_MAX * 2];
	int r;

	if (geteuid() != 0)
		T_SKIP("needs root for the FUSE mount and the mount namespace");
	if (access("/dev/fuse", R_OK | W_OK))
		T_SKIP("no /dev/fuse");
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		T_SKIP("no mount namespace: %s", strerror(errno));
	if (!mkdtemp(t_tmp_name(root, sizeof(root), "sva-sysfs-")))
		T_FATAL("mkdtemp: %s", strerror(errno));
	/* a private tmpfs: nothing of the test is left on the host's /tmp */
	if (mount("sva-test", root, "tmpfs", 0, "mode=0755"))
		T_FATAL("tmpfs: %s", strerror(errno));
	snprintf(mnt, sizeof(mnt), "%s/sys", root);
	snprintf(devdir, sizeof(devdir), "%s/dev", root);
	snprintf(path, sizeof(path), "%s/dsa", devdir);
	if (mkdir(mnt, 0755) || mkdir(devdir, 0755) || mkdir(path, 0755))
		T_FATAL("mkdir: %s", strerror(errno));

	r = sva_device_new(&cfg, &dev);
	if (r)
		T_FATAL("sva_device_new: %d", r);
	r = sysfs_server_start(&dev, 1, mnt, devdir, &srv);
	if (r == -ENODEV || r == -EPERM)
		T_SKIP("cannot mount FUSE: %s", strerror(-r));
	if (r)
		T_FATAL("sysfs_server_start: %d", r);

	check_layout();
	check_reads();
	check_stores();
	check_bind();
	check_other_user();

	sysfs_server_stop(srv);
	snprintf(path, sizeof(path), "%s/bus", mnt);
	T_CHECK(access(path, F_OK) < 0, "unmounted at stop");
	sva_device_free(dev);
	umount2(root, MNT_DETACH);
	rmdir(root);
	return t_done("compat/sysfs_tree");
}
