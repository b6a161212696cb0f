/* SPDX-License-Identifier: MIT */
/*
 * Groups and engines (dsa-device.md §4). Every engine is a thread that
 * belongs to one group and pulls from the group's WQs through the group's
 * arbiter: weighted round robin by WQ priority. Several engines pull
 * independently, so descriptors complete out of order across engines.
 *
 * Idle policy: an engine that finds no work spins for spin_us (a completion
 * round trip stays at cache-line latency), then sleeps on the group's
 * doorbell futex. Spinning is rationed: at most one engine per group, and
 * device-wide at most one fewer than the online CPUs (at least one), so
 * spinners never starve the submitters on a small machine. A submitter
 * rings the doorbell only when no engine of the group is awake; a busy
 * engine that sees more queued work wakes a sleeping peer itself. So a busy
 * device pays no syscall per submission and an idle one uses no CPU.
 * While it spins, and from then on after each descriptor until it sleeps,
 * an engine also does the idle hook's work (svad: serving portal rings, so
 * one spinning thread, not two, answers a client).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dsa.h"
#include "sva/sva_barrier.h"

struct group_rt {
	struct dsa_rt *rt;
	unsigned int id;
	pthread_mutex_t lock;		/* arbiter state and dequeue */
	unsigned int rr;		/* lock: the WQ being served */
	unsigned int nwqs;		/* lock */
	_Atomic uint32_t spinning;	/* 0 or 1: the group's spinner */
	_Atomic bool paused;		/* dispatch frozen (tests, observability) */
	struct wq_rt *wqs[DSA_MAX_WQS];	/* lock; changed only while engines idle */
	/*
	 * What every submission reads (group_rt_kick), on a line engines write
	 * only when they fall asleep or wake: not next to rr or spinning,
	 * which change on every dispatch or idle spell, or each submission
	 * would fetch the line back from the engine's CPU.
	 */
	_Atomic uint32_t doorbell __attribute__((aligned(64)));	/* futex word */
	_Atomic uint32_t sleepers;
	_Atomic uint32_t awake;		/* engines spinning or executing */
};

struct engine_rt {
	struct dsa_rt *rt;
	struct group_rt *group;
	unsigned int id;
	uint32_t spin_ns;
	pthread_t thread;
	_Atomic bool stop;
	struct engine_cur cur;
	bool polled;			/* the idle hook was polled since the last end */
	_Atomic int *spin_budget;	/* device-wide spinner slots */
	_Atomic uint64_t descs, bytes, busy, sleeps;	/* busy in engine_clock() units */
	bool tsc;			/* engine_clock() reads the TSC */
	uint64_t ns0, tsc0;		/* both clocks at start, for the TSC's rate */
};

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rdtsc(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

/* The TSC ticks at a constant rate in every power state (CPUID 0x80000007 EDX bit 8). */
static bool tsc_invariant(void)
{
#if defined(__x86_64__)
	unsigned int a = 0x80000000u, b, c, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	if (a < 0x80000007u)
		return false;
	a = 0x80000007u;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	return d & (1u << 8);
#else
	return false;
#endif
}

/*
 * The clock of busy time. Two clock_gettime() calls per descriptor cost
 * 50-70 ns on the reference VM, one of them between dequeue and
 * execution, where every submitter waits for it; an invariant TSC costs a
 * few ns. Ticks become nanoseconds when the counters are read, at the
 * rate measured over the engine's lifetime (engine_rt_stats).
 */
static uint64_t engine_clock(const struct engine_rt *e)
{
	return e->tsc ? rdtsc() : now_ns();
}

int group_rt_new(struct dsa_rt *rt, unsigned int id, struct group_rt **ret_group)
{
	struct group_rt *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->rt = rt;
	g->id = id;
	pthread_mutex_init(&g->lock, NULL);
	*ret_group = g;
	return 0;
}

struct group_rt *group_rt_free(struct group_rt *g)
{
	if (!g)
		return NULL;
	pthread_mutex_destroy(&g->lock);
	free(g);
	return NULL;
}

void group_rt_set_wqs(struct group_rt *g, struct wq_rt **wqs, unsigned int n)
{
	pthread_mutex_lock(&g->lock);
	/* Atomic stores: group_has_work() reads these without the lock. */
	for (unsigned int i = 0; i < n; i++)
		__atomic_store_n(&g->wqs[i], wqs[i], __ATOMIC_RELAXED);
	__atomic_store_n(&g->nwqs, n, __ATOMIC_RELEASE);
	g->rr = 0;
	pthread_mutex_unlock(&g->lock);
}

/*
 * Racy by design: a hint for the idle loop, re-checked under the lock.
 * admitted: count descriptors admitted but not yet published, reading the
 * submitters' line (only before sleeping, where a wakeup must not be lost);
 * otherwise look only at published ones, as a spinning or busy engine must
 * (wq_rt_ready).
 */
static bool group_has_work(struct group_rt *g, bool admitted)
{
	for (unsigned int i = 0; i < __atomic_load_n(&g->nwqs, __ATOMIC_ACQUIRE); i++) {
		struct wq_rt *w = __atomic_load_n(&g->wqs[i], __ATOMIC_RELAXED);

		if (w && (admitted ? wq_rt_occupancy(w) != 0 : wq_rt_ready(w)))
			return true;
	}
	return false;
}

void group_rt_kick(struct group_rt *g)
{
	/*
	 * The admission CAS (seq_cst) precedes this seq_cst load; the sleeper
	 * increments sleepers before re-reading occupancy. One of the two sees
	 * the other, so a wakeup is never lost (Dekker).
	 */
	if (sva_unlikely(!atomic_load(&g->awake) && atomic_load(&g->sleepers))) {
		atomic_fetch_add(&g->doorbell, 1);
		futex(&g->doorbell, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

/* A busy engine that sees a backlog wakes a sleeping peer of its group. */
static void group_recruit(struct group_rt *g)
{
	if (atomic_load_explicit(&g->sleepers, memory_order_relaxed) && group_has_work(g, false)) {
		atomic_fetch_add(&g->doorbell, 1);
		futex(&g->doorbell, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

/*
 * Weighted round robin (dsa-device.md §4): the current WQ is served while
 * its counter is non-zero and it has work; a WQ at 0 is skipped; when every
 * WQ with work is at 0 all counters reload from the priorities. Empty WQs
 * cost nothing. Called with the group lock held.
 */
static struct wq_rt *group_arbitrate(struct group_rt *g)
{
	for (int pass = 0; pass < 2; pass++) {
		bool any = false;

		for (unsigned int k = 0; k < g->nwqs; k++) {
			unsigned int i = (g->rr + k) % g->nwqs;
			struct wq_rt *w = g->wqs[i];
			int *credit = wq_rt_credit(w);

			if (!wq_rt_ready(w))
				continue;
			any = true;
			if (*credit <= 0)
				continue;
			(*credit)--;
			g->rr = *credit > 0 ? i : (i + 1) % g->nwqs;
			return w;
		}
		if (!any)
			return NULL;
		for (unsigned int k = 0; k < g->nwqs; k++)
			*wq_rt_credit(g->wqs[k]) = wq_rt_priority(g->wqs[k]);
	}
	return NULL;
}

static bool engine_next(struct engine_rt *e, struct wq_rt **ret_wq, struct wq_item *it)
{
	struct group_rt *g = e->group;
	bool got = false;

	if (sva_unlikely(atomic_load_explicit(&g->paused, memory_order_acquire))) {
		*ret_wq = NULL;
		return false;
	}
	pthread_mutex_lock(&g->lock);
	struct wq_rt *w = group_arbitrate(g);

	if (w) {
		got = wq_rt_dequeue(w, it, &e->cur, wq_rt_id(w));
		if (!got)	/* admitted but not yet published: give the credit back */
			(*wq_rt_credit(w))++;
	}
	pthread_mutex_unlock(&g->lock);
	*ret_wq = w;
	return got;
}

/* Become the group's spinner if the group has none and the budget allows. */
static bool engine_spin_take(struct engine_rt *e)
{
	struct group_rt *g = e->group;
	uint32_t none = 0;

	if (atomic_load_explicit(&g->spinning, memory_order_relaxed) ||
	    atomic_fetch_sub(e->spin_budget, 1) <= 0) {
		if (!atomic_load_explicit(&g->spinning, memory_order_relaxed))
			atomic_fetch_add(e->spin_budget, 1);
		return false;
	}
	if (atomic_compare_exchange_strong(&g->spinning, &none, 1))
		return true;
	atomic_fetch_add(e->spin_budget, 1);
	return false;
}

static void engine_spin_put(struct engine_rt *e)
{
	atomic_store(&e->group->spinning, 0);
	atomic_fetch_add(e->spin_budget, 1);
}

/* Poll the idle hook h (rt_idle_hook_get; NULL: none); > 0 when it found work. */
static int engine_hook_poll(struct engine_rt *e, const struct rt_idle_hook *h)
{
	if (!h)
		return 0;
	e->polled = true;
	return h->poll(h->arg);
}

/*
 * Before the engine stops polling for a while (sleep, pause, exit): the
 * hook's owner, which stays out of the way while engines poll, takes over.
 */
static void engine_hook_end(struct engine_rt *e)
{
	const struct rt_idle_hook *h;

	if (!e->polled)
		return;
	e->polled = false;
	h = rt_idle_hook_get(e->rt);
	if (h)
		h->end(h->arg);
	rt_idle_hook_put(e->rt);
}

/* Returns with the engine awake (it was, or a doorbell or timeout woke it). */
static void engine_idle(struct engine_rt *e)
{
	struct group_rt *g = e->group;
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	if (atomic_load_explicit(&g->paused, memory_order_relaxed)) {
		struct timespec nap = { 0, 100 * 1000 };

		engine_hook_end(e);
		nanosleep(&nap, NULL);
		return;
	}
	if (engine_spin_take(e)) {
		const struct rt_idle_hook *h = rt_idle_hook_get(e->rt);
		uint64_t start = now_ns();
		bool found = false;

		while (!found && now_ns() - start < e->spin_ns) {
			for (int i = 0; i < 64 && !found; i++) {
				found = group_has_work(g, false) ||
					atomic_load_explicit(&e->stop, memory_order_relaxed);
				if (!found && engine_hook_poll(e, h) > 0)
					start = now_ns();
				sva_cpu_relax();
			}
		}
		engine_spin_put(e);
		rt_idle_hook_put(e->rt);
		if (found)
			return;
	}
	engine_hook_end(e);
	/*
	 * Fall asleep: not awake, then a sleeper, then one more look. The
	 * submitter publishes work, then reads awake and sleepers (all
	 * seq_cst), so either it sees us asleep and rings, or we see its work.
	 */
	atomic_fetch_sub(&g->awake, 1);
	atomic_fetch_add(&g->sleepers, 1);
	uint32_t v = atomic_load(&g->doorbell);

	if (!group_has_work(g, true) && !atomic_load(&e->stop)) {
		atomic_fetch_add_explicit(&e->sleeps, 1, memory_order_relaxed);
		/* The timeout only bounds the damage of a bug; wakeups come from kicks. */
		futex(&g->doorbell, FUTEX_WAIT_PRIVATE, v, &ts);
	}
	atomic_fetch_sub(&g->sleepers, 1);
	atomic_fetch_add(&g->awake, 1);
}

/*
 * Between two descriptors too, once the engine has polled in this busy
 * spell: a client whose next submission waits for its verdict (ENQCMD is
 * synchronous) must not wait until the queue runs dry. An engine woken
 * from sleep does not, until it has spun once: the hook's owner serves
 * meanwhile (svad: 4-16 clients ran 25 % slower when every busy engine
 * scanned, docs/PERFORMANCE.md "svad"). Embedded devices never poll.
 */
static void engine_poll_between(struct engine_rt *e)
{
	if (!e->polled)
		return;
	engine_hook_poll(e, rt_idle_hook_get(e->rt));
	rt_idle_hook_put(e->rt);
}

static void *engine_main(void *arg)
{
	struct engine_rt *e = arg;

	atomic_fetch_add(&e->group->awake, 1);
	while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
		struct wq_item it;
		struct wq_rt *w;
		struct dsa_result res;
		uint64_t t0;

		if (!engine_next(e, &w, &it)) {
			engine_idle(e);
			continue;
		}
		group_recruit(e->group);
		t0 = engine_clock(e);
		rt_trace_dispatch(e->rt, wq_rt_id(w));
		if (wq_rt_aborted(w, &it)) {
			/* Abandoned: no record, no interrupt (dsa-device.md §10). */
			memset(&res, 0, sizeof(res));
			res.status = DSA_COMP_NONE;
		} else {
			if (it.desc.opcode == DSA_OPCODE_DRAIN)
				rt_wait_prior(e->rt, w, wq_rt_id(w), &it, e);
			/* Small jobs go to a waiting client only when nobody else waits. */
			coop_engine_queue(wq_rt_occupancy(w) != 0);
			dsa_exec_desc(rt_caps(e->rt), wq_rt_attr(w), it.as, it.pasid, it.priv,
				      &it.desc, &res);
			atomic_fetch_add_explicit(&e->descs, res.descs, memory_order_relaxed);
			atomic_fetch_add_explicit(&e->bytes, res.bytes, memory_order_relaxed);
		}
		rt_complete(e->rt, e->id, w, &it, &res);
		atomic_fetch_add_explicit(&e->busy, engine_clock(e) - t0, memory_order_relaxed);
		/* Pairs with the drainer's seq_cst load of busy: the record is written. */
		atomic_store(&e->cur.busy, 0);
		engine_poll_between(e);
	}
	engine_hook_end(e);
	atomic_fetch_sub(&e->group->awake, 1);
	return NULL;
}

void group_rt_pause(struct group_rt *g, bool paused)
{
	atomic_store_explicit(&g->paused, paused, memory_order_release);
}

int engine_rt_start(struct dsa_rt *rt, unsigned int id, struct group_rt *g,
		    uint32_t spin_us, _Atomic int *spin_budget, struct engine_rt **ret_engine)
{
	struct engine_rt *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	e->rt = rt;
	e->group = g;
	e->id = id;
	e->spin_ns = spin_us * 1000u;
	e->spin_budget = spin_budget;
	e->tsc = tsc_invariant();
	e->ns0 = now_ns();
	e->tsc0 = rdtsc();
	r = -pthread_create(&e->thread, NULL, engine_main, e);
	if (r) {
		free(e);
		return r;
	}
	*ret_engine = e;
	return 0;
}

void engine_rt_stop(struct engine_rt *e, uint64_t ret_stats[4])
{
	if (!e)
		return;
	atomic_store_explicit(&e->stop, true, memory_order_release);
	atomic_fetch_add(&e->group->doorbell, 1);
	futex(&e->group->doorbell, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
	pthread_join(e->thread, NULL);
	engine_rt_stats(e, ret_stats);
	free(e);
}

struct engine_cur *engine_rt_cur(struct engine_rt *e)
{
	return &e->cur;
}

void engine_rt_stats(const struct engine_rt *e, uint64_t ret[4])
{
	ret[0] = atomic_load_explicit(&e->descs, memory_order_relaxed);
	ret[1] = atomic_load_explicit(&e->bytes, memory_order_relaxed);
	ret[2] = atomic_load_explicit(&e->busy, memory_order_relaxed);
	if (e->tsc) {
		uint64_t ns = now_ns() - e->ns0, ticks = rdtsc() - e->tsc0;

		ret[2] = ticks ? (uint64_t)((double)ret[2] * (double)ns / (double)ticks) : 0;
	}
	ret[3] = atomic_load_explicit(&e->sleeps, memory_order_relaxed);
}
