#!/usr/bin/env bash
# The benchmark, end to end: installs wrk if missing, builds the binaries,
# then runs bench/harness.py (arguments pass through; see bench/README.md).
#   bench/run.sh            the full run: writes bench/RESULTS.md
#   bench/run.sh --smoke    tiny data, seconds per run, report thrown away
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian package)" >&2
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi

profile=release
peers=yes
for arg in "$@"; do
  [ "$arg" = "--smoke" ] && profile=debug && peers=no
  [ "$arg" = "--no-peers" ] && peers=no
done
if [ "$peers" = yes ]; then
  # PostGraphile v5 and the Node 22 it needs, both pinned by package-lock.json.
  (cd bench/peers/postgraphile && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p ogp-pulse -p ogp-pulse-bench
else
  cargo build --locked -q -p ogp-pulse -p ogp-pulse-bench
fi
exec python3 bench/harness.py --profile "$profile" "$@"
