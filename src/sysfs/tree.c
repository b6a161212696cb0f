/* SPDX-License-Identifier: MIT */
/*
 * The shape of the tree: path resolution and directory listings
 * (accel-config-compat.md §2). No value or state is cached: every lookup
 * asks the devices, so a link or node appears and disappears in the same
 * instant as the state it reflects (CMP-7).
 *
 * What is cached is the schema: which objects a device has and the names
 * and modes of their attributes. The model fixes it when the device is
 * created (resets and stores never change it), and asking for it on every
 * lookup costs one svad round trip per attribute for a remote device:
 * resolving one path would take ~30 of them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

static const char *const driver_names[] = {
	[DRV_IDXD] = "idxd", [DRV_USER] = "user", [DRV_DMAENGINE] = "dmaengine",
	[DRV_CRYPTO] = "crypto",
};

static const char *const drvfile_names[] = {
	[DF_BIND] = "bind", [DF_UNBIND] = "unbind", [DF_UEVENT] = "uevent",
};

/* Child objects of a device, in the kernel's naming (wq0.3, group0.1, engine0.2). */
static const char *const child_prefix[] = { "engine", "group", "wq" };

const char *tree_driver_name(unsigned int drv)
{
	return drv < DRV_COUNT ? driver_names[drv] : "";
}

void tree_pci_name(unsigned int dev, char *buf, size_t len)
{
	/* dsa0 sits at 0000:6a:01.0 and iax1 at 0000:6a:02.0 on Sapphire Rapids */
	snprintf(buf, len, "0000:6a:%02x.0", dev + 1);
}

/* The number N of "dsaN" (or "iaxN"); child objects carry it as their first number. */
static unsigned int dev_number(struct sva_device *dev)
{
	const char *name = sva_device_name(dev);
	unsigned int n = 0;

	name += strcspn(name, "0123456789");
	sscanf(name, "%u", &n);
	return n;
}

/* the schema cache */

struct schema_attr {
	char name[64];
	unsigned int flags;	/* SVA_ATTR_* */
};

/* One object that exists: its attributes in the model's order. */
struct schema_obj {
	struct sva_device *dev;
	char obj[48];
	unsigned int n;
	struct schema_attr *attrs;
};

struct tree_schema {
	pthread_mutex_t lock;	/* FUSE serves from several threads */
	unsigned int n, cap;	/* bounded by the objects the devices have */
	struct schema_obj *objs;
};

int tree_schema_new(struct tree_schema **ret)
{
	struct tree_schema *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*ret = s;
	return 0;
}

struct tree_schema *tree_schema_free(struct tree_schema *s)
{
	if (!s)
		return NULL;
	for (unsigned int i = 0; i < s->n; i++)
		free(s->objs[i].attrs);
	free(s->objs);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

/*
 * The schema of obj of dev, read from the device on first use; NULL if the
 * object does not exist (not remembered: only real objects take room) or
 * memory ran out. Called with s->lock held; the result stays valid while
 * it is held.
 */
static const struct schema_obj *schema_get(struct tree_schema *s, struct sva_device *dev,
					   const char *obj)
{
	struct schema_attr a, *na;
	struct schema_obj o = { .dev = dev }, *no;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->objs[i].dev == dev && !strcmp(s->objs[i].obj, obj))
			return &s->objs[i];
	if (strlen(obj) >= sizeof(o.obj))
		return NULL;
	strcpy(o.obj, obj);
	while (sva_attr_info(dev, obj, o.n, a.name, sizeof(a.name), &a.flags) == 0) {
		na = realloc(o.attrs, (o.n + 1) * sizeof(*na));
		if (!na)
			goto err;
		o.attrs = na;
		o.attrs[o.n++] = a;
	}
	if (!o.n)
		return NULL;
	if (s->n == s->cap) {
		no = realloc(s->objs, (s->cap * 2 + 16) * sizeof(*no));
		if (!no)
			goto err;
		s->objs = no;
		s->cap = s->cap * 2 + 16;
	}
	s->objs[s->n] = o;
	return &s->objs[s->n++];
err:
	free(o.attrs);
	return NULL;
}

bool tree_obj_exists(const struct tree *t, struct sva_device *dev, const char *obj)
{
	bool r;

	pthread_mutex_lock(&t->schema->lock);
	r = schema_get(t->schema, dev, obj) != NULL;
	pthread_mutex_unlock(&t->schema->lock);
	return r;
}

bool tree_obj_enabled(struct sva_device *dev, const char *obj)
{
	char state[32];

	return sva_attr_get(dev, obj, "state", state, sizeof(state)) >= 0 &&
	       !strcmp(state, "enabled");
}

/* Flags of attribute attr of obj, or -ENOENT. */
static int attr_lookup(const struct tree *t, struct sva_device *dev, const char *obj,
		       const char *attr, unsigned int *ret_flags)
{
	const struct schema_obj *o;
	int r = -ENOENT;

	pthread_mutex_lock(&t->schema->lock);
	o = schema_get(t->schema, dev, obj);
	for (unsigned int i = 0; o && i < o->n && r; i++) {
		if (!strcmp(o->attrs[i].name, attr)) {
			*ret_flags = o->attrs[i].flags;
			r = 0;
		}
	}
	pthread_mutex_unlock(&t->schema->lock);
	return r;
}

static bool is_device_name(struct sva_device *dev, const char *name)
{
	return !strcmp(sva_device_name(dev), name);
}

/*
 * A child object name of device dev: "<prefix><N>.<M>" with N the device's
 * number. The model rejects every non-canonical spelling, so existence is
 * the final test.
 */
static bool is_child_name(const struct tree *t, struct sva_device *dev, const char *name)
{
	unsigned int i, n, m;
	size_t pl;
	char tail;

	for (i = 0; i < sizeof(child_prefix) / sizeof(child_prefix[0]); i++) {
		pl = strlen(child_prefix[i]);
		if (strncmp(name, child_prefix[i], pl) ||
		    sscanf(name + pl, "%u.%u%c", &n, &m, &tail) != 2)
			continue;
		return n == dev_number(dev) && tree_obj_exists(t, dev, name);
	}
	return false;
}

int tree_find_obj(const struct tree *t, const char *name, unsigned int *ret_dev)
{
	unsigned int i;

	for (i = 0; i < t->ndevs; i++) {
		if (is_device_name(t->devs[i], name) || is_child_name(t, t->devs[i], name)) {
			*ret_dev = i;
			return 0;
		}
	}
	return -ENODEV;
}

int tree_bound_driver(const struct tree *t, unsigned int dev, const char *obj)
{
	struct sva_device *d = t->devs[dev];

	if (!tree_obj_enabled(d, obj))
		return -1;
	/*
	 * The model enables only user WQs (idxd_user_drv_probe), so an enabled
	 * WQ is always bound to the user driver.
	 */
	return is_device_name(d, obj) ? DRV_IDXD : DRV_USER;
}

/* "devices/pci0000:6a/0000:6a:01.0/dsa0[/obj]" preceded by up levels of "../" */
static void device_link(const struct tree *t, unsigned int dev, const char *obj,
			unsigned int up, char *buf, size_t len)
{
	const char *name = sva_device_name(t->devs[dev]);
	char pci[32];
	size_t pos = 0;

	buf[0] = '\0';
	while (up-- && pos + 3 < len)
		pos += (size_t)snprintf(buf + pos, len - pos, "../");
	tree_pci_name(dev, pci, sizeof(pci));
	snprintf(buf + pos, len - pos, "devices/" SYSFS_PCI_ROOT "/%s/%s%s%s", pci, name,
		 strcmp(obj, name) ? "/" : "", strcmp(obj, name) ? obj : "");
}

static int lookup_index(const char *const *names, unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

/* bus/dsa/... : c[0] is "bus" */
static int resolve_bus(const struct tree *t, char **c, unsigned int n, struct node *ret)
{
	unsigned int dev;
	int drv, f;

	if (n == 1)
		return ret->dir = D_BUS, 0;
	if (strcmp(c[1], "dsa"))
		return -ENOENT;
	if (n == 2)
		return ret->dir = D_BUS_DSA, 0;
	if (!strcmp(c[2], "devices")) {
		if (n == 3)
			return ret->dir = D_BUS_DEVICES, 0;
		if (n > 4 || tree_find_obj(t, c[3], &dev))
			return -ENOENT;
		ret->kind = N_LINK;
		device_link(t, dev, c[3], 3, ret->link, sizeof(ret->link));
		return 0;
	}
	if (strcmp(c[2], "drivers"))
		return -ENOENT;
	if (n == 3)
		return ret->dir = D_DRIVERS, 0;
	drv = lookup_index(driver_names, DRV_COUNT, c[3]);
	if (drv < 0)
		return -ENOENT;
	ret->drv = drv;
	if (n == 4)
		return ret->dir = D_DRIVER, 0;
	if (n > 5)
		return -ENOENT;
	f = lookup_index(drvfile_names, DF_COUNT, c[4]);
	if (f >= 0) {
		ret->kind = N_DRVFILE;
		ret->drvfile = f;
		return 0;
	}
	/* back-link of a bound object: drivers/idxd/dsa0, drivers/user/wq0.1 */
	if (tree_find_obj(t, c[4], &dev) || tree_bound_driver(t, dev, c[4]) != drv)
		return -ENOENT;
	ret->kind = N_LINK;
	device_link(t, dev, c[4], 4, ret->link, sizeof(ret->link));
	return 0;
}

/* An entry inside the directory of obj (the device or a child): attribute or driver link. */
static int resolve_in_obj(const struct tree *t, unsigned int dev, const char *obj,
			  const char *name, unsigned int depth, struct node *ret)
{
	struct sva_device *d = t->devs[dev];
	int drv;

	if (!strcmp(name, "driver")) {
		drv = tree_bound_driver(t, dev, obj);
		if (drv < 0)
			return -ENOENT;
		/* from <pci>/dsa0 (depth 0) or <pci>/dsa0/wq0.N (depth 1) up to /sys */
		ret->kind = N_LINK;
		snprintf(ret->link, sizeof(ret->link), "%s../../../../bus/dsa/drivers/%s",
			 depth ? "../" : "", driver_names[drv]);
		return 0;
	}
	if (attr_lookup(t, d, obj, name, &ret->flags))
		return -ENOENT;
	ret->kind = N_ATTR;
	snprintf(ret->attr, sizeof(ret->attr), "%s", name);
	return 0;
}

/* devices/pci0000:6a/<pci>/<dev>/...: c[0] is "devices" */
static int resolve_devices(const struct tree *t, char **c, unsigned int n, struct node *ret)
{
	char pci[32];
	unsigned int i;

	if (n == 1)
		return ret->dir = D_DEVICES, 0;
	if (strcmp(c[1], SYSFS_PCI_ROOT))
		return -ENOENT;
	if (n == 2)
		return ret->dir = D_PCIROOT, 0;
	for (i = 0; i < t->ndevs; i++) {
		tree_pci_name(i, pci, sizeof(pci));
		if (!strcmp(pci, c[2]))
			break;
	}
	if (i == t->ndevs)
		return -ENOENT;
	ret->dev = (int)i;
	if (n == 3)
		return ret->dir = D_PCIDEV, 0;
	if (!is_device_name(t->devs[i], c[3]))
		return -ENOENT;
	snprintf(ret->obj, sizeof(ret->obj), "%s", c[3]);
	if (n == 4)
		return ret->dir = D_OBJ, 0;
	if (n == 5 && is_child_name(t, t->devs[i], c[4])) {
		snprintf(ret->obj, sizeof(ret->obj), "%s", c[4]);
		return ret->dir = D_OBJ, 0;
	}
	if (n == 5)
		return resolve_in_obj(t, i, c[3], c[4], 0, ret);
	if (n == 6 && is_child_name(t, t->devs[i], c[4])) {
		snprintf(ret->obj, sizeof(ret->obj), "%s", c[4]);
		return resolve_in_obj(t, i, c[4], c[5], 1, ret);
	}
	return -ENOENT;
}

#define TREE_MAX_DEPTH	8

int tree_resolve(const struct tree *t, const char *path, struct node *ret)
{
	char copy[512], *c[TREE_MAX_DEPTH], *save = NULL, *tok;
	unsigned int n = 0;

	if (strlen(path) >= sizeof(copy))
		return -ENAMETOOLONG;
	strcpy(copy, path);
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == TREE_MAX_DEPTH)
			return -ENOENT;
		c[n++] = tok;
	}
	memset(ret, 0, sizeof(*ret));
	ret->kind = N_DIR;
	ret->dev = -1;
	if (n == 0)
		return ret->dir = D_ROOT, 0;
	if (!strcmp(c[0], "bus"))
		return resolve_bus(t, c, n, ret);
	if (!strcmp(c[0], "devices"))
		return resolve_devices(t, c, n, ret);
	if (!strcmp(c[0], "module")) {
		if (n == 1)
			return ret->dir = D_MODULE, 0;
		if (n == 2 && !strcmp(c[1], "idxd"))
			return ret->dir = D_MODULE_IDXD, 0;
		return -ENOENT;
	}
	if (n == 1 && !strcmp(c[0], SYSFS_CONTROL_NAME))
		return ret->kind = N_CONTROL, 0;
	return -ENOENT;
}

/* listings */

/* The child objects of device dev, only those bound to driver drv unless drv < 0. */
static int list_children(const struct tree *t, unsigned int dev, int drv, tree_fill_fn fill,
			 void *arg)
{
	unsigned int p, i, num = dev_number(t->devs[dev]);
	char name[48];
	int r;

	for (p = 0; p < sizeof(child_prefix) / sizeof(child_prefix[0]); p++) {
		for (i = 0;; i++) {
			snprintf(name, sizeof(name), "%s%u.%u", child_prefix[p], num, i);
			if (!tree_obj_exists(t, t->devs[dev], name))
				break;
			if (drv >= 0 && tree_bound_driver(t, dev, name) != drv)
				continue;
			r = fill(name, arg);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Every object of every device (bus/dsa/devices), or those bound to drv (back-links). */
static int list_objects(const struct tree *t, int drv, tree_fill_fn fill, void *arg)
{
	unsigned int i;
	int r;

	for (i = 0; i < t->ndevs; i++) {
		if (drv < 0 || tree_bound_driver(t, i, sva_device_name(t->devs[i])) == drv) {
			r = fill(sva_device_name(t->devs[i]), arg);
			if (r)
				return r;
		}
		r = list_children(t, i, drv, fill, arg);
		if (r)
			return r;
	}
	return 0;
}

static int list_obj_dir(const struct tree *t, const struct node *nd, tree_fill_fn fill,
			void *arg)
{
	struct sva_device *d = t->devs[nd->dev];
	const struct schema_obj *o;
	int r = 0;

	/* fill only copies the name into FUSE's buffer: it may run under the lock */
	pthread_mutex_lock(&t->schema->lock);
	o = schema_get(t->schema, d, nd->obj);
	for (unsigned int i = 0; o && i < o->n && !r; i++)
		r = fill(o->attrs[i].name, arg);
	pthread_mutex_unlock(&t->schema->lock);
	if (r)
		return r;
	if (is_device_name(d, nd->obj)) {
		r = list_children(t, (unsigned int)nd->dev, -1, fill, arg);
		if (r)
			return r;
	}
	if (tree_bound_driver(t, (unsigned int)nd->dev, nd->obj) >= 0)
		return fill("driver", arg);
	return 0;
}

int tree_list(const struct tree *t, const struct node *nd, tree_fill_fn fill, void *arg)
{
	char pci[32];
	unsigned int i;
	int r;

	switch (nd->dir) {
	case D_ROOT:
		if ((r = fill("bus", arg)) || (r = fill("devices", arg)) ||
		    (r = fill("module", arg)))
			return r;
		return fill(SYSFS_CONTROL_NAME, arg);
	case D_BUS:
		return fill("dsa", arg);
	case D_BUS_DSA:
		if ((r = fill("devices", arg)))
			return r;
		return fill("drivers", arg);
	case D_BUS_DEVICES:
		return list_objects(t, -1, fill, arg);
	case D_DRIVERS:
		for (i = 0; i < DRV_COUNT; i++)
			if ((r = fill(driver_names[i], arg)))
				return r;
		return 0;
	case D_DRIVER:
		for (i = 0; i < DF_COUNT; i++)
			if ((r = fill(drvfile_names[i], arg)))
				return r;
		return list_objects(t, nd->drv, fill, arg);
	case D_DEVICES:
		return fill(SYSFS_PCI_ROOT, arg);
	case D_PCIROOT:
		for (i = 0; i < t->ndevs; i++) {
			tree_pci_name(i, pci, sizeof(pci));
			if ((r = fill(pci, arg)))
				return r;
		}
		return 0;
	case D_PCIDEV:
		return fill(sva_device_name(t->devs[nd->dev]), arg);
	case D_OBJ:
		return list_obj_dir(t, nd, fill, arg);
	case D_MODULE:
		return fill("idxd", arg);
	default:
		return 0;
	}
}
