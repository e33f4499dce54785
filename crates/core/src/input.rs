//! Reading what users point nexus at, bounded. Every file and standard input is read with the
//! input limit (`--max-input-size`, at most limit + 1 bytes are ever read, so memory stays bounded
//! even for `/dev/zero`), and where a regular file is required a FIFO or device is refused
//! without blocking: the file is opened non-blocking and checked on the open descriptor, so a
//! file swapped for a FIFO after a directory walk cannot hang the run either.

use crate::error::{Error, Result};
use std::fs::{File, FileType};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The limit when neither `--max-input-size` nor the environment variable sets one.
pub const DEFAULT_LIMIT: u64 = 1 << 30;

/// The environment variable that sets the limit (the flag wins).
pub const LIMIT_ENV: &str = "NEXUS_MAX_INPUT_SIZE";

/// How messages name standard input.
pub const STDIN_NAME: &str = "standard input";

static LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_LIMIT);

/// Sets the limit for the rest of the process (`main` does, from the command line).
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes.max(1), Ordering::Relaxed);
}

/// The largest input, in bytes, nexus reads.
pub fn limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Parses a size: a whole number of bytes, optionally followed by `K`, `M`, `G`, `T` (binary
/// multiples, `KiB` … `TiB` and a trailing `B` are accepted too, any case).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let usage = "a size is a number of bytes, optionally with a unit: 1048576, 512K, 64MiB, 2G";
    let number: u64 = digits.parse().map_err(|_| usage.to_string())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(usage.to_string()),
    };
    let bytes = number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text} is too large; {usage}"))?;
    if bytes == 0 {
        return Err(format!("the limit must be at least 1 byte; {usage}"));
    }
    Ok(bytes)
}

/// A size as people read it: `1 GiB`, `64 KiB`, `1000 bytes`.
pub fn show_size(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    if bytes == 1 {
        "1 byte".to_string()
    } else {
        format!("{bytes} bytes")
    }
}

/// The error for an input over the limit; `name` is the file as messages show it.
pub fn too_large(name: &str) -> Error {
    too_large_for(name, limit())
}

fn too_large_for(name: &str, limit: u64) -> Error {
    Error::input(format!(
        "{name} is larger than the input limit of {}; if it really is input, raise the limit with \
         --max-input-size SIZE or {LIMIT_ENV}=SIZE (e.g. 4GiB)",
        show_size(limit)
    ))
}

/// Refuses an object of `size` bytes known before reading it (a git blob).
pub fn check_size(name: &str, size: u64) -> Result<()> {
    if size > limit() {
        return Err(too_large(name));
    }
    Ok(())
}

/// What a file that is not a regular file is, for messages; `None` for a regular file.
pub fn special_kind(file_type: FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a regular file")
}

fn not_regular(path: &Path, kind: &str) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        reason: format!("it is {kind}, not a regular file; name a regular file"),
    }
}

/// Reads a file that must be a regular file (a config, a step file, a file found in a
/// directory). A FIFO, socket or device is refused at once, never waited on.
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    read_regular_if_exists(path)?
        .ok_or_else(|| Error::read(path, &std::io::Error::from(std::io::ErrorKind::NotFound)))
}

/// [`read_regular`], with `None` when nothing exists at `path`.
pub fn read_regular_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    let file = match open_nonblocking(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::read(path, &e)),
    };
    let meta = file.metadata().map_err(|e| Error::read(path, &e))?;
    if let Some(kind) = special_kind(meta.file_type()) {
        return Err(not_regular(path, kind));
    }
    read_limited(file, meta.len(), &path.display().to_string(), path).map(Some)
}

/// Refuses, without reading it, a file nexus hands to a reader it does not control (kube's
/// kubeconfig loader): it must be a regular file within the limit. Nothing at `path` is left to
/// that reader to report.
pub fn check_regular(path: &Path) -> Result<()> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::read(path, &e)),
    };
    if let Some(kind) = special_kind(meta.file_type()) {
        return Err(not_regular(path, kind));
    }
    check_size(&path.display().to_string(), meta.len())
}

/// Reads a file named on the command line as a source: as `-` reads standard input, a FIFO
/// (`<(kubectl …)`) or a device is read too, up to the limit. A directory is the caller's case.
pub fn read_named(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| Error::read(path, &e))?;
    let meta = file.metadata().map_err(|e| Error::read(path, &e))?;
    if meta.is_dir() {
        return Err(not_regular(path, "a directory"));
    }
    let hint = if meta.is_file() { meta.len() } else { 0 };
    read_limited(file, hint, &path.display().to_string(), path)
}

/// Reads `reader` to its end, or fails as soon as it has given more than the limit: at most
/// limit + 1 bytes are read, and the buffer never grows past that. `size_hint` (a regular file's
/// length) sizes the buffer at once and refuses a file over the limit without reading it.
pub fn read_limited(reader: impl Read, size_hint: u64, name: &str, path: &Path) -> Result<Vec<u8>> {
    read_up_to(reader, size_hint, name, path, limit())
}

fn read_up_to(
    mut reader: impl Read,
    size_hint: u64,
    name: &str,
    path: &Path,
    limit: u64,
) -> Result<Vec<u8>> {
    if size_hint > limit {
        return Err(too_large_for(name, limit));
    }
    let ceiling = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let hint = usize::try_from(size_hint).unwrap_or(usize::MAX);
    // One byte more than the hint: reading that the file has ended needs room for a read.
    let mut bytes: Vec<u8> = Vec::with_capacity(hint.saturating_add(1).min(ceiling));
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let room = ceiling - bytes.len();
        if room == 0 {
            return Err(too_large_for(name, limit));
        }
        let want = room.min(chunk.len());
        let n = match reader.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::read(path, &e)),
        };
        if bytes.capacity() - bytes.len() < n {
            // Double as Vec would, but never past the ceiling.
            let target = (bytes.capacity().saturating_mul(2))
                .max(bytes.len() + n)
                .min(ceiling);
            bytes.reserve_exact(target - bytes.len());
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
    Ok(bytes)
}

/// Opens for reading without blocking on a FIFO that has no writer (the descriptor is checked
/// before anything is read; on a regular file `O_NONBLOCK` changes nothing).
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("3TB"), Ok(3 << 40));
        for bad in [
            "",
            "G",
            "1.5G",
            "-1",
            "10X",
            "0",
            "99999999999999999999",
            "9999999999T",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_show_in_the_largest_whole_unit() {
        assert_eq!(show_size(1 << 30), "1 GiB");
        assert_eq!(show_size(3 << 20), "3 MiB");
        assert_eq!(show_size(1536), "1536 bytes");
        assert_eq!(show_size(1024), "1 KiB");
        assert_eq!(show_size(1), "1 byte");
    }

    /// A reader that never ends and counts what it handed out.
    struct Endless {
        given: u64,
    }
    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            buf.fill(b'a');
            self.given += buf.len() as u64;
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_reader_stops_one_byte_past_the_limit() {
        let mut endless = Endless { given: 0 };
        let err = read_up_to(&mut endless, 0, "the stream", Path::new("x"), 100_000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the stream is larger than the input limit of 100000 bytes; if it really is input, \
             raise the limit with --max-input-size SIZE or NEXUS_MAX_INPUT_SIZE=SIZE (e.g. 4GiB)"
        );
        assert_eq!(endless.given, 100_001);
    }

    #[test]
    fn input_up_to_the_limit_reads_whole_and_a_hint_over_it_reads_nothing() {
        let text = b"a: 1\n".repeat(20_000);
        let limit = text.len() as u64;
        let read = read_up_to(&text[..], 0, "f", Path::new("f"), limit).unwrap();
        assert_eq!(read, text);
        assert!(read.capacity() <= text.len() + 1);
        assert!(read_up_to(&text[..], 0, "f", Path::new("f"), limit - 1).is_err());
        let mut endless = Endless { given: 0 };
        let err =
            read_up_to(&mut endless, 2048, "big.yaml", Path::new("big.yaml"), 1024).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("big.yaml is larger than the input limit of 1 KiB"),
            "{err}"
        );
        assert_eq!(endless.given, 0);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.yaml");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = read_regular(&fifo).unwrap_err().to_string();
        assert!(
            err.contains("pipe.yaml") && err.contains("named pipe (FIFO)"),
            "{err}"
        );
        let err = check_regular(&fifo).unwrap_err().to_string();
        assert!(err.contains("named pipe (FIFO)"), "{err}");
        assert!(
            read_regular_if_exists(&dir.path().join("none"))
                .unwrap()
                .is_none()
        );
        let err = read_regular(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a directory"), "{err}");
    }
}
