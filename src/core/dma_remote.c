/* SPDX-License-Identifier: MIT */
/*
 * DMA backend for another process's address space (svad serves clients
 * through it). Windows are bounce buffers filled from the client with
 * process_vm_readv() and written back with pwrite on /proc/PID/mem.
 *
 * Binding: /proc/PID/mem, /proc/PID/pagemap and /proc/PID/maps are opened
 * once at creation. Each of them pins the target's mm at open time
 * (proc_mem_open()), so a later pid reuse can never redirect DMA to another
 * process. The pidfd is opened first and checked alive (pidfd_send_signal
 * with signal 0) after the /proc opens: a pid number cannot be reused while
 * its process lives, so a live check afterwards proves all three files
 * belong to the pidfd's process. When the target exits, its mm is gone and
 * every access reads/writes 0 bytes (mmget_not_zero() fails): that is
 * reported as DMA_FAULT_INVALID, like an unmapped page.
 *
 * Translation (system.md SYS-9), for each window:
 *  - permission from the VMA (PROCMAP_QUERY ioctl on maps, Linux 6.11+, or
 *    a text parse of maps otherwise). This is mandatory: /proc/PID/mem
 *    accesses use FOLL_FORCE and would write read-only or read PROT_NONE
 *    pages. Missing VMA or permission: DMA_FAULT_INVALID.
 *  - residency from pagemap (bit 63 present; bit 62 swapped is not
 *    resident) when BOF=0: DMA_FAULT_NOT_PRESENT. With BOF=1 the access
 *    itself faults pages in through GUP, like a PRI Success response.
 * Nothing is cached: the client may remap at any time and no notifier
 * reaches across processes yet (correctness first).
 *
 * Reads take process_vm_readv(), which pins the pages in batches and copies
 * once, where a read of /proc/PID/mem goes through a kernel bounce page one
 * page at a time (several times slower for large windows). It names the
 * target by pid number, so every read is followed by a liveness check of the
 * pidfd: a pid number is only reused after its process was reaped, and then
 * the check fails and the read is reported as a fault (the bytes are
 * discarded). A read from the same process after an exec (a new mm) cannot
 * happen: translation through the maps/pagemap files of the old mm fails
 * first; and if it could, the bytes could only be written back into the old
 * mm, through mem_fd, which is gone. Where process_vm_readv() is refused
 * (EPERM: the client became non-dumpable, or ptrace rules changed after
 * bind), the read falls back to /proc/PID/mem, which was authorised at
 * bind. Writes always go through mem_fd: a write by pid number could land
 * in whoever reuses the pid before the check.
 *
 * Bounce buffers: windows are capped at REMOTE_WIN_MAX, and each thread owns
 * REMOTE_SLOTS of them, mapped on its first remote access and unmapped at
 * thread exit, so the datapath itself never allocates.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <linux/idxd.h>
#include <unistd.h>

#include "core.h"
#include "assist.h"
#include "sva/sva_barrier.h"

#ifndef PROCMAP_QUERY
/* include/uapi/linux/fs.h, Linux 6.11 */
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define PROCMAP_QUERY			_IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_READABLE	0x01
#define PROCMAP_QUERY_VMA_WRITABLE	0x02
#endif

#ifndef PAGEMAP_SCAN
/* include/uapi/linux/fs.h, Linux 6.7 */
struct page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};
struct pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};
#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT		(1 << 3)
#endif

#define REMOTE_PAGE	4096ull
#define REMOTE_WIN_MAX	(1u << 20)	/* window cap: one bounce slot (a 1 MiB MEMMOVE: one pass) */
#define REMOTE_SLOTS	8		/* concurrent windows per thread (streams + spare) */
#define PM_PRESENT	(1ull << 63)

struct remote {
	pid_t pid;
	int pidfd;
	int mem_fd;		/* /proc/PID/mem: data */
	int pagemap_fd;		/* /proc/PID/pagemap: residency */
	int maps_fd;		/* /proc/PID/maps: permissions */
	_Atomic bool no_query;	/* kernel lacks PROCMAP_QUERY: parse text */
	_Atomic bool no_pvm;	/* process_vm_readv refused: read mem_fd */
	_Atomic bool no_scan;	/* kernel lacks PAGEMAP_SCAN: read pagemap entries */
	pthread_mutex_t maps_lock;	/* text parse only: one reader of maps_fd */
	/* client-assisted execution (assist.h) */
	_Atomic(struct assist_area *) assist;	/* svad's own mapping of the job page */
	_Atomic uint64_t assist_seq;
};

/* Per-thread bounce slots */

struct bounce {
	uint8_t *base;
	unsigned int busy;	/* bitmask of slots in use */
};

static __thread struct bounce bounce;
static pthread_key_t bounce_key;
static pthread_once_t bounce_once = PTHREAD_ONCE_INIT;

static void bounce_release(void *p)
{
	munmap(p, (size_t)REMOTE_SLOTS * REMOTE_WIN_MAX);
}

static void bounce_key_init(void)
{
	pthread_key_create(&bounce_key, bounce_release);
}

static void *slot_get(void)
{
	unsigned int i;

	if (!bounce.base) {
		void *p;

		pthread_once(&bounce_once, bounce_key_init);
		p = mmap(NULL, (size_t)REMOTE_SLOTS * REMOTE_WIN_MAX, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		bounce.base = p;
		pthread_setspecific(bounce_key, p);
	}
	for (i = 0; i < REMOTE_SLOTS; i++) {
		if (!(bounce.busy & (1u << i))) {
			bounce.busy |= 1u << i;
			return bounce.base + (size_t)i * REMOTE_WIN_MAX;
		}
	}
	return NULL;
}

static void slot_put(void *p)
{
	size_t i = (size_t)((uint8_t *)p - bounce.base) / REMOTE_WIN_MAX;

	bounce.busy &= ~(1u << i);
}

/* Translation */

static int fault(struct dma_ctx *c, uint64_t at, enum dma_fault_kind kind, unsigned int access)
{
	c->fault.addr = at;
	c->fault.kind = kind;
	c->fault.write = access & DMA_WRITE;
	return -EFAULT;
}

/* Fill start/end/perm (DMA_READ|DMA_WRITE) of the VMA holding addr; -ENOENT if none. */
static int vma_text(struct remote *r, uint64_t addr, uint64_t *start, uint64_t *end,
		    unsigned int *perm)
{
	char buf[4096];
	size_t have = 0;
	off_t off = 0;
	int ret = -ENOENT;

	pthread_mutex_lock(&r->maps_lock);
	for (;;) {
		ssize_t n = pread(r->maps_fd, buf + have, sizeof(buf) - 1 - have, off);
		char *line = buf, *nl;

		if (n <= 0)
			break;
		off += n;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(line, '\n'))) {
			unsigned long long s, e;
			char p[5];

			*nl = '\0';
			if (sscanf(line, "%llx-%llx %4s", &s, &e, p) == 3 && addr >= s && addr < e) {
				*start = s;
				*end = e;
				*perm = (p[0] == 'r' ? DMA_READ : 0) | (p[1] == 'w' ? DMA_WRITE : 0);
				ret = 0;
				goto out;
			}
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have >= sizeof(buf) - 1)
			have = 0;	/* a line longer than buf: its head was parsed */
	}
out:
	pthread_mutex_unlock(&r->maps_lock);
	return ret;
}

static int vma_of(struct remote *r, uint64_t addr, uint64_t *start, uint64_t *end,
		  unsigned int *perm)
{
	struct procmap_query q;

	if (atomic_load_explicit(&r->no_query, memory_order_relaxed))
		return vma_text(r, addr, start, end, perm);
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.query_addr = addr;
	if (ioctl(r->maps_fd, PROCMAP_QUERY, &q) < 0) {
		if (errno == ENOTTY || errno == EINVAL) {
			/* Every thread that races here reaches the same answer. */
			atomic_store_explicit(&r->no_query, true, memory_order_relaxed);
			return vma_text(r, addr, start, end, perm);
		}
		return -errno;
	}
	*start = q.vma_start;
	*end = q.vma_end;
	*perm = (q.vma_flags & PROCMAP_QUERY_VMA_READABLE ? DMA_READ : 0) |
		(q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE ? DMA_WRITE : 0);
	return 0;
}

/*
 * *absent = the first page of [page, end) (page aligned, at most
 * REMOTE_WIN_MAX + a page) that is not resident, end when all are; 0 or
 * -errno when residency cannot be read. PAGEMAP_SCAN (Linux 6.7) finds it
 * in one walk that reports only the absent page: ~1 us for 256 pages here,
 * against ~8 us to read 256 pagemap entries, which the kernel fills one by
 * one with PFN and mapping-count lookups. Reading the entries stays the
 * fallback for older kernels.
 */
static int first_absent(struct remote *r, uint64_t page, uint64_t end, uint64_t *absent)
{
	uint64_t pm[REMOTE_WIN_MAX / REMOTE_PAGE + 1];
	ssize_t n;

	if (!atomic_load_explicit(&r->no_scan, memory_order_relaxed)) {
		struct page_region hole = { 0 };
		struct pm_scan_arg q = {
			.size = sizeof(q), .start = page, .end = end,
			.vec = (uint64_t)(uintptr_t)&hole, .vec_len = 1, .max_pages = 1,
			/* pages whose PRESENT bit is clear */
			.category_inverted = PAGE_IS_PRESENT, .category_mask = PAGE_IS_PRESENT,
			.return_mask = PAGE_IS_PRESENT,
		};
		int k = ioctl(r->pagemap_fd, PAGEMAP_SCAN, &q);

		if (k >= 0) {
			*absent = k > 0 && hole.start < end ? hole.start : end;
			return 0;
		}
		if (errno != ENOTTY && errno != EINVAL)
			return -errno;
		/* Every thread that races here reaches the same answer. */
		atomic_store_explicit(&r->no_scan, true, memory_order_relaxed);
	}
	n = pread(r->pagemap_fd, pm, (end - page) / REMOTE_PAGE * 8, (off_t)(page / REMOTE_PAGE * 8));
	if (n < 8)
		return n < 0 ? -errno : -EFAULT;
	for (ssize_t i = 0; i < n / 8; i++, page += REMOTE_PAGE)
		if (!(pm[i] & PM_PRESENT))
			break;
	*absent = page;		/* also where a short read stopped */
	return 0;
}

/*
 * Number of bytes from addr (at most len) the client may access; 0 with
 * c->fault filled when the first byte faults. Page granular like the ATC.
 */
static uint64_t remote_translate(struct dma_ctx *c, struct remote *r, uint64_t addr,
				 uint64_t len, unsigned int access, bool bof)
{
	uint64_t end = addr + len, cur = addr, ok;

	if (end < addr)
		end = UINT64_MAX;
	while (cur < end) {
		uint64_t s, e;
		unsigned int perm;

		if (vma_of(r, cur, &s, &e, &perm) || (perm & access) != access)
			break;
		cur = e;
	}
	ok = (cur < end ? cur : end) - addr;
	if (ok == 0) {
		fault(c, addr, DMA_FAULT_INVALID, access);
		return 0;
	}
	if (!bof) {
		uint64_t absent;

		if (first_absent(r, addr & ~(REMOTE_PAGE - 1),
				 (addr + ok + REMOTE_PAGE - 1) & ~(REMOTE_PAGE - 1), &absent)) {
			fault(c, addr, DMA_FAULT_INVALID, access);
			return 0;
		}
		if (absent <= addr) {
			fault(c, addr, DMA_FAULT_NOT_PRESENT, access);
			return 0;
		}
		if (absent < addr + ok)
			return absent - addr;
	}
	/* A later-page permission fault is recorded for the next map call. */
	if (cur < end && ok < len)
		fault(c, cur, DMA_FAULT_INVALID, access);
	return ok;
}

/* Backend ops */

/*
 * Read len bytes at addr of the client into buf; the count read, or <= 0.
 * See the top of the file for why a read by pid number is safe here.
 */
static ssize_t remote_read(struct remote *r, void *buf, uint64_t len, uint64_t addr)
{
	struct iovec l = { buf, len }, rv = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (atomic_load_explicit(&r->no_pvm, memory_order_relaxed))
		return pread(r->mem_fd, buf, len, (off_t)addr);
	n = process_vm_readv(r->pid, &l, 1, &rv, 1, 0);
	if (n < 0 && (errno == EPERM || errno == ENOSYS)) {
		/* Every thread that races here reaches the same answer. */
		atomic_store_explicit(&r->no_pvm, true, memory_order_relaxed);
		return pread(r->mem_fd, buf, len, (off_t)addr);
	}
	/* After the read: the pid still names our process, so did it during the read. */
	if (n > 0 && syscall(SYS_pidfd_send_signal, r->pidfd, 0, NULL, 0) < 0)
		return -1;
	return n;
}

static int remote_map(struct dma_ctx *c, struct dma_win *w, uint64_t addr, uint64_t len,
		      unsigned int access)
{
	struct remote *r = as_priv(c->as);
	uint64_t ok;
	void *buf;

	if (len > REMOTE_WIN_MAX)
		len = REMOTE_WIN_MAX;
	ok = remote_translate(c, r, addr, len, access, c->bof);
	if (ok == 0)
		return -EFAULT;
	buf = slot_get();
	if (!buf)
		return -ENOMEM;
	if (access & DMA_READ) {
		ssize_t n = remote_read(r, buf, ok, addr);

		if (n <= 0) {	/* unmapped meanwhile, or the client exited */
			slot_put(buf);
			return fault(c, addr, DMA_FAULT_INVALID, DMA_READ);
		}
		ok = (uint64_t)n;
	}
	w->ptr = buf;
	w->addr = addr;
	w->len = ok;
	w->access = access;
	return 0;
}

static int remote_unmap(struct dma_ctx *c, struct dma_win *w)
{
	struct remote *r = as_priv(c->as);
	int ret = 0;

	if (w->access & DMA_WRITE) {
		ssize_t n = pwrite(r->mem_fd, w->ptr, w->len, (off_t)w->addr);

		if (n < 0 || (uint64_t)n < w->len)
			ret = fault(c, w->addr + (n > 0 ? (uint64_t)n : 0), DMA_FAULT_INVALID,
				    DMA_WRITE);
	}
	slot_put(w->ptr);
	return ret;
}

static int remote_write_record(struct dma_ctx *c, uint64_t addr, const void *rec, uint64_t len)
{
	struct remote *r = as_priv(c->as);
	const uint8_t *b = rec;

	/* Record writes block on fault while PRS is on (dsa-device.md §9). */
	if (remote_translate(c, r, addr, len, DMA_WRITE, true) < len)
		return -EFAULT;	/* c->fault names the first faulting byte */
	/*
	 * Status last: two write(2)s to the same mm are ordered, so a client
	 * polling status sees the rest of the record once status != 0.
	 */
	if (pwrite(r->mem_fd, b + 1, len - 1, (off_t)(addr + 1)) != (ssize_t)(len - 1) ||
	    pwrite(r->mem_fd, b, 1, (off_t)addr) != 1)
		return fault(c, addr, DMA_FAULT_INVALID, DMA_WRITE);
	return 0;
}

const struct as_dma_ops as_remote_dma_ops = {
	.map = remote_map,
	.unmap = remote_unmap,
	.write_record = remote_write_record,
};

/* Client-assisted execution (assist.h, docs/DECISIONS.md) */

#define ASSIST_CLAIM_NS		3000ll		/* plus 1 ns per 8 bytes: a spinning waiter claims in < 1 us */
#define ASSIST_DONE_NS		200000ll	/* plus 1 ns per byte: the client's execution */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int as_remote_assist_attach(struct as *as, void *area)
{
	struct remote *r = as && as_dma(as) == &as_remote_dma_ops ? as_priv(as) : NULL;
	struct assist_area *expected = NULL;
	void *mine;

	if (!r || !area || ((uintptr_t)area & (REMOTE_PAGE - 1)))
		return -EINVAL;
	if (atomic_load(&r->assist))
		return -EEXIST;
	/*
	 * A second mapping of the same shared page (old_size 0), owned by the
	 * address space: the portal the page came from may close while
	 * engines still publish jobs in it.
	 */
	mine = mremap(area, 0, ASSIST_BYTES, MREMAP_MAYMOVE);
	if (mine == MAP_FAILED)
		return -errno;
	if (!atomic_compare_exchange_strong(&r->assist, &expected, mine)) {
		munmap(mine, ASSIST_BYTES);
		return -EEXIST;
	}
	return 0;
}

/* Every page of [addr, addr + n) accessible for access and resident now; nothing faulted in. */
static bool remote_resident(struct remote *r, uint64_t addr, uint64_t n, unsigned int access)
{
	struct dma_ctx c = { 0 };

	while (n) {
		uint64_t len = n > REMOTE_WIN_MAX ? REMOTE_WIN_MAX : n;

		if (remote_translate(&c, r, addr, len, access, false) != len)
			return false;
		addr += len;
		n -= len;
	}
	return true;
}

/*
 * Whether a client thread waits in sva_wait() on record key right now: its
 * stamp is younger than ASSIST_FRESH_NS, plus 1 ns per 8 bytes, since a
 * waiter of a long job yields and sleeps between polls, and waiting for it
 * still costs a fraction of the /proc/PID/mem copy (~2-3 GB/s).
 */
static bool assist_waiter(struct assist_area *a, uint64_t key, uint32_t n)
{
	long long now = now_ns(), fresh = ASSIST_FRESH_NS + n / 8;

	for (unsigned int i = 0; i < ASSIST_WAITERS; i++) {
		long long ns = (long long)atomic_load_explicit(&a->waiter[i].ns,
								memory_order_relaxed);

		if (atomic_load_explicit(&a->waiter[i].key, memory_order_relaxed) == key &&
		    now - ns < fresh && ns - now < fresh)
			return true;
	}
	return false;
}

/*
 * Wait (bounded, yielding: the client may need this CPU) while the job's
 * word is still from; the last word seen. Gives up at deadline or once the
 * client is dead.
 */
static uint64_t assist_wait(struct remote *r, struct assist_job *j, uint64_t from,
			    long long deadline)
{
	unsigned int spins = 0;
	uint64_t w;

	/* Pairs with the client's release of CLAIMED / DONE. */
	while ((w = atomic_load_explicit(&j->word, memory_order_acquire)) == from) {
		if (++spins < 64) {
			sva_cpu_relax();
			continue;
		}
		sched_yield();
		if ((spins & 63) == 0 &&
		    (now_ns() >= deadline ||
		     syscall(SYS_pidfd_send_signal, r->pidfd, 0, NULL, 0) < 0))
			break;
	}
	return w;
}

int as_remote_assist(struct as *as, uint8_t opcode, uint64_t key, uint64_t src, uint64_t dst,
		     uint32_t n)
{
	struct remote *r = as_dma(as) == &as_remote_dma_ops ? as_priv(as) : NULL;
	struct assist_area *a = r ? atomic_load_explicit(&r->assist, memory_order_acquire) : NULL;
	struct assist_job *j = NULL;
	uint64_t seq, w, pub;

	if (!a || !assist_waiter(a, key, n))
		return -EAGAIN;
	/* Exactly the jobs that cannot fault (unless the client races itself). */
	if ((opcode == DSA_OPCODE_MEMMOVE && !remote_resident(r, src, n, DMA_READ)) ||
	    !remote_resident(r, dst, n, DMA_WRITE))
		return -EAGAIN;
	seq = atomic_fetch_add_explicit(&r->assist_seq, 1, memory_order_relaxed) + 1;
	for (unsigned int i = 0; i < ASSIST_JOBS && !j; i++) {
		w = atomic_load_explicit(&a->job[i].word, memory_order_relaxed);
		/* A scribbled word only costs the client its own slot. */
		if (ASSIST_STATE(w) == ASSIST_FREE &&
		    atomic_compare_exchange_strong(&a->job[i].word, &w,
						   ASSIST_WORD(seq, ASSIST_WRITING)))
			j = &a->job[i];
	}
	if (!j)
		return -EAGAIN;
	atomic_store_explicit(&j->key, key, memory_order_relaxed);
	atomic_store_explicit(&j->src, src, memory_order_relaxed);
	atomic_store_explicit(&j->dst, dst, memory_order_relaxed);
	atomic_store_explicit(&j->size, n, memory_order_relaxed);
	atomic_store_explicit(&j->opcode, opcode, memory_order_relaxed);
	atomic_store_explicit(&j->res, 0, memory_order_relaxed);
	pub = ASSIST_WORD(seq, ASSIST_PUBLISHED);
	/* Pairs with the client's acquire of PUBLISHED: the fields first. */
	atomic_store_explicit(&j->word, pub, memory_order_release);
	atomic_fetch_add_explicit(&a->published, 1, memory_order_relaxed);

	w = assist_wait(r, j, pub, now_ns() + ASSIST_CLAIM_NS + n / 8);
	if (w == pub) {
		/* Nobody came: take it back, and execute it here. */
		if (atomic_compare_exchange_strong(&j->word, &w, ASSIST_WORD(seq, ASSIST_FREE)))
			return -EAGAIN;
	}
	/*
	 * Not done in time (slow, stopped, dead), or a word the client
	 * scribbled: take it back. Before EXECUTED we copy again; after it
	 * only the record is left to write. A client that goes on later
	 * finds its CAS failing. A failed take-back means the client moved
	 * on between our last look and the CAS (CLAIMED -> EXECUTED ->
	 * DONE): look again at the word it left, which an honest client
	 * does at most twice. (Executing after a failed take-back from
	 * CLAIMED ran the job twice, and the second record could land on
	 * the program's next use of it: seen in stress/svad_chaos.)
	 */
	for (int round = 0; round < 3; round++) {
		uint64_t was;

		if (w == ASSIST_WORD(seq, ASSIST_CLAIMED))
			w = assist_wait(r, j, w, now_ns() + ASSIST_DONE_NS + (long long)n);
		if (w == ASSIST_WORD(seq, ASSIST_EXECUTED))
			w = assist_wait(r, j, w, now_ns() + ASSIST_DONE_NS);
		if (w != ASSIST_WORD(seq, ASSIST_CLAIMED) && w != ASSIST_WORD(seq, ASSIST_EXECUTED))
			break;
		was = w;
		if (atomic_compare_exchange_strong(&j->word, &w, ASSIST_WORD(seq, ASSIST_FREE)))
			return was == ASSIST_WORD(seq, ASSIST_EXECUTED) ? 1 : -EAGAIN;
	}
	if (w == ASSIST_WORD(seq, ASSIST_DONE)) {
		uint32_t res = atomic_load_explicit(&j->res, memory_order_relaxed);

		atomic_store_explicit(&j->word, ASSIST_WORD(seq, ASSIST_FREE), memory_order_relaxed);
		/*
		 * Anything but "executed" (a fault, a value it made up) is
		 * executed again here: the daemon path then reports exactly
		 * what it always does.
		 */
		return res == ASSIST_RES_RECORDED ? 0 : res == ASSIST_RES_NORECORD ? 1 : -EAGAIN;
	}
	return -EAGAIN;
}

/* Construction */

static void remote_free(void *p)
{
	struct remote *r = p;

	if (!r)
		return;
	if (r->maps_fd >= 0)
		close(r->maps_fd);
	if (r->pagemap_fd >= 0)
		close(r->pagemap_fd);
	if (r->mem_fd >= 0)
		close(r->mem_fd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	pthread_mutex_destroy(&r->maps_lock);
	if (atomic_load(&r->assist))
		munmap(atomic_load(&r->assist), ASSIST_BYTES);
	free(r);
}

static int open_proc(pid_t pid, const char *name, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Bind a new remote space to the process of pidfd (owned by the callee). */
static int remote_open(struct pasid_alloc *pa, pid_t pid, int pidfd, struct as **ret_as)
{
	struct remote *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r) {
		close(pidfd);
		return -ENOMEM;
	}
	r->pid = pid;
	r->pidfd = pidfd;
	r->mem_fd = r->pagemap_fd = r->maps_fd = -1;
	pthread_mutex_init(&r->maps_lock, NULL);
	ret = r->mem_fd = open_proc(pid, "mem", O_RDWR);
	if (ret < 0)
		goto err_free;
	ret = r->pagemap_fd = open_proc(pid, "pagemap", O_RDONLY);
	if (ret < 0)
		goto err_free;
	ret = r->maps_fd = open_proc(pid, "maps", O_RDONLY);
	if (ret < 0)
		goto err_free;
	/* Still alive after the opens: they cannot belong to a reused pid. */
	if (syscall(SYS_pidfd_send_signal, r->pidfd, 0, NULL, 0) < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = as_new_with(pa, AS_REMOTE, &as_remote_dma_ops, r, remote_free, ret_as);
	if (ret)
		goto err_free;
	return 0;
err_free:
	/* /proc/PID gone between pidfd_open and open: the process exited. */
	if (ret == -ENOENT)
		ret = -ESRCH;
	remote_free(r);
	return ret;
}

int as_new_remote(struct pasid_alloc *pa, pid_t pid, struct as **ret_as)
{
	int pidfd;

	if (!pa || pid <= 0 || !ret_as)
		return -EINVAL;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	return remote_open(pa, pid, pidfd, ret_as);
}

/* The pid a pidfd refers to, from /proc/self/fdinfo ("Pid:"; -1 once it exited). */
static pid_t pidfd_pid(int pidfd)
{
	char path[64], buf[1024];
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	return p ? (pid_t)strtol(p + 5, NULL, 10) : -1;
}

int as_new_remote_pidfd(struct pasid_alloc *pa, int pidfd, struct as **ret_as)
{
	pid_t pid;
	int fd;

	if (!pa || pidfd < 0 || !ret_as)
		return -EINVAL;
	pid = pidfd_pid(pidfd);
	if (pid <= 0)
		return -ESRCH;
	fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	return remote_open(pa, pid, fd, ret_as);
}

pid_t as_remote_pid(const struct as *as)
{
	const struct remote *r = as_dma(as) == &as_remote_dma_ops ? as_priv(as) : NULL;

	return r ? r->pid : -1;
}

int as_remote_use_fallbacks(struct as *as)
{
	struct remote *r = as && as_dma(as) == &as_remote_dma_ops ? as_priv(as) : NULL;

	if (!r)
		return -EINVAL;
	atomic_store(&r->no_query, true);
	atomic_store(&r->no_scan, true);
	atomic_store(&r->no_pvm, true);
	return 0;
}
