#!/bin/bash
# Turns a Debian 13 system that has the packages of images/packages.list into the Breakwater appliance. The
# one recipe for what goes into the image: images/build.sh runs it in the mmdebstrap root (chroot), the
# packer template runs it in its build VM. It is given a stage directory made by images/stage-app.sh:
#   STAGE/rootfs/      files copied over / (systemd units, configuration, scripts)
#   STAGE/app/         Breakwater's built workspaces with package.json and package-lock.json
#   STAGE/app-native/  compiled addons (.node) copied over /opt/breakwater after npm ci
#   STAGE/npm/         the npm client used when the system has none (Debian's nodejs ships without npm)
#   STAGE/release      image name, version, commit and build time
# Usage: provision.sh STAGE
set -euo pipefail

STAGE=${1:?usage: provision.sh STAGE}
APP=/opt/breakwater
step() { printf '[provision] %s\n' "$*"; }

[ -d "$STAGE/rootfs" ] && [ -d "$STAGE/app" ] || { echo "provision: $STAGE is not a stage directory" >&2; exit 1; }
node --version >/dev/null || { echo "provision: node is not installed (images/packages.list)" >&2; exit 1; }

step "system files"
cp -rT --no-preserve=ownership "$STAGE/rootfs" /
chmod 0755 /usr/bin/breakwater /usr/sbin/breakwater-setup /usr/lib/breakwater/firstboot /usr/lib/breakwater/console-getty
chmod 0644 /etc/nftables.conf /etc/bird/bird.conf /etc/exabgp/exabgp.conf
install -m 0644 "$STAGE/release" /etc/breakwater-release

step "service user"
getent group breakwater >/dev/null || addgroup --system --quiet breakwater
getent passwd breakwater >/dev/null || adduser --system --quiet --ingroup breakwater --home /var/lib/breakwater --no-create-home --shell /usr/sbin/nologin --gecos 'Breakwater controller' breakwater
adduser --quiet breakwater bird
install -d -m 0750 -o breakwater -g breakwater /var/lib/breakwater
install -d -m 2750 -o breakwater -g bird /var/lib/breakwater-bird
install -m 0644 -o breakwater -g bird /dev/null /var/lib/breakwater-bird/breakwater-routes.conf
chown root:breakwater /etc/breakwater
chmod 0750 /etc/breakwater
chown root:breakwater /etc/breakwater/breakwater.yaml
chmod 0640 /etc/breakwater/breakwater.yaml

step "Breakwater into $APP (npm ci --omit=dev)"
rm -rf "$APP"
mkdir -p "$APP"
cp -rT --no-preserve=ownership "$STAGE/app" "$APP"
npm_cli=(npm)
command -v npm >/dev/null || npm_cli=(node "$STAGE/npm/bin/npm-cli.js")
# --ignore-scripts: no package's install script runs here (no compiler in the image); compiled addons come
# from the stage (app-native), built on the build host against the same Node ABI.
(cd "$APP" && "${npm_cli[@]}" ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
if [ -d "$STAGE/app-native" ]; then cp -rT --no-preserve=ownership "$STAGE/app-native" "$APP"; fi
chown -R root:root "$APP"
chmod -R go-w "$APP"
breakwater config check /etc/breakwater/breakwater.yaml
breakwater help >/dev/null
node -e "import('$APP/appliance/dist/index.js').then(() => console.log('[provision] the controller loads on Node ' + process.version))"
# Compiled addons were built on the build host: prove each loads under the image's Node.
if [ -d "$APP/node_modules/better-sqlite3" ]; then
  (cd "$APP" && node -e "const Database = require('better-sqlite3'); new Database(':memory:').prepare('select 1').get(); console.log('[provision] better-sqlite3 works on Node ' + process.version)")
fi

step "services"
systemctl enable breakwater.service breakwater-firstboot.service bird.service exabgp.service nftables.service \
  systemd-networkd.service systemd-resolved.service systemd-timesyncd.service ssh.service >/dev/null 2>&1
# gobgpd runs only as the controller's child (bgp.speaker: gobgp), never on its own.
systemctl disable gobgpd.service >/dev/null 2>&1 || true
# Networking is systemd-networkd's alone.
systemctl disable networking.service >/dev/null 2>&1 || true
systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1 || true
nft -c -f /etc/nftables.conf 2>/dev/null || step "nftables.conf not checked here (no netlink in this build environment)"
bird -p -c /etc/bird/bird.conf

step "identity: none in the image"
echo breakwater > /etc/hostname
cat > /etc/hosts <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	breakwater
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
HOSTS
passwd -l root >/dev/null
rm -f /etc/ssh/ssh_host_*
# "uninitialized": systemd makes a new machine id and treats the boot as the first (ConditionFirstBoot).
printf 'uninitialized\n' > /etc/machine-id
rm -f /var/lib/dbus/machine-id /var/lib/systemd/random-seed /var/lib/systemd/credential.secret
rm -f /etc/issue.d/60-breakwater.issue /etc/breakwater/console-setup-done
rm -rf /etc/breakwater/tls /var/lib/breakwater/* /root/.ssh /root/.npm /root/.bash_history
# The caller removes the stage directory itself.
rm -rf /var/log/journal/* /var/cache/apt/archives/*.deb /var/lib/apt/lists/* /var/tmp/*
step "done"
