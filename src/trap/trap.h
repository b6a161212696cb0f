/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of src/trap (libsva-trap.so).
 */
#ifndef SVA_TRAP_H
#define SVA_TRAP_H

#include "sva/sva.h"

/* the sysfs mirror (mirror.c): stopgap until svad hosts the devices */

/*
 * Configure dev (in its power-on state) as the sysfs tree under
 * sysfs_root ("/sys") shows the device of the same name, and enable the
 * device and the WQs the tree shows enabled. Returns 0, -ENOENT without a
 * tree, or the enable's -errno.
 */
int mirror_sysfs_config(struct sva_device *dev, const char *sysfs_root);

#endif /* SVA_TRAP_H */
