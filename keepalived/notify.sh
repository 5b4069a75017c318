#!/bin/sh
# keepalived notify script for siplb: logs every VRRP state change of the VIP instance.
#
#   notify "/etc/keepalived/notify.sh [LOGFILE]"        (in the vrrp_instance)
#
# keepalived appends four arguments: TYPE (INSTANCE|GROUP) NAME STATE (MASTER|BACKUP|FAULT|STOP)
# PRIORITY. One line goes to syslog (tag siplb-vrrp) and is appended to LOGFILE (default
# /var/log/siplb/vrrp.log), with a UTC timestamp in milliseconds. Never fails: a notify script
# must not hold keepalived up.
LOG=/var/log/siplb/vrrp.log
if [ $# -gt 4 ]; then LOG=$1; shift; fi
TYPE=${1:-?} NAME=${2:-?} STATE=${3:-?} PRIO=${4:-?}
LINE="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $TYPE $NAME -> $STATE priority=$PRIO"
command -v logger >/dev/null 2>&1 && logger -t siplb-vrrp -- "$LINE" 2>/dev/null
echo "$LINE" >> "$LOG" 2>/dev/null
exit 0
