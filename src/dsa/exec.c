/* SPDX-License-Identifier: MIT */
/*
 * Descriptor execution: take the private copy, run the checks, execute the
 * operation inside a DMA guard, and route the status to the completion
 * record or to SWERROR (dsa-device.md §5.1 "Routing" and §8).
 */
#include <errno.h>
#include <string.h>

#include "dsa.h"

void dsa_caps_default(struct dsa_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->gencap = DSA_DEFAULT_GENCAP;
	/* OPCAP: 0x00-0x09, 0x10-0x15 and 0x20, i.e. sysfs "0x1003f03ff 0 0 0". */
	caps->opcap[0] = 0x3ffull | (0x3full << 16) | (1ull << 32);
}

void dsa_wq_attr_default(struct dsa_wq_attr *wq)
{
	memset(wq, 0, sizeof(*wq));
	wq->max_xfer = 1ull << GENCAP_MAX_XFER_SHIFT(DSA_DEFAULT_GENCAP);
	wq->max_batch = 1u << GENCAP_MAX_BATCH_SHIFT(DSA_DEFAULT_GENCAP);
}

typedef uint8_t (*op_fn)(struct dsa_exec *x);

static const op_fn op_exec[256] = {
	[DSA_OPCODE_NOOP] = ops_noop,
	[DSA_OPCODE_DRAIN] = ops_drain,
	[DSA_OPCODE_MEMMOVE] = ops_memmove,
	[DSA_OPCODE_MEMFILL] = ops_memfill,
	[DSA_OPCODE_COMPARE] = ops_compare,
	[DSA_OPCODE_COMPVAL] = ops_compval,
	[DSA_OPCODE_CR_DELTA] = ops_cr_delta,
	[DSA_OPCODE_AP_DELTA] = ops_ap_delta,
	[DSA_OPCODE_DUALCAST] = ops_dualcast,
	[DSA_OPCODE_CRCGEN] = ops_crcgen,
	[DSA_OPCODE_COPY_CRC] = ops_copy_crc,
	[DSA_OPCODE_DIF_CHECK] = ops_dif_check,
	[DSA_OPCODE_DIF_INS] = ops_dif_insert,
	[DSA_OPCODE_DIF_STRP] = ops_dif_strip,
	[DSA_OPCODE_DIF_UPDT] = ops_dif_update,
	[DSA_OPCODE_CFLUSH] = ops_cflush,
};

uint8_t exec_fault_status(struct dsa_exec *x, uint64_t done)
{
	const struct dma_fault *f = &x->dma.fault;
	uint8_t st;

	x->cr.bytes_completed = (uint32_t)done;
	x->cr.fault_addr = f->addr;
	/*
	 * With BOF=1 a not-present page was resolved by the page request, so
	 * what is left is an Invalid Request response: 0x04. With BOF=0 every
	 * fault stops the operation: 0x03 (dsa-device.md §9).
	 */
	st = (x->dma.bof && f->kind == DMA_FAULT_INVALID) ? DSA_COMP_PAGE_FAULT_IR
							 : DSA_COMP_PAGE_FAULT_NOBOF;
	if (f->write)
		st |= DSA_COMP_STATUS_WRITE;
	return st;
}

uint64_t exec_map_streams(struct dsa_exec *x, struct dma_win *w, const uint64_t *addr,
			  const unsigned int *access, unsigned int n, uint64_t off, uint64_t len)
{
	uint64_t common = len;

	for (unsigned int i = 0; i < n; i++) {
		if (dma_map(&x->dma, &w[i], addr[i] + off, common, access[i])) {
			exec_unmap_streams(x, w, i);
			return 0;
		}
		if (w[i].len < common)
			common = w[i].len;
	}
	for (unsigned int i = 0; i < n; i++)
		w[i].len = common;
	return common;
}

void exec_unmap_streams(struct dsa_exec *x, struct dma_win *w, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		dma_unmap(&x->dma, &w[i]);
}

static void exec_swerr(struct dsa_exec *x, struct dsa_result *ret, uint8_t st)
{
	struct dsa_swerr *s = &ret->swerr;

	ret->swerr_count++;
	if (s->valid)
		return;		/* one slot: later errors only set overflow */
	s->valid = true;
	s->error = st & DSA_COMP_STATUS_MASK;
	s->fault_rw = st & DSA_COMP_STATUS_WRITE;
	s->opcode = x->d.opcode;
	s->pasid = x->pasid;
	s->priv = x->priv;
	s->batch = x->in_batch;
	s->batch_idx = x->batch_idx;
	s->invalid_flags = x->cr.invalid_flags;
	s->fault_addr = x->cr.fault_addr;
}

static bool status_is_success(uint8_t st)
{
	return st == DSA_COMP_SUCCESS || st == DSA_COMP_SUCCESS_PRED || st == DSA_COMP_BATCH_FAIL;
}

/*
 * Route the final status of one descriptor (dsa-device.md §5.1, §8). Returns
 * the status as the descriptor finally stands: 0x1a when its record could
 * not be written, which a batch counts as a failed member.
 */
static uint8_t exec_complete(struct dsa_exec *x, uint8_t st, struct dsa_result *ret)
{
	uint8_t code = st & DSA_COMP_STATUS_MASK;

	if (code == DSA_COMP_CRA_ALIGN || code == DSA_COMP_PRIV_BAD) {
		exec_swerr(x, ret, st);
		return st;
	}
	if (!(x->d.flags & IDXD_OP_FLAG_CRAV)) {
		if (!status_is_success(code))
			exec_swerr(x, ret, st);
		return st;
	}
	if (!(x->d.flags & IDXD_OP_FLAG_RCR) && status_is_success(code))
		return st;
	if (x->record_done) {
		/* A waiter finished the operation and wrote this very record (coop.c). */
		ret->record_written = true;
		return st;
	}
	x->cr.status = st;
	if (dma_write_record(&x->dma, x->d.completion_addr, &x->cr, sizeof(x->cr))) {
		/* PRS is on, so only an unmapped or read-only record page gets here. */
		x->cr.fault_addr = x->dma.fault.addr;
		exec_swerr(x, ret, DSA_COMP_CRA_XLAT);
		return DSA_COMP_CRA_XLAT;
	}
	ret->record_written = true;
	return st;
}

struct exec_run {
	struct dsa_exec *x;
	struct dsa_result *ret;
	uint8_t st;
};

static int exec_run_fn(void *arg)
{
	struct exec_run *r = arg;

	if (r->x->d.opcode == DSA_OPCODE_BATCH)
		r->st = batch_exec(r->x, r->ret);
	else
		r->st = op_exec[r->x->d.opcode](r->x);
	return 0;
}

uint8_t exec_one(struct dsa_exec *x, struct dsa_result *ret)
{
	struct exec_run run = { x, ret, 0 };
	uint8_t st = checks_run(x);

	if (st == 0) {
		/*
		 * A fault inside the guard means a page vanished after its
		 * translation (a racing munmap/mprotect): report it as a fault
		 * with nothing completed rather than guess at progress.
		 */
		if (dma_guarded(&x->dma, exec_run_fn, &run))
			st = exec_fault_status(x, 0);
		else
			st = run.st;
	}
	ret->bytes += x->bytes;
	x->status = st;
	return exec_complete(x, st, ret);
}

void exec_init(struct dsa_exec *x, const struct dsa_caps *caps, const struct dsa_wq_attr *wq,
	       struct as *as, uint32_t pasid, bool priv, const struct dsa_hw_desc *desc)
{
	memcpy(&x->d, desc, sizeof(x->d));
	memset(&x->cr, 0, sizeof(x->cr));
	x->caps = caps;
	x->wq = wq;
	x->dma.as = as;
	x->dma.bof = desc->flags & IDXD_OP_FLAG_BOF;
	memset(&x->dma.fault, 0, sizeof(x->dma.fault));
	x->pasid = pasid;
	x->priv = priv;
	x->in_batch = false;
	x->batch_idx = 0;
	x->bytes = 0;
	x->record_done = false;
}

int dsa_exec_desc(const struct dsa_caps *caps, const struct dsa_wq_attr *wq, struct as *as,
		  uint32_t pasid, bool priv, const struct dsa_hw_desc *desc,
		  struct dsa_result *ret)
{
	struct dsa_exec x;

	if (!caps || !wq || !as || !desc || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	exec_init(&x, caps, wq, as, pasid, priv, desc);
	exec_one(&x, ret);
	/* The execution status; a lost record shows up in ret->swerr (0x1a). */
	ret->status = x.status;
	ret->descs += 1;
	return 0;
}

const char *dsa_status_name(uint8_t status)
{
	static const char *const names[] = {
		[DSA_COMP_NONE] = "none",
		[DSA_COMP_SUCCESS] = "success",
		[DSA_COMP_SUCCESS_PRED] = "success, predicate false",
		[DSA_COMP_PAGE_FAULT_NOBOF] = "page fault (block on fault off)",
		[DSA_COMP_PAGE_FAULT_IR] = "page fault (invalid request)",
		[DSA_COMP_BATCH_FAIL] = "batch member failed",
		[DSA_COMP_BATCH_PAGE_FAULT] = "page fault reading batch list",
		[DSA_COMP_DR_OFFSET_NOINC] = "delta offsets not increasing",
		[DSA_COMP_DR_OFFSET_ERANGE] = "delta offset out of range",
		[DSA_COMP_DIF_ERR] = "DIF error",
		[DSA_COMP_BAD_OPCODE] = "unsupported opcode",
		[DSA_COMP_INVALID_FLAGS] = "invalid flags",
		[DSA_COMP_NOZERO_RESERVE] = "non-zero reserved field",
		[DSA_COMP_XFER_ERANGE] = "transfer size out of range",
		[DSA_COMP_DESC_CNT_ERANGE] = "batch count out of range",
		[DSA_COMP_DR_ERANGE] = "delta record size out of range",
		[DSA_COMP_OVERLAP_BUFFERS] = "buffers overlap",
		[DSA_COMP_DCAST_ERR] = "dualcast addresses differ in bits 11:0",
		[DSA_COMP_DESCLIST_ALIGN] = "batch list misaligned",
		[DSA_COMP_INT_HANDLE_INVAL] = "invalid interrupt handle",
		[DSA_COMP_CRA_XLAT] = "completion record address fault",
		[DSA_COMP_CRA_ALIGN] = "completion record misaligned",
		[DSA_COMP_ADDR_ALIGN] = "address misaligned",
		[DSA_COMP_PRIV_BAD] = "privileged descriptor refused",
		[DSA_COMP_TRAFFIC_CLASS_CONF] = "traffic class not configured",
		[DSA_COMP_PFAULT_RDBA] = "drain readback fault",
		[DSA_COMP_HW_ERR1] = "hardware error (read)",
		[DSA_COMP_HW_ERR_DRB] = "hardware error (write)",
		[DSA_COMP_TRANSLATION_FAIL] = "translation failure",
	};
	uint8_t code = status & DSA_COMP_STATUS_MASK;

	if (code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	return "unknown status";
}

const char *dsa_opcode_name(uint8_t opcode)
{
	static const char *const names[] = {
		[DSA_OPCODE_NOOP] = "noop",	      [DSA_OPCODE_BATCH] = "batch",
		[DSA_OPCODE_DRAIN] = "drain",	      [DSA_OPCODE_MEMMOVE] = "memmove",
		[DSA_OPCODE_MEMFILL] = "memfill",     [DSA_OPCODE_COMPARE] = "compare",
		[DSA_OPCODE_COMPVAL] = "compval",     [DSA_OPCODE_CR_DELTA] = "cr_delta",
		[DSA_OPCODE_AP_DELTA] = "ap_delta",   [DSA_OPCODE_DUALCAST] = "dualcast",
		[DSA_OPCODE_CRCGEN] = "crcgen",	      [DSA_OPCODE_COPY_CRC] = "copy_crc",
		[DSA_OPCODE_DIF_CHECK] = "dif_check", [DSA_OPCODE_DIF_INS] = "dif_insert",
		[DSA_OPCODE_DIF_STRP] = "dif_strip",  [DSA_OPCODE_DIF_UPDT] = "dif_update",
		[DSA_OPCODE_CFLUSH] = "cflush",
	};

	if (opcode < sizeof(names) / sizeof(names[0]) && names[opcode])
		return names[opcode];
	return "unknown";
}
