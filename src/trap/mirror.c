/* SPDX-License-Identifier: MIT */
/*
 * Stopgap until svad hosts the devices: give the preload library's
 * embedded device the configuration svarun's sysfs tree shows.
 *
 * Under svarun the tree's device lives in the svarun process, and this
 * process (a DSA program with libsva-trap.so) cannot reach it. So when the
 * program opens a WQ node of the tree, its own device is built as a copy:
 * every writable attribute the tree shows is stored in the same order the
 * model lists them (size and mode before threshold, type before name),
 * then the device and the WQs the tree shows enabled are enabled. The
 * program then sees exactly the WQ that sysfs describes (mode, size,
 * threshold, block_on_fault, limits). What it does not share with the
 * tree is the live state: clients, occupancy, counters, and the DWQ
 * exclusivity between processes. With svad, both sides connect to the
 * same device and this file goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trap.h"

/* One read() of a sysfs file, without its newline: the length or -errno. */
static int read_value(const char *dir, const char *obj, const char *attr, char *buf,
		      size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, obj, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return (int)n;
}

/* Store every writable attribute of obj that the tree shows a value for. */
static void copy_object(struct sva_device *dev, const char *dir, const char *obj)
{
	char name[64], val[4096];
	unsigned int i, flags;

	for (i = 0; sva_attr_info(dev, obj, i, name, sizeof(name), &flags) == 0; i++) {
		if (!(flags & SVA_ATTR_WRITABLE) || !strcmp(name, "cmd_status"))
			continue;
		/*
		 * An empty name cannot be stored (and is the default); values the
		 * model refuses in this order (a limit flag without a limit, a
		 * DWQ's retries) are refused by the tree's copy too.
		 */
		if (read_value(dir, obj, name, val, sizeof(val)) <= 0)
			continue;
		sva_attr_set(dev, obj, name, val);
	}
}

static bool shows_enabled(const char *dir, const char *obj)
{
	char state[32];

	return read_value(dir, obj, "state", state, sizeof(state)) > 0 &&
	       !strcmp(state, "enabled");
}

static bool obj_exists(struct sva_device *dev, const char *obj)
{
	unsigned int flags;
	char name[64];

	return sva_attr_info(dev, obj, 0, name, sizeof(name), &flags) == 0;
}

int mirror_sysfs_config(struct sva_device *dev, const char *sysfs_root)
{
	static const char *const kinds[] = { "engine", "group", "wq" };
	const char *name = sva_device_name(dev);
	unsigned int k, i, num;
	char dir[512], obj[48];
	int r;

	snprintf(dir, sizeof(dir), "%s/bus/dsa/devices", sysfs_root);
	if (access(dir, F_OK))
		return -ENOENT;
	num = (unsigned int)strtoul(name + strcspn(name, "0123456789"), NULL, 10);
	/* the device first: read_buffer_limit decides what the groups may store */
	copy_object(dev, dir, name);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (i = 0;; i++) {
			snprintf(obj, sizeof(obj), "%s%u.%u", kinds[k], num, i);
			if (!obj_exists(dev, obj))
				break;
			copy_object(dev, dir, obj);
		}
	}
	if (!shows_enabled(dir, name))
		return 0;
	r = sva_device_enable(dev);
	for (i = 0; !r; i++) {
		snprintf(obj, sizeof(obj), "wq%u.%u", num, i);
		if (!obj_exists(dev, obj))
			break;
		if (shows_enabled(dir, obj))
			r = sva_wq_enable(dev, i);
	}
	return r;
}
