//! The workspace's shape, checked from its sources: no two modules of a
//! crate import each other (directly or round a longer circle), and no
//! source file is longer than 900 lines apart from its tests. Both drift in
//! one change at a time and are cheap to see here, dear to undo later.
//!
//! A module is a file (`a.rs` or `a/mod.rs`; `lib.rs`/`main.rs` the root).
//! Its edges are the `use` trees and the `crate::…`/`super::…`/`self::…`
//! paths in its code (comments and strings left out), each resolved to the
//! deepest module file it names. A path through a re-export of the root
//! (`crate::ApiClient`) counts as the root, which imports nothing this way.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The crates whose module graphs must have no cycle.
const ACYCLIC: &[&str] = &[
    "cli", "console", "engine", "api", "plan", "sim", "i18n", "platform",
];

/// Longest a source file may be, its tests apart.
const MAX_LINES: usize = 900;

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in crates/")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("source directory readable")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

type Module = Vec<String>;

/// The module a file under `src` is: `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts: Module = rel
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file with comments, string and char literals blanked out.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(bytes.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let mut depth = 0usize;
            while i < bytes.len() {
                if text[i..].starts_with("/*") {
                    depth += 1;
                    i += 2;
                } else if text[i..].starts_with("*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(len) = raw_string_len(rest) {
            out.push_str("\"\"");
            i += len;
        } else if rest.starts_with('"') {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if let Some(len) = char_literal_len(rest) {
            out.push_str("' '");
            i += len;
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `r"…"`, `r#"…"#`, `br"…"` at the start of `rest`: its length.
fn raw_string_len(rest: &str) -> Option<usize> {
    let after_b = rest.strip_prefix('b').unwrap_or(rest);
    let after_r = after_b.strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let body = after_r[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&close)?;
    Some(rest.len() - body.len() + end + close.len())
}

/// `'x'`, `'\n'`, `'\u{1F600}'` (not a lifetime) at the start of `rest`.
fn char_literal_len(rest: &str) -> Option<usize> {
    let body = rest.strip_prefix('\'')?;
    if let Some(escaped) = body.strip_prefix('\\') {
        let end = escaped.find('\'')?;
        return Some(2 + end + 1);
    }
    let c = body.chars().next()?;
    body[c.len_utf8()..]
        .starts_with('\'')
        .then(|| 1 + c.len_utf8() + 1)
}

/// A `use` tree (`crate::{a, b::{c, d}}`) as its full paths.
fn expand_use(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let mut depth = 0usize;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in tree.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&tree[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tree[start..]);
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        match part.find('{') {
            Some(open) => {
                let inner = part[open + 1..].trim_end().trim_end_matches('}');
                expand_use(inner, &format!("{prefix}{}", &part[..open]), out);
            }
            None => out.push(format!("{prefix}{part}")),
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path a module's code names that starts at `crate`, `super` or
/// `self`.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest_code = String::with_capacity(code.len());
    // `use` trees first (their groups hide the paths from the scan below).
    let mut i = 0;
    while let Some(found) = code[i..].find("use ") {
        let at = i + found;
        let before = code[..at].chars().next_back();
        rest_code.push_str(&code[i..at]);
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            rest_code.push_str("use ");
            i = at + 4;
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            i = at + 4;
            continue;
        };
        let tree: String = code[at + 4..at + end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let tree = tree.trim_start_matches("::");
        expand_use(tree, "", &mut paths);
        i = at + end + 1;
    }
    rest_code.push_str(&code[i..]);
    // The paths in code; `pub(in crate::a)` is a visibility, not a use.
    let mut scan = rest_code.as_str();
    let mut offset_base = 0;
    let whole = rest_code.as_str();
    while let Some(found) = ["crate::", "super::", "self::"]
        .iter()
        .filter_map(|start| scan.find(start))
        .min()
    {
        let at = offset_base + found;
        let before = whole[..at].chars().next_back();
        let path: String = whole[at..]
            .chars()
            .take_while(|&c| is_ident(c) || c == ':')
            .collect();
        let visibility = whole[..at]
            .trim_end()
            .strip_suffix("in")
            .is_some_and(|before| before.trim_end().ends_with("pub("));
        if !before.is_some_and(|c| is_ident(c) || c == ':' || c == '$') && !visibility {
            paths.push(path.trim_end_matches(':').to_string());
        }
        offset_base = at + path.len().max(1);
        scan = &whole[offset_base..];
    }
    paths
}

/// The module file `path`, named in `module`, leads to.
fn resolve(module: &Module, path: &str, modules: &BTreeSet<Module>) -> Option<Module> {
    let segments: Vec<&str> = path
        .split("::")
        .map(|segment| segment.split(" as ").next().unwrap_or(segment).trim())
        .filter(|segment| !segment.is_empty())
        .collect();
    let (mut current, rest) = match segments.first() {
        Some(&"crate") => (Vec::new(), &segments[1..]),
        Some(&"super") | Some(&"self") => {
            let mut base = module.clone();
            let mut skip = 0;
            for segment in &segments {
                match *segment {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                skip += 1;
            }
            (base, &segments[skip..])
        }
        _ => return None,
    };
    for segment in rest {
        current.push((*segment).to_string());
        if !modules.contains(&current) {
            current.pop();
            break;
        }
    }
    Some(current)
}

fn module_graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Module, PathBuf> = files
        .into_iter()
        .map(|file| (module_of(src, &file), file))
        .collect();
    let names: BTreeSet<Module> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let text = fs::read_to_string(file).expect("source readable");
        let edges = paths_in(&code_only(&text))
            .iter()
            .filter_map(|path| resolve(module, path, &names))
            .filter(|target| target != module)
            .collect();
        graph.insert(module.clone(), edges);
    }
    graph
}

/// The circles of `graph`: its strongly connected parts of more than one
/// module (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'g> {
        graph: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        found: Vec<Vec<Module>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g Module) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in state.graph.get(node).into_iter().flatten() {
            let Some((next, _)) = state.graph.get_key_value(next) else {
                continue;
            };
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut part = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                part.push(member.clone());
                if member == node {
                    break;
                }
            }
            if part.len() > 1 {
                part.sort();
                state.found.push(part);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "<root>".to_string()
    } else {
        module.join("::")
    }
}

#[test]
fn no_two_modules_import_each_other() {
    let mut circles = Vec::new();
    for krate in ACYCLIC {
        let graph = module_graph(&crates_dir().join(krate).join("src"));
        for part in cycles(&graph) {
            let names: Vec<String> = part.iter().map(name).collect();
            circles.push(format!("{krate}: {}", names.join(", ")));
        }
    }
    assert!(
        circles.is_empty(),
        "modules that import each other (move what they share into a module both use):\n{}",
        circles.join("\n")
    );
}

/// The lines of `text` before its inline `#[cfg(test)] mod tests {…}`.
fn non_test_lines(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let tests_at = lines.windows(2).position(|pair| {
        pair[0].trim() == "#[cfg(test)]" && pair[1].trim_start().starts_with("mod tests {")
    });
    tests_at.unwrap_or(lines.len())
}

fn is_test_file(file: &Path) -> bool {
    file.file_stem().is_some_and(|stem| stem == "tests") || file.iter().any(|part| part == "tests")
}

#[test]
fn no_source_file_is_over_900_lines_apart_from_its_tests() {
    let mut long = Vec::new();
    let mut crates: Vec<PathBuf> = fs::read_dir(crates_dir())
        .expect("crates/ readable")
        .map(|entry| entry.expect("directory entry").path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    crates.sort();
    for src in crates {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files.iter().filter(|file| !is_test_file(file)) {
            let lines = non_test_lines(&fs::read_to_string(file).expect("source readable"));
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines (split by concern, or move tests to a file):\n{}",
        long.join("\n")
    );
}

#[test]
fn a_circle_through_a_use_group_is_seen() {
    let code = code_only(
        "use super::{BadInput, fleet::{self, FleetArgs}};\n// crate::not::this\nfn f() { crate::run::go(\"crate::nor::this\"); }\n",
    );
    let paths = paths_in(&code);
    assert_eq!(
        paths,
        [
            "super::BadInput",
            "super::fleet::self",
            "super::fleet::FleetArgs",
            "crate::run::go"
        ]
    );
    let modules: BTreeSet<Module> = [vec![], vec!["run".into()], vec!["fleet".into()]].into();
    let graph: BTreeMap<Module, BTreeSet<Module>> = [
        (vec![], BTreeSet::new()),
        (vec!["run".into()], [vec!["fleet".into()]].into()),
        (
            vec!["fleet".into()],
            [resolve(&vec!["fleet".into()], "crate::run::go", &modules).expect("resolves")].into(),
        ),
    ]
    .into();
    assert_eq!(
        cycles(&graph),
        [vec![vec!["fleet".to_string()], vec!["run".to_string()]]]
    );
}
