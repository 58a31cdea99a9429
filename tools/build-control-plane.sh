#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok from Go modules into
# .cache/k8s/<K8S_VERSION>/bin (gitignored) and prints that directory on its last line of stdout.
#
# - A no-op when the binaries there carry a stamp for the same versions, Go toolchain and tools/ files.
# - OUTRIGGER_K8S_BIN=/dir uses prebuilt binaries instead (it only checks they are there).
# - A second, machine-wide copy in ${XDG_CACHE_HOME:-~/.cache}/outrigger lets a fresh clone on the same
#   machine skip the compile; Go's own module and build caches are left at their defaults for the same reason.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.env
source "$root/tools/versions.env"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
log() { echo "build-control-plane: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -n "${OUTRIGGER_K8S_BIN:-}" ]; then
  for b in "${binaries[@]}"; do
    [ -x "$OUTRIGGER_K8S_BIN/$b" ] || die "OUTRIGGER_K8S_BIN=$OUTRIGGER_K8S_BIN has no executable '$b'. It must hold: ${binaries[*]}"
  done
  log "using prebuilt binaries from OUTRIGGER_K8S_BIN"
  echo "$OUTRIGGER_K8S_BIN"
  exit 0
fi

out="$root/.cache/k8s/$K8S_VERSION/bin"
has_binaries() { for b in "${binaries[@]}"; do [ -x "$1/$b" ] || return 1; done; }

if ! command -v go >/dev/null 2>&1; then
  if has_binaries "$out"; then log "no Go toolchain; using the binaries already in $out"; echo "$out"; exit 0; fi
  die "no 'go' on PATH and no binaries in $out. Building the local control plane needs Go >= 1.26 and the Go module proxy.
Install Go, or point OUTRIGGER_K8S_BIN at a directory with ${binaries[*]},
or set OUTRIGGER_TEST_KUBECONFIG to use an existing cluster for the tests."
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
go_version=$(go env GOVERSION)
case "$go_version" in go1.2[6-9]*|go1.[3-9]*) ;; *) die "Go $go_version is too old: the control plane needs Go >= 1.26 (k8s.io/kubernetes v$K8S_VERSION says go 1.26.0)." ;; esac

tools_hash=$(cd "$root/tools" && cat versions.env build-control-plane.sh kubernetes/go.mod kubernetes/go.sum etcd/go.mod etcd/go.sum kwok/go.mod kwok/go.sum kwok/*.patch | sha256sum | cut -c1-16)
key="k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-$go_version-$(go env GOOS)-$(go env GOARCH)-$tools_hash"
machine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/outrigger/k8s/$key"

is_complete() { # dir: every binary present and the stamp matches
  [ "$(cat "$1/.stamp" 2>/dev/null)" = "$key" ] && has_binaries "$1"
}

if is_complete "$out"; then log "up to date ($out)"; echo "$out"; exit 0; fi

publish() { # src dir -> out, atomically
  local tmp="$out.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  for b in "${binaries[@]}"; do cp "$1/$b" "$tmp/$b"; done
  echo "$key" > "$tmp/.stamp"
  rm -rf "$out" && mv "$tmp" "$out"
}

if is_complete "$machine_cache"; then
  publish "$machine_cache"
  log "copied from the machine cache $machine_cache"
  echo "$out"; exit 0
fi

build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
work="$machine_cache.tmp.$$"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

# Go module zips carry no git metadata, so the version must be stamped in or `--version` prints
# v0.0.0-master+$Format:%H$ (and kwok and clients that read the server version misbehave).
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=${K8S_VERSION%%.*}"
  minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  k8s_ldflags+=" -X $pkg.gitMinor=$minor -X $pkg.gitCommit=outrigger-gomod -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
log "building kube-apiserver, kube-controller-manager, kube-scheduler v$K8S_VERSION (cold: about 10 min on 2 cores)"
(cd "$root/tools/kubernetes" && go build -trimpath -ldflags "$k8s_ldflags" -o "$work/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)

log "building etcd v$ETCD_VERSION"
etcd_ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=outrigger-gomod"
(cd "$root/tools/etcd" && go build -trimpath -ldflags "$etcd_ldflags" -o "$work/etcd" go.etcd.io/etcd/server/v3)

log "building kwok v$KWOK_VERSION with tools/kwok/*.patch"
# A patched copy of the module, built through a copy of the wrapper module that points at it.
kwok_module=$(cd "$root/tools/kwok" && go mod download sigs.k8s.io/kwok && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
[ -d "$kwok_module" ] || die "could not download sigs.k8s.io/kwok v$KWOK_VERSION"
cp -r "$kwok_module" "$work/kwok-src" && chmod -R u+w "$work/kwok-src"
for p in "$root"/tools/kwok/*.patch; do
  # git apply as a plain patch tool: the ceiling keeps it from finding a repository above the copy.
  (cd "$work/kwok-src" && GIT_CEILING_DIRECTORIES="$work" git apply -p1 "$p") ||
    die "$(basename "$p") does not apply to kwok v$KWOK_VERSION"
done
mkdir "$work/kwok-build" && cp "$root/tools/kwok/go.mod" "$root/tools/kwok/go.sum" "$work/kwok-build/"
echo "replace sigs.k8s.io/kwok => $work/kwok-src" >> "$work/kwok-build/go.mod"
(cd "$work/kwok-build" && go build -trimpath -ldflags "-s -w" -o "$work/kwok" sigs.k8s.io/kwok/cmd/kwok)
rm -rf "$work/kwok-src" "$work/kwok-build"

for b in "${binaries[@]}"; do [ -x "$work/$b" ] || die "the build produced no $b"; done
"$work/kube-apiserver" --version | grep -q "v$K8S_VERSION" || die "kube-apiserver --version does not report v$K8S_VERSION"
echo "$key" > "$work/.stamp"
rm -rf "$machine_cache" && mv "$work" "$machine_cache"
publish "$machine_cache"
log "built in $((SECONDS - started)) s into $out"
echo "$out"
