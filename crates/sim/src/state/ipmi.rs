//! IPMI (BMC) accounts: `POST /api/v2/ipmi/upsert_accounts`, upserted by
//! `node_uuid`; a BMC is reachable unless a `bmc_unreachable` fault names
//! it. Passwords are checked for presence and never stored.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, SimState};

pub(super) struct IpmiAccount {
    pub node_uuid: String,
    pub node_name: String,
    pub host: String,
    pub user: String,
    pub is_valid: bool,
}

pub(super) type IpmiAccounts = BTreeMap<String, IpmiAccount>;

/// `POST /api/v2/ipmi/upsert_accounts`.
#[derive(Debug, Deserialize)]
pub(crate) struct UpsertIpmiBody {
    accounts: Option<Vec<IpmiAccountBody>>,
}

#[derive(Debug, Deserialize)]
struct IpmiAccountBody {
    node_uuid: Option<String>,
    node_name: Option<String>,
    host: Option<String>,
    user: Option<String>,
    password: Option<String>,
}

fn required(value: Option<String>, name: &str) -> Result<String, ApiError> {
    value.ok_or_else(|| {
        ApiError::bad_request("INVALID_ARGUMENT", format!("account {name} is required"))
    })
}

impl SimState {
    pub fn upsert_ipmi(&mut self, body: UpsertIpmiBody) -> Result<Value, ApiError> {
        let accounts = body
            .accounts
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "accounts is required"))?;
        let mut success = Vec::new();
        let mut failure = Vec::new();
        for account in accounts {
            let node_uuid = required(account.node_uuid, "node_uuid")?;
            let node_name = required(account.node_name, "node_name")?;
            let host = required(account.host, "host")?;
            let user = required(account.user, "user")?;
            required(account.password, "password")?;
            let reachable = host
                .parse::<Ipv4Addr>()
                .map(|ip| !self.faults.bmc_unreachable.contains(&ip))
                .unwrap_or(false);
            let entry = json!({
                "node_uuid": node_uuid,
                "node_name": node_name,
                "host": host,
                "port": 623,
                "user": user,
                "is_valid": reachable,
                "interface": null
            });
            if reachable {
                success.push(entry);
            } else {
                failure.push(entry);
            }
            self.ipmi.insert(
                node_uuid.clone(),
                IpmiAccount {
                    node_uuid,
                    node_name,
                    host,
                    user,
                    is_valid: reachable,
                },
            );
        }
        Ok(json!({"success": success, "failure": failure}))
    }
}
