/* SPDX-License-Identifier: MIT */
/*
 * Description: the attribute calls a sysfs server is built on:
 * sva_attr_show gives the exact bytes of the sysfs file (value and
 * newline, an empty file for an empty group list, ENXIO for cdev_minor of
 * a disabled WQ), sva_attr_info enumerates an object's attributes with
 * their writability and tells unknown objects apart, and
 * SVA_CONFIG_DRIVER_NAME adds the 6.7+ driver_name attribute. Exact
 * errnos for every misuse.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "sva/sva.h"

static struct sva_device *new_dev(uint32_t flags)
{
	struct sva_device_config cfg = {
		.size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
		.flags = SVA_CONFIG_UNCONFIGURED | flags,
	};
	struct sva_device *dev = NULL;
	int r = sva_device_new(&cfg, &dev);

	if (r)
		T_FATAL("sva_device_new: %d", r);
	return dev;
}

/* Index of attribute attr of obj in the enumeration, -1 if absent; *flags set. */
static int find(struct sva_device *dev, const char *obj, const char *attr, unsigned int *flags)
{
	char name[64];
	int i;

	for (i = 0; sva_attr_info(dev, obj, (unsigned int)i, name, sizeof(name), flags) == 0; i++)
		if (!strcmp(name, attr))
			return i;
	return -1;
}

static void check_show(struct sva_device *dev)
{
	char buf[256];
	int n;

	n = sva_attr_show(dev, "dsa0", "max_groups", buf, sizeof(buf));
	T_CHECK(n == 2 && !memcmp(buf, "4\n", 2), "max_groups: %d", n);
	n = sva_attr_show(dev, "dsa0", "op_cap", buf, sizeof(buf));
	T_CHECK(n == 18 && !memcmp(buf, "0x1003f03ff 0 0 0\n", 18), "op_cap: %d", n);
	/* an empty name is a newline, an empty list is nothing */
	T_EQ(sva_attr_show(dev, "wq0.0", "name", buf, sizeof(buf)), 1);
	T_EQ(buf[0], '\n');
	T_EQ(sva_attr_show(dev, "group0.0", "engines", buf, sizeof(buf)), 0);
	T_EQ(sva_attr_set(dev, "engine0.2", "group_id", "0"), 0);
	n = sva_attr_show(dev, "group0.0", "engines", buf, sizeof(buf));
	T_CHECK(n == 10 && !memcmp(buf, "engine0.2\n", 10), "engines: %d", n);
	T_EQ(sva_attr_show(dev, "wq0.0", "cdev_minor", buf, sizeof(buf)), -ENXIO);
	T_EQ(sva_attr_show(dev, "wq0.9", "size", buf, sizeof(buf)), -ENOENT);
	T_EQ(sva_attr_show(dev, "dsa0", "nonexistent", buf, sizeof(buf)), -ENOENT);
	T_EQ(sva_attr_show(dev, "dsa0", "max_groups", buf, 1), -ENOSPC);
	T_EQ(sva_attr_show(NULL, "dsa0", "max_groups", buf, sizeof(buf)), -EINVAL);
	T_EQ(sva_attr_show(dev, "dsa0", "max_groups", NULL, 4), -EINVAL);
}

static void check_info(struct sva_device *dev)
{
	unsigned int flags = 0xdead, i, n = 0;
	char name[64] = "untouched";

	T_CHECK(find(dev, "dsa0", "cmd_status", &flags) == 0 && flags == SVA_ATTR_WRITABLE,
		"cmd_status first and writable");
	T_CHECK(find(dev, "dsa0", "op_cap", &flags) > 0 && flags == 0, "op_cap read-only");
	T_CHECK(find(dev, "wq0.7", "threshold", &flags) >= 0 && flags == SVA_ATTR_WRITABLE,
		"threshold");
	T_CHECK(find(dev, "wq0.0", "state", &flags) >= 0 && flags == 0, "state read-only");
	T_CHECK(find(dev, "engine0.3", "group_id", &flags) == 0, "engine group_id");
	T_CHECK(find(dev, "wq0.0", "driver_name", &flags) < 0, "no driver_name by default");
	/* every name the enumeration gives can be shown, or reads as failing (cdev_minor) */
	for (i = 0; sva_attr_info(dev, "wq0.1", i, name, sizeof(name), &flags) == 0; i++) {
		char buf[256];
		int r = sva_attr_show(dev, "wq0.1", name, buf, sizeof(buf));

		T_CHECK(r >= 0 || r == -ENXIO || r == -EOPNOTSUPP, "wq0.1/%s: %d", name, r);
		n++;
	}
	T_CHECK(n >= 14, "wq attributes: %u", n);
	T_EQ(sva_attr_info(dev, "wq0.1", n, name, sizeof(name), &flags), -ENOENT);

	/* unknown objects, too small buffers: errors, outputs untouched */
	strcpy(name, "untouched");
	flags = 0xdead;
	T_EQ(sva_attr_info(dev, "wq0.8", 0, name, sizeof(name), &flags), -ENOENT);
	T_EQ(sva_attr_info(dev, "dsa1", 0, name, sizeof(name), &flags), -ENOENT);
	T_EQ(sva_attr_info(dev, "wq00.1", 0, name, sizeof(name), &flags), -ENOENT);
	T_EQ(sva_attr_info(dev, "dsa0", 0, name, 4, &flags), -ENOSPC);
	T_CHECK(!strcmp(name, "untouched") && flags == 0xdead, "outputs untouched on failure");
	T_EQ(sva_attr_info(NULL, "dsa0", 0, name, sizeof(name), &flags), -EINVAL);
	T_EQ(sva_attr_info(dev, NULL, 0, name, sizeof(name), &flags), -EINVAL);
	T_EQ(sva_attr_info(dev, "dsa0", 0, name, sizeof(name), NULL), -EINVAL);
}

int main(void)
{
	struct sva_device_config bad = {
		.size = sizeof(bad), .version = SVA_CONFIG_VERSION, .flags = 1u << 31,
	};
	struct sva_device *dev = new_dev(0), *dev67;
	unsigned int flags;
	char buf[64];

	check_show(dev);
	check_info(dev);

	dev67 = new_dev(SVA_CONFIG_DRIVER_NAME);
	T_CHECK(find(dev67, "wq1.0", "driver_name", &flags) >= 0 && flags == SVA_ATTR_WRITABLE,
		"6.7+ personality: driver_name");
	T_EQ(sva_attr_show(dev67, "wq1.0", "driver_name", buf, sizeof(buf)), 1);
	T_EQ(sva_attr_set(dev67, "wq1.0", "driver_name", "user"), 0);
	T_EQ(sva_attr_show(dev67, "wq1.0", "driver_name", buf, sizeof(buf)), 5);
	T_EQ(sva_device_new(&bad, &dev), -EINVAL);	/* unknown flags */

	sva_device_free(dev67);
	sva_device_free(dev);
	return t_done("api/attr_files");
}
