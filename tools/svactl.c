/* SPDX-License-Identifier: MIT */
/*
 * svactl: configure and inspect the devices svad hosts, with accel-config's
 * commands and output (svactl_cmds.c). See docs/SVACTL.md.
 *
 *   svactl [--socket PATH] [--device dsaN] [--embedded] COMMAND [ARGS]
 *
 * --embedded runs the command on a fresh in-process default device instead
 * (to try commands and formats without a daemon).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svactl_cmds.h"

/*
 * The svad client (branch svad) provides this. Until it is merged the weak
 * reference stays NULL and svactl says so. When merging, delete this
 * declaration (sva.h declares the function): a weak reference alone does
 * not pull the defining object out of the static libsva_internal.a.
 */
extern int sva_device_connect(const char *socket_path, const char *name,
			      struct sva_device **ret_dev) __attribute__((weak));

#define SVACTL_MAX_DEVS	64

static int open_device(const char *socket_path, const char *name, bool embedded,
		       struct sva_device **ret_dev)
{
	if (embedded)
		return sva_device_new(NULL, ret_dev);
	if (!sva_device_connect)
		return -ENOSYS;
	return sva_device_connect(socket_path, name, ret_dev);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "embedded", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *socket_path = NULL, *name = NULL;
	struct sva_device *devs[SVACTL_MAX_DEVS];
	size_t ndevs = 0;
	bool embedded = false;
	char dname[24];
	int o, r;

	/* "+": options after the command belong to the command */
	while ((o = getopt_long(argc, argv, "+s:d:Eh", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			socket_path = optarg;
			break;
		case 'd':
			name = optarg;
			break;
		case 'E':
			embedded = true;
			break;
		case 'h':
			svactl_usage(stdout);
			return 0;
		default:
			svactl_usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		svactl_usage(stderr);
		return 2;
	}
	if (!name)
		name = svactl_device_name(argc - optind, argv + optind);
	if (name || embedded) {
		r = open_device(socket_path, name ? name : "dsa0", embedded, &devs[0]);
		ndevs = !r;
	} else {
		/* no device named: all of svad's, dsa0, dsa1, ... up to the first missing one */
		do {
			snprintf(dname, sizeof(dname), "dsa%zu", ndevs);
			r = open_device(socket_path, dname, false, &devs[ndevs]);
		} while (!r && ++ndevs < SVACTL_MAX_DEVS);
		if (ndevs && r == -ENODEV)
			r = 0;
	}
	if (r) {
		fprintf(stderr, "svactl: %s: %s\n",
			socket_path ? socket_path : getenv("SVA_DAEMON") ? getenv("SVA_DAEMON") :
			"/run/sva/sva.sock",
			r == -ENOSYS ? "this build has no svad client (try --embedded)" :
				       strerror(-r));
		return 1;
	}
	r = svactl_run(devs, ndevs, argc - optind, argv + optind, stdout, stderr);
	while (ndevs)
		sva_device_free(devs[--ndevs]);
	return r;
}
