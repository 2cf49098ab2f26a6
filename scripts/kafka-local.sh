#!/usr/bin/env bash
# A single-node KRaft Kafka broker from Apache Kafka's own jars (Maven Central), on 127.0.0.1 only.
#   scripts/kafka-local.sh start   fetch jars (cached by Maven), format the log dir once, start, wait until it answers
#   scripts/kafka-local.sh stop    stop the broker started here
#   scripts/kafka-local.sh status  exit 0 when the broker answers
#   scripts/kafka-local.sh reset   stop and delete the log dir (a fresh cluster next start)
#   scripts/kafka-local.sh fetch   only resolve the jars (scripts/kafka-secure.sh uses them too)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
run_dir=${OMNIA_KAFKA_DIR:-$root/.kafka}
jars=$run_dir/libs
data=$run_dir/data
pid_file=$run_dir/broker.pid
port=9092

java_cmd() { java -Xms256m -Xmx768m -XX:+UseG1GC -Dkafka.logs.dir="$run_dir" \
  -Dlog4j2.configurationFile="$here/kafka/log4j2.yaml" -cp "$jars/*" "$@"; }

fetch() {
  if [ -f "$jars/.complete" ]; then return; fi
  echo "kafka-local: resolving broker jars from Maven Central"
  mkdir -p "$jars"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$jars" -DincludeScope=runtime
  touch "$jars/.complete"
}

answers() { (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; }

running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

start() {
  if running && answers; then echo "kafka-local: already running (pid $(cat "$pid_file"))"; return; fi
  # A broker started from another checkout already serves this port: use it rather than fail to bind.
  if answers; then echo "kafka-local: a broker already answers on 127.0.0.1:$port; using it"; return; fi
  fetch
  if [ ! -f "$data/meta.properties" ]; then
    mkdir -p "$data"
    cluster_id=$(java_cmd kafka.tools.StorageTool random-uuid)
    java_cmd kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c <(sed "s#^log.dirs=.*##" "$here/kafka/server.properties"; echo "log.dirs=$data") >/dev/null
  fi
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Dkafka.logs.dir="$run_dir" \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.yaml" -cp "$jars/*" kafka.Kafka \
    <(sed "s#^log.dirs=.*##" "$here/kafka/server.properties"; echo "log.dirs=$data") \
    >"$run_dir/stdout.log" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 120); do
    if answers && grep -q "Kafka Server started\|started (kafka.server" "$run_dir/server.log" 2>/dev/null; then
      echo "kafka-local: broker up on 127.0.0.1:$port (pid $(cat "$pid_file"))"; return
    fi
    if ! running; then echo "kafka-local: broker exited; see $run_dir/stdout.log and server.log" >&2; tail -30 "$run_dir/stdout.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "kafka-local: broker did not answer within 60 s; see $run_dir/server.log" >&2; exit 1
}

stop() {
  if running; then
    pid=$(cat "$pid_file"); kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    echo "kafka-local: stopped"
  fi
  rm -f "$pid_file"
}

case "${1:-}" in
  start) start ;;
  fetch) fetch ;;
  stop) stop ;;
  status) answers ;;
  reset) stop; rm -rf "$data" ;;
  *) echo "usage: $0 start|fetch|stop|status|reset" >&2; exit 2 ;;
esac
