//! The checksum that pins a step file once it is applied: a file whose bytes changed after it
//! was applied is refused (edit history, don't rewrite it).
//!
//! SHA-256 (the `sha2` crate): a checksum recorded in the cluster must not collide by accident
//! nor by design, and must read the same in every nexus release, so a standard cryptographic hash
//! rather than a hasher whose output may change between Rust versions.

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// `sha256:` followed by the 64 lower-case hex digits of the SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn one_byte_changes_it() {
        assert_ne!(sha256(b"up: []\n"), sha256(b"up: [] \n"));
    }
}
