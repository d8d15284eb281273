#!/bin/bash
# A one-node SLURM cluster on 127.0.0.1 for the sweep tests (Debian's slurm-wlm and munge; no accounting database,
# no cgroups; as root or as any user). Everything lives in DIR: the munge key and socket, slurm.conf, state, spool and logs.
#   scripts/slurm-test-cluster.sh start DIR   start munged, slurmctld and slurmd; wait until the node is idle;
#                                             print SLURM_CONF=DIR/slurm.conf (export it for sbatch/squeue)
#   scripts/slurm-test-cluster.sh stop DIR    stop the three daemons (by their pid files) and remove nothing else
# Ports: SLURM_TEST_PORT (default 16817) for slurmctld, +1 for slurmd.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi
port=${SLURM_TEST_PORT:-16817}

stop() {
  for name in slurmd slurmctld munged; do
    local pidfile="$dir/$name.pid"
    [[ -f "$pidfile" ]] || continue
    local pid; pid=$(cat "$pidfile" 2>/dev/null || true)
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [[ "$cmd" == stop ]]; then stop; exit 0; fi
if [[ "$cmd" != start ]]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi
for exe in munged mungekey slurmctld slurmd sbatch squeue; do
  command -v "$exe" >/dev/null || { echo "$exe not found: apt-get install slurm-wlm munge" >&2; exit 3; }
done
mkdir -p "$dir"/{state,spool,munge}
chmod 700 "$dir/munge"
user=$(id -un)
rm -f "$dir/munge/munge.key"
mungekey --create --keyfile="$dir/munge/munge.key" 2>/dev/null || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed"

cat > "$dir/slurm.conf" <<CONF
ClusterName=lowranktest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=$user
SlurmdUser=$user
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -c -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 150); do
  if sinfo -h -o '%t' 2>/dev/null | grep -q '^idle'; then echo "SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 0.2
done
echo "the test cluster did not come up within 30 s; logs in $dir" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" "$dir/munged.log" >&2 || true
stop
exit 1
