#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real: sipp (sip-tester) as SIP peers,
# redis-server for the leader lease, keepalived + iproute2 for the HA namespace test,
# prometheus (+ promtool) for the dashboard and alert-rule tests, tcpdump for latency captures,
# kamailio (Debian package, with tm/rr/registrar/usrloc) as real proxies behind siplb in e2e,
# chromium for the status-page test (driven by the playwright-core dev dependency, which never
# downloads a browser of its own), sipvicious (svmap, svwar) as real scanners against siplb's
# abuse protection.
# Idempotent: installs only what is missing; runs `apt-get update` once when it must install.
set -euo pipefail
declare -A want=(
  [sipp]=sip-tester
  [redis-server]=redis-server
  [keepalived]=keepalived
  [prometheus]=prometheus
  [promtool]=prometheus
  [ip]=iproute2
  [tcpdump]=tcpdump
  [kamailio]=kamailio
  [chromium]=chromium
  [svmap]=sipvicious
  [svwar]=sipvicious
)
missing=()
for cmd in "${!want[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${want[$cmd]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-test-deps: installing ${pkgs[*]}" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
fi
