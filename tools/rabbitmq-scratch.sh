#!/usr/bin/env bash
# Starts or stops a scratch RabbitMQ node that listens on 127.0.0.1 only, for tests and development.
#
#   tools/rabbitmq-scratch.sh start DIR   starts the node and prints its AMQP URI once it is ready
#   tools/rabbitmq-scratch.sh stop DIR    stops the node and the epmd it started
#
# The AMQP, distribution and epmd ports default to 55672, 55673 and 55674 (set RSCURATE_RABBITMQ_PORT,
# RSCURATE_RABBITMQ_DIST_PORT, RSCURATE_RABBITMQ_EPMD_PORT). They differ from the standard 5672, 25672 and
# 4369, so the node neither joins nor stops another node or epmd on this machine. As root, the server runs as
# the rabbitmq user, because its Erlang cookie and data must belong to that user.
set -euo pipefail

command=${1:?usage: rabbitmq-scratch.sh start|stop DIR}
dir=${2:?usage: rabbitmq-scratch.sh start|stop DIR}
amqp_port="${RSCURATE_RABBITMQ_PORT:-55672}"
dist_port="${RSCURATE_RABBITMQ_DIST_PORT:-55673}"
epmd_port="${RSCURATE_RABBITMQ_EPMD_PORT:-55674}"

as_rabbitmq() {
  local env=(
    RABBITMQ_NODENAME=rabbit@localhost
    ERL_EPMD_ADDRESS=127.0.0.1
    ERL_EPMD_PORT="$epmd_port"
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$dir/mnesia"
    RABBITMQ_LOG_BASE="$dir/log"
    RABBITMQ_DIST_PORT="$dist_port"
    RABBITMQ_PID_FILE="$dir/rabbit.pid"
  )
  if [ "$(id -u)" -eq 0 ]; then
    # The Erlang cookie of the server and of rabbitmqctl is the one in the rabbitmq user's home.
    runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq "${env[@]}" "$@"
  else
    env "${env[@]}" "$@"
  fi
}

case "$command" in
  start)
    rm -rf "$dir"
    mkdir -p "$dir/mnesia" "$dir/log"
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$amqp_port
distribution.listener.interface = 127.0.0.1
distribution.listener.port_range.min = $dist_port
distribution.listener.port_range.max = $dist_port
loopback_users.guest = true
CONF
    echo "[]." >"$dir/enabled_plugins"
    if [ "$(id -u)" -eq 0 ]; then chown -R rabbitmq:rabbitmq "$dir"; fi
    as_rabbitmq rabbitmq-server -detached >"$dir/start.log" 2>&1
    # The detached server registers with epmd only after a few seconds: wait for its pid file first.
    if ! as_rabbitmq rabbitmqctl -q wait --timeout 60 "$dir/rabbit.pid" >>"$dir/start.log" 2>&1 \
      || ! as_rabbitmq rabbitmqctl -q --timeout 60 await_startup >>"$dir/start.log" 2>&1; then
      cat "$dir/start.log" >&2
      cat "$dir"/log/*.log >&2 2>/dev/null || true
      exit 1
    fi
    echo "amqp://guest:guest@127.0.0.1:$amqp_port/"
    ;;
  stop)
    as_rabbitmq rabbitmqctl -q stop >/dev/null 2>&1 || true
    as_rabbitmq epmd -kill >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: rabbitmq-scratch.sh start|stop DIR" >&2
    exit 2
    ;;
esac
