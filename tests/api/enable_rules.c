/* SPDX-License-Identifier: MIT */
/*
 * Description: every rule that enabling a device or a WQ checks, reached
 * through attribute stores as accel-config would make them, with the
 * message sva_last_error() gives: it names the object, the rule and the
 * value found (where the kernel driver gives only a cmd_status code),
 * followed by the code's name. Each rule is one row of the table below,
 * on a fresh unconfigured device; the exact errno and cmd_status are
 * checked too. (Rules the stores themselves enforce first, such as WQ
 * sizes adding up above the device's total, are in unit/device_config.)
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "sva/sva.h"

#define MAX_STORES	12

/* what is refused: the device, wq0.0 (device disabled), wq0.0 or wq0.1 of an enabled device */
enum action { DEV_ENABLE, WQ_ENABLE, WQ0_ENABLE, WQ1_ENABLE, WQ_ENABLE_TWICE };

struct store {
	const char *obj, *attr, *val;
};

struct rule {
	const char *name;		/* the rule, in words */
	unsigned int flags;		/* sva_device_config.flags beyond UNCONFIGURED */
	struct store stores[MAX_STORES];
	enum action action;		/* the enable that must be refused */
	int err;
	uint32_t cmd_status;		/* sysfs cmd_status after the refusal */
	const char *message;		/* sva_last_error(), exactly */
};

/* engine0.0 and wq0.0 (shared, 16 entries, threshold 8, user, "app") in group 0 */
#define GOOD_WQ                                                                    \
	{ "engine0.0", "group_id", "0" }, { "wq0.0", "group_id", "0" },            \
	{ "wq0.0", "size", "16" }, { "wq0.0", "mode", "shared" },                 \
	{ "wq0.0", "threshold", "8" }, { "wq0.0", "priority", "5" },              \
	{ "wq0.0", "type", "user" }, { "wq0.0", "name", "app" }

static const struct rule rules[] = {
	{ "a device needs a configured WQ", 0, { { 0 } }, DEV_ENABLE, -ENXIO, 0x800d0000,
	  "dsa0: needs a WQ with group_id >= 0 and size > 0, found none (WQ_NONE_CONFIGURED)" },
	{ "a group with a WQ needs an engine", 0,
	  { { "wq0.0", "group_id", "0" }, { "wq0.0", "size", "16" } }, DEV_ENABLE, -ENXIO,
	  0x15, "dsa0: group0.0 has 1 WQ(s) but no engine (GRP_CONFIG)" },
	{ "read_buffers_allowed covers 4 per engine", 0,
	  { GOOD_WQ, { "group0.0", "read_buffers_allowed", "4" },
	    { "engine0.1", "group_id", "0" } }, DEV_ENABLE, -ENXIO, 0x17,
	  "dsa0: group0.0 read_buffers_allowed 4 not in 8..96 (2 engines) (GRP_CONFIG3)" },
	{ "use_read_buffer_limit needs a limit", 0,
	  { GOOD_WQ, { "dsa0", "read_buffer_limit", "10" },
	    { "group0.0", "use_read_buffer_limit", "1" }, { "dsa0", "read_buffer_limit", "0" } },
	  DEV_ENABLE, -ENXIO, 0x18,
	  "dsa0: group0.0 uses read_buffer_limit, which is 0 (GRP_CONFIG4)" },
	{ "a WQ needs its device enabled", 0, { GOOD_WQ }, WQ_ENABLE, -ENXIO, 0x80000020,
	  "wq0.0: dsa0 is not enabled (DEV_NOT_ENABLED)" },
	{ "a WQ is enabled once", 0, { GOOD_WQ }, WQ_ENABLE_TWICE, -EBUSY, 0x80000021,
	  "wq0.0: already enabled (WQ_ENABLED)" },
	{ "a user WQ has type user", 0,
	  { GOOD_WQ, { "wq0.1", "group_id", "0" }, { "wq0.1", "size", "8" } },
	  WQ1_ENABLE, -ENODEV, 0x80200000,
	  "wq0.1: type must be user, got none (WQ_NO_DRV_NAME)" },
	{ "with driver_name, a user WQ names the user driver", SVA_CONFIG_DRIVER_NAME,
	  { GOOD_WQ, { "wq0.1", "group_id", "0" }, { "wq0.1", "size", "8" },
	    { "wq0.1", "type", "user" } },
	  WQ1_ENABLE, -ENODEV, 0x80200000,
	  "wq0.1: driver_name must be \"user\", got \"\" (WQ_NO_DRV_NAME)" },
	{ "a WQ belongs to a group", 0, { GOOD_WQ, { "wq0.1", "type", "user" } },
	  WQ1_ENABLE, -ENXIO, 0x80030000,
	  "wq0.1: group_id must be set, got -1 (WQ_NO_GRP)" },
	{ "a WQ's group has an engine", 0,
	  { GOOD_WQ, { "wq0.1", "group_id", "1" }, { "wq0.1", "type", "user" } },
	  WQ1_ENABLE, -ENXIO, 0x80030000,
	  "wq0.1: group0.1 has no engine (WQ_NO_GRP)" },
	{ "a WQ has a name", 0,
	  { GOOD_WQ, { "wq0.1", "group_id", "0" }, { "wq0.1", "size", "8" },
	    { "wq0.1", "type", "user" } },
	  WQ1_ENABLE, -ENXIO, 0x80040000,
	  "wq0.1: name must be set, got \"\" (WQ_NO_NAME)" },
	{ "a shared WQ has a threshold", 0,
	  { GOOD_WQ, { "wq0.0", "mode", "dedicated" }, { "wq0.0", "mode", "shared" } },
	  WQ0_ENABLE, -ENXIO, 0x80060000,
	  "wq0.0: shared WQ needs threshold 1..16, got 0 (WQ_NO_THRESH)" },
	{ "a WQ has a size", 0,
	  { GOOD_WQ, { "wq0.1", "group_id", "0" }, { "wq0.1", "type", "user" },
	    { "wq0.1", "name", "b" } },
	  WQ1_ENABLE, -EINVAL, 0x800e0000,
	  "wq0.1: size must be 1..128, got 0 (WQ_NO_SIZE)" },
	{ "a shared WQ's threshold is at most its size", 0,
	  { GOOD_WQ, { "wq0.0", "size", "4" } }, WQ0_ENABLE, -ENXIO, 0x22,
	  "wq0.0: shared WQ needs threshold 1..4 (size), got 8 (WQ_SIZE)" },
	{ "a WQ has a priority", 0, { GOOD_WQ, { "wq0.0", "priority", "0" } },
	  WQ0_ENABLE, -ENXIO, 0x23,
	  "wq0.0: priority must be 1..15, got 0 (WQ_PRIOR)" },
};

static int act(struct sva_device *dev, enum action a)
{
	int r;

	if (a == DEV_ENABLE)
		return sva_device_enable(dev);
	if (a == WQ_ENABLE)
		return sva_wq_enable(dev, 0);
	r = sva_device_enable(dev);
	T_CHECK(r == 0, "device enable: %s", sva_last_error(dev));
	if (a == WQ_ENABLE_TWICE)
		T_EQ(sva_wq_enable(dev, 0), 0);
	return sva_wq_enable(dev, a == WQ1_ENABLE ? 1 : 0);
}

/*
 * The table is written for dsa0; each row runs on a fresh device, which
 * gets the next number: rename "dsa0", "wq0.", "group0.", "engine0." in in.
 */
static const char *renum(const char *in, unsigned int id, char *out, size_t len)
{
	static const char *const pfx[] = { "dsa", "wq", "group", "engine" };
	size_t n = 0;

	while (*in && n + 12 < len) {
		size_t k = 0;

		for (size_t i = 0; i < 4 && !k; i++)
			if (!strncmp(in, pfx[i], strlen(pfx[i])) && in[strlen(pfx[i])] == '0')
				k = strlen(pfx[i]);
		if (k) {
			n += (size_t)snprintf(out + n, len - n, "%.*s%u", (int)k, in, id);
			in += k + 1;
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = '\0';
	return out;
}

static void check_rule(const struct rule *ru)
{
	struct sva_device_config cfg = { .size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
					 .flags = SVA_CONFIG_UNCONFIGURED | ru->flags };
	struct sva_device *dev;
	char st[32];
	int r;

	char obj[32], msg[256];
	unsigned int id;

	if (sva_device_new(&cfg, &dev))
		T_FATAL("device");
	id = (unsigned int)strtoul(sva_device_name(dev) + 3, NULL, 10);
	for (const struct store *s = ru->stores; s->obj; s++) {
		r = sva_attr_set(dev, renum(s->obj, id, obj, sizeof(obj)), s->attr, s->val);
		T_CHECK(r == 0, "%s: %s/%s <- %s: %s", ru->name, obj, s->attr, s->val,
			sva_last_error(dev));
	}
	r = act(dev, ru->action);
	T_CHECK(r == ru->err, "%s: %d (%s), expected %d", ru->name, r, strerror(-r), ru->err);
	renum(ru->message, id, msg, sizeof(msg));
	T_CHECK(!strcmp(sva_last_error(dev), msg), "%s:\n  got      \"%s\"\n  expected \"%s\"",
		ru->name, sva_last_error(dev), msg);
	T_EQ(sva_cmd_status(dev), ru->cmd_status);
	T_CHECK(sva_attr_get(dev, sva_device_name(dev), "cmd_status", st, sizeof(st)) > 0 &&
		strtoul(st, NULL, 0) == ru->cmd_status, "%s: cmd_status %s", ru->name, st);
	sva_device_free(dev);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		check_rule(&rules[i]);
	return t_done("api/enable_rules");
}
