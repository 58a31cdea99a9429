#!/usr/bin/env bash
# supervise.sh PARENT_PID LOG_FILE CMD [ARGS...]
# Runs CMD with output to LOG_FILE and ends it when PARENT_PID goes away, so a harness that is
# SIGKILLed (and so cannot run its exit hooks) still leaves no orphaned etcd, kube-* or kwok.
parent=$1 log=$2
shift 2
"$@" >>"$log" 2>&1 &
child=$!
stop() { kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?; }
trap stop TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
if kill -0 "$child" 2>/dev/null; then
  echo "supervise: parent $parent is gone; stopping $1" >>"$log"
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$child" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$child" 2>/dev/null
fi
wait "$child"
