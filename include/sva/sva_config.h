/* SPDX-License-Identifier: MIT */
/*
 * sva: device configuration files in the JSON format of accel-config.
 *
 * sva_config_save() writes exactly what `accel-config save-config` writes
 * for the same device state, and sva_config_load() reads what
 * `accel-config load-config` reads (json-c's lenient syntax included, such
 * as trailing commas). Both work on any struct sva_device through the
 * attribute API of sva.h, so they serve embedded and daemon devices alike.
 *
 * Conventions of sva.h apply: 0 or -errno, ret_* last and untouched on
 * failure.
 */
#ifndef SVA_CONFIG_H
#define SVA_CONFIG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sva_device;

/* sva_config_load() flags */

/* Then enable the device and every WQ the entry lists (load-config -e). */
#define SVA_LOAD_ENABLE		(1u << 0)
/* Disable the device first if it is enabled (load-config -f). */
#define SVA_LOAD_FORCE		(1u << 1)
/* Reset the device to its power-on configuration before writing. */
#define SVA_LOAD_RESET		(1u << 2)
/*
 * Apply the file's first DSA entry whatever its number: "dsa0" and its
 * "wq0.1" configure a device named "dsa3" as "wq3.1". Without it the entry
 * whose "dev" is the device's name is applied.
 */
#define SVA_LOAD_ANY_NAME	(1u << 3)

/*
 * Configure dev from the accel-config JSON file at path. The whole file is
 * checked before anything is written: a syntax error, a value of the wrong
 * type, an object name that does not belong to the entry or is out of the
 * device's range, or an unknown key gives -EINVAL; no entry for the device
 * gives -ENODEV; an enabled device gives -EBUSY (unless SVA_LOAD_FORCE).
 * Then the attributes are written in the order the kernel's checks need:
 * device, groups, engines, WQs (so that a saved state loads back into a
 * reset device). An attribute the device rejects stops the load with the
 * device's -errno (-EINVAL, -EPERM, ...); what was written stays, as with
 * accel-config. With SVA_LOAD_ENABLE the device is enabled, then each
 * listed WQ whose "state" is absent (save-config format) or "enabled".
 *
 * On failure a message naming the file position or the entry, key and
 * value is written to errbuf (if errbuf is not NULL and errlen > 0).
 */
int sva_config_load(struct sva_device *dev, const char *path, unsigned int flags, char *errbuf,
		    size_t errlen);
/* The same over an in-memory document of len bytes (need not end in NUL). */
int sva_config_load_buf(struct sva_device *dev, const char *json, size_t len, unsigned int flags,
			char *errbuf, size_t errlen);

/* sva_config_dump() / sva_config_save() flags */

/* Also show disabled devices and WQs (accel-config list -i). */
#define SVA_DUMP_IDLE		(1u << 0)
/* The accel-config list format: read-only attributes and states too. */
#define SVA_DUMP_LIST		(1u << 1)

/*
 * The configuration of ndevs devices as one JSON array, formatted as
 * accel-config formats it (save-config by default; list with
 * SVA_DUMP_LIST). As with accel-config, a disabled device and disabled WQs
 * are left out unless SVA_DUMP_IDLE is given. *ret_json is allocated with
 * malloc(); the caller frees it.
 */
int sva_config_dump(struct sva_device *const *devs, size_t ndevs, unsigned int flags,
		    char **ret_json);
/*
 * Write sva_config_dump() of the ndevs devices to path, replacing the file
 * atomically (a temporary file in the same directory, then rename()).
 */
int sva_config_save(struct sva_device *const *devs, size_t ndevs, const char *path,
		    unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* SVA_CONFIG_H */
