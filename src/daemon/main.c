/* SPDX-License-Identifier: MIT */
/*
 * svad: hosts sva devices and serves them to other processes over a Unix
 * socket (docs/DAEMON.md). This file holds option parsing, logging, device
 * creation and the order of start-up and shutdown.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "sva/sva_config.h"

#define SVAD_DEFAULT_SOCKET	"/run/sva/sva.sock"

static enum svad_log log_where = SVAD_LOG_STDERR;
static bool log_verbose;
static bool log_quiet;		/* --quiet: warnings and errors only */

void svad_log_init(enum svad_log where, bool verbose)
{
	log_where = where;
	log_verbose = verbose;
	if (where == SVAD_LOG_JOURNAL)
		openlog("svad", LOG_PID, LOG_DAEMON);
}

void svad_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if ((prio > LOG_NOTICE && !log_verbose) || (prio > LOG_WARNING && log_quiet))
		return;
	va_start(ap, fmt);
	if (log_where == SVAD_LOG_JOURNAL) {
		vsyslog(prio, fmt, ap);
	} else {
		fprintf(stderr, "svad: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: svad [options]\n"
		"  --socket PATH         listen on PATH (default " SVAD_DEFAULT_SOCKET ")\n"
		"  --mode OCTAL          socket permissions (default 0660)\n"
		"  --group NAME          socket group (default: svad's)\n"
		"  --devices N           host N default devices dsa0.. (default 1, max %u)\n"
		"  --unconfigured        devices start in their power-on state: disabled, empty\n"
		"  --driver-name         WQs have driver_name, as with Linux 6.7+\n"
		"  --config FILE         configure and enable the devices from an accel-config\n"
		"                        JSON file (save-config's output) before serving\n"
		"  --max-clients N       client processes (default %u)\n"
		"  --max-conns N         connections per process (default %u)\n"
		"  --max-portals N       open portals per process (default %u)\n"
		"  --ring-slots N        ring slots per portal, a power of two (default %u)\n"
		"  --foreground          stay in the foreground (the default; for systemd)\n"
		"  --log stderr|journal  where messages go (default stderr)\n"
		"  --verbose             also log connections and client exits\n"
		"  --quiet               log only warnings and errors\n",
		PROTO_MAX_DEVICES, SVAD_DEFAULT_PROCS, SVAD_DEFAULT_CONNS, SVAD_DEFAULT_PORTALS,
		RING_SLOTS_DEFAULT);
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, int base,
		      unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return 0;
}

enum { OPT_SOCKET = 256, OPT_MODE, OPT_GROUP, OPT_DEVICES, OPT_FOREGROUND, OPT_LOG,
       OPT_CLIENTS, OPT_CONNS, OPT_PORTALS, OPT_SLOTS, OPT_VERBOSE, OPT_HELP, OPT_UNCONFIGURED,
       OPT_DRIVER_NAME, OPT_CONFIG, OPT_QUIET };

static const struct option options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "devices", required_argument, NULL, OPT_DEVICES },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "max-clients", required_argument, NULL, OPT_CLIENTS },
	{ "max-conns", required_argument, NULL, OPT_CONNS },
	{ "max-portals", required_argument, NULL, OPT_PORTALS },
	{ "ring-slots", required_argument, NULL, OPT_SLOTS },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "unconfigured", no_argument, NULL, OPT_UNCONFIGURED },
	{ "driver-name", no_argument, NULL, OPT_DRIVER_NAME },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ 0 },
};

struct args {
	struct svad_opts o;
	unsigned long ndev;
	enum svad_log log;
	bool verbose;
	bool quiet;
	uint32_t dev_flags;		/* SVA_CONFIG_UNCONFIGURED, SVA_CONFIG_DRIVER_NAME */
	const char *config;		/* --config FILE */
};

static int parse_args(int argc, char **argv, struct svad *sd, struct args *a)
{
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			a->o.socket_path = optarg;
			break;
		case OPT_MODE:
			if (parse_uint(optarg, 0, 07777, 8, &v))
				goto bad;
			a->o.mode = (mode_t)v;
			break;
		case OPT_GROUP: {
			struct group *g = getgrnam(optarg);

			if (!g) {
				fprintf(stderr, "svad: no group %s\n", optarg);
				return -EINVAL;
			}
			a->o.gid = g->gr_gid;
			break;
		}
		case OPT_DEVICES:
			if (parse_uint(optarg, 1, PROTO_MAX_DEVICES, 10, &a->ndev))
				goto bad;
			break;
		case OPT_FOREGROUND:
			break;	/* svad never daemonizes itself; systemd supervises it */
		case OPT_LOG:
			if (!strcmp(optarg, "stderr"))
				a->log = SVAD_LOG_STDERR;
			else if (!strcmp(optarg, "journal"))
				a->log = SVAD_LOG_JOURNAL;
			else
				goto bad;
			break;
		case OPT_CLIENTS:
		case OPT_CONNS:
		case OPT_PORTALS:
			if (parse_uint(optarg, 1, 65536, 10, &v))
				goto bad;
			*(c == OPT_CLIENTS ? &sd->lim.procs
			  : c == OPT_CONNS ? &sd->lim.conns_per_proc
					   : &sd->lim.portals_per_proc) = (unsigned int)v;
			break;
		case OPT_SLOTS:
			if (parse_uint(optarg, 1, PROTO_MAX_RING_SLOTS, 10, &v) || (v & (v - 1)))
				goto bad;
			sd->lim.ring_slots = (unsigned int)v;
			break;
		case OPT_VERBOSE:
			a->verbose = true;
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_UNCONFIGURED:
			a->dev_flags |= SVA_CONFIG_UNCONFIGURED;
			break;
		case OPT_DRIVER_NAME:
			a->dev_flags |= SVA_CONFIG_DRIVER_NAME;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "svad: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "svad: bad value for --%s: %s\n", options[c - OPT_SOCKET].name, optarg);
	return -EINVAL;
}

/*
 * Load an accel-config JSON file into every hosted device, as
 * `accel-config load-config -f -e` after a module reload would: each
 * device is reset, configured from the file's entry of its name, and
 * enabled with the WQs the entry lists. A device without an entry is left
 * alone; a file that configures none of them is an error, as is every
 * failed store or enable (reported with the device's reason).
 */
static int apply_config(struct svad *sd, const char *path)
{
	unsigned int i, applied = 0;
	char msg[512];
	int r;

	for (i = 0; i < sd->ndev; i++) {
		msg[0] = '\0';
		r = sva_config_load(sd->dev[i], path,
				    SVA_LOAD_FORCE | SVA_LOAD_RESET | SVA_LOAD_ENABLE, msg,
				    sizeof(msg));
		if (r == -ENODEV)
			continue;
		if (r) {
			svad_log(3, "--config %s: %s: %s", path, sva_device_name(sd->dev[i]),
				 msg[0] ? msg : strerror(-r));
			return r;
		}
		applied++;
	}
	if (!applied) {
		svad_log(3, "--config %s: no entry for any hosted device (dsa0..dsa%u)", path,
			 sd->ndev - 1);
		return -ENODEV;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct svad sd = {
		.lim = { .procs = SVAD_DEFAULT_PROCS, .conns_per_proc = SVAD_DEFAULT_CONNS,
			 .portals_per_proc = SVAD_DEFAULT_PORTALS,
			 .ring_slots = RING_SLOTS_DEFAULT },
		.uid = getuid(),
	};
	struct args a = {
		.o = { .socket_path = SVAD_DEFAULT_SOCKET, .mode = 0660, .gid = (gid_t)-1 },
		.ndev = 1,
	};
	sigset_t sigs;
	int r, status = 1;

	if (parse_args(argc, argv, &sd, &a))
		return 2;
	svad_log_init(a.log, a.verbose);
	log_quiet = a.quiet;
	/*
	 * Block SIGTERM/SIGINT before any thread exists (engines start with
	 * the devices): every thread inherits the mask, so only the control
	 * loop's signalfd ever sees them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Devices dsa0..N-1: the ready configuration of sva_device_new(NULL),
	 * or with --unconfigured / --driver-name the power-on state and the
	 * 6.7+ personality that svarun's tree needs.
	 */
	for (sd.ndev = 0; sd.ndev < a.ndev; sd.ndev++) {
		struct sva_device_config cfg = {
			.size = sizeof(cfg), .version = SVA_CONFIG_VERSION, .flags = a.dev_flags,
		};

		r = lib_device_new_embedded(a.dev_flags ? &cfg : NULL, &sd.dev[sd.ndev]);
		if (r) {
			svad_log(3, "device %u: %s", sd.ndev, strerror(-r));
			goto out_devices;
		}
	}

	/*
	 * --config: applied before any client can connect, so nobody sees a
	 * half-configured device. A bad file ends svad with status 1.
	 */
	if (a.config && apply_config(&sd, a.config))
		goto out_devices;

	r = server_init(&sd, &a.o);
	if (r) {
		svad_log(3, "%s: %s", a.o.socket_path, strerror(-r));
		goto out_server;
	}
	svad_log(5, "serving %u device(s) on %s", sd.ndev, a.o.socket_path);
	r = server_run(&sd);
	if (r)
		svad_log(3, "event loop: %s", strerror(-r));
	else
		status = 0;
out_server:
	server_exit(&sd, a.o.socket_path);
out_devices:
	for (unsigned int i = 0; i < sd.ndev; i++)
		sva_device_free(sd.dev[i]);
	svad_log(6, "stopped");
	return status;
}
