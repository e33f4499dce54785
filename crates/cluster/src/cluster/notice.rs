//! Notices of long cluster waits ("waiting for …; retrying until the deadline"). The library
//! does not print: the CLI names where notices go (stderr) with [`set_sink`] once, before any
//! cluster work, as it sets the input limit; without a sink they are dropped.

use std::sync::OnceLock;

static SINK: OnceLock<fn(&str)> = OnceLock::new();

/// Sends every later notice to `sink` (the first call wins).
pub fn set_sink(sink: fn(&str)) {
    let _ = SINK.set(sink);
}

/// One notice, already scrubbed of secrets, without a trailing newline.
pub(crate) fn say(text: &str) {
    if let Some(sink) = SINK.get() {
        sink(text);
    }
}
