/* SPDX-License-Identifier: MIT */
/*
 * What the unmodified DSA programs of tests/preload (and their runs under
 * svarun) write for themselves, as programs for Linux idxd do: they link
 * nothing of sva.
 */
#ifndef SVA_TEST_DSA_PROG_H
#define SVA_TEST_DSA_PROG_H

#include <immintrin.h>
#include <linux/idxd.h>
#include <time.h>

/* Poll a completion record: its status, or -1 after 5 s without one. */
static inline int wait_record(volatile struct dsa_completion_record *cr)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (cr->status == 0) {
		_mm_pause();
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return -1;
	}
	return cr->status;
}

#endif /* SVA_TEST_DSA_PROG_H */
