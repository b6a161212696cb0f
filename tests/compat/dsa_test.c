/* SPDX-License-Identifier: MIT */
/*
 * Description: the unmodified dsa_test on WQs configured through svarun's
 * tree (accel-config-compat.md §7): a shared WQ and a dedicated WQ at
 * non-default indexes, sizes and thresholds, selected by name (-d) and by
 * mode (-w), ENQCMD, MOVDIR64B and batches; the program reaches exactly the
 * WQs sysfs shows enabled, and a WQ that is not enabled has no node, so an
 * open of it fails as on idxd.
 */
#include "compat.h"

static char out[1 << 20];

/* wq0.3 shared (size 8, threshold 4) on engine0.1; wq0.5 dedicated (size 4) on engine0.3 */
static const char config[] =
	"[{\"dev\":\"dsa0\",\"groups\":["
	"{\"dev\":\"group0.2\",\"grouped_workqueues\":[{\"dev\":\"wq0.3\",\"mode\":\"shared\","
	"\"size\":8,\"group_id\":2,\"priority\":3,\"block_on_fault\":1,\"type\":\"user\","
	"\"name\":\"s\",\"threshold\":4}],"
	"\"grouped_engines\":[{\"dev\":\"engine0.1\",\"group_id\":2}]},"
	"{\"dev\":\"group0.3\",\"grouped_workqueues\":[{\"dev\":\"wq0.5\",\"mode\":\"dedicated\","
	"\"size\":4,\"group_id\":3,\"priority\":9,\"type\":\"user\",\"name\":\"d\"}],"
	"\"grouped_engines\":[{\"dev\":\"engine0.3\",\"group_id\":3}]}]}]";

static const char script[] =
	"cd " ACCFG_TEST_DIR "\n"
	"./dsa_test -d dsa0/wq0.3 -l 4096 -o 0x3 -f 1 t200 >/dev/null; echo by-name=$?\n"
	"./dsa_test -w 1 -l 65536 -o 0x1 -b 0x10 -c 16 -f 1 t2000 >/dev/null; echo swq-batch=$?\n"
	"./dsa_test -w 0 -l 1048576 -o 0x9 -f 0 t200 >/dev/null; echo dwq=$?\n"
	"./dsa_test -w 0 -l 4096 -o 0x1 -b 0x12 -c 4 -f 1 t2000 >/dev/null; echo dwq-batch=$?\n"
	"echo nodes: $(ls /dev/dsa)\n"
	"cat /dev/dsa/wq0.0 2>/dev/null; echo disabled-open=$?\n"
	"./dsa_test -d dsa0/wq0.0 -l 4096 -o 0x3 >/dev/null 2>&1; echo disabled-wq=$?\n";

int main(void)
{
	const char *svarun = compat_require(true);
	int st = compat_run_config(svarun, config, NULL, script, out, sizeof(out));

	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	T_CHECK(strstr(out, "by-name=0\n"), "%s", out);
	T_CHECK(strstr(out, "swq-batch=0\n"), "%s", out);
	T_CHECK(strstr(out, "dwq=0\n"), "%s", out);
	T_CHECK(strstr(out, "dwq-batch=0\n"), "%s", out);
	T_CHECK(strstr(out, "nodes: wq0.3 wq0.5\n"), "%s", out);
	T_CHECK(strstr(out, "disabled-open=1\n"), "%s", out);
	T_CHECK(!strstr(out, "disabled-wq=0\n"), "%s", out);
	return t_done("compat/dsa_test");
}
