/* SPDX-License-Identifier: MIT */
/*
 * Description: an unmodified DSA user program, as written for Linux idxd:
 * it links nothing of sva, opens /dev/dsa/wq0.0 (shared) and wq0.1
 * (dedicated), mmaps one page of each, and submits with the _enqcmd() and
 * _movdir64b() intrinsics, polling its completion records itself. Run under
 * LD_PRELOAD=libsva-trap.so it must get every copy right: four threads on
 * the shared WQ with retry, one owner on the dedicated WQ that never has
 * more descriptors in flight than the WQ size, and -EBUSY for a second
 * opener of the dedicated WQ.
 *
 * Build: cc -menqcmd -mmovdir64b -pthread dsa_user.c
 */
#include <errno.h>
#include <fcntl.h>
#include <immintrin.h>
#include <linux/idxd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dsa_prog.h"

#define THREADS 4
#define PER_THREAD 2000
#define LEN 512

static void *swq_portal, *dwq_portal;
static int failures;

static void prep(struct dsa_hw_desc *d, struct dsa_completion_record *cr, void *dst,
		 const void *src)
{
	memset(d, 0, sizeof(*d));
	memset(cr, 0, sizeof(*cr));
	d->opcode = DSA_OPCODE_MEMMOVE;
	d->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	d->completion_addr = (uint64_t)(uintptr_t)cr;
	d->src_addr = (uint64_t)(uintptr_t)src;
	d->dst_addr = (uint64_t)(uintptr_t)dst;
	d->xfer_size = LEN;
}

static void *swq_thread(void *arg)
{
	static __thread struct dsa_hw_desc d __attribute__((aligned(64)));
	static __thread struct dsa_completion_record cr __attribute__((aligned(32)));
	unsigned char src[LEN], dst[LEN];
	uintptr_t t = (uintptr_t)arg;

	for (int i = 0; i < PER_THREAD; i++) {
		memset(src, (int)(t * 31 + i), LEN);
		memset(dst, 0, LEN);
		prep(&d, &cr, dst, src);
		_mm_sfence();
		while (_enqcmd(swq_portal, &d))
			_mm_pause();	/* ZF=1: Retry */
		if (wait_record(&cr) != DSA_COMP_SUCCESS || memcmp(src, dst, LEN)) {
			__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
			fprintf(stderr, "swq thread %lu: descriptor %d failed (status 0x%x)\n",
				(unsigned long)t, i, cr.status);
			break;
		}
	}
	return NULL;
}

static int dwq_run(int wq_size)
{
	enum { N = 1000, QD = 16 };
	static struct dsa_hw_desc d[QD] __attribute__((aligned(64)));
	static struct dsa_completion_record cr[QD] __attribute__((aligned(32)));
	static unsigned char src[QD][LEN], dst[QD][LEN];
	int qd = QD < wq_size ? QD : wq_size;

	for (int base = 0; base < N; base += qd) {
		for (int k = 0; k < qd; k++) {
			memset(src[k], base + k, LEN);
			memset(dst[k], 0, LEN);
			prep(&d[k], &cr[k], dst[k], src[k]);
			_mm_sfence();
			_movdir64b(dwq_portal, &d[k]);	/* posted: qd <= size never overflows */
		}
		for (int k = 0; k < qd; k++) {
			if (wait_record(&cr[k]) != DSA_COMP_SUCCESS || memcmp(src[k], dst[k], LEN)) {
				fprintf(stderr, "dwq descriptor %d failed (status 0x%x)\n", base + k,
					cr[k].status);
				return -1;
			}
		}
	}
	return 0;
}

int main(void)
{
	pthread_t th[THREADS];
	int swq = open("/dev/dsa/wq0.0", O_RDWR), dwq, dwq2;

	if (swq < 0) {
		printf("SKIP: /dev/dsa/wq0.0: %s (run under LD_PRELOAD=libsva-trap.so)\n",
		       strerror(errno));
		return 77;
	}
	dwq = open("/dev/dsa/wq0.1", O_RDWR);
	dwq2 = open("/dev/dsa/wq0.1", O_RDWR);
	if (dwq < 0 || dwq2 >= 0 || errno != EBUSY) {
		fprintf(stderr, "dedicated WQ: first open %d, second open %d (%s), want EBUSY\n",
			dwq, dwq2, strerror(errno));
		return 1;
	}
	swq_portal = mmap(NULL, 0x1000, PROT_WRITE, MAP_SHARED | MAP_POPULATE, swq, 0);
	dwq_portal = mmap(NULL, 0x1000, PROT_WRITE, MAP_SHARED | MAP_POPULATE, dwq, 0);
	if (swq_portal == MAP_FAILED || dwq_portal == MAP_FAILED) {
		perror("mmap portal");
		return 1;
	}
	for (uintptr_t t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, swq_thread, (void *)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	if (dwq_run(64))
		failures++;
	munmap(swq_portal, 0x1000);
	munmap(dwq_portal, 0x1000);
	close(swq);
	close(dwq);
	printf("%d shared-WQ and 1000 dedicated-WQ descriptors: %s\n", THREADS * PER_THREAD,
	       failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
