#!/usr/bin/env bash
# Runs buf (npm @bufbuild/buf, pinned) over the botfleet.v1 protos:
#   buf.sh lint                          AIP style (buf.yaml), in every `mvn verify`
#   buf.sh breaking                      wire compatibility with the frozen v1 (v1-image.json),
#                                        in every `mvn verify`
#   buf.sh breaking --against <git ref>  wire compatibility with an earlier commit
#   buf.sh freeze                        rewrite v1-image.json from the protos as they are (only
#                                        for a release that may break: see docs/api.md)
# buf is installed on first use (npm registry) into a per-user cache shared by every clone
# (${XDG_CACHE_HOME:-~/.cache}/botfleet/buf-<version>, like Maven's ~/.m2), never into the
# repository; where that cache is not writable, into target/buf.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version=1.75.0
cache="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/botfleet"
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
  dir="$cache/buf-$version"
else
  dir="$here/target/buf"
fi
bin="$dir/node_modules/.bin/buf"
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -qx "$version"; then
  mkdir -p "$dir"
  # One install at a time per cache: parallel builds (two clones, CI and a developer) share it.
  exec 9>"$dir.lock"
  command -v flock >/dev/null && flock 9
  if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -qx "$version"; then
    npm install --silent --no-audit --no-fund --prefix "$dir" "@bufbuild/buf@$version" >/dev/null
  fi
  exec 9>&-
fi
cd "$here"
case "${1:-lint}" in
  lint) exec "$bin" lint ;;
  breaking)
    shift
    if [ -z "${1:-}" ]; then
      exec "$bin" breaking --against "$here/v1-image.json"
    fi
    [ "${1:-}" = "--against" ] && [ -n "${2:-}" ] || { echo "usage: buf.sh breaking [--against <git ref>]" >&2; exit 2; }
    root="$(git -C "$here" rev-parse --show-toplevel)"
    exec "$bin" breaking --against "$root/.git#ref=$2,subdir=proto/src/main/proto" ;;
  freeze) exec "$bin" build --exclude-source-info -o "$here/v1-image.json" ;;
  *) echo "usage: buf.sh [lint | breaking [--against <git ref>] | freeze]" >&2; exit 2 ;;
esac
