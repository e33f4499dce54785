#!/usr/bin/env bash
# `make demo`: the main job on the bundled examples. Shows a compatible edit passing and a breaking
# edit failing with its report.
set -uo pipefail
nexus=${1:-target/debug/nexus}
ex=testdata/diff/orgchart

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step nexus datamodel diff $ex/base $ex/compatible --verbose
"$nexus" datamodel diff $ex/base $ex/compatible --verbose
echo "(exit $?: compatible)"

step nexus datamodel diff $ex/base $ex/breaking
"$nexus" datamodel diff $ex/base $ex/breaking
code=$?
echo "(exit $code: breaking changes fail the run)"
[ "$code" -eq 1 ] || { echo "demo: expected exit 1 for the breaking edit" >&2; exit 1; }

step nexus datamodel diff $ex/base $ex/breaking --format json
"$nexus" datamodel diff $ex/base $ex/breaking --format json
true
