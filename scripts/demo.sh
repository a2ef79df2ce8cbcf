#!/usr/bin/env bash
# The README's main command: on a fresh Debian machine, as root, installs what
# tsvs needs, builds it, and runs `tsvs demo` (a NAT lab in network namespaces,
# the router forwarding real HTTP traffic, live figures, then teardown).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "tsvs demo builds network namespaces: run it as root (sudo $0)" >&2
  exit 1
fi
. scripts/setup.sh
npm run build --silent
exec node dist/src/cli/main.js demo "$@"
