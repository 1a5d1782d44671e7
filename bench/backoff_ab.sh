#!/usr/bin/env bash
# bench/backoff_ab.sh - interleaved capbench A/B of the lent-batch backoff (LENT_BACKOFF) at 1514 B,
# default and stress mode: tcpdump and three rcvall builds (/tmp/rcvall-28b5597: 200 us, /tmp/rcvall-bo500:
# 500 us, /tmp/rcvall-final: 1 ms) per repetition, 3 repetitions, each call under /work/bench.lock.
# Results: bench/results/i9-backoff-ab/ab.csv (RESULTS §11b).
cd /work/main
OUT=/work/main/bench/results/i9-backoff-ab; mkdir -p $OUT/logs $OUT/pcap
for rep in 1 2 3; do
  for cell in null stress; do
    mode=""; [[ $cell = stress ]] && mode="-X napi -g cbgen"
    for b in tcpdump 28b5597 bo500 final; do
      if [[ $b = tcpdump ]]; then cmd="tcpdump -i {IF} -w /dev/null -n -B 32768"; label=${cell}_tcpdump
      else cmd="/tmp/rcvall-$b capture -i {IF} -q -w /dev/null --format pcapng"; label=${cell}_$b; fi
      LOGDIR=$OUT/logs flock /work/bench.lock ../shared/bench/capbench.sh $mode -n 1000000 -s 1514 -f 4 \
        -r 1 -I $rep -L $label -o $OUT/ab.csv -p $OUT/pcap -Q 20 -R 1 -- "$cmd" 2>&1 | grep '^capbench: .*ns/pkt'
    done
  done
done
