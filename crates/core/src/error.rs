//! Errors that end a run with exit code 2. Each renders as one sentence that names the file (with
//! line and column where known), the git revision or the CRD, and what to do.

use std::path::PathBuf;

/// The tool could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },

    /// A document could not be parsed. `location` is `file:line:column` (or as much as is known).
    #[error("{location}: {message}")]
    Parse { location: String, message: String },

    /// Anything else the user has to fix: the message is the whole sentence.
    #[error("{0}")]
    Input(String),

    /// A git repository, revision or path problem.
    #[error("{0}")]
    Git(String),

    /// A cluster problem (unreachable, refused, rejected).
    #[error("{0}")]
    Cluster(String),
}

impl Error {
    pub fn input(message: impl Into<String>) -> Error {
        Error::Input(message.into())
    }

    pub fn read(path: impl Into<PathBuf>, err: &std::io::Error) -> Error {
        let reason = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => err.to_string(),
        };
        Error::Read {
            path: path.into(),
            reason,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
