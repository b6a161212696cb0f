/* SPDX-License-Identifier: MIT */
/*
 * Memory operations of DSA 1.0 (dsa-device.md §6): NOOP, MEMMOVE, MEMFILL,
 * COMPARE, COMPVAL, DUALCAST and CFLUSH. Each walks its buffers in windows
 * from the DMA layer; a window ends before the first page that faults, so
 * everything before a faulting page is fully written when the op stops.
 */
#include <string.h>

#include "dsa.h"

/*
 * Bulk copy. Above 1 MiB glibc's vector loop runs at about half the speed of
 * "rep movsb" on the reference machine (performance.md §3.1), so large
 * non-overlapping copies use the string instruction.
 */
static void copy_bulk(void *dst, const void *src, uint64_t n)
{
#if defined(__x86_64__) && !defined(SVA_SANITIZED)
	if (n >= (1u << 20)) {
		__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
		return;
	}
#endif
	memcpy(dst, src, n);
}

uint8_t ops_noop(struct dsa_exec *x)
{
	return DSA_COMP_SUCCESS;
}

uint8_t ops_check_memmove(const struct dsa_exec *x)
{
	if (!(x->caps->gencap & GENCAP_OVERLAP_COPY) &&
	    checks_overlap(x->d.src_addr, x->d.xfer_size, x->d.dst_addr, x->d.xfer_size))
		return DSA_COMP_OVERLAP_BUFFERS;
	return 0;
}

/*
 * Descending copy for a destination that overlaps the end of the source:
 * it walks backwards one page-bounded piece at a time, so on a fault the
 * bytes_completed count is the tail that was fully copied.
 */
static uint8_t memmove_descending(struct dsa_exec *x)
{
	uint64_t src = x->d.src_addr, dst = x->d.dst_addr, n = x->d.xfer_size;
	uint64_t done = 0;

	while (done < n) {
		uint64_t end = n - done;
		uint64_t piece = end;
		uint64_t s_off = (src + end) & 4095, d_off = (dst + end) & 4095;
		struct dma_win ws, wd;

		/* Stop at the nearest page boundary below the end of either buffer. */
		if (s_off && s_off < piece)
			piece = s_off;
		if (d_off && d_off < piece)
			piece = d_off;
		if (piece > 4096)
			piece = 4096;
		if (dma_map(&x->dma, &ws, src + end - piece, piece, DMA_READ))
			return exec_fault_status(x, done);
		if (ws.len < piece) {
			dma_unmap(&x->dma, &ws);
			return exec_fault_status(x, done);
		}
		if (dma_map(&x->dma, &wd, dst + end - piece, piece, DMA_WRITE)) {
			dma_unmap(&x->dma, &ws);
			return exec_fault_status(x, done);
		}
		if (wd.len < piece) {
			dma_unmap(&x->dma, &wd);
			dma_unmap(&x->dma, &ws);
			return exec_fault_status(x, done);
		}
		memmove(wd.ptr, ws.ptr, piece);
		dma_unmap(&x->dma, &wd);
		dma_unmap(&x->dma, &ws);
		done += piece;
		x->bytes += piece;
	}
	return DSA_COMP_SUCCESS;
}

uint8_t ops_memmove(struct dsa_exec *x)
{
	const uint64_t addr[2] = { x->d.src_addr, x->d.dst_addr };
	static const unsigned int access[2] = { DMA_READ, DMA_WRITE };
	uint64_t n = x->d.xfer_size, off = 0;
	bool overlap = checks_overlap(addr[0], n, addr[1], n);
	uint8_t st;

	/* CR result = direction: 0 ascending, 1 descending (§6). */
	if (overlap && addr[1] > addr[0]) {
		x->cr.result = 1;
		return memmove_descending(x);
	}
	/* Pieces run in parallel and in any order: only for disjoint buffers. */
	if (!overlap && coop_exec(x, &st))
		return st;
	while (off < n) {
		struct dma_win w[2];
		uint64_t len = exec_map_streams(x, w, addr, access, 2, off, n - off);

		if (!len)
			return exec_fault_status(x, off);
		if (overlap)
			memmove(w[1].ptr, w[0].ptr, len);
		else
			copy_bulk(w[1].ptr, w[0].ptr, len);
		exec_unmap_streams(x, w, 2);
		off += len;
		x->bytes += len;
	}
	return DSA_COMP_SUCCESS;
}

/* Fill dst with the 8-byte pattern starting at pattern byte phase (0..7). */
static void fill_pattern(uint8_t *dst, uint64_t n, uint64_t pattern, unsigned int phase)
{
	uint8_t pat[16];
	uint64_t done;

	memcpy(pat, &pattern, 8);
	memcpy(pat + 8, &pattern, 8);
	if (pattern == 0x0101010101010101ull * (uint8_t)pattern) {
		memset(dst, (uint8_t)pattern, n);
		return;
	}
	if (n <= 8) {
		memcpy(dst, pat + phase, n);
		return;
	}
	memcpy(dst, pat + phase, 8);
	/* Doubling: the first done bytes already hold whole periods of 8. */
	for (done = 8; done < n;) {
		uint64_t k = done < n - done ? done : n - done;

		memcpy(dst + done, dst, k);
		done += k;
	}
}

void ops_mem_piece(uint8_t opcode, uint64_t dst, uint64_t src, uint64_t pattern, uint64_t off,
		   uint64_t len)
{
	uint8_t *d = (uint8_t *)(uintptr_t)(dst + off);

	if (opcode == DSA_OPCODE_MEMMOVE)
		copy_bulk(d, (const uint8_t *)(uintptr_t)(src + off), len);
	else
		fill_pattern(d, len, pattern, off & 7);
}

uint8_t ops_memfill(struct dsa_exec *x)
{
	uint64_t n = x->d.xfer_size, off = 0;
	uint8_t st;

	if (coop_exec(x, &st))
		return st;

	while (off < n) {
		struct dma_win w;

		if (dma_map(&x->dma, &w, x->d.dst_addr + off, n - off, DMA_WRITE))
			return exec_fault_status(x, off);
		fill_pattern(w.ptr, w.len, x->d.pattern, off & 7);
		dma_unmap(&x->dma, &w);
		off += w.len;
		x->bytes += w.len;
	}
	return DSA_COMP_SUCCESS;
}

/* Offset of the first differing byte of a and b (n bytes), or n. */
static uint64_t first_diff(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t i = 0;

	/* memcmp finds the 4 KiB block quickly; the byte loop pins the offset. */
	while (i < n) {
		uint64_t k = n - i < 4096 ? n - i : 4096;

		if (memcmp(a + i, b + i, k) != 0) {
			while (a[i] == b[i])
				i++;
			return i;
		}
		i += k;
	}
	return n;
}

/* Finish COMPARE/COMPVAL: result, first difference, Check Result (§6). */
static uint8_t compare_done(struct dsa_exec *x, bool differ, uint64_t at)
{
	x->cr.result = differ;
	x->cr.bytes_completed = differ ? (uint32_t)at : 0;
	if ((x->d.flags & IDXD_OP_FLAG_CR) && x->cr.result != x->d.expected_res)
		return DSA_COMP_SUCCESS_PRED;
	return DSA_COMP_SUCCESS;
}

uint8_t ops_compare(struct dsa_exec *x)
{
	const uint64_t addr[2] = { x->d.src_addr, x->d.src2_addr };
	static const unsigned int access[2] = { DMA_READ, DMA_READ };
	uint64_t n = x->d.xfer_size, off = 0;

	while (off < n) {
		struct dma_win w[2];
		uint64_t len = exec_map_streams(x, w, addr, access, 2, off, n - off);
		uint64_t d;

		if (!len)
			return exec_fault_status(x, off);
		d = first_diff(w[0].ptr, w[1].ptr, len);
		exec_unmap_streams(x, w, 2);
		x->bytes += d;
		if (d < len)
			return compare_done(x, true, off + d);
		off += len;
	}
	return compare_done(x, false, 0);
}

uint8_t ops_compval(struct dsa_exec *x)
{
	uint8_t pat[4096 + 8];
	uint64_t n = x->d.xfer_size, off = 0;

	for (unsigned int i = 0; i < sizeof(pat); i += 8)
		memcpy(pat + i, &x->d.comp_pattern, 8);
	while (off < n) {
		struct dma_win w;
		uint64_t i = 0;

		if (dma_map(&x->dma, &w, x->d.src_addr + off, n - off, DMA_READ))
			return exec_fault_status(x, off);
		while (i < w.len) {
			uint64_t k = w.len - i < 4096 ? w.len - i : 4096;
			uint64_t d = first_diff((const uint8_t *)w.ptr + i, pat + ((off + i) & 7), k);

			if (d < k) {
				dma_unmap(&x->dma, &w);
				x->bytes += i + d;
				return compare_done(x, true, off + i + d);
			}
			i += k;
		}
		dma_unmap(&x->dma, &w);
		off += w.len;
		x->bytes += w.len;
	}
	return compare_done(x, false, 0);
}

uint8_t ops_check_dualcast(const struct dsa_exec *x)
{
	uint64_t n = x->d.xfer_size;

	if ((x->d.dst_addr & 0xfff) != (x->d.dest2 & 0xfff))
		return DSA_COMP_DCAST_ERR;
	if (checks_overlap(x->d.src_addr, n, x->d.dst_addr, n) ||
	    checks_overlap(x->d.src_addr, n, x->d.dest2, n) ||
	    checks_overlap(x->d.dst_addr, n, x->d.dest2, n))
		return DSA_COMP_OVERLAP_BUFFERS;
	return 0;
}

uint8_t ops_dualcast(struct dsa_exec *x)
{
	const uint64_t addr[3] = { x->d.src_addr, x->d.dst_addr, x->d.dest2 };
	static const unsigned int access[3] = { DMA_READ, DMA_WRITE, DMA_WRITE };
	uint64_t n = x->d.xfer_size, off = 0;

	while (off < n) {
		struct dma_win w[3];
		uint64_t len = exec_map_streams(x, w, addr, access, 3, off, n - off);

		if (!len)
			return exec_fault_status(x, off);
		copy_bulk(w[1].ptr, w[0].ptr, len);
		copy_bulk(w[2].ptr, w[0].ptr, len);
		exec_unmap_streams(x, w, 3);
		off += len;
		x->bytes += len;
	}
	return DSA_COMP_SUCCESS;
}

/*
 * Cache Flush changes no data, so the model translates the range (which is
 * where a real device can fault) and does nothing else (§6, CFLUSH row).
 */
uint8_t ops_cflush(struct dsa_exec *x)
{
	uint64_t n = x->d.xfer_size, off = 0;

	while (off < n) {
		struct dma_win w;

		if (dma_map(&x->dma, &w, x->d.dst_addr + off, n - off, DMA_READ))
			return exec_fault_status(x, off);
		dma_unmap(&x->dma, &w);
		off += w.len;
	}
	return DSA_COMP_SUCCESS;
}
