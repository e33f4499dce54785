//! Whether an uncompressed point lies on a NIST prime curve (y² = x³ − 3x + b mod p), as Go's
//! `crypto/ecdh` checks before `x509.ParseCertificate` accepts an ECDSA key. Plain
//! schoolbook arithmetic on 32-bit limbs: it runs once per certificate in a `caBundle`.

/// The curves Go's x509 reads: (namedCurve OID contents, p, b), big-endian hex.
const CURVES: [(&[u8], &str, &str); 4] = [
    (
        &[0x2b, 0x81, 0x04, 0x00, 0x21],
        "ffffffffffffffffffffffffffffffff000000000000000000000001",
        "b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4",
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
    ),
    (
        &[0x2b, 0x81, 0x04, 0x00, 0x22],
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe\
         ffffffff0000000000000000ffffffff",
        "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a\
         c656398d8a2ed19d2a85c8edd3ec2aef",
    ),
    (
        &[0x2b, 0x81, 0x04, 0x00, 0x23],
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
         ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
         ffff",
        "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef1\
         09e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b50\
         3f00",
    ),
];

/// The coordinate size in bytes of the curve named by `oid`, `None` for a curve Go does not
/// read.
pub fn coordinate_size(oid: &[u8]) -> Option<usize> {
    CURVES
        .iter()
        .find(|(o, _, _)| *o == oid)
        .map(|(_, p, _)| p.len().div_ceil(2))
}

/// Whether (x, y), big-endian, is a point of the curve named by `oid` (coordinates below p).
pub fn on_curve(oid: &[u8], x: &[u8], y: &[u8]) -> bool {
    let Some((_, p, b)) = CURVES.iter().find(|(o, _, _)| *o == oid) else {
        return false;
    };
    let (p, b) = (from_hex(p), from_hex(b));
    let (x, y) = (from_bytes(x), from_bytes(y));
    if cmp(&x, &p) != std::cmp::Ordering::Less || cmp(&y, &p) != std::cmp::Ordering::Less {
        return false;
    }
    let y2 = modulo(&mul(&y, &y), &p);
    let x3 = modulo(&mul(&modulo(&mul(&x, &x), &p), &x), &p);
    // x³ − 3x + b = x³ + (p − 3)·x + b (mod p).
    let p_minus_3 = sub(&p, &[3]);
    let rhs = modulo(&add(&add(&x3, &mul(&p_minus_3, &x)), &b), &p);
    cmp(&y2, &rhs) == std::cmp::Ordering::Equal
}

/// Little-endian 32-bit limbs, without high zero limbs.
type Big = Vec<u32>;

fn trim(mut v: Big) -> Big {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

fn from_bytes(bytes: &[u8]) -> Big {
    let mut out = Vec::new();
    for chunk in bytes.rchunks(4) {
        out.push(chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)));
    }
    trim(out)
}

fn from_hex(hex: &str) -> Big {
    let digits: Vec<u8> = hex
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|d| match d {
            b'0'..=b'9' => d - b'0',
            _ => (d | 0x20) - b'a' + 10,
        })
        .collect();
    let bytes: Vec<u8> = digits
        .rchunks(2)
        .rev()
        .map(|pair| pair.iter().fold(0u8, |acc, d| (acc << 4) | d))
        .collect();
    from_bytes(&bytes)
}

fn cmp(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

fn add(a: &[u32], b: &[u32]) -> Big {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0u64;
    for i in 0..a.len().max(b.len()) {
        let sum = u64::from(*a.get(i).unwrap_or(&0)) + u64::from(*b.get(i).unwrap_or(&0)) + carry;
        out.push(sum as u32);
        carry = sum >> 32;
    }
    out.push(carry as u32);
    trim(out)
}

/// a − b for a ≥ b.
fn sub(a: &[u32], b: &[u32]) -> Big {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i64;
    for (i, limb) in a.iter().enumerate() {
        let mut diff = i64::from(*limb) - i64::from(*b.get(i).unwrap_or(&0)) - borrow;
        borrow = i64::from(diff < 0);
        if diff < 0 {
            diff += 1 << 32;
        }
        out.push(diff as u32);
    }
    trim(out)
}

fn mul(a: &[u32], b: &[u32]) -> Big {
    let mut out = vec![0u32; a.len() + b.len()];
    for (i, x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, y) in b.iter().enumerate() {
            let t = u64::from(*x) * u64::from(*y) + u64::from(out[i + j]) + carry;
            out[i + j] = t as u32;
            carry = t >> 32;
        }
        out[i + b.len()] = carry as u32;
    }
    trim(out)
}

/// a mod m, by shift and subtract.
fn modulo(a: &[u32], m: &[u32]) -> Big {
    let mut rest: Big = Vec::new();
    for bit in (0..a.len() * 32).rev() {
        // rest = rest·2 + bit
        let mut carry = (a[bit / 32] >> (bit % 32)) & 1;
        for limb in rest.iter_mut() {
            let next = *limb >> 31;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry != 0 {
            rest.push(carry);
        }
        if cmp(&rest, m) != std::cmp::Ordering::Less {
            rest = sub(&rest, m);
        }
    }
    trim(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

    /// The P-256 base point.
    const GX: &str = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
    const GY: &str = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn the_base_point_is_on_its_curve_and_a_neighbour_is_not() {
        let (x, mut y) = (bytes(GX), bytes(GY));
        assert!(on_curve(P256, &x, &y));
        y[31] ^= 1;
        assert!(!on_curve(P256, &x, &y));
        assert_eq!(coordinate_size(P256), Some(32));
        assert_eq!(coordinate_size(&[0x2b, 0x81, 0x04, 0x00, 0x23]), Some(66));
    }

    #[test]
    fn arithmetic_agrees_with_small_numbers() {
        let n = |v: u64| from_bytes(&v.to_be_bytes());
        assert_eq!(
            modulo(&mul(&n(123_456_789), &n(987_654_321)), &n(1_000_003)),
            { n((123_456_789u64 * 987_654_321) % 1_000_003) }
        );
        assert_eq!(sub(&n(1 << 40), &n(1)), n((1 << 40) - 1));
        assert_eq!(add(&n(u64::from(u32::MAX)), &n(1)), n(1 << 32));
    }
}
