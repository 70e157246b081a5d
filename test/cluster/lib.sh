# shellcheck shell=bash disable=SC2034  # (settings are used by the scripts that source this file)
# Settings and helpers shared by ./up, ./down and ./smoke. Sourced, never executed.
# Every setting can be overridden with the environment variables listed in README.md.

# ---------------------------------------------------------------- versions --
K8S_VERSION=${K8S_LAB_K8S_VERSION:-1.37.2}
K8S_VERSION=${K8S_VERSION#v}
[[ $K8S_VERSION =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || { echo "K8S_LAB_K8S_VERSION=$K8S_VERSION is not a version such as 1.37.2" >&2; exit 2; }
K8S_MINOR=${BASH_REMATCH[1]}
STAGING_VERSION=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}   # k8s.io/api & co. are tagged v0.<minor>.<patch>
ETCD_VERSION=${K8S_LAB_ETCD_VERSION:-v3.6.16}
CONTAINERD_VERSION=${K8S_LAB_CONTAINERD_VERSION:-v2.2.9}
RUNC_VERSION=${K8S_LAB_RUNC_VERSION:-v1.3.7}
FEATURE_GATES=${K8S_LAB_FEATURE_GATES:-}
COREDNS_VERSION=${K8S_LAB_COREDNS_VERSION:-v1.15.0}
LOCAL_PATH_VERSION=${K8S_LAB_LOCAL_PATH_VERSION:-v0.0.30}

# ------------------------------------------------------------------ places --
CACHE=${K8S_LAB_CLUSTER_CACHE:-/var/cache/k8s-lab-cluster}   # survives `down`: builds, images, Go caches
STATE=${K8S_LAB_CLUSTER_STATE:-/var/lib/k8s-lab-cluster}     # the running cluster: certs, etcd, logs
RUNDIR=/run/k8s-lab-cluster                                  # containerd's sockets and runtime state
BIN=$CACHE/v$K8S_VERSION/bin          # kube-* and kubectl of this version
RUNTIME_BIN=$CACHE/runtime/bin        # etcd, containerd, its shim, ctr, runc (shared by every version)
IMAGES=$CACHE/images
ADDONS_BIN=$CACHE/addons/bin          # coredns and local-path-provisioner (shared by every version)
GO_CACHE_DIR=$CACHE/go                # GOMODCACHE and GOCACHE of the builds
PKI=$STATE/pki
LOGS=$STATE/logs
PIDS=$STATE/run
CONF=$STATE/config
KUBECONFIG_PATH=$STATE/admin.kubeconfig
HOSTPATH_DIR=/tmp/hostpath_pv        # the in-tree host-path provisioner's fixed folder (StorageClass `hostpath`)
LOCAL_PATH_DIR=$STATE/local-path     # node-local volumes (StorageClass `standard`): a folder per node

K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
RUNTIME_COMPONENTS=(etcd containerd containerd-shim-runc-v2 ctr runc)
PAUSE_IMAGE=localhost/k8s-lab/pause:3.10
PYTHON_IMAGE=localhost/k8s-lab/python:3-bookworm
COREDNS_IMAGE=localhost/k8s-lab/coredns:$COREDNS_VERSION
LOCAL_PATH_IMAGE=localhost/k8s-lab/local-path-provisioner:$LOCAL_PATH_VERSION

CONTAINERD_SOCK=$RUNDIR/containerd/containerd.sock
NODE_NAME=${K8S_LAB_NODE_NAME:-k8s-lab-node}       # node 1, the control-plane node
WORKER_NAME=${K8S_LAB_WORKER_NAME:-k8s-lab-worker}  # nodes 2, 3, …: k8s-lab-worker, k8s-lab-worker2, …
NODES=${K8S_LAB_NODES:-3}
MAX_NODES=9
[[ $NODES =~ ^[1-9]$ ]] || { echo "K8S_LAB_NODES=$NODES is not a node count from 1 to $MAX_NODES" >&2; exit 2; }
API_PORT=${K8S_LAB_API_PORT:-6443}
ETCD_PORT=${K8S_LAB_ETCD_PORT:-12379}      # not 2379: a system etcd may own that
POD_CIDR=${K8S_LAB_POD_CIDR:-10.244.0.0/16}
SERVICE_CIDR=${K8S_LAB_SERVICE_CIDR:-10.96.0.0/16}
CNI_NETWORK=k8s-lab
WAIT_TIMEOUT=${K8S_LAB_WAIT_TIMEOUT:-240}   # seconds for each readiness step

# Daemons of the control-plane node in start order; the workers' are kubelet@<node> and containerd@<node>.
DAEMONS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

# ----------------------------------------------------------------- helpers --
log()  { printf '[k8s-lab-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[k8s-lab-cluster %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[k8s-lab-cluster %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

require_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo -E $0)"; }

ctr_() { "$RUNTIME_BIN/ctr" --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
kubectl_() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# Run "$@" until it succeeds or $1 seconds have passed.
wait_for() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { warn "timed out after ${timeout}s waiting for: $what"; return 1; }
    sleep 1
  done
}

# The pid in $PIDS/<name>.pid, if it is alive and still runs the daemon's binary (kubelet@node runs kubelet).
daemon_pid() {
  local name=$1 pidfile=$PIDS/$1.pid pid exe
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ $(basename "${exe% (deleted)}") == "${name%%@*}" ]] || return 1   # not a reused pid
  echo "$pid"
}

# Start a daemon in a session of its own (Ctrl-C or the end of a CI step does not reach it),
# logging to $LOGS/<name>.log. The wrapper writes its pid, then execs the daemon.
start_daemon() {
  local name=$1 i; shift
  mkdir -p "$LOGS" "$PIDS"
  rm -f "$PIDS/$name.pid"
  printf '\n==== %s starting: %s\n' "$(date -Is)" "$*" >>"$LOGS/$name.log"
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDS/$name.pid" "$@" \
    </dev/null >>"$LOGS/$name.log" 2>&1 9>&- &
  for i in $(seq 50); do
    daemon_pid "$name" >/dev/null && return 0
    sleep 0.1
  done
  tail -n 30 "$LOGS/$name.log" >&2
  die "$name did not start (or exited at once), see $LOGS/$name.log"
}

# SIGTERM, then SIGKILL after $2 seconds.
stop_daemon() {
  local name=$1 grace=${2:-20} pid
  if pid=$(daemon_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      warn "$name (pid $pid) did not stop in ${grace}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$PIDS/$name.pid"
}

stop_daemons() {
  local n pids=()
  for n in "$@"; do stop_daemon "$n" & pids+=($!); done
  for n in "${pids[@]}"; do wait "$n" || true; done
}

# The machine's primary IPv4 address (the node's InternalIP; never a traffic target of the tests).
detect_node_ip() {
  if [[ -n ${K8S_LAB_NODE_IP:-} ]]; then echo "$K8S_LAB_NODE_IP"; return; fi
  local ip
  ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n1)
  [[ -n $ip ]] || die "cannot find a non-loopback IPv4 address; set K8S_LAB_NODE_IP"
  echo "$ip"
}

wait_daemon() {  # wait_daemon DAEMON WHAT CMD…: until CMD succeeds; fails fast if DAEMON died
  local name=$1 what=$2; shift 2
  local deadline=$((SECONDS + WAIT_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! daemon_pid "$name" >/dev/null; then
      tail -n 40 "$LOGS/$name.log" >&2
      die "$name died while waiting for $what; see $LOGS/$name.log"
    fi
    ((SECONDS < deadline)) || { tail -n 40 "$LOGS/$name.log" >&2; die "timed out after ${WAIT_TIMEOUT}s waiting for $what; see $LOGS/$name.log"; }
    sleep 0.5
  done
}

# Phase timing: phase_begin NAME … phase_end; print_timings at the end.
PHASE_NAMES=(); PHASE_SECS=(); _PHASE_T0=0; _PHASE_NAME=""
phase_begin() { _PHASE_NAME=$1; _PHASE_T0=$(date +%s.%N); log "== $1"; }
phase_end() {
  local dt
  dt=$(awk -v a="$_PHASE_T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  PHASE_NAMES+=("$_PHASE_NAME"); PHASE_SECS+=("$dt")
  log "== $_PHASE_NAME: ${dt}s"
}
print_timings() {
  local i total=0
  printf '%s\n' "---- timings (seconds) ----" >&2
  for i in "${!PHASE_NAMES[@]}"; do
    printf '  %-34s %8s\n' "${PHASE_NAMES[$i]}" "${PHASE_SECS[$i]}" >&2
    total=$(awk -v a="$total" -v b="${PHASE_SECS[$i]}" 'BEGIN{printf "%.1f", a+b}')
  done
  printf '  %-34s %8s\n' TOTAL "$total" >&2
}

# Feature gates as the components take them ("A=true,B=false"), checked for form only.
feature_gate_flag() {
  [[ -z $FEATURE_GATES ]] && return 0
  [[ $FEATURE_GATES =~ ^[A-Za-z0-9]+=(true|false)(,[A-Za-z0-9]+=(true|false))*$ ]] ||
    die "K8S_LAB_FEATURE_GATES=$FEATURE_GATES is not of the form Gate=true,Other=false"
  echo "--feature-gates=$FEATURE_GATES"
}

# ------------------------------------------------ control-plane daemons --
# How ./up starts each daemon of the control-plane node, and how it tells that it is healthy; ./fault
# restarts them with the same command lines. etcd's data folder must exist (./up makes it afresh).
start_etcd() {
  start_daemon etcd "$RUNTIME_BIN/etcd" --name k8s-lab --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "k8s-lab=http://127.0.0.1:$((ETCD_PORT + 1))" --initial-cluster-state new \
    --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT + 2))" --log-level warn
}

start_apiserver() {  # start_apiserver NODE_IP
  local gates
  gates=$(feature_gate_flag)
  start_daemon kube-apiserver "$BIN/kube-apiserver" \
    --advertise-address="$1" --bind-address=0.0.0.0 --secure-port="$API_PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --service-cluster-ip-range="$SERVICE_CIDR" --service-node-port-range=30000-32767 \
    --allow-privileged=true --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --profiling=false --v=1 ${gates:+"$gates"}
}

start_controller_manager() {
  local gates
  gates=$(feature_gate_flag)
  start_daemon kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$PKI/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --enable-hostpath-provisioner=true \
    --profiling=false --v=1 ${gates:+"$gates"}
}

start_scheduler() {
  local gates
  gates=$(feature_gate_flag)
  start_daemon kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$PKI/scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/scheduler.kubeconfig" --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=1 ${gates:+"$gates"}
}

start_kube_proxy() { start_daemon kube-proxy "$BIN/kube-proxy" --config="$CONF/kube-proxy.yaml" --v=1; }

etcd_healthy() { curl -fs "http://127.0.0.1:$ETCD_PORT/health"; }
apiserver_ready() { curl -fs --cacert "$PKI/ca.crt" "https://127.0.0.1:$API_PORT/readyz"; }
# /healthz is always allowed without credentials on the secure ports (--authorization-always-allow-paths).
controller_manager_healthy() { curl -fsk https://127.0.0.1:10257/healthz; }
scheduler_healthy() { curl -fsk https://127.0.0.1:10259/healthz; }
kube_proxy_healthy() { curl -fs http://127.0.0.1:10256/healthz; }

# ---------------------------------------------------------------- teardown --
umount_below() {
  local dir m
  dir=$(realpath -m "$1")
  awk -v d="$dir" '{ if ($5 == d || index($5, d "/") == 1) print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || warn "could not unmount $m"
    done
}

no_running_tasks() {
  local i
  for ((i = 1; i <= MAX_NODES; i++)); do
    node_vars "$i"
    daemon_pid "$N_CONTAINERD" >/dev/null || continue
    [[ -z $(nctr tasks ls -q 2>/dev/null) ]] || return 1
  done
}

# Delete the rules of table $1 that contain the fixed string $2, and the CNI-* chains they jump to.
iptables_delete_matching() {
  local table=$1 needle=$2 rule chains=() c
  local -a words
  while IFS= read -r rule; do
    [[ $rule == -A* ]] || continue
    [[ $rule =~ -j\ (CNI-[A-Za-z0-9-]+) ]] && chains+=("${BASH_REMATCH[1]}")
    eval "words=(${rule/-A/-D})"    # iptables -S quotes comments; eval only re-reads its own output
    iptables -w -t "$table" "${words[@]}" 2>/dev/null || true
  done < <(iptables -w -t "$table" -S 2>/dev/null | grep -F -- "$needle" || true)
  for c in "${chains[@]}"; do
    iptables -w -t "$table" -F "$c" 2>/dev/null || true
    iptables -w -t "$table" -X "$c" 2>/dev/null || true
  done
}

# The KUBE-* chains of kube-proxy and the kubelet, and the jumps to them.
iptables_remove_kube_chains() {
  local ipt=$1 table rule chain chains
  local -a words
  command -v "$ipt" >/dev/null || return 0
  for table in nat filter mangle; do
    while IFS= read -r rule; do
      eval "words=(${rule/-A/-D})"
      "$ipt" -w -t "$table" "${words[@]}" 2>/dev/null || true
    done < <("$ipt" -w -t "$table" -S 2>/dev/null | grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j KUBE-' || true)
    chains=$("$ipt" -w -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}')
    for chain in $chains; do "$ipt" -w -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in $chains; do "$ipt" -w -t "$table" -X "$chain" 2>/dev/null || true; done
  done
}

cleanup_network() {
  iptables_remove_kube_chains iptables
  iptables_remove_kube_chains ip6tables
  iptables_delete_matching nat "name: \\\"$CNI_NETWORK\\\""
  iptables_delete_matching filter "name: \\\"$CNI_NETWORK\\\""
  iptables_delete_matching filter "k8s-lab-cluster"
  iptables_delete_matching nat "k8s-lab-cluster"
  local b
  for b in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 ~ /^k8slab[0-9]+$/ {print $2}'); do
    ip link delete "$b" 2>/dev/null || true
  done
  return 0
}

cleanup_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d $d ]] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

teardown() {
  local had_any=0 d i
  for d in "$PIDS"/*.pid; do [[ -f $d ]] && daemon_pid "$(basename "$d" .pid)" >/dev/null && had_any=1; done
  # 1. Delete every pod through the API (controllers stopped first), so the kubelets tear
  #    down their networks and volumes properly.
  if daemon_pid kube-apiserver >/dev/null && daemon_pid kubelet >/dev/null && daemon_pid containerd >/dev/null &&
     [[ -x $BIN/kubectl && -f $KUBECONFIG_PATH ]] && kubectl_ get --raw /readyz >/dev/null 2>&1; then
    stop_daemons kube-controller-manager kube-scheduler
    if [[ -n $(kubectl_ get pods -A -o name 2>/dev/null) ]]; then
      log "deleting all pods"
      kubectl_ delete pods --all --all-namespaces --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
      wait_for 60 "pods to stop" no_running_tasks || true
    fi
  fi
  # 2. Node agents and controllers, then the API server, then etcd; the containerds last.
  local agents=(kube-proxy)
  for d in "$PIDS"/kubelet*.pid; do [[ -f $d ]] && agents+=("$(basename "$d" .pid)"); done
  stop_daemons "${agents[@]}" kube-scheduler kube-controller-manager
  stop_daemon kube-apiserver
  stop_daemon etcd
  for ((i = 1; i <= MAX_NODES; i++)); do
    node_vars "$i"
    [[ -d $N_DIR || -f $PIDS/$N_CONTAINERD.pid ]] || continue
    remove_node_runtime
    umount_below "$N_KUBELET_DIR"
    ((i == 1)) || rm -rf "$N_KUBELET_DIR" "$N_DIR/cni" "$N_CONF" "$N_POD_LOGS"   # images stay in $N_CONTAINERD_ROOT
    remove_node_cgroups
  done
  # 3. Network, mounts, state. Node 1's images stay in $STATE/containerd.
  cleanup_network
  umount_below "$STATE/kubelet"
  umount_below "$RUNDIR"
  rm -rf "$STATE/kubelet" "$STATE/etcd" "$STATE/cni" "$STATE/pki" "$STATE/config" "$HOSTPATH_DIR" "$LOCAL_PATH_DIR" \
         "$PIDS" "$KUBECONFIG_PATH" "$STATE/env" "$RUNDIR" "$STATE/pod-logs"
  cleanup_cgroups
  if ((had_any)); then log "cluster stopped"; fi
}

# shellcheck source=nodes.sh
source "$(dirname "${BASH_SOURCE[0]}")/nodes.sh"
