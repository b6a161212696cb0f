/* SPDX-License-Identifier: MIT */
/*
 * Admin requests: attributes by idxd sysfs name, device and WQ commands,
 * command status and last error, and every counter of sva.h, served on the
 * embedded devices through the public API, so a remote device behaves as
 * an embedded one does. Requests that change what other clients see (attr
 * set, enable/disable, resets, aborts of others' work, SWERROR clear) need a
 * privileged peer: uid 0 or svad's own uid (SO_PEERCRED), else -EPERM.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"

static int reply_err(struct svad_conn *c, const struct proto_msg *m, int r)
{
	return server_reply(c, m, r, NULL, NULL, 0, NULL, 0);
}

/* Reply to a command: its result and the device's command status. */
static int reply_cmd(struct svad_conn *c, const struct proto_msg *m, struct sva_device *dev,
		     int r)
{
	struct proto_reply rep = { 0 };

	if (r < 0)
		return reply_err(c, m, r);
	rep.u.cmd.cmd_status = sva_cmd_status(dev);
	return server_reply(c, m, 0, &rep, NULL, 0, NULL, 0);
}

static bool cmd_privileged(const struct svad_conn *c, const struct proto_admin *a)
{
	switch (a->cmd) {
	case PROTO_CMD_DRAIN_ALL:
	case PROTO_CMD_DRAIN_WQ:
	case PROTO_CMD_DRAIN_PASID:
		return false;	/* waiting harms nobody */
	case PROTO_CMD_ABORT_PASID:
		/* Aborting one's own work is the client's business. */
		return a->arg != as_pasid(c->proc->as);
	default:
		return true;
	}
}

static int run_cmd(struct sva_device *dev, const struct proto_admin *a)
{
	unsigned int nwqs = rt_nwqs(dev->rt);

	switch (a->cmd) {
	case PROTO_CMD_DEV_ENABLE:
		return sva_device_enable(dev);
	case PROTO_CMD_DEV_DISABLE:
		return sva_device_disable(dev);
	case PROTO_CMD_DEV_RESET:
		return sva_device_reset(dev);
	case PROTO_CMD_WQ_ENABLE:
		return a->arg < nwqs ? sva_wq_enable(dev, a->arg) : -EINVAL;
	case PROTO_CMD_WQ_DISABLE:
		return a->arg < nwqs ? sva_wq_disable(dev, a->arg) : -EINVAL;
	case PROTO_CMD_WQ_RESET:
		return a->arg < nwqs ? sva_wq_reset(dev, a->arg) : -EINVAL;
	case PROTO_CMD_DRAIN_ALL:
		return sva_drain_all(dev);
	case PROTO_CMD_DRAIN_WQ:
		return sva_drain_wq(dev, a->arg);
	case PROTO_CMD_DRAIN_PASID:
		return sva_drain_pasid(dev, a->arg);
	case PROTO_CMD_ABORT_ALL:
		return sva_abort_all(dev);
	case PROTO_CMD_ABORT_WQ:
		return sva_abort_wq(dev, a->arg);
	case PROTO_CMD_ABORT_PASID:
		return sva_abort_pasid(dev, a->arg);
	case PROTO_CMD_SWERROR_CLEAR:
		return sva_swerror_clear(dev);
	default:
		return -EINVAL;
	}
}

static uint64_t rss_bytes(void)
{
	unsigned long long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void daemon_stats(const struct svad *sd, struct sva_daemon_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->clients = sd->nprocs;
	st->connections = sd->nconns;
	st->pasids = pasid_in_use(pasid_alloc_global());
	st->portals = sd->nportals;
	st->ring_bytes = sd->ring_bytes;
	st->rss_bytes = rss_bytes();
	st->enq_accepted = atomic_load(&sd->ctr.enq_accepted);
	st->enq_retries = atomic_load(&sd->ctr.enq_retries);
	st->posted = atomic_load(&sd->ctr.posted);
	st->clients_total = sd->clients_total;
	st->refused = sd->refused;
	st->releasing = sd->jobs;
	st->engine_served = atomic_load(&sd->ctr.engine_served);
}

static int stats(struct svad_conn *c, const struct proto_msg *m, struct sva_device *dev)
{
	const struct proto_stats *s = &m->body.stats;
	union {
		struct sva_wq_stats wq;
		struct sva_engine_stats engine;
		struct sva_device_stats device;
		struct sva_daemon_stats daemon;
		struct sva_pasid_stats pasid;
		uint64_t swerror[4];
	} u;
	size_t len;
	int r;

	memset(&u, 0, sizeof(u));
	switch (s->kind) {
	case PROTO_STATS_WQ:
		u.wq.size = sizeof(u.wq);
		len = sizeof(u.wq);
		r = sva_wq_stats(dev, s->index, &u.wq);
		break;
	case PROTO_STATS_ENGINE:
		u.engine.size = sizeof(u.engine);
		len = sizeof(u.engine);
		r = sva_engine_stats(dev, s->index, &u.engine);
		break;
	case PROTO_STATS_DEVICE:
		u.device.size = sizeof(u.device);
		len = sizeof(u.device);
		r = sva_device_stats(dev, &u.device);
		break;
	case PROTO_STATS_SWERROR:
		len = sizeof(u.swerror);
		r = sva_swerror(dev, u.swerror);
		break;
	case PROTO_STATS_DAEMON:
		daemon_stats(c->sd, &u.daemon);
		len = sizeof(u.daemon);
		r = 0;
		break;
	case PROTO_STATS_PASID:
		/* svad's device: the rows of every client process */
		u.pasid.size = sizeof(u.pasid);
		len = sizeof(u.pasid);
		r = sva_pasid_stats(dev, s->index, &u.pasid);
		break;
	default:
		return reply_err(c, m, -EINVAL);
	}
	if (r)
		return reply_err(c, m, r);
	return server_reply(c, m, 0, NULL, &u, len, NULL, 0);
}

static_assert(offsetof(struct proto_attr, device_id) == offsetof(struct proto_dev, device_id) &&
	      offsetof(struct proto_admin, device_id) == offsetof(struct proto_dev, device_id) &&
	      offsetof(struct proto_stats, device_id) == offsetof(struct proto_dev, device_id) &&
	      offsetof(struct proto_attr_info, device_id) == offsetof(struct proto_dev, device_id),
	      "admin bodies start with device_id");

int admin_request(struct svad_conn *c, const struct proto_msg *m)
{
	/* device_id is at the same offset in every admin body (checked by proto.c). */
	unsigned int d = m->body.dev.device_id;
	struct sva_device *dev;
	static char buf[8192];	/* control thread only */
	int r;

	if (d >= c->sd->ndev)
		return reply_err(c, m, -ENODEV);
	dev = c->sd->dev[d];
	switch (m->hdr.type) {
	case PROTO_ATTR_GET:
		/*
		 * The bytes a read() of the sysfs file returns, then a NUL: the
		 * client tells an empty file from an empty value (proto.h).
		 */
		r = sva_attr_show(dev, m->body.attr.obj, m->body.attr.attr, buf, sizeof(buf) - 1);
		if (r < 0)
			return reply_err(c, m, r);
		buf[r] = '\0';
		return server_reply(c, m, 0, NULL, buf, (size_t)r + 1, NULL, 0);
	case PROTO_ATTR_INFO: {
		struct proto_reply rep = { 0 };
		unsigned int flags;

		r = sva_attr_info(dev, m->body.attr_info.obj, m->body.attr_info.index, buf,
				  sizeof(buf), &flags);
		if (r < 0)
			return reply_err(c, m, r);
		rep.u.attr_info.flags = flags & SVA_ATTR_WRITABLE ? PROTO_ATTR_WRITABLE : 0;
		return server_reply(c, m, 0, &rep, buf, strlen(buf) + 1, NULL, 0);
	}
	case PROTO_ATTR_SET:
		if (!c->privileged)
			return reply_err(c, m, -EPERM);
		r = sva_attr_set(dev, m->body.attr.obj, m->body.attr.attr, m->body.attr.val);
		return reply_cmd(c, m, dev, r);
	case PROTO_ADMIN:
		if (cmd_privileged(c, &m->body.admin) && !c->privileged)
			return reply_err(c, m, -EPERM);
		return reply_cmd(c, m, dev, run_cmd(dev, &m->body.admin));
	case PROTO_STATUS: {
		struct proto_reply rep = { 0 };
		rep.u.cmd.cmd_status = sva_cmd_status(dev);
		buf[0] = '\0';
		dsa_dev_last_error_copy(rt_dev(dev->rt), buf, sizeof(buf));
		buf[sizeof(buf) - 1] = '\0';
		return server_reply(c, m, 0, &rep, buf, strlen(buf) + 1, NULL, 0);
	}
	case PROTO_STATS:
		return stats(c, m, dev);
	default:
		return reply_err(c, m, -EOPNOTSUPP);
	}
}
