//! The template's cell map (`reference/workbook/LAYOUT.md`) in one place:
//! sheet names, rows and columns. The reader and the fixture builder both
//! use it, so they cannot drift apart.

use std::ops::RangeInclusive;

pub const DOCUMENT_SHEET: &str = "文档描述";
pub const NETWORK_SHEET: &str = "虚拟网络";
pub const HOST_SHEET: &str = "主机规划";
pub const MANAGEMENT_SHEET: &str = "集群管理信息";

/// The four sheets we read, in the template's order.
pub const SHEETS: [&str; 4] = [DOCUMENT_SHEET, NETWORK_SHEET, HOST_SHEET, MANAGEMENT_SHEET];

/// 虚拟网络: cluster name.
pub const CLUSTER_NAME: &str = "B3";
/// 虚拟网络 rows of the management, storage, backup and business VDS.
pub const MANAGEMENT_VDS_ROW: u32 = 4;
pub const STORAGE_VDS_ROW: u32 = 6;
pub const BACKUP_VDS_ROW: u32 = 7;
pub const BUSINESS_VDS_ROW: u32 = 8;
/// 虚拟网络 business network rows (up to 11).
pub const BUSINESS_FIRST_ROW: u32 = 8;
pub const BUSINESS_LAST_ROW: u32 = 18;

/// 主机规划 host rows: 3..=18 in the template.
pub const HOST_FIRST_ROW: u32 = 3;
pub const MAX_HOSTS: usize = 16;
/// 主机规划 row holding serial, VIP and Fisheye admin; Q of the next row is
/// the network architecture.
pub const CLUSTER_ROW: u32 = 19;
/// Columns of the cluster row (主机规划, row [`CLUSTER_ROW`] or lower):
/// the serial, the management VIP, the Fisheye admin's user and password.
pub const SERIAL_COLUMN: &str = "E";
pub const VIP_COLUMN: &str = "I";
pub const FISHEYE_USER_COLUMN: &str = "L";
pub const FISHEYE_PASSWORD_COLUMN: &str = "M";
/// The label in column D of the cluster row; finding it lower means the user
/// inserted host rows.
pub const SERIAL_LABEL: &str = "Cluster SN";

/// 集群管理信息 column E.
pub const NTP_ROWS: RangeInclusive<u32> = 22..=24;
pub const DNS_ROWS: RangeInclusive<u32> = 25..=26;

/// Defaults for empty optional cells (LAYOUT.md).
pub const DEFAULT_BMC_USER: &str = "ADMIN";
pub const DEFAULT_BMC_PASSWORD: &str = "ADMIN";
pub const DEFAULT_SSH_USER: &str = "smartx";
pub const DEFAULT_SSH_PASSWORD: &str = "HC!r0cks";
pub const DEFAULT_FISHEYE_USER: &str = "root";
