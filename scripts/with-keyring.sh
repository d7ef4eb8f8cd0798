#!/usr/bin/env bash
# Runs a command with a working OS keychain (Secret Service), so the CLI's
# tests use the real thing on a headless machine, in CI or in a container:
#   scripts/with-keyring.sh npm test          (npm test already does this)
# With a D-Bus session bus present, the command runs as it is. Without one,
# it runs inside a private D-Bus session with a fresh, unlocked gnome-keyring
# that disappears afterwards.
# Needs: apt-get install -y gnome-keyring libsecret-tools dbus-x11
set -euo pipefail
if [ $# -eq 0 ]; then echo "usage: scripts/with-keyring.sh COMMAND [ARGS...]" >&2; exit 2; fi
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then exec "$@"; fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null; then
    echo "with-keyring: no D-Bus session and no $tool; the keychain tests are skipped (in CI they fail)." >&2
    echo "with-keyring: install them with: apt-get install -y gnome-keyring libsecret-tools dbus-x11" >&2
    exec "$@"
  fi
done
KEYRING_HOME="$(mktemp -d)"
export KEYRING_HOME
trap 'rm -rf "$KEYRING_HOME"' EXIT
# The unlock password only protects this throw-away keyring; it must not be empty.
dbus-run-session -- bash -c '
  export XDG_DATA_HOME="$KEYRING_HOME/data"
  printf "%s" "authctl-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' with-keyring "$@" 2> >(grep -v "Failed to set fd limit" >&2)
