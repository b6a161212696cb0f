/* SPDX-License-Identifier: MIT */
/*
 * Description: the unmodified dsa_user_test_runner.sh of accel-config-test
 * 3.5.3 under svarun (accel-config-compat.md §8.1-8.2, CMP-13): its
 * kernel, PASID and module checks pass on svarun's module commands and the tree, it
 * configures and enables dsa0 with accel-config, and all 476 dsa_test runs
 * (every opcode, batch and DIF variant, on the shared WQ through ENQCMD and
 * the dedicated WQ through MOVDIR64B) exit 0, so the runner exits 0.
 */
#include "compat.h"

static char out[1 << 23];	/* the runner is verbose: about 3.3 MiB */

int main(void)
{
	const char *svarun = compat_require(true);
	unsigned int runs;
	int st;

	/* the runner is `bash -Ex` with an ERR trap: any failing step ends it */
	st = compat_run(svarun, NULL, ACCFG_TEST_DIR, "exec ./dsa_user_test_runner.sh", out,
			sizeof(out));
	runs = compat_count(out, "+ ./dsa_test -w ") + compat_count(out, "+ /usr/libexec/"
			    "accel-config/test/dsa_test -w ");
	if (st)
		fprintf(stderr, "...%s\n", out + (strlen(out) > 4000 ? strlen(out) - 4000 : 0));
	T_EQ(st, 0);
	T_EQ(runs, 476);
	T_CHECK(!strstr(out, "[ info] retry"), "an ENQCMD was retried: the WQ had room");
	return t_done("compat/dsa_runner");
}
