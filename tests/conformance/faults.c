/* SPDX-License-Identifier: MIT */
/*
 * Description: page-fault semantics (dsa-device.md §9, system.md SYS-9):
 * munmapped and mprotected pages mid-operation (exact bytes_completed,
 * fault_addr, R/W bit, everything before the page written, nothing after),
 * MADV_DONTNEED with Block-on-Fault 0 and 1, injected not-present pages,
 * BOF=1 on an unmapped page (0x04), and resubmitting the remainder after
 * touching fault_addr, as software recovery does.
 */
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

static struct t_dev dev;
static struct dsa_completion_record cr __attribute__((aligned(32)));
static size_t pg;

static uint64_t a(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void memmove_desc(struct dsa_hw_desc *d, const void *s, void *dd, uint32_t n, uint32_t fl)
{
	t_desc(d, DSA_OPCODE_MEMMOVE, fl, &cr);
	d->src_addr = a(s);
	d->dst_addr = a(dd);
	d->xfer_size = n;
}

/* Source page 3 of 6 unmapped: stop exactly there, in both BOF modes. */
static void test_unmapped_source(void)
{
	uint8_t *src = t_map(6 * pg), *dst = t_map(6 * pg);
	struct dsa_hw_desc d;
	uint32_t off = 100, n = (uint32_t)(5 * pg);

	t_fill_random(src, 6 * pg);
	munmap(src + 3 * pg, pg);
	memset(dst, 0, 6 * pg);
	memmove_desc(&d, src + off, dst + 7, n, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, 3 * pg - off);
	T_EQ(cr.fault_addr, a(src + 3 * pg));
	T_CHECK(memcmp(dst + 7, src + off, 3 * pg - off) == 0, "prefix written");
	T_EQ(dst[7 + 3 * pg - off], 0);	/* nothing after the faulting page */
	T_EQ(cr.result, 0);
	/* With BOF=1 an unmapped page is an Invalid Request: 0x04. */
	memmove_desc(&d, src + off, dst + 7, n, IDXD_OP_FLAG_BOF);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_IR);
	T_EQ(cr.bytes_completed, 3 * pg - off);
	t_unmap(src, 3 * pg);
	t_unmap(src + 4 * pg, 2 * pg);
	t_unmap(dst, 6 * pg);
}

/* A read-only destination page: the write bit 0x80 is set. */
static void test_readonly_dest(void)
{
	uint8_t *src = t_map(4 * pg), *dst = t_map(4 * pg);
	struct dsa_hw_desc d;

	mprotect(dst + 2 * pg, pg, PROT_READ);
	memmove_desc(&d, src, dst + 1, (uint32_t)(3 * pg), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr.bytes_completed, 2 * pg - 1);
	T_EQ(cr.fault_addr, a(dst + 2 * pg));
	/* PROT_NONE source: a read fault, no write bit. */
	mprotect(src + pg, pg, PROT_NONE);
	memmove_desc(&d, src, dst, (uint32_t)(2 * pg), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, pg);
	mprotect(src + pg, pg, PROT_READ | PROT_WRITE);
	mprotect(dst + 2 * pg, pg, PROT_READ | PROT_WRITE);
	/* After the permission comes back the same descriptor completes. */
	memmove_desc(&d, src, dst + 1, (uint32_t)(3 * pg), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	t_unmap(src, 4 * pg);
	t_unmap(dst, 4 * pg);
}

/* MADV_DONTNEED makes a page non-resident: BOF=0 faults, BOF=1 faults it in. */
static void test_dontneed(void)
{
	uint8_t *src = t_map(4 * pg), *dst = t_map(4 * pg);
	struct dsa_hw_desc d;
	uint32_t n = (uint32_t)(4 * pg);

	memset(src, 0xab, 4 * pg);
	memmove_desc(&d, src, dst, n, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);	/* warm the ATC */
	madvise(src + 2 * pg, pg, MADV_DONTNEED);
	memset(dst, 0, 4 * pg);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, 2 * pg);
	T_EQ(cr.fault_addr, a(src + 2 * pg));
	T_EQ(dst[2 * pg], 0);
	/* Block on fault: the page request maps a fresh zero page. */
	memmove_desc(&d, src, dst, n, IDXD_OP_FLAG_BOF);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	T_EQ(dst[2 * pg], 0);
	T_EQ(dst[2 * pg - 1], 0xab);
	T_EQ(dst[3 * pg], 0xab);
	/* Destination non-resident: write fault with BOF=0. */
	madvise(dst + pg, pg, MADV_DONTNEED);
	memmove_desc(&d, src, dst, n, 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr.bytes_completed, pg);
	t_unmap(src, 4 * pg);
	t_unmap(dst, 4 * pg);
}

/* Software recovery: touch fault_addr, resubmit the remainder (§9). */
static void test_resume(void)
{
	uint8_t *src = t_map(8 * pg), *dst = t_map(8 * pg);
	struct dsa_hw_desc d;
	uint32_t n = (uint32_t)(8 * pg - 300), rounds = 0;

	t_fill_random(src, 8 * pg);
	for (int i = 1; i < 8; i += 2)
		madvise(src + i * pg, pg, MADV_DONTNEED);	/* pages read back as zero */
	memmove_desc(&d, src + 150, dst + 150, n, 0);
	while (t_exec(&dev, &d, NULL) != DSA_COMP_SUCCESS) {
		T_EQ(cr.status & DSA_COMP_STATUS_MASK, DSA_COMP_PAGE_FAULT_NOBOF);
		(void)*(volatile uint8_t *)(uintptr_t)cr.fault_addr;	/* touch */
		d.src_addr += cr.bytes_completed;
		d.dst_addr += cr.bytes_completed;
		d.xfer_size -= cr.bytes_completed;
		if (++rounds > 16)
			T_FATAL("resume does not converge");
	}
	T_EQ(rounds, 4);
	T_CHECK(memcmp(dst + 150, src + 150, n) == 0, "resumed copy matches");
	t_unmap(src, 8 * pg);
	t_unmap(dst, 8 * pg);
}

/* Injected faults per (page, access): NOT_PRESENT resolves under BOF=1. */
static void test_injection(void)
{
	uint8_t *src = t_map(4 * pg), *dst = t_map(4 * pg);
	struct atc *atc = as_atc(dev.as);
	struct dsa_hw_desc d;

	T_EQ(atc_inject(atc, a(dst + 2 * pg), DMA_WRITE, DMA_FAULT_NOT_PRESENT), 0);
	memmove_desc(&d, src, dst, (uint32_t)(4 * pg), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr.bytes_completed, 2 * pg);
	/* Reads of that page are not affected. */
	memmove_desc(&d, dst, src, (uint32_t)(4 * pg), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	/* BOF=1: the page request succeeds and consumes the injection. */
	memmove_desc(&d, src, dst, (uint32_t)(4 * pg), IDXD_OP_FLAG_BOF);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	memmove_desc(&d, src, dst, (uint32_t)(4 * pg), 0);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	/* INVALID stays: 0x04 with BOF=1. */
	T_EQ(atc_inject(atc, a(src + pg), DMA_READ, DMA_FAULT_INVALID), 0);
	memmove_desc(&d, src, dst, (uint32_t)(4 * pg), IDXD_OP_FLAG_BOF);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_IR);
	T_EQ(cr.fault_addr, a(src + pg));
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_IR);
	atc_inject_clear(atc);
	T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_SUCCESS);
	t_unmap(src, 4 * pg);
	t_unmap(dst, 4 * pg);
}

/* Kernel and non-canonical addresses fault; they never crash the process. */
static void test_wild_addresses(void)
{
	static const uint64_t wild[] = { 0, 0x1000, 0x00007ffffffff000ull, 0x0000800000000000ull,
					 0xffff800000000000ull, 0xfffffffffffff000ull };
	uint8_t *dst = t_map(pg);
	struct dsa_hw_desc d;

	for (unsigned int i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		memmove_desc(&d, (void *)(uintptr_t)wild[i], dst, 64, 0);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_NOBOF);
		T_EQ(cr.fault_addr, wild[i]);
		memmove_desc(&d, dst, (void *)(uintptr_t)wild[i], 64, IDXD_OP_FLAG_BOF);
		T_EQ(t_exec(&dev, &d, NULL), DSA_COMP_PAGE_FAULT_IR | DSA_COMP_STATUS_WRITE);
	}
	t_unmap(dst, pg);
}

int main(void)
{
	t_seed(0x5eed0005);
	pg = t_page();
	t_dev_init(&dev);
	test_unmapped_source();
	test_readonly_dest();
	test_dontneed();
	test_resume();
	test_injection();
	test_wild_addresses();
	t_dev_exit(&dev);
	return t_done("conformance/faults");
}
