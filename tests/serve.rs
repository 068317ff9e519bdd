//! `goodhart serve` from the real binary: the JSON API returns the
//! registry and runs; the scenario the page downloads reproduces, with
//! `goodhart run`, exactly the numbers the page showed; and the server is
//! safe as a local server (foreign Host or Origin refused, bodies, sizes
//! and bad requests refused with clear errors, never a crash).

mod common;
use common::ok;

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const SCENARIO: &str = r#"
name = "explorer-fixture"
description = "A small organisation with an org-wide board, and the same without."
[run]
replicates = 3
seed = 5
[organisation]
employees = 150
weeks = 10
[policy]
adoption_target = 0.8
leaderboard = "org"
[variants.no-board]
leaderboard = "none"
"#;

type Server = common::Served;

fn start(dir: &std::path::Path) -> Server {
    std::fs::write(dir.join("s.toml"), SCENARIO).unwrap();
    common::serve(dir, "s.toml")
}

/// One HTTP/1.1 request with `headers` (Host is the server's unless
/// given); the status and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req += &format!("Host: {addr}\r\n");
    }
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    stream.write_all(req.as_bytes()).unwrap();
    // The server may refuse before reading a large body.
    let _ = stream.write_all(body);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    (status, body)
}

/// A POST of JSON `v`; the status and the body's bytes (chunked
/// transfer decoded).
fn http_bytes(addr: &str, path: &str, v: &Value) -> (u16, Vec<u8>) {
    let body = v.to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        addr,
        body.len()
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&reply[..split]).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap();
    let mut rest = &reply[split + 4..];
    if !head.contains("transfer-encoding: chunked") {
        return (status, rest.to_vec());
    }
    let mut out = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..end]).trim(), 16).unwrap();
        if size == 0 {
            return (status, out);
        }
        out.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[end + 2 + size + 2..];
    }
}

fn post_json(addr: &str, path: &str, v: &Value) -> (u16, String) {
    http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        v.to_string().as_bytes(),
    )
}

#[test]
fn the_downloaded_scenario_reproduces_the_pages_numbers_with_goodhart_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = start(d);

    let (code, body) = http(&s.addr, "GET", "/", &[], b"");
    assert_eq!(code, 200);
    assert!(
        body.contains("goodhart explorer")
            && !body.contains("http://")
            && !body.contains("https://"),
        "the page must be self-contained"
    );

    let (code, body) = http(&s.addr, "GET", "/api/params", &[], b"");
    assert_eq!(code, 200, "{body}");
    let params: Value = serde_json::from_str(&body).unwrap();
    let target = params["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "adoption_target")
        .expect("adoption_target in the registry");
    assert_eq!(target["kind"]["type"], "real");
    assert_eq!(target["value"], "0.8");

    // The base scenario has no timeline; the page adds an event and a ramp.
    let (_, base) = http(&s.addr, "GET", "/api/scenario", &[], b"");
    let base: Value = serde_json::from_str(&base).unwrap();
    assert_eq!(base["timeline"], json!([]));
    let request = json!({
        "set": {"adoption_target": 0.65, "habit_weight": 1.5},
        "timeline": [
            {"week": 4, "param": "leaderboard", "value": "manager"},
            {"from": 0, "to": 5, "param": "audit_rate", "start": 0, "end": "0.2"},
        ],
    });
    let (code, body) = post_json(&s.addr, "/api/run", &request);
    assert_eq!(code, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["arms"], json!(["base", "no-board"]));
    assert!(
        page["charts"]["dashboard"]
            .as_str()
            .unwrap()
            .contains("<svg")
    );
    assert!(
        page["charts"]["differences"]
            .as_str()
            .unwrap()
            .contains("<svg")
    );

    let (code, toml) = post_json(&s.addr, "/api/scenario", &request);
    assert_eq!(code, 200, "{toml}");
    std::fs::write(d.join("downloaded.toml"), &toml).unwrap();
    ok(
        d,
        &[
            "run",
            "downloaded.toml",
            "--out",
            "o",
            "--no-charts",
            "--quiet",
        ],
    );

    // Every metric's last-week mean per arm, from weekly.csv.
    let last = page["weeks"].as_u64().unwrap() - 1;
    let mut compared = 0;
    for m in page["metrics"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        for a in m["arms"].as_array().unwrap() {
            let arm = a["arm"].as_str().unwrap();
            let xs = common::week_values(&d.join("o/weekly.csv"), last as usize, arm, name);
            assert_eq!(xs.len(), 3, "{arm} {name}");
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            let shown = &a["mean"][last as usize];
            if mean.is_nan() {
                assert!(shown.is_null(), "{arm} {name}: {shown}");
            } else {
                let shown = shown.as_f64().unwrap();
                assert!(
                    (shown - mean).abs() <= 1e-12 * mean.abs().max(1.0),
                    "{arm} {name}: the page shows {shown}, goodhart run gives {mean}"
                );
            }
            compared += 1;
        }
    }
    assert!(compared >= 30, "{compared}");
    // The page's lighter answer: the last week of the metrics it names,
    // the same numbers.
    let light = json!({
        "set": request["set"], "timeline": request["timeline"],
        "metrics": ["incidents", "performative_share"], "series": "last",
    });
    let (code, body) = post_json(&s.addr, "/api/run", &light);
    assert_eq!(code, 200, "{body}");
    let light: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = light["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["incidents", "performative_share"]);
    for m in light["metrics"].as_array().unwrap() {
        assert_eq!(m["first_week"], json!(last));
        let full = page["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == m["name"])
            .unwrap();
        for (a, f) in m["arms"]
            .as_array()
            .unwrap()
            .iter()
            .zip(full["arms"].as_array().unwrap())
        {
            for k in ["mean", "low", "high"] {
                assert_eq!(a[k].as_array().unwrap().len(), 1, "{m}");
                assert_eq!(a[k][0], f[k][last as usize], "{} {k}", m["name"]);
            }
        }
    }
    assert_eq!(light["charts"], page["charts"]);
    assert_eq!(light["differences"], page["differences"]);
    // The files the page downloads are those goodhart run and plot write.
    ok(d, &["plot", "o", "--format", "both"]);
    for (name, path) in [
        ("weekly.csv", "o/weekly.csv"),
        ("summary.csv", "o/summary.csv"),
        ("dashboard.svg", "o/charts/dashboard.svg"),
        ("dashboard.png", "o/charts/dashboard.png"),
        ("differences.png", "o/charts/differences.png"),
    ] {
        let (code, bytes) = http_bytes(&s.addr, &format!("/api/file/{name}"), &request);
        assert_eq!(code, 200, "{name}: {}", String::from_utf8_lossy(&bytes));
        let want = std::fs::read(d.join(path)).unwrap();
        assert!(
            bytes == want,
            "{name} differs from {path} ({} and {} bytes)",
            bytes.len(),
            want.len()
        );
    }
    let (code, _) = http_bytes(&s.addr, "/api/file/passwd", &request);
    assert_eq!(code, 400);
    // The settings made it into the file that reproduces them.
    assert!(
        toml.contains("adoption_target = 0.65") && toml.contains("habit_weight = 1.5"),
        "{toml}"
    );
}

#[test]
fn a_local_server_refuses_foreign_hosts_origins_and_bad_requests_without_crashing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path());
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1.
    let (code, _) = http(
        &s.addr,
        "GET",
        "/api/params",
        &[("Host", "evil.example:80")],
        b"",
    );
    assert_eq!(code, 403);
    let (code, _) = http(
        &s.addr,
        "POST",
        "/api/run",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(code, 403);
    // Bad bodies: clear refusals.
    for body in [
        &b"not json"[..],
        b"[1, 2]",
        b"{\"set\": 5}",
        b"{\"set\": {\"nonsense\": 1}}",
        b"\xff\xfe",
    ] {
        let (code, reply) = http(
            &s.addr,
            "POST",
            "/api/run",
            &[("Content-Type", "application/json")],
            body,
        );
        assert!((400..500).contains(&code), "{body:?}: {code} {reply}");
    }
    // A value out of range names its field; a population beyond the cap too.
    let (code, reply) = post_json(&s.addr, "/api/run", &json!({"set": {"adoption_target": 7}}));
    assert_eq!(code, 400);
    let v: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(v["field"], "adoption_target", "{reply}");
    let (code, reply) = post_json(
        &s.addr,
        "/api/run",
        &json!({"set": {"employees": 2_000_000}}),
    );
    assert_eq!(code, 400);
    assert!(reply.contains("employees"), "{reply}");
    // A body beyond the limit.
    let big = format!("{{\"toml\": \"{}\"}}", "x".repeat(300 * 1024));
    let (code, _) = http(
        &s.addr,
        "POST",
        "/api/run",
        &[("Content-Type", "application/json")],
        big.as_bytes(),
    );
    assert_eq!(code, 413);
    // Unknown paths, wrong methods.
    assert_eq!(http(&s.addr, "GET", "/etc/passwd", &[], b"").0, 404);
    assert_eq!(http(&s.addr, "DELETE", "/api/run", &[], b"").0, 405);
    // Unknown metrics and series are refused with what is allowed.
    let (code, reply) = post_json(&s.addr, "/api/run", &json!({"metrics": ["incident"]}));
    assert_eq!(code, 400);
    assert!(reply.contains("did you mean incidents?"), "{reply}");
    let (code, reply) = post_json(&s.addr, "/api/run", &json!({"series": "end"}));
    assert_eq!(code, 400);
    assert!(reply.contains("\\\"last\\\""), "{reply}");
    let (code, reply) = http(&s.addr, "GET", "/api/progress", &[], b"");
    assert_eq!(code, 400, "{reply}");
    // Still serving.
    let (code, _) = http(&s.addr, "GET", "/api/params", &[], b"");
    assert_eq!(code, 200);
}

/// While a page's request computes, `/api/progress` tells how many of its
/// runs have ended, of how many.
#[test]
fn a_long_computation_reports_its_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path());
    // Ten runs of 20,000 employees: seconds of work in a debug build.
    let slow = json!({"page": "p2", "set": {"employees": 20000, "weeks": 20, "replicates": 5}});
    let addr = s.addr.clone();
    let running = std::thread::spawn(move || post_json(&addr, "/api/run", &slow));
    let mut seen = Vec::new();
    while !running.is_finished() {
        let (code, body) = http(&s.addr, "GET", "/api/progress?page=p2", &[], b"");
        assert_eq!(code, 200, "{body}");
        let p: Value = serde_json::from_str(&body).unwrap();
        let (done, total) = (p["done"].as_u64().unwrap(), p["total"].as_u64().unwrap());
        if total > 0 {
            assert_eq!(total, 10, "{body}");
            assert!(done <= total, "{body}");
            seen.push(done);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, body) = running.join().unwrap();
    assert_eq!(code, 200, "{}", &body[..body.len().min(200)]);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(
        seen.iter().any(|&d| d > 0 && d < 10),
        "no progress seen between the first and the last run: {seen:?}"
    );
    let (_, body) = http(&s.addr, "GET", "/api/progress?page=p2", &[], b"");
    assert_eq!(body, r#"{"done":10,"total":10}"#);
    let (_, body) = http(&s.addr, "GET", "/api/progress?page=unknown", &[], b"");
    assert_eq!(body, r#"{"done":0,"total":0}"#);
}

/// A newer request of the same page stops the older computation between
/// chunks of runs (409); requests without a page key are never stopped.
#[test]
fn a_newer_request_of_the_same_page_supersedes_the_older() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path());
    // Ten runs of 20,000 employees x 30 weeks: seconds of work in a debug
    // build. An optimised build can finish that before the newer request
    // arrives, so it gets the explorer's largest population (about a
    // second of work).
    let (employees, weeks) = if cfg!(debug_assertions) {
        (20_000, 30)
    } else {
        (100_000, 25)
    };
    let slow =
        json!({"page": "p1", "set": {"employees": employees, "weeks": weeks, "replicates": 5}});
    let addr = s.addr.clone();
    let older = std::thread::spawn(move || post_json(&addr, "/api/run", &slow));
    std::thread::sleep(Duration::from_millis(400));
    let (code, body) = post_json(
        &s.addr,
        "/api/run",
        &json!({"page": "p1", "set": {"weeks": 3}}),
    );
    assert_eq!(code, 200, "{body}");
    let (code, body) = older.join().unwrap();
    assert_eq!(
        code,
        409,
        "the older request was not superseded: {}",
        &body[..body.len().min(200)]
    );
    assert!(body.contains("superseded"), "{body}");
}
