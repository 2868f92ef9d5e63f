//! The template's cell map (`reference/workbook/LAYOUT.md`) in one place:
//! sheet names, rows and columns, one module per sheet. The reader, the
//! fixture builder and the plan's cell names all use it, so they cannot
//! drift apart; no other file spells a sheet's column or row.

pub const DOCUMENT_SHEET: &str = "文档描述";
pub const NETWORK_SHEET: &str = "虚拟网络";
pub const HOST_SHEET: &str = "主机规划";
pub const MANAGEMENT_SHEET: &str = "集群管理信息";

/// The four sheets we read, in the template's order.
pub const SHEETS: [&str; 4] = [DOCUMENT_SHEET, NETWORK_SHEET, HOST_SHEET, MANAGEMENT_SHEET];

/// Every sheet's title formula (`B1`).
pub const TITLE_COLUMN: &str = "B";
pub const TITLE_ROW: u32 = 1;

/// `E19`.
pub fn cell(column: &str, row: u32) -> String {
    format!("{column}{row}")
}

/// `主机规划!E19`.
pub fn location(sheet: &str, column: &str, row: u32) -> String {
    format!("{sheet}!{column}{row}")
}

/// `主机规划!E3:E18`; one cell when the rows are one.
pub fn column_span(sheet: &str, column: &str, first: u32, last: u32) -> String {
    if first == last {
        location(sheet, column, first)
    } else {
        format!("{sheet}!{column}{first}:{column}{last}")
    }
}

/// 文档描述: the customer, project and data centre, and the version table.
pub mod document {
    pub const SHEET: &str = super::DOCUMENT_SHEET;
    pub const LABEL_COLUMN: &str = "B";
    pub const VALUE_COLUMN: &str = "C";
    pub const CUSTOMER_ROW: u32 = 15;
    pub const PROJECT_ROW: u32 = 16;
    pub const DATA_CENTER_ROW: u32 = 17;
    /// The version table's header row, and its columns left to right.
    pub const VERSION_HEADER_ROW: u32 = 18;
    pub const VERSION_HEADER_COLUMNS: [&str; 5] = ["B", "C", "D", "E", "F"];
}

/// 虚拟网络: the cluster name, one row per virtual switch and network.
pub mod network {
    pub const SHEET: &str = super::NETWORK_SHEET;
    pub const HEADER_ROW: u32 = 2;
    /// The cluster name (`B3`).
    pub const CLUSTER_NAME_COLUMN: &str = "B";
    pub const CLUSTER_NAME_ROW: u32 = 3;
    /// Columns of a switch / network row.
    pub const VDS_NAME: &str = "C";
    pub const NETWORK_NAME: &str = "D";
    pub const PURPOSE: &str = "E";
    pub const VLAN_ID: &str = "F";
    pub const VLAN_TYPE: &str = "G";
    pub const SUBNET: &str = "H";
    pub const GATEWAY: &str = "I";
    pub const NICS: &str = "J";
    pub const BOND_MODE: &str = "K";
    /// The IPMI row (a label only), then the management (with the extra
    /// management network below it), storage, backup and business VDS rows.
    pub const IPMI_ROW: u32 = 3;
    pub const MANAGEMENT_ROW: u32 = 4;
    pub const EXTRA_MANAGEMENT_ROW: u32 = 5;
    pub const STORAGE_ROW: u32 = 6;
    pub const BACKUP_ROW: u32 = 7;
    pub const BUSINESS_VDS_ROW: u32 = 8;
    /// Business network rows (up to 11), starting on the business VDS row.
    pub const BUSINESS_FIRST_ROW: u32 = 8;
    pub const BUSINESS_LAST_ROW: u32 = 18;
    /// The note on the supported network architectures.
    pub const NOTE_ROW: u32 = 23;
    /// The rows whose switch (C) and network (D) cells hold names: the
    /// management, extra management, storage and backup rows, then the
    /// business rows. `plan check` looks at every one of them for hidden
    /// characters, the backup and extra management rows included (no stage
    /// configures them yet, but they name networks of the same cluster).
    pub const NAME_ROWS: std::ops::RangeInclusive<u32> = MANAGEMENT_ROW..=BUSINESS_LAST_ROW;

    /// `虚拟网络!B3`.
    pub fn cluster_name_location() -> String {
        super::location(SHEET, CLUSTER_NAME_COLUMN, CLUSTER_NAME_ROW)
    }

    /// `虚拟网络!D8:D18`: where business networks are named.
    pub fn business_names_span() -> String {
        super::column_span(SHEET, NETWORK_NAME, BUSINESS_FIRST_ROW, BUSINESS_LAST_ROW)
    }
}

/// 主机规划: one row per host, then the cluster row.
pub mod hosts {
    pub const SHEET: &str = super::HOST_SHEET;
    pub const HEADER_ROW: u32 = 2;
    /// Host rows: 3..=18 in the template; inserted rows push the cluster
    /// row down.
    pub const FIRST_ROW: u32 = 3;
    pub const MAX_HOSTS: usize = 16;
    /// Columns of a host row.
    pub const NUMBER: &str = "B";
    /// `C3` is a formula to the cluster name (`=虚拟网络!B3`).
    pub const CLUSTER_NAME: &str = "C";
    pub const DEVICE_SN: &str = "D";
    pub const BMC_IP: &str = "E";
    pub const BMC_USER: &str = "F";
    pub const BMC_PASSWORD: &str = "G";
    pub const HOSTNAME: &str = "H";
    pub const MANAGEMENT_IP: &str = "I";
    pub const SSH_USER: &str = "J";
    pub const SSH_PASSWORD: &str = "K";
    pub const ROOT_USER: &str = "L";
    pub const ROOT_PASSWORD: &str = "M";
    pub const STORAGE_IP: &str = "N";
    pub const PURPOSE: &str = "O";

    /// The cluster row: 19 in the template, found by [`SERIAL_LABEL`] in
    /// [`cluster::LABEL`] lower down when rows were inserted.
    pub const CLUSTER_ROW: u32 = 19;
    /// The label of the serial; finding it lower means the user inserted
    /// host rows.
    pub const SERIAL_LABEL: &str = "Cluster SN";
    /// How far below [`CLUSTER_ROW`] the reader looks for the label.
    pub const CLUSTER_ROW_SEARCH: u32 = 200;

    /// Columns of the cluster row (and of the row under it: the network
    /// architecture).
    pub mod cluster {
        pub const VERSION: &str = "C";
        pub const LABEL: &str = "D";
        pub const SERIAL: &str = "E";
        pub const VIP_LABEL: &str = "H";
        pub const VIP: &str = "I";
        pub const ADMIN_LABEL: &str = "J";
        pub const FISHEYE_USER: &str = "L";
        pub const FISHEYE_PASSWORD: &str = "M";
        pub const FEATURES_LABEL: &str = "N";
        pub const FEATURES: &str = "O";
        pub const ARCHITECTURE_LABEL: &str = "P";
        /// The storage architecture on the cluster row, the network
        /// architecture on the row under it.
        pub const ARCHITECTURE: &str = "Q";
    }
}

/// The template's `Cluster SN` value cell: where the serial goes when the
/// workbook cannot be read to find its cluster row (a workbook read finds
/// it: [`crate::ClusterPlan::serial_cell`]).
pub const DEFAULT_SERIAL_CELL: &str = "主机规划!E19";

/// 集群管理信息: the management services, one per row in column E.
pub mod management {
    use std::ops::RangeInclusive;

    pub const SHEET: &str = super::MANAGEMENT_SHEET;
    pub const HEADER_ROW: u32 = 21;
    pub const NAME_COLUMN: &str = "B";
    pub const NOTE_COLUMN: &str = "C";
    pub const KIND_COLUMN: &str = "D";
    pub const ADDRESS_COLUMN: &str = "E";
    pub const NTP_ROWS: RangeInclusive<u32> = 22..=24;
    pub const DNS_ROWS: RangeInclusive<u32> = 25..=26;
}

/// Defaults for empty optional cells (LAYOUT.md).
pub const DEFAULT_BMC_USER: &str = "ADMIN";
pub const DEFAULT_BMC_PASSWORD: &str = "ADMIN";
pub const DEFAULT_SSH_USER: &str = "smartx";
pub const DEFAULT_SSH_PASSWORD: &str = "HC!r0cks";
pub const DEFAULT_FISHEYE_USER: &str = "root";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_serial_cell_is_the_template_cluster_row() {
        assert_eq!(
            DEFAULT_SERIAL_CELL,
            location(hosts::SHEET, hosts::cluster::SERIAL, hosts::CLUSTER_ROW)
        );
    }
}
