# shellcheck shell=bash disable=SC2034  # (N_* are read by the callers)
# The nodes of the cluster: places, configuration, start and power-off. Sourced by ./up and ./node.
#
# Design: every node is a kubelet and a containerd of its own in the host's network namespace, as
# kubemark's hollow nodes are, not a container or a network namespace of its own as kind's are
# (`ip netns add` on this machine turns /run/netns into a shared mount, after which no pod sandbox
# can be removed). A node has its own name, kubelet ports, root folder, cgroup root (cgroupfs), a
# containerd with its own root, state and socket, and a CNI bridge with a /24 of the pod CIDR of its
# own; the host routes between the bridges, so pods reach each other by pod IP without NAT. One
# kube-proxy programs the host's iptables for every node (they share one network namespace), so a
# NodePort answers on 127.0.0.1 whichever node runs the pod. Node 1 is the control-plane node:
# with workers it is tainted NoSchedule as kind's is, and runs CoreDNS and the local-path provisioner.

# node_vars INDEX: sets the N_* variables of node INDEX (1 = the control-plane node).
node_vars() {
  local i=$1 base
  N_INDEX=$i
  if ((i == 1)); then
    N_NAME=$NODE_NAME N_SUFFIX="" N_DIR=$STATE N_RUN=$RUNDIR N_CONF=$CONF N_CGROUP_ROOT=/
  else
    N_NAME=$WORKER_NAME
    ((i > 2)) && N_NAME+=$((i - 1))   # k8s-lab-worker, k8s-lab-worker2, … as kind names them
    N_SUFFIX=@$N_NAME N_DIR=$STATE/nodes/$N_NAME N_RUN=$RUNDIR/nodes/$N_NAME N_CONF=$STATE/nodes/$N_NAME/config
    N_CGROUP_ROOT=/$N_NAME
  fi
  N_KUBELET=kubelet$N_SUFFIX N_CONTAINERD=containerd$N_SUFFIX   # daemon names (pid and log files)
  N_KUBELET_DIR=$N_DIR/kubelet
  N_CONTAINERD_ROOT=$N_DIR/containerd
  N_SOCK=$N_RUN/containerd/containerd.sock
  N_CNI_CONF=$N_DIR/cni/net.d N_CNI_DATA=$N_DIR/cni/networks
  N_POD_LOGS=$N_DIR/pod-logs
  N_BRIDGE=k8slab$((i - 1))
  base=${POD_CIDR%%/*}
  N_SUBNET=$(awk -F. -v n=$((i - 1)) '{printf "%d.%d.%d.0/24", $1, $2, n}' <<<"$base")
  N_KUBELET_PORT=$((10250 + (i - 1) * 100)) N_HEALTHZ_PORT=$((10248 + (i - 1) * 100))
  N_LOCAL_PATH=$LOCAL_PATH_DIR/$N_NAME
}

node_index() {  # node_index NAME: the index of node NAME, or fail
  local i
  for ((i = 1; i <= MAX_NODES; i++)); do
    node_vars "$i"
    [[ $N_NAME == "$1" ]] && { echo "$i"; return 0; }
  done
  return 1
}

node_names() { local i; for ((i = 1; i <= NODES; i++)); do node_vars "$i"; echo "$N_NAME"; done; }

nctr() { "$RUNTIME_BIN/ctr" --address "$N_SOCK" --namespace k8s.io "$@"; }   # ctr of node N_*

write_node_configs() {  # after node_vars
  local restrict_oom=$1 oom_adj=$2 dns=$3 gates_yaml=""
  mkdir -p "$N_CONF" "$N_CNI_CONF" "$N_CNI_DATA" "$N_KUBELET_DIR" "$N_RUN" "$N_POD_LOGS" "$N_LOCAL_PATH"
  # No ipMasq here: the host masquerades only what leaves the pod CIDR (host_setup), so pods on
  # different nodes see each other's own IPs.
  cat >"$N_CNI_CONF/10-k8s-lab.conflist" <<CNI
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    { "type": "bridge", "bridge": "$N_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$N_SUBNET" }]],
                "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "$N_CNI_DATA" } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
CNI

  # containerd 2.x, config version 3. A private instance: its own root, state and socket; NRI off
  # (its socket is one fixed path for the whole machine).
  cat >"$N_CONF/containerd.toml" <<TOML
version = 3
root = "$N_CONTAINERD_ROOT"
state = "$N_RUN/containerd"
[grpc]
  address = "$N_SOCK"
[ttrpc]
  address = "$N_RUN/containerd/containerd.sock.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "$N_CONTAINERD_ROOT/opt"
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = $restrict_oom
  enable_selinux = false
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$RUNTIME_BIN/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$N_CNI_CONF"
[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
TOML

  if [[ -n $FEATURE_GATES ]]; then
    gates_yaml="featureGates: {$(sed 's/=/: /g; s/,/, /g' <<<"$FEATURE_GATES")}"
  fi
  cat >"$N_CONF/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$N_SOCK
address: 0.0.0.0
port: $N_KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $N_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: $N_CGROUP_ROOT
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
$([[ -n $dns && $dns != none ]] && echo "clusterDNS: [\"$dns\"]")
resolvConf: /etc/resolv.conf
podLogsDir: $N_POD_LOGS
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", nodefs.inodesFree: "2%", imagefs.available: "2%"}
volumePluginDir: $N_KUBELET_DIR/volume-plugins
runtimeRequestTimeout: 2m
nodeStatusUpdateFrequency: 4s
oomScoreAdj: $oom_adj
serializeImagePulls: false
rotateCertificates: false
$gates_yaml
YAML
}

# cgroup v1: the kubelet of a worker puts its pods below /<node> in every hierarchy, which must
# exist first; cpuset's folders start empty and take nothing until cpus and mems are filled in.
make_node_cgroups() {
  [[ $N_CGROUP_ROOT == / ]] && return 0
  local h
  for h in /sys/fs/cgroup/*/; do
    h=${h%/}
    [[ $(basename "$h") == unified ]] && continue
    [[ -f $h/cgroup.procs ]] || continue
    mkdir -p "$h$N_CGROUP_ROOT"
  done
  if [[ -d /sys/fs/cgroup/cpuset$N_CGROUP_ROOT ]]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset$N_CGROUP_ROOT/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset$N_CGROUP_ROOT/cpuset.mems"
  fi
}

remove_node_cgroups() {
  [[ $N_CGROUP_ROOT == / ]] && return 0
  local d
  for d in /sys/fs/cgroup/*"$N_CGROUP_ROOT"; do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# Every process in the node's pod cgroups (the containers and their pause processes).
node_pod_pids() {
  local root=$N_CGROUP_ROOT
  [[ $root == / ]] && root=""
  find "/sys/fs/cgroup/pids$root/kubepods" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u
}

start_node_containerd() {
  start_daemon "$N_CONTAINERD" env PATH="$RUNTIME_BIN:$PATH" "$RUNTIME_BIN/containerd" --config "$N_CONF/containerd.toml"
  wait_daemon "$N_CONTAINERD" "the containerd socket of $N_NAME" "$RUNTIME_BIN/ctr" --address "$N_SOCK" version
}

import_node_images() {  # import_node_images NAME… (pause python coredns local-path)
  local f ref stamp want
  for f in "$@"; do
    case $f in
      pause) ref=$PAUSE_IMAGE ;; python) ref=$PYTHON_IMAGE ;; coredns) ref=$COREDNS_IMAGE ;; local-path) ref=$LOCAL_PATH_IMAGE ;;
    esac
    stamp=$N_CONTAINERD_ROOT/.k8s-lab-imported-$f
    want=$(stat -c '%Y-%s' "$IMAGES/$f.tar")
    if [[ -n $(nctr images ls -q "name==$ref" 2>/dev/null) && -f $stamp && $(<"$stamp") == "$want" ]]; then continue; fi
    log "importing $ref into the containerd of $N_NAME"
    nctr images import --local "$IMAGES/$f.tar" >>"$LOGS/images.log" 2>&1 || die "ctr images import $f.tar on $N_NAME failed, see $LOGS/images.log"
    [[ -n $(nctr images ls -q "name==$ref" 2>/dev/null) ]] || die "image $ref missing on $N_NAME after import"
    # The kubelet's image GC never removes these (nothing could pull them again).
    nctr images label "$ref" io.cri-containerd.pinned=pinned >/dev/null 2>&1 || true
    echo "$want" >"$stamp"
  done
}

start_node_kubelet() {  # start_node_kubelet NODE_IP
  make_node_cgroups
  start_daemon "$N_KUBELET" "$BIN/kubelet" \
    --config="$N_CONF/kubelet.yaml" --kubeconfig="$PKI/kubelet-$N_NAME.kubeconfig" --root-dir="$N_KUBELET_DIR" \
    --tls-cert-file="$PKI/kubelet-serving-$N_NAME.crt" --tls-private-key-file="$PKI/kubelet-serving-$N_NAME.key" \
    --hostname-override="$N_NAME" --node-ip="$1" --v=1
}

node_registered() { kubectl_ get node "$N_NAME" >/dev/null 2>&1; }
node_is_ready() {
  [[ $(kubectl_ get node "$N_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# The node's pod CIDR, as the controller manager's range allocator would set it (once, while empty).
set_node_pod_cidr() {
  local have
  have=$(kubectl_ get node "$N_NAME" -o 'jsonpath={.spec.podCIDR}' 2>/dev/null)
  [[ -n $have ]] && return 0
  kubectl_ patch node "$N_NAME" --type merge -p "{\"spec\":{\"podCIDR\":\"$N_SUBNET\",\"podCIDRs\":[\"$N_SUBNET\"]}}" >/dev/null
}

# SIGKILL to every shim of the node's containerd (its socket on their command line) and every
# process in the node's pod cgroups: what a power cut, or `down` after the containerd, leaves.
kill_node_shims_and_pods() {
  local p cmd pid
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [[ $cmd == *containerd-shim* && $cmd == *"$N_SOCK"* ]] && kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
  for pid in $(node_pod_pids); do kill -KILL "$pid" 2>/dev/null || true; done
}

# Powered off as far as the cluster can tell: no kubelet, no containerd, no shim, no container,
# and the node's pod subnet drops every packet (a switched-off machine answers nothing).
power_off_node() {
  local pid
  pid=$(daemon_pid "$N_KUBELET") && kill -KILL "$pid" 2>/dev/null || true
  pid=$(daemon_pid "$N_CONTAINERD") && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDS/$N_KUBELET.pid" "$PIDS/$N_CONTAINERD.pid"
  kill_node_shims_and_pods
  node_drop_traffic
}

node_drop_traffic() {
  local chain
  for chain in FORWARD OUTPUT; do
    iptables -w -C "$chain" -d "$N_SUBNET" -m comment --comment "k8s-lab-cluster node-off $N_NAME" -j DROP 2>/dev/null ||
      iptables -w -I "$chain" 1 -d "$N_SUBNET" -m comment --comment "k8s-lab-cluster node-off $N_NAME" -j DROP
  done
}

node_allow_traffic() {
  local chain
  for chain in FORWARD OUTPUT; do
    while iptables -w -D "$chain" -d "$N_SUBNET" -m comment --comment "k8s-lab-cluster node-off $N_NAME" -j DROP 2>/dev/null; do :; done
  done
}

node_powered_off() { iptables -w -C OUTPUT -d "$N_SUBNET" -m comment --comment "k8s-lab-cluster node-off $N_NAME" -j DROP 2>/dev/null; }

# The node's containerd, shims and bridge, on the way down (after every kubelet has stopped).
remove_node_runtime() {
  if daemon_pid "$N_CONTAINERD" >/dev/null && [[ -n $(nctr containers ls -q 2>/dev/null) ]]; then
    log "removing the remaining containers of $N_NAME"
    local id
    for id in $(nctr containers ls -q 2>/dev/null); do nctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    sleep 1
    for id in $(nctr containers ls -q 2>/dev/null); do
      nctr tasks delete -f "$id" >/dev/null 2>&1 || true
      nctr containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
  stop_daemon "$N_CONTAINERD"
  kill_node_shims_and_pods
  ip link show "$N_BRIDGE" >/dev/null 2>&1 && { ip link delete "$N_BRIDGE" 2>/dev/null || true; }
  return 0
}
