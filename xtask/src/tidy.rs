//! `cargo xtask tidy`: rules about the tree that no compiler checks, run as a
//! `#[test]` too (rust-analyzer's `tidy.rs` shape), so `cargo test` enforces them.
//!
//! - **No module cycles.** In every crate under `crates/`, the modules that
//!   sit side by side (the top-level modules of `src/`, and the children of each
//!   directory module) form a graph by their `crate::…` and `super::…` paths;
//!   the graph must have no cycle. A child naming its parent is not an edge:
//!   the parent declares the child, and the child may use what the parent
//!   defines. Test modules (`#[cfg(test)]` to the end of a file) are left out.
//! - **Every source file opens with `//!`**, saying what it is for.
//! - **No should-panic tests**: bad input is tested by asserting the error.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every rule broken in the tree at `root`, one line each (empty when tidy).
pub fn problems(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let crates = root.join("crates");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&crates)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.sort();
    for krate in dirs {
        let src = krate.join("src");
        if src.is_dir() {
            let name = krate.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            out.extend(cycles_under(&src, &[], &name));
        }
    }
    for file in rust_files(root) {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let rel = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if !text.trim_start().starts_with("//!") {
            out.push(format!(
                "{rel}: does not open with a `//!` comment saying what it is for"
            ));
        }
        if text.contains(concat!("#[should", "_panic")) {
            out.push(format!(
                "{rel}: has a should-panic test; assert the error value instead"
            ));
        }
    }
    out
}

/// The `.rs` files of the workspace's crates, xtask, the root package and fuzz targets.
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for top in [
        "crates",
        "src",
        "tests",
        "benches",
        "xtask",
        "fuzz/fuzz_targets",
    ] {
        walk(&root.join(top), &mut out);
    }
    out.retain(|p| !p.components().any(|c| c.as_os_str() == "target"));
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The sibling modules of the directory module at `dir` (its path below the
/// crate root is `at`): name → the source text of the module and its children.
fn siblings(dir: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut mods: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let Ok(rd) = fs::read_dir(dir) else {
        return mods;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        if path.is_dir() {
            let mut files = Vec::new();
            walk(&path, &mut files);
            mods.entry(stem).or_default().extend(files);
        } else if path.extension().is_some_and(|e| e == "rs")
            && !matches!(stem.as_str(), "lib" | "main" | "mod")
        {
            mods.entry(stem).or_default().push(path);
        }
    }
    mods
}

/// Source text without its trailing test module and its comment lines (a
/// doc link to a module is not an import of it).
fn without_tests(text: &str) -> String {
    let code = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers that follow `prefix` in `text` (`crate::a::b` with prefix
/// `crate::` gives `a`; also inside `use crate::{a, b::c}`).
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let preceded = rest[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[i + prefix.len()..];
        if preceded {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top(&group[..end]) {
                let id = ident(item.trim());
                if !id.is_empty() {
                    out.insert(id);
                }
            }
        } else {
            let id = ident(rest);
            if !id.is_empty() {
                out.insert(id);
            }
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    s.len()
}

fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Cycles among the sibling modules of `dir`, then among each directory
/// module's children, recursively.
fn cycles_under(dir: &Path, at: &[String], krate: &str) -> Vec<String> {
    let mods = siblings(dir);
    let mut graph: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, files) in &mods {
        let mut edges = BTreeSet::new();
        for file in files {
            let Ok(text) = fs::read_to_string(file) else {
                continue;
            };
            let text = &without_tests(&text);
            // A file directly in this directory names its siblings by `super::`;
            // any file names them by their full path from the crate root.
            let mut full = String::from("crate::");
            for seg in at {
                full.push_str(seg);
                full.push_str("::");
            }
            let mut refs = names_after(text, &full);
            if file.parent() == Some(dir) && !at.is_empty() {
                refs.extend(names_after(text, "super::"));
            }
            if at.is_empty() {
                refs.extend(names_after(text, "crate::"));
            }
            for r in refs {
                if r != *name && mods.contains_key(&r) {
                    edges.insert(r);
                }
            }
        }
        graph.insert(name, edges);
    }
    let mut out = Vec::new();
    for scc in strongly_connected(&graph) {
        if scc.len() > 1 {
            let place = if at.is_empty() {
                format!("{krate}/src")
            } else {
                format!("{krate}/src/{}", at.join("/"))
            };
            out.push(format!(
                "{place}: the modules {{{}}} import each other (a module cycle); \
                 move what they share into a module that imports neither",
                scc.join(", ")
            ));
        }
    }
    for name in mods.keys() {
        let sub = dir.join(name);
        if sub.is_dir() {
            let mut deeper = at.to_vec();
            deeper.push(name.clone());
            out.extend(cycles_under(&sub, &deeper, krate));
        }
    }
    out
}

/// Tarjan's strongly connected components, each sorted by name.
fn strongly_connected(graph: &BTreeMap<&str, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<&'g str, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(s: &mut State<'_>, v: &str) {
        s.index.insert(v.to_string(), s.next);
        s.low.insert(v.to_string(), s.next);
        s.next += 1;
        s.stack.push(v.to_string());
        s.on_stack.insert(v.to_string());
        let edges: Vec<String> = s
            .graph
            .get(v)
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default();
        for w in edges {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let lw = s.low[&w];
                let lv = s.low.get_mut(v).map(|l| {
                    *l = (*l).min(lw);
                    *l
                });
                debug_assert!(lv.is_some());
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                if let Some(l) = s.low.get_mut(v) {
                    *l = (*l).min(iw);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == v;
                scc.push(w);
                if done {
                    break;
                }
            }
            scc.sort();
            s.out.push(scc);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<&str> = graph.keys().copied().collect();
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_use_groups_and_paths() {
        let text = "use crate::{a, b::{c, d}, e as f};\nlet x = crate::g::h(); my_crate::z;";
        let got: Vec<String> = names_after(text, "crate::").into_iter().collect();
        assert_eq!(got, ["a", "b", "e", "g"]);
    }

    #[test]
    fn a_cycle_is_found_and_a_chain_is_not() {
        let mut g: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        g.insert("a", ["b".to_string()].into());
        g.insert("b", ["c".to_string()].into());
        g.insert("c", ["a".to_string()].into());
        g.insert("d", ["a".to_string()].into());
        let big: Vec<Vec<String>> = strongly_connected(&g)
            .into_iter()
            .filter(|c| c.len() > 1)
            .collect();
        assert_eq!(big, vec![vec!["a", "b", "c"]]);
        g.insert("c", BTreeSet::new());
        assert!(strongly_connected(&g).iter().all(|c| c.len() == 1));
    }

    #[test]
    fn a_cycle_between_children_of_a_directory_module_is_found() {
        let root = std::env::temp_dir().join(format!("rema-tidy-{}", std::process::id()));
        let src = root.join("crates/x/src");
        let write = |rel: &str, text: &str| {
            let p = src.join(rel);
            fs::create_dir_all(p.parent().unwrap_or(&src)).ok();
            fs::write(p, text).ok();
        };
        write("lib.rs", "//! x\nmod a;\nmod z;\n");
        write("z.rs", "//! z\nuse crate::a::b;\n");
        write("a/mod.rs", "//! a\nmod b;\nmod c;\n");
        write(
            "a/b.rs",
            "//! b\nuse super::c::f;\nuse super::Thing;\n/// Not [`super::z`].\n",
        );
        write(
            "a/c.rs",
            "//! c\npub fn f() { crate::a::b::g(); }\n#[cfg(test)]\nuse crate::z;\n",
        );
        let found = problems(&root);
        fs::remove_dir_all(&root).ok();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("x/src/a: the modules {b, c}"),
            "{found:?}"
        );
    }

    /// The workspace itself is tidy.
    #[test]
    fn the_tree_is_tidy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let problems = problems(&root);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
