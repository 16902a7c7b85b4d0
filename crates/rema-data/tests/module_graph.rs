//! The modules of rema-data form a DAG: no module imports (`use crate::…`,
//! or a `crate::…` path) one that imports it back, directly or not. The
//! graph is read from the sources, test modules left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The module a file is (`spec`, `result`, `sections::resampling`, ...).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod" && p != "lib")
        .collect();
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text of a file up to its `#[cfg(test)]` module.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// The first path segments after `crate::` (the modules a file refers to),
/// resolved against the known modules: `crate::sections::intervals::f` is
/// `sections::intervals`; `use crate::{a, b::c}` gives `a` and `b`.
fn references(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let head = rest[..end].to_string();
        let paths: Vec<String> = match rest[end..].strip_prefix('{') {
            // `crate::{a, b::c}` or `crate::m::{x, y}`: one path per item.
            Some(group) => {
                let close = group.find('}').unwrap_or(group.len());
                group[..close]
                    .split(',')
                    .map(|s| format!("{head}{}", s.trim()))
                    .collect()
            }
            None => vec![head],
        };
        for p in paths {
            let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
            // The longest prefix that is a module.
            for n in (1..=segs.len()).rev() {
                let m = segs[..n].join("::");
                if modules.contains(&m) {
                    out.insert(m);
                    break;
                }
            }
        }
    }
    out
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A cycle of `graph`, by depth-first search for a back edge.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|p| p == m).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for n in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(n, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut state, &mut Vec::new()))
}

#[test]
fn the_modules_of_rema_data_have_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(&src, f))
        .filter(|m| !m.is_empty())
        .collect();
    let mut graph = Graph::new();
    for f in &files {
        let m = module_of(&src, f);
        if m.is_empty() {
            continue; // lib.rs declares and re-exports every module
        }
        let text = std::fs::read_to_string(f).unwrap();
        let mut refs = references(without_tests(&text), &modules);
        // A module may name its own children and parent (`super`) freely;
        // only edges between distinct modules count.
        refs.retain(|r| r != &m && !r.starts_with(&format!("{m}::")));
        graph.insert(m, refs);
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("module cycle in rema-data: {}", cycle.join(" -> "));
    }
    // The check sees the edges it must: analyze calls prepare and the sections.
    assert!(graph["analyze"].contains("prepare"), "{graph:?}");
    assert!(
        graph["analyze"].contains("sections::resampling"),
        "{graph:?}"
    );
    // Nothing imports the top of the pipeline but the entry points that run
    // analyses: plans and the recomputation of a RevMan file.
    let into_analyze: Vec<&String> = graph
        .iter()
        .filter(|(_, refs)| refs.contains("analyze"))
        .map(|(m, _)| m)
        .collect();
    assert_eq!(
        into_analyze,
        [&"rm5::reproduce".to_string(), &"run".to_string()],
        "only run and rm5::reproduce call analyze"
    );
}

/// The parts of the check work: a cycle is found, paths are read.
#[test]
fn a_cycle_is_found_and_paths_are_read() {
    let g = |edges: &[(&str, &str)]| {
        let mut g = Graph::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    assert_eq!(
        find_cycle(&g(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(find_cycle(&g(&[("a", "b"), ("a", "c"), ("b", "c")])), None);
    let modules: BTreeSet<String> = ["a", "b", "b::c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(
        references("use crate::{a, b::c::f};\nlet x = crate::a::g();", &modules),
        ["a", "b::c"].iter().map(|s| s.to_string()).collect()
    );
    assert!(references("use super::x; // crate-level", &modules).is_empty());
}
