#!/usr/bin/env bash
# Builds a real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler v1.20.2) from Debian's source package and installs etcd from
# Debian, for the tests in test/kube/. Only Debian's apt repositories and the
# npm registry are reachable here, so no upstream release binaries can be
# downloaded: bookworm's `kubernetes` source package is the one fully vendored
# Kubernetes tree we can get, and bookworm-backports has a Go new enough to
# build it.
#
# Idempotent: exits at once when the cached binaries exist. Run as root
# (apt-get); takes ~6 minutes on 2 cores the first time.
#
#   bash scripts/kube/build-control-plane.sh
#
# Output: ~/.cache/podspace/kubernetes-v1.20.2/bin/{kube-apiserver,
# kube-controller-manager,kube-scheduler,etcd} (etcd is a symlink to
# /usr/bin/etcd). Override the cache root with PODSPACE_CACHE_DIR.
set -euo pipefail
. "$(dirname "$0")/../lib/debian.sh"

VERSION=v1.20.2
CACHE_ROOT="${PODSPACE_CACHE_DIR:-${HOME:-/root}/.cache/podspace}"
BIN_DIR="$CACHE_ROOT/kubernetes-$VERSION/bin"
BUILD_DIR="$CACHE_ROOT/build"
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler)
GO_ROOT=/usr/lib/go-1.23

log() { echo "[build-control-plane] $*"; }

have_all() {
  for name in "${COMPONENTS[@]}" etcd; do
    [ -x "$BIN_DIR/$name" ] || return 1
  done
}

if have_all; then
  log "cached binaries present in $BIN_DIR; nothing to do"
  exit 0
fi

require_root build-control-plane

# --- 1. apt sources: bookworm-backports (Go 1.23) and deb-src (kubernetes) ---
# Mirror whatever mirror the machine's own sources use, so a local mirror keeps
# working; fall back to deb.debian.org.
MIRROR=$(debian_mirror)
SOURCES=/etc/apt/sources.list.d/podspace-kube.sources
if [ ! -f "$SOURCES" ]; then
  log "adding bookworm-backports and bookworm deb-src from $MIRROR to $SOURCES"
  cat >"$SOURCES" <<EOF
# Added by podspace scripts/kube/build-control-plane.sh: Go 1.23 comes from
# backports, and the Kubernetes source from bookworm's deb-src.
Types: deb deb-src
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $MIRROR
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi

# --- 2. toolchain and etcd ---
log "apt-get update"
apt-get update -qq
log "installing golang-1.23-go (backports), etcd-server, rsync, dpkg-dev, reflect2"
apt-get install -y -qq --no-install-recommends \
  golang-1.23-go/bookworm-backports etcd-server rsync dpkg-dev make gcc libc6-dev \
  golang-github-modern-go-reflect2-dev >/dev/null
[ -x /usr/bin/etcd ] || { echo "[build-control-plane] /usr/bin/etcd missing after install" >&2; exit 1; }

# --- 3. the Kubernetes source ---
mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
SRC=$(find "$BUILD_DIR" -maxdepth 1 -type d -name 'kubernetes-1.20*' | head -n1)
if [ -z "$SRC" ]; then
  log "apt-get source kubernetes (into $BUILD_DIR)"
  # -qq keeps dpkg-source's per-patch chatter down; the tree is vendored.
  apt-get source -qq kubernetes >/dev/null 2>&1 || apt-get source kubernetes
  SRC=$(find "$BUILD_DIR" -maxdepth 1 -type d -name 'kubernetes-1.20*' | head -n1)
fi
[ -n "$SRC" ] || { echo "[build-control-plane] no kubernetes-1.20* tree in $BUILD_DIR" >&2; exit 1; }
log "source tree: $SRC"

# --- 4. reflect2 ---
# The vendored modern-go/reflect2 (1.0.1) relies on runtime internals that Go
# >= 1.18 changed (it crashes at run time via json-iterator); Debian's packaged
# reflect2 is new enough. Swap it in wholesale.
REFLECT2=/usr/share/gocode/src/github.com/modern-go/reflect2
log "replacing vendor/github.com/modern-go/reflect2 with $REFLECT2"
rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
mkdir -p "$SRC/vendor/github.com/modern-go/reflect2"
cp -a "$REFLECT2/." "$SRC/vendor/github.com/modern-go/reflect2/"

# --- 5. build ---
export PATH="$GO_ROOT/bin:$PATH"
export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=vendor
export HOME="${HOME:-/root}"
export GOCACHE="$BUILD_DIR/gocache"
log "building ${COMPONENTS[*]} with $(go version) (takes ~6 minutes on 2 cores)"
start=$(date +%s)
make -C "$SRC" WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler"
log "build took $(( $(date +%s) - start ))s"

mkdir -p "$BIN_DIR"
for name in "${COMPONENTS[@]}"; do
  built=$(find "$SRC/_output" -type f -name "$name" -perm -u+x | head -n1)
  [ -n "$built" ] || { echo "[build-control-plane] $name was not built" >&2; exit 1; }
  install -m 0755 "$built" "$BIN_DIR/$name"
done
ln -sf /usr/bin/etcd "$BIN_DIR/etcd"
"$BIN_DIR/kube-apiserver" --version
/usr/bin/etcd --version | head -n1
log "done: binaries in $BIN_DIR"
