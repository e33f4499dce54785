#!/usr/bin/env bash
# `make demo`: the main job on the bundled example datamodel (the orgchart of docs/datamodel.md),
# on a temporary copy: a first build and install, objects stored with kubectl, a compatible edit,
# a breaking edit refused, the CI gate on it, the edit forced with a migration that carries the
# stored objects across (the generated step file shown before it is completed), and the undo.
#
#   scripts/demo.sh [--keep] [NEXUS [FAKE_APISERVER]]
#
# --keep leaves the workspace and the fake API server running, and prints the commands to go on.
# Colour only on a terminal (and never with NO_COLOR set): `make demo > file` is plain text.
set -uo pipefail

keep=false
positional=()
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) positional+=("$arg") ;;
  esac
done
nexus=$(realpath "${positional[0]:-target/debug/nexus}")
fake_apiserver=$(realpath "${positional[1]:-target/debug/nexus-fake-apiserver}")
gate=$(realpath scripts/ci-gate.sh)
export NEXUS=$nexus  # the binary scripts/ci-gate.sh runs
example=$(realpath testdata/datamodels/orgchart)
for tool in "$nexus" "$fake_apiserver"; do
  [ -x "$tool" ] || { echo "demo: $tool is not built; run \`make build\` (or \`make demo\`)" >&2; exit 2; }
done
work=$(mktemp -d)
server=
cleanup() {
  if $keep; then return; fi
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  b=$'\033[1m' d=$'\033[2m' r=$'\033[0m'
else
  b= d= r=
fi
bold() { printf '\n%s%s%s\n' "$b" "$*" "$r"; }
run() { printf '%s$ %s%s\n' "$d" "$*" "$r"; "$@"; }
expect() { # expect CODE COMMAND...: run it and check its exit code
  local want=$1; shift
  run "$@"; local got=$?
  echo "(exit $got)"
  [ "$got" -eq "$want" ] || { echo "demo: expected exit $want from: $*" >&2; exit 1; }
}
commit() { git add -A && git -c user.name=demo -c user.email=demo@example.com commit -qm "$1"; }

cp -r "$example" "$work/orgchart" && cd "$work/orgchart" || exit 1
git init -q -b main . && commit "orgchart datamodel"

bold "1. First build of the orgchart datamodel: no baseline yet, every CRD is new"
expect 0 "$nexus" datamodel build
ls build/crds
commit "first build"

bold "2. Install it into a cluster: nexus's own fake API server on 127.0.0.1"
setsid "$fake_apiserver" --established-after-reads 1 --kubeconfig-out "$work/kubeconfig" >"$work/server.out" 2>&1 < /dev/null &
server=$!
for _ in $(seq 100); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
[ -s "$work/kubeconfig" ] || { echo "demo: the fake API server did not start:" >&2; cat "$work/server.out" >&2; exit 1; }
head -n 1 "$work/server.out"
export KUBECONFIG=$work/kubeconfig
expect 0 "$nexus" datamodel install

bold "3. A compatible edit: Leader gets an optional field (json:\"phone,omitempty\"); build, then upgrade the cluster"
sed -i 's|\tLocation      string  `json:"location,omitempty"`|&\n\tPhone string `json:"phone,omitempty"`|' root.go
expect 0 "$nexus" datamodel build --verbose
commit "optional phone"
expect 0 "$nexus" datamodel install
bold "   Installing again changes nothing"
expect 0 "$nexus" datamodel install

bold "   Three leaders stored in the cluster"
leaders=$work/leaders.yaml
for who in alice:CEO bob:CTO carol:CFO; do
  printf -- '---\napiVersion: root.orgchart.org/v1\nkind: Leader\nmetadata:\n  name: %s\nspec:\n  name: %s\n  designation: %s\n' \
    "${who%%:*}" "${who%%:*}" "${who##*:}"
done > "$leaders"
if command -v kubectl >/dev/null 2>&1; then
  expect 0 kubectl apply --server-side --validate=false -f "$leaders"
  expect 0 kubectl get leaders
else
  # kubectl is not installed: the same objects through the API with curl.
  echo "(kubectl is not on PATH: storing the leaders with curl instead)"
  api=$(sed -n 's/^ *server: *//p' "$KUBECONFIG" | head -n 1 | tr -d '"')
  for who in alice:CEO bob:CTO carol:CFO; do
    curl -sf -X POST -H 'Content-Type: application/json' "$api/apis/root.orgchart.org/v1/leaders" \
      -d "{\"apiVersion\":\"root.orgchart.org/v1\",\"kind\":\"Leader\",\"metadata\":{\"name\":\"${who%%:*}\"},\"spec\":{\"name\":\"${who%%:*}\",\"designation\":\"${who##*:}\"}}" >/dev/null \
      || { echo "demo: could not store ${who%%:*}" >&2; exit 1; }
    echo "stored leader ${who%%:*}"
  done
fi
show_alice() {
  if command -v kubectl >/dev/null 2>&1; then
    run kubectl get leader alice -o jsonpath='{.spec}'; echo
  else
    curl -sf "$api/apis/root.orgchart.org/v1/leaders/alice" | grep -o '"spec":{[^}]*}'
  fi
}

bold "4. A breaking edit: Leader gets a required field (no omitempty); nothing is written"
sed -i '/^type Leader struct/,/^}/ s|\tDesignation   string|&\n\tAdditionalField string `json:"additionalField"`|' root.go
expect 1 "$nexus" datamodel build
git status --short build/crds

bold "5. The CI gate: the pull request's CRDs against the base branch, as GitHub annotations"
echo "(action.yml runs this script; first the CRDs are built anyway, with --force, as a pull request would)"
expect 0 "$nexus" datamodel build --force=true
expect 1 "$gate" --base main --format github build/crds
expect 1 "$nexus" datamodel diff git:main:build/crds build/crds

bold "6. The cluster still holds the old CRDs: install checks against them and refuses too"
expect 1 "$nexus" datamodel install
bold "   --force --dry-run shows what a forced install would do, and touches nothing"
expect 0 "$nexus" datamodel install --force --dry-run

bold "7. A migration carries the stored leaders across: every one needs the new required field"
expect 0 "$nexus" datamodel migrate create give-leaders-an-additional-field
step_file=$(ls migrations/*_give-leaders-an-additional-field.yaml)
bold "   The step file migrate create wrote: the field has no default, so a person fills in the value"
run cat "$step_file"
bold "   Completed by hand: every leader gets additionalField \"unknown\"; down removes it again"
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
run cat "$step_file"
bold "   The plan: what the step does to each stored object, validated against the new CRD"
expect 0 "$nexus" datamodel migrate plan
bold "   A forced install: read the objects, migrate and validate them, back them up, apply the CRDs, write the objects, record the step"
expect 0 "$nexus" datamodel install --force
commit "additionalField, with its migration"
expect 0 "$nexus" datamodel migrate status
show_alice

bold "8. Undo: the previous CRDs go back first (the live schema must accept what migrate down writes), then migrate down"
echo "(the API server prunes additionalField, which the old CRD does not know, from every object it serves:"
echo " down finds the leaders already as they were, changes nothing and records the step as undone)"
run git checkout -q HEAD~1 -- build/crds
expect 0 "$nexus" datamodel install --force
expect 0 "$nexus" datamodel migrate down
expect 0 "$nexus" datamodel migrate status
show_alice

if $keep; then
  bold "The workspace and the fake API server are still running. To go on:"
  cat <<EOF
  cd $work/orgchart
  export KUBECONFIG=$work/kubeconfig
  export PATH=$(dirname "$nexus"):\$PATH
  nexus datamodel migrate status
  kubectl get leaders
  nexus datamodel diff cluster: build/crds
When done:
  kill $server && rm -rf $work
EOF
else
  bold "Done: the workspace and the server are removed (scripts/demo.sh --keep leaves them running)"
fi
