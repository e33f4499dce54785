#!/usr/bin/env bash
# `make demo`: the main job on the bundled example datamodel (the orgchart of DATAMODEL.md), on a
# temporary copy: a first build, a compatible edit that builds, a breaking edit that is refused
# with its report, and the same edit forced.
set -uo pipefail
nexus=$(realpath "${1:-target/debug/nexus}")
fake_apiserver=$(realpath "${2:-target/debug/nexus-fake-apiserver}")
example=$(realpath testdata/datamodels/orgchart)
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

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

bold "2. Install it into a cluster: nexus's own fake API server on 127.0.0.1"
"$fake_apiserver" --established-after-reads 1 --kubeconfig-out "$work/kubeconfig" >"$work/server.out" 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
head -n 1 "$work/server.out"
expect 0 "$nexus" datamodel install --kubeconfig "$work/kubeconfig"

bold "3. A compatible edit: Leader gets an optional field (json:\"phone,omitempty\"); build, then upgrade the cluster"
sed -i 's|\tLocation      string  `json:"location,omitempty"`|&\n\tPhone string `json:"phone,omitempty"`|' root.go
expect 0 "$nexus" datamodel build --verbose
git add -A && git -c user.name=demo -c user.email=demo@example.com commit -qm "optional phone"
expect 0 "$nexus" datamodel install --kubeconfig "$work/kubeconfig"
bold "   Installing again changes nothing"
expect 0 "$nexus" datamodel install --kubeconfig "$work/kubeconfig"
bold "   Three leaders are stored in the cluster"
api=$(sed -n 's/^ *server: *//p' "$work/kubeconfig" | head -n 1 | tr -d '"')
for who in alice:CEO bob:CTO carol:CFO; do
  curl -sf -X POST -H 'Content-Type: application/json' "$api/apis/root.orgchart.org/v1/leaders" \
    -d "{\"apiVersion\":\"root.orgchart.org/v1\",\"kind\":\"Leader\",\"metadata\":{\"name\":\"${who%%:*}\"},\"spec\":{\"name\":\"${who%%:*}\",\"designation\":\"${who##*:}\"}}" >/dev/null \
    || { echo "demo: could not store ${who%%:*}" >&2; exit 1; }
  echo "stored leader ${who%%:*}"
done

bold "4. A breaking edit: Leader gets a required field (no omitempty); nothing is written"
sed -i 's|\tDesignation   string\n\tDirectReports Manager|&|; /^type Leader struct/,/^}/ s|\tDesignation   string|&\n\tAdditionalField string `json:"additionalField"`|' root.go
expect 1 "$nexus" datamodel build
git status --short build/crds

bold "5. The same edit as JSON, the way CI reads it"
expect 1 "$nexus" datamodel build --format json

bold "6. Forced on purpose: the report is a warning and the CRDs are written"
expect 0 "$nexus" datamodel build --force=true
git status --short build/crds

bold "7. The cluster still holds the old CRDs: install checks against them and refuses too"
expect 1 "$nexus" datamodel install --kubeconfig "$work/kubeconfig"
bold "   --force --dry-run shows what a forced install would do, and touches nothing"
expect 0 "$nexus" datamodel install --kubeconfig "$work/kubeconfig" --force --dry-run

bold "8. A migration carries the stored leaders across: every one needs the new required field"
expect 0 "$nexus" datamodel migrate create give-leaders-an-additional-field
step_file=$(ls migrations/*_give-leaders-an-additional-field.yaml)
# The field has no default, so nexus cannot fill the value in: a person writes the step.
cat > "$step_file" <<'STEP'
title: Give every leader an additionalField
crd: leaders.root.orgchart.org
up:
  - op: add
    path: /spec/additionalField
    value: unknown
    ifMissing: true
down:
  - op: remove
    path: /spec/additionalField
    ifPresent: true
STEP
cat "$step_file"
bold "   The plan: what the step does to each stored object, validated against the new CRD"
expect 0 "$nexus" datamodel migrate plan --kubeconfig "$work/kubeconfig"
bold "   A forced install: read the objects, migrate and validate them, back them up, apply the CRDs, write the objects, record the step"
expect 0 "$nexus" datamodel install --kubeconfig "$work/kubeconfig" --force
expect 0 "$nexus" datamodel migrate status --kubeconfig "$work/kubeconfig"
curl -sf "$api/apis/root.orgchart.org/v1/leaders/alice" | grep -o '"spec":{[^}]*}' 
