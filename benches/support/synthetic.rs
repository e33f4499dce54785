//! A synthetic CRD set for benchmarks: `crds` CRDs × `versions` versions × `properties` properties
//! per version, written as YAML the way controller-gen lays it out. The "new" side applies a few
//! realistic edits (added optional fields, an enum value, a description, a tightened bound) to one
//! CRD in fifty, so the comparison has findings to report without being dominated by them.

use std::fmt::Write as _;

/// Size of a generated set.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub crds: usize,
    pub versions: usize,
    pub properties: usize,
}

/// The issue's benchmark shape: 1,000 CRDs × 2 versions × 300 properties.
pub const ISSUE_SHAPE: Shape = Shape {
    crds: 1000,
    versions: 2,
    properties: 300,
};

/// Returns `(file name, YAML text)` for every CRD of the old (`edited == false`) or new set.
pub fn generate(shape: Shape, edited: bool) -> Vec<(String, String)> {
    (0..shape.crds)
        .map(|i| {
            let name = format!("widget{i:04}s.bench{}.example.com", i % 20);
            let edit = edited && i % 50 == 7;
            (format!("{name}.yaml"), crd_yaml(shape, i, edit))
        })
        .collect()
}

fn crd_yaml(shape: Shape, index: usize, edit: bool) -> String {
    let group = format!("bench{}.example.com", index % 20);
    let plural = format!("widget{index:04}s");
    let mut y = String::with_capacity(shape.properties * shape.versions * 220);
    let _ = write!(
        y,
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.{group}\nspec:\n  group: {group}\n  names:\n    kind: Widget{index:04}\n    listKind: Widget{index:04}List\n    plural: {plural}\n    singular: widget{index:04}\n  scope: Namespaced\n  versions:\n"
    );
    for v in 0..shape.versions {
        let version = if v + 1 == shape.versions {
            "v1".to_string()
        } else {
            format!("v1beta{}", v + 1)
        };
        let storage = v + 1 == shape.versions;
        let _ = write!(
            y,
            "  - name: {version}\n    served: true\n    storage: {storage}\n    subresources:\n      status: {{}}\n    schema:\n      openAPIV3Schema:\n        description: Widget{index:04} is a synthetic resource for benchmarks.\n        type: object\n        properties:\n          apiVersion:\n            type: string\n          kind:\n            type: string\n          metadata:\n            type: object\n          spec:\n            type: object\n            required:\n            - field0000\n            properties:\n"
        );
        for p in 0..shape.properties {
            property(&mut y, index, p, edit);
        }
        if edit {
            y.push_str("              addedField:\n                description: A field added by the edit.\n                type: string\n");
        }
        y.push_str("          status:\n            type: object\n            properties:\n              observedGeneration:\n                type: integer\n                format: int64\n");
    }
    y
}

fn property(y: &mut String, crd: usize, p: usize, edit: bool) {
    let indent = "              ";
    let _ = writeln!(y, "{indent}field{p:04}:");
    let _ = writeln!(
        y,
        "{indent}  description: Field {p} of widget {crd}; it controls an aspect of the synthetic resource{}.",
        if edit && p == 3 { " (reworded)" } else { "" }
    );
    match p % 6 {
        0 => {
            let _ = writeln!(
                y,
                "{indent}  type: string\n{indent}  maxLength: {}",
                if edit && p == 6 { 32 } else { 64 }
            );
        }
        1 => {
            let _ = writeln!(
                y,
                "{indent}  type: integer\n{indent}  format: int32\n{indent}  minimum: 0"
            );
        }
        2 => {
            let _ = writeln!(
                y,
                "{indent}  type: string\n{indent}  enum:\n{indent}  - Alpha\n{indent}  - Beta"
            );
            if edit && p == 2 {
                let _ = writeln!(y, "{indent}  - Gamma");
            }
        }
        3 => {
            let _ = writeln!(y, "{indent}  type: boolean");
        }
        4 => {
            let _ = writeln!(
                y,
                "{indent}  type: array\n{indent}  x-kubernetes-list-type: map\n{indent}  x-kubernetes-list-map-keys:\n{indent}  - name\n{indent}  items:\n{indent}    type: object\n{indent}    required:\n{indent}    - name\n{indent}    properties:\n{indent}      name:\n{indent}        type: string\n{indent}      value:\n{indent}        type: string"
            );
        }
        _ => {
            let _ = writeln!(
                y,
                "{indent}  type: object\n{indent}  properties:\n{indent}    host:\n{indent}      type: string\n{indent}      pattern: ^[a-z0-9.-]+$\n{indent}    port:\n{indent}      type: integer\n{indent}      format: int32\n{indent}      maximum: 65535"
            );
        }
    }
}
