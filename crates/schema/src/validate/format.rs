//! The `format`s the API server checks, each with the rule of the Go function it uses
//! (kube-openapi `strfmt`, `govalidator`, `net`, `net/url`, `net/mail`, `time`).
//!
//! Which formats apply depends on the type, as in apiextensions-apiserver's
//! `StripUnsupportedFormatsPostProcessorForVersion`: strings (and nodes without a single type)
//! know the string formats below, integers know `int32`/`int64`, numbers `float`/`double`; every
//! other format is ignored, not an error. Names are compared with `-` removed (`date-time` is
//! `datetime`), as go-openapi does.

use regex::Regex;
use std::net::Ipv6Addr;
use std::sync::LazyLock;

/// A format that is checked, resolved once per schema node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Checked on string values only.
    Str(StringFormat),
    /// Integer values must fit in 32 bits.
    Int32,
    /// Integer values must fit in 64 bits (every integer the decoder accepts does).
    Int64,
    /// Numbers must fit in a 32-bit float.
    Float,
    /// Any number.
    Double,
}

/// The string formats of kube-openapi's default registry that the API server keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringFormat {
    BsonObjectId,
    Uri,
    Email,
    Hostname,
    Ipv4,
    Ipv6,
    Cidr,
    Mac,
    Uuid,
    Uuid3,
    Uuid4,
    Uuid5,
    Isbn,
    Isbn10,
    Isbn13,
    CreditCard,
    Ssn,
    HexColor,
    RgbColor,
    Byte,
    Password,
    Date,
    Duration,
    DateTime,
    K8sShortName,
    K8sLongName,
}

/// How the node's type constrains its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormatHost {
    /// `type: string`, no type, or `x-kubernetes-int-or-string` (not exactly one type).
    StringLike,
    Integer,
    Number,
    /// object, array, boolean or an unknown type: formats are dropped.
    Other,
}

/// The format the API server would check for `name` on a node of this kind, if any.
pub(crate) fn resolve(name: &str, host: FormatHost) -> Option<Format> {
    match host {
        FormatHost::Integer => match name {
            "int32" => Some(Format::Int32),
            "int64" => Some(Format::Int64),
            _ => None,
        },
        FormatHost::Number => match name {
            "float" => Some(Format::Float),
            "double" => Some(Format::Double),
            _ => None,
        },
        FormatHost::Other => None,
        FormatHost::StringLike => {
            let normalized = name.replace('-', "");
            let f = match normalized.as_str() {
                "bsonobjectid" => StringFormat::BsonObjectId,
                "uri" => StringFormat::Uri,
                "email" => StringFormat::Email,
                "hostname" => StringFormat::Hostname,
                "ipv4" => StringFormat::Ipv4,
                "ipv6" => StringFormat::Ipv6,
                "cidr" => StringFormat::Cidr,
                "mac" => StringFormat::Mac,
                "uuid" => StringFormat::Uuid,
                "uuid3" => StringFormat::Uuid3,
                "uuid4" => StringFormat::Uuid4,
                "uuid5" => StringFormat::Uuid5,
                "isbn" => StringFormat::Isbn,
                "isbn10" => StringFormat::Isbn10,
                "isbn13" => StringFormat::Isbn13,
                "creditcard" => StringFormat::CreditCard,
                "ssn" => StringFormat::Ssn,
                "hexcolor" => StringFormat::HexColor,
                "rgbcolor" => StringFormat::RgbColor,
                "byte" => StringFormat::Byte,
                "password" => StringFormat::Password,
                "date" => StringFormat::Date,
                "duration" => StringFormat::Duration,
                "datetime" => StringFormat::DateTime,
                "k8sshortname" => StringFormat::K8sShortName,
                "k8slongname" => StringFormat::K8sLongName,
                _ => return None,
            };
            Some(Format::Str(f))
        }
    }
}

impl StringFormat {
    /// What a valid value looks like, for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            StringFormat::BsonObjectId => "a BSON object id (24 hex digits)",
            StringFormat::Uri => "an absolute URI or absolute path",
            StringFormat::Email => "an email address",
            StringFormat::Hostname => "a host name (RFC 1034)",
            StringFormat::Ipv4 => "an IPv4 address",
            StringFormat::Ipv6 => "an IPv6 address",
            StringFormat::Cidr => "a CIDR (address/prefix length)",
            StringFormat::Mac => "a MAC address",
            StringFormat::Uuid => "a UUID",
            StringFormat::Uuid3 => "a version 3 UUID",
            StringFormat::Uuid4 => "a version 4 UUID",
            StringFormat::Uuid5 => "a version 5 UUID",
            StringFormat::Isbn => "an ISBN-10 or ISBN-13",
            StringFormat::Isbn10 => "an ISBN-10",
            StringFormat::Isbn13 => "an ISBN-13",
            StringFormat::CreditCard => "a credit card number",
            StringFormat::Ssn => "a U.S. social security number",
            StringFormat::HexColor => "a hex color like #ffffff",
            StringFormat::RgbColor => "an RGB color like rgb(255,255,255)",
            StringFormat::Byte => "base64-encoded data",
            StringFormat::Password => "any string",
            StringFormat::Date => "a date like 2006-01-02",
            StringFormat::Duration => "a duration like 1h30m",
            StringFormat::DateTime => "an RFC 3339 date-time like 2006-01-02T15:04:05Z",
            StringFormat::K8sShortName => {
                "a Kubernetes short name (lowercase alphanumerics and '-', at most 63)"
            }
            StringFormat::K8sLongName => {
                "a Kubernetes long name (dot-separated lowercase names, at most 253)"
            }
        }
    }

    /// Whether `s` is valid in this format.
    pub(crate) fn check(self, s: &str) -> bool {
        match self {
            StringFormat::BsonObjectId => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
            StringFormat::Uri => is_request_uri(s),
            StringFormat::Email => is_email(s),
            StringFormat::Hostname => is_hostname(s),
            StringFormat::Ipv4 => is_ip_sloppy(s) && s.contains('.'),
            StringFormat::Ipv6 => s.parse::<Ipv6Addr>().is_ok(),
            StringFormat::Cidr => is_cidr(s),
            StringFormat::Mac => is_mac(s),
            StringFormat::Uuid => is_uuid(s, None),
            StringFormat::Uuid3 => is_uuid(s, Some('3')),
            StringFormat::Uuid4 => is_uuid(s, Some('4')),
            StringFormat::Uuid5 => is_uuid(s, Some('5')),
            StringFormat::Isbn => is_isbn10(s) || is_isbn13(s),
            StringFormat::Isbn10 => is_isbn10(s),
            StringFormat::Isbn13 => is_isbn13(s),
            StringFormat::CreditCard => is_credit_card(s),
            StringFormat::Ssn => is_ssn(s),
            StringFormat::HexColor => is_hex_color(s),
            StringFormat::RgbColor => is_rgb_color(s),
            StringFormat::Byte => is_base64(s),
            StringFormat::Password => true,
            StringFormat::Date => is_date(s),
            StringFormat::Duration => is_duration(s),
            StringFormat::DateTime => is_date_time(s),
            StringFormat::K8sShortName => s.len() <= 63 && is_short_name(s),
            StringFormat::K8sLongName => s.len() <= 253 && s.split('.').all(is_short_name),
        }
    }
}

/// Go's `\s` (and `unicode.IsSpace` restricted to what these regexes use).
fn is_go_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_short_name(s: &str) -> bool {
    let b = s.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => ok(first) && ok(last) && b.iter().all(|c| ok(c) || *c == b'-'),
        _ => false,
    }
}

/// `(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?V[0-9a-f]{3}-?[89ab]?[0-9a-f]{3}-?[0-9a-f]{12}$`.
fn is_uuid(s: &str, version: Option<char>) -> bool {
    let mut rest = s.as_bytes();
    for (i, len) in [8usize, 4, 4, 4, 12].into_iter().enumerate() {
        let Some((group, tail)) = rest.split_at_checked(len) else {
            return false;
        };
        if !group.iter().all(u8::is_ascii_hexdigit) {
            return false;
        }
        if let Some(v) = version {
            if i == 2 && group.first() != Some(&(v as u8)) {
                return false;
            }
            // Versions 4 and 5 also pin the variant.
            if i == 3 && v != '3' && !group.first().is_some_and(|c| b"89abAB".contains(c)) {
                return false;
            }
        }
        rest = tail;
        if i < 4
            && let Some(tail) = rest.strip_prefix(b"-")
        {
            rest = tail;
        }
    }
    rest.is_empty()
}

/// `[\s-]+` removed, then 9 digits and a digit or `X`, with the ISBN-10 checksum.
fn is_isbn10(s: &str) -> bool {
    let clean: Vec<u8> = s
        .bytes()
        .filter(|b| !is_go_space(*b) && *b != b'-')
        .collect();
    if clean.len() != 10 || !clean[..9].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let last = clean[9];
    if !(last.is_ascii_digit() || last == b'X') {
        return false;
    }
    let mut sum: u32 = clean[..9]
        .iter()
        .enumerate()
        .map(|(i, d)| (i as u32 + 1) * u32::from(d - b'0'))
        .sum();
    sum += 10
        * if last == b'X' {
            10
        } else {
            u32::from(last - b'0')
        };
    sum % 11 == 0
}

fn is_isbn13(s: &str) -> bool {
    let clean: Vec<u8> = s
        .bytes()
        .filter(|b| !is_go_space(*b) && *b != b'-')
        .collect();
    if clean.len() != 13 || !clean.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = clean[..12]
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { 1 } else { 3 } * u32::from(d - b'0'))
        .sum();
    u32::from(clean[12] - b'0') == (10 - sum % 10) % 10
}

static CREDIT_CARD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        "^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}",
        "|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35[0-9]{3})[0-9]{11})$",
    ))
    .ok()
});

/// Non-digits removed, one of the card number layouts, and the Luhn checksum.
fn is_credit_card(s: &str) -> bool {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let Some(re) = CREDIT_CARD.as_ref() else {
        return false;
    };
    if !re.is_match(&digits) {
        return false;
    }
    let mut sum = 0;
    for (i, d) in digits.bytes().rev().enumerate() {
        let mut n = u32::from(d - b'0');
        if i % 2 == 1 {
            n *= 2;
            if n >= 10 {
                n = n % 10 + 1;
            }
        }
        sum += n;
    }
    sum % 10 == 0
}

/// Eleven bytes: `ddd?dd?dddd` with `-` or space separators.
fn is_ssn(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().enumerate().all(|(i, c)| match i {
            3 | 6 => *c == b'-' || *c == b' ',
            _ => c.is_ascii_digit(),
        })
}

fn is_hex_color(s: &str) -> bool {
    let hex = s.strip_prefix('#').unwrap_or(s);
    (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `rgb(R,G,B)`, each 0-255 without leading zeros, spaces allowed around them.
fn is_rgb_color(s: &str) -> bool {
    let Some(inner) = s.strip_prefix("rgb(").and_then(|r| r.strip_suffix(')')) else {
        return false;
    };
    let parts: Vec<&str> = inner.split(',').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            let n = p.trim_matches(|c: char| c.is_ascii() && is_go_space(c as u8));
            !n.is_empty()
                && n.len() <= 3
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n == "0" || !n.starts_with('0'))
                && n.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

/// govalidator's base64 regex: whole groups of four, padding only at the end, not empty.
fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() % 4 != 0 {
        return false;
    }
    let alphabet = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    let (body, last) = b.split_at(b.len() - 4);
    body.iter().all(alphabet)
        && match last {
            [a, b, b'=', b'='] => alphabet(a) && alphabet(b),
            [a, b, c, b'='] => alphabet(a) && alphabet(b) && alphabet(c),
            other => other.iter().all(alphabet),
        }
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Go `time.Parse("2006-01-02", s)`: fixed widths and a day that exists in that month.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: &[u8]| -> Option<u32> {
        r.iter()
            .all(u8::is_ascii_digit)
            .then(|| r.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day)) = (num(&b[..4]), num(&b[5..7]), num(&b[8..10])) else {
        return false;
    };
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// strfmt `IsDateTime`: the lower-cased string split at `t`, a valid date before the first `t`,
/// and `hh:mm:ss`, an optional fraction and `z` or `±hh:mm` after it.
fn is_date_time(s: &str) -> bool {
    if s.len() < 4 {
        return false;
    }
    let lower = s.to_lowercase();
    let mut parts = lower.split('t');
    let (Some(date), Some(time)) = (parts.next(), parts.next()) else {
        return false;
    };
    if !is_date(date) {
        return false;
    }
    let b = time.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let two = |r: &[u8]| r.len() == 2 && r.iter().all(u8::is_ascii_digit);
    if !(two(&b[0..2]) && two(&b[3..5]) && two(&b[6..8])) {
        return false;
    }
    if b[0..2] > b"23"[..] || b[3..5] > b"59"[..] || b[6..8] > b"59"[..] {
        return false;
    }
    let zone_ok = |z: &str| {
        let z = z.as_bytes();
        z == b"z"
            || (z.len() == 6
                && (z[0] == b'+' || z[0] == b'-')
                && two(&z[1..3])
                && z[3] == b':'
                && two(&z[4..6]))
    };
    let rest = &time[8..];
    if zone_ok(rest) {
        return true;
    }
    // `(.[0-9]+)?`: any one character (not a newline), then digits.
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) if c != '\n' => {
            let after = chars.as_str();
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && zone_ok(&after[digits..])
        }
        _ => false,
    }
}

/// strfmt `ParseDuration`: Go's `time.ParseDuration`, or else any `<digits> <unit>` pair in the
/// string with a unit strfmt knows (`3 days`, `1 week`).
fn is_duration(s: &str) -> bool {
    go_parse_duration(s) || loose_duration(s)
}

/// Go `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, within ±2^63 ns.
fn go_parse_duration(s: &str) -> bool {
    let mut rest = s;
    let mut negative = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return true;
    }
    if rest.is_empty() {
        return false;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, r) = rest.split_at(int_len);
        rest = r;
        let mut frac_part = "";
        if let Some(r) = rest.strip_prefix('.') {
            let frac_len = r.bytes().take_while(u8::is_ascii_digit).count();
            (frac_part, rest) = r.split_at(frac_len);
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return false;
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let (unit, r) = rest.split_at(unit_len);
        rest = r;
        let nanos: f64 = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return false,
        };
        let value: f64 = format!(
            "{}.{}",
            if int_part.is_empty() { "0" } else { int_part },
            if frac_part.is_empty() { "0" } else { frac_part }
        )
        .parse()
        .unwrap_or(f64::INFINITY);
        total += value * nanos;
    }
    let limit = 9_223_372_036_854_775_808.0; // 2^63 ns
    if negative {
        total <= limit
    } else {
        total < limit
    }
}

/// strfmt's fallback: every `<digits>\s*<letters>` match; one known unit makes it valid, a
/// number beyond int64 makes it invalid.
fn loose_duration(s: &str) -> bool {
    const UNITS: [&[&str]; 8] = [
        &["ns", "nano"],
        &["us", "\u{b5}s", "micro"],
        &["ms", "milli"],
        &["s", "sec"],
        &["m", "min"],
        &["h", "hr", "hour"],
        &["d", "day"],
        &["w", "wk", "week"],
    ];
    let chars: Vec<char> = s.chars().collect();
    let mut ok = false;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii() && is_go_space(chars[j] as u8) {
            j += 1;
        }
        let letters_start = j;
        while j < chars.len() && (chars[j].is_ascii_alphabetic() || chars[j] == '\u{b5}') {
            j += 1;
        }
        if j == letters_start {
            continue;
        }
        if digits.parse::<i64>().is_err() {
            return false;
        }
        let unit: String = chars[letters_start..j]
            .iter()
            .collect::<String>()
            .to_lowercase();
        for variants in UNITS {
            let last = variants.len() - 1;
            for (k, variant) in variants.iter().enumerate() {
                if (k == last && unit.starts_with(variant)) || variant.eq_ignore_ascii_case(&unit) {
                    ok = true;
                }
            }
        }
        i = j;
    }
    ok
}

/// IPv4 the way `k8s.io/utils/net.ParseIPSloppy` reads it: four decimal parts, leading zeros
/// allowed; or anything IPv6.
fn is_ip_sloppy(s: &str) -> bool {
    if s.contains(':') {
        s.parse::<Ipv6Addr>().is_ok()
    } else {
        is_ipv4_sloppy(s)
    }
}

fn is_ipv4_sloppy(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.bytes()
                    .try_fold(0u32, |n, d| {
                        let n = n * 10 + u32::from(d - b'0');
                        (n <= 255).then_some(n)
                    })
                    .is_some()
        })
}

/// `ParseCIDRSloppy`: address, `/`, decimal prefix length within the address size.
fn is_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let max = if is_ipv4_sloppy(addr) {
        32
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && bits
            .bytes()
            .try_fold(0u32, |n, d| {
                let n = n * 10 + u32::from(d - b'0');
                (n <= max).then_some(n)
            })
            .is_some()
}

/// Go `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx`, `xx-xx` or `xxxx.xxxx`.
fn is_mac(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 14 {
        return false;
    }
    let octets_ok = |n: usize| n == 6 || n == 8 || n == 20;
    if b[2] == b':' || b[2] == b'-' {
        if (b.len() + 1) % 3 != 0 || !octets_ok((b.len() + 1) / 3) {
            return false;
        }
        let sep = b[2];
        b.chunks(3).all(|c| match c {
            [x, y, s] => x.is_ascii_hexdigit() && y.is_ascii_hexdigit() && *s == sep,
            [x, y] => x.is_ascii_hexdigit() && y.is_ascii_hexdigit(),
            _ => false,
        })
    } else if b[4] == b'.' {
        if (b.len() + 1) % 5 != 0 || !octets_ok(2 * (b.len() + 1) / 5) {
            return false;
        }
        b.chunks(5).all(|c| match c {
            [w, x, y, z, b'.'] | [w, x, y, z] => [w, x, y, z].iter().all(|d| d.is_ascii_hexdigit()),
            _ => false,
        })
    } else {
        false
    }
}

/// Membership in `\p{L}` and `\p{S}` (the regex crate has the Unicode tables).
static LETTER_OR_SYMBOL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{S}]$").ok());
static LETTER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\p{L}$").ok());

fn char_in(re: &LazyLock<Option<Regex>>, c: char) -> bool {
    re.as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut [0; 4])))
}

/// `[a-zA-Z0-9\p{S}\p{L}]` of strfmt's hostname pattern.
fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (!c.is_ascii() && char_in(&LETTER_OR_SYMBOL, c))
}

/// strfmt `IsHostname`: its regex (one label with at most one `-` right after the first
/// character, or dotted labels ending in a 2-63 letter top-level label), at most 255 bytes, no
/// part longer than 63 bytes.
fn is_hostname(s: &str) -> bool {
    if s.len() > 255 || s.split('.').any(|p| p.len() > 63) {
        return false;
    }
    let single_label = || {
        let mut chars = s.chars();
        if !chars.next().is_some_and(host_char) {
            return false;
        }
        let rest = chars.as_str();
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        rest.chars().count() <= 62 && rest.chars().all(host_char)
    };
    let dotted = || {
        let Some((labels, tld)) = s.rsplit_once('.') else {
            return false;
        };
        let tld_len = tld.chars().count();
        if !(2..=63).contains(&tld_len)
            || !tld
                .chars()
                .all(|c| c.is_ascii_alphabetic() || (!c.is_ascii() && char_in(&LETTER, c)))
        {
            return false;
        }
        labels.split('.').all(|label| {
            let chars: Vec<char> = label.chars().collect();
            match chars.as_slice() {
                [] => false,
                [only] => host_char(*only),
                [first, middle @ .., last] => {
                    host_char(*first)
                        && host_char(*last)
                        && middle.len() <= 61
                        && middle.iter().all(|c| *c == '-' || host_char(*c))
                }
            }
        })
    };
    single_label() || dotted()
}

/// Go `url.ParseRequestURI`: `*`, an absolute path, or `scheme:` with an opaque part or an
/// authority whose host and port are well formed; `%` escapes must be complete.
pub fn is_request_uri(s: &str) -> bool {
    if s.is_empty() || s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return false;
    }
    if s == "*" {
        return true;
    }
    // Scheme: letters first, then letters, digits, `+`, `-`, `.`, up to `:`.
    let mut scheme = "";
    let mut rest = s;
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return false,
            b':' => {
                scheme = &s[..i];
                rest = &s[i + 1..];
                break;
            }
            _ => break,
        }
    }
    let rest = if rest.ends_with('?') && rest.matches('?').count() == 1 {
        &rest[..rest.len() - 1]
    } else {
        rest.split_once('?').map_or(rest, |(r, _)| r)
    };
    if !rest.starts_with('/') {
        // `mailto:x` is an opaque URI; without a scheme it must be a path.
        return !scheme.is_empty();
    }
    let path = if !scheme.is_empty()
        && let Some(after) = rest.strip_prefix("//")
    {
        let (authority, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
        if !is_authority(authority) {
            return false;
        }
        path
    } else {
        rest
    };
    percent_escapes_ok(path)
}

fn percent_escapes_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn is_authority(authority: &str) -> bool {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    if let Some(user) = userinfo
        && !(user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c))
            && percent_escapes_ok(user))
    {
        return false;
    }
    let port_ok = |p: &str| {
        p.is_empty()
            || p.strip_prefix(':')
                .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
    };
    let name = if host.starts_with('[') {
        let Some(close) = host.rfind(']') else {
            return false;
        };
        if !port_ok(&host[close + 1..]) {
            return false;
        }
        &host[..=close]
    } else if let Some(i) = host.rfind(':') {
        if !port_ok(&host[i..]) {
            return false;
        }
        &host[..i]
    } else {
        host
    };
    // Go's `shouldEscape(c, encodeHost)`: these ASCII bytes may appear unescaped in a host.
    let host_byte =
        |b: u8| b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&b) || b >= 0x80;
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let (Some(h), Some(l)) = (b.get(i + 1), b.get(i + 2)) else {
                return false;
            };
            if !(h.is_ascii_hexdigit() && l.is_ascii_hexdigit()) {
                return false;
            }
            // In a host, `%` may only encode non-ASCII bytes (or be `%25`, a zone separator).
            if *h < b'8' && &b[i..i + 3] != b"%25" {
                return false;
            }
            i += 3;
        } else if host_byte(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Go `net/mail.ParseAddress`: an `addr-spec` (`a@b.c`) or a display name and `<addr-spec>`,
/// with an optional trailing comment.
fn is_email(s: &str) -> bool {
    let mut p = MailParser { s };
    p.single_address()
}

/// RFC 5322 `atext` plus `.` where allowed; non-ASCII is accepted like Go does.
fn is_atext(c: char, dot: bool) -> bool {
    match c {
        '.' => dot,
        '(' | ')' | '<' | '>' | '[' | ']' | ':' | ';' | '@' | '\\' | ',' | '"' => false,
        c => is_vchar(c),
    }
}

fn is_vchar(c: char) -> bool {
    ('!'..='~').contains(&c) || !c.is_ascii()
}

/// The subset of Go's `addrParser` that decides whether one address parses.
struct MailParser<'a> {
    s: &'a str,
}

impl MailParser<'_> {
    fn skip_space(&mut self) {
        self.s = self.s.trim_start_matches([' ', '\t']);
    }

    fn consume(&mut self, c: char) -> bool {
        match self.s.strip_prefix(c) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    /// Comments and folding white space; false on an unclosed comment.
    fn skip_cfws(&mut self) -> bool {
        loop {
            self.skip_space();
            if !self.s.starts_with('(') {
                return true;
            }
            if !self.comment() {
                return false;
            }
        }
    }

    fn comment(&mut self) -> bool {
        let mut depth = 0usize;
        let mut chars = self.s.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.s = &self.s[i + 1..];
                        return true;
                    }
                }
                '\\' => {
                    chars.next();
                }
                _ => {}
            }
        }
        false
    }

    fn atom(&mut self, dot: bool, permissive: bool) -> Option<&str> {
        let len = self
            .s
            .char_indices()
            .find(|(_, c)| !is_atext(*c, dot))
            .map_or(self.s.len(), |(i, _)| i);
        if len == 0 {
            return None;
        }
        let (atom, rest) = self.s.split_at(len);
        if !permissive && (atom.starts_with('.') || atom.ends_with('.') || atom.contains("..")) {
            return None;
        }
        self.s = rest;
        Some(atom)
    }

    fn quoted_string(&mut self) -> Option<String> {
        let body = self.s.strip_prefix('"')?;
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.s = &body[i + 1..];
                    return Some(out);
                }
                '\\' => match chars.next() {
                    Some((_, q)) if is_vchar(q) || q == ' ' || q == '\t' => out.push(q),
                    _ => return None,
                },
                c if is_vchar(c) || c == ' ' || c == '\t' => out.push(c),
                _ => return None,
            }
        }
        None
    }

    fn addr_spec(&mut self) -> bool {
        let saved = self.s;
        let ok = self.addr_spec_inner();
        if !ok {
            self.s = saved;
        }
        ok
    }

    fn addr_spec_inner(&mut self) -> bool {
        self.skip_space();
        if self.s.starts_with('"') {
            match self.quoted_string() {
                Some(local) if !local.is_empty() => {}
                _ => return false,
            }
        } else if self.atom(true, false).is_none() {
            return false;
        }
        if !self.consume('@') {
            return false;
        }
        self.skip_space();
        if let Some(literal) = self.s.strip_prefix('[') {
            let Some(end) = literal.find(']') else {
                return false;
            };
            let inside = &literal[..end];
            if !inside
                .chars()
                .all(|c| ('!'..='Z').contains(&c) || ('^'..='~').contains(&c))
            {
                return false;
            }
            self.s = &literal[end + 1..];
            true
        } else {
            self.atom(true, false).is_some()
        }
    }

    fn phrase(&mut self) -> bool {
        let mut words = 0;
        loop {
            self.skip_space();
            if self.s.starts_with('"') {
                if self.quoted_string().is_none() {
                    return false;
                }
            } else if self.atom(true, true).is_none() {
                break;
            }
            words += 1;
        }
        words > 0
    }

    fn single_address(&mut self) -> bool {
        self.skip_space();
        if self.s.is_empty() {
            return false;
        }
        if self.addr_spec() {
            self.skip_space();
            if self.s.starts_with('(') && !self.comment() {
                return false;
            }
        } else {
            if !self.s.starts_with('<') && !self.phrase() {
                return false;
            }
            self.skip_space();
            if !self.consume('<') || !self.addr_spec() || !self.consume('>') {
                return false;
            }
        }
        self.skip_cfws() && self.s.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(format: &str, value: &str) -> bool {
        match resolve(format, FormatHost::StringLike) {
            Some(Format::Str(f)) => f.check(value),
            other => panic!("{format} resolved to {other:?}"),
        }
    }

    /// Each format with values the Go implementation accepts and rejects.
    #[test]
    fn formats_accept_and_reject_like_go() {
        let table: &[(&str, &[&str], &[&str])] = &[
            (
                "bsonobjectid",
                &["507f1f77bcf86cd799439011"],
                &["507f1f77bcf86cd79943901", "zz7f1f77bcf86cd799439011"],
            ),
            (
                "uri",
                &[
                    "http://foo.bar/#com",
                    "https://foobar.com:8080/x?y=1",
                    "mailto:someone@example.com",
                    "/abs/path",
                    "*",
                    "http://[::1]:80/",
                    "xyz://foobar.com",
                ],
                &[
                    "",
                    "foobar.com",
                    "./rel/test/dir",
                    ":x",
                    "http://foo bar/",
                    "http://a:b:c/",
                    "http://x/%zz",
                    "http://a\u{7f}",
                ],
            ),
            (
                "email",
                &[
                    "a@b.c",
                    "John Doe <john@example.com>",
                    "<a@b>",
                    "\"quoted name\"@example.com",
                    "a@[127.0.0.1]",
                    "a.b@c (comment)",
                ],
                &[
                    "",
                    "a",
                    "a@",
                    "@b",
                    "a@b@c",
                    ".a@b",
                    "a..b@c",
                    "John <a@b",
                    "a b@c",
                ],
            ),
            (
                "hostname",
                &[
                    "example.com",
                    "a",
                    "a-b",
                    "localhost",
                    "xn--bcher-kva.example",
                    "müller.de",
                    "a.bc",
                ],
                &[
                    "",
                    "-a",
                    "a_b.com",
                    "ab-c",
                    "example.c",
                    "example.com.",
                    "a..com",
                    &"a".repeat(64),
                ],
            ),
            (
                "ipv4",
                &["192.168.0.1", "010.0.0.1", "::ffff:1.2.3.4"],
                &["256.0.0.1", "1.2.3", "::1", "a.b.c.d"],
            ),
            (
                "ipv6",
                &["::1", "2001:db8::8a2e:370:7334", "::ffff:1.2.3.4"],
                &["1.2.3.4", "2001:db8:::1", "fe80::1%eth0"],
            ),
            (
                "cidr",
                &["10.0.0.0/8", "2001:db8::/32", "10.0.0.0/032"],
                &["10.0.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "x/8"],
            ),
            (
                "mac",
                &[
                    "00:00:5e:00:53:01",
                    "00-00-5E-00-53-01",
                    "0000.5e00.5301",
                    "02:00:5e:10:00:00:00:01",
                ],
                &[
                    "00:00:5e:00:53",
                    "00:00:5e-00:53:01",
                    "0000.5e00.530",
                    "zz:00:5e:00:53:01",
                ],
            ),
            (
                "uuid",
                &[
                    "123e4567-e89b-12d3-a456-426614174000",
                    "123E4567E89B12D3A456426614174000",
                ],
                &[
                    "123e4567-e89b-12d3-a456-42661417400",
                    "g23e4567-e89b-12d3-a456-426614174000",
                ],
            ),
            (
                "uuid3",
                &["a3bb189e-8bf9-3888-9912-ace4e6543002"],
                &["a3bb189e-8bf9-4888-9912-ace4e6543002"],
            ),
            (
                "uuid4",
                &["123e4567-e89b-42d3-a456-426614174000"],
                &["123e4567-e89b-42d3-c456-426614174000"],
            ),
            (
                "uuid5",
                &["123e4567-e89b-52d3-8456-426614174000"],
                &["123e4567-e89b-42d3-8456-426614174000"],
            ),
            (
                "isbn",
                &["3836221195", "978-3-8362-2119-1", "3 401 01319 X"],
                &["3836221196", "foo"],
            ),
            ("isbn10", &["1-61729-085-8"], &["9784873113685"]),
            ("isbn13", &["9784873113685"], &["3836221195"]),
            (
                "creditcard",
                &["4220855426222389", "4220 8554 2622 2389", "374953669708156"],
                &["4220855426213389", "credit card"],
            ),
            (
                "ssn",
                &["123-45-6789", "123 45 6789"],
                &["123456789", "12-345-6789"],
            ),
            ("hexcolor", &["#fff", "CCccCC"], &["#ff", "#ff12FG"]),
            (
                "rgbcolor",
                &["rgb(0,31,255)", "rgb(0,  31, 255)"],
                &["rgb(1,349,275)", "rgb(01,31,255)", "rgba(0,31,255)"],
            ),
            (
                "byte",
                &["aGVsbG8=", "aGk=", "YWJj"],
                &["", "aGVsbG8", "a===", "aGV sbG8="],
            ),
            ("password", &["", "anything"], &[]),
            (
                "date",
                &["2024-02-29", "2023-12-31"],
                &[
                    "2023-02-29",
                    "2023-13-01",
                    "2023-1-01",
                    "23-01-01",
                    "2023-01-01T00:00:00Z",
                ],
            ),
            (
                "date-time",
                &[
                    "2014-12-15T19:30:20.000Z",
                    "2014-12-15t19:30:20z",
                    "2014-12-15T19:30:20+01:00",
                    "2014-12-15T19:30:20Z",
                ],
                &[
                    "2014-12-15",
                    "2014-12-15T24:00:00Z",
                    "2014-12-15T19:30:20",
                    "2014-12-15 19:30:20Z",
                ],
            ),
            (
                "duration",
                &[
                    "1h30m",
                    "-1.5s",
                    "0",
                    "300ms",
                    "3 days",
                    "1 week",
                    "10minutes",
                    "2µs",
                ],
                &[
                    "",
                    "1",
                    "h",
                    "1.s.",
                    "5 apples",
                    "99999999999999999999 days",
                ],
            ),
            (
                "k8s-short-name",
                &["my-name", "a1"],
                &["My-name", "-a", "a-", &"a".repeat(64)],
            ),
            ("k8s-long-name", &["a.b-c.d", "x"], &["a..b", "A.b", ".a"]),
        ];
        for (format, good, bad) in table {
            for v in *good {
                assert!(check(format, v), "{format}: {v:?} should be valid");
            }
            for v in *bad {
                assert!(!check(format, v), "{format}: {v:?} should be invalid");
            }
        }
    }

    #[test]
    fn formats_apply_by_type() {
        assert_eq!(resolve("int32", FormatHost::Integer), Some(Format::Int32));
        assert_eq!(resolve("int32", FormatHost::StringLike), None);
        assert_eq!(resolve("double", FormatHost::Number), Some(Format::Double));
        assert_eq!(
            resolve("date-time", FormatHost::StringLike),
            Some(Format::Str(StringFormat::DateTime))
        );
        assert_eq!(resolve("binary", FormatHost::StringLike), None);
        assert_eq!(resolve("date", FormatHost::Other), None);
        assert_eq!(resolve("int64", FormatHost::Number), None);
    }
}
