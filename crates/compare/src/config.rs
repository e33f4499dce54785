//! `.nexus-compat.yaml`: severity overrides, ignores and checker options.
//!
//! ```yaml
//! rules:
//!   description-changed: off        # breaking | warning | compatible | off
//! ignore:
//!   - rule: field-removed
//!     crd: leaders.root.orgchart.org  # crd and/or path: at least one
//!     path: /spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/properties/legacy
//!     reason: removed on purpose, no stored objects use it
//! options:
//!   served-versions-skip-webhook: true
//! ```
//!
//! Every mistake (an unknown key or rule id, a bad severity, an ignore without a reason) is an
//! error that names `file:line:column`: a config that silently does less than it says would hide
//! breaking changes.

use crate::compare;
use crate::error::{Error, Result};
use crate::report::{Change, IgnoredChange, Severity, UnusedIgnore};
use crate::rules::{CATALOGUE, RuleId};
use crate::source::yaml;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file read when `--config` is not given, from the current directory, if present.
pub const DEFAULT_FILE: &str = ".nexus-compat.yaml";

/// What the config says about one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    /// Report the rule's changes with this severity.
    Severity(Severity),
    /// Do not report the rule's changes at all.
    Off,
}

/// One `ignore` entry: changes of `rule` that match every filter given are dropped (and
/// counted). At least one of `crd` and `path` is set; to drop a rule everywhere, turn it `off`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub rule: RuleId,
    /// Exact `metadata.name` of the CRD.
    pub crd: Option<String>,
    /// A change path (`/spec/versions/name=v1/...`): matches that path and every path below it.
    pub path: Option<String>,
    /// Why the change is acceptable. Never empty.
    pub reason: String,
    /// Where the entry is written (`file:line:column`), for the warning when it matches nothing.
    pub location: String,
}

impl Ignore {
    /// Whether this entry drops `change`.
    pub fn matches(&self, change: &Change) -> bool {
        self.rule == change.rule
            && self.crd.as_deref().is_none_or(|crd| crd == change.crd)
            && self
                .path
                .as_deref()
                .is_none_or(|path| path_covers(path, &change.path))
    }
}

/// Whether the configured `path` is `change_path` or one of its ancestors (a prefix that ends at
/// a `/`), so that `/spec/a` covers `/spec/a/b` but not `/spec/ab`.
fn path_covers(path: &str, change_path: &str) -> bool {
    let path = path.trim_end_matches('/');
    match change_path.strip_prefix(path) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// A loaded config (or the defaults: no overrides, no ignores).
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from; `None` for the defaults.
    pub file: Option<PathBuf>,
    pub rules: BTreeMap<RuleId, RuleSetting>,
    pub ignore: Vec<Ignore>,
    /// `options: served-versions-skip-webhook` (default true).
    pub served_versions_skip_webhook: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            rules: BTreeMap::new(),
            ignore: Vec::new(),
            served_versions_skip_webhook: compare::Options::default().served_versions_skip_webhook,
        }
    }
}

impl Config {
    /// Reads a config file. An empty file is the defaults.
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = crate::input::read_regular(path)?;
        let file = path.display().to_string();
        let mut config = match yaml::parse_typed::<RawConfig>(&bytes, &file)? {
            Some(raw) => raw.validate(&file)?,
            None => Config::default(),
        };
        config.file = Some(path.to_path_buf());
        Ok(config)
    }

    /// The config of a run: `explicit` (`--config`, which must exist), else
    /// [`DEFAULT_FILE`] in the current directory if there is one, else the defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<Config> {
        if let Some(path) = explicit {
            return Config::load(path);
        }
        let default = Path::new(DEFAULT_FILE);
        match std::fs::symlink_metadata(default) {
            Ok(_) => Config::load(default),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(Error::read(default, &e)),
        }
    }

    /// Applies the config to the checker's findings: drops changes of rules that are `off`, sets
    /// overridden severities, and sets aside the changes an `ignore` entry matches (with the first
    /// matching entry's reason). Returns the changes that remain, the ignored ones, and the
    /// entries that matched nothing: an entry whose path no longer exists hides nothing, and the
    /// user should hear that it is stale rather than trust it.
    pub fn apply(&self, changes: Vec<Change>) -> Applied {
        let mut used = vec![false; self.ignore.len()];
        let mut applied = Applied {
            kept: Vec::with_capacity(changes.len()),
            ignored: Vec::new(),
            unused: Vec::new(),
        };
        for mut change in changes {
            let setting = self.rules.get(&change.rule);
            if setting == Some(&RuleSetting::Off) {
                continue;
            }
            if let Some(RuleSetting::Severity(severity)) = setting {
                change.severity = *severity;
            }
            let mut reason = None;
            for (i, ignore) in self.ignore.iter().enumerate() {
                if ignore.matches(&change) {
                    used[i] = true;
                    reason.get_or_insert_with(|| ignore.reason.clone());
                }
            }
            match reason {
                Some(reason) => applied.ignored.push(IgnoredChange { change, reason }),
                None => applied.kept.push(change),
            }
        }
        applied.unused = self
            .ignore
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(ignore, _)| UnusedIgnore {
                location: ignore.location.clone(),
                rule: ignore.rule,
                crd: ignore.crd.clone(),
                path: ignore.path.clone(),
            })
            .collect();
        applied
    }

    /// The checker options the config sets.
    pub fn compare_options(&self) -> compare::Options {
        compare::Options {
            served_versions_skip_webhook: self.served_versions_skip_webhook,
        }
    }
}

/// What [`Config::apply`] made of the findings.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The changes to report, severities overridden.
    pub kept: Vec<Change>,
    /// The changes an `ignore` entry dropped.
    pub ignored: Vec<IgnoredChange>,
    /// The `ignore` entries that matched no change, in file order.
    pub unused: Vec<UnusedIgnore>,
}

/// The file as written; [`RawConfig::validate`] turns it into a [`Config`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: Option<RawRules>,
    #[serde(default)]
    ignore: Option<Vec<Spanned<RawIgnore>>>,
    #[serde(default)]
    options: Option<RawOptions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rule: Option<Spanned<String>>,
    crd: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOptions {
    served_versions_skip_webhook: Option<bool>,
}

/// `rules:` in file order, each key and value with its location (a map would lose the key's).
struct RawRules(Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for RawRules {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = RawRules;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping of rule id to breaking, warning, compatible or off")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RawRules, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(RawRules(entries))
            }
        }
        d.deserialize_map(Entries)
    }
}

impl RawConfig {
    fn validate(self, file: &str) -> Result<Config> {
        let at = |loc: Location, message: String| Error::Parse {
            location: format!("{file}:{}:{}", loc.line(), loc.column()),
            message,
        };
        let mut config = Config::default();

        for (id, setting) in self.rules.map(|r| r.0).unwrap_or_default() {
            let rule = known_rule(&id).map_err(|m| at(id.referenced, m))?;
            let parsed = match setting.value.as_str() {
                "off" => RuleSetting::Off,
                other => RuleSetting::Severity(Severity::parse(other).ok_or_else(|| {
                    at(
                        setting.referenced,
                        format!(
                            "'{}' is not a severity for {rule}; use breaking, warning, compatible or off",
                            yaml::printable(other)
                        ),
                    )
                })?),
            };
            config.rules.insert(rule, parsed);
        }

        for entry in self.ignore.unwrap_or_default() {
            let loc = entry.referenced;
            let raw = entry.value;
            let Some(rule_id) = raw.rule else {
                return Err(at(
                    loc,
                    "ignore entry without rule; name the rule whose changes it drops".to_string(),
                ));
            };
            let rule = known_rule(&rule_id).map_err(|m| at(rule_id.referenced, m))?;
            let reason = match raw.reason {
                Some(r) if !r.value.trim().is_empty() => r.value.trim().to_string(),
                Some(r) => {
                    return Err(at(
                        r.referenced,
                        format!(
                            "ignore entry for {rule} has an empty reason; say why the change is acceptable"
                        ),
                    ));
                }
                None => {
                    return Err(at(
                        loc,
                        format!(
                            "ignore entry for {rule} has no reason; add reason: saying why the change is acceptable"
                        ),
                    ));
                }
            };
            if let Some(path) = &raw.path
                && !path.value.starts_with('/')
            {
                return Err(at(
                    path.referenced,
                    format!(
                        "ignore path '{}' does not start with /; copy the path from the report \
                         (/spec/versions/name=v1/...)",
                        yaml::printable(&path.value)
                    ),
                ));
            }
            if raw.crd.is_none() && raw.path.is_none() {
                return Err(at(
                    loc,
                    format!(
                        "ignore entry for {rule} names neither crd nor path; add one, or turn the \
                         rule off everywhere with rules: {{{rule}: off}}"
                    ),
                ));
            }
            config.ignore.push(Ignore {
                rule,
                crd: raw.crd.map(|c| c.value),
                path: raw.path.map(|p| p.value),
                reason,
                location: format!("{file}:{}:{}", loc.line(), loc.column()),
            });
        }

        if let Some(options) = self.options
            && let Some(skip) = options.served_versions_skip_webhook
        {
            config.served_versions_skip_webhook = skip;
        }
        Ok(config)
    }
}

/// Looks a rule id up; the error suggests the closest id.
fn known_rule(id: &Spanned<String>) -> std::result::Result<RuleId, String> {
    RuleId::parse(&id.value).ok_or_else(|| {
        let closest = CATALOGUE
            .iter()
            .map(|r| (edit_distance(&id.value, r.id.as_str()), r.id))
            .min_by_key(|(d, _)| *d)
            .filter(|(d, _)| *d <= 3);
        match closest {
            Some((_, rule)) => format!(
                "unknown rule id '{}'; did you mean {rule}? (nexus datamodel rules lists them all)",
                yaml::printable(&id.value)
            ),
            None => format!(
                "unknown rule id '{}'; nexus datamodel rules lists them all",
                yaml::printable(&id.value)
            ),
        }
    })
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parse(text: &str) -> std::result::Result<Config, String> {
        let raw =
            yaml::parse_typed::<RawConfig>(text.as_bytes(), "c.yaml").map_err(|e| e.to_string())?;
        match raw {
            Some(raw) => raw.validate("c.yaml").map_err(|e| e.to_string()),
            None => Ok(Config::default()),
        }
    }

    fn err(text: &str) -> String {
        parse(text).expect_err(text)
    }

    fn change(rule: RuleId, crd: &str, path: &str) -> Change {
        Change::new(rule, crd, Some("v1"), path.to_string()).values(Value::Null, Value::Null)
    }

    #[test]
    fn the_cli_example_loads() {
        let config = parse(
            r#"
rules:
  description-changed: off        # breaking | warning | compatible | off
  enum-value-added: compatible
ignore:
  - rule: field-removed
    crd: leaders.root.orgchart.org
    path: "/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/properties/legacy"
    reason: "removed on purpose, no stored objects use it"
"#,
        )
        .unwrap();
        assert_eq!(config.rules[&RuleId::DescriptionChanged], RuleSetting::Off);
        assert_eq!(
            config.rules[&RuleId::EnumValueAdded],
            RuleSetting::Severity(Severity::Compatible)
        );
        assert_eq!(
            config.ignore,
            [Ignore {
                rule: RuleId::FieldRemoved,
                crd: Some("leaders.root.orgchart.org".into()),
                path: Some(
                    "/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/properties/legacy"
                        .into()
                ),
                reason: "removed on purpose, no stored objects use it".into(),
                location: "c.yaml:6:5".into(),
            }]
        );
        assert!(config.served_versions_skip_webhook);
    }

    #[test]
    fn empty_files_and_sections_are_defaults() {
        for text in ["", "# nothing\n", "rules:\nignore:\noptions:\n", "{}"] {
            let config = parse(text).unwrap();
            assert!(
                config.rules.is_empty() && config.ignore.is_empty(),
                "{text:?}"
            );
            assert!(config.served_versions_skip_webhook);
        }
    }

    #[test]
    fn options_set_the_checker() {
        let config = parse("options:\n  served-versions-skip-webhook: false\n").unwrap();
        assert!(!config.compare_options().served_versions_skip_webhook);
        assert!(
            Config::default()
                .compare_options()
                .served_versions_skip_webhook
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let cases = [
            (
                "rules:\n  field-remove: off\n",
                "c.yaml:2:3: unknown rule id 'field-remove'; did you mean field-removed? (nexus datamodel rules lists them all)",
            ),
            (
                "rules:\n  zzz: off\n",
                "c.yaml:2:3: unknown rule id 'zzz'; nexus datamodel rules lists them all",
            ),
            (
                "rules:\n  field-removed: braking\n",
                "c.yaml:2:18: 'braking' is not a severity for field-removed; use breaking, warning, compatible or off",
            ),
            (
                "rules:\n  field-removed: false\n",
                "c.yaml:2:18: 'false' is not a severity for field-removed; use breaking, warning, compatible or off",
            ),
            (
                "rule:\n  field-removed: off\n",
                "c.yaml:1:1: unknown key 'rule'; the keys here are rules, ignore, options",
            ),
            (
                "ignore:\n  - rule: field-removed\n    crd: a.b.c\n    reasn: x\n",
                "c.yaml:4:5: unknown key 'reasn'; the keys here are rule, crd, path, reason",
            ),
            (
                "options:\n  skip: true\n",
                "c.yaml:2:3: unknown key 'skip'; the keys here are served-versions-skip-webhook",
            ),
            (
                "ignore:\n  - rule: field-removed\n    crd: a.b.c\n",
                "c.yaml:2:5: ignore entry for field-removed has no reason; add reason: saying why the change is acceptable",
            ),
            (
                "ignore:\n  - rule: field-removed\n    crd: a.b.c\n    reason: '  '\n",
                "c.yaml:4:13: ignore entry for field-removed has an empty reason; say why the change is acceptable",
            ),
            (
                "ignore:\n  - crd: a.b.c\n    reason: x\n",
                "c.yaml:2:5: ignore entry without rule; name the rule whose changes it drops",
            ),
            (
                "ignore:\n  - rule: nope\n    crd: a.b.c\n    reason: x\n",
                "c.yaml:2:11: unknown rule id 'nope'; nexus datamodel rules lists them all",
            ),
            (
                "ignore:\n  - rule: field-removed\n    reason: x\n",
                "c.yaml:2:5: ignore entry for field-removed names neither crd nor path; add one, or turn the rule off everywhere with rules: {field-removed: off}",
            ),
            (
                "ignore:\n  - rule: field-removed\n    path: spec/x\n    reason: x\n",
                "c.yaml:3:11: ignore path 'spec/x' does not start with /; copy the path from the report (/spec/versions/name=v1/...)",
            ),
            (
                "rules:\n  field-removed: off\n  field-removed: warning\n",
                "c.yaml:3:3: duplicate key 'field-removed' in one mapping; keep only one of them",
            ),
            (
                "rules: [field-removed]\n",
                "c.yaml:1:8: expected a mapping (key: value) here; fix the value",
            ),
        ];
        for (text, want) in cases {
            let got = err(text);
            assert!(got.starts_with(want), "{text:?}\n got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn apply_overrides_drops_and_counts() {
        let config = parse(
            "rules:\n  description-changed: off\n  enum-value-added: breaking\n  field-removed: warning\n\
             ignore:\n  - rule: field-removed\n    crd: a.x.io\n    path: /spec/versions/name=v1/schema\n    reason: ok\n",
        )
        .unwrap();
        let changes = vec![
            change(RuleId::DescriptionChanged, "a.x.io", "/spec/x"),
            change(RuleId::EnumValueAdded, "a.x.io", "/spec/x"),
            change(
                RuleId::FieldRemoved,
                "a.x.io",
                "/spec/versions/name=v1/schema/p",
            ),
            change(
                RuleId::FieldRemoved,
                "a.x.io",
                "/spec/versions/name=v1/schemata",
            ),
            change(
                RuleId::FieldRemoved,
                "b.x.io",
                "/spec/versions/name=v1/schema/p",
            ),
            change(
                RuleId::TypeChanged,
                "a.x.io",
                "/spec/versions/name=v1/schema/p",
            ),
        ];
        let applied = config.apply(changes);
        let ignored: Vec<(&str, &str, Severity, &str)> = applied
            .ignored
            .iter()
            .map(|i| {
                let c = &i.change;
                (
                    c.crd.as_str(),
                    c.path.as_str(),
                    c.severity,
                    i.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            ignored,
            [(
                "a.x.io",
                "/spec/versions/name=v1/schema/p",
                Severity::Warning,
                "ok"
            )]
        );
        assert!(applied.unused.is_empty());
        let kept = applied.kept;
        let kept: Vec<(RuleId, &str, &str, Severity)> = kept
            .iter()
            .map(|c| (c.rule, c.crd.as_str(), c.path.as_str(), c.severity))
            .collect();
        assert_eq!(
            kept,
            [
                (
                    RuleId::EnumValueAdded,
                    "a.x.io",
                    "/spec/x",
                    Severity::Breaking
                ),
                (
                    RuleId::FieldRemoved,
                    "a.x.io",
                    "/spec/versions/name=v1/schemata",
                    Severity::Warning
                ),
                (
                    RuleId::FieldRemoved,
                    "b.x.io",
                    "/spec/versions/name=v1/schema/p",
                    Severity::Warning
                ),
                (
                    RuleId::TypeChanged,
                    "a.x.io",
                    "/spec/versions/name=v1/schema/p",
                    Severity::Breaking
                ),
            ]
        );
        let applied = Config::default().apply(vec![change(RuleId::FieldRemoved, "a", "/spec")]);
        assert_eq!((applied.kept.len(), applied.ignored.len()), (1, 0));
    }

    #[test]
    fn an_ignore_that_matches_nothing_is_reported_with_its_place() {
        let config = parse(
            "ignore:\n  - rule: field-removed\n    crd: a.x.io\n    reason: ok\n\
             \x20 - rule: type-changed\n    path: /spec/gone\n    reason: stale\n",
        )
        .unwrap();
        let applied = config.apply(vec![change(RuleId::FieldRemoved, "a.x.io", "/spec/x")]);
        assert_eq!(applied.ignored.len(), 1);
        assert_eq!(
            applied.unused,
            [UnusedIgnore {
                location: "c.yaml:5:5".into(),
                rule: RuleId::TypeChanged,
                crd: None,
                path: Some("/spec/gone".into()),
            }]
        );
        assert_eq!(
            applied.unused[0].warning(),
            "warning: c.yaml:5:5: ignore entry for type-changed (path /spec/gone) matched no \
             change; remove it, or copy crd and path from the report (--format json lists them)"
        );
    }

    #[test]
    fn ignore_filters() {
        let ignore = |crd: Option<&str>, path: Option<&str>| Ignore {
            rule: RuleId::FieldRemoved,
            crd: crd.map(str::to_string),
            path: path.map(str::to_string),
            reason: "r".into(),
            location: "c.yaml:1:3".into(),
        };
        let c = change(RuleId::FieldRemoved, "a.x.io", "/spec/a/b");
        assert!(ignore(Some("a.x.io"), None).matches(&c));
        assert!(!ignore(Some("b.x.io"), None).matches(&c));
        for covering in ["/spec/a/b", "/spec/a", "/spec/a/", "/spec", "/"] {
            assert!(ignore(None, Some(covering)).matches(&c), "{covering}");
        }
        for other in ["/spec/a/bc", "/spec/a/b/c", "/spec/ab", "/status"] {
            assert!(!ignore(None, Some(other)).matches(&c), "{other}");
        }
        assert!(ignore(Some("a.x.io"), Some("/spec/a")).matches(&c));
        assert!(!ignore(Some("b.x.io"), Some("/spec/a")).matches(&c));
        let other_rule = change(RuleId::TypeChanged, "a.x.io", "/spec/a/b");
        assert!(!ignore(Some("a.x.io"), None).matches(&other_rule));
    }

    #[test]
    fn load_and_discover() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("compat.yaml");
        std::fs::write(&path, "rules:\n  field-added: warning\n").unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.file.as_deref(), Some(path.as_path()));
        assert_eq!(
            config.rules[&RuleId::FieldAdded],
            RuleSetting::Severity(Severity::Warning)
        );
        let config = Config::discover(Some(&path)).unwrap();
        assert_eq!(config.rules.len(), 1);
        let missing = dir.path().join("missing.yaml");
        let err = Config::discover(Some(&missing)).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "cannot read {}: no such file or directory",
                missing.display()
            )
        );
        std::fs::write(&path, "rules:\n  nope: off\n").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}:2:3: unknown rule id", path.display())),
            "{err}"
        );
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("field-remove", "field-removed"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
