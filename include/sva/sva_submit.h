/* SPDX-License-Identifier: MIT */
/*
 * Completion polling, inline (STYLE.md rule 8). The device writes every
 * record field first and status last with release ordering (dsa-device.md
 * §8), so an acquire load that sees status != 0 sees the whole record.
 */
#ifndef SVA_SUBMIT_H
#define SVA_SUBMIT_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <linux/idxd.h>

#include "sva_barrier.h"

/*
 * Return the record's status (bits 6:0 plus the 0x80 write bit), or 0 while
 * the device has not written it. Pairs with the device's release store of
 * status after the other record bytes.
 */
static inline uint8_t sva_poll(const struct dsa_completion_record *cr)
{
	return sva_load_acquire((const uint8_t *)&cr->status);
}

static inline uint64_t sva__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * For sva_wait(): when an engine of this process executes a MEMMOVE or
 * MEMFILL of at least 32 KiB whose record is cr, and the part it left for a
 * waiter is unclaimed, execute that part on the calling thread and, once
 * the engine's part is done, write the record exactly as the device would
 * (or leave it to the engine). With a device hosted by svad, it also marks
 * the thread as waiting on cr in the portals' shared job pages and executes
 * a MEMMOVE/MEMFILL svad validated and offered for cr (client-assisted
 * execution, docs/DAEMON.md). budget_ns bounds the time spent here
 * (< 0: none; a part estimated to take longer is not claimed). Returns 1
 * when it executed something, 0 when there was nothing to take. Never
 * blocks on the device.
 */
#ifdef __cplusplus
extern "C"
#endif
int sva_wait_help(const struct dsa_completion_record *cr, int64_t budget_ns);

/*
 * Wait until the record is written or timeout_ns passes (< 0: forever).
 * While an engine executes a large copy or fill for cr, the waiting thread
 * takes part in it instead of idling (sva_wait_help). Spins with PAUSE for
 * about SVA_WAIT_SPIN_NS (a completion usually lands within microseconds),
 * then yields, then sleeps with a growing interval capped at 100 us so a
 * long operation does not burn a core. Returns 0 when the status is
 * non-zero (read it with sva_poll()), -ETIMEDOUT otherwise.
 */
#ifndef SVA_WAIT_SPIN_NS
#define SVA_WAIT_SPIN_NS 20000ull
#endif
static inline int sva_wait(const struct dsa_completion_record *cr, int64_t timeout_ns)
{
	uint64_t start = sva__now_ns(), now = start, sleep_ns = 1000;
	unsigned int i = 0;

	while (!sva_poll(cr)) {
		/* now is refreshed every 64 rounds: the budget errs by a few polls. */
		int64_t left = timeout_ns < 0 ? -1 : timeout_ns - (int64_t)(now - start);

		if (sva_wait_help(cr, left > 0 || timeout_ns < 0 ? left : 0))
			continue;
		if ((++i & 63) == 0) {
			now = sva__now_ns();
			if (timeout_ns >= 0 && now - start >= (uint64_t)timeout_ns)
				return -ETIMEDOUT;
			if (now - start > SVA_WAIT_SPIN_NS) {
				struct timespec ts = { 0, (long)sleep_ns };

				if (now - start < 4 * SVA_WAIT_SPIN_NS) {
					sched_yield();
				} else {
					nanosleep(&ts, NULL);
					if (sleep_ns < 100000)
						sleep_ns *= 2;
				}
			}
		}
		sva_cpu_relax();
	}
	return 0;
}

#endif /* SVA_SUBMIT_H */
