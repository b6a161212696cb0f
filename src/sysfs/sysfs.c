/* SPDX-License-Identifier: MIT */
/*
 * The FUSE operations of the sysfs tree: sysfs file semantics over the
 * public device API (accel-config-compat.md §3, §5, §6).
 *
 * - A read returns the whole current value at offset 0 (CMP-3); nothing is
 *   cached, by the kernel (entry/attr timeouts 0, direct_io) or here.
 * - A write is a store of the whole value whatever the offset, applied
 *   before write() returns, with the model's -errno (CMP-6); O_TRUNC is
 *   accepted and ignored, as sysfs does.
 * - bind/unbind enable and disable devices and WQs synchronously and bring
 *   the WQ nodes in line before write() returns (CMP-7).
 */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree.h"

#define ATTR_FILE_SIZE	4096	/* st_size of every sysfs attribute (CMP-3) */
#define STORE_MAX	4095	/* sysfs truncates a store to PAGE_SIZE - 1 */

struct sysfs_server {
	struct tree tree;
	struct sva_device *devs[SYSFS_MAX_DEVICES];
	char *dev_root;			/* NULL: no nodes */
	char *mountpoint;
	pthread_mutex_t bind_lock;	/* one bind/unbind/reset + node sync at a time */
	FILE *_Atomic log;		/* refusals with the rule they broke; NULL: quiet */
	struct fuse *fuse;
	pthread_t thread;
	bool running;
};

/* The server of the calling FUSE request and what path names in its tree. */
static int lookup(const char *path, struct sysfs_server **ret_s, struct node *ret_nd)
{
	*ret_s = fuse_get_context()->private_data;
	return tree_resolve(&(*ret_s)->tree, path, ret_nd);
}

/* WQ nodes */

static void sync_node(struct sysfs_server *s, struct sva_device *dev, const char *wq)
{
	const char *name = sva_device_name(dev);
	char path[PATH_MAX];
	int fd;

	/* the class directory is the device name's letters: /dev/dsa, /dev/iax */
	snprintf(path, sizeof(path), "%s/%.*s/%s", s->dev_root,
		 (int)strcspn(name, "0123456789"), name, wq);
	if (!tree_obj_enabled(dev, wq)) {
		unlink(path);
		return;
	}
	/* a zero-length regular file: the trap library turns its mapping into the portal */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return;
	fchmod(fd, 0666);	/* the test user opens it O_RDWR whatever our umask */
	close(fd);
}

static void sync_nodes_locked(struct sysfs_server *s)
{
	unsigned int i, q, num;
	const char *name;
	char wq[48];

	if (!s->dev_root)
		return;
	for (i = 0; i < s->tree.ndevs; i++) {
		name = sva_device_name(s->devs[i]);
		num = (unsigned int)strtoul(name + strcspn(name, "0123456789"), NULL, 10);
		for (q = 0;; q++) {
			snprintf(wq, sizeof(wq), "wq%u.%u", num, q);
			if (!tree_obj_exists(&s->tree, s->devs[i], wq))
				break;
			sync_node(s, s->devs[i], wq);
		}
	}
}

void sysfs_sync_nodes(struct sysfs_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->bind_lock);
	sync_nodes_locked(s);
	pthread_mutex_unlock(&s->bind_lock);
}

/*
 * Where the kernel leaves a refused enable to a dev_err() line in dmesg
 * and userspace to a hex cmd_status, print the device's own message,
 * which names the rule and the values ("wq0.0: shared WQ needs threshold
 * 1..16, got 0 (WQ_NO_THRESH)"). Only for calls the device refused, so
 * the message is the one this call left. Returns r.
 */
static int log_refusal(struct sysfs_server *s, struct sva_device *d, int r)
{
	FILE *log = atomic_load(&s->log);
	const char *why;

	if (!r || !log)
		return r;
	why = sva_last_error(d);
	if (why && *why)
		fprintf(log, "svarun: %s: %s\n", sva_device_name(d), why);
	else
		fprintf(log, "svarun: %s: refused: %s\n", sva_device_name(d), strerror(-r));
	fflush(log);
	return r;
}

void sysfs_server_set_log(struct sysfs_server *s, FILE *log)
{
	atomic_store(&s->log, log);
}

/* bind and unbind (accel-config-compat.md §6) */

static int wq_index(const char *name, unsigned int *ret)
{
	unsigned int n;
	char tail;

	return sscanf(name, "wq%u.%u%c", &n, ret, &tail) == 2 ? 0 : -ENODEV;
}

static int do_bind(struct sysfs_server *s, int drv, const char *name)
{
	struct sva_device *d;
	unsigned int dev, q;

	/* bus_find_device_by_name(): no such device is -ENODEV */
	if (tree_find_obj(&s->tree, name, &dev))
		return -ENODEV;
	d = s->devs[dev];
	if (drv == DRV_IDXD)
		return strcmp(name, sva_device_name(d)) ? -ENODEV
							 : log_refusal(s, d, sva_device_enable(d));
	/*
	 * sva serves user WQs only: the dmaengine and crypto drivers (kernel
	 * WQs) match nothing, as on a kernel built without them.
	 */
	if (drv != DRV_USER || wq_index(name, &q))
		return -ENODEV;
	return log_refusal(s, d, sva_wq_enable(d, q));
}

static int do_unbind(struct sysfs_server *s, int drv, const char *name)
{
	struct sva_device *d;
	unsigned int dev, q;

	/* unbind_store(): an object not bound to this driver is -ENODEV */
	if (tree_find_obj(&s->tree, name, &dev) || tree_bound_driver(&s->tree, dev, name) != drv)
		return -ENODEV;
	d = s->devs[dev];
	if (drv == DRV_IDXD)
		return log_refusal(s, d, sva_device_disable(d));	/* every WQ first */
	if (wq_index(name, &q))
		return -ENODEV;
	return log_refusal(s, d, sva_wq_disable(d, q));
}

static int do_control(struct sysfs_server *s, const char *cmd)
{
	unsigned int i;
	int r, rc = 0;

	/* "reset": what modprobe idxd does, every device back to its power-on state */
	if (strcmp(cmd, "reset"))
		return -EINVAL;
	for (i = 0; i < s->tree.ndevs; i++) {
		r = sva_device_reset(s->devs[i]);
		if (r && !rc)
			rc = r;
	}
	return rc;
}

/* FUSE operations */

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* every lookup and every read goes to us: the values are live (CMP-7) */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	return fuse_get_context()->private_data;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct sysfs_server *s;
	struct node nd;
	int r;

	(void)fi;
	r = lookup(path, &s, &nd);
	if (r)
		return r;
	memset(st, 0, sizeof(*st));
	st->st_nlink = 1;
	switch (nd.kind) {
	case N_DIR:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		break;
	case N_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_size = (off_t)strlen(nd.link);
		break;
	case N_ATTR:
		st->st_mode = S_IFREG | ((nd.flags & SVA_ATTR_WRITABLE) ? 0644 : 0444);
		st->st_size = ATTR_FILE_SIZE;
		break;
	case N_DRVFILE:
	case N_CONTROL:
		st->st_mode = S_IFREG | 0200;	/* write-only, as the driver core's files */
		st->st_size = ATTR_FILE_SIZE;
		break;
	}
	return 0;
}

static int fs_readlink(const char *path, char *buf, size_t len)
{
	struct sysfs_server *s;
	struct node nd;
	int r;

	r = lookup(path, &s, &nd);
	if (r)
		return r;
	if (nd.kind != N_LINK)
		return -EINVAL;
	snprintf(buf, len, "%s", nd.link);
	return 0;
}

struct fill_ctx {
	void *buf;
	fuse_fill_dir_t filler;
};

static int fill_one(const char *name, void *arg)
{
	struct fill_ctx *f = arg;

	return f->filler(f->buf, name, NULL, 0, 0) ? -ENOMEM : 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct sysfs_server *s;
	struct fill_ctx f = { .buf = buf, .filler = filler };
	struct node nd;
	int r;

	(void)off;
	(void)fi;
	(void)flags;
	r = lookup(path, &s, &nd);
	if (r)
		return r;
	if (nd.kind != N_DIR)
		return -ENOTDIR;
	if ((r = fill_one(".", &f)) || (r = fill_one("..", &f)))
		return r;
	return tree_list(&s->tree, &nd, fill_one, &f);
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct sysfs_server *s;
	int acc = fi->flags & O_ACCMODE;
	struct node nd;
	int r;

	r = lookup(path, &s, &nd);
	if (r)
		return r;
	switch (nd.kind) {
	case N_DIR:
		return -EISDIR;
	case N_LINK:
		return -ELOOP;
	case N_ATTR:
		/* kernfs: no store method, no write open, even for root */
		if (acc != O_RDONLY && !(nd.flags & SVA_ATTR_WRITABLE))
			return -EACCES;
		break;
	case N_DRVFILE:
	case N_CONTROL:
		if (acc != O_WRONLY)
			return -EACCES;
		break;
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t len, off_t off, struct fuse_file_info *fi)
{
	struct sysfs_server *s;
	char val[ATTR_FILE_SIZE + 1];
	struct node nd;
	int r;

	(void)fi;
	r = lookup(path, &s, &nd);
	if (r)
		return r;
	if (nd.kind != N_ATTR)
		return -EACCES;
	r = sva_attr_show(s->devs[nd.dev], nd.obj, nd.attr, val, sizeof(val));
	if (r < 0)
		return r;
	if (off >= r)
		return 0;
	if (len > (size_t)(r - off))
		len = (size_t)(r - off);
	memcpy(buf, val + off, len);
	return (int)len;
}

static int fs_write(const char *path, const char *buf, size_t len, off_t off,
		    struct fuse_file_info *fi)
{
	struct sysfs_server *s;
	char val[STORE_MAX + 1];
	size_t n = len > STORE_MAX ? STORE_MAX : len;
	struct node nd;
	int r;

	(void)off;	/* a store replaces the value wherever the file offset is */
	(void)fi;
	r = lookup(path, &s, &nd);
	if (r)
		return r;
	memcpy(val, buf, n);
	val[n] = '\0';
	if (nd.kind == N_ATTR) {
		r = log_refusal(s, s->devs[nd.dev],
				sva_attr_set(s->devs[nd.dev], nd.obj, nd.attr, val));
		return r ? r : (int)n;
	}
	/* driver core names and commands compare with sysfs_streq: one newline is ignored */
	if (n && val[n - 1] == '\n')
		val[n - 1] = '\0';
	if (nd.kind == N_DRVFILE && nd.drvfile == DF_UEVENT)
		return (int)n;	/* a synthetic uevent: nobody listens in here */
	if (nd.kind != N_DRVFILE && nd.kind != N_CONTROL)
		return -EACCES;
	pthread_mutex_lock(&s->bind_lock);
	if (nd.kind == N_CONTROL)
		r = do_control(s, val);
	else if (nd.drvfile == DF_BIND)
		r = do_bind(s, nd.drv, val);
	else
		r = do_unbind(s, nd.drv, val);

	sync_nodes_locked(s);
	pthread_mutex_unlock(&s->bind_lock);
	return r ? r : (int)n;
}

/* open(O_TRUNC) and shell redirections truncate first: sysfs ignores that */
static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct sysfs_server *s;
	struct node nd;
	int r;

	(void)size;
	(void)fi;
	r = lookup(path, &s, &nd);
	if (r)
		return r;
	return nd.kind == N_DIR ? -EISDIR : 0;
}

static const struct fuse_operations sysfs_ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.truncate = fs_truncate,
};

/* server lifecycle */

static void *loop_thread(void *arg)
{
	struct sysfs_server *s = arg;

	fuse_loop_mt(s->fuse, NULL);
	return NULL;
}

static struct sysfs_server *server_free(struct sysfs_server *s)
{
	if (!s)
		return NULL;
	if (s->fuse)
		fuse_destroy(s->fuse);
	pthread_mutex_destroy(&s->bind_lock);
	s->tree.schema = tree_schema_free(s->tree.schema);
	free(s->dev_root);
	free(s->mountpoint);
	free(s);
	return NULL;
}

int sysfs_server_start(struct sva_device *const *devs, unsigned int ndevs,
		       const char *mountpoint, const char *dev_root,
		       struct sysfs_server **ret_server)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct sysfs_server *s;
	unsigned int i;
	int r;

	if (!devs || !ndevs || ndevs > SYSFS_MAX_DEVICES || !mountpoint || !ret_server)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->bind_lock, NULL);
	for (i = 0; i < ndevs; i++) {
		if (!devs[i]) {
			server_free(s);
			return -EINVAL;
		}
		s->devs[i] = devs[i];
	}
	s->tree.devs = s->devs;
	s->tree.ndevs = ndevs;
	if (tree_schema_new(&s->tree.schema) || (dev_root && !(s->dev_root = strdup(dev_root))) ||
	    !(s->mountpoint = strdup(mountpoint))) {
		server_free(s);
		return -ENOMEM;
	}
	/*
	 * allow_other: the program under test may run as another user than the
	 * server; default_permissions: the kernel then applies the file modes
	 * to it, as sysfs does (only root may store or bind).
	 */
	if (fuse_opt_add_arg(&args, "sva-sysfs") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, "allow_other,default_permissions,fsname=sva-sysfs,subtype=sva")) {
		fuse_opt_free_args(&args);
		server_free(s);
		return -ENOMEM;
	}
	s->fuse = fuse_new(&args, &sysfs_ops, sizeof(sysfs_ops), s);
	fuse_opt_free_args(&args);
	if (!s->fuse) {
		server_free(s);
		return -ENOMEM;
	}
	if (fuse_mount(s->fuse, mountpoint)) {
		/* libfuse prints why; /dev/fuse or the privileges are missing */
		server_free(s);
		return access("/dev/fuse", R_OK | W_OK) ? -ENODEV : -EPERM;
	}
	r = -pthread_create(&s->thread, NULL, loop_thread, s);
	if (r) {
		fuse_unmount(s->fuse);
		server_free(s);
		return r;
	}
	s->running = true;
	sysfs_sync_nodes(s);
	*ret_server = s;
	return 0;
}

struct sysfs_server *sysfs_server_stop(struct sysfs_server *s)
{
	if (!s)
		return NULL;
	if (s->running) {
		/*
		 * Unmounting kills the connection: the loop's reads return ENODEV
		 * and its threads end. Only then may libfuse close the device fd,
		 * which the loop threads still read until that moment.
		 */
		fuse_exit(s->fuse);
		umount2(s->mountpoint, MNT_DETACH);
		pthread_join(s->thread, NULL);
		fuse_unmount(s->fuse);
	}
	return server_free(s);
}
