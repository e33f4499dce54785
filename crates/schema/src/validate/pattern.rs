//! Schema `pattern`s are Go `regexp` (RE2) syntax; the `regex` crate implements the same
//! language with a few differences that would change what matches. [`compile_go`] rewrites a Go
//! pattern into an equivalent `regex` pattern:
//!
//! - `\d`, `\w`, `\s`, `\b` are ASCII-only in Go and Unicode-aware in `regex`: they become explicit
//!   ASCII classes (`\s` is Go's `[\t\n\f\r ]`, without `\v`);
//! - inside a class, `[`, `&`, `~` are literals in Go but nesting or set operators in `regex`;
//! - `\Q...\E` quoting and octal escapes (`\012`) exist only in Go;
//! - a `{` that does not start a valid repetition is a literal in Go and an error in `regex`;
//! - Go rejects repetition counts above 1000.

use regex::Regex;

/// Go's limit on `{n,m}` counts, checked when the pattern is parsed.
const MAX_REPEAT: u32 = 1000;

/// Compiles a Go regular expression; the error says what is wrong with the pattern.
pub fn compile_go(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    Regex::new(&translated).map_err(|e| go_message(pattern, &e.to_string()))
}

/// The `regex` crate's error (several lines: pattern, carets under the offending text, message)
/// as Go words the same refusal, where the two differ: `unclosed group` is Go's
/// `missing closing ): <pattern>`, and so on; other messages as the crate gives them.
fn go_message(pattern: &str, text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let message = lines
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or(text, |l| l.trim().trim_start_matches("error: "));
    // The text the carets mark, on a one-line pattern.
    let marked = match lines.as_slice() {
        [_, shown, carets, _] => shown.strip_prefix("    ").and_then(|shown| {
            let carets = carets.strip_prefix("    ")?;
            let start = carets.find('^')?;
            let end = carets.rfind('^')? + 1;
            Some(
                shown
                    .chars()
                    .skip(start)
                    .take(end - start)
                    .collect::<String>(),
            )
        }),
        _ => None,
    };
    let code = match message {
        "unclosed group" => return format!("missing closing ): {pattern}"),
        "unopened group" => return format!("unexpected ): {pattern}"),
        "empty capture group name" => {
            let opening = if pattern.contains("(?P<>") {
                "(?P<>"
            } else {
                "(?<>"
            };
            return format!("invalid named capture: {opening}");
        }
        "repetition operator missing expression" => "missing argument to repetition operator",
        "Unicode property not found" | "Unicode property value not found" => {
            "invalid character class range"
        }
        m if m.starts_with("invalid character class range") => "invalid character class range",
        _ => return message.to_string(),
    };
    match marked {
        Some(marked) => format!("{code}: {marked}"),
        None => message.to_string(),
    }
}

/// Go's `regexp/syntax` error codes.
const GO_ERROR_CODES: &[&str] = &[
    "invalid character class range",
    "invalid character class",
    "invalid escape sequence",
    "invalid named capture",
    "invalid or unsupported Perl syntax",
    "invalid nested repetition operator",
    "invalid repeat count",
    "missing argument to repetition operator",
    "missing closing )",
    "missing closing ]",
    "expression nests too deeply",
    "expression too large",
    "unexpected )",
    "invalid UTF-8",
];

/// A [`compile_go`] error as Go's `syntax.Error` prints it, `code: `expr``, where the message has
/// Go's code; other messages (the `regex` crate's own) as they are.
pub fn go_error_text(message: &str) -> String {
    if message == "trailing backslash at end of expression" {
        return format!("{message}: ``");
    }
    for code in GO_ERROR_CODES {
        if let Some(expr) = message
            .strip_prefix(code)
            .and_then(|m| m.strip_prefix(": "))
        {
            let expr = expr.trim_matches('`');
            return format!("{code}: `{expr}`");
        }
    }
    message.to_string()
}

const ASCII_DIGIT: &str = "0-9";
const ASCII_WORD: &str = "0-9A-Za-z_";
const ASCII_SPACE: &str = r"\t\n\x0C\r ";

/// Rewrites a Go pattern into `regex` syntax with the same meaning.
fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    // Inside `[...]`: Go classes do not nest, so one flag is enough.
    let mut in_class = false;
    // The previous token was a repetition: Go rejects a second one (`a**`, `a{2}+`).
    let mut after_repeat = false;
    while let Some(&c) = chars.get(i) {
        let is_repeat = !in_class && matches!(c, '*' | '+' | '?')
            || (!in_class && c == '{' && repetition(&chars[i..])?.is_some());
        if is_repeat && after_repeat {
            return Err(format!(
                "invalid nested repetition operator: {}",
                &pattern_tail(&chars, i)
            ));
        }
        after_repeat = false;
        match c {
            '*' | '+' | '?' if !in_class => {
                out.push(c);
                i += 1;
                // `*?` is the lazy form of `*`, not a second repetition.
                if chars.get(i) == Some(&'?') {
                    out.push('?');
                    i += 1;
                }
                after_repeat = true;
                continue;
            }
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err("trailing backslash at end of expression".to_string());
                };
                i += 2;
                match next {
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
                        let set = match next.to_ascii_lowercase() {
                            'd' => ASCII_DIGIT,
                            'w' => ASCII_WORD,
                            _ => ASCII_SPACE,
                        };
                        let negated = next.is_ascii_uppercase();
                        match (in_class, negated) {
                            (true, false) => out.push_str(set),
                            // A nested class is how `regex` says "not these" inside a class.
                            (true, true) | (false, true) => {
                                out.push_str("[^");
                                out.push_str(set);
                                out.push(']');
                            }
                            (false, false) => {
                                out.push('[');
                                out.push_str(set);
                                out.push(']');
                            }
                        }
                    }
                    'b' | 'B' if !in_class => {
                        out.push_str("(?-u:\\");
                        out.push(next);
                        out.push(')');
                    }
                    'Q' => {
                        let start = i;
                        let mut end = chars.len();
                        let mut j = i;
                        while j + 1 < chars.len() {
                            if chars.get(j) == Some(&'\\') && chars.get(j + 1) == Some(&'E') {
                                end = j;
                                break;
                            }
                            j += 1;
                        }
                        let literal: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
                        for lc in literal.chars() {
                            push_literal(&mut out, lc, in_class);
                        }
                        i = if end == chars.len() { end } else { end + 2 };
                    }
                    '0'..='7' => {
                        // Go: a lone `\1`..`\7` is a backreference (unsupported); otherwise up to
                        // three octal digits name a character.
                        let mut digits = String::from(next);
                        while digits.len() < 3
                            && let Some(&d) = chars.get(i)
                            && ('0'..='7').contains(&d)
                        {
                            digits.push(d);
                            i += 1;
                        }
                        if next != '0' && digits.len() == 1 {
                            return Err(format!("invalid escape sequence: \\{next}"));
                        }
                        let code = u32::from_str_radix(&digits, 8)
                            .map_err(|_| format!("invalid escape sequence: \\{digits}"))?;
                        out.push_str(&format!("\\x{{{code:X}}}"));
                    }
                    c if c.is_ascii_punctuation() => push_literal(&mut out, c, in_class),
                    // `\x{10FFFF}`, `\p{Greek}`: the braces belong to the escape.
                    'x' | 'p' | 'P' if chars.get(i) == Some(&'{') => {
                        let Some(len) = chars[i..].iter().position(|&b| b == '}') else {
                            return Err(format!("invalid escape sequence: \\{next}{{"));
                        };
                        out.push('\\');
                        out.push(next);
                        out.extend(&chars[i..=i + len]);
                        i += len + 1;
                    }
                    // The escapes Go knows mean the same in both; any other letter (`\u0041`,
                    // `\e`, `\Z`, `\h`) is an error in Go, even where `regex` accepts it.
                    'a' | 'f' | 't' | 'n' | 'r' | 'v' | 'x' | 'p' | 'P' | 'A' | 'z' | 'b' | 'B' => {
                        out.push('\\');
                        out.push(next);
                    }
                    c => return Err(format!("invalid escape sequence: \\{c}")),
                }
                continue;
            }
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                // Go knows only the flags i, m, s and U (`regex` also has x and R).
                let flags: String = chars[i + 2..]
                    .iter()
                    .take_while(|f| f.is_ascii_alphabetic() || **f == '-')
                    .collect();
                let ends_flags = matches!(chars.get(i + 2 + flags.len()), Some(':' | ')'));
                if ends_flags
                    && flags
                        .chars()
                        .any(|f| !matches!(f, 'i' | 'm' | 's' | 'U' | '-'))
                {
                    return Err(format!("invalid or unsupported Perl syntax: `(?{flags}`"));
                }
                out.push(c);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` right after the opening bracket is a literal in both dialects, but
                // escaping it is unambiguous.
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '[' if in_class => {
                // `[:alpha:]` is a POSIX class in both (Go refuses a name it does not know);
                // any other `[` is a literal in Go.
                if chars.get(i + 1) == Some(&':')
                    && let Some(len) = posix_class_len(&chars[i..])
                {
                    let class: String = chars[i..i + len].iter().collect();
                    let name = class[2..class.len() - 2].trim_start_matches('^');
                    if !POSIX_CLASSES.contains(&name) || class[2..].starts_with("^^") {
                        return Err(format!("invalid character class range: {class}"));
                    }
                    out.push_str(&class);
                    i += len;
                } else {
                    out.push_str("\\[");
                    i += 1;
                }
                continue;
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '{' if !in_class => match repetition(&chars[i..])? {
                Some(len) => {
                    out.extend(&chars[i..i + len]);
                    i += len;
                    if chars.get(i) == Some(&'?') {
                        out.push('?');
                        i += 1;
                    }
                    after_repeat = true;
                    continue;
                }
                None => out.push_str("\\{"),
            },
            c => out.push(c),
        }
        i += 1;
    }
    if in_class {
        return Err(format!("missing closing ]: {pattern}"));
    }
    Ok(out)
}

/// A few characters of the pattern from `at`, for messages.
fn pattern_tail(chars: &[char], at: usize) -> String {
    chars.iter().skip(at.saturating_sub(1)).take(3).collect()
}

/// Appends a character that must match literally.
fn push_literal(out: &mut String, c: char, in_class: bool) {
    if in_class {
        if matches!(c, '[' | ']' | '\\' | '^' | '-' | '&' | '~') {
            out.push('\\');
        }
        out.push(c);
    } else {
        out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
    }
}

/// The length of `[:name:]` at the start of `chars`, if it is one.
fn posix_class_len(chars: &[char]) -> Option<usize> {
    // Go looks for the `:]` after the `[:`.
    let close = 2 + chars.get(2..)?.windows(2).position(|w| w == [':', ']'])?;
    Some(close + 2)
}

/// The POSIX classes of Go's `regexp/syntax` (each also negated with `^`).
const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// The length of a valid repetition `{n}`, `{n,}` or `{n,m}` at the start of `chars`; `None`
/// when the `{` is a literal (Go's rule); an error for counts Go rejects.
fn repetition(chars: &[char]) -> Result<Option<usize>, String> {
    let Some(close) = chars.iter().position(|&c| c == '}') else {
        return Ok(None);
    };
    let body: String = chars[1..close].iter().collect();
    let (min, max) = match body.split_once(',') {
        Some((min, max)) => (min, Some(max)),
        None => (body.as_str(), None),
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let Some(lo) = number(min) else {
        return Ok(None);
    };
    let hi = match max {
        None => Some(lo),
        Some("") => None,
        Some(m) => match number(m) {
            Some(hi) => Some(hi),
            None => return Ok(None),
        },
    };
    if lo > u64::from(MAX_REPEAT) || hi.is_some_and(|h| h > u64::from(MAX_REPEAT) || h < lo) {
        return Err(format!("invalid repeat count: {{{body}}}"));
    }
    Ok(Some(close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        match compile_go(pattern) {
            Ok(re) => re.is_match(text),
            Err(e) => panic!("{pattern}: {e}"),
        }
    }

    #[test]
    fn perl_classes_are_ascii_like_go() {
        assert!(matches(r"^\d+$", "123"));
        assert!(
            !matches(r"^\d+$", "١٢٣"),
            "Arabic-Indic digits are not \\d in Go"
        );
        assert!(!matches(r"^\w+$", "é"));
        assert!(matches(r"^\W$", "é"));
        assert!(matches(r"^[\d.]+$", "1.2"));
        assert!(matches(r"^[^\d]+$", "ab"));
        assert!(matches(r"^[\D]+$", "ab"));
        assert!(!matches(r"^[\D]+$", "a1"));
        assert!(!matches(r"^\s$", "\u{0B}"), "Go's \\s has no vertical tab");
        assert!(matches(r"^\s$", "\t"));
        assert!(matches(r"\bfoo\b", "a foo b"));
        // Go's \b is an ASCII word boundary: `é` is not a word character there.
        assert!(matches(r"\bfoo\b", "éfooé"));
    }

    #[test]
    fn class_literals_that_regex_treats_specially() {
        assert!(matches(r"^[a[]+$", "a[a"));
        assert!(matches(r"^[&~]+$", "&~&"));
        assert!(matches(r"^[]a]+$", "]a"));
        assert!(matches(r"^[[:alpha:]]+$", "abc"));
        assert!(!matches(r"^[[:alpha:]]+$", "ab1"));
    }

    #[test]
    fn escapes_as_go_reads_them() {
        assert!(matches("\\x{41}", "A"));
        assert!(matches("^\\x{10FFFF}$", "\u{10FFFF}"));
        assert!(matches("^\\p{Greek}+$", "αβγ"));
        assert!(matches("^\\P{Greek}$", "a"));
        assert!(matches("^\\pN$", "7"));
        for refused in ["\\u0041", "\\e", "\\Z", "\\h", "(?x)a b", "\\x{41"] {
            assert!(compile_go(refused).is_err(), "{refused}");
        }
        assert!(compile_go("(?i)abc").is_ok());
        assert!(compile_go("(?U)a+").is_ok());
        assert!(compile_go("(?P<n>x)").is_ok());
    }

    #[test]
    fn go_only_syntax() {
        assert!(matches(r"^\Qa.b\E$", "a.b"));
        assert!(!matches(r"^\Qa.b\E$", "axb"));
        assert!(matches(r"^\Q[x]", "[x]"));
        assert!(matches(r"^\101$", "A"));
        assert!(matches(r"^a{$", "a{"));
        assert!(matches(r"^a{,3}$", "a{,3}"));
        assert!(matches(r"^a{2}$", "aa"));
        assert!(matches(r"^a{1,2}$", "aa"));
        assert!(matches(r"^\/\_$", "/_"));
    }

    #[test]
    fn invalid_patterns_are_errors() {
        for bad in [
            r"(", r"[a", r"a**", r"\1", r"a{1001}", r"a{2,1}", r"\", r"(?<",
        ] {
            assert!(compile_go(bad).is_err(), "{bad} should not compile");
        }
    }
}
