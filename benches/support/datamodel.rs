//! A generated datamodel for the scale test and the build benchmark (issue 4): 1,000 nodes in 20
//! packages with 20 fields each, plus a singleton root.

use std::fmt::Write;
use std::path::Path;

pub const PACKAGES: usize = 20;
pub const NODES_PER_PACKAGE: usize = 50;

/// Twenty spec fields of mixed kinds, with markers and tags.
fn fields(out: &mut String) {
    out.push_str(
        "\t//nexus-validation: MaxLength=64, MinLength=1\n\tName string `json:\"name\"`\n\
         \tDescription string `json:\"description,omitempty\"`\n\
         \t//nexus-validation: Maximum=100, Minimum=0\n\tReplicas int32\n\
         \tEnabled bool\n\tWeight float64\n\tPort common.Port\n\
         \t//nexus-validation: MaxItems=10\n\tTags []string\n\
         \tLabels map[string]string `json:\"labels,omitempty\"`\n\
         \tEndpoint common.HostPort\n\tBackup *common.HostPort `json:\"backup,omitempty\"`\n\
         \tTarget intstr.IntOrString\n\tCreated metav1.Time\n\
         \tLimits map[string][]common.HostPort\n\tMatrix [][]int64\n\
         \tChecksum []byte\n\tCount uint64 `json:\"count,string\"`\n\
         \tSettings map[string]interface{} `nexus-graphql-jsonencoded:\"\"`\n\
         \tInner struct {\n\t\tA string\n\t\tB int\n\t}\n\
         \tLevel common.Level\n\tSecret string `json:\"-\"`\n",
    );
}

/// Writes the datamodel: a root with one child per package; in each package the nodes form a
/// binary tree, every node with a link to its package's first node.
pub fn write_datamodel(root: &Path) {
    std::fs::write(root.join("nexus.yaml"), "groupName: scale.example.com\n").unwrap();
    std::fs::write(root.join("go.mod"), "module example.com/scale\n\ngo 1.21\n").unwrap();
    std::fs::create_dir_all(root.join("common")).unwrap();
    std::fs::write(
        root.join("common/common.go"),
        "package common\n\ntype Port uint16\ntype Level int\n\ntype HostPort struct {\n\tHost string `json:\"host\"`\n\tPort Port `json:\"port\"`\n}\n",
    )
    .unwrap();
    let mut root_go = String::from(
        "package root\n\nimport (\n\t\"github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus\"\n",
    );
    for p in 0..PACKAGES {
        let _ = writeln!(root_go, "\t\"example.com/scale/pkg{p}\"");
    }
    root_go.push_str(")\n\ntype Root struct {\n\tnexus.SingletonNode\n");
    for p in 0..PACKAGES {
        let _ = writeln!(root_go, "\tTop{p} pkg{p}.Node0 `nexus:\"child\"`");
    }
    root_go.push_str("}\n");
    std::fs::write(root.join("root.go"), root_go).unwrap();

    for p in 0..PACKAGES {
        let dir = root.join(format!("pkg{p}"));
        std::fs::create_dir_all(&dir).unwrap();
        // Two files per package, to exercise multi-file packages.
        for half in 0..2 {
            let mut src = format!(
                "package pkg{p}\n\nimport (\n\t\"github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus\"\n\
                 \tmetav1 \"k8s.io/apimachinery/pkg/apis/meta/v1\"\n\t\"k8s.io/apimachinery/pkg/util/intstr\"\n\
                 \t\"example.com/scale/common\"\n)\n\n"
            );
            for n in (half * NODES_PER_PACKAGE / 2)..((half + 1) * NODES_PER_PACKAGE / 2) {
                let _ = writeln!(
                    src,
                    "// Node{n} is node {n} of package {p}.\ntype Node{n} struct {{\n\tnexus.Node"
                );
                fields(&mut src);
                for child in [2 * n + 1, 2 * n + 2] {
                    if child < NODES_PER_PACKAGE {
                        let kind = if child % 2 == 0 { "child" } else { "children" };
                        let _ = writeln!(src, "\tKid{child} Node{child} `nexus:\"{kind}\"`");
                    }
                }
                if n > 0 {
                    src.push_str("\tFirst Node0 `nexus:\"link\"`\n");
                }
                src.push_str("}\n\n");
            }
            std::fs::write(dir.join(format!("nodes{half}.go")), src).unwrap();
        }
    }
}

/// Writes a datamodel whose singleton root has `fields` string fields (`field0`, `field1`, …)
/// after an embedded struct `Base` whose `field0` the direct field hides and whose `extra`
/// survives: the shape that made the compiler quadratic (issue 9).
pub fn write_wide_datamodel(root: &Path, fields: usize) {
    std::fs::write(root.join("nexus.yaml"), "groupName: wide.example.com\n").unwrap();
    std::fs::write(root.join("go.mod"), "module example.com/wide\n\ngo 1.21\n").unwrap();
    let mut src = String::with_capacity(fields * 40);
    src.push_str(
        "package root\n\nimport \"github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus\"\n\n\
         type Base struct {\n\tField0 int `json:\"field0\"`\n\tExtra string `json:\"extra\"`\n}\n\n\
         type Root struct {\n\tnexus.SingletonNode\n\tBase\n",
    );
    for i in 0..fields {
        let _ = writeln!(src, "\tField{i} string `json:\"field{i},omitempty\"`");
    }
    src.push_str("}\n");
    std::fs::write(root.join("root.go"), src).unwrap();
}
