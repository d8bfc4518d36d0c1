#!/usr/bin/env bash
# A single-node SLURM cluster for the tests, in its own folder: its own munge
# key and socket, its own ports, state, spool and log folders, and a slurm.conf
# that runs on a plain machine or container (no cgroups: proctrack/linuxproc,
# task/none, select/cons_tres). munged, slurmctld and slurmd run as root.
#
# Usage: bash scripts/slurm-test-cluster.sh start|stop|status|env
#   start   starts the cluster (a no-op when it already runs), waits until
#           `sinfo` shows the node idle, then prints the environment clients
#           need (SLURM_CONF=…) as `export` lines on stdout.
#   stop    cancels every job of the cluster, stops the daemons and any job
#           process left, and leaves nothing running. Safe when not running.
#   status  exit 0 with `sinfo` when it runs, 1 otherwise.
#   env     prints the export lines without starting anything.
# Settings (environment):
#   MODELLAB_SLURM_DIR   the cluster's folder (default: /tmp/modellab-slurm)
#   MODELLAB_SLURM_PORT  slurmctld's port; slurmd uses the next (default 16817)
# Needs Debian's slurm-wlm and munge: bash scripts/install-test-deps.sh
set -euo pipefail

DIR="${MODELLAB_SLURM_DIR:-/tmp/modellab-slurm}"
PORT="${MODELLAB_SLURM_PORT:-16817}"
NODE_NAME="$(hostname -s)"
CONF="$DIR/etc/slurm.conf"
MUNGE_SOCKET="$DIR/munge/munge.socket"
log() { printf '[slurm-test-cluster] %s\n' "$*" >&2; }

print_env() {
  printf 'export SLURM_CONF=%q\n' "$CONF"
  printf 'export MODELLAB_SLURM_DIR=%q\n' "$DIR"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

running() {
  pid_alive "$DIR/run/munged.pid" && pid_alive "$DIR/run/slurmctld.pid" && pid_alive "$DIR/run/slurmd.pid"
}

node_state() { SLURM_CONF="$CONF" sinfo --noheader --nodes="$NODE_NAME" --format='%t' 2>/dev/null | head -n 1 || true; }

write_config() {
  local cpus mem_mb
  cpus="$(nproc)"
  # What SLURM may hand out: most of the machine's memory, in MB.
  mem_mb="$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)"
  cat > "$CONF" <<EOF
# Written by scripts/slurm-test-cluster.sh for Model Lab's tests.
ClusterName=modellab-test
SlurmctldHost=$NODE_NAME(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# Ended jobs stay visible to squeue for 10 minutes (there is no accounting database).
MinJobAge=600
KillWait=5
SlurmdTimeout=60
InactiveLimit=0
NodeName=$NODE_NAME NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$NODE_NAME Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  for bin in munged slurmctld slurmd sinfo; do
    command -v "$bin" >/dev/null || { log "$bin not found: install Debian's slurm-wlm and munge (bash scripts/install-test-deps.sh)"; exit 1; }
  done
  if running; then
    log "already running in $DIR"
  else
    [[ $(id -u) -eq 0 ]] || { log "the test cluster's daemons run as root; run this as root"; exit 1; }
    stop_daemons
    rm -rf "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
    mkdir -p "$DIR/etc" "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
    chmod 700 "$DIR/munge"
    if [[ ! -f "$DIR/etc/munge.key" ]]; then
      head -c 1024 /dev/urandom > "$DIR/etc/munge.key"
      chmod 400 "$DIR/etc/munge.key"
    fi
    write_config
    munged --force --key-file="$DIR/etc/munge.key" --socket="$MUNGE_SOCKET" \
      --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
    SLURM_CONF="$CONF" slurmctld -f "$CONF" -i
    SLURM_CONF="$CONF" slurmd -f "$CONF" -N "$NODE_NAME"
  fi
  # Until the node reports idle (or mixed/allocated when jobs already run).
  local state=''
  for _ in $(seq 1 120); do
    state="$(node_state)"
    case "$state" in
      idle | mix | alloc) break ;;
      down* | drain* | drng*)
        SLURM_CONF="$CONF" scontrol update NodeName="$NODE_NAME" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  case "$state" in
    idle | mix | alloc) log "node $NODE_NAME is $state (SLURM_CONF=$CONF)" ;;
    *)
      log "the node did not come up (state: ${state:-none}); logs in $DIR/log:"
      tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 2>/dev/null || true
      exit 1 ;;
  esac
  print_env
}

# Kills the process in a pid file and waits until it is gone.
stop_pid_file() {
  local file="$1" pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# Job processes started by this cluster: their environment names its slurm.conf.
job_pids() {
  local f pid
  for f in /proc/[0-9]*/environ; do
    pid="${f#/proc/}"; pid="${pid%/environ}"
    [[ "$pid" == "$$" ]] && continue
    if tr '\0' '\n' 2>/dev/null < "$f" | grep -qxF "SLURM_CONF=$CONF"; then
      # Not this script's own callers (a test run that exported SLURM_CONF): only processes under slurmstepd.
      if [[ -n "$(tr '\0' '\n' 2>/dev/null < "$f" | grep -x 'SLURM_JOB_ID=[0-9]*' || true)" ]]; then echo "$pid"; fi
    fi
  done
}

stop_daemons() {
  stop_pid_file "$DIR/run/slurmd.pid"
  stop_pid_file "$DIR/run/slurmctld.pid"
  stop_pid_file "$DIR/run/munged.pid"
}

stop() {
  if pid_alive "$DIR/run/slurmctld.pid"; then
    SLURM_CONF="$CONF" scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 1 100); do
      [[ -z "$(SLURM_CONF="$CONF" squeue --noheader --states=RUNNING,COMPLETING,PENDING,CONFIGURING,SUSPENDED 2>/dev/null)" ]] && break
      sleep 0.2
    done
  fi
  stop_daemons
  local left
  left="$(job_pids | tr '\n' ' ')"
  if [[ -n "${left// /}" ]]; then
    log "stopping job processes left: $left"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
  fi
  # slurmstepd outlives slurmd; it runs from the cluster's spool folder.
  for f in /proc/[0-9]*/cmdline; do
    if tr '\0' ' ' 2>/dev/null < "$f" | grep -q '^slurmstepd'; then
      local pid="${f#/proc/}"; pid="${pid%/cmdline}"
      if [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" == "$DIR"/spool/* ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  done
  log "stopped ($DIR)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if running; then SLURM_CONF="$CONF" sinfo; exit 0; fi
    log "not running ($DIR)"; exit 1 ;;
  env) print_env ;;
  *) log "usage: $0 start|stop|status|env"; exit 2 ;;
esac
