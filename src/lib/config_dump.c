/* SPDX-License-Identifier: MIT */
/*
 * sva_config_dump() and sva_config_save(): the device's configuration as
 * accel-config 3.5 prints it (util/json.c, accfg/list.c), through the
 * public attribute API.
 *
 * The shape follows accel-config's walk: every group is listed; an
 * enabled WQ (any WQ with SVA_DUMP_IDLE) goes into its group's
 * "grouped_workqueues", or "ungrouped workqueues" (sic, with a space) when
 * it has none; engines go into "grouped_engines" or the device's
 * "ungrouped_engines". Keys keep accel-config's order and json-c prints
 * them with the same flag, so the bytes match save-config's file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib.h"
#include "sva/sva_config.h"

struct dump {
	struct sva_device *dev;
	unsigned int flags;
	unsigned int id;		/* N of dsaN */
	json_object *jdev;
	json_object **groups;		/* per group id */
	long long ngroups, nwqs, nengines;
};

/* attribute-valued members */

static int add(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	json_object_object_add(o, key, v);
	return 0;
}

static int add_int(struct dump *d, json_object *o, const char *obj, const char *attr,
		   const char *key)
{
	long long v;
	int r = lib_attr_ll(d->dev, obj, attr, &v);

	return r ? r : add(o, key ? key : attr, json_object_new_int64(v));
}

static int add_str(struct dump *d, json_object *o, const char *obj, const char *attr)
{
	char buf[128];
	int r = sva_attr_get(d->dev, obj, attr, buf, sizeof(buf));

	return r < 0 ? r : add(o, attr, json_object_new_string(buf));
}

/* gen_cap and version: accel-config re-prints the number with "%#llx" */
static int add_hex(struct dump *d, json_object *o, const char *attr)
{
	char obj[16], buf[32];
	long long v;
	int r;

	snprintf(obj, sizeof(obj), "dsa%u", d->id);
	r = lib_attr_ll(d->dev, obj, attr, &v);
	if (r)
		return r;
	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)v);
	return add(o, attr, json_object_new_string(buf));
}

/* op_cap and errors: four words in, an array of four "%#llx" strings out */
static int add_words(struct dump *d, json_object *o, const char *attr, bool only_nonzero)
{
	char obj[16], buf[128], *p = buf, *end, hex[24];
	unsigned long long w[4];
	json_object *a;
	int r, i;

	snprintf(obj, sizeof(obj), "dsa%u", d->id);
	r = sva_attr_get(d->dev, obj, attr, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (i = 0; i < 4; i++, p = end) {
		w[i] = strtoull(p, &end, 16);
		if (end == p)
			return -EPROTO;
	}
	if (only_nonzero && !(w[0] | w[1] | w[2] | w[3]))
		return 0;
	a = json_object_new_array();
	if (!a)
		return -ENOMEM;
	for (i = 0; i < 4; i++) {
		snprintf(hex, sizeof(hex), "%#llx", w[i]);
		if (json_object_array_add(a, json_object_new_string(hex))) {
			json_object_put(a);
			return -ENOMEM;
		}
	}
	return add(o, attr, a);
}

/* util_device_to_json(): dev and read_buffer_limit, plus the list keys */
static int device_json(struct dump *d, const char *obj)
{
	static const char *const head[][2] = {
		{ "max_groups", NULL }, { "max_work_queues", NULL }, { "max_engines", NULL },
		{ "max_work_queues_size", "work_queue_size" }, { "numa_node", NULL },
	};
	static const char *const tail[] = {
		"max_read_buffers", "max_batch_size", "max_transfer_size", "configurable",
	};
	json_object *o = d->jdev;
	long long v;
	int r = 0;

	r = add(o, "dev", json_object_new_string(obj));
	r = r ? r : add_int(d, o, obj, "read_buffer_limit", NULL);
	if (r || !(d->flags & SVA_DUMP_LIST))
		return r;
	for (size_t i = 0; !r && i < sizeof(head) / sizeof(head[0]); i++)
		r = add_int(d, o, obj, head[i][0], head[i][1]);
	r = r ? r : add_words(d, o, "errors", true);
	r = r ? r : add_words(d, o, "op_cap", false);
	r = r ? r : add_hex(d, o, "gen_cap");
	r = r ? r : add_hex(d, o, "version");
	r = r ? r : add_str(d, o, obj, "state");
	for (size_t i = 0; !r && i < sizeof(tail) / sizeof(tail[0]); i++)
		r = add_int(d, o, obj, tail[i], NULL);
	if (!r && !lib_attr_ll(d->dev, obj, "pasid_enabled", &v) && v)
		r = add(o, "pasid_enabled", json_object_new_int64(v));
	r = r ? r : add_int(d, o, obj, "cdev_major", NULL);
	return r ? r : add_int(d, o, obj, "clients", NULL);
}

/* the array under key in o, created on first use */
static json_object *member_array(json_object *o, const char *key)
{
	json_object *a;

	if (json_object_object_get_ex(o, key, &a))
		return a;
	a = json_object_new_array();
	if (a)
		json_object_object_add(o, key, a);
	return a;
}

static int append(json_object *o, const char *key, json_object *v)
{
	json_object *a = member_array(o, key);

	if (!a || json_object_array_add(a, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int groups_json(struct dump *d)
{
	static const char *const attrs[] = {
		"read_buffers_reserved", "use_read_buffer_limit", "read_buffers_allowed",
		"traffic_class_a", "traffic_class_b",
	};
	char obj[32];
	int r;

	for (long long g = 0; g < d->ngroups; g++) {
		json_object *o = json_object_new_object();

		snprintf(obj, sizeof(obj), "group%u.%lld", d->id, g);
		r = o ? append(d->jdev, "groups", o) : -ENOMEM;
		r = r ? r : add(o, "dev", json_object_new_string(obj));
		for (size_t i = 0; !r && i < sizeof(attrs) / sizeof(attrs[0]); i++)
			r = add_int(d, o, obj, attrs[i], NULL);
		if (r)
			return r;
		d->groups[g] = o;
	}
	return 0;
}

/* util_wq_to_json() */
static int wq_json(struct dump *d, const char *obj, json_object *o, bool enabled)
{
	static const char *const ints[] = {
		"priority", "block_on_fault", "max_batch_size", "max_transfer_size",
	};
	bool list = d->flags & SVA_DUMP_LIST;
	char buf[128];
	long long v;
	int r;

	r = add(o, "dev", json_object_new_string(obj));
	r = r ? r : add_str(d, o, obj, "mode");
	r = r ? r : add_int(d, o, obj, "size", NULL);
	if (!r && !lib_attr_ll(d->dev, obj, "group_id", &v) && v >= 0)
		r = add(o, "group_id", json_object_new_int64(v));
	for (size_t i = 0; !r && i < sizeof(ints) / sizeof(ints[0]); i++)
		r = add_int(d, o, obj, ints[i], NULL);
	/* cdev_minor reads -ENXIO while disabled: accel-config then leaves it out */
	if (!r && list && !lib_attr_ll(d->dev, obj, "cdev_minor", &v) && v >= 0)
		r = add(o, "cdev_minor", json_object_new_int64(v));
	r = r ? r : add_str(d, o, obj, "type");
	r = r ? r : add_str(d, o, obj, "name");
	/* driver_name exists only in the 6.7+ personality */
	if (!r && sva_attr_get(d->dev, obj, "driver_name", buf, sizeof(buf)) >= 0)
		r = add(o, "driver_name", json_object_new_string(buf));
	r = r ? r : add_int(d, o, obj, "threshold", NULL);
	r = r ? r : add_int(d, o, obj, "ats_disable", NULL);
	if (r || !list)
		return r;
	r = add(o, "state", json_object_new_string(enabled ? "enabled" : "disabled"));
	return r ? r : add_int(d, o, obj, "clients", NULL);
}

/* A new member object for obj in its group's array grouped, else the device's ungrouped. */
static int place(struct dump *d, const char *obj, const char *grouped, const char *ungrouped,
		 json_object **ret_o)
{
	json_object *o;
	long long g;
	int r = lib_attr_ll(d->dev, obj, "group_id", &g);

	if (r)
		return r;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	r = g >= 0 && g < d->ngroups ? append(d->groups[g], grouped, o) :
				       append(d->jdev, ungrouped, o);
	if (!r)
		*ret_o = o;
	return r;
}

static int wqs_json(struct dump *d)
{
	char obj[32], state[16];
	int r;

	for (long long q = 0; q < d->nwqs; q++) {
		json_object *o;
		bool enabled;

		snprintf(obj, sizeof(obj), "wq%u.%lld", d->id, q);
		r = sva_attr_get(d->dev, obj, "state", state, sizeof(state));
		if (r < 0)
			return r;
		enabled = !strcmp(state, "enabled");
		if (!enabled && !(d->flags & SVA_DUMP_IDLE))
			continue;
		r = place(d, obj, "grouped_workqueues", "ungrouped workqueues", &o);
		r = r ? r : wq_json(d, obj, o, enabled);
		if (r)
			return r;
	}
	return 0;
}

static int engines_json(struct dump *d)
{
	char obj[32];
	long long g;
	int r;

	for (long long e = 0; e < d->nengines; e++) {
		json_object *o;

		snprintf(obj, sizeof(obj), "engine%u.%lld", d->id, e);
		r = place(d, obj, "grouped_engines", "ungrouped_engines", &o);
		r = r ? r : add(o, "dev", json_object_new_string(obj));
		r = r ? r : lib_attr_ll(d->dev, obj, "group_id", &g);
		if (!r && g >= 0)
			r = add(o, "group_id", json_object_new_int64(g));
		if (r)
			return r;
	}
	return 0;
}

/* Appends the device to jarr unless it is hidden (disabled without IDLE). */
static int device_dump(struct sva_device *dev, unsigned int flags, json_object *jarr)
{
	struct dump d = { .dev = dev, .flags = flags };
	const char *name = sva_device_name(dev);
	char state[16];
	int r;

	if (sscanf(name, "dsa%u", &d.id) != 1)
		return -EINVAL;
	r = sva_attr_get(dev, name, "state", state, sizeof(state));
	if (r < 0)
		return r;
	if (strcmp(state, "enabled") && !(flags & SVA_DUMP_IDLE))
		return 0;
	r = lib_attr_ll(dev, name, "max_groups", &d.ngroups);
	r = r ? r : lib_attr_ll(dev, name, "max_work_queues", &d.nwqs);
	r = r ? r : lib_attr_ll(dev, name, "max_engines", &d.nengines);
	if (r)
		return r;
	if (d.ngroups < 0 || d.ngroups > 4096)
		return -EPROTO;
	d.groups = calloc((size_t)d.ngroups + 1, sizeof(*d.groups));
	d.jdev = json_object_new_object();
	if (!d.groups || !d.jdev) {
		free(d.groups);
		json_object_put(d.jdev);
		return -ENOMEM;
	}
	if (json_object_array_add(jarr, d.jdev)) {
		json_object_put(d.jdev);
		r = -ENOMEM;
	}
	/* jarr owns jdev now: an error below frees it with jarr */
	r = r ? r : device_json(&d, name);
	r = r ? r : groups_json(&d);
	r = r ? r : wqs_json(&d);
	r = r ? r : engines_json(&d);
	free(d.groups);
	return r;
}

SVA_EXPORT int sva_config_dump(struct sva_device *const *devs, size_t ndevs, unsigned int flags,
			       char **ret_json)
{
	json_object *jarr;
	const char *s;
	char *out;
	int r = 0;

	if ((!devs && ndevs) || !ret_json || (flags & ~(SVA_DUMP_IDLE | SVA_DUMP_LIST)))
		return -EINVAL;
	for (size_t i = 0; i < ndevs; i++)
		if (!devs[i])
			return -EINVAL;
	jarr = json_object_new_array();
	if (!jarr)
		return -ENOMEM;
	for (size_t i = 0; !r && i < ndevs; i++)
		r = device_dump(devs[i], flags, jarr);
	if (r) {
		json_object_put(jarr);
		return r;
	}
	/* util_display_json_array(): pretty, then a newline */
	s = json_object_to_json_string_ext(jarr, JSON_C_TO_STRING_PRETTY);
	out = s ? malloc(strlen(s) + 2) : NULL;
	if (out)
		sprintf(out, "%s\n", s);
	json_object_put(jarr);
	if (!out)
		return -ENOMEM;
	*ret_json = out;
	return 0;
}

SVA_EXPORT int sva_config_save(struct sva_device *const *devs, size_t ndevs, const char *path,
			       unsigned int flags)
{
	char *json = NULL, *tmp;
	size_t len, off = 0;
	int fd, r;

	if (!path)
		return -EINVAL;
	r = sva_config_dump(devs, ndevs, flags, &json);
	if (r)
		return r;
	tmp = malloc(strlen(path) + 32);
	if (!tmp) {
		free(json);
		return -ENOMEM;
	}
	/*
	 * A sibling of path, created exclusively (O_EXCL: never someone else's
	 * file, nor a symlink), renamed over path once complete. The pid and a
	 * counter keep concurrent savers apart.
	 */
	for (unsigned int i = 0;; i++) {
		sprintf(tmp, "%s.%d.%u.tmp", path, (int)getpid(), i);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0)
			break;
		if (errno != EEXIST || i == 99) {
			r = -errno;
			goto out;
		}
	}
	len = strlen(json);
	while (off < len) {
		ssize_t n = write(fd, json + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	/* readable like accel-config's output, whatever the umask left */
	if (!r && fchmod(fd, 0644))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
out:
	free(tmp);
	free(json);
	return r;
}
