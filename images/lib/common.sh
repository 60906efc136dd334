# Shared by the image scripts: progress lines with elapsed time, bounded commands, cleanup on exit.
# Sourced, not run.

IMAGE_T0=${IMAGE_T0:-$(date +%s)}
export IMAGE_T0

# step NAME...: one progress line, with seconds since the build started.
step() { printf '[image +%4ds] %s\n' "$(( $(date +%s) - IMAGE_T0 ))" "$*"; }
die() { printf '[image] error: %s\n' "$*" >&2; exit 1; }

# bounded SECONDS CMD...: runs CMD, killed after SECONDS (a hung mirror or tool cannot hang the build).
bounded() {
  local limit=$1; shift
  timeout --kill-after=30 "$limit" "$@" || {
    local rc=$?
    [ $rc -eq 124 ] && die "timed out after ${limit}s: $*"
    return $rc
  }
}

# Cleanup actions run in reverse order on exit, whatever the exit status.
CLEANUP=()
on_exit() { CLEANUP+=("$1"); }
run_cleanup() {
  local i
  for (( i=${#CLEANUP[@]}-1; i>=0; i-- )); do eval "${CLEANUP[$i]}" || true; done
  CLEANUP=()
}
trap run_cleanup EXIT
trap 'exit 130' INT TERM

require_root() { [ "$(id -u)" = 0 ] || die "run as root (mmdebstrap, mkfs and chroot need it)"; }

# require_tools PACKAGE:COMMAND...: installs the Debian package of every missing command.
require_tools() {
  local missing=() spec
  for spec in "$@"; do command -v "${spec#*:}" >/dev/null 2>&1 || missing+=("${spec%%:*}"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing build tools: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive bounded 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { bounded 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive bounded 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}
