//! `spec.conversion`: the strategy (absent means `None`) and the webhook's settings.

use super::findings::Findings;
use super::schema_equiv::same_schema;
use super::value::{non_empty, object_of, present, show, to_value};
use super::version_order::sort_oldest_first;
use super::versions::VersionList;
use crate::compare::path;
use crate::rules::RuleId;
use serde_json::{Map, Value};

const PATH: &str = "/spec/conversion";
const CLAIMED: &[&str] = &["strategy", "webhook"];
const WEBHOOK_CLAIMED: &[&str] = &["clientConfig", "conversionReviewVersions"];

/// The conversion strategy; absent and `null` mean `None`, the API server's default.
pub(super) fn strategy(spec: &Map<String, Value>) -> Option<&str> {
    let conversion = present(spec.get("conversion"));
    match conversion.map(|c| present(c.get("strategy"))) {
        None | Some(None) => Some("None"),
        Some(Some(s)) => s.as_str(),
    }
}

/// Compares `spec.conversion` of two CRD specs.
pub(super) fn compare(
    out: &mut Findings<'_>,
    old_spec: &Map<String, Value>,
    new_spec: &Map<String, Value>,
) {
    let (old, new) = (old_spec.get("conversion"), new_spec.get("conversion"));
    let (Some(o), Some(n)) = (object_of(old), object_of(new)) else {
        out.unhandled_if_different(None, PATH.into(), old, new, "conversion is not an object");
        return;
    };
    let strategy_path = path::child(PATH, "strategy");
    match (strategy(old_spec), strategy(new_spec)) {
        (Some("Webhook"), Some("None")) => webhook_removed(out, new_spec, strategy_path),
        (Some("None"), Some("Webhook")) => out.add(
            RuleId::CrdConversionChanged,
            None,
            strategy_path,
            "conversion webhook added (strategy None -> Webhook): every read and write in a non-storage version now calls the webhook".into(),
            Value::String("None".into()),
            Value::String("Webhook".into()),
        ),
        (was, is) => {
            if was != is || was.is_none() {
                out.unhandled_if_different(
                    None,
                    strategy_path,
                    o.get("strategy"),
                    n.get("strategy"),
                    "the strategy is neither None nor Webhook",
                );
            }
            webhook(out, o.get("webhook"), n.get("webhook"));
        }
    }
    out.unclaimed(None, PATH, o, n, CLAIMED);
}

/// Webhook → None: harmless only when every served version has the same schema (apart from
/// documentation), because the API server then converts by rewriting `apiVersion` alone.
fn webhook_removed(out: &mut Findings<'_>, new_spec: &Map<String, Value>, path: String) {
    let list = VersionList::read(new_spec.get("versions"));
    let served = list.as_ref().map_or(0, |l| l.served().len());
    let differing = list
        .map(|list| differing_served_pairs(&list))
        .unwrap_or_default();
    let (old, new) = (
        Value::String("Webhook".into()),
        Value::String("None".into()),
    );
    match differing.first() {
        Some((a, b)) => out.add(
            RuleId::CrdConversionWebhookRemoved,
            None,
            path,
            format!(
                "conversion webhook removed (strategy Webhook -> None) while served versions {a} and {b} have different schemas: the API server now only rewrites apiVersion"
            ),
            old,
            new,
        ),
        None => {
            let why = if served < 2 {
                "at most one version is served, so there is nothing to convert between"
            } else {
                "the served versions' schemas are identical apart from documentation, so rewriting apiVersion is enough"
            };
            out.add(
                RuleId::CrdConversionChanged,
                None,
                path,
                format!("conversion webhook removed (strategy Webhook -> None); {why}"),
                old,
                new,
            );
        }
    }
}

/// Pairs of served versions (older, newer) whose schemas differ beyond documentation.
fn differing_served_pairs(list: &VersionList<'_>) -> Vec<(String, String)> {
    let served = list.served();
    let mut names: Vec<&str> = served.iter().map(|(n, _)| *n).collect();
    sort_oldest_first(&mut names);
    let schema_of = |name: &str| {
        served
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, s)| *s)
    };
    let mut pairs = Vec::new();
    for (i, older) in names.iter().enumerate() {
        for newer in names.iter().skip(i + 1) {
            let same = match (schema_of(older), schema_of(newer)) {
                (Some(a), Some(b)) => same_schema(a, b),
                (a, b) => a == b,
            };
            if !same {
                pairs.push((older.to_string(), newer.to_string()));
            }
        }
    }
    pairs
}

/// The webhook's client config and review versions, when the strategy did not change.
fn webhook(out: &mut Findings<'_>, old: Option<&Value>, new: Option<&Value>) {
    let path = path::child(PATH, "webhook");
    let (Some(o), Some(n)) = (object_of(old), object_of(new)) else {
        out.unhandled_if_different(None, path, old, new, "webhook is not an object");
        return;
    };
    let (was, is) = (
        present(o.get("clientConfig")),
        present(n.get("clientConfig")),
    );
    if was != is {
        out.add(
            RuleId::CrdConversionChanged,
            None,
            path::child(&path, "clientConfig"),
            format!(
                "conversion webhook client config changed from {} to {}",
                describe_client(was),
                describe_client(is)
            ),
            to_value(was),
            to_value(is),
        );
    }
    // Order matters: the API server sends the first review version it supports.
    let key = "conversionReviewVersions";
    let (was, is) = (non_empty(o.get(key)), non_empty(n.get(key)));
    if was != is {
        out.add(
            RuleId::CrdConversionChanged,
            None,
            path::child(&path, key),
            format!(
                "conversion webhook review versions changed from {} to {}",
                show(was),
                show(is)
            ),
            to_value(was),
            to_value(is),
        );
    }
    out.unclaimed(None, &path, o, n, WEBHOOK_CLAIMED);
}

/// `url`, or `service namespace/name[:port][path]`, for messages.
fn describe_client(config: Option<&Value>) -> String {
    let Some(config) = config else {
        return "(none)".into();
    };
    if let Some(url) = config.get("url").and_then(Value::as_str) {
        return url.to_string();
    }
    if let Some(service) = config.get("service") {
        let part = |k: &str| service.get(k).map(|v| show(Some(v))).unwrap_or_default();
        let port = service
            .get("port")
            .map(|p| format!(":{}", show(Some(p))))
            .unwrap_or_default();
        return format!(
            "service {}/{}{port}{}",
            part("namespace"),
            part("name"),
            part("path")
        );
    }
    "a client config without url or service".into()
}
