/* SPDX-License-Identifier: MIT */
/*
 * Description: the emulated IA32_PASID MSR and its lazy fixup (system.md
 * §3, SYS-4..SYS-6): the MSR is 0 before and after bind (bind writes no
 * MSR); a thread's first ENQCMD loads PASID | VALID with exactly one
 * fixup, later ones none; threads created before and after the bind each
 * start at 0 and take one fixup; a fork child has MSR 0, no PASID, no
 * portal mapping, and dies of SIGSEGV on ENQCMD; a process that never
 * bound dies of SIGSEGV on ENQCMD; msr_enqcmd() unit-tested directly.
 */
#include <errno.h>
#include <immintrin.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"
#include "cpu/cpu.h"

#define VALID 0x80000000u

static uint8_t *portal;
static uint32_t pasid;
static sem_t go_early;
static struct dsa_hw_desc noop __attribute__((aligned(64)));
static uint8_t plain[128] __attribute__((aligned(64)));

/* Returns the terminating signal, or -(exit status + 1) for a normal exit. */
static struct sva_trap_stats stats(void)
{
	struct sva_trap_stats ts = { .size = sizeof(ts) };

	if (sva_trap_stats(&ts))
		T_FATAL("sva_trap_stats");
	return ts;
}

/* One ENQCMD of a NOOP to the portal; returns ZF. */
static int enq_noop(void)
{
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	int zf;

	sva_prep_noop(&noop, &cr, 0);
	zf = _enqcmd(portal, &noop);
	if (!zf)
		T_EQ(sva_wait(&cr, 5000000000ll), 0);
	return zf;
}

/* A thread's life: MSR 0 at start, one fixup on the first ENQCMD only. */
static void thread_checks(const char *who)
{
	T_CHECK(sva_msr_pasid() == 0, "%s: MSR 0x%x at start", who, sva_msr_pasid());
	T_EQ(stats().fixups_thread, 0);
	T_EQ(enq_noop(), 0);
	T_EQ(sva_msr_pasid(), pasid | VALID);
	T_EQ(stats().fixups_thread, 1);
	T_EQ(enq_noop(), 0);
	T_EQ(stats().fixups_thread, 1);
}

static void *early_thread(void *arg)
{
	(void)arg;
	/* Created before the bind: still 0 after it. */
	T_EQ(sva_msr_pasid(), 0);
	sem_wait(&go_early);
	thread_checks("early thread");
	return NULL;
}

static void *late_thread(void *arg)
{
	(void)arg;
	thread_checks("late thread");
	return NULL;
}

/* msr_enqcmd() itself, in a fresh thread (zeroed thread-local state). */
static void *unit_thread(void *arg)
{
	uint32_t got = 0x12345;

	(void)arg;
	T_EQ(msr_read(), 0);
	T_CHECK(!msr_activated(), "fresh thread activated");
	T_EQ(msr_enqcmd(PASID_INVALID, &got), MSR_FATAL);	/* no PASID in the process */
	T_EQ(got, 0x12345);
	T_CHECK(!msr_activated(), "FATAL activated the thread");
	T_EQ(msr_enqcmd(pasid, &got), MSR_FIXED);
	T_EQ(got, pasid);
	T_EQ(msr_read(), pasid | VALID);
	T_CHECK(msr_activated(), "not activated after a fixup");
	T_EQ(msr_fixups_thread(), 1);
	T_EQ(msr_enqcmd(pasid, &got), MSR_OK);
	T_EQ(got, pasid);
	/* A valid MSR is used as is, whatever the process holds now (§3.2 c4). */
	got = 0;
	T_EQ(msr_enqcmd(PASID_INVALID, &got), MSR_OK);
	T_EQ(got, pasid);
	T_EQ(msr_fixups_thread(), 1);
	msr_thread_reset();
	T_EQ(msr_read(), 0);
	T_CHECK(!msr_activated(), "reset left the thread activated");
	T_EQ(msr_enqcmd(pasid, &got), MSR_FIXED);
	T_EQ(msr_read(), pasid | VALID);
	return NULL;
}

static void test_never_bound(void)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		if (sva_trap_install())
			_exit(10);
		if (sva_msr_pasid() != 0)
			_exit(11);
		sva_prep_noop(&noop, NULL, 0);
		_enqcmd(plain, &noop);
		_exit(12);	/* survived: wrong */
	}
	T_EQ(t_child_fate(pid), SIGSEGV);
}

static void test_fork_child(void)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		unsigned char vec;

		if (sva_msr_pasid() != 0)
			_exit(10);
		if (enq_process_pasid() != PASID_INVALID)
			_exit(11);
		/* MADV_DONTFORK: the portal page does not exist here. */
		if (mincore(portal, 4096, &vec) == 0 || errno != ENOMEM)
			_exit(12);
		sva_prep_noop(&noop, NULL, 0);
		_enqcmd(portal, &noop);
		_exit(13);	/* survived: wrong */
	}
	T_EQ(t_child_fate(pid), SIGSEGV);
}

/*
 * A fork child that binds a PASID of its own still has no portal: the
 * parent's mapping was not inherited, so ENQCMD there faults (SYS-6).
 */
static void test_fork_child_bound(void)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		struct sva_device_config cfg = { .size = sizeof(cfg),
						 .version = SVA_CONFIG_VERSION,
						 .flags = SVA_CONFIG_UNCONFIGURED };
		struct sva_device *dev2;
		uint32_t child_pasid;

		/*
		 * Keep the parent's portal address inaccessible: the new device's
		 * own mappings could otherwise land in the hole, and ENQCMD to
		 * ordinary writable memory is a Retry, not a fault.
		 */
		if (mmap(portal, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0) != portal)
			_exit(19);
		if (sva_device_new(&cfg, &dev2) || sva_bind(dev2, &child_pasid))
			_exit(20);
		sva_prep_noop(&noop, NULL, 0);
		_enqcmd(portal, &noop);
		_exit(21);	/* survived: wrong */
	}
	T_EQ(t_child_fate(pid), SIGSEGV);
}

int main(void)
{
	struct sva_device *dev;
	struct sva_portal *p;
	pthread_t early, late, unit;
	uint64_t before;

	/* Before anything: a child that never binds. */
	test_never_bound();
	T_EQ(sva_msr_pasid(), 0);
	T_EQ(sem_init(&go_early, 0, 0), 0);
	T_EQ(pthread_create(&early, NULL, early_thread, NULL), 0);
	if (sva_device_new(NULL, &dev))
		T_FATAL("sva_device_new");
	T_EQ(sva_trap_install(), 0);
	T_EQ(sva_bind(dev, &pasid), 0);
	T_CHECK(pasid != PASID_INVALID && pasid != 0 && pasid < (1u << 20), "pasid %u", pasid);
	T_EQ(enq_process_pasid(), pasid);
	T_EQ(sva_msr_pasid(), 0);	/* bind writes no MSR */
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	T_EQ(sva_portal_mmap(p, (void **)&portal), 0);
	if (!portal)
		T_FATAL("no portal mapping");
	T_EQ(sva_msr_pasid(), 0);
	T_EQ(stats().fixups_process, 0);

	/* The main thread: first ENQCMD fixes up, later ones do not. */
	T_EQ(enq_noop(), 0);
	T_EQ(sva_msr_pasid(), pasid | VALID);
	T_EQ(stats().fixups_thread, 1);
	T_EQ(stats().fixups_process, 1);
	T_EQ(enq_noop(), 0);
	T_EQ(enq_noop(), 0);
	T_EQ(stats().fixups_thread, 1);
	T_EQ(stats().fixups_process, 1);

	/* Threads created before and after the bind: one fixup each. */
	before = stats().fixups_process;
	sem_post(&go_early);
	pthread_join(early, NULL);
	T_EQ(stats().fixups_process, before + 1);
	T_EQ(pthread_create(&late, NULL, late_thread, NULL), 0);
	pthread_join(late, NULL);
	T_EQ(stats().fixups_process, before + 2);
	T_EQ(stats().fixups_thread, 1);	/* the main thread's own count */

	/* fork after the parent's fixup: the child starts from scratch. */
	test_fork_child();
	test_fork_child_bound();
	T_EQ(sva_msr_pasid(), pasid | VALID);	/* the parent is untouched */
	T_EQ(enq_noop(), 0);

	before = stats().fixups_process;
	T_EQ(pthread_create(&unit, NULL, unit_thread, NULL), 0);
	pthread_join(unit, NULL);
	T_EQ(stats().fixups_process, before + 2);

	T_EQ(sva_portal_munmap(p, portal), 0);
	sva_portal_close(p);
	T_EQ(sva_unbind(dev), 0);
	T_CHECK(sva_device_free(dev) == NULL, "sva_device_free");
	sem_destroy(&go_early);
	return t_done("api/trap_msr");
}
