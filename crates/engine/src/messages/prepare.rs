//! `prepare`'s messages: the workbook summary, the host scans, the NIC
//! check and the deployment check.

use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize, clauses, quoted};

use super::{Action, list};

smtx_i18n::catalog! {
    pub enum PrepareMsg {
        WorkbookSummary { cluster: String, hosts: usize, networks: usize },
        WouldScan,
        ScannedUuid { uuid: String },
        /// The host's own name differs from the workbook's.
        HostnameMismatch { reported: String, planned: String, cell: String },
        ScanHint { ip: String, cell: String },
        NicsPresent { nics: Vec<String> },
        /// `(hostname, ip, nic)` for every NIC a host lacks.
        NicsMissing { missing: Vec<(String, String, String)> },
        NicsHint { cell: String },
        WouldVerify,
        Deployed,
        NotDeployed,
        NotDeployedHint,
        VerifyHint,
    }
}

impl Localize for PrepareMsg {
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        if front == FrontEnd::Cli {
            return self.localize(lang);
        }
        let map = Action::MapAddress.words(front, lang);
        match (self, lang) {
            (Self::ScanHint { ip, cell }, En) => {
                format!("check that {ip} ({cell}) is reachable, or map it to HOST:PORT in {map}")
            }
            (Self::ScanHint { ip, cell }, ZhCn) => {
                format!("确认 {ip}（{cell}）可以访问，或在{map}中把它映射到 HOST:PORT")
            }
            (Self::VerifyHint, En) => format!(
                "check that the API base is reachable ({}, {map})",
                Action::SetApiBase.words(front, lang)
            ),
            (Self::VerifyHint, ZhCn) => format!(
                "确认 API 地址可以访问（{}、{map}）",
                Action::SetApiBase.words(front, lang)
            ),
            _ => self.localize(lang),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (
                Self::WorkbookSummary {
                    cluster,
                    hosts,
                    networks,
                },
                En,
            ) => {
                format!("{cluster}: {hosts} host(s), {networks} business network(s)")
            }
            (
                Self::WorkbookSummary {
                    cluster,
                    hosts,
                    networks,
                },
                ZhCn,
            ) => {
                format!("{cluster}：{hosts} 台主机，{networks} 个业务网络")
            }
            (Self::WouldScan, En) => "would read the host's uuid, hostname and NICs".into(),
            (Self::WouldScan, ZhCn) => "将读取主机的 UUID、主机名和网口".into(),
            (Self::ScannedUuid { uuid }, En) => format!("uuid {uuid}"),
            (Self::ScannedUuid { uuid }, ZhCn) => format!("UUID 为 {uuid}"),
            (
                Self::HostnameMismatch {
                    reported,
                    planned,
                    cell,
                },
                En,
            ) => format!(
                "the host calls itself {reported:?}, the workbook says {planned:?} ({cell})"
            ),
            (
                Self::HostnameMismatch {
                    reported,
                    planned,
                    cell,
                },
                ZhCn,
            ) => format!(
                "主机自报的主机名是 {}，规划表中是 {planned}（{cell}）",
                quoted(ZhCn, reported)
            ),
            (Self::ScanHint { ip, cell }, En) => format!(
                "check that {ip} ({cell}) is reachable, or map it with --resolve {ip}=HOST:PORT"
            ),
            (Self::ScanHint { ip, cell }, ZhCn) => {
                format!("确认 {ip}（{cell}）可以访问，或用 --resolve {ip}=HOST:PORT 映射该地址")
            }
            (Self::NicsPresent { nics }, En) => {
                format!("{} present on every host", nics.join(", "))
            }
            (Self::NicsPresent { nics }, ZhCn) => format!("每台主机都有 {}", list(lang, nics)),
            (Self::NicsMissing { missing }, _) => {
                let items: Vec<String> = missing
                    .iter()
                    .map(|(host, ip, nic)| match lang {
                        En => format!("{host} ({ip}) has no NIC {nic}"),
                        ZhCn => format!("{host} ({ip}) 没有网口 {nic}"),
                    })
                    .collect();
                clauses(lang, &items)
            }
            (Self::NicsHint { cell }, En) => {
                format!("fix {cell} (business VDS NICs) or the host cabling")
            }
            (Self::NicsHint { cell }, ZhCn) => {
                format!("修正 {cell}（业务虚拟交换机的网口）或主机布线")
            }
            (Self::WouldVerify, En) => "would check that the cluster is deployed".into(),
            (Self::WouldVerify, ZhCn) => "将检查集群是否已部署".into(),
            (Self::Deployed, En) => "cluster is deployed".into(),
            (Self::Deployed, ZhCn) => "集群已部署".into(),
            (Self::NotDeployed, En) => "the cluster reports is_deployed = false".into(),
            (Self::NotDeployed, ZhCn) => "集群报告尚未部署（`is_deployed = false`）".into(),
            (Self::NotDeployedHint, En) => "finish or repair the deployment, then run again".into(),
            (Self::NotDeployedHint, ZhCn) => "完成或修复部署后重新运行".into(),
            (Self::VerifyHint, En) => {
                "check that the API base is reachable (--api-base, --resolve)".into()
            }
            (Self::VerifyHint, ZhCn) => "确认 API 地址可以访问（--api-base、--resolve）".into(),
        }
    }
}
