/* SPDX-License-Identifier: MIT */
/*
 * Public device API of the embedded backend: lifecycle, configuration by
 * sysfs attribute names, enable/disable, admin commands and counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib.h"
#include "daemon/proto.h"

static _Atomic unsigned int next_id;

/* The ready configuration of sva_device_new(NULL). */
static const struct {
	const char *obj, *attr, *val;
} default_config[] = {
	{ "wq0.0", "mode", "shared" },	    { "wq0.0", "size", "64" },
	{ "wq0.0", "threshold", "48" },	    { "wq0.0", "priority", "10" },
	{ "wq0.0", "block_on_fault", "1" }, { "wq0.0", "group_id", "0" },
	{ "wq0.0", "type", "user" },	    { "wq0.0", "name", "swq" },
	{ "wq0.1", "mode", "dedicated" },   { "wq0.1", "size", "64" },
	{ "wq0.1", "priority", "10" },	    { "wq0.1", "block_on_fault", "1" },
	{ "wq0.1", "group_id", "1" },	    { "wq0.1", "type", "user" },
	{ "wq0.1", "name", "dwq" },	    { "engine0.0", "group_id", "0" },
	{ "engine0.1", "group_id", "0" },   { "engine0.2", "group_id", "1" },
	{ "engine0.3", "group_id", "1" },
};

static int apply_default_config(struct sva_device *dev, unsigned int id)
{
	char obj[32];
	int r;

	for (size_t i = 0; i < sizeof(default_config) / sizeof(default_config[0]); i++) {
		/* The table names device 0's objects; device N's are "wqN.x" etc. */
		const char *dot = strchr(default_config[i].obj, '.');
		int n = (int)(strchr(default_config[i].obj, '0') - default_config[i].obj);

		snprintf(obj, sizeof(obj), "%.*s%u%s", n, default_config[i].obj, id, dot);
		r = dsa_dev_attr_set(rt_dev(dev->rt), obj, default_config[i].attr,
				     default_config[i].val);
		if (r)
			return r;
	}
	r = rt_device_enable(dev->rt);
	if (!r)
		r = rt_wq_enable(dev->rt, 0);
	if (!r)
		r = rt_wq_enable(dev->rt, 1);
	return r;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int params_from_config(const struct sva_device_config *cfg, struct dsa_dev_params *p)
{
	dsa_dev_params_default(p);
	if (!cfg)
		return 0;
	if (cfg->size < offsetof(struct sva_device_config, reserved) || cfg->version < 1 ||
	    (cfg->flags & ~(SVA_CONFIG_UNCONFIGURED | SVA_CONFIG_DRIVER_NAME)))
		return -EINVAL;
	p->driver_name_attr = cfg->flags & SVA_CONFIG_DRIVER_NAME;
	if (cfg->max_groups)
		p->max_groups = cfg->max_groups;
	if (cfg->max_engines)
		p->max_engines = cfg->max_engines;
	if (cfg->max_wqs)
		p->max_wqs = cfg->max_wqs;
	if (cfg->max_wq_size)
		p->max_wq_size = cfg->max_wq_size;
	if (p->max_groups > DSA_MAX_GROUPS || p->max_engines > DSA_MAX_ENGINES ||
	    p->max_wqs > DSA_MAX_WQS || p->max_wq_size == 0)
		return -EINVAL;
	if (cfg->max_batch_size) {
		if (!is_pow2(cfg->max_batch_size) || cfg->max_batch_size > (1u << 15) ||
		    cfg->max_batch_size < 2)
			return -EINVAL;
		p->gencap &= ~(0xfull << 21);
		p->gencap |= (uint64_t)__builtin_ctz(cfg->max_batch_size) << 21;
	}
	if (cfg->max_transfer_size) {
		if (!is_pow2(cfg->max_transfer_size) || cfg->max_transfer_size > (1ull << 31))
			return -EINVAL;
		p->gencap &= ~(0x1full << 16);
		p->gencap |= (uint64_t)__builtin_ctzll(cfg->max_transfer_size) << 16;
	}
	return 0;
}

int lib_device_new_embedded(const struct sva_device_config *cfg, struct sva_device **ret_dev)
{
	struct dsa_dev_params p;
	struct sva_device *dev;
	uint32_t spin_us = 50;
	int r;

	if (!ret_dev)
		return -EINVAL;
	r = params_from_config(cfg, &p);
	if (r)
		return r;
	if (cfg && cfg->engine_spin_us)
		spin_us = cfg->engine_spin_us;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	p.id = atomic_fetch_add(&next_id, 1);
	r = rt_new(&p, spin_us, &dev->rt);
	if (r)
		goto err_free;
	atomic_init(&dev->refs, 1);
	dev->pid = proc_pid_get();
	snprintf(dev->name, sizeof(dev->name), "dsa%u", p.id);
	if (!cfg || !(cfg->flags & SVA_CONFIG_UNCONFIGURED)) {
		r = apply_default_config(dev, p.id);
		if (r)
			goto err_rt;
	}
	*ret_dev = dev;
	return 0;

err_rt:
	rt_free(dev->rt);
err_free:
	free(dev);
	return r;
}

SVA_EXPORT int sva_device_new(const struct sva_device_config *cfg, struct sva_device **ret_dev)
{
	const char *daemon = secure_getenv("SVA_DAEMON");

	/* A default device from svad when the environment names one (docs/API.md). */
	if (!cfg && ret_dev && daemon && *daemon)
		return remote_connect(daemon, "dsa0", ret_dev);
	return lib_device_new_embedded(cfg, ret_dev);
}

SVA_EXPORT int sva_device_connect(const char *socket_path, const char *name,
				  struct sva_device **ret_dev)
{
	if (!name || !ret_dev)
		return -EINVAL;
	return remote_connect(socket_path, name, ret_dev);
}

struct sva_device *lib_device_ref(struct sva_device *dev)
{
	atomic_fetch_add(&dev->refs, 1);
	return dev;
}

void lib_device_unref(struct sva_device *dev)
{
	if (atomic_fetch_sub(&dev->refs, 1) != 1)
		return;
	if (dev->remote) {
		remote_free(dev);
		return;
	}
	/* Disabling drains: every accepted descriptor completes first. */
	rt_free(dev->rt);
	free(dev);
}

SVA_EXPORT struct sva_device *sva_device_free(struct sva_device *dev)
{
	if (dev)
		lib_device_unref(dev);
	return NULL;
}

SVA_EXPORT const char *sva_device_name(const struct sva_device *dev)
{
	return dev ? dev->name : "";
}

/*
 * Attribute objects are named after the device ("dsa0", "wq0.1"); the model
 * names its own objects after its id, which is the same number.
 */
/* The model's read: the value in buf, and the size of the sysfs file (value + newline, or 0). */
static int attr_read(struct sva_device *dev, const char *obj, const char *attr, char *buf,
		     size_t len)
{
	int r;

	if (!dev || !obj || !attr || !buf)
		return -EINVAL;
	r = proc_check(dev->pid);
	if (r)
		return r;
	if (dev->remote)
		return remote_attr_get(dev, obj, attr, buf, len);
	rt_fold_drops(dev->rt);
	return dsa_dev_attr_get(rt_dev(dev->rt), obj, attr, buf, len);
}

SVA_EXPORT int sva_attr_get(struct sva_device *dev, const char *obj, const char *attr, char *buf,
			    size_t len)
{
	int r = attr_read(dev, obj, attr, buf, len);

	return r < 0 ? r : (int)strlen(buf);
}

SVA_EXPORT int sva_attr_set(struct sva_device *dev, const char *obj, const char *attr,
			    const char *val)
{
	int r;

	if (!dev || !obj || !attr || !val)
		return -EINVAL;
	r = proc_check(dev->pid);
	if (r)
		return r;
	if (dev->remote)
		return remote_attr_set(dev, obj, attr, val);
	return dsa_dev_attr_set(rt_dev(dev->rt), obj, attr, val);
}

SVA_EXPORT int sva_attr_show(struct sva_device *dev, const char *obj, const char *attr,
			     char *buf, size_t len)
{
	int r = attr_read(dev, obj, attr, buf, len);

	/* the value's NUL becomes the newline: the model counted it in the size */
	if (r > 0)
		buf[r - 1] = '\n';
	return r;
}

struct attr_walk {
	unsigned int index;		/* entries still to skip */
	char *name;
	size_t len;
	unsigned int flags;
	int found;			/* 0 found, -ENOSPC, or -ENOENT while searching */
};

static int attr_walk_fn(const char *name, bool writable, void *arg)
{
	struct attr_walk *w = arg;

	if (w->index--)
		return 0;
	if (strlen(name) >= w->len) {
		w->found = -ENOSPC;
		return 1;
	}
	strcpy(w->name, name);
	w->flags = writable ? SVA_ATTR_WRITABLE : 0;
	w->found = 0;
	return 1;
}

SVA_EXPORT int sva_attr_info(struct sva_device *dev, const char *obj, unsigned int index,
			     char *ret_name, size_t len, unsigned int *ret_flags)
{
	struct attr_walk w = { .index = index, .len = len, .found = -ENOENT };
	char name[64];
	int r;

	if (!dev || !obj || !ret_name || !ret_flags)
		return -EINVAL;
	r = proc_check(dev->pid);
	if (r)
		return r;
	if (dev->remote)
		return remote_attr_info(dev, obj, index, ret_name, len, ret_flags);
	/* walk into a local buffer: ret_name stays untouched on failure */
	w.name = name;
	w.len = len < sizeof(name) ? len : sizeof(name);
	r = dsa_dev_attr_foreach(rt_dev(dev->rt), obj, attr_walk_fn, &w);
	if (r < 0)
		return r;
	if (w.found)
		return w.found;
	strcpy(ret_name, name);
	*ret_flags = w.flags;
	return 0;
}

/*
 * An admin command: validated, checked against use after fork, then sent
 * to svad (cmd, arg of proto.h) or run on the embedded runtime.
 */
#define DEV_CALL(dev, cmd, arg, call)                                          \
	do {                                                                   \
		int r_;                                                        \
		if (!(dev))                                                    \
			return -EINVAL;                                        \
		r_ = proc_check((dev)->pid);                                   \
		if (r_)                                                        \
			return r_;                                             \
		if ((dev)->remote)                                             \
			return remote_admin((dev), (cmd), (arg));              \
		return (call);                                                 \
	} while (0)

SVA_EXPORT int sva_device_enable(struct sva_device *dev)
{
	DEV_CALL(dev, PROTO_CMD_DEV_ENABLE, 0, rt_device_enable(dev->rt));
}

SVA_EXPORT int sva_device_disable(struct sva_device *dev)
{
	DEV_CALL(dev, PROTO_CMD_DEV_DISABLE, 0, rt_device_disable(dev->rt));
}

SVA_EXPORT int sva_wq_enable(struct sva_device *dev, unsigned int wq)
{
	DEV_CALL(dev, PROTO_CMD_WQ_ENABLE, wq, rt_wq_enable(dev->rt, wq));
}

SVA_EXPORT int sva_wq_disable(struct sva_device *dev, unsigned int wq)
{
	DEV_CALL(dev, PROTO_CMD_WQ_DISABLE, wq, rt_wq_disable(dev->rt, wq));
}

SVA_EXPORT int sva_wq_reset(struct sva_device *dev, unsigned int wq)
{
	DEV_CALL(dev, PROTO_CMD_WQ_RESET, wq, rt_wq_reset(dev->rt, wq));
}

SVA_EXPORT int sva_device_reset(struct sva_device *dev)
{
	DEV_CALL(dev, PROTO_CMD_DEV_RESET, 0, rt_device_reset(dev->rt));
}

/* Bounds the protocol can carry are checked before the request is sent. */
static int wq_arg(struct sva_device *dev, unsigned int wq)
{
	return wq >= (dev->remote ? PROTO_MAX_WQS : rt_nwqs(dev->rt)) ? -EINVAL : 0;
}

SVA_EXPORT int sva_drain_all(struct sva_device *dev)
{
	DEV_CALL(dev, PROTO_CMD_DRAIN_ALL, 0, rt_drain(dev->rt, -1, WQ_ANY_PASID, false));
}

SVA_EXPORT int sva_drain_wq(struct sva_device *dev, unsigned int wq)
{
	if (dev && wq_arg(dev, wq))
		return -EINVAL;
	DEV_CALL(dev, PROTO_CMD_DRAIN_WQ, wq, rt_drain(dev->rt, (int)wq, WQ_ANY_PASID, false));
}

SVA_EXPORT int sva_drain_pasid(struct sva_device *dev, uint32_t pasid)
{
	if (pasid >= PASID_MAX)
		return -EINVAL;
	DEV_CALL(dev, PROTO_CMD_DRAIN_PASID, pasid, rt_drain(dev->rt, -1, pasid, false));
}

SVA_EXPORT int sva_abort_all(struct sva_device *dev)
{
	DEV_CALL(dev, PROTO_CMD_ABORT_ALL, 0, rt_drain(dev->rt, -1, WQ_ANY_PASID, true));
}

SVA_EXPORT int sva_abort_wq(struct sva_device *dev, unsigned int wq)
{
	if (dev && wq_arg(dev, wq))
		return -EINVAL;
	DEV_CALL(dev, PROTO_CMD_ABORT_WQ, wq, rt_drain(dev->rt, (int)wq, WQ_ANY_PASID, true));
}

SVA_EXPORT int sva_abort_pasid(struct sva_device *dev, uint32_t pasid)
{
	if (pasid >= PASID_MAX)
		return -EINVAL;
	DEV_CALL(dev, PROTO_CMD_ABORT_PASID, pasid, rt_drain(dev->rt, -1, pasid, true));
}

SVA_EXPORT uint32_t sva_cmd_status(struct sva_device *dev)
{
	if (!dev)
		return 0;
	return dev->remote ? remote_cmd_status(dev) : dsa_dev_cmd_status(rt_dev(dev->rt));
}

SVA_EXPORT const char *sva_strcmdsts(uint32_t code)
{
	return dsa_cmdsts_name(code);
}

SVA_EXPORT const char *sva_last_error(struct sva_device *dev)
{
	if (!dev)
		return "";
	return dev->remote ? remote_last_error(dev) : dsa_dev_last_error(rt_dev(dev->rt));
}

SVA_EXPORT const char *sva_strstatus(uint8_t status)
{
	return dsa_status_name(status);
}

SVA_EXPORT const char *sva_stropcode(uint8_t opcode)
{
	return dsa_opcode_name(opcode);
}

SVA_EXPORT int sva_wq_stats(struct sva_device *dev, unsigned int wq, struct sva_wq_stats *ret)
{
	struct wq_rt *w;
	uint64_t st[6];

	if (!dev || !ret || ret->size < offsetof(struct sva_wq_stats, reserved))
		return -EINVAL;
	if (dev->remote)
		return wq_arg(dev, wq) ? -EINVAL
				       : remote_stats(dev, PROTO_STATS_WQ, wq, ret, ret->size);
	w = rt_wq(dev->rt, wq);
	if (!w)
		return -EINVAL;
	wq_rt_stats(w, st);
	ret->occupancy = wq_rt_occupancy(w);
	ret->accepted = st[WQ_STAT_ACCEPTED];
	ret->retries = st[WQ_STAT_RETRIES];
	ret->dropped = st[WQ_STAT_DROPPED];
	ret->ignored = st[WQ_STAT_IGNORED];
	ret->completed = st[WQ_STAT_COMPLETED];
	ret->aborted = st[WQ_STAT_ABORTED];
	return 0;
}

SVA_EXPORT int sva_engine_stats(struct sva_device *dev, unsigned int engine,
				struct sva_engine_stats *ret)
{
	uint64_t st[4];
	int g;

	if (!dev || !ret || ret->size < offsetof(struct sva_engine_stats, reserved))
		return -EINVAL;
	if (dev->remote)
		return engine >= PROTO_MAX_ENGINES
			       ? -EINVAL
			       : remote_stats(dev, PROTO_STATS_ENGINE, engine, ret, ret->size);
	if (engine >= rt_nengines(dev->rt))
		return -EINVAL;
	rt_engine_stats(dev->rt, engine, st, &g);
	ret->group_id = g;
	ret->descs = st[0];
	ret->bytes = st[1];
	ret->busy_ns = st[2];
	ret->sleeps = st[3];
	return 0;
}

SVA_EXPORT int sva_device_stats(struct sva_device *dev, struct sva_device_stats *ret)
{
	if (!dev || !ret || ret->size < offsetof(struct sva_device_stats, reserved))
		return -EINVAL;
	if (dev->remote)
		return remote_stats(dev, PROTO_STATS_DEVICE, 0, ret, ret->size);
	rt_device_stats(dev->rt, ret->by_opcode, ret->by_status, &ret->faults, &ret->swerrors);
	return 0;
}

static_assert(SVA_PASID_NSTATUS == PSTATS_NSTATUS && SVA_PASID_OTHER == PSTATS_OTHER,
	      "the public row is the runtime's");

SVA_EXPORT int sva_pasid_stats(struct sva_device *dev, unsigned int index,
			       struct sva_pasid_stats *ret)
{
	struct pstats_snap snap;
	int r;

	if (!dev || !ret || ret->size < offsetof(struct sva_pasid_stats, reserved))
		return -EINVAL;
	if (dev->remote)
		return index >= PROTO_MAX_PASID_ROWS
			       ? -ENOENT
			       : remote_stats(dev, PROTO_STATS_PASID, index, ret, ret->size);
	r = rt_pasid_stats(dev->rt, index, &snap);
	if (r)
		return r;
	ret->pasid = snap.pasid;
	ret->completed = 0;
	ret->faults = snap.by_status[DSA_COMP_PAGE_FAULT_NOBOF] +
		      snap.by_status[DSA_COMP_PAGE_FAULT_IR];
	for (unsigned int s = 0; s < SVA_PASID_NSTATUS; s++) {
		ret->by_status[s] = snap.by_status[s];
		ret->completed += snap.by_status[s];
	}
	ret->retries = snap.retries;
	ret->bytes = snap.bytes;
	ret->aborted = snap.aborted;
	return 0;
}

SVA_EXPORT int sva_swerror(struct sva_device *dev, uint64_t ret_words[4])
{
	if (!dev || !ret_words)
		return -EINVAL;
	if (dev->remote)
		return remote_stats(dev, PROTO_STATS_SWERROR, 0, ret_words, 4 * sizeof(uint64_t));
	rt_fold_drops(dev->rt);
	dsa_dev_swerror_read(rt_dev(dev->rt), ret_words);
	return 0;
}

SVA_EXPORT int sva_swerror_clear(struct sva_device *dev)
{
	if (!dev)
		return -EINVAL;
	if (dev->remote)
		return remote_admin(dev, PROTO_CMD_SWERROR_CLEAR, 0);
	rt_fold_drops(dev->rt);
	dsa_dev_swerror_clear(rt_dev(dev->rt));
	return 0;
}

SVA_EXPORT int sva_daemon_stats(struct sva_device *dev, struct sva_daemon_stats *ret)
{
	if (!dev || !ret || ret->size < offsetof(struct sva_daemon_stats, reserved))
		return -EINVAL;
	if (!dev->remote)
		return -EOPNOTSUPP;
	return remote_stats(dev, PROTO_STATS_DAEMON, 0, ret, ret->size);
}
