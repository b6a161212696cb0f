/* SPDX-License-Identifier: MIT */
/*
 * Description: libFuzzer target for sva_config_load_buf(), which svad and
 * svactl run on configuration files from outside. Any input: no crash, no
 * read past the input (ASan), a rejection is one of the documented errnos
 * with a message. An accepted file is dumped in list -i form (which keeps
 * disabled WQs, marked so: save-config's form drops them, and a device
 * whose only configured WQ is disabled would not enable from it, with
 * accel-config as here), and the dump loads into the same (reset) device
 * and dumps back byte for byte.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "sva/sva.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) T_FUZZ_FAIL(__VA_ARGS__)

static const unsigned int flags =
	SVA_LOAD_ANY_NAME | SVA_LOAD_FORCE | SVA_LOAD_RESET | SVA_LOAD_ENABLE;

static bool expected(int r)
{
	return r == -EINVAL || r == -ENODEV || r == -EPERM || r == -EOPNOTSUPP || r == -ENXIO ||
	       r == -E2BIG || r == -EFBIG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sva_device *dev;
	char err[512], *a = NULL, *b = NULL;
	int r;

	if (!dev) {
		struct sva_device_config cfg = {
			.size = sizeof(cfg), .version = SVA_CONFIG_VERSION,
			.flags = SVA_CONFIG_UNCONFIGURED, .engine_spin_us = 1,
		};

		if (sva_device_new(&cfg, &dev))
			FAIL("device");
	}
	err[0] = '\0';
	r = sva_config_load_buf(dev, (const char *)data, size, flags, err, sizeof(err));
	if (r) {
		if (!expected(r))
			FAIL("unexpected %d (%s)", r, err);
		if (strncmp(err, "<buffer>: ", 10) || !err[10])
			FAIL("%d without a message", r);
		return 0;
	}
	if (err[0])
		FAIL("message on success: %s", err);
	if (sva_config_dump(&dev, 1, SVA_DUMP_LIST | SVA_DUMP_IDLE, &a))
		FAIL("dump");
	r = sva_config_load_buf(dev, a, strlen(a), flags, err, sizeof(err));
	if (r)
		FAIL("dump does not load back: %d (%s)\n%s", r, err, a);
	if (sva_config_dump(&dev, 1, SVA_DUMP_LIST | SVA_DUMP_IDLE, &b))
		FAIL("dump");
	if (strcmp(a, b))
		FAIL("dump, load, dump differs:\n%s\n%s", a, b);
	free(a);
	free(b);
	return 0;
}
