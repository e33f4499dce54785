//! Go struct tags: the `key:"value"` syntax of `reflect.StructTag`, and the `json` tag's options.

use super::syntax::unquote_go;

/// A parsed struct tag: its `key:"value"` pairs in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StructTag {
    pairs: Vec<(String, String)>,
}

impl StructTag {
    /// Parses a tag the way `reflect.StructTag.Lookup` does: pairs are read until the first one
    /// that is malformed, and the rest is ignored (Go's own behaviour at run time).
    pub(crate) fn parse(tag: &str) -> StructTag {
        let mut pairs = Vec::new();
        let mut rest = tag;
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            let name_len = rest
                .bytes()
                .take_while(|b| *b > b' ' && *b != b':' && *b != b'"' && *b != 0x7f)
                .count();
            let bytes = rest.as_bytes();
            if name_len == 0
                || bytes.get(name_len) != Some(&b':')
                || bytes.get(name_len + 1) != Some(&b'"')
            {
                break;
            }
            let name = &rest[..name_len];
            let quoted = &rest[name_len + 1..];
            // Find the closing quote, skipping escaped characters.
            let qb = quoted.as_bytes();
            let mut i = 1;
            while i < qb.len() && qb[i] != b'"' {
                if qb[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            if i >= qb.len() {
                break;
            }
            let value = unquote_go(&quoted[1..i]);
            pairs.push((name.to_string(), value));
            rest = &quoted[i + 1..];
        }
        StructTag { pairs }
    }

    /// The value of the first pair with this key.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The `json` tag, interpreted.
    pub(crate) fn json(&self) -> JsonTag {
        match self.get("json") {
            None => JsonTag::default(),
            Some("-") => JsonTag {
                skip: true,
                ..JsonTag::default()
            },
            Some(value) => {
                let mut parts = value.split(',');
                let name = parts.next().unwrap_or("");
                let mut tag = JsonTag {
                    name: (!name.is_empty()).then(|| name.to_string()),
                    ..JsonTag::default()
                };
                for option in parts {
                    match option {
                        "omitempty" | "omitzero" => tag.omitempty = true,
                        "string" => tag.string = true,
                        _ => {}
                    }
                }
                tag
            }
        }
    }
}

/// What a `json:"…"` tag says about a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JsonTag {
    /// The property name, when the tag gives one.
    pub name: Option<String>,
    /// `omitempty` or `omitzero`: the property may be absent.
    pub omitempty: bool,
    /// `,string`: numbers and bools are written as JSON strings.
    pub string: bool,
    /// `json:"-"`: the field is not part of the JSON at all.
    pub skip: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs_like_reflect() {
        let tag = StructTag::parse(r#"json:"name,omitempty" nexus:"child"  yaml:"n""#);
        assert_eq!(tag.get("json"), Some("name,omitempty"));
        assert_eq!(tag.get("nexus"), Some("child"));
        assert_eq!(tag.get("yaml"), Some("n"));
        assert_eq!(tag.get("xml"), None);
    }

    #[test]
    fn stops_at_a_malformed_pair() {
        let tag = StructTag::parse(r#"json:"a" broken nexus:"child""#);
        assert_eq!(tag.get("json"), Some("a"));
        assert_eq!(tag.get("nexus"), None);
        assert_eq!(StructTag::parse(r#"json:"unterminated"#).get("json"), None);
    }

    #[test]
    fn keeps_escaped_quotes_in_values() {
        let tag = StructTag::parse(r#"k:"a\"b" nexus-graphql-jsonencoded:"""#);
        assert_eq!(tag.get("k"), Some("a\"b"));
        assert_eq!(tag.get("nexus-graphql-jsonencoded"), Some(""));
    }

    #[test]
    fn interprets_json_options() {
        let t = |s: &str| StructTag::parse(s).json();
        assert!(t(r#"json:"-""#).skip);
        let dash = t(r#"json:"-,""#);
        assert!(!dash.skip);
        assert_eq!(dash.name.as_deref(), Some("-"));
        let opt = t(r#"json:",omitempty,string""#);
        assert_eq!(opt.name, None);
        assert!(opt.omitempty && opt.string);
        assert!(t(r#"json:"x,omitzero""#).omitempty);
        assert_eq!(t(""), JsonTag::default());
    }
}
