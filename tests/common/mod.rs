//! Helpers shared by the integration tests that run the real binary.

#![allow(dead_code)] // each test crate uses a subset

use std::path::Path;
use std::process::{Command, Output};

/// Runs `goodhart ARGS` in `dir`.
pub fn goodhart(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the goodhart binary runs")
}

/// Standard output and standard error together.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `goodhart ARGS` in `dir` and fails the test if it fails.
pub fn ok(dir: &Path, args: &[&str]) -> Output {
    let o = goodhart(dir, args);
    assert!(
        o.status.success(),
        "goodhart {args:?} failed:\n{}",
        text(&o)
    );
    o
}
