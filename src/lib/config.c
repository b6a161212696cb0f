/* SPDX-License-Identifier: MIT */
/*
 * sva_config_load(): accel-config JSON files (load-config's format) applied
 * to any device through the public attribute API.
 *
 * accel-config walks the document and writes each key as it meets it. We
 * check the whole document first and collect the writes, so that a bad
 * file leaves the device untouched and every rejection names its place;
 * then we write in a fixed order that the kernel's store checks need
 * (config.c's file order would do for saved files, not for hand-written
 * ones). The per-key rules that make accel-config skip a write are kept:
 * they are what lets its own saved files load back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib.h"
#include "sva/sva_config.h"

enum level { L_DEV, L_GROUP, L_WQ, L_ENGINE };

enum key_kind {
	K_INT,		/* written as a decimal attribute value */
	K_STR,		/* written as is */
	K_ARRAY,	/* nested objects of the given level */
	K_STATE,	/* "state" of list output: decides what SVA_LOAD_ENABLE enables */
	K_IGNORE,	/* read-only (list output) or for hardware sva does not model */
};

/* When accel-config's load-config leaves a key unwritten (accfg/config.c). */
enum skip_rule {
	SKIP_NEVER,
	SKIP_MINUS_ONE,		/* group read buffers and traffic classes: -1 = not set */
	SKIP_NO_RDBUF_LIMIT,	/* use_read_buffer_limit while dsaN read_buffer_limit is 0 */
	SKIP_OLD_VERSION,	/* traffic classes below device version 2 (or -1) */
	/*
	 * threshold of a WQ whose mode reads "dedicated", or 0: the power-on
	 * value, which no store accepts (list -i shows it for unconfigured
	 * shared WQs; enabling one still fails, with WQ_NO_THRESH)
	 */
	SKIP_THRESHOLD,
	SKIP_ABSENT,		/* driver_name: the attribute exists only in 6.7+ kernels */
};

struct key_def {
	const char *key;
	uint8_t level;		/* enum level the key belongs to */
	uint8_t kind;		/* enum key_kind */
	uint8_t skip;		/* enum skip_rule */
	uint8_t sub;		/* K_ARRAY: level of the elements */
	const char *attr;	/* attribute written; NULL = the key */
};

/*
 * The write order of the keys of each level. WQ keys are in the order
 * accel-config's config-wq writes them: mode before threshold (dedicated
 * clears it), type before name (a new type clears the name), size before
 * threshold (threshold <= size). Group read-buffer keys are written
 * key by key over all groups, allowed before reserved: a group's allowed
 * is checked against the read buffers the other groups reserve, so a saved
 * state whose allowed values predate later reservations still loads.
 */
static const struct key_def keys[] = {
	{ .key = "read_buffer_limit", .level = L_DEV, .kind = K_INT },
	{ .key = "token_limit", .level = L_DEV, .kind = K_INT, .attr = "read_buffer_limit" },
	{ .key = "groups", .level = L_DEV, .kind = K_ARRAY, .sub = L_GROUP },
	{ .key = "ungrouped_engines", .level = L_DEV, .kind = K_ARRAY, .sub = L_ENGINE },
	/* list -i spelling */
	{ .key = "ungrouped workqueues", .level = L_DEV, .kind = K_ARRAY, .sub = L_WQ },
	{ .key = "state", .level = L_DEV, .kind = K_STATE },
	/* DSA 2.0 event log: not modelled */
	{ .key = "event_log_size", .level = L_DEV, .kind = K_IGNORE },

	{ .key = "use_token_limit", .level = L_GROUP, .kind = K_INT, .skip = SKIP_NO_RDBUF_LIMIT,
	  .attr = "use_read_buffer_limit" },
	{ .key = "use_read_buffer_limit", .level = L_GROUP, .kind = K_INT,
	  .skip = SKIP_NO_RDBUF_LIMIT },
	{ .key = "tokens_allowed", .level = L_GROUP, .kind = K_INT, .skip = SKIP_MINUS_ONE,
	  .attr = "read_buffers_allowed" },
	{ .key = "read_buffers_allowed", .level = L_GROUP, .kind = K_INT, .skip = SKIP_MINUS_ONE },
	{ .key = "tokens_reserved", .level = L_GROUP, .kind = K_INT, .skip = SKIP_MINUS_ONE,
	  .attr = "read_buffers_reserved" },
	{ .key = "read_buffers_reserved", .level = L_GROUP, .kind = K_INT, .skip = SKIP_MINUS_ONE },
	{ .key = "traffic_class_a", .level = L_GROUP, .kind = K_INT, .skip = SKIP_OLD_VERSION },
	{ .key = "traffic_class_b", .level = L_GROUP, .kind = K_INT, .skip = SKIP_OLD_VERSION },
	{ .key = "grouped_workqueues", .level = L_GROUP, .kind = K_ARRAY, .sub = L_WQ },
	{ .key = "grouped_engines", .level = L_GROUP, .kind = K_ARRAY, .sub = L_ENGINE },
	{ .key = "desc_progress_limit", .level = L_GROUP, .kind = K_IGNORE },	/* DSA 2.0 */
	{ .key = "batch_progress_limit", .level = L_GROUP, .kind = K_IGNORE },

	{ .key = "mode", .level = L_WQ, .kind = K_STR },
	{ .key = "type", .level = L_WQ, .kind = K_STR },
	{ .key = "name", .level = L_WQ, .kind = K_STR },
	{ .key = "driver_name", .level = L_WQ, .kind = K_STR, .skip = SKIP_ABSENT },
	{ .key = "size", .level = L_WQ, .kind = K_INT },
	{ .key = "group_id", .level = L_WQ, .kind = K_INT },
	{ .key = "priority", .level = L_WQ, .kind = K_INT },
	{ .key = "block_on_fault", .level = L_WQ, .kind = K_INT },
	{ .key = "threshold", .level = L_WQ, .kind = K_INT, .skip = SKIP_THRESHOLD },
	{ .key = "max_batch_size", .level = L_WQ, .kind = K_INT },
	{ .key = "max_transfer_size", .level = L_WQ, .kind = K_INT },
	{ .key = "ats_disable", .level = L_WQ, .kind = K_INT },
	{ .key = "state", .level = L_WQ, .kind = K_STATE },
	{ .key = "prs_disable", .level = L_WQ, .kind = K_IGNORE },	/* DSA 2.0 */
	{ .key = "op_config", .level = L_WQ, .kind = K_IGNORE },	/* DSA 2.0 */

	{ .key = "group_id", .level = L_ENGINE, .kind = K_INT },
};

/* Keys of `accel-config list` output that describe, not configure. */
static const char *const display_keys[] = {
	"max_groups", "max_work_queues", "max_engines", "work_queue_size", "numa_node", "errors",
	"op_cap", "iaa_cap", "gen_cap", "version", "max_read_buffers", "max_tokens",
	"max_batch_size", "ims_size", "max_transfer_size", "configurable", "pasid_enabled",
	"cdev_major", "clients", "mdevs", "cdev_minor",
};

static const char *const level_prefix[] = {
	[L_DEV] = "dsa", [L_GROUP] = "group", [L_WQ] = "wq", [L_ENGINE] = "engine",
};

/* Enforce limits on what a file can make us hold (STYLE rule 13). */
#define CFG_MAX_OPS	4096
#define CFG_MAX_VAL	128
#define CFG_MAX_FILE	(1u << 20)
#define CFG_MAX_DEVS	64

struct cfg_op {
	char obj[32];
	const struct key_def *def;
	char val[CFG_MAX_VAL];
	long long num;			/* K_INT value, for the skip rules */
	unsigned int seq;		/* object's first appearance: stable order */
};

struct cfg_load {
	struct sva_device *dev;
	const char *src;		/* file name for messages */
	char *err;
	size_t errlen;
	unsigned int flags;
	unsigned int dev_id;		/* N of our "dsaN" */
	unsigned int max[4];		/* objects per level, from the device */
	bool found;			/* the entry to apply was met */
	bool selected;			/* the entry being parsed is applied */
	unsigned int file_id;		/* N of the entry's "dsaN" */
	bool enable_dev;
	struct cfg_op *ops;
	unsigned int nops;
	unsigned int nobjs;		/* objects met so far */
	unsigned int cur_seq;		/* number of the object whose keys are parsed */
	bool *seen[4];			/* objects already listed, per level */
	int *enable_wq;			/* WQ ids to enable, in file order */
	unsigned int nenable;
	unsigned int devs[CFG_MAX_DEVS];	/* entries met: id, bit 31 for iax */
	unsigned int ndevs;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct cfg_load *c, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (c->err && c->errlen) {
		n = snprintf(c->err, c->errlen, "%s: ", c->src);
		if (n < 0 || (size_t)n >= c->errlen)
			return rc;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *type_name(const json_object *v)
{
	return json_type_to_name(json_object_get_type(v));
}

static const struct key_def *find_key(enum level lv, const char *key)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].level == lv && !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

static bool is_display_key(const char *key)
{
	for (size_t i = 0; i < sizeof(display_keys) / sizeof(display_keys[0]); i++)
		if (!strcmp(display_keys[i], key))
			return true;
	return false;
}

/* A decimal number without sign or leading zeros, at most 10^6; *end after it. */
static int parse_index(const char *s, const char **end, unsigned int *ret)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 1000000)
			return -EINVAL;
	}
	*end = p;
	*ret = (unsigned int)v;
	return 0;
}

/*
 * "dsaN"/"iaxN" for a device entry, "<prefix>N.M" below it with N the
 * entry's number. Returns M (or N for a device) in *ret_id.
 */
static int parse_name(struct cfg_load *c, enum level lv, const char *name, unsigned int *ret_id)
{
	const char *p = name, *end;
	unsigned int n, m;

	if (lv == L_DEV) {
		if (strncmp(p, "dsa", 3) && strncmp(p, "iax", 3))
			return fail(c, -EINVAL, "\"%s\": not a DSA or IAA device name", name);
		if (parse_index(p + 3, &end, &n) || *end)
			return fail(c, -EINVAL, "\"%s\": not a device name", name);
		*ret_id = n;
		return 0;
	}
	if (strncmp(p, level_prefix[lv], strlen(level_prefix[lv])) ||
	    parse_index(p + strlen(level_prefix[lv]), &end, &n) || *end != '.' ||
	    parse_index(end + 1, &end, &m) || *end)
		return fail(c, -EINVAL, "\"%s\": expected a name like %s%u.0", name,
			    level_prefix[lv], c->file_id);
	if (n != c->file_id)
		return fail(c, -EINVAL, "%s does not belong to the entry of device %u", name,
			    c->file_id);
	if (c->selected && m >= c->max[lv])
		return fail(c, -EINVAL, "%s: the device has %u %ss (0..%u)", name, c->max[lv],
			    level_prefix[lv], c->max[lv] - 1);
	*ret_id = m;
	return 0;
}

/* Each device has one entry: a second one would silently lose to the first. */
static int note_device(struct cfg_load *c, const char *name, unsigned int id)
{
	unsigned int key = id | (name[0] == 'i' ? 1u << 31 : 0);

	for (unsigned int i = 0; i < c->ndevs; i++)
		if (c->devs[i] == key)
			return fail(c, -EINVAL, "%s is listed twice", name);
	if (c->ndevs == CFG_MAX_DEVS)
		return fail(c, -E2BIG, "more than %u devices", CFG_MAX_DEVS);
	c->devs[c->ndevs++] = key;
	return 0;
}

static int add_op(struct cfg_load *c, const char *obj, const struct key_def *def,
		  const char *val, long long num)
{
	struct cfg_op *op;

	if (!c->selected)
		return 0;
	if (c->nops == CFG_MAX_OPS)
		return fail(c, -E2BIG, "more than %u settings", CFG_MAX_OPS);
	op = &c->ops[c->nops++];
	snprintf(op->obj, sizeof(op->obj), "%s", obj);
	op->def = def;
	snprintf(op->val, sizeof(op->val), "%s", val);
	op->num = num;
	op->seq = c->cur_seq;
	return 0;
}

static int parse_object(struct cfg_load *c, enum level lv, json_object *o, const char *where,
			int parent_group);

static int parse_array(struct cfg_load *c, const struct key_def *def, json_object *a,
		       const char *where, int parent_group)
{
	char at[96];
	size_t i, n;
	int r;

	if (!json_object_is_type(a, json_type_array))
		return fail(c, -EINVAL, "%s: \"%s\": expected an array, got %s", where, def->key,
			    type_name(a));
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		snprintf(at, sizeof(at), "%s: \"%s\"[%zu]", where, def->key, i);
		r = parse_object(c, (enum level)def->sub, json_object_array_get_idx(a, i), at,
				 parent_group);
		if (r)
			return r;
	}
	return 0;
}

/*
 * One key of an object at level lv: obj is its name on our device, fname
 * its name in the file (what messages show).
 */
static int parse_key(struct cfg_load *c, enum level lv, const char *obj, const char *fname,
		     unsigned int id, const char *key, json_object *v, int group)
{
	const struct key_def *def = find_key(lv, key);
	char num[32];
	long long x;

	if (!def) {
		if (is_display_key(key))
			return 0;
		return fail(c, -EINVAL, "%s: unknown key \"%s\"", fname, key);
	}
	switch (def->kind) {
	case K_ARRAY:
		return parse_array(c, def, v, fname, lv == L_GROUP ? (int)id : -1);
	case K_IGNORE:
		return 0;
	case K_STATE:
		if (!json_object_is_type(v, json_type_string))
			return fail(c, -EINVAL, "%s: \"state\": expected a string, got %s", fname,
				    type_name(v));
		if (c->selected && lv == L_DEV)
			c->enable_dev = !strcmp(json_object_get_string(v), "enabled");
		else if (c->selected && strcmp(json_object_get_string(v), "enabled"))
			c->enable_wq[c->nenable - 1] = -1;	/* listed, not to be enabled */
		return 0;
	case K_STR:
		if (!json_object_is_type(v, json_type_string))
			return fail(c, -EINVAL, "%s: \"%s\": expected a string, got %s", fname, key,
				    type_name(v));
		if (json_object_get_string_len(v) >= CFG_MAX_VAL)
			return fail(c, -EINVAL, "%s: \"%s\": longer than %d characters", fname, key,
				    CFG_MAX_VAL - 1);
		/* an empty name is how list -i shows "no name": nothing to write */
		if (!json_object_get_string_len(v))
			return 0;
		return add_op(c, obj, def, json_object_get_string(v), 0);
	default:
		if (!json_object_is_type(v, json_type_int))
			return fail(c, -EINVAL, "%s: \"%s\": expected an integer, got %s", fname,
				    key, type_name(v));
		x = (long long)json_object_get_int64(v);
		/* a member listed under a group belongs to it */
		if (!strcmp(key, "group_id") && x != group && group < 0)
			return fail(c, -EINVAL, "%s: group_id %lld, but listed as ungrouped", fname,
				    x);
		if (!strcmp(key, "group_id") && x != group)
			return fail(c, -EINVAL, "%s: group_id %lld, but listed under group%u.%d",
				    fname, x, c->file_id, group);
		snprintf(num, sizeof(num), "%lld", x);
		return add_op(c, obj, def, num, x);
	}
}

static int parse_object(struct cfg_load *c, enum level lv, json_object *o, const char *where,
			int group)
{
	char obj[32] = "", num[16];
	const char *name = "";
	bool first = true, has_group = false;
	unsigned int id = 0, seq = 0;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, -EINVAL, "%s: expected an object, got %s", where, type_name(o));
	json_object_object_foreach(o, key, v)
	{
		if (first) {
			/* load-config's rule: "dev" names the object and comes first */
			if (strcmp(key, "dev"))
				return fail(c, -EINVAL, "%s: the first key must be \"dev\", not "
					    "\"%s\"", where, key);
			if (!json_object_is_type(v, json_type_string))
				return fail(c, -EINVAL, "%s: \"dev\": expected a string, got %s",
					    where, type_name(v));
			name = json_object_get_string(v);
			if (lv == L_DEV) {
				if (parse_name(c, L_DEV, name, &id))
					return -EINVAL;
				r = note_device(c, name, id);
				if (r)
					return r;
				c->file_id = id;
				c->selected = false;
				if (!c->found && !strncmp(name, "dsa", 3) &&
				    ((c->flags & SVA_LOAD_ANY_NAME) ||
				     !strcmp(name, sva_device_name(c->dev)))) {
					c->selected = true;
					c->found = true;
				}
				snprintf(obj, sizeof(obj), "dsa%u", c->dev_id);
			} else {
				if (parse_name(c, lv, name, &id))
					return -EINVAL;
				snprintf(obj, sizeof(obj), "%s%u.%u", level_prefix[lv], c->dev_id,
					 id);
				if (c->selected && c->seen[lv][id])
					return fail(c, -EINVAL, "%s is listed twice", name);
				if (c->selected)
					c->seen[lv][id] = true;
				if (c->selected && lv == L_WQ)
					c->enable_wq[c->nenable++] = (int)id;
			}
			seq = c->nobjs++;
			first = false;
			continue;
		}
		if (!strcmp(key, "group_id"))
			has_group = true;
		c->cur_seq = seq;	/* nested objects change it */
		r = parse_key(c, lv, obj, name, id, key, v, group);
		if (r)
			return r;
	}
	if (first)
		return fail(c, -EINVAL, "%s: empty object, \"dev\" missing", where);
	/*
	 * A WQ or engine without group_id takes the group it is listed under;
	 * one listed as ungrouped leaves its group, so that loading a saved
	 * file gives the saved state whatever the device held before.
	 */
	if (!has_group && (lv == L_WQ || lv == L_ENGINE)) {
		snprintf(num, sizeof(num), "%d", group);
		c->cur_seq = seq;
		return add_op(c, obj, find_key(lv, "group_id"), num, group);
	}
	return 0;
}

/*
 * Write order: device, groups, engines, WQs, as the kernel's checks need
 * them from a reset device: group read_buffers_allowed must be at least 4
 * per engine of the group, so a group is written while its engines are
 * still to come (engine stores check nothing). Per object its first
 * appearance and per key the table, except groups (key first, see keys[]).
 */
static int op_rank(const struct cfg_op *op)
{
	static const int stage[] = { [L_DEV] = 0, [L_GROUP] = 1, [L_ENGINE] = 2, [L_WQ] = 3 };

	return stage[op->def->level];
}

static int op_cmp(const void *a, const void *b)
{
	const struct cfg_op *x = a, *y = b;

	if (op_rank(x) != op_rank(y))
		return op_rank(x) - op_rank(y);
	if (x->def->level == L_GROUP && x->def != y->def)
		return x->def < y->def ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	/* both point into keys[] */
	return x->def < y->def ? -1 : x->def > y->def;
}

int lib_attr_ll(struct sva_device *dev, const char *obj, const char *attr, long long *ret)
{
	char buf[64], *end;
	long long v;
	int r;

	r = sva_attr_get(dev, obj, attr, buf, sizeof(buf));
	if (r < 0)
		return r;
	v = strtoll(buf, &end, 0);
	if (end == buf || *end)
		return -EPROTO;
	*ret = v;
	return 0;
}

static bool skip_op(struct cfg_load *c, const struct cfg_op *op)
{
	char dev[16], mode[16];
	long long v;

	snprintf(dev, sizeof(dev), "dsa%u", c->dev_id);
	switch (op->def->skip) {
	case SKIP_MINUS_ONE:
		return op->num == -1;
	case SKIP_NO_RDBUF_LIMIT:
		return lib_attr_ll(c->dev, dev, "read_buffer_limit", &v) || v == 0;
	case SKIP_OLD_VERSION:
		return op->num == -1 || lib_attr_ll(c->dev, dev, "version", &v) || v < 0x200;
	case SKIP_THRESHOLD:
		return op->num == 0 ||
		       sva_attr_get(c->dev, op->obj, "mode", mode, sizeof(mode)) < 0 ||
		       !strcmp(mode, "dedicated");
	default:
		return false;
	}
}

static int report_device(struct cfg_load *c, int rc, const char *what)
{
	const char *why = sva_last_error(c->dev);

	return fail(c, rc, "%s: %s", what, why && *why ? why : strerror(-rc));
}

static int apply(struct cfg_load *c)
{
	char dev[16], state[16], what[192];
	unsigned int i;
	int r;

	snprintf(dev, sizeof(dev), "dsa%u", c->dev_id);
	r = sva_attr_get(c->dev, dev, "state", state, sizeof(state));
	if (r < 0)
		return fail(c, r, "%s: reading state: %s", dev, strerror(-r));
	if (strcmp(state, "disabled")) {
		if (!(c->flags & SVA_LOAD_FORCE))
			return fail(c, -EBUSY, "%s is %s; disable it first (or force)", dev, state);
		r = sva_device_disable(c->dev);
		if (r)
			return report_device(c, r, "disabling the device");
	}
	if (c->flags & SVA_LOAD_RESET) {
		r = sva_device_reset(c->dev);
		if (r)
			return report_device(c, r, "resetting the device");
	}
	qsort(c->ops, c->nops, sizeof(c->ops[0]), op_cmp);
	for (i = 0; i < c->nops; i++) {
		const struct cfg_op *op = &c->ops[i];
		const char *attr = op->def->attr ? op->def->attr : op->def->key;

		if (skip_op(c, op))
			continue;
		r = sva_attr_set(c->dev, op->obj, attr, op->val);
		if (r == -ENOENT && op->def->skip == SKIP_ABSENT)
			continue;
		if (r) {
			snprintf(what, sizeof(what), "%s %s=%s", op->obj, attr, op->val);
			return report_device(c, r, what);
		}
	}
	if (!(c->flags & SVA_LOAD_ENABLE) || !c->enable_dev)
		return 0;
	r = sva_device_enable(c->dev);
	if (r)
		return report_device(c, r, "enabling the device");
	for (i = 0; i < c->nenable; i++) {
		if (c->enable_wq[i] < 0)
			continue;
		r = sva_wq_enable(c->dev, (unsigned int)c->enable_wq[i]);
		if (r) {
			snprintf(what, sizeof(what), "enabling wq%u.%d", c->dev_id,
				 c->enable_wq[i]);
			return report_device(c, r, what);
		}
	}
	return 0;
}

/* line:column of a byte offset, for syntax errors */
static void position(const char *s, size_t off, unsigned int *line, unsigned int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int parse_document(struct cfg_load *c, const char *json, size_t len, json_object **ret)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	unsigned int line, col;
	json_object *root;
	size_t end;

	if (len > CFG_MAX_FILE)
		return fail(c, -EFBIG, "larger than %u bytes", CFG_MAX_FILE);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* json-c's lenient mode, as accel-config parses: trailing commas are fine */
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue || (!root && jerr == json_tokener_success)) {
		position(json, len, &line, &col);
		return fail(c, -EINVAL, "%u:%u: unexpected end of file", line, col);
	}
	if (!root) {
		position(json, end, &line, &col);
		return fail(c, -EINVAL, "%u:%u: %s", line, col, json_tokener_error_desc(jerr));
	}
	while (end < len && strchr(" \t\r\n", json[end]) && json[end])
		end++;
	if (end < len && json[end]) {
		json_object_put(root);
		position(json, end, &line, &col);
		return fail(c, -EINVAL, "%u:%u: text after the JSON document", line, col);
	}
	*ret = root;
	return 0;
}

static int load_limits(struct cfg_load *c)
{
	static const char *const attr[] = {
		[L_DEV] = NULL, [L_GROUP] = "max_groups", [L_WQ] = "max_work_queues",
		[L_ENGINE] = "max_engines",
	};
	const char *name = sva_device_name(c->dev), *end;
	long long v;
	int r;

	if (strncmp(name, "dsa", 3) || parse_index(name + 3, &end, &c->dev_id) || *end)
		return fail(c, -EINVAL, "device name \"%s\" is not dsaN", name);
	c->max[L_DEV] = 1;
	for (int lv = L_GROUP; lv <= L_ENGINE; lv++) {
		r = lib_attr_ll(c->dev, name, attr[lv], &v);
		if (r)
			return fail(c, r, "%s/%s: %s", name, attr[lv], strerror(-r));
		if (v < 0 || v > 4096)
			return fail(c, -EPROTO, "%s/%s: %lld", name, attr[lv], v);
		c->max[lv] = (unsigned int)v;
		c->seen[lv] = calloc((size_t)v + 1, sizeof(bool));
		if (!c->seen[lv])
			return -ENOMEM;
	}
	c->enable_wq = calloc(c->max[L_WQ] + 1, sizeof(int));
	c->ops = calloc(CFG_MAX_OPS, sizeof(*c->ops));
	return c->enable_wq && c->ops ? 0 : -ENOMEM;
}

static int load(struct sva_device *dev, const char *src, const char *json, size_t len,
		unsigned int flags, char *err, size_t errlen)
{
	struct cfg_load c = {
		.dev = dev, .src = src, .err = err, .errlen = errlen, .flags = flags,
		.enable_dev = true,
	};
	json_object *root = NULL;
	char at[32];
	size_t i, n;
	int r;

	if (err && errlen)
		err[0] = '\0';
	r = load_limits(&c);
	if (r)
		goto out;
	r = parse_document(&c, json, len, &root);
	if (r)
		goto out;
	if (!json_object_is_type(root, json_type_array)) {
		r = fail(&c, -EINVAL, "expected an array of devices, got %s", type_name(root));
		goto out;
	}
	n = json_object_array_length(root);
	for (i = 0; i < n; i++) {
		snprintf(at, sizeof(at), "device [%zu]", i);
		r = parse_object(&c, L_DEV, json_object_array_get_idx(root, i), at, -1);
		if (r)
			goto out;
	}
	if (!c.found) {
		r = fail(&c, -ENODEV, (flags & SVA_LOAD_ANY_NAME) ? "no DSA device entry" :
			 "no entry for %s", sva_device_name(dev));
		goto out;
	}
	r = apply(&c);
out:
	json_object_put(root);
	for (i = 0; i < 4; i++)
		free(c.seen[i]);
	free(c.enable_wq);
	free(c.ops);
	return r;
}

SVA_EXPORT int sva_config_load_buf(struct sva_device *dev, const char *json, size_t len,
				   unsigned int flags, char *errbuf, size_t errlen)
{
	if (!dev || !json || (flags & ~(SVA_LOAD_ENABLE | SVA_LOAD_FORCE | SVA_LOAD_RESET |
					 SVA_LOAD_ANY_NAME)))
		return -EINVAL;
	return load(dev, "<buffer>", json, len, flags, errbuf, errlen);
}

SVA_EXPORT int sva_config_load(struct sva_device *dev, const char *path, unsigned int flags,
			       char *errbuf, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!dev || !path || (flags & ~(SVA_LOAD_ENABLE | SVA_LOAD_FORCE | SVA_LOAD_RESET |
					 SVA_LOAD_ANY_NAME)))
		return -EINVAL;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	buf = malloc(CFG_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, CFG_MAX_FILE + 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!r)
		r = load(dev, path, buf, len, flags, errbuf, errlen);
	else if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: read error", path);
	free(buf);
	return r;
}
