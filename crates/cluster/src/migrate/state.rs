//! Which steps a cluster has applied: the ConfigMap `nexus-migrations-<datamodelName>` in the
//! state namespace, one key per applied version (the version's digits) whose value is a JSON
//! document with the step's title, when it was applied, the checksum of its file and the
//! object counts. A step file whose checksum differs from the recorded one is refused.

use super::file::MigrationFile;
use super::results::StepResults;
use super::store::{ObjectId, ObjectStore, Resource, StoreError};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The default namespace of the state ConfigMap.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The ConfigMap resource (core group, v1).
pub fn config_maps() -> Resource {
    Resource {
        crd: "configmaps".to_string(),
        group: String::new(),
        version: "v1".to_string(),
        plural: "configmaps".to_string(),
        kind: "ConfigMap".to_string(),
        namespaced: true,
        status_subresource: false,
    }
}

/// `nexus-migrations-<name>`, the name made a valid object name (lower case; anything but
/// letters, digits, `-` and `.` becomes `-`; at most 253 characters) since a datamodel name may
/// be a Go module path.
pub fn config_map_name(datamodel: &str) -> String {
    let mut name: String = format!("nexus-migrations-{datamodel}")
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '.') => c,
            _ => '-',
        })
        .collect();
    name.truncate(253);
    while name.ends_with(['-', '.']) {
        name.pop();
    }
    name
}

/// One applied step as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub title: String,
    /// RFC 3339, UTC.
    pub applied_at: String,
    /// `sha256:<hex>` of the step file when it was applied.
    pub checksum: String,
    pub changed: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
    pub retried: usize,
}

impl Applied {
    /// The record of a step that just ran with these counts.
    pub fn of(step: &MigrationFile, counts: &StepResults, applied_at: &str) -> Applied {
        Applied {
            title: step.title.clone(),
            applied_at: applied_at.to_string(),
            checksum: step.checksum.clone(),
            changed: counts.changed,
            unchanged: counts.unchanged,
            skipped: counts.skipped,
            failed: counts.failed,
            retried: counts.retried,
        }
    }
}

/// The applied steps of one datamodel in one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub namespace: String,
    pub name: String,
    pub applied: BTreeMap<u64, Applied>,
    /// The ConfigMap's resourceVersion when read; `None` when it does not exist yet.
    resource_version: Option<String>,
}

fn store_error(what: &str, e: &StoreError) -> Error {
    Error::Cluster(format!("cannot {what} the migration state: {e}"))
}

impl State {
    /// Reads the state ConfigMap (an empty state when it does not exist).
    pub fn load(store: &dyn ObjectStore, datamodel: &str, namespace: &str) -> Result<State> {
        let name = config_map_name(datamodel);
        let id = ObjectId {
            namespace: Some(namespace.to_string()),
            name: name.clone(),
        };
        let found = store
            .get(&config_maps(), &id)
            .map_err(|e| store_error("read", &e))?;
        let mut state = State {
            namespace: namespace.to_string(),
            name,
            applied: BTreeMap::new(),
            resource_version: None,
        };
        let Some(found) = found else {
            return Ok(state);
        };
        state.resource_version = Some(found.resource_version);
        let data = found.object.get("data").and_then(Value::as_object);
        for (key, value) in data.into_iter().flatten() {
            let bad = |why: String| {
                Error::Cluster(format!(
                    "ConfigMap {id} key {key:?} is not a migration record ({why}); fix or delete that key"
                ))
            };
            let version: u64 = key
                .parse()
                .map_err(|_| bad("the key is not a version".into()))?;
            let text = value
                .as_str()
                .ok_or_else(|| bad("the value is not a string".into()))?;
            let applied: Applied = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
            state.applied.insert(version, applied);
        }
        Ok(state)
    }

    /// Refuses step files that changed since they were applied.
    pub fn check_checksums(&self, steps: &[MigrationFile]) -> Result<()> {
        for step in steps {
            if let Some(applied) = self.applied.get(&step.version)
                && applied.checksum != step.checksum
            {
                return Err(Error::input(format!(
                    "{} changed after it was applied on {} (recorded {}, now {}); an applied step's file must stay as it was applied: restore it, and put the change (a fix, or a way back) in a new step (nexus datamodel migrate create <slug>)",
                    step.shown, applied.applied_at, applied.checksum, step.checksum
                )));
            }
        }
        Ok(())
    }

    /// The steps on disk not applied yet, in version order.
    ///
    /// A pending step below the highest applied version is refused: the resume marker of every
    /// object already says it is past that version, so the step would be skipped everywhere and
    /// still be recorded (it happens when two branches each ran `migrate create`).
    pub fn pending<'a>(&self, steps: &'a [MigrationFile]) -> Result<Vec<&'a MigrationFile>> {
        let pending: Vec<&MigrationFile> = steps
            .iter()
            .filter(|s| !self.applied.contains_key(&s.version))
            .collect();
        if let Some(last) = self.last_applied()
            && let Some(older) = pending.iter().find(|s| s.version < last)
        {
            return Err(Error::input(format!(
                "{} has version {}, below {last}, which is already applied in the cluster: it would be skipped on every object; give it a version above {last} (rename the file) and run again",
                older.shown, older.version
            )));
        }
        Ok(pending)
    }

    /// The highest applied version.
    pub fn last_applied(&self) -> Option<u64> {
        self.applied.keys().next_back().copied()
    }

    /// Writes the state (creates the ConfigMap the first time, else replaces it with the
    /// version read as the precondition).
    pub fn save(&mut self, store: &dyn ObjectStore) -> Result<()> {
        let mut data = Map::new();
        for (version, applied) in &self.applied {
            let text = serde_json::to_string(applied)
                .map_err(|e| Error::Cluster(format!("cannot encode the migration state: {e}")))?;
            data.insert(version.to_string(), Value::String(text));
        }
        let object = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "nexus"}
            },
            "data": data
        });
        let id = ObjectId {
            namespace: Some(self.namespace.clone()),
            name: self.name.clone(),
        };
        // A write whose answer was lost is read back: recorded, not done (send it again, once),
        // or changed by someone else (an error, as a conflict is).
        let mut tries = 0;
        let written = loop {
            tries += 1;
            let sent = match &self.resource_version {
                Some(rv) => store.replace(&config_maps(), &object, rv),
                None => store.create(&config_maps(), &object),
            };
            let reason = match sent {
                Ok(written) => break written.resource_version,
                Err(StoreError::OutcomeUnknown { reason, .. }) => reason,
                Err(e) => return Err(store_error("record", &e)),
            };
            let found = store
                .get(&config_maps(), &id)
                .map_err(|e| store_error("read back", &e))?;
            match found {
                Some(found) if found.object.get("data") == object.get("data") => {
                    break found.resource_version;
                }
                found
                    if tries < 2
                        && found.as_ref().map(|f| &f.resource_version)
                            == self.resource_version.as_ref() => {}
                _ => {
                    return Err(Error::Cluster(format!(
                        "cannot record the migration state: {reason}; reading it back shows it was not recorded"
                    )));
                }
            }
        };
        self.resource_version = Some(written);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::store::MemoryStore;

    fn applied(checksum: &str) -> Applied {
        Applied {
            title: "Add location".into(),
            applied_at: "2026-01-01T00:00:00Z".into(),
            checksum: checksum.into(),
            changed: 3,
            unchanged: 1,
            skipped: 0,
            failed: 0,
            retried: 1,
        }
    }

    #[test]
    fn names_are_valid_object_names() {
        assert_eq!(config_map_name("orgchart"), "nexus-migrations-orgchart");
        assert_eq!(
            config_map_name("github.com/Acme/OrgChart_v2"),
            "nexus-migrations-github.com-acme-orgchart-v2"
        );
        assert_eq!(config_map_name("x/"), "nexus-migrations-x");
        assert!(config_map_name(&"a".repeat(400)).len() <= 253);
    }

    #[test]
    fn state_round_trips_through_the_config_map() {
        let store = MemoryStore::new();
        let mut state = State::load(&store, "orgchart", "default").unwrap();
        assert!(state.applied.is_empty());
        state.applied.insert(20260101000000, applied("sha256:aa"));
        state.save(&store).unwrap();
        state.applied.insert(20260102000000, applied("sha256:bb"));
        state.save(&store).unwrap();
        let again = State::load(&store, "orgchart", "default").unwrap();
        assert_eq!(again.applied, state.applied);
        assert_eq!(again.last_applied(), Some(20260102000000));
        // A stale copy cannot overwrite a newer state.
        let mut stale = State::load(&store, "orgchart", "default").unwrap();
        state.save(&store).unwrap();
        assert!(stale.save(&store).is_err());
    }

    #[test]
    fn a_foreign_key_is_an_error_naming_it() {
        let store = MemoryStore::new();
        store
            .insert(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "nexus-migrations-orgchart", "namespace": "default"},
                "data": {"notes": "hello"}
            }))
            .unwrap();
        let err = State::load(&store, "orgchart", "default").unwrap_err();
        assert!(err.to_string().contains("\"notes\""), "{err}");
    }
}
