//! Kubernetes version priority (`CompareKubeAwareVersionStrings` of apimachinery): which of two
//! CRD version names is the newer one.
//!
//! Names of the form `v<major>[(alpha|beta)<minor>]` are "kube-like": GA beats beta beats alpha,
//! then the higher major wins, then the higher minor. Every other name ranks below all kube-like
//! names, and among themselves they rank the way Kubernetes ranks them (`foo1` above `foo10`).

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stability {
    Alpha,
    Beta,
    Ga,
}

/// A parsed kube-like version name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KubeVersion {
    stability: Stability,
    major: i64,
    minor: i64,
}

/// Parses `v<digits>[(alpha|beta)<digits>]`; numbers too large for Go's `int` make the name not
/// kube-like, as in Kubernetes.
fn parse(name: &str) -> Option<KubeVersion> {
    let rest = name.strip_prefix('v')?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (major, tail) = rest.split_at(digits_end);
    let major = parse_number(major)?;
    if tail.is_empty() {
        return Some(KubeVersion {
            stability: Stability::Ga,
            major,
            minor: 0,
        });
    }
    let (stability, minor) = if let Some(minor) = tail.strip_prefix("alpha") {
        (Stability::Alpha, minor)
    } else if let Some(minor) = tail.strip_prefix("beta") {
        (Stability::Beta, minor)
    } else {
        return None;
    };
    Some(KubeVersion {
        stability,
        major,
        minor: parse_number(minor)?,
    })
}

fn parse_number(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Compares two version names by Kubernetes priority: `Greater` when `a` is the newer (higher
/// priority) one. Names of equal priority (`v1`, `v01`) fall back to their text so that sorting
/// is deterministic.
pub fn compare_kube_versions(a: &str, b: &str) -> Ordering {
    let by_priority = match (parse(a), parse(b)) {
        // Kubernetes: strings.Compare(v2, v1) — among other names, the lexically smaller wins.
        (None, None) => b.cmp(a),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x
            .stability
            .cmp(&y.stability)
            .then(x.major.cmp(&y.major))
            .then(x.minor.cmp(&y.minor)),
    };
    by_priority.then_with(|| b.cmp(a))
}

/// Sorts version names from the oldest to the newest.
pub fn sort_oldest_first(names: &mut [&str]) {
    names.sort_by(|a, b| compare_kube_versions(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_documented_order() {
        // The example order of the Kubernetes CRD versioning documentation, highest first.
        let expected = [
            "v10",
            "v2",
            "v1",
            "v11beta2",
            "v10beta3",
            "v3beta1",
            "v12alpha1",
            "v11alpha2",
            "foo1",
            "foo10",
        ];
        let mut names: Vec<&str> = expected.iter().rev().copied().collect();
        names.sort_by(|a, b| compare_kube_versions(b, a));
        assert_eq!(names, expected);
    }

    #[test]
    fn ga_beta_alpha_then_major_then_minor() {
        let table = [
            ("v1", "v1beta1", Ordering::Greater),
            ("v1beta1", "v1alpha1", Ordering::Greater),
            ("v1beta1", "v2alpha1", Ordering::Greater),
            ("v1beta2", "v1beta1", Ordering::Greater),
            ("v2", "v1", Ordering::Greater),
            ("v1alpha1", "v1", Ordering::Less),
            ("v1", "v1", Ordering::Equal),
            ("v1", "custom", Ordering::Greater),
            ("v1alpha", "v1alpha1", Ordering::Less),
            ("v1gamma1", "v1alpha1", Ordering::Less),
        ];
        for (a, b, want) in table {
            assert_eq!(compare_kube_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_kube_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn odd_names_are_not_kube_like() {
        for name in [
            "",
            "v",
            "1",
            "V1",
            "v1beta",
            "vbeta1",
            "v1beta1x",
            "v99999999999999999999",
        ] {
            assert_eq!(parse(name), None, "{name}");
        }
        assert_eq!(
            parse("v3alpha2"),
            Some(KubeVersion {
                stability: Stability::Alpha,
                major: 3,
                minor: 2
            })
        );
    }

    #[test]
    fn sorts_oldest_first() {
        let mut names = vec!["v1", "v1alpha1", "legacy", "v2beta1", "v1beta1"];
        sort_oldest_first(&mut names);
        assert_eq!(names, ["legacy", "v1alpha1", "v1beta1", "v2beta1", "v1"]);
    }
}
