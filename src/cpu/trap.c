/* SPDX-License-Identifier: MIT */
/*
 * Trap-and-emulate of ENQCMD, ENQCMDS, MOVDIR64B and WAITPKG.
 *
 * On a CPU without the instructions they raise SIGILL; on one that has
 * them, ENQCMD without a valid IA32_PASID raises #GP (SIGSEGV, SI_KERNEL)
 * and a store into an sva portal page (mapped without access) raises
 * SIGSEGV/SIGBUS. The handler decodes the instruction at RIP, emulates it
 * exactly (64-byte source copied once, ZF for ENQCMD, flags untouched for
 * MOVDIR64B), advances RIP and returns. Anything that is not ours goes to
 * the previous handler, or to the default action, so real bugs still crash.
 *
 * Async-signal-safety: the handler and everything it calls use only
 * thread-local state, atomics, lock-free structures and system calls
 * (sigprocmask, raise, futex, arch_prctl). It allocates nothing and takes
 * no lock the interrupted thread could hold.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#include "cpu.h"
#include "lib/lib.h"

#define EFLAGS_CF	0x001
#define EFLAGS_ZF	0x040

static struct sigaction trap_old[3];	/* SIGILL, SIGSEGV, SIGBUS */
static pthread_once_t trap_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t trap_enqcmd, trap_movdir64b, trap_waitpkg, trap_chained;
static __thread uint64_t umonitor_addr;	/* armed by UMONITOR */
static __thread uint8_t umonitor_line[64];	/* the line's contents when armed */
static __thread bool umonitor_armed;

static struct sigaction *trap_prev(int sig)
{
	return &trap_old[sig == SIGILL ? 0 : sig == SIGSEGV ? 1 : 2];
}

/* Hand the signal on: previous handler, or the default action. */
static void trap_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = trap_prev(sig);
	sigset_t set;

	atomic_fetch_add_explicit(&trap_chained, 1, memory_order_relaxed);
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
	    old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/* Default action: die with this signal, as without us. */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

/* Append s to buf (async-signal-safe formatting). */
static size_t trap_puts(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n + 1 < cap)
		buf[n++] = *s++;
	return n;
}

static size_t trap_puthex(char *buf, size_t n, size_t cap, uint64_t v)
{
	char tmp[19] = "0x";
	int k = 2;

	for (int shift = 60; shift >= 0; shift -= 4) {
		unsigned int digit = (v >> shift) & 15;

		if (digit || k > 2 || shift == 0)
			tmp[k++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
	}
	tmp[k] = 0;
	return trap_puts(buf, n, cap, tmp);
}

/* Tell the user what went wrong and what to do, before the fatal signal. */
static void trap_explain(const char *insn, uint64_t rip, uint64_t dst, enum enq_why w)
{
	static const char *const why[] = {
		[ENQ_WHY_NONE] = "the 64-byte source operand is not readable",
		[ENQ_WHY_ALIGN] = "the destination is not 64-byte aligned",
		[ENQ_WHY_SRC_BITS] = "bits 31:0 of the descriptor must be zero (the PASID comes "
				     "from IA32_PASID)",
		[ENQ_WHY_NO_PASID] = "this process has no PASID: open and mmap /dev/dsa/wqX.Y "
				     "(or call sva_bind) before submitting",
		[ENQ_WHY_SECOND_FAULT] = "a second fault on a thread whose IA32_PASID was "
					 "already loaded",
		[ENQ_WHY_UNMAPPED] = "no portal is mapped at the destination: was /dev/dsa/wqX.Y "
				     "opened and mmapped (in this process, not inherited by fork)?",
		[ENQ_WHY_ENQCMDS] = "ENQCMDS is a supervisor instruction (#GP in user mode)",
	};
	char buf[400];
	size_t n = 0;

	n = trap_puts(buf, n, sizeof(buf), "sva: ");
	n = trap_puts(buf, n, sizeof(buf), insn);
	n = trap_puts(buf, n, sizeof(buf), " at rip ");
	n = trap_puthex(buf, n, sizeof(buf), rip);
	n = trap_puts(buf, n, sizeof(buf), " to ");
	n = trap_puthex(buf, n, sizeof(buf), dst);
	n = trap_puts(buf, n, sizeof(buf), " faults (SIGSEGV): ");
	n = trap_puts(buf, n, sizeof(buf), w < sizeof(why) / sizeof(why[0]) ? why[w] : "?");
	n = trap_puts(buf, n, sizeof(buf), "\n");
	(void)!write(STDERR_FILENO, buf, n);
}

/* The #GP an emulated instruction would take: fatal SIGSEGV. */
static void trap_gp(void)
{
	sigset_t set;

	signal(SIGSEGV, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGSEGV);
}

/* x86 encoding order of the general-purpose registers in the ucontext. */
static const int trap_greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8,	 REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static uint64_t trap_seg_base(unsigned int seg)
{
	unsigned long base = 0;

	if (seg == 0x64)
		syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
	else if (seg == 0x65)
		syscall(SYS_arch_prctl, ARCH_GET_GS, &base);
	return base;	/* ES/CS/SS/DS have base 0 in 64-bit mode */
}

struct copy_arg {
	void *dst;
	uint64_t src;
};

static int copy64(void *arg)
{
	struct copy_arg *c = arg;

	memcpy(c->dst, (const void *)(uintptr_t)c->src, 64);
	return 0;
}

/*
 * The OS limit on one wait, as IA32_UMWAIT_CONTROL's default on Linux
 * (100,000 TSC cycles): a wait never spins longer inside the handler.
 */
#define TRAP_UMWAIT_MAX_TSC 100000ull

/* UMONITOR: arm on the line, remembering its contents to see a store. */
static void trap_monitor(uint64_t addr)
{
	struct dma_ctx c = { 0 };
	struct copy_arg a = { umonitor_line, addr & ~63ull };

	umonitor_addr = addr & ~63ull;
	umonitor_armed = !dma_guarded(&c, copy64, &a);
}

/*
 * UMWAIT/TPAUSE: wait until the TSC deadline or, for UMWAIT, a store to the
 * armed line since UMONITOR. Returns true when the wait ended by time.
 */
static bool trap_wait(bool monitor, uint64_t deadline)
{
	uint64_t limit = __rdtsc() + TRAP_UMWAIT_MAX_TSC;
	const void *line = (const void *)(uintptr_t)umonitor_addr;

	monitor = monitor && umonitor_armed;
	if (deadline > limit)
		deadline = limit;
	while (__rdtsc() < deadline) {
		if (monitor && memcmp(umonitor_line, line, 64) != 0)
			return false;
		_mm_pause();
	}
	/* CF = 1: the wait ended by time (the OS limit counts as the deadline). */
	return true;
}

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *gr = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)gr[REG_RIP], gpr[16], dst, next;
	const uint8_t *code = (const uint8_t *)(uintptr_t)rip;
	size_t avail = 4096 - (rip & 4095);
	struct x86_decoded d;
	uint8_t desc[64] __attribute__((aligned(64)));
	int r;

	/*
	 * The CPU fetched the instruction, so its bytes are mapped; read up to
	 * the end of the page first and across it only if the decoder needs.
	 */
	r = x86_decode(code, avail < X86_MAX_LEN ? avail : X86_MAX_LEN, &d);
	if (r == -ENODATA)
		r = x86_decode(code, X86_MAX_LEN, &d);
	if (r || d.insn == X86_NONE) {
		trap_chain(sig, si, ucv);
		return;
	}
	/*
	 * A SIGSEGV/SIGBUS is ours only if it is the #GP of ENQCMD (SI_KERNEL)
	 * or a store into a portal page; a fault in the source operand is a
	 * real fault of the program.
	 */
	if (sig != SIGILL && si->si_code != SI_KERNEL &&
	    !enq_lookup((uint64_t)(uintptr_t)si->si_addr)) {
		trap_chain(sig, si, ucv);
		return;
	}
	for (int i = 0; i < 16; i++)
		gpr[i] = (uint64_t)gr[trap_greg[i]];
	next = rip + d.len;
	switch (d.insn) {
	case X86_ENQCMD:
	case X86_ENQCMDS:
	case X86_MOVDIR64B: {
		struct dma_ctx c = { 0 };
		struct copy_arg a = { desc, x86_effective_addr(&d, gpr, next) + trap_seg_base(d.seg) };
		enum enq_result res;

		static const char *const names[] = { [X86_ENQCMD] = "ENQCMD",
						      [X86_ENQCMDS] = "ENQCMDS",
						      [X86_MOVDIR64B] = "MOVDIR64B" };

		dst = x86_reg_addr(&d, gpr);	/* ES: no override, base 0 */
		/* The 64-byte source is read once, before anything else. */
		if (dma_guarded(&c, copy64, &a)) {
			trap_explain(names[d.insn], rip, dst, ENQ_WHY_NONE);
			trap_gp();
			return;
		}
		res = enq_execute(d.insn, dst, desc);
		if (res == ENQ_GP) {
			trap_explain(names[d.insn], rip, dst, enq_why());
			trap_gp();
			return;
		}
		if (d.insn == X86_MOVDIR64B) {
			atomic_fetch_add_explicit(&trap_movdir64b, 1, memory_order_relaxed);
		} else {
			atomic_fetch_add_explicit(&trap_enqcmd, 1, memory_order_relaxed);
			/* ZF = 0 accepted, ZF = 1 Retry (performance.md §4). */
			if (res == ENQ_ACCEPTED)
				gr[REG_EFL] &= ~(greg_t)EFLAGS_ZF;
			else
				gr[REG_EFL] |= EFLAGS_ZF;
		}
		break;
	}
	case X86_UMONITOR:
		trap_monitor(x86_reg_addr(&d, gpr) + trap_seg_base(d.seg));
		atomic_fetch_add_explicit(&trap_waitpkg, 1, memory_order_relaxed);
		break;
	case X86_UMWAIT:
	case X86_TPAUSE: {
		/* EDX:EAX is the TSC deadline; CF reports that it passed. */
		uint64_t deadline = ((uint64_t)(uint32_t)gpr[2] << 32) | (uint32_t)gpr[0];
		bool expired = trap_wait(d.insn == X86_UMWAIT, deadline);

		gr[REG_EFL] &= ~(greg_t)(EFLAGS_CF | EFLAGS_ZF | 0x8d4);	/* OF SF AF PF */
		if (expired)
			gr[REG_EFL] |= EFLAGS_CF;
		umonitor_armed = false;
		atomic_fetch_add_explicit(&trap_waitpkg, 1, memory_order_relaxed);
		break;
	}
	default:
		trap_chain(sig, si, ucv);
		return;
	}
	gr[REG_RIP] = (greg_t)next;
}

static void trap_install_once(void)
{
	static const int sigs[3] = { SIGILL, SIGSEGV, SIGBUS };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	/*
	 * SA_NODEFER: emulation may itself fault inside a DMA guard (a bad
	 * source operand), which must reach the guard's handler in the chain.
	 */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &trap_old[i]);
}

SVA_EXPORT int sva_trap_install(void)
{
	/* Registers the fork handler that clears the MSR in a child. */
	(void)proc_pid_get();
	pthread_once(&trap_once, trap_install_once);
	return 0;
}

SVA_EXPORT int sva_trap_stats(struct sva_trap_stats *ret)
{
	if (!ret || ret->size < offsetof(struct sva_trap_stats, reserved))
		return -EINVAL;
	ret->enqcmd = atomic_load(&trap_enqcmd);
	ret->movdir64b = atomic_load(&trap_movdir64b);
	ret->waitpkg = atomic_load(&trap_waitpkg);
	ret->fixups_thread = msr_fixups_thread();
	ret->fixups_process = msr_fixups_process();
	ret->chained = atomic_load(&trap_chained);
	return 0;
}

SVA_EXPORT uint32_t sva_msr_pasid(void)
{
	return msr_read();
}
