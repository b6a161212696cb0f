/* SPDX-License-Identifier: MIT */
/*
 * Names that newer <linux/idxd.h> versions have and Debian bookworm's 6.1 uapi
 * lacks, with the upstream values. Everything else comes from the system header.
 */
#ifndef SVA_IDXD_EXT_H
#define SVA_IDXD_EXT_H

#include <assert.h>
#include <stddef.h>
#include <linux/idxd.h>

#ifndef IDXD_SCMD_DEV_EVL_ERR
#define IDXD_SCMD_DEV_EVL_ERR		0x80120000
#endif
#ifndef IDXD_SCMD_WQ_NO_DRV_NAME
#define IDXD_SCMD_WQ_NO_DRV_NAME	0x80200000
#endif
/* CRC flags (DSA 1.0 defines only Read CRC Seed; 0x20000/0x40000 are v2) */
#ifndef IDXD_OP_FLAG_RD_SRC2_AECS
#define IDXD_OP_FLAG_RD_SRC2_AECS	0x010000
#endif
#define SVA_OP_FLAG_CRC_READ_SEED	0x010000

/* The layout facts the model relies on (STYLE.md rule 4). */
static_assert(sizeof(struct dsa_hw_desc) == 64, "descriptor is 64 bytes");
static_assert(sizeof(struct dsa_completion_record) == 32, "DSA record is 32 bytes");
static_assert(sizeof(struct iax_hw_desc) == 64, "IAA descriptor is 64 bytes");
static_assert(offsetof(struct dsa_hw_desc, completion_addr) == 8, "CR address at 8");
static_assert(offsetof(struct dsa_hw_desc, src_addr) == 16, "src at 16");
static_assert(offsetof(struct dsa_hw_desc, dst_addr) == 24, "dst at 24");
static_assert(offsetof(struct dsa_hw_desc, xfer_size) == 32, "xfer_size at 32");
static_assert(offsetof(struct dsa_hw_desc, int_handle) == 36, "int_handle at 36");
static_assert(offsetof(struct dsa_hw_desc, delta_addr) == 40, "op-specific at 40");
static_assert(offsetof(struct dsa_hw_desc, max_delta_size) == 48, "max_delta_size at 48");
static_assert(offsetof(struct dsa_hw_desc, expected_res_mask) == 56, "expected_res_mask at 56");
static_assert(offsetof(struct dsa_hw_desc, seed_addr) == 48, "seed_addr at 48");
static_assert(offsetof(struct dsa_hw_desc, dif_chk_flags) == 42, "DIF flags at 42");
static_assert(offsetof(struct dsa_hw_desc, chk_ref_tag_seed) == 48, "check ref tag at 48");
static_assert(offsetof(struct dsa_hw_desc, ins_ref_tag_seed) == 56, "insert ref tag at 56");
static_assert(offsetof(struct dsa_hw_desc, dest_ref_tag_seed) == 56, "update dest ref at 56");
static_assert(offsetof(struct dsa_completion_record, bytes_completed) == 4, "bytes at 4");
static_assert(offsetof(struct dsa_completion_record, fault_addr) == 8, "fault_addr at 8");
static_assert(offsetof(struct dsa_completion_record, crc_val) == 16, "op-specific at 16");
static_assert(offsetof(struct dsa_completion_record, dif_ins_ref_tag) == 24, "ins ref at 24");

#endif /* SVA_IDXD_EXT_H */
