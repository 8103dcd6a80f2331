#!/usr/bin/env bash
# Runs buf (npm @bufbuild/buf, pinned) over the botfleet.v1 protos:
#   buf.sh lint                          AIP style (buf.yaml), in every `mvn verify`
#   buf.sh breaking                      wire compatibility with the frozen v1 (v1-image.json),
#                                        in every `mvn verify`
#   buf.sh breaking --against <git ref>  wire compatibility with an earlier commit
#   buf.sh freeze                        rewrite v1-image.json from the protos as they are (only
#                                        for a release that may break: see docs/api.md)
# buf is installed into target/buf on first use (npm registry), never into the repository.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version=1.75.0
dir="$here/target/buf"
bin="$dir/node_modules/.bin/buf"
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -qx "$version"; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" "@bufbuild/buf@$version" >/dev/null
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
