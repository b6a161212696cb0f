/* SPDX-License-Identifier: MIT */
/*
 * svactl's commands over any struct sva_device (embedded or from svad), so
 * that tests run them against an embedded device without a daemon.
 */
#ifndef SVACTL_CMDS_H
#define SVACTL_CMDS_H

#include <stdio.h>

#include "sva/sva.h"

/*
 * Run one command on the ndevs (>= 1) devices svactl reached: argv[0] is
 * the command name ("list", "config-wq", ...). A command that names a
 * device ("dsa1/wq1.0") works on that one; list, save-config, load-config
 * and stats without a device cover all. Results go to out, diagnostics to
 * err. Returns the process exit status: 0 success, 1 failure, 2 usage.
 */
int svactl_run(struct sva_device *const *devs, size_t ndevs, int argc, char **argv, FILE *out,
	       FILE *err);
/*
 * The device a command names ("dsa1" of "dsa1/wq1.0"), so the caller can
 * pick it; NULL if the command names none. Points into argv or a static
 * buffer valid until the next call.
 */
const char *svactl_device_name(int argc, char **argv);
/* The command list with one-line usages. */
void svactl_usage(FILE *f);

#endif /* SVACTL_CMDS_H */
