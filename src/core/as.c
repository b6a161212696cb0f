/* SPDX-License-Identifier: MIT */
/*
 * Address spaces: the analogue of a process mm (system.md §2.2).
 *
 * An address space gets its PASID lazily at the first bind (SYS-2), keeps it
 * across unbind (SYS-3), and gives it back only when the last reference is
 * dropped, i.e. at "mm exit". Teardown follows the kernel's order
 * (__mmput -> release notifiers -> mm_pasid_drop): wait until no work is
 * outstanding, run the release hooks with which devices drain or abort what
 * is queued for the PASID, wait again for anything the hooks let run, and
 * only then free the PASID, so no device state can outlive it.
 *
 * Outstanding work is counted in one atomic word whose top bit says a
 * teardown is waiting (AS_WORK_DYING). Without that bit, as_work_end() is a
 * single compare-and-swap; with it, the decrement moves under the mutex so
 * that the waiter cannot free the object while a late as_work_end() still
 * touches it.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core.h"

#define AS_WORK_DYING	(1u << 31)	/* last reference gone, teardown waits */
#define AS_WORK_COUNT	(AS_WORK_DYING - 1)

struct as_hook {
	void (*fn)(struct as *as, uint32_t pasid, void *arg);
	void *arg;
};

struct as {
	atomic_uint refs;
	_Atomic uint32_t work;		/* outstanding work | AS_WORK_DYING */
	enum as_kind kind;
	struct pasid_alloc *pa;		/* owned by the caller, outlives us */
	struct atc *atc;
	const struct as_dma_ops *dma;
	pthread_mutex_t lock;		/* bind state, hooks, work slow path */
	pthread_cond_t idle;		/* lock; work count dropped to 0 while dying */
	_Atomic uint32_t pasid;		/* written under lock; PASID_INVALID until bound */
	atomic_uint binds;		/* written under lock */
	unsigned int nhooks;		/* lock */
	struct as_hook hooks[AS_MAX_HOOKS];	/* lock */
	void *priv;				/* backend state (remote: the process handle) */
	void (*priv_free)(void *priv);		/* called at teardown */
};

void *as_priv(const struct as *as)
{
	return as->priv;
}

int as_new_self(struct pasid_alloc *pa, struct as **ret_as)
{
	return as_new_with(pa, AS_SELF, &as_self_dma_ops, NULL, NULL, ret_as);
}

int as_new_with(struct pasid_alloc *pa, enum as_kind kind, const struct as_dma_ops *ops,
		void *priv, void (*priv_free)(void *priv), struct as **ret_as)
{
	struct as *as;
	int r;

	if (!pa || !ops || !ret_as)
		return -EINVAL;
	as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	r = atc_new(&as->atc);
	if (r)
		goto err_free;
	r = -pthread_mutex_init(&as->lock, NULL);
	if (r)
		goto err_atc;
	r = -pthread_cond_init(&as->idle, NULL);
	if (r)
		goto err_mutex;
	atomic_init(&as->refs, 1);
	atomic_init(&as->work, 0);
	atomic_init(&as->pasid, PASID_INVALID);
	atomic_init(&as->binds, 0);
	as->kind = kind;
	as->pa = pa;
	as->dma = ops;
	as->priv = priv;
	as->priv_free = priv_free;
	*ret_as = as;
	return 0;

err_mutex:
	pthread_mutex_destroy(&as->lock);
err_atc:
	atc_free(as->atc);
err_free:
	free(as);
	return r;
}

struct as *as_ref(struct as *as)
{
	/* Taking a reference needs one already: no ordering to establish. */
	if (as)
		atomic_fetch_add_explicit(&as->refs, 1, memory_order_relaxed);
	return as;
}

/*
 * Block until the work count is 0. Lock held; the caller has set
 * AS_WORK_DYING under the same lock, so every as_work_end() from now on
 * decrements under the lock and signals idle.
 */
static void as_wait_idle(struct as *as)
{
	while (atomic_load_explicit(&as->work, memory_order_acquire) & AS_WORK_COUNT)
		pthread_cond_wait(&as->idle, &as->lock);
}

static void as_teardown(struct as *as)
{
	struct as_hook hooks[AS_MAX_HOOKS];
	unsigned int n, i;
	uint32_t pasid;

	pthread_mutex_lock(&as->lock);
	/*
	 * From here on as_work_end() takes the slow path. The acquire in
	 * as_wait_idle() pairs with the release of fast-path decrements, so
	 * memory the finished work wrote is visible to the hooks below.
	 */
	atomic_fetch_or_explicit(&as->work, AS_WORK_DYING, memory_order_relaxed);
	as_wait_idle(as);
	/*
	 * Hooks run without the lock: they may block draining a device, and
	 * that drain may complete work through as_work_end(). The table is
	 * snapshotted and emptied, so a concurrent as_remove_release_hook()
	 * sees -ENOENT and its owner must expect one last call. Hooks may
	 * begin and end work but must not take a reference: the count is 0.
	 */
	n = as->nhooks;
	for (i = 0; i < n; i++)
		hooks[i] = as->hooks[i];
	as->nhooks = 0;
	pasid = atomic_load_explicit(&as->pasid, memory_order_relaxed);
	pthread_mutex_unlock(&as->lock);

	for (i = 0; i < n; i++)
		hooks[i].fn(as, pasid, hooks[i].arg);

	/* Work the hooks let through (a drain completing descriptors) ends here. */
	pthread_mutex_lock(&as->lock);
	as_wait_idle(as);
	pthread_mutex_unlock(&as->lock);

	/* Only now may the id go to a new address space (SYS-3). */
	if (pasid != PASID_INVALID)
		pasid_put(as->pa, pasid);
	if (as->priv_free)
		as->priv_free(as->priv);
	atc_free(as->atc);
	pthread_cond_destroy(&as->idle);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

struct as *as_unref(struct as *as)
{
	if (!as)
		return NULL;
	/*
	 * Release orders this thread's use of the object before the drop; the
	 * acquire fence in the last dropper pairs with every such release.
	 */
	if (atomic_fetch_sub_explicit(&as->refs, 1, memory_order_release) != 1)
		return NULL;
	atomic_thread_fence(memory_order_acquire);
	as_teardown(as);
	return NULL;
}

int as_bind(struct as *as, uint32_t max_pasids, uint32_t *ret_pasid)
{
	uint32_t pasid;
	unsigned int binds;
	int r;

	if (!as || !ret_pasid || max_pasids <= PASID_FIRST || max_pasids > PASID_MAX)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	binds = atomic_load_explicit(&as->binds, memory_order_relaxed);
	if (binds == UINT_MAX) {
		r = -EMFILE;
		goto out_unlock;
	}
	pasid = atomic_load_explicit(&as->pasid, memory_order_relaxed);
	if (pasid == PASID_INVALID) {
		r = pasid_get(as->pa, &pasid);
		if (r)
			goto out_unlock;
		/*
		 * The kernel allocates in [1, max_pasids - 1] of the binding
		 * device (iommu_alloc_global_pasid). The allocator hands out
		 * the lowest free id, so an id >= max_pasids means no id in
		 * range was free: that is exhaustion for this device.
		 */
		if (pasid >= max_pasids) {
			pasid_put(as->pa, pasid);
			r = -ENOSPC;
			goto out_unlock;
		}
		atomic_store_explicit(&as->pasid, pasid, memory_order_relaxed);
	} else if (pasid >= max_pasids) {
		r = -EOVERFLOW;
		goto out_unlock;
	}
	atomic_store_explicit(&as->binds, binds + 1, memory_order_relaxed);
	*ret_pasid = pasid;
	r = 0;
out_unlock:
	pthread_mutex_unlock(&as->lock);
	return r;
}

int as_unbind(struct as *as)
{
	unsigned int binds;
	int r = 0;

	if (!as)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	binds = atomic_load_explicit(&as->binds, memory_order_relaxed);
	if (binds)
		atomic_store_explicit(&as->binds, binds - 1, memory_order_relaxed);
	else
		r = -EINVAL;
	/* The PASID stays with the address space until teardown (SYS-3). */
	pthread_mutex_unlock(&as->lock);
	return r;
}

uint32_t as_pasid(const struct as *as)
{
	/* Written once under the lock; a reader racing the first bind sees either value. */
	return as ? atomic_load_explicit(&as->pasid, memory_order_relaxed) : PASID_INVALID;
}

unsigned int as_bind_count(const struct as *as)
{
	return as ? atomic_load_explicit(&as->binds, memory_order_relaxed) : 0;
}

enum as_kind as_kind(const struct as *as)
{
	assert(as);
	return as->kind;
}

struct atc *as_atc(struct as *as)
{
	return as ? as->atc : NULL;
}

const struct as_dma_ops *as_dma(const struct as *as)
{
	return as ? as->dma : NULL;
}

void as_work_begin(struct as *as)
{
	/*
	 * The caller holds a reference or an already-counted unit of work, so
	 * the object is alive. Nothing to order: the teardown that would care
	 * reads the count under acquire after this thread's as_work_end().
	 */
	uint32_t old = atomic_fetch_add_explicit(&as->work, 1, memory_order_relaxed);

	assert((old & AS_WORK_COUNT) != AS_WORK_COUNT);
	(void)old;
}

void as_work_end(struct as *as)
{
	uint32_t old = atomic_load_explicit(&as->work, memory_order_relaxed);

	/*
	 * Fast path: nobody is tearing down. The release pairs with the
	 * acquire load in as_wait_idle(). Once the CAS succeeds this thread
	 * must not touch as again: a teardown may free it at once.
	 */
	while (!(old & AS_WORK_DYING)) {
		assert(old & AS_WORK_COUNT);
		if (atomic_compare_exchange_weak_explicit(&as->work, &old, old - 1,
							  memory_order_release,
							  memory_order_relaxed))
			return;
	}
	/*
	 * Slow path: the waiter in as_teardown() re-checks the count under
	 * the lock, so decrementing and signalling under it cannot lose the
	 * wake-up, and the waiter cannot free the object before we unlock.
	 */
	pthread_mutex_lock(&as->lock);
	old = atomic_fetch_sub_explicit(&as->work, 1, memory_order_release);
	assert(old & AS_WORK_COUNT);
	if ((old & AS_WORK_COUNT) == 1)
		pthread_cond_broadcast(&as->idle);
	pthread_mutex_unlock(&as->lock);
}

int as_add_release_hook(struct as *as, void (*fn)(struct as *as, uint32_t pasid, void *arg),
			void *arg)
{
	unsigned int i;
	int r = 0;

	if (!as || !fn)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	for (i = 0; i < as->nhooks; i++) {
		if (as->hooks[i].fn == fn && as->hooks[i].arg == arg) {
			r = -EEXIST;
			goto out_unlock;
		}
	}
	if (as->nhooks == AS_MAX_HOOKS) {
		r = -ENOSPC;
		goto out_unlock;
	}
	as->hooks[as->nhooks].fn = fn;
	as->hooks[as->nhooks].arg = arg;
	as->nhooks++;
out_unlock:
	pthread_mutex_unlock(&as->lock);
	return r;
}

int as_remove_release_hook(struct as *as, void (*fn)(struct as *as, uint32_t pasid, void *arg),
			   void *arg)
{
	unsigned int i;
	int r = -ENOENT;

	if (!as || !fn)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	for (i = 0; i < as->nhooks; i++) {
		if (as->hooks[i].fn != fn || as->hooks[i].arg != arg)
			continue;
		/* Shift down: hooks run in registration order. */
		for (; i + 1 < as->nhooks; i++)
			as->hooks[i] = as->hooks[i + 1];
		as->nhooks--;
		r = 0;
		break;
	}
	pthread_mutex_unlock(&as->lock);
	return r;
}
