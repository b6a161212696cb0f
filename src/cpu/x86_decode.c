/* SPDX-License-Identifier: MIT */
/*
 * x86-64 decoder for exactly six instructions (system.md §5, accel-config
 * compat CMP-9): ENQCMD/ENQCMDS/MOVDIR64B (66/F2/F3 0F 38 F8 /r, memory
 * source) and UMONITOR/UMWAIT/TPAUSE (F3/F2/66 0F AE /6, register operand).
 * Anything else is -EINVAL, so that the trap handler chains it rather than
 * emulating a guess. Pure function of its input, async-signal-safe: it runs
 * inside SIGILL handlers (trap.c).
 */
#include <errno.h>

#include "cpu/cpu.h"

#define REX_W	0x8
#define REX_R	0x4
#define REX_X	0x2
#define REX_B	0x1

/*
 * Bytes [0, n) are needed: past the 15-byte limit the encoding is invalid
 * (#GP on hardware) whatever follows; otherwise it is only truncated.
 */
static int need(size_t n, size_t len)
{
	if (n > X86_MAX_LEN)
		return -EINVAL;
	if (n > len)
		return -ENODATA;
	return 0;
}

static bool is_seg(uint8_t b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

/* ModRM/SIB/disp of a memory operand at code[i] (ModRM already present). */
static int decode_mem(const uint8_t *code, size_t len, size_t i, uint8_t rex,
		      struct x86_decoded *d, size_t *ret_end)
{
	uint8_t modrm = code[i++];
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	unsigned int dispsz = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	int r;

	d->mem.base = X86_REG_NONE;
	d->mem.index = X86_REG_NONE;
	d->mem.scale = 1;
	if (rm == 4) {
		uint8_t sib;
		unsigned int index, base;

		r = need(i + 1, len);
		if (r)
			return r;
		sib = code[i++];
		index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
		base = sib & 7;
		/* index 100 is "none" only without REX.X: r12 is a valid index */
		if (index != 4) {
			d->mem.index = (int)index;
			d->mem.scale = 1u << (sib >> 6);
		}
		/* base 101 with mod 00: disp32 and no base, REX.B notwithstanding */
		if (base == 5 && mod == 0)
			dispsz = 4;
		else
			d->mem.base = (int)(base | (rex & REX_B ? 8 : 0));
	} else if (rm == 5 && mod == 0) {
		/* RIP-relative in 64-bit mode (EIP-relative with 67h); REX.B ignored */
		d->mem.base = X86_REG_RIP;
		d->mem.rip_relative = true;
		dispsz = 4;
	} else {
		d->mem.base = (int)(rm | (rex & REX_B ? 8 : 0));
	}
	r = need(i + dispsz, len);
	if (r)
		return r;
	if (dispsz == 1) {
		d->mem.disp = (int8_t)code[i];
	} else if (dispsz == 4) {
		uint32_t v = (uint32_t)code[i] | (uint32_t)code[i + 1] << 8 |
			     (uint32_t)code[i + 2] << 16 | (uint32_t)code[i + 3] << 24;

		d->mem.disp = (int32_t)v;
	}
	*ret_end = i + dispsz;
	return 0;
}

int x86_decode(const uint8_t *code, size_t len, struct x86_decoded *ret)
{
	struct x86_decoded d = { .insn = X86_NONE };
	uint8_t mand = 0, rex = 0, op, modrm;
	size_t i = 0, end;
	int r;

	if (!code || !ret)
		return -EINVAL;
	/*
	 * Legacy prefixes, any order, repeats allowed (hardware accepts them).
	 * Two different mandatory-prefix bytes are rejected: which one selects
	 * the instruction is not something to guess.
	 */
	for (;; i++) {
		uint8_t b;

		r = need(i + 1, len);
		if (r)
			return r;
		b = code[i];
		if (b == 0x66 || b == 0xf2 || b == 0xf3) {
			if (mand && mand != b)
				return -EINVAL;
			mand = b;
		} else if (b == 0x67) {
			d.addr32 = true;
		} else if (is_seg(b)) {
			d.seg = b;	/* the last override wins, as on hardware */
		} else if (b == 0xf0) {
			return -EINVAL;	/* LOCK: #UD for all six */
		} else {
			break;
		}
	}
	if ((code[i] & 0xf0) == 0x40) {
		rex = code[i++];
		r = need(i + 1, len);
		if (r)
			return r;
	}
	/* REX must be the last prefix: anything else between REX and 0F is refused */
	if (code[i++] != 0x0f || !mand)
		return -EINVAL;
	r = need(i + 1, len);
	if (r)
		return r;
	op = code[i++];
	if (op == 0x38) {
		r = need(i + 1, len);
		if (r)
			return r;
		if (code[i++] != 0xf8)
			return -EINVAL;
		d.insn = mand == 0xf2 ? X86_ENQCMD : mand == 0xf3 ? X86_ENQCMDS : X86_MOVDIR64B;
	} else if (op == 0xae) {
		d.insn = mand == 0xf3 ? X86_UMONITOR : mand == 0xf2 ? X86_UMWAIT : X86_TPAUSE;
	} else {
		return -EINVAL;
	}
	r = need(i + 1, len);
	if (r)
		return r;
	modrm = code[i];
	if (op == 0x38) {
		/* mod 11 has no memory source: #UD */
		if (modrm >> 6 == 3)
			return -EINVAL;
		d.reg = ((modrm >> 3) & 7) | (rex & REX_R ? 8 : 0);
		d.mem.addr32 = d.addr32;
		r = decode_mem(code, len, i, rex, &d, &end);
		if (r)
			return r;
	} else {
		/* /6 with mod 11 only: other forms are CLWB, CLRSSBSY, xxFSBASE, ... */
		if (modrm >> 6 != 3 || ((modrm >> 3) & 7) != 6)
			return -EINVAL;
		d.reg = (modrm & 7) | (rex & REX_B ? 8 : 0);
		d.mem = (struct x86_operand){ .base = X86_REG_NONE, .index = X86_REG_NONE,
					      .scale = 1, .addr32 = d.addr32 };
		end = i + 1;
	}
	d.len = (unsigned int)end;
	*ret = d;
	return 0;
}

uint64_t x86_effective_addr(const struct x86_decoded *d, const uint64_t gpr[16],
			    uint64_t next_rip)
{
	uint64_t ea = (uint64_t)(int64_t)d->mem.disp;

	if (d->mem.rip_relative)
		ea += next_rip;
	else if (d->mem.base >= 0 && d->mem.base < 16)
		ea += gpr[d->mem.base];
	if (d->mem.index >= 0 && d->mem.index < 16)
		ea += gpr[d->mem.index] * d->mem.scale;
	/* 32-bit address size: the sum wraps modulo 2^32 and is zero-extended */
	if (d->addr32)
		ea &= 0xffffffffull;
	return ea;
}

uint64_t x86_reg_addr(const struct x86_decoded *d, const uint64_t gpr[16])
{
	uint64_t v = gpr[d->reg & 15];

	if (d->addr32 || d->insn == X86_UMWAIT || d->insn == X86_TPAUSE)
		v &= 0xffffffffull;
	return v;
}
