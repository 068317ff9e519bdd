//! The repository stands alone: nothing in it points outside itself (a
//! clone has no `../shared`), and it carries its licences and the model's
//! contract.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Text files of the repository (sources, docs, scenarios, scripts).
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') && name != ".ci" || name == "target" || name == "output" {
            continue;
        }
        if p.is_dir() {
            text_files(&p, out);
        } else if ["rs", "md", "toml", "sh", "txt"]
            .iter()
            .any(|x| name.ends_with(x))
            || name == "run"
        {
            out.push(p);
        }
    }
}

#[test]
fn nothing_points_outside_the_repository() {
    let mut files = Vec::new();
    text_files(root(), &mut files);
    assert!(files.len() > 50, "only {} files found", files.len());
    let mut outside = Vec::new();
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            // This test names what it looks for; nothing else may.
            if f.ends_with("tests/repository.rs") {
                continue;
            }
            if line.contains("../shared") || line.contains("](../") {
                outside.push(format!("{}:{}: {line}", f.display(), n + 1));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "links outside the repository:\n{}",
        outside.join("\n")
    );
}

#[test]
fn licences_metadata_and_the_model_contract_are_here() {
    for f in [
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "assets/fonts/LICENSE-DejaVu.txt",
    ] {
        assert!(root().join(f).is_file(), "{f} is missing");
    }
    let cargo = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(cargo.contains("license = \"MIT OR Apache-2.0\"") && cargo.contains("rust-version"));
    let model = fs::read_to_string(root().join("docs/MODEL.md")).unwrap();
    for heading in [
        "## Appendix A: the reports behind the model",
        "## Appendix B: the TM-1 model contract (verbatim)",
        "#### One week, in this order",
        "#### Calibration and reference figures",
    ] {
        assert!(model.contains(heading), "docs/MODEL.md lacks {heading:?}");
    }
}
