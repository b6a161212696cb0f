/* SPDX-License-Identifier: MIT */
/*
 * Descriptor checks in the fixed order of dsa-device.md §5.1, steps 2-9.
 * The first failing check decides the status. No check touches client
 * memory other than the descriptor itself (DEV-4).
 */
#include "dsa.h"

/* Flag bits 0-15 that are defined on DSA 1.0 (bit 6 is reserved). */
#define FLAGS_COMMON (IDXD_OP_FLAG_BOF | IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR |              \
		      IDXD_OP_FLAG_RCI | IDXD_OP_FLAG_CRSTS | IDXD_OP_FLAG_CC |               \
		      IDXD_OP_FLAG_ADDR1_TCS | IDXD_OP_FLAG_ADDR2_TCS | IDXD_OP_FLAG_ADDR3_TCS | \
		      IDXD_OP_FLAG_CR_TCS | IDXD_OP_FLAG_STORD | IDXD_OP_FLAG_DRDBK |         \
		      IDXD_OP_FLAG_DSTS)

enum {
	OPF_SIZE = 1 << 0,	/* xfer_size is checked against 0 and the WQ maximum */
	OPF_RESULT = 1 << 1,	/* returns a result: CRAV is required */
	OPF_CHECK_RESULT = 1 << 2,	/* the Check Result flag (bit 7) is defined */
	OPF_NO_BOF = 1 << 3,	/* BOF is reserved (NOOP, Drain, Batch) */
	OPF_CRC_SEED = 1 << 4,	/* flag bit 16: Read CRC Seed */
};

struct op_check {
	unsigned int flags;
	uint8_t (*reserved)(const struct dsa_exec *x);	/* step 6, op-specific */
	uint8_t (*check)(const struct dsa_exec *x);	/* steps 8-9, op-specific */
};

static uint8_t reserved_crc(const struct dsa_exec *x)
{
	return x->d.crc_rsvd ? DSA_COMP_NOZERO_RESERVE : 0;
}

static uint8_t reserved_cr_delta(const struct dsa_exec *x)
{
	return x->d.delt_rsvd ? DSA_COMP_NOZERO_RESERVE : 0;
}

static const struct op_check op_checks[256] = {
	[DSA_OPCODE_NOOP] = { OPF_NO_BOF, NULL, NULL },
	[DSA_OPCODE_BATCH] = { OPF_NO_BOF, NULL, NULL },
	[DSA_OPCODE_DRAIN] = { OPF_NO_BOF, NULL, NULL },
	[DSA_OPCODE_MEMMOVE] = { OPF_SIZE, NULL, ops_check_memmove },
	[DSA_OPCODE_MEMFILL] = { OPF_SIZE, NULL, NULL },
	[DSA_OPCODE_COMPARE] = { OPF_SIZE | OPF_RESULT | OPF_CHECK_RESULT, NULL, NULL },
	[DSA_OPCODE_COMPVAL] = { OPF_SIZE | OPF_RESULT | OPF_CHECK_RESULT, NULL, NULL },
	[DSA_OPCODE_CR_DELTA] = { OPF_SIZE | OPF_RESULT | OPF_CHECK_RESULT, reserved_cr_delta,
				  ops_check_cr_delta },
	[DSA_OPCODE_AP_DELTA] = { OPF_SIZE, NULL, ops_check_ap_delta },
	[DSA_OPCODE_DUALCAST] = { OPF_SIZE, NULL, ops_check_dualcast },
	[DSA_OPCODE_CRCGEN] = { OPF_SIZE | OPF_RESULT | OPF_CRC_SEED, reserved_crc, ops_check_crc },
	[DSA_OPCODE_COPY_CRC] = { OPF_SIZE | OPF_RESULT | OPF_CRC_SEED, reserved_crc,
				  ops_check_copy_crc },
	[DSA_OPCODE_DIF_CHECK] = { OPF_SIZE | OPF_RESULT, ops_reserved_dif, ops_check_dif },
	[DSA_OPCODE_DIF_INS] = { OPF_SIZE | OPF_RESULT, ops_reserved_dif, ops_check_dif },
	[DSA_OPCODE_DIF_STRP] = { OPF_SIZE | OPF_RESULT, ops_reserved_dif, ops_check_dif },
	[DSA_OPCODE_DIF_UPDT] = { OPF_SIZE | OPF_RESULT, ops_reserved_dif, ops_check_dif },
	[DSA_OPCODE_CFLUSH] = { OPF_SIZE, NULL, NULL },
};

bool checks_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* 128-bit ends: a range that wraps past 2^64 still overlaps correctly. */
	unsigned __int128 ae = (unsigned __int128)a + alen;
	unsigned __int128 be = (unsigned __int128)b + blen;

	if (!alen || !blen)
		return false;
	return a < be && b < ae;
}

static bool opcap_has(const struct dsa_caps *caps, uint8_t opcode)
{
	return caps->opcap[opcode / 64] & (1ull << (opcode % 64));
}

/* Step 5: the mask of invalid (reserved, unsupported or missing) flags. */
static uint32_t checks_flags(const struct dsa_exec *x, const struct op_check *oc)
{
	uint32_t flags = x->d.flags;
	uint32_t valid = FLAGS_COMMON;
	uint32_t bad;
	uint8_t op = x->d.opcode;

	if (x->in_batch)
		valid |= IDXD_OP_FLAG_FENCE;
	if (oc->flags & OPF_CHECK_RESULT)
		valid |= IDXD_OP_FLAG_CR;
	if (oc->flags & OPF_CRC_SEED)
		valid |= SVA_OP_FLAG_CRC_READ_SEED;
	if ((oc->flags & OPF_NO_BOF) || !x->wq->bof)
		valid &= ~(uint32_t)IDXD_OP_FLAG_BOF;
	if (!x->priv && !x->caps->user_int_en)
		valid &= ~(uint32_t)IDXD_OP_FLAG_RCI;
	/* Cache Flush gives CC its own meaning (dsa-device.md §6). */
	if (!(x->caps->gencap & (op == DSA_OPCODE_CFLUSH ? GENCAP_CC_CACHE : GENCAP_CC_MEM)))
		valid &= ~(uint32_t)IDXD_OP_FLAG_CC;
	if (!(x->caps->gencap & GENCAP_DEST_READBACK))
		valid &= ~(uint32_t)IDXD_OP_FLAG_DRDBK;
	bad = flags & ~valid;
	/* Required flags that are missing are reported as invalid too. */
	if (op == DSA_OPCODE_DRAIN && !(flags & (IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_RCI)))
		bad |= IDXD_OP_FLAG_RCR;
	if ((oc->flags & OPF_RESULT) && !(flags & IDXD_OP_FLAG_CRAV))
		bad |= IDXD_OP_FLAG_CRAV;
	return bad & 0xffffff;
}

uint8_t checks_run(struct dsa_exec *x)
{
	const struct dsa_hw_desc *d = &x->d;
	const struct op_check *oc = &op_checks[d->opcode];
	uint32_t bad;
	uint8_t st;

	/* 2. Privilege: Priv=1 on an SWQ needs PASID privileged mode. */
	if (x->priv && x->wq->shared && !x->caps->pasid_priv)
		return DSA_COMP_PRIV_BAD;
	/* 3. Completion record alignment (32 bytes for DSA). */
	if ((d->flags & IDXD_OP_FLAG_CRAV) && (d->completion_addr & 31))
		return DSA_COMP_CRA_ALIGN;
	/* 4. Opcode; Batch and Drain may not be batch members. */
	if (!opcap_has(x->caps, d->opcode) ||
	    (x->in_batch && (d->opcode == DSA_OPCODE_BATCH || d->opcode == DSA_OPCODE_DRAIN)))
		return DSA_COMP_BAD_OPCODE;
	/* 5. Flags. */
	bad = checks_flags(x, oc);
	if (bad) {
		x->cr.invalid_flags = bad;
		return DSA_COMP_INVALID_FLAGS;
	}
	/* 6. Reserved fields: dword 0 bits 30:20 and the op-specific *_res* bytes. */
	if (d->rsvd)
		return DSA_COMP_NOZERO_RESERVE;
	if (oc->reserved && (st = oc->reserved(x)) != 0)
		return st;
	/* 7. Interrupt handles: RCI is refused at step 5 until handles exist. */
	/* 8. Sizes. */
	if ((oc->flags & OPF_SIZE) && (d->xfer_size == 0 || d->xfer_size > x->wq->max_xfer))
		return DSA_COMP_XFER_ERANGE;
	if (d->opcode == DSA_OPCODE_BATCH) {
		if (d->desc_count < 2 || d->desc_count > x->wq->max_batch)
			return DSA_COMP_DESC_CNT_ERANGE;
		if (d->desc_list_addr & 63)
			return DSA_COMP_DESCLIST_ALIGN;
	}
	/* 9. Op-specific checks (they also own op-specific size rules). */
	if (oc->check)
		return oc->check(x);
	return 0;
}
