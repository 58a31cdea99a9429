#!/usr/bin/env bash
# Builds helm and kustomize from Go modules into .cache/chart-tools/bin (gitignored) and prints that
# directory on its last line of stdout. The chart tests run them (charts/outrigger).
#
# - A no-op when the binaries there carry a stamp for the same versions, Go toolchain and tools/ files.
# - OUTRIGGER_CHART_TOOLS_BIN=/dir uses prebuilt binaries instead (it only checks they are there).
# - Like tools/build-control-plane.sh, a machine-wide copy in ${XDG_CACHE_HOME:-~/.cache}/outrigger lets
#   a fresh clone on the same machine skip the compile.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# Kept out of versions.env: that file keys the control-plane cache, and a chart-tool bump must not
# rebuild kube-apiserver. tools/helm/go.mod and tools/kustomize/go.mod require these versions.
HELM_VERSION=4.3.2
KUSTOMIZE_VERSION=5.8.2
binaries=(helm kustomize)
log() { echo "build-chart-tools: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -n "${OUTRIGGER_CHART_TOOLS_BIN:-}" ]; then
  for b in "${binaries[@]}"; do
    [ -x "$OUTRIGGER_CHART_TOOLS_BIN/$b" ] || die "OUTRIGGER_CHART_TOOLS_BIN=$OUTRIGGER_CHART_TOOLS_BIN has no executable '$b'. It must hold: ${binaries[*]}"
  done
  echo "$OUTRIGGER_CHART_TOOLS_BIN"
  exit 0
fi

out="$root/.cache/chart-tools/bin"
has_binaries() { for b in "${binaries[@]}"; do [ -x "$1/$b" ] || return 1; done; }

if ! command -v go >/dev/null 2>&1; then
  if has_binaries "$out"; then log "no Go toolchain; using the binaries already in $out"; echo "$out"; exit 0; fi
  die "no 'go' on PATH and no binaries in $out. The chart tests need helm $HELM_VERSION and kustomize $KUSTOMIZE_VERSION,
built from Go modules (Go >= 1.26 and the Go module proxy), or OUTRIGGER_CHART_TOOLS_BIN pointing at both."
fi
grep -q "helm.sh/helm/v4 v$HELM_VERSION\( //\|\$\)" "$root/tools/helm/go.mod" || die "tools/helm/go.mod does not require helm v$HELM_VERSION"
grep -q "sigs.k8s.io/kustomize/kustomize/v5 v$KUSTOMIZE_VERSION\( //\|\$\)" "$root/tools/kustomize/go.mod" || die "tools/kustomize/go.mod does not require kustomize v$KUSTOMIZE_VERSION"
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
go_version=$(go env GOVERSION)
case "$go_version" in go1.2[6-9]*|go1.[3-9]*) ;; *) die "Go $go_version is too old: helm v$HELM_VERSION needs Go >= 1.26." ;; esac

tools_hash=$(cd "$root/tools" && cat build-chart-tools.sh helm/go.mod helm/go.sum kustomize/go.mod kustomize/go.sum | sha256sum | cut -c1-16)
key="helm-$HELM_VERSION-kustomize-$KUSTOMIZE_VERSION-$go_version-$(go env GOOS)-$(go env GOARCH)-$tools_hash"
machine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/outrigger/chart-tools/$key"

is_complete() { [ "$(cat "$1/.stamp" 2>/dev/null)" = "$key" ] && has_binaries "$1"; }

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

work="$machine_cache.tmp.$$"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

# Module zips carry no VCS data: stamp the versions in so `helm version` and `kustomize version` say them.
log "building helm v$HELM_VERSION (cold: a few minutes on 2 cores)"
(cd "$root/tools/helm" && go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION" \
  -o "$work/helm" helm.sh/helm/v4/cmd/helm)

log "building kustomize v$KUSTOMIZE_VERSION"
(cd "$root/tools/kustomize" && go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=v$KUSTOMIZE_VERSION" \
  -o "$work/kustomize" sigs.k8s.io/kustomize/kustomize/v5)

"$work/helm" version --short | grep -q "v$HELM_VERSION" || die "helm version does not report v$HELM_VERSION"
"$work/kustomize" version | grep -q "v$KUSTOMIZE_VERSION" || die "kustomize version does not report v$KUSTOMIZE_VERSION"
echo "$key" > "$work/.stamp"
rm -rf "$machine_cache" && mv "$work" "$machine_cache"
publish "$machine_cache"
log "built in $((SECONDS - started)) s into $out"
echo "$out"
