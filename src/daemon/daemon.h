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
struct reaper;
struct reap_job;

/* Daemon-wide counters that the portal thread also updates. */
struct svad_counters {
	_Atomic uint64_t enq_accepted, enq_retries, posted;
	_Atomic uint64_t engine_served;	/* of those, answered by an engine (portal_srv.c) */
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
	struct reaper *reaper;
	unsigned int jobs;		/* reaper jobs not finished yet */
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
/* The same for a request known by its sequence number and type (deferred replies). */
int server_reply_to(struct svad_conn *c, uint32_t seq, unsigned int type, int result,
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
	struct reap_job *teardown;	/* preallocated: freeing never needs memory */
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
	bool closing;			/* torn down by the reaper; no more replies */
	struct reap_job *teardown;	/* preallocated: closing never needs memory */
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
/*
 * Close a connection: its portals stop being served at once, and the
 * reaper releases what it held; the last one of a process frees it.
 */
void conn_free(struct svad_conn *c);
/* Finish a job the reaper handed back: counts, deferred replies, frees. */
void conn_reaped(struct svad *sd, struct reap_job *j);
/* Handle one decoded request; < 0 means close the connection. */
int conn_request(struct svad_conn *c, const struct proto_msg *m);

/* admin requests (admin.c): attributes, commands, status, counters */

int admin_request(struct svad_conn *c, const struct proto_msg *m);

/* the reaper (reaper.c): releases off the control thread */

enum reap_kind {
	REAP_PORTAL,	/* CLOSE_WQ: release portals, then answer */
	REAP_CONN,	/* a closed connection: release portals, undo binds */
	REAP_PROC,	/* a process's last connection closed: drain its PASID, free it */
};

struct reap_job {
	struct reap_job *next;
	enum reap_kind kind;
	struct svad_conn *conn;		/* PORTAL: who asked; CONN: the connection */
	struct svad_proc *proc;		/* the client process (PROC: freed by the reaper) */
	struct svad_portal *portals;	/* unlinked from every list: the reaper's now */
	unsigned int unbinds;		/* CONN: binds to undo on proc's address space */
	bool abort;			/* the client is dead: abort its work before draining */
	uint32_t req_seq;		/* PORTAL: the CLOSE_WQ to answer */
	unsigned int nportals;		/* filled by the reaper, for the counts */
	size_t ring_bytes;
};

int reaper_start(struct svad *sd, struct reaper **ret);
/* Readable when finished jobs wait for reaper_take_done(). */
int reaper_fd(const struct reaper *rp);
void reaper_queue(struct reaper *rp, struct reap_job *j);
/* The finished jobs, oldest first; the caller frees them. */
struct reap_job *reaper_take_done(struct reaper *rp);
/* Finish the queue and stop. Accepts NULL. */
void reaper_stop(struct reaper *rp);

/* the portal-server thread (portal_srv.c) */

/* Start the thread; the spinning engines of sd's devices serve the rings too. */
int psrv_start(struct svad *sd, struct psrv **ret_ps);
/* Detach the engines, mark every ring SHUTDOWN, stop and join the thread. Accepts NULL. */
void psrv_stop(struct psrv *ps);
/* Start / stop serving a portal's ring; remove returns once it is untouched. */
int psrv_add(struct psrv *ps, struct svad_portal *p);
void psrv_remove(struct psrv *ps, struct svad_portal *p);

#endif /* SVA_DAEMON_H */
