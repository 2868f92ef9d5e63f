//! Which workbooks make a fleet: directories (every `.xlsx` in them, not
//! Excel's `~$` lock files), workbooks, or shell patterns, and where each
//! one's settings file is.

use std::path::{Path, PathBuf};

use smtx_i18n::{Lang, Localize};

use crate::commands::BadInput;
use crate::commands::shared::FleetArgs;
use crate::i18n::CliMsg;

/// One cluster of the fleet.
#[derive(Debug, Clone)]
pub(super) struct Member {
    pub(super) workbook: PathBuf,
    /// The workbook's file name without `.xlsx`: its run directory's and
    /// its settings file's name.
    pub(super) stem: String,
    pub(super) config: Option<PathBuf>,
}

/// `*` any run of characters, `?` one.
pub(super) fn wildcard_match(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|skip| wildcard_match(rest, &name[skip..])),
        Some(('?', rest)) => !name.is_empty() && wildcard_match(rest, &name[1..]),
        Some((want, rest)) => name
            .split_first()
            .is_some_and(|(got, tail)| got == want && wildcard_match(rest, tail)),
    }
}

fn is_workbook(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    // `~$x.xlsx` is the lock file Excel and WPS leave beside an open workbook.
    path.is_file()
        && !name.starts_with("~$")
        && !name.starts_with('.')
        && path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("xlsx"))
}

fn listed(dir: &Path, lang: Lang) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|error| {
        let message = CliMsg::PathError {
            path: dir.display().to_string(),
            reason: crate::i18n::Text::io(&error),
        };
        BadInput(message.localize(lang))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    Ok(paths)
}

/// The workbooks `--plans` names, each once, in name order per argument.
pub(crate) fn expand(patterns: &[String], lang: Lang) -> anyhow::Result<Vec<PathBuf>> {
    let refused = |message: CliMsg| anyhow::Error::from(BadInput(message.localize(lang)));
    let mut found = Vec::new();
    for pattern in patterns {
        let path = PathBuf::from(pattern);
        let matched: Vec<PathBuf> = if path.is_dir() {
            listed(&path, lang)?
                .into_iter()
                .filter(|p| is_workbook(p))
                .collect()
        } else if path.is_file() {
            vec![path]
        } else if pattern.contains(['*', '?']) {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().chars().collect::<Vec<_>>())
                .unwrap_or_default();
            let dir = path
                .parent()
                .filter(|dir| !dir.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if dir.to_string_lossy().contains(['*', '?']) {
                return Err(refused(CliMsg::PlansWildcardInDir {
                    pattern: pattern.clone(),
                }));
            }
            listed(dir, lang)?
                .into_iter()
                .filter(|p| {
                    let candidate: Vec<char> = p
                        .file_name()
                        .map(|n| n.to_string_lossy().chars().collect())
                        .unwrap_or_default();
                    is_workbook(p) && wildcard_match(&name, &candidate)
                })
                .collect()
        } else {
            return Err(refused(CliMsg::PlansNotFound {
                pattern: pattern.clone(),
            }));
        };
        if matched.is_empty() {
            return Err(refused(CliMsg::PlansNoWorkbook {
                pattern: pattern.clone(),
            }));
        }
        for path in matched {
            let key = smtx_platform::paths::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !found
                .iter()
                .any(|(seen, _): &(PathBuf, PathBuf)| *seen == key)
            {
                found.push((key, path));
            }
        }
    }
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

pub(super) fn members(args: &FleetArgs, lang: Lang) -> anyhow::Result<Vec<Member>> {
    let mut members: Vec<Member> = Vec::new();
    for workbook in expand(&args.plans, lang)? {
        let stem = workbook
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(other) = members.iter().find(|member| member.stem == stem) {
            let message = CliMsg::PlansSameName {
                first: other.workbook.display().to_string(),
                second: workbook.display().to_string(),
                stem,
            };
            return Err(BadInput(message.localize(lang)).into());
        }
        let file = format!("{stem}.toml");
        let config = match &args.configs {
            Some(dir) => Some(dir.join(&file)),
            None => workbook
                .parent()
                .map(|dir| dir.join(&file))
                .filter(|path| path.is_file()),
        };
        members.push(Member {
            workbook,
            stem,
            config,
        });
    }
    Ok(members)
}
