/* SPDX-License-Identifier: MIT */
/*
 * Description: an unmodified DSA program against svad. tests/preload/
 * dsa_user.c (it links nothing of sva) runs under LD_PRELOAD=libsva-trap.so
 * with SVA_DAEMON set: its open()/mmap() of /dev/dsa/wq0.Y reach the
 * daemon's dsa0 and its own ENQCMD/MOVDIR64B go through svad's rings.
 * Passes when the program verifies all its results and svad counted its
 * submissions.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "sva/sva.h"

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	struct sva_daemon_stats st = { .size = sizeof(st) };
	struct sva_device *dev = NULL;
	struct t_svad sv;
	pid_t pid;

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	pid = t_fork_quiet();
	if (pid == 0) {
		setenv("SVA_DAEMON", sv.socket, 1);
		setenv("LD_PRELOAD", SVA_TRAP_LIB, 1);
		setenv("SVA_TRAP_QUIET", "1", 1);
		execl(SVA_DSA_USER, SVA_DSA_USER, (char *)NULL);
		_exit(127);
	}
	T_EQ(t_child_fate(pid), -1);
	T_EQ(sva_device_connect(sv.socket, "dsa0", &dev), 0);
	T_EQ(sva_daemon_stats(dev, &st), 0);
	T_CHECK(st.enq_accepted >= 8000 && st.posted >= 1000 && st.clients_total >= 2,
		"svad saw %llu ENQCMDs, %llu MOVDIR64Bs from %llu clients",
		(unsigned long long)st.enq_accepted, (unsigned long long)st.posted,
		(unsigned long long)st.clients_total);
	sva_device_free(dev);
	T_EQ(t_svad_stop(&sv, SIGTERM), 0);
	t_svad_cleanup(&sv);
	return t_done("preload/svad");
}
