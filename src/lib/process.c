/* SPDX-License-Identifier: MIT */
/*
 * The process side of SVA: the calling process's address space (its "mm")
 * and fork handling. A fork child has a new mm without a PASID (SYS-6), so
 * the child handler drops the parent's address space pointer without
 * touching the object, which belongs to the parent's memory image.
 */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <unistd.h>

#include "lib.h"
#include "cpu/cpu.h"

static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct as *_Atomic proc_self;	/* written under proc_lock */
static pthread_once_t proc_once = PTHREAD_ONCE_INIT;
/*
 * Our pid, cached: glibc no longer caches getpid(), and a syscall on every
 * submission cost ~150 ns (measured by svabench). 0 = not known yet; the
 * fork child handler clears it.
 */
static _Atomic pid_t proc_pid;
/* The PASID svad gave this process (remote.c), PASID_INVALID if none. */
static _Atomic uint32_t proc_remote_pasid = PASID_INVALID;

static void proc_atfork_child(void)
{
	pthread_mutex_init(&proc_lock, NULL);
	atomic_store(&proc_self, NULL);
	atomic_store(&proc_pid, 0);
	atomic_store(&proc_remote_pasid, PASID_INVALID);
	/* The child's mm has no PASID, no portal, its thread a cleared MSR (SYS-6). */
	msr_fork_child();
	enq_fork_child();
}

static void proc_init(void)
{
	pthread_atfork(NULL, NULL, proc_atfork_child);
}

struct as *proc_as(void)
{
	struct as *as;

	pthread_once(&proc_once, proc_init);
	pthread_mutex_lock(&proc_lock);
	as = atomic_load(&proc_self);
	if (!as && as_new_self(pasid_alloc_global(), &as) == 0)
		atomic_store(&proc_self, as);
	pthread_mutex_unlock(&proc_lock);
	return as;
}

uint32_t proc_pasid(void)
{
	struct as *as = atomic_load(&proc_self);
	uint32_t pasid = as ? as_pasid(as) : PASID_INVALID;

	return pasid != PASID_INVALID ? pasid : atomic_load(&proc_remote_pasid);
}

void proc_set_remote_pasid(uint32_t pasid)
{
	pthread_once(&proc_once, proc_init);
	atomic_store(&proc_remote_pasid, pasid);
}

pid_t proc_pid_get(void)
{
	pid_t p = atomic_load_explicit(&proc_pid, memory_order_relaxed);

	if (sva_unlikely(!p)) {
		pthread_once(&proc_once, proc_init);
		p = getpid();
		atomic_store_explicit(&proc_pid, p, memory_order_relaxed);
	}
	return p;
}

int proc_check(pid_t pid)
{
	return proc_pid_get() == pid ? 0 : -ECHILD;
}
