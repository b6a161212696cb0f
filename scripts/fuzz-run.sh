#!/bin/sh
# Run every libFuzzer binary of a fuzz build for a fixed time, each on a
# scratch copy of its seed corpus (libFuzzer writes new inputs into the
# corpus directory; the checked-in seeds stay untouched). A crash, leak or
# timeout makes this script fail and leaves the reproducer in the work dir.
# Usage: scripts/fuzz-run.sh BUILD_DIR SECONDS
set -eu
build=$(cd "${1:-build-fuzz}" && pwd)
secs=${2:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
status=0
for bin in "$build"/tests/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^fuzz_//')
	[ "$name" = "${name#replay_}" ] || continue
	mkdir -p "$work/$name"
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		cp -r "$top/tests/fuzz/corpus/$name/." "$work/$name/"
	fi
	echo "fuzz-run: $name for ${secs}s"
	if ! (cd "$work" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 "$work/$name" 2>"$work/$name.log"); then
		echo "fuzz-run: $name FAILED; log and reproducer in $work" >&2
		tail -40 "$work/$name.log" >&2
		status=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$work/$name.log" | tail -2
	fi
done
[ $status -ne 0 ] || rm -rf "$work"
exit $status
