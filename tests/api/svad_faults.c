/* SPDX-License-Identifier: MIT */
/*
 * Description: page faults through svad behave as in-process (dsa-device.md
 * §9): a MEMMOVE whose source runs into an unmapped page completes
 * partially with 0x03 (BOF=0) and the exact bytes_completed and
 * fault_addr, or 0x04 with BOF=1; a read-only destination is 0x83 with
 * nothing written; a page dropped with MADV_DONTNEED faults with BOF=0
 * and is faulted in with BOF=1; resubmitting the remainder after touching
 * the page finishes the copy, as software recovery does.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "sva/sva.h"

#define PG 4096u

static struct dsa_completion_record cr __attribute__((aligned(32)));
static struct sva_portal *p;

static uint8_t run(void *dst, const void *src, uint32_t len, uint32_t flags)
{
	struct dsa_hw_desc d;
	int r;

	sva_prep_memmove(&d, dst, src, len, &cr, flags);
	while ((r = sva_enqcmd(p, &d)) == 1)
		;
	T_EQ(r, 0);
	T_EQ(sva_wait(&cr, 10ll * 1000000000), 0);
	return cr.status;
}

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	uint8_t *dst = t_map(4 * PG), *ro = t_map(PG), *dn = t_map(PG), *src;
	struct sva_device *dev = NULL;
	struct t_svad sv;

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	if (sva_device_connect(sv.socket, "dsa0", &dev) ||
	    sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p))
		T_FATAL("connect/open");
	/* Last: no later mapping may land in its guard page's hole. */
	src = t_map_guarded(3 * PG);
	t_fill_random(src, 3 * PG);

	/* Source runs into the guard page after 3 pages. */
	memset(dst, 0, 4 * PG);
	T_EQ(run(dst, src, 4 * PG, 0), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, 3 * PG);
	T_EQ(cr.fault_addr, (uint64_t)(uintptr_t)(src + 3 * PG));
	T_CHECK(!memcmp(dst, src, 3 * PG), "bytes before the fault not written");
	T_EQ(run(dst, src, 4 * PG, IDXD_OP_FLAG_BOF), DSA_COMP_PAGE_FAULT_IR);

	/* A read-only destination: a write fault, nothing written. */
	memset(ro, 0x5a, PG);
	T_EQ(mprotect(ro, PG, PROT_READ), 0);
	T_EQ(run(ro, src, PG, 0), DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
	T_EQ(cr.fault_addr, (uint64_t)(uintptr_t)ro);
	T_CHECK(ro[0] == 0x5a && ro[PG - 1] == 0x5a, "read-only page written");

	/* Not resident: BOF=0 faults, BOF=1 faults it in. */
	memcpy(dn, src, PG);
	T_EQ(madvise(dn, PG, MADV_DONTNEED), 0);
	T_EQ(run(dst, dn, PG, 0), DSA_COMP_PAGE_FAULT_NOBOF);
	T_EQ(cr.bytes_completed, 0);
	T_EQ(run(dst, dn, PG, IDXD_OP_FLAG_BOF), DSA_COMP_SUCCESS);
	T_CHECK(dst[0] == 0 && dst[PG - 1] == 0, "a dropped page reads as zeros");

	/* Recovery: touch the faulting page, resubmit the remainder. */
	T_EQ(madvise(dn, PG, MADV_DONTNEED), 0);
	memset(dst, 0xff, PG);
	T_EQ(run(dst, dn, PG, 0), DSA_COMP_PAGE_FAULT_NOBOF);
	dn[cr.fault_addr - (uint64_t)(uintptr_t)dn] = 7;	/* touch */
	T_EQ(run(dst + cr.bytes_completed, dn + cr.bytes_completed, PG - cr.bytes_completed, 0),
	     DSA_COMP_SUCCESS);
	T_EQ(dst[0], 7);

	sva_portal_close(p);
	sva_device_free(dev);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	return t_done("svad_faults");
}
