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

#endif /* SVA_CPU_H */
