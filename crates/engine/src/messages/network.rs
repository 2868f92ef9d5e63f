//! The messages of the business VDS and VLAN steps.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize, Text};

use super::list;

smtx_i18n::catalog! {
    pub enum NetworkMsg {
        SharedNoNetworks { cells: String },
        NoBusinessVds { cell: String },
        WouldLookUpManagement { name: String },
        OnManagement { name: String, uuid: String },
        ManagementMissing { name: String },
        ManagementHint { cell: String },
        VdsExists { name: String, uuid: String },
        LookFirstHint,
        WouldCreateVds { name: String, bond: String, nics: Vec<String> },
        /// Created; `job` is the job that created it, if there was one.
        VdsCreated { name: String, uuid: String, job: Option<String>, bond: String, nics: Vec<String> },
        JobWithoutVds { job: String, name: String },
        NetworksNotCreated { count: usize },
        NetworksNotCreatedHint,
        NoNetworks { cells: String },
        CannotListVlans { error: Text },
        VlanExists { uuid: String },
        VlanNameTaken { name: String, vlan_id: u16 },
        FixVlanIdHint { cell: String },
        VlanIdTaken { vlan_id: u16, name: String },
        FixVlanNameHint { cell: String },
        WouldCreateVlan { vds: String },
        VlanCreated { uuid: String },
        WouldVerify { count: usize },
        VlansMissing { vds: String, names: Vec<String> },
        VlansCountLow { count: u64, expected: usize },
        VlansVerified { vds: String, count: u64, expected: usize },
    }
}

impl Localize for NetworkMsg {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::SharedNoNetworks { cells }, En) => {
                format!("存储独立 and no business networks in the workbook ({cells})")
            }
            (Self::SharedNoNetworks { cells }, ZhCn) => {
                format!("存储独立，且规划表中没有业务网络（{cells}）")
            }
            (Self::NoBusinessVds { cell }, En) => {
                format!("no business VDS in the workbook ({cell})")
            }
            (Self::NoBusinessVds { cell }, ZhCn) => {
                format!("规划表中没有业务虚拟交换机（{cell}）")
            }
            (Self::WouldLookUpManagement { name }, En) => format!(
                "存储独立: would look up the management VDS {name} for the business networks"
            ),
            (Self::WouldLookUpManagement { name }, ZhCn) => {
                format!("存储独立：将查找管理虚拟交换机 {name}，业务网络放在它上面")
            }
            (Self::OnManagement { name, uuid }, En) => {
                format!("存储独立: business networks go on the management VDS {name} ({uuid})")
            }
            (Self::OnManagement { name, uuid }, ZhCn) => {
                format!("存储独立：业务网络放在管理虚拟交换机 {name}（{uuid}）上")
            }
            (Self::ManagementMissing { name }, En) => {
                format!("存储独立: management VDS {name:?} not found on the cluster")
            }
            (Self::ManagementMissing { name }, ZhCn) => {
                format!("存储独立：集群上找不到管理虚拟交换机 {name:?}")
            }
            (Self::ManagementHint { cell }, En) => {
                format!("check {cell} against the VDS names in Fisheye")
            }
            (Self::ManagementHint { cell }, ZhCn) => {
                format!("对照 Fisheye 中的虚拟交换机名称检查 {cell}")
            }
            (Self::VdsExists { name, uuid }, En) => format!("{name} already exists ({uuid})"),
            (Self::VdsExists { name, uuid }, ZhCn) => format!("{name} 已存在（{uuid}）"),
            (Self::LookFirstHint, En) => {
                "fix the cause and run again: the switch is looked up before it is created".into()
            }
            (Self::LookFirstHint, ZhCn) => {
                "排除原因后重新运行：创建之前会先按名称查找该交换机".into()
            }
            (Self::WouldCreateVds { name, bond, nics }, En) => {
                format!("would create {name}, bond {bond}, NICs {}", nics.join(","))
            }
            (Self::WouldCreateVds { name, bond, nics }, ZhCn) => {
                format!("将创建 {name}，绑定模式 {bond}，网口 {}", list(lang, nics))
            }
            (
                Self::VdsCreated {
                    name,
                    uuid,
                    job,
                    bond,
                    nics,
                },
                En,
            ) => {
                let how = match job {
                    Some(job) => format!("created by job {job}"),
                    None => "created".to_string(),
                };
                format!(
                    "{name} {how} ({uuid}), bond {bond}, NICs {}",
                    nics.join(",")
                )
            }
            (
                Self::VdsCreated {
                    name,
                    uuid,
                    job,
                    bond,
                    nics,
                },
                ZhCn,
            ) => {
                let how = match job {
                    Some(job) => format!("已由任务 {job} 创建"),
                    None => "已创建".to_string(),
                };
                format!(
                    "{name} {how}（{uuid}），绑定模式 {bond}，网口 {}",
                    list(lang, nics)
                )
            }
            (Self::JobWithoutVds { job, name }, En) => {
                format!("job {job} finished but no VDS named {name} exists")
            }
            (Self::JobWithoutVds { job, name }, ZhCn) => {
                format!("任务 {job} 已结束，但不存在名为 {name} 的虚拟交换机")
            }
            (Self::NetworksNotCreated { count }, En) => format!(
                "{count} business network(s) not created: no virtual switch to put them on (see business_vds)"
            ),
            (Self::NetworksNotCreated { count }, ZhCn) => format!(
                "{count} 个业务网络未创建：没有可以承载它们的虚拟交换机（见 business_vds 步骤）"
            ),
            (Self::NetworksNotCreatedHint, En) => {
                "fix what business_vds reports and run again".into()
            }
            (Self::NetworksNotCreatedHint, ZhCn) => {
                "按 business_vds 步骤报告的问题处理后重新运行".into()
            }
            (Self::NoNetworks { cells }, En) => {
                format!("no business networks in the workbook ({cells})")
            }
            (Self::NoNetworks { cells }, ZhCn) => format!("规划表中没有业务网络（{cells}）"),
            (Self::CannotListVlans { error }, En) => {
                format!("cannot list the VLANs: {}", error.en)
            }
            (Self::CannotListVlans { error }, ZhCn) => {
                format!("无法列出 VLAN：{}", error.zh_cn)
            }
            (Self::VlanExists { uuid }, En) => format!("already exists ({uuid})"),
            (Self::VlanExists { uuid }, ZhCn) => format!("已存在（{uuid}）"),
            (Self::VlanNameTaken { name, vlan_id }, En) => {
                format!("a network named {name} exists with VLAN {vlan_id} instead")
            }
            (Self::VlanNameTaken { name, vlan_id }, ZhCn) => {
                format!("已有名为 {name} 的网络，但它的 VLAN 是 {vlan_id}")
            }
            (Self::FixVlanIdHint { cell }, En) => {
                format!("fix {cell} or the network in Fisheye")
            }
            (Self::FixVlanIdHint { cell }, ZhCn) => {
                format!("修正 {cell} 或 Fisheye 中的该网络")
            }
            (Self::VlanIdTaken { vlan_id, name }, En) => {
                format!("VLAN {vlan_id} is already used by network {name}")
            }
            (Self::VlanIdTaken { vlan_id, name }, ZhCn) => {
                format!("VLAN {vlan_id} 已被网络 {name} 使用")
            }
            (Self::FixVlanNameHint { cell }, En) => {
                format!("fix {cell} or the network in Fisheye")
            }
            (Self::FixVlanNameHint { cell }, ZhCn) => {
                format!("修正 {cell} 或 Fisheye 中的该网络")
            }
            (Self::WouldCreateVlan { vds }, En) => format!("would create it on {vds}"),
            (Self::WouldCreateVlan { vds }, ZhCn) => format!("将在 {vds} 上创建"),
            (Self::VlanCreated { uuid }, En) => format!("created ({uuid})"),
            (Self::VlanCreated { uuid }, ZhCn) => format!("已创建（{uuid}）"),
            (Self::WouldVerify { count }, En) => format!("would check {count} VLAN(s)"),
            (Self::WouldVerify { count }, ZhCn) => format!("将核对 {count} 个 VLAN"),
            (Self::VlansMissing { vds, names }, En) => {
                format!("missing on {vds}: {}", names.join(", "))
            }
            (Self::VlansMissing { vds, names }, ZhCn) => {
                format!("{vds} 上缺少：{}", list(lang, names))
            }
            (Self::VlansCountLow { count, expected }, En) => {
                format!("vlans_count is {count}, expected at least {expected}")
            }
            (Self::VlansCountLow { count, expected }, ZhCn) => {
                format!("vlans_count 为 {count}，应至少为 {expected}")
            }
            (
                Self::VlansVerified {
                    vds,
                    count,
                    expected,
                },
                En,
            ) => {
                format!("{vds} has {count} VLAN(s), all {expected} planned present")
            }
            (
                Self::VlansVerified {
                    vds,
                    count,
                    expected,
                },
                ZhCn,
            ) => {
                format!("{vds} 有 {count} 个 VLAN，规划的 {expected} 个全部存在")
            }
        }
    }
}
