/* SPDX-License-Identifier: MIT */
/*
 * Create Delta Record (0x07) and Apply Delta Record (0x08), dsa-device.md §6.
 *
 * A delta record is a packed array of 10-byte entries, each a little-endian
 * u16 word offset followed by the u64 word of source 2 (Intel DML
 * dml_ref_create_delta()). Offsets count 8-byte words, so 16 bits address at
 * most 65536 words: the 512 KiB (0x80000) transfer limit of both operations.
 * The record itself is a byte stream of 10-byte entries and has no alignment
 * requirement: status 0x1c names only Source1, Source2, Destination and
 * Transfer Size (DSA spec, completion status table).
 *
 * Create works in 64-byte blocks of the transfer. A block yields at most
 * 8 entries (80 bytes), which is why max_delta_size must be at least 80
 * ("must not be less than the maximum number of deltas that can be generated
 * from a single cache line (80 bytes)", intel/dsa-perf-micros, citing the
 * spec). A block's entries are written together or not at all: when they do
 * not fit, the operation stops with result 2 before the block, so
 * bytes_completed and delta_rec_size describe a record that can be applied
 * as is and a remainder that can be resubmitted (the DML low-level API
 * guide describes result 2 the same way: the record size reached before the
 * overflow, and the number of bytes still to compare).
 */
#include <string.h>

#include "dsa.h"

#define DELTA_ENTRY	  10u	   /* u16 offset + u64 data */
#define DELTA_MAX_XFER	  0x80000u /* 65536 words of 8 bytes */
#define DELTA_MIN_RECORD  80u	   /* the entries of one 64-byte block */
#define DELTA_BLOCK	  64u
#define DELTA_BLOCK_WORDS (DELTA_BLOCK / 8u)

/* Create Delta Record result values (completion record byte 1). */
enum {
	CR_DELTA_EQUAL = 0,    /* no difference, nothing written */
	CR_DELTA_WRITTEN = 1,  /* every difference is in the record */
	CR_DELTA_OVERFLOW = 2, /* the record would exceed max_delta_size */
};

static void delta_put_entry(uint8_t *e, uint16_t word, uint64_t val)
{
	/* Explicit little-endian layout, independent of the host. */
	e[0] = (uint8_t)word;
	e[1] = (uint8_t)(word >> 8);
	for (unsigned int i = 0; i < 8; i++)
		e[2 + i] = (uint8_t)(val >> (8 * i));
}

static void delta_get_entry(const uint8_t *e, uint16_t *word, uint64_t *val)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)e[2 + i] << (8 * i);
	*word = (uint16_t)(e[0] | e[1] << 8);
	*val = v;
}

static uint64_t delta_load(const uint8_t *p)
{
	uint64_t v;

	/* Windows of remote spaces are bounce buffers of unknown alignment. */
	memcpy(&v, p, sizeof(v));
	return v;
}

/* step 8/9 checks (dsa-device.md §5.1) */

uint8_t ops_check_cr_delta(const struct dsa_exec *x)
{
	const struct dsa_hw_desc *d = &x->d;

	/* Step 8 sizes; the engine has already refused 0 and sizes above the WQ maximum. */
	if (d->xfer_size > DELTA_MAX_XFER)
		return DSA_COMP_XFER_ERANGE;
	/*
	 * max_delta_size: at least one block's worth of entries, and no larger
	 * than a transfer (DML low-level API guide, "Create Delta Record").
	 * It need not be a multiple of 10: intel/idxd-config dsa_test passes
	 * 2 * xfer_size (at least 80), and only whole entries are ever written.
	 */
	/* Alignment before delta sizes: dsa-device.md §5.1 step 9 order. */
	if ((d->src_addr | d->src2_addr | d->xfer_size) & 7)
		return DSA_COMP_ADDR_ALIGN;
	if (d->max_delta_size < DELTA_MIN_RECORD || d->max_delta_size > x->wq->max_xfer)
		return DSA_COMP_DR_ERANGE;
	/* The record is written while both sources are read. */
	if (checks_overlap(d->delta_addr, d->max_delta_size, d->src_addr, d->xfer_size) ||
	    checks_overlap(d->delta_addr, d->max_delta_size, d->src2_addr, d->xfer_size))
		return DSA_COMP_OVERLAP_BUFFERS;
	return 0;
}

uint8_t ops_check_ap_delta(const struct dsa_exec *x)
{
	const struct dsa_hw_desc *d = &x->d;

	if (d->xfer_size > DELTA_MAX_XFER)
		return DSA_COMP_XFER_ERANGE;
	/*
	 * delta_rec_size: whole entries, at least one, and bounded like
	 * max_delta_size. A longer record than (xfer_size / 8) entries cannot
	 * be valid, but that is found while applying (0x07/0x08), as the
	 * device reads the record in order.
	 */
	if ((d->dst_addr | d->xfer_size) & 7)
		return DSA_COMP_ADDR_ALIGN;
	if (d->delta_rec_size == 0 || d->delta_rec_size % DELTA_ENTRY ||
	    d->delta_rec_size > x->wq->max_xfer)
		return DSA_COMP_DR_ERANGE;
	if (checks_overlap(d->src_addr, d->delta_rec_size, d->dst_addr, d->xfer_size))
		return DSA_COMP_OVERLAP_BUFFERS;
	return 0;
}

/* Create Delta Record */

struct cr_delta {
	uint64_t blk;	/* transfer offset of the block being compared */
	uint32_t rec;	/* record bytes written, blocks before blk */
	unsigned int n; /* entries of the current block, not yet written */
	uint8_t ent[DELTA_BLOCK_WORDS * DELTA_ENTRY];
};

enum { CR_GO, CR_OVERFLOW, CR_FAULT };

/*
 * Write the pending entries of the block [s->blk, end) and start the next
 * block at end. A block whose entries do not fit ends the operation with
 * result 2; the record then holds exactly the blocks before it.
 */
static int cr_delta_commit(struct dsa_exec *x, struct cr_delta *s, uint64_t end)
{
	uint32_t len = s->n * DELTA_ENTRY;

	if (len) {
		if ((uint64_t)s->rec + len > x->d.max_delta_size)
			return CR_OVERFLOW;
		if (dma_write(&x->dma, x->d.delta_addr + s->rec, s->ent, len))
			return CR_FAULT;
		s->rec += len;
		s->n = 0;
	}
	s->blk = end;
	return CR_GO;
}

/* Compare one word pair; at a block end (or the end) write the block. */
static int cr_delta_word(struct dsa_exec *x, struct cr_delta *s, uint64_t off, uint64_t a,
			 uint64_t b)
{
	uint64_t end = off + 8;

	if (a != b)
		delta_put_entry(&s->ent[s->n++ * DELTA_ENTRY], (uint16_t)(off / 8), b);
	if (end % DELTA_BLOCK == 0 || end == x->d.xfer_size)
		return cr_delta_commit(x, s, end);
	return CR_GO;
}

/*
 * A source faults at off (x->dma.fault is set). The words compared since the
 * last block end form a partial block: write it now, so that the record
 * covers exactly the bytes reported as completed (§9). It may still overflow,
 * and its write may fault first; either outcome replaces the read fault.
 */
static int cr_delta_source_fault(struct dsa_exec *x, struct cr_delta *s, uint64_t off)
{
	struct dma_fault f = x->dma.fault;
	int r = cr_delta_commit(x, s, off);

	if (r != CR_GO)
		return r;
	x->dma.fault = f;
	return CR_FAULT;
}

static uint8_t cr_delta_status(struct dsa_exec *x, uint8_t result)
{
	x->cr.result = result;
	/* Check Result: bit n of expected_res_mask set means result n is expected. */
	if ((x->d.flags & IDXD_OP_FLAG_CR) && !(x->d.expected_res_mask & (1u << result)))
		return DSA_COMP_SUCCESS_PRED;
	return DSA_COMP_SUCCESS;
}

uint8_t ops_cr_delta(struct dsa_exec *x)
{
	const uint64_t addr[2] = {x->d.src_addr, x->d.src2_addr};
	const unsigned int access[2] = {DMA_READ, DMA_READ};
	const uint64_t xfer = x->d.xfer_size;
	struct cr_delta s = {0};
	struct dma_win w[2];
	uint64_t off = 0;
	int r = CR_GO;

	while (off < xfer && r == CR_GO) {
		uint64_t len = exec_map_streams(x, w, addr, access, 2, off, xfer - off);
		uint64_t words = len / 8;

		if (len == 0) {
			r = cr_delta_source_fault(x, &s, off);
			break;
		}
		if (words == 0) {
			/*
			 * A window shorter than a word is a backend cap, not a
			 * fault (faults are page granular and the sources 8-byte
			 * aligned): read this word through the copy helpers.
			 */
			uint8_t a[8], b[8];

			exec_unmap_streams(x, w, 2);
			if (dma_read(&x->dma, a, addr[0] + off, 8) ||
			    dma_read(&x->dma, b, addr[1] + off, 8)) {
				r = cr_delta_source_fault(x, &s, off);
				break;
			}
			r = cr_delta_word(x, &s, off, delta_load(a), delta_load(b));
			off += 8;
			continue;
		}
		for (uint64_t i = 0; i < words && r == CR_GO; i++) {
			const uint8_t *p1 = (const uint8_t *)w[0].ptr + 8 * i;
			const uint8_t *p2 = (const uint8_t *)w[1].ptr + 8 * i;

			r = cr_delta_word(x, &s, off, delta_load(p1), delta_load(p2));
			off += 8;
		}
		exec_unmap_streams(x, w, 2);
	}

	x->cr.delta_rec_size = s.rec;
	switch (r) {
	case CR_OVERFLOW:
		/* Everything before the block that did not fit was compared. */
		x->cr.bytes_completed = (uint32_t)s.blk;
		x->bytes = s.blk;
		return cr_delta_status(x, CR_DELTA_OVERFLOW);
	case CR_FAULT:
		/*
		 * A source read faults at off, or a record write faults within
		 * the block at s.blk: the record holds the entries of the first
		 * s.blk bytes either way (§9: all completed bytes are written).
		 */
		x->cr.result = s.rec ? CR_DELTA_WRITTEN : CR_DELTA_EQUAL;
		x->bytes = s.blk;
		return exec_fault_status(x, s.blk);
	default:
		x->bytes = xfer;
		return cr_delta_status(x, s.rec ? CR_DELTA_WRITTEN : CR_DELTA_EQUAL);
	}
}

/* Apply Delta Record */

/* Apply the entry at record offset pos; prev is the previous word offset. */
static uint8_t ap_delta_entry(struct dsa_exec *x, uint64_t pos, int *prev)
{
	uint8_t e[DELTA_ENTRY];
	uint16_t word;
	uint64_t val;

	if (dma_read(&x->dma, e, x->d.src_addr + pos, DELTA_ENTRY))
		return exec_fault_status(x, pos);
	delta_get_entry(e, &word, &val);
	if ((int)word <= *prev)
		return DSA_COMP_DR_OFFSET_NOINC;
	if (word >= x->d.xfer_size / 8)
		return DSA_COMP_DR_OFFSET_ERANGE;
	/* The record holds little-endian words, as memory does. */
	for (unsigned int i = 0; i < 8; i++)
		e[i] = (uint8_t)(val >> (8 * i));
	if (dma_write(&x->dma, x->d.dst_addr + 8ull * word, e, 8))
		return exec_fault_status(x, pos);
	*prev = word;
	return DSA_COMP_SUCCESS;
}

uint8_t ops_ap_delta(struct dsa_exec *x)
{
	uint8_t st = DSA_COMP_SUCCESS;
	int prev = -1;
	uint64_t pos;

	/*
	 * Entries are read and applied in record order, so on any error the
	 * entries before the failing one are applied and bytes_completed
	 * counts their record bytes: the record remainder can be resubmitted
	 * with src and delta_rec_size adjusted, dst and xfer_size unchanged.
	 * 0x07/0x08 report it too, which locates the bad entry.
	 */
	for (pos = 0; pos < x->d.delta_rec_size; pos += DELTA_ENTRY) {
		st = ap_delta_entry(x, pos, &prev);
		if (st != DSA_COMP_SUCCESS) {
			x->cr.bytes_completed = (uint32_t)pos;
			break;
		}
	}
	x->bytes = pos;
	return st;
}
