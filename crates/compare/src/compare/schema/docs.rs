//! Documentation keywords: `description`, and the annotations `title`, `example`,
//! `externalDocs`. They change no object, so every finding here is compatible.

use super::equal::opt_json_eq;
use super::keyword::Kw;
use super::node::NodeCx;
use super::show::finding_value;
use crate::rules::RuleId;

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    documentation(n, Kw::Description, RuleId::DescriptionChanged);
    for kw in [Kw::Title, Kw::Example, Kw::ExternalDocs] {
        documentation(n, kw, RuleId::AnnotationChanged);
    }
}

fn documentation(n: &mut NodeCx<'_, '_, '_>, kw: Kw, rule: RuleId) {
    n.claim(kw);
    let (old, new) = n.get(kw);
    if opt_json_eq(old, new) {
        return;
    }
    let what = match (old, new) {
        (None, _) => "added to",
        (_, None) => "removed from",
        _ => "changed on",
    };
    let message = format!("{} {what} {}", kw.name(), n.subject());
    n.emit(rule, kw, message, finding_value(old), finding_value(new));
}
