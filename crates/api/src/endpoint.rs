//! Every call the client makes, one [`Endpoint`] variant each (reference
//! section 2): how it goes on the wire — method, path, query, body, token,
//! envelope, whether it may be repeated — and what a dry run pretends the
//! cluster answered. Both are exhaustive matches, so an endpoint without a
//! dry-run answer does not compile. The planned call a dry run lists is the
//! wire description itself (workbook URL, body redacted), made in `send.rs`.
//! Decoding the answers is `endpoints.rs`'s.

use std::net::Ipv4Addr;

use serde_json::{Value, json};
use smtx_secret::Secret;

use crate::dry_run::DRY_RUN_ID;
use crate::request::{Auth, Body, FilePart, Request, Retry};
use crate::{ApiError, CreateVds, IpmiAccount};

/// The chunk size of an SVT volume when `create_volume` does not say (the
/// original client does too), and what a dry run's volume answers.
pub const FALLBACK_CHUNK_SIZE: u64 = 8 * 1024 * 1024;

/// One call with its parameters.
pub(crate) enum Endpoint<'a> {
    /// 2.1 — one host's own description, asked of that host.
    HostScan,
    /// 2.2
    DeployVerify,
    /// 2.3
    SetupRoot {
        user: &'a str,
        password: &'a Secret,
    },
    /// 2.4
    Login {
        user: &'a str,
        password: &'a Secret,
    },
    /// 2.5
    SetVip {
        vip: Ipv4Addr,
    },
    /// 2.6
    SetDns {
        servers: &'a [Ipv4Addr],
    },
    /// 2.7
    SetNtp {
        servers: &'a [String],
    },
    /// 2.8
    UpsertIpmiAccounts {
        accounts: &'a [IpmiAccount],
    },
    /// 2.9
    ListVds,
    /// 2.10
    CreateVds {
        request: &'a CreateVds,
    },
    /// 2.11
    GetVds {
        uuid: &'a str,
    },
    /// 2.12 list
    ListVlans {
        vds_uuid: &'a str,
    },
    /// 2.12 create
    CreateVlan {
        vds_uuid: &'a str,
        name: &'a str,
        vlan_id: u16,
    },
    /// 2.13
    GetJob {
        job_id: &'a str,
    },
    /// 2.14
    CreateVolume {
        name: &'a str,
        size: u64,
    },
    /// 2.15 — one chunk, tried `1 + retries` times.
    UploadChunk {
        image_uuid: &'a str,
        zbs_volume_id: &'a str,
        chunk: u64,
        part: FilePart<'a>,
        retries: u32,
    },
    /// 2.16
    DeleteImage {
        image_uuid: &'a str,
    },
    /// 2.17
    License,
    /// \[ASSUMED\] read-backs of `check` (see `readback.rs`).
    VipSetting,
    DnsSetting,
    NtpSetting,
    ListIpmiAccounts,
    ListImages,
    /// 2.18
    RecommendedCpuModels,
    CpuCompatibility,
    SetCpuCompatibility {
        model: &'a str,
    },
}

impl<'a> Endpoint<'a> {
    /// How the call goes on the wire.
    pub fn request(&self) -> Result<Request<'a>, ApiError> {
        Ok(match *self {
            Self::HostScan => Request::get("/api/v2/deployment/host").auth(Auth::Deployment),
            Self::DeployVerify => {
                Request::get("/api/v2/deployment/deploy_verify").auth(Auth::Deployment)
            }
            Self::SetupRoot { user, password } => {
                let mut body = json!({
                    "password": password.expose(),
                    "repeat": password.expose(),
                    "encrypted": false,
                });
                if user != "root" {
                    body["username"] = json!(user);
                }
                Request::post("/api/v3/users:setupRoot", Body::Json(body))
                    .auth(Auth::None)
                    .bare()
            }
            // Not repeated: a wrong or unreachable address fails at once,
            // and a re-login inside a repeated call does not multiply it.
            Self::Login { user, password } => Request::post(
                "/api/v3/sessions",
                Body::Json(json!({
                    "username": user,
                    "password": password.expose(),
                    "encrypted": false,
                })),
            )
            .auth(Auth::None)
            .bare()
            // `login` logs the outcome itself, with the user.
            .quiet(),
            Self::SetVip { vip } => Request::put(
                "/api/v2/settings/vip",
                json!({"iscsi_vip": null, "management_vip": vip.to_string()}),
            ),
            Self::SetDns { servers } => {
                let servers: Vec<String> = servers.iter().map(ToString::to_string).collect();
                Request::put("/api/v2/settings/dns", json!({"dns_servers": servers}))
            }
            Self::SetNtp { servers } => Request::put(
                "/api/v2/settings/ntp",
                json!({"ntp_mode": "external", "ntp_servers": servers}),
            ),
            Self::UpsertIpmiAccounts { accounts } => {
                let accounts: Vec<Value> = accounts
                    .iter()
                    .map(|a| {
                        json!({
                            "node_name": a.node_name,
                            "host": a.host,
                            "user": a.user,
                            "node_uuid": a.node_uuid,
                            "password": a.password.expose(),
                        })
                    })
                    .collect();
                Request::post(
                    "/api/v2/ipmi/upsert_accounts",
                    Body::Json(json!({"accounts": accounts})),
                )
                // Upsert: repeating it updates the same entries.
                .retry(Retry::Transient)
            }
            Self::ListVds => Request::get("/api/v2/network/vds"),
            // Not repeated on failure: look (find_vds) before trying again.
            Self::CreateVds { request } => {
                let body = serde_json::to_value(request).map_err(|e| ApiError::Decode {
                    action: "POST /api/v2/network/vds".to_string(),
                    reason: crate::DecodeReason::Shape {
                        cause: e.to_string(),
                    },
                })?;
                Request::post("/api/v2/network/vds", Body::Json(body))
            }
            Self::GetVds { uuid } => Request::get(format!("/api/v2/network/vds/{uuid}")),
            Self::ListVlans { vds_uuid } => {
                Request::get(format!("/api/v2/network/vds/{vds_uuid}/vlans"))
            }
            Self::CreateVlan {
                vds_uuid,
                name,
                vlan_id,
            } => Request::post(
                format!("/api/v2/network/vds/{vds_uuid}/vlans"),
                Body::Json(json!({"name": name, "vlan_id": vlan_id, "vds_uuid": vds_uuid})),
            ),
            Self::GetJob { job_id } => Request::get(format!("/api/v2/jobs/{job_id}")),
            Self::CreateVolume { name, size } => {
                Request::post("/api/v2/svt_image/create_volume", Body::Empty)
                    .query("name", name)
                    .query("size", size.to_string())
            }
            Self::UploadChunk {
                image_uuid,
                zbs_volume_id,
                chunk,
                part,
                retries,
            } => Request::post("/api/v2/svt_image/upload_template", Body::File(part))
                .query("zbs_volume_id", zbs_volume_id)
                .query("chunk_num", chunk.to_string())
                .query("image_uuid", image_uuid)
                .retry(Retry::AnyFailure { extra: retries })
                .quiet()
                .chunk(chunk),
            Self::DeleteImage { image_uuid } => {
                Request::delete(format!("/api/v2/images/{image_uuid}"))
            }
            Self::License => Request::get("/api/v2/tools/license"),
            Self::VipSetting => Request::get("/api/v2/settings/vip"),
            Self::DnsSetting => Request::get("/api/v2/settings/dns"),
            Self::NtpSetting => Request::get("/api/v2/settings/ntp"),
            Self::ListIpmiAccounts => Request::get("/api/v2/ipmi/accounts"),
            Self::ListImages => Request::get("/api/v2/images"),
            Self::RecommendedCpuModels => {
                Request::get("/api/v2/elf/cluster_recommended_cpu_models")
            }
            Self::CpuCompatibility => Request::get("/api/v2/elf/cluster_cpu_compatibility"),
            Self::SetCpuCompatibility { model } => Request::put(
                "/api/v2/elf/cluster_cpu_compatibility",
                json!({"cpu_model": model}),
            ),
        })
    }

    /// What a dry run pretends the cluster answered (`data` of a v2 answer):
    /// empty lists, finished jobs, placeholder ids — enough for every step
    /// to take its normal path, nothing a report could mistake for a result.
    pub fn dry_run_answer(&self) -> Value {
        match *self {
            Self::HostScan => json!({}),
            Self::DeployVerify => json!({"is_deployed": true, "platform": "kvm"}),
            Self::SetupRoot { .. } => json!({}),
            Self::Login { .. } => json!({"token": "dry-run"}),
            Self::SetVip { .. } | Self::SetDns { .. } | Self::SetNtp { .. } => {
                json!({"job_id": DRY_RUN_ID})
            }
            Self::UpsertIpmiAccounts { .. } => json!({"success": [], "failure": []}),
            Self::ListVds => json!([]),
            Self::CreateVds { .. } => json!({"uuid": DRY_RUN_ID}),
            Self::GetVds { uuid } => json!({"uuid": uuid, "name": "", "vlans_count": 0}),
            Self::ListVlans { .. } => json!([]),
            Self::CreateVlan {
                vds_uuid,
                name,
                vlan_id,
            } => {
                json!({"name": name, "vlan_id": vlan_id, "vds_uuid": vds_uuid, "uuid": DRY_RUN_ID})
            }
            Self::GetJob { job_id } => json!({"job": {
                "job_id": job_id, "state": "done", "description": "DRY_RUN", "resources": {}
            }}),
            // The chunk size is the server's to say; a dry run plans with
            // the documented fallback.
            Self::CreateVolume { .. } => json!({
                "image_uuid": DRY_RUN_ID,
                "zbs_volume_id": DRY_RUN_ID,
                "chunk_size": FALLBACK_CHUNK_SIZE,
            }),
            Self::UploadChunk { .. } => json!({}),
            Self::DeleteImage { .. } => json!({}),
            Self::License => json!({"serial": ""}),
            Self::VipSetting => json!({"management_vip": null}),
            Self::DnsSetting => json!({"dns_servers": []}),
            Self::NtpSetting => json!({"ntp_mode": null, "ntp_servers": []}),
            Self::ListIpmiAccounts | Self::ListImages => json!([]),
            Self::RecommendedCpuModels => json!({"cpu_models": []}),
            Self::CpuCompatibility => json!({"cpu_model": null}),
            Self::SetCpuCompatibility { .. } => json!({}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dry run's answers decode the way the real ones do: ids where a
    /// step reads one, finished jobs.
    #[test]
    fn dry_run_answers_take_the_normal_path() {
        let job = Endpoint::GetJob { job_id: "j-1" }.dry_run_answer();
        assert_eq!(job["job"]["state"], "done");
        assert_eq!(job["job"]["job_id"], "j-1");
        let vlan = Endpoint::CreateVlan {
            vds_uuid: "v-1",
            name: "mgmt",
            vlan_id: 20,
        }
        .dry_run_answer();
        assert_eq!(vlan["vds_uuid"], "v-1");
        assert_eq!(vlan["vlan_id"], 20);
        assert_eq!(vlan["uuid"], DRY_RUN_ID);
        let volume = Endpoint::CreateVolume {
            name: "x.iso",
            size: 1,
        }
        .dry_run_answer();
        assert_eq!(volume["chunk_size"], FALLBACK_CHUNK_SIZE);
    }

    #[test]
    fn methods_say_whether_a_call_may_be_repeated() -> Result<(), ApiError> {
        let password = Secret::new("pw");
        let login = Endpoint::Login {
            user: "root",
            password: &password,
        }
        .request()?;
        assert_eq!(login.action(), "POST /api/v3/sessions");
        assert_eq!(login.retry, Retry::Never);
        assert_eq!(Endpoint::ListVds.request()?.retry, Retry::Transient);
        let vds = CreateVds {
            name: "vds".to_string(),
            bond_mode: "active-backup".to_string(),
            hosts_associated: Vec::new(),
        };
        let create = Endpoint::CreateVds { request: &vds }.request()?;
        assert_eq!(create.retry, Retry::Never);
        Ok(())
    }
}
