//! The workbook's sections read into the plan, each problem located to its
//! cell: hosts, the cluster row, the Fisheye admin, the virtual switches and
//! business networks, DNS and NTP. Cell access and the diagnostics' plumbing
//! are in the parent module; the syntax of one field is in `values`.

use super::*;

impl PlanReader {
    // -----------------------------------------------------------------------
    // The plan

    pub(super) fn read_plan(&mut self) -> Plan {
        let network = layout::NETWORK_SHEET;
        let cluster_name = match self.text(network, layout::CLUSTER_NAME) {
            Some(name) => name,
            None => {
                self.error(
                    network,
                    layout::CLUSTER_NAME,
                    "集群名称",
                    Problem::ClusterNameEmpty,
                );
                String::new()
            }
        };
        let cluster_row = self.cluster_row();
        let hosts = self.read_hosts(cluster_row);
        let cluster = self.read_cluster(cluster_name, cluster_row, &hosts);
        let fisheye = self.read_fisheye(cluster_row);
        let management_vds = self.read_vds(layout::MANAGEMENT_VDS_ROW, VdsRole::Management, false);
        let storage_vds = self.read_vds(layout::STORAGE_VDS_ROW, VdsRole::Storage, false);
        let business_networks = self.read_business_networks();
        let business_vds = self.read_business_vds(
            &cluster,
            cluster_row,
            &business_networks,
            management_vds.as_ref(),
        );
        let dns_servers = self.read_dns();
        let ntp_servers = self.read_ntp();
        Plan {
            cluster,
            management_vds: management_vds.unwrap_or_else(empty_vds),
            storage_vds: storage_vds.unwrap_or_else(empty_vds),
            business_vds,
            business_networks,
            hosts,
            dns_servers,
            ntp_servers,
            fisheye,
        }
    }

    /// The row of `Cluster SN` on 主机规划: 19 in the template, lower when a
    /// user inserted host rows (which is how more than 16 hosts show up).
    fn cluster_row(&self) -> u32 {
        let sheet = layout::HOST_SHEET;
        (layout::CLUSTER_ROW..layout::CLUSTER_ROW + 200)
            .find(|row| {
                self.text(sheet, &format!("D{row}"))
                    .is_some_and(|label| label.eq_ignore_ascii_case(layout::SERIAL_LABEL))
            })
            .unwrap_or(layout::CLUSTER_ROW)
    }

    fn read_hosts(&mut self, cluster_row: u32) -> Vec<HostPlan> {
        let sheet = layout::HOST_SHEET;
        let mut hosts = Vec::new();
        for row in layout::HOST_FIRST_ROW..cluster_row {
            let hostname = self.text(sheet, &format!("H{row}"));
            let management = self.text(sheet, &format!("I{row}"));
            // J and L are pre-filled on every row, so only H or I make a host.
            if hostname.is_none() && management.is_none() {
                let stray = ["E", "N"]
                    .iter()
                    .any(|col| self.text(sheet, &format!("{col}{row}")).is_some());
                if stray {
                    self.warning(sheet, &format!("H{row}"), "主机名", Problem::HostRowIgnored);
                }
                continue;
            }
            hosts.push(self.read_host(row, hostname));
        }
        if hosts.len() > layout::MAX_HOSTS {
            let first_extra = hosts
                .get(layout::MAX_HOSTS)
                .map_or(cluster_row, |host| host.row);
            self.error(
                sheet,
                &format!("H{first_extra}"),
                "主机名",
                Problem::TooManyHosts {
                    count: hosts.len(),
                    max: layout::MAX_HOSTS,
                    first_row: layout::HOST_FIRST_ROW,
                    last_row: layout::HOST_FIRST_ROW + 15,
                },
            );
        }
        if hosts.is_empty() {
            self.error(
                sheet,
                &format!("H{}", layout::HOST_FIRST_ROW),
                "主机名",
                Problem::NoHosts,
            );
        }
        self.check_host_duplicates(&hosts);
        hosts
    }

    fn read_host(&mut self, row: u32, hostname: Option<String>) -> HostPlan {
        let sheet = layout::HOST_SHEET;
        let cell = |col: &str| format!("{col}{row}");
        let hostname = match hostname {
            Some(name) => {
                if let Err(reason) = check_hostname(&name) {
                    self.error(
                        sheet,
                        &cell("H"),
                        "主机名",
                        Problem::BadHostname {
                            name: name.clone(),
                            reason: reason.to_string(),
                        },
                    );
                }
                name
            }
            None => {
                self.error(sheet, &cell("H"), "主机名", Problem::HostnameEmpty);
                String::new()
            }
        };
        let mut invalid = InvalidCells::default();
        let mut bmc_invalid = InvalidCells::default();
        let management_ip = match self.ipv4(sheet, &cell("I"), "管理地址") {
            Some(Ok(ip)) => ip,
            Some(Err(raw)) => {
                invalid.insert("management_ip", raw);
                Ipv4Addr::UNSPECIFIED
            }
            None => {
                self.error(sheet, &cell("I"), "管理地址", Problem::ManagementIpEmpty);
                Ipv4Addr::UNSPECIFIED
            }
        };
        let storage_ip = match self.ipv4(sheet, &cell("N"), "存储IP") {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                invalid.insert("storage_ip", raw);
                None
            }
            None => None,
        };
        let bmc_cell = self.ipv4(sheet, &cell("E"), "带外地址");
        let bmc_ip = match bmc_cell.clone() {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                bmc_invalid.insert("ip", raw);
                None
            }
            None => {
                self.warning(sheet, &cell("E"), "带外地址", Problem::BmcEmpty);
                None
            }
        };
        let bmc_user = self
            .text(sheet, &cell("F"))
            .unwrap_or_else(|| layout::DEFAULT_BMC_USER.to_string());
        let bmc_password = match self.password(sheet, &cell("G"), "带外密码") {
            Some(password) => password,
            None => {
                // Only a host with a BMC address gets a BMC account.
                if bmc_cell.is_some() {
                    self.warning(sheet, &cell("G"), "带外密码", Problem::BmcPasswordEmpty);
                }
                layout::DEFAULT_BMC_PASSWORD.to_string()
            }
        };
        let ssh_user = self
            .text(sheet, &cell("J"))
            .unwrap_or_else(|| layout::DEFAULT_SSH_USER.to_string());
        let ssh_password = match self.password(sheet, &cell("K"), "密码") {
            Some(password) => password,
            None => {
                self.warning(
                    sheet,
                    &cell("K"),
                    "密码",
                    Problem::HostPasswordEmpty {
                        user: ssh_user.clone(),
                    },
                );
                layout::DEFAULT_SSH_PASSWORD.to_string()
            }
        };
        let root_password = match self.password(sheet, &cell("M"), "密码") {
            Some(password) => password,
            None => {
                self.warning(
                    sheet,
                    &cell("M"),
                    "密码",
                    Problem::RootPasswordEmpty {
                        cell: format!("{sheet}!K{row}"),
                    },
                );
                ssh_password.clone()
            }
        };
        HostPlan {
            row,
            hostname,
            management_ip,
            storage_ip,
            bmc: BmcPlan {
                ip: bmc_ip,
                user: bmc_user,
                password: Secret::new(bmc_password),
                invalid: bmc_invalid,
            },
            ssh_user,
            ssh_password: Secret::new(ssh_password),
            root_password: Secret::new(root_password),
            invalid,
        }
    }

    /// Hostnames (case-insensitive) and every host address must be unique:
    /// one IP cannot be a management, storage and BMC address at once.
    fn check_host_duplicates(&mut self, hosts: &[HostPlan]) {
        let sheet = layout::HOST_SHEET;
        let mut names: HashMap<String, u32> = HashMap::new();
        let mut addresses: HashMap<Ipv4Addr, String> = HashMap::new();
        let mut found = Vec::new();
        for host in hosts {
            if !host.hostname.is_empty() {
                let key = host.hostname.to_ascii_lowercase();
                if let Some(first) = names.get(&key) {
                    found.push((
                        format!("H{}", host.row),
                        "主机名",
                        Problem::DuplicateHostname {
                            name: host.hostname.clone(),
                            first: format!("{sheet}!H{first}"),
                        },
                    ));
                } else {
                    names.insert(key, host.row);
                }
            }
            let ips = [
                ("I", "管理地址", Some(host.management_ip)),
                ("N", "存储IP", host.storage_ip),
                ("E", "带外地址", host.bmc.ip),
            ];
            for (col, field, ip) in ips {
                let Some(ip) = ip.filter(|ip| !ip.is_unspecified()) else {
                    continue;
                };
                let here = format!("{col}{}", host.row);
                if let Some(first) = addresses.get(&ip) {
                    found.push((
                        here,
                        field,
                        Problem::DuplicateAddress {
                            ip: ip.to_string(),
                            first: format!("{sheet}!{first}"),
                        },
                    ));
                } else {
                    addresses.insert(ip, here);
                }
            }
        }
        for (cell, field, message) in found {
            self.error(sheet, &cell, field, message);
        }
    }

    fn read_cluster(&mut self, name: String, cluster_row: u32, hosts: &[HostPlan]) -> ClusterPlan {
        let sheet = layout::HOST_SHEET;
        let vip_cell = format!("{}{cluster_row}", layout::VIP_COLUMN);
        let mut invalid = InvalidCells::default();
        let vip = match self.ipv4(sheet, &vip_cell, "集群VIP") {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                invalid.insert("vip", raw);
                None
            }
            None => {
                self.warning(sheet, &vip_cell, "集群VIP", Problem::VipEmpty);
                None
            }
        };
        if let Some(vip) = vip {
            for host in hosts {
                let taken = [
                    ("I", Some(host.management_ip)),
                    ("N", host.storage_ip),
                    ("E", host.bmc.ip),
                ];
                for (col, ip) in taken {
                    if ip == Some(vip) {
                        self.error(
                            sheet,
                            &vip_cell,
                            "集群VIP",
                            Problem::VipIsHostAddress {
                                vip: vip.to_string(),
                                cell: format!("{sheet}!{col}{}", host.row),
                            },
                        );
                    }
                }
            }
        }
        let serial = self
            .text(sheet, &format!("{}{cluster_row}", layout::SERIAL_COLUMN))
            .filter(|serial| !crate::serial::is_placeholder(serial));
        let storage_architecture = self.text(sheet, &format!("Q{cluster_row}"));
        let arch_cell = format!("Q{}", cluster_row + 1);
        let network_architecture = match self.text(sheet, &arch_cell) {
            Some(text) => match parse_network_architecture(&text) {
                Some(architecture) => architecture,
                None => {
                    self.error(
                        sheet,
                        &arch_cell,
                        "网络架构",
                        Problem::UnsupportedArchitecture { text: text.clone() },
                    );
                    NetworkArchitecture::Other(text)
                }
            },
            None => {
                self.error(sheet, &arch_cell, "网络架构", Problem::ArchitectureEmpty);
                NetworkArchitecture::Other(String::new())
            }
        };
        ClusterPlan {
            name,
            vip,
            network_architecture,
            storage_architecture,
            serial,
            invalid,
            row: cluster_row,
        }
    }

    fn read_fisheye(&mut self, cluster_row: u32) -> FisheyeAdmin {
        let sheet = layout::HOST_SHEET;
        let user = self
            .text(
                sheet,
                &format!("{}{cluster_row}", layout::FISHEYE_USER_COLUMN),
            )
            .unwrap_or_else(|| layout::DEFAULT_FISHEYE_USER.to_string());
        let password_cell = format!("{}{cluster_row}", layout::FISHEYE_PASSWORD_COLUMN);
        let password = match self.password(sheet, &password_cell, "集群管理员密码") {
            Some(password) => password,
            None => {
                self.error(
                    sheet,
                    &password_cell,
                    "集群管理员密码",
                    Problem::FisheyePasswordEmpty,
                );
                String::new()
            }
        };
        FisheyeAdmin {
            user,
            password: Secret::new(password),
        }
    }

    /// A VDS row on 虚拟网络 (C name, J NICs, K bond mode). `None` when the
    /// row is empty. `required` makes missing NICs an error.
    fn read_vds(&mut self, row: u32, role: VdsRole, required: bool) -> Option<VdsPlan> {
        let sheet = layout::NETWORK_SHEET;
        let name = self.text(sheet, &format!("C{row}"));
        let nics_text = self.text(sheet, &format!("J{row}"));
        let bond_text = self.text(sheet, &format!("K{row}"));
        if name.is_none() && nics_text.is_none() && bond_text.is_none() && !required {
            return None;
        }
        let name = name.unwrap_or_else(|| {
            let severity = if required {
                Severity::Error
            } else {
                Severity::Warning
            };
            self.push(
                severity,
                sheet,
                &format!("C{row}"),
                "虚拟交换机",
                Problem::VdsNoName { role },
            );
            String::new()
        });
        let nics = nics_text.as_deref().map(split_list).unwrap_or_default();
        let mut invalid = InvalidCells::default();
        if nics.is_empty() && required {
            self.error(
                sheet,
                &format!("J{row}"),
                "主机端口",
                Problem::VdsNoNics { role },
            );
        }
        let bond_mode = match bond_text {
            Some(text) => match parse_bond_mode(&text) {
                Some(mode) => mode,
                None => {
                    self.error(
                        sheet,
                        &format!("K{row}"),
                        "网口绑定模式",
                        Problem::BadBondMode { text: text.clone() },
                    );
                    invalid.insert("bond_mode", text);
                    BondMode::ActiveBackup
                }
            },
            None => BondMode::ActiveBackup,
        };
        Some(VdsPlan {
            name,
            nics,
            bond_mode,
            invalid,
        })
    }

    /// The business VDS of row 8, as the architecture reads it: under
    /// 存储独立 the row is ignored (the networks go on the management VDS,
    /// which is what a site leaves the row empty for); under 三网独立 the
    /// networks need it.
    fn read_business_vds(
        &mut self,
        cluster: &ClusterPlan,
        cluster_row: u32,
        networks: &[NetworkPlan],
        management: Option<&VdsPlan>,
    ) -> Option<VdsPlan> {
        let sheet = layout::NETWORK_SHEET;
        let row = layout::BUSINESS_VDS_ROW;
        let filled: Vec<(String, &str)> = [
            ("C", "虚拟交换机"),
            ("J", "主机端口"),
            ("K", "网口绑定模式"),
        ]
        .into_iter()
        .map(|(col, field)| (format!("{col}{row}"), field))
        .filter(|(cell, _)| self.text(sheet, cell).is_some())
        .collect();
        if cluster.network_architecture.business_on_management_vds() {
            let management_name = management.map_or("", |vds| vds.name.as_str());
            if let Some((first, field)) = filled.first() {
                let cells: Vec<&str> = filled.iter().map(|(cell, _)| cell.as_str()).collect();
                let message = Problem::BusinessVdsIgnored {
                    cells: cells.iter().map(|cell| cell.to_string()).collect(),
                    management: (!management_name.is_empty()).then(|| management_name.to_string()),
                };
                self.warning(sheet, first, field, message);
            }
            if !networks.is_empty() && management_name.is_empty() {
                self.error(
                    sheet,
                    &format!("C{}", layout::MANAGEMENT_VDS_ROW),
                    "虚拟交换机",
                    Problem::ManagementVdsUnnamed,
                );
            }
            return None;
        }
        if filled.iter().all(|(cell, _)| !cell.starts_with('C')) {
            if !filled.is_empty() {
                self.error(
                    sheet,
                    &format!("C{row}"),
                    "虚拟交换机",
                    Problem::BusinessVdsUnnamed,
                );
            } else if !networks.is_empty() {
                let last = networks.last().map_or(row, |network| network.row);
                self.error(
                    sheet,
                    &format!("C{row}"),
                    "虚拟交换机",
                    Problem::NoBusinessVdsForNetworks {
                        networks: format!("{sheet}!D{row}:D{last}"),
                        architecture_cell: format!("{}!Q{}", layout::HOST_SHEET, cluster_row + 1),
                    },
                );
            }
            return None;
        }
        self.read_vds(row, VdsRole::Business, true)
    }

    fn read_business_networks(&mut self) -> Vec<NetworkPlan> {
        let sheet = layout::NETWORK_SHEET;
        let mut networks = Vec::new();
        let mut vlan_valid_flags = Vec::new();
        for row in layout::BUSINESS_FIRST_ROW..=layout::BUSINESS_LAST_ROW {
            let Some(name) = self.text(sheet, &format!("D{row}")) else {
                let stray = ["F", "H", "I"]
                    .iter()
                    .any(|col| self.text(sheet, &format!("{col}{row}")).is_some());
                if stray {
                    self.warning(
                        sheet,
                        &format!("D{row}"),
                        "虚拟网络",
                        Problem::NetworkRowIgnored,
                    );
                }
                continue;
            };
            let (network, vlan_valid) = self.read_network(row, name);
            networks.push(network);
            vlan_valid_flags.push(vlan_valid);
        }
        if networks.is_empty() {
            self.warning(
                sheet,
                &format!("D{}", layout::BUSINESS_FIRST_ROW),
                "虚拟网络",
                Problem::NoBusinessNetworks,
            );
        }
        self.check_network_duplicates(&networks, &vlan_valid_flags);
        networks
    }

    /// The network, and whether its VLAN ID is real (not a placeholder).
    fn read_network(&mut self, row: u32, name: String) -> (NetworkPlan, bool) {
        let sheet = layout::NETWORK_SHEET;
        let vlan_cell = format!("F{row}");
        let mut invalid = InvalidCells::default();
        let vlan_id = match self.text(sheet, &vlan_cell) {
            Some(text) => match parse_vlan_id(&text) {
                Some(id) => Some(id),
                None => {
                    self.error(
                        sheet,
                        &vlan_cell,
                        "VLAN ID",
                        Problem::BadVlanId { text: text.clone() },
                    );
                    invalid.insert("vlan_id", text);
                    None
                }
            },
            None => {
                self.error(
                    sheet,
                    &vlan_cell,
                    "VLAN ID",
                    Problem::NoVlanId { name: name.clone() },
                );
                None
            }
        };
        let subnet_cell = format!("H{row}");
        let subnet =
            self.text(sheet, &subnet_cell)
                .and_then(|text| match text.parse::<Ipv4Subnet>() {
                    Ok(subnet) => Some(subnet),
                    Err(reason) => {
                        self.error(
                            sheet,
                            &subnet_cell,
                            "SubNetwork",
                            Problem::BadSubnet {
                                text: text.clone(),
                                reason,
                            },
                        );
                        invalid.insert("subnet", text);
                        None
                    }
                });
        let gateway_cell = format!("I{row}");
        let gateway = match self.ipv4(sheet, &gateway_cell, "Gateway") {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                invalid.insert("gateway", raw);
                None
            }
            None => None,
        };
        if let (Some(subnet), Some(gateway)) = (subnet, gateway)
            && !subnet.contains(gateway)
        {
            self.error(
                sheet,
                &gateway_cell,
                "Gateway",
                Problem::GatewayOutsideSubnet {
                    gateway: gateway.to_string(),
                    subnet: subnet.to_string(),
                },
            );
        }
        let network = NetworkPlan {
            name,
            vlan_id: vlan_id.unwrap_or(0),
            subnet,
            gateway,
            row,
            invalid,
        };
        (network, vlan_id.is_some())
    }

    fn check_network_duplicates(&mut self, networks: &[NetworkPlan], vlan_valid: &[bool]) {
        let sheet = layout::NETWORK_SHEET;
        let mut names: HashMap<&str, u32> = HashMap::new();
        let mut vlans: HashMap<u16, u32> = HashMap::new();
        let mut found = Vec::new();
        for (network, vlan_valid) in networks.iter().zip(vlan_valid) {
            if let Some(first) = names.get(network.name.as_str()) {
                found.push((
                    format!("D{}", network.row),
                    "虚拟网络",
                    Problem::DuplicateNetworkName {
                        name: network.name.clone(),
                        first: format!("{sheet}!D{first}"),
                    },
                ));
            } else {
                names.insert(&network.name, network.row);
            }
            if !vlan_valid {
                continue;
            }
            if let Some(first) = vlans.get(&network.vlan_id) {
                found.push((
                    format!("F{}", network.row),
                    "VLAN ID",
                    Problem::DuplicateVlanId {
                        vlan_id: network.vlan_id,
                        first: format!("{sheet}!F{first}"),
                    },
                ));
            } else {
                vlans.insert(network.vlan_id, network.row);
            }
        }
        for (cell, field, message) in found {
            self.error(sheet, &cell, field, message);
        }
    }

    fn read_dns(&mut self) -> Vec<Ipv4Addr> {
        let sheet = layout::MANAGEMENT_SHEET;
        let mut servers = Vec::new();
        let mut filled = false;
        for (index, row) in layout::DNS_ROWS.enumerate() {
            let cell = format!("E{row}");
            let field = format!("DNS Server{}", index + 1);
            let Some(text) = self.text(sheet, &cell) else {
                continue;
            };
            filled = true;
            for item in split_list(&text) {
                match parse_ipv4(&item) {
                    Some(ip) => servers.push(ip),
                    None => {
                        self.error(sheet, &cell, &field, Problem::BadDns { item: item.clone() })
                    }
                }
            }
        }
        if !filled {
            self.warning(
                sheet,
                &format!("E{}", layout::DNS_ROWS.start()),
                "DNS Server1",
                Problem::NoDns,
            );
        }
        servers
    }

    fn read_ntp(&mut self) -> Vec<String> {
        let sheet = layout::MANAGEMENT_SHEET;
        let mut servers = Vec::new();
        let mut filled = false;
        for (index, row) in layout::NTP_ROWS.enumerate() {
            let cell = format!("E{row}");
            let field = format!("NTP Server{}", index + 1);
            let Some(text) = self.text(sheet, &cell) else {
                continue;
            };
            filled = true;
            for item in split_list(&text) {
                if parse_ipv4(&item).is_some() || is_domain_name(&item) {
                    servers.push(item);
                } else {
                    self.error(sheet, &cell, &field, Problem::BadNtp { item: item.clone() });
                }
            }
        }
        if !filled {
            self.warning(
                sheet,
                &format!("E{}", layout::NTP_ROWS.start()),
                "NTP Server1",
                Problem::NoNtp,
            );
        }
        servers
    }
}

fn empty_vds() -> VdsPlan {
    VdsPlan {
        name: String::new(),
        nics: Vec::new(),
        bond_mode: BondMode::ActiveBackup,
        invalid: InvalidCells::default(),
    }
}
