//! CRD paths of findings: JSON-pointer segments, list entries named by their key
//! (`/spec/versions/name=v1`), never by index.

use std::borrow::Cow;

/// Escapes one segment the JSON-pointer way (`~` → `~0`, `/` → `~1`), so a key that holds a slash
/// cannot be mistaken for two segments.
pub(in crate::compare) fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// `base/key`.
pub(in crate::compare) fn child(base: &str, key: &str) -> String {
    format!("{base}/{}", escape(key))
}

/// `base/key=value`: a list entry named by its key.
pub(in crate::compare) fn entry(base: &str, key: &str, value: &str) -> String {
    format!("{base}/{key}={}", escape(value))
}

/// `/spec/versions/name=<version>`.
pub(in crate::compare) fn version(name: &str) -> String {
    entry("/spec/versions", "name", name)
}

/// The schema root of a version: `/spec/versions/name=<version>/schema/openAPIV3Schema`.
pub(in crate::compare) fn schema_root(version_name: &str) -> String {
    format!("{}/schema/openAPIV3Schema", version(version_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_segments_are_kept() {
        assert_eq!(child("/spec", "group"), "/spec/group");
        assert_eq!(version("v1"), "/spec/versions/name=v1");
        assert_eq!(
            schema_root("v1beta1"),
            "/spec/versions/name=v1beta1/schema/openAPIV3Schema"
        );
    }

    #[test]
    fn slashes_and_tildes_are_escaped() {
        assert_eq!(child("/a", "x/y~z"), "/a/x~1y~0z");
        assert_eq!(entry("/a", "jsonPath", ".spec/x"), "/a/jsonPath=.spec~1x");
    }
}
