#!/bin/bash
# Builds Breakwater from the repository and lays out the stage directory that images/provision.sh installs
# from (see the list at the top of provision.sh). Used by images/build.sh and by packer/ before a build.
#   images/stage-app.sh STAGE [--source head|worktree|REF]
# head (default): the committed tree (git archive HEAD), so the image holds exactly a commit; REF: another
# commit, tag or branch; worktree: the working tree as it is, uncommitted changes included (for trying a
# change in the image). The image's own files (rootfs/, provision.sh) always come from this checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/lib/common.sh"

STAGE=${1:?usage: stage-app.sh STAGE [--source head|worktree|REF]}
source_mode=head
[ "${2:-}" = "--source" ] && source_mode=${3:?--source needs head, worktree or a git ref}

work=$(mktemp -d /var/tmp/breakwater-stage-src.XXXXXX)
on_exit "rm -rf '$work'"
src=$work/src
mkdir -p "$src"

if [ "$source_mode" = worktree ]; then
  commit="$(git -C "$repo" rev-parse HEAD)+worktree"
  step "source: working tree of $repo (uncommitted changes included)"
  tar -C "$repo" --exclude=./node_modules --exclude='*/node_modules' --exclude=./.git --exclude='./images/build' \
    --exclude='*/dist' --exclude='./appliance/native/build' -cf - . | tar -x -C "$src"
else
  ref=$source_mode
  [ "$ref" = head ] && ref=HEAD
  commit=$(git -C "$repo" rev-parse --verify "$ref^{commit}") || die "--source $source_mode is not a commit"
  step "source: git archive of $commit"
  git -C "$repo" archive --format=tar "$commit" | tar -x -C "$src"
fi

step "npm ci (all workspaces, build tools included)"
(cd "$src" && bounded 900 npm ci --prefer-offline --no-audit --no-fund --loglevel=error) | sed -u '/^$/d; s/^/    /'
step "build (tsup, udp-batch addon; output in $work/build.log)"
(cd "$src" && bounded 900 npm run build --silent) > "$work/build.log" 2>&1 || { cat "$work/build.log"; die "the build failed"; }
[ -s "$src/appliance/dist/cli.js" ] || die "the build made no appliance/dist/cli.js"

step "stage in $STAGE"
rm -rf "$STAGE"
mkdir -p "$STAGE/app" "$STAGE/app-native" "$STAGE/npm"
cp -r "$here/rootfs" "$STAGE/rootfs"
cp "$here/provision.sh" "$here/packages.list" "$STAGE/"
cp "$src/package.json" "$src/package-lock.json" "$src/README.md" "$STAGE/app/"
mkdir -p "$STAGE/app/docs"
cp "$src"/docs/*.md "$STAGE/app/docs/"
# Every workspace: its package.json (npm ci checks the lock against all of them) and its build output.
(cd "$src" && node -e '
  const { readFileSync, readdirSync, existsSync } = require("node:fs");
  const { join } = require("node:path");
  const ws = JSON.parse(readFileSync("package.json", "utf8")).workspaces;
  for (const w of ws) {
    const dirs = w.endsWith("/*") ? readdirSync(w.slice(0, -2)).map((d) => join(w.slice(0, -2), d)) : [w];
    for (const d of dirs) if (existsSync(join(d, "package.json"))) console.log(d);
  }') | while read -r ws; do
  mkdir -p "$STAGE/app/$ws"
  cp "$src/$ws/package.json" "$STAGE/app/$ws/"
  [ -d "$src/$ws/dist" ] && cp -r "$src/$ws/dist" "$STAGE/app/$ws/dist"
  [ -f "$src/$ws/README.md" ] && cp "$src/$ws/README.md" "$STAGE/app/$ws/"
  true
done
# Compiled addons: Breakwater's own, and any runtime dependency's (none today; better-sqlite3 would be one).
if [ -f "$src/appliance/native/build/udp-batch.node" ]; then
  mkdir -p "$STAGE/app-native/appliance/native/build"
  cp "$src/appliance/native/build/udp-batch.node" "$STAGE/app-native/appliance/native/build/"
else
  step "warning: the udp-batch addon did not build; the image's intake will use dgram"
fi
(cd "$src" && node -e '
  const lock = JSON.parse(require("node:fs").readFileSync("package-lock.json", "utf8"));
  for (const [path, meta] of Object.entries(lock.packages)) if (path.startsWith("node_modules/") && !meta.dev && meta.hasInstallScript) console.log(path);') |
  while read -r pkg; do
    [ -d "$src/$pkg/build/Release" ] || continue
    mkdir -p "$STAGE/app-native/$pkg/build"
    cp -r "$src/$pkg/build/Release" "$STAGE/app-native/$pkg/build/"
    step "compiled addon of $pkg staged"
  done
cp -r "$(npm root -g)/npm/." "$STAGE/npm/"

version=$(node -p 'require("'"$src"'/package.json").version')
cat > "$STAGE/release" <<REL
NAME="breakwater-appliance"
VERSION="$version"
COMMIT="$commit"
DEBIAN="13 (trixie)"
BUILT="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
REL
step "stage ready: Breakwater $version ($commit)"
