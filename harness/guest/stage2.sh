#!/bin/sh
# iqos-hil guest stage 2, PID 1 on the host's own root (read-only over 9p).
# Brings up D-Bus, the HCI monitor capture, bluetoothd and the bring-up daemon (btvirt and the
# pairing agent), waits until it reports the controllers powered, runs the job,
# and powers off. Why it is a shell script: every Python start costs seconds
# under TCG, so only the one process that needs D-Bus is Python.
#   $1  results folder (the host's path, mounted read-write over 9p)
set -u
R=$1
HERE=$(dirname "$0")
ROOT=$(cd "$HERE/../.." && pwd)
. "$R/guest.conf"   # PYTHON, READY_TIMEOUT, CONTROLLERS, CLIENTS, KERNEL_ROOT, BLUETOOTHD_OPTIONS: written by the host runner

mark() { echo "iqos-guest: $1 $(cut -d' ' -f1 /proc/uptime)"; }
finish() {
  if [ -n "${CAPTURE_PID:-}" ]; then
    # TERM: a non-interactive shell starts background jobs with SIGINT ignored.
    kill -TERM "$CAPTURE_PID" && wait "$CAPTURE_PID"
    cp /run/monitor.pcap "$R/monitor.pcap"  # the host turns it into btmon.snoop
  fi
  sync
  mark poweroff
  /bin/busybox reboot -f
}
fail() {
  echo "$1" > "$R/setup_failed"
  echo "iqos-guest: FATAL $1"
  finish
}

mkdir -p /run/dbus /tmp/home
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
hostname iqos-guest 2>/dev/null

# The host has no tree for the guest's kernel in /lib/modules, so the kernel's
# on-demand loads (AF_ALG for btvirt, cmac and ecdh for SMP) go through a
# modprobe pointed at the cached, depmod'ed package.
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$KERNEL_ROOT" > /run/modprobe
chmod 0755 /run/modprobe
echo /run/modprobe > /proc/sys/kernel/modprobe
/run/modprobe -a bluetooth hci_vhci || fail "modprobe bluetooth hci_vhci"
mark modules-bluetooth

dbus-daemon --system --fork --nopidfile || fail "dbus-daemon did not start"
mark dbus

# The HCI monitor (both controllers, HCI and mgmt) is recorded by tcpdump, which
# copies packets: btmon -w also decodes every packet it writes, and that was a
# fifth of the guest's CPU in the bluez lane. The file is on tmpfs and copied at
# the end: on the 9p share each packet is a synchronous round trip to the host,
# and the capture fell behind and lost its tail at power-off. -U writes each
# packet at once, for the bluez target, which cuts its evidence from the live file.
tcpdump -i bluetooth-monitor -U -Z root -w /run/monitor.pcap > /dev/null 2>&1 &
CAPTURE_PID=$!

cd "$ROOT" || fail "cannot enter $ROOT"
PYTHONPATH="$ROOT" PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m harness.guest.bringup \
  --results "$R" --controllers "$CONTROLLERS" --clients "$CLIENTS" --timeout "$READY_TIMEOUT" > "$R/bringup.log" 2>&1 &
BRINGUP_PID=$!
# shellcheck disable=SC2086  # the options are words
/usr/libexec/bluetooth/bluetoothd -f "$ROOT/harness/guest/main.conf" $BLUETOOTHD_OPTIONS \
  > "$R/bluetoothd.log" 2>&1 &
mark bluetoothd-started

# bringup writes guest.env once both controllers are powered on D-Bus, or dies
# with its reason in bringup.log; its own timeout bounds this wait.
while [ ! -e "$R/guest.env" ]; do
  kill -0 "$BRINGUP_PID" 2>/dev/null || fail "bring-up failed, see $R/bringup.log"
  sleep 0.2
done
. "$R/guest.env"
mark ready

mark job-start
# The bluez target cuts each scenario's evidence from this live capture.
export IQOS_BLUEZ_BTMON=/run/monitor.pcap
sh "$R/job.sh" > "$R/stdout.txt" 2> "$R/stderr.txt"
echo $? > "$R/exit_code"
mark job-end
finish
