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

/// The values of `metric` for `arm` in `week`, one per replicate, from a
/// run's weekly.csv.
pub fn week_values(weekly_csv: &Path, week: usize, arm: &str, metric: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(weekly_csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| {
        header
            .iter()
            .position(|h| *h == n)
            .unwrap_or_else(|| panic!("no column {n}"))
    };
    let (w, v, m) = (col("week"), col("variant"), col(metric));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[w] == week.to_string() && r[v] == arm)
        .map(|r| r[m].parse::<f64>().unwrap())
        .collect()
}

/// `goodhart serve FILE --port 0` in `dir`, stopped when dropped.
pub struct Served {
    child: std::process::Child,
    /// "127.0.0.1:PORT".
    pub addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the explorer on `file` in `dir` on a free port, and reads the
/// address it prints.
pub fn serve(dir: &Path, file: &str) -> Served {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["serve", file, "--port", "0"])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("goodhart serve starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    Served { child, addr }
}
