#!/usr/bin/env bash
# Runs the load test (hub vs nats-server vs mosquitto). Arguments go to the program, e.g.:
#   benchmarks/Meowstik.LoadTest/run.sh                 the full run (~10 s per scenario, 10,000 idle connections)
#   benchmarks/Meowstik.LoadTest/run.sh --short         the CI run
#   benchmarks/Meowstik.LoadTest/run.sh --only p2p --systems hub,nats
# Installs the brokers (Debian packages) when they are missing, and raises the open-files limit as far as allowed:
# every idle connection holds one descriptor in this process and one in the server.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! PATH="$PATH:/usr/sbin:/sbin" command -v nats-server >/dev/null 2>&1 || ! PATH="$PATH:/usr/sbin:/sbin" command -v mosquitto >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server mosquitto >/dev/null
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec dotnet run -c Release --project benchmarks/Meowstik.LoadTest -- "$@"
