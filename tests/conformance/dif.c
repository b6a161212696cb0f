/* SPDX-License-Identifier: MIT */
/*
 * Description: DIF Check/Insert/Strip/Update (0x12-0x15) against a byte-loop
 * reference written here (ref_crc16_t10dif, big-endian tuple builders): the
 * four block sizes, every source and destination flag bit (skip rules, all-F
 * detect and error, app tag masks, fixed and incrementing tags with
 * wrap-around, Update pass-through, CRC seed/result inversion), the record
 * tags (seeds of the first block not completed), exact error block with
 * dif_status and bytes_completed, dsa_test's own descriptors, sizes up to
 * 4 MiB, unaligned buffers, size multiples (0x13), reserved fields (0x12),
 * overlap (0x16), page faults at an unmapped guard page (0x03/0x83) with
 * resubmission from the record, and injected faults with BOF (0x04).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define OP_CHK DSA_OPCODE_DIF_CHECK
#define OP_INS DSA_OPCODE_DIF_INS
#define OP_STR DSA_OPCODE_DIF_STRP
#define OP_UPD DSA_OPCODE_DIF_UPDT

static struct t_dev dev;
/* In mapped memory: the record page is probed by the DMA layer as a whole. */
static struct dsa_completion_record *cr;
static const uint32_t bsz[4] = {512, 520, 4096, 4104};
static const uint8_t ops[4] = {OP_CHK, OP_INS, OP_STR, OP_UPD};

/* One DIF job; the descriptor is built from it. */
struct job {
	uint8_t op;
	uint8_t flags;		/* byte 42: block size, seed/result inversion */
	uint8_t sflags, dflags; /* bytes 40 / 41 */
	uint32_t sref, dref;
	uint16_t sapp, smask, dapp, dmask;
	uint32_t n; /* blocks */
};

/* What the reference predicts. */
struct want {
	uint8_t status;
	uint8_t dif_status;
	uint32_t k; /* blocks completed */
};

/* A job without masks: op, byte 42, bytes 40/41, source and destination seeds, blocks. */
static struct job mkjob(uint8_t op, uint8_t flags, uint8_t sflags, uint8_t dflags, uint32_t sref,
			uint16_t sapp, uint32_t dref, uint16_t dapp, uint32_t n)
{
	return (struct job){op, flags, sflags, dflags, sref, dref, sapp, 0, dapp, 0, n};
}

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Block size, source and destination bytes per block (Check has no destination). */
#define bs_of(j) bsz[(j)->flags & 3]
#define su_of(j) (bs_of(j) + ((j)->op == OP_INS ? 0 : 8))
#define du_of(j) ((j)->op == OP_CHK ? 0 : bs_of(j) + ((j)->op == OP_STR ? 0 : 8))
/* Big-endian tuple fields */
#define get16(p) ((uint16_t)((p)[0] << 8 | (p)[1]))
#define get32(p) ((uint32_t)get16(p) << 16 | get16((p) + 2))

static void put_tuple(uint8_t *t, uint16_t g, uint16_t ap, uint32_t rf)
{
	uint64_t v = (uint64_t)g << 48 | (uint64_t)ap << 32 | rf;

	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Guard with byte-42 bits 2 (init 0xFFFF) and 3 (inverted result). */
static uint16_t ref_guard(const struct job *j, const uint8_t *data)
{
	uint16_t g = ref_crc16_t10dif((j->flags & 4) ? 0xffff : 0, data, bs_of(j));

	return (j->flags & 8) ? (uint16_t)~g : g;
}

/* Tags of block k: ref is fixed with bit 7, app is incrementing with bit 4. */
#define sref_k(j, k) ((uint32_t)((j)->sref + ((j)->sflags & 0x80 ? 0 : (k))))
#define sapp_k(j, k) ((uint16_t)((j)->sapp + ((j)->sflags & 0x10 ? (k) : 0)))
#define dref_k(j, k) ((uint32_t)((j)->dref + ((j)->dflags & 0x80 ? 0 : (k))))
#define dapp_k(j, k) ((uint16_t)((j)->dapp + ((j)->dflags & 0x10 ? (k) : 0)))

/* Random data and, for ops with a source tuple, a tuple that passes. */
static void build_src(const struct job *j, uint8_t *src)
{
	uint32_t bs = bs_of(j), su = su_of(j);

	for (uint32_t k = 0; k < j->n; k++) {
		uint8_t *b = src + (uint64_t)k * su;

		t_fill_random(b, bs);
		if (j->op != OP_INS)
			put_tuple(b + bs, ref_guard(j, b), sapp_k(j, k) ^ (t_rand() & j->smask),
				  sref_k(j, k));
	}
}

static uint8_t ref_verify(const struct job *j, const uint8_t *blk, uint32_t k)
{
	const uint8_t *t = blk + bs_of(j);
	uint16_t g = get16(t), ap = get16(t + 2);
	uint32_t rf = get32(t + 4);
	bool all_f = g == 0xffff && ap == 0xffff && rf == 0xffffffff;
	uint8_t st = 0;

	if ((j->sflags & 3) == 3 && all_f)
		return 0x08;
	if (((j->sflags & 2) && all_f) || ((j->sflags & 8) && ap == 0xffff && rf == 0xffffffff) ||
	    ((j->sflags & 4) && ap == 0xffff))
		return 0;
	if (!(j->sflags & 0x20) && g != ref_guard(j, blk))
		st |= 0x01;
	if ((ap & ~j->smask) != (sapp_k(j, k) & ~j->smask))
		st |= 0x02;
	if (!(j->sflags & 0x40) && rf != sref_k(j, k))
		st |= 0x04;
	return st;
}

static void ref_emit(const struct job *j, uint8_t *out, const uint8_t *in, uint32_t k)
{
	uint32_t bs = bs_of(j);
	const uint8_t *t = in + bs;

	memcpy(out, in, bs);
	if (j->op == OP_INS)
		put_tuple(out + bs, ref_guard(j, in), dapp_k(j, k), dref_k(j, k));
	if (j->op == OP_UPD)
		put_tuple(out + bs, (j->dflags & 0x20) ? get16(t) : ref_guard(j, in),
			  (j->dflags & 0x08) ? get16(t + 2) : dapp_k(j, k),
			  (j->dflags & 0x40) ? get32(t + 4) : dref_k(j, k));
}

/* Expected status and destination; exp needs n * du bytes. */
static struct want ref_run(const struct job *j, const uint8_t *src, uint8_t *exp)
{
	struct want w = {DSA_COMP_SUCCESS, 0, j->n};
	uint32_t su = su_of(j), du = du_of(j);

	for (uint32_t k = 0; k < j->n; k++) {
		const uint8_t *b = src + (uint64_t)k * su;
		uint8_t st = j->op == OP_INS ? 0 : ref_verify(j, b, k);

		if (st) {
			w.status = DSA_COMP_DIF_ERR;
			w.dif_status = st;
			w.k = k;
			break;
		}
		if (du)
			ref_emit(j, exp + (uint64_t)k * du, b, k);
	}
	return w;
}

static void mk_desc(struct dsa_hw_desc *d, const struct job *j, const void *src, void *dst,
		    uint32_t flags)
{
	t_desc(d, j->op, flags, cr);
	d->src_addr = a(src);
	d->dst_addr = a(dst);
	d->xfer_size = j->n * su_of(j);
	d->dif_chk_flags = j->flags; /* byte 42 in every variant */
	if (j->op == OP_CHK || j->op == OP_STR) {
		d->src_dif_flags = j->sflags;
		d->chk_ref_tag_seed = j->sref;
		d->chk_app_tag_mask = j->smask;
		d->chk_app_tag_seed = j->sapp;
		return;
	}
	if (j->op == OP_UPD) {
		d->src_upd_flags = j->sflags;
		d->src_ref_tag_seed = j->sref;
		d->src_app_tag_mask = j->smask;
		d->src_app_tag_seed = j->sapp;
	}
	/* Insert's destination fields sit where Update's do: 41, 56, 60, 62. */
	d->upd_dest_flags = j->dflags;
	d->dest_ref_tag_seed = j->dref;
	d->dest_app_tag_mask = j->dmask;
	d->dest_app_tag_seed = j->dapp;
}

static void job_dump(const struct job *j, const char *what)
{
	fprintf(stderr,
		"  [%s] op %x flags %x sflags %x dflags %x sref %x sapp %x smask %x "
		"dref %x dapp %x dmask %x n %u\n",
		what, j->op, j->flags, j->sflags, j->dflags, j->sref, j->sapp, j->smask, j->dref,
		j->dapp, j->dmask, j->n);
}

/* The record's op-specific tags: seeds of block k, masks echoed (§6.1). */
static void check_tags(const struct job *j, uint32_t k)
{
	if (j->op == OP_CHK || j->op == OP_STR) {
		T_EQ(cr->dif_chk_ref_tag, sref_k(j, k));
		T_EQ(cr->dif_chk_app_tag_mask, j->smask);
		T_EQ(cr->dif_chk_app_tag, sapp_k(j, k));
	} else if (j->op == OP_INS) {
		T_EQ(cr->dif_ins_ref_tag, dref_k(j, k));
		T_EQ(cr->dif_ins_app_tag_mask, j->dmask);
		T_EQ(cr->dif_ins_app_tag, dapp_k(j, k));
	} else {
		T_EQ(cr->dif_upd_src_ref_tag, sref_k(j, k));
		T_EQ(cr->dif_upd_src_app_tag_mask, j->smask);
		T_EQ(cr->dif_upd_src_app_tag, sapp_k(j, k));
		T_EQ(cr->dif_upd_dest_ref_tag, dref_k(j, k));
		T_EQ(cr->dif_upd_dest_app_tag_mask, j->dmask);
		T_EQ(cr->dif_upd_dest_app_tag, dapp_k(j, k));
	}
}

/*
 * Run j over src into dst (which has 64 canary bytes after n * du) and check
 * status, dif_status, bytes_completed, tags, the destination of the blocks
 * completed, and that nothing past the destination was written.
 */
static void run_check(const struct job *j, const uint8_t *src, uint8_t *dst, const char *what)
{
	uint64_t dlen = (uint64_t)j->n * du_of(j);
	uint8_t *exp = t_map(dlen + 1);
	struct dsa_hw_desc d;
	struct want w = ref_run(j, src, exp);
	int before = t_failures;

	if (du_of(j))
		memset(dst, 0xa5, dlen + 64);
	mk_desc(&d, j, src, dst, 0);
	T_EQ(t_exec(&dev, &d, NULL), w.status);
	T_EQ(cr->dif_status, w.dif_status);
	if (w.status != DSA_COMP_SUCCESS)
		T_EQ(cr->bytes_completed, (uint64_t)w.k * su_of(j));
	check_tags(j, w.k);
	if (du_of(j)) {
		T_CHECK(memcmp(dst, exp, (uint64_t)w.k * du_of(j)) == 0, "destination differs");
		for (int i = 0; i < 64; i++)
			T_EQ(dst[dlen + i], 0xa5);
	}
	if (t_failures != before)
		job_dump(j, what);
	t_unmap(exp, dlen + 1);
}

/* Intel dsa_test (accel-config-compat.md §7.4): these must succeed as is. */
static void test_dsa_test(void)
{
	static const uint32_t lens[] = {512, 1024, 4096};
	uint8_t *src = t_map(16384), *dst = t_map(16384);
	uint64_t pat = 0x0123456789abcdefull;

	/* The harness CRC is the standard CRC-16/T10-DIF: check value 0xD0DB. */
	T_EQ(ref_crc16_t10dif(0, "123456789", 9), 0xd0db);

	for (unsigned int i = 0; i < 3; i++) {
		uint32_t bs = lens[i] % 4096 ? 512 : 4096, n = lens[i] / bs, k;
		struct job j =
		    mkjob(0, bs == 4096 ? 2 : 0, 0, 0, 0xabba, 0xface, 0xabba, 0xface, n);
		struct dsa_hw_desc d;

		for (k = 0; k < n; k++) {
			uint8_t *b = src + k * (bs + 8);

			for (uint32_t o = 0; o < bs; o++)
				b[o] = (uint8_t)(pat >> (8 * (o % 8)));
			put_tuple(b + bs, ref_crc16_t10dif(0, b, bs), 0xface, 0xabba + k);
		}
		j.op = OP_CHK;
		mk_desc(&d, &j, src, NULL, 0);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		j.op = OP_STR;
		mk_desc(&d, &j, src, dst, 0);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		for (k = 0; k < n; k++)
			T_CHECK(memcmp(dst + k * bs, src + k * (bs + 8), bs) == 0, "strip %u", k);
		/* Insert from the stripped data: the tuples must equal the source's. */
		j.op = OP_INS;
		mk_desc(&d, &j, dst, dst + 4096 + 512, 0);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_CHECK(memcmp(dst + 4096 + 512, src, n * (bs + 8)) == 0, "insert len %u", lens[i]);
		/* Update with fixed ref tags (0x80/0x80): every source tuple has 0xABBA. */
		for (k = 0; k < n; k++)
			put_tuple(src + k * (bs + 8) + bs, get16(src + k * (bs + 8) + bs), 0xface,
				  0xabba);
		j.op = OP_UPD;
		j.sflags = j.dflags = 0x80;
		mk_desc(&d, &j, src, dst, 0);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_CHECK(memcmp(dst, src, n * (bs + 8)) == 0, "update len %u", lens[i]);
		T_EQ(cr->dif_upd_dest_ref_tag, 0xabba);
	}
	t_unmap(src, 16384);
	t_unmap(dst, 16384);
}

/*
 * Damage block k of a valid source: 0 a data bit, 1 an app tag bit, 2 a ref
 * tag bit, 3 an all-F tuple, 4 app tag 0xFFFF, 5 app and ref all ones,
 * 6 a data bit and a tuple bit.
 */
static void corrupt(const struct job *j, uint8_t *src, uint32_t k, unsigned int how)
{
	uint8_t *b = src + (uint64_t)k * su_of(j), *t = b + bs_of(j);
	uint8_t bit = (uint8_t)(1u << (t_rand() % 8));

	if (how == 0) {
		b[t_rand() % bs_of(j)] ^= bit;
	} else if (how <= 2) {
		t[2 * how + t_rand() % (2 * how)] ^= bit;
	} else if (how <= 5) {
		memset(t + (how == 3 ? 0 : 2), 0xff, how == 3 ? 8 : how == 4 ? 2 : 6);
	} else {
		t[t_rand() % 8] ^= bit;
		b[0] ^= 1;
	}
}

/* Random flags, seeds, masks, offsets and damage; the reference decides. */
static void test_random(void)
{
	uint8_t *src = t_map(8 * 4112 + 64), *dst = t_map(8 * 4112 + 128);

	for (int it = 0; it < 1500; it++) {
		static const uint16_t masks[] = {0, 0xffff, 0x00ff, 0xf00f};
		struct job j =
		    mkjob(ops[it % 4], t_rand() & 0xf, (uint8_t)t_rand(), t_rand() & 0xf8,
			  (uint32_t)t_rand(), (uint16_t)t_rand(), (uint32_t)t_rand(),
			  (uint16_t)t_rand(), (uint32_t)t_rand_range(1, 8));
		uint8_t *s = src + t_rand() % 64, *dd = dst + t_rand() % 64;

		j.smask = it % 5 ? masks[t_rand() % 4] : (uint16_t)t_rand();
		j.dmask = it % 7 ? masks[t_rand() % 4] : (uint16_t)t_rand();
		if (j.op == OP_CHK || j.op == OP_STR)
			j.dflags = 0;
		if (j.op == OP_INS)
			j.sflags = 0;
		if (t_rand() % 4 == 0)
			j.sref = 0xffffffff - (uint32_t)t_rand_range(0, 4); /* wrap */
		build_src(&j, s);
		if (j.op != OP_INS && t_rand() % 2)
			corrupt(&j, s, (uint32_t)t_rand_range(0, j.n - 1),
				(unsigned int)(t_rand() % 7));
		run_check(&j, s, dd, "random");
	}
	t_unmap(src, 8 * 4112 + 64);
	t_unmap(dst, 8 * 4112 + 128);
}

/* Hand-derived expectations: one bad field at block 3 of 6, or two bad blocks. */
static void test_exact_errors(void)
{
	static const uint8_t chk_ops[] = {OP_CHK, OP_STR, OP_UPD};
	uint8_t *src = t_map(6 * 4112), *dst = t_map(6 * 4112);

	for (unsigned int o = 0; o < 3; o++) {
		for (uint8_t f = 0; f < 4; f++) {
			struct job j = mkjob(chk_ops[o], f, 0, 0, 100, 0x1234, 0, 0, 6);
			uint32_t su = bsz[f] + 8;
			uint8_t *t3 = src + 3 * su + bsz[f];
			struct dsa_hw_desc d;
			static const uint8_t tuple_off[3] = {0, 2, 7}; /* guard, app, ref */

			for (unsigned int c = 0; c < 3; c++) {
				build_src(&j, src);
				t3[tuple_off[c]] ^= 0x40;
				mk_desc(&d, &j, src, dst, 0);
				T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
				T_EQ(cr->dif_status, 1u << c);
				T_EQ(cr->bytes_completed, 3 * su);
				T_EQ(j.op == OP_UPD ? cr->dif_upd_src_ref_tag : cr->dif_chk_ref_tag,
				     103);
				T_EQ(j.op == OP_UPD ? cr->dif_upd_src_app_tag : cr->dif_chk_app_tag,
				     0x1234);
			}
			/* data and ref tag wrong in block 3, app tag in block 5: 0x05 at 3 */
			build_src(&j, src);
			src[3 * su + 17] ^= 1;
			t3[4] ^= 0x80;
			src[5 * su + bsz[f] + 3] ^= 1;
			mk_desc(&d, &j, src, dst, 0);
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
			T_EQ(cr->dif_status, 0x05);
			T_EQ(cr->bytes_completed, 3 * su);
			/* the same source with the checks off passes */
			j.sflags = 0x60;
			j.smask = 0xffff;
			mk_desc(&d, &j, src, dst, 0);
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
			T_EQ(j.op == OP_UPD ? cr->dif_upd_src_ref_tag : cr->dif_chk_ref_tag, 106);
		}
	}
	t_unmap(src, 6 * 4112);
	t_unmap(dst, 6 * 4112);
}

/* Source flags bits 3:0 on a block whose tuple has chosen F patterns. */
static void test_f_detect(void)
{
	static const struct {
		uint16_t app;
		uint32_t ref;
		bool guard_ff;
		uint8_t sflags;
		uint8_t st; /* expected dif_status, 0 = success */
	} cases[] = {
	    {0xffff, 5, false, 0x00, 0x07},	     {0xffff, 5, false, 0x04, 0},
	    {0xffff, 5, false, 0x08, 0x07},	     {0xffff, 5, false, 0x02, 0x07},
	    {0xffff, 0xffffffff, false, 0x08, 0},    {0xffff, 0xffffffff, false, 0x04, 0},
	    {0xffff, 0xffffffff, false, 0x00, 0x07}, {0xffff, 0xffffffff, false, 0x03, 0x07},
	    {0xffff, 0xffffffff, true, 0x02, 0},     {0xffff, 0xffffffff, true, 0x03, 0x08},
	    {0xffff, 0xffffffff, true, 0x01, 0x07},  {0xffff, 0xffffffff, true, 0x0f, 0x08},
	    {0xffff, 0xffffffff, true, 0x0b, 0x08},  {0xffff, 0xffffffff, true, 0x0e, 0},
	    {0xffff, 0xffffffff, true, 0x00, 0x07},  {0xfffe, 0xffffffff, true, 0x0e, 0x07},
	};
	uint8_t *src = t_map(4 * 528), *dst = t_map(4 * 528);

	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (unsigned int o = 0; o < 3; o++) {
			struct job j = mkjob(o == 0   ? OP_CHK
					     : o == 1 ? OP_STR
						      : OP_UPD,
					     1, cases[c].sflags, 0, 7, 0x0a0a, 0, 0, 4);
			uint8_t *b = src + 2 * 528;
			struct dsa_hw_desc d;

			build_src(&j, src);
			if (ref_guard(&j, b) == 0xffff)
				b[0] ^= 1; /* the computed guard must not be all ones */
			put_tuple(b + 520, cases[c].guard_ff ? 0xffff : ref_guard(&j, b) ^ 1,
				  cases[c].app, cases[c].ref);
			mk_desc(&d, &j, src, dst, 0);
			T_EQ(t_exec(&dev, &d, NULL),
			     cases[c].st ? DSA_COMP_DIF_ERR : DSA_COMP_SUCCESS);
			T_EQ(cr->dif_status, cases[c].st);
			if (cases[c].st)
				T_EQ(cr->bytes_completed, 2 * 528);
			if (j.op == OP_UPD && !cases[c].st) /* a skipped block still gets a tuple */
				T_EQ(get32(dst + 2 * 528 + 524), 2);
		}
	}
	t_unmap(src, 4 * 528);
	t_unmap(dst, 4 * 528);
}

/* App tag masks, tag types and wrap-around, pass-through, CRC inversion. */
static void test_tags(void)
{
	uint8_t *src = t_map(4 * 4112), *dst = t_map(4 * 4112);
	struct job j = mkjob(OP_CHK, 0, 0, 0, 0xfffffffe, 0xfffe, 0, 0, 4);
	struct dsa_hw_desc d;
	uint32_t k;

	/* masked bits may differ; an unmasked one may not; 0xFFFF checks nothing */
	j.smask = 0x00ff;
	build_src(&j, src);
	for (k = 0; k < 4; k++)
		src[k * 520 + 515] ^= 0x55; /* app tag low byte: masked */
	mk_desc(&d, &j, src, NULL, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	src[520 + 514] ^= 0x01; /* app tag bit 8: checked */
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
	T_EQ(cr->dif_status, 0x02);
	T_EQ(cr->bytes_completed, 520);
	T_EQ(cr->dif_chk_app_tag_mask, 0x00ff);
	d.chk_app_tag_mask = 0xffff;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);

	/* incrementing ref wraps 0xfffffffe, 0xffffffff, 0, 1; app fixed */
	j.smask = 0;
	build_src(&j, src);
	T_EQ(get32(src + 2 * 520 + 516), 0);
	mk_desc(&d, &j, src, NULL, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	T_EQ(cr->dif_chk_ref_tag, 2);
	T_EQ(cr->dif_chk_app_tag, 0xfffe);
	d.src_dif_flags = 0x80; /* fixed ref: block 1 fails */
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
	T_EQ(cr->dif_status, 0x04);
	T_EQ(cr->bytes_completed, 520);
	T_EQ(cr->dif_chk_ref_tag, 0xfffffffe);
	d.src_dif_flags = 0x10; /* incrementing app: block 1 fails */
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
	T_EQ(cr->dif_status, 0x02);
	T_EQ(cr->dif_chk_app_tag, 0xffff);

	/* insert: incrementing app wraps; the mask does not touch generated tags */
	j = mkjob(OP_INS, 2, 0, 0x90, 0, 0, 9, 0xfffe, 3);
	j.dmask = 0xf00f;
	build_src(&j, src);
	mk_desc(&d, &j, src, dst, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	for (k = 0; k < 3; k++) {
		uint8_t *t = dst + k * 4104 + 4096;

		T_EQ(get16(t), ref_crc16_t10dif(0, src + k * 4096, 4096));
		T_EQ(get16(t + 2), (uint16_t)(0xfffe + k));
		T_EQ(get32(t + 4), 9);
	}
	T_EQ(cr->dif_ins_app_tag, 0x0001);
	T_EQ(cr->dif_ins_ref_tag, 9);
	T_EQ(cr->dif_ins_app_tag_mask, 0xf00f);

	/* CRC seed and result inversion (byte 42 bits 2, 3) */
	for (uint8_t inv = 0; inv < 4; inv++) {
		uint16_t g = ref_crc16_t10dif(inv & 1 ? 0xffff : 0, src + 4096, 4096);

		d.dif_ins_flags = (uint8_t)(2 | inv << 2);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_EQ(get16(dst + 4104 + 4096), inv & 2 ? (uint16_t)~g : g);
	}
	/* a tuple made with the plain CRC fails once the seed is inverted */
	j = (struct job){.op = OP_CHK, .n = 2};
	build_src(&j, src);
	mk_desc(&d, &j, src, NULL, 0);
	d.dif_chk_flags = 4;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
	T_EQ(cr->dif_status, 0x01);
	T_EQ(cr->bytes_completed, 0);

	/* update pass-through: each field copied or regenerated on its own */
	for (uint8_t p = 0; p < 8; p++) {
		uint8_t df =
		    (uint8_t)((p & 1 ? 0x40 : 0) | (p & 2 ? 0x20 : 0) | (p & 4 ? 0x08 : 0));

		j = mkjob(OP_UPD, 1, 0x20, df, 50, 0x5555, 900, 0x7777, 3);
		build_src(&j, src);
		put_tuple(src + 528 + 520, 0xbeef, 0x5555, 51); /* bad guard, not checked */
		mk_desc(&d, &j, src, dst, 0);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_EQ(get16(dst + 528 + 520), p & 2 ? 0xbeef : ref_crc16_t10dif(0, src + 528, 520));
		T_EQ(get16(dst + 528 + 522), p & 4 ? 0x5555 : 0x7777);
		T_EQ(get32(dst + 528 + 524), p & 1 ? 51 : 901);
		T_EQ(cr->dif_upd_dest_ref_tag, 903);
		T_EQ(cr->dif_upd_src_ref_tag, 53);
	}
	t_unmap(src, 4 * 4112);
	t_unmap(dst, 4 * 4112);
}

static void set_bytes(struct dsa_hw_desc *d, unsigned int off, uint8_t v)
{
	((uint8_t *)d)[off] = v;
}

/* 0x13 for partial blocks, 0x12 for reserved bits, 0x16 for overlap; in step order. */
static void test_checks(void)
{
	uint8_t *buf = t_map(1 << 16);
	struct dsa_hw_desc d;

	for (unsigned int o = 0; o < 4; o++) {
		for (uint8_t f = 0; f < 4; f++) {
			struct job j = {.op = ops[o], .flags = f, .n = 3};
			uint32_t su = su_of(&j);

			mk_desc(&d, &j, buf, buf + 32768, 0);
			build_src(&j, buf);
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
			d.xfer_size = 3 * su + 1;
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
			d.xfer_size = su - 1;
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
			d.xfer_size = ops[o] == OP_INS ? bsz[f] + 8 : bsz[f];
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
			d.xfer_size = 0;
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
			/* reserved beats size (step 6 before 8) */
			set_bytes(&d, 42, (uint8_t)(f | 0x10 << (o % 4)));
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_NOZERO_RESERVE);
		}
	}
	/* every reserved byte and bit of each variant; valid flag bits are not */
	for (unsigned int o = 0; o < 4; o++) {
		struct job j = {.op = ops[o], .n = 1};

		for (unsigned int off = 40; off < 64; off++) {
			for (unsigned int bit = 0; bit < 8; bit++) {
				bool rsvd =
				    ops[o] == OP_INS
					? off == 40 || (off == 41 && bit < 3) ||
					      (off == 42 && bit > 3) || (off > 42 && off < 56)
					: (off == 41 && (ops[o] != OP_UPD || bit < 3)) ||
					      (off == 42 && bit > 3) || (off > 42 && off < 48);

				mk_desc(&d, &j, buf, buf + 32768, 0);
				set_bytes(&d, off, (uint8_t)(1u << bit));
				T_CHECK((t_exec(&dev, &d, NULL) == DSA_COMP_NOZERO_RESERVE) == rsvd,
					"op 0x%x byte %u bit %u", ops[o], off, bit);
			}
		}
	}
	/* overlap: destination lengths follow the block math; Check has no destination */
	for (unsigned int o = 0; o < 4; o++) {
		struct job j = {.op = ops[o], .n = 4};
		uint32_t slen = 4 * su_of(&j), dlen = 4 * du_of(&j);

		build_src(&j, buf + 8192);
		mk_desc(&d, &j, buf + 8192, buf + 8192, 0);
		T_EQ(t_exec(&dev, &d, NULL),
		     ops[o] == OP_CHK ? DSA_COMP_SUCCESS : DSA_COMP_OVERLAP_BUFFERS);
		if (ops[o] == OP_CHK) {
			/* DIF ops return results: CRAV is required (0x11) */
			d.flags &= ~(uint32_t)IDXD_OP_FLAG_CRAV;
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_INVALID_FLAGS);
			continue;
		}
		d.dst_addr = a(buf + 8192 + slen - 1);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_OVERLAP_BUFFERS);
		d.dst_addr = a(buf + 8192 + slen);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		d.dst_addr = a(buf + 8192 - dlen + 1);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_OVERLAP_BUFFERS);
		d.dst_addr = a(buf + 8192 - dlen);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		/* size multiple (step 9) is checked before overlap */
		d.dst_addr = a(buf + 8192);
		d.xfer_size += 1;
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_XFER_ERANGE);
	}
	t_unmap(buf, 1 << 16);
}

/* Multi-MiB transfers against the reference, with an error near the end. */
static void test_large(void)
{
	size_t cap = (4u << 20) + (64u << 10);
	uint8_t *src = t_map(cap), *dst = t_map(cap + 4096);

	for (unsigned int i = 0; i < 8; i++) {
		struct job j = mkjob(ops[i % 4], (i + i / 4) % 4, 0x10, 0x10, 1, 2, 3, 4, 0);

		j.smask = 0x0f00;
		j.n = (uint32_t)((4u << 20) / su_of(&j)) - (uint32_t)t_rand_range(0, 3);
		build_src(&j, src + 3);
		if (i >= 4)
			corrupt(&j, src + 3, j.n - 2, 0);
		run_check(&j, src + 3, dst + 5, "large");
	}
	t_unmap(src, cap);
	t_unmap(dst, cap + 4096);
}

/* Map the guard page back, resident: with BOF=0 a non-resident page faults too. */
static void remap_page(uint8_t *p)
{
	if (mmap(p, t_page(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) != p)
		T_FATAL("mmap MAP_FIXED");
	memset(p, 0x5a, t_page());
}

/*
 * BOF=0 faults at an unmapped page after the buffer (§9): status 0x03 on the
 * source, 0x83 on the destination, bytes_completed = source bytes of the
 * whole blocks before the fault, fault_addr = the page. Then the page is
 * mapped and the remainder resubmitted with the record's tags as seeds, the
 * way dsa_test's dsa_reprep_dif() does; the result must equal one full run.
 */
static void test_page_fault(void)
{
	size_t pg = t_page(), L = 3 * pg;

	for (unsigned int c = 0; c < 8; c++) {
		struct job j = mkjob(ops[c % 4], c % 4, 0x10, 0x10, 0x100, 0x200, 0x300, 0x400, 0);
		bool dst_side = c >= 4 && j.op != OP_CHK;
		size_t off = 8 + 8 * c;
		uint32_t su, du, unit, k;
		uint8_t *g = t_map_guarded(L), *full, *exp, *in, *out;
		uint64_t len;
		struct dsa_hw_desc d;
		struct want w;

		su = su_of(&j);
		du = du_of(&j);
		unit = dst_side ? du : su;
		/* block k is the first one that does not fit: it crosses the guard page */
		k = (uint32_t)((L - off) / unit);
		j.n = k + 1;
		T_CHECK((uint64_t)j.n * unit <= L + pg - off, "case %u must fit once remapped", c);
		len = (uint64_t)j.n * (su > du ? su : du) + 64;
		full = t_map(len);
		exp = t_map(len);
		build_src(&j, full);
		w = ref_run(&j, full, exp);
		T_EQ(w.status, DSA_COMP_SUCCESS);
		in = dst_side ? full : g + off;
		out = dst_side ? g + off : t_map(len);
		if (!dst_side)
			memcpy(in, full, L - off);
		mk_desc(&d, &j, in, out, 0);
		T_EQ(t_exec(&dev, &d, NULL), dst_side ? 0x83 : DSA_COMP_PAGE_FAULT_NOBOF);
		T_EQ(cr->bytes_completed, (uint64_t)k * su);
		T_EQ(cr->fault_addr, a(g + L));
		check_tags(&j, k);
		if (du)
			T_CHECK(memcmp(out, exp, (uint64_t)k * du) == 0, "prefix, case %u", c);

		remap_page(g + L);
		if (!dst_side)
			memcpy(in, full, (uint64_t)j.n * su);
		d.src_addr += cr->bytes_completed;
		d.dst_addr += (uint64_t)k * du;
		d.xfer_size -= cr->bytes_completed;
		if (j.op == OP_INS) {
			d.ins_ref_tag_seed = cr->dif_ins_ref_tag;
			d.ins_app_tag_seed = cr->dif_ins_app_tag;
		} else if (j.op == OP_UPD) {
			d.src_ref_tag_seed = cr->dif_upd_src_ref_tag;
			d.src_app_tag_seed = cr->dif_upd_src_app_tag;
			d.dest_ref_tag_seed = cr->dif_upd_dest_ref_tag;
			d.dest_app_tag_seed = cr->dif_upd_dest_app_tag;
		} else {
			d.chk_ref_tag_seed = cr->dif_chk_ref_tag;
			d.chk_app_tag_seed = cr->dif_chk_app_tag;
		}
		memset(cr, 0, sizeof(*cr));
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		check_tags(&j, j.n);
		if (du)
			T_CHECK(memcmp(out, exp, (uint64_t)j.n * du) == 0, "resumed, case %u", c);

		/*
		 * Source side: a bad block that faults is a fault, a bad block before
		 * it a DIF error. Destination side: a block that fails its check
		 * and would fault on its destination is a DIF error.
		 */
		if (j.op != OP_INS)
			munmap(g + L, pg);
		if (!dst_side && j.op != OP_INS) {
			in[(uint64_t)k * su] ^= 1; /* the mapped head of block k */
			mk_desc(&d, &j, in, out, 0);
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF);
			T_EQ(cr->bytes_completed, (uint64_t)k * su);
			corrupt(&j, in, k - 1, 2);
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
			T_EQ(cr->dif_status, 0x04);
			T_EQ(cr->bytes_completed, (uint64_t)(k - 1) * su);
		}
		if (dst_side && j.op != OP_INS) {
			corrupt(&j, full, k, 2);
			mk_desc(&d, &j, full, out, 0);
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DIF_ERR);
			T_EQ(cr->dif_status, 0x04);
			T_EQ(cr->bytes_completed, (uint64_t)k * su);
		}
		if (!dst_side)
			t_unmap(out, len);
		t_unmap(g, L + pg);
		t_unmap(full, len);
		t_unmap(exp, len);
	}
}

/* Injected faults on a middle page: resolved with BOF=1, 0x04 if invalid, 0x03 without BOF. */
static void test_bof(void)
{
	struct atc *atc = as_atc(dev.as);
	uint8_t *src = t_map(16 * 4112), *dst = t_map(16 * 4112);
	struct job j = {.op = OP_UPD, .flags = 1, .n = 16};
	uint8_t *page, *wpage = (uint8_t *)(((uintptr_t)dst + 9 * 528 + 100) & ~(uintptr_t)4095);
	struct dsa_hw_desc d;
	uint32_t k;

	build_src(&j, src + 40);
	page = (uint8_t *)(((uintptr_t)src + 40 + 5 * 528 + 4095) & ~(uintptr_t)4095);
	k = (uint32_t)((page - (src + 40)) / 528);
	mk_desc(&d, &j, src + 40, dst, IDXD_OP_FLAG_BOF);
	T_EQ(atc_inject(atc, a(page), DMA_READ, DMA_FAULT_NOT_PRESENT), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	T_EQ(atc_inject(atc, a(page), DMA_READ, DMA_FAULT_INVALID), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_IR);
	T_EQ(cr->bytes_completed, k * 528);
	T_EQ(cr->fault_addr, a(page));
	T_EQ(cr->dif_upd_dest_ref_tag, k);
	atc_inject_clear(atc);
	T_EQ(atc_inject(atc, a(wpage), DMA_WRITE, DMA_FAULT_NOT_PRESENT), 0);
	d.flags &= ~(uint32_t)IDXD_OP_FLAG_BOF;
	T_EQ(t_exec(&dev, &d, NULL), 0x83);
	T_EQ(cr->bytes_completed, (wpage - dst) / 528 * 528);
	T_EQ(cr->fault_addr, a(wpage));
	atc_inject_clear(atc);
	t_unmap(src, 16 * 4112);
	t_unmap(dst, 16 * 4112);
}

int main(void)
{
	t_seed(0x5eed0d1f);
	t_dev_init(&dev);
	cr = t_map(sizeof(*cr));
	test_dsa_test();
	test_exact_errors();
	test_f_detect();
	test_tags();
	test_checks();
	test_random();
	test_large();
	test_page_fault();
	test_bof();
	t_unmap(cr, sizeof(*cr));
	t_dev_exit(&dev);
	return t_done("conformance/dif");
}
