/* SPDX-License-Identifier: MIT */
/*
 * The emulated device's register file (BAR0), in the shape of the kernel's
 * drivers/dma/idxd/registers.h: one union of bitfields plus the raw word per
 * register, next to its offset (dsa-device.md §1). Layouts are DSA 1.0: WQCFG
 * is 32 bytes (no OPCFG), GENCAP has no event log.
 *
 * Bitfields are allocated LSB first (x86-64 SysV, gcc and clang), which is
 * what the hardware layout needs; the static_asserts below pin the sizes.
 */
#ifndef SVA_DSA_REGISTERS_H
#define SVA_DSA_REGISTERS_H

#include <assert.h>
#include <stdint.h>

#define DEVICE_VERSION_1		0x100
#define DEVICE_VERSION_2		0x200

#define IDXD_VER_OFFSET			0x00

#define IDXD_GENCAP_OFFSET		0x10
union gen_cap_reg {
	struct {
		uint64_t block_on_fault:1;
		uint64_t overlap_copy:1;
		uint64_t cache_control_mem:1;
		uint64_t cache_control_cache:1;
		uint64_t cmd_cap:1;
		uint64_t rsvd:3;
		uint64_t dest_readback:1;
		uint64_t drain_readback:1;
		uint64_t rsvd2:3;
		uint64_t evl_support:2;
		uint64_t batch_continuation:1;
		uint64_t max_xfer_shift:5;
		uint64_t max_batch_shift:4;
		uint64_t max_ims_mult:6;
		uint64_t config_en:1;
		uint64_t rsvd3:32;
	};
	uint64_t bits;
};

#define IDXD_WQCAP_OFFSET		0x20
#define IDXD_WQCFG_MIN			5	/* WQCFG size = 1 << (wqcfg_size + 5) */
union wq_cap_reg {
	struct {
		uint64_t total_wq_size:16;
		uint64_t num_wqs:8;
		uint64_t wqcfg_size:4;
		uint64_t rsvd:20;
		uint64_t shared_mode:1;
		uint64_t dedicated_mode:1;
		uint64_t wq_ats_support:1;
		uint64_t priority:1;
		uint64_t occupancy:1;
		uint64_t occupancy_int:1;
		uint64_t op_config:1;
		uint64_t wq_prs_support:1;
		uint64_t rsvd4:8;
	};
	uint64_t bits;
};

#define IDXD_GRPCAP_OFFSET		0x30
union group_cap_reg {
	struct {
		uint64_t num_groups:8;
		uint64_t total_rdbufs:8;	/* formerly total_tokens */
		uint64_t rdbuf_ctrl:1;		/* formerly token_en */
		uint64_t rdbuf_limit:1;		/* formerly token_limit */
		uint64_t progress_limit:1;	/* v2 */
		uint64_t rsvd:45;
	};
	uint64_t bits;
};

#define IDXD_ENGCAP_OFFSET		0x38
union engine_cap_reg {
	struct {
		uint64_t num_engines:8;
		uint64_t rsvd:56;
	};
	uint64_t bits;
};

#define IDXD_OPCAP_OFFSET		0x40
#define IDXD_MAX_OPCAP_BITS		256u
struct opcap {
	uint64_t bits[4];
};

/* Table offsets, each in units of IDXD_TABLE_MULT bytes from BAR0. */
#define IDXD_TABLE_OFFSET		0x60
#define IDXD_TABLE_MULT			0x100
union offsets_reg {
	struct {
		uint64_t grpcfg:16;
		uint64_t wqcfg:16;
		uint64_t msix_perm:16;
		uint64_t ims:16;
		uint64_t perfmon:16;
		uint64_t rsvd:48;
	};
	uint64_t bits[2];
};

#define IDXD_GENCFG_OFFSET		0x80
union gencfg_reg {
	struct {
		uint32_t rdbuf_limit:8;
		uint32_t rsvd:4;
		uint32_t user_int_en:1;
		uint32_t evl_en:1;
		uint32_t rsvd2:18;
	};
	uint32_t bits;
};

#define IDXD_GENCTRL_OFFSET		0x88
union genctrl_reg {
	struct {
		uint32_t softerr_int_en:1;
		uint32_t halt_int_en:1;
		uint32_t evl_int_en:1;
		uint32_t rsvd:29;
	};
	uint32_t bits;
};

#define IDXD_GENSTATS_OFFSET		0x90
union gensts_reg {
	struct {
		uint32_t state:2;
		uint32_t reset_type:2;
		uint32_t rsvd:28;
	};
	uint32_t bits;
};

enum idxd_device_status_state {
	IDXD_DEVICE_STATE_DISABLED = 0,
	IDXD_DEVICE_STATE_ENABLED,
	IDXD_DEVICE_STATE_DRAIN,
	IDXD_DEVICE_STATE_HALT,
};

enum idxd_device_reset_type {
	IDXD_DEVICE_RESET_SOFTWARE = 0,
	IDXD_DEVICE_RESET_FLR,
	IDXD_DEVICE_RESET_WARM,
	IDXD_DEVICE_RESET_COLD,
};

#define IDXD_INTCAUSE_OFFSET		0x98
#define IDXD_INTC_ERR			0x01
#define IDXD_INTC_CMD			0x02
#define IDXD_INTC_OCCUPY		0x04
#define IDXD_INTC_PERFMON_OVFL		0x08
#define IDXD_INTC_HALT_STATE		0x10

#define IDXD_CMD_OFFSET			0xa0
union idxd_command_reg {
	struct {
		uint32_t operand:20;
		uint32_t cmd:5;
		uint32_t rsvd:6;
		uint32_t int_req:1;
	};
	uint32_t bits;
};

/* Admin commands (dsa-device.md §10). */
enum idxd_cmd {
	IDXD_CMD_ENABLE_DEVICE = 1,
	IDXD_CMD_DISABLE_DEVICE,
	IDXD_CMD_DRAIN_ALL,
	IDXD_CMD_ABORT_ALL,
	IDXD_CMD_RESET_DEVICE,
	IDXD_CMD_ENABLE_WQ,
	IDXD_CMD_DISABLE_WQ,
	IDXD_CMD_DRAIN_WQ,
	IDXD_CMD_ABORT_WQ,
	IDXD_CMD_RESET_WQ,
	IDXD_CMD_DRAIN_PASID,
	IDXD_CMD_ABORT_PASID,
	IDXD_CMD_REQUEST_INT_HANDLE,
	IDXD_CMD_RELEASE_INT_HANDLE,
};

/* WQ operand of Enable/Disable/Drain/Abort/Reset WQ: one bit per WQ in a 16-WQ window. */
#define IDXD_WQ_OPERAND(id)		((1u << ((id) % 16)) | (((id) / 16) << 16))

#define IDXD_CMDSTS_OFFSET		0xa8
/*
 * The kernel declares err and result as plain u8/u16 members, which only
 * works because it uses .bits; bitfields give the architected layout.
 */
union cmdsts_reg {
	struct {
		uint32_t err:8;
		uint32_t result:16;
		uint32_t rsvd:7;
		uint32_t active:1;
	};
	uint32_t bits;
};
#define IDXD_CMDSTS_ACTIVE		0x80000000u
#define IDXD_CMDSTS_ERR_MASK		0xff
#define IDXD_CMDSTS_RES_SHIFT		8

/* CMDSTS.err (dsa-device.md §2.2, kernel enum idxd_cmdsts_err). */
enum idxd_cmdsts_err {
	IDXD_CMDSTS_SUCCESS = 0,
	IDXD_CMDSTS_INVAL_CMD,
	IDXD_CMDSTS_INVAL_WQIDX,
	IDXD_CMDSTS_HW_ERR,
	/* enable device errors */
	IDXD_CMDSTS_ERR_DEV_ENABLED = 0x10,
	IDXD_CMDSTS_ERR_CONFIG,
	IDXD_CMDSTS_ERR_BUSMASTER_EN,
	IDXD_CMDSTS_ERR_PASID_INVAL,
	IDXD_CMDSTS_ERR_WQ_SIZE_ERANGE,
	IDXD_CMDSTS_ERR_GRP_CONFIG,
	IDXD_CMDSTS_ERR_GRP_CONFIG2,
	IDXD_CMDSTS_ERR_GRP_CONFIG3,
	IDXD_CMDSTS_ERR_GRP_CONFIG4,
	/* enable wq errors */
	IDXD_CMDSTS_ERR_DEV_NOTEN = 0x20,
	IDXD_CMDSTS_ERR_WQ_ENABLED,
	IDXD_CMDSTS_ERR_WQ_SIZE,
	IDXD_CMDSTS_ERR_WQ_PRIOR,
	IDXD_CMDSTS_ERR_WQ_MODE,
	IDXD_CMDSTS_ERR_BOF_EN,
	IDXD_CMDSTS_ERR_PASID_EN,
	IDXD_CMDSTS_ERR_MAX_BATCH_SIZE,
	IDXD_CMDSTS_ERR_MAX_XFER_SIZE,
	/* disable device errors */
	IDXD_CMDSTS_ERR_DIS_DEV_EN = 0x31,
	/* disable WQ, drain WQ, abort WQ, reset WQ */
	IDXD_CMDSTS_ERR_DEV_NOT_EN,
	/* request interrupt handle */
	IDXD_CMDSTS_ERR_INVAL_INT_IDX = 0x41,
	IDXD_CMDSTS_ERR_NO_HANDLE,
};

#define IDXD_CMDCAP_OFFSET		0xb0

#define IDXD_SWERR_OFFSET		0xc0
#define IDXD_SWERR_VALID		0x00000001
#define IDXD_SWERR_OVERFLOW		0x00000002
#define IDXD_SWERR_ACK			(IDXD_SWERR_VALID | IDXD_SWERR_OVERFLOW)
union sw_err_reg {
	struct {
		uint64_t valid:1;
		uint64_t overflow:1;
		uint64_t desc_valid:1;
		uint64_t wq_idx_valid:1;
		uint64_t batch:1;
		uint64_t fault_rw:1;
		uint64_t priv:1;
		uint64_t rsvd:1;
		uint64_t error:8;
		uint64_t wq_idx:8;
		uint64_t rsvd2:8;
		uint64_t operation:8;
		uint64_t pasid:20;
		uint64_t rsvd3:4;

		uint64_t batch_idx:16;
		uint64_t rsvd4:16;
		uint64_t invalid_flags:32;

		uint64_t fault_addr;

		uint64_t rsvd5;
	};
	uint64_t bits[4];
};

/* Software-error codes that never reach a completion record (dsa-device.md §11). */
#define DSA_SWERR_PCI_CONFIG		0x51	/* PCI config change while enabled: halt */
#define DSA_SWERR_CMD_ACTIVE		0x52	/* CMD written while a command is active */
#define DSA_SWERR_DWQ_FULL		0x53	/* posted descriptor to a full DWQ, dropped */
#define DSA_SWERR_EVL			0x54	/* event-log append failure (v2) */

/* GRPCFG: 64 bytes per group (GRPWQCFG 4 x u64, GRPENGCFG, GRPFLGCFG). */
#define GRPCFG_SIZE			64
union group_flags {
	struct {
		uint64_t tc_a:3;
		uint64_t tc_b:3;
		uint64_t rsvd:1;
		uint64_t use_rdbuf_limit:1;
		uint64_t rdbufs_reserved:8;
		uint64_t rsvd2:4;
		uint64_t rdbufs_allowed:8;
		uint64_t rsvd3:4;
		uint64_t desc_progress_limit:2;
		uint64_t rsvd4:2;
		uint64_t batch_progress_limit:2;
		uint64_t rsvd5:26;
	};
	uint64_t bits;
};

struct grpcfg {
	uint64_t wqs[4];
	uint64_t engines;
	union group_flags flags;
};

/* WQCFG: 32 bytes per WQ in DSA 1.0 (the kernel's 64-byte form adds OPCFG). */
#define WQCFG_SIZE			32
union wqcfg {
	struct {
		/* bytes 0-3 */
		uint16_t wq_size;
		uint16_t rsvd;

		/* bytes 4-7 */
		uint16_t wq_thresh;
		uint16_t rsvd1;

		/* bytes 8-11 */
		uint32_t mode:1;	/* 1: dedicated, 0: shared */
		uint32_t bof:1;
		uint32_t wq_ats_disable:1;
		uint32_t wq_prs_disable:1;
		uint32_t priority:4;
		uint32_t pasid:20;
		uint32_t pasid_en:1;
		uint32_t priv:1;
		uint32_t rsvd3:2;

		/* bytes 12-15 */
		uint32_t max_xfer_shift:5;
		uint32_t max_batch_shift:4;
		uint32_t rsvd4:23;

		/* bytes 16-19 */
		uint16_t occupancy_inth;
		uint16_t occupancy_table_sel:1;
		uint16_t rsvd5:15;

		/* bytes 20-23 */
		uint16_t occupancy_limit;
		uint16_t occupancy_int_en:1;
		uint16_t rsvd6:15;

		/* bytes 24-27 */
		uint16_t occupancy;
		uint16_t occupancy_int:1;
		uint16_t rsvd7:12;
		uint16_t mode_support:1;
		uint16_t wq_state:2;

		/* bytes 28-31 */
		uint32_t rsvd8;
	};
	uint32_t bits[8];
};

#define WQCFG_OCCUP_IDX			6
#define WQCFG_OCCUP_MASK		0xffff

/*
 * sva's BAR0 layout: the architected registers below 0x100, then GRPCFG at
 * 0x400 (16 groups x 64 B) and WQCFG at 0x800 (64 WQs x 32 B).
 */
#define DSA_GRPCFG_TABLE		0x4	/* x IDXD_TABLE_MULT */
#define DSA_WQCFG_TABLE			0x8
#define DSA_BAR_BYTES			0x1000

static_assert(sizeof(union gen_cap_reg) == 8, "GENCAP is 64 bit");
static_assert(sizeof(union wq_cap_reg) == 8, "WQCAP is 64 bit");
static_assert(sizeof(union group_cap_reg) == 8, "GRPCAP is 64 bit");
static_assert(sizeof(union engine_cap_reg) == 8, "ENGCAP is 64 bit");
static_assert(sizeof(struct opcap) == 32, "OPCAP is 256 bit");
static_assert(sizeof(union offsets_reg) == 16, "OFFSETS is 128 bit");
static_assert(sizeof(union gencfg_reg) == 4, "GENCFG is 32 bit");
static_assert(sizeof(union genctrl_reg) == 4, "GENCTRL is 32 bit");
static_assert(sizeof(union gensts_reg) == 4, "GENSTS is 32 bit");
static_assert(sizeof(union idxd_command_reg) == 4, "CMD is 32 bit");
static_assert(sizeof(union cmdsts_reg) == 4, "CMDSTS is 32 bit");
static_assert(sizeof(union sw_err_reg) == 32, "SWERROR is 4 x 64 bit");
static_assert(sizeof(union group_flags) == 8, "GRPFLGCFG is 64 bit");
static_assert(sizeof(struct grpcfg) == 48, "GRPCFG payload is 48 bytes");
static_assert(sizeof(union wqcfg) == WQCFG_SIZE, "DSA 1.0 WQCFG is 32 bytes");
static_assert(IDXD_OPCAP_OFFSET + sizeof(struct opcap) == IDXD_TABLE_OFFSET,
	      "OPCAP ends where OFFSETS starts");
static_assert(IDXD_SWERR_OFFSET + sizeof(union sw_err_reg) <= DSA_GRPCFG_TABLE * IDXD_TABLE_MULT,
	      "SWERROR ends below GRPCFG");
static_assert(DSA_GRPCFG_TABLE * IDXD_TABLE_MULT + 16 * GRPCFG_SIZE <=
	      DSA_WQCFG_TABLE * IDXD_TABLE_MULT, "16 groups fit below WQCFG");
static_assert(DSA_WQCFG_TABLE * IDXD_TABLE_MULT + 64 * WQCFG_SIZE <= DSA_BAR_BYTES,
	      "64 WQs fit in the BAR");

#endif /* SVA_DSA_REGISTERS_H */
