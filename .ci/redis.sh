#!/usr/bin/env bash
# Installs redis-server (Debian's package) for the cache/redis module's
# tests, which start their own server on 127.0.0.1 with a random port.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "redis-server is missing and installing it needs root: apt-get install redis-server" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's own service is not used (policy-rc.d may refuse to start
  # it in a container); the tests start their own server.
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
redis-server --version
