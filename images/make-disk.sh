#!/bin/bash
# Makes a bootable raw disk from a root directory without loop devices or mounts: a GPT with a BIOS boot
# partition (GRUB's core.img for BIOS), an EFI system partition (GRUB for UEFI, as the removable-media path
# EFI/BOOT/BOOTX64.EFI) and an ext4 root filled straight from the directory by mkfs.ext4 -d. GRUB is the
# image's own (trixie's grub-pc-bin and grub-efi-amd64-bin), run through chroot.
#   make-disk.sh ROOTDIR OUT.raw SIZE       (SIZE as for truncate, e.g. 4G)
# Secure Boot is not supported: this GRUB is not signed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
root=${1:?usage: make-disk.sh ROOTDIR OUT.raw SIZE} disk=${2:?} size=${3:?}

SECTOR=512
BIOS_START=2048 BIOS_SECTORS=2048            # 1 MiB: GRUB core.img
ESP_START=4096 ESP_SECTORS=262144            # 128 MiB FAT32
ROOT_START=$((ESP_START + ESP_SECTORS))

rm -f "$disk"
truncate -s "$size" "$disk"
total=$(( $(stat -c %s "$disk") / SECTOR ))
root_sectors=$(( total - ROOT_START - 2048 ))   # leave room for the backup GPT
used_kib=$(du -s --apparent-size -k "$root" | cut -f1)
(( root_sectors / 2 > used_kib * 12 / 10 + 262144 )) || die "disk size $size is too small for a ${used_kib} KiB root (use --disk-size)"

root_uuid=$(uuidgen)
esp_id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
esp_uuid="${esp_id:0:4}-${esp_id:4:4}"

step "disk: GPT on $size ($total sectors): bios_grub 1 MiB, ESP 128 MiB, root $(( root_sectors / 2048 )) MiB"
sfdisk --quiet "$disk" <<PT
label: gpt
unit: sectors
first-lba: 2048
start=$BIOS_START, size=$BIOS_SECTORS, type=21686148-6449-6E6F-744E-656564454649, name="bios_grub"
start=$ESP_START, size=$ESP_SECTORS, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"
start=$ROOT_START, size=$root_sectors, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(uuidgen), name="root"
PT

step "boot files: fstab, grub.cfg, GRUB modules"
cat > "$root/etc/fstab" <<FSTAB
# Written by images/make-disk.sh.
UUID=$root_uuid	/	ext4	errors=remount-ro	0	1
UUID=$esp_uuid	/boot/efi	vfat	umask=0077,nofail	0	2
FSTAB
mkdir -p "$root/boot/efi" "$root/boot/grub"
rm -rf "$root/boot/grub/i386-pc" "$root/boot/grub/x86_64-efi"
cp -r "$root/usr/lib/grub/i386-pc" "$root/usr/lib/grub/x86_64-efi" "$root/boot/grub/"
cmdline="root=UUID=$root_uuid ro console=tty0 console=ttyS0,115200n8"
cat > "$root/boot/grub/grub.cfg" <<CFG
# Written by images/make-disk.sh. /vmlinuz and /initrd.img follow the installed kernel, so a kernel
# upgrade inside the appliance needs no change here.
set default=0
set timeout=3
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
insmod part_gpt
insmod ext2
search --no-floppy --fs-uuid --set=root $root_uuid
menuentry "Breakwater appliance" {
	linux /vmlinuz $cmdline
	initrd /initrd.img
}
menuentry "Breakwater appliance (rescue shell)" {
	linux /vmlinuz $cmdline systemd.unit=rescue.target
	initrd /initrd.img
}
CFG
cat > "$root/tmp/grub-early.cfg" <<CFG
search --no-floppy --fs-uuid --set=root $root_uuid
set prefix=(\$root)/boot/grub
CFG
on_exit "rm -f '$root/tmp/grub-early.cfg' '$root/tmp/core.img' '$root/tmp/BOOTX64.EFI'"
chroot "$root" grub-mkimage -O i386-pc -o /tmp/core.img -c /tmp/grub-early.cfg -p /boot/grub \
  biosdisk part_gpt ext2 search search_fs_uuid normal configfile linux echo test serial terminal
chroot "$root" grub-mkimage -O x86_64-efi -o /tmp/BOOTX64.EFI -c /tmp/grub-early.cfg -p /boot/grub \
  part_gpt part_msdos fat ext2 search search_fs_uuid normal configfile linux echo test serial terminal efi_gop all_video gzio
core_bytes=$(stat -c %s "$root/tmp/core.img")
(( core_bytes <= BIOS_SECTORS * SECTOR )) || die "GRUB core.img ($core_bytes bytes) does not fit the BIOS boot partition"

step "root filesystem: mkfs.ext4 -d ($(( used_kib / 1024 )) MiB of files)"
bounded 900 mkfs.ext4 -q -F -L breakwater-root -U "$root_uuid" -O ^orphan_file,^metadata_csum_seed \
  -E offset=$(( ROOT_START * SECTOR )),root_owner=0:0 -d "$root" "$disk" "$(( root_sectors / 2 ))k"

step "EFI system partition: FAT32 with EFI/BOOT/BOOTX64.EFI"
# (mkfs.vfat warns that the file is bigger than the filesystem it was asked for: that is the point.)
mkfs.vfat -F 32 -s 1 -n ESP -i "${esp_id}" --offset $ESP_START "$disk" $(( ESP_SECTORS / 2 )) 2>&1 >/dev/null | grep -v 'block count mismatch' >&2 || true
esp="$disk@@$(( ESP_START * SECTOR ))"
mmd -i "$esp" ::/EFI ::/EFI/BOOT
mcopy -i "$esp" "$root/tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

step "BIOS boot: boot.img in the MBR, core.img in the BIOS boot partition"
# What grub-bios-setup does for a disk, done on the file: boot.img learns where core.img starts (LBA at 0x5c),
# its floppy probe is disabled (0x66), and core.img's first sector (diskboot) learns where the rest starts
# (blocklist at 0x1f4; grub-mkimage already filled in its length). Only the first 440 bytes of boot.img
# are written, keeping the protective MBR's partition entry.
bootimg=$(mktemp)
on_exit "rm -f '$bootimg'"
cp "$root/usr/lib/grub/i386-pc/boot.img" "$bootimg"
le64() { local v=$1 i; for i in 0 1 2 3 4 5 6 7; do printf "\\x$(printf %02x $(( (v >> (8 * i)) & 255 )))"; done; }
le64 $BIOS_START | dd of="$bootimg" bs=1 seek=$((0x5c)) conv=notrunc status=none
printf '\x90\x90' | dd of="$bootimg" bs=1 seek=$((0x66)) conv=notrunc status=none
le64 $(( BIOS_START + 1 )) | dd of="$root/tmp/core.img" bs=1 seek=$((0x1f4)) conv=notrunc status=none
dd if="$bootimg" of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$root/tmp/core.img" of="$disk" bs=$SECTOR seek=$BIOS_START conv=notrunc status=none
step "disk ready: $disk (root UUID $root_uuid)"
