#!/usr/bin/env bash
# bench/core.sh — one command: sipp UAC -> siplb -> 3 sipp UAS on loopback, then the same load
# straight at one backend as the baseline. Prints one JSON line per run (calls/s achieved, failed
# calls, siplb CPU seconds per 1000 calls from /proc, peak RSS/PSS, sipp response-time percentiles).
# Env: RATE (1000), SECS (20), REPS (1), PCAP=1 for siplb transit latency from a capture.
# Needs: sipp (sip-tester), python3; tcpdump for PCAP=1. Loopback only; every run is bounded.
set -u
cd "$(dirname "$0")/harness"
RATE="${RATE:-1000}"; SECS="${SECS:-20}"; REPS="${REPS:-1}"
export RESULTS="${RESULTS:-$PWD/results/results.jsonl}"
trap './lb-siplb.sh stop >/dev/null 2>&1; ./backends.sh stop >/dev/null 2>&1' EXIT
./backends.sh start >&2 || exit 1
for i in $(seq "$REPS"); do
  ./lb-siplb.sh start >&2 || exit 1
  LABEL=siplb RATE=$RATE CALLS=$((RATE * SECS)) ./run.sh
  ./lb-siplb.sh stop >&2
  LB_ADDR=127.0.0.1:5071 LB_PID=none LABEL=direct RATE=$RATE CALLS=$((RATE * SECS)) PCAP=0 ./run.sh
done
