/* SPDX-License-Identifier: MIT */
/*
 * CRC generation and Copy with CRC (dsa-device.md §6, 0x10/0x11): CRC-32C,
 * reflected polynomial 0x82F63B78, register initialised to ~seed and
 * inverted at the end. ISA-L's crc32_iscsi() returns the raw register, so
 * DSA's value is ~crc32_iscsi(buf, len, ~seed) (performance.md §4).
 */
#include <isa-l/crc.h>
#include <string.h>

#include "dsa.h"

/* Register-level update: chunks chain without re-inverting. */
static uint32_t crc_update(uint32_t reg, const void *buf, uint64_t len)
{
	const unsigned char *p = buf;

	/* crc32_iscsi takes an int length; feed 1 GiB at a time. */
	while (len) {
		int k = len > (1u << 30) ? (1 << 30) : (int)len;

		reg = crc32_iscsi((unsigned char *)p, k, reg);
		p += k;
		len -= (uint64_t)k;
	}
	return reg;
}

uint32_t ops_crc32c(uint32_t seed, const void *buf, uint64_t len)
{
	return ~crc_update(~seed, buf, len);
}

uint8_t ops_check_crc(const struct dsa_exec *x)
{
	if ((x->d.flags & SVA_OP_FLAG_CRC_READ_SEED) && (x->d.seed_addr & 3))
		return DSA_COMP_ADDR_ALIGN;
	return 0;
}

uint8_t ops_check_copy_crc(const struct dsa_exec *x)
{
	uint8_t st = ops_check_crc(x);

	if (st)
		return st;
	if (checks_overlap(x->d.src_addr, x->d.xfer_size, x->d.dst_addr, x->d.xfer_size))
		return DSA_COMP_OVERLAP_BUFFERS;
	return 0;
}

/* The seed: from the descriptor, or with Read CRC Seed from seed_addr. */
static int crc_seed(struct dsa_exec *x, uint32_t *ret_seed)
{
	uint32_t seed = x->d.crc_seed;

	if ((x->d.flags & SVA_OP_FLAG_CRC_READ_SEED) &&
	    dma_read(&x->dma, &seed, x->d.seed_addr, sizeof(seed)))
		return -1;
	*ret_seed = seed;
	return 0;
}

static uint8_t crc_run(struct dsa_exec *x, bool copy)
{
	const uint64_t addr[2] = { x->d.src_addr, x->d.dst_addr };
	static const unsigned int access[2] = { DMA_READ, DMA_WRITE };
	uint64_t n = x->d.xfer_size, off = 0;
	uint32_t seed, reg;

	if (crc_seed(x, &seed))
		return exec_fault_status(x, 0);
	reg = ~seed;
	while (off < n) {
		struct dma_win w[2];
		uint64_t len = exec_map_streams(x, w, addr, access, copy ? 2 : 1, off, n - off);

		if (!len) {
			/* A partial CRC is reported so software can chain it. */
			x->cr.crc_val = ~reg;
			return exec_fault_status(x, off);
		}
		reg = crc_update(reg, w[0].ptr, len);
		if (copy)
			memcpy(w[1].ptr, w[0].ptr, len);
		exec_unmap_streams(x, w, copy ? 2 : 1);
		off += len;
		x->bytes += len;
	}
	x->cr.crc_val = (uint32_t)~reg;
	return DSA_COMP_SUCCESS;
}

uint8_t ops_crcgen(struct dsa_exec *x)
{
	return crc_run(x, false);
}

uint8_t ops_copy_crc(struct dsa_exec *x)
{
	return crc_run(x, true);
}
