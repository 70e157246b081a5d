# shellcheck shell=bash
# Builds what the cluster runs, from the Go module proxy and Debian's packages; sourced by ./up.
#   kube-* and kubectl  k8s.io/kubernetes at v$K8S_VERSION (a wrapper module pins the staging modules)
#   etcd                go.etcd.io/etcd/server/v3 ($ETCD_VERSION), through etcd/main.go here
#   containerd, shim, ctr  github.com/containerd/containerd/v2 ($CONTAINERD_VERSION)
#   runc                github.com/opencontainers/runc ($RUNC_VERSION), cgo + seccomp
#   pause               build/pause/linux/pause.c of the same Kubernetes source, static
#   coredns             github.com/coredns/coredns ($COREDNS_VERSION), the cluster DNS
#   local-path-provisioner  github.com/rancher/local-path-provisioner ($LOCAL_PATH_VERSION), node-local volumes
# Go's own caches (GOMODCACHE, GOCACHE) are used as they are, so a rebuild only compiles what changed.

BUILD_ID="v$K8S_VERSION+hostpath0777"
RUNTIME_ID="etcd-$ETCD_VERSION+containerd-$CONTAINERD_VERSION+runc-$RUNC_VERSION"

have_k8s_binaries() {
  local c
  for c in "${K8S_COMPONENTS[@]}" pause; do [[ -x $BIN/$c ]] || return 1; done
  [[ -f $BIN/.version && $(<"$BIN/.version") == "$BUILD_ID" ]]
}

ADDONS_ID="coredns-$COREDNS_VERSION+local-path-$LOCAL_PATH_VERSION"

have_addon_images() {
  [[ -f $IMAGES/coredns.tar && -f $IMAGES/local-path.tar && -f $ADDONS_BIN/.version && $(<"$ADDONS_BIN/.version") == "$ADDONS_ID" ]]
}

have_runtime_binaries() {
  local c
  for c in "${RUNTIME_COMPONENTS[@]}"; do [[ -x $RUNTIME_BIN/$c ]] || return 1; done
  [[ -f $RUNTIME_BIN/.version && $(<"$RUNTIME_BIN/.version") == "$RUNTIME_ID" ]]
}

# Runs a long command with its output in a log, saying every minute that it still runs.
run_logged() {
  local logfile=$1 what=$2; shift 2
  local t0=$SECONDS rc=0 pid last=0
  "$@" </dev/null >>"$logfile" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if ((SECONDS - t0 >= last + 60)); then
      last=$((SECONDS - t0))
      log "  … $what, $((last / 60)) min so far"
    fi
  done
  wait "$pid" || rc=$?
  ((rc == 0)) || { tail -n 40 "$logfile" >&2; die "$what failed, see $logfile"; }
}

go_() { env GOTOOLCHAIN=local GOFLAGS=-mod=mod go "$@"; }

# A module that requires k8s.io/kubernetes and pins every staging module it replaces with a local
# path (k8s.io/api => ./staging/src/k8s.io/api …) to its published v0.<minor>.<patch>.
write_kubernetes_wrapper() {
  local dir=$1 src=$2 m
  rm -rf "$dir"; mkdir -p "$dir"
  (
    cd "$dir"
    go_ mod init k8s-lab.local/cluster-build >/dev/null 2>&1
    go_ mod edit -go=1.26.0
    for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$src/go.mod"); do
      go_ mod edit -replace="$m=$m@$STAGING_VERSION"
    done
    go_ mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
  )
}

# The in-tree host-path provisioner makes each volume 0750 root:root, which a non-root pod cannot
# write; kind's and k3s' local-path provisioners make them 0777. That one line is changed in a
# copy of the module (the module cache stays as downloaded; `go build -overlay` may not replace
# files under GOMODCACHE), which the wrapper module uses through a replace directive.
copy_and_patch_kubernetes() {
  local src=$1 copy=$2 file
  rm -rf "$copy"; cp -r "$src" "$copy"; chmod -R u+w "$copy"
  file=$copy/pkg/volume/hostpath/host_path.go
  grep -q 'if err := os.MkdirAll(pv.Spec.HostPath.Path, 0750); err != nil {' "$file" || die "host-path patch does not apply to $file"
  sed -i 's/if err := os.MkdirAll(pv.Spec.HostPath.Path, 0750); err != nil {/if err := func() error { if err := os.MkdirAll(pv.Spec.HostPath.Path, 0777); err != nil { return err }; return os.Chmod(pv.Spec.HostPath.Path, 0777) }(); err != nil { \/\/ k8s-lab-cluster: writable by non-root pods/' "$file"
  grep -q 'k8s-lab-cluster: writable' "$file" || die "host-path patch did not apply"
}

build_kubernetes() {
  local work=$CACHE/src/kubernetes-v$K8S_VERSION src pkgs=() c ldflags v
  mkdir -p "$work" "$BIN"
  log "downloading k8s.io/kubernetes@v$K8S_VERSION from the Go module proxy"
  src=$(go_ mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | jq -r .Dir) ||
    die "the Go module proxy has no k8s.io/kubernetes@v$K8S_VERSION (try another K8S_LAB_K8S_VERSION)"
  [[ -d $src ]] || die "k8s.io/kubernetes@v$K8S_VERSION was not downloaded"
  write_kubernetes_wrapper "$work/module" "$src"
  copy_and_patch_kubernetes "$src" "$work/kubernetes"
  (cd "$work/module" && go_ mod edit -replace=k8s.io/kubernetes=../kubernetes)
  for c in "${K8S_COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  ldflags="-s -w"
  for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$K8S_MINOR"
    ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  log "building ${K8S_COMPONENTS[*]} v$K8S_VERSION with $(go env GOVERSION) (cold: about 25 min on 2 cores)"
  run_logged "$LOGS/build.log" "go build of Kubernetes v$K8S_VERSION" \
    env -C "$work/module" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod \
      go build -trimpath -ldflags="$ldflags" -o "$work/out/" "${pkgs[@]}"
  for c in "${K8S_COMPONENTS[@]}"; do install -m 0755 "$work/out/$c" "$BIN/$c"; done
  log "compiling pause (build/pause/linux/pause.c, static)"
  gcc -Os -Wall -Werror -static -DVERSION=v3.10-k8s-lab -o "$BIN/pause" "$src/build/pause/linux/pause.c" \
    >>"$LOGS/build.log" 2>&1 || die "pause build failed, see $LOGS/build.log"
  strip "$BIN/pause"
  [[ $("$BIN/kube-apiserver" --version) == "Kubernetes v$K8S_VERSION" ]] || die "the built kube-apiserver is not v$K8S_VERSION"
  echo "$BUILD_ID" >"$BIN/.version"
  rm -rf "$work"
}

build_runtime() {
  local work=$CACHE/src/runtime here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  rm -rf "$work"; mkdir -p "$work/etcd" "$RUNTIME_BIN"
  log "building containerd, containerd-shim-runc-v2 and ctr $CONTAINERD_VERSION"
  run_logged "$LOGS/build.log" "go build of containerd $CONTAINERD_VERSION" \
    env GOBIN="$RUNTIME_BIN" CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS= \
      go install -trimpath -tags no_btrfs -ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
        "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
        "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
        "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION"
  log "building runc $RUNC_VERSION (cgo, seccomp)"
  run_logged "$LOGS/build.log" "go build of runc $RUNC_VERSION" \
    env GOBIN="$RUNTIME_BIN" CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS= \
      go install -trimpath -tags seccomp -ldflags="-s -w -X main.version=${RUNC_VERSION#v}" \
        "github.com/opencontainers/runc@$RUNC_VERSION"
  log "building etcd $ETCD_VERSION"
  cp "$here/etcd/main.go" "$work/etcd/main.go"
  (cd "$work/etcd" && go_ mod init k8s-lab.local/etcd >/dev/null 2>&1 && go_ mod edit -go=1.26.0 &&
     go_ mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION") || die "cannot write the etcd build module"
  run_logged "$LOGS/build.log" "go build of etcd $ETCD_VERSION" \
    env -C "$work/etcd" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod \
      go build -trimpath -ldflags="-s -w" -o "$RUNTIME_BIN/etcd" .
  "$RUNTIME_BIN/runc" --version | grep -q 'seccomp' || die "runc was built without seccomp"
  echo "$RUNTIME_ID" >"$RUNTIME_BIN/.version"
  rm -rf "$work"
}

# ------------------------------------------------------------------ images --
# A docker-archive tarball (one layer) from a root folder, which `ctr images import` takes.
make_docker_archive() {
  local rootfs=$1 ref=$2 cfg=$3 out=$4 work layer_id config_id now
  work=$(mktemp -d "$CACHE/tmp/image.XXXXXX")
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  tar --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
  layer_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir "$work/$layer_id" && mv "$work/layer.tar" "$work/$layer_id/layer.tar"
  jq -n --argjson cfg "$cfg" --arg diff "sha256:$layer_id" --arg now "$now" \
     '{architecture:"amd64", os:"linux", created:$now, config:$cfg,
       rootfs:{type:"layers", diff_ids:[$diff]}, history:[{created:$now, created_by:"k8s-lab test/cluster/up"}]}' \
     >"$work/config.json"
  config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$config_id.json"
  jq -n --arg c "$config_id.json" --arg r "$ref" --arg l "$layer_id/layer.tar" \
     '[{Config:$c, RepoTags:[$r], Layers:[$l]}]' >"$work/manifest.json"
  tar -C "$work" -cf "$out.new" manifest.json "$config_id.json" "$layer_id/layer.tar"
  mv -f "$out.new" "$out"
  rm -rf "$work"
}

build_pause_image() {
  local root
  mkdir -p "$IMAGES" "$CACHE/tmp"
  root=$(mktemp -d "$CACHE/tmp/pause-root.XXXXXX")
  install -m 0755 "$BIN/pause" "$root/pause"
  make_docker_archive "$root" "$PAUSE_IMAGE" '{"Entrypoint":["/pause"],"User":"65535:65535","WorkingDir":"/"}' "$IMAGES/pause.tar"
  rm -rf "$root"
}

# The cluster's add-ons, as kind and k3s run them: CoreDNS and rancher's local-path-provisioner,
# each a static Go binary in an image of its own (nothing else is in either image).
build_addons() {
  mkdir -p "$ADDONS_BIN" "$IMAGES" "$CACHE/tmp"
  log "building coredns $COREDNS_VERSION and local-path-provisioner $LOCAL_PATH_VERSION"
  run_logged "$LOGS/build.log" "go build of coredns $COREDNS_VERSION" \
    env GOBIN="$ADDONS_BIN" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
      go install -trimpath -ldflags="-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  run_logged "$LOGS/build.log" "go build of local-path-provisioner $LOCAL_PATH_VERSION" \
    env GOBIN="$ADDONS_BIN" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
      go install -trimpath -ldflags="-s -w -X main.VERSION=$LOCAL_PATH_VERSION" "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION"
  local root
  root=$(mktemp -d "$CACHE/tmp/coredns-root.XXXXXX")
  install -m 0755 "$ADDONS_BIN/coredns" "$root/coredns"
  make_docker_archive "$root" "$COREDNS_IMAGE" '{"Entrypoint":["/coredns"],"WorkingDir":"/"}' "$IMAGES/coredns.tar"
  rm -rf "$root"
  root=$(mktemp -d "$CACHE/tmp/local-path-root.XXXXXX")
  mkdir -p "$root/usr/bin" "$root/tmp" && chmod 1777 "$root/tmp"
  install -m 0755 "$ADDONS_BIN/local-path-provisioner" "$root/usr/bin/local-path-provisioner"
  make_docker_archive "$root" "$LOCAL_PATH_IMAGE" \
    '{"Env":["PATH=/usr/bin"],"Entrypoint":["local-path-provisioner"],"WorkingDir":"/"}' "$IMAGES/local-path.tar"
  rm -rf "$root"
  echo "$ADDONS_ID" >"$ADDONS_BIN/.version"
}

debian_mirror() {
  if [[ -n ${K8S_LAB_DEBIAN_MIRROR:-} ]]; then echo "$K8S_LAB_DEBIAN_MIRROR"; return; fi
  local m=""
  [[ -f /etc/apt/sources.list.d/debian.sources ]] &&
    m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  [[ -z $m ]] && m=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# Debian 12 with python3 (the chart runs on any image with python3; nothing can be pulled here).
build_python_image() {
  local root=$CACHE/tmp/python-rootfs mirror
  mkdir -p "$IMAGES" "$CACHE/tmp"
  mirror=$(debian_mirror)
  umount_below "$root"; rm -rf "$root"
  log "debootstrap bookworm (minbase + python3) from $mirror (1-3 min)"
  run_logged "$LOGS/images.log" "debootstrap" \
    debootstrap --variant=minbase --include=python3 --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
      bookworm "$root" "$mirror"
  umount_below "$root"
  rm -rf "${root:?}"/var/cache/apt/* "${root:?}"/var/lib/apt/lists/* "${root:?}"/usr/share/doc/* \
         "${root:?}"/usr/share/man/* "${root:?}"/usr/share/info/* "${root:?}"/usr/share/locale/* \
         "${root:?}"/var/log/* "${root:?}"/dev/* "${root:?}"/tmp/* "${root:?}"/root/.cache
  : >"$root/etc/resolv.conf"; : >"$root/etc/hostname"
  chroot "$root" python3 -c 'import http.server, json' || die "python3 in the image is broken"
  make_docker_archive "$root" "$PYTHON_IMAGE" \
    '{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","PYTHONUNBUFFERED=1"],"Cmd":["python3"],"WorkingDir":"/"}' \
    "$IMAGES/python.tar"
  rm -rf "$root"
}
