/* SPDX-License-Identifier: MIT */
/*
 * Description: conformance of NOOP, MEMMOVE (both directions of overlap),
 * MEMFILL, COMPARE, COMPVAL (incl. Check Result), DUALCAST and CFLUSH
 * against byte-loop references, over sizes from 1 byte to several MiB,
 * unaligned buffers and every optional flag DSA 1.0 defines for them.
 */
#include <string.h>

#include "harness.h"

static const uint32_t sizes[] = { 1, 2, 3, 7, 8, 9, 63, 64, 65, 255, 4095, 4096, 4097,
				  12345, 65536, 65536 + 13, 1 << 20, (1 << 20) + 5, 3 << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
/* Optional flags that must not change the result of these operations. */
static const uint32_t opt_flags[] = { 0, IDXD_OP_FLAG_CC, IDXD_OP_FLAG_STORD, IDXD_OP_FLAG_DRDBK,
				      IDXD_OP_FLAG_ADDR1_TCS | IDXD_OP_FLAG_ADDR2_TCS |
					      IDXD_OP_FLAG_CR_TCS,
				      IDXD_OP_FLAG_CRSTS | IDXD_OP_FLAG_DSTS, IDXD_OP_FLAG_BOF };
#define NFLAGS (sizeof(opt_flags) / sizeof(opt_flags[0]))

static struct t_dev dev;
static struct dsa_completion_record cr __attribute__((aligned(32)));

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void test_noop(void)
{
	struct dsa_hw_desc d;
	struct dsa_result r;

	t_desc(&d, DSA_OPCODE_NOOP, 0, &cr);
	/* dsa_test sends NOOP with non-zero, meaningless src/dst: ignored (§5.1/6). */
	d.src_addr = 0xdeadbeef000;
	d.dst_addr = 0x1;
	d.xfer_size = 77;
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_SUCCESS);
	T_EQ(cr.status, DSA_COMP_SUCCESS);
	T_CHECK(r.record_written, "NOOP with RCR must write a record");
	/* RCR=0 and success: no record (§8). */
	d.flags = IDXD_OP_FLAG_CRAV;
	cr.status = 0;
	T_EQ(t_exec(&dev, &d, &r), DSA_COMP_SUCCESS);
	T_EQ(cr.status, 0);
	T_CHECK(!r.record_written, "success without RCR must not write a record");
}

static void test_memmove(void)
{
	size_t cap = (3 << 20) + 8192;
	uint8_t *src = t_map(cap), *dst = t_map(cap), *ref = t_map(cap);

	for (unsigned int i = 0; i < NSIZES; i++) {
		uint32_t n = sizes[i];
		unsigned int so = (unsigned int)t_rand_range(0, 63), dof = (unsigned int)t_rand_range(0, 63);
		uint32_t fl = opt_flags[i % NFLAGS];
		struct dsa_hw_desc d;

		t_fill_random(src + so, n);
		t_fill_random(dst, n + 128);
		memcpy(ref, dst, n + 128);
		for (uint32_t k = 0; k < n; k++)
			ref[dof + k] = src[so + k];
		t_desc(&d, DSA_OPCODE_MEMMOVE, fl, &cr);
		d.src_addr = a(src + so);
		d.dst_addr = a(dst + dof);
		d.xfer_size = n;
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_EQ(cr.status, DSA_COMP_SUCCESS);
		T_EQ(cr.result, 0);
		T_CHECK(memcmp(dst, ref, n + 128) == 0, "memmove n=%u so=%u do=%u", n, so, dof);
	}
	/* Overlap, both directions: behaves as if through a temporary buffer. */
	for (unsigned int i = 0; i < NSIZES - 2; i++) {
		uint32_t n = sizes[i];

		for (int dir = 0; dir < 2; dir++) {
			uint32_t shift = (uint32_t)t_rand_range(1, n > 1 ? n - 1 : 1);
			uint8_t *s = dir ? src + 64 : src + 64 + shift;
			uint8_t *dd = dir ? src + 64 + shift : src + 64;
			struct dsa_hw_desc d;

			t_fill_random(src, n + shift + 128);
			memcpy(ref, src, n + shift + 128);
			memmove(ref + (dd - src), ref + (s - src), n);
			t_desc(&d, DSA_OPCODE_MEMMOVE, 0, &cr);
			d.src_addr = a(s);
			d.dst_addr = a(dd);
			d.xfer_size = n;
			T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
			/* result = direction: 1 when dst overlaps the end of src. */
			T_EQ(cr.result, (dir && shift < n) ? 1 : 0);
			T_CHECK(memcmp(src, ref, n + shift + 128) == 0, "overlap n=%u dir=%d", n, dir);
		}
	}
	t_unmap(src, cap);
	t_unmap(dst, cap);
	t_unmap(ref, cap);
}

static void test_memfill(void)
{
	size_t cap = (3 << 20) + 128;
	uint8_t *dst = t_map(cap), *ref = t_map(cap);
	const uint64_t patterns[] = { 0, 0x4242424242424242ull, 0x0123456789abcdefull,
				      0xfedcba9876543210ull };

	for (unsigned int i = 0; i < NSIZES; i++) {
		uint32_t n = sizes[i];
		unsigned int off = (unsigned int)t_rand_range(0, 15);
		uint64_t pat = patterns[i % 4];
		struct dsa_hw_desc d;

		t_fill_random(dst, n + 64);
		memcpy(ref, dst, n + 64);
		for (uint32_t k = 0; k < n; k++)
			ref[off + k] = (uint8_t)(pat >> (8 * (k % 8)));	/* little-endian */
		t_desc(&d, DSA_OPCODE_MEMFILL, opt_flags[i % NFLAGS], &cr);
		d.pattern = pat;
		d.dst_addr = a(dst + off);
		d.xfer_size = n;
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_CHECK(memcmp(dst, ref, n + 64) == 0, "memfill n=%u off=%u", n, off);
	}
	t_unmap(dst, cap);
	t_unmap(ref, cap);
}

static void test_compare(void)
{
	size_t cap = (3 << 20) + 128;
	uint8_t *s1 = t_map(cap), *s2 = t_map(cap);

	for (unsigned int i = 0; i < NSIZES; i++) {
		uint32_t n = sizes[i];
		struct dsa_hw_desc d;

		t_fill_random(s1, n);
		memcpy(s2 + 3, s1, n);
		for (int diff = 0; diff < 2; diff++) {
			uint32_t at = (uint32_t)t_rand_range(0, n - 1);

			if (diff)
				s2[3 + at] ^= 0x10;
			for (int chk = 0; chk < 4; chk++) {
				t_desc(&d, DSA_OPCODE_COMPARE, chk ? IDXD_OP_FLAG_CR : 0, &cr);
				d.src_addr = a(s1);
				d.src2_addr = a(s2 + 3);
				d.xfer_size = n;
				d.expected_res = (uint8_t)(chk - 1);	/* -1 (no CR flag), 0, 1, 2 */
				/* Check Result: status 2 when result != expected_res. */
				uint8_t want = (chk && d.expected_res != diff) ? DSA_COMP_SUCCESS_PRED
									       : DSA_COMP_SUCCESS;
				T_EQ(t_exec(&dev, &d, NULL), want);
				T_EQ(cr.result, diff);
				T_EQ(cr.bytes_completed, diff ? at : 0);
			}
			if (diff)
				s2[3 + at] ^= 0x10;
		}
	}
	t_unmap(s1, cap);
	t_unmap(s2, cap);
}

static void test_compval(void)
{
	size_t cap = (3 << 20) + 128;
	uint8_t *s = t_map(cap);
	const uint64_t pat = 0x0123456789abcdefull;

	for (unsigned int i = 0; i < NSIZES; i++) {
		uint32_t n = sizes[i];
		unsigned int off = (unsigned int)t_rand_range(0, 7);
		struct dsa_hw_desc d;

		for (uint32_t k = 0; k < n; k++)
			s[off + k] = (uint8_t)(pat >> (8 * (k % 8)));
		for (int diff = 0; diff < 2; diff++) {
			uint32_t at = (uint32_t)t_rand_range(0, n - 1);

			if (diff)
				s[off + at] = (uint8_t)~s[off + at];
			t_desc(&d, DSA_OPCODE_COMPVAL, IDXD_OP_FLAG_CR, &cr);
			d.src_addr = a(s + off);
			d.comp_pattern = pat;
			d.xfer_size = n;
			d.expected_res = 0;
			T_EQ(t_exec(&dev, &d, NULL), diff ? DSA_COMP_SUCCESS_PRED : DSA_COMP_SUCCESS);
			T_EQ(cr.result, diff);
			T_EQ(cr.bytes_completed, diff ? at : 0);
			if (diff)
				s[off + at] = (uint8_t)~s[off + at];
		}
	}
	t_unmap(s, cap);
}

static void test_dualcast(void)
{
	size_t cap = (3 << 20) + 8192;
	uint8_t *src = t_map(cap), *d1 = t_map(cap), *d2 = t_map(cap);

	for (unsigned int i = 0; i < NSIZES; i++) {
		uint32_t n = sizes[i];
		unsigned int off = (unsigned int)t_rand_range(0, 4095);
		struct dsa_hw_desc d;

		t_fill_random(src, n);
		memset(d1, 0, n + off + 16);
		memset(d2, 0, n + off + 16);
		t_desc(&d, DSA_OPCODE_DUALCAST, opt_flags[i % NFLAGS], &cr);
		d.src_addr = a(src);
		d.dst_addr = a(d1 + off);
		d.dest2 = a(d2 + off);	/* bits 11:0 equal */
		d.xfer_size = n;
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_CHECK(memcmp(d1 + off, src, n) == 0 && memcmp(d2 + off, src, n) == 0,
			"dualcast n=%u", n);
		T_EQ(d1[off + n], 0);
		T_EQ(d2[off + n], 0);
		/* Destinations differing in bits 11:0 → 0x17. */
		d.dest2 = a(d2 + ((off + 8) & 4095));
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_DCAST_ERR);
	}
	t_unmap(src, cap);
	t_unmap(d1, cap);
	t_unmap(d2, cap);
}

static void test_cflush(void)
{
	uint8_t *buf = t_map(1 << 20);
	uint8_t *copy = t_map(1 << 20);
	struct dsa_hw_desc d;

	t_fill_random(buf, 1 << 20);
	memcpy(copy, buf, 1 << 20);
	t_desc(&d, DSA_OPCODE_CFLUSH, 0, &cr);
	d.dst_addr = a(buf + 5);
	d.xfer_size = (1 << 20) - 5;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	T_CHECK(memcmp(buf, copy, 1 << 20) == 0, "cflush must not change data");
	/* CC=1 (write back and keep) needs GENCAP cache_control_cache, off on SPR. */
	d.flags |= IDXD_OP_FLAG_CC;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_INVALID_FLAGS);
	T_EQ(cr.invalid_flags, IDXD_OP_FLAG_CC);
	dev.caps.gencap |= GENCAP_CC_CACHE;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	dev.caps.gencap &= ~GENCAP_CC_CACHE;
	t_unmap(buf, 1 << 20);
	t_unmap(copy, 1 << 20);
}

int main(void)
{
	t_seed(0x5eed0001);
	t_dev_init(&dev);
	test_noop();
	test_memmove();
	test_memfill();
	test_compare();
	test_compval();
	test_dualcast();
	test_cflush();
	t_dev_exit(&dev);
	return t_done("conformance/memops");
}
