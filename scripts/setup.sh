#!/usr/bin/env bash
# Installs what tsvs needs on a fresh Debian machine (sourced by test.sh and
# demo.sh). System packages only as root; npm packages always.
set -euo pipefail
SYS_PKGS=(iproute2 procps nftables ethtool curl tcpdump libpcap-dev libbpf-dev clang llvm python3 make g++ iputils-ping wrk haproxy conntrack dnsmasq-base openssl keepalived chromium vsftpd lftp)
# Node comes with the machine: Debian 12's own nodejs is 18, and tsvs (vitest 4) needs 20.
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "tsvs needs Node.js >= 20 with npm (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
missing=()
for p in "${SYS_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "note: not root, so not installing: ${missing[*]} (end-to-end tests will skip)" >&2
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
