/* SPDX-License-Identifier: MIT */
/*
 * Description: the trap layer only takes what is its own (STYLE rule 11,
 * SYS-8). A real illegal instruction (ud2) kills with SIGILL; a SIGILL
 * handler installed before sva_trap_install() still gets a foreign ud2
 * (and is counted as chained) while ENQCMD/MOVDIR64B stay emulated; a NULL
 * dereference kills with SIGSEGV; ENQCMD to a destination that is not
 * 64-byte aligned, ENQCMD with source bits 31:0 set, ENQCMDS from user
 * code and a misaligned MOVDIR64B are #GP: SIGSEGV.
 */
#include <errno.h>
#include <immintrin.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

static volatile sig_atomic_t user_sigill;

static void user_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	user_sigill++;
	uc->uc_mcontext.gregs[REG_RIP] += 2;	/* skip the 2-byte ud2 */
}

/*
 * In a child: bind, map a SWQ portal and make one good ENQCMD so the MSR
 * is valid (any later #GP is then not the fixup's); returns the portal.
 */
static uint8_t *child_portal(void)
{
	static struct dsa_hw_desc d __attribute__((aligned(64)));
	static struct dsa_completion_record cr __attribute__((aligned(32)));
	struct sva_device *dev;
	struct sva_portal *p;
	void *addr;

	if (sva_trap_install() || sva_device_new(NULL, &dev) ||
	    sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p) || sva_portal_mmap(p, &addr))
		_exit(20);
	sva_prep_noop(&d, &cr, 0);
	if (_enqcmd(addr, &d) || sva_wait(&cr, 5000000000ll) || sva_msr_pasid() == 0)
		_exit(21);
	return addr;
}

enum gp_case { GP_MISALIGNED, GP_SRC_BITS, GP_ENQCMDS, GP_MOVDIR_MISALIGNED };

static void test_gp(enum gp_case c, const char *name)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		static struct dsa_hw_desc d __attribute__((aligned(64)));
		uint8_t *portal = child_portal();

		sva_prep_noop(&d, NULL, 0);
		switch (c) {
		case GP_MISALIGNED:
			_enqcmd(portal + 32, &d);
			break;
		case GP_SRC_BITS:
			d.pasid = 5;	/* bits 31:0 of the source must be 0 */
			_enqcmd(portal, &d);
			break;
		case GP_ENQCMDS:
			_enqcmds(portal, &d);
			break;
		case GP_MOVDIR_MISALIGNED:
			_movdir64b(portal + 32, &d);
			break;
		}
		_exit(22);	/* survived: wrong */
	}
	int fate = t_child_fate(pid);

	T_CHECK(fate == SIGSEGV, "%s: child fate %d, expected SIGSEGV", name, fate);
}

static void test_foreign_ud2(void)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		if (sva_trap_install())
			_exit(20);
		__builtin_trap();
	}
	T_EQ(t_child_fate(pid), SIGILL);
}

static void test_null_deref(void)
{
#ifdef SVA_SANITIZED
	/* ASan's own SIGSEGV handler reports the NULL access and exits(1). */
	printf("null dereference: skipped under sanitizers (ASan handles SIGSEGV itself)\n");
#else
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		volatile int *volatile np = NULL;

		if (sva_trap_install())
			_exit(20);
		*np = 1;
		_exit(21);
	}
	T_EQ(t_child_fate(pid), SIGSEGV);
#endif
}

static void test_previous_handler(void)
{
	struct sigaction sa = { .sa_sigaction = user_handler, .sa_flags = SA_SIGINFO };
	struct sva_trap_stats ts = { .size = sizeof(ts) };
	struct dsa_hw_desc d __attribute__((aligned(64)));
	struct dsa_completion_record cr __attribute__((aligned(32)));
	uint8_t buf[64] __attribute__((aligned(64)));
	struct sva_device *dev;
	struct sva_portal *p;
	void *addr = NULL;

	sigemptyset(&sa.sa_mask);
	T_EQ(sigaction(SIGILL, &sa, NULL), 0);
	T_EQ(sva_trap_install(), 0);
	__asm__ volatile("ud2" ::: "memory");
	T_EQ(user_sigill, 1);
	__asm__ volatile("ud2" ::: "memory");
	T_EQ(user_sigill, 2);
	T_EQ(sva_trap_stats(&ts), 0);
	T_EQ(ts.chained, 2);

	/* Ours are still emulated, and the user's handler does not see them. */
	if (sva_device_new(NULL, &dev))
		T_FATAL("sva_device_new");
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	T_EQ(sva_portal_mmap(p, &addr), 0);
	if (!addr)
		T_FATAL("no portal mapping");
	sva_prep_noop(&d, &cr, 0);
	T_EQ(_enqcmd(addr, &d), 0);
	T_EQ(sva_wait(&cr, 5000000000ll), 0);
	T_EQ(cr.status, DSA_COMP_SUCCESS);
	memset(buf, 0, sizeof(buf));
	_movdir64b(buf, &d);
	T_CHECK(memcmp(buf, &d, 64) == 0, "MOVDIR64B to memory");
	T_EQ(user_sigill, 2);
	T_EQ(sva_trap_stats(&ts), 0);
	T_EQ(ts.chained, 2);
	/* MOVDIR64B may be native (Zen 5): to ordinary memory it need not trap. */
	T_CHECK(ts.enqcmd >= 1, "enqcmd %llu", (unsigned long long)ts.enqcmd);
	T_EQ(sva_portal_munmap(p, addr), 0);
	sva_portal_close(p);
	T_CHECK(sva_device_free(dev) == NULL, "sva_device_free");
}

int main(void)
{
	/* Children first: each installs the trap over default handlers. */
	test_foreign_ud2();
	test_null_deref();
	test_gp(GP_MISALIGNED, "ENQCMD dst not 64-byte aligned");
	test_gp(GP_SRC_BITS, "ENQCMD source bits 31:0 set");
	test_gp(GP_ENQCMDS, "ENQCMDS from user code");
	test_gp(GP_MOVDIR_MISALIGNED, "MOVDIR64B dst not 64-byte aligned");
	/* Then the parent: a handler that predates sva_trap_install(). */
	test_previous_handler();
	return t_done("api/trap_chain");
}
