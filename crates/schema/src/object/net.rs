//! The Kubernetes IP and CIDR libraries (k8s.io/apiserver `pkg/cel/library/ip.go` and
//! `cidr.go`, in the CEL environment since Kubernetes 1.30): `ip(string)`, `isIP(string)`,
//! `ip.isCanonical(string)`, the IP methods (`family`, `isUnspecified`, `isLoopback`,
//! `isLinkLocalMulticast`, `isLinkLocalUnicast`, `isGlobalUnicast`), `cidr(string)`,
//! `isCIDR(string)`, the CIDR methods (`containsIP`, `containsCIDR`, `ip`, `masked`,
//! `prefixLength`), `string()` of both and equality.
//!
//! IPs and CIDRs are values of their own CEL types (`net.IP`, `net.CIDR`), so that overloads
//! are picked by type as on the server. Parsing is Go's `netip.ParseAddr` / `netip.ParsePrefix`
//! (no leading zeros in IPv4 octets, at most four hex digits per IPv6 group, `::` once), with the
//! library's extra refusals (zones, IPv4-mapped IPv6 addresses) and the server's error messages.
//! Written out rather than built on `std::net`'s parsers because the server's runtime errors
//! carry netip's reason (`IPv4 field has octet with leading zero`, …), which `std` does not give;
//! a property test checks that the text printed agrees with `std::net`.

use cel::common::types::{CelBool, CelInt, CelString, Kind, Type};
use cel::common::value::{StaticVal, Val};
use cel::{DeclarationError, Env, ExecutionError};
use std::any::Any;

static IP_TYPE: Type = Type::simple_type(Kind::Opaque, "net.IP");
static CIDR_TYPE: Type = Type::simple_type(Kind::Opaque, "net.CIDR");

/// Registers both libraries on `env`.
pub(crate) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(IP_TYPE.to_owned())?;
    env.add_type(CIDR_TYPE.to_owned())?;
    cel::add_overload!(env, fn string_to_ip: (CelString) -> Result<Ip>, name = "ip")?;
    cel::add_overload!(env, fn is_ip: (CelString) -> CelBool, name = "isIP")?;
    cel::add_overload!(env, fn ip_is_canonical: (CelString) -> Result<CelBool>, name = "ip.isCanonical")?;
    cel::add_overload!(env, fn ip_to_string: (Ip) -> CelString, name = "string")?;
    cel::add_member_overload!(env, fn family: (Ip) -> CelInt, name = "family")?;
    cel::add_member_overload!(env, fn is_unspecified: (Ip) -> CelBool, name = "isUnspecified")?;
    cel::add_member_overload!(env, fn is_loopback: (Ip) -> CelBool, name = "isLoopback")?;
    cel::add_member_overload!(env, fn is_link_local_multicast: (Ip) -> CelBool, name = "isLinkLocalMulticast")?;
    cel::add_member_overload!(env, fn is_link_local_unicast: (Ip) -> CelBool, name = "isLinkLocalUnicast")?;
    cel::add_member_overload!(env, fn is_global_unicast: (Ip) -> CelBool, name = "isGlobalUnicast")?;

    cel::add_overload!(env, fn string_to_cidr: (CelString) -> Result<Cidr>, name = "cidr")?;
    cel::add_overload!(env, fn is_cidr: (CelString) -> CelBool, name = "isCIDR")?;
    cel::add_overload!(env, fn cidr_to_string: (Cidr) -> CelString, name = "string")?;
    cel::add_member_overload!(env, fn contains_ip_string: (Cidr, CelString) -> Result<CelBool>, name = "containsIP")?;
    cel::add_member_overload!(env, fn contains_ip: (Cidr, Ip) -> CelBool, name = "containsIP")?;
    cel::add_member_overload!(env, fn contains_cidr_string: (Cidr, CelString) -> Result<CelBool>, name = "containsCIDR")?;
    cel::add_member_overload!(env, fn contains_cidr: (Cidr, Cidr) -> CelBool, name = "containsCIDR")?;
    cel::add_member_overload!(env, fn cidr_ip: (Cidr) -> Ip, name = "ip")?;
    cel::add_member_overload!(env, fn masked: (Cidr) -> Cidr, name = "masked")?;
    cel::add_member_overload!(env, fn prefix_length: (Cidr) -> CelInt, name = "prefixLength")?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Go's netip, as far as the libraries use it

/// A `netip.Addr` without zone: IPv4 in the low 32 bits, or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    bits: u128,
    v4: bool,
}

impl Addr {
    fn bit_len(self) -> u8 {
        if self.v4 { 32 } else { 128 }
    }

    fn v4_octet(self, i: u32) -> u8 {
        (self.bits >> ((3 - i) * 8)) as u8
    }

    fn v6_group(self, i: u32) -> u16 {
        (self.bits >> ((7 - i) * 16)) as u16
    }

    /// `Is4In6`: `::ffff:a.b.c.d`.
    fn is_4in6(self) -> bool {
        !self.v4 && self.bits >> 32 == 0xffff
    }

    pub fn is_unspecified(self) -> bool {
        self.bits == 0
    }

    pub fn is_loopback(self) -> bool {
        if self.v4 {
            self.v4_octet(0) == 127
        } else {
            self.bits == 1
        }
    }

    fn is_multicast(self) -> bool {
        if self.v4 {
            self.v4_octet(0) & 0xf0 == 0xe0
        } else {
            self.bits >> 120 == 0xff
        }
    }

    pub fn is_link_local_multicast(self) -> bool {
        if self.v4 {
            self.v4_octet(0) == 224 && self.v4_octet(1) == 0 && self.v4_octet(2) == 0
        } else {
            self.v6_group(0) & 0xff0f == 0xff02
        }
    }

    pub fn is_link_local_unicast(self) -> bool {
        if self.v4 {
            self.v4_octet(0) == 169 && self.v4_octet(1) == 254
        } else {
            self.v6_group(0) & 0xffc0 == 0xfe80
        }
    }

    pub fn is_global_unicast(self) -> bool {
        if self.v4 && (self.bits == 0 || self.bits == 0xffff_ffff) {
            return false;
        }
        !self.is_unspecified()
            && !self.is_loopback()
            && !self.is_multicast()
            && !self.is_link_local_unicast()
    }

    /// The address with all but the top `bits` bits cleared.
    fn masked(self, bits: u8) -> Addr {
        let width = u32::from(self.bit_len());
        let keep = u32::from(bits).min(width);
        let mask = if keep == 0 {
            0
        } else {
            (u128::MAX << (128 - keep)) >> (128 - width)
        };
        Addr {
            bits: self.bits & mask,
            v4: self.v4,
        }
    }
}

/// `Addr.String()`: dotted decimal, or RFC 5952 (lower case, the longest run of two or more
/// zero groups as `::`).
impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.v4 {
            return write!(
                f,
                "{}.{}.{}.{}",
                self.v4_octet(0),
                self.v4_octet(1),
                self.v4_octet(2),
                self.v4_octet(3)
            );
        }
        if self.is_4in6() {
            let v4 = Addr {
                bits: self.bits & 0xffff_ffff,
                v4: true,
            };
            return write!(f, "::ffff:{v4}");
        }
        let (mut zero_start, mut zero_end) = (8u32, 8u32);
        for i in 0..8 {
            let mut j = i;
            while j < 8 && self.v6_group(j) == 0 {
                j += 1;
            }
            if j - i >= 2 && (zero_start == 8 || j - i > zero_end - zero_start) {
                (zero_start, zero_end) = (i, j);
            }
        }
        let mut i = 0;
        while i < 8 {
            if i == zero_start {
                f.write_str("::")?;
                i = zero_end;
                if i >= 8 {
                    break;
                }
            } else if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{:x}", self.v6_group(i))?;
            i += 1;
        }
        Ok(())
    }
}

/// A `netip.Prefix`: an address (not masked) and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    addr: Addr,
    bits: u8,
}

impl Prefix {
    /// `Prefix.Contains`: same family, and equal in the first `bits` bits.
    pub fn contains(self, ip: Addr) -> bool {
        ip.v4 == self.addr.v4 && ip.masked(self.bits) == self.addr.masked(self.bits)
    }

    /// `Prefix.Overlaps`.
    fn overlaps(self, other: Prefix) -> bool {
        if self.addr.v4 != other.addr.v4 {
            return false;
        }
        let bits = self.bits.min(other.bits);
        self.addr.masked(bits) == other.addr.masked(bits)
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.bits)
    }
}

/// Go's `strconv.Quote` (`%q` of a string).
fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c == ' ' || !(c.is_control() || c.is_whitespace()) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// A `ParseAddr` failure: the message and, optionally, the unparsed rest it points at.
struct AddrError {
    msg: &'static str,
    at: Option<String>,
}

fn addr_error(msg: &'static str) -> AddrError {
    AddrError { msg, at: None }
}

fn addr_error_at(msg: &'static str, at: &str) -> AddrError {
    AddrError {
        msg,
        at: Some(at.to_string()),
    }
}

/// `netip.ParseAddr`: the address and its zone (empty when none), or Go's error text.
pub fn parse_addr(text: &str) -> Result<(Addr, String), String> {
    parse_addr_inner(text).map_err(|e| {
        let mut out = format!("ParseAddr({}): {}", go_quote(text), e.msg);
        if let Some(at) = e.at.filter(|a| !a.is_empty()) {
            out.push_str(&format!(" (at {})", go_quote(&at)));
        }
        out
    })
}

fn parse_addr_inner(text: &str) -> Result<(Addr, String), AddrError> {
    for b in text.bytes() {
        match b {
            b'.' => {
                let bits = parse_ipv4_fields(text.as_bytes())?;
                return Ok((
                    Addr {
                        bits: u128::from(bits),
                        v4: true,
                    },
                    String::new(),
                ));
            }
            b':' => return parse_ipv6(text),
            b'%' => return Err(addr_error("missing IPv6 address")),
            _ => {}
        }
    }
    Err(addr_error("unable to parse IP"))
}

/// `parseIPv4Fields`: four decimal octets, no leading zeros.
fn parse_ipv4_fields(s: &[u8]) -> Result<u32, AddrError> {
    let (mut val, mut pos, mut digits) = (0u32, 0usize, 0usize);
    let mut fields = [0u8; 4];
    for (i, &c) in s.iter().enumerate() {
        if c.is_ascii_digit() {
            if digits == 1 && val == 0 {
                return Err(addr_error("IPv4 field has octet with leading zero"));
            }
            val = val * 10 + u32::from(c - b'0');
            digits += 1;
            if val > 255 {
                return Err(addr_error("IPv4 field has value >255"));
            }
        } else if c == b'.' {
            if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                return Err(addr_error_at(
                    "IPv4 field must have at least one digit",
                    &String::from_utf8_lossy(&s[i..]),
                ));
            }
            if pos == 3 {
                return Err(addr_error("IPv4 address too long"));
            }
            fields[pos] = val as u8;
            pos += 1;
            val = 0;
            digits = 0;
        } else {
            return Err(addr_error_at(
                "unexpected character",
                &String::from_utf8_lossy(&s[i..]),
            ));
        }
    }
    if pos < 3 {
        return Err(addr_error("IPv4 address too short"));
    }
    fields[3] = val as u8;
    Ok(u32::from_be_bytes(fields))
}

/// `parseIPv6`, zone split off first.
fn parse_ipv6(input: &str) -> Result<(Addr, String), AddrError> {
    let (mut s, zone) = match input.split_once('%') {
        Some((_, "")) => return Err(addr_error("zone must be a non-empty string")),
        Some((addr, zone)) => (addr, zone.to_string()),
        None => (input, String::new()),
    };
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok((Addr { bits: 0, v4: false }, zone));
        }
    }
    let mut i = 0usize;
    while i < 16 {
        let bytes = s.as_bytes();
        let mut off = 0usize;
        let mut acc = 0u32;
        while off < bytes.len() {
            let c = bytes[off];
            let digit = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            acc = (acc << 4) + u32::from(digit);
            if off > 3 {
                return Err(addr_error_at("each group must have 4 or less digits", s));
            }
            if acc > 0xffff {
                return Err(addr_error_at("IPv6 field has value >=2^16", s));
            }
            off += 1;
        }
        if off == 0 {
            return Err(addr_error_at(
                "each colon-separated field must have at least one digit",
                s,
            ));
        }
        if off < bytes.len() && bytes[off] == b'.' {
            if ellipsis.is_none() && i != 12 {
                return Err(addr_error_at(
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                ));
            }
            if i + 4 > 16 {
                return Err(addr_error_at(
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                ));
            }
            let v4 = parse_ipv4_fields(s.as_bytes())?;
            ip[i..i + 4].copy_from_slice(&v4.to_be_bytes());
            s = "";
            i += 4;
            break;
        }
        ip[i] = (acc >> 8) as u8;
        ip[i + 1] = acc as u8;
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(addr_error_at("unexpected character, want colon", s));
        } else if s.len() == 1 {
            return Err(addr_error_at(
                "colon must be followed by more characters",
                s,
            ));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return Err(addr_error_at("multiple :: in address", s));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(addr_error_at("trailing garbage after address", s));
    }
    if i < 16 {
        let Some(at) = ellipsis else {
            return Err(addr_error("address string too short"));
        };
        let n = 16 - i;
        for j in (at..i).rev() {
            ip[j + n] = ip[j];
        }
        ip[at..at + n].fill(0);
    } else if ellipsis.is_some() {
        return Err(addr_error(
            "the :: must expand to at least one field of zeros",
        ));
    }
    Ok((
        Addr {
            bits: u128::from_be_bytes(ip),
            v4: false,
        },
        zone,
    ))
}

/// `netip.ParsePrefix`, or Go's error text.
pub fn parse_prefix(text: &str) -> Result<Prefix, String> {
    let fail = |msg: String| format!("netip.ParsePrefix({}): {msg}", go_quote(text));
    let Some(slash) = text.rfind('/') else {
        return Err(fail("no '/'".to_string()));
    };
    let (addr, zone) = parse_addr(&text[..slash]).map_err(fail)?;
    if !zone.is_empty() {
        return Err(fail("IPv6 zones cannot be present in a prefix".to_string()));
    }
    let bits_text = &text[slash + 1..];
    let bad_bits = || fail(format!("bad bits after slash: {}", go_quote(bits_text)));
    if bits_text.len() > 1 && !matches!(bits_text.as_bytes()[0], b'1'..=b'9') {
        return Err(bad_bits());
    }
    // strconv.Atoi: an optional sign and decimal digits.
    let digits = bits_text.strip_prefix(['+', '-']).unwrap_or(bits_text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_bits());
    }
    let bits: i64 = match bits_text.parse::<i64>() {
        Ok(b) => b,
        Err(_) => return Err(bad_bits()),
    };
    if bits < 0 || bits > i64::from(addr.bit_len()) {
        return Err(fail("prefix length out of range".to_string()));
    }
    Ok(Prefix {
        addr,
        bits: bits as u8,
    })
}

/// The library's `parseIPAddr`: `ParseAddr` without zones or IPv4-mapped IPv6 addresses.
pub fn parse_ip(text: &str) -> Result<Addr, String> {
    let (addr, zone) = parse_addr(text).map_err(|e| {
        format!(
            "IP Address {} parse error during conversion from string: {e}",
            go_quote(text)
        )
    })?;
    if !zone.is_empty() {
        return Err(format!(
            "IP address {} with zone value is not allowed",
            go_quote(text)
        ));
    }
    if addr.is_4in6() {
        return Err(format!(
            "IPv4-mapped IPv6 address {} is not allowed",
            go_quote(text)
        ));
    }
    Ok(addr)
}

/// The library's `parseCIDR`, with the message `cidr()` fails with (the server wraps the
/// parse error twice).
pub fn parse_cidr(text: &str) -> Result<Prefix, String> {
    const WRAP: &str = "network address parse error during conversion from string";
    let prefix = parse_prefix(text).map_err(|e| format!("{WRAP}: {WRAP}: {e}"))?;
    if prefix.addr.is_4in6() {
        return Err(format!(
            "{WRAP}: IPv4-mapped IPv6 address {} is not allowed",
            go_quote(text)
        ));
    }
    Ok(prefix)
}

// ---------------------------------------------------------------------------------------------
// The CEL values and functions

/// A `net.IP` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip(Addr);

/// A `net.CIDR` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(Prefix);

impl Val for Ip {
    fn get_type(&self) -> &Type {
        &IP_TYPE
    }
    fn cel_type() -> &'static Type {
        &IP_TYPE
    }
    fn equals(&self, other: &dyn Val) -> bool {
        other.downcast_ref::<Ip>().is_some_and(|o| o == self)
    }
    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v> {
        Box::new(*self)
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}
impl StaticVal for Ip {}

impl Val for Cidr {
    fn get_type(&self) -> &Type {
        &CIDR_TYPE
    }
    fn cel_type() -> &'static Type {
        &CIDR_TYPE
    }
    fn equals(&self, other: &dyn Val) -> bool {
        other.downcast_ref::<Cidr>().is_some_and(|o| o == self)
    }
    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v> {
        Box::new(*self)
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}
impl StaticVal for Cidr {}

fn string_to_ip(text: &CelString<'_>) -> Result<Ip, ExecutionError> {
    parse_ip(text.inner())
        .map(Ip)
        .map_err(|e| ExecutionError::function_error("ip", e))
}

fn is_ip(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse_ip(text.inner()).is_ok())
}

/// `Addr.String()` is the one canonical form: a string is canonical when it is it.
fn ip_is_canonical(text: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let addr =
        parse_ip(text.inner()).map_err(|e| ExecutionError::function_error("ip.isCanonical", e))?;
    Ok(CelBool::from(addr.to_string() == text.inner()))
}

fn ip_to_string(ip: &Ip) -> CelString<'static> {
    CelString::from(ip.0.to_string())
}

fn family(ip: &Ip) -> CelInt {
    CelInt::from(if ip.0.v4 { 4 } else { 6 })
}

fn is_unspecified(ip: &Ip) -> CelBool {
    CelBool::from(ip.0.is_unspecified())
}

fn is_loopback(ip: &Ip) -> CelBool {
    CelBool::from(ip.0.is_loopback())
}

fn is_link_local_multicast(ip: &Ip) -> CelBool {
    CelBool::from(ip.0.is_link_local_multicast())
}

fn is_link_local_unicast(ip: &Ip) -> CelBool {
    CelBool::from(ip.0.is_link_local_unicast())
}

fn is_global_unicast(ip: &Ip) -> CelBool {
    CelBool::from(ip.0.is_global_unicast())
}

fn string_to_cidr(text: &CelString<'_>) -> Result<Cidr, ExecutionError> {
    parse_cidr(text.inner())
        .map(Cidr)
        .map_err(|e| ExecutionError::function_error("cidr", e))
}

fn is_cidr(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse_cidr(text.inner()).is_ok())
}

fn cidr_to_string(cidr: &Cidr) -> CelString<'static> {
    CelString::from(cidr.0.to_string())
}

/// `containsIP(string)`: the server converts the string with `ip()` and, when that fails,
/// reports "no such overload" rather than the parse error.
fn contains_ip_string(cidr: &Cidr, text: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let ip = parse_ip(text.inner())
        .map_err(|_| ExecutionError::function_error("containsIP", "no such overload"))?;
    Ok(contains_ip(cidr, &Ip(ip)))
}

fn contains_ip(cidr: &Cidr, ip: &Ip) -> CelBool {
    CelBool::from(cidr.0.contains(ip.0))
}

/// `containsCIDR(string)`: the parse error of `cidr()` when the string is not a CIDR.
fn contains_cidr_string(cidr: &Cidr, text: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let other =
        parse_cidr(text.inner()).map_err(|e| ExecutionError::function_error("containsCIDR", e))?;
    Ok(contains_cidr(cidr, &Cidr(other)))
}

/// Overlapping, and no longer a prefix than the other.
fn contains_cidr(cidr: &Cidr, other: &Cidr) -> CelBool {
    CelBool::from(cidr.0.overlaps(other.0) && cidr.0.bits <= other.0.bits)
}

fn cidr_ip(cidr: &Cidr) -> Ip {
    Ip(cidr.0.addr)
}

fn masked(cidr: &Cidr) -> Cidr {
    Cidr(Prefix {
        addr: cidr.0.addr.masked(cidr.0.bits),
        bits: cidr.0.bits,
    })
}

fn prefix_length(cidr: &Cidr) -> CelInt {
    CelInt::from(i64::from(cidr.0.bits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::{Context, Value};
    use std::sync::Arc;

    /// What `ip()` says of each string, as the API server (the object oracle) answered.
    const IP_ERRORS: &[(&str, &str)] = &[
        (
            "1.2.3",
            "IP Address \"1.2.3\" parse error during conversion from string: ParseAddr(\"1.2.3\"): IPv4 address too short",
        ),
        (
            "01.2.3.4",
            "IP Address \"01.2.3.4\" parse error during conversion from string: ParseAddr(\"01.2.3.4\"): IPv4 field has octet with leading zero",
        ),
        (
            "1.2.3.256",
            "IP Address \"1.2.3.256\" parse error during conversion from string: ParseAddr(\"1.2.3.256\"): IPv4 field has value >255",
        ),
        (
            ".1.2.3",
            "IP Address \".1.2.3\" parse error during conversion from string: ParseAddr(\".1.2.3\"): IPv4 field must have at least one digit (at \".1.2.3\")",
        ),
        (
            "1..2.3",
            "IP Address \"1..2.3\" parse error during conversion from string: ParseAddr(\"1..2.3\"): IPv4 field must have at least one digit (at \".2.3\")",
        ),
        (
            "1.2.3.4.5",
            "IP Address \"1.2.3.4.5\" parse error during conversion from string: ParseAddr(\"1.2.3.4.5\"): IPv4 address too long",
        ),
        (
            "1.2.3.x",
            "IP Address \"1.2.3.x\" parse error during conversion from string: ParseAddr(\"1.2.3.x\"): unexpected character (at \"x\")",
        ),
        (
            "abc",
            "IP Address \"abc\" parse error during conversion from string: ParseAddr(\"abc\"): unable to parse IP",
        ),
        (
            "%x",
            "IP Address \"%x\" parse error during conversion from string: ParseAddr(\"%x\"): missing IPv6 address",
        ),
        (
            "::ffff:1.2.3.4",
            "IPv4-mapped IPv6 address \"::ffff:1.2.3.4\" is not allowed",
        ),
        (
            "fe80::1%eth0",
            "IP address \"fe80::1%eth0\" with zone value is not allowed",
        ),
        (
            "fe80::1%",
            "IP Address \"fe80::1%\" parse error during conversion from string: ParseAddr(\"fe80::1%\"): zone must be a non-empty string",
        ),
        (
            "1:2:3:4:5:6:7:8:9",
            "IP Address \"1:2:3:4:5:6:7:8:9\" parse error during conversion from string: ParseAddr(\"1:2:3:4:5:6:7:8:9\"): trailing garbage after address (at \"9\")",
        ),
        (
            "12345::",
            "IP Address \"12345::\" parse error during conversion from string: ParseAddr(\"12345::\"): each group must have 4 or less digits (at \"12345::\")",
        ),
        (
            "::1:2:3:4:5:6:7:8",
            "IP Address \"::1:2:3:4:5:6:7:8\" parse error during conversion from string: ParseAddr(\"::1:2:3:4:5:6:7:8\"): the :: must expand to at least one field of zeros",
        ),
        (
            "1::2::3",
            "IP Address \"1::2::3\" parse error during conversion from string: ParseAddr(\"1::2::3\"): multiple :: in address (at \":3\")",
        ),
        (
            ":1",
            "IP Address \":1\" parse error during conversion from string: ParseAddr(\":1\"): each colon-separated field must have at least one digit (at \":1\")",
        ),
        (
            "1:",
            "IP Address \"1:\" parse error during conversion from string: ParseAddr(\"1:\"): colon must be followed by more characters (at \":\")",
        ),
        (
            "1:2",
            "IP Address \"1:2\" parse error during conversion from string: ParseAddr(\"1:2\"): address string too short",
        ),
        (
            "::1.2.3",
            "IP Address \"::1.2.3\" parse error during conversion from string: ParseAddr(\"::1.2.3\"): IPv4 address too short",
        ),
        (
            "1:2:3:4:5:6:7:1.2.3.4",
            "IP Address \"1:2:3:4:5:6:7:1.2.3.4\" parse error during conversion from string: ParseAddr(\"1:2:3:4:5:6:7:1.2.3.4\"): embedded IPv4 address must replace the final 2 fields of the address (at \"1.2.3.4\")",
        ),
        (
            "1:2:3:4:5:1.2.3.4",
            "IP Address \"1:2:3:4:5:1.2.3.4\" parse error during conversion from string: ParseAddr(\"1:2:3:4:5:1.2.3.4\"): embedded IPv4 address must replace the final 2 fields of the address (at \"1.2.3.4\")",
        ),
        (
            "::g",
            "IP Address \"::g\" parse error during conversion from string: ParseAddr(\"::g\"): each colon-separated field must have at least one digit (at \"g\")",
        ),
        (
            "\u{e9}",
            "IP Address \"\u{e9}\" parse error during conversion from string: ParseAddr(\"\u{e9}\"): unable to parse IP",
        ),
        (
            "1.2.3.4\"",
            "IP Address \"1.2.3.4\\\"\" parse error during conversion from string: ParseAddr(\"1.2.3.4\\\"\"): unexpected character (at \"\\\"\")",
        ),
    ];

    /// What `cidr()` says, as the API server answered (`OK`: a CIDR).
    const CIDR_ERRORS: &[(&str, &str)] = &[
        (
            "10.0.0.0",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.0\"): no '/'",
        ),
        (
            "10.0.0.0/",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.0/\"): bad bits after slash: \"\"",
        ),
        (
            "10.0.0.0/33",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.0/33\"): prefix length out of range",
        ),
        (
            "10.0.0.0/08",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.0/08\"): bad bits after slash: \"08\"",
        ),
        (
            "10.0.0.0/+8",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.0/+8\"): bad bits after slash: \"+8\"",
        ),
        (
            "10.0.0.0/-1",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.0/-1\"): bad bits after slash: \"-1\"",
        ),
        ("10.0.0.0/0", "OK"),
        (
            "::/129",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"::/129\"): prefix length out of range",
        ),
        (
            "fe80::1%eth0/64",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"fe80::1%eth0/64\"): IPv6 zones cannot be present in a prefix",
        ),
        (
            "::ffff:1.2.3.4/120",
            "network address parse error during conversion from string: IPv4-mapped IPv6 address \"::ffff:1.2.3.4/120\" is not allowed",
        ),
        (
            "x/8",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"x/8\"): ParseAddr(\"x\"): unable to parse IP",
        ),
        (
            "10.0.0.1/8/9",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.1/8/9\"): ParseAddr(\"10.0.0.1/8\"): unexpected character (at \"/8\")",
        ),
        (
            "10.0.0.0/99999999999999999999",
            "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"10.0.0.0/99999999999999999999\"): bad bits after slash: \"99999999999999999999\"",
        ),
        ("2001:db8::/32", "OK"),
    ];

    #[test]
    fn ip_parses_and_fails_as_the_server_does() {
        for (text, server) in IP_ERRORS {
            let ours = match parse_ip(text) {
                Ok(_) => "OK".to_string(),
                Err(e) => e,
            };
            assert_eq!(&ours, server, "ip({text:?})");
        }
    }

    #[test]
    fn cidr_parses_and_fails_as_the_server_does() {
        for (text, server) in CIDR_ERRORS {
            let ours = match parse_cidr(text) {
                Ok(_) => "OK".to_string(),
                Err(e) => e,
            };
            assert_eq!(&ours, server, "cidr({text:?})");
        }
    }

    #[test]
    fn addresses_print_in_their_canonical_form() {
        for (text, canonical) in [
            ("2001:DB8::0:0:1", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
            ("::1.2.3.4", "::102:304"),
            ("fe80::0001", "fe80::1"),
            ("255.0.10.1", "255.0.10.1"),
        ] {
            assert_eq!(parse_ip(text).unwrap().to_string(), canonical, "{text}");
        }
    }

    fn eval(expr: &str) -> Result<Value, ExecutionError> {
        let mut env = Env::stdlib();
        register(&mut env).expect("register");
        let program = env.compile(expr).expect("compiles");
        program.execute(&Context::with_env(Arc::new(env)))
    }

    /// Each expression holds on the API server (checked with the object oracle).
    #[test]
    fn the_library_answers_as_the_server_does() {
        for expr in [
            "string(ip('2001:DB8::0:0:1')) == '2001:db8::1'",
            "string(ip('1.2.3.4')) == '1.2.3.4'",
            "ip.isCanonical('2001:db8::abcd')",
            "!ip.isCanonical('2001:DB8::ABCD')",
            "!ip.isCanonical('2001:db8::0:0:0:abcd')",
            "ip.isCanonical('127.0.0.1')",
            "isIP('::1') && !isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0') && !isIP('01.1.1.1')",
            "ip('127.0.0.1').family() == 4 && ip('::1').family() == 6",
            "ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified() && !ip('::1').isUnspecified()",
            "ip('127.1.2.3').isLoopback() && ip('::1').isLoopback() && !ip('::2').isLoopback()",
            "ip('224.0.0.1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast() \
             && ip('ff02::1').isLinkLocalMulticast() && ip('ff12::1').isLinkLocalMulticast() \
             && !ip('ff05::1').isLinkLocalMulticast()",
            "ip('169.254.169.254').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast() \
             && ip('febf::1').isLinkLocalUnicast() && !ip('fec0::1').isLinkLocalUnicast()",
            "ip('192.168.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast() \
             && !ip('0.0.0.0').isGlobalUnicast() && ip('2001:db8::abcd').isGlobalUnicast() \
             && !ip('ff00::1').isGlobalUnicast() && !ip('224.1.1.1').isGlobalUnicast() \
             && !ip('fe80::1').isGlobalUnicast() && ip('fd00::1').isGlobalUnicast()",
            "ip('10.0.0.1') == ip('10.0.0.1') && ip('::1') == ip('0::1') && ip('::1') != ip('::2')",
            "cidr('192.168.0.1/24') == cidr('192.168.0.1/24') \
             && cidr('192.168.0.1/24') != cidr('192.168.0.0/24')",
            "string(cidr('192.168.0.1/24')) == '192.168.0.1/24' \
             && string(cidr('2001:DB8::1/32')) == '2001:db8::1/32'",
            "string(cidr('192.168.0.1/24').masked()) == '192.168.0.0/24' \
             && string(cidr('2001:db8:ffff::1/33').masked()) == '2001:db8:8000::/33'",
            "cidr('192.168.0.1/24').ip() == ip('192.168.0.1') && cidr('::1/128').prefixLength() == 128",
            "cidr('10.0.0.0/8').containsIP('10.255.0.1') && !cidr('10.0.0.0/8').containsIP('11.0.0.1') \
             && !cidr('::/0').containsIP('10.0.0.1') && cidr('0.0.0.0/0').containsIP(ip('1.2.3.4'))",
            "cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') \
             && !cidr('10.1.0.0/16').containsCIDR('10.0.0.0/8') \
             && cidr('10.0.0.0/8').containsCIDR(cidr('10.0.0.0/8')) \
             && !cidr('10.0.0.0/8').containsCIDR('::/0')",
            "cidr('10.0.0.1/8').containsCIDR('10.9.9.9/32') && cidr('10.0.0.1/8').containsIP('10.2.3.4') \
             && isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0') && !isCIDR('::ffff:1.2.3.4/120')",
            "[ip('1.2.3.4'), ip('::1')].exists(x, x == ip('::1')) && ip('1.2.3.4') in [ip('1.2.3.4')]",
            "type(ip('1.2.3.4')) == net.IP && type(cidr('1.0.0.0/8')) == net.CIDR",
        ] {
            assert_eq!(eval(expr), Ok(Value::Bool(true)), "{expr}");
        }
    }

    /// The errors of the functions that take strings, as the server words them.
    #[test]
    fn invalid_strings_fail_with_the_servers_errors() {
        let message = |expr: &str| match eval(expr) {
            Err(ExecutionError::FunctionError { message, .. }) => message,
            other => panic!("{expr}: {other:?}"),
        };
        assert_eq!(
            message("ip('1.2.3') == ip('1.2.3.4')"),
            "IP Address \"1.2.3\" parse error during conversion from string: ParseAddr(\"1.2.3\"): \
             IPv4 address too short"
        );
        assert_eq!(
            message("ip.isCanonical('::ffff:1.2.3.4')"),
            "IPv4-mapped IPv6 address \"::ffff:1.2.3.4\" is not allowed"
        );
        // containsIP of a string that is no IP: the server's conversion error is lost.
        assert_eq!(
            message("cidr('10.0.0.0/8').containsIP('x')"),
            "no such overload"
        );
        assert_eq!(
            message("cidr('10.0.0.0/8').containsCIDR('x')"),
            "network address parse error during conversion from string: network address parse \
             error during conversion from string: netip.ParsePrefix(\"x\"): no '/'"
        );
        // isIP and isCIDR never fail.
        assert_eq!(eval("isIP('x') || isCIDR('x')"), Ok(Value::Bool(false)));
    }

    /// The methods take their own types only: an IP method on a CIDR or on a string is no
    /// overload (the server refuses such a rule when the CRD is written).
    #[test]
    fn methods_are_picked_by_type() {
        for expr in [
            "'1.2.3.4'.family() == 4",
            "cidr('10.0.0.0/8').family() == 4",
            "ip('10.0.0.1').prefixLength() == 8",
            "cidr('10.0.0.0/8').containsIP(1)",
        ] {
            assert!(
                matches!(eval(expr), Err(ExecutionError::NoSuchOverload(_))),
                "{expr}: {:?}",
                eval(expr)
            );
        }
    }

    /// Eight IPv6 groups, zero often enough to make runs of zeros to compress.
    fn groups() -> impl proptest::strategy::Strategy<Value = u128> {
        use proptest::prelude::*;
        proptest::array::uniform8(prop_oneof![Just(0u16), Just(1u16), any::<u16>()]).prop_map(|g| {
            g.iter()
                .fold(0u128, |acc, &group| (acc << 16) | u128::from(group))
        })
    }

    proptest::proptest! {
        /// `Addr.String()` is RFC 5952, which Rust's `Ipv6Addr` prints too; and what it prints
        /// parses back to the same address, canonical.
        #[test]
        fn ipv6_addresses_print_canonically_and_parse_back(bits in groups()) {
            let addr = Addr { bits, v4: false };
            proptest::prop_assume!(!addr.is_4in6());
            let text = addr.to_string();
            proptest::prop_assert_eq!(&text, &std::net::Ipv6Addr::from(bits).to_string());
            proptest::prop_assert_eq!(parse_ip(&text), Ok(addr));
            let expanded: Vec<String> = (0..8).map(|i| format!("{:04X}", addr.v6_group(i))).collect();
            let expanded = expanded.join(":");
            proptest::prop_assert_eq!(parse_ip(&expanded), Ok(addr));
            proptest::prop_assert_eq!(eval(&format!("ip.isCanonical('{text}')")), Ok(Value::Bool(true)));
            proptest::prop_assert_eq!(eval(&format!("ip.isCanonical('{expanded}')")), Ok(Value::Bool(false)));
        }

        #[test]
        fn ipv4_addresses_print_and_parse_back(bits: u32) {
            let addr = Addr { bits: u128::from(bits), v4: true };
            let text = addr.to_string();
            proptest::prop_assert_eq!(&text, &std::net::Ipv4Addr::from(bits).to_string());
            proptest::prop_assert_eq!(parse_ip(&text), Ok(addr));
        }

        /// A prefix contains its own address and every address of its masked range, and
        /// contains the prefixes it is a prefix of.
        #[test]
        fn prefixes_contain_their_range(bits: u32, len in 0u8..=32, other: u32) {
            let addr = Addr { bits: u128::from(bits), v4: true };
            let prefix = Prefix { addr, bits: len };
            proptest::prop_assert!(prefix.contains(addr));
            let keep = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
            let inside = Addr { bits: u128::from((bits & keep) | (other & !keep)), v4: true };
            proptest::prop_assert!(prefix.contains(inside));
            let narrower = Cidr(Prefix { addr: inside, bits: len.saturating_add(1).min(32) });
            proptest::prop_assert!(contains_cidr(&Cidr(prefix), &narrower).inner());
            let v6 = Addr { bits: u128::from(bits), v4: false };
            proptest::prop_assert!(!prefix.contains(v6));
        }
    }

    #[test]
    fn go_quotes_strings_as_strconv_does() {
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("\u{1}\n"), "\"\\x01\\n\"");
        assert_eq!(go_quote("é"), "\"é\"");
    }
}
