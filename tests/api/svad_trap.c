/* SPDX-License-Identifier: MIT */
/*
 * Description: the trap path on svad portals. tests/api/trap_enqcmd.c runs
 * unchanged with SVA_DAEMON pointing at a private svad, so its default
 * device is the daemon's dsa0: native ENQCMD from 4 threads on a mapped
 * SWQ portal (the handler submits through the ring, async-signal-safe),
 * MOVDIR64B under credits on the DWQ, IA32_PASID fixups with the PASID
 * svad assigned, and every result verified.
 */
#include <signal.h>
#include <stdlib.h>

int trap_enqcmd_main(void);
#define main trap_enqcmd_main
#include "trap_enqcmd.c"
#undef main

int main(void)
{
	static const char *const args[] = { "--mode", "0600", NULL };
	struct t_svad sv;
	int r;

	if (t_svad_start(&sv, SVA_SVAD_PATH, args))
		T_FATAL("svad did not start");
	setenv("SVA_DAEMON", sv.socket, 1);
	r = trap_enqcmd_main();
	{
		/* The descriptors went through svad, not an embedded device. */
		struct sva_daemon_stats st = { .size = sizeof(st) };
		struct sva_device *dev = NULL;

		if (sva_device_connect(sv.socket, "dsa0", &dev) || sva_daemon_stats(dev, &st) ||
		    st.enq_accepted < NTHREADS * PER_THREAD || st.posted < DWQ_DESCS) {
			fprintf(stderr, "svad saw %llu ENQCMDs, %llu MOVDIR64Bs\n",
				(unsigned long long)st.enq_accepted, (unsigned long long)st.posted);
			r = T_EXIT_FAIL;
		}
		sva_device_free(dev);
	}
	if (t_svad_stop(&sv, SIGTERM) != 0) {
		fprintf(stderr, "svad did not stop cleanly\n");
		r = T_EXIT_FAIL;
	}
	t_svad_cleanup(&sv);
	return r;
}
