/* SPDX-License-Identifier: MIT */
/*
 * Description: x86_decode() of ENQCMD/ENQCMDS/MOVDIR64B/UMONITOR/UMWAIT/TPAUSE
 * (system.md §5, compat CMP-9). Every entry of the assembler-generated table
 * (scripts/gen-x86-table.sh) must decode to the assembler's length and the
 * source form's operands, in every prefix order, with REX.W or an empty REX
 * added, with a repeated prefix; every strict prefix of it is -ENODATA; LOCK,
 * a second mandatory prefix, REX before a legacy prefix and more than 15
 * bytes are -EINVAL, as are mod 11 (38 F8), mod != 11 or /r != 6 (AE) and
 * every other 0F / 0F 38 opcode. Effective addresses: base + index * scale +
 * disp, RIP/EIP-relative, 67h truncation.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "cpu/cpu.h"
#include "x86_decode_table.h"

static const uint64_t gpr[16] = {
	0x1111111111111111, 0x2222222222222220, 0x00000000fffffff0, 0x8000000000000001,
	0x7ffffffffffffff8, 0xffffffff00000100, 0x0123456789abcdef, 0xfedcba9876543210,
	0x0000000000001000, 0xffffffffffffffff, 0x00000000deadbeef, 0x4000000000000000,
	0x00000000000000c0, 0xcccccccc33333333, 0x0000000100000001, 0x00007fffffffe000,
};

static bool is_legacy(uint8_t b)
{
	return b == 0x66 || b == 0xf2 || b == 0xf3 || b == 0x67 || b == 0x26 || b == 0x2e ||
	       b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

/* Expected operands of entry e against decode d; where says which variant. */
static void check_entry(const struct x86_table_entry *e, const uint8_t *code, size_t len,
			unsigned int seg, const char *where)
{
	struct x86_decoded d;
	int r = x86_decode(code, len, &d);
	uint64_t ea, want;

	T_CHECK(r == 0, "%s [%s]: %d", e->text, where, r);
	if (r)
		return;
	T_CHECK(d.insn == e->insn && d.len == len && d.reg == (unsigned int)e->reg &&
			d.mem.base == e->base && d.mem.index == e->index &&
			d.mem.scale == e->scale && d.mem.disp == e->disp &&
			d.mem.rip_relative == e->rip && d.addr32 == e->addr32 &&
			d.mem.addr32 == e->addr32 && d.seg == seg,
		"%s [%s]: insn %d len %u reg %u base %d index %d scale %u disp %d rip %d a32 %d seg %#x",
		e->text, where, d.insn, d.len, d.reg, d.mem.base, d.mem.index, d.mem.scale,
		d.mem.disp, d.mem.rip_relative, d.addr32, d.seg);
	/* independent effective-address formula over the expected fields */
	want = (uint64_t)(int64_t)e->disp + (e->base == 16 ? 0x7fff00001000ull :
					     e->base >= 0 ? gpr[e->base] : 0);
	if (e->index >= 0)
		want += gpr[e->index] << (e->scale == 8 ? 3 : e->scale / 2);
	if (e->addr32)
		want = (uint32_t)want;
	ea = x86_effective_addr(&d, gpr, 0x7fff00001000ull);
	if (e->base != -1 || e->index != -1 || e->insn <= X86_MOVDIR64B)
		T_EQ(ea, want);
	T_EQ(x86_reg_addr(&d, gpr), e->addr32 || e->insn == X86_UMWAIT || e->insn == X86_TPAUSE ?
					    (uint32_t)gpr[e->reg] : gpr[e->reg]);
}

static int decode(const uint8_t *code, size_t len)
{
	struct x86_decoded d = { .len = 0xdead };
	int r = x86_decode(code, len, &d);

	if (r)
		T_CHECK(d.len == 0xdead, "ret clobbered on failure");
	return r;
}

static void test_table(void)
{
	for (size_t n = 0; n < sizeof(x86_table) / sizeof(x86_table[0]); n++) {
		const struct x86_table_entry *e = &x86_table[n];
		uint8_t buf[32], v[32];
		size_t np = 0, len = e->len, rex;
		unsigned int mand = 0;

		while (np < len && is_legacy(e->bytes[np])) {
			if (e->bytes[np] == 0x66 || e->bytes[np] == 0xf2 || e->bytes[np] == 0xf3)
				mand = e->bytes[np];
			np++;
		}
		rex = (e->bytes[np] & 0xf0) == 0x40;
		check_entry(e, e->bytes, len, e->seg, "as");
		/* trailing bytes are not consumed */
		memcpy(buf, e->bytes, len);
		memset(buf + len, 0x0f, sizeof(buf) - len);
		check_entry(e, buf, len, e->seg, "tail");
		{
			struct x86_decoded d;

			T_CHECK(x86_decode(buf, sizeof(buf), &d) == 0 && d.len == len, "%s long",
				e->text);
		}
		for (size_t k = 0; k < len; k++)
			T_CHECK(decode(e->bytes, k) == -ENODATA, "%s truncated to %zu", e->text, k);
		/* prefixes reversed */
		for (size_t k = 0; k < np; k++)
			v[k] = e->bytes[np - 1 - k];
		memcpy(v + np, e->bytes + np, len - np);
		check_entry(e, v, len, e->seg, "reversed");
		/* REX.W set (ignored), or empty REX / REX.W added */
		memcpy(v, e->bytes, len);
		if (rex) {
			v[np] |= 0x08;
			check_entry(e, v, len, e->seg, "rex.w");
		} else {
			for (unsigned int w = 0x40; w <= 0x48; w += 8) {
				memcpy(v, e->bytes, np);
				v[np] = (uint8_t)w;
				memcpy(v + np + 1, e->bytes + np, len - np);
				if (len + 1 <= X86_MAX_LEN)
					check_entry(e, v, len + 1, e->seg, "+rex");
				else
					T_EQ(decode(v, len + 1), -EINVAL);
			}
		}
		/* repeated mandatory prefix in front; a DS override in front is superseded */
		v[0] = (uint8_t)mand;
		memcpy(v + 1, e->bytes, len);
		if (len < X86_MAX_LEN)
			check_entry(e, v, len + 1, e->seg, "repeat");
		v[0] = 0x3e;
		if (len < X86_MAX_LEN)
			check_entry(e, v, len + 1, e->seg ? e->seg : 0x3e, "seg");
		/* pad with overrides to 15 (valid) and 16 bytes (-EINVAL even if truncated) */
		memset(v, 0x2e, 16);
		memcpy(v + 16 - len, e->bytes, len);
		check_entry(e, v + 1, 15, e->seg ? e->seg : 0x2e, "15 bytes");
		T_EQ(decode(v, 16), -EINVAL);
		T_EQ(decode(v, 15), -EINVAL);
		/* LOCK, a conflicting mandatory prefix, REX before a legacy prefix */
		for (size_t at = 0; at <= np; at++) {
			static const uint8_t bad[] = { 0xf0, 0x66, 0xf2, 0xf3 };

			for (size_t b = 0; b < sizeof(bad); b++) {
				if (bad[b] == mand)
					continue;
				memcpy(v, e->bytes, at);
				v[at] = bad[b];
				memcpy(v + at + 1, e->bytes + at, len - at);
				T_CHECK(decode(v, len + 1) == -EINVAL, "%s + %#x at %zu", e->text,
					bad[b], at);
			}
		}
		if (rex && np) {
			memcpy(v, e->bytes, len);
			v[np - 1] = e->bytes[np];
			v[np] = e->bytes[np - 1];
			T_CHECK(decode(v, len) == -EINVAL, "%s REX swapped", e->text);
		}
	}
}

static void test_invalid(void)
{
	static const uint8_t mands[] = { 0x66, 0xf2, 0xf3 };
	uint8_t c[16] = { 0 };

	/* mod 11 for 0F 38 F8, every reg/rm and REX */
	for (size_t m = 0; m < 3; m++)
		for (unsigned int rex = 0x3f; rex <= 0x4f; rex++)
			for (unsigned int rr = 0; rr < 64; rr++) {
				size_t n = 0;

				c[n++] = mands[m];
				if (rex >= 0x40)
					c[n++] = (uint8_t)rex;
				c[n++] = 0x0f;
				c[n++] = 0x38;
				c[n++] = 0xf8;
				c[n++] = (uint8_t)(0xc0 | rr);
				memset(c + n, 0, sizeof(c) - n);
				T_EQ(decode(c, sizeof(c)), -EINVAL);
				/* 0F AE: only /6 with mod 11 */
				c[n - 3] = 0xae;
				for (unsigned int mod = 0; mod < 4; mod++) {
					c[n - 2] = (uint8_t)(mod << 6 | rr);
					if (mod == 3 && (rr >> 3) == 6)
						T_EQ(decode(c, n - 1), 0);
					else
						T_EQ(decode(c, sizeof(c)), -EINVAL);
				}
			}
	/* no mandatory prefix: 0F 38 F8 (#UD) and 0F AE F0 (MFENCE) */
	T_EQ(decode((const uint8_t[]){ 0x0f, 0x38, 0xf8, 0x00 }, 4), -EINVAL);
	T_EQ(decode((const uint8_t[]){ 0x0f, 0xae, 0xf0 }, 3), -EINVAL);
	T_EQ(decode((const uint8_t[]){ 0x48, 0x0f, 0x38, 0xf8, 0x00 }, 5), -EINVAL);
	/* two REX prefixes; REX before the mandatory prefix */
	T_EQ(decode((const uint8_t[]){ 0xf2, 0x40, 0x48, 0x0f, 0x38, 0xf8, 0x00 }, 7), -EINVAL);
	T_EQ(decode((const uint8_t[]){ 0x48, 0xf2, 0x0f, 0x38, 0xf8, 0x00 }, 6), -EINVAL);
	/* every other opcode after each mandatory prefix */
	for (size_t m = 0; m < 3; m++)
		for (unsigned int op = 0; op < 256; op++) {
			uint8_t a[8] = { mands[m], 0x0f, (uint8_t)op, 0xf8, 0x00, 0, 0, 0 };
			uint8_t b[8] = { mands[m], 0x0f, 0x38, (uint8_t)op, 0x00, 0, 0, 0 };
			uint8_t f[8] = { mands[m], (uint8_t)op, 0x38, 0xf8, 0x00, 0, 0, 0 };

			if (op != 0x38 && op != 0xae)
				T_EQ(decode(a, sizeof(a)), -EINVAL);
			if (op != 0xf8)
				T_EQ(decode(b, sizeof(b)), -EINVAL);
			if (op != 0x0f && !is_legacy((uint8_t)op) && (op & 0xf0) != 0x40 &&
			    op != 0xf0)
				T_EQ(decode(f, sizeof(f)), -EINVAL);
		}
	/* pseudo-random buffers never decode unless they have our shape */
	for (int i = 0; i < 200000; i++) {
		struct x86_decoded d;
		uint64_t x = t_rand(), y = t_rand();

		memcpy(c, &x, 8);
		memcpy(c + 8, &y, 8);
		if (x86_decode(c, 15, &d) == 0) {
			size_t p = 0;

			while (is_legacy(c[p]))
				p++;
			p += (c[p] & 0xf0) == 0x40;
			T_CHECK(c[p] == 0x0f && (c[p + 1] == 0xae || c[p + 1] == 0x38), "random");
		}
	}
	T_EQ(decode(NULL, 4), -EINVAL);
	T_EQ(decode(c, 0), -ENODATA);
}

static void test_effective_addr(void)
{
	struct x86_decoded d;
	uint64_t r[16] = { 0 };

	/* 67h: 32-bit base + index * scale + disp wraps and is zero-extended */
	r[0] = 0xfffffffffffffff0ull;
	r[3] = 0x80000000ull;
	T_EQ(x86_decode((const uint8_t[]){ 0x67, 0xf2, 0x0f, 0x38, 0xf8, 0x4c, 0x58, 0x20 }, 8, &d),
	     0);
	T_EQ(x86_effective_addr(&d, r, 0), 0x10ull + 0x100000000ull * 0);
	r[1] = 0xaaaaaaaa00000040ull;
	T_EQ(x86_reg_addr(&d, r), 0x40);
	/* same without 67h: 64-bit arithmetic */
	T_EQ(x86_decode((const uint8_t[]){ 0xf2, 0x0f, 0x38, 0xf8, 0x4c, 0x58, 0x20 }, 7, &d), 0);
	T_EQ(x86_effective_addr(&d, r, 0), 0x100000010ull);
	T_EQ(x86_reg_addr(&d, r), 0xaaaaaaaa00000040ull);
	/* RIP-relative with a negative disp32; EIP-relative wraps at 4 GiB */
	T_EQ(x86_decode((const uint8_t[]){ 0x66, 0x0f, 0x38, 0xf8, 0x05, 0xf0, 0xff, 0xff, 0xff },
			9, &d), 0);
	T_EQ(x86_effective_addr(&d, r, 0x400009), 0x3ffff9);
	T_EQ(x86_decode((const uint8_t[]){ 0x67, 0x66, 0x0f, 0x38, 0xf8, 0x05, 0x20, 0, 0, 0 },
			10, &d), 0);
	T_EQ(x86_effective_addr(&d, r, 0xfffffff0ull), 0x10);
	/* disp32 without base or index is absolute (sign-extended) */
	T_EQ(x86_decode((const uint8_t[]){ 0xf3, 0x0f, 0x38, 0xf8, 0x04, 0x25, 0, 0, 0, 0x80 },
			10, &d), 0);
	T_EQ(x86_effective_addr(&d, r, 0x1000), 0xffffffff80000000ull);
}

int main(void)
{
	t_seed(0x86);
	test_table();
	test_invalid();
	test_effective_addr();
	return t_done("unit/x86_decode");
}
