/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/core: PASIDs, address spaces and the DMA layer
 * (the IOMMU of sva). Nothing here is part of the public ABI.
 */
#ifndef SVA_CORE_H
#define SVA_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* PASID allocator (pasid.c) */

#define PASID_BITS	20
#define PASID_MAX	(1u << PASID_BITS)	/* exclusive upper bound of the 20-bit space */
#define PASID_FIRST	1u			/* 0 is RID_PASID, never handed out (SYS-1) */
#define PASID_INVALID	0xFFFFFFFFu		/* IOMMU_PASID_INVALID: "this mm has no PASID" */

struct pasid_alloc;

/*
 * Create an allocator over [PASID_FIRST, max_pasids - 1]; max_pasids is at
 * most PASID_MAX. Memory is bounded by the 20-bit space (~130 KiB).
 */
int pasid_alloc_new(uint32_t max_pasids, struct pasid_alloc **ret_pa);
struct pasid_alloc *pasid_alloc_free(struct pasid_alloc *pa);
/* Hand out the lowest free id; -ENOSPC when exhausted. Thread-safe. */
int pasid_get(struct pasid_alloc *pa, uint32_t *ret_pasid);
/* Return an id; -EINVAL if it is out of range or not allocated. */
int pasid_put(struct pasid_alloc *pa, uint32_t pasid);
/* Number of ids currently allocated (for tests and stats). */
uint32_t pasid_in_use(struct pasid_alloc *pa);
/* The process-wide allocator used by embedded devices (SYS-1). */
struct pasid_alloc *pasid_alloc_global(void);

/* DMA layer (dma.c, atc.c) */

#define DMA_READ	1u
#define DMA_WRITE	2u

enum dma_fault_kind {
	DMA_FAULT_NONE = 0,
	DMA_FAULT_NOT_PRESENT,	/* mapped but not resident: a PRI would resolve it */
	DMA_FAULT_INVALID,	/* unmapped or forbidden: PRI answers Invalid Request */
};

struct dma_fault {
	uint64_t addr;		/* first faulting byte (page granular accesses report the page) */
	enum dma_fault_kind kind;
	bool write;		/* the faulting access was a write (status bit 0x80) */
};

struct as;

/*
 * One descriptor's view of an address space. bof selects block-on-fault:
 * not-present pages are then faulted in (PRI) instead of reported.
 */
struct dma_ctx {
	struct as *as;
	bool bof;
	struct dma_fault fault;	/* valid after a call returned -EFAULT */
};

/*
 * A window is a host pointer through which an operation touches
 * [addr, addr + len) directly. In-process it is the address itself; a remote
 * address space (daemon mode) backs it with a bounce buffer.
 */
struct dma_win {
	void *ptr;
	uint64_t addr;
	uint64_t len;
	unsigned int access;
};

/*
 * Map up to len bytes at addr. On success w->len is in [1, len]: shorter when
 * a later page faults (page granular) or a backend caps windows. Returns
 * -EFAULT with c->fault filled when the very first byte cannot be accessed.
 */
int dma_map(struct dma_ctx *c, struct dma_win *w, uint64_t addr, uint64_t len,
	    unsigned int access);
/* Finish a window; for DMA_WRITE windows of remote spaces this writes back. */
int dma_unmap(struct dma_ctx *c, struct dma_win *w);
/* Copy helpers for small fields; 0 or -EFAULT (c->fault filled). */
int dma_read(struct dma_ctx *c, void *buf, uint64_t addr, uint64_t len);
int dma_write(struct dma_ctx *c, uint64_t addr, const void *buf, uint64_t len);
/*
 * Write a completion record: every byte but the first, then the first
 * (status) with release ordering, so a poller that sees status != 0 sees the
 * whole record (dsa-device.md §8, DEV-5). 0 or -EFAULT.
 */
int dma_write_record(struct dma_ctx *c, uint64_t addr, const void *rec, uint64_t len);
/*
 * Run fn(arg) with in-process memory faults caught: an access fault inside
 * fn returns -EFAULT with c->fault set, instead of killing the process.
 * Covers races where a page is unmapped after dma_map() validated it.
 */
int dma_guarded(struct dma_ctx *c, int (*fn)(void *arg), void *arg);

/*
 * Touch one byte at addr for access with faults caught: 0, or -EFAULT when
 * the access is not permitted. A write probe is an atomic "or 0", so it never
 * changes memory that other threads write concurrently.
 */
int dma_probe(uint64_t addr, unsigned int access);

/* ATC model (atc.c): translation cache per (PASID, page), SYS-9 */

struct atc;

int atc_new(struct atc **ret_atc);
struct atc *atc_free(struct atc *atc);
/*
 * Translate [addr, addr + len) of the calling process for access; returns the
 * number of accessible bytes from addr (page granular). A shortfall fills
 * *ret_fault. bof resolves not-present pages PRI-style instead of failing.
 */
uint64_t atc_translate_self(struct atc *atc, uint64_t addr, uint64_t len, unsigned int access,
			    bool bof, struct dma_fault *ret_fault);
/* Drop cached translations for a range (the mmu_notifier analogue). */
void atc_invalidate(struct atc *atc, uint64_t addr, uint64_t len);
/*
 * Fault injection for tests: the page holding addr behaves as kind for the
 * given access mask. NOT_PRESENT is cleared by a PRI-style resolution (BOF=1);
 * INVALID stays until atc_inject_clear().
 */
int atc_inject(struct atc *atc, uint64_t addr, unsigned int access, enum dma_fault_kind kind);
void atc_inject_clear(struct atc *atc);

/* mmu_notifier analogue (mmu_notify.c) */

/* Have the ATC invalidated by munmap/mprotect/madvise/mremap; -ENOSPC when full. */
int mmu_notify_register(struct atc *atc);
void mmu_notify_unregister(struct atc *atc);
/* Also call fn for every interposed munmap (async-signal-safe listeners only). */
void mmu_notify_set_unmap_hook(void (*fn)(const void *addr, size_t len));

/* Address spaces (as.c): the analogue of a process mm */

enum as_kind {
	AS_SELF,	/* the calling process: direct access at memcpy speed */
	AS_REMOTE,	/* another process, served by svad (later) */
};

/*
 * DMA backend of an address space. dma.c dispatches every access through it,
 * so the daemon can plug in a remote (other process) implementation.
 */
struct as_dma_ops {
	int (*map)(struct dma_ctx *c, struct dma_win *w, uint64_t addr, uint64_t len,
		   unsigned int access);
	int (*unmap)(struct dma_ctx *c, struct dma_win *w);
	int (*write_record)(struct dma_ctx *c, uint64_t addr, const void *rec, uint64_t len);
};

extern const struct as_dma_ops as_self_dma_ops;	/* dma.c: the calling process */
extern const struct as_dma_ops as_remote_dma_ops;	/* dma_remote.c: another process */

/* Create the address space of the calling process. PASID comes at first bind. */
int as_new_self(struct pasid_alloc *pa, struct as **ret_as);
/*
 * Create an address space served by a DMA backend (ops); priv is the
 * backend's state, freed with priv_free (may be NULL) at teardown.
 */
int as_new_with(struct pasid_alloc *pa, enum as_kind kind, const struct as_dma_ops *ops,
		void *priv, void (*priv_free)(void *priv), struct as **ret_as);
void *as_priv(const struct as *as);
/*
 * Create the address space of process pid (AS_REMOTE, dma_remote.c), for
 * svad. DMA goes through /proc/pid/{mem,pagemap,maps} opened here, bound to
 * that process: a reused pid never redirects it, and once the process has
 * exited every access faults (DMA_FAULT_INVALID). Needs ptrace-read/attach
 * access to pid (same user, or CAP_SYS_PTRACE). 0, -ESRCH when pid does not
 * exist or exits meanwhile, -EACCES/-EPERM, -EINVAL, -ENOMEM. Release with
 * as_unref().
 */
int as_new_remote(struct pasid_alloc *pa, pid_t pid, struct as **ret_as);
/*
 * The same for the process a pidfd refers to (svad: SO_PEERPIDFD), which
 * leaves no window for a pid reuse between identification and binding.
 * The pidfd is duplicated, not taken. -ESRCH once the process exited.
 */
int as_new_remote_pidfd(struct pasid_alloc *pa, int pidfd, struct as **ret_as);
/* The pid an as_new_remote() space was created for; -1 for other spaces. */
pid_t as_remote_pid(const struct as *as);
/*
 * Make a remote space use only what kernels before 6.7 offer (text
 * /proc/PID/maps, pagemap entries, /proc/PID/mem reads), as it does by
 * itself when the newer calls are refused, so tests run those paths on any
 * kernel. -EINVAL for other spaces.
 */
int as_remote_use_fallbacks(struct as *as);
/*
 * Client-assisted execution (assist.h). attach: give a remote space the
 * client's job page (area: page aligned, ASSIST_BYTES, a shared mapping; the
 * space maps it again for itself); -EINVAL, -EEXIST (it has one) or -errno.
 * assist: offer a validated MEMMOVE/MEMFILL (src = the pattern for MEMFILL)
 * with record key to the client; 0 when the client executed it and wrote
 * the record, 1 when it executed it and the caller must write the record,
 * -EAGAIN when the caller must execute it (nobody came, a buffer is not
 * resident, a fault, a timeout, a dead or lying client).
 * Bounded in time; never trusts the page beyond that one answer.
 */
int as_remote_assist_attach(struct as *as, void *area);
int as_remote_assist(struct as *as, uint8_t opcode, uint64_t key, uint64_t src, uint64_t dst,
		     uint32_t n);
struct as *as_ref(struct as *as);
/*
 * Drop a reference. The last one tears the space down: it waits until no
 * work is outstanding (as_work_end), runs the release hooks, and only then
 * frees the PASID (SYS-3). Accepts NULL; returns NULL.
 */
struct as *as_unref(struct as *as);
/*
 * Bind a device: the first bind allocates the PASID, later binds (to any
 * device) reuse it. Reference counted; -ENOSPC when PASIDs are exhausted,
 * -EOVERFLOW if the PASID is >= max_pasids of the binding device.
 */
int as_bind(struct as *as, uint32_t max_pasids, uint32_t *ret_pasid);
/* Unbind; never frees the PASID. -EINVAL if not bound. */
int as_unbind(struct as *as);
uint32_t as_pasid(const struct as *as);	/* PASID_INVALID until the first bind */
unsigned int as_bind_count(const struct as *as);
enum as_kind as_kind(const struct as *as);
struct atc *as_atc(struct as *as);
const struct as_dma_ops *as_dma(const struct as *as);
/* Outstanding-work accounting: teardown waits until every begin has its end. */
void as_work_begin(struct as *as);
void as_work_end(struct as *as);
/*
 * Release hook run at teardown before the PASID is freed; devices use it to
 * drain or abort work tagged with the PASID. At most AS_MAX_HOOKS.
 */
#define AS_MAX_HOOKS 16
int as_add_release_hook(struct as *as, void (*fn)(struct as *as, uint32_t pasid, void *arg),
			void *arg);
int as_remove_release_hook(struct as *as, void (*fn)(struct as *as, uint32_t pasid, void *arg),
			   void *arg);

#endif /* SVA_CORE_H */
