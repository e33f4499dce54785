//! Every datamodel error points at the source: `file:line:col: what is wrong; what to do`, one
//! line. One test per error case, each with a near miss that loads.

use nexus::datamodel;
use nexus::generate;
use std::path::Path;

const NEXUS: &str = "github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus";

/// Writes a datamodel (module `example.com/dm`, group `dm.io` unless given) into a temp dir.
fn write(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let has = |name: &str| files.iter().any(|(f, _)| *f == name);
    if !has("nexus.yaml") {
        std::fs::write(dir.path().join("nexus.yaml"), "groupName: dm.io\n").unwrap();
    }
    if !has("go.mod") {
        std::fs::write(
            dir.path().join("go.mod"),
            "module example.com/dm\n\ngo 1.21\n",
        )
        .unwrap();
    }
    for (name, text) in files {
        if *name == "-nexus.yaml" {
            std::fs::remove_file(dir.path().join("nexus.yaml")).unwrap();
            continue;
        }
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text.replace("NEXUS", NEXUS)).unwrap();
    }
    dir
}

/// Loads and generates; the error message, or the number of CRDs.
fn run(root: &Path) -> Result<usize, String> {
    let dm = datamodel::load(root).map_err(|e| e.to_string())?;
    generate::generate(&dm)
        .map(|crds| crds.len())
        .map_err(|e| e.to_string())
}

/// Asserts the datamodel fails with a one-line message at `root/<at>` that contains `needle`.
#[track_caller]
fn fails(files: &[(&str, &str)], at: &str, needle: &str) -> String {
    let dir = write(files);
    let err = run(dir.path()).expect_err("the datamodel should not load");
    let location = format!("{}/{at}", dir.path().display());
    assert!(
        err.starts_with(&location),
        "expected {location}…, got: {err}"
    );
    assert!(err.contains(needle), "expected …{needle}…, got: {err}");
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(err.contains(';'), "says what to do: {err}");
    err
}

#[track_caller]
fn loads(files: &[(&str, &str)]) -> usize {
    let dir = write(files);
    run(dir.path()).unwrap_or_else(|e| panic!("should load: {e}"))
}

const ROOT_HEAD: &str = "package root\n\nimport \"NEXUS\"\n\n";

fn root(body: &str) -> String {
    format!("{ROOT_HEAD}{body}")
}

#[test]
fn go_syntax_error() {
    let bad = root("type Leader struct {\n\tnexus.Node\n\tName string string\n}\n");
    fails(&[("root.go", &bad)], "root.go:7:", "Go syntax error");
    let missing = root("type Leader struct {\n\tnexus.Node\n\tName string\n");
    fails(&[("root.go", &missing)], "root.go:", "Go syntax error");
    assert_eq!(
        loads(&[(
            "root.go",
            &root("type Leader struct {\n\tnexus.Node\n\tName string\n}\n")
        )]),
        1
    );
}

#[test]
fn unknown_rest_api_gen_variable() {
    let body = "var Spec = nexus.RestAPISpec{Uris: []nexus.RestURIs{{Uri: \"/l\", Methods: nexus.HTTPListResponse}}}\n\n// nexus-rest-api-gen:Spek\ntype Leader struct {\n\tnexus.Node\n}\n";
    let err = fails(&[("root.go", &root(body))], "root.go:7:23:", "`Spek`");
    assert!(err.contains("nexus.RestAPISpec"), "{err}");
    assert_eq!(
        loads(&[("root.go", &root(&body.replace("Spek", "Spec")))]),
        1
    );
    // A variable of another type is refused at the variable.
    let other =
        "var Spec = 3\n\n// nexus-rest-api-gen:Spec\ntype Leader struct {\n\tnexus.Node\n}\n";
    fails(
        &[("root.go", &root(other))],
        "root.go:5:5:",
        "is not a nexus.RestAPISpec",
    );
}

#[test]
fn rest_uris_that_are_one_route() {
    // Within one spec: the parameter names differ, the route is the same.
    let spec = |a: &str, b: &str| {
        root(&format!(
            "var Spec = nexus.RestAPISpec{{Uris: []nexus.RestURIs{{\n\t{{Uri: \"{a}\", Methods: nexus.DefaultHTTPMethodsResponses}},\n\t{{Uri: \"{b}\", Methods: nexus.DefaultHTTPMethodsResponses}},\n}}}}\n\n// nexus-rest-api-gen:Spec\ntype Leader struct {{\n\tnexus.Node\n}}\n"
        ))
    };
    let err = fails(
        &[("root.go", &spec("/l/{root.Leader}", "/l/{x}"))],
        "root.go:7:8:",
        "REST URI `/l/{x}` of `root.Leader` is the same route as `/l/{root.Leader}` of `root.Leader` (at ",
    );
    assert!(err.contains("root.go:6:8)"), "{err}");
    assert_eq!(
        loads(&[("root.go", &spec("/l/{root.Leader}", "/leaders"))]),
        1
    );
}

#[test]
fn child_field_that_is_a_slice_pointer_or_map() {
    for (ty, shape) in [
        ("[]Report", "a slice"),
        ("*Report", "a pointer"),
        ("map[string]Report", "a map"),
    ] {
        let body = format!(
            "type Leader struct {{\n\tnexus.Node\n\tKids {ty} `nexus:\"children\"`\n}}\n\ntype Report struct {{\n\tnexus.Node\n}}\n"
        );
        fails(&[("root.go", &root(&body))], "root.go:7:7:", shape);
    }
    let ok = "type Leader struct {\n\tnexus.Node\n\tKids Report `nexus:\"children\"`\n}\n\ntype Report struct {\n\tnexus.Node\n}\n";
    assert_eq!(loads(&[("root.go", &root(ok))]), 2);
    // A relation to a type that is not a node.
    let not_node = "type Leader struct {\n\tnexus.Node\n\tKid Plain `nexus:\"child\"`\n}\n\ntype Plain struct {\n\tName string\n}\n";
    fails(
        &[("root.go", &root(not_node))],
        "root.go:7:6:",
        "is not a node",
    );
}

#[test]
fn singleton_used_as_children() {
    let body = "type Leader struct {\n\tnexus.Node\n\tCfg Config `nexus:\"children\"`\n}\n\ntype Config struct {\n\tnexus.SingletonNode\n}\n";
    fails(&[("root.go", &root(body))], "root.go:7:2:", "singleton");
    assert_eq!(
        loads(&[("root.go", &root(&body.replace("children", "child")))]),
        2
    );
}

#[test]
fn node_with_two_parents() {
    let body = "type A struct {\n\tnexus.Node\n\tKid C `nexus:\"child\"`\n}\n\ntype B struct {\n\tnexus.Node\n\tKid C `nexus:\"children\"`\n}\n\ntype C struct {\n\tnexus.Node\n}\n";
    let err = fails(
        &[("root.go", &root(body))],
        "root.go:12:2:",
        "claimed as a child by `B.Kid` and by `A.Kid`",
    );
    assert!(err.contains("root.go:7:2"), "names the first claim: {err}");
    // Links do not claim.
    assert_eq!(
        loads(&[(
            "root.go",
            &root(&body.replace("`nexus:\"children\"`", "`nexus:\"link\"`"))
        )]),
        3
    );
}

#[test]
fn cycle_of_children() {
    let body = "type A struct {\n\tnexus.Node\n\tB B `nexus:\"child\"`\n}\n\ntype B struct {\n\tnexus.Node\n\tA A `nexus:\"child\"`\n}\n";
    fails(
        &[("root.go", &root(body))],
        "root.go:12:2:",
        "cycle: root.A → root.B → root.A",
    );
    let own = "type A struct {\n\tnexus.Node\n\tMe A `nexus:\"children\"`\n}\n";
    fails(
        &[("root.go", &root(own))],
        "root.go:7:2:",
        "cycle: root.A → root.A",
    );
}

#[test]
fn map_with_a_non_string_key() {
    let body = "type Leader struct {\n\tnexus.Node\n\tScores map[int]string\n}\n";
    fails(&[("root.go", &root(body))], "root.go:7:2:", "`int` keys");
    // Named string keys are strings; a named int is not.
    let named = "type Leader struct {\n\tnexus.Node\n\tScores map[Key]string\n\tByPort Ports\n}\n\ntype Key string\ntype Port int\ntype Ports map[Port]bool\n";
    fails(
        &[("root.go", &root(named))],
        "root.go:13:6:",
        "`root.Port` keys",
    );
    assert_eq!(
        loads(&[(
            "root.go",
            &root(&named.replace("type Port int", "type Port string"))
        )]),
        1
    );
}

#[test]
fn reserved_type_name() {
    for name in ["Kind", "NexusStatus", "SchemeGroupVersion", "Link"] {
        let body = format!(
            "type Leader struct {{\n\tnexus.Node\n}}\n\ntype {name} struct {{\n\tX string\n}}\n"
        );
        fails(
            &[("root.go", &root(&body))],
            "root.go:9:6:",
            &format!("`{name}` is reserved"),
        );
    }
    assert_eq!(
        loads(&[(
            "root.go",
            &root("type Leader struct {\n\tnexus.Node\n}\n\ntype Kinds struct{}\n")
        )]),
        1
    );
}

#[test]
fn unknown_or_mistyped_validation_key() {
    let field = |marker: &str, ty: &str| {
        root(&format!(
            "type Leader struct {{\n\tnexus.Node\n\t// nexus-validation: {marker}\n\tTitle {ty}\n}}\n"
        ))
    };
    let err = fails(
        &[("root.go", &field("MaxLen=3", "string"))],
        "root.go:7:23:",
        "unknown key `MaxLen`",
    );
    assert!(err.contains("field `Title`"), "{err}");
    fails(
        &[("root.go", &field("maxLength=3", "string"))],
        "root.go:7:23:",
        "did you mean `MaxLength`",
    );
    fails(
        &[("root.go", &field("MaxLength=3", "int"))],
        "root.go:7:23:",
        "MaxLength applies to strings, but `Title` is an integer",
    );
    fails(
        &[("root.go", &field("Maximum=3", "string"))],
        "root.go:7:23:",
        "Maximum applies to numbers",
    );
    fails(
        &[("root.go", &field("MaxItems=3", "map[string]int"))],
        "root.go:7:23:",
        "MaxItems applies to arrays",
    );
    fails(
        &[("root.go", &field("MinProperties=1", "[]string"))],
        "root.go:7:23:",
        "MinProperties applies to maps",
    );
    fails(
        &[("root.go", &field("MaxLength=-1", "string"))],
        "root.go:7:23:",
        "non-negative integer",
    );
    fails(
        &[("root.go", &field("UniqueItems=yes", "[]string"))],
        "root.go:7:23:",
        "`true` or `false`",
    );
    let err = fails(
        &[(
            "root.go",
            &field("MaxItems=3, UniqueItems=true", "[]string"),
        )],
        "root.go:7:35:",
        "UniqueItems=true makes a CRD the API server rejects",
    );
    assert!(err.contains("ListType=set"), "{err}");
    fails(
        &[("root.go", &field("ListType=set", "[]map[string]string"))],
        "root.go:7:23:",
        "ListType=set needs items that are strings, numbers or booleans",
    );
    fails(
        &[("root.go", &field("ListType=map", "[]string"))],
        "root.go:7:23:",
        "`atomic` or `set`",
    );
    assert_eq!(
        loads(&[(
            "root.go",
            &field("UniqueItems=false, ListType=set", "[]string")
        )]),
        1
    );
    fails(
        &[("root.go", &field("MaxLength=1, Foo=2", "string"))],
        "root.go:7:36:",
        "unknown key `Foo`",
    );
    // `,string` makes a number a string: string keys fit, number keys do not.
    let as_string = |marker: &str| {
        root(&format!(
            "type Leader struct {{\n\tnexus.Node\n\t// nexus-validation: {marker}\n\tCount int `json:\"count,string\"`\n}}\n"
        ))
    };
    fails(
        &[("root.go", &as_string("Maximum=3"))],
        "root.go:7:23:",
        "is a string",
    );
    assert_eq!(loads(&[("root.go", &as_string("MaxLength=3"))]), 1);
    assert_eq!(
        loads(&[("root.go", &field("MaxLength=3, Pattern=^a,b$", "*string"))]),
        1
    );
}

#[test]
fn a_sub_package_with_the_root_package_name() {
    // Directories sharing a name are one package (see compiler_parity.rs), but never the root's.
    let leader = root("type Leader struct {\n\tnexus.Node\n}\n");
    let err = fails(
        &[
            ("root.go", &leader),
            ("a/x/types.go", "package root\n\ntype A struct{}\n"),
        ],
        "a/x/types.go:1:9:",
        "package name `root` is also used by the root directory",
    );
    assert!(err.contains("rename it"), "{err}");
    // Merged directories declare one set of types: a name declared in both is declared twice.
    fails(
        &[
            ("root.go", &leader),
            ("a/x/types.go", "package shared\n\ntype A struct{}\n"),
            ("b/types.go", "package shared\n\ntype A struct{}\n"),
        ],
        "b/types.go:3:6:",
        "type `A` is declared twice in package `shared`",
    );
    assert_eq!(
        loads(&[
            ("root.go", &leader),
            ("a/x/types.go", "package shared\n\ntype A struct{}\n"),
            ("b/types.go", "package shared\n\ntype B struct{}\n"),
        ]),
        1
    );
}

#[test]
fn package_names_must_be_lower_case_letters_and_digits() {
    let leader = root("type Leader struct {\n\tnexus.Node\n}\n");
    fails(
        &[
            ("root.go", &leader),
            ("svc/types.go", "package service_group\n"),
        ],
        "svc/types.go:1:9:",
        "lower-case letters and digits",
    );
    fails(
        &[
            ("root.go", &leader),
            ("svc/a.go", "package svc\n"),
            ("svc/b.go", "package other\n"),
        ],
        "svc/b.go:1:9:",
        "every file of a directory",
    );
}

#[test]
fn missing_nexus_yaml_or_group_name() {
    let leader = root("type Leader struct {\n\tnexus.Node\n}\n");
    let dir = write(&[("root.go", &leader), ("-nexus.yaml", "")]);
    let err = run(dir.path()).unwrap_err();
    assert!(
        err.starts_with(&format!("{}/nexus.yaml: not found;", dir.path().display())),
        "{err}"
    );
    fails(
        &[("root.go", &leader), ("nexus.yaml", "datamodelName: dm\n")],
        "nexus.yaml:1:1:",
        "groupName is missing",
    );
    fails(
        &[
            ("root.go", &leader),
            ("nexus.yaml", "datamodelName: dm\ngroupName: \"\"\n"),
        ],
        "nexus.yaml:2:12:",
        "groupName is missing",
    );
    fails(
        &[("root.go", &leader), ("nexus.yaml", "groupName: [a\n")],
        "nexus.yaml:",
        "is not valid",
    );
    fails(
        &[("root.go", &leader), ("go.mod", "go 1.21\n")],
        "go.mod:1:1:",
        "no `module` directive",
    );
}

#[test]
fn type_that_cannot_be_resolved() {
    let local = "type Leader struct {\n\tnexus.Node\n\tSpec Specification\n}\n";
    fails(
        &[("root.go", &root(local))],
        "root.go:7:7:",
        "cannot resolve type `Specification`",
    );
    let alias = "type Leader struct {\n\tnexus.Node\n\tSpec cfg.Spec\n}\n";
    fails(
        &[("root.go", &root(alias))],
        "root.go:7:7:",
        "cannot resolve `cfg`",
    );
    let other_package = "package root\n\nimport (\n\t\"NEXUS\"\n\t\"example.com/dm/config\"\n)\n\ntype Leader struct {\n\tnexus.Node\n\tSpec config.Spek\n}\n";
    fails(
        &[
            ("root.go", other_package),
            ("config/config.go", "package config\n\ntype Spec struct{}\n"),
        ],
        "root.go:10:7:",
        "cannot resolve type `config.Spek`",
    );
    assert_eq!(
        loads(&[
            ("root.go", &other_package.replace("Spek", "Spec")),
            (
                "config/config.go",
                "package config\n\ntype Spec struct{ A string }\n"
            )
        ]),
        1
    );
    let missing_dir = "package root\n\nimport (\n\t\"NEXUS\"\n\t\"example.com/dm/gone\"\n)\n\ntype Leader struct {\n\tnexus.Node\n\tSpec gone.Spec\n}\n";
    fails(
        &[("root.go", missing_dir)],
        "root.go:10:7:",
        "names no package of the datamodel",
    );
    let chan = "type Leader struct {\n\tnexus.Node\n\tEvents chan string\n}\n";
    fails(
        &[("root.go", &root(chan))],
        "root.go:7:9:",
        "a channel type cannot be stored in a CRD",
    );
}

#[test]
fn recursive_types_and_clashing_properties() {
    let recursive = "type Leader struct {\n\tnexus.Node\n\tTree Tree\n}\n\ntype Tree struct {\n\tKids []Tree\n}\n";
    fails(
        &[("root.go", &root(recursive))],
        "root.go:10:6:",
        "contains itself",
    );
    let clash =
        "type Leader struct {\n\tnexus.Node\n\tName string\n\tTitle string `json:\"name\"`\n}\n";
    fails(
        &[("root.go", &root(clash))],
        "root.go:8:2:",
        "both become the JSON property `name`",
    );
    let gvk = "type Leader struct {\n\tnexus.Node\n\tKidGvk string\n\tKid Report `nexus:\"child\"`\n}\n\ntype Report struct {\n\tnexus.Node\n}\n";
    fails(&[("root.go", &root(gvk))], "root.go:8:2:", "`kidGvk` twice");
    let node_field = "type Leader struct {\n\tnexus.Node\n\tKid Report\n}\n\ntype Report struct {\n\tnexus.Node\n}\n";
    fails(
        &[("root.go", &root(node_field))],
        "root.go:7:6:",
        "is a node and cannot be a field's type",
    );
    let two_status = "type Leader struct {\n\tnexus.Node\n\tA S `nexus:\"status\"`\n\tB S `nexus:\"status\"`\n}\n\ntype S struct{ X int }\n";
    fails(
        &[("root.go", &root(two_status))],
        "root.go:8:2:",
        "second status field",
    );
}

#[test]
fn crd_names_kubernetes_would_refuse() {
    let body = "type My_Node struct {\n\tnexus.Node\n}\n";
    fails(
        &[("root.go", &root(body))],
        "root.go:5:6:",
        "CRD plural `my_nodes`",
    );
    let clash = "type Foo struct {\n\tnexus.Node\n}\n\ntype FOO struct {\n\tnexus.Node\n}\n";
    fails(
        &[("root.go", &root(clash))],
        "root.go:",
        "both get the CRD name `foos.root.dm.io`",
    );
}

#[test]
fn skipped_directories_are_never_read() {
    let leader = root("type Leader struct {\n\tnexus.Node\n}\n");
    let broken = "package broken\n\nthis is not Go {\n";
    assert_eq!(
        loads(&[
            ("root.go", &leader),
            ("build/x.go", broken),
            ("vendor/x/x.go", broken),
            (".git/x.go", broken),
            ("old/x.go", broken),
            ("root_test.go", broken),
            ("nexus.yaml", "groupName: dm.io\nignoredDirs: [old]\n"),
        ]),
        1
    );
    fails(
        &[("root.go", &leader), ("old/x.go", broken)],
        "old/x.go:3:",
        "Go syntax error",
    );
}
