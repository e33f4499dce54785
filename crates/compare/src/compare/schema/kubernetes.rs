//! The Kubernetes extensions that shape how the API server stores and merges a field:
//! `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`,
//! `x-kubernetes-preserve-unknown-fields` and `x-kubernetes-embedded-resource`.

use super::equal::{opt_json_eq, set_eq};
use super::keyword::Kw;
use super::node::NodeCx;
use super::show::{finding_value, word};
use super::types::bool_pair;
use crate::rules::RuleId;
use serde_json::Value;

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    list_type(n);
    list_map_keys(n);
    map_type(n);
    preserve_unknown_fields(n);
    embedded_resource(n);
}

/// Whether both sides of a keyword are absent or strings.
fn strings(pair: (Option<&Value>, Option<&Value>)) -> bool {
    pair.0.is_none_or(Value::is_string) && pair.1.is_none_or(Value::is_string)
}

fn list_type(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::ListType);
    if !strings((old, new)) {
        return;
    }
    n.claim(Kw::ListType);
    if opt_json_eq(old, new) {
        return;
    }
    // The map keys come and go with the list type: the same edit.
    n.claim(Kw::ListMapKeys);
    let subject = n.subject();
    let show = |v: Option<&Value>| {
        if v.is_none() {
            "atomic".to_string()
        } else {
            word(v)
        }
    };
    let message = format!(
        "x-kubernetes-list-type of {subject} changed from {} to {}: server-side apply merges and owns its items differently",
        show(old),
        show(new)
    );
    n.emit(
        RuleId::ListTypeChanged,
        Kw::ListType,
        message,
        finding_value(old),
        finding_value(new),
    );
}

fn list_map_keys(n: &mut NodeCx<'_, '_, '_>) {
    if n.is_claimed(Kw::ListMapKeys) {
        return;
    }
    let (old, new) = n.get(Kw::ListMapKeys);
    fn list(v: Option<&Value>) -> Option<&[Value]> {
        match v {
            None => Some(&[]),
            Some(Value::Array(a)) => Some(a.as_slice()),
            Some(_) => None,
        }
    }
    let (Some(old_keys), Some(new_keys)) = (list(old), list(new)) else {
        return;
    };
    n.claim(Kw::ListMapKeys);
    if set_eq(old_keys, new_keys) {
        return;
    }
    let message = format!(
        "x-kubernetes-list-map-keys of {} changed from {} to {}: items are identified differently, stored lists may hold duplicates",
        n.subject(),
        word(old),
        word(new)
    );
    n.emit(
        RuleId::ListMapKeysChanged,
        Kw::ListMapKeys,
        message,
        finding_value(old),
        finding_value(new),
    );
}

fn map_type(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::MapType);
    if !strings((old, new)) {
        return;
    }
    n.claim(Kw::MapType);
    if opt_json_eq(old, new) {
        return;
    }
    let show = |v: Option<&Value>| {
        if v.is_none() {
            "granular".to_string()
        } else {
            word(v)
        }
    };
    let message = format!(
        "x-kubernetes-map-type of {} changed from {} to {}: server-side apply owns its keys differently",
        n.subject(),
        show(old),
        show(new)
    );
    n.emit(
        RuleId::MapTypeChanged,
        Kw::MapType,
        message,
        finding_value(old),
        finding_value(new),
    );
}

fn preserve_unknown_fields(n: &mut NodeCx<'_, '_, '_>) {
    let (Some(old), Some(new)) = bool_pair(n.get(Kw::PreserveUnknownFields)) else {
        return;
    };
    n.claim(Kw::PreserveUnknownFields);
    if old == new {
        return;
    }
    let subject = n.subject();
    let (rule, message) = if new {
        (
            RuleId::PreserveUnknownFieldsAdded,
            format!(
                "{subject} keeps unknown fields now: clients may read fields the schema does not describe"
            ),
        )
    } else {
        (
            RuleId::PreserveUnknownFieldsRemoved,
            format!(
                "{subject} no longer keeps unknown fields: stored data outside the schema is pruned"
            ),
        )
    };
    n.emit(
        rule,
        Kw::PreserveUnknownFields,
        message,
        Value::Bool(old),
        Value::Bool(new),
    );
}

fn embedded_resource(n: &mut NodeCx<'_, '_, '_>) {
    let (Some(old), Some(new)) = bool_pair(n.get(Kw::EmbeddedResource)) else {
        return;
    };
    n.claim(Kw::EmbeddedResource);
    if old == new {
        return;
    }
    let subject = n.subject();
    let message = if new {
        format!(
            "{subject} is an embedded resource now: values without apiVersion, kind and metadata are rejected"
        )
    } else {
        format!(
            "{subject} is no longer an embedded resource: its apiVersion, kind and metadata are no longer validated or kept"
        )
    };
    n.emit(
        RuleId::EmbeddedResourceChanged,
        Kw::EmbeddedResource,
        message,
        Value::Bool(old),
        Value::Bool(new),
    );
}
