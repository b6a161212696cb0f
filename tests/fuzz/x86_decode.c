/* SPDX-License-Identifier: MIT */
/*
 * Description: libFuzzer target for x86_decode() (system.md §5, CMP-9). Any
 * input: no crash; a claimed decode is at most 15 bytes and within the
 * input, its bytes after the legacy prefixes and REX are 0F 38 F8 with a
 * non-11 ModRM or 0F AE with ModRM 11 110 rrr, under the mandatory prefix of
 * the claimed instruction and without LOCK; every strict prefix of it is
 * -ENODATA; and its canonical re-encoding (segment, 67h, mandatory prefix,
 * minimal REX, opcode, ModRM, SIB, shortest disp) decodes to the same
 * operands, with the same effective and register addresses.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "cpu/cpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) T_FUZZ_FAIL(__VA_ARGS__)

static const uint8_t mand_of[] = {
	[X86_ENQCMD] = 0xf2, [X86_ENQCMDS] = 0xf3, [X86_MOVDIR64B] = 0x66,
	[X86_UMONITOR] = 0xf3, [X86_UMWAIT] = 0xf2, [X86_TPAUSE] = 0x66,
};

static size_t reencode(const struct x86_decoded *d, uint8_t *out)
{
	const struct x86_operand *m = &d->mem;
	bool waitpkg = d->insn >= X86_UMONITOR;
	unsigned int rex = 0, mod, rm;
	size_t n = 0, rexat;
	int32_t disp = m->disp;

	if (d->seg)
		out[n++] = (uint8_t)d->seg;
	if (d->addr32)
		out[n++] = 0x67;
	out[n++] = mand_of[d->insn];
	rexat = n++;
	out[n++] = 0x0f;
	if (waitpkg) {
		out[n++] = 0xae;
		rex |= d->reg & 8 ? 1 : 0;
		out[n++] = (uint8_t)(0xf0 | (d->reg & 7));
		goto done;
	}
	out[n++] = 0x38;
	out[n++] = 0xf8;
	rex |= d->reg & 8 ? 4 : 0;
	if (m->rip_relative) {
		out[n++] = (uint8_t)(((d->reg & 7) << 3) | 5);
		memcpy(out + n, &disp, 4);
		n += 4;
		goto done;
	}
	if (m->base < 0)
		mod = 0;	/* SIB base 101: disp32, no base */
	else if (disp == 0 && (m->base & 7) != 5)
		mod = 0;
	else
		mod = disp == (int8_t)disp ? 1 : 2;
	if (m->index >= 0 || m->base < 0 || (m->base & 7) == 4) {
		unsigned int ss = m->scale == 8 ? 3 : m->scale / 2;
		unsigned int idx = m->index >= 0 ? (unsigned int)m->index : 4;
		unsigned int base = m->base >= 0 ? (unsigned int)m->base : 5;

		rex |= (idx & 8 ? 2 : 0) | (base & 8 ? 1 : 0);
		out[n++] = (uint8_t)(mod << 6 | (d->reg & 7) << 3 | 4);
		out[n++] = (uint8_t)(ss << 6 | (idx & 7) << 3 | (base & 7));
	} else {
		rm = (unsigned int)m->base;
		rex |= rm & 8 ? 1 : 0;
		out[n++] = (uint8_t)(mod << 6 | (d->reg & 7) << 3 | (rm & 7));
	}
	if (mod == 1) {
		out[n++] = (uint8_t)disp;
	} else if (mod == 2 || m->base < 0) {
		memcpy(out + n, &disp, 4);
		n += 4;
	}
done:
	if (rex) {
		out[rexat] = (uint8_t)(0x40 | rex);
	} else {
		memmove(out + rexat, out + rexat + 1, n - rexat - 1);
		n--;
	}
	return n;
}

static void check_shape(const uint8_t *c, const struct x86_decoded *d)
{
	size_t p = 0;
	unsigned int mand = 0;

	for (; p < d->len; p++) {
		uint8_t b = c[p];

		if (b == 0xf0)
			FAIL("LOCK accepted");
		if (b == 0x66 || b == 0xf2 || b == 0xf3) {
			if (mand && mand != b)
				FAIL("conflicting mandatory prefixes accepted");
			mand = b;
		} else if (b != 0x67 && b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e &&
			   b != 0x64 && b != 0x65) {
			break;
		}
	}
	if (p < d->len && (c[p] & 0xf0) == 0x40)
		p++;
	if (d->insn < X86_ENQCMD || d->insn > X86_TPAUSE || mand != mand_of[d->insn])
		FAIL("insn %d under prefix %#x", d->insn, mand);
	if (d->insn <= X86_MOVDIR64B) {
		if (p + 4 > d->len || c[p] != 0x0f || c[p + 1] != 0x38 || c[p + 2] != 0xf8 ||
		    c[p + 3] >> 6 == 3)
			FAIL("claimed 0F 38 F8 on other bytes");
	} else if (p + 3 != d->len || c[p] != 0x0f || c[p + 1] != 0xae ||
		   (c[p + 2] & 0xf8) != 0xf0) {
		FAIL("claimed 0F AE /6 on other bytes");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x86_decoded d, e;
	uint8_t enc[32];
	uint64_t gpr[16];
	size_t n;
	int r = x86_decode(data, size, &d);

	if (r == -EINVAL || r == -ENODATA)
		return 0;
	if (r)
		FAIL("unexpected return %d", r);
	if (d.len == 0 || d.len > X86_MAX_LEN || d.len > size)
		FAIL("length %u of %zu", d.len, size);
	check_shape(data, &d);
	for (size_t k = 0; k < d.len; k++)
		if (x86_decode(data, k, &e) != -ENODATA)
			FAIL("prefix of %zu bytes is not -ENODATA", k);
	n = reencode(&d, enc);
	r = x86_decode(enc, n, &e);
	if (r || e.len != n)
		FAIL("re-encoding does not decode: %d len %u of %zu", r, e.len, n);
	if (e.insn != d.insn || e.reg != d.reg || e.mem.base != d.mem.base ||
	    e.mem.index != d.mem.index || e.mem.scale != d.mem.scale || e.mem.disp != d.mem.disp ||
	    e.mem.rip_relative != d.mem.rip_relative || e.addr32 != d.addr32 || e.seg != d.seg)
		FAIL("re-encoding decodes to other operands");
	for (int i = 0; i < 16; i++)
		gpr[i] = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1 + size);
	if (x86_effective_addr(&d, gpr, 0x1234) != x86_effective_addr(&e, gpr, 0x1234) ||
	    x86_reg_addr(&d, gpr) != x86_reg_addr(&e, gpr))
		FAIL("addresses differ on the re-encoding");
	return 0;
}
