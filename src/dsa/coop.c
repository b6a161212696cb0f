/* SPDX-License-Identifier: MIT */
/*
 * Cooperative execution of large MEMMOVE and MEMFILL descriptors.
 *
 * A synchronous submitter spins in sva_wait() while "the device", an engine
 * thread on another CPU, copies. On this emulation that idles the
 * submitter's CPU and adds a cross-CPU round trip to every operation, which
 * kept 64-256 KiB copies below memcpy speed (docs/PERFORMANCE.md). So an
 * engine that starts a large copy or fill publishes it, keyed by its
 * completion record address, and executes the front part [0, m). A thread
 * spinning in sva_wait() on that record may claim the back part [m, n) and
 * execute it on its own CPU; it then writes the record once the engine's
 * part is done. If nobody claims the back part by the time the engine gets
 * there, the engine executes it too, exactly as before.
 *
 * Semantics stay those of the device (docs/DECISIONS.md, "Runtime"):
 * - Only descriptors that write a record on success (CRAV and RCR), outside
 *   batches, on an in-process address space, with disjoint buffers, and only
 *   when every page of the source and destination is resident and
 *   accessible now (translated with block-on-fault off, so nothing is faulted
 *   in early). Anything that will fault takes the ordinary path, so fault
 *   reports stay exact.
 * - A page that vanishes while the job runs (a racing munmap) is caught by
 *   the DMA guard of whoever touched it and reported as the ordinary path
 *   does: a page fault with bytes_completed 0 (DECISIONS.md, "Memory").
 * - The record is written once, status last with release (DEV-5), after
 *   both parts finished, with the bytes the engine would write. The engine
 *   does not return before that, so drains, aborts, counters and portal
 *   teardown see an ordinary descriptor.
 * - A helper never blocks: it finishes the part it claimed, waits a bounded
 *   time for the engine's part, and otherwise hands the record back.
 *
 * Cost model: every hand-off between the CPUs costs one cache-line transfer
 * (80-600 ns on the reference VM), so the protocol has as few as possible on
 * the critical path: the publication (one line, plain stores: the engine
 * never waits for it), the engine's "front part done" flag (one line), and
 * the record, which the helper writes on its own CPU. Each engine thread
 * owns its slot, so publishing takes no read-modify-write. The split point
 * adapts: a helper that had to wait for the engine moves it forward, one
 * that did not moves it back, so both parts end about one transfer apart.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsa.h"
#include "core/assist.h"
#include "sva/sva_barrier.h"
#include "sva/sva_submit.h"

#define COOP_SLOTS	64		/* engine threads with a slot at a time */
#define COOP_MIN_XFER	(32u << 10)	/* below this one transfer costs more than sharing gains */
#define COOP_ALIGN	64u		/* split points fall on cache lines */
#define COOP_FRAC_ONE	1024		/* the split m = n * frac / COOP_FRAC_ONE */
#define COOP_FRAC_STEP	8
#define COOP_HELPER_SPINS 4096		/* bounded wait of a helper for the engine's part */
#define COOP_SLOW_BPNS	1		/* bytes/ns a part is assumed to take at worst */
#define COOP_IDLE_JOBS	16		/* unclaimed jobs in a row before publishing only probes */

/* claim word: seq << 8 | fields; seq is the job's publication sequence */
#define CLAIM_HELPER	1u		/* a helper owns [m, n) */
#define CLAIM_ENGINE	2u		/* the engine does [m, n) itself */
#define CLAIM_FIN_SHIFT	2		/* what the helper did at the end: */
#define FIN_PENDING	0u
#define FIN_RECORDED	1u		/* wrote the record */
#define FIN_LEFT	2u		/* a fault or a lost record: the engine completes it */
#define FIN_HANDOFF	3u		/* gave up waiting: the engine writes the record */
#define CLAIM_WAITED	(1u << 4)	/* the helper waited for the engine's part */
#define CLAIM_FAULTED	(1u << 5)	/* the helper's part faulted (fault address in slot) */

struct coop_slot {
	/* line A, written by the owning engine only, seqlock-style */
	struct {
		_Atomic uint64_t seq;		/* odd while being written */
		_Atomic uint64_t key;		/* completion record address */
		_Atomic uint64_t src;		/* MEMMOVE source, MEMFILL pattern */
		_Atomic uint64_t dst;
		_Atomic uint64_t nm;		/* n << 32 | m (xfer_size is 32 bits) */
		_Atomic(struct as *) as;
		_Atomic uint32_t opcode;
	} __attribute__((aligned(64))) pub;
	/* line B: the back part's owner; after a helper's claim only it writes */
	struct {
		_Atomic uint64_t claim;
		_Atomic uint64_t fault_addr;
	} __attribute__((aligned(64))) back;
	/* line C, written by the engine: its front part is done */
	struct {
		_Atomic uint64_t done;		/* seq | 1 when the front part faulted */
		_Atomic uint64_t fault_addr;
	} __attribute__((aligned(64))) front;
	/* line D, engine private, and the slot's allocation */
	struct {
		uint64_t seq;
		int frac;			/* adaptive split */
		unsigned int unclaimed;		/* jobs in a row no waiter claimed */
		unsigned int probe;		/* counts skipped jobs while idle */
		_Atomic int used;
	} __attribute__((aligned(64))) own;
};

static struct coop_slot coop_slots[COOP_SLOTS];
static _Atomic unsigned int coop_nslots;	/* high-water mark of used slots */
static __thread struct coop_slot *coop_mine;
static pthread_key_t coop_key;
static pthread_once_t coop_once = PTHREAD_ONCE_INIT;
static int coop_enabled = 1;
static _Atomic int coop_hold;
static _Atomic uint64_t coop_counters[COOP_STAT_NR];

/* Client side of client-assisted execution: svad's job pages mapped here. */
#define COOP_AREAS	64		/* portals of this process with a job page */
static _Atomic(struct assist_area *) coop_areas[COOP_AREAS];
static _Atomic unsigned int coop_nareas;	/* high-water mark of used entries */
static _Atomic int coop_scanners;		/* threads looking at coop_areas now */

static void coop_atfork_child(void)
{
	/*
	 * The engines of the parent do not exist in the child: a job copied
	 * with the table must not be claimable there (its record would be
	 * written into the child's copy of the parent's memory). The forking
	 * thread keeps its slot, if it had one.
	 */
	memset(coop_slots, 0, sizeof(coop_slots));
	atomic_store(&coop_nslots, 0);
	/*
	 * Likewise svad's jobs are the parent's: executed here they would
	 * land in the child's copy of its memory. The child does not help.
	 */
	for (unsigned int i = 0; i < COOP_AREAS; i++)
		atomic_store(&coop_areas[i], NULL);
	atomic_store(&coop_nareas, 0);
	atomic_store(&coop_scanners, 0);
	if (coop_mine) {
		atomic_store(&coop_mine->own.used, 1);
		atomic_store(&coop_nslots, (unsigned int)(coop_mine - coop_slots) + 1);
	}
}

static void coop_slot_release(void *arg)
{
	struct coop_slot *s = arg;

	/* The thread exits; its last job is finished, a helper can claim nothing. */
	atomic_store(&s->own.used, 0);
}

static void coop_init(void)
{
	const char *e = secure_getenv("SVA_COOP");

	/* SVA_COOP=0: engines execute everything themselves (for comparisons). */
	if (e && e[0] == '0' && e[1] == '\0')
		coop_enabled = 0;
	if (pthread_key_create(&coop_key, coop_slot_release))
		coop_enabled = 0;
	pthread_atfork(NULL, NULL, coop_atfork_child);
}

/* The calling engine thread's slot, taken on its first shared job; NULL if all are taken. */
static struct coop_slot *coop_slot_get(void)
{
	if (sva_likely(coop_mine != NULL))
		return coop_mine;
	for (unsigned int i = 0; i < COOP_SLOTS; i++) {
		struct coop_slot *s = &coop_slots[i];
		int zero = 0;
		unsigned int hw = atomic_load(&coop_nslots);

		if (!atomic_compare_exchange_strong(&s->own.used, &zero, 1))
			continue;
		if (pthread_setspecific(coop_key, s)) {
			atomic_store(&s->own.used, 0);
			return NULL;
		}
		while (hw < i + 1 && !atomic_compare_exchange_weak(&coop_nslots, &hw, i + 1))
			;
		s->own.frac = COOP_FRAC_ONE / 2;
		s->own.unclaimed = 0;
		s->own.probe = 0;
		coop_mine = s;
		return s;
	}
	return NULL;
}

void coop_stats(uint64_t ret[COOP_STAT_NR])
{
	for (int i = 0; i < COOP_STAT_NR; i++)
		ret[i] = atomic_load_explicit(&coop_counters[i], memory_order_relaxed);
}

void coop_test_hold(int mode)
{
	atomic_store(&coop_hold, mode);
}

static void coop_count(int what, uint64_t v)
{
	atomic_fetch_add_explicit(&coop_counters[what], v, memory_order_relaxed);
}

struct coop_piece {
	uint8_t opcode;
	uint64_t dst, src, off, len;
};

static int coop_piece_fn(void *arg)
{
	const struct coop_piece *p = arg;

	ops_mem_piece(p->opcode, p->dst, p->src, p->src, p->off, p->len);
	return 0;
}

/* Execute [off, off + len) with faults caught; 0, or the faulting address. */
static uint64_t coop_run(uint8_t opcode, uint64_t dst, uint64_t src, uint64_t off, uint64_t len)
{
	struct coop_piece p = { opcode, dst, src, off, len };
	struct dma_ctx c = { 0 };

	if (!len || !dma_guarded(&c, coop_piece_fn, &p))
		return 0;
	/* A fault at address 0 cannot come from a resident buffer; keep it non-zero. */
	return c.fault.addr ? c.fault.addr : 1;
}

/* Every page of [addr, addr + n) resident and accessible for access, nothing faulted in. */
static bool coop_resident(struct dsa_exec *x, uint64_t addr, uint64_t n, unsigned int access)
{
	struct dma_ctx c = { .as = x->dma.as, .bof = false };
	struct dma_win w;
	bool ok;

	if (dma_map(&c, &w, addr, n, access))
		return false;
	ok = w.len == n;
	dma_unmap(&c, &w);
	return ok;
}

/* What the descriptor itself allows; residency is checked after coop_wanted(). */
static bool coop_eligible(const struct dsa_exec *x)
{
	const uint32_t rec = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;

	pthread_once(&coop_once, coop_init);
	return coop_enabled && x->d.xfer_size >= COOP_MIN_XFER && !x->in_batch &&
	       (x->d.flags & rec) == rec && as_dma(x->dma.as) == &as_self_dma_ops;
}

/*
 * Whether to share this job. After COOP_IDLE_JOBS jobs in a row that no
 * waiter claimed (nobody waits in sva_wait(): polling, asynchronous use,
 * the engine benchmark), only one job in COOP_IDLE_JOBS is published, as a
 * probe: the others skip the residency checks and the publication.
 */
static bool coop_wanted(struct coop_slot *s, int hold)
{
	if (hold || s->own.unclaimed < COOP_IDLE_JOBS)
		return true;
	return ++s->own.probe % COOP_IDLE_JOBS == 0;
}

static void coop_backoff(unsigned int *spins)
{
	if (++*spins < 2000)
		sva_cpu_relax();
	else
		sched_yield();
}

/*
 * Publish the job, seqlock-style: seq is odd while the fields change. Each
 * field store is a release, so a helper whose acquire load sees a new field
 * also sees the odd seq before it and rejects its snapshot (no fences: TSan
 * does not model them). Plain stores on x86: the engine never waits here.
 */
static void coop_publish(struct coop_slot *s, const struct dsa_exec *x, uint64_t seq, uint64_t m)
{
	const memory_order rel = memory_order_release;

	atomic_store_explicit(&s->pub.seq, seq - 1, memory_order_relaxed);
	atomic_store_explicit(&s->pub.key, x->d.completion_addr, rel);
	atomic_store_explicit(&s->pub.src,
			      x->d.opcode == DSA_OPCODE_MEMMOVE ? x->d.src_addr : x->d.pattern, rel);
	atomic_store_explicit(&s->pub.dst, x->d.dst_addr, rel);
	atomic_store_explicit(&s->pub.nm, (uint64_t)x->d.xfer_size << 32 | m, rel);
	atomic_store_explicit(&s->pub.as, x->dma.as, rel);
	atomic_store_explicit(&s->pub.opcode, x->d.opcode, rel);
	/* Pairs with the helper's acquire load of seq: fields before the even seq. */
	atomic_store_explicit(&s->pub.seq, seq, rel);
}

/*
 * Hold modes (tests): wait up to 10 s for a helper to claim the back part,
 * and with COOP_HOLD_LATE also for it to finish (it hands the record back).
 */
static void coop_hold_for_helper(struct coop_slot *s, uint64_t seq, bool finish)
{
	uint64_t t0 = sva__now_ns(), c;
	unsigned int spins = 0;

	while (((c = atomic_load_explicit(&s->back.claim, memory_order_relaxed)) >> 8 != seq ||
		(finish && !((c >> CLAIM_FIN_SHIFT) & 3))) &&
	       sva__now_ns() - t0 < 10000000000ull)
		coop_backoff(&spins);
}

static __thread bool coop_queued;	/* this engine's WQ holds more work */

void coop_engine_queue(bool queued)
{
	coop_queued = queued;
}

/*
 * A remote address space (svad): offer the whole job to the client process
 * (core/assist.h). Same eligibility as in-process, any size: what it saves
 * is the /proc/PID/mem traffic, not a share of the copy. Below COOP_MIN_XFER
 * only while nothing else waits in the WQ: the engine waits for the client's
 * hand-offs, which for a small copy is about what copying it costs, and
 * other clients' descriptors would queue behind that wait.
 */
static bool coop_remote(struct dsa_exec *x, uint8_t *ret_st)
{
	const uint32_t rec = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	uint64_t src = x->d.opcode == DSA_OPCODE_MEMMOVE ? x->d.src_addr : x->d.pattern;

	int r;

	pthread_once(&coop_once, coop_init);
	if (!coop_enabled || x->in_batch || (x->d.flags & rec) != rec || !x->d.xfer_size ||
	    (coop_queued && x->d.xfer_size < COOP_MIN_XFER))
		return false;
	r = as_remote_assist(x->dma.as, x->d.opcode, x->d.completion_addr, src, x->d.dst_addr,
			     x->d.xfer_size);
	if (r < 0)
		return false;
	x->bytes += x->d.xfer_size;
	x->record_done = r == 0;	/* 1: executed, the record is ours to write */
	*ret_st = DSA_COMP_SUCCESS;
	return true;
}

bool coop_exec(struct dsa_exec *x, uint8_t *ret_st)
{
	uint64_t n = x->d.xfer_size, m, seq, claim, fault;
	uint8_t op = x->d.opcode;
	uint64_t src = op == DSA_OPCODE_MEMMOVE ? x->d.src_addr : x->d.pattern;
	struct coop_slot *s;
	unsigned int fin = FIN_PENDING, spins = 0;
	int hold, frac;

	if (as_dma(x->dma.as) == &as_remote_dma_ops)
		return coop_remote(x, ret_st);
	if (!coop_eligible(x) || !(s = coop_slot_get()))
		return false;
	hold = atomic_load_explicit(&coop_hold, memory_order_relaxed);
	if (!coop_wanted(s, hold) ||
	    (op == DSA_OPCODE_MEMMOVE && !coop_resident(x, x->d.src_addr, n, DMA_READ)) ||
	    !coop_resident(x, x->d.dst_addr, n, DMA_WRITE))
		return false;
	/* Held (tests): the waiter gets everything, or a fixed half. */
	frac = hold == COOP_HOLD_WAITER ? 0 : hold == COOP_HOLD_LATE ? COOP_FRAC_ONE / 2
							   : s->own.frac;
	m = (n * (uint64_t)frac / COOP_FRAC_ONE) & ~(uint64_t)(COOP_ALIGN - 1);
	s->own.seq += 2;
	seq = s->own.seq;
	coop_publish(s, x, seq, m);
	coop_count(COOP_STAT_JOBS, 1);

	/*
	 * The front part runs in its own fault guard: whatever happens to it,
	 * we must still learn whether a helper is copying the back part.
	 */
	fault = coop_run(op, x->d.dst_addr, src, 0, m);
	if (sva_unlikely(hold == COOP_HOLD_LATE))
		coop_hold_for_helper(s, seq, true);
	atomic_store_explicit(&s->front.fault_addr, fault, memory_order_relaxed);
	/* Pairs with the helper's acquire load: the front part's bytes are written. */
	atomic_store_explicit(&s->front.done, seq | (fault != 0), memory_order_release);

	if (sva_unlikely(hold == COOP_HOLD_WAITER))
		coop_hold_for_helper(s, seq, false);
	claim = atomic_load_explicit(&s->back.claim, memory_order_acquire);
	if (claim >> 8 < seq &&
	    atomic_compare_exchange_strong_explicit(&s->back.claim, &claim, seq << 8 | CLAIM_ENGINE,
						    memory_order_acq_rel, memory_order_acquire)) {
		/*
		 * Nobody came: the back part is ours too. No helper is involved
		 * any more, so a fault here may unwind to exec_one()'s guard,
		 * which reports it the same way.
		 */
		s->own.unclaimed++;
		if (!fault)
			ops_mem_piece(op, x->d.dst_addr, src, src, m, n - m);
	} else {
		/* A helper owns the back part (claim >> 8 == seq): wait until it is done. */
		s->own.unclaimed = 0;
		while ((fin = (claim >> CLAIM_FIN_SHIFT) & 3) == FIN_PENDING) {
			coop_backoff(&spins);
			claim = atomic_load_explicit(&s->back.claim, memory_order_acquire);
		}
		if (!fault && (claim & CLAIM_FAULTED))
			fault = atomic_load_explicit(&s->back.fault_addr, memory_order_relaxed);
		/* The helper waited: our part was too long; else it can take less. */
		if (!hold)
			s->own.frac += (claim & CLAIM_WAITED) ? -COOP_FRAC_STEP : COOP_FRAC_STEP;
		/*
		 * Up to the whole job: when transfers are slow (the host's bad
		 * state), a waiter that comes late only writes the record, which
		 * costs what the engine's record would.
		 */
		if (s->own.frac < COOP_FRAC_ONE / 8)
			s->own.frac = COOP_FRAC_ONE / 8;
		if (s->own.frac > COOP_FRAC_ONE)
			s->own.frac = COOP_FRAC_ONE;
		coop_count(COOP_STAT_HELPED_BYTES, n - m);
	}
	if (fault) {
		x->dma.fault.addr = fault;
		x->dma.fault.kind = DMA_FAULT_INVALID;
		x->dma.fault.write = false;
		*ret_st = exec_fault_status(x, 0);
		return true;
	}
	x->bytes += n;
	*ret_st = DSA_COMP_SUCCESS;
	if (fin == FIN_RECORDED) {
		x->record_done = true;
		coop_count(COOP_STAT_HELPER_RECORDS, 1);
	}
	return true;
}

/* A consistent snapshot of a published job, or false. */
struct coop_job {
	uint64_t seq, src, dst, n, m;
	struct as *as;
	uint8_t opcode;
};

static bool coop_read(struct coop_slot *s, uint64_t key, struct coop_job *j)
{
	const memory_order acq = memory_order_acquire;
	uint64_t nm;

	/* Pairs with the engine's release stores (coop_publish). */
	j->seq = atomic_load_explicit(&s->pub.seq, acq);
	if ((j->seq & 1) || !j->seq || atomic_load_explicit(&s->pub.key, acq) != key)
		return false;
	j->src = atomic_load_explicit(&s->pub.src, acq);
	j->dst = atomic_load_explicit(&s->pub.dst, acq);
	nm = atomic_load_explicit(&s->pub.nm, acq);
	j->n = nm >> 32;
	j->m = nm & 0xffffffffu;
	j->as = atomic_load_explicit(&s->pub.as, acq);
	j->opcode = (uint8_t)atomic_load_explicit(&s->pub.opcode, acq);
	return atomic_load_explicit(&s->pub.seq, memory_order_relaxed) == j->seq;
}

/* The helper's side of one job: claim the back part, run it, complete or hand back. */
static int coop_help(struct coop_slot *s, uint64_t key, int64_t budget_ns)
{
	struct coop_job j;
	uint64_t claim, fault, done = 0, t0 = 0;
	unsigned int fin, spins = 0;

	if (!coop_read(s, key, &j))
		return 0;
	/* A waiter with a deadline takes a part only if it surely fits. */
	if (budget_ns >= 0 && (uint64_t)budget_ns < (j.n - j.m) / COOP_SLOW_BPNS)
		return 0;
	claim = atomic_load_explicit(&s->back.claim, memory_order_relaxed);
	/*
	 * A successful claim for seq proves the job still runs: its engine
	 * claims or inspects the back part before finishing, and publishes
	 * nothing new until then. So the snapshot stays valid.
	 */
	if (claim >> 8 >= j.seq ||
	    !atomic_compare_exchange_strong_explicit(&s->back.claim, &claim,
						     j.seq << 8 | CLAIM_HELPER,
						     memory_order_acq_rel, memory_order_relaxed))
		return 0;
	fault = coop_run(j.opcode, j.dst, j.src, j.m, j.n - j.m);
	/* The engine's part usually ends about now; stay bounded (we must never block). */
	while (((done = atomic_load_explicit(&s->front.done, memory_order_acquire)) & ~1ull) !=
		       j.seq &&
	       spins < COOP_HELPER_SPINS) {
		spins++;
		sva_cpu_relax();
		/* No clock on the usual short wait; the budget counts from here. */
		if (budget_ns >= 0 && (spins & 255) == 0) {
			if (!t0)
				t0 = sva__now_ns();
			else if (sva__now_ns() - t0 >= (uint64_t)budget_ns)
				break;
		}
	}
	claim = j.seq << 8 | CLAIM_HELPER | (spins ? CLAIM_WAITED : 0);
	if (fault) {
		atomic_store_explicit(&s->back.fault_addr, fault, memory_order_relaxed);
		claim |= CLAIM_FAULTED;
		fin = FIN_LEFT;
	} else if ((done & ~1ull) != j.seq) {
		fin = FIN_HANDOFF;
	} else if (done & 1) {
		fin = FIN_LEFT;
	} else {
		/* Both parts are written: the record a successful MEMMOVE/MEMFILL gets. */
		static const struct dsa_completion_record ok = { .status = DSA_COMP_SUCCESS };
		struct dma_ctx c = { .as = j.as, .bof = true };

		fin = dma_write_record(&c, key, &ok, sizeof(ok)) ? FIN_LEFT : FIN_RECORDED;
	}
	/* Pairs with the engine's acquire load of the claim: our bytes and record first. */
	atomic_store_explicit(&s->back.claim, claim | fin << CLAIM_FIN_SHIFT, memory_order_release);
	return 1;
}

int coop_assist_add(struct assist_area *a)
{
	pthread_once(&coop_once, coop_init);
	for (unsigned int i = 0; i < COOP_AREAS; i++) {
		struct assist_area *none = NULL;
		unsigned int hw = atomic_load(&coop_nareas);

		if (!atomic_compare_exchange_strong(&coop_areas[i], &none, a))
			continue;
		while (hw < i + 1 && !atomic_compare_exchange_weak(&coop_nareas, &hw, i + 1))
			;
		return 0;
	}
	return -ENOSPC;	/* svad then executes this portal's jobs itself */
}

void coop_assist_remove(struct assist_area *a)
{
	for (unsigned int i = 0; i < COOP_AREAS; i++) {
		struct assist_area *p = a;

		atomic_compare_exchange_strong(&coop_areas[i], &p, NULL);
	}
	/*
	 * seq_cst: the NULL stores come before this load, and a scanner's
	 * increment before its load of the entry, so a scanner that still
	 * sees the page is counted here (Dekker).
	 */
	while (atomic_load(&coop_scanners))
		sched_yield();
}

static const struct dsa_completion_record coop_ok = { .status = DSA_COMP_SUCCESS };

/* A success record but its status byte (svad jobs: the status comes once DONE is ours). */
static int coop_record_body_fn(void *arg)
{
	memcpy((uint8_t *)arg + 1, (const uint8_t *)&coop_ok + 1, sizeof(coop_ok) - 1);
	return 0;
}

static int coop_record_status_fn(void *arg)
{
	struct dsa_completion_record *cr = arg;

	/* Pairs with sva_poll()'s acquire (dsa-device.md §8). */
	sva_store_release((uint8_t *)&cr->status, coop_ok.status);
	return 0;
}

/* Claim and execute one svad job for key in page a; 1 if one was executed. */
static int coop_help_remote(struct assist_area *a, uint64_t key, int64_t budget_ns)
{
	for (unsigned int i = 0; i < ASSIST_JOBS; i++) {
		struct assist_job *j = &a->job[i];
		/* Pairs with svad's release of PUBLISHED: the fields are written. */
		uint64_t w = atomic_load_explicit(&j->word, memory_order_acquire), fault;
		uint64_t src, dst, n;
		uint32_t op, res;
		struct dma_ctx c = { 0 };

		if (ASSIST_STATE(w) != ASSIST_PUBLISHED ||
		    atomic_load_explicit(&j->key, memory_order_relaxed) != key)
			continue;
		src = atomic_load_explicit(&j->src, memory_order_relaxed);
		dst = atomic_load_explicit(&j->dst, memory_order_relaxed);
		n = atomic_load_explicit(&j->size, memory_order_relaxed);
		op = atomic_load_explicit(&j->opcode, memory_order_relaxed);
		if ((op != DSA_OPCODE_MEMMOVE && op != DSA_OPCODE_MEMFILL) ||
		    (budget_ns >= 0 && (uint64_t)budget_ns < n / COOP_SLOW_BPNS))
			continue;
		/* The claim also proves the fields were those of this word. */
		if (!atomic_compare_exchange_strong_explicit(&j->word, &w,
							     ASSIST_WORD(ASSIST_SEQ(w),
									 ASSIST_CLAIMED),
							     memory_order_acq_rel,
							     memory_order_relaxed))
			continue;
		fault = coop_run((uint8_t)op, dst, src, 0, n);
		w = ASSIST_WORD(ASSIST_SEQ(w), ASSIST_CLAIMED);
		atomic_store_explicit(&j->fault_addr, fault, memory_order_relaxed);
		if (fault) {
			/* svad executes it again and reports the fault exactly; release: res first. */
			atomic_store_explicit(&j->res, ASSIST_RES_FAULT, memory_order_relaxed);
			atomic_compare_exchange_strong_explicit(
				&j->word, &w, ASSIST_WORD(ASSIST_SEQ(w), ASSIST_DONE),
				memory_order_release, memory_order_relaxed);
			return 1;
		}
		/*
		 * Commit before the record becomes visible: once the program
		 * can see it, svad must never copy again. Release pairs with
		 * svad's acquire: our bytes first. Failing: svad took the job
		 * back (we were too slow) and does all of it.
		 */
		if (!atomic_compare_exchange_strong_explicit(
			    &j->word, &w, ASSIST_WORD(ASSIST_SEQ(w), ASSIST_EXECUTED),
			    memory_order_release, memory_order_relaxed))
			return 1;
		/*
		 * The record's body first, then DONE, and only then its status:
		 * the status is written exactly once, by whoever owns the job
		 * at that point. If svad took the job back meanwhile (we were
		 * too slow), it writes the whole record, and a status from us
		 * now could land on the program's next use of this record.
		 */
		res = dma_guarded(&c, coop_record_body_fn, (void *)(uintptr_t)key)
			      ? ASSIST_RES_NORECORD
			      : ASSIST_RES_RECORDED;
		atomic_store_explicit(&j->res, res, memory_order_relaxed);
		if (sva_unlikely(atomic_load_explicit(&coop_hold, memory_order_relaxed) ==
				 COOP_HOLD_RECORD)) {
			struct timespec second = { 1, 0 };

			nanosleep(&second, NULL);
		}
		/* Pairs with svad's acquire of DONE: res first. */
		w = ASSIST_WORD(ASSIST_SEQ(w), ASSIST_EXECUTED);
		if (!atomic_compare_exchange_strong_explicit(&j->word, &w,
							     ASSIST_WORD(ASSIST_SEQ(w), ASSIST_DONE),
							     memory_order_release, memory_order_relaxed)) {
			coop_count(COOP_STAT_REMOTE_LATE, 1);
			return 1;
		}
		if (res == ASSIST_RES_RECORDED &&
		    dma_guarded(&c, coop_record_status_fn, (void *)(uintptr_t)key))
			return 1;	/* the page vanished between the two writes: our own doing */
		atomic_fetch_add_explicit(&a->executed, 1, memory_order_relaxed);
		coop_count(COOP_STAT_REMOTE_JOBS, 1);
		return 1;
	}
	return 0;
}

/* sva_wait_help() over svad's job pages: say we wait, and take a job for key. */
static int coop_help_remotes(uint64_t key, int64_t budget_ns)
{
	static _Atomic unsigned int next_waiter;
	static __thread unsigned int waiter = ~0u;
	unsigned int n = atomic_load_explicit(&coop_nareas, memory_order_relaxed);
	uint64_t now;
	int r = 0;

	if (!n)
		return 0;
	/* Threads spread over the waiter entries; a shared one only costs a claim. */
	if (waiter == ~0u)
		waiter = atomic_fetch_add_explicit(&next_waiter, 1, memory_order_relaxed) %
			 ASSIST_WAITERS;
	now = sva__now_ns();
	/* seq_cst: counted before the entries are read (coop_assist_remove). */
	atomic_fetch_add(&coop_scanners, 1);
	for (unsigned int i = 0; i < n && !r; i++) {
		struct assist_area *a = atomic_load(&coop_areas[i]);

		if (!a)
			continue;
		atomic_store_explicit(&a->waiter[waiter].key, key, memory_order_relaxed);
		atomic_store_explicit(&a->waiter[waiter].ns, now, memory_order_relaxed);
		r = coop_help_remote(a, key, budget_ns);
	}
	atomic_fetch_sub(&coop_scanners, 1);
	return r;
}

SVA_DSA_EXPORT int sva_wait_help(const struct dsa_completion_record *cr, int64_t budget_ns)
{
	uint64_t key = (uint64_t)(uintptr_t)cr;
	unsigned int n = atomic_load_explicit(&coop_nslots, memory_order_relaxed);

	if (coop_help_remotes(key, budget_ns))
		return 1;

	for (unsigned int i = 0; i < n; i++) {
		struct coop_slot *s = &coop_slots[i];

		if (atomic_load_explicit(&s->pub.key, memory_order_relaxed) == key && key &&
		    coop_help(s, key, budget_ns))
			return 1;
	}
	return 0;
}
