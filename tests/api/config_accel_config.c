/* SPDX-License-Identifier: MIT */
/*
 * Description: sva_config_dump() prints what the real accel-config prints.
 * Each device state is written out as a plain-file copy of the idxd sysfs
 * tree (every attribute from sva_attr_get()), mounted over /sys in a
 * private user and mount namespace, and the installed accel-config runs
 * save-config, list and list -i on it; the outputs must be identical
 * byte for byte. Skips when accel-config or user namespaces are missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lib/lib.h"

#define ACCEL_CONFIG "/usr/bin/accel-config"

static char root[64];

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		T_FATAL("write %s: %s", path, strerror(errno));
	close(fd);
}

static void mkdirs(const char *path)
{
	char p[512];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

struct attr_walk {
	struct sva_device *dev;
	const char *obj;
	const char *dir;
};

/* One attribute file, in sysfs format: value and newline; unreadable ones are left out. */
static int put_attr(const char *name, bool writable, void *arg)
{
	struct attr_walk *w = arg;
	char buf[256], path[512];
	int r = sva_attr_get(w->dev, w->obj, name, buf, sizeof(buf) - 1);

	(void)writable;
	if (r < 0)
		return 0;	/* -ENXIO (cdev_minor while disabled), -EOPNOTSUPP */
	/* an empty group member list is a 0-byte file; other values end in a newline */
	if (r > 0 || (strcmp(name, "engines") && strcmp(name, "work_queues")))
		strcat(buf, "\n");
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	write_file(path, buf);
	return 0;
}

static void put_object(struct sva_device *dev, const char *devdir, const char *obj)
{
	char dir[512], link[512], target[512];
	struct attr_walk w = { .dev = dev, .obj = obj, .dir = dir };

	if (!strncmp(obj, "dsa", 3))
		snprintf(dir, sizeof(dir), "%s", devdir);
	else
		snprintf(dir, sizeof(dir), "%s/%s", devdir, obj);
	mkdirs(dir);
	T_EQ(dsa_dev_attr_foreach(rt_dev(dev->rt), obj, put_attr, &w), 0);
	snprintf(link, sizeof(link), "%s/bus/dsa/devices/%s", root, obj);
	/* the link resolves inside the namespace, where root is mounted at /sys */
	snprintf(target, sizeof(target), "/sys%s", dir + strlen(root));
	if (symlink(target, link) && errno != EEXIST)
		T_FATAL("symlink %s", link);
}

/* The idxd sysfs tree of dev under root: bus/, devices/, module/. */
static void build_tree(struct sva_device *dev)
{
	static const char *const kinds[] = { "wq", "group", "engine" };
	static const char *const max[] = { "max_work_queues", "max_groups", "max_engines" };
	const char *name = sva_device_name(dev);
	char devdir[256], obj[32], path[512];
	long long n;

	snprintf(path, sizeof(path), "rm -rf %s/bus %s/devices %s/module", root, root, root);
	T_EQ(system(path), 0);
	snprintf(path, sizeof(path), "%s/bus/dsa/devices", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/bus/dsa/drivers/idxd", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/bus/dsa/drivers/user", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/module/idxd", root);
	mkdirs(path);
	snprintf(devdir, sizeof(devdir), "%s/devices/pci0000:00/0000:00:01.0/%s", root, name);
	put_object(dev, devdir, name);
	for (int k = 0; k < 3; k++) {
		T_EQ(lib_attr_ll(dev, name, max[k], &n), 0);
		for (long long i = 0; i < n; i++) {
			snprintf(obj, sizeof(obj), "%s%s.%lld", kinds[k], name + 3, i);
			put_object(dev, devdir, obj);
		}
	}
}

/*
 * Run accel-config ARGS with the tree mounted over /sys/{bus,devices,module};
 * its stdout in *ret_out. Returns 77 when namespaces are not available.
 */
static int run_accel_config(char *const argv[], char **ret_out)
{
	char out_path[128], map[64], mnt[3][256];
	static const char *const where[] = { "/sys/bus", "/sys/devices", "/sys/module" };
	int status, fd;
	size_t len = 0;
	FILE *f;
	pid_t pid;

	snprintf(out_path, sizeof(out_path), "%s/out", root);
	for (int i = 0; i < 3; i++)
		snprintf(mnt[i], sizeof(mnt[i]), "%s/%s", root, where[i] + 5);
	pid = t_fork_quiet();
	if (pid == 0) {
		uid_t uid = getuid();
		gid_t gid = getgid();

		/* root needs only a mount namespace; others map themselves to root in a userns */
		if (uid == 0 && unshare(CLONE_NEWNS))
			_exit(77);
		if (uid != 0) {
			if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
				_exit(77);
			write_file("/proc/self/setgroups", "deny");
			snprintf(map, sizeof(map), "0 %u 1", uid);
			write_file("/proc/self/uid_map", map);
			snprintf(map, sizeof(map), "0 %u 1", gid);
			write_file("/proc/self/gid_map", map);
		}
		if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(77);
		for (int i = 0; i < 3; i++)
			if (mount(mnt[i], where[i], NULL, MS_BIND, NULL))
				_exit(77);
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(1);
		execv(ACCEL_CONFIG, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		T_FATAL("accel-config did not exit");
	if (WEXITSTATUS(status) == 77)
		return 77;
	T_CHECK(WEXITSTATUS(status) == 0, "accel-config %s exited %d", argv[1],
		WEXITSTATUS(status));
	f = fopen(out_path, "re");
	*ret_out = NULL;
	if (!f || getdelim(ret_out, &len, '\0', f) < 0) {
		free(*ret_out);
		*ret_out = strdup("");
	}
	if (f)
		fclose(f);
	return 0;
}

/* save-config, list and list -i of accel-config against sva_config_dump(). */
static void compare(struct sva_device *dev, const char *what)
{
	char save_path[128], *theirs, *ours;
	char *save[] = { "accel-config", "save-config", "-s", save_path, NULL };
	char *list[] = { "accel-config", "list", NULL };
	char *idle[] = { "accel-config", "list", "-i", NULL };
	char *const *argv[] = { save, list, idle };
	const unsigned int flags[] = { 0, SVA_DUMP_LIST, SVA_DUMP_LIST | SVA_DUMP_IDLE };

	snprintf(save_path, sizeof(save_path), "%s/saved.conf", root);
	build_tree(dev);
	for (int i = 0; i < 3; i++) {
		if (run_accel_config(argv[i], &theirs) == 77)
			T_SKIP("no user/mount namespaces for a private /sys");
		if (i == 0) {
			FILE *f = fopen(save_path, "re");
			size_t len = 0;

			free(theirs);
			theirs = NULL;
			if (!f || getdelim(&theirs, &len, '\0', f) < 0)
				T_FATAL("%s: save-config wrote nothing", what);
			fclose(f);
		}
		T_EQ(sva_config_dump(&dev, 1, flags[i], &ours), 0);
		T_CHECK(!strcmp(theirs, ours), "%s: accel-config %s differs:\n--- accel-config\n%s"
			"--- sva\n%s", what, argv[i][1 + (i == 2)], theirs, ours);
		free(theirs);
		free(ours);
	}
}

int main(void)
{
	struct sva_device_config cfg = {
		.size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
		.flags = SVA_CONFIG_UNCONFIGURED,
	};
	const char *conf = "/usr/libexec/accel-config/test/configs/2g2q_user_1.conf";
	struct sva_device *dev, *dev2;
	char err[512], cmd[128];

	if (access(ACCEL_CONFIG, X_OK))
		T_SKIP("accel-config not installed");
	if (!mkdtemp(t_tmp_name(root, sizeof(root), "sva-sysfs-")))
		T_FATAL("mkdtemp");
	if (sva_device_new(NULL, &dev) || sva_device_new(&cfg, &dev2))
		T_FATAL("device");
	compare(dev, "default device");
	compare(dev2, "unconfigured device");

	/* idle objects: a disabled WQ in a group, an ungrouped WQ and engine */
	T_EQ(sva_wq_disable(dev, 1), 0);
	T_EQ(sva_device_disable(dev), 0);
	T_EQ(sva_attr_set(dev, "engine0.3", "group_id", "-1"), 0);
	T_EQ(sva_attr_set(dev, "wq0.5", "size", "0"), 0);
	T_EQ(sva_attr_set(dev, "wq0.1", "size", "32"), 0);
	T_EQ(sva_attr_set(dev, "wq0.2", "size", "16"), 0);
	T_EQ(sva_attr_set(dev, "wq0.2", "name", "quote\"slash/"), 0);
	T_EQ(sva_device_enable(dev), 0);
	T_EQ(sva_wq_enable(dev, 0), 0);
	compare(dev, "mixed states");

	if (!access(conf, R_OK)) {
		T_EQ(sva_config_load(dev2, conf, SVA_LOAD_ANY_NAME | SVA_LOAD_ENABLE, err,
				     sizeof(err)), 0);
		compare(dev2, "2g2q_user_1.conf");
	}
	sva_device_free(dev);
	sva_device_free(dev2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	T_EQ(system(cmd), 0);
	return t_done("config_accel_config");
}
