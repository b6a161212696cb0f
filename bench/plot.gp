# SPDX-License-Identifier: MIT
# Plots of docs/PERFORMANCE.md from the .dat files bench/run_all.sh extracts
# out of svabench's JSON. Error bars are the range over the outer runs.
# Usage: gnuplot -e "dir='RESULTS'; img='docs/img'" bench/plot.gp
if (!exists("dir")) dir = "."
if (!exists("img")) img = "."

set terminal pngcairo size 900,560 font "sans,11" noenhanced
set grid
set key inside top left Left reverse opaque box
set logscale x 2
set xtics ("4 KiB" 4, "16 KiB" 16, "64 KiB" 64, "256 KiB" 256, "1 MiB" 1024)
set xrange [3:1400]

# memmove_sync.dat: KiB, swq gbs lo hi, dwq gbs lo hi, memcpy gbs lo hi,
#                   swq p50 p99 (us), dwq p50 p99 (us)
set output img."/memmove_gbs.png"
set title "memmove, synchronous (one at a time), hot buffers"
set xlabel "transfer size"
set ylabel "GB/s (1e9 B/s)"
set yrange [0:*]
set key bottom right
plot dir."/memmove_sync.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "sva, SWQ (ENQCMD)", \
     ""                      using 1:5:6:7 with yerrorlines lw 2 pt 5 title "sva, DWQ (MOVDIR64B)", \
     ""                      using 1:8:9:10 with yerrorlines lw 2 pt 9 title "glibc memcpy, same thread"

set output img."/memmove_latency.png"
set title "memmove submit-to-completion latency (sva_wait busy-poll)"
set ylabel "µs"
set key top left
set logscale y 10
set yrange [*:*]
plot dir."/memmove_sync.dat" using 1:11 with linespoints lw 2 pt 7 title "SWQ p50", \
     ""                      using 1:12 with linespoints lw 2 pt 6 dt 2 title "SWQ p99", \
     ""                      using 1:13 with linespoints lw 2 pt 5 title "DWQ p50", \
     ""                      using 1:14 with linespoints lw 2 pt 4 dt 2 title "DWQ p99"
unset logscale y

# noop_batch.dat: batch size, swq M desc/s lo hi, dwq M desc/s lo hi
set output img."/noop_batch.png"
set title "NOOP descriptors in batches"
set xlabel "descriptors per batch"
set ylabel "M descriptors/s"
set xtics auto
set xtics (32, 64, 128, 256, 512, 1024)
set xrange [24:1400]
set yrange [0:*]
plot dir."/noop_batch.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "SWQ, 1 batch in flight", \
     ""                    using 1:5:6:7 with yerrorlines lw 2 pt 5 title "DWQ, 4 batches in flight", \
     10 with lines dt 2 lc rgb "gray40" title "target 10 M/s"
