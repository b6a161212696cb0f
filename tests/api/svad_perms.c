/* SPDX-License-Identifier: MIT */
/*
 * Description: who may use svad. With the socket at mode 0600 (root's), a
 * uid-65534 client is refused at connect (-EACCES). With mode 0666 it may
 * connect, bind, submit and read, but not change what others see: attr
 * set, device/WQ enable/disable, resets, aborts of all or of another
 * PASID, SWERROR clear are -EPERM (its own PASID may be aborted). --group
 * gives the socket that group. Limits: --max-portals, --max-conns and
 * --max-clients answer -EMFILE / -EAGAIN and svad keeps serving; beyond
 * clients x connections it hangs up at once. A second
 * svad on a live socket refuses to start and leaves the first one alone.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "daemon/proto.h"
#include "sva/sva.h"

#define NOBODY 65534

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct timeval tv = { 10, 0 };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		T_FATAL("connect: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Run fn in a child as nobody; returns its failure count (or -1). */
static int as_nobody(void (*fn)(const char *sock), const char *sock)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		t_failures = 0;
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		fn(sock);
		_exit(t_failures ? 1 : 0);
	}
	return t_child_fate(pid);
}

/*
 * Refused by the socket's permissions: no API path gets a handle (no
 * silent fallback to an embedded device through SVA_DAEMON either), and
 * the kernel refuses the connect() itself, so not one byte reaches svad.
 */
static void refused(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sva_device *dev = NULL;
	int r = sva_device_connect(sock, "dsa0", &dev), fd;

	T_CHECK(r == -EACCES || r == -EPERM, "connect as nobody: %d", r);
	T_CHECK(dev == NULL, "handle returned on failure");
	setenv("SVA_DAEMON", sock, 1);
	r = sva_device_new(NULL, &dev);
	T_CHECK(r == -EACCES || r == -EPERM, "sva_device_new with SVA_DAEMON: %d", r);
	T_CHECK(dev == NULL, "handle returned on failure");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	T_CHECK(fd >= 0, "socket");
	T_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EACCES,
		"raw connect as nobody: %s", strerror(errno));
	close(fd);
}

static void unprivileged(const char *sock)
{
	struct sva_device *dev = NULL;
	struct sva_portal *p = NULL;
	uint32_t pasid = 0;
	char buf[64];

	T_EQ(sva_device_connect(sock, "dsa0", &dev), 0);
	if (!dev)
		return;
	T_EQ(sva_bind(dev, &pasid), 0);
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_LIMITED, &p), 0);
	T_CHECK(sva_attr_get(dev, "wq0.0", "threshold", buf, sizeof(buf)) > 0, "attr get");
	T_EQ(sva_attr_set(dev, "wq0.0", "threshold", "8"), -EPERM);
	T_EQ(sva_attr_set(dev, "wq0.3", "name", "x"), -EPERM);
	T_EQ(sva_device_disable(dev), -EPERM);
	T_EQ(sva_device_enable(dev), -EPERM);
	T_EQ(sva_wq_disable(dev, 0), -EPERM);
	T_EQ(sva_wq_enable(dev, 2), -EPERM);
	T_EQ(sva_wq_reset(dev, 0), -EPERM);
	T_EQ(sva_device_reset(dev), -EPERM);
	T_EQ(sva_abort_all(dev), -EPERM);
	T_EQ(sva_abort_wq(dev, 0), -EPERM);
	T_EQ(sva_abort_pasid(dev, pasid + 1), -EPERM);
	T_EQ(sva_abort_pasid(dev, pasid), 0);
	T_EQ(sva_swerror_clear(dev), -EPERM);
	T_EQ(sva_drain_all(dev), 0);
	T_EQ(sva_drain_wq(dev, 0), 0);
	/* The device is untouched. */
	T_CHECK(sva_attr_get(dev, "wq0.0", "state", buf, sizeof(buf)) > 0 &&
			!strcmp(buf, "enabled"), "wq0.0 state '%s'", buf);
	sva_portal_close(p);
	sva_device_free(dev);
}

/*
 * Wait until svad holds exactly conns connections. A connection its client
 * closed still counts against the limits until svad's reaper has released
 * it, asynchronously (t_svad_start's readiness probe, refused connections):
 * a limit test must let those go first, or a connection it expects to fit
 * is refused (at the clients x connections bound, by a hang-up: -ENODEV).
 */
static void settle(struct sva_device *dev, uint64_t conns)
{
	struct sva_daemon_stats st = { .size = sizeof(st) };

	for (int i = 0; i < 1000; i++) {
		T_EQ(sva_daemon_stats(dev, &st), 0);
		if (st.connections == conns && !st.releasing)
			return;
		usleep(10000);
	}
	T_EQ(st.connections, conns);
	T_EQ(st.releasing, 0);
}

static void test_limits(void)
{
	static const char *const args[] = { "--max-portals", "2", "--max-conns", "2",
					    "--max-clients", "2", NULL };
	struct sva_device *dev[3] = { 0 };
	struct sva_portal *p[3] = { 0 };
	struct t_svad sv;
	pid_t pid, third;
	int up[2], down[2], r = -1;

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	T_EQ(sva_device_connect(sv.socket, "dsa0", &dev[0]), 0);
	settle(dev[0], 1);
	T_EQ(sva_portal_open(dev[0], 0, SVA_PORTAL_LIMITED, &p[0]), 0);
	T_EQ(sva_portal_open(dev[0], 0, SVA_PORTAL_UNLIMITED, &p[1]), 0);
	T_EQ(sva_portal_open(dev[0], 0, SVA_PORTAL_LIMITED, &p[2]), -EMFILE);
	sva_portal_close(p[1]);
	T_EQ(sva_portal_open(dev[0], 1, SVA_PORTAL_LIMITED, &p[1]), 0);	/* room again */
	T_EQ(sva_device_connect(sv.socket, "dsa0", &dev[1]), 0);
	T_EQ(sva_device_connect(sv.socket, "dsa0", &dev[2]), -EAGAIN);
	settle(dev[0], 2);	/* the refused dev[2] is gone */
	/* a second client process fits, a third does not */
	if (pipe(up) || pipe(down))
		T_FATAL("pipe");
	pid = t_fork_quiet();
	if (pid == 0) {
		struct sva_device *x = NULL;
		char c;
		int rc = sva_device_connect(sv.socket, "dsa0", &x);

		close(down[1]);
		/* stay connected until the parent closes down[1] */
		if (write(up[1], &rc, sizeof(rc)) != sizeof(rc) || read(down[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(down[0]);
	T_CHECK(read(up[0], &r, sizeof(r)) == sizeof(r) && r == 0, "second client: %d", r);
	settle(dev[0], 3);	/* dev[0], dev[1], the second client; dev[2] is gone */
	third = t_fork_quiet();
	if (third == 0) {
		struct sva_device *x = NULL;
		int rc = sva_device_connect(sv.socket, "dsa0", &x);

		if (rc != -EAGAIN)
			fprintf(stderr, "third client: %d\n", rc);
		_exit(rc == -EAGAIN ? 0 : 1);
	}
	T_EQ(t_child_fate(third), -1);
	close(down[1]);
	T_EQ(t_child_fate(pid), -1);
	/*
	 * Connections over a process's limit wait for their HELLO answer
	 * (-EAGAIN); beyond procs x conns (4 here) svad hangs up at once.
	 */
	{
		int raw[3];
		struct proto_hello h = { .client_version = PROTO_VERSION };
		uint8_t buf[PROTO_MAX_MSG], in[PROTO_MAX_MSG];
		static struct proto_msg m;
		size_t len;

		settle(dev[0], 2);	/* the refused ones above are gone */
		for (int i = 0; i < 3; i++)
			raw[i] = raw_connect(sv.socket);
		T_EQ(recv(raw[2], buf, sizeof(buf), 0), 0);	/* the fifth: closed */
		if (proto_encode(PROTO_HELLO, 1, &h, sizeof(h), buf, sizeof(buf), &len))
			T_FATAL("encode");
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			T_EQ(send(raw[i], buf, len, MSG_NOSIGNAL), (ssize_t)len);
			n = recv(raw[i], in, sizeof(in), 0);
			T_CHECK(n > 0 && proto_decode(in, (size_t)n, &m) == 0 &&
					m.body.reply.result == -EAGAIN,
				"over-limit HELLO answered %zd", n);
		}
		for (int i = 0; i < 3; i++)
			close(raw[i]);
	}
	sva_portal_close(p[0]);
	sva_portal_close(p[1]);
	sva_device_free(dev[1]);
	sva_device_free(dev[0]);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
}

int main(void)
{
	static const char *const closed[] = { "--mode", "0600", NULL };
	static const char *const open_[] = { "--mode", "0666", "--group", "nogroup", NULL };
	struct t_svad sv;
	struct group *ng = getgrnam("nogroup");
	struct stat st;

	if (getuid() != 0)
		T_SKIP("needs root to switch to uid %d", NOBODY);
	if (!ng)
		T_SKIP("no group 'nogroup'");

	if (t_svad_start(&sv, SVA_SVAD_PATH, closed))
		T_FATAL("svad did not start");
	T_EQ(stat(sv.socket, &st), 0);
	T_EQ(st.st_mode & 07777, 0600);
	T_EQ(st.st_uid, 0);
	{
		struct sva_daemon_stats st0 = { .size = sizeof(st0) }, st1 = st0;
		struct sva_device *root = NULL;

		T_EQ(sva_device_connect(sv.socket, "dsa0", &root), 0);
		T_EQ(sva_daemon_stats(root, &st0), 0);
		T_EQ(as_nobody(refused, sv.socket), -1);
		T_EQ(sva_daemon_stats(root, &st1), 0);
		/* svad never saw nobody: no client, no connection, no refusal. */
		T_EQ(st1.clients_total, st0.clients_total);
		T_EQ(st1.refused, st0.refused);
		sva_device_free(root);
	}
	/* Another svad on the live socket: refused, the first one unharmed. */
	{
		pid_t pid = t_fork_quiet();

		if (pid == 0) {
			execl(SVA_SVAD_PATH, SVA_SVAD_PATH, "--socket", sv.socket, (char *)NULL);
			_exit(127);
		}
		T_EQ(t_child_fate(pid), -2);	/* exit status 1 */
		T_EQ(access(sv.socket, F_OK), 0);
		T_EQ(as_nobody(refused, sv.socket), -1);
	}
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);

	if (t_svad_start(&sv, SVA_SVAD_PATH, open_))
		T_FATAL("svad did not start");
	T_EQ(stat(sv.socket, &st), 0);
	T_EQ(st.st_mode & 07777, 0666);
	T_EQ(st.st_gid, ng->gr_gid);
	T_EQ(as_nobody(unprivileged, sv.socket), -1);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);

	test_limits();
	return t_done("svad_perms");
}
