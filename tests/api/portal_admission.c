/* SPDX-License-Identifier: MIT */
/*
 * Description: WQ admission rules at the portal (dsa-device.md §3):
 * limited portal accepts while occupancy < threshold and the unlimited one
 * while occupancy < size; ENQCMD to a DWQ and to a disabled WQ is Retry;
 * MOVDIR64B to a full DWQ is dropped into SWERROR (0x53) and to an SWQ is
 * ignored; the PASID comes from the portal, never the descriptor; a second
 * DWQ open is -EBUSY; the credit helper never overflows; exact errnos of
 * misuse.
 */
#include <string.h>

#include "harness.h"
#include "lib/lib.h"

static struct dsa_completion_record crs[256] __attribute__((aligned(32)));

static void test_shared(struct sva_device *dev)
{
	struct sva_portal *lim, *unl;
	struct dsa_hw_desc d;
	struct sva_wq_stats st = { .size = sizeof(st) };
	int accepted = 0;

	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &lim), 0);
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_UNLIMITED, &unl), 0);
	rt_pause(dev->rt, true);
	/* Default SWQ: size 64, threshold 48. */
	for (int i = 0; i < 64; i++) {
		sva_prep_noop(&d, &crs[i], 0);
		d.pasid = 0x1234;	/* ignored by ENQCMD */
		if (sva_enqcmd(lim, &d) == 0)
			accepted++;
	}
	T_EQ(accepted, 48);
	for (int i = 48; i < 70; i++) {
		sva_prep_noop(&d, &crs[i], 0);
		if (sva_enqcmd(unl, &d) == 0)
			accepted++;
	}
	T_EQ(accepted, 64);
	sva_prep_noop(&d, &crs[100], 0);
	T_EQ(sva_enqcmd(lim, &d), 1);
	T_EQ(sva_enqcmd(unl, &d), 1);
	/* A posted write to an SWQ is silently ignored. */
	T_EQ(sva_movdir64b(lim, &d), 0);
	T_EQ(sva_wq_stats(dev, 0, &st), 0);
	T_EQ(st.occupancy, 64);
	T_EQ(st.ignored, 1);
	/* The sysfs-style attributes read the live device. */
	char buf[32];

	T_CHECK(sva_attr_get(dev, "wq0.0", "occupancy", buf, sizeof(buf)) >= 0 &&
			strcmp(buf, "64") == 0, "occupancy attribute '%s'", buf);
	T_CHECK(sva_attr_get(dev, "wq0.0", "clients", buf, sizeof(buf)) >= 0 &&
			strcmp(buf, "2") == 0, "clients attribute '%s'", buf);
	rt_pause(dev->rt, false);
	T_EQ(sva_drain_wq(dev, 0), 0);
	for (int i = 0; i < 64; i++)
		T_EQ(sva_poll(&crs[i]), DSA_COMP_SUCCESS);
	T_EQ(crs[100].status, 0);
	sva_portal_close(lim);
	sva_portal_close(unl);
}

static void test_dedicated(struct sva_device *dev)
{
	struct sva_portal *p, *p2;
	struct dsa_hw_desc d;
	struct sva_credits c;
	uint64_t sw[4];
	int taken = 0;

	T_EQ(sva_portal_open(dev, 1, 0, &p), 0);
	T_EQ(sva_portal_open(dev, 1, 0, &p2), -EBUSY);
	T_EQ(sva_portal_wq_size(p), 64);
	sva_swerror_clear(dev);
	rt_pause(dev->rt, true);
	/* ENQCMD to a DWQ: Retry. */
	sva_prep_noop(&d, &crs[0], 0);
	T_EQ(sva_enqcmd(p, &d), 1);
	/* Credits: exactly size descriptors go out, then -EBUSY. */
	sva_credits_init(&c, sva_portal_wq_size(p));
	for (int i = 0; i < 100; i++) {
		if (sva_credits_take(&c))
			break;
		sva_prep_noop(&d, &crs[i], 0);
		T_EQ(sva_movdir64b(p, &d), 0);
		taken++;
	}
	T_EQ(taken, 64);
	T_EQ(sva_swerror(dev, sw), 0);
	T_EQ(sw[0] & 1, 0);	/* nothing dropped so far */
	/* Without credits: the 65th is dropped and recorded as SWERROR 0x53. */
	sva_prep_noop(&d, &crs[200], 0);
	T_EQ(sva_movdir64b(p, &d), 0);
	T_EQ(sva_swerror(dev, sw), 0);
	T_EQ(sw[0] & 1, 1);			/* valid */
	T_EQ((sw[0] >> 8) & 0xff, 0x53);	/* error code */
	rt_pause(dev->rt, false);
	sva_drain_wq(dev, 1);
	for (int i = 0; i < 64; i++)
		T_EQ(sva_poll(&crs[i]), DSA_COMP_SUCCESS);
	T_EQ(crs[200].status, 0);
	sva_credits_put(&c, 64);
	sva_portal_close(p);
	/* After close the DWQ can be opened again. */
	T_EQ(sva_portal_open(dev, 1, 0, &p2), 0);
	sva_portal_close(p2);
}

static void test_disabled_and_misuse(struct sva_device *dev)
{
	struct sva_portal *p;
	struct dsa_hw_desc d;

	T_EQ(sva_portal_open(dev, 0, 0, &p), 0);
	T_EQ(sva_wq_disable(dev, 0), 0);
	sva_prep_noop(&d, &crs[0], 0);
	T_EQ(sva_enqcmd(p, &d), 1);		/* disabled WQ: Retry */
	T_EQ(sva_enqcmd(NULL, &d), -EINVAL);
	T_EQ(sva_enqcmd(p, NULL), -EINVAL);
	T_EQ(sva_portal_open(dev, 0, 0, &p), -ENODEV);	/* p untouched on failure */
	T_EQ(sva_portal_open(dev, 2, 0, &p), -ENODEV);	/* never enabled */
	T_EQ(sva_portal_open(dev, 99, 0, &p), -EINVAL);
	T_EQ(sva_portal_open(dev, 0, 0x10, &p), -EINVAL);
	T_EQ(sva_wq_enable(dev, 0), 0);
	T_EQ(sva_enqcmd(p, &d), 0);
	sva_drain_wq(dev, 0);
	T_EQ(sva_poll(&crs[0]), DSA_COMP_SUCCESS);
	sva_portal_close(p);
}

int main(void)
{
	struct sva_device *dev;
	uint32_t pasid;

	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	T_EQ(sva_bind(dev, &pasid), 0);
	T_CHECK(pasid != 0 && pasid != SVA_PASID_INVALID, "bound PASID %u", pasid);
	test_shared(dev);
	test_dedicated(dev);
	test_disabled_and_misuse(dev);
	sva_unbind(dev);
	sva_device_free(dev);
	return t_done("api/portal_admission");
}
