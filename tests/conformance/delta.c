/* SPDX-License-Identifier: MIT */
/*
 * Description: conformance of Create Delta Record (0x07) and Apply Delta
 * Record (0x08) against an independent byte-loop reference: create/apply
 * round trips over random data up to 512 KiB, identical buffers (result 0),
 * overflow (result 2) with exact record, size and bytes_completed, and its
 * resubmission, Check Result with every expected_res_mask, every error
 * status on purpose (0x07, 0x08, 0x13, 0x15, 0x16, 0x1c and their order),
 * and page faults on each buffer with exact bytes_completed/fault_addr.
 */
#include <string.h>

#include "harness.h"

#define KB     1024u
#define MAXX   (512 * KB)      /* largest delta transfer */
#define MAXREC (MAXX / 8 * 10) /* its largest record */
#define PG     4096u

static struct t_dev dev;
/*
 * The record lives in mapped memory of its own: the DMA layer probes whole
 * pages, and a page of globals holds sanitizer redzones.
 */
static struct dsa_completion_record *cr;
static uint8_t *s1, *s2, *rec, *ref, *dst;

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/*
 * Reference Create Delta: byte loops over 8-byte words, entries committed per
 * 64-byte block of the transfer; a block that does not fit ends with result 2.
 */
static int ref_create(const uint8_t *o, const uint8_t *n, uint32_t xfer, uint32_t max, uint8_t *out,
		      uint32_t *ret_size, uint32_t *ret_done)
{
	uint32_t size = 0;

	for (uint32_t blk = 0; blk < xfer; blk += 64) {
		uint8_t pend[80];
		uint32_t np = 0;

		for (uint32_t w = blk; w < blk + 64 && w < xfer; w += 8) {
			int diff = 0;

			for (int b = 0; b < 8; b++)
				diff |= o[w + b] != n[w + b];
			if (!diff)
				continue;
			pend[np++] = (uint8_t)(w / 8);
			pend[np++] = (uint8_t)(w / 8 >> 8);
			for (int b = 0; b < 8; b++)
				pend[np++] = n[w + b];
		}
		if (size + np > max) {
			*ret_size = size;
			*ret_done = blk;
			return 2;
		}
		memcpy(out + size, pend, np);
		size += np;
	}
	*ret_size = size;
	*ret_done = 0;
	return size ? 1 : 0;
}

static void ref_apply(uint8_t *d, const uint8_t *r, uint32_t size)
{
	for (uint32_t e = 0; e < size; e += 10)
		for (int b = 0; b < 8; b++)
			d[(r[e] | r[e + 1] << 8) * 8 + b] = r[e + 2 + b];
}

static uint8_t cr_delta(const void *o, const void *n, uint32_t xfer, void *r, uint32_t max,
			uint32_t flags, uint8_t mask)
{
	struct dsa_hw_desc d;

	t_desc(&d, DSA_OPCODE_CR_DELTA, flags, cr);
	d.src_addr = a(o);
	d.src2_addr = a(n);
	d.xfer_size = xfer;
	d.delta_addr = a(r);
	d.max_delta_size = max;
	d.expected_res_mask = mask;
	return t_exec(&dev, &d, NULL);
}

static uint8_t ap_delta(const void *r, uint32_t size, void *d_, uint32_t xfer, uint32_t flags)
{
	struct dsa_hw_desc d;

	t_desc(&d, DSA_OPCODE_AP_DELTA, flags, cr);
	d.src_addr = a(r);
	d.delta_rec_size = size;
	d.dst_addr = a(d_);
	d.xfer_size = xfer;
	return t_exec(&dev, &d, NULL);
}

/* src2 = src1 with about one word in `every` changed (every 0: none, 1: all). */
static void make_pair(uint32_t xfer, uint32_t every)
{
	t_fill_random(s1, xfer);
	memcpy(s2, s1, xfer);
	for (uint32_t w = 0; every && w < xfer; w += 8)
		if (t_rand() % every == 0)
			s2[w + t_rand() % 8] ^= (uint8_t)t_rand_range(1, 255);
}

/* Create with room for everything, check against the reference, apply. */
static void round_trip(uint32_t xfer, uint32_t every)
{
	uint32_t size, done, max = xfer / 8 * 10 < 80 ? 80 : xfer / 8 * 10;
	int res;

	make_pair(xfer, every);
	res = ref_create(s1, s2, xfer, max, ref, &size, &done);
	memset(rec, 0xa5, size + 16);
	T_EQ(cr_delta(s1, s2, xfer, rec, max, 0, 0), DSA_COMP_SUCCESS);
	T_EQ(cr->result, res);
	T_EQ(cr->delta_rec_size, size);
	T_CHECK(memcmp(rec, ref, size) == 0, "record differs, xfer %u", xfer);
	T_CHECK(rec[size] == 0xa5 && rec[size + 15] == 0xa5, "wrote past the record");
	if (!size)
		return;
	memcpy(dst, s1, xfer);
	T_EQ(ap_delta(rec, size, dst, xfer, 0), DSA_COMP_SUCCESS);
	T_CHECK(memcmp(dst, s2, xfer) == 0, "apply did not rebuild src2, xfer %u", xfer);
}

static void test_round_trips(void)
{
	static const uint32_t sizes[] = {8, 16, 56, 64, 72, 128, 4096, 4104, 65536, MAXX};
	static const uint32_t every[] = {1, 2, 7, 64};

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (unsigned int j = 0; j < 4; j++)
			round_trip(sizes[i], every[j]);
	for (int i = 0; i < 24; i++)
		round_trip((uint32_t)t_rand_range(1, MAXX / 8) * 8, (uint32_t)t_rand_range(1, 300));
	/* Identical buffers: result 0, nothing written, even with the record full size. */
	make_pair(MAXX, 0);
	memset(rec, 0xa5, 64);
	T_EQ(cr_delta(s1, s2, MAXX, rec, MAXREC, 0, 0), DSA_COMP_SUCCESS);
	T_EQ(cr->result, 0);
	T_EQ(cr->delta_rec_size, 0);
	T_EQ(rec[0], 0xa5);
	/* The record may sit anywhere: it is a byte stream (no 0x1c). */
	make_pair(4096, 3);
	T_EQ(cr_delta(s1, s2, 4096, rec + 1, 5120, 0, 0), DSA_COMP_SUCCESS);
	T_EQ(cr->result, 1);
	memmove(rec + 5, rec + 1, cr->delta_rec_size);
	memcpy(dst, s1, 4096);
	T_EQ(ap_delta(rec + 5, cr->delta_rec_size, dst, 4096, 0), DSA_COMP_SUCCESS);
	T_CHECK(memcmp(dst, s2, 4096) == 0, "unaligned record");
}

/* Overflow: exact record, size and bytes_completed, then resubmission. */
static void test_overflow(void)
{
	static const uint32_t maxes[] = {80, 85, 99, 100, 170, 1000, 4090};

	for (unsigned int i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		uint32_t xfer = 64 * KB, max = maxes[i], size, done, off = 0, total = 0;
		int res, rounds = 0;

		make_pair(xfer, 5);
		res = ref_create(s1, s2, xfer, max, ref, &size, &done);
		T_EQ(res, 2);
		memset(rec, 0xa5, max + 16);
		T_EQ(cr_delta(s1, s2, xfer, rec, max, 0, 0), DSA_COMP_SUCCESS);
		T_EQ(cr->result, 2);
		T_EQ(cr->delta_rec_size, size);
		T_EQ(cr->bytes_completed, done);
		T_CHECK(size <= max && size % 10 == 0, "record size %u, max %u", size, max);
		T_CHECK(memcmp(rec, ref, size) == 0, "overflow record, max %u", max);
		T_EQ(rec[size], 0xa5);
		/* Resubmit the rest until done, applying each part at its offset. */
		memcpy(dst, s1, xfer);
		while (rounds++ < 10000) {
			uint32_t part, next;

			T_EQ(cr_delta(s1 + off, s2 + off, xfer - off, rec, max, 0, 0),
			     DSA_COMP_SUCCESS);
			res = cr->result;
			part = cr->delta_rec_size;
			next = cr->bytes_completed;
			total += part;
			if (part)
				T_EQ(ap_delta(rec, part, dst + off, xfer - off, 0),
				     DSA_COMP_SUCCESS);
			if (res != 2)
				break;
			if (next == 0 || part == 0) {
				T_CHECK(0, "no progress at %u, max %u", off, max);
				break;
			}
			off += next;
		}
		T_CHECK(memcmp(dst, s2, xfer) == 0, "resubmitted parts, max %u", max);
		ref_create(s1, s2, xfer, MAXREC, ref, &size, &done);
		T_EQ(total, size);
	}
}

/*
 * Check Result: status 0x01 iff bit `result` of expected_res_mask is set,
 * for each of the 8 masks over the three defined results.
 */
static void test_check_result(void)
{
	for (int want = 0; want < 3; want++) {
		for (unsigned int mask = 0; mask < 8; mask++) {
			make_pair(1024, want == 0 ? 0 : 1);
			T_EQ(cr_delta(s1, s2, 1024, rec, want == 2 ? 80 : 1280, IDXD_OP_FLAG_CR,
				      (uint8_t)mask),
			     (mask >> want & 1) ? DSA_COMP_SUCCESS : DSA_COMP_SUCCESS_PRED);
			T_EQ(cr->result, want);
			T_EQ(cr->delta_rec_size, want == 0 ? 0 : want == 1 ? 1280 : 80);
		}
		/* Without the flag the mask is ignored. */
		T_EQ(cr_delta(s1, s2, 1024, rec, want == 2 ? 80 : 1280, 0, 0), DSA_COMP_SUCCESS);
	}
}

/* Entry i of a hand-made record. */
static void put(uint8_t *r, int i, uint16_t word, uint64_t val)
{
	r[10 * i] = (uint8_t)word;
	r[10 * i + 1] = (uint8_t)(word >> 8);
	memcpy(r + 10 * i + 2, &val, 8);
}

static uint64_t word_at(const uint8_t *p, uint32_t word)
{
	uint64_t v;

	memcpy(&v, p + 8 * word, 8);
	return v;
}

/* Step 9 errors in the order sizes, alignment, overlap; nothing is touched. */
static void test_check_errors(void)
{
	const struct dsa_wq_attr saved = dev.wq;

	make_pair(8192, 1);
	memset(rec, 0xa5, 256);
	memcpy(dst, s1, 8192);
	memcpy(ref, s1, 8192);
	/* 0x13: the delta limit is 512 KiB whatever the WQ allows. */
	T_EQ(cr_delta(s1, s2, MAXX + 8, rec, MAXREC, 0, 0), DSA_COMP_XFER_ERANGE);
	T_EQ(cr->status, DSA_COMP_XFER_ERANGE);
	T_EQ(ap_delta(rec, 10, dst, MAXX + 8, 0), DSA_COMP_XFER_ERANGE);
	/* 0x15: max_delta_size below one block of entries or above a transfer. */
	T_EQ(cr_delta(s1, s2, 64, rec, 0, 0, 0), DSA_COMP_DR_ERANGE);
	T_EQ(cr_delta(s1, s2, 64, rec, 79, 0, 0), DSA_COMP_DR_ERANGE);
	T_EQ(cr->status, DSA_COMP_DR_ERANGE);
	dev.wq.max_xfer = 1 << 20;
	T_EQ(cr_delta(s1, s2, 64, rec, (1 << 20) + 1, 0, 0), DSA_COMP_DR_ERANGE);
	T_EQ(ap_delta(rec, (1 << 20) + 10, dst, 64, 0), DSA_COMP_DR_ERANGE);
	T_EQ(cr_delta(s1, s2, 64, rec, 1 << 20, 0, 0), DSA_COMP_SUCCESS);
	dev.wq = saved;
	T_EQ(ap_delta(rec, 0, dst, 64, 0), DSA_COMP_DR_ERANGE);
	T_EQ(ap_delta(rec, 15, dst, 64, 0), DSA_COMP_DR_ERANGE);
	T_EQ(ap_delta(rec, 9, dst, 64, 0), DSA_COMP_DR_ERANGE);
	memset(rec, 0xa5, 256);
	/* 0x1c: sources, destination and size; never the record. */
	T_EQ(cr_delta(s1 + 4, s2, 64, rec, 80, 0, 0), DSA_COMP_ADDR_ALIGN);
	T_EQ(cr_delta(s1, s2 + 1, 64, rec, 80, 0, 0), DSA_COMP_ADDR_ALIGN);
	T_EQ(cr_delta(s1, s2, 60, rec, 80, 0, 0), DSA_COMP_ADDR_ALIGN);
	T_EQ(cr->status, DSA_COMP_ADDR_ALIGN);
	T_EQ(ap_delta(rec, 10, dst + 2, 64, 0), DSA_COMP_ADDR_ALIGN);
	T_EQ(ap_delta(rec, 10, dst, 68, 0), DSA_COMP_ADDR_ALIGN);
	/* 0x16: the record against each source, and against the destination. */
	T_EQ(cr_delta(s1, s2, 4096, s1 + 4088, 80, 0, 0), DSA_COMP_OVERLAP_BUFFERS);
	T_EQ(cr_delta(s1, s2, 4096, s2 - 72, 80, 0, 0), DSA_COMP_OVERLAP_BUFFERS);
	T_EQ(cr->status, DSA_COMP_OVERLAP_BUFFERS);
	T_EQ(ap_delta(dst + 56, 10, dst, 64, 0), DSA_COMP_OVERLAP_BUFFERS);
	/* Adjacent is not overlapping. */
	memcpy(s1 + 8192, s2, 4096);
	T_EQ(cr_delta(s1, s1 + 8192, 4096, s1 + 4096, 4096, 0, 0), DSA_COMP_SUCCESS);
	T_EQ(cr_delta(s1, s1 + 8192, 4096, s1 + 4096, 4097, 0, 0), DSA_COMP_OVERLAP_BUFFERS);
	put(dst + 64, 0, 3, 0);
	T_EQ(ap_delta(dst + 64, 10, dst, 64, 0), DSA_COMP_SUCCESS);
	/* Order (dsa-device.md §5.1): 0x13 (step 8), then 0x1c, 0x15, 0x16 (step 9). */
	T_EQ(cr_delta(s1 + 4, s2, MAXX + 8, s1, 0, 0, 0), DSA_COMP_XFER_ERANGE);
	T_EQ(cr_delta(s1 + 4, s2, 64, s1, 79, 0, 0), DSA_COMP_ADDR_ALIGN);
	T_EQ(cr_delta(s1, s2, 64, s1, 79, 0, 0), DSA_COMP_DR_ERANGE);
	T_EQ(ap_delta(dst, 15, dst + 4, MAXX + 8, 0), DSA_COMP_XFER_ERANGE);
	T_EQ(ap_delta(dst, 15, dst + 4, 64, 0), DSA_COMP_ADDR_ALIGN);
	T_EQ(ap_delta(dst, 15, dst, 64, 0), DSA_COMP_DR_ERANGE);
	/* The refused descriptors wrote nothing. */
	for (int i = 0; i < 256; i++)
		T_CHECK(rec[i] == 0xa5, "record byte %d written by a refused descriptor", i);
	T_CHECK(memcmp(dst + 128, ref + 128, 8192 - 128) == 0, "dst written when refused");
}

/* 0x07 and 0x08: the entries before the bad one are applied, none after. */
static void test_apply_errors(void)
{
	static const struct {
		uint16_t w[4];
		int n;
		uint8_t status;
		uint32_t done; /* record bytes applied */
	} c[] = {
	    {{2, 7, 7, 9}, 4, DSA_COMP_DR_OFFSET_NOINC, 20},
	    {{2, 1}, 2, DSA_COMP_DR_OFFSET_NOINC, 10},
	    {{0, 0}, 2, DSA_COMP_DR_OFFSET_NOINC, 10},
	    {{2, 512, 9}, 3, DSA_COMP_DR_OFFSET_ERANGE, 10},
	    {{600}, 1, DSA_COMP_DR_OFFSET_ERANGE, 0},
	    {{65535}, 1, DSA_COMP_DR_OFFSET_ERANGE, 0},
	    {{0, 1, 511}, 3, DSA_COMP_SUCCESS, 0},
	};

	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(dst, 0x11, 4096 + 64);
		memcpy(ref, dst, 4096 + 64);
		for (int e = 0; e < c[i].n; e++) {
			put(rec, e, c[i].w[e], 0x0101010101010101ull * (uint64_t)(e + 0x40));
			if (c[i].status == DSA_COMP_SUCCESS || 10u * e < c[i].done)
				ref_apply(ref, rec + 10 * e, 10);
		}
		T_EQ(ap_delta(rec, 10u * c[i].n, dst, 4096, 0), c[i].status);
		T_EQ(cr->status, c[i].status);
		if (c[i].status != DSA_COMP_SUCCESS)
			T_EQ(cr->bytes_completed, c[i].done);
		T_CHECK(memcmp(dst, ref, 4096 + 64) == 0, "apply case %u memory", i);
	}
}

/*
 * Page faults with BOF clear (0x03, 0x83 for writes) and set (0x04 for an
 * unmapped page): bytes_completed and fault_addr exact, everything before
 * the fault written.
 */
static void test_faults(void)
{
	uint8_t *g = t_map_guarded(2 * PG); /* 2 pages, then an unmapped one */
	const uint32_t part = 2 * PG - 8;   /* ends mid-block: 8184 % 64 == 56 */
	uint32_t size, done;
	uint8_t *fault_page = g + 2 * PG;

	/* Create, source 2 faults: the partial last block is in the record. */
	make_pair(3 * PG, 3);
	for (uint32_t w = part - 40; w < part; w += 8)
		s2[w] ^= 0x5a;
	memcpy(g + 8, s2, part);
	ref_create(s1, s2, part, MAXREC, ref, &size, &done);
	for (int bof = 0; bof < 2; bof++) {
		uint8_t want = bof ? DSA_COMP_PAGE_FAULT_IR : DSA_COMP_PAGE_FAULT_NOBOF;

		memset(rec, 0xa5, size + 16);
		T_EQ(cr_delta(s1, g + 8, 3 * PG, rec, MAXREC, bof ? IDXD_OP_FLAG_BOF : 0, 0), want);
		T_EQ(cr->status, want);
		T_EQ(cr->bytes_completed, part);
		T_EQ(cr->fault_addr, a(fault_page));
		T_EQ(cr->delta_rec_size, size);
		T_EQ(cr->result, 1);
		T_CHECK(memcmp(rec, ref, size) == 0 && rec[size] == 0xa5, "record before fault");
	}
	/* Create, source 1 faults (swap the roles: the record keeps src2 words). */
	memcpy(g + 8, s1, part);
	ref_create(s1, s2, part, MAXREC, ref, &size, &done);
	T_EQ(cr_delta(g + 8, s2, 3 * PG, rec, MAXREC, 0, 0), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr->bytes_completed, part);
	T_EQ(cr->fault_addr, a(fault_page));
	T_EQ(cr->delta_rec_size, size);
	T_CHECK(memcmp(rec, ref, size) == 0, "record before src1 fault");
	/* Create, the record write faults: block 0 fits (20 bytes), block 1 does not. */
	memcpy(s2, s1, 128);
	s2[0] ^= 1;
	s2[8] ^= 1;
	for (int w = 64; w < 128; w += 8)
		s2[w] ^= 1;
	T_EQ(cr_delta(s1, s2, 128, fault_page - 40, 200, 0, 0),
	     DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr->bytes_completed, 64);
	T_EQ(cr->delta_rec_size, 20);
	T_EQ(cr->fault_addr, a(fault_page));
	ref_create(s1, s2, 64, 80, ref, &size, &done);
	T_CHECK(memcmp(fault_page - 40, ref, 20) == 0, "record entries before the write fault");

	/* Apply, the destination write faults on the third entry. */
	memset(g, 0x11, 2 * PG);
	memset(dst, 0x11, 2 * PG);
	put(rec, 0, 1, 0xa1);
	put(rec, 1, 5, 0xa2);
	put(rec, 2, 2 * PG / 8, 0xa3);
	put(rec, 3, 2 * PG / 8 + 6, 0xa4);
	ref_apply(dst, rec, 20);
	for (int bof = 0; bof < 2; bof++) {
		uint8_t want = (bof ? DSA_COMP_PAGE_FAULT_IR : DSA_COMP_PAGE_FAULT_NOBOF) |
			       DSA_COMP_STATUS_WRITE;

		T_EQ(ap_delta(rec, 40, g, 3 * PG, bof ? IDXD_OP_FLAG_BOF : 0), want);
		T_EQ(cr->status, want);
		T_EQ(cr->bytes_completed, 20);
		T_EQ(cr->fault_addr, a(fault_page));
		T_CHECK(memcmp(g, dst, 2 * PG) == 0, "entries before the write fault");
	}
	/* Apply, the record read faults inside the third entry. */
	memcpy(fault_page - 25, rec, 25);
	memset(dst, 0x11, 2 * PG);
	memset(ref, 0x11, 2 * PG);
	ref_apply(ref, rec, 20);
	T_EQ(ap_delta(fault_page - 25, 30, dst, 3 * PG, 0), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr->bytes_completed, 20);
	T_EQ(cr->fault_addr, a(fault_page));
	T_EQ(word_at(dst, 1), 0xa1);
	T_CHECK(memcmp(dst, ref, 2 * PG) == 0, "entries before the read fault");

	/* Not present (injected) with BOF clear faults; BOF set resolves it. */
	put(rec, 2, PG / 8 + 3, 0xa3);
	T_EQ(atc_inject(as_atc(dev.as), a(dst + PG), DMA_WRITE, DMA_FAULT_NOT_PRESENT), 0);
	T_EQ(ap_delta(rec, 30, dst, 2 * PG, 0), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr->bytes_completed, 20);
	T_EQ(cr->fault_addr, a(dst + PG + 24));
	T_EQ(ap_delta(rec, 30, dst, 2 * PG, IDXD_OP_FLAG_BOF), DSA_COMP_SUCCESS);
	T_EQ(word_at(dst, PG / 8 + 3), 0xa3);
	atc_inject_clear(as_atc(dev.as));
	t_unmap(g, 2 * PG);
}

int main(void)
{
	t_seed(0x5eed0007);
	t_dev_init(&dev);
	cr = t_map(sizeof(*cr));
	s1 = t_map(MAXX + 4 * PG);
	s2 = t_map(MAXX + 4 * PG);
	dst = t_map(MAXX + 4 * PG);
	ref = t_map(MAXREC + 4 * PG);
	rec = t_map(2u << 20);
	test_round_trips();
	test_overflow();
	test_check_result();
	test_check_errors();
	test_apply_errors();
	test_faults();
	t_unmap(s1, MAXX + 4 * PG);
	t_unmap(s2, MAXX + 4 * PG);
	t_unmap(dst, MAXX + 4 * PG);
	t_unmap(ref, MAXREC + 4 * PG);
	t_unmap(rec, 2u << 20);
	t_unmap(cr, sizeof(*cr));
	t_dev_exit(&dev);
	return t_done("conformance/delta");
}
