/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/dsa: the descriptor execution engine. It is a
 * pure function of (descriptor, address space, WQ and device attributes): no
 * queues, threads or I/O live here. All memory access goes through the DMA
 * layer of src/core, and device status never becomes an errno (STYLE rule 2).
 */
#ifndef SVA_DSA_H
#define SVA_DSA_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/idxd.h>

#include "idxd_ext.h"
#include "../core/core.h"

/* GENCAP fields (kernel registers.h union gen_cap_reg) */
#define GENCAP_BOF		(1ull << 0)
#define GENCAP_OVERLAP_COPY	(1ull << 1)
#define GENCAP_CC_MEM		(1ull << 2)
#define GENCAP_CC_CACHE		(1ull << 3)
#define GENCAP_DEST_READBACK	(1ull << 8)
#define GENCAP_DRAIN_READBACK	(1ull << 9)
#define GENCAP_MAX_XFER_SHIFT(g)  (((g) >> 16) & 0x1f)
#define GENCAP_MAX_BATCH_SHIFT(g) (((g) >> 21) & 0xf)
#define DSA_DEFAULT_GENCAP	0x40915f0107ull

/* What descriptor processing needs to know about the device. */
struct dsa_caps {
	uint64_t gencap;
	uint64_t opcap[4];	/* 256-bit OPCAP, bit n = opcode n supported */
	bool user_int_en;	/* GENCFG: user descriptors may request interrupts */
	bool pasid_priv;	/* PCIe PASID privileged mode */
};

/* What a descriptor sees of the WQ it was submitted to (WQCFG). */
struct dsa_wq_attr {
	bool shared;
	bool bof;		/* WQCFG.bof: enables the descriptor BOF flag */
	bool ats_disable;
	uint64_t max_xfer;	/* bytes */
	uint32_t max_batch;	/* descriptors */
};

/* Fill caps and WQ attributes with the SPR defaults of dsa-device.md §1. */
void dsa_caps_default(struct dsa_caps *caps);
void dsa_wq_attr_default(struct dsa_wq_attr *wq);

/* An error that cannot reach a completion record (dsa-device.md §11). */
struct dsa_swerr {
	bool valid;
	bool batch;		/* the descriptor was a batch member */
	bool fault_rw;		/* fault_addr was a write */
	bool priv;
	uint8_t error;		/* DSA status code */
	uint8_t opcode;
	uint16_t batch_idx;
	uint32_t pasid;
	uint32_t invalid_flags;
	uint64_t fault_addr;
};

/* Outcome of one descriptor, for the queueing layer and for tests. */
struct dsa_result {
	uint8_t status;		/* status as the device decided it, 0x80 write bit included */
	bool record_written;	/* a completion record reached memory */
	uint32_t descs;		/* descriptors processed (1, or members for a batch) */
	uint64_t bytes;		/* payload bytes processed (statistics) */
	struct dsa_swerr swerr;	/* the first error that went to SWERROR */
	uint32_t swerr_count;	/* errors reported to SWERROR (> 1: overflow) */
};

/* One descriptor in execution. Ops fill cr and return the status code. */
struct dsa_exec {
	struct dsa_hw_desc d;			/* private copy, read once */
	struct dsa_completion_record cr;	/* built here, written last */
	const struct dsa_caps *caps;
	const struct dsa_wq_attr *wq;
	struct dma_ctx dma;
	uint32_t pasid;
	bool priv;
	bool in_batch;
	uint16_t batch_idx;
	uint64_t bytes;				/* payload processed, statistics only */
	uint8_t status;				/* execution status, set by exec_one */
	bool record_done;			/* a cooperating waiter wrote the record */
};

/* descriptor execution (exec.c) */

/*
 * Check and execute one descriptor submitted with pasid/priv on a WQ of the
 * given device, in address space as. Writes the completion record into as
 * when the flags and status call for it and reports the outcome in *ret.
 * Returns 0; -EINVAL only for NULL arguments.
 */
int dsa_exec_desc(const struct dsa_caps *caps, const struct dsa_wq_attr *wq, struct as *as,
		  uint32_t pasid, bool priv, const struct dsa_hw_desc *desc,
		  struct dsa_result *ret);
/* Prepare x for desc (the private copy) on the given device, WQ and space. */
void exec_init(struct dsa_exec *x, const struct dsa_caps *caps, const struct dsa_wq_attr *wq,
	       struct as *as, uint32_t pasid, bool priv, const struct dsa_hw_desc *desc);
/*
 * Check, execute and complete one prepared descriptor. Returns the status
 * the descriptor finally stands with (0x1a if its record was lost, which a
 * batch counts as a failure); x->status keeps the execution status.
 */
uint8_t exec_one(struct dsa_exec *x, struct dsa_result *ret);
/* Status for a fault recorded in x->dma.fault after done bytes (§9). */
uint8_t exec_fault_status(struct dsa_exec *x, uint64_t done);
/* The name of a status code ("success", "page fault", ...); never NULL. */
const char *dsa_status_name(uint8_t status);
const char *dsa_opcode_name(uint8_t opcode);

/* descriptor checks (checks.c), dsa-device.md §5.1 steps 2-9 */

/*
 * Run the checks in spec order. Returns 0 when the descriptor may execute,
 * otherwise the status code; x->cr.invalid_flags is set for 0x11.
 */
uint8_t checks_run(struct dsa_exec *x);
bool checks_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen);

/* operations: each returns the final status and fills x->cr */

/* ops_mem.c */
uint8_t ops_noop(struct dsa_exec *x);
uint8_t ops_memmove(struct dsa_exec *x);
uint8_t ops_memfill(struct dsa_exec *x);
uint8_t ops_compare(struct dsa_exec *x);
uint8_t ops_compval(struct dsa_exec *x);
uint8_t ops_dualcast(struct dsa_exec *x);
uint8_t ops_cflush(struct dsa_exec *x);
uint8_t ops_check_memmove(const struct dsa_exec *x);
uint8_t ops_check_dualcast(const struct dsa_exec *x);
/* ops_crc.c */
uint8_t ops_crcgen(struct dsa_exec *x);
uint8_t ops_copy_crc(struct dsa_exec *x);
uint8_t ops_check_crc(const struct dsa_exec *x);
uint8_t ops_check_copy_crc(const struct dsa_exec *x);
/* CRC-32C with DSA's seed convention: ~crc32c_update(~seed, data) */
uint32_t ops_crc32c(uint32_t seed, const void *buf, uint64_t len);
/* ops_dif.c */
uint8_t ops_dif_check(struct dsa_exec *x);
uint8_t ops_dif_insert(struct dsa_exec *x);
uint8_t ops_dif_strip(struct dsa_exec *x);
uint8_t ops_dif_update(struct dsa_exec *x);
/* step 8/9 checks of DIF ops: block-multiple size (0x13), reserved flag bits (0x12), overlap */
uint8_t ops_check_dif(const struct dsa_exec *x);
uint8_t ops_reserved_dif(const struct dsa_exec *x);
/* ops_delta.c */
uint8_t ops_cr_delta(struct dsa_exec *x);
uint8_t ops_ap_delta(struct dsa_exec *x);
uint8_t ops_check_cr_delta(const struct dsa_exec *x);
uint8_t ops_check_ap_delta(const struct dsa_exec *x);
/* One piece [off, off + len) of a MEMMOVE or MEMFILL, on host addresses (coop.c). */
void ops_mem_piece(uint8_t opcode, uint64_t dst, uint64_t src, uint64_t pattern, uint64_t off,
		   uint64_t len);
/* batch.c */
uint8_t batch_exec(struct dsa_exec *x, struct dsa_result *ret);
uint8_t ops_drain(struct dsa_exec *x);

/* Ask for a cache line in exclusive state ahead of a read-modify-write; a hint only. */
static inline void dsa_prefetchw(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/* cooperative execution with waiting submitters (coop.c) */

/* Exported from src/dsa (the library's sva_* export macro lives in src/lib). */
#define SVA_DSA_EXPORT __attribute__((visibility("default")))

enum {
	COOP_STAT_JOBS, COOP_STAT_HELPED_BYTES, COOP_STAT_HELPER_RECORDS,
	COOP_STAT_REMOTE_JOBS,		/* svad jobs this client process executed (assist.h) */
	COOP_STAT_REMOTE_LATE,		/* of its commits, taken back by svad before DONE */
	COOP_STAT_NR
};

/*
 * Execute a MEMMOVE (non-overlapping) or MEMFILL together with the threads
 * waiting in sva_wait() on its record, when it qualifies. Returns true with
 * the status in *ret_st (x->record_done set when a waiter wrote the
 * record), false when the caller must execute it alone.
 */
bool coop_exec(struct dsa_exec *x, uint8_t *ret_st);
/* Process-wide: jobs shared, bytes executed by waiters, records written by waiters. */
void coop_stats(uint64_t ret[COOP_STAT_NR]);
/*
 * Tests: COOP_HOLD_WAITER makes engines leave shared jobs whole to a waiter,
 * COOP_HOLD_LATE makes them finish their part only after the waiter gave up
 * waiting for it (each waits up to 10 s for a waiter); COOP_HOLD_RECORD makes
 * a waiter executing an svad job stall 1 s between the record's body and
 * its claim to write the status (svad takes the job back meanwhile); 0 is
 * normal.
 */
enum { COOP_HOLD_WAITER = 1, COOP_HOLD_LATE = 2, COOP_HOLD_RECORD = 3 };
void coop_test_hold(int mode);

struct assist_area;
/*
 * Client side of client-assisted execution (core/assist.h): waiters in
 * sva_wait() look for svad jobs in the registered job pages. remove
 * returns once no thread uses the page any more (then it may be unmapped).
 */
int coop_assist_add(struct assist_area *a);
/* Engines: whether the WQ of the descriptor about to execute holds more work. */
void coop_engine_queue(bool queued);
void coop_assist_remove(struct assist_area *a);

/*
 * Parallel streams: map the same span [off, off + len) of n buffers (a
 * "stream" advances every buffer by the same byte count). Returns the common
 * mapped length (> 0), or 0 with x->dma.fault set for the buffer that faults
 * at off. Buffers are probed in array order, so the source's fault wins.
 */
uint64_t exec_map_streams(struct dsa_exec *x, struct dma_win *w, const uint64_t *addr,
			  const unsigned int *access, unsigned int n, uint64_t off, uint64_t len);
void exec_unmap_streams(struct dsa_exec *x, struct dma_win *w, unsigned int n);

/* device model (device.c): configuration and state, a pure state machine */

#define DSA_NAME_SIZE		64	/* WQ_NAME_SIZE */
#define DSA_MAX_WQS		64
#define DSA_MAX_GROUPS		16
#define DSA_MAX_ENGINES		64
#define DSA_MAX_PRIORITY	15	/* IDXD_MAX_PRIORITY */
#define DSA_ENQCMDS_RETRIES	32	/* IDXD_ENQCMDS_RETRIES, the enqcmds_retries default */
#define DSA_ENQCMDS_MAX_RETRIES	64	/* IDXD_ENQCMDS_MAX_RETRIES, stores are clamped to it */
#define DSA_BAR_SIZE		0x1000	/* register file bytes (registers.h) */
#define DSA_SWERR_NO_WQ		(~0u)	/* dsa_dev_swerror_record: no WQ index */

enum dsa_state { DSA_STATE_DISABLED, DSA_STATE_ENABLED, DSA_STATE_HALTED };
enum dsa_wq_type { DSA_WQT_NONE, DSA_WQT_KERNEL, DSA_WQT_USER };

/* Capabilities and geometry of a device instance (dsa-device.md §1). */
struct dsa_dev_params {
	unsigned int id;		/* N of dsaN */
	uint16_t version;		/* 0x100 */
	uint64_t gencap;
	uint64_t opcap[4];
	uint16_t max_groups, max_engines, max_wqs;
	uint16_t max_wq_size;		/* total WQ entries, max_work_queues_size */
	uint16_t max_read_buffers;
	int numa_node;
	bool driver_name_attr;		/* 6.7+ personality: wq driver_name exists */
	bool configurable;		/* sysfs configurable; 0 makes every store -EPERM */
	bool pasid_enabled;		/* sysfs pasid_enabled (PCIe PASID + SVA) */
	unsigned int cdev_major;	/* sysfs cdev_major, display only */
};

void dsa_dev_params_default(struct dsa_dev_params *p);

/* WQCFG plus the driver's software attributes, as sysfs shows them. */
struct dsa_wq_cfg {
	uint16_t size;
	uint16_t threshold;
	bool shared;			/* mode: shared / dedicated */
	bool bof;			/* block_on_fault */
	bool ats_disable;
	uint8_t priority;		/* 0..15, enable needs >= 1 */
	int group_id;			/* -1: none */
	uint64_t max_xfer;		/* max_transfer_size, bytes */
	uint32_t max_batch;		/* max_batch_size */
	uint32_t pasid;			/* WQCFG.pasid (DWQ: the opener's PASID) */
	bool pasid_en;
	enum dsa_wq_type type;
	char name[DSA_NAME_SIZE + 1];
	char driver_name[DSA_NAME_SIZE + 1];
	enum dsa_state state;		/* disabled / enabled */
	unsigned int enqcmds_retries;
	int cdev_minor;			/* >= 0 while enabled */
	unsigned int clients;		/* open portals */
};

struct dsa_group_cfg {
	uint16_t read_buffers_reserved;
	uint16_t read_buffers_allowed;
	bool use_read_buffer_limit;
	uint8_t traffic_class_a, traffic_class_b;
};

struct dsa_engine_cfg {
	int group_id;			/* -1: none */
};

struct dsa_dev;

/*
 * Locking: every dsa_dev_* function below takes the device lock and may be
 * called from any thread, except the ones returning pointers into the
 * configuration (dsa_dev_wq/group/engine). Those are for the runtime, which
 * reads an object only while the model keeps it frozen and never writes
 * through them: a WQ's config is fixed while the WQ is enabled (but for
 * enqcmds_retries, clients and state), sizes, group and read-buffer settings
 * while the device is enabled. Engine group_id stays writable then, as in the
 * kernel: the runtime takes the engine-to-group map at device enable.
 */

/*
 * Create a device in its power-on state (disabled, unconfigured) from p
 * (copied). Returns 0 and *ret_dev, -EINVAL for NULL arguments or a geometry
 * beyond DSA_MAX_*, -ENOMEM. Free with dsa_dev_free().
 */
int dsa_dev_new(const struct dsa_dev_params *p, struct dsa_dev **ret_dev);
/* Accepts NULL; returns NULL. */
struct dsa_dev *dsa_dev_free(struct dsa_dev *dev);
/* Return to the power-on state (modprobe idxd, Reset Device + clear config). */
void dsa_dev_reset_config(struct dsa_dev *dev);
const struct dsa_dev_params *dsa_dev_params(const struct dsa_dev *dev);
/* The caps descriptor processing uses (GENCAP, OPCAP, GENCFG bits). */
const struct dsa_caps *dsa_dev_caps(const struct dsa_dev *dev);
enum dsa_state dsa_dev_state(const struct dsa_dev *dev);
/* NULL for an index beyond the device's geometry. See "Locking" above. */
struct dsa_wq_cfg *dsa_dev_wq(struct dsa_dev *dev, unsigned int wq);
struct dsa_group_cfg *dsa_dev_group(struct dsa_dev *dev, unsigned int group);
struct dsa_engine_cfg *dsa_dev_engine(struct dsa_dev *dev, unsigned int engine);
/* The descriptor-visible attributes of an enabled WQ (defaults for a bad index). */
void dsa_dev_wq_attr(struct dsa_dev *dev, unsigned int wq, struct dsa_wq_attr *ret_attr);

/*
 * Attributes by sysfs name and in sysfs format (accel-config-compat.md §4):
 * obj is "dsa0", "wq0.3", "group0.1" or "engine0.2". get writes the value
 * without the trailing newline and returns the size of the file sysfs would
 * show: strlen(buf) + 1 for the newline, or 0 for an empty engines or
 * work_queues list, which the kernel shows as an empty file;
 * -ENOENT for an unknown object/attribute,
 * -ENXIO for attributes that read as failing (cdev_minor of a disabled WQ),
 * -ENOSPC if len is too small. set validates exactly as the kernel does
 * (dsa-device.md §2.1): -EPERM (enabled, read-only, not configurable),
 * -EINVAL (parse or range), -ENXIO, -EOPNOTSUPP; side effects applied;
 * -ENOMEM. Store failures set the last-error message but not cmd_status
 * (the kernel's stores do not touch it either).
 */
int dsa_dev_attr_get(struct dsa_dev *dev, const char *obj, const char *attr, char *buf,
		     size_t len);
int dsa_dev_attr_set(struct dsa_dev *dev, const char *obj, const char *attr, const char *val);
/* Enumerate the attributes of obj: fn(name, writable, arg); stops on non-zero. */
int dsa_dev_attr_foreach(struct dsa_dev *dev, const char *obj,
			 int (*fn)(const char *name, bool writable, void *arg), void *arg);

/*
 * State transitions with the enable-time validation of dsa-device.md §2.2
 * and accel-config-compat.md §6. On failure they return -errno, set
 * cmd_status (CMDSTS error code or IDXD_SCMD_* soft error) and a readable
 * message naming the violated rule ("wq0.0: shared WQ needs threshold
 * 1..16, got 0"). They change only the model's state: the runtime starts
 * and drains queues around them.
 */
int dsa_dev_enable(struct dsa_dev *dev);
int dsa_dev_disable(struct dsa_dev *dev);
int dsa_dev_wq_enable(struct dsa_dev *dev, unsigned int wq);
int dsa_dev_wq_disable(struct dsa_dev *dev, unsigned int wq);
/*
 * Reset WQ: config back to defaults except size and group membership (which
 * lives in GRPCFG), disabling the WQ if needed (dsa-device.md §10).
 */
int dsa_dev_wq_reset(struct dsa_dev *dev, unsigned int wq);
/* Halt (dsa-device.md §11): every WQ disabled, state halted until dsa_dev_reset_config. */
void dsa_dev_halt(struct dsa_dev *dev);
uint32_t dsa_dev_cmd_status(const struct dsa_dev *dev);
/*
 * The message of the last failure ("" after a success). The buffer lives as
 * long as dev but a concurrent failure may rewrite it; threads sharing dev
 * use dsa_dev_last_error_copy(), which returns the message length.
 */
const char *dsa_dev_last_error(const struct dsa_dev *dev);
size_t dsa_dev_last_error_copy(const struct dsa_dev *dev, char *buf, size_t len);
/* Decoded name of a CMDSTS or IDXD_SCMD_* code ("WQ_NO_THRESH"); never NULL. */
const char *dsa_cmdsts_name(uint32_t code);

/*
 * Runtime feedback. clients_add adjusts a WQ's open count (sysfs clients)
 * and returns the new count, -EINVAL for a bad index or an underflow. The
 * occupancy hook is called under the device lock to read a WQ's occupancy
 * for the occupancy attribute and WQCFG; it must not call back into dev.
 */
int dsa_dev_wq_clients_add(struct dsa_dev *dev, unsigned int wq, int delta);
void dsa_dev_set_occupancy_fn(struct dsa_dev *dev, uint32_t (*fn)(void *arg, unsigned int wq),
			      void *arg);

/*
 * Read the register file (registers.h): 64-bit reads at 8-byte aligned
 * offsets below DSA_BAR_SIZE, else -EINVAL. Capabilities reflect the params,
 * WQCFG/GRPCFG/GENCFG the configuration (GRPCFG as written at the last
 * enable), GENSTS the state, CMDSTS the last command the driver issued.
 */
int dsa_dev_reg_read(const struct dsa_dev *dev, uint32_t offset, uint64_t *ret_val);

/* SWERROR (dsa-device.md §11): one slot, overflow on a second error. */
/* e->valid is not consulted; wq is DSA_SWERR_NO_WQ when no WQ is known. */
void dsa_dev_swerror_record(struct dsa_dev *dev, const struct dsa_swerr *e, unsigned int wq);
void dsa_dev_swerror_read(const struct dsa_dev *dev, uint64_t ret_words[4]);
void dsa_dev_swerror_clear(struct dsa_dev *dev);

/* device model internals, shared by device.c and device_attr.c only */

struct dsa_dev {
	pthread_mutex_t lock;			/* protects everything below but params, caps */
	struct dsa_dev_params params;		/* immutable after dsa_dev_new */
	struct dsa_caps caps;			/* immutable, built from params */
	enum dsa_state state;
	uint32_t cmd_status;			/* sysfs cmd_status */
	uint16_t rdbuf_limit;			/* read_buffer_limit (GENCFG) */
	struct dsa_wq_cfg wq[DSA_MAX_WQS];
	struct dsa_group_cfg group[DSA_MAX_GROUPS];
	struct dsa_engine_cfg engine[DSA_MAX_ENGINES];
	uint64_t bar[DSA_BAR_SIZE / 8];		/* register file */
	uint32_t (*occupancy_fn)(void *arg, unsigned int wq);
	void *occupancy_arg;
	char last_error[192];
};

/* Rewrite the config-derived registers (WQCFG, GRPCFG, GENCFG, GENSTS); lock held. */
void device_sync_regs(struct dsa_dev *dev);
/* Current occupancy of a WQ from the runtime hook (0 without one); lock held. */
uint32_t device_wq_occupancy(struct dsa_dev *dev, unsigned int wq);
/* Set last_error from fmt and return err; lock held. */
int device_fail(struct dsa_dev *dev, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* per-PASID counters (pstats.c) */

#define PSTATS_ROWS	256u		/* PASIDs with a row of their own */
#define PSTATS_NSTATUS	64u		/* statuses 0x00-0x3e by code; 0x3f and above in [63] */
#define PSTATS_OTHER	0xFFFFFFFFu	/* pasid of the row of everything past the table */

struct pstats;

/* One row as read: counters of one PASID (or of PSTATS_OTHER). */
struct pstats_snap {
	uint32_t pasid;
	uint64_t by_status[PSTATS_NSTATUS];	/* top-level completions, status & 0x7f */
	uint64_t retries;			/* ENQCMD/ENQCMDS answered Retry */
	uint64_t bytes;
	uint64_t aborted;			/* abandoned by an abort */
};

int pstats_new(struct pstats **ret_ps);
struct pstats *pstats_free(struct pstats *ps);
/* Give engine (< DSA_MAX_ENGINES) its counters; before its thread runs. */
int pstats_engine_attach(struct pstats *ps, unsigned int engine);
/*
 * Counting: lock-free and async-signal-safe; never fails (the "other" row).
 * complete and abort are called by the engine's own thread only.
 */
void pstats_complete(struct pstats *ps, unsigned int engine, uint32_t pasid, uint8_t status,
		     uint64_t bytes);
void pstats_abort(struct pstats *ps, unsigned int engine, uint32_t pasid);
void pstats_retry(struct pstats *ps, uint32_t pasid);
/* Row index in first-seen order, "other" last if used; -ENOENT past the end. */
int pstats_read(struct pstats *ps, unsigned int index, struct pstats_snap *ret);

/* runtime: work queues (wq.c), engines (engine.c), device runtime (runtime.c) */

struct dsa_rt;
struct wq_rt;
struct group_rt;
struct engine_rt;

/* What an engine is executing; drains wait on it (dsa-device.md §7, §10). */
struct engine_cur {
	_Atomic uint32_t busy;		/* 1 while a dequeued descriptor is in flight */
	_Atomic uint32_t wq;
	_Atomic uint64_t ticket;	/* the descriptor's position in its WQ */
	_Atomic uint32_t pasid;
};

/* A dequeued descriptor with the identity it was submitted under. */
struct wq_item {
	struct dsa_hw_desc desc;
	struct as *as;
	uint32_t pasid;
	bool priv;
	uint64_t ticket;
};

enum wq_submit {
	WQ_ACCEPTED = 0,
	WQ_RETRY = 1,		/* DMWr answered Retry (ZF=1) */
	WQ_DROPPED = 2,		/* posted write to a full DWQ: SWERROR 0x53 */
	WQ_IGNORED = 3,		/* posted write to an SWQ or a disabled WQ */
};

#define WQ_ANY_PASID PASID_INVALID

/* ps: the device's per-PASID counters, where Retries are counted. */
int wq_rt_new(unsigned int id, struct pstats *ps, struct wq_rt **ret_wq);
struct wq_rt *wq_rt_free(struct wq_rt *wq);
/* Open for admission with a configuration snapshot (ring sized to cfg->size). */
int wq_rt_start(struct wq_rt *wq, const struct dsa_wq_cfg *cfg, const struct dsa_wq_attr *attr,
		struct group_rt *group);
/* Close admission: later submissions get Retry (DMWr) or are ignored (posted). */
void wq_rt_close(struct wq_rt *wq);
bool wq_rt_is_open(const struct wq_rt *wq);
unsigned int wq_rt_id(const struct wq_rt *wq);
const struct dsa_wq_attr *wq_rt_attr(const struct wq_rt *wq);
uint8_t wq_rt_priority(const struct wq_rt *wq);
bool wq_rt_shared(const struct wq_rt *wq);
uint32_t wq_rt_size(const struct wq_rt *wq);
/* DWQ: the PASID and address space of the opener (WQCFG.pasid). */
void wq_rt_set_owner(struct wq_rt *wq, struct as *as, uint32_t pasid);
/*
 * ENQCMD/ENQCMDS: admit while occupancy < limit (threshold or size), atomically
 * and lock-free. The caller keeps the address space alive until the
 * descriptor completed: portals hold a reference and drain at close.
 */
enum wq_submit wq_rt_enqcmd(struct wq_rt *wq, const struct dsa_hw_desc *d, struct as *as,
			    uint32_t pasid, bool priv, bool unlimited);
/* MOVDIR64B: posted; a full DWQ drops the descriptor. */
enum wq_submit wq_rt_movdir64b(struct wq_rt *wq, const struct dsa_hw_desc *d);
/* Admitted and not yet dequeued (tail - head): reads the submitters' line. */
uint32_t wq_rt_occupancy(const struct wq_rt *wq);
/*
 * The oldest admitted descriptor is published: what engines poll, reading
 * only the engines' line and the ring slot, never the submitters' line.
 */
bool wq_rt_ready(const struct wq_rt *wq);
/* Dequeue the oldest descriptor; cur is published before the slot is freed. */
bool wq_rt_dequeue(struct wq_rt *wq, struct wq_item *ret_item, struct engine_cur *cur,
		   unsigned int wq_index);
/* Position of the next descriptor to be admitted (drain snapshot). */
uint64_t wq_rt_tail(const struct wq_rt *wq);
uint64_t wq_rt_head(const struct wq_rt *wq);
/* Abandon queued descriptors below ticket (for pasid, or WQ_ANY_PASID). */
int wq_rt_mark_abort(struct wq_rt *wq, uint32_t pasid, uint64_t below);
void wq_rt_clear_aborts(struct wq_rt *wq);
bool wq_rt_aborted(struct wq_rt *wq, const struct wq_item *it);
/* WRR credit of the group arbiter (group lock). */
int *wq_rt_credit(struct wq_rt *wq);
void wq_rt_stats(const struct wq_rt *wq, uint64_t ret[6]);
void wq_rt_count(struct wq_rt *wq, int what);	/* WQ_STAT_* */
enum { WQ_STAT_ACCEPTED, WQ_STAT_RETRIES, WQ_STAT_DROPPED, WQ_STAT_IGNORED, WQ_STAT_COMPLETED,
       WQ_STAT_ABORTED };

/* engine.c: groups and engine threads */
int group_rt_new(struct dsa_rt *rt, unsigned int id, struct group_rt **ret_group);
struct group_rt *group_rt_free(struct group_rt *g);
/* Attach a WQ to the group's arbiter (device disabled or WQ closed). */
void group_rt_set_wqs(struct group_rt *g, struct wq_rt **wqs, unsigned int n);
/* Wake a sleeping engine after an admission; cheap when nobody sleeps. */
void group_rt_kick(struct group_rt *g);
/* Freeze or resume dispatch: queued descriptors stay queued (tests). */
void group_rt_pause(struct group_rt *g, bool paused);
/* The same, for the group of a WQ. */
void group_rt_kick_wq(struct wq_rt *wq);
/* spin_budget: device-wide count of engines that may spin while idle. */
int engine_rt_start(struct dsa_rt *rt, unsigned int id, struct group_rt *g,
		    uint32_t spin_us, _Atomic int *spin_budget, struct engine_rt **ret_engine);
/* Stop, join and free; the final counters go to ret_stats (engine_rt_stats order). */
void engine_rt_stop(struct engine_rt *e, uint64_t ret_stats[4]);
struct engine_cur *engine_rt_cur(struct engine_rt *e);
/* descs, bytes, busy_ns, sleeps */
void engine_rt_stats(const struct engine_rt *e, uint64_t ret[4]);

/* runtime.c: the device runtime (model + queues + engines + admin commands) */
int rt_new(const struct dsa_dev_params *p, uint32_t spin_us, struct dsa_rt **ret_rt);
/* Disable (draining), stop engines, free. Accepts NULL; returns NULL. */
struct dsa_rt *rt_free(struct dsa_rt *rt);
struct dsa_dev *rt_dev(struct dsa_rt *rt);
struct wq_rt *rt_wq(struct dsa_rt *rt, unsigned int wq);
unsigned int rt_nwqs(const struct dsa_rt *rt);
unsigned int rt_nengines(const struct dsa_rt *rt);
int rt_device_enable(struct dsa_rt *rt);
int rt_device_disable(struct dsa_rt *rt);
int rt_device_reset(struct dsa_rt *rt);
int rt_wq_enable(struct dsa_rt *rt, unsigned int wq);
int rt_wq_disable(struct dsa_rt *rt, unsigned int wq);
int rt_wq_reset(struct dsa_rt *rt, unsigned int wq);
/* Drain (or abort) wq (< 0: all) for pasid (WQ_ANY_PASID: all): §10 semantics. */
int rt_drain(struct dsa_rt *rt, int wq, uint32_t pasid, bool abort);
/* Record a MOVDIR64B dropped by a full DWQ in SWERROR (0x53). */
void rt_record_drop(struct dsa_rt *rt, struct wq_rt *wq, const struct dsa_hw_desc *d,
		    uint32_t pasid);
/* The same from a signal handler: lock-free, folded into SWERROR by rt_fold_drops(). */
void rt_record_drop_async(struct dsa_rt *rt, struct wq_rt *wq, const struct dsa_hw_desc *d,
			  uint32_t pasid);
void rt_fold_drops(struct dsa_rt *rt);
void rt_engine_stats(struct dsa_rt *rt, unsigned int engine, uint64_t ret[4], int *ret_group);
void rt_device_stats(struct dsa_rt *rt, uint64_t *by_opcode, uint64_t *by_status,
		     uint64_t *ret_faults, uint64_t *ret_swerrors);
/* Per-PASID row index (pstats_read). */
int rt_pasid_stats(struct dsa_rt *rt, unsigned int index, struct pstats_snap *ret);
/*
 * Dispatch trace, for tests and research on arbitration: while started, the
 * WQ id of every dispatched descriptor is appended to buf (up to cap).
 * stop returns the number of dispatches seen.
 */
void rt_trace_start(struct dsa_rt *rt, uint8_t *buf, size_t cap);
size_t rt_trace_stop(struct dsa_rt *rt);
void rt_trace_dispatch(struct dsa_rt *rt, unsigned int wq);
/* Freeze or resume dispatch in every group (engines keep running). */
void rt_pause(struct dsa_rt *rt, bool paused);
/* The admin lock, for callers that change WQ ownership (portal open/close). */
void rt_lock(struct dsa_rt *rt);
void rt_unlock(struct dsa_rt *rt);
/*
 * Work for an idle engine (svad: its portal rings). While an engine spins
 * for work it calls poll over and over (> 0 when poll found something,
 * which restarts the spin window), and, once it has polled, once after
 * each descriptor it executes, until it sleeps, pauses or exits; then it
 * calls end. Both run on the engine's thread and must be short and
 * non-blocking. A spinning engine is on a CPU of its own anyway, so work
 * it polls costs no other thread a CPU.
 * rt_set_idle_hook(rt, NULL) returns once no engine is inside the old
 * hook; h must stay valid until then.
 */
struct rt_idle_hook {
	int (*poll)(void *arg);
	void (*end)(void *arg);
	void *arg;
};
void rt_set_idle_hook(struct dsa_rt *rt, const struct rt_idle_hook *h);

/* runtime.c: called by engines */
/* Account a descriptor engine executed (or dropped), from that engine's thread. */
void rt_complete(struct dsa_rt *rt, unsigned int engine, struct wq_rt *wq,
		 const struct wq_item *it, const struct dsa_result *res);
void rt_wait_prior(struct dsa_rt *rt, struct wq_rt *wq, unsigned int wq_index,
		   const struct wq_item *it, struct engine_rt *self);
const struct dsa_caps *rt_caps(struct dsa_rt *rt);
/* The idle hook for one use (NULL: none), then its release. */
const struct rt_idle_hook *rt_idle_hook_get(struct dsa_rt *rt);
void rt_idle_hook_put(struct dsa_rt *rt);

#endif /* SVA_DSA_H */
