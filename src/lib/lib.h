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
#include "dsa/dsa.h"

#define SVA_EXPORT __attribute__((visibility("default")))

struct sva_device {
	_Atomic unsigned int refs;	/* the creator's, plus one per open portal */
	struct dsa_rt *rt;
	pid_t pid;			/* creator; a fork child gets -ECHILD */
	char name[16];
};

struct sva_portal {
	struct sva_device *dev;
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

/* The process PASID, PASID_INVALID when unbound; async-signal-safe. */
uint32_t proc_pasid(void);

/* submission from the trap layer (portal.c): async-signal-safe */

/* ENQCMD with the PASID of the thread's IA32_PASID: 0 accepted, 1 retry. */
int lib_trap_enqcmd(struct sva_portal *p, const void *desc, uint32_t pasid);
/* MOVDIR64B: posted; a drop is recorded without taking locks. */
void lib_trap_movdir64b(struct sva_portal *p, const void *desc);

/* devices (device.c) */
struct sva_device *lib_device_ref(struct sva_device *dev);
void lib_device_unref(struct sva_device *dev);

/* configuration files (config.c, config_dump.c) */

/* Read an integer attribute (decimal or 0x hex); -EPROTO if it is not one. */
int lib_attr_ll(struct sva_device *dev, const char *obj, const char *attr, long long *ret);

#endif /* SVA_LIB_H */
