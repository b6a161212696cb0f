/* SPDX-License-Identifier: MIT */
/*
 * Description: BATCH semantics (dsa-device.md §7): member execution and
 * records, batch status 0x01/0x05/0x06, descs_completed, FENCE abandoning
 * the rest after a failure (0x02 counts as failure), PASID inheritance,
 * Batch/Drain as members (0x10), count limits (0x14), list alignment (0x18),
 * BOF/FENCE reserved on the batch itself, and a fault inside the list.
 */
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define N 16

static struct t_dev dev;
static struct dsa_hw_desc list[N + 1] __attribute__((aligned(64)));
static struct dsa_completion_record mcr[N] __attribute__((aligned(64)));
static struct dsa_completion_record bcr __attribute__((aligned(32)));
static uint8_t src[N][256], dst[N][256];

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void batch_desc(struct dsa_hw_desc *d, const void *l, uint32_t count)
{
	t_desc(d, DSA_OPCODE_BATCH, 0, &bcr);
	d->desc_list_addr = a(l);
	d->desc_count = count;
}

static void fill_members(void)
{
	memset(mcr, 0, sizeof(mcr));
	memset(dst, 0, sizeof(dst));
	for (int i = 0; i < N; i++) {
		t_desc(&list[i], DSA_OPCODE_MEMMOVE, 0, &mcr[i]);
		memset(src[i], i + 1, sizeof(src[i]));
		list[i].src_addr = a(src[i]);
		list[i].dst_addr = a(dst[i]);
		list[i].xfer_size = sizeof(src[i]);
		list[i].pasid = 0x777;	/* ignored: members inherit the batch's PASID */
	}
}

static void test_success(void)
{
	struct dsa_hw_desc d;
	struct dsa_result r;

	fill_members();
	batch_desc(&d, list, N);
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_SUCCESS);
	T_EQ(bcr.status, DSA_COMP_SUCCESS);
	T_EQ(bcr.bytes_completed, N);	/* descs_completed */
	T_EQ(r.descs, N + 1);
	for (int i = 0; i < N; i++) {
		T_EQ(mcr[i].status, DSA_COMP_SUCCESS);
		T_CHECK(memcmp(src[i], dst[i], sizeof(src[i])) == 0, "member %d", i);
	}
}

static void test_member_failure_and_fence(void)
{
	struct dsa_hw_desc d;
	struct dsa_result r;

	/* Member 3 fails (reserved field), no fence: everything else runs, 0x05. */
	fill_members();
	list[3].rsvd = 1;
	batch_desc(&d, list, N);
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_BATCH_FAIL);
	T_EQ(bcr.bytes_completed, N);
	T_EQ(mcr[3].status, DSA_COMP_NOZERO_RESERVE);
	T_EQ(mcr[4].status, DSA_COMP_SUCCESS);

	/* A fence after the failure abandons the fenced member and the rest. */
	fill_members();
	list[3].rsvd = 1;
	list[6].flags |= IDXD_OP_FLAG_FENCE;
	batch_desc(&d, list, N);
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_BATCH_FAIL);
	T_EQ(bcr.bytes_completed, 6);
	T_EQ(mcr[5].status, DSA_COMP_SUCCESS);
	for (int i = 6; i < N; i++) {
		T_EQ(mcr[i].status, 0);		/* abandoned: no record */
		T_EQ(dst[i][0], 0);		/* and not executed */
	}

	/* A predicate-false compare (0x02) counts as a failure too. */
	fill_members();
	t_desc(&list[1], DSA_OPCODE_COMPARE, IDXD_OP_FLAG_CR, &mcr[1]);
	list[1].src_addr = a(src[0]);
	list[1].src2_addr = a(src[1]);
	list[1].xfer_size = 16;
	list[1].expected_res = 0;
	list[2].flags |= IDXD_OP_FLAG_FENCE;
	batch_desc(&d, list, N);
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_BATCH_FAIL);
	T_EQ(mcr[1].status, DSA_COMP_SUCCESS_PRED);
	T_EQ(bcr.bytes_completed, 2);

	/* A fence with no earlier failure just orders. */
	fill_members();
	list[8].flags |= IDXD_OP_FLAG_FENCE;
	batch_desc(&d, list, N);
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_SUCCESS);
	T_EQ(bcr.bytes_completed, N);

	/* Fence outside a batch is reserved → 0x11. */
	t_desc(&d, DSA_OPCODE_NOOP, IDXD_OP_FLAG_FENCE, &bcr);
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_INVALID_FLAGS);
	T_EQ(bcr.invalid_flags, IDXD_OP_FLAG_FENCE);
}

static void test_bad_members(void)
{
	struct dsa_hw_desc d;

	/* Batch and Drain as members → that member gets 0x10. */
	fill_members();
	t_desc(&list[0], DSA_OPCODE_BATCH, 0, &mcr[0]);
	list[0].desc_list_addr = a(list);
	list[0].desc_count = 2;
	t_desc(&list[1], DSA_OPCODE_DRAIN, 0, &mcr[1]);
	batch_desc(&d, list, 4);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_BATCH_FAIL);
	T_EQ(mcr[0].status, DSA_COMP_BAD_OPCODE);
	T_EQ(mcr[1].status, DSA_COMP_BAD_OPCODE);
	T_EQ(mcr[2].status, DSA_COMP_SUCCESS);
}

static void test_batch_checks(void)
{
	struct dsa_hw_desc d;

	fill_members();
	batch_desc(&d, list, 1);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DESC_CNT_ERANGE);	/* count 1 needs Batch1 (v3) */
	batch_desc(&d, list, dev.wq.max_batch + 1);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DESC_CNT_ERANGE);
	dev.wq.max_batch = 8;
	batch_desc(&d, list, 9);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DESC_CNT_ERANGE);
	dev.wq.max_batch = 1024;
	batch_desc(&d, (const uint8_t *)list + 32, 2);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DESCLIST_ALIGN);
	/* Count is checked before the list alignment (§5.1 step 8 order). */
	batch_desc(&d, (const uint8_t *)list + 32, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DESC_CNT_ERANGE);
	/* BOF is reserved on a batch descriptor. */
	batch_desc(&d, list, 2);
	d.flags |= IDXD_OP_FLAG_BOF;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_INVALID_FLAGS);
	T_EQ(bcr.invalid_flags, IDXD_OP_FLAG_BOF);
}

static void test_list_fault(void)
{
	size_t pg = t_page();
	uint8_t *l = t_map(2 * pg);
	struct dsa_hw_desc *m = (struct dsa_hw_desc *)(void *)(l + pg - 2 * 64);
	struct dsa_hw_desc d;

	/* Two members fit before the page end; the third is on an unmapped page. */
	fill_members();
	memcpy(m, list, 2 * sizeof(*m));
	munmap(l + pg, pg);
	batch_desc(&d, m, 4);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_BATCH_PAGE_FAULT);
	T_EQ(bcr.bytes_completed, 2);
	T_EQ(mcr[0].status, DSA_COMP_SUCCESS);
	T_EQ(mcr[1].status, DSA_COMP_SUCCESS);
	T_EQ(mcr[2].status, 0);
	T_EQ(bcr.fault_addr, (uint64_t)(uintptr_t)(l + pg));
	munmap(l, pg);
}

int main(void)
{
	t_seed(0x5eed0003);
	t_dev_init(&dev);
	test_success();
	test_member_failure_and_fence();
	test_bad_members();
	test_batch_checks();
	test_list_fault();
	t_dev_exit(&dev);
	return t_done("conformance/batch");
}
