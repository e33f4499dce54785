//! The `-` source: standard input, read whole up to the input limit (it may be YAML or JSON, one or
//! many documents).

use super::workers::{Content, SourceFile};
use crate::error::Result;
use crate::input;
use std::io::Read;
use std::path::Path;

/// How messages name standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Reads standard input to its end, up to the input limit.
pub fn file() -> Result<SourceFile> {
    from_reader(std::io::stdin().lock())
}

fn from_reader(reader: impl Read) -> Result<SourceFile> {
    let bytes = input::read_limited(reader, 0, input::STDIN_NAME, Path::new(STDIN_NAME))?;
    Ok(SourceFile {
        name: STDIN_NAME.to_string(),
        content: Content::Bytes(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_everything_under_the_stdin_name() {
        let file = from_reader(&b"a: 1\n---\nb: 2\n"[..]).unwrap();
        assert_eq!(file.name, "<stdin>");
        assert!(matches!(file.content, Content::Bytes(ref b) if b == b"a: 1\n---\nb: 2\n"));
    }

    #[test]
    fn read_errors_name_stdin() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("device gone"))
            }
        }
        let err = from_reader(Broken).unwrap_err();
        assert_eq!(err.to_string(), "cannot read <stdin>: device gone");
    }
}
