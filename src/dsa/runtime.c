/* SPDX-License-Identifier: MIT */
/*
 * Device runtime: the configuration model (device.c) brought to life. It
 * starts engine threads when the device is enabled, opens and closes WQs
 * around the model's state transitions, implements the admin commands
 * (drain and abort per WQ, per PASID and for the whole device; resets), and
 * accounts completions. Admin commands are serialised by one lock, as the
 * device runs one command at a time (dsa-device.md §10).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsa.h"

struct dsa_rt {
	struct dsa_dev *dev;
	pthread_mutex_t admin;			/* one command at a time */
	struct dsa_caps caps;			/* snapshot at enable */
	unsigned int nwqs, ngroups, nengines;
	struct wq_rt *wqs[DSA_MAX_WQS];
	struct group_rt *groups[DSA_MAX_GROUPS];
	struct engine_rt *engines[DSA_MAX_ENGINES];	/* admin; NULL when stopped */
	uint64_t engine_acc[DSA_MAX_ENGINES][4];	/* counters of stopped engines */
	int engine_group[DSA_MAX_ENGINES];		/* group while running */
	uint32_t spin_us;
	_Atomic int spin_budget;		/* idle engines allowed to spin */
	_Atomic uint64_t by_opcode[256], by_status[256], faults, swerrors;
	struct pstats *pstats;			/* per-PASID counters */
	/* drops recorded from signal context, folded into SWERROR later */
	_Atomic uint32_t drop_claim;		/* 1 while drop_info is being written */
	_Atomic uint32_t drops_pending;
	struct dsa_swerr drop_info;		/* the first pending drop */
	_Atomic unsigned int drop_wq;
	/* dispatch trace: the WQ id of each dispatched descriptor, in order */
	uint8_t *_Atomic trace;
	size_t trace_cap;
	_Atomic size_t trace_len;
	/* work for spinning engines (rt_set_idle_hook) */
	_Atomic(const struct rt_idle_hook *) idle_hook;
	_Atomic unsigned int idle_users;	/* engines holding idle_hook */
};

/* The model's "occupancy" attribute reads the live queue (called under its lock). */
static uint32_t rt_occupancy(void *arg, unsigned int wq)
{
	struct dsa_rt *rt = arg;

	return wq < rt->nwqs ? wq_rt_occupancy(rt->wqs[wq]) : 0;
}

/* Free WQs, groups, the model and rt itself; tolerates a half-built rt. */
static void rt_free_objects(struct dsa_rt *rt)
{
	for (unsigned int i = 0; i < DSA_MAX_WQS; i++)
		wq_rt_free(rt->wqs[i]);
	for (unsigned int i = 0; i < DSA_MAX_GROUPS; i++)
		group_rt_free(rt->groups[i]);
	pthread_mutex_destroy(&rt->admin);
	dsa_dev_free(rt->dev);
	pstats_free(rt->pstats);
	free(rt);
}

int rt_new(const struct dsa_dev_params *p, uint32_t spin_us, struct dsa_rt **ret_rt)
{
	struct dsa_rt *rt = calloc(1, sizeof(*rt));
	int r;

	if (!rt)
		return -ENOMEM;
	r = pstats_new(&rt->pstats);
	if (r)
		goto err_free;
	r = dsa_dev_new(p, &rt->dev);
	if (r)
		goto err_pstats;
	pthread_mutex_init(&rt->admin, NULL);
	rt->nwqs = p->max_wqs;
	rt->ngroups = p->max_groups;
	rt->nengines = p->max_engines;
	rt->spin_us = spin_us;
	/* Leave a CPU to the submitters: spinning engines <= online CPUs - 1. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	atomic_init(&rt->spin_budget, ncpu > 2 ? (int)ncpu - 1 : 1);
	for (unsigned int i = 0; i < rt->nwqs; i++) {
		r = wq_rt_new(i, rt->pstats, &rt->wqs[i]);
		if (r)
			goto err_objs;
	}
	for (unsigned int i = 0; i < rt->ngroups; i++) {
		r = group_rt_new(rt, i, &rt->groups[i]);
		if (r)
			goto err_objs;
	}
	dsa_dev_set_occupancy_fn(rt->dev, rt_occupancy, rt);
	*ret_rt = rt;
	return 0;

err_objs:
	rt_free_objects(rt);
	return r;
err_pstats:
	pstats_free(rt->pstats);
err_free:
	free(rt);
	return r;
}

struct dsa_dev *rt_dev(struct dsa_rt *rt)
{
	return rt->dev;
}

const struct dsa_caps *rt_caps(struct dsa_rt *rt)
{
	return &rt->caps;
}

void rt_set_idle_hook(struct dsa_rt *rt, const struct rt_idle_hook *h)
{
	/*
	 * seq_cst against rt_idle_hook_get's increment-then-load: an engine
	 * either sees the new pointer or is counted in idle_users here.
	 */
	atomic_store(&rt->idle_hook, h);
	while (atomic_load(&rt->idle_users))
		sched_yield();
}

const struct rt_idle_hook *rt_idle_hook_get(struct dsa_rt *rt)
{
	atomic_fetch_add(&rt->idle_users, 1);
	return atomic_load(&rt->idle_hook);
}

void rt_idle_hook_put(struct dsa_rt *rt)
{
	atomic_fetch_sub_explicit(&rt->idle_users, 1, memory_order_release);
}

struct wq_rt *rt_wq(struct dsa_rt *rt, unsigned int wq)
{
	return wq < rt->nwqs ? rt->wqs[wq] : NULL;
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * True while an engine executes a descriptor of wq below ticket (and of
 * pasid, unless WQ_ANY_PASID), other than self. Reads busy first: an engine
 * publishes cur before it frees the slot and clears busy only after the
 * record is written (engine.c, wq_rt_dequeue).
 */
static bool rt_busy_below(struct dsa_rt *rt, unsigned int wq, uint64_t ticket, uint32_t pasid,
			  struct engine_rt *self)
{
	for (unsigned int i = 0; i < rt->nengines; i++) {
		struct engine_rt *e = __atomic_load_n(&rt->engines[i], __ATOMIC_ACQUIRE);
		struct engine_cur *c;

		if (!e || e == self)
			continue;
		c = engine_rt_cur(e);
		if (atomic_load(&c->busy) && atomic_load(&c->wq) == wq &&
		    atomic_load(&c->ticket) < ticket &&
		    (pasid == WQ_ANY_PASID || atomic_load(&c->pasid) == pasid))
			return true;
	}
	return false;
}

void rt_wait_prior(struct dsa_rt *rt, struct wq_rt *wq, unsigned int wq_index,
		   const struct wq_item *it, struct engine_rt *self)
{
	/*
	 * Everything before the Drain was dequeued before it (one FIFO per
	 * WQ), so what may still run is on other engines. A DWQ waits for
	 * all of them; an SWQ only for the Drain's PASID (dsa-device.md §7).
	 */
	uint32_t pasid = wq_rt_shared(wq) ? it->pasid : WQ_ANY_PASID;

	while (rt_busy_below(rt, wq_index, it->ticket, pasid, self))
		sleep_us(1);
}

/* Wait until every descriptor of wq admitted before ticket T (of pasid) completed. */
static void rt_drain_wq_to(struct dsa_rt *rt, unsigned int i, uint64_t t, uint32_t pasid)
{
	struct wq_rt *w = rt->wqs[i];

	while (wq_rt_head(w) < t || rt_busy_below(rt, i, t, pasid, NULL))
		sleep_us(10);
}

static void rt_account(struct dsa_rt *rt, unsigned int engine, const struct wq_item *it,
		       const struct dsa_result *res)
{
	const struct dsa_hw_desc *d = &it->desc;
	uint8_t status = res->status;

	atomic_fetch_add_explicit(&rt->by_opcode[d->opcode], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&rt->by_status[status], 1, memory_order_relaxed);
	if ((status & DSA_COMP_STATUS_MASK) == DSA_COMP_PAGE_FAULT_NOBOF ||
	    (status & DSA_COMP_STATUS_MASK) == DSA_COMP_PAGE_FAULT_IR)
		atomic_fetch_add_explicit(&rt->faults, 1, memory_order_relaxed);
	/* Under the PASID the descriptor was submitted with (the slot's, not its own field). */
	pstats_complete(rt->pstats, engine, it->pasid, status, res->bytes);
}

void rt_complete(struct dsa_rt *rt, unsigned int engine, struct wq_rt *wq,
		 const struct wq_item *it, const struct dsa_result *res)
{
	if (res->status == DSA_COMP_NONE) {
		wq_rt_count(wq, WQ_STAT_ABORTED);
		pstats_abort(rt->pstats, engine, it->pasid);
	} else {
		rt_account(rt, engine, it, res);
		if (res->swerr.valid) {
			atomic_fetch_add_explicit(&rt->swerrors, res->swerr_count,
						  memory_order_relaxed);
			dsa_dev_swerror_record(rt->dev, &res->swerr, wq_rt_id(wq));
		}
		wq_rt_count(wq, WQ_STAT_COMPLETED);
	}
}

void rt_record_drop(struct dsa_rt *rt, struct wq_rt *wq, const struct dsa_hw_desc *d,
		    uint32_t pasid)
{
	struct dsa_swerr e = {
		.valid = true,
		.error = 0x53,	/* descriptor to a full DWQ, dropped (§11) */
		.opcode = d->opcode,
		.pasid = pasid,
	};

	atomic_fetch_add_explicit(&rt->swerrors, 1, memory_order_relaxed);
	dsa_dev_swerror_record(rt->dev, &e, wq_rt_id(wq));
}

void rt_record_drop_async(struct dsa_rt *rt, struct wq_rt *wq, const struct dsa_hw_desc *d,
			  uint32_t pasid)
{
	uint32_t zero = 0;

	/* The first drop since the last fold keeps its details; later ones count. */
	if (atomic_load(&rt->drops_pending) == 0 &&
	    atomic_compare_exchange_strong(&rt->drop_claim, &zero, 1)) {
		rt->drop_info = (struct dsa_swerr){ .valid = true, .error = 0x53,
						    .opcode = d->opcode, .pasid = pasid };
		atomic_store(&rt->drop_wq, wq_rt_id(wq));
	}
	atomic_fetch_add(&rt->drops_pending, 1);
}

void rt_fold_drops(struct dsa_rt *rt)
{
	uint32_t n = atomic_exchange(&rt->drops_pending, 0);

	if (!n)
		return;
	/* A second error while valid sets overflow, as the register does. */
	dsa_dev_swerror_record(rt->dev, &rt->drop_info, atomic_load(&rt->drop_wq));
	if (n > 1)
		dsa_dev_swerror_record(rt->dev, &rt->drop_info, atomic_load(&rt->drop_wq));
	atomic_fetch_add_explicit(&rt->swerrors, n, memory_order_relaxed);
	atomic_store(&rt->drop_claim, 0);
}

/* engines and groups */

static void rt_group_refresh(struct dsa_rt *rt, unsigned int g)
{
	struct wq_rt *list[DSA_MAX_WQS];
	unsigned int n = 0;

	for (unsigned int i = 0; i < rt->nwqs; i++) {
		if (wq_rt_is_open(rt->wqs[i]) && dsa_dev_wq(rt->dev, i)->group_id == (int)g)
			list[n++] = rt->wqs[i];
	}
	group_rt_set_wqs(rt->groups[g], list, n);
}

static void rt_stop_engines(struct dsa_rt *rt)
{
	for (unsigned int i = 0; i < rt->nengines; i++) {
		struct engine_rt *e = rt->engines[i];
		uint64_t st[4];

		if (!e)
			continue;
		__atomic_store_n(&rt->engines[i], NULL, __ATOMIC_RELEASE);
		engine_rt_stop(e, st);
		for (int k = 0; k < 4; k++)
			rt->engine_acc[i][k] += st[k];
	}
}

static int rt_start_engines(struct dsa_rt *rt)
{
	for (unsigned int i = 0; i < rt->nengines; i++) {
		int g = dsa_dev_engine(rt->dev, i)->group_id;
		struct engine_rt *e;
		int r;

		rt->engine_group[i] = g;
		if (g < 0)
			continue;
		r = pstats_engine_attach(rt->pstats, i);
		if (!r)
			r = engine_rt_start(rt, i, rt->groups[g], rt->spin_us, &rt->spin_budget, &e);
		if (r) {
			rt_stop_engines(rt);
			return r;
		}
		__atomic_store_n(&rt->engines[i], e, __ATOMIC_RELEASE);
	}
	return 0;
}

/* WQs */

static int rt_wq_enable_locked(struct dsa_rt *rt, unsigned int i)
{
	struct dsa_wq_attr attr;
	int r = dsa_dev_wq_enable(rt->dev, i);

	if (r)
		return r;
	dsa_dev_wq_attr(rt->dev, i, &attr);
	r = wq_rt_start(rt->wqs[i], dsa_dev_wq(rt->dev, i), &attr,
			rt->groups[dsa_dev_wq(rt->dev, i)->group_id]);
	if (r) {
		dsa_dev_wq_disable(rt->dev, i);
		return r;
	}
	rt_group_refresh(rt, (unsigned int)dsa_dev_wq(rt->dev, i)->group_id);
	return 0;
}

/* Close admission, let everything accepted complete, then disable. */
static int rt_wq_disable_locked(struct dsa_rt *rt, unsigned int i, bool abort)
{
	struct wq_rt *w = rt->wqs[i];
	int g = dsa_dev_wq(rt->dev, i)->group_id;

	if (wq_rt_is_open(w)) {
		uint64_t t;

		wq_rt_close(w);
		t = wq_rt_tail(w);
		if (abort)
			wq_rt_mark_abort(w, WQ_ANY_PASID, t);
		/* Admitted descriptors may still be publishing: occupancy covers them. */
		while (wq_rt_occupancy(w) || wq_rt_head(w) < wq_rt_tail(w))
			sleep_us(10);
		rt_drain_wq_to(rt, i, wq_rt_tail(w), WQ_ANY_PASID);
		if (g >= 0)
			rt_group_refresh(rt, (unsigned int)g);
	}
	wq_rt_set_owner(w, NULL, PASID_INVALID);
	return dsa_dev_wq_disable(rt->dev, i);
}

static int rt_wq_disable_plain(struct dsa_rt *rt, unsigned int wq)
{
	return rt_wq_disable_locked(rt, wq, false);
}

static int rt_wq_reset_locked(struct dsa_rt *rt, unsigned int wq)
{
	if (dsa_dev_wq(rt->dev, wq)->state == DSA_STATE_ENABLED)
		rt_wq_disable_locked(rt, wq, true);
	return dsa_dev_wq_reset(rt->dev, wq);
}

/* Run one WQ command under the admin lock: one command at a time. */
static int rt_wq_command(struct dsa_rt *rt, unsigned int wq,
			 int (*cmd)(struct dsa_rt *rt, unsigned int wq))
{
	int r;

	if (wq >= rt->nwqs)
		return -EINVAL;
	pthread_mutex_lock(&rt->admin);
	r = cmd(rt, wq);
	pthread_mutex_unlock(&rt->admin);
	return r;
}

int rt_wq_enable(struct dsa_rt *rt, unsigned int wq)
{
	return rt_wq_command(rt, wq, rt_wq_enable_locked);
}

int rt_wq_disable(struct dsa_rt *rt, unsigned int wq)
{
	return rt_wq_command(rt, wq, rt_wq_disable_plain);
}

int rt_wq_reset(struct dsa_rt *rt, unsigned int wq)
{
	return rt_wq_command(rt, wq, rt_wq_reset_locked);
}

/* device */

int rt_device_enable(struct dsa_rt *rt)
{
	int r;

	pthread_mutex_lock(&rt->admin);
	r = dsa_dev_enable(rt->dev);
	if (r == 0) {
		rt->caps = *dsa_dev_caps(rt->dev);
		r = rt_start_engines(rt);
		if (r)
			dsa_dev_disable(rt->dev);
	}
	pthread_mutex_unlock(&rt->admin);
	return r;
}

static int rt_device_disable_locked(struct dsa_rt *rt, bool abort)
{
	for (unsigned int i = 0; i < rt->nwqs; i++) {
		if (dsa_dev_wq(rt->dev, i)->state == DSA_STATE_ENABLED)
			rt_wq_disable_locked(rt, i, abort);
	}
	rt_stop_engines(rt);
	return dsa_dev_disable(rt->dev);
}

int rt_device_disable(struct dsa_rt *rt)
{
	int r;

	pthread_mutex_lock(&rt->admin);
	r = rt_device_disable_locked(rt, false);
	pthread_mutex_unlock(&rt->admin);
	return r;
}

int rt_device_reset(struct dsa_rt *rt)
{
	pthread_mutex_lock(&rt->admin);
	if (dsa_dev_state(rt->dev) == DSA_STATE_ENABLED)
		rt_device_disable_locked(rt, true);
	dsa_dev_reset_config(rt->dev);
	pthread_mutex_unlock(&rt->admin);
	return 0;
}

/* drain and abort: wq < 0 means every WQ; pasid WQ_ANY_PASID means every PASID */

int rt_drain(struct dsa_rt *rt, int wq, uint32_t pasid, bool abort)
{
	uint64_t t[DSA_MAX_WQS];

	if (wq >= (int)rt->nwqs)
		return -EINVAL;
	pthread_mutex_lock(&rt->admin);
	if (dsa_dev_state(rt->dev) != DSA_STATE_ENABLED) {
		pthread_mutex_unlock(&rt->admin);
		return -ENODEV;
	}
	for (unsigned int i = 0; i < rt->nwqs; i++) {
		if ((wq >= 0 && (unsigned int)wq != i) || !wq_rt_is_open(rt->wqs[i]))
			continue;
		t[i] = wq_rt_tail(rt->wqs[i]);
		if (abort)
			wq_rt_mark_abort(rt->wqs[i], pasid, t[i]);
	}
	for (unsigned int i = 0; i < rt->nwqs; i++) {
		if ((wq >= 0 && (unsigned int)wq != i) || !wq_rt_is_open(rt->wqs[i]))
			continue;
		rt_drain_wq_to(rt, i, t[i], pasid);
	}
	pthread_mutex_unlock(&rt->admin);
	return 0;
}

struct dsa_rt *rt_free(struct dsa_rt *rt)
{
	if (!rt)
		return NULL;
	pthread_mutex_lock(&rt->admin);
	if (dsa_dev_state(rt->dev) == DSA_STATE_ENABLED)
		rt_device_disable_locked(rt, false);
	rt_stop_engines(rt);
	pthread_mutex_unlock(&rt->admin);
	rt_free_objects(rt);
	return NULL;
}

/* counters */

void rt_engine_stats(struct dsa_rt *rt, unsigned int i, uint64_t ret[4], int *ret_group)
{
	struct engine_rt *e;

	pthread_mutex_lock(&rt->admin);
	e = rt->engines[i];
	memcpy(ret, rt->engine_acc[i], 4 * sizeof(uint64_t));
	if (e) {
		uint64_t st[4];

		engine_rt_stats(e, st);
		for (int k = 0; k < 4; k++)
			ret[k] += st[k];
	}
	*ret_group = dsa_dev_engine(rt->dev, i)->group_id;
	pthread_mutex_unlock(&rt->admin);
}

void rt_device_stats(struct dsa_rt *rt, uint64_t *by_opcode, uint64_t *by_status,
		     uint64_t *ret_faults, uint64_t *ret_swerrors)
{
	for (int i = 0; i < 256; i++) {
		by_opcode[i] = atomic_load_explicit(&rt->by_opcode[i], memory_order_relaxed);
		by_status[i] = atomic_load_explicit(&rt->by_status[i], memory_order_relaxed);
	}
	*ret_faults = atomic_load(&rt->faults);
	*ret_swerrors = atomic_load(&rt->swerrors);
}

int rt_pasid_stats(struct dsa_rt *rt, unsigned int index, struct pstats_snap *ret)
{
	return pstats_read(rt->pstats, index, ret);
}

void rt_trace_start(struct dsa_rt *rt, uint8_t *buf, size_t cap)
{
	rt->trace_cap = cap;
	atomic_store(&rt->trace_len, 0);
	atomic_store(&rt->trace, buf);
}

size_t rt_trace_stop(struct dsa_rt *rt)
{
	atomic_store(&rt->trace, NULL);
	return atomic_load(&rt->trace_len);
}

void rt_trace_dispatch(struct dsa_rt *rt, unsigned int wq)
{
	uint8_t *t = atomic_load_explicit(&rt->trace, memory_order_acquire);
	size_t k;

	if (!t)
		return;
	k = atomic_fetch_add(&rt->trace_len, 1);
	if (k < rt->trace_cap)
		t[k] = (uint8_t)wq;
}

void rt_pause(struct dsa_rt *rt, bool paused)
{
	for (unsigned int i = 0; i < rt->ngroups; i++)
		group_rt_pause(rt->groups[i], paused);
}

unsigned int rt_nwqs(const struct dsa_rt *rt)
{
	return rt->nwqs;
}

unsigned int rt_nengines(const struct dsa_rt *rt)
{
	return rt->nengines;
}

void rt_lock(struct dsa_rt *rt)
{
	pthread_mutex_lock(&rt->admin);
}

void rt_unlock(struct dsa_rt *rt)
{
	pthread_mutex_unlock(&rt->admin);
}
