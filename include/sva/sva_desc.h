/* SPDX-License-Identifier: MIT */
/*
 * Descriptor builders, one per DSA 1.0 operation, in the style of liburing's
 * io_uring_prep_*(). Each zeroes the 64-byte descriptor, sets the opcode and
 * the operation's fields, and requests a completion record at cr (CRAV|RCR)
 * when cr is not NULL. flags adds descriptor flags (IDXD_OP_FLAG_BOF,
 * IDXD_OP_FLAG_CC, IDXD_OP_FLAG_FENCE for batch members, ...). The record
 * must be 32-byte aligned and zeroed before submission; sva_prep_* zeroes
 * it for you. Descriptors and records live in caller memory, as with real
 * SVA; nothing here allocates.
 */
#ifndef SVA_DESC_H
#define SVA_DESC_H

#include <stdint.h>
#include <string.h>
#include <linux/idxd.h>

#define SVA_DIF_BLOCK_512	0
#define SVA_DIF_BLOCK_520	1
#define SVA_DIF_BLOCK_4096	2
#define SVA_DIF_BLOCK_4104	3
#define SVA_OP_FLAG_READ_CRC_SEED 0x10000u	/* CRC ops: seed from seed_addr */

static inline uint64_t sva__addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline void sva_prep_desc(struct dsa_hw_desc *d, uint8_t opcode, uint32_t flags,
				 struct dsa_completion_record *cr)
{
	memset(d, 0, sizeof(*d));
	d->opcode = opcode;
	d->flags = flags;
	if (cr) {
		memset(cr, 0, sizeof(*cr));
		d->flags |= IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
		d->completion_addr = sva__addr(cr);
	}
}

static inline void sva_prep_noop(struct dsa_hw_desc *d, struct dsa_completion_record *cr,
				 uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_NOOP, flags, cr);
}

/* Drain: completes after earlier descriptors (DWQ: all; SWQ: same PASID). */
static inline void sva_prep_drain(struct dsa_hw_desc *d, struct dsa_completion_record *cr,
				  uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_DRAIN, flags, cr);
}

/* Batch of count (2..max_batch_size) descriptors at list, 64-byte aligned. */
static inline void sva_prep_batch(struct dsa_hw_desc *d, const struct dsa_hw_desc *list,
				  uint32_t count, struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_BATCH, flags, cr);
	d->desc_list_addr = sva__addr(list);
	d->desc_count = count;
}

static inline void sva_prep_memmove(struct dsa_hw_desc *d, void *dst, const void *src,
				    uint32_t len, struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_MEMMOVE, flags, cr);
	d->src_addr = sva__addr(src);
	d->dst_addr = sva__addr(dst);
	d->xfer_size = len;
}

/* Fill with the 8-byte pattern, little-endian, any length. */
static inline void sva_prep_memfill(struct dsa_hw_desc *d, void *dst, uint64_t pattern,
				    uint32_t len, struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_MEMFILL, flags, cr);
	d->pattern = pattern;
	d->dst_addr = sva__addr(dst);
	d->xfer_size = len;
}

/* Compare: record result 0 equal, 1 different (bytes_completed = offset). */
static inline void sva_prep_compare(struct dsa_hw_desc *d, const void *src1, const void *src2,
				    uint32_t len, struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_COMPARE, flags, cr);
	d->src_addr = sva__addr(src1);
	d->src2_addr = sva__addr(src2);
	d->xfer_size = len;
}

static inline void sva_prep_compval(struct dsa_hw_desc *d, const void *src, uint64_t pattern,
				    uint32_t len, struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_COMPVAL, flags, cr);
	d->src_addr = sva__addr(src);
	d->comp_pattern = pattern;
	d->xfer_size = len;
}

/* Create delta record: orig vs changed, entries of 10 bytes into rec. */
static inline void sva_prep_cr_delta(struct dsa_hw_desc *d, const void *orig, const void *changed,
				     uint32_t len, void *rec, uint32_t max_rec,
				     struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_CR_DELTA, flags, cr);
	d->src_addr = sva__addr(orig);
	d->src2_addr = sva__addr(changed);
	d->xfer_size = len;
	d->delta_addr = sva__addr(rec);
	d->max_delta_size = max_rec;
}

static inline void sva_prep_ap_delta(struct dsa_hw_desc *d, void *dst, uint32_t len,
				     const void *rec, uint32_t rec_size,
				     struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_AP_DELTA, flags, cr);
	d->src_addr = sva__addr(rec);
	d->dst_addr = sva__addr(dst);
	d->xfer_size = len;
	d->delta_rec_size = rec_size;
}

/* Copy src to two destinations whose addresses agree in bits 11:0. */
static inline void sva_prep_dualcast(struct dsa_hw_desc *d, void *dst1, void *dst2,
				     const void *src, uint32_t len,
				     struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_DUALCAST, flags, cr);
	d->src_addr = sva__addr(src);
	d->dst_addr = sva__addr(dst1);
	d->dest2 = sva__addr(dst2);
	d->xfer_size = len;
}

/* CRC-32C with DSA's convention (seed 0 gives the standard CRC-32C). */
static inline void sva_prep_crcgen(struct dsa_hw_desc *d, const void *src, uint32_t len,
				   uint32_t seed, struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_CRCGEN, flags, cr);
	d->src_addr = sva__addr(src);
	d->xfer_size = len;
	d->crc_seed = seed;
}

static inline void sva_prep_copy_crc(struct dsa_hw_desc *d, void *dst, const void *src,
				     uint32_t len, uint32_t seed,
				     struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_crcgen(d, src, len, seed, cr, flags);
	d->opcode = DSA_OPCODE_COPY_CRC;
	d->dst_addr = sva__addr(dst);
}

/* DIF check of len = blocks * (block + 8) bytes; block is SVA_DIF_BLOCK_*. */
static inline void sva_prep_dif_check(struct dsa_hw_desc *d, const void *src, uint32_t len,
				      unsigned int block, uint8_t src_flags, uint32_t ref_tag,
				      uint16_t app_tag, uint16_t app_mask,
				      struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_DIF_CHECK, flags, cr);
	d->src_addr = sva__addr(src);
	d->xfer_size = len;
	d->src_dif_flags = src_flags;
	d->dif_chk_flags = (uint8_t)block;
	d->chk_ref_tag_seed = ref_tag;
	d->chk_app_tag_seed = app_tag;
	d->chk_app_tag_mask = app_mask;
}

static inline void sva_prep_dif_strip(struct dsa_hw_desc *d, void *dst, const void *src,
				      uint32_t len, unsigned int block, uint8_t src_flags,
				      uint32_t ref_tag, uint16_t app_tag, uint16_t app_mask,
				      struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_dif_check(d, src, len, block, src_flags, ref_tag, app_tag, app_mask, cr, flags);
	d->opcode = DSA_OPCODE_DIF_STRP;
	d->dst_addr = sva__addr(dst);
}

/* DIF insert: len = blocks * block data bytes; dst gets block + tuple each. */
static inline void sva_prep_dif_insert(struct dsa_hw_desc *d, void *dst, const void *src,
				       uint32_t len, unsigned int block, uint8_t dst_flags,
				       uint32_t ref_tag, uint16_t app_tag, uint16_t app_mask,
				       struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_DIF_INS, flags, cr);
	d->src_addr = sva__addr(src);
	d->dst_addr = sva__addr(dst);
	d->xfer_size = len;
	d->dest_dif_flag = dst_flags;
	d->dif_ins_flags = (uint8_t)block;
	d->ins_ref_tag_seed = ref_tag;
	d->ins_app_tag_seed = app_tag;
	d->ins_app_tag_mask = app_mask;
}

static inline void sva_prep_dif_update(struct dsa_hw_desc *d, void *dst, const void *src,
				       uint32_t len, unsigned int block, uint8_t src_flags,
				       uint8_t dst_flags, uint32_t src_ref, uint16_t src_app,
				       uint16_t src_mask, uint32_t dst_ref, uint16_t dst_app,
				       uint16_t dst_mask, struct dsa_completion_record *cr,
				       uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_DIF_UPDT, flags, cr);
	d->src_addr = sva__addr(src);
	d->dst_addr = sva__addr(dst);
	d->xfer_size = len;
	d->src_upd_flags = src_flags;
	d->upd_dest_flags = dst_flags;
	d->dif_upd_flags = (uint8_t)block;
	d->src_ref_tag_seed = src_ref;
	d->src_app_tag_seed = src_app;
	d->src_app_tag_mask = src_mask;
	d->dest_ref_tag_seed = dst_ref;
	d->dest_app_tag_seed = dst_app;
	d->dest_app_tag_mask = dst_mask;
}

/* Cache flush of [dst, dst + len); IDXD_OP_FLAG_CC keeps the lines. */
static inline void sva_prep_cflush(struct dsa_hw_desc *d, void *dst, uint32_t len,
				   struct dsa_completion_record *cr, uint32_t flags)
{
	sva_prep_desc(d, DSA_OPCODE_CFLUSH, flags, cr);
	d->dst_addr = sva__addr(dst);
	d->xfer_size = len;
}

#endif /* SVA_DESC_H */
