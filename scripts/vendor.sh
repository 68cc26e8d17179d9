#!/usr/bin/env bash
# Copy the vendored front-end files, byte for byte, from the npm packages named in
# static/vendor/VERSIONS. Every file a vendored file refers to (a sourceMappingURL) is vendored
# too: collectstatic's manifest storage follows those references and stops at a missing one.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=$PWD/static/vendor
version() {  # the exact version pinned in VERSIONS; never "latest"
  local pinned
  pinned=$(awk -v name="$1" '$1 == name { print $2 }' "$vendor/VERSIONS")
  [ -n "$pinned" ] || { echo "no version of $1 in $vendor/VERSIONS" >&2; exit 1; }
  echo "$pinned"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack <package>: the package's files in $work/<package>/package
  local pinned tarball
  pinned=$(version "$1")
  tarball=$(cd "$work" && npm pack --silent "$1@$pinned")
  mkdir -p "$work/$1"
  tar -xzf "$work/$tarball" -C "$work/$1"
}

unpack bootstrap
unpack htmx.org
unpack chart.js

mkdir -p "$vendor/bootstrap" "$vendor/htmx" "$vendor/chartjs"
cp "$work"/bootstrap/package/dist/css/bootstrap.min.css{,.map} "$vendor/bootstrap/"
cp "$work"/bootstrap/package/dist/js/bootstrap.bundle.min.js{,.map} "$vendor/bootstrap/"
cp "$work"/bootstrap/package/LICENSE "$vendor/bootstrap/"
cp "$work"/htmx.org/package/dist/htmx.min.js "$work"/htmx.org/package/LICENSE "$vendor/htmx/"
cp "$work"/chart.js/package/dist/chart.umd.min.js{,.map} "$vendor/chartjs/"
cp "$work"/chart.js/package/LICENSE.md "$vendor/chartjs/"
