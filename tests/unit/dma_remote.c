/* SPDX-License-Identifier: MIT */
/*
 * Description: DMA backend for another process (dma_remote.c, SYS-9,
 * dsa-device.md §9). A forked child maps buffers and waits; the parent runs
 * real descriptors against the child's address space through
 * as_new_remote(): MEMMOVE and CRCGEN with the completion record in the
 * child, a read fault at an unmapped page (0x03/0x04 with exact
 * bytes_completed and fault_addr), a read-only destination (0x83, page left
 * untouched although /proc/PID/mem could force it), a MADV_DONTNEED page
 * (BOF=0: 0x03, BOF=1: success), a source that stops being resident
 * partway (0x03 with the resident bytes done), then a dead or missing pid
 * (-ESRCH). The fault checks run twice: with the kernel interfaces the
 * backend prefers (PROCMAP_QUERY, PAGEMAP_SCAN, process_vm_readv) and with
 * the fallbacks it uses on older kernels (as_remote_use_fallbacks()).
 * Prints the cost of a 4 KiB MEMMOVE through the remote backend.
 */
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PG	4096ull
/*
 * p0-1 src, p2-3 dst, p4 unmapped, p5 record, p6 RO, p7 DONTNEED, p8 dst,
 * p9 readable, p10 DONTNEED: each pass needs a page it has not made resident.
 */
#define NPAGES	11

static pid_t child;
static uint64_t base;
static uint8_t pattern[2 * PG];

static void child_main(int wr, int rd)
{
	uint8_t *p = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;

	if (p == MAP_FAILED)
		_exit(2);
	memcpy(p, pattern, sizeof(pattern));
	memset(p + 2 * PG, 0, NPAGES * PG - 2 * PG);
	memset(p + 6 * PG, 0x66, PG);
	munmap(p + 4 * PG, PG);
	mprotect(p + 6 * PG, PG, PROT_READ);
	memset(p + 9 * PG, 0x99, PG);
	madvise(p + 7 * PG, PG, MADV_DONTNEED);
	madvise(p + 10 * PG, PG, MADV_DONTNEED);
	base = (uint64_t)(uintptr_t)p;
	if (write(wr, &base, sizeof(base)) != sizeof(base))
		_exit(3);
	while (read(rd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void peek(void *buf, uint64_t addr, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };

	if (process_vm_readv(child, &l, 1, &r, 1, 0) != (ssize_t)len)
		T_FATAL("process_vm_readv: %s", strerror(errno));
}

static uint8_t run(struct t_dev *t, uint8_t op, uint64_t src, uint64_t dst, uint32_t n,
		   bool bof, struct dsa_completion_record *cr)
{
	struct dsa_hw_desc d;
	struct dsa_result res;
	uint64_t cr_addr = base + 5 * PG;
	static const struct dsa_completion_record zero;

	/* Clear the child's record through the backend under test. */
	struct dma_ctx c = { .as = t->as, .bof = true };

	if (dma_write(&c, cr_addr, &zero, sizeof(zero)))
		T_FATAL("dma_write record");
	t_desc(&d, op, bof ? IDXD_OP_FLAG_BOF : 0, NULL);
	d.completion_addr = cr_addr;
	d.src_addr = src;
	d.dst_addr = dst;
	d.xfer_size = n;
	if (dsa_exec_desc(&t->caps, &t->wq, t->as, t->pasid, false, &d, &res))
		T_FATAL("dsa_exec_desc");
	peek(cr, cr_addr, sizeof(*cr));
	T_EQ(cr->status, res.status);
	return cr->status;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Faults, residency and payloads; page gone is not resident (and will be
 * after the BOF=1 run), page before it is resident and readable.
 */
static void faults(struct t_dev *t, int gone, int before)
{
	struct dsa_completion_record cr;
	uint8_t got[2 * PG], ro[PG];
	int i;

	/* MEMMOVE across two pages, record in the child. */
	T_EQ(run(t, DSA_OPCODE_MEMMOVE, base + 0x100, base + 2 * PG + 0x80, 2 * PG - 0x200,
		 false, &cr), DSA_COMP_SUCCESS);
	peek(got, base + 2 * PG + 0x80, 2 * PG - 0x200);
	T_CHECK(!memcmp(got, pattern + 0x100, 2 * PG - 0x200), "memmove payload");

	/* CRCGEN over the child's source. */
	T_EQ(run(t, DSA_OPCODE_CRCGEN, base, 0, 2 * PG, false, &cr), DSA_COMP_SUCCESS);
	T_EQ(cr.crc_val, ref_crc32c(0, pattern, 2 * PG));

	/* Read fault at the unmapped page p4: BOF=0 0x03, BOF=1 0x04. */
	T_EQ(run(t, DSA_OPCODE_MEMMOVE, base + 3 * PG + 0x100, base + 8 * PG, PG, false, &cr),
	     DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, PG - 0x100);
	T_EQ(cr.fault_addr, base + 4 * PG);
	T_EQ(run(t, DSA_OPCODE_MEMMOVE, base + 3 * PG + 0x100, base + 8 * PG, PG, true, &cr),
	     DSA_COMP_PAGE_FAULT_IR);
	T_EQ(cr.fault_addr, base + 4 * PG);

	/* Read-only destination: a write fault, and the page is untouched. */
	T_EQ(run(t, DSA_OPCODE_MEMMOVE, base, base + 6 * PG, PG, false, &cr),
	     DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr.bytes_completed, 0);
	T_EQ(cr.fault_addr, base + 6 * PG);
	peek(ro, base + 6 * PG, PG);
	for (i = 0; i < (int)PG && ro[i] == 0x66; i++)
		;
	T_EQ(i, PG);

	/* A source resident up to the page gone: the resident bytes, then 0x03. */
	T_EQ(run(t, DSA_OPCODE_MEMMOVE, base + before * PG + 0x100, base + 8 * PG, PG, false,
		 &cr), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, PG - 0x100);
	T_EQ(cr.fault_addr, base + gone * PG);

	/* Not-resident source (MADV_DONTNEED): BOF=0 faults, BOF=1 resolves. */
	T_EQ(run(t, DSA_OPCODE_MEMMOVE, base + gone * PG, base + 8 * PG, PG, false, &cr),
	     DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, 0);
	T_EQ(cr.fault_addr, base + gone * PG);
	T_EQ(run(t, DSA_OPCODE_MEMMOVE, base + gone * PG, base + 8 * PG, PG, true, &cr),
	     DSA_COMP_SUCCESS);
	peek(got, base + 8 * PG, PG);
	for (i = 0; i < (int)PG && got[i] == 0; i++)
		;
	T_EQ(i, PG);	/* DONTNEED reads back zeroes */

}

/* Print the cost of a 4 KiB MEMMOVE (payload, record clear and record write). */
static void cost(struct t_dev *t, const char *how)
{
	const int iters = 2000;
	struct dsa_hw_desc d;
	struct dsa_result res;
	double t0;

	t_desc(&d, DSA_OPCODE_MEMMOVE, 0, NULL);
	d.completion_addr = base + 5 * PG;
	d.src_addr = base;
	d.dst_addr = base + 2 * PG;
	d.xfer_size = PG;
	t0 = now_ns();
	for (int i = 0; i < iters; i++)
		dsa_exec_desc(&t->caps, &t->wq, t->as, t->pasid, false, &d, &res);
	T_EQ(res.status, DSA_COMP_SUCCESS);
	printf("remote 4 KiB memmove, %s: %.1f us/op (BOF=0, record written)\n", how,
	       (now_ns() - t0) / iters / 1e3);
}

int main(void)
{
	struct t_peer peer;
	struct t_dev t;
	struct as *dead = NULL;
	int r;

	t_seed(0x5eed);
	t_fill_random(pattern, sizeof(pattern));
	t_peer_start(&peer, child_main);
	child = peer.pid;
	base = peer.base;
	t_dev_init_peer(&t, &peer);
	T_EQ(as_kind(t.as), AS_REMOTE);
	T_EQ(as_remote_pid(t.as), child);

	faults(&t, 7, 6);
	cost(&t, "preferred interfaces");
	as_unbind(t.as);
	t.as = as_unref(t.as);
	if (as_new_remote(pasid_alloc_global(), child, &t.as) || as_bind(t.as, PASID_MAX, &t.pasid))
		T_FATAL("second remote space");
	T_EQ(as_remote_use_fallbacks(t.as), 0);
	faults(&t, 10, 9);
	cost(&t, "fallbacks");

	/* The child exits: further DMA faults instead of reaching anyone else. */
	kill(child, SIGKILL);
	t_child_fate(child);
	{
		struct dma_ctx c = { .as = t.as, .bof = true };
		uint8_t b;

		T_EQ(dma_read(&c, &b, base, 1), -EFAULT);
		T_EQ(c.fault.kind, DMA_FAULT_INVALID);
	}
	r = as_new_remote(pasid_alloc_global(), child, &dead);
	T_CHECK(r == -ESRCH || r == -ENOENT, "as_new_remote(dead) = %d", r);
	T_CHECK(dead == NULL, "ret_as clobbered on failure");
	T_EQ(as_new_remote(pasid_alloc_global(), 0, &dead), -EINVAL);
	as_unbind(t.as);
	t.as = as_unref(t.as);
	return t_done("dma_remote");
}
