/* SPDX-License-Identifier: MIT */
/*
 * DIF operations (dsa-device.md §6.1): Check 0x12, Insert 0x13, Strip 0x14
 * and Update 0x15 over T10 protection-information tuples. A tuple is 8 bytes
 * after each block, big-endian: guard u16 | app tag u16 | ref tag u32. The
 * guard is CRC-16/T10-DIF (ISA-L crc16_t10dif, poly 0x8BB7, not reflected).
 *
 * Semantics not spelled out in §6.1, and where they come from:
 *  - Tags in the completion record are the seeds of the first block that was
 *    NOT completed: seed + k for an incrementing tag after k blocks, the seed
 *    itself for a fixed one. On success k = N. This is what makes partial
 *    completion resumable: idxd-config test/dsa_prep.c dsa_reprep_dif() copies
 *    dif_chk_ref_tag/dif_chk_app_tag (and the insert/update fields) back into
 *    the seeds before resubmitting the remainder. The mask fields echo the
 *    descriptor.
 *  - App tag mask: a 1 bit excludes that bit from the check, on both sides of
 *    the comparison; a mask of 0xFFFF disables the app tag check. A generated
 *    tag (insert, update without pass-through) is the seed as given: the
 *    mask only "excludes bits from the check" (dsa-device.md §6.1). Intel
 *    DML's software reference writes tag & ~mask instead; we follow the spec
 *    text (docs/DECISIONS.md).
 *  - F detection (source flags bits 3:0): an all-F tuple with All F Detect
 *    (bit 1) set is an error (dif_status 0x08) if Enable All F Detect Error
 *    (bit 0) is also set, otherwise every check of that block is skipped.
 *    Bit 0 alone does nothing. Bits 3 and 2 skip the block when app and ref
 *    tag (bit 3) or the app tag alone (bit 2) are all ones. A skipped block
 *    still counts for incrementing tags and, on Update, still gets a new tuple.
 *  - A block is read, then checked, then written: when one block both fails
 *    its check and would fault on its destination, the DIF error wins.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include <isa-l/crc.h>

#include "dsa.h"

#define DIF_TUPLE    8u
#define DIF_MAX_UNIT (4104u + DIF_TUPLE)
/* Work unit: blocks are verified, then written, ~128 KiB at a time (L2-hot). */
#define DIF_CHUNK_BYTES (128u << 10)
#define DIF_CHUNK_MAX	256u

/* DIF flags, byte 42 (shared by all four descriptor variants) */
#define DIF_FLAG_BS_MASK  0x03
#define DIF_FLAG_INV_SEED 0x04
#define DIF_FLAG_INV_CRC  0x08
#define DIF_FLAG_RSVD	  0xf0

/* Source DIF flags, byte 40 (check, strip, update) */
#define DIF_SRC_REF_FIXED     0x80
#define DIF_SRC_REF_CHK_DIS   0x40
#define DIF_SRC_GUARD_CHK_DIS 0x20
#define DIF_SRC_APP_INC	      0x10
#define DIF_SRC_APP_REF_F     0x08
#define DIF_SRC_APP_F	      0x04
#define DIF_SRC_ALL_F	      0x02
#define DIF_SRC_ALL_F_ERR     0x01

/* Destination DIF flags, byte 41 (insert, update) */
#define DIF_DST_REF_FIXED  0x80
#define DIF_DST_REF_PASS   0x40
#define DIF_DST_GUARD_PASS 0x20
#define DIF_DST_APP_INC	   0x10
#define DIF_DST_APP_PASS   0x08
#define DIF_DST_RSVD	   0x07

/* dif_status (record byte 1) */
#define DIF_ERR_GUARD 0x01
#define DIF_ERR_APP   0x02
#define DIF_ERR_REF   0x04
#define DIF_ERR_ALL_F 0x08

static_assert(offsetof(struct dsa_hw_desc, src_dif_flags) == 40, "source DIF flags at 40");
static_assert(offsetof(struct dsa_hw_desc, dest_dif_flag) == 41, "insert dest flags at 41");
static_assert(offsetof(struct dsa_hw_desc, upd_dest_flags) == 41, "update dest flags at 41");
static_assert(offsetof(struct dsa_hw_desc, dif_ins_flags) == 42, "insert DIF flags at 42");
static_assert(offsetof(struct dsa_hw_desc, dif_upd_flags) == 42, "update DIF flags at 42");
static_assert(offsetof(struct dsa_hw_desc, chk_app_tag_mask) == 52, "check app mask at 52");
static_assert(offsetof(struct dsa_hw_desc, src_app_tag_seed) == 54, "update src app at 54");
static_assert(offsetof(struct dsa_hw_desc, ins_app_tag_mask) == 60, "insert app mask at 60");
static_assert(offsetof(struct dsa_hw_desc, dest_app_tag_seed) == 62, "update dst app at 62");
static_assert(offsetof(struct dsa_completion_record, dif_chk_app_tag) == 22, "chk app at 22");
static_assert(offsetof(struct dsa_completion_record, dif_upd_dest_ref_tag) == 24, "upd dst at 24");
static_assert(offsetof(struct dsa_completion_record, dif_ins_app_tag) == 30, "ins app at 30");

static const uint32_t dif_block_sizes[4] = {512, 520, 4096, 4104};

/* One DIF descriptor, decoded once. Tags for block k derive from the seeds. */
struct dif_ctx {
	uint8_t op;
	uint8_t sflags; /* source DIF flags (check, strip, update) */
	uint8_t dflags; /* destination DIF flags (insert, update) */
	bool check;	/* source tuples are verified */
	bool has_dst;
	bool want_guard; /* update computes the guard even when it is not checked */
	bool crc_inv;
	uint16_t crc_init;
	uint32_t bs; /* data bytes per block */
	uint32_t su; /* source bytes per block */
	uint32_t du; /* destination bytes per block */
	uint64_t nblocks;
	uint64_t src, dst;
	uint32_t sref;
	uint16_t sapp, smask;
	uint32_t dref;
	uint16_t dapp, dmask;
};

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_tuple(uint8_t *t, uint16_t guard, uint16_t app, uint32_t ref)
{
	t[0] = (uint8_t)(guard >> 8);
	t[1] = (uint8_t)guard;
	t[2] = (uint8_t)(app >> 8);
	t[3] = (uint8_t)app;
	t[4] = (uint8_t)(ref >> 24);
	t[5] = (uint8_t)(ref >> 16);
	t[6] = (uint8_t)(ref >> 8);
	t[7] = (uint8_t)ref;
}

/* Expected source tags of block k; tags wrap modulo their width. */
static inline uint32_t src_ref(const struct dif_ctx *c, uint64_t k)
{
	return (c->sflags & DIF_SRC_REF_FIXED) ? c->sref : c->sref + (uint32_t)k;
}

static inline uint16_t src_app(const struct dif_ctx *c, uint64_t k)
{
	return (c->sflags & DIF_SRC_APP_INC) ? (uint16_t)(c->sapp + k) : c->sapp;
}

/* Generated destination tags of block k (before masking). */
static inline uint32_t dst_ref(const struct dif_ctx *c, uint64_t k)
{
	return (c->dflags & DIF_DST_REF_FIXED) ? c->dref : c->dref + (uint32_t)k;
}

static inline uint16_t dst_app(const struct dif_ctx *c, uint64_t k)
{
	return (c->dflags & DIF_DST_APP_INC) ? (uint16_t)(c->dapp + k) : c->dapp;
}

static inline uint16_t dif_guard(const struct dif_ctx *c, const uint8_t *data)
{
	uint16_t g = crc16_t10dif(c->crc_init, data, c->bs);

	return c->crc_inv ? (uint16_t)~g : g;
}

/*
 * Verify the tuple of source block k (data at blk, tuple at blk + bs).
 * Returns the dif_status bits, 0 when the block passes or is skipped.
 * *ret_guard receives the computed guard (0 if none was computed).
 */
static uint8_t dif_verify(const struct dif_ctx *c, const uint8_t *blk, uint64_t k,
			  uint16_t *ret_guard)
{
	const uint8_t *t = blk + c->bs;
	uint16_t guard = get_be16(t), app = get_be16(t + 2);
	uint32_t ref = get_be32(t + 4);
	uint8_t f = c->sflags, st = 0;
	uint16_t crc = 0;
	bool skip = false;

	if ((f & DIF_SRC_ALL_F) && guard == 0xffff && app == 0xffff && ref == 0xffffffffu) {
		if (f & DIF_SRC_ALL_F_ERR) {
			*ret_guard = 0;
			return DIF_ERR_ALL_F;
		}
		skip = true;
	} else if ((f & DIF_SRC_APP_REF_F) && app == 0xffff && ref == 0xffffffffu) {
		skip = true;
	} else if ((f & DIF_SRC_APP_F) && app == 0xffff) {
		skip = true;
	}

	if (c->want_guard || (!skip && !(f & DIF_SRC_GUARD_CHK_DIS)))
		crc = dif_guard(c, blk);
	*ret_guard = crc;
	if (skip)
		return 0;
	if (!(f & DIF_SRC_GUARD_CHK_DIS) && crc != guard)
		st |= DIF_ERR_GUARD;
	if ((uint16_t)((app ^ src_app(c, k)) & ~c->smask))
		st |= DIF_ERR_APP;
	if (!(f & DIF_SRC_REF_CHK_DIS) && ref != src_ref(c, k))
		st |= DIF_ERR_REF;
	return st;
}

/* Produce the du destination bytes of block k from its source bytes. */
static void dif_emit(const struct dif_ctx *c, uint8_t *out, const uint8_t *in, uint64_t k,
		     uint16_t guard)
{
	const uint8_t *t = in + c->bs;
	uint16_t app;
	uint32_t ref;

	switch (c->op) {
	case DSA_OPCODE_DIF_STRP:
		memcpy(out, in, c->bs);
		return;
	case DSA_OPCODE_DIF_INS:
		/* Stitched copy + CRC: one pass over the data. */
		guard = crc16_t10dif_copy(c->crc_init, out, (uint8_t *)in, c->bs);
		if (c->crc_inv)
			guard = (uint16_t)~guard;
		put_tuple(out + c->bs, guard, dst_app(c, k), dst_ref(c, k));
		return;
	case DSA_OPCODE_DIF_UPDT:
		memcpy(out, in, c->bs);
		if (c->dflags & DIF_DST_GUARD_PASS)
			guard = get_be16(t);
		app = (c->dflags & DIF_DST_APP_PASS) ? get_be16(t + 2) : dst_app(c, k);
		ref = (c->dflags & DIF_DST_REF_PASS) ? get_be32(t + 4) : dst_ref(c, k);
		put_tuple(out + c->bs, guard, app, ref);
		return;
	}
}

/* Op-specific record fields (§6.1) for k completed blocks. */
static void dif_record_tags(struct dsa_exec *x, const struct dif_ctx *c, uint64_t k)
{
	struct dsa_completion_record *cr = &x->cr;

	switch (c->op) {
	case DSA_OPCODE_DIF_CHECK:
	case DSA_OPCODE_DIF_STRP:
		cr->dif_chk_ref_tag = src_ref(c, k);
		cr->dif_chk_app_tag_mask = c->smask;
		cr->dif_chk_app_tag = src_app(c, k);
		break;
	case DSA_OPCODE_DIF_INS:
		cr->dif_ins_ref_tag = dst_ref(c, k);
		cr->dif_ins_app_tag_mask = c->dmask;
		cr->dif_ins_app_tag = dst_app(c, k);
		break;
	case DSA_OPCODE_DIF_UPDT:
		cr->dif_upd_src_ref_tag = src_ref(c, k);
		cr->dif_upd_src_app_tag_mask = c->smask;
		cr->dif_upd_src_app_tag = src_app(c, k);
		cr->dif_upd_dest_ref_tag = dst_ref(c, k);
		cr->dif_upd_dest_app_tag_mask = c->dmask;
		cr->dif_upd_dest_app_tag = dst_app(c, k);
		break;
	}
}

/* Partial completion at block k: bytes_completed counts source bytes (§6.1, §9). */
static uint8_t dif_fault(struct dsa_exec *x, const struct dif_ctx *c, uint64_t k)
{
	dif_record_tags(x, c, k);
	return exec_fault_status(x, k * c->su);
}

static uint8_t dif_error(struct dsa_exec *x, const struct dif_ctx *c, uint64_t k, uint8_t st)
{
	dif_record_tags(x, c, k);
	x->cr.dif_status = st;
	x->cr.bytes_completed = (uint32_t)(k * c->su);
	return DSA_COMP_DIF_ERR;
}

/*
 * Slow path for one block that straddles a window end (a fault inside the
 * block, or a backend that caps windows): bounce it through the stack so the
 * copy helpers report the exact faulting byte. Returns 0 to continue.
 */
static uint8_t dif_one_block(struct dsa_exec *x, const struct dif_ctx *c, uint64_t k)
{
	uint8_t in[DIF_MAX_UNIT], out[DIF_MAX_UNIT];
	uint16_t guard = 0;
	uint8_t st;

	if (dma_read(&x->dma, in, c->src + k * c->su, c->su))
		return dif_fault(x, c, k);
	if (c->check) {
		st = dif_verify(c, in, k, &guard);
		if (st)
			return dif_error(x, c, k, st);
	}
	if (c->has_dst) {
		dif_emit(c, out, in, k, guard);
		if (dma_write(&x->dma, c->dst + k * c->du, out, c->du))
			return dif_fault(x, c, k);
	}
	x->bytes += c->su;
	return 0;
}

/*
 * Fill the destination window [0, wlen) for blocks k.. of the mapped source
 * and return how many whole blocks it holds. A trailing partial block is
 * written too, so that a window backed by a bounce buffer never writes back
 * bytes the operation did not produce.
 */
static uint64_t dif_emit_window(const struct dif_ctx *c, uint8_t *dst, uint64_t wlen,
				const uint8_t *src, uint64_t k, const uint16_t *guards)
{
	uint64_t nd = wlen / c->du, i;

	for (i = 0; i < nd; i++)
		dif_emit(c, dst + i * c->du, src + i * c->su, k + i, c->check ? guards[i] : 0);
	if (wlen > nd * c->du) {
		uint8_t out[DIF_MAX_UNIT];

		dif_emit(c, out, src + nd * c->su, k + nd, c->check ? guards[nd] : 0);
		memcpy(dst + nd * c->du, out, wlen - nd * c->du);
	}
	return nd;
}

/*
 * Main loop, chunk by chunk: map the source of up to DIF_CHUNK_MAX blocks,
 * verify them (pass 1), then map exactly the destination of the blocks that
 * passed and write it (pass 2). Everything before a failing or faulting
 * block is fully written before the status is returned.
 */
static uint8_t dif_run(struct dsa_exec *x, const struct dif_ctx *c)
{
	uint16_t guards[DIF_CHUNK_MAX];
	uint64_t chunk = DIF_CHUNK_BYTES / c->su, k = 0;

	if (chunk > DIF_CHUNK_MAX)
		chunk = DIF_CHUNK_MAX;
	while (k < c->nblocks) {
		struct dma_win ws, wd;
		uint64_t want = c->nblocks - k, ns, nok, nd, i;
		const uint8_t *s;
		uint8_t st = 0, r;

		if (want > chunk)
			want = chunk;
		if (dma_map(&x->dma, &ws, c->src + k * c->su, want * c->su, DMA_READ))
			return dif_fault(x, c, k);
		ns = ws.len / c->su;
		if (ns == 0) {
			dma_unmap(&x->dma, &ws);
			r = dif_one_block(x, c, k);
			if (r)
				return r;
			k++;
			continue;
		}
		s = ws.ptr;
		nok = ns;
		for (i = 0; c->check && i < ns; i++) {
			st = dif_verify(c, s + i * c->su, k + i, &guards[i]);
			if (st) {
				nok = i;
				break;
			}
		}
		nd = nok;
		if (c->has_dst && nok) {
			if (dma_map(&x->dma, &wd, c->dst + k * c->du, nok * c->du, DMA_WRITE)) {
				dma_unmap(&x->dma, &ws);
				return dif_fault(x, c, k);
			}
			nd = dif_emit_window(c, wd.ptr, wd.len, s, k, guards);
			if (dma_unmap(&x->dma, &wd)) {
				dma_unmap(&x->dma, &ws);
				return dif_fault(x, c, k);
			}
		}
		dma_unmap(&x->dma, &ws);
		x->bytes += nd * c->su;
		k += nd;
		if (nd < nok) {
			/* Short destination: the next block straddles a fault or a cap. */
			if (nd == 0) {
				r = dif_one_block(x, c, k);
				if (r)
					return r;
				k++;
			}
			continue;
		}
		if (st)
			return dif_error(x, c, k, st);
	}
	dif_record_tags(x, c, k);
	return DSA_COMP_SUCCESS;
}

static void dif_setup(struct dif_ctx *c, const struct dsa_exec *x)
{
	const struct dsa_hw_desc *d = &x->d;
	uint8_t f = d->dif_chk_flags; /* byte 42 in every variant */

	memset(c, 0, sizeof(*c));
	c->op = d->opcode;
	c->bs = dif_block_sizes[f & DIF_FLAG_BS_MASK];
	c->crc_init = (f & DIF_FLAG_INV_SEED) ? 0xffff : 0;
	c->crc_inv = f & DIF_FLAG_INV_CRC;
	c->src = d->src_addr;
	c->dst = d->dst_addr;
	switch (c->op) {
	case DSA_OPCODE_DIF_CHECK:
	case DSA_OPCODE_DIF_STRP:
		c->check = true;
		c->has_dst = c->op == DSA_OPCODE_DIF_STRP;
		c->sflags = d->src_dif_flags;
		c->sref = d->chk_ref_tag_seed;
		c->smask = d->chk_app_tag_mask;
		c->sapp = d->chk_app_tag_seed;
		c->su = c->bs + DIF_TUPLE;
		c->du = c->bs;
		break;
	case DSA_OPCODE_DIF_INS:
		c->has_dst = true;
		c->dflags = d->dest_dif_flag;
		c->dref = d->ins_ref_tag_seed;
		c->dmask = d->ins_app_tag_mask;
		c->dapp = d->ins_app_tag_seed;
		c->su = c->bs;
		c->du = c->bs + DIF_TUPLE;
		break;
	case DSA_OPCODE_DIF_UPDT:
		c->check = true;
		c->has_dst = true;
		c->sflags = d->src_upd_flags;
		c->dflags = d->upd_dest_flags;
		c->want_guard = !(c->dflags & DIF_DST_GUARD_PASS);
		c->sref = d->src_ref_tag_seed;
		c->smask = d->src_app_tag_mask;
		c->sapp = d->src_app_tag_seed;
		c->dref = d->dest_ref_tag_seed;
		c->dmask = d->dest_app_tag_mask;
		c->dapp = d->dest_app_tag_seed;
		c->su = c->bs + DIF_TUPLE;
		c->du = c->bs + DIF_TUPLE;
		break;
	}
	/* ops_check_dif() guaranteed a whole number of blocks. */
	c->nblocks = d->xfer_size / c->su;
}

static uint8_t dif_exec(struct dsa_exec *x)
{
	struct dif_ctx c;

	dif_setup(&c, x);
	return dif_run(x, &c);
}

uint8_t ops_dif_check(struct dsa_exec *x)
{
	return dif_exec(x);
}

uint8_t ops_dif_insert(struct dsa_exec *x)
{
	return dif_exec(x);
}

uint8_t ops_dif_strip(struct dsa_exec *x)
{
	return dif_exec(x);
}

uint8_t ops_dif_update(struct dsa_exec *x)
{
	return dif_exec(x);
}

static bool any_nonzero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return true;
	return false;
}

/*
 * Step 6 (§5.1): the *_res* bytes of the DIF descriptor variants, bits 7:4
 * of the DIF flags (byte 42) and bits 2:0 of the destination flags (byte 41).
 * Byte 41 is wholly reserved for Check/Strip, byte 40 for Insert.
 */
uint8_t ops_reserved_dif(const struct dsa_exec *x)
{
	const struct dsa_hw_desc *d = &x->d;
	bool bad;

	switch (d->opcode) {
	case DSA_OPCODE_DIF_CHECK:
	case DSA_OPCODE_DIF_STRP:
		bad = d->dif_chk_res || (d->dif_chk_flags & DIF_FLAG_RSVD) ||
		      any_nonzero(d->dif_chk_res2, sizeof(d->dif_chk_res2));
		break;
	case DSA_OPCODE_DIF_INS:
		bad = d->dif_ins_res || (d->dest_dif_flag & DIF_DST_RSVD) ||
		      (d->dif_ins_flags & DIF_FLAG_RSVD) ||
		      any_nonzero(d->dif_ins_res2, sizeof(d->dif_ins_res2));
		break;
	case DSA_OPCODE_DIF_UPDT:
		bad = (d->upd_dest_flags & DIF_DST_RSVD) || (d->dif_upd_flags & DIF_FLAG_RSVD) ||
		      any_nonzero(d->dif_upd_res, sizeof(d->dif_upd_res));
		break;
	default:
		return 0;
	}
	return bad ? DSA_COMP_NOZERO_RESERVE : 0;
}

/*
 * Steps 8-9 (§5.1), after the generic xfer_size range check: the size must
 * be whole blocks (0x13), then source and destination must not overlap
 * (0x16). Check has no destination, so its dst_addr is ignored (dsa_test
 * leaves a stale pointer there).
 */
uint8_t ops_check_dif(const struct dsa_exec *x)
{
	const struct dsa_hw_desc *d = &x->d;
	uint64_t bs = dif_block_sizes[d->dif_chk_flags & DIF_FLAG_BS_MASK];
	uint64_t slen = d->xfer_size, dlen;

	switch (d->opcode) {
	case DSA_OPCODE_DIF_CHECK:
		return (slen % (bs + DIF_TUPLE)) ? DSA_COMP_XFER_ERANGE : 0;
	case DSA_OPCODE_DIF_STRP:
		if (slen % (bs + DIF_TUPLE))
			return DSA_COMP_XFER_ERANGE;
		dlen = slen / (bs + DIF_TUPLE) * bs;
		break;
	case DSA_OPCODE_DIF_UPDT:
		if (slen % (bs + DIF_TUPLE))
			return DSA_COMP_XFER_ERANGE;
		dlen = slen;
		break;
	case DSA_OPCODE_DIF_INS:
		if (slen % bs)
			return DSA_COMP_XFER_ERANGE;
		dlen = slen / bs * (bs + DIF_TUPLE);
		break;
	default:
		return 0;
	}
	return checks_overlap(d->src_addr, slen, d->dst_addr, dlen) ? DSA_COMP_OVERLAP_BUFFERS : 0;
}
