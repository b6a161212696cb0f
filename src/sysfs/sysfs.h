/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/sysfs: a FUSE file system that serves the
 * idxd sysfs tree of sva devices (accel-config-compat.md §2-6), for the
 * unmodified accel-config and dsa_test run under svarun.
 *
 * Every value comes from the device through the public API (sva_attr_show,
 * sva_attr_set, sva_device_enable, ...): the tree holds no state of its own
 * beyond which devices it serves. Links (driver, back-links) and the
 * /dev/dsa nodes follow the device and WQ states.
 *
 * The root of the file system is a miniature /sys:
 *
 *   bus/dsa/devices/{dsa0,wq0.N,group0.N,engine0.N}  relative symlinks
 *   bus/dsa/drivers/{idxd,user,dmaengine,crypto}/{bind,unbind,uevent}
 *   devices/pci0000:6a/0000:6a:01.0/dsa0/...        the device directories
 *   module/idxd/                                     "the module is loaded"
 *   sva_control                                      write "reset": modprobe idxd
 *
 * so its subdirectories can be bind-mounted over the same paths of /sys,
 * and the relative links resolve both there and inside the mount.
 */
#ifndef SVA_SYSFS_H
#define SVA_SYSFS_H

#include <stdbool.h>
#include <stdio.h>

#include "sva/sva.h"

#define SYSFS_MAX_DEVICES	8

struct sysfs_server;

/*
 * Mount the tree of devs[0..ndevs) at mountpoint (an existing empty
 * directory) and serve it from a thread of the calling process. dev_root
 * is where WQ nodes are created and removed (dev_root/dsa/wqD.Q; the
 * directory dev_root/dsa must exist), NULL for none. The devices stay
 * owned by the caller and must outlive the server. Returns 0 and
 * *ret_server; -EINVAL, -ENOMEM, or the mount's -errno (-EPERM without
 * privileges, -ENODEV without /dev/fuse).
 */
int sysfs_server_start(struct sva_device *const *devs, unsigned int ndevs,
		       const char *mountpoint, const char *dev_root,
		       struct sysfs_server **ret_server);
/*
 * Print refused stores and binds on log with the device's message, which
 * names the violated rule, as "svarun: dsa0: <message>" (the dmesg line
 * of the kernel driver, made readable). NULL, the default, is quiet.
 */
void sysfs_server_set_log(struct sysfs_server *s, FILE *log);
/* Unmount, stop the thread and free. Accepts NULL; returns NULL. */
struct sysfs_server *sysfs_server_stop(struct sysfs_server *s);

/*
 * Bring every WQ node in line with the WQ states (create for enabled WQs,
 * remove for the others). The bind/unbind/control writes call it before
 * they return; svarun calls it after it configured devices itself
 * (--config, through sva_config_load()).
 */
void sysfs_sync_nodes(struct sysfs_server *s);

/*
 * The PCI location each device directory lives under: "0000:6a:01.0" for
 * the first device, "0000:6a:02.0" for the second, ... (SPR's dsa0/iax1).
 */
#define SYSFS_PCI_ROOT		"pci0000:6a"

#endif /* SVA_SYSFS_H */
