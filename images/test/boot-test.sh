#!/bin/bash
# Boot test of the appliance image (images/test/boot.vm-test.ts): builds the image first when there is none
# (or with --build), installs qemu and OVMF when missing, then runs the test with BREAKWATER_BOOT_TEST=1.
#   bash images/test/boot-test.sh [--build] [--image FILE.qcow2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/../lib/common.sh"

image=$repo/images/build/breakwater-latest-amd64.qcow2
build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=1; shift ;;
    --image) image=$(realpath "${2:?}"); shift 2 ;;
    *) die "unknown option $1 (usage: boot-test.sh [--build] [--image FILE.qcow2])" ;;
  esac
done

require_root
require_tools qemu-system-x86:qemu-system-x86_64 qemu-utils:qemu-img openssh-client:ssh
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || require_tools ovmf:/nonexistent
if [ $build = 1 ] || [ ! -e "$image" ]; then
  step "building the image first"
  bash "$repo/images/build.sh" --no-iso
fi
step "boot test of $(readlink -f "$image")"
cd "$repo"
BREAKWATER_IMAGE="$image" bounded 3600 node --conditions=source --import tsx --test --test-reporter=spec images/test/boot.vm-test.ts
