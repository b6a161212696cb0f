/* SPDX-License-Identifier: MIT */
/*
 * Description: randomized differential test of descriptor execution. Random
 * descriptors, valid and invalid (every opcode incl. unsupported ones, random
 * and reserved flags and fields, sizes 0 and above the WQ maximum, misaligned
 * records, overlaps, dualcast mismatches, batches with fences and failing
 * members, CRC seeds from memory, DIF with random flags and corrupted tuples,
 * delta create/apply, Check Result, random caps and WQ attributes) run on
 * three arenas with PROT_NONE, read-only, unmapped and injected not-present
 * pages. An independent byte-loop model of dsa-device.md §5-§9 predicts the
 * status, every record byte, SWERROR and every arena byte; the engine must
 * agree. SVA_TEST_SEED picks the seed, SVA_DIFF_ITERS the count (20000).
 * Not exercised: WQ ats_disable (§9 "may say success") and interrupts.
 *
 * Where the spec is silent or ambiguous the model reads it literally:
 *  A1  Step 6: dword 0 bits 30:20, the named op-specific reserved members and
 *      the DIF flag bits §6.1 calls reserved. Bytes 38-39 and unused
 *      op-specific bytes are ignored like unused addresses.
 *  A2  A missing required flag is reported by its own bit in invalid_flags
 *      (CRAV; RCR for a Drain with neither RCR nor RCI).
 *  A3  Interrupt handles are "later" (§13): step 7 never fails.
 *  A4  CC=1 needs GENCAP cache_control_mem, on Cache Flush cache_control_cache.
 *  A5  Delta xfer_size > 512 KiB is 0x13 (a transfer size); "not 8-byte
 *      aligned" covers the size and the data addresses: src1, src2 (Create),
 *      dst (Apply); the record address needs no alignment (docs/DECISIONS.md).
 *  A6  Step 9 runs in its listed order: 0x1c, 0x15, 0x17, 0x16.
 *  A7  Apply: delta_rec_size 0, not a multiple of 10 or above the WQ's
 *      max_transfer_size is 0x15; entries apply in order, a bad one stops
 *      with bytes_completed = 10 x applied; 0x07 before 0x08.
 *  A8  Create: max_delta_size is 80..max_transfer_size (0x15); the record
 *      range [delta_addr, +max_delta_size) must not overlap a source (0x16);
 *      entries are committed per 64-byte block, and a block that does not
 *      fit ends with result 2, bytes_completed = its offset (as real DSA,
 *      which guarantees room for one cache line's 8 entries: the 80 bytes).
 *  A9  At one offset the source faults first, then destinations in field
 *      order; fault_addr is compared at page granularity (§8: bits 11:0 may
 *      read 0). Descending memmove counts the copied tail.
 *  A10 A partial CRC is the CRC of the completed bytes (chainable, §6); a
 *      fault on the seed read gives bytes_completed 0 and crc_val 0.
 *  A11 Cache Flush faults as a read (§6: no data changes).
 *  A12 DIF: record tags are the next block's (seed + blocks done when
 *      incrementing), masks echoed, as dsa_test's resubmission expects; the
 *      app tag mask only excludes bits from the check ("excluded from the
 *      check"), generated tags are the seeds; dif_status ORs every failing
 *      check of the first failing block; all-F detect (bit 1) is evaluated
 *      first and bit 0 makes it error 0x08 instead of a skip; skipped blocks
 *      are still written; Insert ignores the pass-through bits. DIF and delta
 *      buffers never fault (§6.1 defines no partial DIF progress).
 *  A13 A record that cannot be written makes the status 0x1a (§12), so a batch
 *      counts that member as failed (0x05); dsa_result.status keeps the
 *      execution status (not architectural).
 *  A14 With CRAV=0 "errors" are statuses outside {0x01, 0x02, 0x05} (§8).
 *  A15 The list is read member by member (§7: descs_completed < count after a
 *      list fault), a Fence is seen once its member is read, 0x06 beats 0x05.
 *  A16 Batch members get disjoint memory, since §7 lets them run in any order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define PG		4096ull
#define USER_END	0x0000800000000000ull	/* end of 47-bit user space */
#define K_NP		1	/* not present: a page request resolves it */
#define K_INV		2	/* unmapped, PROT_NONE, or a write to a read-only page */
#define RD		DMA_READ
#define WR		DMA_WRITE
#define F_CRAV		IDXD_OP_FLAG_CRAV
#define F_RCR		IDXD_OP_FLAG_RCR
#define F_RCI		IDXD_OP_FLAG_RCI
#define F_RSEED		0x10000u	/* CRC: Read CRC Seed (§5.2) */
#define OPB(o)		(1ull << (o))
#define S_NOSIZE	(OPB(0x00) | OPB(0x01) | OPB(0x02))
#define S_CHKRES	(OPB(0x05) | OPB(0x06) | OPB(0x07))
#define S_CRC		(OPB(0x10) | OPB(0x11))
#define S_DIF		(OPB(0x12) | OPB(0x13) | OPB(0x14) | OPB(0x15))
#define S_RESULT	(S_CHKRES | S_CRC | S_DIF)

enum { PG_RW, PG_RO, PG_NONE, PG_HOLE };

struct arena {
	uint64_t lo, hi;	/* span: a PROT_NONE guard page at each end */
	uint8_t *shadow;	/* the model's image of the span */
	uint8_t st[528];	/* page states, guards included */
};

struct region {
	uint64_t lo, hi;	/* a descriptor's buffers stay inside [lo, hi) */
	bool faults;		/* bad pages and raw addresses allowed */
	bool inject;		/* not-present injections allowed */
};

struct rfault {
	uint64_t addr;
	int kind;
	bool write;
};

/* The prediction for one top-level descriptor. */
static struct {
	uint8_t status;		/* dsa_result.status: the execution status (A13) */
	bool rec, top;		/* any record written; the top-level one */
	uint8_t cr[32];
	uint32_t swcount;
	struct dsa_swerr sw;
	unsigned int nrec, nm;
	uint64_t rec_addr[128];	/* every record written, for the fault_addr rule */
	uint8_t mst[64];	/* batch members' final statuses, for reports */
} E;

static struct arena ar[3];	/* A: small, many bad pages; B: big; C: batch lists */
static struct { uint64_t page; unsigned int acc; } inj[32];
static unsigned int ninj;
static struct t_dev T;
static bool cur_priv;
static uint64_t hist[256];
static uint8_t tmp[3 << 20];
static const unsigned int dif_bs[4] = { 512, 520, 4096, 4104 };
static const uint64_t raw_addr[] = { 0, 0x40, 0xfc0, USER_END, 0xffff800000000000ull,
				     0x8000000000000000ull, 0xfffffffffffff000ull };

static uint64_t rnd(uint64_t n)
{
	return n ? t_rand() % n : 0;
}

static bool pct(unsigned int p)
{
	return rnd(100) < p;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Little- (be = false) or big-endian fields of n bytes. */
static uint64_t ld(const uint8_t *p, int n, bool be)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[be ? i : n - 1 - i];
	return v;
}

static void st(uint8_t *p, uint64_t v, int n, bool be)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[be ? n - 1 - i : i] = (uint8_t)v;
}

static bool in_set(uint64_t set, unsigned int op)
{
	return op < 64 && (set >> op & 1);
}

/* Ranges overlap; 128-bit ends so that a range wrapping past 2^64 counts. */
static bool ovl(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	unsigned __int128 ae = (unsigned __int128)a + al, be = (unsigned __int128)b + bl;

	return al && bl && a < be && b < ae;
}

/* memory model */

static struct arena *arena_of(uint64_t a)
{
	for (int i = 0; i < 3; i++)
		if (a >= ar[i].lo && a < ar[i].hi)
			return &ar[i];
	return NULL;
}

static int page_state(uint64_t a)
{
	struct arena *r = arena_of(a);

	return r ? r->st[(a - r->lo) / PG] : PG_NONE;
}

static uint8_t *shp(uint64_t a)
{
	struct arena *r = arena_of(a);

	if (!r)
		T_FATAL("model touched 0x%llx outside the arenas", (unsigned long long)a);
	return r->shadow + (a - r->lo);
}

/* How an access to the page of a faults, or 0. */
static int pg_kind(uint64_t a, unsigned int acc, bool bof)
{
	int s = page_state(a);

	if (a >= USER_END || (!arena_of(a) && a < PG))
		return K_INV;
	if (!arena_of(a))	/* only page 0 and >= 2^47 are generated raw */
		T_FATAL("generator bug: raw address 0x%llx", (unsigned long long)a);
	if (s == PG_NONE || s == PG_HOLE || (s == PG_RO && (acc & WR)))
		return K_INV;
	for (unsigned int i = 0; i < ninj; i++)
		if (!bof && inj[i].page == (a & ~(PG - 1)) && (inj[i].acc & acc))
			return K_NP;
	return 0;
}

/*
 * Streams walked up (down for a descending memmove) until the first (highest)
 * faulting byte, ties going to the lower index. Returns the bytes processed:
 * the head below the fault, or the tail above it.
 */
static uint64_t stream(const uint64_t *a, const unsigned int *acc, int nb, uint64_t n, bool bof,
		       bool down, struct rfault *f)
{
	int64_t lim = down ? -1 : (int64_t)n, o;

	for (int b = 0; b < nb; b++) {
		for (o = down ? (int64_t)n - 1 : 0; down ? o > lim : o < lim;) {
			uint64_t p = a[b] + (uint64_t)o;
			int k = pg_kind(p, acc[b], bof);

			if (k) {
				lim = o;
				*f = (struct rfault){ p, k, acc[b] == WR };
				break;
			}
			o = down ? o - (int64_t)(p & (PG - 1)) - 1 : o + (int64_t)(PG - (p & (PG - 1)));
		}
	}
	return down ? n - (uint64_t)(lim + 1) : (uint64_t)lim;
}

/* §9: 0x03 with BOF=0, 0x04 for what a page request cannot resolve; 0x80 on writes. */
static uint8_t fault_st(const struct rfault *f, bool bof, uint8_t *cr, uint64_t done)
{
	st(cr + 4, done, 4, false);
	st(cr + 8, f->addr, 8, false);
	return (uint8_t)(((bof && f->kind == K_INV) ? 0x04 : 0x03) | (f->write ? 0x80 : 0));
}

/* reference model: checks (§5.1 steps 2-9) */

static uint8_t ref_checks(const struct dsa_hw_desc *d, bool member, uint32_t *ret_bad)
{
	const uint8_t *b = (const uint8_t *)d;
	const struct dsa_caps *c = &T.caps;
	const struct dsa_wq_attr *w = &T.wq;
	unsigned int op = d->opcode, bs = dif_bs[b[42] & 3];
	uint32_t f = d->flags, ok, bad;
	uint64_t n = d->xfer_size, s = d->src_addr, t = d->dst_addr, x = ld(b + 40, 8, false);

	if (cur_priv && w->shared && !c->pasid_priv)
		return 0x1d;
	if ((f & F_CRAV) && (d->completion_addr & 31))
		return 0x1b;
	if (!(c->opcap[op / 64] >> (op % 64) & 1) || (member && (op == 1 || op == 2)))
		return 0x10;
	/* Step 5: CRAV, RCR, CRSTS and bits 9-15 are defined on every v1 op. */
	ok = F_CRAV | F_RCR | IDXD_OP_FLAG_CRSTS | 0xfe00;
	ok &= (c->gencap & GENCAP_DEST_READBACK) ? ~0u : ~(uint32_t)IDXD_OP_FLAG_DRDBK;
	ok |= member ? IDXD_OP_FLAG_FENCE : 0;
	ok |= (w->bof && !in_set(S_NOSIZE, op)) ? IDXD_OP_FLAG_BOF : 0;
	ok |= (cur_priv || c->user_int_en) ? F_RCI : 0;
	ok |= in_set(S_CHKRES, op) ? IDXD_OP_FLAG_CR : 0;
	ok |= (c->gencap & (op == 0x20 ? GENCAP_CC_CACHE : GENCAP_CC_MEM)) ? IDXD_OP_FLAG_CC : 0;
	ok |= in_set(S_CRC, op) ? F_RSEED : 0;
	bad = f & ~ok;
	bad |= (op == 2 && !(f & (F_RCR | F_RCI))) ? F_RCR : 0;
	bad |= (in_set(S_RESULT, op) && !(f & F_CRAV)) ? F_CRAV : 0;
	if ((*ret_bad = bad) != 0)
		return 0x11;
	/* Step 6 (A1). */
	if (d->rsvd || (in_set(S_CRC, op) && ld(b + 44, 4, false)) ||
	    (op == 7 && ld(b + 52, 4, false)))
		return 0x12;
	if (in_set(S_DIF, op) && ((b[42] & 0xf0) || ld(b + 43, 5, false) ||
				  (op == 0x13 ? b[40] || ld(b + 48, 8, false) || (b[41] & 7) :
				   op == 0x15 ? b[41] & 7 : b[41])))
		return 0x12;
	/* Step 8. */
	if (!in_set(S_NOSIZE, op) && (n == 0 || n > w->max_xfer))
		return 0x13;
	if (op == 1 && (n < 2 || n > w->max_batch))
		return 0x14;
	if (op == 1 && (d->desc_list_addr & 63))
		return 0x18;
	if ((in_set(S_DIF, op) && n % (op == 0x13 ? bs : bs + 8)) ||
	    ((op == 7 || op == 8) && n > 0x80000))				/* A5 */
		return 0x13;
	/* Step 9 (A6). */
	switch (op) {
	case 0x03:
		return (!(c->gencap & GENCAP_OVERLAP_COPY) && ovl(s, n, t, n)) ? 0x16 : 0;
	case 0x07:
		if ((s | t | n) & 7)
			return 0x1c;
		if (ld(b + 48, 4, false) < 80 || ld(b + 48, 4, false) > w->max_xfer)
			return 0x15;
		return (ovl(x, ld(b + 48, 4, false), s, n) || ovl(x, ld(b + 48, 4, false), t, n)) ?
			       0x16 : 0;
	case 0x08:
		x &= 0xffffffff;
		if ((t | n) & 7)
			return 0x1c;
		return (x == 0 || x % 10 || x > w->max_xfer) ? 0x15 : ovl(s, x, t, n) ? 0x16 : 0;
	case 0x09:
		if ((t ^ x) & 0xfff)
			return 0x17;
		return (ovl(s, n, t, n) || ovl(s, n, x, n) || ovl(t, n, x, n)) ? 0x16 : 0;
	case 0x10:
	case 0x11:
		if ((f & F_RSEED) && (ld(b + 48, 8, false) & 3))
			return 0x1c;
		return (op == 0x11 && ovl(s, n, t, n)) ? 0x16 : 0;
	case 0x13:
	case 0x14:
	case 0x15:
		x = op == 0x13 ? n / bs * (bs + 8) : op == 0x14 ? n / (bs + 8) * bs : n;
		return ovl(s, n, t, x) ? 0x16 : 0;
	}
	return 0;
}

/* reference model: operations (§6, §6.1) */

static uint16_t dif_guard(const uint8_t *p, unsigned int bs, uint8_t fl)
{
	uint16_t g = ref_crc16_t10dif((fl & 4) ? 0xffff : 0, p, bs);

	return (fl & 8) ? (uint16_t)~g : g;
}

/* Tags of block k: ref increments unless flag bit 7, app increments with bit 4. */
static uint32_t tag_ref(uint32_t seed, uint8_t fl, uint64_t k)
{
	return (fl & 0x80) ? seed : (uint32_t)(seed + k);
}

static uint16_t tag_app(uint16_t seed, uint8_t fl, uint64_t k)
{
	return (fl & 0x10) ? (uint16_t)(seed + k) : seed;
}

/* dif_status of block k against source flags sf (0: passed or skipped), A12. */
static uint8_t dif_check_blk(const uint8_t *p, unsigned int bs, uint8_t fl, uint8_t sf,
			     const uint8_t *seeds, uint64_t k)
{
	const uint8_t *t = p + bs;
	uint64_t a = ld(t + 2, 2, true), r = ld(t + 4, 4, true), mask = ld(seeds + 4, 2, false);
	uint8_t s = 0;

	if ((sf & 2) && ld(t, 8, true) == ~0ull)
		return (sf & 1) ? 8 : 0;
	if (((sf & 8) && a == 0xffff && r == 0xffffffff) || ((sf & 4) && a == 0xffff))
		return 0;
	if (!(sf & 0x20) && ld(t, 2, true) != dif_guard(p, bs, fl))
		s |= 1;
	if ((a ^ tag_app((uint16_t)ld(seeds + 6, 2, false), sf, k)) & ~mask & 0xffff)
		s |= 2;
	if (!(sf & 0x40) && r != tag_ref((uint32_t)ld(seeds, 4, false), sf, k))
		s |= 4;
	return s;
}

static uint8_t ref_dif(const struct dsa_hw_desc *d, uint8_t *cr)
{
	const uint8_t *b = (const uint8_t *)d;
	unsigned int op = d->opcode, bs = dif_bs[b[42] & 3], in_sz = op == 0x13 ? bs : bs + 8;
	uint8_t fl = b[42], sf = b[40], df = b[41], out[4104 + 8], s, ret = 1;
	uint64_t k, nblk = d->xfer_size / in_sz;

	for (k = 0; k < nblk; k++) {
		const uint8_t *in = shp(d->src_addr + k * in_sz);
		uint64_t g = dif_guard(in, bs, fl), a = tag_app((uint16_t)ld(b + 62, 2, false), df, k);
		uint64_t r = tag_ref((uint32_t)ld(b + 56, 4, false), df, k);

		if (op != 0x13 && (s = dif_check_blk(in, bs, fl, sf, b + 48, k)) != 0) {
			cr[1] = s;
			st(cr + 4, k * in_sz, 4, false);
			ret = 0x09;
			break;
		}
		if (op == 0x14)
			memcpy(shp(d->dst_addr + k * bs), in, bs);
		if (op != 0x13 && op != 0x15)
			continue;
		if (op == 0x15) {	/* pass-through copies the source field */
			g = (df & 0x20) ? ld(in + bs, 2, true) : g;
			a = (df & 0x08) ? ld(in + bs + 2, 2, true) : a;
			r = (df & 0x40) ? ld(in + bs + 4, 4, true) : r;
		}
		memcpy(out, in, bs);
		st(out + bs, g << 48 | a << 32 | r, 8, true);
		memcpy(shp(d->dst_addr + k * (bs + 8)), out, bs + 8);
	}
	if (op != 0x13) {	/* source tags at 16, destination tags at 24 */
		st(cr + 16, tag_ref((uint32_t)ld(b + 48, 4, false), sf, k), 4, false);
		st(cr + 20, ld(b + 52, 2, false), 2, false);
		st(cr + 22, tag_app((uint16_t)ld(b + 54, 2, false), sf, k), 2, false);
	}
	if (op == 0x13 || op == 0x15) {
		st(cr + 24, tag_ref((uint32_t)ld(b + 56, 4, false), df, k), 4, false);
		st(cr + 28, ld(b + 60, 2, false), 2, false);
		st(cr + 30, tag_app((uint16_t)ld(b + 62, 2, false), df, k), 2, false);
	}
	return ret;
}

static uint8_t ref_delta(const struct dsa_hw_desc *d, uint8_t *cr)
{
	const uint8_t *b = (const uint8_t *)d;
	uint64_t n = d->xfer_size, size = 0, prev = 0, off;

	if (d->opcode == 0x08) {	/* A7 */
		for (uint64_t j = 0; j < ld(b + 40, 4, false) / 10; j++, prev = off) {
			const uint8_t *p = shp(d->src_addr + 10 * j);

			off = ld(p, 2, false);
			if ((j && off <= prev) || off * 8 >= n) {
				st(cr + 4, 10 * j, 4, false);
				return (j && off <= prev) ? 0x07 : 0x08;
			}
			memcpy(shp(d->dst_addr + 8 * off), p + 2, 8);
		}
		return 0x01;
	}
	/* A8: entries are committed per 64-byte block (8 words), all or nothing. */
	for (uint64_t blk = 0; blk < n / 8; blk += 8) {
		uint8_t e[8 * 10];
		uint64_t k = 0;

		for (uint64_t w = blk; w < blk + 8 && w < n / 8; w++) {
			if (!memcmp(shp(d->src_addr + 8 * w), shp(d->src2_addr + 8 * w), 8))
				continue;
			st(e + 10 * k, w, 2, false);
			memcpy(e + 10 * k + 2, shp(d->src2_addr + 8 * w), 8);
			k++;
		}
		if (!k)
			continue;
		if (size + 10 * k > ld(b + 48, 4, false)) {
			cr[1] = 2;
			st(cr + 4, 8 * blk, 4, false);
			break;
		}
		cr[1] = 1;
		memcpy(shp(ld(b + 40, 8, false) + size), e, 10 * k);
		size += 10 * k;
	}
	st(cr + 16, size, 4, false);
	return ((d->flags & IDXD_OP_FLAG_CR) && !(b[56] >> cr[1] & 1)) ? 0x02 : 0x01;
}

static uint8_t ref_exec(const struct dsa_hw_desc *d, uint8_t *cr)
{
	const uint8_t *b = (const uint8_t *)d;
	unsigned int op = d->opcode, acc[3] = { RD, op == 0x05 || op == 0x20 ? RD : WR, WR };
	bool bof = d->flags & IDXD_OP_FLAG_BOF;
	uint64_t n = d->xfer_size, s = d->src_addr, t = d->dst_addr, o = n, i;
	uint64_t a[3] = { s, t, ld(b + 40, 8, false) }, sa = ld(b + 48, 8, false);
	uint64_t seed = ld(b + 40, 4, false);
	struct rfault f = { 0 };

	switch (op) {
	case 0x03:
		cr[1] = ovl(s, n, t, n) && t > s;	/* descending: the tail is copied */
		o = stream(a, acc, 2, n, bof, cr[1], &f);
		if (o) {	/* as if through a temporary buffer */
			memcpy(tmp, shp(s + (cr[1] ? n - o : 0)), o);
			memcpy(shp(t + (cr[1] ? n - o : 0)), tmp, o);
		}
		break;
	case 0x04:
		o = stream(a + 1, acc + 1, 1, n, bof, false, &f);
		for (i = 0; i < o; i++)
			shp(t)[i] = (uint8_t)(d->pattern >> 8 * (i % 8));
		break;
	case 0x05:
	case 0x06:
		o = stream(a, acc, op == 0x05 ? 2 : 1, n, bof, false, &f);
		for (i = 0; i < o; i++)
			if (shp(s)[i] != (op == 0x05 ? shp(t)[i] : (uint8_t)(t >> 8 * (i % 8))))
				break;
		if (i < o || o == n) {
			cr[1] = i < o;
			st(cr + 4, i < o ? i : 0, 4, false);
			return ((d->flags & IDXD_OP_FLAG_CR) && cr[1] != b[40]) ? 0x02 : 0x01;
		}
		break;
	case 0x09:
		o = stream(a, acc, 3, n, bof, false, &f);
		if (o) {
			memcpy(shp(t), shp(s), o);
			memcpy(shp(a[2]), shp(s), o);
		}
		break;
	case 0x10:
	case 0x11:
		if ((d->flags & F_RSEED) && (f.kind = pg_kind(sa, RD, bof)) != 0) {
			f.addr = sa;	/* A10 */
			return fault_st(&f, bof, cr, 0);
		}
		seed = (d->flags & F_RSEED) ? ld(shp(sa), 4, false) : seed;
		o = stream(a, acc, op == 0x11 ? 2 : 1, n, bof, false, &f);
		st(cr + 16, o ? ref_crc32c((uint32_t)seed, shp(s), o) : seed, 8, false);
		if (o && op == 0x11)
			memcpy(shp(t), shp(s), o);
		break;
	case 0x20:	/* A11 */
		o = stream(a + 1, acc + 1, 1, n, bof, false, &f);
		break;
	case 0x07:
	case 0x08:
		return ref_delta(d, cr);
	case 0x12:
	case 0x13:
	case 0x14:
	case 0x15:
		return ref_dif(d, cr);
	}
	return o < n ? fault_st(&f, bof, cr, o) : 0x01;	/* NOOP and Drain touch nothing */
}

/* reference model: routing (§5.1, §8) and batch (§7) */

static void ref_swerr(const struct dsa_hw_desc *d, uint8_t s, const uint8_t *cr, bool member,
		      uint16_t idx)
{
	if (E.swcount++)
		return;
	E.sw = (struct dsa_swerr){ .valid = true, .error = s & 0x7f, .fault_rw = s & 0x80,
				   .opcode = d->opcode, .batch = member, .batch_idx = idx,
				   .invalid_flags = (uint32_t)ld(cr + 16, 3, false),
				   .fault_addr = ld(cr + 8, 8, false) };
}

static uint8_t ref_one(const struct dsa_hw_desc *d, bool member, uint16_t idx);

static uint8_t ref_batch(const struct dsa_hw_desc *d, uint8_t *cr)
{
	uint32_t done = 0;
	bool failed = false;
	uint8_t ret = 0x01;

	for (uint32_t i = 0; i < d->desc_count; i++, done++) {
		uint64_t a = d->desc_list_addr + 64ull * i;
		struct dsa_hw_desc m;

		if (pg_kind(a, RD, true)) {	/* list reads block on fault (§9) */
			st(cr + 8, a, 8, false);
			ret = 0x06;
			break;
		}
		memcpy(&m, shp(a), 64);
		if ((m.flags & IDXD_OP_FLAG_FENCE) && failed)
			break;
		failed |= (ref_one(&m, true, (uint16_t)i) & 0x7f) != 0x01;
	}
	st(cr + 4, done, 4, false);
	return (ret == 0x01 && failed) ? 0x05 : ret;
}

/* Check, execute and route one descriptor; returns its final status (A13). */
static uint8_t ref_one(const struct dsa_hw_desc *d, bool member, uint16_t idx)
{
	uint8_t cr[32] = { 0 }, s, code;
	uint32_t bad = 0;
	uint64_t cra = d->completion_addr;
	bool ok;

	s = ref_checks(d, member, &bad);
	st(cr + 16, bad, 3, false);
	if (!s)
		s = d->opcode == 1 ? ref_batch(d, cr) : ref_exec(d, cr);
	E.status = member ? E.status : s;
	code = s & 0x7f;
	ok = code == 0x01 || code == 0x02 || code == 0x05;
	cr[0] = s;
	if (code == 0x1b || code == 0x1d || (!(d->flags & F_CRAV) && !ok)) {
		ref_swerr(d, s, cr, member, idx);
	} else if ((d->flags & F_CRAV) && ((d->flags & F_RCR) || !ok)) {
		if (pg_kind(cra, WR, true)) {	/* record writes block on fault (§9) */
			st(cr + 8, cra, 8, false);
			ref_swerr(d, 0x1a, cr, member, idx);
			s = 0x1a;
		} else {
			memcpy(shp(cra), cr, 32);
			E.rec_addr[E.nrec++ & 127] = cra;
			E.rec = true;	/* dsa_result counts member records too */
			E.top |= !member;
			if (!member)
				memcpy(E.cr, cr, 32);
		}
	}
	if (member && E.nm < 64)
		E.mst[E.nm++] = s;
	hist[s]++;
	return s;
}

/* generator */

/* Write both the arena and its shadow, on read-write pages only. */
static void put(uint64_t a, const void *p, uint64_t n)
{
	for (const uint8_t *s = p; n && a < USER_END;) {
		uint64_t k = min64(n, PG - (a & (PG - 1)));
		struct arena *r = arena_of(a);

		if (r && r->st[(a - r->lo) / PG] == PG_RW) {
			memcpy((void *)(uintptr_t)a, s, k);
			memcpy(r->shadow + (a - r->lo), s, k);
		}
		a += k;
		s += k;
		n -= k;
	}
}

/* A buffer for *n bytes in r (*n may shrink): often next to or on a bad page. */
static uint64_t pick(const struct region *r, uint64_t *n, uint64_t align, unsigned int acc)
{
	uint64_t a, len = min64(*n, r->hi - r->lo), bad[16], p;
	unsigned int nbad = 0;

	if (r->faults && pct(2)) {
		a = raw_addr[rnd(7)];
		*n = a < PG ? min64(*n, PG - a) : *n;
		return a;
	}
	for (p = r->lo; p < r->hi && nbad < 16; p += PG)
		if (page_state(p) != PG_RW)
			bad[nbad++] = p;
	p = nbad ? bad[rnd(nbad)] : 0;
	if (r->faults && nbad && pct(25))
		a = pct(70) ? p - min64(rnd(min64(len, 2 * PG) + 1), p - r->lo) : p + rnd(PG);
	else
		a = r->lo + rnd(r->hi - r->lo - len + 1);
	a &= ~(align - 1);
	*n = min64(*n, r->hi - a);
	if (r->inject && *n && ninj < 32 && pct(4)) {
		inj[ninj].page = (a + rnd(min64(*n, 8 * PG))) & ~(PG - 1);
		inj[ninj++].acc = pct(50) ? acc : RD | WR;
	}
	return a;
}

/* len bytes of read-write pages inside r; false if there is no such run. */
static bool pick_good(const struct region *r, uint64_t len, uint64_t align, uint64_t *ret)
{
	uint64_t run[64][2], p, q;
	unsigned int nrun = 0, k;

	for (p = r->lo; p < r->hi && nrun < 64; p = q + PG) {
		for (q = p; q < r->hi && page_state(q) == PG_RW; q += PG)
			;
		if (len && q - p >= len) {
			run[nrun][0] = p;
			run[nrun++][1] = q;
		}
	}
	if (!nrun)
		return false;
	k = (unsigned int)rnd(nrun);
	*ret = (run[k][0] + rnd(run[k][1] - run[k][0] - len + 1)) & ~(align - 1);
	return true;
}

/* dst := src with a few bytes (or words) changed, none half of the time. */
static void similar(uint64_t dst, uint64_t src, uint64_t n, bool words)
{
	uint64_t k = pct(50) ? 0 : pct(80) ? 1 + rnd(3) : rnd(n / 8 + 1), v, at;

	if (!arena_of(dst) || !arena_of(src) || !n)
		return;
	memcpy(tmp, shp(src), n);
	put(dst, tmp, n);
	while (k--) {
		v = t_rand();
		at = pct(30) ? n - 1 - rnd(min64(n, 16)) : rnd(n);
		put(words ? dst + (at & ~7ull) : dst + at, &v, words ? min64(8, n) : 1);
	}
}

static uint64_t gen_size(void)
{
	unsigned int x = (unsigned int)rnd(1000);

	if (x < 15)
		return 0;
	if (x < 700)
		return x < 400 ? 1 + rnd(64) : 65 + rnd(448);
	if (x < 970)
		return x < 920 ? 513 + rnd(7680) : 8193 + rnd(57344);
	if (x < 993)	/* up to just over 1 MiB, where bulk copies change strategy */
		return pct(50) ? 65537 + rnd(1 << 20) : (1 << 20) - 64 + rnd(1 << 16);
	return pct(50) ? T.wq.max_xfer + 1 + rnd(1000) : 0x80000000u + rnd(0x80000000u);
}

static uint32_t gen_flags(unsigned int op, bool member)
{
	unsigned int x = (unsigned int)rnd(100);
	uint32_t f = x < 72 ? F_CRAV | F_RCR : x < 86 ? F_CRAV : x < 94 ? 0 : F_RCR;

	f |= pct(25) ? IDXD_OP_FLAG_BOF : 0;
	f |= (member && pct(20)) ? IDXD_OP_FLAG_FENCE : 0;
	f |= (in_set(S_CHKRES, op) && pct(50)) ? IDXD_OP_FLAG_CR : 0;
	f |= (in_set(S_CRC, op) && pct(30)) ? F_RSEED : 0;
	f |= pct(8) ? IDXD_OP_FLAG_CC : 0;
	f |= pct(8) ? (uint32_t)rnd(0x80) << 9 | (pct(50) ? IDXD_OP_FLAG_CRSTS : 0) : 0;
	f |= (pct(3) || (op == 2 && pct(15))) ? F_RCI : 0;
	f &= (op == 2 && pct(15)) ? ~(uint32_t)F_RCR : ~0u;
	return f | (pct(4) ? 1u << rnd(24) : 0);
}

static unsigned int gen_opcode(bool member)
{
	static const uint8_t ops[] = { 0x00, 0x02, 0x03, 0x03, 0x03, 0x04, 0x04, 0x05, 0x05, 0x06,
				       0x06, 0x07, 0x07, 0x08, 0x08, 0x09, 0x09, 0x10, 0x10, 0x11,
				       0x11, 0x12, 0x13, 0x14, 0x15, 0x12, 0x13, 0x14, 0x15, 0x20 };
	unsigned int op;

	if (member && pct(4))
		return 1 + (unsigned int)rnd(2);	/* Batch or Drain in a batch: 0x10 */
	if (!pct(4))
		return ops[rnd(sizeof(ops))];
	do	/* unsupported on DSA 1.0 */
		op = (unsigned int)rnd(256);
	while (op <= 0x09 || (op >= 0x10 && op <= 0x15) || op == 0x20);
	return op;
}

static bool gen_dif(struct dsa_hw_desc *d, const struct region *r)
{
	static const uint8_t sf_pct[8] = { 30, 30, 10, 10, 30, 15, 15, 30 };
	uint8_t *b = (uint8_t *)d, sf = 0, df = (uint8_t)(rnd(256) & 0xf8), fl, *p;
	unsigned int op = d->opcode, bsi = (unsigned int)(pct(75) ? rnd(2) : 2 + rnd(2));
	unsigned int bs = 0, nb = 0, in_sz = 0, tries, k;
	uint64_t s = 0, t = t_rand(), slen = 0, dlen, x;
	uint32_t ref = (uint32_t)t_rand();
	uint16_t app = (uint16_t)t_rand(), mask = pct(50) ? 0 : (uint16_t)t_rand();

	for (k = 0; k < 8; k++)
		sf |= pct(sf_pct[k]) ? (uint8_t)(1 << k) : 0;
	for (tries = 0; tries < 8; tries++) {
		bsi &= tries < 4 ? 3 : 1;
		bs = dif_bs[bsi];
		nb = 1 + (unsigned int)rnd(bs > 520 ? 2 : tries < 4 ? 6 : 1);
		in_sz = op == 0x13 ? bs : bs + 8;
		slen = (uint64_t)nb * in_sz;
		dlen = op == 0x12 ? 0 : (uint64_t)nb * (op == 0x14 ? bs : bs + 8);
		if (pick_good(r, slen, 1, &s) && (!dlen || pick_good(r, dlen, 1, &t)))
			break;
	}
	if (tries == 8)
		return false;
	fl = (uint8_t)(bsi | rnd(4) << 2);
	for (k = 0; k < nb; k++) {	/* valid tuples, then maybe one corrupted */
		p = tmp + (uint64_t)k * in_sz;
		t_fill_random(p, bs);
		x = (uint64_t)dif_guard(p, bs, fl) << 48 | (uint64_t)tag_app(app, sf, k) << 32;
		if (op != 0x13)
			st(p + bs, (x ^ (t_rand() & mask) << 32) | tag_ref(ref, sf, k), 8, true);
	}
	if (op != 0x13 && pct(40)) {
		p = tmp + rnd(nb) * in_sz + bs;
		x = rnd(6);
		if (x < 3)
			p[x * 2 + rnd(2)] ^= (uint8_t)(1 << rnd(8));
		else	/* all-F tuple, app tag F, app and ref tag F */
			memset(p + (x == 3 ? 0 : 2), 0xff, x == 4 ? 2 : x == 3 ? 8 : 6);
	}
	put(s, tmp, slen);
	if (pct(50))
		t_fill_random(b + 40, 24);	/* unused bytes are ignored (A1) */
	memset(b + 40, 0, op == 0x13 ? 16 : 8);
	b[40] = op == 0x13 ? 0 : sf;
	b[41] = (op == 0x13 || op == 0x15) ? df : 0;
	b[42] = fl;
	st(b + (op == 0x13 ? 56 : 48), (uint64_t)app << 48 | (uint64_t)mask << 32 | ref, 8, false);
	if (op == 0x15)
		st(b + 56, (t_rand() << 32) | (pct(50) ? ref : (uint32_t)t_rand()), 8, false);
	if (pct(4))	/* a reserved bit or byte: 0x12 */
		b[pct(50) ? 42 : 43 + rnd(5)] |= (uint8_t)(0x10 << rnd(4));
	b[41] |= pct(3) ? (uint8_t)(1 << rnd(3)) : 0;
	d->src_addr = s;
	d->dst_addr = pct(5) ? s + rnd(slen) : t;	/* overlap: 0x16 */
	x = rnd(100);
	d->xfer_size = (uint32_t)(x < 6 ? slen + 1 + rnd(in_sz - 1) : x < 8 ? 0 : slen);
	return true;
}

static bool gen_delta(struct dsa_hw_desc *d, const struct region *r)
{
	uint8_t *b = (uint8_t *)d;
	uint64_t n = 8 * (1 + rnd(pct(90) ? 64 : 2048)), w = n / 8, s, t, need = 0, max, k, j;
	uint64_t cur = 0, v = 0, off;
	unsigned int x = (unsigned int)rnd(100);

	if (!pick_good(r, n, 8, &s) || !pick_good(r, n, 8, &t))
		return false;
	memset(b + 40, 0, 24);
	if (d->opcode == 0x07) {
		similar(t, s, n, true);
		for (j = 0; j < w; j++)
			need += memcmp(shp(s + 8 * j), shp(t + 8 * j), 8) ? 10 : 0;
		max = x < 70 ? (need < 80 ? 80 : need) + rnd(40) :
		      x < 85 ? 80 + rnd(need > 80 ? need - 80 : 1) : x < 95 ? rnd(80) : 0xffffffff;
		for (j = 0; j < 10; j++)	/* written bytes never overlap the sources (A8) */
			if (pick_good(r, min64(max, need) + 1, 8, &v) &&
			    !ovl(v, min64(max, need), s, n) && !ovl(v, min64(max, need), t, n))
				break;
		st(b + 40, v + (x == 99 ? 1 + rnd(7) : 0), 8, false);	/* 0x1c (A5) */
		st(b + 48, j == 10 ? rnd(80) : max, 4, false);
		b[56] = (uint8_t)rnd(256);
		b[52 + rnd(4)] = pct(2);
	} else {
		k = rnd(min64(w, 40) + 1);
		for (j = 0; j < k; j++, cur = off + 1) {	/* strictly increasing offsets */
			off = cur + rnd(w - cur - (k - j) + 1);
			st(tmp + 10 * j, off, 2, false);
			st(tmp + 10 * j + 2, t_rand(), 8, false);
		}
		if (k >= 2 && x < 8)
			memcpy(tmp + 10 * (k - 1), tmp + 10 * rnd(k - 1), 2);		/* 0x07 */
		else if (k && x < 14)
			st(tmp + 10 * rnd(k), min64(0xffff, w + rnd(4)), 2, false);	/* 0x08 */
		v = 10 * k + (pct(5) ? 1 + rnd(9) : 0);
		if (pct(8))
			s = t + 8 * rnd(w);	/* record inside dst: 0x16 */
		else if (!pick_good(r, v + 1, 8, &s))
			return false;
		put(s, tmp, v);
		st(b + 40, v, 4, false);
	}
	x = (unsigned int)rnd(100);
	if (x < 4)
		*(x & 1 ? &s : &t) += 1 + rnd(7);	/* 0x1c */
	n += x >= 4 && x < 7 ? 1 + rnd(7) : 0;	/* 0x1c */
	n = x >= 7 && x < 10 ? 0x80000 + 8 * (1 + rnd(8)) : n;	/* 0x13 (A5) */
	d->src_addr = s;
	d->dst_addr = t;
	d->xfer_size = (uint32_t)n;
	return true;
}

static void gen_op(struct dsa_hw_desc *d, const struct region *r0, bool member)
{
	struct region r = *r0;
	uint8_t *b = (uint8_t *)d;
	unsigned int op = gen_opcode(member);
	uint64_t n = gen_size(), xfer = n, u, s;
	bool sized = false;

	if (!member && n > 65536)	/* big buffers live in arena B */
		r = (struct region){ ar[1].lo, ar[1].hi, true, true };
	memset(d, 0, sizeof(*d));
	if (pct(3))
		t_fill_random(d, sizeof(*d));	/* garbage wherever the op sets nothing */
	d->opcode = op;
	d->flags = gen_flags(op, member);
	r.inject = !in_set(S_DIF, op) && op != 7 && op != 8;
	switch (op) {
	case 0x03:
		s = d->src_addr = pick(&r, &n, 1, RD);
		if (pct(20) && arena_of(s)) {	/* overlapping, either direction */
			u = s > r.lo + n ? s - n : r.lo;
			d->dst_addr = min64(u + rnd(s + n - u + 1), r.hi - 1);
			n = min64(n, r.hi - d->dst_addr);
		} else {
			d->dst_addr = pick(&r, &n, 1, WR);
		}
		break;
	case 0x04:
		d->pattern = pct(20) ? 0x0101010101010101ull * rnd(256) : t_rand();
		d->dst_addr = pick(&r, &n, 1, WR);
		break;
	case 0x05:
	case 0x06:
		s = d->src_addr = pick(&r, &n, 1, RD);
		if (op == 0x05) {
			d->src2_addr = pick(&r, &n, 1, RD);
			similar(d->src2_addr, s, n, false);
		} else {
			d->comp_pattern = pct(30) ? 0x0101010101010101ull * rnd(256) : t_rand();
			for (u = 0; u < n && arena_of(s); u++)
				tmp[u] = (uint8_t)(d->comp_pattern >> 8 * (u % 8));
			put(s, tmp, n);
			similar(s, s, n, false);
		}
		b[40] = (uint8_t)(pct(85) ? rnd(2) : rnd(256));
		break;
	case 0x09:
		d->src_addr = pick(&r, &n, 1, RD);
		d->dst_addr = pick(&r, &n, 1, WR);
		u = pick(&r, &n, 1, WR);
		if (pct(90) && arena_of(u))
			u = (u & ~0xfffull) | (d->dst_addr & 0xfff);
		if (pct(10) && n > PG && d->dst_addr + PG < r.hi)
			u = d->dst_addr + PG;	/* same bits 11:0, overlapping */
		n = min64(n, u < r.hi ? r.hi - u : n);
		st(b + 40, u, 8, false);
		break;
	case 0x10:
	case 0x11:
		s = d->src_addr = pick(&r, &n, 1, RD);
		if (op == 0x11)
			d->dst_addr = pct(5) ? s + rnd(n + 1) : pick(&r, &n, 1, WR);
		st(b + 40, t_rand(), 4, false);
		b[44 + rnd(4)] = pct(2);	/* crc_rsvd: 0x12 */
		if (d->flags & F_RSEED) {
			uint64_t four = 4, sa = pick(&r, &four, 4, RD), seed = t_rand();

			put(sa, &seed, 4);
			st(b + 48, sa | (pct(8) ? 1 + rnd(3) : 0), 8, false);
		}
		break;
	case 0x20:
		d->dst_addr = pick(&r, &n, 1, RD);
		break;
	case 0x07:
	case 0x08:
	case 0x12:
	case 0x13:
	case 0x14:
	case 0x15:
		sized = in_set(S_DIF, op) ? gen_dif(d, &r) : gen_delta(d, &r);
		n = 0;	/* no room for the buffers: xfer_size 0 */
		break;
	default:	/* NOOP, Drain and unsupported ops ignore the addresses */
		d->src_addr = t_rand();
		d->dst_addr = t_rand();
		break;
	}
	u = 32;
	r.faults = pct(35);	/* keep most records writable */
	d->completion_addr = pick(&r, &u, 32, WR) + (pct(3) ? 1 + rnd(31) : 0);
	if (pct(40))
		put(d->completion_addr, tmp + sizeof(tmp) - 64, 32);	/* zeroed by software */
	d->rsvd = pct(3) ? 1 + rnd(0x7ff) : d->rsvd;
	d->pasid = rnd(1 << 20);	/* PASID and Priv come from the submitter */
	d->priv = rnd(2);
	d->int_handle = pct(10) ? (uint16_t)rnd(65536) : 0;
	d->rsvd1 = pct(5) ? (uint16_t)rnd(65536) : 0;	/* ignored (A1) */
	if (!sized)
		d->xfer_size = (uint32_t)(xfer > T.wq.max_xfer ? xfer : n);
}

static void gen_batch(struct dsa_hw_desc *d)
{
	struct region rc = { ar[2].lo, ar[2].hi, true, true }, rm;
	uint64_t base = ar[2].lo + PG, list, u = 32, cp;
	uint32_t cnt, maxb = T.wq.max_batch;
	unsigned int x = (unsigned int)rnd(100), y = (unsigned int)rnd(100);
	struct arena *a;
	struct dsa_hw_desc m;

	memset(d, 0, sizeof(*d));
	d->opcode = 1;
	d->flags = gen_flags(1, false);
	cnt = (uint32_t)(x < 3 ? rnd(2) : x < 6 ? maxb + 1 + rnd(100) : 2 + rnd(x < 85 ? 7 : 63));
	if (y < 5)
		list = base + 64 * rnd(64) + 1 + rnd(63);		/* 0x18 */
	else if (y < 12)
		list = base + 6 * PG - 64 * (1 + rnd(min64(cnt, 64)));	/* runs into PROT_NONE */
	else
		list = y < 15 ? raw_addr[rnd(2) * 4] : base + 64 * rnd(80 - min64(cnt, 64) + 1);
	a = &ar[cnt <= 6 ? 0 : 1];
	cp = (cnt <= 6 ? 48 : 512) / (cnt ? cnt : 1) * PG;
	for (uint32_t i = 0; i < cnt && cnt <= 64; i++) {	/* disjoint chunks (A16) */
		rm = (struct region){ a->lo + PG + i * cp, a->lo + PG + (i + 1) * cp, true, true };
		gen_op(&m, &rm, true);
		put(list + 64 * i, &m, 64);
	}
	if (pct(5) && ninj < 32 && arena_of(list)) {	/* list reads resolve it */
		inj[ninj].page = list & ~(PG - 1);
		inj[ninj++].acc = RD;
	}
	d->completion_addr = pct(85) ? base + 5 * PG + 32 * rnd(128) : pick(&rc, &u, 32, WR);
	d->completion_addr += pct(3) ? 1 + rnd(31) : 0;
	put(d->completion_addr, tmp + sizeof(tmp) - 64, 32);
	d->desc_list_addr = list;
	d->desc_count = cnt;
	d->rsvd = pct(3);
	d->pasid = rnd(1 << 20);
	d->priv = rnd(2);
}

/* Random device and WQ attributes around the §1 defaults. */
static void setup_dev(void)
{
	static const uint8_t sup[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x10, 0x11, 0x12, 0x13,
				       0x14, 0x15, 0x20 };

	memset(&T.caps, 0, sizeof(T.caps));
	T.caps.gencap = 0x40915f0107ull;
	T.caps.opcap[0] = 0x3ffull | 0x3full << 16 | 1ull << 32;
	T.caps.gencap &= pct(10) ? ~GENCAP_OVERLAP_COPY : ~0ull;
	T.caps.gencap &= pct(5) ? ~GENCAP_CC_MEM : ~0ull;
	T.caps.gencap |= pct(10) ? GENCAP_CC_CACHE : 0;
	T.caps.gencap &= pct(5) ? ~GENCAP_DEST_READBACK : ~0ull;
	T.caps.opcap[0] &= pct(3) ? ~(1ull << sup[rnd(sizeof(sup))]) : ~0ull;
	T.caps.user_int_en = pct(5);
	T.caps.pasid_priv = pct(30);
	memset(&T.wq, 0, sizeof(T.wq));
	T.wq.shared = pct(50);
	T.wq.bof = pct(85);
	T.wq.max_xfer = pct(10) ? 1ull << (5 + rnd(16)) : 1ull << 31;
	T.wq.max_batch = pct(8) ? 1u << rnd(7) : 1024;
	cur_priv = pct(8);
}

/* verification */

static unsigned int nmis, ncat[256][5];
static const char *const kinds[5] = { "status", "record_written", "record bytes", "SWERROR",
				       "memory" };
static char msg[16384];
static size_t mlen;

__attribute__((format(printf, 1, 2))) static void add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (mlen < sizeof(msg))
		mlen += (size_t)vsnprintf(msg + mlen, sizeof(msg) - mlen, fmt, ap);
	va_end(ap);
}

static void hex(const char *tag, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add("%s%02x%s", i % 16 ? "" : tag, ((const uint8_t *)p)[i], i % 16 == 15 ? "\n" : " ");
}

static bool swerr_differs(const struct dsa_swerr *s)
{
	bool fault = s->error == 3 || s->error == 4 || s->error == 0x1a;

	return !s->valid || s->error != E.sw.error || s->opcode != E.sw.opcode ||
	       s->batch != E.sw.batch || (s->batch && s->batch_idx != E.sw.batch_idx) ||
	       s->pasid != T.pasid || s->priv != cur_priv ||
	       (s->error == 0x11 && s->invalid_flags != E.sw.invalid_flags) ||
	       (fault && s->error != 0x1a && s->fault_rw != E.sw.fault_rw) ||
	       (fault && (s->fault_addr ^ E.sw.fault_addr) >= PG);
}

/* Record a mismatch of kind k (the first one names the report). */
#define MISS(k, ...)                                    \
	do {                                            \
		kind = kind < 0 ? (k) : kind;           \
		add(__VA_ARGS__);                       \
	} while (0)

static void verify(uint64_t i, uint64_t seed, const struct dsa_hw_desc *d, const struct dsa_result *r)
{
	const struct dsa_swerr *s = &r->swerr;
	const uint8_t *real, *sh;
	uint64_t cra = d->completion_addr, p, o;
	int kind = -1;

	mlen = 0;
	for (unsigned int k = 0; k < E.nrec && k < 128; k++) {	/* fault_addr bits 11:0 (A9) */
		real = (const uint8_t *)(uintptr_t)E.rec_addr[k];
		if ((ld(real + 8, 8, false) ^ ld(shp(E.rec_addr[k]) + 8, 8, false)) < PG)
			memcpy(shp(E.rec_addr[k]) + 8, real + 8, 8);
	}
	if (E.top)
		memcpy(E.cr, shp(cra), 32);
	if (r->status != E.status)
		MISS(0, "status 0x%02x, expected 0x%02x\n", r->status, E.status);
	if (r->record_written != E.rec)
		MISS(1, "record_written %d, expected %d\n", r->record_written, E.rec);
	if (E.top && memcmp((void *)(uintptr_t)cra, E.cr, 32)) {
		MISS(2, "record at 0x%llx differs\n", (unsigned long long)cra);
		hex("  expected ", E.cr, 32);
		hex("  actual   ", (void *)(uintptr_t)cra, 32);
	}
	if (r->swerr_count != E.swcount || (E.swcount && swerr_differs(s)))
		MISS(3, "SWERROR x%u error 0x%02x op 0x%02x batch %d/%u flags 0x%x addr 0x%llx "
		     "rw %d, expected x%u 0x%02x op 0x%02x batch %d/%u flags 0x%x addr 0x%llx rw %d\n",
		     r->swerr_count, s->error, s->opcode, s->batch, s->batch_idx, s->invalid_flags,
		     (unsigned long long)s->fault_addr, s->fault_rw, E.swcount, E.sw.error,
		     E.sw.opcode, E.sw.batch, E.sw.batch_idx, E.sw.invalid_flags,
		     (unsigned long long)E.sw.fault_addr, E.sw.fault_rw);
	for (int a = 0; a < 3 && kind < 0; a++) {	/* every readable arena byte */
		for (p = ar[a].lo; p < ar[a].hi && kind < 0; p += PG) {
			real = (const uint8_t *)(uintptr_t)p;
			sh = shp(p);
			if (page_state(p) > PG_RO || !memcmp(real, sh, PG))
				continue;
			for (o = 0; real[o] == sh[o]; o++)
				;
			o &= ~15ull;
			MISS(4, "arena %c+0x%llx (0x%llx) differs:\n", 'A' + a,
			     (unsigned long long)(p + o - ar[a].lo), (unsigned long long)(p + o));
			hex("  expected ", sh + o, 16);
			hex("  actual   ", real + o, 16);
		}
	}
	if (kind < 0)
		return;
	nmis++;
	if (ncat[d->opcode][kind]++ < 2) {	/* details for the first two of each kind */
		fprintf(stderr, "MISMATCH seed 0x%llx descriptor #%llu (op 0x%02x %s, priv %d, "
			"wq shared %d bof %d max_xfer 0x%llx max_batch %u, gencap 0x%llx):\n%s",
			(unsigned long long)seed, (unsigned long long)i, d->opcode,
			dsa_opcode_name(d->opcode), cur_priv, T.wq.shared, T.wq.bof,
			(unsigned long long)T.wq.max_xfer, T.wq.max_batch,
			(unsigned long long)T.caps.gencap, msg);
		mlen = 0;
		hex("  desc ", d, 64);
		for (uint32_t k = 0; d->opcode == 1 && k < d->desc_count && k < E.nm; k++) {
			const uint8_t *m = shp(d->desc_list_addr + 64 * k);

			add("  member %u: op 0x%02x, expected final status 0x%02x\n", k, m[7],
			    E.mst[k]);
			hex("  member ", m, 64);
		}
		fputs(msg, stderr);
	}
	for (int a = 0; a < 3; a++)	/* resynchronise the model */
		for (p = ar[a].lo; p < ar[a].hi; p += PG)
			if (page_state(p) <= PG_RO)
				memcpy(shp(p), (void *)(uintptr_t)p, PG);
}

static void arena_init(struct arena *a, unsigned int npages, const unsigned int (*sp)[2],
		       unsigned int nsp)
{
	size_t span = (npages + 2) * PG;
	uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || !(a->shadow = malloc(span)))
		T_FATAL("arena allocation");
	t_fill_random(p, span);
	memcpy(a->shadow, p, span);
	a->lo = (uint64_t)(uintptr_t)p;
	a->hi = a->lo + span;
	a->st[0] = a->st[npages + 1] = PG_NONE;
	mprotect(p, PG, PROT_NONE);
	mprotect(p + span - PG, PG, PROT_NONE);
	for (unsigned int i = 0; i < nsp; i++) {
		a->st[sp[i][0] + 1] = (uint8_t)sp[i][1];
		if (sp[i][1] == PG_HOLE)
			munmap(p + (sp[i][0] + 1) * PG, PG);
		else
			mprotect(p + (sp[i][0] + 1) * PG, PG, sp[i][1] == PG_RO ? PROT_READ : PROT_NONE);
	}
}

int main(void)
{
	static const unsigned int sa[][2] = { { 9, PG_NONE }, { 17, PG_RO }, { 25, PG_HOLE },
					      { 33, PG_RO }, { 40, PG_NONE } };
	static const unsigned int sb[][2] = { { 515, PG_NONE }, { 517, PG_RO } };
	static const unsigned int sc[][2] = { { 6, PG_NONE }, { 7, PG_RO } };
	static const uint8_t need[] = { 0x01, 0x02, 0x03, 0x83, 0x04, 0x84, 0x05, 0x06, 0x07,
					0x08, 0x09, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
					0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d };
	uint64_t seed = t_seed(0xd1ff5eedull), iters = 20000, total = 0;
	const char *env = getenv("SVA_DIFF_ITERS");
	unsigned char vec;

	if (env)
		iters = strtoull(env, NULL, 0);
	if (t_page() != PG)
		T_SKIP("page size is not 4 KiB");
	t_dev_init(&T);
	arena_init(&ar[0], 48, sa, 5);
	arena_init(&ar[1], 520, sb, 2);
	arena_init(&ar[2], 8, sc, 2);
	memset(tmp + sizeof(tmp) - 64, 0, 64);
	for (uint64_t i = 0; i < iters; i++) {
		struct dsa_hw_desc d;
		struct dsa_result res;
		struct region r = { 0, 0, true, true };

		setup_dev();
		ninj = 0;
		if (pct(12)) {
			gen_batch(&d);
		} else {
			r.lo = ar[pct(35)].lo;
			r.hi = arena_of(r.lo)->hi;
			gen_op(&d, &r, false);
		}
		for (unsigned int k = 0; k < ninj; k++)
			if (atc_inject(as_atc(T.as), inj[k].page, inj[k].acc, DMA_FAULT_NOT_PRESENT))
				T_FATAL("atc_inject");
		memset(&E, 0, sizeof(E));
		ref_one(&d, false, 0);
		if (cur_priv)	/* t_exec() submits with Priv=0 */
			dsa_exec_desc(&T.caps, &T.wq, T.as, T.pasid, true, &d, &res);
		else
			t_exec(&T, &d, &res);
		atc_inject_clear(as_atc(T.as));
		verify(i, seed, &d, &res);
		/* The model needs the hole to stay unmapped. */
		if (mincore((void *)(uintptr_t)(ar[0].lo + 26 * PG), PG, &vec) == 0)
			T_FATAL("the arena hole was mapped by someone else");
	}
	printf("status histogram (top-level descriptors and batch members):\n");
	for (unsigned int s = 0; s < 256; s++) {
		total += hist[s];
		if (hist[s])
			printf("  0x%02x %-40s %8llu\n", s, dsa_status_name((uint8_t)s),
			       (unsigned long long)hist[s]);
	}
	for (unsigned int op = 0; op < 256; op++)
		for (int k = 0; k < 5; k++)
			if (ncat[op][k])
				printf("mismatches: op 0x%02x %-10s %-14s %u\n", op,
				       dsa_opcode_name((uint8_t)op), kinds[k], ncat[op][k]);
	printf("%llu descriptors checked (%llu top-level), %u mismatches\n",
	       (unsigned long long)total, (unsigned long long)iters, nmis);
	for (unsigned int k = 0; k < sizeof(need) && iters >= 10000; k++)
		T_CHECK(hist[need[k]], "status 0x%02x never produced: coverage lost", need[k]);
	t_failures += (int)nmis;
	t_dev_exit(&T);
	return t_done("differential");
}
