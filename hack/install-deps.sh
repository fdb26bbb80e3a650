#!/usr/bin/env bash
# Installs what kiln's builds and tests need on Debian/Ubuntu (as root), only when
# missing, and is safe to run again:
#   - Go (the version in go.mod) at /usr/local/go, from the Go module proxy
#   - runc (the embedded engine's OCI worker)
#   - qemu-user-static, with the aarch64/arm binfmt_misc handlers registered
#   - busybox-static for amd64 and arm64 (apt-get download, not installed), extracted
#     to testdata/demo/base/busybox-{amd64,arm64}
#     (the demo's and the tests' base image is built FROM scratch from them)
#   - docker-registry (CNCF Distribution; the tests start one on 127.0.0.1)
#   - with --test: buildx v0.38.2, from the Go module proxy (the differential tests' oracle)
# With --test, also graphviz (the tests render --graph=dot) and busybox-static for s390x (a platform the tests expect to have no
# emulator). Needs nothing but Debian's apt repositories and the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
log() { echo "install-deps: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  log "not root: skipping installation (kiln's embedded engine and the integration tests need root)"
  exit 0
fi

with_test_deps=0
[ "${1:-}" = --test ] && with_test_deps=1
busybox_dir=testdata/demo/base
want_go=$(awk '$1 == "go" { print $2; exit }' go.mod)
hostarch=$(dpkg --print-architecture)

# 1. Debian packages: one apt-get update at most, and only if something is missing.
pkgs=()
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || pkgs+=(runc)
[ -e /usr/bin/qemu-aarch64-static ] || pkgs+=(qemu-user-static)
command -v docker-registry >/dev/null || pkgs+=(docker-registry)
command -v curl >/dev/null || pkgs+=(curl)
command -v unzip >/dev/null || pkgs+=(unzip)
command -v git >/dev/null || pkgs+=(git)
command -v make >/dev/null || pkgs+=(make)
[ "$with_test_deps" = 1 ] && { command -v dot >/dev/null || pkgs+=(graphviz); } # renders --graph=dot in the tests
# busybox-static is fetched with apt-get download for each architecture; foreign
# ones need their architecture known to dpkg (added before the one apt-get update).
busybox_archs=(amd64 arm64)
[ "$with_test_deps" = 1 ] && busybox_archs+=(s390x) # a platform with no emulator, for the tests
foreign=" $(dpkg --print-foreign-architectures | tr '\n' ' ') "
for arch in "${busybox_archs[@]}"; do
  [ -s "$busybox_dir/busybox-$arch" ] && continue
  [ "$arch" = "$hostarch" ] && continue
  if [[ "$foreign" != *" $arch "* ]]; then
    log "adding the $arch architecture to dpkg (for busybox-static:$arch)"
    dpkg --add-architecture "$arch"
  fi
done
apt_updated=0
apt_update() {
  if [ $apt_updated = 0 ]; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
}
if [ ${#pkgs[@]} -gt 0 ]; then
  apt_update
  log "installing: ${pkgs[*]}"
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

# 2. Go, when /usr/local/go is missing or older than go.mod asks for. The toolchain
# is a module on the Go module proxy (what GOTOOLCHAIN downloads), so no other host is needed.
go_ok() {
  [ -x /usr/local/go/bin/go ] || return 1
  local have
  have=$(/usr/local/go/bin/go env GOVERSION 2>/dev/null | sed 's/^go//')
  [ "$(printf '%s\n%s\n' "$want_go" "$have" | sort -V | head -1)" = "$want_go" ]
}
if ! go_ok; then
  goarch=$hostarch
  # The proxy is GOPROXY's first entry, or the default of whatever go there is
  # (Debian's golang-go, installed for just this, when there is none).
  proxy=${GOPROXY:-}
  if [ -z "$proxy" ]; then
    if ! command -v go >/dev/null; then
      apt_update
      apt-get install -y -qq --no-install-recommends golang-go >/dev/null
    fi
    proxy=$(go env GOPROXY)
  fi
  proxy=$(printf '%s' "$proxy" | cut -d, -f1 | cut -d'|' -f1)
  case "$proxy" in direct | off | "") log "GOPROXY ($proxy) names no module proxy to fetch Go from; set GOPROXY"; exit 1 ;; esac
  mod="v0.0.1-go${want_go}.linux-${goarch}"
  log "installing Go $want_go into /usr/local/go from $proxy"
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/go.zip" "$proxy/golang.org/toolchain/@v/$mod.zip"
  unzip -q "$tmp/go.zip" -d "$tmp"
  rm -rf /usr/local/go
  mv "$tmp/golang.org/toolchain@$mod" /usr/local/go
  chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/* 2>/dev/null || true
  rm -rf "$tmp"
fi

# 3. Foreign platforms run under qemu through binfmt_misc. Register the handlers from
# Debian's own definitions (/usr/lib/binfmt.d); their F flag makes them usable inside
# containers. Containers often have no systemd to do this at boot.
binfmt=/proc/sys/fs/binfmt_misc
if [ -d $binfmt ]; then
  if ! mountpoint -q $binfmt; then
    mount -t binfmt_misc binfmt_misc $binfmt 2>/dev/null || log "cannot mount $binfmt (no privileges?)"
  fi
  for arch in aarch64 arm; do
    conf=/usr/lib/binfmt.d/qemu-$arch.conf
    [ -e "$binfmt/qemu-$arch" ] && continue
    if [ ! -e "$conf" ]; then
      log "no $conf: qemu-user-static did not install binfmt definitions"
      continue
    fi
    if [ -w $binfmt/register ]; then
      grep -m1 '^:' "$conf" > $binfmt/register || log "registering qemu-$arch failed"
    fi
  done
fi
if [ -e $binfmt/qemu-aarch64 ] && grep -q enabled $binfmt/qemu-aarch64; then
  emu="qemu-aarch64 registered"
else
  emu="qemu-aarch64 NOT registered (arm64 RUN steps will fail)"
fi

# 4. busybox for both architectures, for the FROM-scratch base image.
mkdir -p "$busybox_dir"
extract_busybox() { # arch dest
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$1" >/dev/null 2>&1) || {
    if ! { apt_update && (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$1" >/dev/null); }; then
      log "cannot fetch busybox-static:$1 with apt (on Ubuntu, $1 packages come from ports.ubuntu.com: see docs/demo.md);"
      log "or put a static busybox for $1 at $2"
      exit 1
    fi
  }
  dpkg-deb -x "$tmp"/busybox-static_*_"$1".deb "$tmp/x"
  install -m 0755 "$tmp/x/bin/busybox" "$2"
  rm -rf "$tmp"
}
for arch in "${busybox_archs[@]}"; do
  dest=$busybox_dir/busybox-$arch
  [ -s "$dest" ] && continue
  if [ "$arch" = "$hostarch" ] && [ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1; then
    install -m 0755 /bin/busybox "$dest"
  else
    log "fetching busybox-static:$arch"
    extract_busybox "$arch" "$dest"
  fi
done

# 5. With --test, buildx v0.38.2 (the oracle of the differential tests), built from
# the Go module proxy into $(go env GOPATH)/bin; the tests look for it in PATH and there.
if [ "$with_test_deps" = 1 ]; then
  gobin=$(/usr/local/go/bin/go env GOPATH)/bin
  if ! /usr/local/go/bin/go version -m "$gobin/buildx" 2>/dev/null | grep -qE '^\s+mod\s+github.com/docker/buildx\s+v0.38.2\s'; then
    log "building buildx v0.38.2 (go install)"
    GOFLAGS=-mod=mod /usr/local/go/bin/go install github.com/docker/buildx/cmd/buildx@v0.38.2
  fi
fi

runc_version=$( (runc --version 2>/dev/null || /usr/sbin/runc --version) | awk 'NR == 1 { print $3 }')
log "ok: go $(/usr/local/go/bin/go env GOVERSION), runc $runc_version, $emu, busybox ${busybox_archs[*]}, docker-registry$([ "$with_test_deps" = 1 ] && echo ", buildx v0.38.2")"
