/* SPDX-License-Identifier: MIT */
/*
 * Description: the device model's sysfs view (accel-config-compat.md §4-6).
 * Every attribute of §4.1-4.3 exists with its initial value and format (the
 * old 4-word op_cap/errors, empty group lists as empty files, token aliases,
 * cdev_minor failing with ENXIO, driver_name only in the 6.7+ personality);
 * foreach lists exactly the attributes served, with writability; the
 * load-config write sequence of §5 for 2g2q_user_1.conf succeeds and then
 * enables the device and both WQs; every writable attribute round-trips;
 * runtime feedback (clients, occupancy) and the register file reflect it all.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "dsa/registers.h"

struct kv {
	const char *obj, *attr, *val;
};

/* Initial values, in libaccfg's read order (§4.1, §4.2, §4.3). */
static const struct kv initial[] = {
	{ "dsa0", "cmd_status", "0" }, { "dsa0", "max_groups", "4" },
	{ "dsa0", "max_work_queues", "8" }, { "dsa0", "max_engines", "4" },
	{ "dsa0", "max_work_queues_size", "128" }, { "dsa0", "numa_node", "0" },
	{ "dsa0", "max_batch_size", "1024" }, { "dsa0", "max_transfer_size", "2147483648" },
	{ "dsa0", "gen_cap", "0x40915f0107" }, { "dsa0", "configurable", "1" },
	{ "dsa0", "pasid_enabled", "1" }, { "dsa0", "max_read_buffers", "96" },
	{ "dsa0", "max_tokens", "96" }, { "dsa0", "read_buffer_limit", "0" },
	{ "dsa0", "token_limit", "0" }, { "dsa0", "cdev_major", "508" },
	{ "dsa0", "version", "0x100" }, { "dsa0", "state", "disabled" }, { "dsa0", "clients", "0" },
	{ "dsa0", "op_cap", "0x1003f03ff 0 0 0" }, { "dsa0", "errors", "0 0 0 0" },
	{ "wq0.7", "group_id", "-1" }, { "wq0.7", "size", "0" }, { "wq0.7", "priority", "0" },
	{ "wq0.7", "block_on_fault", "0" }, { "wq0.7", "mode", "dedicated" },
	{ "wq0.7", "state", "disabled" }, { "wq0.7", "type", "none" }, { "wq0.7", "name", "" },
	{ "wq0.7", "threshold", "0" }, { "wq0.7", "max_batch_size", "1024" },
	{ "wq0.7", "max_transfer_size", "2147483648" }, { "wq0.7", "ats_disable", "0" },
	{ "wq0.7", "clients", "0" }, { "wq0.7", "occupancy", "0" },
	{ "group0.3", "engines", "" }, { "group0.3", "work_queues", "" },
	{ "group0.3", "read_buffers_reserved", "0" }, { "group0.3", "tokens_reserved", "0" },
	{ "group0.3", "read_buffers_allowed", "96" }, { "group0.3", "tokens_allowed", "96" },
	{ "group0.3", "use_read_buffer_limit", "0" }, { "group0.3", "use_token_limit", "0" },
	{ "group0.3", "traffic_class_a", "1" }, { "group0.3", "traffic_class_b", "1" },
	{ "engine0.3", "group_id", "-1" },
};

/* What foreach must list: "name" or "name=" for writable ones. */
static const char *const dev_list =
	"cmd_status= max_groups max_work_queues max_engines max_work_queues_size numa_node "
	"max_batch_size max_transfer_size gen_cap configurable pasid_enabled max_read_buffers "
	"max_tokens read_buffer_limit= token_limit= cdev_major version state clients op_cap "
	"errors ";
static const char *const wq_list =
	"group_id= size= priority= block_on_fault= mode= state cdev_minor type= name= "
	"threshold= max_batch_size= max_transfer_size= ats_disable= clients occupancy "
	"enqcmds_retries= ";
static const char *const group_list =
	"engines work_queues read_buffers_reserved= tokens_reserved= read_buffers_allowed= "
	"tokens_allowed= use_read_buffer_limit= use_token_limit= traffic_class_a= "
	"traffic_class_b= ";

/* load-config -c 2g2q_user_1.conf, in JSON order (§5) */
static const struct kv load_config[] = {
	{ "dsa0", "cmd_status", "1" }, { "dsa0", "read_buffer_limit", "0" },
	{ "group0.0", "read_buffers_reserved", "0" }, { "group0.0", "read_buffers_allowed", "8" },
	{ "wq0.0", "mode", "shared" }, { "wq0.0", "size", "16" }, { "wq0.0", "group_id", "0" },
	{ "wq0.0", "priority", "10" }, { "wq0.0", "block_on_fault", "1" },
	{ "wq0.0", "type", "user" }, { "wq0.0", "driver_name", "user" },
	{ "wq0.0", "name", "app1" }, { "wq0.0", "threshold", "15" },
	{ "engine0.0", "group_id", "0" }, { "engine0.1", "group_id", "0" },
	{ "group0.1", "read_buffers_reserved", "0" }, { "group0.1", "read_buffers_allowed", "8" },
	{ "wq0.1", "mode", "dedicated" }, { "wq0.1", "size", "16" }, { "wq0.1", "group_id", "1" },
	{ "wq0.1", "priority", "10" }, { "wq0.1", "block_on_fault", "1" },
	{ "wq0.1", "type", "user" }, { "wq0.1", "driver_name", "user" },
	{ "wq0.1", "name", "app2" },
	{ "engine0.2", "group_id", "1" }, { "engine0.3", "group_id", "1" },
	{ "group0.2", "read_buffers_reserved", "0" }, { "group0.2", "read_buffers_allowed", "8" },
	{ "group0.3", "read_buffers_reserved", "0" }, { "group0.3", "read_buffers_allowed", "8" },
};

/* Every writable attribute: the value written and the one read back (rounding, aliases). */
static const struct rt {
	const char *obj, *attr, *val, *want;
} round_trip[] = {
	{ "dsa0", "token_limit", "12", "12" }, { "dsa0", "read_buffer_limit", "0x20", "32" },
	{ "dsa0", "token_limit", NULL, "32" },
	{ "wq0.2", "size", "7", "7" }, { "wq0.2", "group_id", "2", "2" },
	{ "wq0.2", "priority", "15", "15" }, { "wq0.2", "block_on_fault", "on", "1" },
	{ "wq0.2", "mode", "shared", "shared" }, { "wq0.2", "threshold", "7", "7" },
	{ "wq0.2", "type", "user", "user" }, { "wq0.2", "name", "rt", "rt" },
	{ "wq0.2", "driver_name", " user\n", "user" },
	{ "wq0.2", "max_batch_size", "100", "128" },
	{ "wq0.2", "max_transfer_size", "4096", "4096" },
	{ "wq0.2", "ats_disable", "1", "1" }, { "wq0.2", "enqcmds_retries", "5", "5" },
	{ "group0.2", "tokens_reserved", "9", "9" },
	{ "group0.2", "read_buffers_reserved", NULL, "9" },
	{ "group0.2", "read_buffers_allowed", "20", "20" },
	{ "group0.2", "tokens_allowed", NULL, "20" },
	{ "engine0.2", "group_id", "2", "2" }, { "group0.2", "engines", NULL, "engine0.2" },
	{ "group0.2", "work_queues", NULL, "wq0.2" },
	{ "dsa0", "cmd_status", "1", "0" },
};

static struct dsa_dev *new_dev(bool driver_name)
{
	struct dsa_dev_params p;
	struct dsa_dev *dev = NULL;

	dsa_dev_params_default(&p);
	p.driver_name_attr = driver_name;
	if (dsa_dev_new(&p, &dev) || !dev)
		T_FATAL("dsa_dev_new");
	return dev;
}

#define GET(d, o, a, want)	get_line(d, o, a, want, __LINE__)
static void get_line(struct dsa_dev *dev, const char *obj, const char *attr, const char *want,
		     int line)
{
	char buf[128] = "";
	int rc = dsa_dev_attr_get(dev, obj, attr, buf, sizeof(buf));
	/* sysfs file size: value + newline, but nothing at all for an empty group list */
	bool list = !strcmp(attr, "engines") || !strcmp(attr, "work_queues");
	int size = list && !*want ? 0 : (int)strlen(want) + 1;

	T_CHECK(rc == size && !strcmp(buf, want),
		"line %d: %s/%s = \"%s\" (%d), expected \"%s\" (%d)", line, obj, attr, buf, rc,
		want, size);
}

static int collect(const char *name, bool writable, void *arg)
{
	char *list = arg;

	strcat(list, name);
	strcat(list, writable ? "= " : " ");
	return 0;
}

static int stop_at_second(const char *name, bool writable, void *arg)
{
	return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_initial(void)
{
	struct dsa_dev *dev = new_dev(false);
	char buf[512], name[16];
	unsigned int i;
	int n = 0;

	for (i = 0; i < sizeof(initial) / sizeof(initial[0]); i++)
		GET(dev, initial[i].obj, initial[i].attr, initial[i].val);
	for (i = 0; i < 8; i++) {	/* every WQ, not just the one above */
		snprintf(name, sizeof(name), "wq0.%u", i);
		GET(dev, name, "group_id", "-1");
		T_EQ(dsa_dev_attr_get(dev, name, "cdev_minor", buf, sizeof(buf)), -ENXIO);
		T_EQ(dsa_dev_attr_get(dev, name, "enqcmds_retries", buf, sizeof(buf)), -EOPNOTSUPP);
	}
	T_EQ(dsa_dev_attr_get(dev, "wq0.0", "driver_name", buf, sizeof(buf)), -ENOENT);
	T_EQ(dsa_dev_attr_set(dev, "wq0.0", "driver_name", "user"), -ENOENT);
	T_EQ(dsa_dev_attr_get(dev, "dsa0", "ims_size", buf, sizeof(buf)), -ENOENT);
	T_EQ(dsa_dev_attr_get(dev, "dsa0", "op_cap", buf, 10), -ENOSPC);
	T_EQ(dsa_dev_attr_get(dev, "group0.4", "engines", buf, sizeof(buf)), -ENOENT);
	T_EQ(dsa_dev_attr_get(dev, "engine0.4", "group_id", buf, sizeof(buf)), -ENOENT);
	T_EQ(dsa_dev_attr_set(dev, "wq0.0", "mode", "shared"), 0);
	GET(dev, "wq0.0", "enqcmds_retries", "32");

	/* foreach: exactly the served attributes, in order, with writability */
	buf[0] = '\0';
	T_EQ(dsa_dev_attr_foreach(dev, "dsa0", collect, buf), 0);
	T_CHECK(!strcmp(buf, dev_list), "dsa0 lists \"%s\"", buf);
	buf[0] = '\0';
	T_EQ(dsa_dev_attr_foreach(dev, "wq0.5", collect, buf), 0);
	T_CHECK(!strcmp(buf, wq_list), "wq lists \"%s\"", buf);
	buf[0] = '\0';
	T_EQ(dsa_dev_attr_foreach(dev, "group0.1", collect, buf), 0);
	T_CHECK(!strcmp(buf, group_list), "group lists \"%s\"", buf);
	buf[0] = '\0';
	T_EQ(dsa_dev_attr_foreach(dev, "engine0.0", collect, buf), 0);
	T_CHECK(!strcmp(buf, "group_id= "), "engine lists \"%s\"", buf);
	T_EQ(dsa_dev_attr_foreach(dev, "wq0.9", collect, buf), -ENOENT);
	T_EQ(dsa_dev_attr_foreach(dev, "dsa0", stop_at_second, &n), 42);
	dsa_dev_free(dev);

	dev = new_dev(true);	/* 6.7+ personality */
	GET(dev, "wq0.0", "driver_name", "");
	buf[0] = '\0';
	T_EQ(dsa_dev_attr_foreach(dev, "wq0.0", collect, buf), 0);
	T_CHECK(strstr(buf, " name= driver_name= threshold= "), "wq lists \"%s\"", buf);
	dsa_dev_free(dev);
}

static void test_load_config(bool driver_name)
{
	struct dsa_dev *dev = new_dev(driver_name);
	struct dsa_wq_cfg *wq0 = dsa_dev_wq(dev, 0);
	struct dsa_wq_attr attr;
	union wqcfg w;
	unsigned int i;
	uint64_t v[4];
	int rc;

	for (i = 0; i < sizeof(load_config) / sizeof(load_config[0]); i++) {
		rc = dsa_dev_attr_set(dev, load_config[i].obj, load_config[i].attr,
				      load_config[i].val);
		/* libaccfg ignores ENOENT from driver_name when the kernel lacks it */
		T_CHECK(rc == 0 || (rc == -ENOENT && !driver_name &&
				    !strcmp(load_config[i].attr, "driver_name")),
			"%s/%s <- %s: %d (%s)", load_config[i].obj, load_config[i].attr,
			load_config[i].val, rc, dsa_dev_last_error(dev));
	}
	GET(dev, "group0.0", "engines", "engine0.0 engine0.1");
	GET(dev, "group0.1", "engines", "engine0.2 engine0.3");
	GET(dev, "group0.0", "work_queues", "wq0.0");
	GET(dev, "group0.2", "work_queues", "");
	T_EQ(dsa_dev_enable(dev), 0);
	T_EQ(dsa_dev_wq_enable(dev, 0), 0);
	T_EQ(dsa_dev_wq_enable(dev, 1), 0);
	GET(dev, "dsa0", "state", "enabled");
	GET(dev, "wq0.0", "state", "enabled");
	GET(dev, "wq0.1", "state", "enabled");
	GET(dev, "wq0.0", "cdev_minor", "0");
	GET(dev, "wq0.1", "cdev_minor", "1");
	GET(dev, "dsa0", "cmd_status", "0");

	/* what descriptors and the register file see */
	dsa_dev_wq_attr(dev, 0, &attr);
	T_CHECK(attr.shared && attr.bof && !attr.ats_disable, "wq0.0 attr");
	T_EQ(attr.max_xfer, 1ull << 31);
	T_EQ(attr.max_batch, 1024);
	dsa_dev_wq_attr(dev, 1, &attr);
	T_CHECK(!attr.shared, "wq0.1 is dedicated");
	for (i = 0; i < 4; i++)
		T_EQ(dsa_dev_reg_read(dev, DSA_WQCFG_TABLE * IDXD_TABLE_MULT + i * 8, &v[i]), 0);
	memcpy(w.bits, v, sizeof(w.bits));
	T_EQ(w.wq_size, 16);
	T_EQ(w.wq_thresh, 15);
	T_EQ(w.mode, 0);
	T_EQ(w.bof, 1);
	T_EQ(w.priority, 10);
	T_EQ(w.pasid_en, 1);
	T_EQ(w.max_xfer_shift, 31);
	T_EQ(w.max_batch_shift, 10);
	T_EQ(w.wq_state, 1);
	T_EQ(dsa_dev_reg_read(dev, DSA_GRPCFG_TABLE * IDXD_TABLE_MULT + GRPCFG_SIZE + 32, &v[0]),
	     0);
	T_EQ(v[0], 0xc);			/* group 1: engines 2 and 3 */
	T_EQ(dsa_dev_reg_read(dev, DSA_GRPCFG_TABLE * IDXD_TABLE_MULT + GRPCFG_SIZE, &v[0]), 0);
	T_EQ(v[0], 0x2);			/* group 1: wq 1 */
	T_CHECK(wq0->state == DSA_STATE_ENABLED && wq0->cdev_minor == 0, "wq0.0 cfg");
	dsa_dev_free(dev);
}

static uint32_t fake_occupancy(void *arg, unsigned int wq)
{
	return *(uint32_t *)arg + wq;
}

static void test_round_trip_and_feedback(void)
{
	struct dsa_dev *dev = new_dev(true);
	uint32_t occ = 5;
	unsigned int i;
	uint64_t v;

	for (i = 0; i < sizeof(round_trip) / sizeof(round_trip[0]); i++) {
		const struct rt *k = &round_trip[i];

		if (k->val)
			T_CHECK(dsa_dev_attr_set(dev, k->obj, k->attr, k->val) == 0,
				"%s/%s <- %s: %s", k->obj, k->attr, k->val,
				dsa_dev_last_error(dev));
		GET(dev, k->obj, k->attr, k->want);
	}
	/* the limit has to be set before a group may use it */
	T_EQ(dsa_dev_attr_set(dev, "group0.2", "use_token_limit", "1"), 0);
	GET(dev, "group0.2", "use_read_buffer_limit", "1");
	T_EQ(dsa_dev_attr_set(dev, "wq0.2", "cmd_status", "1"), -ENOENT);

	/* runtime feedback: clients and occupancy */
	T_EQ(dsa_dev_attr_set(dev, "engine0.0", "group_id", "2"), 0);
	T_EQ(dsa_dev_attr_set(dev, "dsa0", "read_buffer_limit", "8"), 0);
	T_EQ(dsa_dev_enable(dev), 0);
	T_EQ(dsa_dev_wq_enable(dev, 2), 0);
	dsa_dev_set_occupancy_fn(dev, fake_occupancy, &occ);
	GET(dev, "wq0.2", "occupancy", "7");
	GET(dev, "wq0.3", "occupancy", "0");		/* disabled WQs hold nothing */
	T_EQ(dsa_dev_reg_read(dev, DSA_WQCFG_TABLE * IDXD_TABLE_MULT + 2 * WQCFG_SIZE + 24, &v),
	     0);
	T_EQ(v & WQCFG_OCCUP_MASK, 7);
	T_EQ(dsa_dev_wq_clients_add(dev, 2, 2), 2);
	T_EQ(dsa_dev_wq_clients_add(dev, 2, -3), -EINVAL);
	GET(dev, "wq0.2", "clients", "2");
	GET(dev, "dsa0", "clients", "2");
	T_EQ(dsa_dev_wq_clients_add(dev, 8, 1), -EINVAL);
	T_EQ(dsa_dev_wq_disable(dev, 2), 0);
	GET(dev, "wq0.2", "clients", "0");

	/* capability registers reflect the params */
	T_EQ(dsa_dev_reg_read(dev, IDXD_VER_OFFSET, &v), 0);
	T_EQ(v, 0x100);
	T_EQ(dsa_dev_reg_read(dev, IDXD_GENCAP_OFFSET, &v), 0);
	T_EQ(v, DSA_DEFAULT_GENCAP);
	T_EQ(dsa_dev_reg_read(dev, IDXD_WQCAP_OFFSET, &v), 0);
	T_EQ(((union wq_cap_reg){ .bits = v }).total_wq_size, 128);
	T_EQ(((union wq_cap_reg){ .bits = v }).num_wqs, 8);
	T_EQ(dsa_dev_reg_read(dev, IDXD_GRPCAP_OFFSET, &v), 0);
	T_EQ(((union group_cap_reg){ .bits = v }).total_rdbufs, 96);
	T_EQ(dsa_dev_reg_read(dev, IDXD_OPCAP_OFFSET, &v), 0);
	T_EQ(v, 0x1003f03ffull);
	T_EQ(dsa_dev_reg_read(dev, IDXD_GENCFG_OFFSET, &v), 0);
	T_EQ(v & 0xff, 8);				/* read_buffer_limit */
	T_EQ(dsa_dev_reg_read(dev, 3, &v), -EINVAL);
	T_EQ(dsa_dev_reg_read(dev, DSA_BAR_SIZE, &v), -EINVAL);
	T_CHECK(dsa_dev_caps(dev)->gencap == DSA_DEFAULT_GENCAP &&
		dsa_dev_caps(dev)->opcap[0] == 0x1003f03ffull && !dsa_dev_caps(dev)->user_int_en,
		"caps");
	dsa_dev_free(dev);
}

int main(void)
{
	test_initial();
	test_load_config(false);
	test_load_config(true);
	test_round_trip_and_feedback();
	return t_done("device_attrs");
}
