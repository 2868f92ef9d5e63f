//! The plan crate's message catalog: workbook diagnostics ([`Problem`]) and
//! the errors of reading a workbook ([`PlanError`]) and writing the serial
//! back ([`SerialWriteError`]), in English and Chinese. The English of an
//! error is its `Display`. Text that is not ours — what a cell holds, an
//! operating-system error, the xlsx library's reason — stays as it came,
//! in 「」 in Chinese.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize, quoted};

use crate::{
    Found, HiddenKind, Limit, LimitExceeded, PlanError, SerialWriteError, Subject,
    WorkbookFileError,
};

impl Localize for PlanError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Unreadable { file, reason }, ZhCn) => {
                format!("{file}：无法读取：{}", quoted(lang, reason))
            }
            (Self::OverLimit { file, limit }, ZhCn) => {
                format!("{file}：{}", limit.localize(lang))
            }
            (
                Self::MissingSheet {
                    file,
                    sheet,
                    present,
                },
                ZhCn,
            ) => format!(
                "{file}：缺少工作表 {sheet:?}（现有工作表：{present}）；这是 SmartX 规划设计表的副本吗？"
            ),
        }
    }
}

/// `16 MiB`, `312 字节`.
fn size_zh(count: u64) -> String {
    let text = crate::limits::size_text(count);
    match text.strip_suffix(" bytes") {
        Some(number) => format!("{number} 字节"),
        None => text,
    }
}

impl Localize for Found {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Size(size), ZhCn) => format!("大小为 {}", size_zh(*size)),
            (Self::OverSize(size), ZhCn) => format!("超过 {}", size_zh(*size)),
            (Self::Entries(count), ZhCn) => format!("含 {count} 个压缩包条目"),
            (Self::ClaimedEntries(count), ZhCn) => format!("声称含 {count} 个压缩包条目"),
            (Self::DeclaredInflated(size), ZhCn) => {
                format!("声明解压后为 {}", size_zh(*size))
            }
            (Self::InflatesPast(size), ZhCn) => format!("解压后超过 {}", size_zh(*size)),
            (Self::TotalPast(size), ZhCn) => format!("使解压总量超过 {}", size_zh(*size)),
            (Self::AnnouncedStrings(count), ZhCn) => format!("声明有 {count} 个共享字符串"),
            (Self::MoreStrings(count), ZhCn) => format!("含超过 {count} 个共享字符串"),
            (Self::CellSpan { from, to, area }, ZhCn) => {
                format!("的单元格从 {from} 到 {to}（该范围共 {area} 个单元格）")
            }
            (Self::MoreCells(count), ZhCn) => format!("含超过 {count} 个单元格"),
            (Self::MoreFormulas(count), ZhCn) => format!("含超过 {count} 个公式"),
        }
    }
}

impl Localize for Subject {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Workbook, ZhCn) => "规划表".into(),
            (Self::Entry(entry), ZhCn) => format!("条目 {entry}"),
            (Self::Sheet(sheet), ZhCn) => format!("工作表 {sheet}"),
        }
    }
}

/// The limit and its value: `文件大小上限 16 MiB`.
fn limit_zh(limit: Limit, max: u64) -> String {
    match limit {
        Limit::FileSize => format!("文件大小上限 {}", size_zh(max)),
        Limit::EntryCount => format!("条目数上限 {max}"),
        Limit::EntrySize => format!("单个条目大小上限 {}", size_zh(max)),
        Limit::TotalSize => format!("解压总量上限 {}", size_zh(max)),
        Limit::SheetCells => format!("工作表单元格数上限 {max}"),
        Limit::SharedStrings => format!("共享字符串数上限 {max}"),
    }
}

impl Localize for LimitExceeded {
    fn localize(&self, lang: Lang) -> String {
        match lang {
            En => self.to_string(),
            ZhCn => {
                // A name that ends in a path or a sheet's name needs a space
                // before the Chinese that follows it.
                let gap = if self.subject == Subject::Workbook {
                    ""
                } else {
                    " "
                };
                format!(
                    "{}{gap}{}，超出{}；规划设计表远小于此",
                    self.subject.localize(lang),
                    self.found.localize(lang),
                    limit_zh(self.limit, self.max)
                )
            }
        }
    }
}

impl Localize for WorkbookFileError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Missing, ZhCn) => "无法读取：文件不存在".into(),
            (Self::Denied, ZhCn) => "无法读取：没有读取权限".into(),
            (Self::Read { cause }, ZhCn) => format!("无法读取：{}", quoted(lang, cause)),
            (Self::Directory, ZhCn) => "无法读取：这是目录，不是规划表文件".into(),
            (Self::NotAFile, ZhCn) => "无法读取：不是普通文件（设备、管道或套接字）".into(),
            (Self::Limit(limit), ZhCn) => limit.localize(lang),
        }
    }
}

impl Localize for SerialWriteError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Failed { path, reason }, ZhCn) => format!(
                "{}：{}；规划表未被修改",
                path.display(),
                quoted(lang, reason)
            ),
            (Self::InvalidSerial { serial, reason }, ZhCn) => {
                format!("序列号 {serial:?} 无法写入：{}", quoted(lang, reason))
            }
            (Self::BadCell { cell }, ZhCn) => {
                let example = crate::layout::DEFAULT_SERIAL_CELL;
                format!("{cell:?} 不是 工作表!单元格 形式的位置（例如 {example}）")
            }
            (Self::Unreadable { path, reason }, ZhCn) => {
                format!("{}：无法读取：{}", path.display(), quoted(lang, reason))
            }
            (
                Self::SheetNotFound {
                    path,
                    sheet,
                    present,
                },
                ZhCn,
            ) => format!(
                "{}：没有工作表 {sheet:?}（现有工作表：{present}）",
                path.display()
            ),
            (Self::Occupied { path, cell, .. }, ZhCn) => {
                format!("{}：{cell} 中已有其他内容；拒绝覆盖", path.display())
            }
            (Self::ReadOnly { path }, ZhCn) => {
                format!(
                    "{}：规划表是只读的；拒绝修改（请先让它可写）",
                    path.display()
                )
            }
            (Self::File { path, error }, ZhCn) => {
                format!("{}：{}", path.display(), error.localize(lang))
            }
            (Self::InUse { path }, ZhCn) => format!(
                "{}：规划表正被其他程序占用（是否在 Excel 中打开？）；请先关闭它；规划表未被修改",
                path.display()
            ),
            (Self::FileOpen { path, lock }, ZhCn) => format!(
                "{}：规划表似乎正被办公软件打开（锁文件 {}）；请先关闭它",
                path.display(),
                lock.display()
            ),
        }
    }
}

/// Which of the workbook's virtual switches a diagnostic is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VdsRole {
    Management,
    Storage,
    Business,
}

impl VdsRole {
    fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Management, En) => "management",
            (Self::Storage, En) => "storage",
            (Self::Business, En) => "business",
            (Self::Management, ZhCn) => "管理",
            (Self::Storage, ZhCn) => "存储",
            (Self::Business, ZhCn) => "业务",
        }
    }
}

/// `U+202E (bidirectional control), U+200B (invisible)`, each character
/// with why it is hidden.
fn hidden_list(characters: &[char], lang: Lang) -> String {
    let items: Vec<String> = characters
        .iter()
        .map(|&c| {
            let kind = match (crate::hidden_kind(c), lang) {
                (Some(HiddenKind::Control), En) => "control character",
                (Some(HiddenKind::Bidi), En) => "bidirectional control",
                (Some(HiddenKind::Invisible) | None, En) => "invisible",
                (Some(HiddenKind::Control), ZhCn) => "控制字符",
                (Some(HiddenKind::Bidi), ZhCn) => "双向文字控制符",
                (Some(HiddenKind::Invisible) | None, ZhCn) => "不可见字符",
            };
            match lang {
                En => format!("{} ({kind})", crate::code_point(c)),
                ZhCn => format!("{}（{kind}）", crate::code_point(c)),
            }
        })
        .collect();
    smtx_i18n::list(lang, &items)
}

smtx_i18n::catalog! {
    /// What is wrong with a workbook cell: the message of a [`Diagnostic`].
    ///
    /// [`Diagnostic`]: crate::Diagnostic
    pub enum Problem {
        NotIpv4 { text: String },
        PasswordSpaces,
        /// A name cell holds characters a reader cannot see (see
        /// [`hidden_kind`](crate::hidden_kind)), each once, in order.
        HiddenCharacters { characters: Vec<char> },
        ClusterNameEmpty,
        HostRowIgnored,
        TooManyHosts { count: usize, max: usize, first_row: u32, last_row: u32 },
        NoHosts,
        /// `reason` is [`check_hostname`](crate::check_hostname)'s.
        BadHostname { name: String, reason: String },
        HostnameEmpty,
        ManagementIpEmpty,
        BmcEmpty,
        BmcPasswordEmpty,
        HostPasswordEmpty { user: String },
        RootPasswordEmpty { cell: String },
        DuplicateHostname { name: String, first: String },
        DuplicateAddress { ip: String, first: String },
        VipEmpty,
        VipIsHostAddress { vip: String, cell: String },
        UnsupportedArchitecture { text: String },
        ArchitectureEmpty,
        FisheyePasswordEmpty,
        VdsNoName { role: VdsRole },
        VdsNoNics { role: VdsRole },
        BadBondMode { text: String },
        /// Under 存储独立 the business-VDS row is ignored.
        BusinessVdsIgnored { cells: Vec<String>, management: Option<String> },
        ManagementVdsUnnamed,
        BusinessVdsUnnamed,
        NoBusinessVdsForNetworks { networks: String, architecture_cell: String },
        NetworkRowIgnored,
        NoBusinessNetworks,
        BadVlanId { text: String },
        NoVlanId { name: String },
        /// `reason` is the subnet parser's (it names the text).
        BadSubnet { text: String, reason: String },
        GatewayOutsideSubnet { gateway: String, subnet: String },
        DuplicateNetworkName { name: String, first: String },
        DuplicateVlanId { vlan_id: u16, first: String },
        BadDns { item: String },
        NoDns,
        BadNtp { item: String },
        NoNtp,
    }
}

impl Localize for Problem {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::NotIpv4 { text }, En) => format!("{text:?} is not an IPv4 address"),
            (Self::NotIpv4 { text }, ZhCn) => format!("{} 不是 IPv4 地址", quoted(lang, text)),
            (Self::PasswordSpaces, En) => "the password starts or ends with a space; the space is kept as part of the password (delete it in the workbook if it was not meant)".into(),
            (Self::PasswordSpaces, ZhCn) => "密码以空格开头或结尾；空格会作为密码的一部分保留（如果不是有意的，请在规划表中删除）".into(),
            (Self::HiddenCharacters { characters }, En) => format!(
                "the name contains {}: characters that do not show, or that reorder the text around them, so the name does not read as it is stored; it is kept as typed, since the cluster gets exactly this name: retype it in the workbook if they were not meant",
                hidden_list(characters, lang)
            ),
            (Self::HiddenCharacters { characters }, ZhCn) => format!(
                "名称中含有 {}：这些字符不显示，或会改变周围文字的显示顺序，名称看起来与实际不同；名称按原样保留（集群得到的正是这个名称）：如果不是有意输入的，请在规划表中重新输入",
                hidden_list(characters, lang)
            ),
            (Self::ClusterNameEmpty, En) => "the cluster name is empty".into(),
            (Self::ClusterNameEmpty, ZhCn) => "集群名称为空".into(),
            (Self::HostRowIgnored, En) => "this row has a BMC or storage address but no hostname or management IP: ignored".into(),
            (Self::HostRowIgnored, ZhCn) => "此行有带外地址或存储地址，但没有主机名和管理地址：已忽略".into(),
            (Self::TooManyHosts { count, max, first_row, last_row }, En) => format!(
                "{count} hosts: a cluster in this workbook holds at most {max} (rows {first_row} to {last_row})"
            ),
            (Self::TooManyHosts { count, max, first_row, last_row }, ZhCn) => format!(
                "{count} 台主机：本规划表中一个集群最多 {max} 台（第 {first_row} 到 {last_row} 行）"
            ),
            (Self::NoHosts, En) => "no hosts: fill in at least one host (hostname and management IP)".into(),
            (Self::NoHosts, ZhCn) => "没有主机：请至少填写一台主机（主机名和管理地址）".into(),
            (Self::BadHostname { name, reason }, En) => format!("{name:?} {reason}"),
            (Self::BadHostname { name, .. }, ZhCn) => format!(
                "{} 不是有效的主机名：只能用字母、数字和 '-'，长度 1 到 63 个字符，且不能以 '-' 开头或结尾",
                quoted(lang, name)
            ),
            (Self::HostnameEmpty, En) => "the hostname is empty".into(),
            (Self::HostnameEmpty, ZhCn) => "主机名为空".into(),
            (Self::ManagementIpEmpty, En) => "the management IP is empty".into(),
            (Self::ManagementIpEmpty, ZhCn) => "管理地址为空".into(),
            (Self::BmcEmpty, En) => "the BMC address is empty: the BMC account step skips this host".into(),
            (Self::BmcEmpty, ZhCn) => "带外地址为空：BMC 账号步骤跳过这台主机".into(),
            (Self::BmcPasswordEmpty, En) => "the BMC password is empty: the template's default BMC password (LAYOUT.md) is stored for this host".into(),
            (Self::BmcPasswordEmpty, ZhCn) => "带外密码为空：这台主机保存模板的默认带外密码（见 LAYOUT.md）".into(),
            (Self::HostPasswordEmpty { user }, En) => format!(
                "the host password is empty: the template's default host password (LAYOUT.md) is set for {user}"
            ),
            (Self::HostPasswordEmpty { user }, ZhCn) => format!(
                "主机密码为空：{user} 将被设置为模板的默认主机密码（见 LAYOUT.md）"
            ),
            (Self::RootPasswordEmpty { cell }, En) => {
                format!("the root password is empty: root gets the host password of {cell}")
            }
            (Self::RootPasswordEmpty { cell }, ZhCn) => {
                format!("root 密码为空：root 使用 {cell} 的主机密码")
            }
            (Self::DuplicateHostname { name, first }, En) => {
                format!("duplicate hostname {name:?}: also at {first}")
            }
            (Self::DuplicateHostname { name, first }, ZhCn) => {
                format!("主机名 {} 重复：{first} 中也有", quoted(lang, name))
            }
            (Self::DuplicateAddress { ip, first }, En) => {
                format!("duplicate address {ip}: also at {first}")
            }
            (Self::DuplicateAddress { ip, first }, ZhCn) => {
                format!("地址 {ip} 重复：{first} 中也有")
            }
            (Self::VipEmpty, En) => "the cluster VIP is empty: the stage skips setting it".into(),
            (Self::VipEmpty, ZhCn) => "集群 VIP 为空：配置阶段不设置 VIP".into(),
            (Self::VipIsHostAddress { vip, cell }, En) => {
                format!("the VIP {vip} is also a host address ({cell})")
            }
            (Self::VipIsHostAddress { vip, cell }, ZhCn) => {
                format!("VIP {vip} 同时是主机地址（{cell}）")
            }
            (Self::UnsupportedArchitecture { text }, En) => format!(
                "{text:?} is not supported: use 三网独立 (three separate networks) or 存储独立 (management & business converged, storage separate)"
            ),
            (Self::UnsupportedArchitecture { text }, ZhCn) => format!(
                "不支持 {}：请用 三网独立（三个网络分开）或 存储独立（管理与业务融合，存储单独）",
                quoted(lang, text)
            ),
            (Self::ArchitectureEmpty, En) => "the network architecture is empty: use 三网独立 or 存储独立".into(),
            (Self::ArchitectureEmpty, ZhCn) => "网络架构为空：请用 三网独立 或 存储独立".into(),
            (Self::FisheyePasswordEmpty, En) => "the Fisheye admin password is empty".into(),
            (Self::FisheyePasswordEmpty, ZhCn) => "Fisheye 管理员密码为空".into(),
            (Self::VdsNoName { role }, En) => format!("the {} VDS has no name", role.name(lang)),
            (Self::VdsNoName { role }, ZhCn) => {
                format!("{}虚拟交换机没有名称", role.name(lang))
            }
            (Self::VdsNoNics { role }, En) => {
                format!("the {} VDS lists no host NICs", role.name(lang))
            }
            (Self::VdsNoNics { role }, ZhCn) => {
                format!("{}虚拟交换机没有填写主机网口", role.name(lang))
            }
            (Self::BadBondMode { text }, En) => format!(
                "{text:?} is not a bond mode: use active-backup, balance-slb or balance-tcp"
            ),
            (Self::BadBondMode { text }, ZhCn) => format!(
                "{} 不是网口绑定模式：请用 active-backup、balance-slb 或 balance-tcp",
                quoted(lang, text)
            ),
            (Self::BusinessVdsIgnored { cells, management }, En) => {
                let home = match management {
                    Some(name) => format!("the management VDS {name}"),
                    None => "the management VDS".to_string(),
                };
                format!(
                    "the business VDS ({}) is ignored under 存储独立: business networks go on {home}",
                    cells.join(", ")
                )
            }
            (Self::BusinessVdsIgnored { cells, management }, ZhCn) => {
                let home = match management {
                    Some(name) => format!("管理虚拟交换机 {name} "),
                    None => "管理虚拟交换机".to_string(),
                };
                format!(
                    "存储独立 下忽略业务虚拟交换机（{}）：业务网络放在{home}上",
                    smtx_i18n::list(lang, cells)
                )
            }
            (Self::ManagementVdsUnnamed, En) => "存储独立 puts the business networks on the management VDS, but it has no name".into(),
            (Self::ManagementVdsUnnamed, ZhCn) => "存储独立 把业务网络放在管理虚拟交换机上，但它没有名称".into(),
            (Self::BusinessVdsUnnamed, En) => "the business VDS has no name, but its NICs or bond mode are filled in".into(),
            (Self::BusinessVdsUnnamed, ZhCn) => "业务虚拟交换机没有名称，但填写了网口或绑定模式".into(),
            (Self::NoBusinessVdsForNetworks { networks, architecture_cell }, En) => format!(
                "business networks are planned ({networks}) but there is no business VDS to put them on: name it here, or choose 存储独立 in {architecture_cell} to put them on the management VDS"
            ),
            (Self::NoBusinessVdsForNetworks { networks, architecture_cell }, ZhCn) => format!(
                "规划了业务网络（{networks}），但没有承载它们的业务虚拟交换机：请在此填写名称，或在 {architecture_cell} 选择 存储独立，把它们放在管理虚拟交换机上"
            ),
            (Self::NetworkRowIgnored, En) => "this row has a VLAN, subnet or gateway but no network name: ignored".into(),
            (Self::NetworkRowIgnored, ZhCn) => "此行有 VLAN、子网或网关，但没有网络名称：已忽略".into(),
            (Self::NoBusinessNetworks, En) => "no business networks: the stage skips creating VLANs".into(),
            (Self::NoBusinessNetworks, ZhCn) => "没有业务网络：配置阶段不创建 VLAN".into(),
            (Self::BadVlanId { text }, En) => {
                format!("{text:?} is not a VLAN ID (an integer from 0 to 4094)")
            }
            (Self::BadVlanId { text }, ZhCn) => {
                format!("{} 不是 VLAN ID（0 到 4094 的整数）", quoted(lang, text))
            }
            (Self::NoVlanId { name }, En) => {
                format!("network {name:?} has no VLAN ID (0 for untagged)")
            }
            (Self::NoVlanId { name }, ZhCn) => {
                format!("网络 {} 没有 VLAN ID（不打标签请填 0）", quoted(lang, name))
            }
            (Self::BadSubnet { reason, .. }, En) => reason.clone(),
            (Self::BadSubnet { text, .. }, ZhCn) => format!(
                "{} 不是 CIDR 形式的子网（a.b.c.d/n，前缀长度 0 到 32）",
                quoted(lang, text)
            ),
            (Self::GatewayOutsideSubnet { gateway, subnet }, En) => {
                format!("the gateway {gateway} is not inside the subnet {subnet}")
            }
            (Self::GatewayOutsideSubnet { gateway, subnet }, ZhCn) => {
                format!("网关 {gateway} 不在子网 {subnet} 内")
            }
            (Self::DuplicateNetworkName { name, first }, En) => {
                format!("duplicate network name {name:?}: also at {first}")
            }
            (Self::DuplicateNetworkName { name, first }, ZhCn) => {
                format!("网络名称 {} 重复：{first} 中也有", quoted(lang, name))
            }
            (Self::DuplicateVlanId { vlan_id, first }, En) => {
                format!("duplicate VLAN ID {vlan_id}: also at {first}")
            }
            (Self::DuplicateVlanId { vlan_id, first }, ZhCn) => {
                format!("VLAN ID {vlan_id} 重复：{first} 中也有")
            }
            (Self::BadDns { item }, En) => {
                format!("{item:?} is not an IPv4 address (DNS servers must be IPs)")
            }
            (Self::BadDns { item }, ZhCn) => {
                format!("{} 不是 IPv4 地址（DNS 服务器必须填 IP 地址）", quoted(lang, item))
            }
            (Self::NoDns, En) => "no DNS servers: the run leaves DNS as it is and warns".into(),
            (Self::NoDns, ZhCn) => "没有 DNS 服务器：运行时保持 DNS 不变，并给出警告".into(),
            (Self::BadNtp { item }, En) => {
                format!("{item:?} is neither an IPv4 address nor a domain name")
            }
            (Self::BadNtp { item }, ZhCn) => format!("{} 既不是 IPv4 地址，也不是域名", quoted(lang, item)),
            (Self::NoNtp, En) => "no NTP servers: the run leaves NTP as it is and warns".into(),
            (Self::NoNtp, ZhCn) => "没有 NTP 服务器：运行时保持 NTP 不变，并给出警告".into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en())
    }
}

/// Serialized as its English text: `plan check --json` is unchanged.
impl serde::Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.en())
    }
}

/// A template column header that is English in the workbook, as a Chinese
/// reader knows it; every other field name is the workbook's own Chinese.
pub(crate) fn field_name(field: &str, lang: Lang) -> &str {
    match (lang, field) {
        (ZhCn, "SubNetwork") => "子网",
        (ZhCn, "Gateway") => "网关",
        _ => field,
    }
}
