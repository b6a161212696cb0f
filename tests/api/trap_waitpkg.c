/* SPDX-License-Identifier: MIT */
/*
 * Description: WAITPKG emulation for programs that use it without checking
 * CPUID (dsa_test does, to wait on completion records): TPAUSE returns
 * after its TSC deadline with CF=1; UMONITOR + UMWAIT on a completion
 * record returns at once with CF=0 when the record was written after
 * UMONITOR; UMWAIT never spins past the OS limit even with a far deadline.
 * Skips where the CPU has WAITPKG (nothing is trapped there).
 */
#include <cpuid.h>
#include <immintrin.h>
#include <x86intrin.h>

#include "harness.h"
#include "sva/sva.h"

static volatile uint8_t record[64] __attribute__((aligned(64)));

int main(void)
{
	unsigned int a, b, c, d;
	struct sva_trap_stats st = { .size = sizeof(st) };
	uint64_t t0, deadline;

	__cpuid_count(7, 0, a, b, c, d);
	if (c & (1u << 5))
		T_SKIP("this CPU implements WAITPKG natively: nothing to emulate");
	T_EQ(sva_trap_install(), 0);

	/* TPAUSE: the deadline passes, CF = 1, and not much before it. */
	t0 = __rdtsc();
	deadline = t0 + 20000;
	T_EQ(_tpause(0, deadline), 1);
	T_CHECK(__rdtsc() >= deadline, "TPAUSE returned before its deadline");

	/*
	 * A store to the armed line after UMONITOR (here by this thread, as a
	 * device's completion-record write would be) ends UMWAIT with CF = 0.
	 * The deadline is as far as it goes, so CF = 0 can only come from the
	 * store (time and the OS limit both give CF = 1), and no timing enters
	 * the verdict.
	 */
	record[0] = 0;
	_umonitor((void *)record);
	record[0] = 1;
	T_EQ(_umwait(0, ~0ull), 0);

	/* A far deadline is cut by the OS limit: it returns, CF = 1. */
	record[0] = 0;
	_umonitor((void *)record);
	T_EQ(_umwait(0, ~0ull), 1);

	T_EQ(sva_trap_stats(&st), 0);
	T_CHECK(st.waitpkg >= 4, "waitpkg count %llu", (unsigned long long)st.waitpkg);
	return t_done("api/trap_waitpkg");
}
