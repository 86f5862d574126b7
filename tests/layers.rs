//! The core's layers (src/lib.rs lists them): every `crate::` path in a source file points at the
//! same layer or one below it, never up, and the files' import graph has no circle. Root
//! re-exports (`crate::Claims`) are for users and the fuzzing support; inside the layers a path
//! names the module that defines the item, so this check sees every edge. The faces' own import
//! graphs (the pyo3 and uniffi crates, the CLI, the `devtoken` Python package) have no circle
//! either. And no line of hand-written code (the core, the faces, tests, scripts) is longer than 120
//! characters.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Bottom first; a file may import its own layer and those before it.
const LAYERS: [&str; 7] = [
    "base", "rules", "contract", "crypto", "token", "provider", "net",
];

/// The files above the layers: the crate root (the public facade), the record of every default
/// (it reads all the layers) and the fuzzing entry points.
const ABOVE_LAYERS: [&str; 3] = ["lib", "defaults", "fuzzing"];

/// `src/rules/service.rs` → `rules::service`; `src/provider/mod.rs` → `provider`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| *p != "mod")
        .collect();
    parts.join("::")
}

/// The code of a file without comments and without its `#[cfg(test)]` tail (unit tests may
/// use anything; they are not part of the layering).
fn code_of(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        if line.trim_start() == "#[cfg(test)]" {
            break;
        }
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// Every path that follows `crate::`, with `crate::{a::b, c}` groups expanded.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let item = item.trim();
                if !item.is_empty() {
                    paths.push(item.to_string());
                }
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            paths.push(rest[..end].trim_end_matches(':').to_string());
        }
    }
    paths
}

/// The longest module among `modules` that `path` starts with.
fn resolve<'a>(path: &str, modules: &'a BTreeSet<String>) -> Option<&'a String> {
    let segments: Vec<&str> = path.split("::").collect();
    (1..=segments.len())
        .rev()
        .find_map(|n| modules.get(&segments[..n].join("::")))
}

fn layer_of(module: &str) -> usize {
    let first = module.split("::").next().unwrap();
    match LAYERS.iter().position(|layer| *layer == first) {
        Some(index) => index,
        None if ABOVE_LAYERS.contains(&first) => LAYERS.len(),
        None => panic!("src/{module}: not in a layer of tests/layers.rs; put it in one"),
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    graph_of(&src, true)
}

/// The files of `src` and the modules each one names through `crate::`. In a layered crate (the
/// core) a path must name its defining module; in a face a path through the crate root is allowed
/// and ends there.
fn graph_of(src: &Path, layered: bool) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    source_files(src, &["rs"], &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        let code = code_of(&fs::read_to_string(file).unwrap());
        let mut targets = BTreeSet::new();
        for path in crate_paths(&code) {
            match resolve(&path, &modules) {
                Some(target) if *target != module => {
                    targets.insert(target.clone());
                }
                Some(_) => {}
                None => assert!(
                    !layered || layer_of(&module) == LAYERS.len(),
                    "src/{module}: `crate::{path}` goes through the crate root; name the defining module"
                ),
            }
        }
        edges.insert(module, targets);
    }
    edges
}

#[test]
fn imports_only_go_down_the_layers() {
    let mut upward = Vec::new();
    for (module, targets) in graph() {
        for target in targets {
            if layer_of(&target) > layer_of(&module) {
                upward.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(upward.is_empty(), "imports that go up a layer: {upward:#?}");
}

#[test]
fn the_import_graph_has_no_circle() {
    assert_no_circle(&graph(), "src");
}

#[test]
fn the_faces_import_graphs_have_no_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for face in ["python/src", "bindings/uniffi/src", "cli/src"] {
        let edges = graph_of(&root.join(face), false);
        assert!(edges.len() > 1, "{face}: no modules found");
        assert_no_circle(&edges, face);
    }
    let package = python_package_graph(&root.join("python/devtoken"));
    assert!(
        package["aio"].contains("_bearer"),
        "the Python import reader sees `from . import`"
    );
    assert_no_circle(&package, "python/devtoken");
}

/// The modules of the `devtoken` Python package and the sibling modules each one imports
/// (`from . import a, b`, `from .a import x`, `from devtoken.a import x`).
fn python_package_graph(package: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(package).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "py") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            modules.insert(name, fs::read_to_string(&path).unwrap());
        }
    }
    let mut edges = BTreeMap::new();
    for (name, text) in &modules {
        let mut targets = BTreeSet::new();
        for line in text.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("from ") else {
                continue;
            };
            let Some((source, imported)) = rest.split_once(" import ") else {
                continue;
            };
            let source = source.trim();
            let named: Vec<String> = if source == "." || source == "devtoken" {
                imported
                    .trim_matches(['(', ')'])
                    .split(',')
                    .map(|n| n.trim().to_string())
                    .collect()
            } else if let Some(module) = source
                .strip_prefix('.')
                .or(source.strip_prefix("devtoken."))
            {
                vec![module.to_string()]
            } else {
                continue;
            };
            for target in named {
                if modules.contains_key(&target) && target != *name {
                    targets.insert(target);
                }
            }
        }
        edges.insert(name.clone(), targets);
    }
    edges
}

fn assert_no_circle(edges: &BTreeMap<String, BTreeSet<String>>, place: &str) {
    // Depth-first search; a node met again while still on the stack closes a circle.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        place: &str,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(at) = stack.iter().position(|n| n == node) {
            panic!(
                "{place}: a circle of imports: {} -> {node}",
                stack[at..].join(" -> ")
            );
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, place, done, stack);
        }
        stack.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, edges, place, &mut done, &mut Vec::new());
    }
}

#[test]
fn the_checker_sees_groups_and_paths() {
    let code = "use crate::{rules::service::Service, contract::error};\nlet x = crate::base::text::shorten(a, 3);";
    assert_eq!(
        crate_paths(code),
        [
            "rules::service::Service",
            "contract::error",
            "base::text::shorten"
        ]
    );
    assert_eq!(
        code_of("a\n// crate::x\n#[cfg(test)]\nuse crate::y;"),
        "a\n\n"
    );
}

/// Where hand-written code lives, from the repository root; `Package.swift` is added by name.
const HAND_WRITTEN: [&str; 10] = [
    "src", "cli", "python", "bindings", "swift", "tests", "release", "benches", "examples", "fuzz",
];

/// Generated by `bindings/generate.sh`, build output, caches and fuzzing data: not hand-written.
fn is_generated_or_output(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.starts_with('.')
        || [
            "target",
            "__pycache__",
            "corpus",
            "artifacts",
            "DevTokenUniFFI",
        ]
        .contains(&name.as_ref())
        || path.ends_with("dev/devtoken/ffi/devtoken.kt")
}

/// The files under `dir` whose extension is one of `extensions`, generated code and build output
/// left out.
fn source_files(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if is_generated_or_output(&path) {
            continue;
        }
        if path.is_dir() {
            source_files(&path, extensions, out);
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
}

#[test]
fn hand_written_lines_fit_in_120_characters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("Package.swift")];
    for dir in HAND_WRITTEN {
        source_files(
            &root.join(dir),
            &["rs", "py", "pyi", "kt", "swift", "java", "sh"],
            &mut files,
        );
    }
    assert!(
        files.len() > 100,
        "the walk found only {} files",
        files.len()
    );
    assert!(files
        .iter()
        .any(|f| f.ends_with("swift/Sources/DevToken/Signer.swift")));
    assert!(!files
        .iter()
        .any(|f| f.ends_with("dev/devtoken/ffi/devtoken.kt")));
    let mut long = Vec::new();
    for file in files {
        for (number, line) in fs::read_to_string(&file).unwrap().lines().enumerate() {
            if line.chars().count() > 120 {
                long.push(format!("{}:{}", file.display(), number + 1));
            }
        }
    }
    assert!(long.is_empty(), "lines over 120 characters: {long:#?}");
}
