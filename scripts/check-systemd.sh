#!/usr/bin/env bash
# Checks the systemd unit: `systemd-analyze verify` is clean, the exposure rating is 2.0 or lower,
# and `make install` into a scratch DESTDIR lays out every file without overwriting an existing config.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${ECS_BIN_DIR:-$(pwd)/.build/debug}"
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is missing: install the 'systemd' Debian package (scripts/install-deps.sh does)" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Both units: verify checks that ExecStart exists, so point it at the built binary; the exposure rating is 2.0 or lower.
for tool in ecs-delegate ecs-manager; do
  sed "s|/usr/local/bin/$tool|$BIN/$tool|" "systemd/$tool.service" > "$tmp/$tool.service"
  systemd-analyze verify "$tmp/$tool.service"
  echo "systemd-analyze verify $tool.service: clean"
  exposure="$(systemd-analyze security --offline=true "$tmp/$tool.service" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
  echo "systemd-analyze security --offline=true $tool.service: exposure $exposure"
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }' || { echo "$tool.service: exposure $exposure is above 2.0" >&2; exit 1; }
done

# make install twice into a DESTDIR; the second must keep an edited config.
make -s install-files DESTDIR="$tmp/root" BINDIR_SRC="$BIN" >/dev/null
echo "# edited" >> "$tmp/root/etc/ecs-delegate/delegate.yaml"
make -s install-files DESTDIR="$tmp/root" BINDIR_SRC="$BIN" >/dev/null
for f in usr/local/bin/ecs-delegate usr/local/bin/ecs-manager etc/systemd/system/ecs-delegate.service etc/systemd/system/ecs-manager.service \
         usr/lib/sysusers.d/ecs-delegate.conf usr/lib/tmpfiles.d/ecs-delegate.conf etc/ecs-delegate/delegate.yaml \
         usr/local/share/man/man1/ecs-delegate.1 usr/local/share/man/man1/ecs-delegate.run.1 usr/local/share/man/man1/ecs-manager.1 usr/local/share/man/man1/ecs-manager.task.get.1 \
         usr/local/share/bash-completion/completions/ecs-manager usr/local/share/zsh/site-functions/_ecs-delegate usr/local/share/fish/vendor_completions.d/ecs-manager.fish; do
  [ -e "$tmp/root/$f" ] || { echo "make install did not install $f" >&2; exit 1; }
done
# The man pages are mdoc from the commands' own help; the bash completion parses and knows the subcommands.
grep -q '^\.Dt ECS-MANAGER 1' "$tmp/root/usr/local/share/man/man1/ecs-manager.1" || { echo "ecs-manager.1 is not an mdoc page" >&2; exit 1; }
grep -q 'ECS_MANAGER_TOKEN' "$tmp/root/usr/local/share/man/man1/ecs-manager.1" || { echo "ecs-manager.1 does not list the environment" >&2; exit 1; }
bash -n "$tmp/root/usr/local/share/bash-completion/completions/ecs-manager"
grep -q 'executions' "$tmp/root/usr/local/share/bash-completion/completions/ecs-manager" || { echo "the bash completion lacks the subcommands" >&2; exit 1; }
echo "make install: man pages and bash, zsh and fish completions in place"
grep -q "# edited" "$tmp/root/etc/ecs-delegate/delegate.yaml" || { echo "make install overwrote an existing config" >&2; exit 1; }
[ "$(stat -c %a "$tmp/root/etc/ecs-delegate/delegate.yaml")" = 640 ] || { echo "config mode is not 0640" >&2; exit 1; }
echo "make install: files in place, existing config kept"

# The service user reads the installed config (issue 26): sysusers makes the user and its group in the scratch root, tmpfiles
# gives the group the directory and the file, and `config check` runs as that user, its token where LoadCredential puts it.
# Changing owners needs root: sudo when the script runs as another user (CI runs scripts/install-deps.sh the same way).
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
$SUDO systemd-sysusers --root="$tmp/root" >/dev/null 2>&1
$SUDO systemd-tmpfiles --root="$tmp/root" --create ecs-delegate.conf
uid="$(awk -F: '$1 == "ecs-delegate" { print $3 }' "$tmp/root/etc/passwd")"
gid="$(awk -F: '$1 == "ecs-delegate" { print $4 }' "$tmp/root/etc/passwd")"
[ "$(stat -c '%a %u %g' "$tmp/root/etc/ecs-delegate/delegate.yaml")" = "640 0 $gid" ] || { echo "the config is not 0640 root:ecs-delegate" >&2; exit 1; }
mkdir -p "$tmp/creds" && echo "tok-check" > "$tmp/creds/delegate-token" && chmod 0400 "$tmp/creds/delegate-token" && $SUDO chown "$uid" "$tmp/creds/delegate-token"
chmod 0755 "$tmp" "$tmp/creds"
$SUDO chmod 0755 "$tmp/root" "$tmp/root/etc"
$SUDO env CREDENTIALS_DIRECTORY="$tmp/creds" setpriv --reuid="$uid" --regid="$gid" --clear-groups "$tmp/root/usr/local/bin/ecs-delegate" config check --config "$tmp/root/etc/ecs-delegate/delegate.yaml" >/dev/null \
  || { echo "the service user cannot read the installed config" >&2; exit 1; }
echo "make install: the service user (uid $uid) reads /etc/ecs-delegate/delegate.yaml"
# Root-owned files of the scratch root go with it.
trap '$SUDO rm -rf "$tmp"' EXIT
