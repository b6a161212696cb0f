/* SPDX-License-Identifier: MIT */
/*
 * svarun --config: apply a configuration file in accel-config's JSON format
 * (what `accel-config save-config` writes and `load-config -e` reads) to
 * the devices, then enable the devices and WQs it names.
 *
 * The file is an array of devices; each object's "dev" names the sysfs
 * object and every other scalar member is an attribute of that name,
 * stored in file order as load-config does (so mode and size come before
 * threshold), unless it already has that value. "groups", "grouped_workqueues", "grouped_engines" (and the
 * ungrouped "ungrouped_engines") nest objects. Read-only attributes that
 * save-config also prints (max_groups, state, ...) are skipped; an
 * attribute the device does not have is skipped with a warning, as
 * libaccfg ignores a missing driver_name.
 */
#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sysfs.h"

struct loader {
	struct sva_device *const *devs;
	unsigned int ndevs;
	bool keep_going;
	int first_error;
	FILE *log;
};

/* Report an error; returns it unless keep_going, which only remembers it. */
__attribute__((format(printf, 3, 4)))
static int fail(struct loader *l, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(l->log, "svarun: config: ");
	vfprintf(l->log, fmt, ap);
	fputc('\n', l->log);
	va_end(ap);
	if (!l->first_error)
		l->first_error = err;
	return l->keep_going ? 0 : err;
}

/* -1 if no such attribute; else its SVA_ATTR_* flags */
static int attr_flags(struct sva_device *dev, const char *obj, const char *attr)
{
	unsigned int i, flags;
	char name[64];

	for (i = 0; sva_attr_info(dev, obj, i, name, sizeof(name), &flags) == 0; i++)
		if (!strcmp(name, attr))
			return (int)flags;
	return -1;
}

static bool obj_exists(struct sva_device *dev, const char *obj)
{
	unsigned int flags;
	char name[64];

	return sva_attr_info(dev, obj, 0, name, sizeof(name), &flags) == 0;
}

static int load_object(struct loader *l, struct sva_device *dev, json_object *o);

static int load_array(struct loader *l, struct sva_device *dev, json_object *a)
{
	size_t i, n = json_object_array_length(a);
	int r;

	for (i = 0; i < n; i++) {
		r = load_object(l, dev, json_object_array_get_idx(a, i));
		if (r)
			return r;
	}
	return 0;
}

static int load_object(struct loader *l, struct sva_device *dev, json_object *o)
{
	json_object *jdev;
	const char *obj, *val;
	char cur[4096];
	int flags, r;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "dev", &jdev))
		return fail(l, -EINVAL, "an entry without \"dev\"");
	obj = json_object_get_string(jdev);
	if (!obj_exists(dev, obj))
		return fail(l, -ENOENT, "%s: no such object on %s", obj, sva_device_name(dev));
	json_object_object_foreach(o, key, v) {
		if (!strcmp(key, "dev"))
			continue;
		if (json_object_is_type(v, json_type_array)) {
			r = load_array(l, dev, v);
			if (r)
				return r;
			continue;
		}
		flags = attr_flags(dev, obj, key);
		/* driver_name exists only in the 6.7+ personality; libaccfg ignores its ENOENT */
		if (flags < 0 && !strcmp(key, "driver_name"))
			continue;
		if (flags < 0) {
			fprintf(l->log, "svarun: config: %s/%s: no such attribute, skipped\n", obj,
				key);
			continue;
		}
		if (!(flags & SVA_ATTR_WRITABLE))
			continue;	/* save-config prints read-only values too */
		val = json_object_get_string(v);
		/*
		 * A value the attribute already has is not stored: that is how
		 * load-config passes over use_read_buffer_limit 0 without a
		 * limit, threshold 0 on a dedicated WQ and the traffic classes of
		 * a version 1 device, which the kernel would refuse.
		 */
		if (sva_attr_get(dev, obj, key, cur, sizeof(cur)) >= 0 && !strcmp(cur, val))
			continue;
		r = sva_attr_set(dev, obj, key, val);
		if (r)
			r = fail(l, r, "%s/%s <- %s: %s", obj, key, val, sva_last_error(dev));
		if (r)
			return r;
	}
	return 0;
}

static struct sva_device *find_device(struct loader *l, const char *name)
{
	unsigned int i;

	for (i = 0; i < l->ndevs; i++)
		if (!strcmp(sva_device_name(l->devs[i]), name))
			return l->devs[i];
	return NULL;
}

/* Enable the device, then every WQ the file configures (load-config -e). */
static int enable_listed(struct loader *l, struct sva_device *dev, json_object *d)
{
	json_object *groups, *wqs, *g, *w, *jdev;
	unsigned int n, q;
	size_t i, k;
	char tail;
	int r;

	r = sva_device_enable(dev);
	if (r)
		return fail(l, r, "enable %s: %s", sva_device_name(dev), sva_last_error(dev));
	if (!json_object_object_get_ex(d, "groups", &groups))
		return 0;
	for (i = 0; i < json_object_array_length(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (!json_object_object_get_ex(g, "grouped_workqueues", &wqs))
			continue;
		for (k = 0; k < json_object_array_length(wqs); k++) {
			w = json_object_array_get_idx(wqs, k);
			if (!json_object_object_get_ex(w, "dev", &jdev) ||
			    sscanf(json_object_get_string(jdev), "wq%u.%u%c", &n, &q, &tail) != 2)
				continue;
			r = sva_wq_enable(dev, q);
			if (r && (r = fail(l, r, "enable %s: %s", json_object_get_string(jdev),
					   sva_last_error(dev))))
				return r;
		}
	}
	return 0;
}

int sysfs_config_load(struct sva_device *const *devs, unsigned int ndevs, const char *path,
		      bool keep_going, FILE *log)
{
	struct loader l = { .devs = devs, .ndevs = ndevs, .keep_going = keep_going,
			    .log = log ? log : stderr };
	json_object *root, *d, *jdev;
	struct sva_device *dev;
	size_t i;
	int r = 0;

	root = json_object_from_file(path);
	if (!root || !json_object_is_type(root, json_type_array)) {
		fprintf(l.log, "svarun: config: %s: %s\n", path,
			root ? "not a JSON array of devices" : json_util_get_last_err());
		json_object_put(root);
		return -EINVAL;
	}
	for (i = 0; !r && i < json_object_array_length(root); i++) {
		d = json_object_array_get_idx(root, i);
		if (!json_object_object_get_ex(d, "dev", &jdev)) {
			r = fail(&l, -EINVAL, "a device without \"dev\"");
			continue;
		}
		dev = find_device(&l, json_object_get_string(jdev));
		if (!dev) {
			r = fail(&l, -ENODEV, "%s: no such device", json_object_get_string(jdev));
			continue;
		}
		r = load_object(&l, dev, d);
		if (!r)
			r = enable_listed(&l, dev, d);
	}
	json_object_put(root);
	return r ? r : l.first_error;
}
