//! The house rules of `src/`, checked: every file says its job in its first
//! line and stays under 400 lines; no import runs back up the chain (no
//! cycle between the crate's top-level modules, and no cycle of files that
//! crosses a folder, whether the imports say `crate::`, `super::` or
//! `self::`); and no edge module decides who a person is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MOST_LINES: usize = 400;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> (PathBuf, Vec<PathBuf>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    (root, files)
}

#[test]
fn every_file_says_its_job_and_stays_small() {
    let (root, files) = src();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(&root).unwrap().display();
        assert!(
            text.starts_with("//! "),
            "{name}: the first line says the file's job"
        );
        let lines = text.lines().count();
        assert!(
            lines <= MOST_LINES,
            "{name}: {lines} lines, more than {MOST_LINES}"
        );
    }
}

/// A file's module path: `src/public/pages/poll.rs` is `public::pages::poll`,
/// `src/edge/mod.rs` is `edge`, `src/lib.rs` is the crate (empty).
fn module_path(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code of a file without comments, tests and string contents' lines
/// starting with `//`.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names: the leaves of its `use` trees, and `crate::…`
/// and `super::…` paths written in its code.
fn paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        let Some(tree) = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        else {
            continue;
        };
        let mut tree = tree.to_owned();
        while !tree.contains(';') {
            match lines.next() {
                Some(more) => tree.push_str(more),
                None => break,
            }
        }
        let tree: String = tree
            .split(';')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        expand("", &tree, &mut found);
    }
    for start in ["crate::", "super::"] {
        for (i, _) in code.match_indices(start) {
            // The start of a path, not a later segment of one
            // (`super::super::x` is read once, from its first `super`).
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[i..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            found.push(path);
        }
    }
    found
}

/// The leaves of a `use` tree such as `a::{b::c, d}`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree
        .trim()
        .trim_start_matches("pub(crate)")
        .trim_start_matches("pub");
    match tree.find('{') {
        None => out.push(format!("{prefix}{tree}")),
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&format!("{prefix}{head}"), &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if start < inner.len() {
                expand(&format!("{prefix}{head}"), &inner[start..], out);
            }
        }
    }
}

/// The file a path leads to, from the file at `from`: the longest prefix
/// of the path that is a module of the crate.
fn resolve(
    path: &str,
    from: &[String],
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<PathBuf> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut at: Vec<String> = match segments.first().copied() {
        Some("crate") => {
            segments.remove(0);
            Vec::new()
        }
        Some("super") | Some("self") => {
            let mut at = from.to_vec();
            while let Some(first) = segments.first().copied() {
                match first {
                    "super" => {
                        at.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                segments.remove(0);
            }
            at
        }
        // A child module of this one (`use pages::Look` in its parent).
        Some(first) => {
            let mut child = from.to_vec();
            child.push(first.to_owned());
            if !modules.contains_key(&child) {
                return None;
            }
            from.to_vec()
        }
        None => return None,
    };
    let mut found = modules.get(&at).cloned();
    for segment in segments {
        at.push(segment.to_owned());
        match modules.get(&at) {
            Some(file) => found = Some(file.clone()),
            None => break,
        }
    }
    found
}

/// Which file imports which.
fn imports() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let (root, files) = src();
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_path(&root, f), f.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let from = module_path(&root, file);
        let text = std::fs::read_to_string(file).unwrap();
        let targets: BTreeSet<PathBuf> = paths(&code(&text))
            .iter()
            .filter_map(|p| resolve(p, &from, &modules))
            .filter(|target| target != file)
            .collect();
        graph.insert(file.clone(), targets);
    }
    graph
}

/// The strongly connected groups of a graph (Tarjan), each of two or more.
fn cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut group = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    group.push(top.clone());
                    if top == node {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn no_import_circle_crosses_a_folder() {
    let (root, _) = src();
    // A module's file beside its folder (`schema.rs` and `schema/`) is of
    // that folder, as a `mod.rs` inside it would be.
    let folder = |file: &PathBuf| {
        let own = file.with_extension("");
        if own.is_dir() {
            own
        } else {
            file.parent().unwrap().to_path_buf()
        }
    };
    for group in cycles(&imports()) {
        let folders: BTreeSet<_> = group.iter().map(folder).collect();
        let names: Vec<_> = group
            .iter()
            .map(|f| f.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert!(
            folders.len() == 1,
            "these files import each other across folders: {names:?}"
        );
    }
}

#[test]
fn no_module_imports_back_up_the_chain() {
    let (root, _) = src();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, targets) in imports() {
        let module = module_path(&root, &file);
        let Some(top) = module.first() else { continue };
        for target in targets {
            let used = module_path(&root, &target);
            if let Some(used) = used.first()
                && used != top
            {
                uses.entry(top.clone()).or_default().insert(used.clone());
            }
        }
    }
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = uses
        .iter()
        .map(|(m, used)| (PathBuf::from(m), used.iter().map(PathBuf::from).collect()))
        .collect();
    let found = cycles(&graph);
    assert!(found.is_empty(), "modules import each other: {found:?}");
    // The edge never reaches the listeners or the application built on it.
    for above in ["app", "public", "ops", "openapi"] {
        assert!(!uses["edge"].contains(above), "edge imports {above}");
    }
    // The listeners do not reach the document's assembly or each other.
    assert!(!uses["public"].contains("openapi") && !uses["public"].contains("ops"));
    assert!(!uses["ops"].contains("openapi") && !uses["ops"].contains("public"));
}

#[test]
fn who_a_person_is_is_decided_in_the_domain() {
    let (root, files) = src();
    for file in files {
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        let edge = ["edge/", "public/", "ops/"]
            .iter()
            .any(|e| name.starts_with(e));
        if !edge {
            continue;
        }
        let text = code(&std::fs::read_to_string(&file).unwrap());
        for decision in [
            "Source::Address",
            "Source::Cookie",
            "Source::FirstParty",
            "from_address_hash",
            "new_cookie_value",
        ] {
            assert!(
                !text.contains(decision),
                "{name} decides who a person is ({decision}): that is crate::identity's"
            );
        }
    }
}

#[test]
fn the_layout_reader_resolves_use_trees() {
    let mut found = Vec::new();
    expand(
        "",
        "crate::edge::{error::{ApiError, sample}, respond::Response}",
        &mut found,
    );
    assert_eq!(
        found,
        [
            "crate::edge::error::ApiError",
            "crate::edge::error::sample",
            "crate::edge::respond::Response"
        ]
    );
    // Paths written in the code, `super::` ones too, each once.
    let written =
        paths("let s = super::super::embedded::Store::open(crate::ids::SiteId::DEFAULT);");
    assert_eq!(
        written,
        [
            "crate::ids::SiteId::DEFAULT",
            "super::super::embedded::Store::open"
        ]
    );
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (PathBuf::from(k), v.into_iter().map(PathBuf::from).collect()))
    .collect();
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
}
