#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real: sipp (sip-tester) as SIP peers,
# redis-server (+ redis-cli) for the leader lease, keepalived + iproute2 (ip, ss) + curl for the
# HA namespace test, prometheus (+ promtool) for the dashboard and alert-rule tests,
# systemd-analyze for the unit-file check, tcpdump for latency captures, kamailio (Debian
# package, with tm/rr/registrar/usrloc) as real proxies and registrars behind siplb in e2e,
# chromium for the status-page and browser (JsSIP) tests (driven by the playwright-core dev
# dependency, which never downloads a browser of its own), sipvicious (svmap, svwar) as real scanners against siplb's
# abuse protection, openssl (the CLI makes throwaway certificates and s_client is a real TLS peer
# for the TLS transport tests), dnsmasq (package dnsmasq-base: the binary only, no system service
# that would start a DNS server on port 53) as the real DNS server of the DNS-backend tests, which
# run it on a high loopback port.
# abuse protection; g++, make and python3 for node-gyp, which builds the native UDP accelerator
# (npm run build:native, run by scripts/test.sh).
# Every command a test spawns is listed here: under CI=true a test that cannot run fails the
# run (scripts/vitest-summary.mjs), so a missing tool shows up as a failure, never a skip.
# Idempotent: installs only what is missing; runs `apt-get update` once when it must install.
set -euo pipefail
declare -A want=(
  [sipp]=sip-tester
  [redis-server]=redis-server
  [redis-cli]=redis-tools
  [curl]=curl
  [ss]=iproute2
  [systemd-analyze]=systemd
  [keepalived]=keepalived
  [prometheus]=prometheus
  [promtool]=prometheus
  [ip]=iproute2
  [tcpdump]=tcpdump
  [kamailio]=kamailio
  [chromium]=chromium
  [svmap]=sipvicious
  [svwar]=sipvicious
  [dnsmasq]=dnsmasq-base
  [openssl]=openssl
  [g++]=g++
  [make]=make
  [python3]=python3
)
# Packages that bring no command of their own: Kamailio's tls module (the TLS backend tests run
# Kamailio as a TLS 1.3 server) and its websocket module (the browser tests' registrar is a
# WebSocket edge itself, test/helpers/kamailio-registrar.ts).
modules=(kamailio-tls-modules kamailio-websocket-modules)
missing=()
for cmd in "${!want[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${want[$cmd]}")
done
for pkg in "${modules[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-test-deps: installing ${pkgs[*]}" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
fi
# Say so when a package installed but its command still is not on PATH (renamed package, PATH).
still=()
for cmd in "${!want[@]}"; do command -v "$cmd" >/dev/null 2>&1 || still+=("$cmd"); done
for pkg in "${modules[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || still+=("$pkg")
done
if [ "${#still[@]}" -gt 0 ]; then
  echo "install-test-deps: still missing after install: ${still[*]}" >&2
  exit 1
fi
