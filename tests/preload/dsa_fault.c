/* SPDX-License-Identifier: MIT */
/*
 * Description: page-fault recovery as an unmodified DSA program does it
 * (the dsa_test pattern: it links nothing of sva). It opens a shared WQ's
 * node (argv[1], default /dev/dsa/wq0.0), mmaps the portal and submits
 * MEMMOVEs with _enqcmd(). Pages of the source and of the destination are
 * made non-resident with MADV_DONTNEED first. With Block-on-Fault off,
 * each such page stops the copy with a partial completion: status 0x03
 * (0x83 for the destination: a write), bytes_completed up to the page and
 * fault_addr on it; the program touches the page and resubmits the
 * remainder, as software recovery does, until the copy completes, and the
 * bytes must be exact. With Block-on-Fault on, the same copy completes in
 * one descriptor. The WQ must allow block_on_fault.
 *
 * Run by tests/preload (LD_PRELOAD=libsva-trap.so, the library's default
 * device) and tests/compat/dsa_fault.c (under svarun, on a WQ configured
 * through accel-config's JSON).
 * Build: cc -menqcmd dsa_fault.c
 */
#include <errno.h>
#include <fcntl.h>
#include <immintrin.h>
#include <linux/idxd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dsa_prog.h"

#define PG		4096u
#define NPAGES		8u
#define LEN		(NPAGES * PG)

static void *portal;
static uint8_t *src, *dst;
static int failures;

#define CHECK(cond, ...)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			failures++;                                               \
			fprintf(stderr, "dsa_fault:%d: ", __LINE__);              \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
		}                                                                 \
	} while (0)

/* One MEMMOVE of len bytes at offset off; returns the record's status. */
static int copy(uint32_t off, uint32_t len, uint32_t flags, struct dsa_completion_record *cr)
{
	static struct dsa_hw_desc d __attribute__((aligned(64)));

	memset(&d, 0, sizeof(d));
	memset(cr, 0, sizeof(*cr));
	d.opcode = DSA_OPCODE_MEMMOVE;
	d.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR | flags;
	d.completion_addr = (uint64_t)(uintptr_t)cr;
	d.src_addr = (uint64_t)(uintptr_t)(src + off);
	d.dst_addr = (uint64_t)(uintptr_t)(dst + off);
	d.xfer_size = len;
	_mm_sfence();	/* the record's reset before the device may write it */
	while (_enqcmd(portal, &d))
		_mm_pause();	/* ZF=1: Retry */
	return wait_record(cr);
}

/* Fresh buffers, then src page sp and dst page dp (if < NPAGES) not resident. */
static void prepare(unsigned int sp, unsigned int dp)
{
	for (uint32_t i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i * 7 + i / PG);
	memset(dst, 0xee, LEN);
	/* private anonymous memory: the page is dropped, and reads as zero once touched */
	if (sp < NPAGES && madvise(src + sp * PG, PG, MADV_DONTNEED))
		perror("madvise");
	if (dp < NPAGES && madvise(dst + dp * PG, PG, MADV_DONTNEED))
		perror("madvise");
}

/*
 * Block-on-Fault off: copy, and on each page fault check the partial
 * completion, touch the page and resubmit what is left. Returns the
 * number of faults seen.
 */
static unsigned int copy_recovering(const char *what)
{
	struct dsa_completion_record cr __attribute__((aligned(32)));
	uint32_t off = 0;
	unsigned int faults = 0;
	int st;

	while ((st = copy(off, LEN - off, 0, &cr)) != DSA_COMP_SUCCESS) {
		uint64_t fa = cr.fault_addr;
		bool write = st & DSA_COMP_STATUS_WRITE;
		uint8_t *base = write ? dst : src;

		if ((st & DSA_COMP_STATUS_MASK) != DSA_COMP_PAGE_FAULT_NOBOF || faults > NPAGES) {
			CHECK(0, "%s: status 0x%x at offset %u", what, st, off);
			return faults;
		}
		faults++;
		/* the copy stopped exactly at the faulting page */
		CHECK(fa >= (uint64_t)(uintptr_t)(base + off) &&
		      fa < (uint64_t)(uintptr_t)(base + LEN), "%s: fault_addr %#llx outside",
		      what, (unsigned long long)fa);
		CHECK(fa == (uint64_t)(uintptr_t)(base + off + cr.bytes_completed),
		      "%s: fault_addr %#llx, but %u bytes completed from offset %u", what,
		      (unsigned long long)fa, cr.bytes_completed, off);
		CHECK(memcmp(dst + off, src + off, cr.bytes_completed) == 0,
		      "%s: the completed part differs", what);
		/* touch the page as the fault handler would, then resubmit the rest */
		if (write)
			*(volatile uint8_t *)(uintptr_t)fa = 0;
		else
			(void)*(volatile uint8_t *)(uintptr_t)fa;
		off += cr.bytes_completed;
	}
	return faults;
}

static void check_bytes(const char *what, unsigned int zero_page)
{
	CHECK(memcmp(dst, src, LEN) == 0, "%s: destination differs from source", what);
	/* the dropped source page reads as zero: the copy saw what the program sees */
	if (zero_page < NPAGES)
		for (uint32_t i = 0; i < PG; i++)
			if (dst[zero_page * PG + i]) {
				CHECK(0, "%s: byte %u of the dropped page is %#x", what, i,
				      dst[zero_page * PG + i]);
				break;
			}
}

int main(int argc, char **argv)
{
	const char *node = argc > 1 ? argv[1] : "/dev/dsa/wq0.0";
	struct dsa_completion_record cr __attribute__((aligned(32)));
	int fd = open(node, O_RDWR), st;

	if (fd < 0) {
		printf("SKIP: %s: %s (run under LD_PRELOAD=libsva-trap.so or svarun)\n", node,
		       strerror(errno));
		return 77;
	}
	portal = mmap(NULL, 0x1000, PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	src = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (portal == MAP_FAILED || src == MAP_FAILED || dst == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	/* resident: one descriptor */
	prepare(NPAGES, NPAGES);
	CHECK(copy_recovering("resident") == 0, "resident buffers faulted");
	check_bytes("resident", NPAGES);

	/* BOF off, a destination page: one write fault (0x83) */
	prepare(NPAGES, 5);
	CHECK(copy_recovering("dst page 5") == 1, "dst page 5: not exactly one fault");
	check_bytes("dst page 5", NPAGES);

	/* BOF off, a source page: one read fault (0x03); the page reads as zero */
	prepare(2, NPAGES);
	CHECK(copy_recovering("src page 2") == 1, "src page 2: not exactly one fault");
	check_bytes("src page 2", 2);

	/* BOF off, both: two partial completions, in address order */
	prepare(3, 6);
	CHECK(copy_recovering("src 3 + dst 6") == 2, "src 3 + dst 6: not exactly two faults");
	check_bytes("src 3 + dst 6", 3);

	/* BOF on: the device faults the pages in itself and completes in one go */
	prepare(1, 4);
	st = copy(0, LEN, IDXD_OP_FLAG_BOF, &cr);
	CHECK(st == DSA_COMP_SUCCESS, "BOF: status 0x%x (0x11: the WQ does not allow BOF)", st);
	CHECK(cr.bytes_completed == 0, "BOF: bytes_completed %u", cr.bytes_completed);
	check_bytes("BOF", 1);

	munmap(portal, 0x1000);
	close(fd);
	if (failures)
		fprintf(stderr, "dsa_fault: %d check(s) failed\n", failures);
	else
		printf("dsa_fault: ok\n");
	return failures ? 1 : 0;
}
