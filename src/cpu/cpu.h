/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/cpu: CPU-side emulation of the submission
 * instructions (system.md §5) and of WAITPKG. Nothing here is part of the
 * public ABI.
 */
#ifndef SVA_CPU_H
#define SVA_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x86 instruction decoder (x86_decode.c) */

#define X86_MAX_LEN	15	/* architectural limit; longer is #GP */
#define X86_REG_NONE	(-1)	/* no base / no index register */
#define X86_REG_RIP	16	/* base of a RIP- (EIP- with 67h) relative operand */

enum x86_insn {
	X86_NONE,
	X86_ENQCMD,		/* F2 0F 38 F8 /r, mod != 11 */
	X86_ENQCMDS,		/* F3 0F 38 F8 /r, mod != 11 */
	X86_MOVDIR64B,		/* 66 0F 38 F8 /r, mod != 11 */
	X86_UMONITOR,		/* F3 0F AE /6, mod == 11 */
	X86_UMWAIT,		/* F2 0F AE /6, mod == 11 */
	X86_TPAUSE,		/* 66 0F AE /6, mod == 11 */
};

struct x86_operand {
	int base;		/* 0-15 (REX.B applied), X86_REG_NONE or X86_REG_RIP */
	int index;		/* 0-15 (REX.X applied) or X86_REG_NONE */
	unsigned int scale;	/* 1, 2, 4 or 8; 1 without index */
	int32_t disp;		/* disp8 is sign-extended */
	bool rip_relative;	/* mod 00 rm 101: base is X86_REG_RIP */
	bool addr32;		/* 67h: 32-bit address arithmetic */
};

struct x86_decoded {
	enum x86_insn insn;
	unsigned int len;	/* exact length in bytes, prefixes included */
	/*
	 * ModRM.reg | REX.R: the destination-address register of
	 * ENQCMD/ENQCMDS/MOVDIR64B; ModRM.rm | REX.B: the register operand of
	 * UMONITOR/UMWAIT/TPAUSE.
	 */
	unsigned int reg;
	/* r/m memory source (64-byte descriptor); base = index = NONE for WAITPKG */
	struct x86_operand mem;
	bool addr32;		/* 67h present */
	unsigned int seg;	/* last segment override prefix byte, or 0 */
};

/*
 * Decode at most len bytes at code. Returns 0 with *ret filled; -EINVAL when
 * the bytes are not exactly one of the x86_insn instructions (LOCK, REX not
 * right before 0F, conflicting mandatory prefixes, wrong ModRM.mod, longer
 * than 15 bytes: never guessed); -ENODATA when a valid encoding needs more
 * than len bytes. *ret is untouched on failure. Async-signal-safe.
 */
int x86_decode(const uint8_t *code, size_t len, struct x86_decoded *ret);
/*
 * Effective address (offset, without any FS/GS segment base: the caller adds
 * it when d->seg is 0x64/0x65) of the memory operand. gpr[] is in encoding
 * order rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15; next_rip is the
 * address of the next instruction. With 67h the result is truncated to 32 bits.
 */
uint64_t x86_effective_addr(const struct x86_decoded *d, const uint64_t gpr[16],
			    uint64_t next_rip);
/*
 * Value of the register operand: the ENQCMD/MOVDIR64B destination (ES
 * segment, not overridable) and the UMONITOR address follow the address size
 * (32-bit zero-extended with 67h); UMWAIT/TPAUSE take r32 (always 32 bits).
 */
uint64_t x86_reg_addr(const struct x86_decoded *d, const uint64_t gpr[16]);

/* msr.c: the emulated IA32_PASID MSR (system.md §3, SYS-4..SYS-6) */

#define MSR_IA32_PASID		0xD93
#define MSR_IA32_PASID_VALID	(1u << 31)

enum msr_check {
	MSR_OK,		/* the MSR was valid: *ret_pasid is its PASID */
	MSR_FIXED,	/* first ENQCMD of the thread: the MSR was loaded now */
	MSR_FATAL,	/* no PASID in the process, or a second fault: SIGSEGV */
};

/*
 * The lazy #GP fixup of try_fixup_enqcmd_gp(), for an ENQCMD executed with
 * this thread's emulated MSR: valid → MSR_OK; invalid, the process holds a
 * PASID (process_pasid != PASID_INVALID) and the thread is not activated
 * yet → load the MSR, mark the thread, count a fixup, MSR_FIXED; otherwise
 * MSR_FATAL. Async-signal-safe (thread-local state and atomics only).
 */
enum msr_check msr_enqcmd(uint32_t process_pasid, uint32_t *ret_pasid);
/* This thread's MSR value (VALID bit | PASID), 0 when cleared. */
uint32_t msr_read(void);
bool msr_activated(void);
/* Clear this thread's MSR and activation (SYS-5/SYS-6). */
void msr_thread_reset(void);
/* A fork child: the thread's MSR and the process's fixup count start at 0. */
void msr_fork_child(void);
uint64_t msr_fixups_thread(void);
uint64_t msr_fixups_process(void);

/* enq.c: the portal registry and instruction semantics (system.md §5, SYS-8) */

struct sva_portal;

/* Register [addr, addr + len) as the mapping of portal p (limited/unlimited). */
int enq_register(void *addr, size_t len, struct sva_portal *p);
/* Forget a mapping; -ENOENT if addr does not start one. */
int enq_unregister(void *addr);
/* A fork child: forget every mapping (they are not inherited). */
void enq_fork_child(void);
/* The portal mapped at addr, or NULL: lock-free, async-signal-safe. */
struct sva_portal *enq_lookup(uint64_t addr);

enum enq_result {
	ENQ_ACCEPTED,	/* ENQCMD: ZF = 0 */
	ENQ_RETRY,	/* ENQCMD: ZF = 1 */
	ENQ_DONE,	/* MOVDIR64B: posted, flags untouched */
	ENQ_GP,		/* the instruction faults (#GP): fatal SIGSEGV */
};

/* Why the last enq_execute() of this thread faulted, for the error message. */
enum enq_why {
	ENQ_WHY_NONE,
	ENQ_WHY_ALIGN,		/* destination not 64-byte aligned */
	ENQ_WHY_SRC_BITS,	/* ENQCMD source bits 31:0 not zero */
	ENQ_WHY_NO_PASID,	/* the process holds no PASID */
	ENQ_WHY_SECOND_FAULT,	/* the thread was already activated */
	ENQ_WHY_UNMAPPED,	/* destination not mapped writable */
	ENQ_WHY_ENQCMDS,	/* ENQCMDS from user mode */
};

enum enq_why enq_why(void);

/*
 * Execute a decoded ENQCMD/MOVDIR64B: dst is the destination (register)
 * address, desc the 64 bytes already copied from the source. ENQCMD goes
 * through msr_enqcmd(); a destination that is not a portal answers Retry;
 * MOVDIR64B to ordinary memory is a plain 64-byte store (guarded).
 * Async-signal-safe.
 */
enum enq_result enq_execute(enum x86_insn insn, uint64_t dst, const void *desc);
/* The process PASID as ENQCMD sees it (PASID_INVALID when unbound). */
uint32_t enq_process_pasid(void);

#endif /* SVA_CPU_H */
