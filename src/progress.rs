//! Feedback on long work, on stderr (stdout carries results only): the CLI's
//! [`nexus_cluster::progress::Reporter`], named in `main` with [`install`].
//!
//! A [`Phase`] is one piece of long work: waiting for a CRD to become Established, reading the
//! objects of a resource, writing migrated objects, restoring a backup. On a terminal it is an
//! indicatif bar (or spinner, without a total) that disappears when the phase ends. Otherwise
//! (CI logs, pipes) it is plain lines: nothing for a phase that ends within [`QUIET`], then a line
//! saying what is under way and how far, repeated every [`EVERY`], and one line when it ends — so
//! quick commands stay as quiet as before and nothing is silent for more than two seconds.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a phase runs before its first plain line.
pub const QUIET: Duration = Duration::from_secs(1);
/// How often a running phase repeats its plain line.
pub const EVERY: Duration = Duration::from_secs(2);

/// One phase of long work; ends (quietly, if nothing was said) when dropped.
pub struct Phase {
    shared: Arc<Shared>,
    ticker: Option<std::thread::JoinHandle<()>>,
    bar: Option<ProgressBar>,
}

struct Shared {
    label: String,
    total: Option<u64>,
    done: AtomicU64,
    started: Instant,
    plain: Mutex<Plain>,
    wake: Condvar,
}

#[derive(Default)]
struct Plain {
    /// A line of this phase was printed (so its end is printed too).
    said: bool,
    ended: bool,
}

impl Phase {
    /// Starts a phase: `label` says what is under way ("writing 200 migrated objects"), `total`
    /// how many units it has, when known.
    pub fn start(label: impl Into<String>, total: Option<u64>) -> Phase {
        let shared = Arc::new(Shared {
            label: label.into(),
            total,
            done: AtomicU64::new(0),
            started: Instant::now(),
            plain: Mutex::new(Plain::default()),
            wake: Condvar::new(),
        });
        if std::io::stderr().is_terminal() {
            let bar = terminal_bar(&shared.label, total);
            return Phase {
                shared,
                ticker: None,
                bar: Some(bar),
            };
        }
        let ticker = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || shared.tick_until_ended())
                .ok()
        };
        Phase {
            shared,
            ticker,
            bar: None,
        }
    }

    /// `n` more units done.
    pub fn advance(&self, n: u64) {
        self.shared.done.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// `n` units done in all.
    pub fn set(&self, n: u64) {
        self.shared.done.store(n, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(n);
        }
    }

    /// Ends the phase; `outcome` ("200 written") closes a phase that said something.
    pub fn finish(mut self, outcome: &str) {
        self.end(Some(outcome));
    }

    fn end(&mut self, outcome: Option<&str>) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            return;
        }
        let said = {
            let mut plain = lock(&self.shared.plain);
            if plain.ended {
                return;
            }
            plain.ended = true;
            plain.said
        };
        self.shared.wake.notify_all();
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
        match outcome {
            Some(outcome) if said => line(&format!(
                "{}: {outcome} ({})",
                self.shared.label,
                seconds(self.shared.started.elapsed())
            )),
            _ => {}
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        // An error ends the phase early: its own message follows, so no closing line here.
        self.end(None);
    }
}

impl Shared {
    /// The plain-line ticker: a line after [`QUIET`], then every [`EVERY`], until the end.
    fn tick_until_ended(&self) {
        let mut wait = QUIET;
        let mut plain = lock(&self.plain);
        loop {
            let (guard, timeout) = self
                .wake
                .wait_timeout_while(plain, wait, |p| !p.ended)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            plain = guard;
            if plain.ended || !timeout.timed_out() {
                return;
            }
            plain.said = true;
            line(&self.status());
            wait = EVERY;
        }
    }

    /// `writing 200 migrated objects: 57/200 (3s)`; without a total `reading ...: 500 so far
    /// (3s)`, or `waiting for ... (3s)` before the first unit.
    fn status(&self) -> String {
        let elapsed = seconds(self.started.elapsed());
        let done = self.done.load(Ordering::Relaxed);
        match self.total {
            Some(total) => format!("{}: {done}/{total} ({elapsed})", self.label),
            None if done > 0 => format!("{}: {done} so far ({elapsed})", self.label),
            None => format!("{} ({elapsed})", self.label),
        }
    }
}

fn terminal_bar(label: &str, total: Option<u64>) -> ProgressBar {
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            "{msg} [{bar:30}] {pos}/{len} ({elapsed})",
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{spinner} {msg} ({elapsed})",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn lock(plain: &Mutex<Plain>) -> std::sync::MutexGuard<'_, Plain> {
    plain
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `0.4s`, `12s`.
fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}s", d.as_secs())
    }
}

/// One plain line on stderr; a closed stderr is not worth failing the work for.
fn line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "nexus: {text}");
}

/// The reporter the cluster crate's phases go to: this module's [`Phase`] on stderr.
struct Stderr;

impl nexus_cluster::progress::Reporter for Stderr {
    fn start(&self, label: String, total: Option<u64>) -> Box<dyn nexus_cluster::progress::Shown> {
        Box::new(Phase::start(label, total))
    }
}

impl nexus_cluster::progress::Shown for Phase {
    fn advance(&self, n: u64) {
        Phase::advance(self, n);
    }

    fn set(&self, n: u64) {
        Phase::set(self, n);
    }

    fn finish(self: Box<Self>, outcome: &str) {
        Phase::finish(*self, outcome);
    }
}

/// Sends the cluster crate's phases to stderr (main calls it once, before any cluster work).
pub fn install() {
    nexus_cluster::progress::set_reporter(Box::new(Stderr));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_the_label_and_how_far() {
        let phase = Phase::start("writing 3 objects", Some(3));
        phase.advance(2);
        assert!(
            phase
                .shared
                .status()
                .starts_with("writing 3 objects: 2/3 (")
        );
        let open = Phase::start("waiting for CRD \"a.b\" to become Established", None);
        assert!(
            open.shared
                .status()
                .starts_with("waiting for CRD \"a.b\" to become Established (")
        );
        phase.finish("3 written");
    }

    #[test]
    fn a_quick_phase_says_nothing_and_ends_at_once() {
        let started = Instant::now();
        let phase = Phase::start("quick", Some(1));
        phase.advance(1);
        phase.finish("done");
        assert!(started.elapsed() < QUIET, "the ticker was not woken");
    }

    #[test]
    fn seconds_are_short() {
        assert_eq!(seconds(Duration::from_millis(400)), "0.4s");
        assert_eq!(seconds(Duration::from_secs(12)), "12s");
    }
}
