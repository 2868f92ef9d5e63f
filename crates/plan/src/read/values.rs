//! The syntax of one field, as people type it into a spreadsheet: lists
//! with any separator, full-width digits, VLAN ids as floats, bond modes and
//! architectures in their several spellings, host and domain names.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use crate::{BondMode, NetworkArchitecture};

// ---------------------------------------------------------------------------
// Field syntax

/// Splits a hand-typed list on `,` `，` `;` `；` `、`, spaces and newlines.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, ',' | '，' | ';' | '；' | '、') || c.is_whitespace())
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// Strict dotted-quad IPv4 (what `Ipv4Addr` parses), after trimming and
/// turning full-width digits and dots (typed with a Chinese IME) into ASCII.
pub fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    halfwidth(text.trim()).parse().ok()
}

/// `１０．０` → `10.0`: full-width ASCII forms (U+FF01..=U+FF5E) and the
/// ideographic full stop to their ASCII counterparts.
fn halfwidth(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => {
                    char::from_u32(u32::from(c) - 0xFF01 + 0x21).unwrap_or(c)
                }
                '。' => '.',
                other => other,
            })
            .collect(),
    )
}

/// An integer VLAN ID in 0..=4094, typed as `1120`, `1120.0` or `"1120"`.
pub fn parse_vlan_id(text: &str) -> Option<u16> {
    let text = halfwidth(text.trim());
    let number: f64 = text.parse().ok()?;
    if number.fract() != 0.0 || !(0.0..=4094.0).contains(&number) {
        return None;
    }
    // Integral and within 0..=4094, so the cast is exact.
    Some(number as u16)
}

/// The API's spelling of what users type: `Active-Backup`, `active backup`,
/// `balance_slb`, `SLB`, `主备`.
pub fn parse_bond_mode(text: &str) -> Option<BondMode> {
    let normal: String = text
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect();
    match normal.as_str() {
        "activebackup" | "ab" | "主备" => Some(BondMode::ActiveBackup),
        "balanceslb" | "slb" => Some(BondMode::BalanceSlb),
        "balancetcp" | "tcp" | "lacp" => Some(BondMode::BalanceTcp),
        _ => None,
    }
}

/// The template's drop-down offers `三网融合`, `存储独立` and `三网独立`
/// (主机规划!Q20:R20); its note spells the supported two out as
/// `管理&业务融合、存储独立` and `三网独立`, and people copy the note.
pub(super) fn parse_network_architecture(text: &str) -> Option<NetworkArchitecture> {
    let normal: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '“' | '”' | '"'))
        .collect();
    match normal.as_str() {
        "三网独立" => Some(NetworkArchitecture::ThreeSeparate),
        "存储独立" => Some(NetworkArchitecture::StorageSeparate),
        _ => {
            let converged = normal
                .strip_suffix("存储独立")
                .map(|head| head.trim_end_matches(['、', '，', ',', ';', '；', '/']))
                .is_some_and(|head| {
                    matches!(
                        head,
                        "管理&业务融合"
                            | "管理＆业务融合"
                            | "管理业务融合"
                            | "管理与业务融合"
                            | "管理和业务融合"
                    )
                });
            converged.then_some(NetworkArchitecture::StorageSeparate)
        }
    }
}

/// RFC 1123 label: 1..=63 of letters, digits and `-`, not starting or
/// ending with `-`.
pub fn check_hostname(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 63 {
        return Err("is not a valid hostname: it must be 1 to 63 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("is not a valid hostname: use only letters, digits and '-'");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("is not a valid hostname: it must not start or end with '-'");
    }
    Ok(())
}

/// A DNS name: dot-separated RFC 1123 labels, at most 253 characters, and
/// not all-numeric (so a mistyped IP such as `10.0.0.300` is not a name).
pub fn is_domain_name(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.is_empty() || text.len() > 253 {
        return false;
    }
    let labels_ok = text.split('.').all(|label| check_hostname(label).is_ok());
    let numeric = text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    labels_ok && !numeric
}
