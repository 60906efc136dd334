#!/usr/bin/env bash
# Installs everything Breakwater needs on Debian 12 with Node 20, as root, then builds it.
#   bash scripts/setup.sh        runtime: BGP daemons, nftables, npm packages, build
#   bash scripts/setup.sh --dev  also the test and benchmark peers (pmacct, tshark, fastnetmon, frr, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

step() { printf '[setup] %s\n' "$*"; }

# nftables/iptables: Tier 1 local filtering (and its agent); openssl: the agent API's self-signed certificate.
runtime_pkgs=(bird2 exabgp gobgpd frr nftables iptables iproute2 libcap2-bin openssl)
dev_pkgs=(pmacct tshark tcpreplay faketime fastnetmon python3-scapy linux-perf procps chromium)

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  pkgs=("${runtime_pkgs[@]}")
  [ $dev = 1 ] && pkgs+=("${dev_pkgs[@]}")
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    step "Debian packages already present"
  fi
  # Debian's packages enable their own daemons; Breakwater supervises BIRD/ExaBGP/GoBGP itself and the
  # test peers are started by the tests, so keep the packaged services from holding sockets and ports.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for s in bird exabgp gobgpd fastnetmon frr pmacctd sfacctd; do
      systemctl disable --now "$s" >/dev/null 2>&1 || true
    done
  fi
else
  step "not root or no apt-get: skipping Debian packages"
fi

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error
step "build"
npm run build --silent
step "done"
