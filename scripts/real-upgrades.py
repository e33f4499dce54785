#!/usr/bin/env python3
"""Runs `nexus datamodel diff` over every pair of ../shared/corpus/pairs.tsv and prints a Markdown
table of verdicts per pair (used to write docs/real-upgrades.md).

usage: scripts/real-upgrades.py [NEXUS_BINARY] [CORPUS_DIR] > table.md
The two large/provider-aws pairs are unpacked to target/corpus-large/ first.
"""
import collections, json, os, subprocess, sys, tarfile, time

nexus = sys.argv[1] if len(sys.argv) > 1 else "target/release/nexus"
corpus = sys.argv[2] if len(sys.argv) > 2 else "../shared/corpus"
unpacked = "target/corpus-large"


def resolve(rel):
    if rel.startswith("large/"):
        tag = rel.split("/")[-1]
        out = os.path.join(unpacked, "provider-aws", tag)
        if not os.path.isdir(out):
            os.makedirs(unpacked, exist_ok=True)
            with tarfile.open(os.path.join(corpus, "large", f"provider-aws-{tag}.tar.xz")) as t:
                t.extractall(unpacked, filter="data")
        return out
    return os.path.join(corpus, rel)


print("| project | old → new | expected | nexus verdict | breaking | warning | compatible | breaking rules (count) | time |")
print("|---|---|---|---|---|---|---|---|---|")
for line in open(os.path.join(corpus, "pairs.tsv")):
    cols = line.rstrip("\n").split("\t")
    if len(cols) < 6 or cols[0] == "project":
        continue
    project, old_tag, new_tag, old_dir, new_dir, notes = cols[:6]
    expected = notes.split(":")[0]
    start = time.time()
    out = subprocess.run([nexus, "datamodel", "diff", resolve(old_dir), resolve(new_dir), "--format", "json"],
                         capture_output=True, text=True)
    took = time.time() - start
    if out.returncode == 2:
        print(f"| {project} | {old_tag} → {new_tag} | {expected} | ERROR: {out.stderr.strip()} | | | | | |")
        continue
    report = json.loads(out.stdout)
    s = report["summary"]
    rules = collections.Counter(c["rule"] for c in report["changes"] if c["severity"] == "breaking")
    top = ", ".join(f"{r} ({n})" for r, n in rules.most_common(6))
    print(f"| {project} | {old_tag} → {new_tag} | {expected} | {report['verdict']} | {s['breaking']} | {s['warning']} "
          f"| {s['compatible']} | {top} | {took:.2f}s |")
