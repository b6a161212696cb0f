/* SPDX-License-Identifier: MIT */
/*
 * Description: PASID isolation through svad. Two processes get different
 * PASIDs; a PASID forged into a descriptor has no effect: the error a
 * descriptor reports to SWERROR carries the connection's PASID, for ENQCMD
 * and for an unprivileged client's ENQCMDS alike (a uid-65534 child, which
 * may not clear SWERROR: -EPERM), and a
 * MEMMOVE carrying the other client's PASID still works in our own memory;
 * a privileged client's ENQCMDS keeps its descriptor's PASID (proxies). A
 * dedicated WQ has one opener: a second open is -EBUSY from this process
 * and from another one, until the owner closes it. A fork child of a
 * client gets -ECHILD on the inherited handle.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

static struct dsa_completion_record cr __attribute__((aligned(32)));
static const char *sock;
static int report_fd;	/* children write here */

/* The PASID and error code SWERROR holds (register layout: registers.h). */
static uint32_t swerr_pasid(struct sva_device *dev, uint8_t *ret_error)
{
	uint64_t w[4] = { 0 };

	T_EQ(sva_swerror(dev, w), 0);
	*ret_error = (uint8_t)(w[0] >> 8);
	T_CHECK(w[0] & 1, "SWERROR not valid: 0x%llx", (unsigned long long)w[0]);
	return (uint32_t)(w[0] >> 40) & 0xfffff;
}

/*
 * Submit an unsupported opcode without a completion record, PASID field
 * forged, so the device reports it (with the PASID it used) in SWERROR.
 */
static uint32_t forged_error_pasid(struct sva_device *dev, struct sva_portal *p, bool enqcmds,
				   uint32_t forged)
{
	struct dsa_hw_desc d;
	uint8_t err = 0;
	uint32_t pasid;
	int r;

	/* Clearing SWERROR is privileged; the parent cleared it for the others. */
	T_EQ(sva_swerror_clear(dev), getuid() == 0 ? 0 : -EPERM);
	memset(&d, 0, sizeof(d));
	d.opcode = 0x7f;
	d.pasid = forged;
	do
		r = enqcmds ? sva_enqcmds(p, &d) : sva_enqcmd(p, &d);
	while (r == 1);
	T_EQ(r, 0);
	T_EQ(sva_drain_all(dev), 0);
	pasid = swerr_pasid(dev, &err);
	T_EQ(err, DSA_COMP_BAD_OPCODE);
	return pasid;
}

/* Child: connect, bind, report the PASID, then run fn; exit status = failures. */
static pid_t child(int wr, void (*fn)(struct sva_device *dev, uint32_t pasid, int rd), int rd)
{
	pid_t pid = t_fork_quiet();

	if (pid == 0) {
		struct sva_device *dev = NULL;
		uint32_t pasid = 0;

		t_failures = 0;
		if (fn && getuid() == 0 && rd < 0) {
			/* an unprivileged client (nobody) */
			if (setgid(65534) || setuid(65534))
				_exit(77);
		}
		T_EQ(sva_device_connect(sock, "dsa0", &dev), 0);
		if (dev)
			T_EQ(sva_bind(dev, &pasid), 0);
		if (write(wr, &pasid, sizeof(pasid)) != sizeof(pasid))
			_exit(100);
		if (dev && fn)
			fn(dev, pasid, rd);
		sva_device_free(dev);
		_exit(t_failures ? 1 : 0);
	}
	return pid;
}

static uint32_t read_pasid(int rd)
{
	uint32_t v = 0;

	if (read(rd, &v, sizeof(v)) != sizeof(v))
		T_FATAL("child did not report");
	return v;
}

/* The unprivileged child: its forged ENQCMD/ENQCMDS PASIDs are ignored. */
static void unpriv_forge(struct sva_device *dev, uint32_t pasid, int rd)
{
	struct sva_portal *p = NULL;

	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_UNLIMITED, &p), 0);
	if (!p)
		return;
	T_EQ(forged_error_pasid(dev, p, true, 4321), pasid);
	sva_portal_close(p);
}

/* The second process tries the parent's DWQ, waits, tries again. */
static void dwq_contender(struct sva_device *dev, uint32_t pasid, int rd)
{
	struct sva_portal *p = NULL;
	char c;

	T_EQ(sva_portal_open(dev, 1, SVA_PORTAL_LIMITED, &p), -EBUSY);
	if (write(report_fd, &pasid, sizeof(pasid)) != sizeof(pasid) || read(rd, &c, 1) != 1)
		T_FATAL("parent gone");
	T_EQ(sva_portal_open(dev, 1, SVA_PORTAL_LIMITED, &p), 0);
	sva_portal_close(p);
}

int main(void)
{
	static const char *const args[] = { "--mode", "0666", NULL };
	uint8_t *src = t_map(65536), *dst = t_map(65536);
	struct sva_device *dev = NULL;
	struct sva_portal *p = NULL, *dwq = NULL, *p2;
	struct dsa_hw_desc d;
	uint32_t mine, other;
	struct t_svad sv;
	int fds[2], go[2], r;
	pid_t pid;

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	sock = sv.socket;
	if (sva_device_connect(sock, "dsa0", &dev) || sva_bind(dev, &mine))
		T_FATAL("connect/bind");
	if (pipe(fds) || pipe(go))
		T_FATAL("pipe");
	report_fd = fds[1];

	/* Another process: another PASID (it stays connected until told). */
	pid = child(fds[1], NULL, -1);
	other = read_pasid(fds[0]);
	T_CHECK(other != mine && other && mine, "PASIDs %u and %u", mine, other);
	T_EQ(t_child_fate(pid), -1);

	/* Forged PASIDs, privileged (root) client. */
	T_EQ(sva_portal_open(dev, 0, SVA_PORTAL_UNLIMITED, &p), 0);
	T_EQ(forged_error_pasid(dev, p, false, other), mine);
	T_EQ(forged_error_pasid(dev, p, true, other), other);	/* ENQCMDS: a proxy's right */
	t_fill_random(src, 65536);
	sva_prep_memmove(&d, dst, src, 65536, &cr, 0);
	d.pasid = other;
	while ((r = sva_enqcmd(p, &d)) == 1)
		;
	T_EQ(r, 0);
	T_EQ(sva_wait(&cr, 10ll * 1000000000), 0);
	T_EQ(cr.status, DSA_COMP_SUCCESS);
	T_CHECK(!memcmp(src, dst, 65536), "memmove with a forged PASID missed our memory");

	/* Forged PASIDs, unprivileged client. */
	if (getuid() == 0) {
		T_EQ(sva_swerror_clear(dev), 0);
		pid = child(fds[1], unpriv_forge, -1);
		T_CHECK(read_pasid(fds[0]) != mine, "nobody got our PASID");
		T_EQ(t_child_fate(pid), -1);
	}

	/* Dedicated WQ: one opener, in this process and in another. */
	T_EQ(sva_portal_open(dev, 1, SVA_PORTAL_LIMITED, &dwq), 0);
	T_EQ(sva_portal_open(dev, 1, SVA_PORTAL_UNLIMITED, &p2), -EBUSY);
	pid = child(fds[1], dwq_contender, go[0]);
	read_pasid(fds[0]);	/* bound */
	read_pasid(fds[0]);	/* its first open was refused (checked there) */
	sva_portal_close(dwq);
	if (write(go[1], "g", 1) != 1)
		T_FATAL("pipe");
	T_EQ(t_child_fate(pid), -1);

	/* A fork child of a client: the inherited handles are not its own. */
	pid = t_fork_quiet();
	if (pid == 0) {
		uint32_t x;

		_exit(sva_bind(dev, &x) == -ECHILD && sva_enqcmd(p, &d) == -ECHILD ? 0 : 1);
	}
	T_EQ(t_child_fate(pid), -1);

	sva_portal_close(p);
	sva_device_free(dev);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	return t_done("svad_isolation");
}
