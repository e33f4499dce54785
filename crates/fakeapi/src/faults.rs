//! Injected faults: which requests they match, and what they do to them (answer an error
//! instead of carrying the request out, carry it out and lose the answer, or hold it back).
//!
//! Every armed fault counts the requests it matches from the moment it is armed (1-based), on
//! its own; a fault fires on the `from_nth`th match and the `times - 1` that follow.

use super::status::ApiError;
use std::time::Duration;

/// Which requests a fault counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOn {
    /// Create, update, patch and delete requests that are not dry runs.
    Write,
    /// Dry-run writes.
    DryRun,
    /// Get, list and watch of resources.
    Read,
    /// Create, update, patch and delete requests of custom resources that are not dry runs
    /// (CRD writes do not count).
    ObjectWrite,
    /// Every resource request.
    Any,
}

impl FaultOn {
    /// Whether a request of `category` (`Write`, `DryRun` or `Read`) matches; `object` tells a
    /// custom resource from a CRD or built-in resource.
    fn matches(self, category: FaultOn, object: bool) -> bool {
        match self {
            FaultOn::Any => true,
            FaultOn::ObjectWrite => object && category == FaultOn::Write,
            on => on == category,
        }
    }
}

/// An injected failure: the `nth` matching request (1-based) fails with `code` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub on: FaultOn,
    pub nth: u64,
    pub code: u16,
    pub message: String,
}

/// What a fault does to a request it fires on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Answered with `code` and a `metav1.Status` carrying `message`, not carried out (429 and
    /// 503 with `Retry-After: 1`).
    Answer { code: u16, message: String },
    /// Carried out (a write is stored), then the connection is closed without an answer.
    LoseResponse,
    /// Held back `ms` milliseconds before it is handled.
    Delay { ms: u64 },
}

/// An armed fault: the `from_nth`th matching request and the `times - 1` after it
/// (`u64::MAX`: every one from then on) get `effect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub on: FaultOn,
    pub from_nth: u64,
    pub times: u64,
    pub effect: Effect,
}

impl From<Fault> for Injection {
    fn from(fault: Fault) -> Injection {
        Injection {
            on: fault.on,
            from_nth: fault.nth,
            times: 1,
            effect: Effect::Answer {
                code: fault.code,
                message: fault.message,
            },
        }
    }
}

/// What the armed faults do to one request.
#[derive(Debug, Default)]
pub struct Admission {
    /// How long to hold the request back before handling it (the delays of every fault that
    /// fired, added up).
    pub delay: Duration,
    /// Answer this instead of carrying the request out.
    pub answer: Option<ApiError>,
    /// Carry the request out, then close the connection without an answer (unless `answer`).
    pub lose_response: bool,
}

/// The armed faults with how many requests each has matched.
#[derive(Debug, Default)]
pub struct Faults {
    armed: Vec<(Injection, u64)>,
}

impl Faults {
    pub fn arm(&mut self, injection: Injection) {
        self.armed.push((injection, 0));
    }

    /// Counts a request against every armed fault and says what the ones that fire do; faults
    /// that will never fire again are dropped. The first answer armed wins.
    pub fn admit(&mut self, category: FaultOn, object: bool) -> Admission {
        let mut admission = Admission::default();
        for (injection, seen) in &mut self.armed {
            if !injection.on.matches(category, object) {
                continue;
            }
            *seen = seen.saturating_add(1);
            let last = injection
                .from_nth
                .saturating_add(injection.times.saturating_sub(1));
            let fires = injection.times > 0
                && *seen >= injection.from_nth
                && (*seen <= last || injection.times == u64::MAX);
            if !fires {
                continue;
            }
            match &injection.effect {
                Effect::Answer { code, message } => {
                    if admission.answer.is_none() {
                        admission.answer = Some(ApiError::injected(*code, message.clone()));
                    }
                }
                Effect::LoseResponse => admission.lose_response = true,
                Effect::Delay { ms } => {
                    admission.delay = admission.delay.saturating_add(Duration::from_millis(*ms))
                }
            }
        }
        self.armed.retain(|(injection, seen)| {
            injection.times == u64::MAX
                || *seen
                    < injection
                        .from_nth
                        .saturating_add(injection.times.saturating_sub(1))
        });
        if admission.answer.is_some() {
            admission.lose_response = false;
        }
        admission
    }
}

/// The text an injected answer carries when the command line gives none.
pub const DEFAULT_MESSAGE: &str = "injected by nexus fake-apiserver";

fn parse_on(text: &str) -> Result<FaultOn, String> {
    Ok(match text {
        "write" => FaultOn::Write,
        "object-write" => FaultOn::ObjectWrite,
        "read" => FaultOn::Read,
        "dry-run" => FaultOn::DryRun,
        "any" => FaultOn::Any,
        other => {
            return Err(format!(
                "{other:?} is not a kind of request: use write, object-write, read, dry-run or any"
            ));
        }
    })
}

/// A count of matching requests: 1 or more.
fn parse_nth(text: &str, what: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{what} {text:?} is not a whole number of at least 1"
        )),
    }
}

fn parse_code(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(code) if (400..=599).contains(&code) => Ok(code),
        _ => Err(format!("{text:?} is not an HTTP error code (400 to 599)")),
    }
}

/// `--fail-times ON:FROM:TIMES:CODE[:MESSAGE]` (TIMES a number or `max`, for ever).
pub fn parse_fail_times(text: &str) -> Result<Injection, String> {
    let parts: Vec<&str> = text.splitn(5, ':').collect();
    let [on, from, times, code, rest @ ..] = parts.as_slice() else {
        return Err("expected ON:FROM:TIMES:CODE[:MESSAGE], e.g. read:1:max:503".to_string());
    };
    let times = match *times {
        "max" => u64::MAX,
        n => parse_nth(n, "TIMES")?,
    };
    Ok(Injection {
        on: parse_on(on)?,
        from_nth: parse_nth(from, "FROM")?,
        times,
        effect: Effect::Answer {
            code: parse_code(code)?,
            message: rest.first().unwrap_or(&DEFAULT_MESSAGE).to_string(),
        },
    })
}

/// `--lose-response ON:N`.
pub fn parse_lose_response(text: &str) -> Result<Injection, String> {
    let Some((on, nth)) = text.split_once(':') else {
        return Err("expected ON:N, e.g. write:1".to_string());
    };
    Ok(Injection {
        on: parse_on(on)?,
        from_nth: parse_nth(nth, "N")?,
        times: 1,
        effect: Effect::LoseResponse,
    })
}

/// `--delay ON:N:MS`.
pub fn parse_delay(text: &str) -> Result<Injection, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let [on, nth, ms] = parts.as_slice() else {
        return Err("expected ON:N:MS, e.g. read:1:2000".to_string());
    };
    let ms = ms
        .parse::<u64>()
        .map_err(|_| format!("MS {ms:?} is not a whole number of milliseconds"))?;
    Ok(Injection {
        on: parse_on(on)?,
        from_nth: parse_nth(nth, "N")?,
        times: 1,
        effect: Effect::Delay { ms },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(code: u16) -> Effect {
        Effect::Answer {
            code,
            message: "injected".into(),
        }
    }

    fn fired(faults: &mut Faults, category: FaultOn, object: bool) -> Option<u16> {
        faults.admit(category, object).answer.map(|e| e.code)
    }

    #[test]
    fn a_burst_fires_on_consecutive_matches_and_then_stops() {
        let mut faults = Faults::default();
        faults.arm(Injection {
            on: FaultOn::Write,
            from_nth: 2,
            times: 3,
            effect: answer(503),
        });
        let seen: Vec<Option<u16>> = (0..6)
            .map(|_| fired(&mut faults, FaultOn::Write, false))
            .collect();
        assert_eq!(seen, [None, Some(503), Some(503), Some(503), None, None]);
        assert!(faults.armed.is_empty(), "a spent fault is dropped");
    }

    #[test]
    fn forever_never_stops_and_other_categories_do_not_count() {
        let mut faults = Faults::default();
        faults.arm(Injection {
            on: FaultOn::Read,
            from_nth: 1,
            times: u64::MAX,
            effect: answer(429),
        });
        assert_eq!(fired(&mut faults, FaultOn::Write, false), None);
        for _ in 0..100 {
            assert_eq!(fired(&mut faults, FaultOn::Read, false), Some(429));
        }
    }

    #[test]
    fn object_writes_skip_crd_writes_and_dry_runs() {
        let mut faults = Faults::default();
        faults.arm(
            Fault {
                on: FaultOn::ObjectWrite,
                nth: 2,
                code: 500,
                message: "x".into(),
            }
            .into(),
        );
        assert_eq!(fired(&mut faults, FaultOn::Write, false), None);
        assert_eq!(fired(&mut faults, FaultOn::DryRun, true), None);
        assert_eq!(fired(&mut faults, FaultOn::Write, true), None);
        assert_eq!(fired(&mut faults, FaultOn::Write, true), Some(500));
        assert_eq!(fired(&mut faults, FaultOn::Write, true), None);
    }

    #[test]
    fn faults_count_independently_and_effects_combine() {
        let mut faults = Faults::default();
        for effect in [Effect::Delay { ms: 5 }, Effect::Delay { ms: 7 }] {
            faults.arm(Injection {
                on: FaultOn::Any,
                from_nth: 1,
                times: 1,
                effect,
            });
        }
        faults.arm(Injection {
            on: FaultOn::Write,
            from_nth: 1,
            times: 1,
            effect: Effect::LoseResponse,
        });
        let first = faults.admit(FaultOn::Write, true);
        assert_eq!(first.delay, Duration::from_millis(12));
        assert!(first.lose_response);
        assert!(first.answer.is_none());
        let second = faults.admit(FaultOn::Write, true);
        assert_eq!(second.delay, Duration::ZERO);
        assert!(!second.lose_response);
    }

    #[test]
    fn command_line_specs() {
        assert_eq!(
            parse_fail_times("read:1:max:503").unwrap(),
            Injection {
                on: FaultOn::Read,
                from_nth: 1,
                times: u64::MAX,
                effect: Effect::Answer {
                    code: 503,
                    message: DEFAULT_MESSAGE.into()
                },
            }
        );
        let with_message = parse_fail_times("object-write:3:2:500:etcd: down").unwrap();
        assert_eq!(
            with_message.effect,
            Effect::Answer {
                code: 500,
                message: "etcd: down".into()
            }
        );
        assert_eq!(parse_lose_response("write:2").unwrap().from_nth, 2);
        assert_eq!(
            parse_delay("any:1:250").unwrap().effect,
            Effect::Delay { ms: 250 }
        );
        for bad in [
            "read:1:max",
            "reads:1:1:500",
            "read:0:1:500",
            "read:1:1:200",
            "read:1:0:500",
        ] {
            assert!(parse_fail_times(bad).is_err(), "{bad}");
        }
        assert!(parse_lose_response("write").is_err());
        assert!(parse_delay("read:1:-5").is_err());
    }

    #[test]
    fn an_answer_wins_over_a_lost_response() {
        let mut faults = Faults::default();
        faults.arm(Injection {
            on: FaultOn::Write,
            from_nth: 1,
            times: 1,
            effect: Effect::LoseResponse,
        });
        faults.arm(Injection {
            on: FaultOn::Write,
            from_nth: 1,
            times: 1,
            effect: answer(500),
        });
        let admission = faults.admit(FaultOn::Write, false);
        assert_eq!(admission.answer.map(|e| e.code), Some(500));
        assert!(!admission.lose_response);
    }
}
