/* SPDX-License-Identifier: MIT */
/*
 * The mmu_notifier analogue (system.md §6: "the mmu_notifier flushes the
 * IOMMU PASID IOTLB and the device ATC on unmap or permission downgrade,
 * before the page is reused"). munmap, mprotect, madvise and mremap are
 * interposed: each first invalidates the range in every registered ATC,
 * then calls the real function. glibc-internal calls (inside malloc) bypass
 * the interposition; an unmapped page is then still caught by the DMA guard.
 *
 * These wrappers can run anywhere, including inside a sanitizer runtime
 * that calls munmap while it prints a report. So the path takes no lock,
 * calls nothing that is intercepted, and is not TSan-instrumented: the
 * registry is a fixed array of atomic pointers, and unregistering waits
 * for in-flight invalidations instead of locking them out.
 */
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

#define NOTIFY_MAX 256	/* live address spaces of one process */

static struct atc *_Atomic notify_atc[NOTIFY_MAX];
static _Atomic int notify_active;	/* invalidations in progress */

int mmu_notify_register(struct atc *atc)
{
	for (unsigned int i = 0; i < NOTIFY_MAX; i++) {
		struct atc *none = NULL;

		if (atomic_compare_exchange_strong(&notify_atc[i], &none, atc))
			return 0;
	}
	return -ENOSPC;
}

void mmu_notify_unregister(struct atc *atc)
{
	for (unsigned int i = 0; i < NOTIFY_MAX; i++) {
		struct atc *mine = atc;

		if (atomic_compare_exchange_strong(&notify_atc[i], &mine, NULL))
			break;
	}
	/*
	 * An invalidation counts itself active before it loads a slot
	 * (seq_cst on both sides): once the count reads 0 after our store,
	 * nobody can still hold the pointer.
	 */
	while (atomic_load(&notify_active))
		sched_yield();
}

/* An extra listener for unmaps (the portal registry of src/cpu). */
static void (*_Atomic notify_unmap_hook)(const void *addr, size_t len);

void mmu_notify_set_unmap_hook(void (*fn)(const void *addr, size_t len))
{
	atomic_store(&notify_unmap_hook, fn);
}

__attribute__((no_sanitize("thread"))) static void notify_invalidate(const void *addr, size_t len)
{
	atomic_fetch_add(&notify_active, 1);
	for (unsigned int i = 0; i < NOTIFY_MAX; i++) {
		struct atc *a = atomic_load(&notify_atc[i]);

		if (a)
			atc_invalidate(a, (uint64_t)(uintptr_t)addr, len);
	}
	atomic_fetch_sub(&notify_active, 1);
}

/*
 * The real functions. Sanitizer runtimes intercept some of these as
 * __interceptor_<name> behind a weak <name>; when statically linked our
 * definition replaces theirs, so call theirs when it exists. Resolved in a
 * constructor so the wrappers never call dlsym; a call that comes before
 * (during early start-up) goes straight to the system call.
 */
extern int __interceptor_munmap(void *, size_t) __attribute__((weak));
extern int __interceptor_mprotect(void *, size_t, int) __attribute__((weak));
extern int __interceptor_madvise(void *, size_t, int) __attribute__((weak));
extern void *__interceptor_mremap(void *, size_t, size_t, int, ...) __attribute__((weak));

static int (*_Atomic real_munmap)(void *, size_t);
static int (*_Atomic real_mprotect)(void *, size_t, int);
static int (*_Atomic real_madvise)(void *, size_t, int);
static void *(*_Atomic real_mremap)(void *, size_t, size_t, int, ...);

__attribute__((constructor)) static void notify_resolve(void)
{
	atomic_store(&real_munmap, __interceptor_munmap ? __interceptor_munmap
			: (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap"));
	atomic_store(&real_mprotect, __interceptor_mprotect ? __interceptor_mprotect
			: (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "mprotect"));
	atomic_store(&real_madvise, __interceptor_madvise ? __interceptor_madvise
			: (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "madvise"));
	atomic_store(&real_mremap, __interceptor_mremap ? __interceptor_mremap
			: (void *(*)(void *, size_t, size_t, int, ...))dlsym(RTLD_NEXT, "mremap"));
}

__attribute__((visibility("default"))) int munmap(void *addr, size_t len);
__attribute__((visibility("default"))) int mprotect(void *addr, size_t len, int prot);
__attribute__((visibility("default"))) int madvise(void *addr, size_t len, int advice);
__attribute__((visibility("default"))) void *mremap(void *old, size_t old_len, size_t new_len,
						      int flags, ...);

__attribute__((no_sanitize("thread"))) int munmap(void *addr, size_t len)
{
	int (*fn)(void *, size_t) = atomic_load(&real_munmap);
	void (*hook)(const void *, size_t) = atomic_load(&notify_unmap_hook);

	notify_invalidate(addr, len);
	if (hook)
		hook(addr, len);
	return fn ? fn(addr, len) : (int)syscall(SYS_munmap, addr, len);
}

__attribute__((no_sanitize("thread"))) int mprotect(void *addr, size_t len, int prot)
{
	int (*fn)(void *, size_t, int) = atomic_load(&real_mprotect);

	notify_invalidate(addr, len);
	return fn ? fn(addr, len, prot) : (int)syscall(SYS_mprotect, addr, len, prot);
}

__attribute__((no_sanitize("thread"))) int madvise(void *addr, size_t len, int advice)
{
	int (*fn)(void *, size_t, int) = atomic_load(&real_madvise);

	switch (advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_PAGEOUT:
	case MADV_COLD:
		notify_invalidate(addr, len);
		break;
	default:
		break;
	}
	return fn ? fn(addr, len, advice) : (int)syscall(SYS_madvise, addr, len, advice);
}

__attribute__((no_sanitize("thread"))) void *mremap(void *old, size_t old_len, size_t new_len,
						     int flags, ...)
{
	void *(*fn)(void *, size_t, size_t, int, ...) = atomic_load(&real_mremap);
	void *new_addr = NULL;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
		notify_invalidate(new_addr, new_len);
	}
	notify_invalidate(old, old_len);
	if (!fn)
		return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	if (flags & MREMAP_FIXED)
		return fn(old, old_len, new_len, flags, new_addr);
	return fn(old, old_len, new_len, flags);
}
