/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/lib: the public sva_* API over the embedded
 * (in-process) backend. Public symbols are exported through cmake/libsva.map.
 */
#ifndef SVA_LIB_H
#define SVA_LIB_H

#include <stdatomic.h>
#include <sys/types.h>

#include "sva/sva.h"
#include "core/core.h"
#include "daemon/ring.h"
#include "dsa/dsa.h"

#define SVA_EXPORT __attribute__((visibility("default")))

struct sva_remote;

struct sva_device {
	_Atomic unsigned int refs;	/* the creator's, plus one per open portal */
	struct dsa_rt *rt;		/* embedded backend; NULL for a remote device */
	struct sva_remote *remote;	/* daemon backend (remote.c); NULL when embedded */
	pid_t pid;			/* creator; a fork child gets -ECHILD */
	char name[16];
};

/* A portal of a daemon-hosted device: the ring svad serves (ring.h). */
struct sva_rportal {
	struct ring_client rc;
	uint32_t handle;
	uint32_t wq_size;
	size_t bytes;
};

struct sva_portal {
	struct sva_device *dev;
	struct sva_rportal *remote;	/* daemon backend; NULL when embedded */
	struct wq_rt *wq;
	unsigned int wq_id;
	bool unlimited;
	bool dedicated;
	struct as *as;			/* the opening process's address space */
	uint32_t pasid;
	pid_t pid;
};

/* the process (process.c) */

/*
 * The calling process's address space, created on first use. One per
 * process, shared by every device: one PASID for all (system.md §2.2).
 * A fork child starts without one (SYS-6). NULL only when out of memory.
 */
struct as *proc_as(void);
/* The calling process's pid, cached (reset in a fork child). */
pid_t proc_pid_get(void);
/* -ECHILD when called from a process other than pid (use after fork). */
int proc_check(pid_t pid);

/*
 * The process PASID, PASID_INVALID when unbound; async-signal-safe. With
 * no embedded bind, the PASID svad assigned (proc_set_remote_pasid), so
 * the trap layer's IA32_PASID fixup works for remote portals too.
 */
uint32_t proc_pasid(void);
void proc_set_remote_pasid(uint32_t pasid);

/* submission from the trap layer (portal.c): async-signal-safe */

/* ENQCMD with the PASID of the thread's IA32_PASID: 0 accepted, 1 retry. */
int lib_trap_enqcmd(struct sva_portal *p, const void *desc, uint32_t pasid);
/* MOVDIR64B: posted; a drop is recorded without taking locks. */
void lib_trap_movdir64b(struct sva_portal *p, const void *desc);

/* devices (device.c) */
struct sva_device *lib_device_ref(struct sva_device *dev);
void lib_device_unref(struct sva_device *dev);
/* sva_device_new() without the SVA_DAEMON redirection (svad's own devices). */
int lib_device_new_embedded(const struct sva_device_config *cfg, struct sva_device **ret_dev);

/* WQ clients (portal.c), shared by embedded portals and svad */

/*
 * Attach address space as to enabled WQ wq of an embedded device, as
 * open() of /dev/dsa/wqX.Y does: -ENODEV if the WQ is not enabled, -EBUSY
 * for a second client of a dedicated WQ; binds as (allocating its PASID at
 * the first bind) and gives a DWQ the PASID in WQCFG.
 */
int lib_wq_attach(struct sva_device *dev, unsigned int wq, struct as *as, uint32_t *ret_pasid,
		  bool *ret_dedicated);
/* Undo lib_wq_attach: (abort, then) drain the client's work and unbind. */
void lib_wq_detach(struct sva_device *dev, unsigned int wq, struct as *as, uint32_t pasid,
		   bool dedicated, bool abort);

/* the daemon backend (remote.c): every sva_* call on a remote device */

int remote_connect(const char *socket_path, const char *name, struct sva_device **ret_dev);
void remote_free(struct sva_device *dev);
int remote_attr_get(struct sva_device *dev, const char *obj, const char *attr, char *buf,
		    size_t len);
int remote_attr_set(struct sva_device *dev, const char *obj, const char *attr, const char *val);
int remote_attr_info(struct sva_device *dev, const char *obj, unsigned int index, char *ret_name,
		     size_t len, unsigned int *ret_flags);
/* An admin command (enum proto_cmd) with its argument. */
int remote_admin(struct sva_device *dev, unsigned int cmd, uint32_t arg);
/* STATUS: the command status, and the last error text into the handle. */
uint32_t remote_cmd_status(struct sva_device *dev);
const char *remote_last_error(struct sva_device *dev);
/* STATS of kind (enum proto_stats_kind) into ret (size bytes, size field first). */
int remote_stats(struct sva_device *dev, unsigned int kind, uint32_t index, void *ret,
		 size_t size);
int remote_bind(struct sva_device *dev, uint32_t *ret_pasid);
int remote_unbind(struct sva_device *dev);
int remote_portal_open(struct sva_device *dev, unsigned int wq, unsigned int flags,
		       struct sva_portal **ret_portal);
/* Close the portal in svad (which drains its work) and unmap the ring. */
void remote_portal_close(struct sva_portal *p);
int remote_portal_wq_size(struct sva_portal *p);

/* configuration files (config.c, config_dump.c) */

/* Read an integer attribute (decimal or 0x hex); -EPROTO if it is not one. */
int lib_attr_ll(struct sva_device *dev, const char *obj, const char *attr, long long *ret);

#endif /* SVA_LIB_H */
