//! The Kubernetes quantity library (k8s.io/apiserver `pkg/cel/library/quantity.go`):
//! `quantity(string)`, `isQuantity(string)` and the quantity methods. A quantity is carried as
//! a string (not a CEL type of its own, unlike `net.IP`): `quantity()` returns its exact
//! value in a canonical form (`<integer>e<exponent>`, trailing zeros folded into the exponent),
//! so that equal quantities are equal strings and the methods parse it again.

use cel::common::types::{CelBool, CelDouble, CelInt, CelString};
use cel::{DeclarationError, Env, ExecutionError};
use std::cmp::Ordering;

const REGEXP_ERROR: &str = "quantities must match the regular expression \
     '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Registers the library on `env`.
pub(crate) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_overload!(env, fn quantity: (CelString) -> Result<CelString>, name = "quantity")?;
    cel::add_overload!(env, fn is_quantity: (CelString) -> CelBool, name = "isQuantity")?;
    cel::add_member_overload!(env, fn is_integer: (CelString) -> Result<CelBool>, name = "isInteger")?;
    cel::add_member_overload!(env, fn as_integer: (CelString) -> Result<CelInt>, name = "asInteger")?;
    cel::add_member_overload!(env, fn as_approximate_float: (CelString) -> Result<CelDouble>, name = "asApproximateFloat")?;
    cel::add_member_overload!(env, fn sign: (CelString) -> Result<CelInt>, name = "sign")?;
    cel::add_member_overload!(env, fn is_greater_than: (CelString, CelString) -> Result<CelBool>, name = "isGreaterThan")?;
    cel::add_member_overload!(env, fn is_less_than: (CelString, CelString) -> Result<CelBool>, name = "isLessThan")?;
    cel::add_member_overload!(env, fn compare_to: (CelString, CelString) -> Result<CelInt>, name = "compareTo")?;
    cel::add_member_overload!(env, fn add: (CelString, CelString) -> Result<CelString>, name = "add")?;
    cel::add_member_overload!(env, fn add_int: (CelString, CelInt) -> Result<CelString>, name = "add")?;
    cel::add_member_overload!(env, fn sub: (CelString, CelString) -> Result<CelString>, name = "sub")?;
    cel::add_member_overload!(env, fn sub_int: (CelString, CelInt) -> Result<CelString>, name = "sub")?;
    Ok(())
}

/// An exact quantity: `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quantity {
    mantissa: i128,
    exponent: i32,
}

impl Quantity {
    fn normalized(mut self) -> Quantity {
        if self.mantissa == 0 {
            return Quantity {
                mantissa: 0,
                exponent: 0,
            };
        }
        while self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.exponent += 1;
        }
        self
    }

    fn canonical(self) -> String {
        let q = self.normalized();
        format!("{}e{}", q.mantissa, q.exponent)
    }

    /// Both mantissas at the smaller exponent; `None` when that overflows.
    fn aligned(self, other: Quantity) -> Option<(i128, i128, i32)> {
        let exponent = self.exponent.min(other.exponent);
        let scale = |q: Quantity| {
            10i128
                .checked_pow(u32::try_from(q.exponent - exponent).ok()?)
                .and_then(|f| q.mantissa.checked_mul(f))
        };
        Some((scale(self)?, scale(other)?, exponent))
    }

    fn cmp(self, other: Quantity) -> Ordering {
        match self.aligned(other) {
            Some((a, b, _)) => a.cmp(&b),
            None => self
                .as_f64()
                .partial_cmp(&other.as_f64())
                .unwrap_or(Ordering::Equal),
        }
    }

    fn add(self, other: Quantity) -> Option<Quantity> {
        let (a, b, exponent) = self.aligned(other)?;
        Some(Quantity {
            mantissa: a.checked_add(b)?,
            exponent,
        })
    }

    fn as_f64(self) -> f64 {
        self.mantissa as f64 * 10f64.powi(self.exponent)
    }

    /// The value as an int64, when it is a whole number in range.
    fn as_i64(self) -> Option<i64> {
        let q = self.normalized();
        if q.exponent < 0 {
            return None;
        }
        let value = 10i128
            .checked_pow(u32::try_from(q.exponent).ok()?)
            .and_then(|f| q.mantissa.checked_mul(f))?;
        i64::try_from(value).ok()
    }
}

/// `resource.ParseQuantity`: a signed decimal number and a suffix (SI, binary or `e<exp>`).
fn parse(text: &str) -> Option<Quantity> {
    let split = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(split);
    let (negative, digits) = match number.as_bytes().first() {
        Some(b'-') => (true, &number[1..]),
        Some(b'+') => (false, &number[1..]),
        _ => (false, number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    let mut mantissa: i128 = 0;
    for d in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(d - b'0'))?;
    }
    let mut exponent = -i32::try_from(fraction.len()).ok()?;
    let binary = |power: u32| -> Option<i128> { 2i128.checked_pow(power) };
    match suffix {
        "" => {}
        "n" => exponent -= 9,
        "u" => exponent -= 6,
        "m" => exponent -= 3,
        "k" => exponent += 3,
        "M" => exponent += 6,
        "G" => exponent += 9,
        "T" => exponent += 12,
        "P" => exponent += 15,
        "E" => exponent += 18,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = 10 * (1 + "KMGTPE".find(&suffix[..1])? as u32);
            mantissa = mantissa.checked_mul(binary(power)?)?;
        }
        _ => {
            let rest = suffix.strip_prefix(['e', 'E'])?;
            let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            exponent = exponent.checked_add(rest.parse::<i32>().ok()?)?;
        }
    }
    if negative {
        mantissa = -mantissa;
    }
    Some(Quantity { mantissa, exponent })
}

fn parsed(function: &str, text: &str) -> Result<Quantity, ExecutionError> {
    parse(text).ok_or_else(|| ExecutionError::function_error(function, REGEXP_ERROR))
}

fn quantity(text: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    Ok(CelString::from(
        parsed("quantity", text.inner())?.canonical(),
    ))
}

fn is_quantity(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse(text.inner()).is_some())
}

fn is_integer(q: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    Ok(CelBool::from(
        parsed("isInteger", q.inner())?.as_i64().is_some(),
    ))
}

fn as_integer(q: &CelString<'_>) -> Result<CelInt, ExecutionError> {
    parsed("asInteger", q.inner())?
        .as_i64()
        .map(CelInt::from)
        .ok_or_else(|| {
            ExecutionError::function_error("asInteger", "cannot convert value to integer")
        })
}

fn as_approximate_float(q: &CelString<'_>) -> Result<CelDouble, ExecutionError> {
    Ok(CelDouble::from(
        parsed("asApproximateFloat", q.inner())?.as_f64(),
    ))
}

fn sign(q: &CelString<'_>) -> Result<CelInt, ExecutionError> {
    Ok(CelInt::from(
        parsed("sign", q.inner())?.mantissa.signum() as i64
    ))
}

fn ordering(
    function: &str,
    a: &CelString<'_>,
    b: &CelString<'_>,
) -> Result<Ordering, ExecutionError> {
    Ok(parsed(function, a.inner())?.cmp(parsed(function, b.inner())?))
}

fn is_greater_than(a: &CelString<'_>, b: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    Ok(CelBool::from(
        ordering("isGreaterThan", a, b)? == Ordering::Greater,
    ))
}

fn is_less_than(a: &CelString<'_>, b: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    Ok(CelBool::from(
        ordering("isLessThan", a, b)? == Ordering::Less,
    ))
}

fn compare_to(a: &CelString<'_>, b: &CelString<'_>) -> Result<CelInt, ExecutionError> {
    Ok(CelInt::from(ordering("compareTo", a, b)? as i64))
}

fn sum(function: &str, a: Quantity, b: Quantity) -> Result<CelString<'static>, ExecutionError> {
    a.add(b)
        .map(|q| CelString::from(q.canonical()))
        .ok_or_else(|| ExecutionError::function_error(function, "quantity out of range"))
}

fn negated(q: Quantity) -> Quantity {
    Quantity {
        mantissa: -q.mantissa,
        exponent: q.exponent,
    }
}

fn int_quantity(n: &CelInt) -> Quantity {
    Quantity {
        mantissa: i128::from(*n.inner()),
        exponent: 0,
    }
}

fn add(a: &CelString<'_>, b: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    sum("add", parsed("add", a.inner())?, parsed("add", b.inner())?)
}

fn add_int(a: &CelString<'_>, b: &CelInt) -> Result<CelString<'static>, ExecutionError> {
    sum("add", parsed("add", a.inner())?, int_quantity(b))
}

fn sub(a: &CelString<'_>, b: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    sum(
        "sub",
        parsed("sub", a.inner())?,
        negated(parsed("sub", b.inner())?),
    )
}

fn sub_int(a: &CelString<'_>, b: &CelInt) -> Result<CelString<'static>, ExecutionError> {
    sum("sub", parsed("sub", a.inner())?, negated(int_quantity(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_to_exact_values() {
        let q = |s: &str| parse(s).map(Quantity::canonical);
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1.5k"), Some("15e2".into()));
        assert_eq!(q("100m"), q("0.1"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("-2"), Some("-2e0".into()));
        for bad in ["", "abc", "1.2.3", "1x", "Gi", "1e", "1Gib"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn quantities_compare_by_value() {
        let q = |s: &str| parse(s).unwrap();
        assert_eq!(q("1Gi").cmp(q("1000Mi")), Ordering::Greater);
        assert_eq!(q("500m").cmp(q("1")), Ordering::Less);
        assert_eq!(q("1024Ki").cmp(q("1Mi")), Ordering::Equal);
        assert_eq!(q("1.5").as_i64(), None);
        assert_eq!(q("2k").as_i64(), Some(2000));
    }
}
