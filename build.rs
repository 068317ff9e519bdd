//! Build-time facts for the test suite: which of the outside programs that
//! some integration tests drive are on this machine. A test whose programs
//! are missing is compiled as ignored, with the reason (`cargo test`
//! lists it as `ignored, <reason>`), so it never passes without running.
//!
//! `GOODHART_REQUIRE_SLURM=1`, `GOODHART_REQUIRE_AARCH64=1` and
//! `GOODHART_REQUIRE_BROWSER=1` (set by `.ci/run` after it installs Slurm;
//! the aarch64 target, cross linker and qemu; and Chromium with its
//! WebDriver) turn those tests on whatever is detected: they must then run
//! and pass. Detection happens when the crate is built; after installing
//! Slurm or Chromium, touch build.rs (or set the variable) to pick it up.

use std::path::Path;

fn any_exists(paths: &[&str]) -> bool {
    paths.iter().any(|p| Path::new(p).exists())
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Runs git with `args` in the crate's directory; its trimmed output.
fn git(args: &[&str]) -> Option<String> {
    let o = std::process::Command::new("git").args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Sets GOODHART_COMMIT to the commit the binary is built from (short
/// hash), so that manifests and reports say exactly which code made the
/// results; "unknown" outside a git checkout (a crate tarball). The build
/// script reruns when HEAD or the branch it points to moves.
fn embed_commit() {
    let commit = std::env::var("GOODHART_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo::rustc-env=GOODHART_COMMIT={commit}");
    println!("cargo::rerun-if-env-changed=GOODHART_COMMIT");
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        let head = Path::new(&dir).join("HEAD");
        if head.exists() {
            println!("cargo::rerun-if-changed={}", head.display());
        }
    }
    if let (Some(common), Some(branch)) = (
        git(&["rev-parse", "--git-common-dir"]),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ) {
        for f in [branch.as_str(), "packed-refs"] {
            let p = Path::new(&common).join(f);
            if p.exists() {
                println!("cargo::rerun-if-changed={}", p.display());
            }
        }
    }
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    embed_commit();
    println!("cargo::rerun-if-env-changed=GOODHART_REQUIRE_SLURM");
    println!("cargo::rustc-check-cfg=cfg(slurm_unavailable)");
    println!("cargo::rustc-check-cfg=cfg(ldd_unavailable)");
    println!("cargo::rustc-check-cfg=cfg(aarch64_unavailable)");
    println!("cargo::rerun-if-env-changed=GOODHART_REQUIRE_AARCH64");
    println!("cargo::rustc-check-cfg=cfg(chromium_unavailable)");
    println!("cargo::rerun-if-env-changed=GOODHART_REQUIRE_BROWSER");

    let required = std::env::var("GOODHART_REQUIRE_SLURM").is_ok_and(|v| v == "1");
    let slurm = ["sbatch", "slurmctld", "slurmd", "munged"]
        .iter()
        .all(|b| any_exists(&[&format!("/usr/bin/{b}"), &format!("/usr/sbin/{b}")]))
        && is_root();
    if !required && !slurm {
        println!("cargo::rustc-cfg=slurm_unavailable");
    }
    let aarch64_required = std::env::var("GOODHART_REQUIRE_AARCH64").is_ok_and(|v| v == "1");
    let sysroot = std::env::var("RUSTUP_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| Path::new(&h).join(".rustup")));
    let target_installed = sysroot.is_ok_and(|r| {
        std::fs::read_dir(r.join("toolchains")).is_ok_and(|ts| {
            ts.flatten().any(|t| {
                t.path()
                    .join("lib/rustlib/aarch64-unknown-linux-gnu")
                    .exists()
            })
        })
    });
    let aarch64 = target_installed
        && any_exists(&["/usr/bin/aarch64-linux-gnu-gcc"])
        && any_exists(&["/usr/bin/qemu-aarch64"]);
    if !aarch64_required && !aarch64 {
        println!("cargo::rustc-cfg=aarch64_unavailable");
    }
    // The report in a real browser (tests/browser.rs): Debian's chromium
    // and chromium-driver.
    let browser_required = std::env::var("GOODHART_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let browser = any_exists(&["/usr/bin/chromium"]) && any_exists(&["/usr/bin/chromedriver"]);
    if !browser_required && !browser {
        println!("cargo::rustc-cfg=chromium_unavailable");
    }
    if !any_exists(&["/usr/bin/ldd", "/bin/ldd"]) {
        println!("cargo::rustc-cfg=ldd_unavailable");
    }
}
