/* SPDX-License-Identifier: MIT */
/*
 * Description: weighted round-robin arbitration (dsa-device.md §4). Two
 * shared WQs of priority 12 and 3 share one group with one engine. Both are
 * filled while dispatch is frozen, then released: by the time the priority-
 * 12 WQ's descriptors have all been dispatched, the priority-3 WQ must
 * have had far fewer served (3 per 12). The order is read from the
 * device's dispatch trace, so the assertion is on counts, not on times.
 */
#include <string.h>

#include "harness.h"
#include "lib/lib.h"

#define PER_WQ 48

static struct dsa_completion_record hi[PER_WQ] __attribute__((aligned(32)));
static struct dsa_completion_record lo[PER_WQ] __attribute__((aligned(32)));

static void set(struct sva_device *dev, const char *obj, const char *attr, const char *val)
{
	int r = sva_attr_set(dev, obj, attr, val);

	if (r)
		T_FATAL("%s/%s=%s: %d (%s)", obj, attr, val, r, sva_last_error(dev));
}

static void setup_wq(struct sva_device *dev, const char *wq, const char *prio)
{
	set(dev, wq, "mode", "shared");
	set(dev, wq, "size", "48");
	set(dev, wq, "threshold", "48");
	set(dev, wq, "priority", prio);
	set(dev, wq, "group_id", "0");
	set(dev, wq, "type", "user");
	set(dev, wq, "name", "prio");
}

int main(void)
{
	struct sva_device_config cfg = { .size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
					 .flags = SVA_CONFIG_UNCONFIGURED };
	struct sva_device *dev;
	struct sva_portal *ph, *pl;
	struct dsa_hw_desc d;
	int hi_done = 0, lo_done = 0;
	uint8_t trace[2 * PER_WQ];
	size_t ntrace;

	if (sva_device_new(&cfg, &dev))
		T_FATAL("device");
	setup_wq(dev, "wq0.0", "12");
	setup_wq(dev, "wq0.1", "3");
	set(dev, "engine0.0", "group_id", "0");
	T_EQ(sva_device_enable(dev), 0);
	T_EQ(sva_wq_enable(dev, 0), 0);
	T_EQ(sva_wq_enable(dev, 1), 0);
	T_EQ(sva_portal_open(dev, 0, 0, &ph), 0);
	T_EQ(sva_portal_open(dev, 1, 0, &pl), 0);
	rt_pause(dev->rt, true);
	for (int i = 0; i < PER_WQ; i++) {
		sva_prep_noop(&d, &lo[i], 0);
		T_EQ(sva_enqcmd(pl, &d), 0);
		sva_prep_noop(&d, &hi[i], 0);
		T_EQ(sva_enqcmd(ph, &d), 0);
	}
	rt_trace_start(dev->rt, trace, sizeof(trace));
	rt_pause(dev->rt, false);
	T_EQ(sva_drain_all(dev), 0);
	ntrace = rt_trace_stop(dev->rt);
	T_EQ(ntrace, 2 * PER_WQ);
	for (size_t i = 0; i < ntrace && hi_done < PER_WQ; i++) {
		hi_done += trace[i] == 0;
		lo_done += trace[i] == 1;
	}
	printf("when priority 12 had %d served, priority 3 had %d\n", hi_done, lo_done);
	T_EQ(hi_done, PER_WQ);
	/* 48 at weight 12 take 4 rounds; weight 3 is served 3 per round in between. */
	T_EQ(lo_done, 9);
	for (int i = 0; i < PER_WQ; i++)
		T_EQ(sva_poll(&lo[i]), DSA_COMP_SUCCESS);
	sva_portal_close(ph);
	sva_portal_close(pl);
	sva_device_free(dev);
	return t_done("api/priority");
}
