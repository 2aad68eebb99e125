#!/usr/bin/env bash
# One command for trying a cluster on this machine: etcd (from PATH; installed with apt when missing and run as root)
# on 127.0.0.1:2379 and three brokers on 127.0.0.1:9092, 9093 and 9094 (node ids 1-3), all data under
# ./wharf-cluster. Ctrl+C stops the brokers (a controlled shutdown each), then etcd. Run it again to restart the same
# cluster with its data; delete ./wharf-cluster to start afresh.
#   usage: bash scripts/local-cluster.sh [BROKERS]   (default 3, at most 9)
set -euo pipefail
cd "$(dirname "$0")/.."
brokers="${1:-3}"
[[ "$brokers" =~ ^[1-9]$ ]] || { echo "usage: $0 [BROKERS 1-9]" >&2; exit 2; }
data="$PWD/wharf-cluster"
etcd_port=2379

if ! command -v etcd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing etcd-server"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
  else
    echo "etcd is not on PATH; install it (Debian: apt-get install etcd-server)" >&2
    exit 1
  fi
fi

echo "== building wharf"
dotnet build src/Wharf -c Release -nologo -v:q
wharf=(dotnet "$PWD/src/Wharf/bin/Release/net10.0/wharf.dll")

mkdir -p "$data"
pids=()
stop() {
  trap - INT TERM EXIT
  echo "== stopping"
  for pid in "${pids[@]:1}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true
  wait "${pids[0]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

setsid etcd --name wharf-local --data-dir "$data/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster wharf-local=http://127.0.0.1:2380 >"$data/etcd.log" 2>&1 &
pids+=($!)

bootstrap=()
for i in $(seq 1 "$brokers"); do
  port=$((9091 + i))
  http_port=$((9643 + i))
  # Own session: Ctrl+C reaches only this script, which then stops the brokers one by one (controlled shutdown).
  setsid "${wharf[@]}" start --set node.id="$i" --set listeners="PLAINTEXT://127.0.0.1:$port" \
    --set http.listeners="http://127.0.0.1:$http_port" --set log.dirs="$data/n$i" --set etcd.connect="127.0.0.1:$etcd_port/local" >"$data/broker-$i.log" 2>&1 &
  pids+=($!)
  bootstrap+=("127.0.0.1:$port")
done

echo "== etcd on 127.0.0.1:$etcd_port, brokers on $(IFS=,; echo "${bootstrap[*]}") (logs: $data/*.log) — Ctrl+C stops all"
echo "   metrics and health: http://127.0.0.1:9644 … :$((9643 + brokers)) (/metrics, /health/ready)"
echo "   try: kcat -b $(IFS=,; echo "${bootstrap[*]}") -L"
wait -n "${pids[@]}" || true
echo "== a process exited; stopping the rest"
