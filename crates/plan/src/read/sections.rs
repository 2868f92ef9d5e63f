//! The workbook's sections read into the plan, each problem located to its
//! cell: hosts, the cluster row, the Fisheye admin, the virtual switches and
//! business networks, DNS and NTP. Cell access and the diagnostics' plumbing
//! are in the parent module; the syntax of one field is in `values`.

use super::*;

impl PlanReader {
    // -----------------------------------------------------------------------
    // The plan

    pub(super) fn read_plan(&mut self) -> Plan {
        let network = layout::network::SHEET;
        let name_cell = layout::cell(
            layout::network::CLUSTER_NAME_COLUMN,
            layout::network::CLUSTER_NAME_ROW,
        );
        let cluster_name = match self.text(network, &name_cell) {
            Some(name) => name,
            None => {
                self.error(network, &name_cell, "集群名称", Problem::ClusterNameEmpty);
                String::new()
            }
        };
        let cluster_row = self.cluster_row();
        let hosts = self.read_hosts(cluster_row);
        let cluster = self.read_cluster(cluster_name, cluster_row, &hosts);
        let fisheye = self.read_fisheye(cluster_row);
        let management_vds =
            self.read_vds(layout::network::MANAGEMENT_ROW, VdsRole::Management, false);
        let storage_vds = self.read_vds(layout::network::STORAGE_ROW, VdsRole::Storage, false);
        let business_networks = self.read_business_networks();
        let business_vds =
            self.read_business_vds(&cluster, &business_networks, management_vds.as_ref());
        let (dns_servers, dns_cells) = self.read_dns();
        let (ntp_servers, ntp_cells) = self.read_ntp();
        self.check_names(&hosts);
        Plan {
            cluster,
            management_vds: management_vds
                .unwrap_or_else(|| empty_vds(layout::network::MANAGEMENT_ROW)),
            storage_vds: storage_vds.unwrap_or_else(|| empty_vds(layout::network::STORAGE_ROW)),
            business_vds,
            business_networks,
            hosts,
            dns_servers,
            ntp_servers,
            fisheye,
            dns_cells,
            ntp_cells,
        }
    }

    /// Every name cell — the cluster's, each host's, and every switch and
    /// network name of 虚拟网络 ([`layout::network::NAME_ROWS`]) — with a
    /// warning where it holds characters a reader cannot see (control,
    /// bidirectional and invisible ones: [`crate::hidden_kind`]). The name
    /// is kept as typed: it is what the cluster gets and what later runs
    /// look up on it; the front ends print it with those characters written
    /// out ([`crate::visible`]).
    fn check_names(&mut self, hosts: &[HostPlan]) {
        use layout::network::{self as columns, SHEET as sheet};
        let mut cells = vec![(
            sheet,
            layout::cell(columns::CLUSTER_NAME_COLUMN, columns::CLUSTER_NAME_ROW),
            "集群名称",
        )];
        cells.extend(hosts.iter().map(|host| {
            (
                layout::hosts::SHEET,
                layout::cell(layout::hosts::HOSTNAME, host.row),
                "主机名",
            )
        }));
        for row in columns::NAME_ROWS {
            cells.push((sheet, layout::cell(columns::VDS_NAME, row), "虚拟交换机"));
            cells.push((sheet, layout::cell(columns::NETWORK_NAME, row), "虚拟网络"));
        }
        for (on, cell, field) in cells {
            let Some(name) = self.text(on, &cell) else {
                continue;
            };
            let characters = crate::hidden_characters(&name);
            if !characters.is_empty() {
                self.warning(on, &cell, field, Problem::HiddenCharacters { characters });
            }
        }
    }

    /// The row of `Cluster SN` on 主机规划: 19 in the template, lower when a
    /// user inserted host rows (which is how more than 16 hosts show up).
    fn cluster_row(&self) -> u32 {
        use layout::hosts;
        (hosts::CLUSTER_ROW..hosts::CLUSTER_ROW + hosts::CLUSTER_ROW_SEARCH)
            .find(|row| {
                self.text(hosts::SHEET, &layout::cell(hosts::cluster::LABEL, *row))
                    .is_some_and(|label| label.eq_ignore_ascii_case(hosts::SERIAL_LABEL))
            })
            .unwrap_or(hosts::CLUSTER_ROW)
    }

    fn read_hosts(&mut self, cluster_row: u32) -> Vec<HostPlan> {
        use layout::hosts::{self as columns, SHEET as sheet};
        let mut hosts = Vec::new();
        for row in columns::FIRST_ROW..cluster_row {
            let hostname = self.text(sheet, &layout::cell(columns::HOSTNAME, row));
            let management = self.text(sheet, &layout::cell(columns::MANAGEMENT_IP, row));
            // J and L are pre-filled on every row, so only H or I make a host.
            if hostname.is_none() && management.is_none() {
                let stray = [columns::BMC_IP, columns::STORAGE_IP]
                    .iter()
                    .any(|col| self.text(sheet, &layout::cell(col, row)).is_some());
                if stray {
                    self.warning(
                        sheet,
                        &layout::cell(columns::HOSTNAME, row),
                        "主机名",
                        Problem::HostRowIgnored,
                    );
                }
                continue;
            }
            hosts.push(self.read_host(row, hostname));
        }
        if hosts.len() > columns::MAX_HOSTS {
            let first_extra = hosts
                .get(columns::MAX_HOSTS)
                .map_or(cluster_row, |host| host.row);
            let max_rows = u32::try_from(columns::MAX_HOSTS).unwrap_or(u32::MAX);
            self.error(
                sheet,
                &layout::cell(columns::HOSTNAME, first_extra),
                "主机名",
                Problem::TooManyHosts {
                    count: hosts.len(),
                    max: columns::MAX_HOSTS,
                    first_row: columns::FIRST_ROW,
                    last_row: columns::FIRST_ROW + max_rows - 1,
                },
            );
        }
        if hosts.is_empty() {
            self.error(
                sheet,
                &layout::cell(columns::HOSTNAME, columns::FIRST_ROW),
                "主机名",
                Problem::NoHosts,
            );
        }
        self.check_host_duplicates(&hosts);
        hosts
    }

    fn read_host(&mut self, row: u32, hostname: Option<String>) -> HostPlan {
        use layout::hosts::{self as columns, SHEET as sheet};
        let cell = |col: &str| layout::cell(col, row);
        let hostname = match hostname {
            Some(name) => {
                if let Err(reason) = check_hostname(&name) {
                    self.error(
                        sheet,
                        &cell(columns::HOSTNAME),
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
                self.error(
                    sheet,
                    &cell(columns::HOSTNAME),
                    "主机名",
                    Problem::HostnameEmpty,
                );
                String::new()
            }
        };
        let mut invalid = InvalidCells::default();
        let mut bmc_invalid = InvalidCells::default();
        let management_ip = match self.ipv4(sheet, &cell(columns::MANAGEMENT_IP), "管理地址") {
            Some(Ok(ip)) => ip,
            Some(Err(raw)) => {
                invalid.insert("management_ip", raw);
                Ipv4Addr::UNSPECIFIED
            }
            None => {
                self.error(
                    sheet,
                    &cell(columns::MANAGEMENT_IP),
                    "管理地址",
                    Problem::ManagementIpEmpty,
                );
                Ipv4Addr::UNSPECIFIED
            }
        };
        let storage_ip = match self.ipv4(sheet, &cell(columns::STORAGE_IP), "存储IP") {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                invalid.insert("storage_ip", raw);
                None
            }
            None => None,
        };
        let bmc_cell = self.ipv4(sheet, &cell(columns::BMC_IP), "带外地址");
        let bmc_ip = match bmc_cell.clone() {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                bmc_invalid.insert("ip", raw);
                None
            }
            None => {
                self.warning(sheet, &cell(columns::BMC_IP), "带外地址", Problem::BmcEmpty);
                None
            }
        };
        let bmc_user = self
            .text(sheet, &cell(columns::BMC_USER))
            .unwrap_or_else(|| layout::DEFAULT_BMC_USER.to_string());
        let bmc_password = match self.password(sheet, &cell(columns::BMC_PASSWORD), "带外密码")
        {
            Some(password) => password,
            None => {
                // Only a host with a BMC address gets a BMC account.
                if bmc_cell.is_some() {
                    self.warning(
                        sheet,
                        &cell(columns::BMC_PASSWORD),
                        "带外密码",
                        Problem::BmcPasswordEmpty,
                    );
                }
                layout::DEFAULT_BMC_PASSWORD.to_string()
            }
        };
        let ssh_user = self
            .text(sheet, &cell(columns::SSH_USER))
            .unwrap_or_else(|| layout::DEFAULT_SSH_USER.to_string());
        let ssh_password = match self.password(sheet, &cell(columns::SSH_PASSWORD), "密码") {
            Some(password) => password,
            None => {
                self.warning(
                    sheet,
                    &cell(columns::SSH_PASSWORD),
                    "密码",
                    Problem::HostPasswordEmpty {
                        user: ssh_user.clone(),
                    },
                );
                layout::DEFAULT_SSH_PASSWORD.to_string()
            }
        };
        let root_password = match self.password(sheet, &cell(columns::ROOT_PASSWORD), "密码") {
            Some(password) => password,
            None => {
                self.warning(
                    sheet,
                    &cell(columns::ROOT_PASSWORD),
                    "密码",
                    Problem::RootPasswordEmpty {
                        cell: layout::location(sheet, columns::SSH_PASSWORD, row),
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
        use layout::hosts::{self as columns, SHEET as sheet};
        let mut names: HashMap<String, u32> = HashMap::new();
        let mut addresses: HashMap<Ipv4Addr, String> = HashMap::new();
        let mut found = Vec::new();
        for host in hosts {
            if !host.hostname.is_empty() {
                let key = host.hostname.to_ascii_lowercase();
                if let Some(first) = names.get(&key) {
                    found.push((
                        layout::cell(columns::HOSTNAME, host.row),
                        "主机名",
                        Problem::DuplicateHostname {
                            name: host.hostname.clone(),
                            first: layout::location(sheet, columns::HOSTNAME, *first),
                        },
                    ));
                } else {
                    names.insert(key, host.row);
                }
            }
            let ips = [
                (columns::MANAGEMENT_IP, "管理地址", Some(host.management_ip)),
                (columns::STORAGE_IP, "存储IP", host.storage_ip),
                (columns::BMC_IP, "带外地址", host.bmc.ip),
            ];
            for (col, field, ip) in ips {
                let Some(ip) = ip.filter(|ip| !ip.is_unspecified()) else {
                    continue;
                };
                let here = layout::cell(col, host.row);
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
        use layout::hosts::{self as columns, SHEET as sheet, cluster};
        let vip_cell = layout::cell(cluster::VIP, cluster_row);
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
                    (columns::MANAGEMENT_IP, Some(host.management_ip)),
                    (columns::STORAGE_IP, host.storage_ip),
                    (columns::BMC_IP, host.bmc.ip),
                ];
                for (col, ip) in taken {
                    if ip == Some(vip) {
                        self.error(
                            sheet,
                            &vip_cell,
                            "集群VIP",
                            Problem::VipIsHostAddress {
                                vip: vip.to_string(),
                                cell: host.cell(col),
                            },
                        );
                    }
                }
            }
        }
        let serial = self
            .text(sheet, &layout::cell(cluster::SERIAL, cluster_row))
            .filter(|serial| !crate::serial::is_placeholder(serial));
        let storage_architecture =
            self.text(sheet, &layout::cell(cluster::ARCHITECTURE, cluster_row));
        let arch_cell = layout::cell(cluster::ARCHITECTURE, cluster_row + 1);
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
        use layout::hosts::{SHEET as sheet, cluster};
        let user = self
            .text(sheet, &layout::cell(cluster::FISHEYE_USER, cluster_row))
            .unwrap_or_else(|| layout::DEFAULT_FISHEYE_USER.to_string());
        let password_cell = layout::cell(cluster::FISHEYE_PASSWORD, cluster_row);
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
        use layout::network::{self as columns, SHEET as sheet};
        let name = self.text(sheet, &layout::cell(columns::VDS_NAME, row));
        let nics_text = self.text(sheet, &layout::cell(columns::NICS, row));
        let bond_text = self.text(sheet, &layout::cell(columns::BOND_MODE, row));
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
                &layout::cell(columns::VDS_NAME, row),
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
                &layout::cell(columns::NICS, row),
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
                        &layout::cell(columns::BOND_MODE, row),
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
            row,
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
        networks: &[NetworkPlan],
        management: Option<&VdsPlan>,
    ) -> Option<VdsPlan> {
        use layout::network::{self as columns, SHEET as sheet};
        let row = columns::BUSINESS_VDS_ROW;
        let name_cell = layout::cell(columns::VDS_NAME, row);
        let filled: Vec<(String, &str)> = [
            (columns::VDS_NAME, "虚拟交换机"),
            (columns::NICS, "主机端口"),
            (columns::BOND_MODE, "网口绑定模式"),
        ]
        .into_iter()
        .map(|(col, field)| (layout::cell(col, row), field))
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
                    &layout::cell(columns::VDS_NAME, columns::MANAGEMENT_ROW),
                    "虚拟交换机",
                    Problem::ManagementVdsUnnamed,
                );
            }
            return None;
        }
        if filled.iter().all(|(cell, _)| *cell != name_cell) {
            if !filled.is_empty() {
                self.error(sheet, &name_cell, "虚拟交换机", Problem::BusinessVdsUnnamed);
            } else if !networks.is_empty() {
                let last = networks.last().map_or(row, |network| network.row);
                self.error(
                    sheet,
                    &name_cell,
                    "虚拟交换机",
                    Problem::NoBusinessVdsForNetworks {
                        networks: layout::column_span(sheet, columns::NETWORK_NAME, row, last),
                        architecture_cell: cluster.network_architecture_cell(),
                    },
                );
            }
            return None;
        }
        self.read_vds(row, VdsRole::Business, true)
    }

    fn read_business_networks(&mut self) -> Vec<NetworkPlan> {
        use layout::network::{self as columns, SHEET as sheet};
        let mut networks = Vec::new();
        let mut vlan_valid_flags = Vec::new();
        for row in columns::BUSINESS_FIRST_ROW..=columns::BUSINESS_LAST_ROW {
            let Some(name) = self.text(sheet, &layout::cell(columns::NETWORK_NAME, row)) else {
                let stray = [columns::VLAN_ID, columns::SUBNET, columns::GATEWAY]
                    .iter()
                    .any(|col| self.text(sheet, &layout::cell(col, row)).is_some());
                if stray {
                    self.warning(
                        sheet,
                        &layout::cell(columns::NETWORK_NAME, row),
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
                &layout::cell(columns::NETWORK_NAME, columns::BUSINESS_FIRST_ROW),
                "虚拟网络",
                Problem::NoBusinessNetworks,
            );
        }
        self.check_network_duplicates(&networks, &vlan_valid_flags);
        networks
    }

    /// The network, and whether its VLAN ID is real (not a placeholder).
    fn read_network(&mut self, row: u32, name: String) -> (NetworkPlan, bool) {
        use layout::network::{self as columns, SHEET as sheet};
        let vlan_cell = layout::cell(columns::VLAN_ID, row);
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
        let subnet_cell = layout::cell(columns::SUBNET, row);
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
        let gateway_cell = layout::cell(columns::GATEWAY, row);
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
        use layout::network::{self as columns, SHEET as sheet};
        let mut names: HashMap<&str, u32> = HashMap::new();
        let mut vlans: HashMap<u16, u32> = HashMap::new();
        let mut found = Vec::new();
        for (network, vlan_valid) in networks.iter().zip(vlan_valid) {
            if let Some(first) = names.get(network.name.as_str()) {
                found.push((
                    layout::cell(columns::NETWORK_NAME, network.row),
                    "虚拟网络",
                    Problem::DuplicateNetworkName {
                        name: network.name.clone(),
                        first: layout::location(sheet, columns::NETWORK_NAME, *first),
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
                    layout::cell(columns::VLAN_ID, network.row),
                    "VLAN ID",
                    Problem::DuplicateVlanId {
                        vlan_id: network.vlan_id,
                        first: layout::location(sheet, columns::VLAN_ID, *first),
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

    fn read_dns(&mut self) -> (Vec<Ipv4Addr>, ListCells) {
        let mut servers = Vec::new();
        let cells = self.read_list(
            layout::management::DNS_ROWS,
            "DNS Server",
            |reader, cell, field, item| match parse_ipv4(&item) {
                Some(ip) => servers.push(ip),
                None => reader.error(
                    layout::management::SHEET,
                    cell,
                    field,
                    Problem::BadDns { item },
                ),
            },
        );
        if cells.filled.is_empty() {
            self.no_list(layout::management::DNS_ROWS, "DNS Server", Problem::NoDns);
        }
        (servers, cells)
    }

    fn read_ntp(&mut self) -> (Vec<String>, ListCells) {
        let mut servers = Vec::new();
        let cells = self.read_list(
            layout::management::NTP_ROWS,
            "NTP Server",
            |reader, cell, field, item| {
                if parse_ipv4(&item).is_some() || is_domain_name(&item) {
                    servers.push(item);
                } else {
                    reader.error(
                        layout::management::SHEET,
                        cell,
                        field,
                        Problem::BadNtp { item },
                    );
                }
            },
        );
        if cells.filled.is_empty() {
            self.no_list(layout::management::NTP_ROWS, "NTP Server", Problem::NoNtp);
        }
        (servers, cells)
    }

    /// The items of a list setting, one or more per cell of column E on
    /// `rows` of 集群管理信息, each handed to `item`, and where they were.
    fn read_list(
        &mut self,
        rows: std::ops::RangeInclusive<u32>,
        field_prefix: &str,
        mut item: impl FnMut(&mut Self, &str, &str, String),
    ) -> ListCells {
        use layout::management::{ADDRESS_COLUMN, SHEET};
        let span = layout::column_span(SHEET, ADDRESS_COLUMN, *rows.start(), *rows.end());
        let mut filled = Vec::new();
        for (index, row) in rows.enumerate() {
            let cell = layout::cell(ADDRESS_COLUMN, row);
            let field = format!("{field_prefix}{}", index + 1);
            let Some(text) = self.text(SHEET, &cell) else {
                continue;
            };
            filled.push(layout::location(SHEET, ADDRESS_COLUMN, row));
            for value in split_list(&text) {
                item(self, &cell, &field, value);
            }
        }
        ListCells { filled, span }
    }

    /// The warning for a list setting with no cell filled, on its first cell.
    fn no_list(
        &mut self,
        rows: std::ops::RangeInclusive<u32>,
        field_prefix: &str,
        problem: Problem,
    ) {
        use layout::management::{ADDRESS_COLUMN, SHEET};
        self.warning(
            SHEET,
            &layout::cell(ADDRESS_COLUMN, *rows.start()),
            &format!("{field_prefix}1"),
            problem,
        );
    }
}

fn empty_vds(row: u32) -> VdsPlan {
    VdsPlan {
        row,
        name: String::new(),
        nics: Vec::new(),
        bond_mode: BondMode::ActiveBackup,
        invalid: InvalidCells::default(),
    }
}
