#!/usr/bin/env bash
# Runs every test of tsvs on a fresh Debian machine: installs what the tests
# need (system packages as root, npm packages), builds, then runs vitest.
# End-to-end tests that need root and network namespaces skip with a reason
# when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
npm run build --silent
exec npx vitest run "$@"
