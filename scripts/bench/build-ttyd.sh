#!/usr/bin/env bash
# Builds ttyd (https://github.com/tsl0922/ttyd, the C web terminal) for the
# terminal benchmark (bench/terminal.ts). ttyd is not packaged for bookworm, so
# this fetches its source package from Debian sid's deb-src and builds it with
# cmake against bookworm's libwebsockets, json-c, libuv and zlib.
#
# Idempotent: exits at once when the cached binary exists. Run as root
# (apt-get); takes ~1 minute on 2 cores the first time.
#
#   bash scripts/bench/build-ttyd.sh
#
# Output: ~/.cache/podspace/ttyd/ttyd. Override the cache root with
# PODSPACE_CACHE_DIR.
set -euo pipefail
. "$(dirname "$0")/../lib/debian.sh"

CACHE_ROOT="${PODSPACE_CACHE_DIR:-${HOME:-/root}/.cache/podspace}"
OUT_DIR="$CACHE_ROOT/ttyd"
BIN="$OUT_DIR/ttyd"
BUILD_DIR="$CACHE_ROOT/build/ttyd"

log() { echo "[build-ttyd] $*"; }

if [ -x "$BIN" ]; then
  log "cached binary present at $BIN; nothing to do"
  exit 0
fi

require_root build-ttyd

# --- 1. apt source: sid's deb-src (only source packages; nothing installs from sid) ---
# Use whatever mirror the machine's own sources use; fall back to deb.debian.org.
MIRROR=$(debian_mirror)
KEYRING=$(grep -hs '^Signed-By:' /etc/apt/sources.list.d/debian.sources | awk '{print $2}' | head -n1 || true)
KEYRING="${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"
SOURCES=/etc/apt/sources.list.d/podspace-ttyd.sources
if [ ! -f "$SOURCES" ]; then
  log "adding sid deb-src from $MIRROR to $SOURCES"
  cat >"$SOURCES" <<SRC
# Added by podspace scripts/bench/build-ttyd.sh: ttyd's source package (sid
# only; bookworm has no ttyd). Source packages only, nothing installs from sid.
Types: deb-src
URIs: $MIRROR
Suites: sid
Components: main
Signed-By: $KEYRING
SRC
fi

# --- 2. build dependencies, from bookworm ---
log "apt-get update"
apt-get update -qq
log "installing build dependencies"
apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config dpkg-dev \
  libwebsockets-dev libjson-c-dev libuv1-dev zlib1g-dev >/dev/null

# --- 3. source ---
rm -rf "$BUILD_DIR"
mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
log "fetching ttyd's source package from sid"
# The mirror may serve an index newer or older than its pool: the .dsc and
# Debian's packaging tarball can 404 while the upstream (orig) tarball, shared
# by every Debian revision, downloads. Upstream source is all the build needs.
apt-get source --download-only ttyd || log "apt-get source failed in part; using what it fetched"
DSC=$(ls ttyd_*.dsc 2>/dev/null | head -n1 || true)
ORIG=$(ls ttyd_*.orig.tar.* 2>/dev/null | head -n1 || true)
if [ -n "$DSC" ] && [ -n "$(ls ttyd_*.debian.tar.* 2>/dev/null)" ]; then
  # dpkg-source applies Debian's patches too.
  dpkg-source --no-check -x "$DSC" src >/dev/null
elif [ -n "$ORIG" ]; then
  log "extracting upstream $ORIG (no Debian patches)"
  mkdir src
  tar -xf "$ORIG" -C src --strip-components=1
else
  echo "[build-ttyd] could not download ttyd's source from sid" >&2
  exit 1
fi
cd src

# --- 4. build ---
log "building ttyd in $BUILD_DIR/src"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

mkdir -p "$OUT_DIR"
install -m 0755 build/ttyd "$BIN"
log "built $BIN ($("$BIN" --version 2>&1 | head -n1))"
