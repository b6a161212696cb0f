/* SPDX-License-Identifier: MIT */
/*
 * Description: client-assisted execution through svad (core/assist.h).
 * A thread waiting in sva_wait() executes svad's MEMMOVE/MEMFILL jobs
 * itself (the process's COOP_STAT_REMOTE_JOBS counter and the job page's
 * count move) with byte-exact results; descriptors that would fault are
 * not offered and report exactly what the daemon path does (BOF off and on);
 * without a waiter (polling only) none is offered and svad completes them. Jobs claimed
 * by hand: a claim never finished, and a false "fault" report, are both
 * taken back and executed by svad; a committed (EXECUTED) one that stalls
 * gets only its record from svad, never a second copy; a client SIGKILLed after its claim
 * leaves svad healthy and its PASID freed; a client scribbling its job page
 * without pause neither crashes svad nor changes another client's results;
 * a waiter stalled after its commit, until svad took the job back and wrote
 * the record, never writes the record's status a second time (which would
 * land on the program's next use of it).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lib/lib.h"

#define PG	4096u
#define BIG	(1u << 20)	/* offered while a stamp is < 3 us + 131 us old */
#define WAIT_NS	(10ll * 1000000000ll)

static struct dsa_completion_record cr __attribute__((aligned(32)));
static struct t_svad sv;

struct client {
	struct sva_device *dev;
	struct sva_portal *p;
};

static void client_open(struct client *c)
{
	if (sva_device_connect(sv.socket, "dsa0", &c->dev) ||
	    sva_portal_open(c->dev, 0, SVA_PORTAL_LIMITED, &c->p))
		T_FATAL("connect/open");
}

static struct assist_area *area_of(struct client *c)
{
	return ring_assist(c->p->remote->rc.hdr, c->p->remote->rc.nslots);
}

static uint64_t remote_jobs(void)
{
	uint64_t s[COOP_STAT_NR];

	coop_stats(s);
	return s[COOP_STAT_REMOTE_JOBS];
}

static void submit(struct client *c, uint8_t op, void *dst, const void *src, uint32_t n,
		   uint32_t flags)
{
	struct dsa_hw_desc d;
	int r;

	memset(&cr, 0, sizeof(cr));
	if (op == DSA_OPCODE_MEMMOVE)
		sva_prep_memmove(&d, dst, src, n, &cr, flags | IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_CRAV);
	else
		sva_prep_memfill(&d, dst, 0x0123456789abcdefull, n, &cr,
				 flags | IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_CRAV);
	while ((r = sva_enqcmd(c->p, &d)) == 1)
		;
	T_EQ(r, 0);
}

/* Wait for the record by polling only: no sva_wait_help(), nobody claims. */
static uint8_t poll_record(void)
{
	long long t0 = (long long)sva__now_ns();

	while (!sva_poll(&cr))
		if ((long long)sva__now_ns() - t0 > WAIT_NS)
			T_FATAL("record not written");
	return cr.status;
}

/* Claim the job published for cr in a by hand; NULL once svad completed it itself. */
static struct assist_job *claim(struct assist_area *a)
{
	long long t0 = (long long)sva__now_ns();

	while (!sva_poll(&cr)) {
		/* What sva_wait() does: say we are waiting on cr, now. */
		atomic_store(&a->waiter[0].key, (uint64_t)(uintptr_t)&cr);
		atomic_store(&a->waiter[0].ns, sva__now_ns());
		if ((long long)sva__now_ns() - t0 > WAIT_NS)
			T_FATAL("record not written");
		for (unsigned int i = 0; i < ASSIST_JOBS; i++) {
			struct assist_job *j = &a->job[i];
			uint64_t w = atomic_load(&j->word);

			if (ASSIST_STATE(w) == ASSIST_PUBLISHED &&
			    atomic_load(&j->key) == (uint64_t)(uintptr_t)&cr &&
			    atomic_compare_exchange_strong(
				    &j->word, &w, ASSIST_WORD(ASSIST_SEQ(w), ASSIST_CLAIMED)))
				return j;
		}
	}
	return NULL;
}

/* Submit MEMMOVEs until one is claimed by hand (a late claim finds svad did it). */
static struct assist_job *submit_and_claim(struct client *c, uint8_t *dst, const void *src)
{
	for (int i = 0; i < 256; i++) {
		struct assist_job *j;

		/* Zero again: a try that svad completed itself has copied. */
		memset(dst, 0, BIG);
		atomic_store(&area_of(c)->waiter[0].key, (uint64_t)(uintptr_t)&cr);
		atomic_store(&area_of(c)->waiter[0].ns, sva__now_ns());
		submit(c, DSA_OPCODE_MEMMOVE, dst, src, BIG, 0);
		j = claim(area_of(c));
		if (j)
			return j;
	}
	T_FATAL("svad never offered a job");
}

static void check_moved(const uint8_t *dst, const uint8_t *src)
{
	T_EQ(cr.status, DSA_COMP_SUCCESS);
	T_CHECK(!memcmp(dst, src, BIG), "payload differs");
}

/* A child client: claims one job and dies with it claimed. */
static void child_claim_and_die(uint8_t *dst, const uint8_t *src)
{
	struct client c;

	client_open(&c);
	submit_and_claim(&c, dst, src);
	raise(SIGKILL);
}

/* A child client: scribbles its job page from a second process sharing it. */
static void child_scribble(uint8_t *dst, const uint8_t *src)
{
	struct client c;
	pid_t scribbler;

	client_open(&c);
	scribbler = fork();
	if (scribbler == 0) {
		/*
		 * The fork child keeps the MAP_SHARED page: random values, until
		 * its parent dies, in every word svad reads back (job states with
		 * any sequence, results, keys, waiter stamps, counters). Not the
		 * addresses and sizes: those only svad writes and only the
		 * client reads, and a wild copy in the client would only crash
		 * the client (under ASan even its DMA guard cannot catch it).
		 */
		struct assist_area *a = area_of(&c);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		srand(7);
		for (;;) {
			struct assist_job *j = &a->job[rand() % ASSIST_JOBS];
			uint64_t v = (uint64_t)rand() << 32 | (unsigned)rand();

			switch (rand() % 6) {
			case 0:
				atomic_store(&j->word, v);
				break;
			case 1:	/* a plausible state of some sequence */
				atomic_store(&j->word, (v & ~15ull) | (unsigned)(rand() % 6));
				break;
			case 2:
				atomic_store(&j->res, (uint32_t)v % 4);
				break;
			case 3:
				atomic_store(&j->key, v);
				break;
			case 4:
				atomic_store(&a->waiter[rand() % ASSIST_WAITERS].ns, v);
				break;
			default:
				atomic_store(&a->published, (uint32_t)v);
				break;
			}
		}
	}
	for (;;) {
		submit(&c, DSA_OPCODE_MEMMOVE, dst, src, BIG, 0);
		sva_wait(&cr, 100000000);
	}
}

#define LATE_TRIES	10
static struct dsa_completion_record late_cr[LATE_TRIES] __attribute__((aligned(32)));
static _Atomic int watch_stop, second_write;

/*
 * The program's view of one try's record (arg): once its status appears,
 * reuse the record (clear the status, as the next sva_prep_* would) and
 * watch for another write. Each try has a record of its own, so a late
 * completion of an earlier try under load is not taken for a second write.
 */
static void *watch_record(void *arg)
{
	struct dsa_completion_record *rec = arg;
	bool zeroed = false;

	while (!atomic_load(&watch_stop)) {
		if (sva_poll(rec)) {
			if (zeroed)
				atomic_store(&second_write, 1);
			sva_store_release(&rec->status, (uint8_t)0);
			zeroed = true;
		}
		sva_cpu_relax();
	}
	return NULL;
}

/*
 * A waiter that stalls between its commit and DONE (COOP_HOLD_RECORD):
 * svad takes the job back and writes the record; the waiter must not
 * write the status again. Tries until a take-back happened (a busy host
 * may leave a try's job to svad: the waiter's stamp was too old).
 */
static void late_status(struct client *c, uint8_t *dst, const uint8_t *src)
{
	uint64_t s[COOP_STAT_NR], late;
	pthread_t t;

	coop_stats(s);
	late = s[COOP_STAT_REMOTE_LATE];
	coop_test_hold(COOP_HOLD_RECORD);
	for (int i = 0; i < LATE_TRIES && s[COOP_STAT_REMOTE_LATE] == late; i++) {
		struct dsa_completion_record *rec = &late_cr[i];
		struct dsa_hw_desc d;

		/* The record is cleared before the watcher exists; it only clears the status. */
		sva_prep_memmove(&d, dst, src, BIG, rec, IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_CRAV);
		atomic_store(&watch_stop, 0);
		if (pthread_create(&t, NULL, watch_record, rec))
			T_FATAL("pthread_create");
		/* Say we wait on it now, as sva_wait() will: the job is offered to us. */
		atomic_store(&area_of(c)->waiter[0].key, (uint64_t)(uintptr_t)rec);
		atomic_store(&area_of(c)->waiter[0].ns, sva__now_ns());
		while (sva_enqcmd(c->p, &d) == 1)
			;
		/* The watcher clears the status: this returns on its bound, after our stall. */
		sva_wait(rec, 1200ll * 1000000);
		usleep(100000);
		atomic_store(&watch_stop, 1);
		pthread_join(t, NULL);
		coop_stats(s);
	}
	coop_test_hold(0);
	T_CHECK(s[COOP_STAT_REMOTE_LATE] > late, "no job was taken back after a commit in %d tries",
		LATE_TRIES);
	T_EQ(atomic_load(&second_write), 0);
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	uint8_t *src = t_map(BIG), *dst = t_map(BIG), *dn = t_map(4 * PG);
	struct sva_daemon_stats st = { .size = sizeof(st) };
	uint64_t before, page_before;
	struct assist_job *j;
	struct client c;
	pid_t kid, bad;
	int i;

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	client_open(&c);
	t_fill_random(src, BIG);

	/* A waiter executes svad's jobs: exact bytes, counters move. */
	before = remote_jobs();
	page_before = atomic_load(&area_of(&c)->executed);
	for (i = 0; i < 4000 && remote_jobs() - before < 8; i++) {
		memset(dst, 0, BIG);
		submit(&c, i & 1 ? DSA_OPCODE_MEMFILL : DSA_OPCODE_MEMMOVE, dst, src, BIG, 0);
		T_EQ(sva_wait(&cr, WAIT_NS), 0);
		T_EQ(cr.status, DSA_COMP_SUCCESS);
		if (i & 1) {
			for (unsigned int k = 0; k < BIG; k += 8)
				T_EQ(*(uint64_t *)(dst + k), 0x0123456789abcdefull);
		} else {
			T_CHECK(!memcmp(dst, src, BIG), "memmove payload differs");
		}
	}
	T_CHECK(remote_jobs() - before >= 8, "the waiter executed %llu jobs in %d",
		(unsigned long long)(remote_jobs() - before), i);
	T_EQ(atomic_load(&area_of(&c)->executed) - page_before, remote_jobs() - before);

	/* Not resident (MADV_DONTNEED): not offered; the daemon path's exact report. */
	before = remote_jobs();
	memset(dn, 1, 4 * PG);
	T_EQ(madvise(dn + 2 * PG, PG, MADV_DONTNEED), 0);
	submit(&c, DSA_OPCODE_MEMMOVE, dn, src, 4 * PG, 0);
	T_EQ(sva_wait(&cr, WAIT_NS), 0);
	T_EQ(cr.status, DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr.bytes_completed, 2 * PG);
	T_EQ(cr.fault_addr, (uint64_t)(uintptr_t)(dn + 2 * PG));
	T_EQ(madvise(dn + 2 * PG, PG, MADV_DONTNEED), 0);
	submit(&c, DSA_OPCODE_MEMMOVE, dn, src, 4 * PG, IDXD_OP_FLAG_BOF);
	T_EQ(sva_wait(&cr, WAIT_NS), 0);
	T_EQ(cr.status, DSA_COMP_SUCCESS);
	T_CHECK(!memcmp(dn, src, 4 * PG), "BOF payload differs");
	/* PROT_NONE source page: 0x03 / 0x04 at that page. */
	T_EQ(mprotect(dn + PG, PG, PROT_NONE), 0);
	submit(&c, DSA_OPCODE_MEMMOVE, dst, dn, 2 * PG, 0);
	T_EQ(sva_wait(&cr, WAIT_NS), 0);
	T_EQ(cr.status, DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, PG);
	T_EQ(cr.fault_addr, (uint64_t)(uintptr_t)(dn + PG));
	submit(&c, DSA_OPCODE_MEMMOVE, dst, dn, 2 * PG, IDXD_OP_FLAG_BOF);
	T_EQ(sva_wait(&cr, WAIT_NS), 0);
	T_EQ(cr.status, DSA_COMP_PAGE_FAULT_IR);
	T_EQ(cr.fault_addr, (uint64_t)(uintptr_t)(dn + PG));
	T_EQ(remote_jobs(), before);

	/* Nobody waits (polling): svad completes every one itself. */
	for (i = 0; i < 32; i++) {
		memset(dst, 0, BIG);
		submit(&c, DSA_OPCODE_MEMMOVE, dst, src, BIG, 0);
		poll_record();
		check_moved(dst, src);
	}
	T_EQ(remote_jobs(), before);

	/* Claimed and never finished: svad takes it back after its bound. */
	j = submit_and_claim(&c, dst, src);
	poll_record();
	check_moved(dst, src);
	/* Claimed, then a false fault report: svad executes it again. */
	j = submit_and_claim(&c, dst, src);
	atomic_store(&j->res, ASSIST_RES_FAULT);
	{
		uint64_t w = ASSIST_WORD(ASSIST_SEQ(atomic_load(&j->word)), ASSIST_DONE);

		atomic_store(&j->word, w);
	}
	poll_record();
	check_moved(dst, src);

	/*
	 * Claimed and committed (EXECUTED) without copying, then stalled: svad
	 * never copies after the commit (the program may reuse the buffers
	 * once it sees the record); it only writes the record.
	 */
	j = submit_and_claim(&c, dst, src);
	{
		uint64_t w = atomic_load(&j->word);

		T_CHECK(atomic_compare_exchange_strong(
				&j->word, &w, ASSIST_WORD(ASSIST_SEQ(w), ASSIST_EXECUTED)),
			"commit");
	}
	T_EQ(poll_record(), DSA_COMP_SUCCESS);
	T_EQ(dst[0], 0);
	T_EQ(dst[BIG - 1], 0);

	late_status(&c, dst, src);

	/* A client killed with a job claimed: svad frees its PASID and keeps serving. */
	kid = t_fork_quiet();
	if (kid == 0)
		child_claim_and_die(dst, src);
	T_EQ(t_child_fate(kid), SIGKILL);

	/* A client scribbling its job page while we work: our results stay exact. */
	bad = t_fork_quiet();
	if (bad == 0)
		child_scribble(dst, src);
	for (i = 0; i < 300; i++) {
		memset(dst, 0, BIG);
		submit(&c, DSA_OPCODE_MEMMOVE, dst, src, BIG, 0);
		T_EQ(sva_wait(&cr, WAIT_NS), 0);
		check_moved(dst, src);
	}
	kill(bad, SIGKILL);
	t_child_fate(bad);

	/* Both children released: back to one client, svad alive. */
	for (i = 0; i < 1000; i++) {
		T_EQ(sva_daemon_stats(c.dev, &st), 0);
		if (st.clients == 1 && !st.releasing)
			break;
		usleep(10000);
	}
	T_EQ(st.clients, 1);
	T_EQ(st.releasing, 0);
	T_EQ(kill(sv.pid, 0), 0);
	c.p = sva_portal_close(c.p);
	c.dev = sva_device_free(c.dev);
	t_svad_cleanup(&sv);
	return t_done("svad_assist");
}
