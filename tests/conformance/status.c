/* SPDX-License-Identifier: MIT */
/*
 * Description: the descriptor checks of dsa-device.md §5.1 and status
 * routing: each check's status reached on purpose (0x10, 0x11 with the exact
 * invalid_flags, 0x12, 0x13, 0x1b, 0x1d, 0x1a), the fixed order when several
 * checks fail at once, and where each status goes (record vs SWERROR) for
 * every CRAV/RCR combination.
 */
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

static struct t_dev dev;
static struct dsa_completion_record cr __attribute__((aligned(64)));
static uint8_t buf[2][4096];

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void memmove_desc(struct dsa_hw_desc *d, uint32_t flags)
{
	t_desc(d, DSA_OPCODE_MEMMOVE, flags, &cr);
	d->src_addr = a(buf[0]);
	d->dst_addr = a(buf[1]);
	d->xfer_size = 64;
}

static void test_opcodes(void)
{
	struct dsa_hw_desc d;
	static const uint8_t bad[] = { 0x0a, 0x0b, 0x0f, 0x16, 0x17, 0x1f, 0x21, 0x42, 0xff };

	for (unsigned int i = 0; i < sizeof(bad); i++) {
		memmove_desc(&d, 0);
		d.opcode = bad[i];
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_BAD_OPCODE);
		T_EQ(cr.status, DSA_COMP_BAD_OPCODE);
	}
	/* An opcode missing from OPCAP is unsupported too. */
	dev.caps.opcap[0] &= ~(1ull << DSA_OPCODE_MEMMOVE);
	memmove_desc(&d, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_BAD_OPCODE);
	dev.caps.opcap[0] |= 1ull << DSA_OPCODE_MEMMOVE;
}

static void expect_flags(struct dsa_hw_desc *d, uint32_t invalid)
{
	T_EQ(t_exec(&dev, d, NULL), DSA_COMP_INVALID_FLAGS);
	T_EQ(cr.invalid_flags, invalid);
}

static void test_flags(void)
{
	struct dsa_hw_desc d;

	memmove_desc(&d, 0x40);			/* bit 6 reserved */
	expect_flags(&d, 0x40);
	memmove_desc(&d, 0x800000 | 0x10000);	/* op-specific bits on MEMMOVE */
	expect_flags(&d, 0x810000);
	memmove_desc(&d, IDXD_OP_FLAG_CR);	/* Check Result only on compare/delta */
	expect_flags(&d, IDXD_OP_FLAG_CR);
	memmove_desc(&d, IDXD_OP_FLAG_RCI);	/* no user interrupts enabled */
	expect_flags(&d, IDXD_OP_FLAG_RCI);
	dev.caps.user_int_en = true;
	memmove_desc(&d, IDXD_OP_FLAG_RCI);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	dev.caps.user_int_en = false;
	/* BOF needs WQCFG.bof (the common mistake of §9). */
	dev.wq.bof = false;
	memmove_desc(&d, IDXD_OP_FLAG_BOF);
	expect_flags(&d, IDXD_OP_FLAG_BOF);
	dev.wq.bof = true;
	memmove_desc(&d, IDXD_OP_FLAG_BOF);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	/* BOF is reserved on NOOP and Drain. */
	t_desc(&d, DSA_OPCODE_NOOP, IDXD_OP_FLAG_BOF, &cr);
	expect_flags(&d, IDXD_OP_FLAG_BOF);
	t_desc(&d, DSA_OPCODE_DRAIN, IDXD_OP_FLAG_BOF, &cr);
	expect_flags(&d, IDXD_OP_FLAG_BOF);
	/* Drain needs RCR or RCI. */
	t_desc(&d, DSA_OPCODE_DRAIN, 0, &cr);
	d.flags = IDXD_OP_FLAG_CRAV;
	expect_flags(&d, IDXD_OP_FLAG_RCR);
	/* Destination readback is supported (GENCAP bit 8) ... until it is not. */
	memmove_desc(&d, IDXD_OP_FLAG_DRDBK);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	dev.caps.gencap &= ~GENCAP_DEST_READBACK;
	expect_flags(&d, IDXD_OP_FLAG_DRDBK);
	dev.caps.gencap |= GENCAP_DEST_READBACK;
}

static void test_reserved_and_sizes(void)
{
	struct dsa_hw_desc d;

	memmove_desc(&d, 0);
	d.rsvd = 0x400;		/* dword 0 bits 30:20 */
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_NOZERO_RESERVE);
	memmove_desc(&d, 0);
	d.xfer_size = 0;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
	dev.wq.max_xfer = 32;
	memmove_desc(&d, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
	dev.wq.max_xfer = 1ull << 31;
	/* Unused fields are ignored: MEMFILL has no source, op-specific bytes unused. */
	memmove_desc(&d, 0);
	d.opcode = DSA_OPCODE_MEMFILL;
	memset(d.op_specific, 0xff, sizeof(d.op_specific));
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
}

static void test_order(void)
{
	struct dsa_hw_desc d;

	/* opcode (4) beats flags (5), flags beat reserved (6), reserved beats size (8). */
	memmove_desc(&d, 0x40);
	d.rsvd = 1;
	d.xfer_size = 0;
	d.opcode = 0x0c;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_BAD_OPCODE);
	d.opcode = DSA_OPCODE_MEMMOVE;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_INVALID_FLAGS);
	d.flags &= ~0x40u;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_NOZERO_RESERVE);
	d.rsvd = 0;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
	/* size (8) beats overlap (9) */
	d.opcode = DSA_OPCODE_COPY_CRC;
	d.dst_addr = d.src_addr + 1;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
	d.xfer_size = 64;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_OVERLAP_BUFFERS);
	/* record alignment (3) beats everything after it */
	d.completion_addr += 16;
	d.opcode = 0x0c;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_CRA_ALIGN);
}

static void test_routing(void)
{
	struct dsa_hw_desc d;
	struct dsa_result r;
	uint8_t *page = t_map(t_page());

	/* CRAV=1 RCR=0: errors still write the record. */
	memmove_desc(&d, 0);
	d.flags = IDXD_OP_FLAG_CRAV;
	d.xfer_size = 0;
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_XFER_ERANGE);
	T_CHECK(r.record_written && cr.status == DSA_COMP_XFER_ERANGE, "error record");
	T_CHECK(!r.swerr.valid, "no SWERROR when a record was written");
	/* CRAV=0: errors go to SWERROR. */
	d.flags = 0;
	memset(&cr, 0, sizeof(cr));
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_XFER_ERANGE);
	T_CHECK(!r.record_written && cr.status == 0, "no record without CRAV");
	T_CHECK(r.swerr.valid && r.swerr.error == DSA_COMP_XFER_ERANGE &&
		r.swerr.opcode == DSA_OPCODE_MEMMOVE && r.swerr.pasid == dev.pasid, "SWERROR");
	/* Result-returning ops need CRAV: 0x11 reported through SWERROR. */
	t_desc(&d, DSA_OPCODE_COMPARE, 0, &cr);
	d.flags = 0;
	d.src_addr = a(buf[0]);
	d.src2_addr = a(buf[1]);
	d.xfer_size = 8;
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_INVALID_FLAGS);
	T_CHECK(r.swerr.valid && r.swerr.invalid_flags == IDXD_OP_FLAG_CRAV, "missing CRAV");
	/* Misaligned record: SWERROR 0x1b, the descriptor is discarded. */
	memmove_desc(&d, 0);
	d.completion_addr = a(&cr) + 8;
	buf[1][0] = 0;
	buf[0][0] = 1;
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_CRA_ALIGN);
	T_CHECK(r.swerr.valid && r.swerr.error == DSA_COMP_CRA_ALIGN && !r.record_written, "0x1b");
	T_EQ(buf[1][0], 0);
	/* Priv=1 on a shared WQ without privileged mode: 0x1d to SWERROR. */
	dev.wq.shared = true;
	memmove_desc(&d, 0);
	T_EQ(dsa_exec_desc(&dev.caps, &dev.wq, dev.as, dev.pasid, true, &d, &r), 0);
	T_EQ(r.status, DSA_COMP_PRIV_BAD);
	T_CHECK(r.swerr.valid && r.swerr.priv && !r.record_written, "0x1d");
	dev.caps.pasid_priv = true;
	T_EQ(dsa_exec_desc(&dev.caps, &dev.wq, dev.as, dev.pasid, true, &d, &r), 0);
	T_EQ(r.status, DSA_COMP_SUCCESS);
	dev.caps.pasid_priv = false;
	dev.wq.shared = false;
	/* Record address unmapped: the op runs, the record is lost, SWERROR 0x1a. */
	memmove_desc(&d, 0);
	munmap(page, t_page());
	d.completion_addr = a(page);
	buf[0][0] = 0x33;
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_SUCCESS);
	T_CHECK(r.swerr.valid && r.swerr.error == DSA_COMP_CRA_XLAT &&
		r.swerr.fault_addr == a(page) && !r.record_written, "0x1a");
	T_EQ(buf[1][0], 0x33);
}

int main(void)
{
	t_seed(0x5eed0004);
	memset(buf, 0, sizeof(buf));	/* resident: BOF=0 descriptors must not fault */
	t_dev_init(&dev);
	test_opcodes();
	test_flags();
	test_reserved_and_sizes();
	test_order();
	test_routing();
	t_dev_exit(&dev);
	return t_done("conformance/status");
}
