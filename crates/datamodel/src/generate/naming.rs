//! CRD names for a node: kind, plural (with the original compiler's quirks), group, file name.

use crate::datamodel::{Datamodel, Node};

/// Every name a node's CRD carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdNames {
    /// `T` (first letter upper-cased, as the original compiler's title-casing did).
    pub kind: String,
    /// `TList`.
    pub list_kind: String,
    /// `lower(T)`; also the only short name.
    pub singular: String,
    /// `plural(lower(T))`.
    pub plural: String,
    /// `p.<group>`.
    pub group: String,
    /// `plural.p.<group>`.
    pub crd_name: String,
    /// `<package>_<lower(T)>.yaml`.
    pub file_name: String,
}

impl CrdNames {
    /// The names of a node of a datamodel.
    pub fn of(dm: &Datamodel, node: &Node) -> CrdNames {
        let singular = node.name.to_lowercase();
        let plural = plural(&singular);
        let group = format!("{}.{}", node.package, dm.group);
        let mut chars = node.name.chars();
        let kind: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        CrdNames {
            list_kind: format!("{kind}List"),
            kind,
            crd_name: format!("{plural}.{group}"),
            file_name: format!("{}_{}.yaml", node.package, singular),
            singular,
            plural,
            group,
        }
    }
}

/// The plural the original nexus compiler gives a (lower-cased) type name: +es after s, x, z;
/// consonant+y → ies; ch/sh → +es; fe/f → ves; otherwise +s; shorter than two letters: as is.
/// No dictionary: `dns` → `dnses`, `humanresources` → `humanresourceses`. Users' clusters hold
/// these names, so they must not be "fixed".
pub fn plural(singular: &str) -> String {
    let chars: Vec<char> = singular.chars().collect();
    let (Some(&last), Some(&before)) = (
        chars.last(),
        chars.len().checked_sub(2).and_then(|i| chars.get(i)),
    ) else {
        return singular.to_string();
    };
    let stem = |drop: usize| chars[..chars.len() - drop].iter().collect::<String>();
    match last {
        's' | 'x' | 'z' => format!("{singular}es"),
        'y' if is_consonant(before) => format!("{}ies", stem(1)),
        'h' if before == 'c' || before == 's' => format!("{singular}es"),
        'e' if before == 'f' => format!("{}ves", stem(2)),
        'f' => format!("{}ves", stem(1)),
        _ => format!("{singular}s"),
    }
}

fn is_consonant(c: char) -> bool {
    "bcdfghjklmnpqrstvwxyz".contains(c)
}

/// Why a name cannot be a Kubernetes resource name part (a DNS label), if it cannot.
pub(crate) fn label_problem(label: &str) -> Option<&'static str> {
    if label.is_empty() || label.len() > 63 {
        return Some("must be 1 to 63 characters long");
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some("may hold only lower-case letters and digits");
    }
    if !label.as_bytes()[0].is_ascii_lowercase() {
        return Some("must start with a letter");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_keeps_the_original_quirks() {
        let cases = [
            ("leader", "leaders"),
            ("dns", "dnses"),
            ("humanresources", "humanresourceses"),
            ("box", "boxes"),
            ("quiz", "quizes"),
            ("policy", "policies"),
            ("gateway", "gateways"),
            ("batch", "batches"),
            ("mesh", "meshes"),
            ("graph", "graphs"),
            ("knife", "knives"),
            ("leaf", "leaves"),
            ("safe", "saves"),
            ("config", "configs"),
            ("a", "a"),
            ("", ""),
            ("gns", "gnses"),
            ("vmpolicy", "vmpolicies"),
        ];
        for (singular, expected) in cases {
            assert_eq!(plural(singular), expected, "{singular}");
        }
    }

    #[test]
    fn labels_must_be_dns_labels() {
        assert_eq!(label_problem("leaders"), None);
        assert!(label_problem("my_nodes").is_some());
        assert!(label_problem("9lives").is_some());
        assert!(label_problem(&"a".repeat(64)).is_some());
    }
}
