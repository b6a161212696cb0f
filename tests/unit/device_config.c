/* SPDX-License-Identifier: MIT */
/*
 * Description: the device model's configuration rules (dsa-device.md §2.1,
 * §2.2, §10, §11; accel-config-compat.md CMP-6). Every store rule is hit with
 * its exact errno; every enable-time check with its errno, cmd_status code
 * and a message naming the values; side effects (dedicated clears threshold,
 * a type change clears name, a cmd_status write clears it); -EPERM/-ENXIO
 * while enabled and success after disable; Reset WQ and power-on reset;
 * SWERROR first-error-wins, overflow, halt on 0x51 and clear.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "harness.h"
#include "dsa/registers.h"

static struct dsa_dev *new_dev(void (*tweak)(struct dsa_dev_params *p))
{
	struct dsa_dev_params p;
	struct dsa_dev *dev = NULL;

	dsa_dev_params_default(&p);
	if (tweak)
		tweak(&p);
	if (dsa_dev_new(&p, &dev) || !dev)
		T_FATAL("dsa_dev_new");
	return dev;
}

static void no_pasid(struct dsa_dev_params *p) { p->pasid_enabled = false; }
static void no_bof(struct dsa_dev_params *p) { p->gencap &= ~GENCAP_BOF; }
static void not_configurable(struct dsa_dev_params *p) { p->configurable = false; }
static void drv_name(struct dsa_dev_params *p) { p->driver_name_attr = true; }

#define SET(d, o, a, v, err)	set_line(d, o, a, v, err, __LINE__)
static void set_line(struct dsa_dev *dev, const char *obj, const char *attr, const char *val,
		     int err, int line)
{
	int rc = dsa_dev_attr_set(dev, obj, attr, val);

	T_CHECK(rc == err, "line %d: %s/%s <- \"%s\": %d, expected %d (%s)", line, obj, attr, val,
		rc, err, dsa_dev_last_error(dev));
}

#define GET(d, o, a, want)	get_line(d, o, a, want, __LINE__)
static void get_line(struct dsa_dev *dev, const char *obj, const char *attr, const char *want,
		     int line)
{
	char buf[128] = "";
	int rc = dsa_dev_attr_get(dev, obj, attr, buf, sizeof(buf));

	T_CHECK(rc >= 0 && !strcmp(buf, want), "line %d: %s/%s = \"%s\" (%d), expected \"%s\"",
		line, obj, attr, buf, rc, want);
}

/* A refused transition: errno, cmd_status and every fragment in the message. */
#define FAILS(d, call, err, code, ...)	fails_line(d, call, err, code, __LINE__, __VA_ARGS__, NULL)
static void fails_line(struct dsa_dev *dev, int rc, int err, uint32_t code, int line, ...)
{
	const char *msg = dsa_dev_last_error(dev), *frag;
	va_list ap;

	T_CHECK(rc == err, "line %d: rc %d, expected %d (%s)", line, rc, err, msg);
	T_CHECK(dsa_dev_cmd_status(dev) == code, "line %d: cmd_status %#x (%s), expected %#x (%s)",
		line, dsa_dev_cmd_status(dev), dsa_cmdsts_name(dsa_dev_cmd_status(dev)), code,
		dsa_cmdsts_name(code));
	va_start(ap, line);
	while ((frag = va_arg(ap, const char *)))
		T_CHECK(strstr(msg, frag), "line %d: \"%s\" lacks \"%s\"", line, msg, frag);
	va_end(ap);
}

/* wq0.0 shared (16/8), wq0.1 dedicated (16), both in group 0 with engine0.0. */
static void configure(struct dsa_dev *dev)
{
	SET(dev, "wq0.0", "mode", "shared", 0);
	SET(dev, "wq0.0", "size", "16", 0);
	SET(dev, "wq0.0", "group_id", "0", 0);
	SET(dev, "wq0.0", "priority", "10", 0);
	SET(dev, "wq0.0", "type", "user", 0);
	SET(dev, "wq0.0", "name", "app1", 0);
	SET(dev, "wq0.0", "threshold", "8", 0);
	SET(dev, "wq0.1", "size", "16", 0);
	SET(dev, "wq0.1", "group_id", "0", 0);
	SET(dev, "wq0.1", "priority", "5", 0);
	SET(dev, "wq0.1", "type", "user", 0);
	SET(dev, "wq0.1", "name", "app2", 0);
	SET(dev, "engine0.0", "group_id", "0", 0);
}

static void test_stores(void)
{
	struct dsa_dev *dev = new_dev(NULL);
	char name65[66];

	/* parsing: base 0, one newline trimmed, nothing else tolerated */
	SET(dev, "wq0.0", "size", "0x10", 0);
	GET(dev, "wq0.0", "size", "16");
	SET(dev, "wq0.0", "size", "4\n", 0);
	SET(dev, "wq0.0", "size", "4\n\n", -EINVAL);
	SET(dev, "wq0.0", "size", "12x", -EINVAL);
	SET(dev, "wq0.0", "size", "", -EINVAL);
	SET(dev, "wq0.0", "size", "-1", -EINVAL);
	SET(dev, "wq0.0", "group_id", "abc", -EINVAL);
	/* size: the sum over all WQs stays within max_work_queues_size */
	SET(dev, "wq0.0", "size", "100", 0);
	SET(dev, "wq0.1", "size", "29", -EINVAL);
	T_CHECK(strstr(dsa_dev_last_error(dev), "129") && strstr(dsa_dev_last_error(dev), "128"),
		"%s", dsa_dev_last_error(dev));
	SET(dev, "wq0.1", "size", "28", 0);
	SET(dev, "wq0.0", "size", "16", 0);
	/* group_id, priority */
	SET(dev, "wq0.0", "group_id", "-2", -EINVAL);
	SET(dev, "wq0.0", "group_id", "4", -EINVAL);
	SET(dev, "wq0.0", "group_id", "3", 0);
	SET(dev, "wq0.0", "group_id", "-1", 0);
	SET(dev, "wq0.0", "priority", "16", -EINVAL);
	SET(dev, "wq0.0", "priority", "15", 0);
	/* mode and threshold: shared only, 1..size; dedicated forces 0 */
	SET(dev, "wq0.0", "mode", "bogus", -EINVAL);
	SET(dev, "wq0.0", "threshold", "4", -EINVAL);	/* still dedicated */
	SET(dev, "wq0.0", "mode", "shared\n", 0);
	SET(dev, "wq0.0", "threshold", "0", -EINVAL);
	SET(dev, "wq0.0", "threshold", "17", -EINVAL);
	T_CHECK(strstr(dsa_dev_last_error(dev), "17 not in 1..16"), "%s", dsa_dev_last_error(dev));
	SET(dev, "wq0.0", "threshold", "16", 0);
	SET(dev, "wq0.0", "mode", "dedicated", 0);
	GET(dev, "wq0.0", "threshold", "0");
	/* block_on_fault is a kstrtobool */
	SET(dev, "wq0.0", "block_on_fault", "2", -EINVAL);
	SET(dev, "wq0.0", "block_on_fault", "y", 0);
	GET(dev, "wq0.0", "block_on_fault", "1");
	/* type: a change clears name, rewriting the same type does not */
	SET(dev, "wq0.0", "type", "bogus", -EINVAL);
	SET(dev, "wq0.0", "type", "user:app", 0);
	GET(dev, "wq0.0", "type", "user");
	SET(dev, "wq0.0", "name", "  app1 ", 0);
	GET(dev, "wq0.0", "name", "app1");
	SET(dev, "wq0.0", "type", "user", 0);
	GET(dev, "wq0.0", "name", "app1");
	SET(dev, "wq0.0", "type", "none", 0);
	GET(dev, "wq0.0", "name", "");
	/* name: 1..64 characters; a kernel WQ cannot be named with PASID on */
	memset(name65, 'n', 65);
	name65[65] = '\0';
	SET(dev, "wq0.0", "name", name65, -EINVAL);
	SET(dev, "wq0.0", "name", "", -EINVAL);
	SET(dev, "wq0.0", "name", name65 + 1, 0);
	SET(dev, "wq0.0", "type", "kernel", 0);
	SET(dev, "wq0.0", "name", "k", -EOPNOTSUPP);
	/* max sizes: rounded up to a power of two, within the device maximum */
	SET(dev, "wq0.0", "max_transfer_size", "1000", 0);
	GET(dev, "wq0.0", "max_transfer_size", "1024");
	SET(dev, "wq0.0", "max_transfer_size", "0", -EINVAL);
	SET(dev, "wq0.0", "max_transfer_size", "0x80000001", -EINVAL);
	SET(dev, "wq0.0", "max_batch_size", "33", 0);
	GET(dev, "wq0.0", "max_batch_size", "64");
	SET(dev, "wq0.0", "max_batch_size", "1025", -EINVAL);
	SET(dev, "wq0.0", "ats_disable", "2", -EINVAL);
	SET(dev, "wq0.0", "ats_disable", "1", 0);
	/* engines, read buffers and traffic classes */
	SET(dev, "engine0.0", "group_id", "4", -EINVAL);
	SET(dev, "engine0.0", "group_id", "0", 0);
	SET(dev, "engine0.1", "group_id", "0", 0);
	SET(dev, "group0.0", "read_buffers_reserved", "97", -EINVAL);
	SET(dev, "group0.0", "read_buffers_reserved", "90", 0);
	SET(dev, "group0.1", "tokens_reserved", "7", -EINVAL);	/* 6 left */
	SET(dev, "group0.1", "tokens_reserved", "6", 0);
	SET(dev, "group0.0", "read_buffers_allowed", "7", -EINVAL);	/* < 4 x 2 engines */
	SET(dev, "group0.0", "read_buffers_allowed", "97", -EINVAL);	/* > reserved + free */
	SET(dev, "group0.0", "read_buffers_allowed", "8", 0);
	SET(dev, "group0.0", "use_read_buffer_limit", "1", -EPERM);	/* limit is 0 */
	SET(dev, "dsa0", "read_buffer_limit", "97", -EINVAL);
	SET(dev, "dsa0", "token_limit", "10", 0);
	SET(dev, "group0.0", "use_token_limit", "1", 0);
	SET(dev, "group0.0", "traffic_class_a", "2", -EPERM);		/* version 0x100 */
	/* read-only, unknown attributes and objects */
	SET(dev, "dsa0", "max_groups", "5", -EPERM);
	SET(dev, "wq0.0", "state", "enabled", -EPERM);
	SET(dev, "wq0.0", "bogus", "1", -ENOENT);
	SET(dev, "wq0.8", "size", "1", -ENOENT);
	SET(dev, "wq1.0", "size", "1", -ENOENT);
	SET(dev, "wq0.01", "size", "1", -ENOENT);
	SET(dev, "dsa1", "cmd_status", "1", -ENOENT);
	dsa_dev_free(dev);

	dev = new_dev(no_bof);
	SET(dev, "wq0.0", "block_on_fault", "1", -EOPNOTSUPP);
	dsa_dev_free(dev);
	dev = new_dev(not_configurable);
	GET(dev, "dsa0", "configurable", "0");
	SET(dev, "wq0.0", "size", "8", -EPERM);
	SET(dev, "wq0.0", "mode", "shared", -EPERM);
	SET(dev, "engine0.0", "group_id", "0", -EPERM);
	SET(dev, "group0.0", "read_buffers_reserved", "0", -EPERM);
	SET(dev, "wq0.0", "type", "user", 0);		/* wq_type_store has no such check */
	dsa_dev_free(dev);
}

/* Stores while enabled, and again after disabling (§2.1, CMP-6). */
static void test_enabled_stores(void)
{
	struct dsa_dev *dev = new_dev(NULL);

	configure(dev);
	T_EQ(dsa_dev_enable(dev), 0);
	T_EQ(dsa_dev_wq_enable(dev, 0), 0);
	SET(dev, "wq0.0", "mode", "dedicated", -EPERM);
	SET(dev, "wq0.0", "group_id", "1", -EPERM);
	SET(dev, "wq0.0", "priority", "1", -EPERM);
	SET(dev, "wq0.0", "type", "none", -EPERM);
	SET(dev, "wq0.0", "name", "x", -EPERM);
	SET(dev, "wq0.0", "max_batch_size", "8", -EPERM);
	SET(dev, "wq0.0", "max_transfer_size", "8", -EPERM);
	SET(dev, "wq0.0", "ats_disable", "1", -EPERM);
	SET(dev, "wq0.0", "threshold", "4", -ENXIO);
	SET(dev, "wq0.0", "block_on_fault", "1", -ENXIO);
	SET(dev, "wq0.0", "enqcmds_retries", "100", 0);	/* clamped, no state check */
	GET(dev, "wq0.0", "enqcmds_retries", "64");
	SET(dev, "wq0.1", "size", "8", -EPERM);		/* size follows the device */
	SET(dev, "wq0.1", "priority", "7", 0);		/* a disabled WQ of an enabled device */
	SET(dev, "dsa0", "read_buffer_limit", "1", -EPERM);
	SET(dev, "group0.0", "read_buffers_reserved", "1", -EPERM);
	T_EQ(dsa_dev_wq_disable(dev, 0), 0);
	SET(dev, "wq0.0", "threshold", "4", 0);
	SET(dev, "wq0.0", "size", "8", -EPERM);
	T_EQ(dsa_dev_disable(dev), 0);
	SET(dev, "wq0.0", "size", "8", 0);
	SET(dev, "dsa0", "read_buffer_limit", "1", 0);
	dsa_dev_free(dev);
}

static void test_device_enable(void)
{
	struct dsa_dev *dev = new_dev(NULL);
	struct dsa_wq_cfg *wq1 = dsa_dev_wq(dev, 1);
	uint64_t v;

	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_SCMD_WQ_NONE_CONFIGURED, "found none");
	SET(dev, "dsa0", "cmd_status", "1", 0);		/* what libaccfg writes */
	GET(dev, "dsa0", "cmd_status", "0");
	configure(dev);
	SET(dev, "engine0.0", "group_id", "-1", 0);
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_CMDSTS_ERR_GRP_CONFIG, "group0.0",
	      "2 WQ(s)", "no engine");
	T_EQ(dsa_dev_reg_read(dev, IDXD_CMDSTS_OFFSET, &v), 0);
	T_EQ(v & IDXD_CMDSTS_ERR_MASK, IDXD_CMDSTS_ERR_GRP_CONFIG);
	SET(dev, "engine0.0", "group_id", "0", 0);
	wq1->size = 120;				/* behind the store's back */
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_CMDSTS_ERR_WQ_SIZE_ERANGE, "136", "128");
	wq1->size = 16;
	dsa_dev_group(dev, 3)->read_buffers_reserved = 97;
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_CMDSTS_ERR_GRP_CONFIG2, "97", "96");
	dsa_dev_group(dev, 3)->read_buffers_reserved = 0;
	SET(dev, "group0.0", "read_buffers_allowed", "4", 0);
	SET(dev, "engine0.1", "group_id", "0", 0);	/* now 4 < 4 x 2 engines */
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_CMDSTS_ERR_GRP_CONFIG3, "allowed 4",
	      "8..96");
	SET(dev, "group0.0", "read_buffers_allowed", "8", 0);
	SET(dev, "dsa0", "read_buffer_limit", "10", 0);
	SET(dev, "group0.0", "use_read_buffer_limit", "1", 0);
	SET(dev, "dsa0", "read_buffer_limit", "0", 0);
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_CMDSTS_ERR_GRP_CONFIG4, "read_buffer_limit");
	SET(dev, "dsa0", "read_buffer_limit", "10", 0);
	T_EQ(dsa_dev_enable(dev), 0);
	T_EQ(dsa_dev_cmd_status(dev), 0);
	T_EQ(dsa_dev_state(dev), DSA_STATE_ENABLED);
	T_EQ(dsa_dev_reg_read(dev, IDXD_GENSTATS_OFFSET, &v), 0);
	T_EQ(v & 3, IDXD_DEVICE_STATE_ENABLED);
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_SCMD_DEV_ENABLED, "enabled");
	dsa_dev_halt(dev);
	GET(dev, "dsa0", "state", "halted");
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_SCMD_DEV_ENABLED, "halted");
	T_EQ(dsa_dev_disable(dev), 0);			/* unbinding a halted device works */
	FAILS(dev, dsa_dev_disable(dev), -ENODEV, IDXD_CMDSTS_ERR_DIS_DEV_EN, "not enabled");
	dsa_dev_free(dev);

	dev = new_dev(no_pasid);
	configure(dev);
	FAILS(dev, dsa_dev_enable(dev), -ENXIO, IDXD_SCMD_WQ_NO_SWQ_SUPPORT, "wq0.0",
	      "pasid_enabled=1, got 0");
	SET(dev, "wq0.0", "mode", "dedicated", 0);
	T_EQ(dsa_dev_enable(dev), 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 1), -EOPNOTSUPP, IDXD_SCMD_WQ_USER_NO_IOMMU, "wq0.1");
	dsa_dev_free(dev);
}

static void test_wq_enable(void)
{
	struct dsa_dev *dev = new_dev(NULL);
	struct dsa_wq_cfg *wq0 = dsa_dev_wq(dev, 0);
	char buf[16];

	configure(dev);
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENXIO, IDXD_SCMD_DEV_NOT_ENABLED, "dsa0");
	SET(dev, "wq0.2", "group_id", "1", 0);		/* group0.1 has no engine */
	SET(dev, "wq0.3", "group_id", "0", 0);		/* no size */
	SET(dev, "wq0.3", "type", "user", 0);
	SET(dev, "wq0.3", "name", "x", 0);
	SET(dev, "wq0.3", "priority", "1", 0);
	T_EQ(dsa_dev_enable(dev), 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 8), -EINVAL, IDXD_CMDSTS_INVAL_WQIDX, "wq0.8");
	FAILS(dev, dsa_dev_wq_enable(dev, 4), -ENODEV, IDXD_SCMD_WQ_NO_DRV_NAME, "got none");
	SET(dev, "wq0.4", "type", "user", 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 4), -ENXIO, IDXD_SCMD_WQ_NO_GRP, "got -1");
	SET(dev, "wq0.2", "type", "user", 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 2), -ENXIO, IDXD_SCMD_WQ_NO_GRP,
	      "group0.1 has no engine");
	SET(dev, "wq0.0", "type", "none", 0);		/* clears the name */
	SET(dev, "wq0.0", "type", "user", 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENXIO, IDXD_SCMD_WQ_NO_NAME, "name");
	SET(dev, "wq0.0", "name", "app1", 0);
	wq0->threshold = 0;				/* as after shared <- dedicated */
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENXIO, IDXD_SCMD_WQ_NO_THRESH,
	      "wq0.0: shared WQ needs threshold 1..16, got 0");
	wq0->threshold = 17;
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENXIO, IDXD_CMDSTS_ERR_WQ_SIZE,
	      "wq0.0: shared WQ needs threshold 1..16 (size), got 17");
	wq0->threshold = 8;
	FAILS(dev, dsa_dev_wq_enable(dev, 3), -EINVAL, IDXD_SCMD_WQ_NO_SIZE, "size", "got 0");
	SET(dev, "wq0.0", "priority", "0", 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENXIO, IDXD_CMDSTS_ERR_WQ_PRIOR, "priority");
	SET(dev, "wq0.0", "priority", "1", 0);
	wq0->max_batch = 2048;
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENXIO, IDXD_CMDSTS_ERR_MAX_BATCH_SIZE, "2048",
	      "1024");
	wq0->max_batch = 1024;
	wq0->max_xfer = 1ull << 32;
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENXIO, IDXD_CMDSTS_ERR_MAX_XFER_SIZE, "4294967296");
	wq0->max_xfer = 1ull << 31;
	/* success: state, the lowest free minor, cmd_status cleared */
	T_EQ(dsa_dev_wq_enable(dev, 1), 0);
	T_EQ(dsa_dev_wq_enable(dev, 0), 0);
	T_EQ(dsa_dev_cmd_status(dev), 0);
	GET(dev, "wq0.0", "state", "enabled");
	GET(dev, "wq0.1", "cdev_minor", "0");
	GET(dev, "wq0.0", "cdev_minor", "1");
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -EBUSY, IDXD_SCMD_WQ_ENABLED, "already enabled");
	T_EQ(dsa_dev_wq_disable(dev, 1), 0);
	T_EQ(dsa_dev_attr_get(dev, "wq0.1", "cdev_minor", buf, sizeof(buf)), -ENXIO);
	T_EQ(dsa_dev_wq_disable(dev, 1), -ENODEV);
	T_EQ(dsa_dev_wq_enable(dev, 1), 0);
	GET(dev, "wq0.1", "cdev_minor", "0");
	T_EQ(dsa_dev_disable(dev), 0);			/* takes every WQ down */
	GET(dev, "wq0.0", "state", "disabled");
	FAILS(dev, dsa_dev_wq_disable(dev, 0), -ENODEV, IDXD_CMDSTS_ERR_DEV_NOT_EN, "not enabled");
	dsa_dev_free(dev);

	/* 6.7+ personality: driver_name must name the user driver */
	dev = new_dev(drv_name);
	configure(dev);
	T_EQ(dsa_dev_enable(dev), 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 0), -ENODEV, IDXD_SCMD_WQ_NO_DRV_NAME, "driver_name");
	SET(dev, "wq0.0", "driver_name", "user", 0);
	T_EQ(dsa_dev_wq_enable(dev, 0), 0);
	dsa_dev_free(dev);

	/* BOF that GENCAP does not offer, set behind the store's back */
	dev = new_dev(no_bof);
	configure(dev);
	dsa_dev_wq(dev, 1)->bof = true;
	T_EQ(dsa_dev_enable(dev), 0);
	FAILS(dev, dsa_dev_wq_enable(dev, 1), -ENXIO, IDXD_CMDSTS_ERR_BOF_EN, "block_on_fault");
	dsa_dev_free(dev);
}

static void test_resets(void)
{
	struct dsa_dev *dev = new_dev(NULL);

	configure(dev);
	SET(dev, "wq0.0", "block_on_fault", "1", 0);
	T_EQ(dsa_dev_enable(dev), 0);
	T_EQ(dsa_dev_wq_enable(dev, 0), 0);
	T_EQ(dsa_dev_wq_reset(dev, 0), 0);		/* all but size and group */
	GET(dev, "wq0.0", "state", "disabled");
	GET(dev, "wq0.0", "size", "16");
	GET(dev, "wq0.0", "group_id", "0");
	GET(dev, "wq0.0", "mode", "dedicated");
	GET(dev, "wq0.0", "priority", "0");
	GET(dev, "wq0.0", "name", "");
	GET(dev, "wq0.0", "type", "none");
	GET(dev, "wq0.0", "block_on_fault", "0");
	T_EQ(dsa_dev_wq_reset(dev, 9), -EINVAL);
	dsa_dev_reset_config(dev);
	T_EQ(dsa_dev_state(dev), DSA_STATE_DISABLED);
	GET(dev, "wq0.0", "size", "0");
	GET(dev, "wq0.1", "group_id", "-1");
	GET(dev, "engine0.0", "group_id", "-1");
	GET(dev, "group0.0", "engines", "");
	dsa_dev_free(dev);
}

static void test_swerror(void)
{
	struct dsa_dev *dev = new_dev(NULL);
	struct dsa_swerr e = { .error = DSA_SWERR_DWQ_FULL, .opcode = 3, .pasid = 0x12345,
			       .priv = true, .batch = true, .batch_idx = 7, .fault_addr = 0xdead000,
			       .invalid_flags = 0x40 };
	union sw_err_reg r;
	char buf[128];

	dsa_dev_swerror_record(dev, &e, 1);
	dsa_dev_swerror_read(dev, r.bits);
	T_EQ(r.valid, 1);
	T_EQ(r.overflow, 0);
	T_EQ(r.desc_valid, 1);
	T_EQ(r.wq_idx_valid, 1);
	T_EQ(r.wq_idx, 1);
	T_EQ(r.error, DSA_SWERR_DWQ_FULL);
	T_EQ(r.operation, 3);
	T_EQ(r.pasid, 0x12345);
	T_EQ(r.priv, 1);
	T_EQ(r.batch, 1);
	T_EQ(r.batch_idx, 7);
	T_EQ(r.invalid_flags, 0x40);
	T_EQ(r.fault_addr, 0xdead000);
	snprintf(buf, sizeof(buf), "%#llx %#llx %#llx 0", (unsigned long long)r.bits[0],
		 (unsigned long long)r.bits[1], (unsigned long long)r.bits[2]);
	GET(dev, "dsa0", "errors", buf);
	e.error = 0x11;					/* the second error only overflows */
	dsa_dev_swerror_record(dev, &e, DSA_SWERR_NO_WQ);
	dsa_dev_swerror_read(dev, r.bits);
	T_EQ(r.overflow, 1);
	T_EQ(r.error, DSA_SWERR_DWQ_FULL);
	T_EQ(r.wq_idx_valid, 1);
	dsa_dev_swerror_clear(dev);
	GET(dev, "dsa0", "errors", "0 0 0 0");
	/* 0x51 is not about a descriptor, has no WQ, and halts an enabled device */
	configure(dev);
	T_EQ(dsa_dev_enable(dev), 0);
	T_EQ(dsa_dev_wq_enable(dev, 0), 0);
	e.error = DSA_SWERR_PCI_CONFIG;
	dsa_dev_swerror_record(dev, &e, DSA_SWERR_NO_WQ);
	dsa_dev_swerror_read(dev, r.bits);
	T_EQ(r.desc_valid, 0);
	T_EQ(r.wq_idx_valid, 0);
	T_EQ(dsa_dev_state(dev), DSA_STATE_HALTED);
	GET(dev, "wq0.0", "state", "disabled");
	dsa_dev_free(dev);
}

int main(void)
{
	test_stores();
	test_enabled_stores();
	test_device_enable();
	test_wq_enable();
	test_resets();
	test_swerror();
	return t_done("device_config");
}
