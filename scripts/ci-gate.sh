#!/usr/bin/env bash
# The CI gate in one line: compare the CRDs under PATH as committed at a base revision with the
# CRDs of the working tree (or of a head revision), and fail on breaking changes.
#
#   scripts/ci-gate.sh [--base REV] [--head REV] [--format F] [--fail-on LEVEL] [--config FILE] PATH
#
# --base     the revision to compare against (default HEAD: the pre-commit hook's case; the GitHub
#            Action passes the pull request's base commit)
# --head     a revision to read PATH from instead of the working tree
# --format   text, json, markdown, github (annotations on the pull request) or junit (default text)
# --fail-on  breaking, warning or never (default breaking)
# --config   the config file (default: .nexus-compat.yaml when present)
#
# The nexus binary is $NEXUS, else `nexus` on PATH. Exit codes are nexus's: 0 compatible,
# 1 breaking, 2 the gate could not run. A PATH that does not exist at the base (CRDs added by this
# change) is compared as an empty set: every CRD is reported as added.
set -euo pipefail

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

base=HEAD head= format=text fail_on=breaking config= path=
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=${2:?--base needs a revision}; shift 2 ;;
    --head) head=${2:?--head needs a revision}; shift 2 ;;
    --format|-o) format=${2:?--format needs a value}; shift 2 ;;
    --fail-on) fail_on=${2:?--fail-on needs a value}; shift 2 ;;
    --config) config=${2:?--config needs a file}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "ci-gate: unknown option $1" >&2; usage ;;
    *)
      [ -z "$path" ] || { echo "ci-gate: one PATH only (got $path and $1)" >&2; exit 2; }
      path=$1; shift ;;
  esac
done
[ -n "$path" ] || { echo "ci-gate: name the directory or file of the CRDs (e.g. config/crd)" >&2; exit 2; }

nexus=${NEXUS:-nexus}
command -v "$nexus" >/dev/null 2>&1 || {
  echo "ci-gate: $nexus not found; install it (cargo install --locked --path <nexus checkout>) or set NEXUS" >&2
  exit 2
}
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
  echo "ci-gate: $(pwd) is not inside a git repository; run the gate from the repository's checkout" >&2
  exit 2
}
# A shallow clone (actions/checkout's default) lacks the base commit: fetch it, once.
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  git fetch --quiet --no-tags --depth=1 origin "$base" 2>/dev/null || true
  git cat-file -e "$base^{commit}" 2>/dev/null || {
    echo "ci-gate: revision $base is not in this clone; fetch it (actions/checkout with fetch-depth: 0)" >&2
    exit 2
  }
fi

# git paths are relative to the repository root; PATH is relative to the current directory.
top=$(git rev-parse --show-toplevel)
repo_path=$(realpath -m --relative-to="$top" "$path")
case "$repo_path" in
  ..|../*) echo "ci-gate: $path is outside the repository at $top" >&2; exit 2 ;;
esac

empty=
trap '[ -n "$empty" ] && rm -rf "$empty"' EXIT
old="git:$base:$repo_path"
if ! git cat-file -e "$base:$repo_path" 2>/dev/null; then
  empty=$(mktemp -d)
  echo "ci-gate: $path does not exist at $base; every CRD in it counts as added" >&2
  old=$empty
fi
new=$path
[ -z "$head" ] || new="git:$head:$repo_path"

args=(datamodel diff "$old" "$new" --format "$format" --fail-on "$fail_on")
[ -z "$config" ] || args+=(--config "$config")
set +e
"$nexus" "${args[@]}"
code=$?
set -e
exit "$code"
