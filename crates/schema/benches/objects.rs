//! Object validation throughput: custom resources of a rich CRD (enums, formats, int-or-string,
//! list maps and sets, embedded resources, defaults, six CEL rules with `url()` and
//! `duration()`) through `VersionChecker::admit`, on create and as updates, as `migrate plan`,
//! `install --dry-run` and the fake API server run it. Numbers in BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nexus_schema::object::CrdChecker;
use serde_json::{Value, json};
use std::hint::black_box;

const OBJECTS: usize = 1_000;

fn rich_crd() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/apiserver_objects/rich.yaml"
    );
    let text = std::fs::read_to_string(path).expect("testdata/apiserver_objects/rich.yaml");
    serde_saphyr::from_str(&text).expect("the rich CRD parses")
}

/// Valid widgets with every kind of field set, a few of them invalid (as a real migration
/// meets them).
fn widgets() -> Vec<Value> {
    (0..OBJECTS)
        .map(|i| {
            json!({
                "apiVersion": "rich.example.com/v1",
                "kind": "Widget",
                "metadata": {"name": format!("w-{i}"), "namespace": "default",
                             "labels": {"app.kubernetes.io/name": "widget"}},
                "spec": {
                    "size": if i % 50 == 0 { "huge" } else { "small" },
                    "replicas": i % 5,
                    "ratio": 2.5,
                    "endpoint": format!("https://example.com/hook/{i}"),
                    "timeout": "30s",
                    "owner": "team",
                    "startedAt": "2024-01-02T03:04:05Z",
                    "address": "10.0.0.1",
                    "port": if i % 2 == 0 { json!(8080) } else { json!("http") },
                    "note": null,
                    "tags": ["a", "b"],
                    "ports": [{"name": "http", "number": 80}, {"name": "https", "number": 443}],
                    "labels": {"tier": "web"},
                    "template": {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "t"}, "data": {"k": "v"}},
                    "settings": {"mode": "fast", "extra": {"x": 1}},
                    "unknown": true
                }
            })
        })
        .collect()
}

fn admit(c: &mut Criterion) {
    let checker = CrdChecker::new(&rich_crd());
    let version = checker.version("v1").expect("v1");
    let objects = widgets();
    let mut group = c.benchmark_group("objects");
    group.throughput(Throughput::Elements(OBJECTS as u64));
    group.bench_function("admit_create_rich_crd", |b| {
        b.iter(|| {
            for object in &objects {
                black_box(version.admit(black_box(object), None));
            }
        })
    });
    group.bench_function("admit_update_rich_crd", |b| {
        b.iter(|| {
            for object in &objects {
                black_box(version.admit(black_box(object), Some(object)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, admit);
criterion_main!(benches);
