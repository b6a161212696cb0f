#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run build/bench/svad_bench several times (issue 5, section 5: svad's 4 KiB
# latency against process_vm_readv+writev, 1 MiB bandwidth against memcpy,
# scaling over 1..16 client processes on one SWQ), keep the JSON, print the
# median and range of every figure, and plot the scaling curve
# (docs/img/svad_scale.png, gnuplot). With BASE=dir, a second build tree
# (e.g. an older commit) runs alternately with this one, so both are
# measured in the same machine state (docs/PERFORMANCE.md "svad").
#
# Usage: bench/svad_runs.sh [BUILD_DIR] [RUNS] [SECONDS]
#   BASE=dir     another build tree run in alternation, labelled "base"
#   RESULTS=dir  where to write (default BUILD_DIR/bench-results/svad-<UTC date>)
#   NOPLOT=1     skip the plot
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${2:-5}
secs=${3:-1}
results=${RESULTS:-$build/bench-results/svad-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
command -v jq >/dev/null || { echo "svad_runs: needs jq" >&2; exit 1; }

trees="new=$build"
[ -n "${BASE:-}" ] && trees="base=$(cd "$BASE" && pwd) $trees"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -srm), $(nproc) cpus"
	echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)"
	echo "load before: $(cat /proc/loadavg)"
} >"$results/machine.txt"

i=1
while [ $i -le "$runs" ]; do
	for t in $trees; do
		name=${t%%=*}
		dir=${t#*=}
		echo "== run $i $name (load $(cut -d' ' -f1 /proc/loadavg))" >&2
		"$dir/bench/svad_bench" --svad "$dir/src/svad" --seconds "$secs" --json \
			>"$results/$name.$i.json"
	done
	i=$((i + 1))
done
echo "load after: $(cat /proc/loadavg)" >>"$results/machine.txt"

# median [min-max] of one field over the runs of one tree
stat() { # name workload field [clients]
	cat "$results/$1".*.json | jq -s -r --arg w "$2" --arg f "$3" --argjson c "${4:-0}" '
		map(select(.workload == $w and ($c == 0 or .clients == $c)) | .[$f]) | sort |
		"\(.[(length - 1) / 2 | floor]) \(.[0]) \(.[-1])"'
}

for t in $trees; do
	name=${t%%=*}
	{
		echo "$name lat4k p50 ns (median min max): $(stat "$name" svad-lat4k p50_ns)"
		echo "$name lat4k pvm baseline ns:         $(stat "$name" svad-lat4k baseline_p50_ns)"
		echo "$name lat4k ratio:                   $(stat "$name" svad-lat4k ratio)"
		echo "$name bw1m GB/s:                     $(stat "$name" svad-bw1m gbps)"
		echo "$name bw1m memcpy GB/s:              $(stat "$name" svad-bw1m baseline_gbps)"
		echo "$name bw1m ratio:                    $(stat "$name" svad-bw1m ratio)"
		for c in 1 2 4 8 16; do
			echo "$name scale $c ops/s:  $(stat "$name" svad-scale ops_per_s $c)" \
				"jain $(stat "$name" svad-scale jain $c)"
		done
	} | tee -a "$results/summary.txt"
	for c in 1 2 4 8 16; do
		echo "$c $(stat "$name" svad-scale ops_per_s $c)"
	done >"$results/scale_$name.dat"
done

if [ "${NOPLOT:-0}" != 1 ] && command -v gnuplot >/dev/null; then
	mkdir -p "$root/docs/img"
	gnuplot -e "dir='$results'; img='$root/docs/img'; base=$([ -n "${BASE:-}" ] && echo 1 || echo 0)" \
		"$root/bench/svad_plot.gp"
	echo "svad_runs: plot in docs/img/svad_scale.png" >&2
fi
echo "svad_runs: results in $results" >&2
