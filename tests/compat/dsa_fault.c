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
	char path[] = "/tmp/dsa_fault-config-XXXXXX", opt[64], script[512];
	const char *opts[] = { opt, NULL };
	FILE *f;
	int fd, st;

	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w")) || fputs(config, f) < 0 || fclose(f))
		T_FATAL("%s: %s", path, strerror(errno));
	snprintf(opt, sizeof(opt), "--config=%s", path);
	snprintf(script, sizeof(script), "%s /dev/dsa/wq0.2; echo status=$?", SVA_DSA_FAULT);
	st = compat_run(svarun, opts, NULL, script, out, sizeof(out));
	unlink(path);
	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	T_CHECK(strstr(out, "dsa_fault: ok\nstatus=0\n"), "%s", out);
	return t_done("compat/dsa_fault");
}
