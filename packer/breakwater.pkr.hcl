# Packer template of the Breakwater appliance, for operators who build images with packer (for example to
# bake their own cloud images). It runs the same recipe as images/build.sh — images/packages.list and
# images/provision.sh over the stage made by images/stage-app.sh — but starts from Debian's trixie cloud
# image (which brings its own kernel, GRUB and cloud-init) instead of bootstrapping with mmdebstrap.
#
#   bash images/stage-app.sh images/build/packer-stage     # build Breakwater and lay out the stage
#   packer build -var stage_dir=images/build/packer-stage packer/
#
# Needs qemu (KVM preferred) on the build host, and network access from the build VM to Debian's mirror
# and the npm registry. Checked with `packer validate packer/` on Debian's packer (1.6.6).

variable "base_image_url" {
  type        = string
  default     = "https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2"
  description = "Debian 13 (trixie) cloud image the build starts from."
}

variable "base_image_checksum" {
  type        = string
  default     = "file:https://cloud.debian.org/images/cloud/trixie/latest/SHA512SUMS"
  description = "Checksum (or file: URL of the checksum list) of base_image_url."
}

variable "stage_dir" {
  type        = string
  default     = "images/build/packer-stage"
  description = "Stage directory made by images/stage-app.sh."
}

variable "output_dir" {
  type    = string
  default = "images/build/packer"
}

variable "accelerator" {
  type        = string
  default     = "kvm"
  description = "kvm, or tcg where the build host has no /dev/kvm (much slower)."
}

source "qemu" "breakwater" {
  iso_url          = var.base_image_url
  iso_checksum     = var.base_image_checksum
  disk_image       = true
  disk_size        = "4G"
  format           = "qcow2"
  disk_compression = true
  accelerator      = var.accelerator
  cpus             = 2
  memory           = 2048
  headless         = true
  output_directory = var.output_dir
  vm_name          = "breakwater-amd64.qcow2"
  net_device       = "virtio-net"
  disk_interface   = "virtio"

  # cloud-init (NoCloud over packer's HTTP server) creates the temporary build user packer logs in with.
  http_directory = "packer/http"
  qemuargs = [
    ["-smbios", "type=1,serial=ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"],
  ]

  communicator     = "ssh"
  ssh_username     = "packer"
  ssh_password     = "packer-build-only"
  ssh_timeout      = "15m"
  shutdown_command = "sudo systemctl poweroff"
}

build {
  sources = ["source.qemu.breakwater"]

  provisioner "file" {
    source      = var.stage_dir
    destination = "/tmp/breakwater-stage"
  }

  provisioner "shell" {
    execute_command = "sudo env {{ .Vars }} bash '{{ .Path }}'"
    inline = [
      "set -euo pipefail",
      "export DEBIAN_FRONTEND=noninteractive",
      "apt-get update -qq",
      "apt-get install -y -qq --no-install-recommends $(grep -v -e '^#' -e '^$' /tmp/breakwater-stage/packages.list)",
      "bash /tmp/breakwater-stage/provision.sh /tmp/breakwater-stage",
      "rm -rf /tmp/breakwater-stage",
      # The build user and cloud-init's record of this boot must not reach the image.
      "cloud-init clean --logs --seed",
      "userdel -r packer || true",
      "rm -f /etc/sudoers.d/90-cloud-init-users",
    ]
  }
}
