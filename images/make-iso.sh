#!/bin/bash
# Makes a hybrid live ISO (boots from CD/DVD and from a USB stick written with dd, on BIOS and UEFI) from a
# root directory: the root as a squashfs that live-boot (in the image's initramfs) mounts with a RAM
# overlay, and GRUB by grub-mkrescue. A live boot keeps nothing across reboots: it is for trying the
# appliance, rescue, and `breakwater backup restore` onto a fresh disk install; install with the qcow2/raw.
#   make-iso.sh ROOTDIR OUT.iso
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
root=${1:?usage: make-iso.sh ROOTDIR OUT.iso} iso=${2:?}

tree=$(mktemp -d /var/tmp/breakwater-iso.XXXXXX)
on_exit "rm -rf '$tree'"
mkdir -p "$tree/live" "$tree/boot/grub"
cp -L "$root/vmlinuz" "$tree/live/vmlinuz"
cp -L "$root/initrd.img" "$tree/live/initrd.img"

step "ISO: squashfs of the root (zstd, $(nproc) cores)"
# The disk's fstab names the disk's partitions: the live system gets live-boot's own.
bounded 1200 mksquashfs "$root" "$tree/live/filesystem.squashfs" -comp zstd -Xcompression-level 15 -b 1M \
  -noappend -quiet -no-progress -wildcards -e 'boot/grub' 'boot/efi' 'etc/fstab'
step "ISO: squashfs $(du -h "$tree/live/filesystem.squashfs" | cut -f1)"

cmdline="boot=live components console=tty0 console=ttyS0,115200n8"
cat > "$tree/boot/grub/grub.cfg" <<CFG
set default=0
set timeout=5
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
menuentry "Breakwater appliance (live, nothing is kept after a reboot)" {
	linux /live/vmlinuz $cmdline
	initrd /live/initrd.img
}
menuentry "Breakwater appliance (live, copied to RAM)" {
	linux /live/vmlinuz $cmdline toram
	initrd /live/initrd.img
}
CFG
step "ISO: grub-mkrescue (BIOS El Torito + UEFI, hybrid for USB)"
rm -f "$iso"
bounded 600 grub-mkrescue -o "$iso" "$tree" -- -volid BREAKWATER >/dev/null 2>&1 \
  || { grub-mkrescue -o "$iso" "$tree" -- -volid BREAKWATER; die "grub-mkrescue failed"; }
step "ISO ready: $iso ($(du -h "$iso" | cut -f1))"
