#!/bin/bash
# mmdebstrap customize hook: runs images/provision.sh inside the new root with the build host's npm cache
# mounted, so npm ci finds the packages the host build already downloaded. Unmounts and removes the stage
# whatever happens.
#   chroot-provision.sh ROOT STAGE NPM_CACHE
set -euo pipefail
root=${1:?} stage=${2:?} npm_cache=${3:?}
inside=/tmp/breakwater-stage

mounted=()
cleanup() {
  local i
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[$i]}" || true; done
  rm -rf "$root$inside"
  mountpoint -q "$root/tmp/npm-cache" || rm -rf "$root/tmp/npm-cache"
  if [ -e "$root/etc/resolv.conf.breakwater-build" ]; then mv -f "$root/etc/resolv.conf.breakwater-build" "$root/etc/resolv.conf"; fi
}
trap cleanup EXIT

cp -r "$stage" "$root$inside"
mkdir -p "$root/tmp/npm-cache" "$npm_cache"
mount --bind "$npm_cache" "$root/tmp/npm-cache" && mounted+=("$root/tmp/npm-cache")
# Mount what node and systemctl expect, unless mmdebstrap already did.
if ! mountpoint -q "$root/proc"; then mount -t proc proc "$root/proc" && mounted+=("$root/proc"); fi
if ! mountpoint -q "$root/sys"; then mount -t sysfs sysfs "$root/sys" && mounted+=("$root/sys"); fi
if ! mountpoint -q "$root/dev"; then mount --bind /dev "$root/dev" && mounted+=("$root/dev"); fi
# The image's resolv.conf points at systemd-resolved, which does not run here: use the host's while npm may
# need the registry (only for packages missing from the cache).
mv "$root/etc/resolv.conf" "$root/etc/resolv.conf.breakwater-build"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" /usr/bin/env npm_config_cache=/tmp/npm-cache /bin/bash "$inside/provision.sh" "$inside"
