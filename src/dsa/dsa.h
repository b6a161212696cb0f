/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/dsa: the descriptor execution engine. It is a
 * pure function of (descriptor, address space, WQ and device attributes): no
 * queues, threads or I/O live here. All memory access goes through the DMA
 * layer of src/core, and device status never becomes an errno (STYLE rule 2).
 */
#ifndef SVA_DSA_H
#define SVA_DSA_H

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
/* Check, execute and complete one prepared descriptor; returns its status. */
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
/* batch.c */
uint8_t batch_exec(struct dsa_exec *x, struct dsa_result *ret);
uint8_t ops_drain(struct dsa_exec *x);

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

/* Create a device in its power-on state (disabled, unconfigured). */
int dsa_dev_new(const struct dsa_dev_params *p, struct dsa_dev **ret_dev);
struct dsa_dev *dsa_dev_free(struct dsa_dev *dev);
/* Return to the power-on state (modprobe idxd, Reset Device + clear config). */
void dsa_dev_reset_config(struct dsa_dev *dev);
const struct dsa_dev_params *dsa_dev_params(const struct dsa_dev *dev);
/* The caps descriptor processing uses (GENCAP, OPCAP, GENCFG bits). */
const struct dsa_caps *dsa_dev_caps(const struct dsa_dev *dev);
enum dsa_state dsa_dev_state(const struct dsa_dev *dev);
struct dsa_wq_cfg *dsa_dev_wq(struct dsa_dev *dev, unsigned int wq);
struct dsa_group_cfg *dsa_dev_group(struct dsa_dev *dev, unsigned int group);
struct dsa_engine_cfg *dsa_dev_engine(struct dsa_dev *dev, unsigned int engine);
/* The descriptor-visible attributes of an enabled WQ. */
void dsa_dev_wq_attr(struct dsa_dev *dev, unsigned int wq, struct dsa_wq_attr *ret_attr);

/*
 * Attributes by sysfs name and in sysfs format (accel-config-compat.md §4):
 * obj is "dsa0", "wq0.3", "group0.1" or "engine0.2". get writes the value
 * without the trailing newline; -ENOENT for an unknown object/attribute,
 * -ENXIO for attributes that read as failing (cdev_minor of a disabled WQ),
 * -ENOSPC if len is too small. set validates exactly as the kernel does
 * (dsa-device.md §2.1): -EPERM (enabled, read-only, not configurable),
 * -EINVAL (parse or range), -ENXIO, -EOPNOTSUPP; side effects applied.
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
/* Reset WQ: config back to defaults except size (dsa-device.md §10). */
int dsa_dev_wq_reset(struct dsa_dev *dev, unsigned int wq);
uint32_t dsa_dev_cmd_status(const struct dsa_dev *dev);
const char *dsa_dev_last_error(const struct dsa_dev *dev);
/* Decoded name of a CMDSTS or IDXD_SCMD_* code. */
const char *dsa_cmdsts_name(uint32_t code);

/* SWERROR (dsa-device.md §11): one slot, overflow on a second error. */
void dsa_dev_swerror_record(struct dsa_dev *dev, const struct dsa_swerr *e, unsigned int wq);
void dsa_dev_swerror_read(const struct dsa_dev *dev, uint64_t ret_words[4]);
void dsa_dev_swerror_clear(struct dsa_dev *dev);

#endif /* SVA_DSA_H */
