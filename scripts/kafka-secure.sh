#!/usr/bin/env bash
# A second single-node KRaft broker, from the same jars as scripts/kafka-local.sh, whose clients must use TLS:
#   SASL_SSL on 127.0.0.1:9094 (SCRAM-SHA-256 and SCRAM-SHA-512, user "omnia")
#   SSL      on 127.0.0.1:9096 (a client certificate signed by the run dir's CA is required)
#   its controller on 127.0.0.1:9095 (loopback, PLAINTEXT, for the broker itself)
# The PLAINTEXT broker on 9092 is left as it is. Needs java and openssl (and mvn the first time, for the jars).
#
#   scripts/kafka-secure.sh start   CA and certificates, SCRAM users and the log dir made once; start; wait until up
#   scripts/kafka-secure.sh stop    stop the broker started here
#   scripts/kafka-secure.sh status  exit 0 when the SASL_SSL port answers
#   scripts/kafka-secure.sh reset   stop and delete the run dir (new CA, new passwords, a fresh cluster next start)
#
# After start, the run dir holds what a client needs: ca.pem, client.pem / client-key.pem, and the settings of
# an Omnia process in client.env (SASL_SSL) and client-ssl.env (SSL with the client certificate):
#   set -a; . .kafka-secure/client.env; set +a; node dist/bin/omnia.js start
#
# OMNIA_KAFKA_SECURE_DIR (default .kafka-secure), OMNIA_KAFKA_SASL_SSL_PORT, OMNIA_KAFKA_SSL_PORT and
# OMNIA_KAFKA_SECURE_CONTROLLER_PORT move it (tests use a temporary dir and free ports).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
run_dir=${OMNIA_KAFKA_SECURE_DIR:-$root/.kafka-secure}
jars=${OMNIA_KAFKA_DIR:-$root/.kafka}/libs
sasl_ssl_port=${OMNIA_KAFKA_SASL_SSL_PORT:-9094}
controller_port=${OMNIA_KAFKA_SECURE_CONTROLLER_PORT:-9095}
ssl_port=${OMNIA_KAFKA_SSL_PORT:-9096}
pid_file=$run_dir/broker.pid
data=$run_dir/data

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$sasl_ssl_port") 2>/dev/null; }
running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }
java_cmd() { java -Xms128m -Xmx512m -XX:+UseG1GC -Dkafka.logs.dir="$run_dir" \
  -Dlog4j2.configurationFile="$here/kafka/log4j2.yaml" -cp "$jars/*" "$@"; }

require() {
  local missing=()
  for command in java openssl; do command -v "$command" >/dev/null || missing+=("$command"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "kafka-secure: ${missing[*]} not found; install them (Debian: apt-get install default-jre-headless openssl)" >&2
    exit 3
  fi
}

# A CA, the broker's certificate (127.0.0.1 and localhost) and a client certificate, all PEM; again when expiring.
certificates() {
  if [ -f "$run_dir/broker.pem" ] && openssl x509 -checkend 86400 -noout -in "$run_dir/broker-cert.pem" >/dev/null 2>&1; then return; fi
  echo "kafka-secure: making a CA and certificates in $run_dir"
  local ssl_dir=$run_dir
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=Omnia local test CA" \
    -keyout "$ssl_dir/ca-key.pem" -out "$ssl_dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  sign() { # name subject extensions
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$ssl_dir/$1-key.pem" -out "$ssl_dir/$1.csr" 2>/dev/null
    openssl x509 -req -in "$ssl_dir/$1.csr" -CA "$ssl_dir/ca.pem" -CAkey "$ssl_dir/ca-key.pem" \
      -set_serial "0x$(openssl rand -hex 8)" -days 365 -out "$ssl_dir/$1-cert.pem" -extfile <(printf '%b' "$3") 2>/dev/null
    rm -f "$ssl_dir/$1.csr"
  }
  sign broker "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n"
  sign client "/CN=omnia-client" "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
  # Kafka's PEM key store: the (PKCS#8) key, then the certificate chain.
  cat "$ssl_dir/broker-key.pem" "$ssl_dir/broker-cert.pem" "$ssl_dir/ca.pem" >"$ssl_dir/broker.pem"
  cp "$ssl_dir/client-cert.pem" "$ssl_dir/client.pem"
  chmod 600 "$ssl_dir"/*-key.pem "$ssl_dir/broker.pem"
}

config() {
  sed -e "s#@DIR@#$run_dir#g" -e "s#@SASL_SSL_PORT@#$sasl_ssl_port#g" -e "s#@SSL_PORT@#$ssl_port#g" \
    -e "s#@CONTROLLER_PORT@#$controller_port#g" -e "s#@ADMIN_PASSWORD@#$ADMIN_PASSWORD#g" \
    "$here/kafka/server-sasl-ssl.properties" >"$run_dir/server.properties"
}

# SCRAM users are written into the cluster metadata when the log dir is formatted: no running broker needed.
format() {
  local ports="$sasl_ssl_port $ssl_port $controller_port"
  # The controller's address is part of the formatted quorum: other ports, a new cluster.
  if [ -f "$data/meta.properties" ] && [ "$(cat "$run_dir/ports" 2>/dev/null)" = "$ports" ]; then return; fi
  rm -rf "$data"
  mkdir -p "$data"
  local cluster_id
  cluster_id=$(java_cmd kafka.tools.StorageTool random-uuid)
  java_cmd kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$run_dir/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-256=[name=omnia,password=$OMNIA_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=omnia,password=$OMNIA_PASSWORD]" >/dev/null
  echo "$ports" >"$run_dir/ports"
}

client_settings() {
  cat >"$run_dir/client.env" <<EOF
KAFKA_BROKERS=127.0.0.1:$sasl_ssl_port
KAFKA_SECURITY_PROTOCOL=SASL_SSL
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USERNAME=omnia
KAFKA_SASL_PASSWORD=$OMNIA_PASSWORD
KAFKA_SSL_CA_FILE=$run_dir/ca.pem
EOF
  cat >"$run_dir/client-ssl.env" <<EOF
KAFKA_BROKERS=127.0.0.1:$ssl_port
KAFKA_SECURITY_PROTOCOL=SSL
KAFKA_SSL_CA_FILE=$run_dir/ca.pem
KAFKA_SSL_CERT_FILE=$run_dir/client.pem
KAFKA_SSL_KEY_FILE=$run_dir/client-key.pem
EOF
  chmod 600 "$run_dir/client.env"
}

start() {
  if running && answers; then echo "kafka-secure: already running (pid $(cat "$pid_file"))"; return; fi
  require
  bash "$here/kafka-local.sh" fetch
  mkdir -p "$run_dir"
  chmod 700 "$run_dir"
  if [ ! -f "$run_dir/credentials" ]; then
    printf 'ADMIN_PASSWORD=%s\nOMNIA_PASSWORD=%s\n' "$(openssl rand -hex 16)" "$(openssl rand -hex 16)" >"$run_dir/credentials"
    chmod 600 "$run_dir/credentials"
  fi
  # shellcheck disable=SC1091
  . "$run_dir/credentials"
  certificates
  config
  format
  client_settings
  : >"$run_dir/server.log"
  nohup java -Xms128m -Xmx512m -XX:+UseG1GC -Dkafka.logs.dir="$run_dir" \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.yaml" -cp "$jars/*" kafka.Kafka "$run_dir/server.properties" \
    >"$run_dir/stdout.log" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 180); do
    if answers && grep -q "Kafka Server started\|started (kafka.server" "$run_dir/server.log" 2>/dev/null; then
      echo "kafka-secure: broker up: SASL_SSL on 127.0.0.1:$sasl_ssl_port, SSL (client certificate) on 127.0.0.1:$ssl_port (pid $(cat "$pid_file")); settings in $run_dir/client.env"
      return
    fi
    if ! running; then echo "kafka-secure: broker exited; see $run_dir/stdout.log and server.log" >&2; tail -30 "$run_dir/server.log" "$run_dir/stdout.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "kafka-secure: broker did not answer within 90 s; see $run_dir/server.log" >&2; exit 1
}

stop() {
  if running; then
    pid=$(cat "$pid_file"); kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    echo "kafka-secure: stopped"
  fi
  rm -f "$pid_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  reset) stop; rm -rf "$run_dir" ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
