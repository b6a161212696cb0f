/* SPDX-License-Identifier: MIT */
/*
 * Client-assisted execution: the job page shared by svad and one client
 * process (the last page of a portal ring memfd, ring.h). When an svad
 * engine executes a validated MEMMOVE or MEMFILL for a remote address space
 * whose buffers are all resident and accessible now, it may publish the job
 * here instead of copying through /proc/PID/mem; a client thread waiting in
 * sva_wait() on that record claims it, executes it in its own address space,
 * writes the record (status last), and reports done. svad keeps everything
 * a device does (admission, validation, counters, ordering); only the bytes
 * move on the client's CPU. docs/DECISIONS.md "Client-assisted execution".
 *
 * A job's word is seq << 4 | state:
 *
 *   FREE -(svad CAS)-> WRITING -(svad, release)-> PUBLISHED
 *   PUBLISHED -(client CAS)-> CLAIMED -(client: bytes; CAS)-> EXECUTED
 *             -(client: record but its status, result; CAS, release)-> DONE
 *             -(client: the record's status)
 *   CLAIMED -(client: a fault; result, CAS)-> DONE       svad executes it again
 *   PUBLISHED -(svad CAS, nobody came)-> FREE            svad executes it
 *   CLAIMED -(svad CAS, client too slow or dead)-> FREE  svad executes it
 *   EXECUTED -(svad CAS, client too slow or dead)-> FREE svad writes the record
 *   DONE -(svad)-> FREE
 *
 * seq is svad's per-address-space job counter, so a late client can never
 * complete or claim a later job in the same slot. EXECUTED is the commit
 * point: before it svad may take the job back and copy again (the client
 * has written nothing the program can see yet: no record); after it svad
 * never copies again, since the program may already be reusing the buffers
 * once the client's record is written. The record's status is written
 * once, by the owner of the job at that moment: the client only after its
 * CAS to DONE, svad only after it took the job back. (A client that wrote
 * the status before DONE and was then preempted past svad's bound would
 * see svad's late second write land on its next use of the record.)
 *
 * Trust: the page is the client's; it may scribble anything at any time.
 * svad never reads back anything but the word and, in DONE, the status and
 * fault address, which it range-checks, and which can only describe the
 * client's own descriptor. Every svad wait is bounded. No pointers (STYLE
 * rule 13): addresses are the client's own, as in a descriptor.
 */
#ifndef SVA_CORE_ASSIST_H
#define SVA_CORE_ASSIST_H

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>

#define ASSIST_BYTES	4096u
#define ASSIST_JOBS	32u

enum assist_state {
	ASSIST_FREE = 0,
	ASSIST_WRITING,
	ASSIST_PUBLISHED,
	ASSIST_CLAIMED,
	ASSIST_DONE,
	ASSIST_EXECUTED,
};

/* What the client reports in DONE (res). */
enum assist_res {
	ASSIST_RES_RECORDED = 1,	/* executed, record written */
	ASSIST_RES_FAULT = 2,		/* a page vanished: fault_addr; svad writes the record */
	ASSIST_RES_NORECORD = 3,	/* executed, record write faulted: svad writes it */
};

struct assist_job {
	_Atomic uint64_t word;		/* seq << 4 | enum assist_state */
	_Atomic uint64_t key;		/* completion record address */
	_Atomic uint64_t src;		/* MEMMOVE source, MEMFILL pattern */
	_Atomic uint64_t dst;
	_Atomic uint32_t size;
	_Atomic uint32_t opcode;
	_Atomic uint32_t res;		/* enum assist_res, valid in DONE */
	uint32_t reserved;
	_Atomic uint64_t fault_addr;	/* ASSIST_RES_FAULT */
	uint8_t pad[8];
} __attribute__((aligned(64)));
static_assert(sizeof(struct assist_job) == 64, "assist job is shared ABI");

/*
 * A thread in sva_wait() on record key says so, with the time (CLOCK_MONOTONIC
 * ns), on every poll. svad offers a job only to a waiter seen spinning on
 * its record within ASSIST_FRESH_NS: an engine never waits for a client that
 * polls, sleeps or is not scheduled (a stale or made-up entry costs that
 * client one bounded claim wait).
 */
#define ASSIST_WAITERS	3
#define ASSIST_FRESH_NS	3000

struct assist_waiter {
	_Atomic uint64_t key;
	_Atomic uint64_t ns;
};

struct assist_area {
	_Atomic uint32_t executed;	/* jobs the client executed (its own count) */
	_Atomic uint32_t published;	/* jobs svad published (statistics) */
	struct assist_waiter waiter[ASSIST_WAITERS];
	uint8_t pad[8];
	struct assist_job job[ASSIST_JOBS];
	uint8_t tail[ASSIST_BYTES - 64 - ASSIST_JOBS * 64];
};
static_assert(sizeof(struct assist_area) == ASSIST_BYTES, "assist page is shared ABI");

#define ASSIST_STATE(w)	((uint32_t)((w) & 15u))
#define ASSIST_SEQ(w)	((w) >> 4)
#define ASSIST_WORD(seq, st) ((uint64_t)(seq) << 4 | (st))

#endif /* SVA_CORE_ASSIST_H */
