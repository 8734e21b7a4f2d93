//! The house rules of `src/`, checked: every file says its job in its first
//! line, no file passes 400 lines, and no import runs back up the chain
//! (no cycle between the crate's modules).

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

/// The module a source file belongs to: its first path component.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

#[test]
fn no_module_imports_back_up_the_chain() {
    let (root, files) = src();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&root, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
        for line in code {
            for (i, _) in line.match_indices("crate::") {
                let used: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !used.is_empty() && used != module {
                    uses.entry(module.clone()).or_default().insert(used);
                }
            }
        }
    }
    // Depth-first search for a path that comes back to where it began.
    fn find_cycle(
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        let last = path.last().unwrap().clone();
        for next in graph.get(&last).into_iter().flatten() {
            if let Some(start) = path.iter().position(|m| m == next) {
                let mut cycle = path[start..].to_vec();
                cycle.push(next.clone());
                return Some(cycle);
            }
            path.push(next.clone());
            if let Some(cycle) = find_cycle(graph, path) {
                return Some(cycle);
            }
            path.pop();
        }
        None
    }
    for module in uses.keys() {
        let cycle = find_cycle(&uses, &mut vec![module.clone()]);
        assert!(
            cycle.is_none(),
            "modules import each other: {:?}",
            cycle.unwrap()
        );
    }
    // The edge never reaches the application that builds it.
    assert!(!uses["http"].contains("app"), "http imports app");
}
