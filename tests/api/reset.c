/* SPDX-License-Identifier: MIT */
/*
 * Description: admin resets and configuration through the API
 * (dsa-device.md §2, §10): Reset WQ abandons queued work, disables the WQ
 * and returns its configuration to defaults except size; Reset Device
 * returns everything to the power-on state; config writes are refused with
 * -EPERM while enabled and an invalid enable reports its command status and
 * a message naming the violated rule.
 */
#include <string.h>

#include "harness.h"
#include "lib/lib.h"

static struct dsa_completion_record crs[16] __attribute__((aligned(32)));

static void expect_attr(struct sva_device *dev, const char *obj, const char *attr,
			const char *want)
{
	char buf[128];
	int r = sva_attr_get(dev, obj, attr, buf, sizeof(buf));

	T_CHECK(r >= 0 && strcmp(buf, want) == 0, "%s/%s = '%s' (%d), expected '%s'", obj, attr,
		r >= 0 ? buf : "", r, want);
}

int main(void)
{
	struct sva_device *dev;
	struct sva_portal *p;
	struct dsa_hw_desc d;
	struct sva_wq_stats st = { .size = sizeof(st) };

	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	expect_attr(dev, "dsa0", "state", "enabled");
	/* Config writes while enabled: -EPERM. */
	T_EQ(sva_attr_set(dev, "wq0.0", "size", "8"), -EPERM);
	T_EQ(sva_attr_set(dev, "wq0.0", "priority", "3"), -EPERM);
	T_EQ(sva_attr_set(dev, "wq0.9", "size", "8"), -ENOENT);

	/* Reset WQ with work queued: abandoned, WQ disabled, config back to defaults. */
	T_EQ(sva_portal_open(dev, 0, 0, &p), 0);
	rt_pause(dev->rt, true);
	for (int i = 0; i < 16; i++) {
		sva_prep_noop(&d, &crs[i], 0);
		T_EQ(sva_enqcmd(p, &d), 0);
	}
	rt_pause(dev->rt, false);
	T_EQ(sva_wq_reset(dev, 0), 0);
	expect_attr(dev, "wq0.0", "state", "disabled");
	expect_attr(dev, "wq0.0", "size", "64");		/* size survives a reset */
	expect_attr(dev, "wq0.0", "mode", "dedicated");	/* the rest is back to defaults */
	expect_attr(dev, "wq0.0", "threshold", "0");
	T_EQ(sva_wq_stats(dev, 0, &st), 0);
	T_EQ(st.occupancy, 0);
	T_EQ(st.aborted + st.completed, 16);
	sva_prep_noop(&d, &crs[0], 0);
	T_EQ(sva_enqcmd(p, &d), 1);	/* disabled: Retry */
	sva_portal_close(p);

	/* An invalid enable names the rule. */
	T_EQ(sva_attr_set(dev, "wq0.0", "mode", "shared"), 0);
	T_EQ(sva_attr_set(dev, "wq0.0", "priority", "5"), 0);
	T_EQ(sva_attr_set(dev, "wq0.0", "type", "user"), 0);
	T_EQ(sva_attr_set(dev, "wq0.0", "name", "again"), 0);
	T_CHECK(sva_wq_enable(dev, 0) < 0, "shared WQ without threshold must not enable");
	T_EQ(sva_cmd_status(dev), IDXD_SCMD_WQ_NO_THRESH);
	T_CHECK(strstr(sva_last_error(dev), "threshold") != NULL, "message: %s",
		sva_last_error(dev));
	T_CHECK(strcmp(sva_strcmdsts(IDXD_SCMD_WQ_NO_THRESH), "") != 0, "decoded name");
	T_EQ(sva_attr_set(dev, "wq0.0", "threshold", "32"), 0);
	T_EQ(sva_wq_enable(dev, 0), 0);
	T_EQ(sva_cmd_status(dev), 0);

	/* Reset Device: disabled, power-on configuration. */
	T_EQ(sva_device_reset(dev), 0);
	expect_attr(dev, "dsa0", "state", "disabled");
	expect_attr(dev, "wq0.0", "size", "0");
	expect_attr(dev, "wq0.1", "mode", "dedicated");
	expect_attr(dev, "engine0.0", "group_id", "-1");
	T_CHECK(sva_device_enable(dev) < 0, "an empty device must not enable");
	T_EQ(sva_cmd_status(dev), IDXD_SCMD_WQ_NONE_CONFIGURED);
	T_EQ(sva_drain_all(dev), -ENODEV);
	sva_device_free(dev);
	return t_done("api/reset");
}
