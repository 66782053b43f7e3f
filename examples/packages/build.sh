#!/usr/bin/env bash
# Builds an example package's tarball, reproducibly, with its checksums:
#   examples/packages/build.sh NAME VERSION OUTDIR
# writes OUTDIR/NAME-VERSION.tar.gz, .tar.gz.sha256 and .tar.gz.md5 (md5sum format, as
# Open-Falcon's updater checks with `md5sum -c`), and prints the sha256.
set -euo pipefail
name=${1:?usage: build.sh NAME VERSION OUTDIR}
version=${2:?usage: build.sh NAME VERSION OUTDIR}
out=${3:?usage: build.sh NAME VERSION OUTDIR}
src=$(cd "$(dirname "$0")/$name" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$src/." "$stage/"
echo "$version" >"$stage/VERSION"
chmod -R u+rwX,go+rX,go-w "$stage"
file="$name-$version.tar.gz"
tar --sort=name --mtime='2020-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
  -C "$stage" -cf - . | gzip -n -9 >"$out/$file"
(cd "$out" && sha256sum "$file" >"$file.sha256" && md5sum "$file" >"$file.md5")
cut -d' ' -f1 "$out/$file.sha256"
