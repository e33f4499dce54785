//! Progress of long work (waiting for Established, reading and writing thousands of objects,
//! restores). The library does not print: the CLI names a [`Reporter`] once with
//! [`set_reporter`] (an indicatif bar on a terminal, plain lines otherwise), as it names the sink
//! of `cluster::notice`; without one, phases are silent.

use std::sync::OnceLock;

/// Shows phases somewhere (the CLI's stderr).
pub trait Reporter: Send + Sync {
    /// A phase starts: `label` says what is under way, `total` how many units it has, if known.
    fn start(&self, label: String, total: Option<u64>) -> Box<dyn Shown>;
}

/// One phase as the reporter shows it; dropped without [`Shown::finish`] when work fails.
pub trait Shown: Send + Sync {
    /// `n` more units done.
    fn advance(&self, n: u64);
    /// `n` units done in all.
    fn set(&self, n: u64);
    /// Ends the phase with its outcome ("200 written").
    fn finish(self: Box<Self>, outcome: &str);
}

static REPORTER: OnceLock<Box<dyn Reporter>> = OnceLock::new();

/// Sends every later phase to `reporter` (the first call wins).
pub fn set_reporter(reporter: Box<dyn Reporter>) {
    let _ = REPORTER.set(reporter);
}

/// One phase of long work; ends (quietly) when dropped.
pub struct Phase(Option<Box<dyn Shown>>);

impl Phase {
    /// Starts a phase (see [`Reporter::start`]).
    pub fn start(label: impl Into<String>, total: Option<u64>) -> Phase {
        Phase(REPORTER.get().map(|r| r.start(label.into(), total)))
    }

    /// `n` more units done.
    pub fn advance(&self, n: u64) {
        if let Some(shown) = &self.0 {
            shown.advance(n);
        }
    }

    /// `n` units done in all.
    pub fn set(&self, n: u64) {
        if let Some(shown) = &self.0 {
            shown.set(n);
        }
    }

    /// Ends the phase; `outcome` closes a phase that said something.
    pub fn finish(mut self, outcome: &str) {
        if let Some(shown) = self.0.take() {
            shown.finish(outcome);
        }
    }
}
