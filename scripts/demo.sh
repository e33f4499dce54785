#!/usr/bin/env bash
# `make demo`: the main job on the bundled example datamodel (the orgchart of DATAMODEL.md), on a
# temporary copy: a first build, a compatible edit that builds, a breaking edit that is refused
# with its report, and the same edit forced.
set -uo pipefail
nexus=$(realpath "${1:-target/debug/nexus}")
example=$(realpath testdata/datamodels/orgchart)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
expect() { # expect CODE COMMAND...: run it and check its exit code
  local want=$1; shift
  run "$@"; local got=$?
  echo "(exit $got)"
  [ "$got" -eq "$want" ] || { echo "demo: expected exit $want from: $*" >&2; exit 1; }
}

cp -r "$example" "$work/orgchart" && cd "$work/orgchart" || exit 1
git init -q . && git add -A && git -c user.name=demo -c user.email=demo@example.com commit -qm "orgchart datamodel"

bold "1. First build of the orgchart datamodel: no baseline yet, every CRD is new"
expect 0 "$nexus" datamodel build
ls build/crds
git add -A && git -c user.name=demo -c user.email=demo@example.com commit -qm "first build"

bold "2. A compatible edit: Leader gets an optional field (json:\"phone,omitempty\")"
sed -i 's|\tLocation      string  `json:"location,omitempty"`|&\n\tPhone string `json:"phone,omitempty"`|' root.go
expect 0 "$nexus" datamodel build --verbose
git add -A && git -c user.name=demo -c user.email=demo@example.com commit -qm "optional phone"

bold "3. A breaking edit: Leader gets a required field (no omitempty); nothing is written"
sed -i 's|\tDesignation   string\n\tDirectReports Manager|&|; /^type Leader struct/,/^}/ s|\tDesignation   string|&\n\tAdditionalField string `json:"additionalField"`|' root.go
expect 1 "$nexus" datamodel build
git status --short build/crds

bold "4. The same edit as JSON, the way CI reads it"
expect 1 "$nexus" datamodel build --format json

bold "5. Forced on purpose: the report is a warning and the CRDs are written"
expect 0 "$nexus" datamodel build --force=true
git status --short build/crds
