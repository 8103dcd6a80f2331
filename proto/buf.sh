#!/usr/bin/env bash
# Runs buf (npm @bufbuild/buf, pinned) over the botfleet.v1 protos: `buf.sh lint`, or
# `buf.sh breaking --against <git ref>` to compare with an earlier commit.
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
    [ "${1:-}" = "--against" ] && [ -n "${2:-}" ] || { echo "usage: buf.sh breaking --against <git ref>" >&2; exit 2; }
    root="$(git -C "$here" rev-parse --show-toplevel)"
    exec "$bin" breaking --against "$root/.git#ref=$2,subdir=proto/src/main/proto" ;;
  *) echo "usage: buf.sh [lint | breaking --against <git ref>]" >&2; exit 2 ;;
esac
