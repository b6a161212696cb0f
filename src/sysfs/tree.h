/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/sysfs: what a path of the served tree names (tree.c),
 * used by the FUSE operations (sysfs.c).
 */
#ifndef SVA_SYSFS_TREE_H
#define SVA_SYSFS_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "sysfs.h"

#define SYSFS_CONTROL_NAME	"sva_control"

/* The dsa bus drivers (accel-config-compat.md §2, CMP-2). */
enum tree_driver { DRV_IDXD, DRV_USER, DRV_DMAENGINE, DRV_CRYPTO, DRV_COUNT };
/* The files of a driver directory. */
enum tree_drvfile { DF_BIND, DF_UNBIND, DF_UEVENT, DF_COUNT };

enum node_kind { N_DIR, N_ATTR, N_LINK, N_DRVFILE, N_CONTROL };

enum dir_kind {
	D_ROOT, D_BUS, D_BUS_DSA, D_BUS_DEVICES, D_DRIVERS, D_DRIVER, D_DEVICES, D_PCIROOT,
	D_PCIDEV, D_OBJ, D_MODULE, D_MODULE_IDXD,
};

struct tree_schema;

struct tree {
	struct sva_device *const *devs;
	unsigned int ndevs;
	struct tree_schema *schema;	/* objects and attribute names: fixed per device */
};

/* The schema cache of a tree (objects, attribute names and modes; never values). */
int tree_schema_new(struct tree_schema **ret);
/* Accepts NULL; returns NULL. */
struct tree_schema *tree_schema_free(struct tree_schema *s);

/* What one path names. */
struct node {
	enum node_kind kind;
	enum dir_kind dir;	/* N_DIR */
	int dev;		/* device index for D_PCIDEV, D_OBJ, N_ATTR; else -1 */
	char obj[48];		/* D_OBJ, N_ATTR: "dsa0", "wq0.1" */
	char attr[64];		/* N_ATTR */
	unsigned int flags;	/* N_ATTR: SVA_ATTR_* */
	int drv;		/* D_DRIVER, N_DRVFILE: enum tree_driver */
	int drvfile;		/* N_DRVFILE: enum tree_drvfile */
	char link[256];		/* N_LINK: the relative target */
};

/* Resolve path ("/bus/dsa/devices/wq0.1"): 0 and *ret, or -ENOENT. */
int tree_resolve(const struct tree *t, const char *path, struct node *ret);

typedef int (*tree_fill_fn)(const char *name, void *arg);
/* Call fill for every entry of directory nd ("." and ".." excluded); stops on non-zero. */
int tree_list(const struct tree *t, const struct node *nd, tree_fill_fn fill, void *arg);

/* The device index owning object name ("dsa0", "wq0.3"), or -ENODEV. */
int tree_find_obj(const struct tree *t, const char *name, unsigned int *ret_dev);
/* The driver obj of device dev is bound to (enum tree_driver), -1 if none. */
int tree_bound_driver(const struct tree *t, unsigned int dev, const char *obj);
bool tree_obj_exists(const struct tree *t, struct sva_device *dev, const char *obj);
bool tree_obj_enabled(struct sva_device *dev, const char *obj);
const char *tree_driver_name(unsigned int drv);
/* The PCI directory name of device index dev ("0000:6a:01.0"). */
void tree_pci_name(unsigned int dev, char *buf, size_t len);

#endif /* SVA_SYSFS_TREE_H */
