#!/bin/sh
# keepalived vrrp_script for siplb: exit 0 when the siplb of this node is alive and serving SIP.
#
#   check-siplb.sh VIP [PORT] [TIMEOUT_MS] [ADMIN]
#   e.g. check-siplb.sh 10.0.0.100 5060 400 127.0.0.1:8060
#
# 1. A process holds siplb's SIP socket on VIP:PORT (with net.ipv4.ip_nonlocal_bind=1 it is bound
#    on both nodes, also where the VIP is not) and that process is not stopped (SIGSTOP, cgroup
#    freezer) or a zombie. A crashed siplb has no socket, so this fails at once.
# 2. Where the VIP is on this node, siplb must answer a SIP OPTIONS sent to VIP:PORT within
#    TIMEOUT_MS (default 400; any response counts: siplb answers OPTIONS addressed to itself).
#    A hung event loop fails here. On the standby an OPTIONS to the VIP would reach the other
#    node, so this step only runs where the VIP is.
# 3. With ADMIN (host:port of siplb's admin API), GET /healthz must answer 200 within 1 s, on
#    every node: this is what catches a hung siplb on the standby, whose socket is still bound.
#    Without it, a standby is judged by steps 1 only.
#
# Used with `weight 0`: one failure puts the VRRP instance in FAULT and the VIP moves.
set -u
VIP=${1:?usage: check-siplb.sh VIP [PORT] [TIMEOUT_MS] [ADMIN]}
PORT=${2:-5060}
TIMEOUT_MS=${3:-400}
ADMIN=${4:-}
HERE=$(dirname "$0")

fail() {
    echo "check-siplb: $*" >&2
    exit 1
}

case "$VIP" in *:*) SOCK="[$VIP]:$PORT" ;; *) SOCK="$VIP:$PORT" ;; esac
SOCKETS=$(ss -Hlunp "src $SOCK" 2>/dev/null)
[ -n "$SOCKETS" ] || fail "no UDP socket bound on $SOCK (siplb not running?)"
for PID in $(echo "$SOCKETS" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    # Field 3 of /proc/PID/stat, after "(comm) ": R/S/D run or wait; T/t stopped; Z zombie.
    STATE=$(sed 's/.*) //' "/proc/$PID/stat" 2>/dev/null | cut -d' ' -f1)
    case "$STATE" in
        T|t|Z|X) fail "the process holding $SOCK (pid $PID) is in state $STATE" ;;
    esac
done
if [ -n "$(ip -o addr show to "$VIP" 2>/dev/null)" ]; then
    node "$HERE/sip-ping.mjs" "$VIP" "$PORT" "$TIMEOUT_MS" || fail "no SIP answer on $SOCK"
fi
if [ -n "$ADMIN" ]; then
    curl -fsS -m 1 -o /dev/null "http://$ADMIN/healthz" || fail "GET http://$ADMIN/healthz failed"
fi
exit 0
