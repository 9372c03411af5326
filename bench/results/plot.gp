# Written by ctxvar_bench (./dev bench): run `gnuplot plot.gp` here to redraw get_set.svg.
# Medians in ns of 5 interleaved rounds, 2026-11-22 06:55 UTC.
$get << EOD
1 1.16 8.97 0.286 21.6
8 1.16 9.91 0.285 21.0
64 1.22 11.4 0.320 20.9
1000 1.35 13.6 0.304 20.0
10000 1.18 16.7 0.288 22.6
EOD
$set_reset << EOD
1 28.2 84.5 1.62 151
8 31.3 102 1.67 203
64 37.5 116 1.75 269
1000 50.5 158 1.61 392
10000 60.4 176 1.68 497
EOD
set terminal svg size 1000,440 dynamic font 'sans,12' background '#ffffff'
set output 'get_set.svg'
set multiplot layout 1,2 title 'AMD EPYC, 2 cores; g++ 12.2.0 -O2 -std=c++20 -DNDEBUG; 2026-11-22 06:55 UTC' font ',11' noenhanced
set logscale xy
set xrange [0.7:14000]
set xtics ('1' 1, '8' 8, '64' 64, '1000' 1000, '10000' 10000)
set format y '%g'
set xlabel 'variables set in the context'
set ylabel 'ns per operation (median)'
set grid xtics ytics mytics lc rgb '#dddddd'
set key top left box opaque font ',10'
set yrange [0.1:1000]
set title 'get: read one variable'
plot $get using 1:2 with linespoints lc rgb '#d62728' lw 2.5 pt 7 title 'ctxvar ContextVar', \
     $get using 1:3 with linespoints lc rgb '#1f77b4' lw 1.5 pt 5 title 'boost::fibers::fiber\_specific\_ptr', \
     $get using 1:4 with linespoints lc rgb '#2ca02c' lw 1.5 pt 9 title 'raw thread\_local', \
     $get using 1:5 with linespoints lc rgb '#7f7f7f' lw 1.5 pt 11 title 'CPython contextvars'
set yrange [1:10000]
set title 'set + reset of one variable'
plot $set_reset using 1:2 with linespoints lc rgb '#d62728' lw 2.5 pt 7 title 'ctxvar ContextVar', \
     $set_reset using 1:3 with linespoints lc rgb '#1f77b4' lw 1.5 pt 5 title 'boost::fibers::fiber\_specific\_ptr', \
     $set_reset using 1:4 with linespoints lc rgb '#2ca02c' lw 1.5 pt 9 title 'raw thread\_local', \
     $set_reset using 1:5 with linespoints lc rgb '#7f7f7f' lw 1.5 pt 11 title 'CPython contextvars'
unset multiplot
