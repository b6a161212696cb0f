/* SPDX-License-Identifier: MIT */
/*
 * Shared test harness: exit codes, assertions, deterministic randomness,
 * buffers, independent reference implementations (plain byte loops, never
 * the code under test), and a one-call way to run a descriptor through the
 * execution engine on the calling process's address space.
 */
#ifndef SVA_TEST_HARNESS_H
#define SVA_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <linux/idxd.h>

#include "core/core.h"
#include "dsa/dsa.h"

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

extern int t_failures;

/* Record a failure (and keep going) when cond is false. */
#define T_CHECK(cond, ...)                                                        \
	do {                                                                      \
		if (!(cond)) {                                                    \
			t_failures++;                                             \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
		}                                                                 \
	} while (0)
/*
 * Equality of two integers, printing both in hex. Each side is evaluated
 * once: a failing T_EQ(t_child_fate(pid), -1) used to reap again for the
 * message and print -1000 (ECHILD) instead of what really happened.
 */
#define T_EQ(a, b)                                                                \
	do {                                                                      \
		uint64_t t_a_ = (uint64_t)(a), t_b_ = (uint64_t)(b);              \
		T_CHECK(t_a_ == t_b_, "%s = 0x%llx, expected %s = 0x%llx", #a,    \
			(unsigned long long)t_a_, #b, (unsigned long long)t_b_);  \
	} while (0)
/* Stop the test at once. */
#define T_FATAL(...)                                                              \
	do {                                                                      \
		fprintf(stderr, "FATAL %s:%d: ", __FILE__, __LINE__);             \
		fprintf(stderr, __VA_ARGS__);                                     \
		fputc('\n', stderr);                                              \
		exit(T_EXIT_FAIL);                                                \
	} while (0)
/*
 * Fill buf (len >= T_TMP_MAX) with a name for mkstemp(3)/mkdtemp(3) under
 * /tmp: "/tmp/" prefix and the six characters they replace. Returns buf.
 */
#define T_TMP_MAX	64
char *t_tmp_name(char *buf, size_t len, const char *prefix);

/*
 * A fuzz target's invariant broke: abort(), which libFuzzer reports as a
 * crash and saves the input for (exit() would not).
 */
#define T_FUZZ_FAIL(...)                                                          \
	do {                                                                      \
		fprintf(stderr, "%s: ", __FILE__);                                \
		fprintf(stderr, __VA_ARGS__);                                     \
		fputc('\n', stderr);                                              \
		abort();                                                          \
	} while (0)
#define T_SKIP(...)                                                               \
	do {                                                                      \
		printf("SKIP: ");                                                 \
		printf(__VA_ARGS__);                                              \
		putchar('\n');                                                    \
		exit(T_EXIT_SKIP);                                                \
	} while (0)

/* Exit with PASS or FAIL according to t_failures, printing a summary. */
int t_done(const char *name);

/* Deterministic xorshift64* randomness; t_seed() prints the seed used. */
uint64_t t_seed(uint64_t default_seed);	/* SVA_TEST_SEED overrides */
uint64_t t_rand(void);
uint64_t t_rand_range(uint64_t lo, uint64_t hi);	/* inclusive */
void t_fill_random(void *buf, size_t len);

/* fork() with stdio flushed and no core dump in the child (expected deaths). */
pid_t t_fork_quiet(void);
/* Wait for pid: its terminating signal (> 0), or -(exit status + 1). */
int t_child_fate(pid_t pid);

/*
 * svad for daemon tests: started on a private socket in a fresh temporary
 * directory (mode 0755), waited for until it accepts connections. extra
 * holds more arguments (NULL-terminated, may be NULL). restart runs the
 * same command line again (argv NULL) or a new one. stop sends sig and
 * reaps it (SIGKILL after 15 s), returning the wait status or -1.
 */
struct t_svad {
	pid_t pid;
	char dir[64];
	char socket[96];
	const char *argv[32];
};

int t_svad_start(struct t_svad *d, const char *binary, const char *const *extra);
int t_svad_restart(struct t_svad *d, const char *const *argv);
int t_svad_stop(struct t_svad *d, int sig);
void t_svad_cleanup(struct t_svad *d);

/* Page-aligned anonymous memory, touched (resident); free with t_unmap. */
void *t_map(size_t len);
void t_unmap(void *p, size_t len);
/* Page-aligned buffer followed by an unmapped guard page. */
void *t_map_guarded(size_t len);
size_t t_page(void);

/* reference implementations (byte loops) */
uint32_t ref_crc32c(uint32_t dsa_seed, const void *buf, size_t len);	/* DSA convention */
uint16_t ref_crc16_t10dif(uint16_t init, const void *buf, size_t len);

/* engine access */

struct t_dev {
	struct dsa_caps caps;
	struct dsa_wq_attr wq;
	struct as *as;
	uint32_t pasid;
};

/* Default caps, a BOF-enabled WQ, the calling process bound. */
void t_dev_init(struct t_dev *t);
void t_dev_exit(struct t_dev *t);
/*
 * A peer process for cross-process DMA tests. t_peer_start forks; the
 * child runs child(wr, rd): it maps its buffers, writes their 8-byte base
 * address to wr, then obeys commands read from rd (and dies with the
 * parent's end of rd closed, or by SIGKILL). The parent keeps up (reads
 * the child's reports) and down (sends it commands).
 */
struct t_peer {
	pid_t pid;
	int up, down;
	uint64_t base;
};
void t_peer_start(struct t_peer *p, void (*child)(int wr, int rd));
/* Read exactly len bytes of the peer's reports, or fail the test. */
void t_peer_read(struct t_peer *p, void *buf, size_t len);
/*
 * t_dev_init's defaults with a remote space bound to the peer instead of
 * the calling process; skips the test (killing the peer) without ptrace
 * access to it.
 */
void t_dev_init_peer(struct t_dev *t, struct t_peer *p);
/* Execute desc (CRAV/RCR as given) and return the resulting status. */
uint8_t t_exec(struct t_dev *t, const struct dsa_hw_desc *desc, struct dsa_result *ret);
/* Zero a descriptor and set opcode, flags (CRAV|RCR added), record address. */
void t_desc(struct dsa_hw_desc *d, uint8_t opcode, uint32_t flags,
	    struct dsa_completion_record *cr);

#endif /* SVA_TEST_HARNESS_H */
