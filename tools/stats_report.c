/* SPDX-License-Identifier: MIT */
/*
 * The counter report shared by `svactl stats` and `svarun --stats`
 * (stats_report.h). All counters are read first, then printed, so a
 * device that cannot be read prints nothing half-way. Only the public API
 * is used: the device may be embedded or served by svad.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats_report.h"

#define MAX_OBJS	64		/* WQs and engines read per device */
#define MAX_PASID_ROWS	4096		/* the protocol's bound on row indexes */

struct report {
	struct sva_device *dev;
	const char *name;
	struct sva_device_stats ds;
	struct sva_wq_stats ws[MAX_OBJS];
	struct sva_engine_stats es[MAX_OBJS];
	unsigned int nwqs, nengines;
	struct sva_pasid_stats *ps;	/* nps rows, first-seen order */
	unsigned int nps;
	struct sva_daemon_stats dm;	/* svad-hosted devices */
	bool daemon;
};

static int read_count(struct sva_device *dev, const char *attr, unsigned int *ret)
{
	char buf[32], *end;
	unsigned long v;

	if (sva_attr_get(dev, sva_device_name(dev), attr, buf, sizeof(buf)) < 0)
		return -EIO;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (!*buf || *end || errno || v > MAX_OBJS)
		return -EIO;
	*ret = (unsigned int)v;
	return 0;
}

static int read_pasids(struct report *rp)
{
	unsigned int cap = 16;
	int r = 0;

	rp->ps = calloc(cap, sizeof(*rp->ps));
	if (!rp->ps)
		return -ENOMEM;
	for (rp->nps = 0; rp->nps < MAX_PASID_ROWS; rp->nps++) {
		if (rp->nps == cap) {
			struct sva_pasid_stats *p = realloc(rp->ps, 2 * cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			rp->ps = p;
			cap *= 2;
		}
		rp->ps[rp->nps] = (struct sva_pasid_stats){ .size = sizeof(rp->ps[0]) };
		r = sva_pasid_stats(rp->dev, rp->nps, &rp->ps[rp->nps]);
		if (r)
			break;
	}
	/* the end of the rows, or an svad that does not have them: no rows */
	return r == -ENOENT || r == -EOPNOTSUPP ? 0 : r;
}

static int report_read(struct report *rp)
{
	int r;

	rp->name = sva_device_name(rp->dev);
	if (read_count(rp->dev, "max_work_queues", &rp->nwqs) ||
	    read_count(rp->dev, "max_engines", &rp->nengines))
		return -EIO;
	rp->ds.size = sizeof(rp->ds);
	r = sva_device_stats(rp->dev, &rp->ds);
	for (unsigned int q = 0; !r && q < rp->nwqs; q++) {
		rp->ws[q] = (struct sva_wq_stats){ .size = sizeof(rp->ws[q]) };
		r = sva_wq_stats(rp->dev, q, &rp->ws[q]);
	}
	for (unsigned int e = 0; !r && e < rp->nengines; e++) {
		rp->es[e] = (struct sva_engine_stats){ .size = sizeof(rp->es[e]) };
		r = sva_engine_stats(rp->dev, e, &rp->es[e]);
	}
	if (r)
		return r;
	rp->dm.size = sizeof(rp->dm);
	r = sva_daemon_stats(rp->dev, &rp->dm);
	if (r && r != -EOPNOTSUPP)
		return r;
	rp->daemon = !r;
	return read_pasids(rp);
}

static uint64_t retries(const struct report *rp)
{
	uint64_t n = 0;

	for (unsigned int q = 0; q < rp->nwqs; q++)
		n += rp->ws[q].retries;
	return n;
}

static void pasid_name(const struct sva_pasid_stats *p, char *buf, size_t len)
{
	if (p->pasid == SVA_PASID_OTHER)
		snprintf(buf, len, "other");
	else
		snprintf(buf, len, "%u", p->pasid);
}

/* json */

static json_object *json_u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static json_object *json_pasids(const struct report *rp)
{
	json_object *arr = json_object_new_array();
	char key[16];

	for (unsigned int i = 0; i < rp->nps; i++) {
		const struct sva_pasid_stats *p = &rp->ps[i];
		json_object *o = json_object_new_object(), *st = json_object_new_object();

		if (p->pasid == SVA_PASID_OTHER)
			json_object_object_add(o, "pasid", json_object_new_string("other"));
		else
			json_object_object_add(o, "pasid", json_u64(p->pasid));
		json_object_object_add(o, "completed", json_u64(p->completed));
		for (unsigned int s = 0; s < SVA_PASID_NSTATUS; s++) {
			snprintf(key, sizeof(key), "%#04x", s);
			if (p->by_status[s])
				json_object_object_add(st, key, json_u64(p->by_status[s]));
		}
		json_object_object_add(o, "by_status", st);
		json_object_object_add(o, "faults", json_u64(p->faults));
		json_object_object_add(o, "retries", json_u64(p->retries));
		json_object_object_add(o, "bytes", json_u64(p->bytes));
		json_object_object_add(o, "aborted", json_u64(p->aborted));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void report_json(const struct report *rp, json_object *jarr)
{
	json_object *o = json_object_new_object(), *op = json_object_new_object(),
		    *st = json_object_new_object(), *wqs = json_object_new_array(),
		    *engs = json_object_new_array();
	const char *name = rp->name;
	char key[40];

	json_object_object_add(o, "dev", json_object_new_string(name));
	for (unsigned int i = 0; i < 256; i++) {
		if (rp->ds.by_opcode[i])
			json_object_object_add(op, sva_stropcode((uint8_t)i),
					       json_u64(rp->ds.by_opcode[i]));
		snprintf(key, sizeof(key), "%#04x", i);
		if (rp->ds.by_status[i])
			json_object_object_add(st, key, json_u64(rp->ds.by_status[i]));
	}
	json_object_object_add(o, "by_opcode", op);
	json_object_object_add(o, "by_status", st);
	json_object_object_add(o, "faults", json_u64(rp->ds.faults));
	json_object_object_add(o, "swerrors", json_u64(rp->ds.swerrors));
	for (unsigned int q = 0; q < rp->nwqs; q++) {
		const struct sva_wq_stats *ws = &rp->ws[q];
		json_object *w = json_object_new_object();

		snprintf(key, sizeof(key), "wq%s.%u", name + 3, q);
		json_object_object_add(w, "dev", json_object_new_string(key));
#define WQ_FIELD(f) json_object_object_add(w, #f, json_u64(ws->f))
		WQ_FIELD(occupancy);
		WQ_FIELD(accepted);
		WQ_FIELD(retries);
		WQ_FIELD(dropped);
		WQ_FIELD(ignored);
		WQ_FIELD(completed);
		WQ_FIELD(aborted);
#undef WQ_FIELD
		json_object_array_add(wqs, w);
	}
	json_object_object_add(o, "retries", json_u64(retries(rp)));
	json_object_object_add(o, "work_queues", wqs);
	for (unsigned int e = 0; e < rp->nengines; e++) {
		const struct sva_engine_stats *es = &rp->es[e];
		json_object *w = json_object_new_object();

		snprintf(key, sizeof(key), "engine%s.%u", name + 3, e);
		json_object_object_add(w, "dev", json_object_new_string(key));
		json_object_object_add(w, "group_id", json_object_new_int(es->group_id));
#define ENG_FIELD(f) json_object_object_add(w, #f, json_u64(es->f))
		ENG_FIELD(descs);
		ENG_FIELD(bytes);
		ENG_FIELD(busy_ns);
		ENG_FIELD(sleeps);
#undef ENG_FIELD
		json_object_array_add(engs, w);
	}
	json_object_object_add(o, "engines", engs);
	json_object_object_add(o, "pasids", json_pasids(rp));
	if (rp->daemon) {
		json_object *d = json_object_new_object();

#define DM_FIELD(f) json_object_object_add(d, #f, json_u64(rp->dm.f))
		DM_FIELD(clients);
		DM_FIELD(connections);
		DM_FIELD(pasids);
		DM_FIELD(portals);
		DM_FIELD(ring_bytes);
		DM_FIELD(rss_bytes);
		DM_FIELD(enq_accepted);
		DM_FIELD(enq_retries);
		DM_FIELD(posted);
		DM_FIELD(engine_served);
		DM_FIELD(clients_total);
		DM_FIELD(refused);
		DM_FIELD(releasing);
#undef DM_FIELD
		json_object_object_add(o, "daemon", d);
	}
	json_object_array_add(jarr, o);
}

/* table */

/* The statuses other than success of a PASID row, "0x03:2 0x10:1", or "-". */
static void other_statuses(const struct sva_pasid_stats *p, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int s = 0; s < SVA_PASID_NSTATUS && n + 1 < len; s++) {
		if (s == DSA_COMP_SUCCESS || !p->by_status[s])
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%#04x:%llu", n ? " " : "", s,
				      (unsigned long long)p->by_status[s]);
	}
	if (!n)
		snprintf(buf, len, "-");
}

static void report_table(const struct report *rp, FILE *out)
{
	const char *name = rp->name;
	uint64_t total = 0;
	char state[16] = "?", mode[16], obj[32], who[16], st[160];

	sva_attr_get(rp->dev, name, "state", state, sizeof(state));
	for (unsigned int i = 0; i < 256; i++)
		total += rp->ds.by_opcode[i];
	fprintf(out, "%s (%s): %llu descriptors completed, %llu retries, %llu page faults, "
		"%llu software errors\n", name, state, (unsigned long long)total,
		(unsigned long long)retries(rp), (unsigned long long)rp->ds.faults,
		(unsigned long long)rp->ds.swerrors);
	fprintf(out, "\n%-12s %12s\n", "opcode", "completed");
	for (unsigned int i = 0; i < 256; i++)
		if (rp->ds.by_opcode[i])
			fprintf(out, "%-12s %12llu\n", sva_stropcode((uint8_t)i),
				(unsigned long long)rp->ds.by_opcode[i]);
	fprintf(out, "\n%-6s %-40s %12s\n", "status", "", "count");
	for (unsigned int i = 0; i < 256; i++)
		if (rp->ds.by_status[i])
			fprintf(out, "0x%02x   %-40s %12llu\n", i, sva_strstatus((uint8_t)i),
				(unsigned long long)rp->ds.by_status[i]);
	fprintf(out, "\n%-10s %-9s %9s %10s %10s %8s %8s %10s %8s\n", "wq", "mode", "occupancy",
		"accepted", "retries", "dropped", "ignored", "completed", "aborted");
	for (unsigned int q = 0; q < rp->nwqs; q++) {
		const struct sva_wq_stats *ws = &rp->ws[q];

		snprintf(obj, sizeof(obj), "wq%s.%u", name + 3, q);
		/* rows for WQs in use or that saw work; --json lists them all */
		if (sva_attr_get(rp->dev, obj, "state", state, sizeof(state)) >= 0 &&
		    strcmp(state, "enabled") && !ws->accepted && !ws->retries && !ws->dropped &&
		    !ws->ignored && !ws->aborted)
			continue;
		if (sva_attr_get(rp->dev, obj, "mode", mode, sizeof(mode)) < 0)
			snprintf(mode, sizeof(mode), "?");
		fprintf(out, "%-10s %-9s %9u %10llu %10llu %8llu %8llu %10llu %8llu\n", obj, mode,
			ws->occupancy, (unsigned long long)ws->accepted,
			(unsigned long long)ws->retries, (unsigned long long)ws->dropped,
			(unsigned long long)ws->ignored, (unsigned long long)ws->completed,
			(unsigned long long)ws->aborted);
	}
	fprintf(out, "\n%-10s %5s %12s %14s %10s %8s\n", "engine", "group", "descriptors",
		"bytes", "busy ms", "sleeps");
	for (unsigned int e = 0; e < rp->nengines; e++)
		fprintf(out, "engine%s.%-3u %5d %12llu %14llu %10.1f %8llu\n", name + 3, e,
			rp->es[e].group_id, (unsigned long long)rp->es[e].descs,
			(unsigned long long)rp->es[e].bytes, (double)rp->es[e].busy_ns / 1e6,
			(unsigned long long)rp->es[e].sleeps);
	fprintf(out, "\n%-8s %10s %10s %8s %10s %14s %8s  %s\n", "pasid", "completed", "success",
		"faults", "retries", "bytes", "aborted", "other statuses");
	for (unsigned int i = 0; i < rp->nps; i++) {
		const struct sva_pasid_stats *p = &rp->ps[i];

		pasid_name(p, who, sizeof(who));
		other_statuses(p, st, sizeof(st));
		fprintf(out, "%-8s %10llu %10llu %8llu %10llu %14llu %8llu  %s\n", who,
			(unsigned long long)p->completed,
			(unsigned long long)p->by_status[DSA_COMP_SUCCESS],
			(unsigned long long)p->faults, (unsigned long long)p->retries,
			(unsigned long long)p->bytes, (unsigned long long)p->aborted, st);
	}
	if (!rp->nps)
		fprintf(out, "(no PASID has used the device)\n");
	if (rp->daemon)
		fprintf(out, "\nsvad: %llu clients (%llu since start), %llu connections, %llu PASIDs, "
			"%llu portals (%llu KiB of rings), %llu KiB resident, %llu releasing, "
			"%llu refused\nsvad portals: %llu admitted, %llu retried, %llu posted; "
			"%llu answered by engines\n",
			(unsigned long long)rp->dm.clients, (unsigned long long)rp->dm.clients_total,
			(unsigned long long)rp->dm.connections, (unsigned long long)rp->dm.pasids,
			(unsigned long long)rp->dm.portals,
			(unsigned long long)rp->dm.ring_bytes / 1024,
			(unsigned long long)rp->dm.rss_bytes / 1024,
			(unsigned long long)rp->dm.releasing, (unsigned long long)rp->dm.refused,
			(unsigned long long)rp->dm.enq_accepted,
			(unsigned long long)rp->dm.enq_retries, (unsigned long long)rp->dm.posted,
			(unsigned long long)rp->dm.engine_served);
}

int stats_report(struct sva_device *dev, json_object *jarr, FILE *out, FILE *err,
		 const char *who)
{
	struct report *rp = calloc(1, sizeof(*rp));
	int r;

	if (!rp) {
		fprintf(err, "%s: out of memory\n", who);
		return -ENOMEM;
	}
	rp->dev = dev;
	r = report_read(rp);
	if (r)
		fprintf(err, "%s: %s: cannot read its counters: %s\n", who, sva_device_name(dev),
			strerror(-r));
	else if (jarr)
		report_json(rp, jarr);
	else
		report_table(rp, out);
	free(rp->ps);
	free(rp);
	return r;
}
