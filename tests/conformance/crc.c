/* SPDX-License-Identifier: MIT */
/*
 * Description: CRCGEN and COPY_CRC against a bitwise CRC-32C reference:
 * the check value, seeds from the descriptor and from seed_addr (Read CRC
 * Seed), chaining, sizes from 1 byte to several MiB, unaligned buffers,
 * seed_addr alignment (0x1c), copy overlap (0x16), reserved bits (0x12),
 * and CRAV being required (0x11).
 */
#include <string.h>

#include "harness.h"

static struct t_dev dev;
static struct dsa_completion_record cr __attribute__((aligned(32)));
static const uint32_t sizes[] = { 1, 3, 8, 9, 64, 511, 4096, 4099, 65536, 70000,
				  1 << 20, (2 << 20) + 7 };

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void crc_desc(struct dsa_hw_desc *d, uint8_t op, const void *src, void *dst, uint32_t n,
		     uint32_t seed)
{
	t_desc(d, op, 0, &cr);
	d->src_addr = a(src);
	d->dst_addr = a(dst);
	d->xfer_size = n;
	d->crc_seed = seed;
}

static void test_check_value(void)
{
	static const char msg[] = "123456789";
	struct dsa_hw_desc d;

	crc_desc(&d, DSA_OPCODE_CRCGEN, msg, NULL, 9, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	/* Standard CRC-32C check value: seed 0 gives the standard CRC. */
	T_EQ(cr.crc_val, 0xE3069283u);
	T_EQ(ref_crc32c(0, msg, 9), 0xE3069283u);
}

static void test_sizes(void)
{
	size_t cap = (2 << 20) + 4096;
	uint8_t *src = t_map(cap), *dst = t_map(cap);
	uint32_t seeds[] = { 0, 0x12345678, 0xffffffff };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i], seed = seeds[i % 3];
		unsigned int off = (unsigned int)t_rand_range(0, 31);
		uint32_t want;
		struct dsa_hw_desc d;

		t_fill_random(src + off, n);
		want = ref_crc32c(seed, src + off, n);
		crc_desc(&d, DSA_OPCODE_CRCGEN, src + off, NULL, n, seed);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_EQ(cr.crc_val, want);

		memset(dst, 0, n + 64);
		crc_desc(&d, DSA_OPCODE_COPY_CRC, src + off, dst + 1, n, seed);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
		T_EQ(cr.crc_val, want);
		T_CHECK(memcmp(dst + 1, src + off, n) == 0, "copy_crc copy n=%u", n);
		T_EQ(dst[0], 0);
		T_EQ(dst[n + 1], 0);
	}
	t_unmap(src, cap);
	t_unmap(dst, cap);
}

static void test_seed_addr_and_chain(void)
{
	uint8_t *buf = t_map(8192);
	uint32_t *seedp = (uint32_t *)(void *)(buf + 4096);
	struct dsa_hw_desc d;
	uint32_t first;

	t_fill_random(buf, 4096);
	/* crc(A || B) = crc(B, seed = crc(A)) */
	crc_desc(&d, DSA_OPCODE_CRCGEN, buf, NULL, 1000, 0x1234);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	first = (uint32_t)cr.crc_val;
	*seedp = first;
	crc_desc(&d, DSA_OPCODE_CRCGEN, buf + 1000, NULL, 3096, 0xdead);	/* ignored */
	d.flags |= SVA_OP_FLAG_CRC_READ_SEED;
	d.seed_addr = a(seedp);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	T_EQ(cr.crc_val, ref_crc32c(0x1234, buf, 4096));

	/* seed_addr must be 4-byte aligned → 0x1c */
	d.seed_addr = a(buf + 4097);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_ADDR_ALIGN);
	/* unmapped seed_addr → page fault before any data, fault_addr = seed_addr */
	d.seed_addr = 0x10;
	T_EQ(t_exec(&dev, &d, NULL) & DSA_COMP_STATUS_MASK, DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.fault_addr, 0x10);
	T_EQ(cr.bytes_completed, 0);
	t_unmap(buf, 8192);
}

static void test_errors(void)
{
	uint8_t *buf = t_map(8192);
	struct dsa_hw_desc d;

	/* COPY_CRC overlap → 0x16; CRCGEN ignores dst entirely. */
	crc_desc(&d, DSA_OPCODE_COPY_CRC, buf, buf + 100, 200, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_OVERLAP_BUFFERS);
	d.opcode = DSA_OPCODE_CRCGEN;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	/* crc_rsvd (bytes 44-47) non-zero → 0x12 */
	d.crc_rsvd = 1;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_NOZERO_RESERVE);
	d.crc_rsvd = 0;
	/* v2 CRC flags 0x20000/0x40000 are reserved on DSA 1.0 → 0x11 */
	d.flags |= 0x20000;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_INVALID_FLAGS);
	T_EQ(cr.invalid_flags, 0x20000);
	/* Read CRC Seed is a CRC-only flag: reserved on MEMMOVE */
	crc_desc(&d, DSA_OPCODE_MEMMOVE, buf, buf + 4096, 64, 0);
	d.flags |= SVA_OP_FLAG_CRC_READ_SEED;
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_INVALID_FLAGS);
	T_EQ(cr.invalid_flags, SVA_OP_FLAG_CRC_READ_SEED);
	t_unmap(buf, 8192);
}

int main(void)
{
	t_seed(0x5eed0002);
	t_dev_init(&dev);
	test_check_value();
	test_sizes();
	test_seed_addr_and_chain();
	test_errors();
	t_dev_exit(&dev);
	return t_done("conformance/crc");
}
