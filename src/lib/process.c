/* SPDX-License-Identifier: MIT */
/*
 * The process side of SVA: the calling process's address space (its "mm")
 * and fork handling. A fork child has a new mm without a PASID (SYS-6), so
 * the child handler drops the parent's address space pointer without
 * touching the object, which belongs to the parent's memory image.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "lib.h"

static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct as *proc_self;		/* proc_lock */
static pthread_once_t proc_once = PTHREAD_ONCE_INIT;

static void proc_atfork_child(void)
{
	pthread_mutex_init(&proc_lock, NULL);
	proc_self = NULL;
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
	if (!proc_self && as_new_self(pasid_alloc_global(), &proc_self))
		proc_self = NULL;
	as = proc_self;
	pthread_mutex_unlock(&proc_lock);
	return as;
}

int proc_check(pid_t pid)
{
	return getpid() == pid ? 0 : -ECHILD;
}
