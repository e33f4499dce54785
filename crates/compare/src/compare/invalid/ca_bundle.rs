//! A conversion webhook's `caBundle` as the API server judges it: base64 of PEM data in which
//! client-go finds at least one certificate (`webhook.ValidateCABundle`, i.e.
//! `transport.TLSConfigFor` → `x509.CertPool.AppendCertsFromPEM`, with client-go's
//! `createErrorParsingCAData` for the reason).
//!
//! Followed from Go: `encoding/base64`'s `StdEncoding` (what `encoding/json` decodes a `[]byte`
//! with: padding required, `\r` and `\n` skipped, non-zero trailing bits allowed),
//! `encoding/pem.Decode` (blocks found anywhere, headers, the END line's type) and what
//! `x509.ParseCertificate` (Go 1.27, the oracle's) reads: the DER structure (certificate, TBS
//! fields in order, version, non-negative minimal serial, unique IDs, extensions without
//! duplicates, matching inner and outer signature algorithms, no trailing data), OIDs, names
//! (sets of OID and value, strings in the types Go reads), validity times as `time.Parse` takes
//! them, the public key (RSA: NULL parameters, positive modulus and exponent; ECDSA: a curve Go
//! knows and an uncompressed point on it; Ed25519/X25519: no parameters, 32 bytes), and the
//! values of the usual CA extensions (key identifiers, key usage, basic constraints, extended
//! key usage). Not followed: the values of the rarer extensions Go interprets (alternative
//! names, name constraints, policies, CRL distribution points, authority info access), DSA and
//! ML-DSA keys, so a certificate broken only there passes here. Measured against the oracle
//! with random single-byte corruptions of real certificates (ARCHITECTURE.md).

use super::ec_point;

/// Go's base64 `StdEncoding.Decode`: `None` when Go reports illegal base64 data.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quanta = clean.chunks(4).count();
    for (i, quantum) in clean.chunks(4).enumerate() {
        let padding = quantum.iter().rev().take_while(|c| **c == b'=').count();
        // Padding only ends the input: "xx==" or "xxx=".
        if padding > 2 || (padding > 0 && i + 1 != quanta) {
            return None;
        }
        let mut bits = 0u32;
        for &c in &quantum[..4 - padding] {
            bits = (bits << 6) | value(c)?;
        }
        bits <<= 6 * padding as u32;
        let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        out.extend_from_slice(&bytes[..3 - padding]);
    }
    Some(out)
}

/// Why client-go cannot load `data` as root certificates (the text after "unable to load root
/// certificates: "), or `None` when it holds at least one certificate.
pub fn ca_bundle_problem(data: &[u8]) -> Option<String> {
    let mut rest = data;
    let mut blocks = Vec::new();
    while !rest.is_empty() {
        let Some((block, next)) = pem_decode(rest) else {
            break;
        };
        blocks.push(block);
        rest = next;
    }
    if blocks
        .iter()
        .any(|b| b.is_certificate() && parse_certificate(&b.bytes).is_ok())
    {
        return None;
    }
    // `createErrorParsingCAData`: the first block that cannot be read, or a certificate block
    // that does not parse, names the reason.
    let mut rest = data;
    while !rest.is_empty() {
        let Some((block, next)) = pem_decode(rest) else {
            return Some("unable to parse bytes as PEM block".to_string());
        };
        rest = next;
        if !block.is_certificate() {
            continue;
        }
        if let Err(e) = parse_certificate(&block.bytes) {
            return Some(format!("failed to parse certificate: x509: {e}"));
        }
    }
    Some("no valid certificate authority data seen".to_string())
}

struct PemBlock {
    kind: Vec<u8>,
    has_headers: bool,
    bytes: Vec<u8>,
}

impl PemBlock {
    /// What `AppendCertsFromPEM` reads: a CERTIFICATE block without headers.
    fn is_certificate(&self) -> bool {
        self.kind == b"CERTIFICATE" && !self.has_headers
    }
}

/// Go's `getLine`: the line up to `\n` (without a `\r` before it), trailing spaces and tabs
/// trimmed, and the rest after the `\n`.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (mut end, next) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (i, i + 1),
        None => (data.len(), data.len()),
    };
    if next > end && end > 0 && data[end - 1] == b'\r' {
        end -= 1;
    }
    let mut line = &data[..end];
    while let [head @ .., b' ' | b'\t'] = line {
        line = head;
    }
    (line, &data[next..])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Go's `pem.Decode`: the next block and the rest, `None` when no block is left.
fn pem_decode(data: &[u8]) -> Option<(PemBlock, &[u8])> {
    const BEGIN: &[u8] = b"\n-----BEGIN ";
    const END: &[u8] = b"\n-----END ";
    const DASHES: &[u8] = b"-----";
    let mut rest = data;
    loop {
        if rest.starts_with(&BEGIN[1..]) {
            rest = &rest[BEGIN.len() - 1..];
        } else if let Some(i) = find(rest, BEGIN) {
            rest = &rest[i + BEGIN.len()..];
        } else {
            return None;
        }
        let (type_line, after) = get_line(rest);
        rest = after;
        let Some(kind) = type_line.strip_suffix(DASHES) else {
            continue;
        };
        let mut has_headers = false;
        loop {
            if rest.is_empty() {
                return None;
            }
            let (line, next) = get_line(rest);
            if !line.contains(&b':') {
                break;
            }
            has_headers = true;
            rest = next;
        }
        let (end_index, trailer_index) = if !has_headers && rest.starts_with(&END[1..]) {
            (0, END.len() - 1)
        } else {
            match find(rest, END) {
                Some(i) => (i, i + END.len()),
                None => continue,
            }
        };
        let trailer = &rest[trailer_index..];
        let trailer_len = kind.len() + DASHES.len();
        if trailer.len() < trailer_len {
            continue;
        }
        let (end_line, rest_of_end_line) = trailer.split_at(trailer_len);
        if !end_line.starts_with(kind) || !end_line.ends_with(DASHES) {
            continue;
        }
        if !get_line(rest_of_end_line).0.is_empty() {
            continue;
        }
        let body: String = rest[..end_index]
            .iter()
            .filter(|b| **b != b' ' && **b != b'\t')
            .map(|b| char::from(*b))
            .collect();
        let Some(bytes) = decode_base64(&body) else {
            continue;
        };
        let (_, after_block) = get_line(&rest[end_index + END.len() - 1..]);
        return Some((
            PemBlock {
                kind: kind.to_vec(),
                has_headers,
                bytes,
            },
            after_block,
        ));
    }
}

/// A DER reader over the input, in the manner of Go's `cryptobyte`.
struct Der<'a>(&'a [u8]);

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const UTC_TIME: u8 = 0x17;
const SET: u8 = 0x31;
const NULL: u8 = 0x05;
const GENERALIZED_TIME: u8 = 0x18;

impl<'a> Der<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// The next element's tag and whole encoding, and its contents, with DER lengths
    /// (definite, minimal).
    fn element(&mut self) -> Option<(u8, &'a [u8], &'a [u8])> {
        let data = self.0;
        let tag = *data.first()?;
        if tag & 0x1f == 0x1f {
            return None; // high tag numbers: cryptobyte refuses them
        }
        let first = *data.get(1)?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let bytes = data.get(2..2 + n)?;
            if bytes[0] == 0 {
                return None;
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if len < 0x80 {
                return None;
            }
            (len, 2 + n)
        };
        let total = header.checked_add(len)?;
        let whole = data.get(..total)?;
        self.0 = &data[total..];
        Some((tag, whole, &whole[header..]))
    }

    fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        if self.peek_tag() != Some(tag) {
            return None;
        }
        self.element().map(|(_, _, contents)| contents)
    }

    /// An optional element: `Some(None)` when the next tag differs, `None` when it is malformed.
    fn read_optional(&mut self, tag: u8) -> Option<Option<&'a [u8]>> {
        if self.peek_tag() != Some(tag) {
            return Some(None);
        }
        self.read(tag).map(Some)
    }
}

/// A minimally encoded INTEGER's contents: its sign (true when negative).
fn integer_is_negative(contents: &[u8]) -> Option<bool> {
    match contents {
        [] => None,
        [0x00, next, ..] if next & 0x80 == 0 => None,
        [0xff, next, ..] if next & 0x80 != 0 => None,
        [first, ..] => Some(first & 0x80 != 0),
    }
}

/// A small INTEGER's value (the version).
fn small_integer(contents: &[u8]) -> Option<i64> {
    let negative = integer_is_negative(contents)?;
    if contents.len() > 8 {
        return None;
    }
    let start = if negative { -1i64 } else { 0 };
    Some(
        contents
            .iter()
            .fold(start, |acc, b| (acc << 8) | i64::from(*b)),
    )
}

/// Go's `parseAI`: an OID, then anything.
fn algorithm_identifier(contents: &[u8]) -> Result<(), &'static str> {
    let mut ai = Der(contents);
    ai.read(OID)
        .filter(|oid| is_valid_oid(oid))
        .ok_or("malformed OID")?;
    if !ai.is_empty() {
        ai.element().ok_or("malformed parameters")?;
    }
    Ok(())
}

/// One validity time (Go's `readASN1Time`).
fn validity_time(der: &mut Der<'_>) -> Result<(), &'static str> {
    match der.peek_tag() {
        Some(tag @ (UTC_TIME | GENERALIZED_TIME)) => {
            let contents = der.read(tag).ok_or("malformed validity")?;
            check_time(tag, contents)
        }
        _ => Err("unsupported time format"),
    }
}

/// cryptobyte's `ReadASN1UTCTime` / `ReadASN1GeneralizedTime`: `time.Parse` with
/// `060102150405Z0700` (or without seconds) / `20060102150405.999999999Z0700`, and the text
/// must be what formatting the time gives back (no `+0000`, no trailing zero in a fraction).
fn check_time(tag: u8, text: &[u8]) -> Result<(), &'static str> {
    let (error, year_digits) = if tag == UTC_TIME {
        ("malformed UTCTime", 2)
    } else {
        ("malformed GeneralizedTime", 4)
    };
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let fields_ok = if tag == UTC_TIME {
        digits == 12 || digits == 10
    } else {
        digits == 14
    };
    if !fields_ok {
        return Err(error);
    }
    let number = |at: usize, len: usize| {
        text[at..at + len]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let year = match year_digits {
        2 => match number(0, 2) {
            y if y >= 69 => 1900 + y,
            y => 2000 + y,
        },
        _ => number(0, 4),
    };
    let at = year_digits;
    let (month, day, hour, minute) = (
        number(at, 2),
        number(at + 2, 2),
        number(at + 4, 2),
        number(at + 6, 2),
    );
    let second = if digits >= at + 10 {
        number(at + 8, 2)
    } else {
        0
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if !((1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60) {
        return Err(error);
    }
    let mut rest = &text[digits..];
    if tag == GENERALIZED_TIME && rest.first() == Some(&b'.') {
        let fraction = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if fraction == 0 || fraction > 9 || rest[fraction] == b'0' {
            return Err(error);
        }
        rest = &rest[1 + fraction..];
    }
    let zone_ok = match rest {
        b"Z" => true,
        [b'+' | b'-', zone @ ..] => {
            zone.len() == 4
                && zone.iter().all(u8::is_ascii_digit)
                && zone != b"0000"
                && (zone[0] - b'0') * 10 + (zone[1] - b'0') < 24
                && (zone[2] - b'0') * 10 + (zone[3] - b'0') < 60
        }
        _ => false,
    };
    if zone_ok { Ok(()) } else { Err(error) }
}

/// Go's `parseName`: a SEQUENCE of SETs of (OID, value), each value as `readASN1Any` reads it.
fn check_name(contents: &[u8]) -> Result<(), String> {
    let mut rdns = Der(contents);
    while !rdns.is_empty() {
        let mut set = Der(rdns.read(SET).ok_or("invalid RDNSequence")?);
        while !set.is_empty() {
            let mut attribute = Der(set
                .read(SEQUENCE)
                .ok_or("invalid RDNSequence: invalid attribute")?);
            attribute
                .read(OID)
                .filter(|oid| is_valid_oid(oid))
                .ok_or("invalid RDNSequence: invalid attribute type")?;
            if let Err(e) = check_any(&mut attribute) {
                return Err(format!("invalid RDNSequence: invalid attribute value: {e}"));
            }
        }
    }
    Ok(())
}

/// Go's `readASN1Any`: strings, integers, bit and octet strings, OIDs, times, booleans, NULL,
/// and any other element as raw bytes.
fn check_any(der: &mut Der<'_>) -> Result<(), &'static str> {
    let (tag, _, value) = der.element().ok_or("invalid ASN.1 element")?;
    match tag {
        20 | 19 | 12 | 30 | 22 | 18 => check_asn1_string(tag, value),
        INTEGER => integer_is_negative(value)
            .filter(|_| value.len() <= 8)
            .map(|_| ())
            .ok_or("invalid ASN.1 integer"),
        BIT_STRING => is_bit_string(value)
            .then_some(())
            .ok_or("invalid ASN.1 BIT STRING"),
        OID => is_valid_oid(value)
            .then_some(())
            .ok_or("invalid ASN.1 OBJECT IDENTIFIER"),
        UTC_TIME | GENERALIZED_TIME => check_time(tag, value),
        BOOLEAN => is_boolean(value)
            .then_some(())
            .ok_or("invalid ASN.1 BOOLEAN"),
        _ => Ok(()),
    }
}

/// A BIT STRING's contents as cryptobyte reads them: the unused-bit count below 8, zero for
/// an empty string, and the unused bits zero.
fn is_bit_string(contents: &[u8]) -> bool {
    match contents {
        [unused] => *unused == 0,
        [unused, .., last] => *unused < 8 && last & ((1u8 << unused) - 1) == 0,
        [] => false,
    }
}

/// A DER BOOLEAN's contents.
fn is_boolean(contents: &[u8]) -> bool {
    contents == [0x00] || contents == [0xff]
}

/// An OBJECT IDENTIFIER's contents as cryptobyte reads them: minimal base-128 components
/// that fit in 31 bits.
fn is_valid_oid(contents: &[u8]) -> bool {
    if contents.last().is_none_or(|b| b & 0x80 != 0) {
        return false;
    }
    let mut value: u64 = 0;
    let mut at_start = true;
    for b in contents {
        if at_start && *b == 0x80 {
            return false;
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if value > i32::MAX as u64 {
            return false;
        }
        at_start = b & 0x80 == 0;
        if at_start {
            value = 0;
        }
    }
    true
}

/// Go's `parseASN1String`.
fn check_asn1_string(tag: u8, value: &[u8]) -> Result<(), &'static str> {
    const T61: u8 = 20;
    const PRINTABLE: u8 = 19;
    const UTF8: u8 = 12;
    const BMP: u8 = 30;
    const IA5: u8 = 22;
    const NUMERIC: u8 = 18;
    let printable = |b: &u8| b.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(b);
    match tag {
        T61 => Ok(()),
        PRINTABLE if value.iter().all(printable) => Ok(()),
        PRINTABLE => Err("invalid PrintableString"),
        UTF8 if std::str::from_utf8(value).is_ok() => Ok(()),
        UTF8 => Err("invalid UTF-8 string"),
        BMP if value.len() % 2 == 0 => Ok(()),
        BMP => Err("invalid BMPString"),
        IA5 if value.is_ascii() => Ok(()),
        IA5 => Err("invalid IA5String"),
        NUMERIC if value.iter().all(|b| b.is_ascii_digit() || *b == b' ') => Ok(()),
        NUMERIC => Err("invalid NumericString"),
        _ => Err("unsupported string type"),
    }
}

/// The shape of the public key Go's `parsePublicKey` reads, for the algorithms it knows.
fn check_public_key(algorithm: &[u8], key: &[u8]) -> Result<(), &'static str> {
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
    let mut ai = Der(algorithm);
    let oid = ai.read(OID).unwrap_or_default();
    let params = (!ai.is_empty()).then(|| ai.element()).flatten();
    match oid {
        RSA => {
            if params.is_none_or(|(tag, _, contents)| tag != NULL || !contents.is_empty()) {
                return Err("RSA key missing NULL parameters");
            }
            let mut outer = Der(key);
            let mut numbers = Der(outer.read(SEQUENCE).ok_or("invalid RSA public key")?);
            let modulus = numbers.read(INTEGER).ok_or("invalid RSA modulus")?;
            let exponent = numbers.read(INTEGER).ok_or("invalid RSA public exponent")?;
            let positive =
                |n: &[u8]| integer_is_negative(n) == Some(false) && n.iter().any(|b| *b != 0);
            if !positive(modulus) {
                return Err("RSA modulus is not a positive number");
            }
            if !positive(exponent) || exponent.len() > 4 {
                return Err("RSA public exponent is not a positive number");
            }
            Ok(())
        }
        EC => {
            let Some((OID, _, curve)) = params else {
                return Err("invalid ECDSA parameters");
            };
            let size = ec_point::coordinate_size(curve).ok_or("unsupported elliptic curve")?;
            let on_curve = key.len() == 1 + 2 * size
                && key[0] == 0x04
                && ec_point::on_curve(curve, &key[1..=size], &key[1 + size..]);
            if on_curve {
                Ok(())
            } else {
                Err("point not on curve")
            }
        }
        ED25519 | X25519 => {
            if params.is_some() {
                return Err("Ed25519 key encoded with illegal parameters");
            }
            if key.len() == 32 {
                Ok(())
            } else {
                Err("wrong Ed25519 public key size")
            }
        }
        _ => Ok(()),
    }
}

/// The DER structure `x509.ParseCertificate` reads; the error in Go's words (after "x509: ").
fn parse_certificate(der: &[u8]) -> Result<(), String> {
    let mut input = Der(der);
    let certificate = input.read(SEQUENCE).ok_or("malformed certificate")?;
    if !input.is_empty() {
        return Err("trailing data".to_string());
    }
    let mut certificate = Der(certificate);
    let tbs = certificate
        .read(SEQUENCE)
        .ok_or("malformed tbs certificate")?;
    let mut tbs = Der(tbs);
    let version = match tbs.read_optional(0xa0).ok_or("malformed version")? {
        None => 0,
        Some(explicit) => {
            let mut explicit = Der(explicit);
            let value = explicit
                .read(INTEGER)
                .and_then(small_integer)
                .filter(|_| explicit.is_empty())
                .ok_or("malformed version")?;
            if value < 0 {
                return Err("malformed version".to_string());
            }
            value
        }
    } + 1;
    if version > 3 {
        return Err("invalid version".to_string());
    }
    let serial = tbs
        .read(INTEGER)
        .and_then(integer_is_negative)
        .ok_or("malformed serial number")?;
    if serial {
        return Err("negative serial number".to_string());
    }
    let inner_algorithm = tbs
        .read(SEQUENCE)
        .ok_or("malformed signature algorithm identifier")?;
    let outer_algorithm = certificate
        .read(SEQUENCE)
        .ok_or("malformed algorithm identifier")?;
    if inner_algorithm != outer_algorithm {
        return Err("inner and outer signature algorithm identifiers don't match".to_string());
    }
    algorithm_identifier(inner_algorithm)?;
    check_name(tbs.read(SEQUENCE).ok_or("malformed issuer")?)?;
    let mut validity = Der(tbs.read(SEQUENCE).ok_or("malformed validity")?);
    validity_time(&mut validity)?;
    validity_time(&mut validity)?;
    check_name(tbs.read(SEQUENCE).ok_or("malformed subject")?)?;
    let mut spki = Der(tbs.read(SEQUENCE).ok_or("malformed spki")?);
    let key_algorithm = spki
        .read(SEQUENCE)
        .ok_or("malformed public key algorithm identifier")?;
    algorithm_identifier(key_algorithm)?;
    let key = spki
        .read(BIT_STRING)
        .filter(|bits| is_bit_string(bits))
        .ok_or("malformed subjectPublicKey")?;
    check_public_key(key_algorithm, &key[1..])?;
    if version > 1 {
        tbs.read_optional(0x81).ok_or("malformed issuerUniqueID")?;
        tbs.read_optional(0x82).ok_or("malformed subjectUniqueID")?;
        if version == 3
            && let Some(extensions) = tbs.read_optional(0xa3).ok_or("malformed extensions")?
        {
            check_extensions(extensions)?;
        }
    }
    certificate
        .read(BIT_STRING)
        .filter(|bits| is_bit_string(bits))
        .ok_or("malformed signature")?;
    Ok(())
}

/// `[3] { SEQUENCE OF Extension }`: each an OID, an optional critical flag, an OCTET STRING;
/// no OID twice.
fn check_extensions(explicit: &[u8]) -> Result<(), String> {
    let mut explicit = Der(explicit);
    let mut list = Der(explicit.read(SEQUENCE).ok_or("malformed extensions")?);
    let mut seen: Vec<&[u8]> = Vec::new();
    while !list.is_empty() {
        let mut extension = Der(list.read(SEQUENCE).ok_or("malformed extension")?);
        let oid = extension
            .read(OID)
            .filter(|oid| is_valid_oid(oid))
            .ok_or("malformed extension OID field")?;
        let critical = extension
            .read_optional(BOOLEAN)
            .filter(|flag| flag.is_none_or(is_boolean))
            .ok_or("malformed extension critical field")?
            == Some(&[0xff][..]);
        let value = extension
            .read(OCTET_STRING)
            .ok_or("malformed extension value field")?;
        if seen.contains(&oid) {
            return Err("certificate contains duplicate extensions".to_string());
        }
        seen.push(oid);
        check_extension_value(oid, critical, value)?;
    }
    Ok(())
}

/// The values `processExtensions` reads of the usual CA extensions (id-ce 2.5.29.x): subject
/// and authority key identifiers, key usage, basic constraints, extended key usage.
fn check_extension_value(oid: &[u8], critical: bool, value: &[u8]) -> Result<(), &'static str> {
    let mut der = Der(value);
    match oid {
        [0x55, 0x1d, 14] => der
            .read(OCTET_STRING)
            .map(|_| ())
            .ok_or("invalid subject key identifier"),
        [0x55, 0x1d, 15] => der
            .read(BIT_STRING)
            .filter(|bits| is_bit_string(bits))
            .map(|_| ())
            .ok_or("invalid key usage"),
        [0x55, 0x1d, 19] => {
            let mut constraints = Der(der.read(SEQUENCE).ok_or("invalid basic constraints")?);
            constraints
                .read_optional(BOOLEAN)
                .filter(|flag| flag.is_none_or(is_boolean))
                .ok_or("invalid basic constraints")?;
            constraints
                .read_optional(INTEGER)
                .filter(|n| n.is_none_or(|n| integer_is_negative(n) == Some(false) && n.len() <= 8))
                .map(|_| ())
                .ok_or("invalid basic constraints")
        }
        [0x55, 0x1d, 35] => {
            if critical {
                return Err("authority key identifier incorrectly marked critical");
            }
            let mut identifier = Der(der
                .read(SEQUENCE)
                .ok_or("invalid authority key identifier")?);
            identifier
                .read_optional(0x80)
                .map(|_| ())
                .ok_or("invalid authority key identifier")
        }
        [0x55, 0x1d, 37] => {
            let mut usages = Der(der.read(SEQUENCE).ok_or("invalid extended key usages")?);
            while !usages.is_empty() {
                usages
                    .read(OID)
                    .filter(|oid| is_valid_oid(oid))
                    .ok_or("invalid extended key usages")?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed P-256 CA certificate (openssl req -x509), as PEM.
    const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBgTCCASegAwIBAgIUe15b5n7yVllcHJDKNRmrBMvgFoEwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKY29udmVydC1jYTAgFw0yNjEyMDcwNTU4NTNaGA8yMTI2MTEx
MzA1NTg1M1owFTETMBEGA1UEAwwKY29udmVydC1jYTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABAmblO4Gw1LPfN5DrfoGrRua3gWYqyhXUGz4+d9lArdZ7jNDube+
r0SlELySWfUfZVw4Oiyb2Kmw7LlyvM2SscOjUzBRMB0GA1UdDgQWBBSRwMDSWTxF
XiTesXyjEic6n0AH4TAfBgNVHSMEGDAWgBSRwMDSWTxFXiTesXyjEic6n0AH4TAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIC7k9pry0eFh/nuHEjHB
DfnO7TTyWiLyK65+4e0m2j7cAiEAujOwSJeM8wxoMNq5zrhmpJA2iPV7nR8NJB+z
rtcdq40=
-----END CERTIFICATE-----
";

    #[test]
    fn base64_follows_go_std_encoding() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVs\r\nbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64(""), Some(Vec::new()));
        // Non-zero trailing bits are accepted, missing padding is not.
        assert_eq!(decode_base64("aGVsbG9="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVsbG8"), None);
        assert_eq!(decode_base64("aG=sbG8="), None);
        assert_eq!(decode_base64("!!!!"), None);
    }

    #[test]
    fn a_certificate_is_found_where_client_go_finds_it() {
        assert_eq!(ca_bundle_problem(CERT.as_bytes()), None);
        let with_junk = format!("junk\n{CERT}junk");
        assert_eq!(ca_bundle_problem(with_junk.as_bytes()), None);
        let crlf = CERT.replace('\n', "\r\n");
        assert_eq!(ca_bundle_problem(crlf.as_bytes()), None);
    }

    #[test]
    fn the_reason_is_client_gos() {
        assert_eq!(
            ca_bundle_problem(b"hello").as_deref(),
            Some("unable to parse bytes as PEM block")
        );
        assert_eq!(
            ca_bundle_problem(CERT.replace("CERTIFICATE", "PUBLIC KEY").as_bytes()).as_deref(),
            Some("no valid certificate authority data seen")
        );
        let with_headers = CERT.replace(
            "-----BEGIN CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n",
        );
        assert_eq!(
            ca_bundle_problem(with_headers.as_bytes()).as_deref(),
            Some("no valid certificate authority data seen")
        );
        assert_eq!(
            ca_bundle_problem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .as_deref(),
            Some("failed to parse certificate: x509: malformed certificate")
        );
    }

    #[test]
    fn a_certificate_cut_or_extended_does_not_parse() {
        let block = pem_decode(CERT.as_bytes()).expect("block").0;
        assert_eq!(parse_certificate(&block.bytes), Ok(()));
        for cut in [1, 10, 100, block.bytes.len() - 1] {
            assert!(parse_certificate(&block.bytes[..cut]).is_err(), "{cut}");
        }
        let mut longer = block.bytes.clone();
        longer.push(0);
        assert_eq!(parse_certificate(&longer), Err("trailing data".to_string()));
        // Every single-byte change of the outer structure's header is refused.
        for i in 0..4 {
            let mut changed = block.bytes.clone();
            changed[i] ^= 0x01;
            assert!(parse_certificate(&changed).is_err(), "byte {i}");
        }
    }
}
