/* SPDX-License-Identifier: MIT */
/*
 * Private declarations of svad (src/daemon, all but proto.c which libsva
 * shares): the control loop (server.c), client processes and connections
 * (conn.c), the portal-server thread (portal_srv.c) and the admin requests
 * (admin.c). One control thread owns every structure here except what the
 * portal-server thread touches, which is marked.
 */
#ifndef SVA_DAEMON_H
#define SVA_DAEMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/proto.h"
#include "daemon/ring.h"
#include "lib/lib.h"

/* logging (main.c) */

enum svad_log { SVAD_LOG_STDERR, SVAD_LOG_JOURNAL };
void svad_log_init(enum svad_log where, bool verbose);
void svad_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Per-client limits (docs/DAEMON.md "Limits"); over a limit is an error reply. */
struct svad_limits {
	unsigned int procs;		/* client processes: -EAGAIN at HELLO */
	unsigned int conns_per_proc;	/* connections of one process: -EAGAIN at HELLO */
	unsigned int portals_per_proc;	/* open portals of one process: -EMFILE */
	unsigned int ring_slots;	/* per portal: outstanding admissions */
};

#define SVAD_DEFAULT_PROCS		256
#define SVAD_DEFAULT_CONNS		16
#define SVAD_DEFAULT_PORTALS		64

struct svad_conn;
struct svad_proc;
struct svad_portal;
struct psrv;

/* Daemon-wide counters that the portal thread also updates. */
struct svad_counters {
	_Atomic uint64_t enq_accepted, enq_retries, posted;
};

struct svad {
	struct sva_device *dev[PROTO_MAX_DEVICES];
	unsigned int ndev;
	struct svad_limits lim;
	uid_t uid;			/* ours: peers with it (or root) are privileged */
	int listen_fd, epoll_fd, signal_fd;
	struct svad_proc *procs;
	struct svad_conn *conns;
	struct psrv *ps;
	struct svad_counters ctr;
	uint64_t nprocs, nconns, nportals, ring_bytes, clients_total, refused;
	bool stopping;
};

/* the control loop (server.c) */

struct svad_opts {
	const char *socket_path;
	mode_t mode;
	gid_t gid;			/* (gid_t)-1: keep */
};

/* Bind the listening socket (replacing a stale one), start the portal thread. */
int server_init(struct svad *sd, const struct svad_opts *o);
/* Serve until SIGTERM/SIGINT; then shut down cleanly. */
int server_run(struct svad *sd);
/* Close clients, stop the portal thread, unlink the socket. */
void server_exit(struct svad *sd, const char *socket_path);

/* Send a reply (and fds) to one request; -errno when the peer cannot take it. */
int server_reply(struct svad_conn *c, const struct proto_msg *req, int result,
		 const struct proto_reply *body, const void *data, size_t data_len,
		 const int *fds, unsigned int nfds);

/* client processes and connections (conn.c) */

struct svad_proc {
	struct svad_proc *next;
	uint64_t ino;			/* pidfs inode of the pidfd: the process identity */
	pid_t pid;
	int pidfd;
	struct as *as;			/* remote address space: DMA into the process */
	unsigned int nconns, nportals;
};

struct svad_conn {
	struct svad_conn *next;
	struct svad *sd;
	int fd;
	uid_t uid;
	pid_t pid;
	bool privileged;		/* uid 0 or svad's uid */
	bool hello;			/* HELLO answered: other requests allowed */
	int refuse;			/* -errno: answer HELLO with it and close */
	struct svad_proc *proc;
	unsigned int binds[PROTO_MAX_DEVICES];
	struct svad_portal *portals;
	uint32_t next_handle;
};

struct svad_portal {
	struct svad_portal *next;
	uint32_t handle;
	struct sva_device *dev;
	struct dsa_rt *rt;
	struct wq_rt *wq;
	unsigned int wq_id;
	bool unlimited, dedicated, privileged;
	struct as *as;
	uint32_t pasid;
	int efd;			/* doorbell eventfd */
	struct ring_hdr *ring;
	uint32_t nslots;
	size_t bytes;
	struct ring_server srv;		/* portal thread only */
	struct svad_counters *ctr;
};

/* Accept-time identity: SO_PEERCRED + SO_PEERPIDFD; sets refuse on limits. */
int conn_new(struct svad *sd, int fd, struct svad_conn **ret_conn);
/* Undo everything the connection holds; the last one of a process frees it. */
void conn_free(struct svad_conn *c);
/* Handle one decoded request; < 0 means close the connection. */
int conn_request(struct svad_conn *c, const struct proto_msg *m);

/* admin requests (admin.c): attributes, commands, status, counters */

int admin_request(struct svad_conn *c, const struct proto_msg *m);

/* the portal-server thread (portal_srv.c) */

int psrv_start(struct psrv **ret_ps);
/* Mark every ring SHUTDOWN, stop and join the thread. Accepts NULL. */
void psrv_stop(struct psrv *ps);
/* Start / stop serving a portal's ring; remove returns once it is untouched. */
int psrv_add(struct psrv *ps, struct svad_portal *p);
void psrv_remove(struct psrv *ps, struct svad_portal *p);

#endif /* SVA_DAEMON_H */
