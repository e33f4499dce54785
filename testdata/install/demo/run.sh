#!/bin/sh
# An install and an upgrade of a small datamodel against nexus's fake API server.
#
#   testdata/install/demo/run.sh            (uses `cargo run`)
#   NEXUS=target/debug/nexus testdata/install/demo/run.sh
#
# v1 -> first install; v1 again -> nothing to do; v2 -> compatible upgrade (a new optional
# field, a new CRD); v3 -> dry run of a breaking upgrade (a field and a CRD removed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nexus=${NEXUS:-"cargo run --quiet --manifest-path $here/../../../Cargo.toml --"}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

$nexus fake-apiserver --established-after-reads 1 --kubeconfig-out "$work/kubeconfig" >"$work/server.out" &
server=$!
# The first line of the server's output is printed once the kubeconfig is written.
until [ -s "$work/server.out" ]; do sleep 0.1; done
head -n 1 "$work/server.out"

cd "$here"   # nexus.yaml here names the datamodel's group, orgchart.org
step() {
    echo
    echo "\$ nexus datamodel install --crds $*"
    $nexus datamodel install --kubeconfig "$work/kubeconfig" --crds "$@" || echo "(exit code $?)"
}
step v1
step v1
step v2
step v3 --dry-run
step v3 --dry-run --prune
