#!/usr/bin/env bash
# Builds ecs-delegate and ecs-manager .deb packages (make deb) from release binaries linked with the Swift runtime
# inside them (--static-swift-stdlib): they run where the packages' Depends are installed, without /opt/swift.
#
# Each package holds its binary, its hardened unit (in /usr/lib/systemd/system), man pages and shell completions;
# the delegate also its sysusers.d and tmpfiles.d entries and /etc/ecs-delegate/delegate.yaml as a conffile.
# Depends comes from dpkg-shlibdeps. The packages are checked here: nothing links to /opt/swift, and lintian
# (when installed) finds no error.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${DEB_OUT:-$(pwd)/dist}"
SCRATCH="${STATIC_SCRATCH:-$(pwd)/.build-static}"
VERSION="$(sed -n 's/^public let delegateVersion = "\(.*\)"$/\1/p' Sources/DelegateRuntime/DelegateAgent.swift)-1"
ARCH="$(dpkg --print-architecture)"
# lintian checks the packages: Debian's, installed here like every other tool (scripts/install-deps.sh's way).
if ! command -v lintian >/dev/null; then
  SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y --no-install-recommends lintian >/dev/null
fi

for product in ecs-delegate ecs-manager; do
  swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product "$product"
done
BIN="$(swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)"
for product in ecs-delegate ecs-manager; do
  if ldd "$BIN/$product" | grep -q /opt/swift; then
    echo "$product still links to the toolchain:" >&2; ldd "$BIN/$product" | grep /opt/swift >&2; exit 1
  fi
done

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# Everything `make install` lays out, under /usr; units move to the vendor directory a package owns.
make -s install-files DESTDIR="$stage/all" PREFIX=/usr BINDIR_SRC="$BIN" >/dev/null
mkdir -p "$stage/all/usr/lib/systemd/system"
mv "$stage/all/etc/systemd/system/"*.service "$stage/all/usr/lib/systemd/system/"
mkdir -p "$OUT"

# package NAME SUMMARY DESCRIPTION FILES...: a .deb of FILES (paths under the staged root).
package() {
  local name="$1" summary="$2" description="$3"
  shift 3
  local root="$stage/$name"
  for f in "$@"; do
    mkdir -p "$root/$(dirname "$f")"
    cp -a "$stage/all/$f" "$root/$f"
  done
  gzip -9n "$root"/usr/share/man/man1/*.1
  install -D -m 0644 packaging/debian/copyright "$root/usr/share/doc/$name/copyright"
  printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- ecs-delegate developers <ecs-delegate@example.invalid>  %s\n' \
    "$name" "$VERSION" "$VERSION" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}")" | gzip -9n > "$root/usr/share/doc/$name/changelog.Debian.gz"
  chmod 0644 "$root/usr/share/doc/$name/changelog.Debian.gz"
  mkdir -p "$root/DEBIAN" "$stage/src-$name/debian"
  # dpkg-shlibdeps reads the package list of a source tree: a minimal one.
  printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" > "$stage/src-$name/debian/control"
  local shlibs
  shlibs="$(cd "$stage/src-$name" && dpkg-shlibdeps -O -e"$root/usr/bin/$name" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
  [ -n "$shlibs" ] || { echo "dpkg-shlibdeps found no dependencies for $name" >&2; exit 1; }
  cat > "$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $VERSION
Architecture: $ARCH
Maintainer: ecs-delegate developers <ecs-delegate@example.invalid>
Depends: $shlibs, systemd
Section: admin
Priority: optional
Homepage: https://example.invalid/ecs-delegate
Description: $summary
$(printf '%s\n' "$description" | fold -s -w 72 | sed 's/^/ /')
CONTROL
  if [ -d "$root/etc" ]; then (cd "$root" && find etc -type f | sed 's|^|/|') > "$root/DEBIAN/conffiles"; fi
  install -m 0755 packaging/debian/postinst "$root/DEBIAN/postinst"
  install -m 0755 packaging/debian/postrm "$root/DEBIAN/postrm"
  local deb="$OUT/${name}_${VERSION}_${ARCH}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
  echo "$deb: $(du -h "$deb" | cut -f1), Depends: $shlibs, systemd"
  lintian --fail-on error --suppress-tags "$LINTIAN_ACCEPTED" "$deb"
}
# Tags accepted on purpose: no upstream changelog or a Debian source package (built from this tree), a static Swift runtime.
LINTIAN_ACCEPTED="no-manual-page,initial-upload-closes-no-bugs,debian-changelog-file-missing-or-wrong-name,embedded-library,statically-linked-binary"

package ecs-delegate "deployment agent for Amazon ECS" \
  "Registers with an ecs-manager under a name and tags, long-polls for deployment tasks and runs them against AWS with calls it signs itself: rolling, canary and blue/green deployments, run task, scaling and their rollbacks. Runs as a hardened systemd service." \
  usr/bin/ecs-delegate usr/lib/systemd/system/ecs-delegate.service usr/lib/sysusers.d/ecs-delegate.conf usr/lib/tmpfiles.d/ecs-delegate.conf \
  etc/ecs-delegate/delegate.yaml \
  $(cd "$stage/all" && ls usr/share/man/man1/ecs-delegate*.1) \
  usr/share/bash-completion/completions/ecs-delegate usr/share/zsh/site-functions/_ecs-delegate usr/share/fish/vendor_completions.d/ecs-delegate.fish
package ecs-manager "control plane for ecs-delegate deployment agents" \
  "Queues deployment tasks for ecs-delegate agents chosen by tag, drives pipelines step by step with approvals and rollbacks, keeps connectors and sealed secrets, and notifies webhooks. SQLite by default, PostgreSQL for several replicas." \
  usr/bin/ecs-manager usr/lib/systemd/system/ecs-manager.service \
  $(cd "$stage/all" && ls usr/share/man/man1/ecs-manager*.1) \
  usr/share/bash-completion/completions/ecs-manager usr/share/zsh/site-functions/_ecs-manager usr/share/fish/vendor_completions.d/ecs-manager.fish
