//! Canned answer bodies, kept as JSON data files in `crates/sim/fixtures`
//! and compiled in: the shapes come from `reference/samples`, the values are
//! the simulated cluster's. Code fills in the per-host and per-call fields.

use serde_json::Value;

use super::ApiError;

/// One JSON fixture file.
pub(super) struct Fixture {
    name: &'static str,
    text: &'static str,
}

/// `GET /api/v2/deployment/host` of one host, before its per-host fields
/// (identity, addresses, interfaces, disk serials) are filled in.
pub(super) const HOST_SCAN: Fixture = Fixture {
    name: "host_scan.json",
    text: include_str!("../../fixtures/host_scan.json"),
};

/// `GET /api/v2/tools/license`, before the cluster's serial is filled in.
pub(super) const LICENSE: Fixture = Fixture {
    name: "license.json",
    text: include_str!("../../fixtures/license.json"),
};

/// The user `users:setupRoot` answers.
pub(super) const ROOT_USER: Fixture = Fixture {
    name: "root_user.json",
    text: include_str!("../../fixtures/root_user.json"),
};

/// The `job` object of `GET /api/v2/jobs/{id}` (the captured VDS-job shape).
pub(super) const JOB: Fixture = Fixture {
    name: "job.json",
    text: include_str!("../../fixtures/job.json"),
};

impl Fixture {
    /// A fresh copy to fill in. A broken fixture is a bug of ours, which
    /// the client sees as a 500 and the unit tests catch first.
    pub fn load(&self) -> Result<Value, ApiError> {
        serde_json::from_str(self.text)
            .map_err(|error| ApiError::internal(format!("fixture {}: {error}", self.name)))
    }
}

/// Sets the field at `path` (object keys, each of which must exist) of a
/// loaded fixture; a missing key is a broken fixture, not a panic.
pub(super) fn set(target: &mut Value, path: &[&str], value: Value) -> Result<(), ApiError> {
    let mut slot = target;
    for key in path {
        slot = slot
            .as_object_mut()
            .and_then(|object| object.get_mut(*key))
            .ok_or_else(|| {
                ApiError::internal(format!("fixture has no field {}", path.join(".")))
            })?;
    }
    *slot = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_is_a_json_object() -> Result<(), ApiError> {
        for fixture in [HOST_SCAN, LICENSE, ROOT_USER, JOB] {
            assert!(fixture.load()?.is_object(), "{}", fixture.name);
        }
        Ok(())
    }

    #[test]
    fn set_replaces_existing_fields_only() -> Result<(), ApiError> {
        let mut job = JOB.load()?;
        set(&mut job, &["event", "data"], serde_json::json!({"a": 1}))?;
        assert_eq!(job["event"]["data"]["a"], 1);
        assert!(set(&mut job, &["event", "nonsense"], Value::Null).is_err());
        assert!(set(&mut job, &["state", "deeper"], Value::Null).is_err());
        Ok(())
    }
}
