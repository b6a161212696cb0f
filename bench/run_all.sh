#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run every sva benchmark once, in the foreground and in one run (figures
# are compared only within a run: docs/spec/performance.md), keep the raw
# output and JSON in a results directory, write a Markdown summary and
# regenerate the plots of docs/PERFORMANCE.md (docs/img/*.png, gnuplot).
#
# Usage: bench/run_all.sh [BUILD_DIR] [--quick] [svabench WORKLOAD...]
#   RESULTS=dir   where to write (default BUILD_DIR/bench-results/<UTC date>)
#   NOPLOT=1      skip the plots
# Build first: make (or `make bench`, which builds and runs this script).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
case ${1:-} in
-*|'') ;;
*) build=$(cd "$1" && pwd); shift ;;
esac
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=${RESULTS:-$build/bench-results/$stamp}
img=$root/docs/img

for prog in bench/engine bench/pasid_bench bench/sigill_trap tools/svabench; do
	if [ ! -x "$build/$prog" ]; then
		echo "run_all: $build/$prog missing; run make first" >&2
		exit 1
	fi
done
for tool in jq gnuplot; do
	command -v $tool >/dev/null 2>&1 && continue
	[ "${NOPLOT:-0}" = 1 ] && [ $tool = gnuplot ] && continue
	pkg=$tool
	[ $tool = gnuplot ] && pkg=gnuplot-nox
	echo "run_all: installing $pkg" >&2
	sudo_=
	[ "$(id -u)" -ne 0 ] && sudo_=sudo
	$sudo_ apt-get install -y $pkg >/dev/null 2>&1 ||
		{ $sudo_ apt-get update >/dev/null 2>&1 && $sudo_ apt-get install -y $pkg >/dev/null; }
done

# Other busy processes distort everything (2 vCPUs): say so, do not refuse.
busy=$(ps -eo pcpu=,pid=,comm= --sort=-pcpu | awk '$1 > 20 { printf "%s(%s%%) ", $3, $1 }')
[ -n "$busy" ] && echo "run_all: warning: busy processes: $busy; figures will be disturbed" >&2

mkdir -p "$results"
ln -sfn "$results" "$build/bench-results/latest" 2>/dev/null || true
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -srm)"
	echo "cpus: $(nproc)"
	lscpu | grep -E '^(Model name|Hypervisor vendor|L1d|L2|L3)' | sed 's/  */ /g'
	echo "load before: $(cat /proc/loadavg)"
	echo "busy before: ${busy:-none}"
	echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)"
} >"$results/machine.txt"

echo "run_all: results in $results" >&2
echo "== engine" >&2
"$build/bench/engine" | tee "$results/engine.txt" >&2
"$build/bench/engine" --json >"$results/engine.json"
echo "== pasid_bench" >&2
"$build/bench/pasid_bench" | tee "$results/pasid_bench.txt" >&2
echo "== sigill_trap" >&2
"$build/bench/sigill_trap" | tee "$results/sigill_trap.txt" >&2
echo "== svabench $*" >&2
"$build/tools/svabench" --json "$@" >"$results/svabench.json"
echo "load after: $(cat /proc/loadavg)" >>"$results/machine.txt"

# Plot data: one row per size or batch size.
s=$results/svabench.json
jq -r '.results | map(select(.workload == "memmove-sync")) | group_by(.bytes)[] |
	(map(select(.variant == "swq"))[0]) as $s | (map(select(.variant == "dwq"))[0]) as $d |
	[$s.bytes / 1024, $s.gbs, $s.gbs_lo, $s.gbs_hi, $d.gbs, $d.gbs_lo, $d.gbs_hi,
	 $s.baseline_gbs, $s.baseline_gbs_lo, $s.baseline_gbs_hi,
	 $s.p50_ns / 1000, $s.p99_ns / 1000, $d.p50_ns / 1000, $d.p99_ns / 1000] | @tsv' \
	"$s" >"$results/memmove_sync.dat"
jq -r '.results | map(select(.workload == "noop-batch" and .batch > 1)) | group_by(.batch)[] |
	(map(select(.variant | startswith("swq")))[0]) as $s |
	(map(select(.variant | startswith("dwq")))[0]) as $d |
	[$s.batch, $s.ops_s / 1e6, $s.ops_s_lo / 1e6, $s.ops_s_hi / 1e6,
	 $d.ops_s / 1e6, $d.ops_s_lo / 1e6, $d.ops_s_hi / 1e6] | @tsv' \
	"$s" >"$results/noop_batch.dat"

# Markdown summary, pasted into docs/PERFORMANCE.md.
{
	jq -r '"svabench: \(.engines) engine(s), pinned \(.pinned), \(.outer) passes of median-of-\(.inner) " +
		"inner runs, WQ size \(.wq_size), SWQ threshold \(.swq_threshold); " +
		"cpu0<->cpu1 ping-pong RTT \(.rtt_ns) ns [\(.rtt_lo)-\(.rtt_hi)]"' "$s"
	echo
	echo "| workload | variant | op | size | ops/s | GB/s [range] | p50 / p99 | baseline GB/s | ratio | target |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	jq -r '
	def sz: if . == 0 then "-" elif . % 1048576 == 0 then "\(. / 1048576) MiB"
		elif . % 1024 == 0 then "\(. / 1024) KiB" else "\(.)" end;
	def f(d): (. * pow(10; d) | round) / pow(10; d) | tostring;
	def rate: if . >= 1e6 then "\(. / 1e6 | f(2)) M" else "\(. / 1e3 | f(1)) k" end;
	def us: if . >= 10000 then "\(. / 1000 | f(1)) µs" elif . >= 1000 then "\(. / 1000 | f(2)) µs"
		else "\(. | round) ns" end;
	.results[] |
	"| \(.workload) | \(.variant)\(if .threads > 0 then " ×\(.threads)" else "" end) | \(.op)\(if .batch > 1 then " ×\(.batch)" else "" end) | \(.bytes | sz) | " +
	"\(.ops_s | rate)\(if .workload == "enqcmd-cost" then " (\(.ns | f(1)) ns/call)" else "" end)" +
	"\(if .retries_s != null then ", retries \(.retries_s | rate)/s" else "" end) | " +
	"\(if .bytes > 0 then "\(.gbs | f(2)) [\(.gbs_lo | f(2))–\(.gbs_hi | f(2))]" else "-" end) | " +
	"\(if .p50_ns != null then "\(.p50_ns | us) / \(.p99_ns | us)" else "-" end) | " +
	"\(if .baseline != null then "\(.baseline) \(.baseline_gbs | f(2))" else "-" end) | " +
	"\(if .ratio != null then (.ratio | f(2)) else "-" end) | " +
	"\(if .target != null then "\(.target): **\(if .met then "met" else "not met" end)**" else "" end) |"
	' "$s"
	echo
	echo "Engine only (build/bench/engine, same run):"
	echo
	echo '```'
	cat "$results/engine.txt"
	echo '```'
	echo
	echo "PASID allocator (build/bench/pasid_bench, same run):"
	echo
	echo '```'
	cat "$results/pasid_bench.txt"
	echo '```'
	echo
	echo "Trap cost (build/bench/sigill_trap, same run):"
	echo
	echo '```'
	cat "$results/sigill_trap.txt"
	echo '```'
} >"$results/summary.md"

if [ "${NOPLOT:-0}" != 1 ]; then
	mkdir -p "$img"
	gnuplot -e "dir='$results'; img='$img'" "$root/bench/plot.gp"
	echo "run_all: plots in $img" >&2
fi
echo "run_all: summary in $results/summary.md" >&2
