# SPDX-License-Identifier: MIT
# The svad scaling curve of docs/PERFORMANCE.md, from bench/svad_runs.sh's
# scale_*.dat (clients, median, min, max ops/s over the runs).
# Usage: gnuplot -e "dir='RESULTS'; img='docs/img'; base=0|1" bench/svad_plot.gp
if (!exists("dir")) dir = "."
if (!exists("img")) img = "."
if (!exists("base")) base = 0
if (!exists("baselabel")) baselabel = "base build (BASE=)"

set terminal pngcairo size 900,560 font "sans,11" noenhanced
set grid
set key top left opaque box
set logscale x 2
set xtics (1, 2, 4, 8, 16)
set xrange [0.8:20]
set yrange [0:*]
set xlabel "client processes on one SWQ (4 KiB MEMMOVE, queue depth 4 each)"
set ylabel "aggregate ops/s (median, bars: min-max over runs)"
set title "svad: throughput of one shared WQ"
set output img."/svad_scale.png"
if (base) {
	plot dir."/scale_new.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "this build", \
	     dir."/scale_base.dat" using 1:2:3:4 with yerrorlines lw 2 pt 5 title baselabel
} else {
	plot dir."/scale_new.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "this build"
}
