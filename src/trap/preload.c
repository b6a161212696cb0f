/* SPDX-License-Identifier: MIT */
/*
 * libsva-trap.so: run unmodified DSA programs on sva with LD_PRELOAD.
 *
 * At load it installs the ENQCMD/MOVDIR64B trap handlers. It interposes
 * open/openat/mmap/close for the work-queue nodes a DSA program opens
 * (/dev/dsa/wqD.Q; SVA_DEV_ROOT overrides /dev) and serves them from sva:
 * the open attaches to WQ Q of device dsaD (DWQ exclusivity: -EBUSY), the
 * one-page shared mapping becomes that WQ's portal, and close releases it
 * (draining the process's work, as idxd's release does).
 *
 * - With SVA_DAEMON set, dsaD is svad's device of that name, reached with
 *   sva_device_connect(): every process shares its WQs, clients and
 *   counters. svarun exports SVA_DAEMON, so its tree and its programs see
 *   one live device (accel-config-compat.md §1).
 * - Without, and only on a machine with no /dev/dsa at all, dsa0 is an
 *   embedded device of this process in the default configuration.
 *
 * Where the file is a real idxd node (a character device) nothing is
 * interposed: the native path stays native. A zero-length regular file is a
 * node of svarun's tree (CMP-8); it needs SVA_DAEMON (ENXIO without).
 *
 * Environment: SVA_DAEMON, SVA_DEV_ROOT (default "/dev"), SVA_TRAP_QUIET=1
 * to silence the one-line banner on stderr.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sva/sva.h"

#define PRELOAD_EXPORT __attribute__((visibility("default")))
#define MAX_FDS 256
#define MAX_DEVS 16	/* dsa0..dsa15: PROTO_MAX_DEVICES */

struct wq_fd {
	_Atomic int fd;			/* -1: free */
	struct sva_portal *portal;
};

static struct wq_fd wq_fds[MAX_FDS];
/* Open WQ descriptors: with none, close() and mmap() pay one load, no scan. */
static _Atomic int wq_fds_open;
static pthread_mutex_t preload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sva_device *preload_devs[MAX_DEVS];	/* preload_lock */
static char dev_root[256] = "/dev";

static int (*real_open)(const char *, int, ...);	/* for /dev/null only */
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);

__attribute__((constructor)) static void preload_init(void)
{
	const char *root = secure_getenv("SVA_DEV_ROOT");

	for (int i = 0; i < MAX_FDS; i++)
		atomic_init(&wq_fds[i].fd, -1);
	if (root && strlen(root) < sizeof(dev_root))
		strcpy(dev_root, root);
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	sva_trap_install();
	if (!secure_getenv("SVA_TRAP_QUIET"))
		fprintf(stderr, "libsva-trap: ENQCMD/MOVDIR64B emulated; %s/dsa/wqX.Y served by sva\n",
			dev_root);
}

/* "/dev/dsa/wq0.1" → device 0, WQ 1; -1 if the path is not a WQ node. */
static int parse_wq_path(const char *path, unsigned int *ret_dev, unsigned int *ret_wq)
{
	size_t n = strlen(dev_root);
	unsigned int d, q;
	char tail;

	if (!path || strncmp(path, dev_root, n) || strncmp(path + n, "/dsa/wq", 7))
		return -1;
	if (sscanf(path + n + 7, "%u.%u%c", &d, &q, &tail) != 2)
		return -1;
	*ret_dev = d;
	*ret_wq = q;
	return 0;
}

static struct wq_fd *fd_slot(int fd)
{
	if (!atomic_load_explicit(&wq_fds_open, memory_order_relaxed))
		return NULL;
	for (int i = 0; i < MAX_FDS; i++) {
		if (atomic_load(&wq_fds[i].fd) == fd && fd >= 0)
			return &wq_fds[i];
	}
	return NULL;
}

/* SVA_DAEMON names svad's socket: the devices are svad's (docs/DAEMON.md). */
static bool have_daemon(void)
{
	const char *d = secure_getenv("SVA_DAEMON");

	return d && *d;
}

/*
 * Device dsa<id>, connected on first use and kept for the process: svad's
 * with SVA_DAEMON, else (not for a node of svarun's tree) the embedded
 * default device, dsa0 only. Called under preload_lock.
 */
static int preload_device(unsigned int id, bool sva_node, struct sva_device **ret)
{
	char name[16];
	int r;

	if (id >= MAX_DEVS)
		return -ENOENT;
	if (!preload_devs[id]) {
		if (have_daemon()) {
			snprintf(name, sizeof(name), "dsa%u", id);
			r = sva_device_connect(NULL, name, &preload_devs[id]);
			/* svad hosts no such device: as a missing node */
			if (r == -ENODEV)
				r = -ENOENT;
		} else if (sva_node) {
			/* svarun's devices live in its svad; without its address we have none */
			r = -ENXIO;
		} else {
			r = id ? -ENOENT : sva_device_new(NULL, &preload_devs[id]);
		}
		if (r)
			return r;
	}
	*ret = preload_devs[id];
	return 0;
}

/*
 * Serve an open of a WQ node: one that does not exist on this machine
 * (node_fd -1: /dev/null stands in for it), or a node of svarun's tree
 * (node_fd, handed back as the descriptor).
 */
static int open_wq(unsigned int dev_id, unsigned int wq, int flags, int node_fd)
{
	struct sva_device *dev;
	struct sva_portal *p;
	int fd, r;

	pthread_mutex_lock(&preload_lock);
	r = preload_device(dev_id, node_fd >= 0, &dev);
	if (!r)
		r = sva_portal_open(dev, wq, SVA_PORTAL_LIMITED, &p);
	pthread_mutex_unlock(&preload_lock);
	if (r) {
		if (node_fd >= 0)
			real_close(node_fd);
		/* -EBUSY for a second opener of a dedicated WQ, in any process */
		errno = r == -EINVAL ? ENOENT : -r;
		return -1;
	}
	fd = node_fd >= 0 ? node_fd : real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
	if (fd < 0) {
		sva_portal_close(p);
		return -1;
	}
	for (int i = 0; i < MAX_FDS; i++) {
		int none = -1;

		if (atomic_compare_exchange_strong(&wq_fds[i].fd, &none, -2)) {
			wq_fds[i].portal = p;
			atomic_fetch_add(&wq_fds_open, 1);
			atomic_store(&wq_fds[i].fd, fd);
			return fd;
		}
	}
	real_close(fd);
	sva_portal_close(p);
	errno = EMFILE;
	return -1;
}

/* svarun's nodes are zero-length regular files; real idxd nodes are character devices. */
static bool is_sva_node(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

static bool has_node_dir(void)
{
	char dir[sizeof(dev_root) + 8];
	int saved = errno;
	struct stat st;
	bool r;

	snprintf(dir, sizeof(dir), "%s/dsa", dev_root);
	r = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	errno = saved;
	return r;
}

static int maybe_wq(const char *path, int flags, int fd)
{
	unsigned int d, q;

	if (parse_wq_path(path, &d, &q))
		return fd;
	if (fd >= 0)
		return is_sva_node(fd) ? open_wq(d, q, flags, fd) : fd;
	/*
	 * A node missing on a machine without a node directory is ours. Where
	 * the directory exists (real idxd, or svarun's tree) its nodes are
	 * authoritative: a missing one is a WQ that is not enabled.
	 */
	if (errno != ENOENT || has_node_dir())
		return fd;
	return open_wq(d, q, flags, -1);
}

PRELOAD_EXPORT int openat(int dirfd, const char *path, int flags, ...);

/* open() is openat(AT_FDCWD, ...), as in glibc: one interposition path. */
PRELOAD_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return openat(AT_FDCWD, path, flags, mode);
}

PRELOAD_EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));

PRELOAD_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real_openat)
		return (int)syscall(SYS_openat, dirfd, path, flags, mode);
	return maybe_wq(path, flags, real_openat(dirfd, path, flags, mode));
}

PRELOAD_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct wq_fd *s = fd >= 0 ? fd_slot(fd) : NULL;
	void *portal;
	int r;

	if (!s) {
		if (!real_mmap)
			return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
		return real_mmap(addr, len, prot, flags, fd, off);
	}
	/* idxd_cdev_mmap(): one page at most; the limited portal is mapped. */
	if (len > 4096) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	r = sva_portal_mmap(s->portal, &portal);
	if (r) {
		errno = -r;
		return MAP_FAILED;
	}
	return portal;
}

PRELOAD_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

PRELOAD_EXPORT int close(int fd)
{
	struct wq_fd *s = fd_slot(fd);

	if (s) {
		struct sva_portal *p = s->portal;

		atomic_store(&s->fd, -1);
		atomic_fetch_sub(&wq_fds_open, 1);
		/* Release: drain this process's work on the WQ (idxd_cdev_release). */
		sva_portal_close(p);
	}
	if (!real_close)
		return (int)syscall(SYS_close, fd);
	return real_close(fd);
}
