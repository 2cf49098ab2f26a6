#!/usr/bin/env bash
# A three-node KRaft cluster from the same jars as scripts/kafka-local.sh, on 127.0.0.1 only: nodes 1–3 are each a
# broker and a controller (a static quorum of three voters), with production's durability settings — replication 3,
# min.insync.replicas 2, the offsets and transaction state topics replicated 3 with min ISR 2
# (scripts/kafka/server-cluster.properties). The broker on 9092 and the secure one are not touched.
#
#   scripts/kafka-cluster.sh start     format the nodes once, start those not running, wait until all three are up
#   scripts/kafka-cluster.sh stop      stop every node started here
#   scripts/kafka-cluster.sh status    one line per node; exit 0 when all three answer
#   scripts/kafka-cluster.sh reset     stop and delete the run dir (a fresh cluster next start)
#   scripts/kafka-cluster.sh kill N    SIGKILL node N (1–3): a broker lost without a controlled shutdown
#   scripts/kafka-cluster.sh revive N  start node N again and wait until it is up
#   scripts/kafka-cluster.sh brokers   print the bootstrap list (KAFKA_BROKERS) of the cluster
#
# Brokers on 127.0.0.1:19092, 19093, 19094; controllers on 19095, 19096, 19097; run dir .kafka-cluster/ (a
# directory per node: data, server.properties, server.log, broker.pid). OMNIA_KAFKA_CLUSTER_DIR,
# OMNIA_KAFKA_CLUSTER_PORTS and OMNIA_KAFKA_CLUSTER_CONTROLLER_PORTS (three comma-separated ports each) move it
# (the test uses a temporary dir and free ports); OMNIA_KAFKA_CLUSTER_HEAP sets each node's heap (default 512m).
# Needs java (and mvn the first time, for the jars).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
run_dir=${OMNIA_KAFKA_CLUSTER_DIR:-$root/.kafka-cluster}
jars=${OMNIA_KAFKA_DIR:-$root/.kafka}/libs
heap=${OMNIA_KAFKA_CLUSTER_HEAP:-512m}
IFS=, read -r -a ports <<<"${OMNIA_KAFKA_CLUSTER_PORTS:-19092,19093,19094}"
IFS=, read -r -a controller_ports <<<"${OMNIA_KAFKA_CLUSTER_CONTROLLER_PORTS:-19095,19096,19097}"
nodes=(1 2 3)
if [ ${#ports[@]} -ne 3 ] || [ ${#controller_ports[@]} -ne 3 ]; then
  echo "kafka-cluster: OMNIA_KAFKA_CLUSTER_PORTS and OMNIA_KAFKA_CLUSTER_CONTROLLER_PORTS need three ports each" >&2
  exit 2
fi

port_of() { echo "${ports[$(($1 - 1))]}"; }
controller_port_of() { echo "${controller_ports[$(($1 - 1))]}"; }
node_dir() { echo "$run_dir/node-$1"; }
pid_file() { echo "$(node_dir "$1")/broker.pid"; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$(port_of "$1")") 2>/dev/null; }
running() { [ -f "$(pid_file "$1")" ] && kill -0 "$(cat "$(pid_file "$1")")" 2>/dev/null; }
brokers() { local list=(); for n in "${nodes[@]}"; do list+=("127.0.0.1:$(port_of "$n")"); done; (IFS=,; echo "${list[*]}"); }
voters() { local list=(); for n in "${nodes[@]}"; do list+=("$n@127.0.0.1:$(controller_port_of "$n")"); done; (IFS=,; echo "${list[*]}"); }

java_cmd() { java -Xms128m -Xmx256m -XX:+UseG1GC -Dkafka.logs.dir="$run_dir" \
  -Dlog4j2.configurationFile="$here/kafka/log4j2.yaml" -cp "$jars/*" "$@"; }

require() {
  if ! command -v java >/dev/null; then
    echo "kafka-cluster: java not found; install it (Debian: apt-get install default-jre-headless)" >&2
    exit 3
  fi
}

node_number() {
  case "${1:-}" in
    1 | 2 | 3) echo "$1" ;;
    *) echo "kafka-cluster: a node is 1, 2 or 3, not \"${1:-}\"" >&2; exit 2 ;;
  esac
}

config() { # node
  local dir
  dir=$(node_dir "$1")
  mkdir -p "$dir"
  sed -e "s#@NODE_ID@#$1#g" -e "s#@VOTERS@#$(voters)#g" -e "s#@PORT@#$(port_of "$1")#g" \
    -e "s#@CONTROLLER_PORT@#$(controller_port_of "$1")#g" -e "s#@DATA@#$dir/data#g" \
    "$here/kafka/server-cluster.properties" >"$dir/server.properties"
}

formatted() { for n in "${nodes[@]}"; do [ -f "$(node_dir "$n")/data/meta.properties" ] || return 1; done; }

# Every node's log dir is formatted with the same cluster id; the voters (controller ports) are part of it, so
# other ports mean a new cluster.
format() {
  local layout
  layout="$(brokers) $(voters)"
  if [ "$(cat "$run_dir/layout" 2>/dev/null)" = "$layout" ] && formatted; then return; fi
  for n in "${nodes[@]}"; do
    if running "$n"; then echo "kafka-cluster: node $n runs with another layout; stop it first" >&2; exit 1; fi
    rm -rf "$(node_dir "$n")/data"
  done
  local cluster_id
  cluster_id=$(java_cmd kafka.tools.StorageTool random-uuid)
  for n in "${nodes[@]}"; do
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$(node_dir "$n")/server.properties" >/dev/null
  done
  echo "$layout" >"$run_dir/layout"
}

launch() { # node: start it in the background; the log of this run starts after the lines already there
  local dir
  dir=$(node_dir "$1")
  touch "$dir/server.log"
  wc -l <"$dir/server.log" >"$dir/log-start"
  nohup java -Xms128m -Xmx"$heap" -XX:+UseG1GC -Dkafka.logs.dir="$dir" \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.yaml" -cp "$jars/*" kafka.Kafka "$dir/server.properties" \
    >>"$dir/stdout.log" 2>&1 &
  echo $! >"$(pid_file "$1")"
}

started() { # node: it answers and has logged its start since it was launched
  local dir
  dir=$(node_dir "$1")
  answers "$1" && tail -n +"$(($(cat "$dir/log-start" 2>/dev/null || echo 0) + 1))" "$dir/server.log" 2>/dev/null |
    grep -q "Kafka Server started\|started (kafka.server\|Transition from STARTING to STARTED"
}

wait_up() { # nodes…
  local pending=("$@")
  for _ in $(seq 1 240); do
    local still=()
    for n in "${pending[@]}"; do
      if started "$n"; then echo "kafka-cluster: node $n up on 127.0.0.1:$(port_of "$n") (pid $(cat "$(pid_file "$n")"))"
      elif ! running "$n"; then
        echo "kafka-cluster: node $n exited; see $(node_dir "$n")/stdout.log and server.log" >&2
        tail -30 "$(node_dir "$n")/server.log" "$(node_dir "$n")/stdout.log" >&2
        exit 1
      else still+=("$n"); fi
    done
    [ ${#still[@]} -eq 0 ] && return
    pending=("${still[@]}")
    sleep 0.5
  done
  echo "kafka-cluster: node(s) ${pending[*]} not up within 120 s; see $run_dir/node-*/server.log" >&2
  exit 1
}

start() {
  require
  bash "$here/kafka-local.sh" fetch
  mkdir -p "$run_dir"
  for n in "${nodes[@]}"; do running "$n" || config "$n"; done
  format
  local launched=()
  for n in "${nodes[@]}"; do
    if running "$n"; then continue; fi
    if answers "$n"; then echo "kafka-cluster: port $(port_of "$n") of node $n is taken by another process" >&2; exit 1; fi
    launch "$n"
    launched+=("$n")
  done
  # The nodes are started together: none finishes starting before a majority of the quorum is there.
  if [ ${#launched[@]} -gt 0 ]; then wait_up "${launched[@]}"; else echo "kafka-cluster: already running"; fi
  echo "kafka-cluster: KAFKA_BROKERS=$(brokers)"
}

kill_node() {
  local n
  n=$(node_number "${1:-}")
  if ! running "$n"; then echo "kafka-cluster: node $n is not running" >&2; exit 1; fi
  local pid
  pid=$(cat "$(pid_file "$n")")
  kill -9 "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  rm -f "$(pid_file "$n")"
  echo "kafka-cluster: node $n killed (pid $pid, SIGKILL)"
}

revive() {
  local n
  n=$(node_number "${1:-}")
  require
  if running "$n"; then echo "kafka-cluster: node $n is already running (pid $(cat "$(pid_file "$n")"))"; return; fi
  if [ ! -f "$(node_dir "$n")/data/meta.properties" ]; then echo "kafka-cluster: node $n was never formatted; run start" >&2; exit 1; fi
  launch "$n"
  wait_up "$n"
}

# Every node is asked to stop at once, so the quorum stays until the brokers have shut down; a node that has not
# exited after 30 s (the last one cannot reach a controller majority) is killed.
stop() {
  local pids=()
  for n in "${nodes[@]}"; do
    if running "$n"; then
      pids+=("$(cat "$(pid_file "$n")")")
      kill "$(cat "$(pid_file "$n")")"
    fi
  done
  for _ in $(seq 1 60); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for n in "${nodes[@]}"; do rm -f "$(pid_file "$n")"; done
  [ ${#pids[@]} -gt 0 ] && echo "kafka-cluster: stopped"
  return 0
}

status() {
  local up=0
  for n in "${nodes[@]}"; do
    local state=stopped
    if running "$n" && answers "$n"; then state="up (pid $(cat "$(pid_file "$n")"))"; up=$((up + 1))
    elif running "$n"; then state="starting (pid $(cat "$(pid_file "$n")"))"; fi
    echo "node $n  127.0.0.1:$(port_of "$n")  controller 127.0.0.1:$(controller_port_of "$n")  $state"
  done
  [ $up -eq 3 ]
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; rm -rf "$run_dir" ;;
  kill) kill_node "${2:-}" ;;
  revive) revive "${2:-}" ;;
  brokers) brokers ;;
  *) echo "usage: $0 start|stop|status|reset|kill N|revive N|brokers" >&2; exit 2 ;;
esac
