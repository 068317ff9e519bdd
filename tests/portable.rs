//! Same bits on every platform: the golden scenario built for aarch64 and
//! run under qemu gives the same weekly.csv, byte for byte, as the one
//! checked in (made on x86-64).
//!
//! Needs the Rust target aarch64-unknown-linux-gnu, Debian's cross linker
//! (gcc-aarch64-linux-gnu) and qemu-user; `.ci/run` installs them and sets
//! GOODHART_REQUIRE_AARCH64=1. Where they are missing the test is compiled
//! as ignored with the reason (build.rs); when required, a missing piece
//! fails it. It builds the binary in its own target directory
//! (target/aarch64-check), a minute or two the first time.

use std::path::Path;
use std::process::Command;

#[test]
#[cfg_attr(
    aarch64_unavailable,
    ignore = "needs the aarch64-unknown-linux-gnu target, gcc-aarch64-linux-gnu and qemu-user; .ci/run installs them and sets GOODHART_REQUIRE_AARCH64=1"
)]
fn aarch64_gives_the_same_bytes_as_x86_64() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = root.join("target/aarch64-check");
    let build = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--target",
            "aarch64-unknown-linux-gnu",
            "--bin",
            "goodhart",
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
            "aarch64-linux-gnu-gcc",
        )
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        build.status.success(),
        "building for aarch64 failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let bin = target_dir.join("aarch64-unknown-linux-gnu/release/goodhart");
    let out = tempfile::tempdir().unwrap();
    let run = Command::new("qemu-aarch64")
        .args(["-L", "/usr/aarch64-linux-gnu"])
        .arg(&bin)
        .args([
            "run",
            "tests/golden/tiny.toml",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(out.path().join("tiny"))
        .current_dir(root)
        .output()
        .expect("qemu-aarch64 runs");
    assert!(
        run.status.success(),
        "the aarch64 binary failed under qemu:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got = std::fs::read(out.path().join("tiny/weekly.csv")).unwrap();
    let want = std::fs::read(root.join("tests/golden/tiny-weekly.csv")).unwrap();
    assert!(
        got == want,
        "aarch64 results differ from the x86-64 golden file"
    );
}
