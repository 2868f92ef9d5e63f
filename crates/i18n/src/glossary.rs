//! The glossary: the one word each concept of the tool has in each
//! language, for the CLI, the console (its Rust catalog and the page's
//! string table) and the release's quickstart alike. `docs/GLOSSARY.md` is
//! the same table for people.
//!
//! [`TERMS`] is the table; [`Term`]s with words to avoid are what
//! [`problems`] holds a message to. Every catalog's test runs it (through
//! [`crate::catalog_problems`], or directly where a catalog has no enum),
//! so a word outside the glossary for one of its concepts fails a test
//! instead of reaching an engineer on site.

/// One concept and its words.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// What it is, as the code names it.
    pub concept: &'static str,
    pub en: &'static str,
    pub zh_cn: &'static str,
    /// Chinese words for this concept that are not the glossary's. Each is
    /// wrong in any Chinese text unless the English of the same message has
    /// one of [`Term::other_meaning`]: 任务 is a cluster's job, never a run.
    pub avoid_zh: &'static [&'static str],
    /// English words that give an avoided word its other, rightful
    /// meaning in the same message. Empty: the word is always wrong.
    pub other_meaning: &'static [&'static str],
    /// Where the glossary's own Chinese word is right only for this
    /// concept: the English of a message using it must name the concept
    /// (one of these), else the word stands for another concept
    /// (演练 in a dry-run message). Empty: no such check.
    pub zh_needs_en: &'static [&'static str],
}

const fn term(concept: &'static str, en: &'static str, zh_cn: &'static str) -> Term {
    Term {
        concept,
        en,
        zh_cn,
        avoid_zh: &[],
        other_meaning: &[],
        zh_needs_en: &[],
    }
}

/// Every term, in the order of `docs/GLOSSARY.md`.
pub const TERMS: &[Term] = &[
    Term {
        // A run against the simulator (`sim`'s settings, the console's
        // built-in one): everything is sent, to a simulated cluster.
        zh_needs_en: &["rehears", "simulat"],
        avoid_zh: &["预演", "模拟运行"],
        ..term("rehearsal", "rehearsal", "演练")
    },
    Term {
        // `--dry-run`: nothing is sent; the calls are listed.
        zh_needs_en: &["dry run", "dry-run", "dry_run"],
        avoid_zh: &["演练模式", "空运行"],
        ..term("dry_run", "dry run", "试运行")
    },
    Term {
        avoid_zh: &["任务"],
        // The cluster's asynchronous jobs keep the name SMTX OS gives them.
        other_meaning: &["job", "task"],
        ..term("run", "run", "运行")
    },
    term("job", "job (the cluster's)", "任务"),
    term("demo", "demo", "演示"),
    term("stage.prepare", "prepare", "准备"),
    Term {
        avoid_zh: &["配置集群"],
        ..term("stage.config_cluster", "config_cluster", "集群配置")
    },
    Term {
        avoid_zh: &["终止", "中断运行"],
        ..term("abort", "abort", "中止")
    },
    Term {
        avoid_zh: &["恢复运行", "恢复任务", "断点续"],
        ..term("resume", "resume", "继续")
    },
    term("workbook", "workbook", "规划表"),
    Term {
        // The line after an error or a warning that says what to do: its
        // marker is a word like 错误：and 警告：, not the English one.
        avoid_zh: &["hint:"],
        ..term("hint", "hint", "提示")
    },
    term("run_directory", "run directory", "运行目录"),
    term("status.ok", "ok", "成功"),
    term("status.warning", "warning", "警告"),
    term("status.failed", "failed", "失败"),
    Term {
        avoid_zh: &["已跳过"],
        ..term("status.skipped", "skipped", "跳过")
    },
    term("status.aborted", "aborted", "已中止"),
    term("status.interrupted", "interrupted", "已中断"),
    term("status.running", "running", "运行中"),
    term("status.queued", "queued", "排队中"),
    Term {
        avoid_zh: &["计划中"],
        ..term("status.planned", "planned", "待执行")
    },
];

/// The summary's shape, in both front ends: the status word, then the
/// count (`成功 35 项，警告 2 项` / `35 ok, 2 warnings`), never `35 成功`.
pub const SUMMARY_SHAPE: (&str, &str) = ("35 ok, 2 warnings", "成功 35 项，警告 2 项");

/// The status words a summary counts, in Chinese.
const COUNTED: [&str; 5] = ["成功", "警告", "失败", "跳过", "中止"];

/// Where a message breaks the glossary: a word it avoids, a glossary word
/// used for another concept, a summary counted the other way round. `en`
/// is the same message in English (`None` where there is none to pair,
/// as in a Chinese-only document: the checks that need it are skipped).
pub fn problems(en: Option<&str>, zh: &str) -> Vec<String> {
    let mut found = Vec::new();
    let en_lower = en.map(str::to_lowercase);
    for term in TERMS {
        for word in term.avoid_zh {
            if !zh.contains(word) {
                continue;
            }
            let excused = !term.other_meaning.is_empty()
                && en_lower
                    .as_deref()
                    .is_none_or(|en| term.other_meaning.iter().any(|m| en.contains(m)));
            if !excused {
                found.push(format!(
                    "{word:?} for {}: the glossary says {:?}",
                    term.concept, term.zh_cn
                ));
            }
        }
        if let Some(en) = en_lower.as_deref()
            && !term.zh_needs_en.is_empty()
            && zh.contains(term.zh_cn)
            && !term.zh_needs_en.iter().any(|word| en.contains(word))
        {
            found.push(format!(
                "{:?} is the {}, which the English ({en:?}) does not name",
                term.zh_cn, term.concept
            ));
        }
    }
    if let Some(shape) = count_before_word(zh) {
        found.push(format!(
            "{shape:?}: a summary counts as {:?}",
            SUMMARY_SHAPE.1
        ));
    }
    found
}

/// `35 成功` (a number, then a counted status word): the shape the
/// glossary does not use.
fn count_before_word(zh: &str) -> Option<String> {
    let chars: Vec<char> = zh.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if !(c.is_ascii_digit() || *c == '}') {
            continue;
        }
        let rest: String = chars[i + 1..].iter().collect();
        let rest = rest.trim_start_matches(' ');
        if let Some(word) = COUNTED.iter().find(|word| rest.starts_with(**word)) {
            return Some(format!("{c} {word}"));
        }
    }
    None
}

/// The glossary as a Markdown table: what `docs/GLOSSARY.md` holds (a test
/// compares them).
pub fn markdown_table() -> String {
    let mut table = String::from("| concept | English | 中文 | not |\n|---|---|---|---|\n");
    for term in TERMS {
        let avoid = term
            .avoid_zh
            .iter()
            .map(|word| format!("~~{word}~~"))
            .collect::<Vec<_>>()
            .join(" ");
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            term.concept, term.en, term.zh_cn, avoid
        ));
    }
    table.push_str(&format!(
        "| summary | {} | {} | ~~35 成功~~ |\n",
        SUMMARY_SHAPE.0, SUMMARY_SHAPE.1
    ));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_is_found_and_the_glossary_is_not() {
        assert!(problems(Some("rehearsal against the simulator"), "模拟集群预演").len() == 1);
        assert!(!problems(Some("dry run, nothing is sent"), "演练模式，不发送任何请求").is_empty());
        assert!(problems(Some("dry run, nothing is sent"), "试运行，不发送任何请求").is_empty());
        assert!(!problems(Some("dry run: calls"), "演练：调用").is_empty());
        assert!(problems(Some("rehearsal against the simulator"), "演练（模拟集群）").is_empty());
        assert!(!problems(Some("Runs"), "任务列表").is_empty());
        assert!(problems(Some("job 7 finished"), "任务 7 已结束").is_empty());
        assert!(!problems(Some("3 ok"), "3 成功").is_empty());
        assert!(!problems(Some("{n} ok"), "{n} 成功").is_empty());
        assert!(problems(Some("3 ok"), "成功 3 项").is_empty());
        assert!(!problems(None, "配置集群").is_empty());
        assert!(problems(None, "对模拟集群演练").is_empty());
    }

    #[test]
    fn the_docs_hold_the_glossary() {
        let docs = include_str!("../../../docs/GLOSSARY.md");
        assert!(
            docs.contains(&markdown_table()),
            "docs/GLOSSARY.md's table is not the glossary's; it is:\n{}",
            markdown_table()
        );
    }
}
