/* SPDX-License-Identifier: MIT */
/*
 * The device model: configuration objects, the state machine and the
 * register file of one DSA instance (dsa-device.md §1, §2, §10, §11). It is a
 * pure state machine: no threads, I/O or signals; one mutex makes every
 * dsa_dev_* call safe from any thread.
 *
 * Enabling follows the kernel's two stages. The driver (idxd_device_drv_probe,
 * idxd_user_drv_probe, drv_enable_wq) refuses with an IDXD_SCMD_* soft error
 * before issuing a command; then the device checks the command and answers
 * with a CMDSTS error (written to CMDSTS as well). The hw_* functions model
 * only the second stage. Attributes and error decoding live in device_attr.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa.h"
#include "registers.h"

static_assert(DSA_BAR_SIZE == DSA_BAR_BYTES, "one BAR size");
static_assert(DSA_MAX_GROUPS <= 16 && DSA_MAX_WQS <= 64, "tables fit the BAR layout");
static_assert(DSA_MAX_ENGINES <= 64, "GRPENGCFG is one u64");

/* Locking a const device: the object itself is never const (dsa_dev_new allocates it). */
static void dev_lock(const struct dsa_dev *dev)
{
	pthread_mutex_lock((pthread_mutex_t *)&dev->lock);
}

static void dev_unlock(const struct dsa_dev *dev)
{
	pthread_mutex_unlock((pthread_mutex_t *)&dev->lock);
}

static void *bar_at(struct dsa_dev *dev, uint32_t off)
{
	return (uint8_t *)dev->bar + off;
}

static void bar_put64(struct dsa_dev *dev, uint32_t off, uint64_t v)
{
	dev->bar[off / 8] = v;
}

/* dsa-device.md §1: SPR-like defaults. */
static const struct dsa_dev_params params_default = {
	.version = DEVICE_VERSION_1,
	.gencap = DSA_DEFAULT_GENCAP,
	.opcap = { 0x1003f03ffull },	/* 0x00-0x09, 0x10-0x15, 0x20: sysfs "0x1003f03ff 0 0 0" */
	.max_groups = 4,
	.max_engines = 4,
	.max_wqs = 8,
	.max_wq_size = 128,
	.max_read_buffers = 96,
	.configurable = true,
	.pasid_enabled = true,
	.cdev_major = 508,		/* any free major; display only */
};

void dsa_dev_params_default(struct dsa_dev_params *p)
{
	*p = params_default;
}

int device_fail(struct dsa_dev *dev, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->last_error, sizeof(dev->last_error), fmt, ap);
	va_end(ap);
	return err;
}

/* A refused transition: cmd_status carries code, the message (already set) names it. */
static int fail_code(struct dsa_dev *dev, int err, uint32_t code)
{
	size_t n = strlen(dev->last_error);

	snprintf(dev->last_error + n, sizeof(dev->last_error) - n, " (%s)", dsa_cmdsts_name(code));
	dev->cmd_status = code;
	return err;
}

__attribute__((format(printf, 4, 5)))
static int fail_cmd(struct dsa_dev *dev, int err, uint32_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->last_error, sizeof(dev->last_error), fmt, ap);
	va_end(ap);
	return fail_code(dev, err, code);
}

/* An index beyond the device: what the WQ commands answer (CMDSTS 0x02). */
static int bad_wq(struct dsa_dev *dev, unsigned int wq)
{
	return fail_cmd(dev, -EINVAL, IDXD_CMDSTS_INVAL_WQIDX, "dsa%u: no wq%u.%u (%u WQs)",
			dev->params.id, dev->params.id, wq, dev->params.max_wqs);
}

static unsigned int ceil_log2(uint64_t v)
{
	unsigned int s = 0;

	while (s < 63 && (1ull << s) < v)
		s++;
	return s;
}

static uint64_t dev_max_xfer(const struct dsa_dev *dev)
{
	return 1ull << GENCAP_MAX_XFER_SHIFT(dev->params.gencap);
}

static uint32_t dev_max_batch(const struct dsa_dev *dev)
{
	return 1u << GENCAP_MAX_BATCH_SHIFT(dev->params.gencap);
}

static void wq_defaults(const struct dsa_dev *dev, struct dsa_wq_cfg *wq)
{
	memset(wq, 0, sizeof(*wq));
	wq->group_id = -1;
	wq->max_xfer = dev_max_xfer(dev);
	wq->max_batch = dev_max_batch(dev);
	wq->type = DSA_WQT_NONE;
	wq->state = DSA_STATE_DISABLED;
	wq->enqcmds_retries = DSA_ENQCMDS_RETRIES;
	wq->cdev_minor = -1;
}

static void group_defaults(const struct dsa_dev *dev, struct dsa_group_cfg *g)
{
	memset(g, 0, sizeof(*g));
	g->read_buffers_allowed = dev->params.max_read_buffers;
	/*
	 * Kernel idxd_setup_groups: traffic classes start at 1 on devices up to
	 * version 2 (where they are read-only); later ones start unset.
	 */
	g->traffic_class_a = g->traffic_class_b = dev->params.version <= DEVICE_VERSION_2;
}

/* The capability registers never change after creation. */
static void regs_init_caps(struct dsa_dev *dev)
{
	const struct dsa_dev_params *p = &dev->params;
	/* WQCFG size 1 << (0 + IDXD_WQCFG_MIN) = 32 bytes; no OPCFG, no PRS disable (v2) */
	union wq_cap_reg wqcap = { .total_wq_size = p->max_wq_size, .num_wqs = p->max_wqs,
				   .shared_mode = 1, .dedicated_mode = 1, .wq_ats_support = 1,
				   .priority = 1, .occupancy = 1 };
	union group_cap_reg grpcap = { .num_groups = p->max_groups,
				       .total_rdbufs = p->max_read_buffers, .rdbuf_ctrl = 1,
				       .rdbuf_limit = 1 };
	union engine_cap_reg engcap = { .num_engines = p->max_engines };
	union offsets_reg offs = { .grpcfg = DSA_GRPCFG_TABLE, .wqcfg = DSA_WQCFG_TABLE };
	union gen_cap_reg gencap = { .bits = p->gencap };

	memset(dev->bar, 0, sizeof(dev->bar));
	bar_put64(dev, IDXD_VER_OFFSET, p->version);
	bar_put64(dev, IDXD_GENCAP_OFFSET, p->gencap);
	bar_put64(dev, IDXD_WQCAP_OFFSET, wqcap.bits);
	bar_put64(dev, IDXD_GRPCAP_OFFSET, grpcap.bits);
	bar_put64(dev, IDXD_ENGCAP_OFFSET, engcap.bits);
	memcpy(bar_at(dev, IDXD_OPCAP_OFFSET), p->opcap, sizeof(struct opcap));
	memcpy(bar_at(dev, IDXD_TABLE_OFFSET), offs.bits, sizeof(offs.bits));
	/* CMDCAP exists only with GENCAP.cmd_cap: commands 1-12, no interrupt handles. */
	if (gencap.cmd_cap)
		bar_put64(dev, IDXD_CMDCAP_OFFSET, 0x1ffeull);
}

uint32_t device_wq_occupancy(struct dsa_dev *dev, unsigned int wq)
{
	if (!dev->occupancy_fn || dev->wq[wq].state != DSA_STATE_ENABLED)
		return 0;
	return dev->occupancy_fn(dev->occupancy_arg, wq);
}

static void sync_wqcfg(struct dsa_dev *dev, unsigned int i)
{
	const struct dsa_wq_cfg *c = &dev->wq[i];
	union wqcfg w = {
		.wq_size = c->size, .wq_thresh = c->threshold, .mode = !c->shared, .bof = c->bof,
		.wq_ats_disable = c->ats_disable, .priority = c->priority,
		.pasid = c->pasid & 0xfffff, .pasid_en = c->pasid_en,
		.max_xfer_shift = ceil_log2(c->max_xfer) & 0x1f,
		.max_batch_shift = ceil_log2(c->max_batch) & 0xf,
		.occupancy = device_wq_occupancy(dev, i) & WQCFG_OCCUP_MASK,
		.mode_support = 1, .wq_state = c->state == DSA_STATE_ENABLED,
	};

	memcpy(bar_at(dev, DSA_WQCFG_TABLE * IDXD_TABLE_MULT + i * WQCFG_SIZE), &w, sizeof(w));
}

/*
 * GRPCFG is what the driver wrote at enable time (kernel idxd_device_config):
 * only WQs with a size join a group (idxd_wqs_setup), and the table is left
 * alone while the device is enabled, as the hardware ignores writes then.
 */
static void sync_grpcfg(struct dsa_dev *dev, unsigned int g)
{
	const struct dsa_group_cfg *c = &dev->group[g];
	struct grpcfg r = {
		.flags = { .tc_a = c->traffic_class_a, .tc_b = c->traffic_class_b,
			   .use_rdbuf_limit = c->use_read_buffer_limit,
			   .rdbufs_reserved = c->read_buffers_reserved,
			   .rdbufs_allowed = c->read_buffers_allowed },
	};
	unsigned int i;

	for (i = 0; i < dev->params.max_wqs; i++)
		if (dev->wq[i].group_id == (int)g && dev->wq[i].size)
			r.wqs[i / 64] |= 1ull << (i % 64);
	for (i = 0; i < dev->params.max_engines; i++)
		if (dev->engine[i].group_id == (int)g)
			r.engines |= 1ull << i;
	memcpy(bar_at(dev, DSA_GRPCFG_TABLE * IDXD_TABLE_MULT + g * GRPCFG_SIZE), &r, sizeof(r));
}

static const uint8_t gensts_state[] = {
	[DSA_STATE_DISABLED] = IDXD_DEVICE_STATE_DISABLED,
	[DSA_STATE_ENABLED] = IDXD_DEVICE_STATE_ENABLED,
	[DSA_STATE_HALTED] = IDXD_DEVICE_STATE_HALT,	/* reset type: software reset */
};

void device_sync_regs(struct dsa_dev *dev)
{
	union gencfg_reg gencfg = { .rdbuf_limit = dev->rdbuf_limit & 0xff,
				    .user_int_en = dev->caps.user_int_en };
	union gensts_reg gensts = { .state = gensts_state[dev->state] };
	unsigned int i;

	bar_put64(dev, IDXD_GENCFG_OFFSET, gencfg.bits);
	bar_put64(dev, IDXD_GENSTATS_OFFSET, gensts.bits);
	for (i = 0; i < dev->params.max_wqs; i++)
		sync_wqcfg(dev, i);
	if (dev->state != DSA_STATE_ENABLED)
		for (i = 0; i < dev->params.max_groups; i++)
			sync_grpcfg(dev, i);
}

/* Power-on state: the kernel's fresh probe of a configurable device. */
static void reset_config_locked(struct dsa_dev *dev)
{
	unsigned int i;

	dev->state = DSA_STATE_DISABLED;
	dev->cmd_status = 0;
	dev->rdbuf_limit = 0;
	for (i = 0; i < DSA_MAX_WQS; i++)
		wq_defaults(dev, &dev->wq[i]);
	for (i = 0; i < DSA_MAX_GROUPS; i++)
		group_defaults(dev, &dev->group[i]);
	for (i = 0; i < DSA_MAX_ENGINES; i++)
		dev->engine[i].group_id = -1;
	dev->last_error[0] = '\0';
	regs_init_caps(dev);
	device_sync_regs(dev);
}

int dsa_dev_new(const struct dsa_dev_params *p, struct dsa_dev **ret_dev)
{
	struct dsa_dev *dev;

	if (!p || !ret_dev)
		return -EINVAL;
	if (!p->max_wqs || p->max_wqs > DSA_MAX_WQS || !p->max_groups ||
	    p->max_groups > DSA_MAX_GROUPS || !p->max_engines || p->max_engines > DSA_MAX_ENGINES ||
	    p->max_read_buffers > 0xff || !p->max_wq_size)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	if (pthread_mutex_init(&dev->lock, NULL)) {
		free(dev);
		return -ENOMEM;
	}
	dev->params = *p;
	dev->caps.gencap = p->gencap;
	memcpy(dev->caps.opcap, p->opcap, sizeof(dev->caps.opcap));
	reset_config_locked(dev);
	*ret_dev = dev;
	return 0;
}

struct dsa_dev *dsa_dev_free(struct dsa_dev *dev)
{
	if (!dev)
		return NULL;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
	return NULL;
}

void dsa_dev_reset_config(struct dsa_dev *dev)
{
	dev_lock(dev);
	reset_config_locked(dev);
	dev_unlock(dev);
}

const struct dsa_dev_params *dsa_dev_params(const struct dsa_dev *dev)
{
	return &dev->params;
}

const struct dsa_caps *dsa_dev_caps(const struct dsa_dev *dev)
{
	return &dev->caps;
}

enum dsa_state dsa_dev_state(const struct dsa_dev *dev)
{
	enum dsa_state s;

	dev_lock(dev);
	s = dev->state;
	dev_unlock(dev);
	return s;
}

struct dsa_wq_cfg *dsa_dev_wq(struct dsa_dev *dev, unsigned int wq)
{
	return wq < dev->params.max_wqs ? &dev->wq[wq] : NULL;
}

struct dsa_group_cfg *dsa_dev_group(struct dsa_dev *dev, unsigned int group)
{
	return group < dev->params.max_groups ? &dev->group[group] : NULL;
}

struct dsa_engine_cfg *dsa_dev_engine(struct dsa_dev *dev, unsigned int engine)
{
	return engine < dev->params.max_engines ? &dev->engine[engine] : NULL;
}

void dsa_dev_wq_attr(struct dsa_dev *dev, unsigned int wq, struct dsa_wq_attr *ret_attr)
{
	const struct dsa_wq_cfg *c;

	if (wq >= dev->params.max_wqs) {
		dsa_wq_attr_default(ret_attr);
		return;
	}
	dev_lock(dev);
	c = &dev->wq[wq];
	ret_attr->shared = c->shared;
	ret_attr->bof = c->bof;
	ret_attr->ats_disable = c->ats_disable;
	ret_attr->max_xfer = c->max_xfer;
	ret_attr->max_batch = c->max_batch;
	dev_unlock(dev);
}

static void wq_disable_locked(struct dsa_dev *dev, unsigned int wq)
{
	dev->wq[wq].state = DSA_STATE_DISABLED;
	dev->wq[wq].cdev_minor = -1;
	dev->wq[wq].clients = 0;
}

/* Reset WQ: WQCFG returns to defaults but the size; GRPCFG membership stays. */
static void wq_reset_locked(struct dsa_dev *dev, unsigned int wq)
{
	struct dsa_wq_cfg *c = &dev->wq[wq];
	uint16_t size = c->size;
	int group = c->group_id;

	wq_defaults(dev, c);
	c->size = size;
	c->group_id = group;
}

/* Disable Device, or halt: every WQ stops with the device. */
static void dev_stop_locked(struct dsa_dev *dev, enum dsa_state state)
{
	unsigned int i;

	for (i = 0; i < dev->params.max_wqs; i++)
		wq_disable_locked(dev, i);
	dev->state = state;
	if (state == DSA_STATE_HALTED)
		dev->bar[IDXD_INTCAUSE_OFFSET / 8] |= IDXD_INTC_HALT_STATE;
	device_sync_regs(dev);
}

static unsigned int group_engines(const struct dsa_dev *dev, unsigned int g)
{
	unsigned int i, n = 0;

	for (i = 0; i < dev->params.max_engines; i++)
		n += dev->engine[i].group_id == (int)g;
	return n;
}

/*
 * Enable Device as the device checks it (DSA spec "Enable Device", CMDSTS
 * 0x10-0x18). The spec names 0x15-0x18 only "group configuration"; sva
 * assigns them: 0x15 a group with a sized WQ but no engine, 0x16 reserved
 * read buffers above the total, 0x17 a group's allowed read buffers outside
 * [4 x engines, reserved + free], 0x18 use_read_buffer_limit without a limit.
 */
static uint8_t hw_enable_device(struct dsa_dev *dev)
{
	const struct dsa_dev_params *p = &dev->params;
	unsigned int i, g, nwq, sum = 0, rsv = 0;

	if (dev->state != DSA_STATE_DISABLED)
		return device_fail(dev, IDXD_CMDSTS_ERR_DEV_ENABLED, "dsa%u: already enabled",
				   p->id);
	for (i = 0; i < p->max_wqs; i++)
		sum += dev->wq[i].size;
	if (sum > p->max_wq_size)
		return device_fail(dev, IDXD_CMDSTS_ERR_WQ_SIZE_ERANGE, "dsa%u: WQ sizes add up"
				   " to %u, above max_work_queues_size %u", p->id, sum,
				   p->max_wq_size);
	for (g = 0; g < p->max_groups; g++) {
		for (i = 0, nwq = 0; i < p->max_wqs; i++)
			nwq += dev->wq[i].group_id == (int)g && dev->wq[i].size;
		if (nwq && !group_engines(dev, g))
			return device_fail(dev, IDXD_CMDSTS_ERR_GRP_CONFIG, "dsa%u: group%u.%u"
					   " has %u WQ(s) but no engine", p->id, p->id, g, nwq);
		rsv += dev->group[g].read_buffers_reserved;
	}
	if (rsv > p->max_read_buffers)
		return device_fail(dev, IDXD_CMDSTS_ERR_GRP_CONFIG2, "dsa%u: read_buffers_reserved"
				   " add up to %u, above %u", p->id, rsv, p->max_read_buffers);
	for (g = 0; g < p->max_groups; g++) {
		const struct dsa_group_cfg *c = &dev->group[g];
		unsigned int neng = group_engines(dev, g);
		unsigned int hi = p->max_read_buffers - rsv + c->read_buffers_reserved;

		if (neng && (c->read_buffers_allowed < 4 * neng || c->read_buffers_allowed > hi))
			return device_fail(dev, IDXD_CMDSTS_ERR_GRP_CONFIG3, "dsa%u: group%u.%u"
					   " read_buffers_allowed %u not in %u..%u (%u engines)",
					   p->id, p->id, g, c->read_buffers_allowed, 4 * neng, hi,
					   neng);
		if (c->use_read_buffer_limit && !dev->rdbuf_limit)
			return device_fail(dev, IDXD_CMDSTS_ERR_GRP_CONFIG4, "dsa%u: group%u.%u"
					   " uses read_buffer_limit, which is 0", p->id, p->id, g);
	}
	dev->state = DSA_STATE_ENABLED;
	return IDXD_CMDSTS_SUCCESS;
}

/*
 * Enable WQ as the device checks it (CMDSTS 0x20-0x28). WQ_MODE (0x24) cannot
 * happen: WQCAP offers both modes.
 */
static uint8_t hw_enable_wq(struct dsa_dev *dev, unsigned int wq)
{
	const struct dsa_dev_params *p = &dev->params;
	union gen_cap_reg gencap = { .bits = p->gencap };
	struct dsa_wq_cfg *c = &dev->wq[wq];

	if (dev->state != DSA_STATE_ENABLED)
		return device_fail(dev, IDXD_CMDSTS_ERR_DEV_NOTEN, "wq%u.%u: device not"
				   " enabled", p->id, wq);
	if (c->state == DSA_STATE_ENABLED)
		return device_fail(dev, IDXD_CMDSTS_ERR_WQ_ENABLED, "wq%u.%u: already enabled",
				   p->id, wq);
	if (!c->size)
		return device_fail(dev, IDXD_CMDSTS_ERR_WQ_SIZE, "wq%u.%u: size must be 1..%u, got"
				   " 0", p->id, wq, p->max_wq_size);
	if (c->shared && c->threshold > c->size)
		return device_fail(dev, IDXD_CMDSTS_ERR_WQ_SIZE, "wq%u.%u: shared WQ needs"
				   " threshold 1..%u (size), got %u", p->id, wq, c->size,
				   c->threshold);
	if (!c->priority)
		return device_fail(dev, IDXD_CMDSTS_ERR_WQ_PRIOR, "wq%u.%u: priority must be"
				   " 1..%u, got 0", p->id, wq, DSA_MAX_PRIORITY);
	if (c->bof && !gencap.block_on_fault)
		return device_fail(dev, IDXD_CMDSTS_ERR_BOF_EN, "wq%u.%u: block_on_fault set but"
				   " GENCAP.bof is 0", p->id, wq);
	if (c->shared && !p->pasid_enabled)
		return device_fail(dev, IDXD_CMDSTS_ERR_PASID_EN, "wq%u.%u: shared WQ needs"
				   " pasid_enabled=1, got 0", p->id, wq);
	if (ceil_log2(c->max_batch) > gencap.max_batch_shift)
		return device_fail(dev, IDXD_CMDSTS_ERR_MAX_BATCH_SIZE, "wq%u.%u: max_batch_size"
				   " %u above device maximum %u", p->id, wq, c->max_batch,
				   dev_max_batch(dev));
	if (ceil_log2(c->max_xfer) > gencap.max_xfer_shift)
		return device_fail(dev, IDXD_CMDSTS_ERR_MAX_XFER_SIZE, "wq%u.%u:"
				   " max_transfer_size %llu above device maximum %llu", p->id, wq,
				   (unsigned long long)c->max_xfer,
				   (unsigned long long)dev_max_xfer(dev));
	c->pasid_en = p->pasid_enabled;
	c->state = DSA_STATE_ENABLED;
	return IDXD_CMDSTS_SUCCESS;
}

static void set_cmdsts(struct dsa_dev *dev, uint8_t err)
{
	union cmdsts_reg r = { .err = err };

	bar_put64(dev, IDXD_CMDSTS_OFFSET, r.bits);
}

/* The driver's side of binding dsaN (kernel idxd_device_config, idxd_wqs_setup). */
static int drv_check_device(struct dsa_dev *dev)
{
	const struct dsa_dev_params *p = &dev->params;
	unsigned int i, configured = 0;

	if (dev->state != DSA_STATE_DISABLED)
		return fail_cmd(dev, -ENXIO, IDXD_SCMD_DEV_ENABLED, "dsa%u: device is %s, not"
				" disabled", p->id, dev->state == DSA_STATE_HALTED ? "halted" :
				"enabled");
	for (i = 0; p->configurable && i < p->max_wqs; i++) {
		const struct dsa_wq_cfg *c = &dev->wq[i];

		if (c->group_id < 0 || !c->size)
			continue;
		if (c->shared && !p->pasid_enabled)
			return fail_cmd(dev, -ENXIO, IDXD_SCMD_WQ_NO_SWQ_SUPPORT, "wq%u.%u: shared"
					" WQ needs pasid_enabled=1, got 0", p->id, i);
		configured++;
	}
	if (p->configurable && !configured)
		return fail_cmd(dev, -ENXIO, IDXD_SCMD_WQ_NONE_CONFIGURED, "dsa%u: needs a WQ with"
				" group_id >= 0 and size > 0, found none", p->id);
	return 0;
}

/*
 * Bind to the idxd driver (kernel idxd_device_drv_probe): every refusal is
 * -ENXIO; the driver's own checks give soft errors, the device's give CMDSTS
 * codes. A configuration with no engine at all, which idxd_engines_setup
 * refuses without a code, reaches the device's 0x15.
 */
int dsa_dev_enable(struct dsa_dev *dev)
{
	uint8_t err;
	int rc;

	dev_lock(dev);
	rc = drv_check_device(dev);
	if (!rc) {
		device_sync_regs(dev);	/* the driver writes GRPCFG/WQCFG before the command */
		err = hw_enable_device(dev);
		set_cmdsts(dev, err);
		rc = err ? fail_code(dev, -ENXIO, err) : 0;
	}
	if (!rc) {
		dev->cmd_status = 0;
		dev->last_error[0] = '\0';
	}
	device_sync_regs(dev);
	dev_unlock(dev);
	return rc;
}

/*
 * Unbind from the idxd driver. Disable Device on a disabled device is CMDSTS
 * 0x31; the kernel's driver core refuses the unbind with -ENODEV. Keeping
 * the configuration is the Disable Device command's semantics; the kernel's
 * unbind also resets it (idxd_device_drv_remove), which callers get from
 * dsa_dev_reset_config().
 */
int dsa_dev_disable(struct dsa_dev *dev)
{
	int rc = 0;

	dev_lock(dev);
	if (dev->state == DSA_STATE_DISABLED) {
		rc = fail_cmd(dev, -ENODEV, IDXD_CMDSTS_ERR_DIS_DEV_EN, "dsa%u: device not enabled",
			      dev->params.id);
	} else {
		dev_stop_locked(dev, DSA_STATE_DISABLED);
		set_cmdsts(dev, IDXD_CMDSTS_SUCCESS);
		dev->last_error[0] = '\0';
	}
	device_sync_regs(dev);
	dev_unlock(dev);
	return rc;
}

/* The lowest character-device minor no enabled WQ of this device holds. */
static int free_minor(const struct dsa_dev *dev)
{
	unsigned int i;
	int minor = 0;

	for (i = 0; i < dev->params.max_wqs; i++) {
		if (dev->wq[i].cdev_minor == minor) {
			minor++;
			i = (unsigned int)-1;	/* rescan: minors are not sorted */
		}
	}
	return minor;
}

/*
 * The driver's side of binding wqN.M to the user driver: idxd_user_drv_probe
 * then drv_enable_wq, in the kernel's order and with its errnos. Two choices
 * where the kernel cannot guide: without the 6.7+ driver_name a WQ must be of
 * type user (the old bus match skipped the others: -ENODEV, with the code
 * 6.7+ gives for the same case), and a WQ whose group has no engine is
 * refused with WQ_NO_GRP.
 */
static int drv_check_wq(struct dsa_dev *dev, unsigned int wq)
{
	const struct dsa_dev_params *p = &dev->params;
	const struct dsa_wq_cfg *c;

	if (wq >= p->max_wqs)
		return bad_wq(dev, wq);
	c = &dev->wq[wq];
	if (dev->state != DSA_STATE_ENABLED)
		return fail_cmd(dev, -ENXIO, IDXD_SCMD_DEV_NOT_ENABLED, "wq%u.%u: dsa%u is not"
				" enabled", p->id, wq, p->id);
	if (c->state == DSA_STATE_ENABLED)
		return fail_cmd(dev, -EBUSY, IDXD_SCMD_WQ_ENABLED, "wq%u.%u: already enabled",
				p->id, wq);
	/* idxd_wq_driver_name_match(): a prefix compare with the driver's name */
	if (p->driver_name_attr && strncmp(c->driver_name, "user", 4))
		return fail_cmd(dev, -ENODEV, IDXD_SCMD_WQ_NO_DRV_NAME, "wq%u.%u: driver_name must"
				" be \"user\", got \"%s\"", p->id, wq, c->driver_name);
	if (!p->driver_name_attr && c->type != DSA_WQT_USER)
		return fail_cmd(dev, -ENODEV, IDXD_SCMD_WQ_NO_DRV_NAME, "wq%u.%u: type must be"
				" user, got %s", p->id, wq,
				c->type == DSA_WQT_KERNEL ? "kernel" : "none");
	if (!p->pasid_enabled)
		return fail_cmd(dev, -EOPNOTSUPP, IDXD_SCMD_WQ_USER_NO_IOMMU, "wq%u.%u: user WQ"
				" needs pasid_enabled=1, got 0", p->id, wq);
	if (c->group_id < 0)
		return fail_cmd(dev, -ENXIO, IDXD_SCMD_WQ_NO_GRP, "wq%u.%u: group_id must be set,"
				" got -1", p->id, wq);
	if (!group_engines(dev, (unsigned int)c->group_id))
		return fail_cmd(dev, -ENXIO, IDXD_SCMD_WQ_NO_GRP, "wq%u.%u: group%u.%d has no"
				" engine", p->id, wq, p->id, c->group_id);
	if (!c->name[0])
		return fail_cmd(dev, -ENXIO, IDXD_SCMD_WQ_NO_NAME, "wq%u.%u: name must be set, got"
				" \"\"", p->id, wq);
	if (c->shared && !c->threshold)
		return fail_cmd(dev, -ENXIO, IDXD_SCMD_WQ_NO_THRESH, "wq%u.%u: shared WQ needs"
				" threshold 1..%u, got 0", p->id, wq, c->size);
	if (!c->size)		/* idxd_wq_config_write() */
		return fail_cmd(dev, -EINVAL, IDXD_SCMD_WQ_NO_SIZE, "wq%u.%u: size must be 1..%u,"
				" got 0", p->id, wq, p->max_wq_size);
	return 0;
}

int dsa_dev_wq_enable(struct dsa_dev *dev, unsigned int wq)
{
	uint8_t err;
	int rc;

	dev_lock(dev);
	rc = drv_check_wq(dev, wq);
	if (!rc) {
		err = hw_enable_wq(dev, wq);
		set_cmdsts(dev, err);
		rc = err ? fail_code(dev, -ENXIO, err) : 0;
	}
	if (!rc) {
		dev->wq[wq].type = DSA_WQT_USER;	/* idxd_user_drv_probe() sets it */
		dev->wq[wq].cdev_minor = free_minor(dev);
		dev->wq[wq].clients = 0;
		dev->cmd_status = 0;
		dev->last_error[0] = '\0';
	}
	device_sync_regs(dev);
	dev_unlock(dev);
	return rc;
}

/*
 * Unbind from the user driver. Disable WQ needs an enabled device (CMDSTS
 * 0x32). A WQ that is not enabled has no driver to unbind from: the driver
 * core answers -ENODEV before any command, so cmd_status stays as it was.
 * The configuration stays too (Disable WQ); the kernel's unbind also runs
 * Reset WQ (drv_disable_wq), which callers get from dsa_dev_wq_reset().
 */
int dsa_dev_wq_disable(struct dsa_dev *dev, unsigned int wq)
{
	const struct dsa_dev_params *p = &dev->params;
	int rc;

	dev_lock(dev);
	if (wq >= p->max_wqs)
		rc = bad_wq(dev, wq);
	else if (dev->state != DSA_STATE_ENABLED)
		rc = fail_cmd(dev, -ENODEV, IDXD_CMDSTS_ERR_DEV_NOT_EN,
			      "wq%u.%u: dsa%u is not enabled", p->id, wq, p->id);
	else if (dev->wq[wq].state != DSA_STATE_ENABLED)
		rc = device_fail(dev, -ENODEV, "wq%u.%u: not enabled", p->id, wq);
	else
		rc = 0;
	if (!rc) {
		wq_disable_locked(dev, wq);
		set_cmdsts(dev, IDXD_CMDSTS_SUCCESS);
		dev->last_error[0] = '\0';
	}
	device_sync_regs(dev);
	dev_unlock(dev);
	return rc;
}

int dsa_dev_wq_reset(struct dsa_dev *dev, unsigned int wq)
{
	int rc = 0;

	dev_lock(dev);
	if (wq >= dev->params.max_wqs) {
		rc = bad_wq(dev, wq);
	} else {
		wq_disable_locked(dev, wq);
		wq_reset_locked(dev, wq);
		dev->last_error[0] = '\0';
	}
	device_sync_regs(dev);
	dev_unlock(dev);
	return rc;
}

void dsa_dev_halt(struct dsa_dev *dev)
{
	dev_lock(dev);
	dev_stop_locked(dev, DSA_STATE_HALTED);
	dev_unlock(dev);
}

uint32_t dsa_dev_cmd_status(const struct dsa_dev *dev)
{
	uint32_t s;

	dev_lock(dev);
	s = dev->cmd_status;
	dev_unlock(dev);
	return s;
}

int dsa_dev_wq_clients_add(struct dsa_dev *dev, unsigned int wq, int delta)
{
	long n;

	if (wq >= dev->params.max_wqs)
		return -EINVAL;
	dev_lock(dev);
	n = (long)dev->wq[wq].clients + delta;
	if (n >= 0)
		dev->wq[wq].clients = (unsigned int)n;
	dev_unlock(dev);
	return n < 0 ? -EINVAL : (int)n;
}

void dsa_dev_set_occupancy_fn(struct dsa_dev *dev, uint32_t (*fn)(void *arg, unsigned int wq),
			      void *arg)
{
	dev_lock(dev);
	dev->occupancy_fn = fn;
	dev->occupancy_arg = arg;
	dev_unlock(dev);
}

void dsa_dev_swerror_record(struct dsa_dev *dev, const struct dsa_swerr *e, unsigned int wq)
{
	union sw_err_reg r;

	dev_lock(dev);
	memcpy(r.bits, bar_at(dev, IDXD_SWERR_OFFSET), sizeof(r.bits));
	if (r.valid) {
		/* one slot: the first error stays, later ones only set overflow */
		r.overflow = 1;
	} else {
		bool wq_valid = wq != DSA_SWERR_NO_WQ && wq < dev->params.max_wqs;

		r = (union sw_err_reg){
			.valid = 1, .batch = e->batch, .fault_rw = e->fault_rw, .priv = e->priv,
			/* 0x51, 0x52 and 0x54 are device events, not descriptors */
			.desc_valid = e->error != DSA_SWERR_PCI_CONFIG &&
				      e->error != DSA_SWERR_CMD_ACTIVE && e->error != DSA_SWERR_EVL,
			.wq_idx_valid = wq_valid, .wq_idx = wq_valid ? wq & 0xff : 0,
			.error = e->error, .operation = e->opcode, .pasid = e->pasid & 0xfffff,
			.batch_idx = e->batch_idx, .invalid_flags = e->invalid_flags,
			.fault_addr = e->fault_addr,
		};
	}
	memcpy(bar_at(dev, IDXD_SWERR_OFFSET), r.bits, sizeof(r.bits));
	dev->bar[IDXD_INTCAUSE_OFFSET / 8] |= IDXD_INTC_ERR;
	if (e->error == DSA_SWERR_PCI_CONFIG && dev->state == DSA_STATE_ENABLED)
		dev_stop_locked(dev, DSA_STATE_HALTED);	/* dsa-device.md §11 */
	dev_unlock(dev);
}

void dsa_dev_swerror_read(const struct dsa_dev *dev, uint64_t ret_words[4])
{
	dev_lock(dev);
	memcpy(ret_words, &dev->bar[IDXD_SWERR_OFFSET / 8], 4 * sizeof(uint64_t));
	dev_unlock(dev);
}

void dsa_dev_swerror_clear(struct dsa_dev *dev)
{
	dev_lock(dev);
	memset(bar_at(dev, IDXD_SWERR_OFFSET), 0, sizeof(union sw_err_reg));
	dev_unlock(dev);
}

int dsa_dev_reg_read(const struct dsa_dev *dev, uint32_t offset, uint64_t *ret_val)
{
	struct dsa_dev *d = (struct dsa_dev *)dev;	/* refreshing occupancy is not a write */
	uint32_t wqcfg = DSA_WQCFG_TABLE * IDXD_TABLE_MULT;

	if (!dev || !ret_val || offset % 8 || offset >= DSA_BAR_SIZE)
		return -EINVAL;
	dev_lock(dev);
	if (offset >= wqcfg && (offset - wqcfg) / WQCFG_SIZE < dev->params.max_wqs)
		sync_wqcfg(d, (offset - wqcfg) / WQCFG_SIZE);
	*ret_val = dev->bar[offset / 8];
	dev_unlock(dev);
	return 0;
}
