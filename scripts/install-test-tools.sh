#!/usr/bin/env bash
# Installs the outside tools the compat tests drive: kcat, kafka-python, confluent-kafka-python and Go's sarama 1.22 with
# the Go toolchain and a C compiler for its cgo zstd binding (Debian packages) and KafkaJS (npm, into tests/compat/node);
# and etcd (etcd-server, with etcdctl from etcd-client), which the Wharf.Metadata.Etcd and Wharf.Cluster tests start
# (the cluster tests also drive kcat and KafkaJS against three brokers); zsh, for `wharf completion zsh`; and chromium
# with chromium-driver, the real browser the Wharf.Console tests drive through Selenium (never a downloaded driver).
# Required under CI=true; best effort otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
/usr/bin/python3 -c 'import kafka' >/dev/null 2>&1 || need_apt+=(python3-kafka)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || need_apt+=(python3-confluent-kafka)
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
[ -d /usr/share/gocode/src/github.com/Shopify/sarama ] || need_apt+=(golang-github-shopify-sarama-dev)
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need_apt+=(etcd-client)
command -v zsh >/dev/null 2>&1 || need_apt+=(zsh)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${need_apt[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null) \
      || { [ "${CI:-}" = true ] && { echo "apt-get install ${need_apt[*]} failed" >&2; exit 1; }; }
  elif [ "${CI:-}" = true ]; then
    echo "CI needs ${need_apt[*]} but cannot install them (not root or no apt-get)" >&2
    exit 1
  fi
fi

if [ -f tests/compat/node/package.json ] && [ ! -d tests/compat/node/node_modules ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== installing KafkaJS"
    (cd tests/compat/node && npm ci --no-audit --no-fund --loglevel=error) \
      || { [ "${CI:-}" = true ] && { echo "npm ci failed" >&2; exit 1; }; }
  elif [ "${CI:-}" = true ]; then
    echo "CI needs npm for KafkaJS" >&2
    exit 1
  fi
fi
exit 0
