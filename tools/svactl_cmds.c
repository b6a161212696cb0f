/* SPDX-License-Identifier: MIT */
/*
 * svactl's commands. Names, options and the order of attribute writes
 * follow accel-config (accfg/config_attr.c, list.c, enable.c), so that a
 * line that configures real hardware configures sva the same way. Only
 * the public API is used: the device may be embedded or served by svad.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "stats_report.h"
#include "svactl_cmds.h"

struct ctx {
	struct sva_device *const *devs;	/* every device svactl reached */
	size_t ndevs;
	struct sva_device *dev;		/* the one the command names, else the first */
	const char *cmd;
	FILE *out, *err;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "svactl %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return 1;
}

/*
 * The device's own message for a failed call (it names the object and
 * the rule), else what failed and strerror; plus the command status.
 */
static int fail_dev(struct ctx *c, int r, const char *what)
{
	const char *why = sva_last_error(c->dev);
	uint32_t st = sva_cmd_status(c->dev);
	char sts[32] = "";

	if (st)
		snprintf(sts, sizeof(sts), " (cmd_status %#x)", st);
	if (why && *why)
		return fail(c, "%s%s", why, sts);
	return fail(c, "%s: %s%s", what, strerror(-r), sts);
}

static int usage(struct ctx *c, const char *synopsis)
{
	fprintf(c->err, "usage: svactl %s\n", synopsis);
	return 2;
}

static int parse_ll(const char *s, long long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoll(s, &end, 0);
	return !*s || *end || errno ? -EINVAL : 0;
}

/*
 * "dsa0/wq0.1" or "wq0.1" (kind "wq"), "dsa0" (kind "dsa"): the object's
 * name on this device in obj, its index in *ret_id.
 */
static int parse_obj(struct ctx *c, const char *arg, const char *kind, char *obj, size_t len,
		     unsigned int *ret_id)
{
	const char *name = sva_device_name(c->dev), *slash = strchr(arg, '/'), *p;
	size_t dl = strlen(name), kl = strlen(kind);
	unsigned int id = 0;
	char *end;

	if (slash && ((size_t)(slash - arg) != dl || strncmp(arg, name, dl)))
		return fail(c, "%.*s: no such device (this is %s)", (int)(slash - arg), arg, name);
	p = slash ? slash + 1 : arg;
	if (!strcmp(kind, "dsa")) {
		if (strcmp(p, name))
			return fail(c, "%s: no such device (this is %s)", p, name);
		snprintf(obj, len, "%s", name);
		*ret_id = 0;
		return 0;
	}
	/* kind + device number + '.' + index, e.g. wq0.1 on dsa0 */
	if (strncmp(p, kind, kl) || strncmp(p + kl, name + 3, dl - 3) || p[kl + dl - 3] != '.' ||
	    p[kl + dl - 2] < '0' || p[kl + dl - 2] > '9')
		return fail(c, "%s: not a %s of %s (expected %s/%s%s.N)", arg, kind, name, name,
			    kind, name + 3);
	errno = 0;
	id = (unsigned int)strtoul(p + kl + dl - 2, &end, 10);
	if (*end || errno)
		return fail(c, "%s: not a %s of %s", arg, kind, name);
	snprintf(obj, len, "%s", p);
	*ret_id = id;
	return 0;
}

static int set(struct ctx *c, const char *obj, const char *attr, const char *val)
{
	char what[160];
	int r = sva_attr_set(c->dev, obj, attr, val);

	if (!r)
		return 0;
	snprintf(what, sizeof(what), "%s/%s <- %s", obj, attr, val);
	fail_dev(c, r, what);
	return r;
}

/* config-* commands: options in accel-config's letters, written in its order */

struct opt_attr {
	struct option opt;
	const char *attr;
	bool number;
};

/*
 * Parse options into vals (one per table entry, NULL = not given), then
 * write them in table order to obj. defaults: value for entries never
 * given (config-engine always writes group_id, 0 without -g).
 */
static int config_obj(struct ctx *c, int argc, char **argv, const struct opt_attr *t, size_t n,
		      const char *kind, const char *synopsis, const char *const *defaults)
{
	struct option longopts[16] = { { 0 } };
	const char *vals[16] = { 0 };
	char shortopts[40] = "", obj[48];
	unsigned int id;
	long long v;
	int o, r = 0;

	for (size_t i = 0; i < n; i++) {
		longopts[i] = t[i].opt;
		snprintf(shortopts + strlen(shortopts), 3, "%c:", t[i].opt.val);
		vals[i] = defaults ? defaults[i] : NULL;
	}
	optind = 0;	/* GNU getopt: permutes, so options may follow the objects */
	while ((o = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		size_t i;

		for (i = 0; i < n && t[i].opt.val != o; i++)
			;
		if (i == n)
			return usage(c, synopsis);
		if (t[i].number && parse_ll(optarg, &v))
			return fail(c, "--%s: \"%s\" is not a number", t[i].opt.name, optarg);
		vals[i] = optarg;
	}
	if (optind == argc)
		return usage(c, synopsis);
	/* like accel-config, every named object gets the same settings */
	for (int a = optind; a < argc && !r; a++) {
		if (parse_obj(c, argv[a], kind, obj, sizeof(obj), &id))
			return 1;
		for (size_t i = 0; i < n && !r; i++)
			if (vals[i])
				r = set(c, obj, t[i].attr, vals[i]);
	}
	return r ? 1 : 0;
}

#define OPT(l, s, a, num) { { l, required_argument, NULL, s }, a, num }

static int cmd_config_wq(struct ctx *c, int argc, char **argv)
{
	/* accel_config_parse_wq_attribs(): mode and type before name, size before threshold */
	static const struct opt_attr t[] = {
		OPT("mode", 'm', "mode", false),
		OPT("type", 'y', "type", false),
		OPT("name", 'n', "name", false),
		OPT("driver-name", 'd', "driver_name", false),
		OPT("wq-size", 's', "size", true),
		OPT("group-id", 'g', "group_id", true),
		OPT("priority", 'p', "priority", true),
		OPT("block-on-fault", 'b', "block_on_fault", true),
		OPT("threshold", 't', "threshold", true),
		OPT("max-batch-size", 'c', "max_batch_size", true),
		OPT("max-transfer-size", 'x', "max_transfer_size", true),
		OPT("ats-disable", 'a', "ats_disable", true),
	};

	return config_obj(c, argc, argv, t, sizeof(t) / sizeof(t[0]), "wq",
			  "config-wq <dsaN/wqN.M>... [-g group] [-s size] [-p priority] "
			  "[-b 0|1] [-t threshold] [-y type] [-n name] [-d driver] "
			  "[-m shared|dedicated] [-c max-batch] [-x max-transfer] [-a 0|1]", NULL);
}

static int cmd_config_group(struct ctx *c, int argc, char **argv)
{
	static const struct opt_attr t[] = {
		OPT("use-read-buffer-limit", 'l', "use_read_buffer_limit", true),
		OPT("read-buffers-reserved", 'r', "read_buffers_reserved", true),
		OPT("read-buffers-allowed", 't', "read_buffers_allowed", true),
		OPT("traffic-class-a", 'a', "traffic_class_a", true),
		OPT("traffic-class-b", 'b', "traffic_class_b", true),
	};

	return config_obj(c, argc, argv, t, sizeof(t) / sizeof(t[0]), "group",
			  "config-group <dsaN/groupN.M>... [-r reserved] [-t allowed] [-l 0|1] "
			  "[-a tc] [-b tc]", NULL);
}

static int cmd_config_engine(struct ctx *c, int argc, char **argv)
{
	static const struct opt_attr t[] = { OPT("group-id", 'g', "group_id", true) };
	/* accel-config writes group_id always: 0 when -g is not given */
	static const char *const def[] = { "0" };

	return config_obj(c, argc, argv, t, 1, "engine",
			  "config-engine <dsaN/engineN.M>... [-g group]", def);
}

static int cmd_config_device(struct ctx *c, int argc, char **argv)
{
	static const struct opt_attr t[] = {
		OPT("read-buffer-limit", 'l', "read_buffer_limit", true),
	};

	return config_obj(c, argc, argv, t, 1, "dsa", "config-device <dsaN> [-l limit]", NULL);
}

/* enable/disable: accel-config's messages and exit status */

static int only_flag(struct ctx *c, int argc, char **argv, bool *force, const char *synopsis)
{
	static const struct option longopts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, force ? "f" : "", longopts, NULL)) != -1) {
		if (o != 'f' || !force)
			return usage(c, synopsis);
		*force = true;
	}
	return optind < argc ? 0 : usage(c, synopsis);
}

/* A device or WQ with open portals is left alone unless forced, as accel-config does. */
static bool in_use(struct ctx *c, const char *obj)
{
	long long clients;
	char buf[32];

	if (sva_attr_get(c->dev, obj, "clients", buf, sizeof(buf)) <= 0 ||
	    parse_ll(buf, &clients) || clients <= 0)
		return false;
	fail(c, "%s has %lld client(s); -f disables it anyway", obj, clients);
	return true;
}

static int cmd_device_state(struct ctx *c, int argc, char **argv)
{
	bool enable = !strcmp(c->cmd, "enable-device"), force = false;
	char obj[32], what[64];
	unsigned int id;
	int r;

	r = only_flag(c, argc, argv, enable ? NULL : &force,
		      enable ? "enable-device <dsaN>" : "disable-device [-f] <dsaN>");
	if (r)
		return r;
	if (optind + 1 != argc || parse_obj(c, argv[optind], "dsa", obj, sizeof(obj), &id))
		return optind + 1 != argc ? usage(c, "enable-device|disable-device <dsaN>") : 1;
	if (!enable && !force && in_use(c, obj))
		return 1;
	r = enable ? sva_device_enable(c->dev) : sva_device_disable(c->dev);
	if (r) {
		snprintf(what, sizeof(what), "%s", obj);
		return fail_dev(c, r, what);
	}
	fprintf(c->out, "%s 1 device(s) out of 1\n", enable ? "enabled" : "disabled");
	return 0;
}

static int cmd_wq_state(struct ctx *c, int argc, char **argv)
{
	bool enable = !strcmp(c->cmd, "enable-wq"), force = false;
	char obj[32];
	unsigned int id, done = 0, total;
	int r, a;

	r = only_flag(c, argc, argv, enable ? NULL : &force,
		      enable ? "enable-wq <dsaN/wqN.M>..." : "disable-wq [-f] <dsaN/wqN.M>...");
	if (r)
		return r;
	total = (unsigned int)(argc - optind);
	for (a = optind; a < argc; a++) {
		if (parse_obj(c, argv[a], "wq", obj, sizeof(obj), &id))
			break;
		if (!enable && !force && in_use(c, obj))
			break;
		r = enable ? sva_wq_enable(c->dev, id) : sva_wq_disable(c->dev, id);
		if (r) {
			fail_dev(c, r, obj);
			break;
		}
		done++;
	}
	fprintf(c->out, "%s %u wq(s) out of %u\n", enable ? "enabled" : "disabled", done, total);
	return done == total ? 0 : 1;
}

/* list, save-config, load-config */

/* list and save-config cover every device, as accel-config's do */
static int print_dump(struct ctx *c, unsigned int flags)
{
	char *json;
	int r = sva_config_dump(c->devs, c->ndevs, flags, &json);

	if (r)
		return fail_dev(c, r, sva_device_name(c->dev));
	fputs(json, c->out);
	free(json);
	return 0;
}

static int cmd_list(struct ctx *c, int argc, char **argv)
{
	static const struct option longopts[] = { { "idle", no_argument, NULL, 'i' }, { 0 } };
	unsigned int flags = SVA_DUMP_LIST;
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "i", longopts, NULL)) != -1) {
		if (o != 'i')
			return usage(c, "list [-i]");
		flags |= SVA_DUMP_IDLE;
	}
	return optind == argc ? print_dump(c, flags) : usage(c, "list [-i]");
}

static int cmd_save(struct ctx *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "saved-file", required_argument, NULL, 's' }, { 0 },
	};
	const char *file = NULL;
	int o, r;

	optind = 0;
	while ((o = getopt_long(argc, argv, "s:", longopts, NULL)) != -1) {
		if (o != 's')
			return usage(c, "save-config [-s FILE]");
		file = optarg;
	}
	if (optind != argc)
		return usage(c, "save-config [-s FILE]");
	if (!file || !strcmp(file, "-"))
		return print_dump(c, 0);
	r = sva_config_save(c->devs, c->ndevs, file, 0);
	return r ? fail(c, "%s: %s", file, strerror(-r)) : 0;
}

static int cmd_load(struct ctx *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config-file", required_argument, NULL, 'c' },
		{ "enable", no_argument, NULL, 'e' },
		{ "forced", no_argument, NULL, 'f' },
		{ "reset", no_argument, NULL, 'r' },
		{ 0 },
	};
	static const char syn[] = "load-config -c FILE [-e] [-f] [-r]";
	const char *file = NULL;
	unsigned int flags = 0, applied = 0;
	char msg[512], first[512] = "";
	int o, r = 0;

	optind = 0;
	while ((o = getopt_long(argc, argv, "c:efr", longopts, NULL)) != -1) {
		if (o == 'c')
			file = optarg;
		else if (o == 'e')
			flags |= SVA_LOAD_ENABLE;
		else if (o == 'f')
			flags |= SVA_LOAD_FORCE;
		else if (o == 'r')
			flags |= SVA_LOAD_RESET;
		else
			return usage(c, syn);
	}
	if (!file || optind != argc)
		return usage(c, syn);
	/* each device takes its own entry; devices the file does not list are left alone */
	for (size_t i = 0; i < c->ndevs; i++) {
		r = sva_config_load(c->devs[i], file, flags, msg, sizeof(msg));
		if (r == -ENODEV) {
			if (!first[0])
				snprintf(first, sizeof(first), "%s", msg);
			continue;
		}
		if (r)
			return fail(c, "%s", msg);
		applied++;
	}
	return applied ? 0 : fail(c, "%s", first);
}

/* stats */

/* The named device, else every device; --json: an array of device objects. */
static int cmd_stats(struct ctx *c, int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' }, { 0 } };
	static const char syn[] = "stats [--json] [dsaN]";
	json_object *jarr = NULL;
	bool json = false;
	unsigned int id;
	char obj[32];
	int o, r = 0;

	optind = 0;
	while ((o = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		if (o != 'j')
			return usage(c, syn);
		json = true;
	}
	if (optind + 1 < argc)
		return usage(c, syn);
	if (optind < argc && parse_obj(c, argv[optind], "dsa", obj, sizeof(obj), &id))
		return 1;
	if (json && !(jarr = json_object_new_array()))
		return fail(c, "out of memory");
	for (size_t i = 0; !r && i < c->ndevs; i++) {
		if (optind == argc)
			c->dev = c->devs[i];
		else if (i)
			break;
		if (i && !json)
			fputc('\n', c->out);
		r = stats_report(c->dev, jarr, c->out, c->err, "svactl stats") ? 1 : 0;
	}
	if (!r && json)
		fprintf(c->out, "%s\n",
			json_object_to_json_string_ext(jarr, JSON_C_TO_STRING_PRETTY));
	json_object_put(jarr);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "list", cmd_list, "list [-i]                       devices as JSON (accel-config list)" },
	{ "load-config", cmd_load, "load-config -c FILE [-efr]     apply a config file" },
	{ "save-config", cmd_save, "save-config [-s FILE]           write the config (stdout)" },
	{ "config-device", cmd_config_device, "config-device dsaN [-l N]       device attributes" },
	{ "config-group", cmd_config_group, "config-group dsaN/groupN.M ...  group attributes" },
	{ "config-engine", cmd_config_engine, "config-engine dsaN/engineN.M -g G" },
	{ "config-wq", cmd_config_wq, "config-wq dsaN/wqN.M ...        WQ attributes" },
	{ "enable-device", cmd_device_state, "enable-device dsaN" },
	{ "disable-device", cmd_device_state, "disable-device [-f] dsaN" },
	{ "enable-wq", cmd_wq_state, "enable-wq dsaN/wqN.M..." },
	{ "disable-wq", cmd_wq_state, "disable-wq [-f] dsaN/wqN.M..." },
	{ "stats", cmd_stats, "stats [--json] [dsaN]           descriptors by opcode and status,"
			      " per WQ, engine and PASID" },
};

void svactl_usage(FILE *f)
{
	fprintf(f, "usage: svactl [--socket PATH] [--device dsaN] [--embedded] COMMAND [ARGS]\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].help);
}

int svactl_run(struct sva_device *const *devs, size_t ndevs, int argc, char **argv, FILE *out,
	       FILE *err)
{
	struct ctx c = { .devs = devs, .ndevs = ndevs, .out = out, .err = err };
	const char *name;

	if (!ndevs || argc < 1) {
		svactl_usage(err);
		return 2;
	}
	c.cmd = argv[0];
	/* the device the command names; parse_obj() reports a name no device has */
	c.dev = devs[0];
	name = svactl_device_name(argc, argv);
	for (size_t i = 0; name && i < ndevs; i++)
		if (!strcmp(sva_device_name(devs[i]), name))
			c.dev = devs[i];
	opterr = 0;	/* getopt's own messages would go to stderr, not to err */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, argv[0]))
			return cmds[i].fn(&c, argc, argv);
	fprintf(err, "svactl: unknown command \"%s\"\n", argv[0]);
	svactl_usage(err);
	return 2;
}

const char *svactl_device_name(int argc, char **argv)
{
	static char name[32];

	for (int i = 1; i < argc; i++) {
		size_t n = strspn(argv[i] + (strncmp(argv[i], "dsa", 3) ? 0 : 3), "0123456789");

		if (strncmp(argv[i], "dsa", 3) || !n || (argv[i][3 + n] && argv[i][3 + n] != '/'))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(3 + n), argv[i]);
		return name;
	}
	return NULL;
}
