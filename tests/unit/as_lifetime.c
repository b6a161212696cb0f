/* SPDX-License-Identifier: MIT */
/*
 * Description: address-space PASID lifetime (system.md §2.2, SYS-2/SYS-3).
 * The first bind allocates, rebinds reuse, a second space gets another id;
 * unbind never frees (-EINVAL when unbound); -EOVERFLOW for a PASID beyond a
 * device's max_pasids; -ENOSPC on exhaustion; the last as_unref waits for
 * outstanding work, then runs the release hooks with the PASID, and only
 * then frees it, after which the lowest free id goes to a new space.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"

#define SENTINEL	0xDEADBEEFu

/* Global order of observed events, to assert "happened before". */
static atomic_uint seq = 1;

static struct as *new_as(struct pasid_alloc *pa)
{
	struct as *as = NULL;
	int r = as_new_self(pa, &as);

	if (r || !as)
		T_FATAL("as_new_self: %d", r);
	return as;
}

static uint32_t bind_ok(struct as *as, uint32_t max)
{
	uint32_t pasid = SENTINEL;
	int r = as_bind(as, max, &pasid);

	if (r)
		T_FATAL("as_bind: %d", r);
	return pasid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_bind(void)
{
	struct pasid_alloc *pa;
	struct as *a, *b, *c;
	uint32_t id = SENTINEL;

	if (pasid_alloc_new(PASID_MAX, &pa))
		T_FATAL("pasid_alloc_new");
	a = new_as(pa);
	T_EQ(as_pasid(a), PASID_INVALID);
	T_EQ(as_bind_count(a), 0);
	T_EQ(as_kind(a), AS_SELF);
	T_CHECK(as_atc(a) != NULL, "no ATC");
	T_CHECK(as_dma(a) == &as_self_dma_ops, "wrong DMA ops");
	T_EQ(as_unbind(a), -EINVAL);
	T_EQ(as_bind(a, 0, &id), -EINVAL);
	T_EQ(as_bind(a, PASID_MAX + 1, &id), -EINVAL);
	T_EQ(id, SENTINEL);
	T_EQ(pasid_in_use(pa), 0);

	/* SYS-2: lazily allocated, then shared by every later bind. */
	T_EQ(bind_ok(a, PASID_MAX), 1);
	T_EQ(bind_ok(a, 16), 1);
	T_EQ(as_bind_count(a), 2);
	b = new_as(pa);
	T_EQ(bind_ok(b, PASID_MAX), 2);
	T_EQ(pasid_in_use(pa), 2);

	/* SYS-3: unbinding everything keeps the PASID. */
	T_EQ(as_unbind(a), 0);
	T_EQ(as_unbind(a), 0);
	T_EQ(as_unbind(a), -EINVAL);
	T_EQ(as_bind_count(a), 0);
	T_EQ(as_pasid(a), 1);
	T_EQ(pasid_in_use(pa), 2);
	T_EQ(bind_ok(a, PASID_MAX), 1);

	/* -EOVERFLOW: b owns 2, a device with 2 PASIDs only has id 1. */
	id = SENTINEL;
	T_EQ(as_bind(b, 2, &id), -EOVERFLOW);
	T_EQ(id, SENTINEL);
	T_EQ(as_bind_count(b), 1);
	T_EQ(bind_ok(b, 3), 2);

	/* A first bind to a small device needs a free id below its limit. */
	c = new_as(pa);
	T_EQ(as_bind(c, 3, &id), -ENOSPC);
	T_EQ(id, SENTINEL);
	T_EQ(as_pasid(c), PASID_INVALID);
	T_EQ(pasid_in_use(pa), 2);
	T_EQ(bind_ok(c, 4), 3);

	T_CHECK(as_ref(NULL) == NULL, "as_ref(NULL)");
	T_CHECK(as_unref(NULL) == NULL, "as_unref(NULL)");
	T_CHECK(as_ref(a) == a, "as_ref returns its argument");
	T_CHECK(as_unref(a) == NULL, "as_unref returns NULL");
	T_EQ(pasid_in_use(pa), 3);	/* a still has a reference */

	/* Teardown with binds outstanding frees; lowest free goes to the next. */
	as_unref(a);
	T_EQ(pasid_in_use(pa), 2);
	a = new_as(pa);
	T_EQ(bind_ok(a, PASID_MAX), 1);
	as_unref(a);
	as_unref(b);
	as_unref(c);
	T_EQ(pasid_in_use(pa), 0);
	pasid_alloc_free(pa);
}

static void test_exhaustion(void)
{
	struct pasid_alloc *pa;
	struct as *a, *b, *c;
	uint32_t id = SENTINEL;

	if (pasid_alloc_new(3, &pa))	/* ids 1 and 2 */
		T_FATAL("pasid_alloc_new");
	a = new_as(pa);
	b = new_as(pa);
	c = new_as(pa);
	T_EQ(bind_ok(a, PASID_MAX), 1);
	T_EQ(bind_ok(b, PASID_MAX), 2);
	T_EQ(as_bind(c, PASID_MAX, &id), -ENOSPC);
	T_EQ(id, SENTINEL);
	T_EQ(as_pasid(c), PASID_INVALID);
	T_EQ(as_bind_count(c), 0);
	as_unref(a);
	T_EQ(bind_ok(c, PASID_MAX), 1);
	as_unref(b);
	as_unref(c);
	T_EQ(pasid_in_use(pa), 0);
	pasid_alloc_free(pa);
}

/* release hooks */

struct hook_rec {
	struct pasid_alloc *pa;
	struct as *as;
	uint32_t pasid;		/* as passed to the hook */
	uint32_t in_use;	/* pasid_in_use() while the hook ran */
	unsigned int calls;
	unsigned int at;	/* seq when it ran */
	bool as_ok;
};

static void hook(struct as *as, uint32_t pasid, void *arg)
{
	struct hook_rec *h = arg;

	h->calls++;
	h->pasid = pasid;
	h->in_use = pasid_in_use(h->pa);
	h->as_ok = as == h->as && as_pasid(as) == pasid;
	h->at = atomic_fetch_add(&seq, 1);
}

static void other_hook(struct as *as, uint32_t pasid, void *arg)
{
	hook(as, pasid, arg);
}

static void test_hooks(void)
{
	struct hook_rec h[AS_MAX_HOOKS + 1] = { 0 };
	struct hook_rec unbound = { 0 };
	struct pasid_alloc *pa;
	struct as *a, *b;
	unsigned int i, prev;

	if (pasid_alloc_new(PASID_MAX, &pa))
		T_FATAL("pasid_alloc_new");
	a = new_as(pa);
	T_EQ(bind_ok(a, PASID_MAX), 1);
	for (i = 0; i < AS_MAX_HOOKS; i++) {
		h[i] = (struct hook_rec){ .pa = pa, .as = a };
		T_EQ(as_add_release_hook(a, hook, &h[i]), 0);
	}
	T_EQ(as_add_release_hook(a, hook, &h[AS_MAX_HOOKS]), -ENOSPC);
	T_EQ(as_add_release_hook(a, hook, &h[0]), -EEXIST);
	T_EQ(as_add_release_hook(a, NULL, &h[0]), -EINVAL);
	T_EQ(as_remove_release_hook(a, other_hook, &h[0]), -ENOENT);
	T_EQ(as_remove_release_hook(a, hook, &h[3]), 0);
	T_EQ(as_remove_release_hook(a, hook, &h[3]), -ENOENT);
	T_EQ(as_add_release_hook(a, other_hook, &h[AS_MAX_HOOKS]), 0);
	h[AS_MAX_HOOKS] = (struct hook_rec){ .pa = pa, .as = a };

	as_unbind(a);
	as_unref(a);
	for (i = 0, prev = 0; i <= AS_MAX_HOOKS; i++) {
		T_CHECK(h[i].calls == (i == 3 ? 0u : 1u), "hook %u ran %u times", i, h[i].calls);
		if (i == 3)
			continue;
		T_EQ(h[i].pasid, 1);
		/* The PASID was still allocated while the hook ran. */
		T_EQ(h[i].in_use, 1);
		T_CHECK(h[i].as_ok, "hook %u: wrong as or as_pasid()", i);
		/* Registration order. */
		T_CHECK(h[i].at > prev, "hook %u ran out of order", i);
		prev = h[i].at;
	}
	T_EQ(pasid_in_use(pa), 0);

	/* A space that never bound reports PASID_INVALID and frees nothing. */
	b = new_as(pa);
	unbound = (struct hook_rec){ .pa = pa, .as = b };
	T_EQ(as_add_release_hook(b, hook, &unbound), 0);
	as_unref(b);
	T_EQ(unbound.calls, 1);
	T_EQ(unbound.pasid, PASID_INVALID);
	pasid_alloc_free(pa);
}

/* teardown waits for outstanding work */

struct holder {
	struct as *as;
	struct pasid_alloc *pa;
	struct hook_rec *hook;
	atomic_bool started;
	atomic_bool unref_called;
	unsigned int end_at;	/* seq just before as_work_end() */
	uint32_t in_use_at_end;
	unsigned int hook_calls_at_end;
};

static void *holder_main(void *arg)
{
	struct holder *x = arg;

	as_work_begin(x->as);
	atomic_store(&x->started, true);
	while (!atomic_load(&x->unref_called))
		sleep_ms(1);
	/* Give as_unref() time to get as far as it (wrongly) could. */
	sleep_ms(100);
	x->in_use_at_end = pasid_in_use(x->pa);
	x->hook_calls_at_end = x->hook->calls;
	x->end_at = atomic_fetch_add(&seq, 1);
	as_work_end(x->as);
	return NULL;
}

static void test_wait_for_work(void)
{
	struct hook_rec h = { 0 };
	struct holder x = { 0 };
	struct pasid_alloc *pa;
	pthread_t th;
	unsigned int returned_at;

	if (pasid_alloc_new(PASID_MAX, &pa))
		T_FATAL("pasid_alloc_new");
	x.as = new_as(pa);
	x.pa = pa;
	x.hook = &h;
	h = (struct hook_rec){ .pa = pa, .as = x.as };
	T_EQ(bind_ok(x.as, PASID_MAX), 1);
	T_EQ(as_add_release_hook(x.as, hook, &h), 0);
	/* Some finished work first: a balanced begin/end leaves no trace. */
	as_work_begin(x.as);
	as_work_end(x.as);

	if (pthread_create(&th, NULL, holder_main, &x))
		T_FATAL("pthread_create");
	while (!atomic_load(&x.started))
		sleep_ms(1);
	atomic_store(&x.unref_called, true);
	as_unref(x.as);		/* must block until holder_main's as_work_end() */
	returned_at = atomic_fetch_add(&seq, 1);
	pthread_join(th, NULL);

	T_CHECK(x.end_at < returned_at, "as_unref returned before as_work_end");
	T_EQ(x.in_use_at_end, 1);		/* PASID not freed under the work */
	T_EQ(x.hook_calls_at_end, 0);		/* hooks not run under the work */
	T_EQ(h.calls, 1);
	T_CHECK(h.at > x.end_at, "hook ran before the work ended");
	T_EQ(h.in_use, 1);			/* hook before the free */
	T_EQ(pasid_in_use(pa), 0);
	pasid_alloc_free(pa);
}

/*
 * Race the fast path against teardown: workers hammer begin/end, then each
 * drops its reference while still holding one unit of work, so the last
 * as_unref() (main's, made as soon as all workers have dropped theirs) meets
 * late as_work_end() calls on the slow path. ASan/TSan builds catch any touch
 * after free.
 */
#define RACERS 4

struct racer {
	pthread_t thread;
	struct as *as;		/* our reference */
	atomic_uint *dropped;
	unsigned int spin;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	volatile unsigned int spin;

	for (int i = 0; i < 20000; i++) {
		as_work_begin(r->as);
		as_work_end(r->as);
	}
	as_work_begin(r->as);
	as_unref(r->as);	/* never the last one: main holds a reference */
	atomic_fetch_add(r->dropped, 1);
	for (spin = 0; spin < r->spin; spin++)
		;
	as_work_end(r->as);	/* the work, not a reference, keeps as alive */
	return NULL;
}

static void test_race(void)
{
	struct pasid_alloc *pa;
	struct hook_rec h = { 0 };
	struct racer r[RACERS];

	if (pasid_alloc_new(PASID_MAX, &pa))
		T_FATAL("pasid_alloc_new");
	t_seed(0xa5);
	for (int round = 0; round < 50; round++) {
		struct as *as = new_as(pa);
		atomic_uint dropped = 0;

		h = (struct hook_rec){ .pa = pa, .as = as };
		T_EQ(bind_ok(as, PASID_MAX), 1);
		T_EQ(as_add_release_hook(as, hook, &h), 0);
		for (int i = 0; i < RACERS; i++) {
			r[i] = (struct racer){ .as = as_ref(as), .dropped = &dropped,
					       .spin = (unsigned int)t_rand_range(0, 200000) };
			if (pthread_create(&r[i].thread, NULL, racer_main, &r[i]))
				T_FATAL("pthread_create");
		}
		while (atomic_load(&dropped) < RACERS)
			sched_yield();
		as_unref(as);
		for (int i = 0; i < RACERS; i++)
			pthread_join(r[i].thread, NULL);
		T_EQ(h.calls, 1);
		T_EQ(pasid_in_use(pa), 0);
	}
	pasid_alloc_free(pa);
}

int main(void)
{
	test_bind();
	test_exhaustion();
	test_hooks();
	test_wait_for_work();
	test_race();
	return t_done("as_lifetime");
}
