#!/usr/bin/env bash
set -u
cd /work/main
CB=../shared/bench/capbench.sh
OUT=bench/results/head-fix/main.csv
for rep in 1 2 3; do
  for size in 64 1514; do
    $CB -n 2000000 -s $size -f 4 -r 1 -I $rep -L tcpdump -o $OUT -Q 20 -R 1 -- 'tcpdump -i {IF} -w /dev/null -n -B 32768'
    $CB -n 2000000 -s $size -f 4 -r 1 -I $rep -L rcvall_pcapng -o $OUT -Q 20 -R 1 -- '/work/main/target/release/rcvall capture -i {IF} -q -w /dev/null'
  done
done
