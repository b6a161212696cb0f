/* SPDX-License-Identifier: MIT */
/*
 * Description: libFuzzer target for sysfs-style attribute stores, the
 * parser every write to the svarun tree, svactl config-* and svad's
 * ATTR_SET reach (sva_attr_set(), src/dsa/device_attr.c), followed by the
 * enable validation. The input is a script of lines:
 *
 *   obj/attr=value    store value into obj's attr ("wq0.1/size=16")
 *   +obj / -obj       enable / disable "dsa0" or a WQ ("+wq0.0")
 *
 * Checked for every line: no crash and no read past the input (ASan); a
 * rejected store returns a documented errno and leaves the attribute's
 * value unchanged (the kernel's stores are all-or-nothing); an accepted
 * one reads back; a WQ whose enable succeeds is valid by the rules of
 * dsa-device.md (size > 0, priority 1..15, a shared WQ's threshold in
 * 1..size, its group has an engine). Every input starts from
 * the device's power-on state (Reset Device), so inputs are independent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sva/sva.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) T_FUZZ_FAIL(__VA_ARGS__)

#define MAX_LINES	64
#define VAL_MAX		4096

/* The errnos a store may answer with (docs/API.md, sva_attr_set). */
static bool store_errno(int r)
{
	return r == -EINVAL || r == -EPERM || r == -ENOENT || r == -ENOSPC || r == -ENXIO ||
	       r == -EOPNOTSUPP || r == -EACCES || r == -ERANGE;
}

static bool enable_errno(int r)
{
	return r == -EINVAL || r == -EPERM || r == -ENXIO || r == -EBUSY || r == -ENOSPC ||
	       r == -ENODEV || r == -ENOENT;
}

static long attr_long(struct sva_device *dev, const char *obj, const char *attr)
{
	char v[VAL_MAX];

	if (sva_attr_get(dev, obj, attr, v, sizeof(v)) < 0)
		FAIL("%s/%s unreadable", obj, attr);
	return strtol(v, NULL, 0);
}

/*
 * The rules a WQ satisfies right after its enable succeeded. Only then:
 * as in idxd, engine and group stores stay allowed on an enabled device
 * (they reach the hardware at the next device enable), so a WQ enabled
 * earlier may later read as being in a group without an engine.
 */
static void check_enabled_wq(struct sva_device *dev, const char *wq)
{
	char v[VAL_MAX], grp[32];
	long size, thr, prio, gid;

	if (sva_attr_get(dev, wq, "state", v, sizeof(v)) < 0 || strcmp(v, "enabled"))
		FAIL("%s: enable succeeded, state \"%s\"", wq, v);
	size = attr_long(dev, wq, "size");
	prio = attr_long(dev, wq, "priority");
	gid = attr_long(dev, wq, "group_id");
	if (size <= 0 || prio < 1 || prio > 15 || gid < 0)
		FAIL("%s enabled with size %ld priority %ld group %ld", wq, size, prio, gid);
	if (sva_attr_get(dev, wq, "mode", v, sizeof(v)) < 0)
		FAIL("%s/mode unreadable", wq);
	if (!strcmp(v, "shared")) {
		thr = attr_long(dev, wq, "threshold");
		if (thr < 1 || thr > size)
			FAIL("%s shared, enabled with threshold %ld of %ld", wq, thr, size);
	}
	snprintf(grp, sizeof(grp), "group0.%ld", gid);
	if (sva_attr_get(dev, grp, "engines", v, sizeof(v)) < 0 || !v[0])
		FAIL("%s enabled in %s, which has no engine", wq, grp);
}

static void do_store(struct sva_device *dev, char *line)
{
	static char before[VAL_MAX], after[VAL_MAX];
	char *slash = strchr(line, '/'), *eq;
	int rb, ra, r;

	if (!slash)
		return;
	eq = strchr(slash, '=');
	if (!eq)
		return;
	*slash = '\0';
	*eq = '\0';
	rb = sva_attr_get(dev, line, slash + 1, before, sizeof(before));
	r = sva_attr_set(dev, line, slash + 1, eq + 1);
	if (r && !store_errno(r))
		FAIL("store %s/%s=\"%s\": unexpected %d", line, slash + 1, eq + 1, r);
	ra = sva_attr_get(dev, line, slash + 1, after, sizeof(after));
	if (!r && ra < 0 && rb >= 0)
		FAIL("%s/%s accepted a store but no longer reads (%d)", line, slash + 1, ra);
	/* write-only files (none today) and unknown names read as errors both times */
	if (r && rb >= 0 && (ra < 0 || strcmp(before, after)))
		FAIL("rejected store %s/%s=\"%s\" (%d) changed \"%s\" to \"%s\"", line,
		     slash + 1, eq + 1, r, before, after);
}

static void do_enable(struct sva_device *dev, const char *obj, bool on)
{
	char end, msg[64];
	unsigned int wq;
	int r;

	if (!strcmp(obj, "dsa0"))
		r = on ? sva_device_enable(dev) : sva_device_disable(dev);
	else if (sscanf(obj, "wq0.%u%c", &wq, &end) == 1 && wq < 1024)
		r = on ? sva_wq_enable(dev, wq) : sva_wq_disable(dev, wq);
	else
		return;
	if (r && !enable_errno(r))
		FAIL("%s %s: unexpected %d", on ? "enable" : "disable", obj, r);
	/* a refused enable of an existing object names the rule it broke */
	if (r && on && r != -EBUSY && sva_attr_get(dev, obj, "state", msg, sizeof(msg)) >= 0 &&
	    !sva_last_error(dev)[0])
		FAIL("failed enable of %s (%d) left no message", obj, r);
	if (!r && on && obj[0] == 'w') {
		/* "wq0.00" names wq 0 too: check it by its canonical name */
		snprintf(msg, sizeof(msg), "wq0.%u", wq);
		check_enabled_wq(dev, msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sva_device *dev;
	char *text, *line, *save = NULL;
	int n = 0, r;

	if (!dev) {
		struct sva_device_config cfg = {
			.size = sizeof(cfg),
			.version = SVA_CONFIG_VERSION,
			.flags = SVA_CONFIG_UNCONFIGURED,
		};

		r = sva_device_new(&cfg, &dev);
		if (r)
			FAIL("sva_device_new: %d", r);
	}
	r = sva_device_reset(dev);
	if (r)
		FAIL("reset: %d", r);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line && n < MAX_LINES;
	     line = strtok_r(NULL, "\n", &save), n++) {
		if (line[0] == '+' || line[0] == '-')
			do_enable(dev, line + 1, line[0] == '+');
		else
			do_store(dev, line);
	}
	free(text);
	return 0;
}
