/* SPDX-License-Identifier: MIT */
/*
 * sva: an Intel DSA 1.0 device with Shared Virtual Addressing, in user space.
 *
 * Control plane: devices, their configuration (by idxd sysfs attribute
 * names), process binding (PASID), portals, admin commands and counters.
 * Descriptors and completion records are the standard ones of
 * <linux/idxd.h> and live in caller memory. Build them with sva_desc.h and
 * wait for them with sva_submit.h.
 *
 * Conventions: every function is thread-safe and returns 0 (or a
 * non-negative count) on success and -errno on failure; out-parameters
 * (ret_*) come last and are untouched on failure. Device status codes
 * (DSA_COMP_*) are written into completion records and never become errno.
 * Using a device or portal in a fork child returns -ECHILD.
 */
#ifndef SVA_H
#define SVA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/idxd.h>

#include "sva_barrier.h"
#include "sva_config.h"
#include "sva_desc.h"
#include "sva_submit.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SVA_PASID_INVALID	0xFFFFFFFFu	/* "no PASID" (IOMMU_PASID_INVALID) */

struct sva_device;
struct sva_portal;

/* devices */

#define SVA_CONFIG_VERSION	1
/* Leave the device in its power-on state: disabled, nothing configured. */
#define SVA_CONFIG_UNCONFIGURED	(1u << 0)
/*
 * The idxd of Linux 6.7+: WQs have a driver_name attribute, which must name
 * the "user" driver before the WQ can be enabled (accel-config-compat.md
 * §4.2, CMP-4). Without it, a WQ of type user binds to the user driver.
 */
#define SVA_CONFIG_DRIVER_NAME	(1u << 1)

/*
 * Geometry and behaviour of a new device. Zero fields take the defaults of
 * a Sapphire Rapids DSA: 4 groups, 4 engines, 8 WQs, 128 WQ entries,
 * max_batch_size 1024, max_transfer_size 2 GiB. size and version let the
 * struct grow without breaking the ABI.
 */
struct sva_device_config {
	uint32_t size;			/* sizeof(struct sva_device_config) */
	uint32_t version;		/* SVA_CONFIG_VERSION */
	uint32_t flags;			/* SVA_CONFIG_* */
	uint16_t max_groups;
	uint16_t max_engines;
	uint16_t max_wqs;
	uint16_t max_wq_size;		/* total entries over all WQs */
	uint32_t max_batch_size;	/* a power of two, <= 2^15 */
	uint64_t max_transfer_size;	/* a power of two, <= 2^31 */
	uint32_t engine_spin_us;	/* idle engines spin this long before sleeping */
	uint32_t reserved[15];
};

/*
 * Create an embedded (in-process) device. cfg NULL means defaults plus a
 * ready configuration: the device enabled with wq0.0 shared (size 64,
 * threshold 48, engines 0-1) and wq0.1 dedicated (size 64, engines 2-3),
 * both with block_on_fault. With SVA_CONFIG_UNCONFIGURED the device starts
 * disabled and empty, to be configured with sva_attr_set() and enabled.
 * The caller owns the device and frees it with sva_device_free().
 */
int sva_device_new(const struct sva_device_config *cfg, struct sva_device **ret_dev);
/*
 * Disable the device (draining every WQ: accepted descriptors complete),
 * stop its engines and free it. Open portals must be closed first
 * (-EBUSY otherwise, nothing freed). Accepts NULL. Returns NULL on success.
 */
struct sva_device *sva_device_free(struct sva_device *dev);
/*
 * Connect to device name ("dsa0") of the svad daemon listening on
 * socket_path (NULL: $SVA_DAEMON, else /run/sva/sva.sock). The handle works
 * with every function of this header; the device runs in svad, its DMA
 * reaches this process's memory, and the PASID is the one svad assigns to
 * this process (shared by all its connections). Returns 0; -ENODEV when no
 * daemon listens there or it has no such device; -EACCES/-EPERM when the
 * socket refuses this user; -EPROTO for an incompatible svad; -ENOMEM.
 * Once svad stops, calls on the handle return -ESHUTDOWN. Free it with
 * sva_device_free() (which closes the connection; portals first).
 *
 * sva_device_new(NULL, ...) connects to "dsa0" the same way when the
 * environment has SVA_DAEMON set (read with secure_getenv()).
 */
int sva_device_connect(const char *socket_path, const char *name, struct sva_device **ret_dev);
/* The device's name, "dsa0", "dsa1", ... */
const char *sva_device_name(const struct sva_device *dev);

/* configuration, by idxd sysfs names and formats */

/*
 * Read attribute attr of object obj ("dsa0", "wq0.1", "group0.0",
 * "engine0.3"), in the format sysfs shows, without the trailing newline.
 * Returns the length; -ENOENT unknown, -ENXIO not readable now, -ENOSPC
 * buffer too small.
 */
int sva_attr_get(struct sva_device *dev, const char *obj, const char *attr, char *buf,
		 size_t len);
/*
 * Write an attribute with the kernel's rules: -EPERM while the object or
 * device is enabled or read-only, -EINVAL for a bad value, -ENOENT unknown.
 * Side effects (mode dedicated clears threshold, ...) apply at once.
 */
int sva_attr_set(struct sva_device *dev, const char *obj, const char *attr, const char *val);
/*
 * The bytes a read() of the sysfs file obj/attr returns: the value and a
 * newline, or nothing at all where the kernel shows an empty file (empty
 * group engines/work_queues lists). Not NUL-terminated beyond the count.
 * Returns the byte count; errors as sva_attr_get.
 */
int sva_attr_show(struct sva_device *dev, const char *obj, const char *attr, char *buf,
		  size_t len);

#define SVA_ATTR_WRITABLE	(1u << 0)	/* the sysfs file has a store method */

/*
 * Enumerate the attributes of obj: the name of the index-th one (0, 1, ...)
 * into ret_name and its SVA_ATTR_* flags into *ret_flags. Returns 0;
 * -ENOENT past the last attribute or for an unknown object (so index 0
 * tells whether obj exists), -ENOSPC if len is too small.
 */
int sva_attr_info(struct sva_device *dev, const char *obj, unsigned int index, char *ret_name,
		  size_t len, unsigned int *ret_flags);

/*
 * Enable/disable the device or one WQ. Enabling validates the whole
 * configuration; a failure returns -errno and leaves a command status
 * (sva_cmd_status) and a message naming the violated rule (sva_last_error).
 * Disabling drains: every accepted descriptor completes first.
 */
int sva_device_enable(struct sva_device *dev);
int sva_device_disable(struct sva_device *dev);
int sva_wq_enable(struct sva_device *dev, unsigned int wq);
int sva_wq_disable(struct sva_device *dev, unsigned int wq);
/* Last command status: CMDSTS error code or IDXD_SCMD_* soft error; 0 = ok. */
uint32_t sva_cmd_status(struct sva_device *dev);
/* Decoded name of a command status, e.g. "WQ_NO_THRESH"; never NULL. */
const char *sva_strcmdsts(uint32_t code);
/* Readable message of the last failed command; "" if none. Valid until the next call. */
const char *sva_last_error(struct sva_device *dev);
/* Name of a completion status, e.g. "page fault (block on fault off)". */
const char *sva_strstatus(uint8_t status);
/* Name of a descriptor opcode, e.g. "memmove"; "unknown" if none. */
const char *sva_stropcode(uint8_t opcode);

/* admin commands (dsa-device.md §10) */

/* Drain: wait until every affected accepted descriptor has completed. */
int sva_drain_all(struct sva_device *dev);
int sva_drain_wq(struct sva_device *dev, unsigned int wq);
int sva_drain_pasid(struct sva_device *dev, uint32_t pasid);
/* Abort: affected descriptors still queued are abandoned (no record). */
int sva_abort_all(struct sva_device *dev);
int sva_abort_wq(struct sva_device *dev, unsigned int wq);
int sva_abort_pasid(struct sva_device *dev, uint32_t pasid);
/* Reset WQ: abort, disable, config back to defaults except size. */
int sva_wq_reset(struct sva_device *dev, unsigned int wq);
/* Reset device: abort everything, back to the power-on state. */
int sva_device_reset(struct sva_device *dev);

/* process binding */

/*
 * Bind the calling process to dev. The process has one PASID for all
 * devices: the first bind allocates it, later binds reuse it. Reference
 * counted; the PASID lives until the process's sva state is torn down.
 */
int sva_bind(struct sva_device *dev, uint32_t *ret_pasid);
int sva_unbind(struct sva_device *dev);

/* portals */

#define SVA_PORTAL_LIMITED	0u	/* ENQCMD: accepted while occupancy < threshold */
#define SVA_PORTAL_UNLIMITED	1u	/* ENQCMDS: accepted while occupancy < size */

/*
 * Open a portal on an enabled WQ, like open()+mmap() of /dev/dsa/wqX.Y:
 * binds the calling process. A dedicated WQ has one opener (-EBUSY for a
 * second) and takes the opener's PASID into its WQCFG. -ENODEV if the WQ
 * is not enabled. Close with sva_portal_close(), which drains this
 * process's work on a shared WQ, as idxd's release does.
 */
int sva_portal_open(struct sva_device *dev, unsigned int wq, unsigned int flags,
		    struct sva_portal **ret_portal);
/* Accepts NULL; returns NULL. */
struct sva_portal *sva_portal_close(struct sva_portal *p);

/*
 * ENQCMD through a shared-WQ portal: 0 accepted, 1 retry (the instruction's
 * ZF=1: WQ at its limit, disabled, or not a shared WQ), -errno for misuse.
 * The PASID comes from the portal's process, never from the descriptor,
 * and Priv is 0. The descriptor is copied before return.
 */
int sva_enqcmd(struct sva_portal *p, const struct dsa_hw_desc *desc);
/*
 * ENQCMDS, the supervisor form: PASID and Priv come from the descriptor.
 * For privileged software (an sva "kernel" layer or proxy). Same returns.
 */
int sva_enqcmds(struct sva_portal *p, const struct dsa_hw_desc *desc);
/*
 * MOVDIR64B to a dedicated-WQ portal: a posted write with no status, so
 * it returns 0 even when the WQ was full: the descriptor is then dropped
 * and recorded in SWERROR (0x53), as on hardware. To a shared WQ it is
 * silently ignored. Use sva_credits to never overflow.
 */
int sva_movdir64b(struct sva_portal *p, const struct dsa_hw_desc *desc);
/* The WQ's size, for credit accounting. */
int sva_portal_wq_size(struct sva_portal *p);

/*
 * Credits for a dedicated WQ: take one before each MOVDIR64B and give it
 * back when the descriptor's record shows completion. Not thread-safe: one
 * per submitting thread, as a DWQ has one owner.
 */
struct sva_credits {
	int avail;
};

static inline void sva_credits_init(struct sva_credits *c, int wq_size)
{
	c->avail = wq_size;
}

/* 0 and one credit taken, or -EBUSY when none is left. */
static inline int sva_credits_take(struct sva_credits *c)
{
	if (c->avail <= 0)
		return -EBUSY;
	c->avail--;
	return 0;
}

static inline void sva_credits_put(struct sva_credits *c, int n)
{
	c->avail += n;
}

/* CPU side: ENQCMD / MOVDIR64B executed by the program itself */

/*
 * Map portal p as one 4 KiB page, as mmap() of /dev/dsa/wqX.Y does. The
 * page has no access rights, so a native store faults too; it is not
 * inherited by fork children (MADV_DONTFORK, like VM_DONTCOPY). ENQCMD or
 * MOVDIR64B executed on it (intrinsics, inline asm) reach the portal's WQ
 * once sva_trap_install() has run. Unmap with sva_portal_munmap().
 */
int sva_portal_mmap(struct sva_portal *p, void **ret_addr);
int sva_portal_munmap(struct sva_portal *p, void *addr);
/*
 * Install the SIGILL/SIGSEGV/SIGBUS handlers that emulate ENQCMD,
 * ENQCMDS, MOVDIR64B and WAITPKG (UMONITOR/UMWAIT/TPAUSE). Signals that are
 * not ours go to the previous handlers or the default action. Idempotent.
 */
int sva_trap_install(void);

struct sva_trap_stats {
	uint32_t size;			/* sizeof(struct sva_trap_stats) */
	uint32_t reserved0;
	uint64_t enqcmd;		/* emulated ENQCMDs (accepted or retried) */
	uint64_t movdir64b;		/* emulated MOVDIR64Bs */
	uint64_t waitpkg;		/* emulated UMONITOR/UMWAIT/TPAUSE */
	uint64_t fixups_thread;		/* lazy IA32_PASID fixups of the calling thread */
	uint64_t fixups_process;	/* ... of the whole process */
	uint64_t chained;		/* signals passed to the previous handler */
	uint64_t reserved[8];
};

int sva_trap_stats(struct sva_trap_stats *ret_stats);
/* The calling thread's emulated IA32_PASID: VALID (bit 31) | PASID, 0 if cleared. */
uint32_t sva_msr_pasid(void);

/* counters */

struct sva_wq_stats {
	uint32_t size;			/* sizeof(struct sva_wq_stats) */
	uint32_t occupancy;		/* accepted, not yet dispatched */
	uint64_t accepted;		/* descriptors admitted */
	uint64_t retries;		/* ENQCMD answered Retry */
	uint64_t dropped;		/* MOVDIR64B to a full DWQ (SWERROR 0x53) */
	uint64_t ignored;		/* posted writes to an SWQ or disabled WQ */
	uint64_t completed;		/* descriptors executed */
	uint64_t aborted;		/* abandoned by an abort */
	uint64_t reserved[8];
};

struct sva_engine_stats {
	uint32_t size;
	int32_t group_id;
	uint64_t descs;			/* descriptors executed (batch members included) */
	uint64_t bytes;
	uint64_t busy_ns;
	uint64_t sleeps;		/* times the idle engine went to sleep */
	uint64_t reserved[8];
};

struct sva_device_stats {
	uint32_t size;
	uint32_t reserved0;
	uint64_t by_opcode[256];	/* top-level descriptors completed, per opcode */
	uint64_t by_status[256];	/* final status of top-level descriptors */
	uint64_t faults;		/* page-fault completions */
	uint64_t swerrors;		/* errors reported to SWERROR */
	uint64_t reserved[8];
};

#define SVA_PASID_OTHER		0xFFFFFFFFu	/* sva_pasid_stats.pasid of the overflow row */
#define SVA_PASID_NSTATUS	64		/* by_status entries: status & 0x7f, capped at 63 */

/*
 * One PASID's counters. The device keeps a row for each of the first 256
 * PASIDs it serves (for its whole lifetime: a PASID number reused by a
 * later process adds to the same row) and one SVA_PASID_OTHER row for
 * every PASID after those. Sums over the rows equal the device-wide
 * counters: completed adds up to sva_device_stats' by_opcode total, faults
 * to its faults, retries to the WQs' retries, aborted to the WQs' aborted.
 */
struct sva_pasid_stats {
	uint32_t size;			/* sizeof(struct sva_pasid_stats) */
	uint32_t pasid;			/* the 20-bit PASID, or SVA_PASID_OTHER */
	uint64_t completed;		/* top-level descriptors completed (sum of by_status) */
	uint64_t by_status[SVA_PASID_NSTATUS];	/* ... by status code without bit 7 */
	uint64_t faults;		/* page-fault completions (0x03, 0x04) */
	uint64_t retries;		/* ENQCMD/ENQCMDS answered Retry */
	uint64_t bytes;			/* bytes processed (batch members included) */
	uint64_t aborted;		/* abandoned by an abort (no record written) */
	uint64_t reserved[8];
};

/* svad's own counters, for a device reached with sva_device_connect(). */
struct sva_daemon_stats {
	uint32_t size;			/* sizeof(struct sva_daemon_stats) */
	uint32_t reserved0;
	uint64_t clients;		/* client processes connected */
	uint64_t connections;		/* open connections */
	uint64_t pasids;		/* PASIDs allocated (daemon-wide allocator) */
	uint64_t portals;		/* open portals (rings) */
	uint64_t ring_bytes;		/* shared memory held by the rings */
	uint64_t rss_bytes;		/* svad's resident memory */
	uint64_t enq_accepted;		/* ring submissions admitted */
	uint64_t enq_retries;		/* ring submissions answered Retry */
	uint64_t posted;		/* MOVDIR64B ring submissions */
	uint64_t clients_total;		/* processes served since start */
	uint64_t refused;		/* connections or requests refused by limits */
	uint64_t releasing;		/* closed portals/connections/clients still draining */
	uint64_t engine_served;		/* of those, answered by an engine (not svad's portal thread) */
	uint64_t reserved[7];
};

/* Fill *ret_stats; set ret_stats->size = sizeof(*ret_stats) first. */
int sva_wq_stats(struct sva_device *dev, unsigned int wq, struct sva_wq_stats *ret_stats);
int sva_engine_stats(struct sva_device *dev, unsigned int engine,
		     struct sva_engine_stats *ret_stats);
int sva_device_stats(struct sva_device *dev, struct sva_device_stats *ret_stats);
/*
 * Row index of the per-PASID counters: rows in the order their PASIDs were
 * first seen, the SVA_PASID_OTHER row last (only once it counted
 * something). Enumerate from index 0 until -ENOENT. Works on embedded and
 * svad-hosted devices (svad's rows cover every client). -EINVAL for a
 * NULL argument or a size smaller than the 1.0 struct; *ret_stats (but
 * its size) is filled on success only.
 */
int sva_pasid_stats(struct sva_device *dev, unsigned int index,
		    struct sva_pasid_stats *ret_stats);
/* svad's counters; -EOPNOTSUPP for an embedded device. */
int sva_daemon_stats(struct sva_device *dev, struct sva_daemon_stats *ret_stats);
/* SWERROR as the four 64-bit words of the register (sysfs "errors"). */
int sva_swerror(struct sva_device *dev, uint64_t ret_words[4]);
int sva_swerror_clear(struct sva_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* SVA_H */
