#!/usr/bin/env bash
# Installs what kiln's builds and tests need on Debian/Ubuntu (as root), when missing:
# runc, qemu-user-static (with binfmt_misc handlers), busybox-static for amd64 and
# arm64 (the demo's base image is built FROM scratch from them), docker-registry.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v runc >/dev/null || need+=(runc)
[ -e /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static)
[ -e /bin/busybox ] || need+=(busybox-static)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v git >/dev/null || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Foreign platforms run under qemu through binfmt_misc.
if [ -d /proc/sys/fs/binfmt_misc ]; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && [ -w /proc/sys/fs/binfmt_misc/register ]; then
    for f in /usr/lib/binfmt.d/qemu-aarch64.conf /usr/lib/binfmt.d/qemu-arm.conf; do
      [ -e "$f" ] || continue
      # binfmt.d lines start with ':'; register needs exactly that line.
      grep -v '^#' "$f" | grep . > /proc/sys/fs/binfmt_misc/register || true
    done
  fi
fi

# busybox for both architectures, for the FROM-scratch base image.
dest=testdata/demo/base
mkdir -p "$dest"
[ -e "$dest/busybox-amd64" ] || cp /bin/busybox "$dest/busybox-amd64"
if [ ! -e "$dest/busybox-arm64" ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update -qq; }
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq busybox-static:arm64 >/dev/null)
  dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
  cp "$tmp/x/bin/busybox" "$dest/busybox-arm64"
  rm -rf "$tmp"
fi
echo "deps ok: runc $(runc --version | head -1 | awk '{print $3}'), qemu-aarch64 $([ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && echo registered || echo NOT registered), busybox amd64+arm64"
