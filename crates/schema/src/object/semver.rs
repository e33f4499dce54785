//! The Kubernetes semver library (k8s.io/apiserver `pkg/cel/library/semverlib.go`, in the CEL
//! environment since Kubernetes 1.33 at its version 1): `semver(string)`,
//! `semver(string, normalize)`, `isSemver(string)`, `isSemver(string, normalize)`, and on a
//! `kubernetes.Semver` `major()`, `minor()`, `patch()`, `isLessThan()`, `isGreaterThan()`,
//! `compareTo()` and equality.
//!
//! Parsing is blang/semver v4's `Parse` (what the server uses), with its error messages, which
//! are the rule's runtime error; `normalize` is the library's own `normalizeAndParse` (a leading
//! `v` dropped, leading zeros removed, missing minor and patch added). Equality and comparison
//! ignore build metadata, as blang's `Compare` does.

use cel::common::types::{CelBool, CelInt, CelString, Kind, Type};
use cel::common::value::{StaticVal, Val};
use cel::{DeclarationError, Env, ExecutionError};
use std::any::Any;
use std::cmp::Ordering;

static SEMVER_TYPE: Type = Type::simple_type(Kind::Opaque, "kubernetes.Semver");

/// Registers the library on `env`.
pub(crate) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(SEMVER_TYPE.to_owned())?;
    cel::add_overload!(env, fn string_to_semver: (CelString) -> Result<Version>, name = "semver")?;
    cel::add_overload!(env, fn string_to_semver_normalized: (CelString, CelBool) -> Result<Version>, name = "semver")?;
    cel::add_overload!(env, fn is_semver: (CelString) -> CelBool, name = "isSemver")?;
    cel::add_overload!(env, fn is_semver_normalized: (CelString, CelBool) -> CelBool, name = "isSemver")?;
    cel::add_member_overload!(env, fn major: (Version) -> CelInt)?;
    cel::add_member_overload!(env, fn minor: (Version) -> CelInt)?;
    cel::add_member_overload!(env, fn patch: (Version) -> CelInt)?;
    cel::add_member_overload!(env, fn is_greater_than: (Version, Version) -> CelBool)?;
    cel::add_member_overload!(env, fn is_less_than: (Version, Version) -> CelBool)?;
    cel::add_member_overload!(env, fn compare_to: (Version, Version) -> CelInt)?;
    Ok(())
}

/// A pre-release identifier: a number, or alphanumerics (and `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pre {
    Number(u64),
    Text(String),
}

impl Pre {
    /// blang's `PRVersion.Compare`: numbers before text, numbers by value, text by bytes.
    fn compare(&self, other: &Pre) -> Ordering {
        match (self, other) {
            (Pre::Number(a), Pre::Number(b)) => a.cmp(b),
            (Pre::Number(_), Pre::Text(_)) => Ordering::Less,
            (Pre::Text(_), Pre::Number(_)) => Ordering::Greater,
            (Pre::Text(a), Pre::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

/// blang/semver's `Version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Pre>,
    build: Vec<String>,
}

impl Version {
    /// blang's `Version.Compare`: major, minor, patch, then a version without pre-release after
    /// one with, then the pre-release identifiers in turn (more of them is greater); build
    /// metadata is not compared.
    fn compare(&self, other: &Version) -> Ordering {
        let numbers =
            (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if numbers != Ordering::Equal {
            return numbers;
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let order = a.compare(b);
            if order != Ordering::Equal {
                return order;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

const NUMBERS: &str = "0123456789";
const ALPHANUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789";

fn contains_only(s: &str, set: &str) -> bool {
    s.chars().all(|c| set.contains(c))
}

fn has_leading_zeroes(s: &str) -> bool {
    s.len() > 1 && s.starts_with('0')
}

/// Go's `strconv.ParseUint(s, 10, 64)` on digits only, with its error messages.
fn parse_uint(s: &str) -> Result<u64, String> {
    if s.is_empty() {
        return Err(format!("strconv.ParseUint: parsing {s:?}: invalid syntax"));
    }
    s.parse::<u64>()
        .map_err(|_| format!("strconv.ParseUint: parsing {s:?}: value out of range"))
}

/// A major, minor or patch number.
fn number(s: &str, which: &str) -> Result<u64, String> {
    if !contains_only(s, NUMBERS) {
        return Err(format!(
            "Invalid character(s) found in {which} number {s:?}"
        ));
    }
    if has_leading_zeroes(s) {
        let capitalized = format!("{}{}", which[..1].to_uppercase(), &which[1..]);
        return Err(format!(
            "{capitalized} number must not contain leading zeroes {s:?}"
        ));
    }
    parse_uint(s)
}

/// blang/semver v4's `Parse`.
pub fn parse(s: &str) -> Result<Version, String> {
    if s.is_empty() {
        return Err("Version string empty".to_string());
    }
    let parts: Vec<&str> = s.splitn(3, '.').collect();
    let [major, minor, rest] = parts[..] else {
        return Err("No Major.Minor.Patch elements found".to_string());
    };
    let major = number(major, "major")?;
    let minor = number(minor, "minor")?;
    let (rest, build) = match rest.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (rest, None),
    };
    let (patch, pre) = match rest.split_once('-') {
        Some((patch, pre)) => (patch, Some(pre)),
        None => (rest, None),
    };
    let patch = number(patch, "patch")?;
    let mut version = Version {
        major,
        minor,
        patch,
        pre: Vec::new(),
        build: Vec::new(),
    };
    for identifier in pre.into_iter().flat_map(|p| p.split('.')) {
        version.pre.push(pre_release(identifier)?);
    }
    for identifier in build.into_iter().flat_map(|b| b.split('.')) {
        if identifier.is_empty() {
            return Err("Build meta data is empty".to_string());
        }
        if !contains_only(identifier, ALPHANUM) {
            return Err(format!(
                "Invalid character(s) found in build meta data {identifier:?}"
            ));
        }
        version.build.push(identifier.to_string());
    }
    Ok(version)
}

/// blang's `NewPRVersion`.
fn pre_release(s: &str) -> Result<Pre, String> {
    if s.is_empty() {
        return Err("Prerelease is empty".to_string());
    }
    if contains_only(s, NUMBERS) {
        if has_leading_zeroes(s) {
            return Err(format!(
                "Numeric PreRelease version must not contain leading zeroes {s:?}"
            ));
        }
        return parse_uint(s).map(Pre::Number);
    }
    if contains_only(s, ALPHANUM) {
        return Ok(Pre::Text(s.to_string()));
    }
    Err(format!("Invalid character(s) found in prerelease {s:?}"))
}

/// The library's `normalizeAndParse`: a leading `v` dropped, leading zeros of the (first three)
/// dot-separated parts removed, a missing minor and patch added as `0`.
pub fn normalize_and_parse(s: &str) -> Result<Version, String> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts: Vec<String> = s
        .splitn(3, '.')
        .map(|p| {
            if p.len() <= 1 {
                return p.to_string();
            }
            let trimmed = p.trim_start_matches('0');
            if trimmed.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                trimmed.to_string()
            } else {
                format!("0{trimmed}")
            }
        })
        .collect();
    if parts.len() < 3 {
        if parts.last().is_some_and(|p| p.contains(['+', '-'])) {
            return Err("short version cannot contain PreRelease/Build meta data".to_string());
        }
        parts.resize(3, "0".to_string());
    }
    parse(&parts.join("."))
}

impl Val for Version {
    fn get_type(&self) -> &Type {
        &SEMVER_TYPE
    }
    fn cel_type() -> &'static Type {
        &SEMVER_TYPE
    }
    /// `Semver.Equal`: blang's `EQ`, build metadata ignored.
    fn equals(&self, other: &dyn Val) -> bool {
        other
            .downcast_ref::<Version>()
            .is_some_and(|o| self.compare(o) == Ordering::Equal)
    }
    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}
impl StaticVal for Version {}

fn parsed(
    text: &CelString<'_>,
    parser: fn(&str) -> Result<Version, String>,
) -> Result<Version, ExecutionError> {
    parser(text.inner()).map_err(|e| ExecutionError::function_error("semver", e))
}

fn string_to_semver(text: &CelString<'_>) -> Result<Version, ExecutionError> {
    parsed(text, parse)
}

fn string_to_semver_normalized(
    text: &CelString<'_>,
    normalize: &CelBool,
) -> Result<Version, ExecutionError> {
    parsed(
        text,
        if *normalize.inner() {
            normalize_and_parse
        } else {
            parse
        },
    )
}

fn is_semver(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse(text.inner()).is_ok())
}

fn is_semver_normalized(text: &CelString<'_>, normalize: &CelBool) -> CelBool {
    let parser = if *normalize.inner() {
        normalize_and_parse
    } else {
        parse
    };
    CelBool::from(parser(text.inner()).is_ok())
}

/// The server converts the `uint64` to CEL's `int` as Go does, wrapping above `i64::MAX`.
fn major(v: &Version) -> CelInt {
    CelInt::from(v.major as i64)
}

fn minor(v: &Version) -> CelInt {
    CelInt::from(v.minor as i64)
}

fn patch(v: &Version) -> CelInt {
    CelInt::from(v.patch as i64)
}

fn is_greater_than(v: &Version, other: &Version) -> CelBool {
    CelBool::from(v.compare(other) == Ordering::Greater)
}

fn is_less_than(v: &Version, other: &Version) -> CelBool {
    CelBool::from(v.compare(other) == Ordering::Less)
}

fn compare_to(v: &Version, other: &Version) -> CelInt {
    CelInt::from(match v.compare(other) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::{Context, Value};
    use std::sync::Arc;

    fn eval(expr: &str) -> Result<Value, ExecutionError> {
        let mut env = Env::stdlib();
        register(&mut env).expect("register");
        let program = env.compile(expr).expect("compiles");
        program.execute(&Context::with_env(Arc::new(env)))
    }

    /// The examples of the library's doc comment, and a few more; each holds on the API server.
    #[test]
    fn the_library_answers_as_the_server_does() {
        for expr in [
            "isSemver('1.0.0')",
            "!isSemver('hello')",
            "!isSemver('v1.0')",
            "isSemver('v1.0', true)",
            "isSemver('1.0', true)",
            "isSemver('01.01.01', true)",
            "!isSemver('1.0-alpha', true)",
            "semver('v1.0.0', true) == semver('1.0.0')",
            "semver('1.0', true) == semver('1.0.0')",
            "semver('01.01.01', true) == semver('1.1.1')",
            "semver('0.1.0-alpha.1').minor() == 1",
            "semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3",
            "semver('1.2.3').compareTo(semver('1.2.3')) == 0",
            "semver('1.2.3').compareTo(semver('2.0.0')) == -1",
            "semver('1.2.3').compareTo(semver('0.1.2')) == 1",
            "semver('1.0.0-alpha').isLessThan(semver('1.0.0'))",
            "semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))",
            "semver('1.0.0-beta.2').isLessThan(semver('1.0.0-beta.11'))",
            "semver('1.0.0-rc.1').isGreaterThan(semver('1.0.0-beta.11'))",
            "semver('1.0.0+build.1') == semver('1.0.0+other')",
            "!isSemver('1.0.0+')",
            "!isSemver('1.0.0-')",
            "!isSemver('1.0.0-01')",
            "isSemver('1.0.0-0a')",
        ] {
            assert_eq!(eval(expr), Ok(Value::Bool(true)), "{expr}");
        }
    }

    #[test]
    fn errors_carry_blangs_messages() {
        for (text, message) in [
            ("", "Version string empty"),
            ("200K", "No Major.Minor.Patch elements found"),
            ("Three", "No Major.Minor.Patch elements found"),
            ("a.0.0", "Invalid character(s) found in major number \"a\""),
            (
                "01.0.0",
                "Major number must not contain leading zeroes \"01\"",
            ),
            (
                "1.01.0",
                "Minor number must not contain leading zeroes \"01\"",
            ),
            (
                "1.0.01",
                "Patch number must not contain leading zeroes \"01\"",
            ),
            ("1..0", "strconv.ParseUint: parsing \"\": invalid syntax"),
            (
                "99999999999999999999.0.0",
                "strconv.ParseUint: parsing \"99999999999999999999\": value out of range",
            ),
            (
                "1.0.0-a_b",
                "Invalid character(s) found in prerelease \"a_b\"",
            ),
            ("1.0.0+a..b", "Build meta data is empty"),
        ] {
            assert_eq!(parse(text).err().as_deref(), Some(message), "{text:?}");
        }
        assert_eq!(
            normalize_and_parse("1-alpha").err().as_deref(),
            Some("short version cannot contain PreRelease/Build meta data")
        );
        match eval("semver('Mi')") {
            Err(ExecutionError::FunctionError { message, .. }) => {
                assert_eq!(message, "No Major.Minor.Patch elements found")
            }
            other => panic!("{other:?}"),
        }
    }
}
