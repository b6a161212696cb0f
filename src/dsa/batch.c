/* SPDX-License-Identifier: MIT */
/*
 * Batch and Drain (dsa-device.md §7). Members are read from the list one by
 * one, inherit the batch's PASID and Priv, and write their own records. A
 * fenced member after a failure abandons the rest: no record, not counted.
 * The batch record is written by the caller after every member record.
 */
#include "dsa.h"

uint8_t batch_exec(struct dsa_exec *x, struct dsa_result *ret)
{
	uint32_t count = x->d.desc_count, done = 0;
	bool failed = false;
	uint8_t st = DSA_COMP_SUCCESS;
	/*
	 * List reads block on fault while PRS is on (§9), whatever the
	 * batch's own BOF flag says (BOF is reserved on a batch anyway).
	 */
	struct dma_ctx list = { .as = x->dma.as, .bof = true };

	for (uint32_t i = 0; i < count; i++) {
		struct dsa_hw_desc member;
		struct dsa_exec m;
		uint8_t ms;

		if (dma_read(&list, &member, x->d.desc_list_addr + (uint64_t)i * 64, 64)) {
			x->cr.fault_addr = list.fault.addr;
			st = DSA_COMP_BATCH_PAGE_FAULT;
			break;
		}
		if ((member.flags & IDXD_OP_FLAG_FENCE) && failed)
			break;
		exec_init(&m, x->caps, x->wq, x->dma.as, x->pasid, x->priv, &member);
		m.in_batch = true;
		m.batch_idx = (uint16_t)i;
		ms = exec_one(&m, ret);
		done++;
		ret->descs++;
		if ((ms & DSA_COMP_STATUS_MASK) != DSA_COMP_SUCCESS)
			failed = true;
	}
	x->cr.bytes_completed = done;	/* descs_completed */
	if (st == DSA_COMP_SUCCESS && failed)
		st = DSA_COMP_BATCH_FAIL;
	return st;
}

/*
 * Ordering is the queueing layer's job (it holds the Drain until earlier
 * descriptors complete); by the time the engine runs it, only the record
 * remains to be written.
 */
uint8_t ops_drain(struct dsa_exec *x)
{
	return DSA_COMP_SUCCESS;
}
