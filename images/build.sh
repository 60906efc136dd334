#!/bin/bash
# Builds the Breakwater appliance image: Debian 13 (trixie) from Debian's packages with mmdebstrap,
# Breakwater built from this repository, as a bootable disk (qcow2, BIOS and UEFI) and a hybrid live ISO.
#   bash images/build.sh [--out DIR] [--source head|worktree|REF] [--disk-size 4G] [--no-iso] [--mirror URL]
#                        [--reuse-root]   (skip the bootstrap: make disk and ISO from the last build's root)
# Needs root on a Debian host (installs mmdebstrap, qemu-utils, grub, xorriso, mtools, squashfs-tools when
# missing). Writes DIR/breakwater-VERSION-amd64.{qcow2,iso} and SHA256SUMS; DIR defaults to images/build.
# Work files go to /var/tmp/breakwater-image (the last root directory stays there for inspection);
# downloaded .debs are kept in /var/cache/breakwater-image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

out=$here/build
source_mode=head
disk_size=4G
make_iso=1
reuse_root=0
mirror=$(awk '/^URIs:/ && /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?}; shift 2 ;;
    --source) source_mode=${2:?}; shift 2 ;;
    --disk-size) disk_size=${2:?}; shift 2 ;;
    --no-iso) make_iso=0; shift ;;
    --mirror) mirror=${2:?}; shift 2 ;;
    --reuse-root) reuse_root=1; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

require_root
step "build tools"
require_tools mmdebstrap:mmdebstrap qemu-utils:qemu-img fdisk:sfdisk e2fsprogs:mkfs.ext4 dosfstools:mkfs.vfat \
  mtools:mcopy xorriso:xorriso squashfs-tools:mksquashfs grub-common:grub-mkrescue grub-pc-bin:grub-mkimage \
  grub-efi-amd64-bin:grub-mkimage uuid-runtime:uuidgen
[ -d /usr/lib/grub/x86_64-efi ] || require_tools grub-efi-amd64-bin:/nonexistent
[ -d /usr/lib/grub/i386-pc ] || require_tools grub-pc-bin:/nonexistent

work=/var/tmp/breakwater-image
apt_cache=/var/cache/breakwater-image/apt
mkdir -p "$work" "$apt_cache" "$out"
if [ $reuse_root = 1 ] && [ -s "$work/rootfs/etc/breakwater-release" ]; then
  step "reusing the root directory of the last build ($work/rootfs)"
  . "$work/rootfs/etc/breakwater-release"
  name=breakwater-$VERSION-amd64
else
  rm -rf "$work/stage" "$work/rootfs"
  on_exit "rm -rf '$work/stage'"

  bash "$here/stage-app.sh" "$work/stage" --source "$source_mode"
  . "$work/stage/release"
  name=breakwater-$VERSION-amd64

  packages=$(grep -v -e '^#' -e '^$' "$here/packages.list" | paste -sd, -)
  step "mmdebstrap: Debian 13 trixie from $mirror ($(tr ',' '\n' <<<"$packages" | wc -l) packages and their dependencies)"
  npm_cache=$(npm config get cache)
  bounded 1500 mmdebstrap --mode=root --variant=minbase --include="$packages" \
    --aptopt='Acquire::Retries "3"' --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --skip=download/empty --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in '$apt_cache' /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives '$apt_cache'" \
    --customize-hook="bash '$here/lib/chroot-provision.sh' \"\$1\" '$work/stage' '$npm_cache'" \
    trixie "$work/rootfs" "$mirror" 2>&1 | sed -u 's/^/    /'
  # mmdebstrap's own cleanup empties /etc/machine-id; "uninitialized" makes systemd's first-boot units
  # (ConditionFirstBoot, such as sshd-keygen.service) run on the first boot of every copy.
  printf 'uninitialized\n' > "$work/rootfs/etc/machine-id"
fi

step "check: the image holds no identity"
[ "$(cat "$work/rootfs/etc/machine-id")" = uninitialized ] || die "/etc/machine-id is not 'uninitialized'"
! ls "$work"/rootfs/etc/ssh/ssh_host_* >/dev/null 2>&1 || die "SSH host keys are in the image"
[ ! -e "$work/rootfs/var/lib/breakwater/setup-token" ] || die "a setup token is in the image"
[ ! -e "$work/rootfs/etc/breakwater/tls" ] || die "a TLS key is in the image"
step "root filesystem: $(du -sh --apparent-size "$work/rootfs" | cut -f1)"

bash "$here/make-disk.sh" "$work/rootfs" "$work/$name.raw" "$disk_size"
step "qcow2 (compressed)"
rm -f "$out/$name.qcow2"
bounded 900 qemu-img convert -c -O qcow2 "$work/$name.raw" "$out/$name.qcow2"
rm -f "$work/$name.raw"

if [ $make_iso = 1 ]; then
  bash "$here/make-iso.sh" "$work/rootfs" "$out/$name.iso"
fi

(cd "$out" && sha256sum "$name.qcow2" $( [ -e "$name.iso" ] && echo "$name.iso") > SHA256SUMS)
cp "$work/rootfs/etc/breakwater-release" "$out/$name.release"
ln -sfn "$name.qcow2" "$out/breakwater-latest-amd64.qcow2"
[ $make_iso = 1 ] && ln -sfn "$name.iso" "$out/breakwater-latest-amd64.iso"
step "done: $(cd "$out" && ls -1sh "$name".* | tr '\n' ' ')"
