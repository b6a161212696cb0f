/* SPDX-License-Identifier: MIT */
/*
 * Description: page-fault recovery by a dsa_test-style client under
 * svarun (issue 6 §4): tests/preload/dsa_fault.c opens /dev/dsa/wq0.2 of
 * svarun's tree, a shared WQ with block_on_fault=1 configured through an
 * accel-config JSON file, and submits with ENQCMD through the trap
 * library. Pages made non-resident with MADV_DONTNEED give partial
 * completions with Block-on-Fault off (resubmitted after touching the
 * page, the bytes exact) and a single completion with it on. svarun
 * --stats then reports the program's descriptors, faults and PASID row.
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
	st = compat_run_config(svarun, config, "--stats", script, out, sizeof(out));
	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	T_CHECK(strstr(out, "dsa_fault: ok\nstatus=0\n"), "%s", out);
	/*
	 * svarun --stats saw the program's work on the shared device: nine
	 * copies (five whole, four stopped by a fault), two read and two
	 * write faults, all under the program's PASID.
	 */
	T_CHECK(strstr(out, "dsa0 (enabled): 9 descriptors completed, 0 retries, 4 page faults"),
		"%s", out);
	T_CHECK(strstr(out, "0x83   page fault"), "%s", out);
	T_CHECK(strstr(out, "         9          5        4          0         163840        0"
			    "  0x03:4\n"), "no PASID row in:\n%s", out);
	return t_done("compat/dsa_fault");
}
