/* SPDX-License-Identifier: MIT */
/*
 * Description: the unmodified Debian accel-config 3.5.3 under svarun
 * (accel-config-compat.md CMP-13): list -i shows the power-on device of §4,
 * list is empty while idle, the runner's load-config / enable-* /
 * disable-* sequence works with its nodes, save-config round-trips through
 * load-config after a modprobe reset, the config-* commands store each
 * value, invalid configurations fail with the kernel's messages, and the
 * 6.7+ personality (svarun --driver-name) needs the WQ driver_name.
 */
#include "compat.h"

static char out[1 << 16];

static void check_list(const char *svarun)
{
	int st;

	st = compat_run(svarun, NULL, NULL, "accel-config list -i", out, sizeof(out));
	T_EQ(st, 0);
	T_CHECK(compat_count(out, "\"dev\":\"dsa0\"") == 1, "%s", out);
	T_EQ(compat_count(out, "\"dev\":\"group0."), 4);
	T_EQ(compat_count(out, "\"dev\":\"wq0."), 8);
	T_EQ(compat_count(out, "\"dev\":\"engine0."), 4);
	T_CHECK(strstr(out, "\"op_cap\":[\n      \"0x1003f03ff\",\n      \"0\",\n      \"0\",\n"
			    "      \"0\"\n    ]") != NULL, "op_cap: %s", out);
	T_CHECK(strstr(out, "\"state\":\"disabled\"") && strstr(out, "\"pasid_enabled\":1") &&
		strstr(out, "\"max_work_queues_size\"") == NULL &&
		strstr(out, "\"work_queue_size\":128") && strstr(out, "\"gen_cap\":\"0x40915f0107\""),
		"device values: %s", out);
	T_EQ(compat_count(out, "\"read_buffers_allowed\":96"), 4);
	T_EQ(compat_count(out, "\"mode\":\"dedicated\""), 8);

	/* nothing enabled: the plain listing is empty */
	st = compat_run(svarun, NULL, NULL, "accel-config list", out, sizeof(out));
	T_EQ(st, 0);
	T_CHECK(!strstr(out, "\"dev\"") && strchr(out, '['), "idle list: %s", out);
}

/* dsa_user_test_runner.sh steps 5-7 and 9, with checks in between */
static const char runner_flow[] =
	"set -e\n"
	"D=/sys/bus/dsa/devices/dsa0\n"
	"lsmod | grep -q idxd && exit 9\n"
	"modprobe idxd\n"
	"[ -f $D/pasid_enabled ] && [ $(cat $D/pasid_enabled) -eq 1 ]\n"
	"[ -n \"$(cat $D/configurable)\" ]\n"
	"accel-config load-config -c configs/2g2q_user_1.conf\n"
	"accel-config enable-device dsa0\n"
	"accel-config enable-wq dsa0/wq0.0\n"
	"accel-config enable-wq dsa0/wq0.1\n"
	"echo nodes: $(ls /dev/dsa)\n"
	"echo state: $(cat $D/state $D/wq0.0/state $D/wq0.1/state)\n"
	"echo driver: $(readlink $D/wq0.1/driver)\n"
	"echo groups: $(cat $D/group0.0/work_queues $D/group0.1/engines)\n"
	"T=$(mktemp)\n"
	"accel-config save-config -s $T\n"
	"cat $T\n"
	"accel-config disable-wq dsa0/wq0.0\n"
	"accel-config disable-wq dsa0/wq0.1\n"
	"accel-config disable-device dsa0\n"
	"echo after: $(ls /dev/dsa) $(cat $D/state)\n"
	/* the saved configuration brings the same device back after a module reload */
	"modprobe idxd\n"
	"echo reset: $(cat $D/wq0.0/size)\n"
	"accel-config load-config -c $T -e\n"
	"rm -f $T\n"
	"echo reloaded: $(ls /dev/dsa) $(cat $D/wq0.0/threshold $D/wq0.1/mode)\n";

static void check_runner_flow(const char *svarun)
{
	int st;

	st = compat_run(svarun, NULL, ACCFG_TEST_DIR, runner_flow, out, sizeof(out));
	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	T_CHECK(strstr(out, "nodes: wq0.0 wq0.1\n"), "%s", out);
	T_CHECK(strstr(out, "state: enabled enabled enabled\n"), "%s", out);
	T_CHECK(strstr(out, "driver: ../../../../../bus/dsa/drivers/user\n"), "%s", out);
	T_CHECK(strstr(out, "groups: wq0.0 engine0.2 engine0.3\n"), "%s", out);
	T_CHECK(strstr(out, "\"name\":\"app1\"") && strstr(out, "\"threshold\":15") &&
		strstr(out, "\"name\":\"app2\"") && strstr(out, "\"read_buffers_allowed\":8"),
		"save-config: %s", out);
	T_CHECK(strstr(out, "after: disabled\n"), "%s", out);
	T_CHECK(strstr(out, "reset: 0\n"), "%s", out);
	T_CHECK(strstr(out, "reloaded: wq0.0 wq0.1 15 dedicated\n"), "%s", out);
}

/* config-* store every value; the read-back goes through the tree */
static const char config_flow[] =
	"set -e\n"
	"D=/sys/bus/dsa/devices/dsa0\n"
	"accel-config config-device dsa0 --read-buffer-limit=20\n"
	"accel-config config-group dsa0/group0.1 --read-buffers-reserved=4 "
	"--read-buffers-allowed=16 --use-read-buffer-limit=1\n"
	"accel-config config-engine dsa0/engine0.3 --group-id=1\n"
	"accel-config config-wq dsa0/wq0.5 --group-id=1 --wq-size=32 --priority=15 "
	"--mode=shared --threshold=30 --block-on-fault=1 --type=user --name=svatest "
	"--max-batch-size=64 --max-transfer-size=65536 --ats-disable=1\n"
	"echo dev: $(cat $D/read_buffer_limit)\n"
	"echo grp: $(cat $D/group0.1/read_buffers_reserved $D/group0.1/read_buffers_allowed "
	"$D/group0.1/use_read_buffer_limit $D/group0.1/engines $D/group0.1/work_queues)\n"
	"echo wq: $(cd $D/wq0.5 && cat group_id size priority mode threshold block_on_fault "
	"type name max_batch_size max_transfer_size ats_disable)\n"
	"accel-config config-wq dsa0/wq0.5 --mode=dedicated\n"
	"echo ded: $(cat $D/wq0.5/threshold)\n"
	"accel-config config-engine dsa0/engine0.3\n"
	"echo eng: $(cat $D/engine0.3/group_id)\n";

static void check_config(const char *svarun)
{
	int st;

	st = compat_run(svarun, NULL, NULL, config_flow, out, sizeof(out));
	T_CHECK(st == 0, "exit %d:\n%s", st, out);
	T_CHECK(strstr(out, "dev: 20\n"), "%s", out);
	T_CHECK(strstr(out, "grp: 4 16 1 engine0.3 wq0.5\n"), "%s", out);
	T_CHECK(strstr(out, "wq: 1 32 15 shared 30 1 user svatest 64 65536 1\n"), "%s", out);
	T_CHECK(strstr(out, "ded: 0\n"), "mode dedicated clears threshold: %s", out);
	/* config-engine without -g writes 0 (§4.3) */
	T_CHECK(strstr(out, "eng: 0\n"), "%s", out);
}

struct bad_case {
	const char *script;
	int status;		/* accel-config's exit status */
	const char *message;	/* what it prints */
};

/* a device with wq0.0 and engine0.0 in group 0, nothing else */
#define PREP "accel-config config-engine dsa0/engine0.0 -g 0 && "                 \
	     "accel-config config-wq dsa0/wq0.0 -g 0 -s 16 -p 5 -m shared -y user && "

static const struct bad_case bad[] = {
	{ "accel-config enable-device dsa0", 1,
	  "Error[0x800d0000] dsa0: wq error - no wqs configured" },
	{ "accel-config config-wq dsa0/wq0.0 --mode=shared --wq-size=4 --threshold=9", 1,
	  "threshold attribute write failed: Invalid argument" },
	{ "accel-config config-device dsa0 --read-buffer-limit=1000", 1,
	  "write failed: Invalid argument" },
	{ "accel-config config-group dsa0/group0.0 --traffic-class-a=3", 1,
	  "traffic-class cannot be configured" },
	{ "accel-config enable-wq dsa0/wq0.0", 1, "failed in dsa0/wq0.0" },
	{ PREP "accel-config enable-device dsa0 && accel-config enable-wq dsa0/wq0.0", 1,
	  "Error[0x80040000] dsa0/wq0.0: wq error - name not set" },
	{ PREP "accel-config config-wq dsa0/wq0.0 -n x && accel-config enable-device dsa0 && "
	  "accel-config enable-wq dsa0/wq0.0", 1, "Error[0x80060000]" },
	{ PREP "accel-config config-wq dsa0/wq0.0 -n x -t 8 && accel-config enable-device dsa0 &&"
	  " accel-config config-wq dsa0/wq0.0 --wq-size=8", 1,
	  "size attribute write failed: Operation not permitted" },
	/* svarun adds the rule and the values where the kernel leaves a hex code */
	{ PREP "accel-config enable-device dsa0 && accel-config enable-wq dsa0/wq0.0", 1,
	  "svarun: dsa0: wq0.0: name must be set, got \"\" (WQ_NO_NAME)" },
	{ PREP "accel-config config-wq dsa0/wq0.0 -n x && accel-config enable-device dsa0 && "
	  "accel-config enable-wq dsa0/wq0.0", 1,
	  "svarun: dsa0: wq0.0: shared WQ needs threshold 1..16, got 0 (WQ_NO_THRESH)" },
	{ "accel-config config-wq dsa0/wq0.0 --mode=shared --wq-size=4 --threshold=9", 1,
	  "svarun: dsa0: wq0.0/threshold: 9 not in 1..4 (size)" },
	{ "accel-config enable-device dsa0", 1,
	  "svarun: dsa0: dsa0: needs a WQ with group_id >= 0 and size > 0, found none" },
	/* the same through the sysfs files themselves */
	{ PREP "echo dsa0 > /sys/bus/dsa/drivers/idxd/bind && "
	  "echo wq0.0 > /sys/bus/dsa/drivers/user/bind", 1,
	  "svarun: dsa0: wq0.0: name must be set, got \"\" (WQ_NO_NAME)" },
	{ "accel-config disable-wq dsa0/wq0.1", 1, "is in disabled mode already" },
	{ "accel-config disable-device dsa0", 1, "failed in dsa0" },
};

static void check_errors(const char *svarun)
{
	size_t i;
	int st;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st = compat_run(svarun, NULL, NULL, bad[i].script, out, sizeof(out));
		T_CHECK(st == bad[i].status, "\"%s\": exit %d, expected %d:\n%s", bad[i].script,
			st, bad[i].status, out);
		T_CHECK(strstr(out, bad[i].message), "\"%s\": no \"%s\" in:\n%s", bad[i].script,
			bad[i].message, out);
	}
}

static void check_driver_name(const char *svarun)
{
	static const char *const personality[] = { "--driver-name", NULL };
	int st;

	st = compat_run(svarun, personality, ACCFG_TEST_DIR,
			"D=/sys/bus/dsa/devices/dsa0\n"
			"accel-config config-engine dsa0/engine0.0 -g 0\n"
			"accel-config config-wq dsa0/wq0.0 -g 0 -s 16 -p 5 -m dedicated -y user -n x\n"
			"accel-config enable-device dsa0\n"
			"accel-config enable-wq dsa0/wq0.0; echo first=$?\n"
			"accel-config config-wq dsa0/wq0.0 -d user\n"
			"accel-config enable-wq dsa0/wq0.0; echo second=$? $(cat $D/wq0.0/driver_name)\n"
			"accel-config disable-device dsa0\n"
			"accel-config load-config -c configs/2g2q_user_1.conf -e; echo $? $(ls /dev/dsa)\n",
			out, sizeof(out));
	T_EQ(st, 0);
	T_CHECK(strstr(out, "Invalid wq driver name \"\"") && strstr(out, "first=1\n"), "%s", out);
	T_CHECK(strstr(out, "second=0 user\n"), "%s", out);
	T_CHECK(strstr(out, "0 wq0.0 wq0.1\n"), "load-config sets driver_name: %s", out);

	/* the default personality has no driver_name at all (CMP-4) */
	st = compat_run(svarun, NULL, NULL, "ls /sys/bus/dsa/devices/wq0.0/", out, sizeof(out));
	T_CHECK(st == 0 && strstr(out, "threshold") && !strstr(out, "driver_name"), "%s", out);
}

int main(void)
{
	const char *svarun = compat_require(true);

	check_list(svarun);
	check_runner_flow(svarun);
	check_config(svarun);
	check_errors(svarun);
	check_driver_name(svarun);
	return t_done("compat/accel_config");
}
