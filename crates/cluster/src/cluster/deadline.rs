//! The one deadline of a command's cluster work (`--timeout`), counted from the start of the
//! command, whichever connection asks: `install` connects several times, and all of them share
//! it.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `--timeout` when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A request started after the deadline still gets one try of up to this long (never more than
/// the timeout itself): writes under way and the restore after a failed write must be able to
/// finish against a server that answers, while nothing waits or retries any more.
const GRACE: Duration = Duration::from_secs(10);

/// Even `--timeout 0s` lets each request try once.
const MIN_TRY: Duration = Duration::from_secs(1);

static COMMAND_START: OnceLock<Instant> = OnceLock::new();

/// Starts the clock of the command (`main` calls it first thing; otherwise the first cluster
/// call does).
pub fn start_clock() -> Instant {
    *COMMAND_START.get_or_init(Instant::now)
}

/// When the command's cluster work must end, and the `--timeout` it came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub timeout: Duration,
    at: Instant,
}

impl Deadline {
    /// `timeout` after the start of the command.
    pub fn after(timeout: Duration) -> Deadline {
        let start = start_clock();
        Deadline {
            timeout,
            at: start
                .checked_add(timeout)
                .unwrap_or(start + Duration::from_secs(86_400 * 365)),
        }
    }

    /// Time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        self.remaining().is_zero()
    }

    /// How long one try of a request may take: what is left, or the grace after the deadline.
    pub fn attempt_budget(&self) -> Duration {
        self.remaining().max(GRACE.min(self.timeout.max(MIN_TRY)))
    }

    pub fn instant(&self) -> Instant {
        self.at
    }
}

impl Default for Deadline {
    fn default() -> Deadline {
        Deadline::after(DEFAULT_TIMEOUT)
    }
}

/// Whole seconds, rounded up, for "deadline in 45 s".
pub fn seconds(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_clock_for_every_connection() {
        let a = Deadline::after(Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
        let b = Deadline::after(Duration::from_secs(30));
        assert_eq!(a, b);
        assert!(Deadline::after(Duration::ZERO).passed());
    }

    #[test]
    fn after_the_deadline_a_try_gets_the_grace_only() {
        let gone = Deadline::after(Duration::ZERO);
        assert_eq!(gone.attempt_budget(), MIN_TRY);
        let short = Deadline::after(Duration::from_secs(3));
        assert!(short.attempt_budget() <= Duration::from_secs(3));
        let long = Deadline::after(Duration::from_secs(3600));
        assert!(long.attempt_budget() > Duration::from_secs(3000));
        assert_eq!(seconds(Duration::from_millis(44_001)), 45);
    }
}
