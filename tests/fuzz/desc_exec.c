/* SPDX-License-Identifier: MIT */
/*
 * Description: libFuzzer target for descriptor decoding and execution
 * (dsa-device.md §5-§9, §12). Every input runs one descriptor, possibly a
 * batch, through dsa_exec_desc() and must come back with a defined outcome:
 * a §12 status (0x80 only on page faults), a record written exactly when the
 * routing rules say so, errors that cannot reach a record in SWERROR, and no
 * byte changed outside the sandbox.
 *
 * Input: 8 header bytes, then 64-byte descriptors (short inputs are padded
 * with zeros). The first descriptor is submitted; the others fill the batch
 * list area, cycled over all its 1024 slots.
 *   [0] GENCAP bits: 0 no overlap copy, 1 no CC (memory), 2 CC (cache),
 *       3 no destination readback; OPCAP: bit 4 drops opcode [4] % 64
 *   [1] 0 shared WQ, 1 WQ BOF, 2 Priv submitter, 3 user_int_en, 4 PASID
 *       privileged mode, 5 ats_disable
 *   [2] WQ max_xfer = 2^([2] % 32), [3] max_batch = 2^([3] % 11)
 *   [5..7] seed of the arena contents
 * Address fields are remapped by their top nibble: 0x0-0xb into the data
 * arena (list area for desc_list_addr), guard pages included; 0xc page 0;
 * 0xd kernel half; 0xe non-canonical; 0xf the last page before 2^64. Sizes
 * are clamped so that no buffer reaches past the guard page behind its
 * arena (the device may legitimately touch any mapped page of the process),
 * unless they exceed the WQ maximum and are refused at step 8 anyway.
 *
 * Sandbox: [canary][guard][data arena, one read-only and one PROT_NONE
 * page][guard][canary], the same around the list area. Canaries and the list
 * area (which no remapped address can make the device write) are compared
 * after every input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define PG		4096ull
#define NPAGES		16			/* usable pages per arena */
#define AREA		(NPAGES * PG)
#define RO_PAGE		5
#define NONE_PAGE	10
#define CANARY		0xa5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct t_dev dev;
static uint8_t *arena[2];	/* 0: data, 1: batch list; usable part */
static uint8_t list_copy[AREA];
static uint8_t canary_ref[PG];

static void die(const char *why, const struct dsa_hw_desc *d, const struct dsa_result *r)
{
	const uint8_t *b = (const uint8_t *)d;

	fprintf(stderr, "desc_exec: %s: status 0x%02x record_written %d swerr x%u 0x%02x\n", why,
		r->status, r->record_written, r->swerr_count, r->swerr.error);
	for (int i = 0; i < 64; i++)
		fprintf(stderr, "%02x%s", b[i], i % 16 == 15 ? "\n" : " ");
	abort();
}

static uint8_t *map_arena(void)
{
	uint8_t *p = mmap(NULL, AREA + 4 * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	memset(p, CANARY, AREA + 4 * PG);
	mprotect(p + PG, PG, PROT_NONE);
	mprotect(p + AREA + 2 * PG, PG, PROT_NONE);
	return p + 2 * PG;
}

static void setup(void)
{
	t_dev_init(&dev);
	arena[0] = map_arena();
	arena[1] = map_arena();
	mprotect(arena[0] + RO_PAGE * PG, PG, PROT_READ);
	mprotect(arena[0] + NONE_PAGE * PG, PG, PROT_NONE);
	memset(canary_ref, CANARY, PG);
}

static bool page_ok(uint64_t a)
{
	uint64_t base = (uint64_t)(uintptr_t)arena[0];

	return a >= base && a < base + AREA && (a - base) / PG != RO_PAGE &&
	       (a - base) / PG != NONE_PAGE;
}

static uint64_t remap(uint64_t v, int which)
{
	switch (v >> 60) {
	case 0xc:
		return v & 0xfff;
	case 0xd:	/* kernel half, far enough below 2^64 not to wrap */
		return 0xffff800000000000ull + (v & 0x7ffeffffffffull);
	case 0xe:
		return 0x8000000000000000ull | (v & 0x0fffffffffffffffull);
	case 0xf:
		return 0xfffffffffffff000ull | (v & 0xfff);
	default:
		return (uint64_t)(uintptr_t)(arena[which] - PG) + (v & 0xffffffff) % (AREA + 2 * PG);
	}
}

/* Bytes from a to the end of the harmless space around it. */
static uint64_t room(uint64_t a)
{
	uint64_t base = (uint64_t)(uintptr_t)arena[0];

	if (a >= base - PG && a < base + AREA + PG)
		return base + AREA + PG - a;	/* up to the end of the trailing guard */
	if (a < PG)
		return PG - a;
	if (a >= 0xfffffffffffff000ull)	/* wrap, but stay inside page 0 */
		return (0 - a) + PG - 64;
	return UINT64_MAX;
}

/* Remap a descriptor's address fields and clamp its size (see the header). */
static void sanitize(struct dsa_hw_desc *d)
{
	uint8_t *b = (uint8_t *)d;
	uint64_t lim = UINT64_MAX, a;
	unsigned int op = d->opcode;

	d->completion_addr = remap(d->completion_addr, 0);
	if (op == DSA_OPCODE_BATCH) {
		d->desc_list_addr = remap(d->desc_list_addr, 1);
		return;
	}
	if (op != DSA_OPCODE_MEMFILL) {		/* else the pattern */
		d->src_addr = remap(d->src_addr, 0);
		lim = room(d->src_addr);
	}
	if (op != DSA_OPCODE_COMPVAL) {		/* else the pattern */
		d->dst_addr = remap(d->dst_addr, 0);
		lim = room(d->dst_addr) < lim ? room(d->dst_addr) : lim;
	}
	if (op == DSA_OPCODE_DUALCAST || op == DSA_OPCODE_CR_DELTA ||
	    op == DSA_OPCODE_CRCGEN || op == DSA_OPCODE_COPY_CRC) {
		int at = op >= DSA_OPCODE_CRCGEN ? 48 : 40;	/* seed_addr, dest2, delta_addr */

		memcpy(&a, b + at, 8);
		a = remap(a, 0);
		memcpy(b + at, &a, 8);
		lim = op == DSA_OPCODE_DUALCAST && room(a) < lim ? room(a) : lim;
	}
	if (op != DSA_OPCODE_NOOP && op != DSA_OPCODE_DRAIN && d->xfer_size <= dev.wq.max_xfer &&
	    d->xfer_size > lim)
		d->xfer_size = (uint32_t)lim;
}

static bool valid_status(uint8_t st)
{
	uint8_t code = st & 0x7f;

	if (st & 0x80)	/* the write bit belongs to page faults only */
		return code == DSA_COMP_PAGE_FAULT_NOBOF || code == DSA_COMP_PAGE_FAULT_IR;
	return (code >= DSA_COMP_SUCCESS && code <= DSA_COMP_DIF_ERR) ||
	       (code >= DSA_COMP_BAD_OPCODE && code <= DSA_COMP_TRANSLATION_FAIL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	uint8_t in[8 + 64] = { 0 }, *p, code;
	struct dsa_hw_desc d, m;
	struct dsa_result r;
	uint64_t x, cra;
	size_t nmem = size > sizeof(in) ? (size - sizeof(in)) / 64 : 0;
	bool priv, want, to_swerr;

	if (!ready) {
		setup();
		ready = true;
	}
	memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
	dsa_caps_default(&dev.caps);
	dsa_wq_attr_default(&dev.wq);
	dev.caps.gencap &= ~((in[0] & 1 ? GENCAP_OVERLAP_COPY : 0) | (in[0] & 2 ? GENCAP_CC_MEM : 0) |
			     (in[0] & 8 ? GENCAP_DEST_READBACK : 0));
	dev.caps.gencap |= in[0] & 4 ? GENCAP_CC_CACHE : 0;
	if (in[0] & 16)
		dev.caps.opcap[0] &= ~(1ull << (in[4] % 64));
	dev.caps.user_int_en = in[1] & 8;
	dev.caps.pasid_priv = in[1] & 16;
	dev.wq.shared = in[1] & 1;
	dev.wq.bof = in[1] & 2;
	dev.wq.ats_disable = in[1] & 32;
	dev.wq.max_xfer = 1ull << (in[2] % 32);
	dev.wq.max_batch = 1u << (in[3] % 11);
	priv = in[1] & 4;

	/* Arena contents: xorshift from the seed bytes; read-only page untouched. */
	x = (in[5] | in[6] << 8 | (uint64_t)in[7] << 16) * 0x9e3779b97f4a7c15ull | 1;
	for (uint64_t o = 0; o < AREA; o += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (o / PG != RO_PAGE && o / PG != NONE_PAGE)
			memcpy(arena[0] + o, &x, 8);
	}
	for (unsigned int i = 0; i < AREA / 64; i++) {	/* the list area, every slot sane */
		memset(&m, 0, sizeof(m));
		if (nmem)
			memcpy(&m, data + sizeof(in) + (i % nmem) * 64, 64);
		sanitize(&m);
		memcpy(arena[1] + i * 64, &m, 64);
	}
	memcpy(list_copy, arena[1], AREA);
	memcpy(&d, in + 8, 64);
	sanitize(&d);

	if (dsa_exec_desc(&dev.caps, &dev.wq, dev.as, dev.pasid, priv, &d, &r))
		die("dsa_exec_desc failed", &d, &r);

	/* A defined status, also for whatever reached SWERROR. */
	if (!valid_status(r.status))
		die("status outside §12", &d, &r);
	if (r.swerr_count && (!r.swerr.valid || !valid_status(r.swerr.error)))
		die("SWERROR code outside §12", &d, &r);
	/* Routing (§5.1, §8). */
	code = r.status & 0x7f;
	cra = d.completion_addr;
	to_swerr = code == DSA_COMP_CRA_ALIGN || code == DSA_COMP_PRIV_BAD ||
		   (!(d.flags & IDXD_OP_FLAG_CRAV) && code != DSA_COMP_SUCCESS &&
		    code != DSA_COMP_SUCCESS_PRED && code != DSA_COMP_BATCH_FAIL);
	want = !to_swerr && (d.flags & IDXD_OP_FLAG_CRAV) &&
	       ((d.flags & IDXD_OP_FLAG_RCR) || (code != DSA_COMP_SUCCESS &&
						  code != DSA_COMP_SUCCESS_PRED &&
						  code != DSA_COMP_BATCH_FAIL));
	if (to_swerr && !r.swerr_count)
		die("error not reported to SWERROR", &d, &r);
	if (want && page_ok(cra) && (!r.record_written || *(uint8_t *)(uintptr_t)cra != r.status))
		die("record missing or with another status", &d, &r);
	if (want && !page_ok(cra) && (!r.swerr_count || r.swerr.error == 0))
		die("unwritable record not reported (0x1a)", &d, &r);
	if (!want && d.opcode != DSA_OPCODE_BATCH && r.record_written)
		die("record written against the routing rules", &d, &r);
	/* Nothing outside the data arena changed. */
	for (int i = 0; i < 2; i++) {
		p = arena[i];
		if (memcmp(p - 2 * PG, canary_ref, PG) || memcmp(p + AREA + PG, canary_ref, PG))
			die("canary page changed", &d, &r);
	}
	if (memcmp(arena[1], list_copy, AREA))
		die("batch list area changed", &d, &r);
	return 0;
}
