//! UTC times as migrations write them: step versions (`YYYYMMDDhhmmss`) and RFC 3339 stamps.
//! A few lines of calendar arithmetic instead of a date crate: only UTC, only formatting.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC time to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcTime {
    /// The current time (the epoch if the clock is set before 1970).
    pub fn now() -> UtcTime {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        UtcTime::from_unix(secs)
    }

    /// The time `secs` seconds after 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: i64) -> UtcTime {
        let days = secs.div_euclid(86_400);
        let rest = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // `rest` is in 0..86400, so the three parts fit in u32.
        let rest = u32::try_from(rest).unwrap_or(0);
        UtcTime {
            year,
            month,
            day,
            hour: rest / 3600,
            minute: rest / 60 % 60,
            second: rest % 60,
        }
    }

    /// `YYYYMMDDhhmmss`, the version `migrate create` gives a new step.
    pub fn version_stamp(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `YYYY-MM-DDThh:mm:ssZ`.
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Year, month (1-12) and day (1-31) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, exact for the whole proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let t = UtcTime::from_unix(0);
        assert_eq!(t.rfc3339(), "1970-01-01T00:00:00Z");
        let t = UtcTime::from_unix(951_782_400); // leap day of a century leap year
        assert_eq!(t.rfc3339(), "2000-02-29T00:00:00Z");
        let t = UtcTime::from_unix(1_767_225_599);
        assert_eq!(t.rfc3339(), "2025-12-31T23:59:59Z");
        assert_eq!(t.version_stamp(), "20251231235959");
        let t = UtcTime::from_unix(-1);
        assert_eq!(t.rfc3339(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn stamps_sort_like_times() {
        let a = UtcTime::from_unix(1_700_000_000);
        let b = UtcTime::from_unix(1_700_000_001);
        assert!(a.version_stamp() < b.version_stamp());
        assert!(a < b);
    }
}
