/* SPDX-License-Identifier: MIT */
/*
 * Description: page-fault recovery by a dsa_test-style client under
 * svarun (issue 6 §4): tests/preload/dsa_fault.c opens /dev/dsa/wq0.2 of
 * svarun's tree, a shared WQ with block_on_fault=1 configured through an
 * accel-config JSON file, and submits with ENQCMD through the trap
 * library. Pages made non-resident with MADV_DONTNEED give partial
 * completions with Block-on-Fault off (resubmitted after touching the
 * page, the bytes exact) and a single completion with it on.
 */
#include "compat.h"

static char out[1 << 14];

static const char config[] =
	"[{\"dev\":\"dsa0\",\"groups\":["
	"{\"dev\":\"group0.1\",\"grouped_workqueues\":[{\"dev\":\"wq0.2\",\"mode\":\"shared\","
	"\"size\":16,\"group_id\":1,\"priority\":5,\"block_on_fault\":1,\"type\":\"user\","
	"\"name\":\"faults\",\"threshold\":8}],"
	"\"grouped_engines\":[{\"dev\":\"engine0.2\",\"group_id\":1}]}]}]";

int main(void)
{
	const char *svarun = compat_require(false);
	char script[512];
	int st;

	snprintf(script, sizeof(script), "%s /dev/dsa/wq0.2; echo status=$?", SVA_DSA_FAULT);
	st = compat_run_config(svarun, config, script, out, sizeof(out));
	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	T_CHECK(strstr(out, "dsa_fault: ok\nstatus=0\n"), "%s", out);
	return t_done("compat/dsa_fault");
}
