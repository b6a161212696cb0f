/* SPDX-License-Identifier: MIT */
/*
 * The emulated IA32_PASID MSR (0xD93), as the final Linux design manages it
 * (system.md §3): one MSR per thread, cleared at thread creation (a new
 * thread's thread-local storage starts zeroed, like fpu_clone() clearing
 * the PASID xstate) and in a fork child; written only by the lazy fixup of
 * the first ENQCMD of a thread whose process holds a PASID. bind() writes
 * no MSR. Everything here is async-signal-safe: the trap handler calls it.
 */
#include <stdatomic.h>

#include "cpu.h"
#include "core/core.h"

static __thread uint32_t msr_pasid;		/* VALID | PASID[19:0] */
static __thread bool msr_pasid_activated;	/* current->pasid_activated */
static __thread uint64_t msr_thread_fixups;
static _Atomic uint64_t msr_process_fixups;

enum msr_check msr_enqcmd(uint32_t process_pasid, uint32_t *ret_pasid)
{
	if (msr_pasid & MSR_IA32_PASID_VALID) {
		*ret_pasid = msr_pasid & (PASID_MAX - 1);
		return MSR_OK;
	}
	/*
	 * try_fixup_enqcmd_gp(): no PASID in the mm, or a second #GP on an
	 * activated thread, is not ours to fix: the task gets SIGSEGV.
	 */
	if (process_pasid == PASID_INVALID || process_pasid >= PASID_MAX || msr_pasid_activated)
		return MSR_FATAL;
	msr_pasid = process_pasid | MSR_IA32_PASID_VALID;
	msr_pasid_activated = true;
	msr_thread_fixups++;
	atomic_fetch_add_explicit(&msr_process_fixups, 1, memory_order_relaxed);
	*ret_pasid = process_pasid;
	return MSR_FIXED;
}

uint32_t msr_read(void)
{
	return msr_pasid;
}

bool msr_activated(void)
{
	return msr_pasid_activated;
}

void msr_thread_reset(void)
{
	msr_pasid = 0;
	msr_pasid_activated = false;
	msr_thread_fixups = 0;
}

uint64_t msr_fixups_thread(void)
{
	return msr_thread_fixups;
}

uint64_t msr_fixups_process(void)
{
	return atomic_load_explicit(&msr_process_fixups, memory_order_relaxed);
}

void msr_fork_child(void)
{
	msr_thread_reset();
	atomic_store(&msr_process_fixups, 0);
}
