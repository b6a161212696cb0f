/* SPDX-License-Identifier: MIT */
/*
 * Description: DRAIN descriptors and the admin drain/abort commands
 * (dsa-device.md §7, §10): a Drain's record follows every earlier record on
 * a DWQ; on an SWQ it waits only for its own PASID; abort per WQ and per
 * PASID abandons queued descriptors (no record, counted as aborted) and
 * leaves other PASIDs alone; drain per PASID completes that PASID's work;
 * the PASID stamped on SWQ work is the portal's, whatever the descriptor
 * says (seen through SWERROR).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lib/lib.h"

#define N 40

static struct dsa_completion_record crs[N + 2] __attribute__((aligned(32)));
static uint8_t src[N][4096], dst[N][4096];

static void test_drain_desc_dwq(struct sva_device *dev)
{
	struct sva_portal *p;
	struct dsa_hw_desc d;

	T_EQ(sva_portal_open(dev, 1, 0, &p), 0);
	rt_pause(dev->rt, true);
	for (int i = 0; i < N; i++) {
		sva_prep_memmove(&d, dst[i], src[i], sizeof(src[i]), &crs[i], 0);
		T_EQ(sva_movdir64b(p, &d), 0);
	}
	sva_prep_drain(&d, &crs[N], 0);
	T_EQ(sva_movdir64b(p, &d), 0);
	rt_pause(dev->rt, false);
	T_EQ(sva_wait(&crs[N], 5000000000ll), 0);
	T_EQ(sva_poll(&crs[N]), DSA_COMP_SUCCESS);
	/* Seen the Drain's record: every earlier record is there too. */
	for (int i = 0; i < N; i++)
		T_EQ(sva_poll(&crs[i]), DSA_COMP_SUCCESS);
	sva_portal_close(p);
}

struct abort_job {
	struct sva_device *dev;
	int wq;
	uint32_t pasid;
	int ret;
};

static void *abort_main(void *arg)
{
	struct abort_job *j = arg;

	j->ret = j->wq >= 0 ? sva_abort_wq(j->dev, (unsigned int)j->wq)
			    : sva_abort_pasid(j->dev, j->pasid);
	return NULL;
}

/*
 * Issue the abort while dispatch is frozen, so it marks everything queued,
 * then let the engines run: the abort returns once the marked work is gone.
 */
static int abort_frozen(struct sva_device *dev, int wq, uint32_t pasid)
{
	struct abort_job j = { dev, wq, pasid, -1 };
	pthread_t t;

	pthread_create(&t, NULL, abort_main, &j);
	usleep(100 * 1000);
	rt_pause(dev->rt, false);
	pthread_join(t, NULL);
	return j.ret;
}

/*
 * The DWQ's group has two engines: one takes a long copy, the other the
 * Drain right behind it. The Drain must wait for the copy on the other
 * engine, so its record can never be seen before the copy's.
 */
static void test_drain_waits_other_engine(struct sva_device *dev)
{
	static struct dsa_completion_record big_cr __attribute__((aligned(32)));
	static struct dsa_completion_record drain_cr __attribute__((aligned(32)));
	size_t n = 64u << 20;
	uint8_t *a = t_map(n), *b = t_map(n);
	struct sva_portal *p;
	struct dsa_hw_desc d;

	T_EQ(sva_portal_open(dev, 1, 0, &p), 0);
	rt_pause(dev->rt, true);
	sva_prep_memmove(&d, b, a, (uint32_t)n, &big_cr, 0);
	T_EQ(sva_movdir64b(p, &d), 0);
	sva_prep_drain(&d, &drain_cr, 0);
	T_EQ(sva_movdir64b(p, &d), 0);
	rt_pause(dev->rt, false);
	T_EQ(sva_wait(&drain_cr, 10000000000ll), 0);
	/* Seen the Drain's record: the earlier copy's record is there. */
	T_EQ(sva_poll(&big_cr), DSA_COMP_SUCCESS);
	T_EQ(sva_poll(&drain_cr), DSA_COMP_SUCCESS);
	sva_portal_close(p);
	t_unmap(a, n);
	t_unmap(b, n);
}

static void test_abort_wq(struct sva_device *dev)
{
	struct sva_portal *p;
	struct dsa_hw_desc d;
	struct sva_wq_stats before = { .size = sizeof(before) }, after = before;

	memset(crs, 0, sizeof(crs));
	memset(dst, 0, sizeof(dst));
	T_EQ(sva_portal_open(dev, 0, 0, &p), 0);
	sva_wq_stats(dev, 0, &before);
	rt_pause(dev->rt, true);
	for (int i = 0; i < N; i++) {
		sva_prep_memmove(&d, dst[i], src[i], 64, &crs[i], 0);
		T_EQ(sva_enqcmd(p, &d), 0);
	}
	T_EQ(abort_frozen(dev, 0, 0), 0);
	sva_wq_stats(dev, 0, &after);
	T_EQ(after.aborted - before.aborted, N);
	T_EQ(after.completed - before.completed, 0);
	/* Abandoned: no record, no data written. */
	for (int i = 0; i < N; i++) {
		T_EQ(crs[i].status, 0);
		T_EQ(dst[i][0], 0);
	}
	/* The WQ goes on working after an abort. */
	sva_prep_memmove(&d, dst[0], src[0], 64, &crs[0], 0);
	T_EQ(sva_enqcmd(p, &d), 0);
	T_EQ(sva_wait(&crs[0], 5000000000ll), 0);
	T_EQ(sva_poll(&crs[0]), DSA_COMP_SUCCESS);
	sva_portal_close(p);
}

/* Two PASIDs on one SWQ: ENQCMD (ours) and ENQCMDS carrying another one. */
static void test_per_pasid(struct sva_device *dev, uint32_t mine)
{
	struct sva_portal *p;
	struct dsa_hw_desc d;
	uint32_t other = mine + 1000;

	memset(crs, 0, sizeof(crs));
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_UNLIMITED, &p), 0);
	rt_pause(dev->rt, true);
	for (int i = 0; i < N; i++) {
		sva_prep_memmove(&d, dst[i], src[i], 64, &crs[i], 0);
		if (i % 2) {
			d.pasid = other;
			T_EQ(sva_enqcmds(p, &d), 0);
		} else {
			T_EQ(sva_enqcmd(p, &d), 0);
		}
	}
	/* Abort the other PASID while dispatch is frozen: ours is untouched. */
	T_EQ(sva_abort_pasid(dev, PASID_MAX), -EINVAL);
	T_EQ(abort_frozen(dev, -1, other), 0);
	T_EQ(sva_drain_pasid(dev, mine), 0);
	for (int i = 0; i < N; i++)
		T_EQ(sva_poll(&crs[i]), i % 2 ? 0 : DSA_COMP_SUCCESS);
	sva_portal_close(p);
}

/* An error without CRAV goes to SWERROR with the portal's PASID. */
static void test_pasid_stamp(struct sva_device *dev, uint32_t mine)
{
	struct sva_portal *p;
	struct dsa_hw_desc d;
	uint64_t sw[4];

	T_EQ(sva_portal_open(dev, 0, 0, &p), 0);
	sva_swerror_clear(dev);
	memset(&d, 0, sizeof(d));
	d.opcode = DSA_OPCODE_MEMMOVE;	/* xfer_size 0 → 0x13, no record → SWERROR */
	d.pasid = 0x4321;
	T_EQ(sva_enqcmd(p, &d), 0);
	T_EQ(sva_drain_wq(dev, 0), 0);
	T_EQ(sva_swerror(dev, sw), 0);
	T_EQ(sw[0] & 1, 1);
	T_EQ((sw[0] >> 8) & 0xff, DSA_COMP_XFER_ERANGE);
	T_EQ((sw[0] >> 40) & 0xfffff, mine);
	sva_portal_close(p);
}

int main(void)
{
	struct sva_device *dev;
	uint32_t pasid;

	memset(src, 1, sizeof(src));
	memset(dst, 0, sizeof(dst));
	if (sva_device_new(NULL, &dev))
		T_FATAL("device");
	T_EQ(sva_bind(dev, &pasid), 0);
	test_drain_desc_dwq(dev);
	test_drain_waits_other_engine(dev);
	test_abort_wq(dev);
	test_per_pasid(dev, pasid);
	test_pasid_stamp(dev, pasid);
	sva_unbind(dev);
	sva_device_free(dev);
	return t_done("api/drain_abort");
}
