//! Headless Chromium through chromedriver's W3C WebDriver HTTP API, for
//! tests/browser.rs: a chromedriver on a free local port (it accepts only
//! local connections), one browser session, and a guard that stops both,
//! and whatever Chromium left running, by pid.

use base64::Engine as _;
use serde_json::{Value, json};
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Fails the test: it only runs where build.rs found Chromium, or where
/// GOODHART_REQUIRE_BROWSER=1 demands it.
pub fn missing(reason: &str) -> ! {
    panic!("cannot run the browser test: {reason} (GOODHART_REQUIRE_BROWSER=1 requires it)");
}

/// Every process as (pid, parent pid, command line).
fn processes() -> Vec<(u32, u32, String)> {
    let mut all = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return all;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let cmdline = fs::read(e.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        all.push((pid, ppid, cmdline));
    }
    all
}

/// Pids of the processes this test started: everything below `pid`
/// (children, their children, ...) and anything whose command line names
/// `dir`, the test's own scratch directory (Chromium's crash handler
/// detaches from its parent, but its database is under `dir`).
fn started_by_us(pid: u32, dir: &Path) -> Vec<u32> {
    let all = processes();
    let dir = dir.display().to_string();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(all.iter().filter(|q| q.1 == p).map(|q| q.0));
        i += 1;
    }
    for q in &all {
        if q.2.contains(&dir) && !found.contains(&q.0) {
            found.push(q.0);
        }
    }
    found.retain(|&p| p != pid);
    found
}

/// A chromedriver this test started and the browser session it opened.
/// Dropping it ends the session (Chromium quits), then kills chromedriver
/// and anything of Chromium's still running, by pid.
pub struct Driver {
    child: Child,
    base: String,
    agent: ureq::Agent,
    session: Option<String>,
    /// Scratch directory: chromedriver's log, Chromium's profile and home.
    dir: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let _ = self
                .agent
                .delete(format!("{}/session/{s}", self.base))
                .call();
        }
        let left: Vec<String> = started_by_us(self.child.id(), &self.dir)
            .iter()
            .map(u32::to_string)
            .collect();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !left.is_empty() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(&left)
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Driver {
    /// Starts chromedriver on a free local port, with `dir` (a fresh
    /// directory) as the home of it and of the browser, and waits until it
    /// is ready; tries a few ports in case another process takes one first.
    pub fn start(dir: &Path) -> Driver {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        for sub in ["home/.config", "home/.cache", "profile"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let home = dir.join("home");
        let mut last = String::new();
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free local port");
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!(
                    "--log-path={}",
                    dir.join("chromedriver.log").display()
                ))
                .env("HOME", &home)
                .env("XDG_CONFIG_HOME", home.join(".config"))
                .env("XDG_CACHE_HOME", home.join(".cache"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| missing(&format!("chromedriver does not start: {e}")));
            let mut d = Driver {
                child,
                base: format!("http://127.0.0.1:{port}"),
                agent: agent.clone(),
                session: None,
                dir: dir.to_path_buf(),
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = d.child.try_wait() {
                    last = format!("chromedriver exited ({status}): {}", d.log_tail());
                    break;
                }
                if let Ok(v) = d.request("GET", "/status", None)
                    && v["value"]["ready"] == json!(true)
                {
                    return d;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if last.is_empty() {
                last = format!("chromedriver not ready in 30 s: {}", d.log_tail());
            }
        }
        panic!("{last}");
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// One WebDriver command; the reply's JSON, or the error it names.
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let reply = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, Some(b)) => self.agent.post(&url).send_json(b),
            (_, None) => self.agent.post(&url).send_json(json!({})),
        };
        let mut reply = reply.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = reply.status();
        let v: Value = reply
            .body_mut()
            .with_config()
            .limit(512 * 1024 * 1024)
            .read_json()
            .map_err(|e| format!("{method} {path}: unreadable reply: {e}"))?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!(
                "{method} {path}: HTTP {status}: {}",
                v["value"]["message"].as_str().unwrap_or(&v.to_string())
            ))
        }
    }

    /// A command in the open session; fails the test on an error.
    pub fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let s = self.session.as_deref().expect("a session");
        let mut v = self
            .request(method, &format!("/session/{s}{path}"), Some(body))
            .unwrap_or_else(|e| panic!("{e}\nchromedriver log:\n{}", self.log_tail()));
        v["value"].take()
    }

    /// Opens headless Chromium, with a fresh profile and no background
    /// network traffic, keeping every browser log entry.
    pub fn open_session(&mut self) {
        let profile = self.dir.join("profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-extensions",
                    "--disable-crash-reporter",
                    "--disable-breakpad",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
            "timeouts": {"pageLoad": 60_000, "script": 30_000},
        }}});
        let v = self
            .request("POST", "/session", Some(caps))
            .unwrap_or_else(|e| {
                missing(&format!(
                    "Chromium does not start: {e}\nchromedriver log:\n{}",
                    self.log_tail()
                ))
            });
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"));
        self.session = Some(id.to_string());
    }

    /// The whole page (not only the window) as PNG bytes, through the
    /// DevTools protocol (WebDriver's own screenshot is the window only),
    /// and the page's size in CSS pixels.
    pub fn full_page_png(&self) -> (Vec<u8>, f64, f64) {
        let metrics = self.command(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Page.getLayoutMetrics", "params": {}}),
        );
        let size = &metrics["cssContentSize"];
        let (w, h) = (
            size["width"].as_f64().unwrap_or(0.0),
            size["height"].as_f64().unwrap_or(0.0),
        );
        let shot = self.command(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": "Page.captureScreenshot", "params": {
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1},
            }}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("the screenshot is base64");
        (png, w, h)
    }
}
