/* SPDX-License-Identifier: MIT */
/*
 * The device model's sysfs view: every attribute of accel-config-compat.md
 * §4.1-4.3 with the kernel's formats, and the store rules of dsa-device.md
 * §2.1 with the errnos and check order of the kernel's drivers/dma/idxd/
 * sysfs.c, so the compat layer can serve them 1:1.
 *
 * Values are parsed with strtol base-0 semantics (the kernel uses base 10 for
 * most attributes; accel-config only ever writes decimal) after one trailing
 * newline is trimmed (sysfs_streq). Booleans follow kstrtobool.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa.h"
#include "registers.h"

enum attr_obj { OBJ_DEV, OBJ_WQ, OBJ_GROUP, OBJ_ENGINE };

enum attr_key {
	K_CMD_STATUS, K_MAX_GROUPS, K_MAX_WQS, K_MAX_ENGINES, K_MAX_WQ_SIZE, K_NUMA_NODE,
	K_MAX_BATCH, K_MAX_XFER, K_GEN_CAP, K_CONFIGURABLE, K_PASID_ENABLED, K_MAX_RDBUFS,
	K_RDBUF_LIMIT, K_CDEV_MAJOR, K_VERSION, K_STATE, K_CLIENTS, K_OP_CAP, K_ERRORS,

	K_WQ_GROUP_ID, K_WQ_SIZE, K_WQ_PRIORITY, K_WQ_BOF, K_WQ_MODE, K_WQ_STATE,
	K_WQ_CDEV_MINOR, K_WQ_TYPE, K_WQ_NAME, K_WQ_DRIVER_NAME, K_WQ_THRESHOLD,
	K_WQ_MAX_BATCH, K_WQ_MAX_XFER, K_WQ_ATS_DISABLE, K_WQ_CLIENTS, K_WQ_OCCUPANCY,
	K_WQ_ENQCMDS_RETRIES,

	K_GRP_ENGINES, K_GRP_WQS, K_GRP_RSV, K_GRP_ALLOWED, K_GRP_USE_LIMIT, K_GRP_TC_A,
	K_GRP_TC_B,

	K_ENG_GROUP_ID,
};

struct attr_def {
	const char *name;
	uint8_t obj;		/* enum attr_obj */
	uint8_t key;		/* enum attr_key; aliases share the key */
	bool rw;
};

/* In the read order of libaccfg (accel-config-compat.md §4), aliases after their names. */
static const struct attr_def attrs[] = {
	{ "cmd_status", OBJ_DEV, K_CMD_STATUS, true },
	{ "max_groups", OBJ_DEV, K_MAX_GROUPS, false },
	{ "max_work_queues", OBJ_DEV, K_MAX_WQS, false },
	{ "max_engines", OBJ_DEV, K_MAX_ENGINES, false },
	{ "max_work_queues_size", OBJ_DEV, K_MAX_WQ_SIZE, false },
	{ "numa_node", OBJ_DEV, K_NUMA_NODE, false },
	{ "max_batch_size", OBJ_DEV, K_MAX_BATCH, false },
	{ "max_transfer_size", OBJ_DEV, K_MAX_XFER, false },
	{ "gen_cap", OBJ_DEV, K_GEN_CAP, false },
	{ "configurable", OBJ_DEV, K_CONFIGURABLE, false },
	{ "pasid_enabled", OBJ_DEV, K_PASID_ENABLED, false },
	{ "max_read_buffers", OBJ_DEV, K_MAX_RDBUFS, false },
	{ "max_tokens", OBJ_DEV, K_MAX_RDBUFS, false },
	{ "read_buffer_limit", OBJ_DEV, K_RDBUF_LIMIT, true },
	{ "token_limit", OBJ_DEV, K_RDBUF_LIMIT, true },
	{ "cdev_major", OBJ_DEV, K_CDEV_MAJOR, false },
	{ "version", OBJ_DEV, K_VERSION, false },
	{ "state", OBJ_DEV, K_STATE, false },
	{ "clients", OBJ_DEV, K_CLIENTS, false },
	{ "op_cap", OBJ_DEV, K_OP_CAP, false },
	{ "errors", OBJ_DEV, K_ERRORS, false },

	{ "group_id", OBJ_WQ, K_WQ_GROUP_ID, true },
	{ "size", OBJ_WQ, K_WQ_SIZE, true },
	{ "priority", OBJ_WQ, K_WQ_PRIORITY, true },
	{ "block_on_fault", OBJ_WQ, K_WQ_BOF, true },
	{ "mode", OBJ_WQ, K_WQ_MODE, true },
	{ "state", OBJ_WQ, K_WQ_STATE, false },
	{ "cdev_minor", OBJ_WQ, K_WQ_CDEV_MINOR, false },
	{ "type", OBJ_WQ, K_WQ_TYPE, true },
	{ "name", OBJ_WQ, K_WQ_NAME, true },
	{ "driver_name", OBJ_WQ, K_WQ_DRIVER_NAME, true },
	{ "threshold", OBJ_WQ, K_WQ_THRESHOLD, true },
	{ "max_batch_size", OBJ_WQ, K_WQ_MAX_BATCH, true },
	{ "max_transfer_size", OBJ_WQ, K_WQ_MAX_XFER, true },
	{ "ats_disable", OBJ_WQ, K_WQ_ATS_DISABLE, true },
	{ "clients", OBJ_WQ, K_WQ_CLIENTS, false },
	{ "occupancy", OBJ_WQ, K_WQ_OCCUPANCY, false },
	{ "enqcmds_retries", OBJ_WQ, K_WQ_ENQCMDS_RETRIES, true },

	{ "engines", OBJ_GROUP, K_GRP_ENGINES, false },
	{ "work_queues", OBJ_GROUP, K_GRP_WQS, false },
	{ "read_buffers_reserved", OBJ_GROUP, K_GRP_RSV, true },
	{ "tokens_reserved", OBJ_GROUP, K_GRP_RSV, true },
	{ "read_buffers_allowed", OBJ_GROUP, K_GRP_ALLOWED, true },
	{ "tokens_allowed", OBJ_GROUP, K_GRP_ALLOWED, true },
	{ "use_read_buffer_limit", OBJ_GROUP, K_GRP_USE_LIMIT, true },
	{ "use_token_limit", OBJ_GROUP, K_GRP_USE_LIMIT, true },
	{ "traffic_class_a", OBJ_GROUP, K_GRP_TC_A, true },
	{ "traffic_class_b", OBJ_GROUP, K_GRP_TC_B, true },

	{ "group_id", OBJ_ENGINE, K_ENG_GROUP_ID, true },
};

static const char *const wq_type_names[] = {
	[DSA_WQT_NONE] = "none",
	[DSA_WQT_KERNEL] = "kernel",
	[DSA_WQT_USER] = "user",
};

/*
 * driver_name exists only in the 6.7+ personality (CMP-4). ats_disable would
 * hide without WQCAP.wq_ats_support, which the model always reports.
 */
static bool attr_visible(const struct dsa_dev *dev, const struct attr_def *a)
{
	return a->key != K_WQ_DRIVER_NAME || dev->params.driver_name_attr;
}

/*
 * "dsaN", "wqN.M", "groupN.M" or "engineN.M" for this device's N and an M in
 * range. Comparing with the name printed back rejects every non-canonical
 * spelling (leading zeros, signs, spaces) that sscanf would let through.
 */
static int parse_obj(const struct dsa_dev *dev, const char *obj, enum attr_obj *ret_type,
		     unsigned int *ret_id)
{
	static const char *const prefix[] = {
		[OBJ_DEV] = "dsa", [OBJ_WQ] = "wq", [OBJ_GROUP] = "group", [OBJ_ENGINE] = "engine",
	};
	const struct dsa_dev_params *p = &dev->params;
	const unsigned int max[] = {
		[OBJ_DEV] = 1, [OBJ_WQ] = p->max_wqs, [OBJ_GROUP] = p->max_groups,
		[OBJ_ENGINE] = p->max_engines,
	};
	unsigned int t, id = 0;
	char canon[48];

	for (t = OBJ_DEV; t <= OBJ_ENGINE; t++) {
		if (strncmp(obj, prefix[t], strlen(prefix[t])))
			continue;
		if (t == OBJ_DEV)
			snprintf(canon, sizeof(canon), "dsa%u", p->id);
		else if (sscanf(obj + strlen(prefix[t]), "%*u.%u", &id) == 1)
			snprintf(canon, sizeof(canon), "%s%u.%u", prefix[t], p->id, id);
		else
			return -ENOENT;
		if (strcmp(obj, canon) || id >= max[t])
			return -ENOENT;
		*ret_type = (enum attr_obj)t;
		*ret_id = id;
		return 0;
	}
	return -ENOENT;
}

static const struct attr_def *find_attr(const struct dsa_dev *dev, enum attr_obj type,
					const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (attrs[i].obj == type && !strcmp(attrs[i].name, name) &&
		    attr_visible(dev, &attrs[i]))
			return &attrs[i];
	return NULL;
}

/* value parsing */

/* strtoll base 0 over the whole string; overflow is a parse error, as in kstrtol. */
static int parse_s64(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (end == s || *end || errno)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* kstrtobool: y/Y/t/T/1 or "on" are true, n/N/f/F/0 or "off" false, by the first characters. */
static int parse_bool(const char *s, bool *ret)
{
	if (s[0] && strchr("yYtT1", s[0]))
		*ret = true;
	else if (s[0] && strchr("nNfF0", s[0]))
		*ret = false;
	else if ((s[0] == 'o' || s[0] == 'O') && s[1] && strchr("nNfF", s[1]))
		*ret = s[1] == 'n' || s[1] == 'N';
	else
		return -EINVAL;
	return 0;
}

/*
 * wq_max_{transfer,batch}_size_store: kstrtou64, non-zero, rounded up to a
 * power of two. Values past INT64_MAX fail to parse instead of failing the
 * range check: the errno is the same.
 */
static int parse_pow2(const char *s, uint64_t *ret)
{
	uint64_t r = 1;
	int64_t v;

	if (parse_s64(s, &v) || v <= 0)
		return -EINVAL;
	while (r < (uint64_t)v)
		r <<= 1;
	*ret = r;
	return 0;
}

/* strim(): the kernel trims surrounding whitespace of names after the length check. */
static void copy_trimmed(char *dst, const char *s)
{
	static const char space[] = " \t\n\v\f\r";
	size_t n;

	s += strspn(s, space);
	n = strlen(s);
	while (n && strchr(space, s[n - 1]))
		n--;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* output */

struct out {
	char *buf;
	size_t len;
	size_t pos;
	bool overflow;
	bool empty_file;	/* the kernel shows no newline (empty group lists) */
};

/* Append to the value; returns 0 so that show cases can end with it. */
__attribute__((format(printf, 2, 3)))
static int emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->overflow = true;
	else
		o->pos += (size_t)n;
	return 0;
}

/* The old kernel format of op_cap and errors: four %#llx words (CMP-5). */
static int emit_words(struct out *o, const uint64_t w[4])
{
	return emit(o, "%#llx %#llx %#llx %#llx", (unsigned long long)w[0],
		    (unsigned long long)w[1], (unsigned long long)w[2], (unsigned long long)w[3]);
}

static int dev_show(struct dsa_dev *dev, unsigned int id, enum attr_key key, struct out *o)
{
	const struct dsa_dev_params *p = &dev->params;
	unsigned int i, clients = 0;

	switch (key) {
	case K_CMD_STATUS:
		return emit(o, "%#x", dev->cmd_status);
	case K_MAX_GROUPS:
		return emit(o, "%u", p->max_groups);
	case K_MAX_WQS:
		return emit(o, "%u", p->max_wqs);
	case K_MAX_ENGINES:
		return emit(o, "%u", p->max_engines);
	case K_MAX_WQ_SIZE:
		return emit(o, "%u", p->max_wq_size);
	case K_NUMA_NODE:
		return emit(o, "%d", p->numa_node);
	case K_MAX_BATCH:
		return emit(o, "%u", 1u << GENCAP_MAX_BATCH_SHIFT(p->gencap));
	case K_MAX_XFER:
		return emit(o, "%llu", 1ull << GENCAP_MAX_XFER_SHIFT(p->gencap));
	case K_GEN_CAP:
		return emit(o, "%#llx", (unsigned long long)p->gencap);
	case K_CONFIGURABLE:
		return emit(o, "%u", p->configurable);
	case K_PASID_ENABLED:
		return emit(o, "%u", p->pasid_enabled);
	case K_MAX_RDBUFS:
		return emit(o, "%u", p->max_read_buffers);
	case K_RDBUF_LIMIT:
		return emit(o, "%u", dev->rdbuf_limit);
	case K_CDEV_MAJOR:
		return emit(o, "%u", p->cdev_major);
	case K_VERSION:
		return emit(o, "%#x", p->version);
	case K_STATE:
		return emit(o, "%s", dev->state == DSA_STATE_ENABLED ? "enabled" :
				     dev->state == DSA_STATE_HALTED ? "halted" : "disabled");
	case K_CLIENTS:
		for (i = 0; i < p->max_wqs; i++)
			clients += dev->wq[i].clients;
		return emit(o, "%u", clients);
	case K_OP_CAP:
		return emit_words(o, p->opcap);
	case K_ERRORS:
		return emit_words(o, &dev->bar[IDXD_SWERR_OFFSET / 8]);
	default:
		return -ENOENT;
	}
}

static int wq_show(struct dsa_dev *dev, unsigned int i, enum attr_key key, struct out *o)
{
	const struct dsa_wq_cfg *c = &dev->wq[i];

	switch (key) {
	case K_WQ_GROUP_ID:
		return emit(o, "%d", c->group_id);
	case K_WQ_SIZE:
		return emit(o, "%u", c->size);
	case K_WQ_PRIORITY:
		return emit(o, "%u", c->priority);
	case K_WQ_BOF:
		return emit(o, "%u", c->bof);
	case K_WQ_MODE:
		return emit(o, "%s", c->shared ? "shared" : "dedicated");
	case K_WQ_STATE:
		return emit(o, "%s", c->state == DSA_STATE_ENABLED ? "enabled" : "disabled");
	case K_WQ_CDEV_MINOR:
		if (c->cdev_minor < 0)
			return -ENXIO;		/* wq_cdev_minor_show without a cdev */
		return emit(o, "%d", c->cdev_minor);
	case K_WQ_TYPE:
		return emit(o, "%s", wq_type_names[c->type]);
	case K_WQ_NAME:
		return emit(o, "%s", c->name);
	case K_WQ_DRIVER_NAME:
		return emit(o, "%s", c->driver_name);
	case K_WQ_THRESHOLD:
		return emit(o, "%u", c->threshold);
	case K_WQ_MAX_BATCH:
		return emit(o, "%u", c->max_batch);
	case K_WQ_MAX_XFER:
		return emit(o, "%llu", (unsigned long long)c->max_xfer);
	case K_WQ_ATS_DISABLE:
		return emit(o, "%u", c->ats_disable);
	case K_WQ_CLIENTS:
		return emit(o, "%u", c->clients);
	case K_WQ_OCCUPANCY:
		return emit(o, "%u", device_wq_occupancy(dev, i));
	case K_WQ_ENQCMDS_RETRIES:
		if (!c->shared)
			return -EOPNOTSUPP;	/* wq_enqcmds_retries_show on a DWQ */
		return emit(o, "%u", c->enqcmds_retries);
	default:
		return -ENOENT;
	}
}

static int group_show(struct dsa_dev *dev, unsigned int g, enum attr_key key, struct out *o)
{
	const struct dsa_group_cfg *c = &dev->group[g];
	const struct dsa_dev_params *p = &dev->params;
	unsigned int i;

	switch (key) {
	case K_GRP_ENGINES:
		for (i = 0; i < p->max_engines; i++)
			if (dev->engine[i].group_id == (int)g)
				emit(o, "%sengine%u.%u", o->pos ? " " : "", p->id, i);
		o->empty_file = !o->pos;
		return 0;
	case K_GRP_WQS:
		for (i = 0; i < p->max_wqs; i++)
			if (dev->wq[i].group_id == (int)g)
				emit(o, "%swq%u.%u", o->pos ? " " : "", p->id, i);
		o->empty_file = !o->pos;
		return 0;
	case K_GRP_RSV:
		return emit(o, "%u", c->read_buffers_reserved);
	case K_GRP_ALLOWED:
		return emit(o, "%u", c->read_buffers_allowed);
	case K_GRP_USE_LIMIT:
		return emit(o, "%u", c->use_read_buffer_limit);
	case K_GRP_TC_A:
		return emit(o, "%d", c->traffic_class_a);
	case K_GRP_TC_B:
		return emit(o, "%d", c->traffic_class_b);
	default:
		return -ENOENT;
	}
}

static int engine_show(struct dsa_dev *dev, unsigned int e, enum attr_key key, struct out *o)
{
	return emit(o, "%d", dev->engine[e].group_id);
}

static int (*const show[])(struct dsa_dev *dev, unsigned int id, enum attr_key key,
			   struct out *o) = {
	[OBJ_DEV] = dev_show, [OBJ_WQ] = wq_show, [OBJ_GROUP] = group_show,
	[OBJ_ENGINE] = engine_show,
};

int dsa_dev_attr_get(struct dsa_dev *dev, const char *obj, const char *attr, char *buf,
		     size_t len)
{
	struct out o = { .buf = buf, .len = len };
	const struct attr_def *a;
	enum attr_obj type;
	unsigned int id;
	int rc;

	if (!dev || !obj || !attr || !buf)
		return -EINVAL;
	if (parse_obj(dev, obj, &type, &id) || !(a = find_attr(dev, type, attr)))
		return -ENOENT;
	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	pthread_mutex_lock(&dev->lock);
	rc = show[type](dev, id, a->key, &o);
	pthread_mutex_unlock(&dev->lock);
	if (rc)
		return rc;
	if (o.overflow)
		return -ENOSPC;
	return o.empty_file ? 0 : (int)o.pos + 1;
}

/* stores, in the check order of the kernel's *_store() functions */

static int dev_store(struct dsa_dev *dev, unsigned int id, enum attr_key key, const char *s)
{
	const struct dsa_dev_params *p = &dev->params;
	int64_t v;

	switch (key) {
	case K_CMD_STATUS:
		dev->cmd_status = 0;	/* cmd_status_store: any write clears it */
		return 0;
	case K_RDBUF_LIMIT:
		if (parse_s64(s, &v))
			return -EINVAL;
		if (dev->state == DSA_STATE_ENABLED || !p->configurable)
			return -EPERM;
		if (v < 0 || v > p->max_read_buffers)
			return device_fail(dev, -EINVAL, "%lld not in 0..%u", (long long)v,
					   p->max_read_buffers);
		dev->rdbuf_limit = (uint16_t)v;
		return 0;
	default:
		return -EPERM;
	}
}

static unsigned int wq_size_sum(const struct dsa_dev *dev)
{
	unsigned int i, sum = 0;

	for (i = 0; i < dev->params.max_wqs; i++)
		sum += dev->wq[i].size;
	return sum;
}

/* mode and type values: whole words; type allows a ":suffix", which is ignored */
static int parse_type(const char *s, enum dsa_wq_type *ret)
{
	size_t n = strcspn(s, ":");
	unsigned int t;

	for (t = DSA_WQT_NONE; t <= DSA_WQT_USER; t++) {
		if (strlen(wq_type_names[t]) == n && !strncmp(s, wq_type_names[t], n)) {
			*ret = (enum dsa_wq_type)t;
			return 0;
		}
	}
	return -EINVAL;
}

static int wq_store(struct dsa_dev *dev, unsigned int i, enum attr_key key, const char *s)
{
	const struct dsa_dev_params *p = &dev->params;
	struct dsa_wq_cfg *c = &dev->wq[i];
	bool enabled = c->state != DSA_STATE_DISABLED, b;
	enum dsa_wq_type t;
	uint64_t u;
	int64_t v, v2;

	switch (key) {
	case K_WQ_GROUP_ID:
		if (parse_s64(s, &v))
			return -EINVAL;
		if (!p->configurable || enabled)
			return -EPERM;
		if (v < -1 || v >= p->max_groups)
			return device_fail(dev, -EINVAL, "%lld not in -1..%u", (long long)v,
					   p->max_groups - 1);
		c->group_id = (int)v;
		return 0;
	case K_WQ_SIZE:
		if (parse_s64(s, &v) || v < 0)
			return -EINVAL;
		/* size is part of the device's WQ space: only the device state matters */
		if (!p->configurable || dev->state == DSA_STATE_ENABLED)
			return -EPERM;
		/* the sum of all sizes (kernel total_claimed_wq_size), overflow-free */
		v2 = v > p->max_wq_size ? v : v + wq_size_sum(dev) - c->size;
		if (v2 > p->max_wq_size)
			return device_fail(dev, -EINVAL, "WQ sizes would add up to %lld, above"
					   " max_work_queues_size %u", (long long)v2,
					   p->max_wq_size);
		c->size = (uint16_t)v;
		return 0;
	case K_WQ_PRIORITY:
		if (parse_s64(s, &v) || v < 0)
			return -EINVAL;
		if (!p->configurable || enabled)
			return -EPERM;
		if (v > DSA_MAX_PRIORITY)
			return device_fail(dev, -EINVAL, "%lld not in 0..%u", (long long)v,
					   DSA_MAX_PRIORITY);
		c->priority = (uint8_t)v;
		return 0;
	case K_WQ_BOF:
		if (!(p->gencap & GENCAP_BOF))
			return -EOPNOTSUPP;
		if (!p->configurable)
			return -EPERM;
		if (enabled)
			return -ENXIO;	/* wq_block_on_fault_store */
		if (parse_bool(s, &b))
			return -EINVAL;
		c->bof = b;
		return 0;
	case K_WQ_MODE:
		if (!p->configurable || enabled)
			return -EPERM;
		if (!strcmp(s, "dedicated")) {
			c->shared = false;
			c->threshold = 0;
		} else if (!strcmp(s, "shared")) {
			c->shared = true;
		} else {
			return device_fail(dev, -EINVAL, "\"%s\" is neither shared nor dedicated",
					   s);
		}
		return 0;
	case K_WQ_TYPE:
		if (enabled)
			return -EPERM;
		if (parse_type(s, &t))
			return device_fail(dev, -EINVAL, "\"%s\" is not none, kernel or user", s);
		if (t != c->type)
			c->name[0] = '\0';	/* wq_type_store: a new type clears the name */
		c->type = t;
		return 0;
	case K_WQ_NAME:
	case K_WQ_DRIVER_NAME:
		if (enabled)
			return -EPERM;
		if (!*s || strlen(s) > DSA_NAME_SIZE)
			return device_fail(dev, -EINVAL, "length %zu not in 1..%u", strlen(s),
					   DSA_NAME_SIZE);
		if (key == K_WQ_NAME && c->type == DSA_WQT_KERNEL && p->pasid_enabled)
			return -EOPNOTSUPP;
		copy_trimmed(key == K_WQ_NAME ? c->name : c->driver_name, s);
		return 0;
	case K_WQ_THRESHOLD:
		if (parse_s64(s, &v) || v < 0 || v > UINT_MAX)
			return -EINVAL;
		if (v > c->size || v == 0)
			return device_fail(dev, -EINVAL, "%lld not in 1..%u (size)", (long long)v,
					   c->size);
		if (!p->configurable)
			return -EPERM;
		if (enabled)
			return -ENXIO;	/* wq_threshold_store */
		if (!c->shared)
			return device_fail(dev, -EINVAL, "the WQ is dedicated");
		c->threshold = (uint16_t)v;
		return 0;
	case K_WQ_MAX_BATCH:
	case K_WQ_MAX_XFER:
		if (!p->configurable || enabled)
			return -EPERM;
		if (parse_pow2(s, &u))
			return -EINVAL;
		if (key == K_WQ_MAX_BATCH && u > 1ull << GENCAP_MAX_BATCH_SHIFT(p->gencap))
			return device_fail(dev, -EINVAL, "%llu above the device's %u",
					   (unsigned long long)u,
					   1u << GENCAP_MAX_BATCH_SHIFT(p->gencap));
		if (key == K_WQ_MAX_XFER && u > 1ull << GENCAP_MAX_XFER_SHIFT(p->gencap))
			return device_fail(dev, -EINVAL, "%llu above the device's %llu",
					   (unsigned long long)u,
					   1ull << GENCAP_MAX_XFER_SHIFT(p->gencap));
		if (key == K_WQ_MAX_BATCH)
			c->max_batch = (uint32_t)u;
		else
			c->max_xfer = u;
		return 0;
	case K_WQ_ATS_DISABLE:
		if (enabled || !p->configurable)
			return -EPERM;
		if (parse_bool(s, &b))
			return -EINVAL;
		c->ats_disable = b;
		return 0;
	case K_WQ_ENQCMDS_RETRIES:
		/* no state check: the kernel reads it per submission */
		if (!c->shared)
			return -EOPNOTSUPP;
		if (parse_s64(s, &v) || v < 0 || v > UINT_MAX)
			return -EINVAL;
		c->enqcmds_retries = v > DSA_ENQCMDS_MAX_RETRIES ? DSA_ENQCMDS_MAX_RETRIES :
								   (unsigned int)v;
		return 0;
	default:
		return -EPERM;
	}
}

static int group_store(struct dsa_dev *dev, unsigned int g, enum attr_key key, const char *s)
{
	const struct dsa_dev_params *p = &dev->params;
	struct dsa_group_cfg *c = &dev->group[g];
	unsigned int i, rsv = 0, engines = 0, free_rdbufs;
	int64_t v;

	if (parse_s64(s, &v))
		return -EINVAL;
	if (key != K_GRP_TC_A && key != K_GRP_TC_B && v < 0)
		return -EINVAL;		/* kstrtoul */
	if (!p->configurable || dev->state == DSA_STATE_ENABLED)
		return -EPERM;
	for (i = 0; i < p->max_groups; i++)
		rsv += dev->group[i].read_buffers_reserved;
	for (i = 0; i < p->max_engines; i++)
		engines += dev->engine[i].group_id == (int)g;
	free_rdbufs = p->max_read_buffers - rsv;	/* the kernel's idxd->nr_rdbufs */

	switch (key) {
	case K_GRP_RSV:
		if (v > p->max_read_buffers || v > free_rdbufs + c->read_buffers_reserved)
			return device_fail(dev, -EINVAL, "%lld above the %u available",
					   (long long)v, free_rdbufs + c->read_buffers_reserved);
		c->read_buffers_reserved = (uint16_t)v;
		return 0;
	case K_GRP_ALLOWED:
		if (v < 4 * engines || v > c->read_buffers_reserved + free_rdbufs)
			return device_fail(dev, -EINVAL, "%lld not in %u..%u (4 x %u engines .."
					   " reserved + free)", (long long)v, 4 * engines,
					   c->read_buffers_reserved + free_rdbufs, engines);
		c->read_buffers_allowed = (uint16_t)v;
		return 0;
	case K_GRP_USE_LIMIT:
		if (!dev->rdbuf_limit)
			return device_fail(dev, -EPERM, "dsa%u read_buffer_limit is 0", p->id);
		c->use_read_buffer_limit = v != 0;
		return 0;
	default:
		/*
		 * group_traffic_class_*_store: read-only up to version 2 unless the
		 * module's tc_override is set (sva has no such knob). The spec says
		 * "below 0x200"; the kernel's test is version <= DEVICE_VERSION_2.
		 */
		if (p->version <= DEVICE_VERSION_2)
			return device_fail(dev, -EPERM, "read-only on version %#x", p->version);
		if (v < 0 || v > 7)
			return device_fail(dev, -EINVAL, "%lld not in 0..7", (long long)v);
		if (key == K_GRP_TC_A)
			c->traffic_class_a = (uint8_t)v;
		else
			c->traffic_class_b = (uint8_t)v;
		return 0;
	}
}

/* engine_group_id_store: the kernel has no state check here; GRPCFG follows at enable. */
static int engine_store(struct dsa_dev *dev, unsigned int e, enum attr_key key, const char *s)
{
	const struct dsa_dev_params *p = &dev->params;
	int64_t v;

	if (parse_s64(s, &v))
		return -EINVAL;
	if (!p->configurable)
		return -EPERM;
	if (v < -1 || v >= p->max_groups)
		return device_fail(dev, -EINVAL, "%lld not in -1..%u", (long long)v,
				   p->max_groups - 1);
	dev->engine[e].group_id = (int)v;
	return 0;
}

static int (*const store[])(struct dsa_dev *dev, unsigned int id, enum attr_key key,
			    const char *s) = {
	[OBJ_DEV] = dev_store, [OBJ_WQ] = wq_store, [OBJ_GROUP] = group_store,
	[OBJ_ENGINE] = engine_store,
};

int dsa_dev_attr_set(struct dsa_dev *dev, const char *obj, const char *attr, const char *val)
{
	char why[sizeof(dev->last_error)];
	const struct attr_def *a;
	enum attr_obj type;
	unsigned int id;
	size_t n;
	char *s;
	int rc;

	if (!dev || !obj || !attr || !val)
		return -EINVAL;
	if (parse_obj(dev, obj, &type, &id) || !(a = find_attr(dev, type, attr)))
		return -ENOENT;
	if (!a->rw)
		return -EPERM;
	/* CMP-6: one trailing newline is not part of the value (sysfs_streq) */
	n = strlen(val);
	if (n && val[n - 1] == '\n')
		n--;
	s = strndup(val, n);
	if (!s)
		return -ENOMEM;
	pthread_mutex_lock(&dev->lock);
	dev->last_error[0] = '\0';
	rc = store[type](dev, id, a->key, s);
	/* name the attribute in the message, and the errno when the rule gave none */
	if (rc && dev->last_error[0]) {
		snprintf(why, sizeof(why), "%s", dev->last_error);
		device_fail(dev, rc, "%s/%s: %s", obj, attr, why);
	} else if (rc) {
		device_fail(dev, rc, "%s/%s <- \"%s\": %s", obj, attr, s, strerror(-rc));
	}
	if (!rc)
		device_sync_regs(dev);
	pthread_mutex_unlock(&dev->lock);
	free(s);
	return rc;
}

int dsa_dev_attr_foreach(struct dsa_dev *dev, const char *obj,
			 int (*fn)(const char *name, bool writable, void *arg), void *arg)
{
	enum attr_obj type;
	unsigned int id;
	size_t i;
	int rc;

	if (!dev || !obj || !fn)
		return -EINVAL;
	if (parse_obj(dev, obj, &type, &id))
		return -ENOENT;
	/* visibility depends only on the immutable params: no lock, fn may call back */
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].obj != type || !attr_visible(dev, &attrs[i]))
			continue;
		rc = fn(attrs[i].name, attrs[i].rw, arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* error reporting */

const char *dsa_dev_last_error(const struct dsa_dev *dev)
{
	return dev->last_error;
}

size_t dsa_dev_last_error_copy(const struct dsa_dev *dev, char *buf, size_t len)
{
	pthread_mutex_t *lock = (pthread_mutex_t *)&dev->lock;	/* dev is never really const */
	size_t n;

	pthread_mutex_lock(lock);
	n = strlen(dev->last_error);
	if (len)
		snprintf(buf, len, "%s", dev->last_error);
	pthread_mutex_unlock(lock);
	return n;
}

struct code_name {
	uint32_t code;
	const char *name;
};

/* CMDSTS.err (kernel enum idxd_cmdsts_err) and the driver's IDXD_SCMD_* soft errors (§2.2). */
#define CMDSTS(n)	{ IDXD_CMDSTS_ERR_##n, #n }
#define SCMD(n)		{ IDXD_SCMD_##n, #n }
static const struct code_name cmdsts_names[] = {
	{ IDXD_CMDSTS_SUCCESS, "SUCCESS" }, { IDXD_CMDSTS_INVAL_CMD, "INVAL_CMD" },
	{ IDXD_CMDSTS_INVAL_WQIDX, "INVAL_WQIDX" }, { IDXD_CMDSTS_HW_ERR, "HW_ERR" },
	CMDSTS(DEV_ENABLED), CMDSTS(CONFIG), CMDSTS(BUSMASTER_EN), CMDSTS(PASID_INVAL),
	CMDSTS(WQ_SIZE_ERANGE), CMDSTS(GRP_CONFIG), CMDSTS(GRP_CONFIG2), CMDSTS(GRP_CONFIG3),
	CMDSTS(GRP_CONFIG4), CMDSTS(DEV_NOTEN), CMDSTS(WQ_ENABLED), CMDSTS(WQ_SIZE),
	CMDSTS(WQ_PRIOR), CMDSTS(WQ_MODE), CMDSTS(BOF_EN), CMDSTS(PASID_EN),
	CMDSTS(MAX_BATCH_SIZE), CMDSTS(MAX_XFER_SIZE), CMDSTS(DIS_DEV_EN), CMDSTS(DEV_NOT_EN),
	CMDSTS(INVAL_INT_IDX), CMDSTS(NO_HANDLE),
	SCMD(DEV_ENABLED), SCMD(DEV_NOT_ENABLED), SCMD(WQ_ENABLED), SCMD(DEV_DMA_ERR),
	SCMD(WQ_NO_GRP), SCMD(WQ_NO_NAME), SCMD(WQ_NO_SVM), SCMD(WQ_NO_THRESH),
	SCMD(WQ_PORTAL_ERR), SCMD(WQ_RES_ALLOC_ERR), SCMD(PERCPU_ERR), SCMD(DMA_CHAN_ERR),
	SCMD(CDEV_ERR), SCMD(WQ_NO_SWQ_SUPPORT), SCMD(WQ_NONE_CONFIGURED), SCMD(WQ_NO_SIZE),
	SCMD(WQ_NO_PRIV), SCMD(WQ_IRQ_ERR), SCMD(WQ_USER_NO_IOMMU), SCMD(DEV_EVL_ERR),
	SCMD(WQ_NO_DRV_NAME),
};
#undef CMDSTS
#undef SCMD

const char *dsa_cmdsts_name(uint32_t code)
{
	size_t i;

	for (i = 0; i < sizeof(cmdsts_names) / sizeof(cmdsts_names[0]); i++)
		if (cmdsts_names[i].code == code)
			return cmdsts_names[i].name;
	return "UNKNOWN";
}
