//! `goodhart serve`: a local web server for the interactive policy
//! explorer. The page (HTML, CSS and script embedded in the binary; no
//! CDN, no request leaves the machine) has a control for every parameter
//! of the registry; each change asks `POST /api/run` for the weekly means
//! and 95% CIs of every arm, the paired differences from the base and the
//! charts, drawn as SVG by goodhart's own chart code (the same charts as
//! `goodhart run` and the report).
//!
//! Safe as a local server: it binds to 127.0.0.1 unless told otherwise;
//! it answers only requests whose Host (and Origin, when there is one)
//! names the server itself, which defeats DNS rebinding; it caps request
//! bodies, populations and concurrent computations; and it reads no file
//! but the scenario it was started with.

pub mod api;

use crate::scenario::Scenario;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value as JsonValue, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The page, embedded in the binary.
const PAGE: &str = include_str!("page.html");

/// The largest request body: a scenario file and its settings.
pub const MAX_BODY: usize = 256 * 1024;

/// Computations running at once; more wait their turn.
const CONCURRENT_RUNS: usize = 2;

/// What the handlers share.
struct Shared {
    /// The scenario file the server started with.
    base: String,
    /// The Host values the server answers to ("127.0.0.1:8000", ...).
    hosts: Vec<String>,
    runs: Semaphore,
    /// Per page (the body's `"page"` key): its newest run request and how
    /// far that has got. An older request of the same page stops between
    /// chunks of runs; requests without a page key are never stopped.
    pages: std::sync::Mutex<std::collections::HashMap<String, PageRuns>>,
}

/// A page's newest run request: its number and its runs ended of all.
#[derive(Clone, Copy, Default)]
struct PageRuns {
    newest: u64,
    done: usize,
    total: usize,
}

impl Shared {
    fn pages(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, PageRuns>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A refusal as an HTTP answer: 400 with the message and the field.
fn refused(r: api::Refusal) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": r.message, "field": r.field})),
    )
        .into_response()
}

/// Only the server's own Host, and Origin when a browser sends one.
async fn same_origin(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let headers: &HeaderMap = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !s.hosts.iter().any(|h| h == host) {
        return (
            StatusCode::FORBIDDEN,
            format!(
                "goodhart serve answers only requests for {}",
                s.hosts.join(" or ")
            ),
        )
            .into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin.to_str().ok().is_some_and(|o| {
            o.strip_prefix("http://")
                .is_some_and(|rest| s.hosts.iter().any(|h| h == rest))
        });
        if !ok {
            return (StatusCode::FORBIDDEN, "cross-origin requests are refused").into_response();
        }
    }
    next.run(req).await
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
            ),
        ],
        PAGE,
    )
}

async fn params(State(s): State<Arc<Shared>>) -> Response {
    match api::scenario(&s.base) {
        Ok(sc) => Json(api::params(&sc)).into_response(),
        Err(r) => refused(r),
    }
}

async fn base_scenario(State(s): State<Arc<Shared>>) -> Response {
    match Scenario::parse(&s.base, "explorer.toml", "explorer") {
        Ok(sc) => Json(json!({
            "name": sc.name,
            "description": sc.description,
            "toml": s.base,
            "arms": sc.arms().iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
            "timeline": api::timeline_json(&s.base),
        }))
        .into_response(),
        Err(e) => refused(api::Refusal {
            field: None,
            message: e.to_string(),
        }),
    }
}

/// The body of `/api/run` and `/api/scenario`: a scenario file (the
/// server's own when missing) and settings to write into it.
fn composed(s: &Shared, body: &JsonValue) -> Result<String, api::Refusal> {
    let refuse = |m: &str| api::Refusal {
        field: None,
        message: m.to_string(),
    };
    let obj = body
        .as_object()
        .ok_or_else(|| refuse("the body must be a JSON object: {\"toml\": ..., \"set\": {...}}"))?;
    let base = match obj.get("toml") {
        None | Some(JsonValue::Null) => s.base.as_str(),
        Some(JsonValue::String(t)) => t.as_str(),
        Some(_) => return Err(refuse("`toml` must be the text of a scenario file")),
    };
    let empty = serde_json::Map::new();
    let set = match obj.get("set") {
        None | Some(JsonValue::Null) => &empty,
        Some(JsonValue::Object(m)) => m,
        Some(_) => return Err(refuse("`set` must map parameter names to values")),
    };
    let timeline = match obj.get("timeline") {
        None | Some(JsonValue::Null) => None,
        Some(JsonValue::Array(list)) => Some(list.as_slice()),
        Some(_) => return Err(refuse("`timeline` must be a list of events and ramps")),
    };
    api::compose_with(base, set, timeline)
}

async fn scenario_file(State(s): State<Arc<Shared>>, Json(body): Json<JsonValue>) -> Response {
    match composed(&s, &body).and_then(|t| api::scenario(&t).map(|_| t)) {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"explorer.toml\"",
                ),
            ],
            text,
        )
            .into_response(),
        Err(r) => refused(r),
    }
}

async fn run(State(s): State<Arc<Shared>>, Json(body): Json<JsonValue>) -> Response {
    let asked = composed(&s, &body).and_then(|t| {
        let detail = api::Detail::from_request(body.as_object().unwrap_or(&Default::default()))?;
        Ok((api::scenario(&t)?, detail))
    });
    let (sc, detail) = match asked {
        Ok(asked) => asked,
        Err(r) => return refused(r),
    };
    let Ok(_permit) = s.runs.try_acquire() else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": format!("{CONCURRENT_RUNS} computations are running; try again when one ends")})),
        )
            .into_response();
    };
    // This request supersedes the page's older ones.
    let page = body
        .get("page")
        .and_then(JsonValue::as_str)
        .map(str::to_string);
    let total = api::runs_of(&sc);
    let ticket = page.as_ref().map(|p| {
        let mut pages = s.pages();
        if pages.len() > 10_000 {
            pages.clear();
        }
        let runs = pages.entry(p.clone()).or_default();
        *runs = PageRuns {
            newest: runs.newest + 1,
            done: 0,
            total,
        };
        runs.newest
    });
    let shared = s.clone();
    // Records the newest request's progress; true once superseded.
    let watch = move |done: usize| match (&page, ticket) {
        (Some(p), Some(t)) => match shared.pages().get_mut(p) {
            Some(runs) if runs.newest == t => {
                runs.done = done;
                false
            }
            _ => true,
        },
        _ => false,
    };
    match tokio::task::spawn_blocking(move || api::run_until(&sc, &detail, &watch)).await {
        Ok(Ok(result)) => Json(result).into_response(),
        Ok(Err(r)) if r.message == api::SUPERSEDED => {
            (StatusCode::CONFLICT, Json(json!({"error": r.message}))).into_response()
        }
        Ok(Err(r)) => refused(r),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": format!("the computation failed: {e}")})),
        )
            .into_response(),
    }
}

/// `GET /api/progress?page=KEY`: how many runs of the page's newest run
/// request have ended, of how many.
async fn progress(
    State(s): State<Arc<Shared>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(page) = q.get("page") else {
        return refused(api::Refusal {
            field: None,
            message: "name the page: /api/progress?page=KEY, the `page` of its run requests".into(),
        });
    };
    let runs = s.pages().get(page).copied().unwrap_or_default();
    Json(json!({"done": runs.done, "total": runs.total})).into_response()
}

async fn file(
    State(s): State<Arc<Shared>>,
    Path(name): Path<String>,
    Json(body): Json<JsonValue>,
) -> Response {
    let sc = match composed(&s, &body).and_then(|t| api::scenario(&t)) {
        Ok(sc) => sc,
        Err(r) => return refused(r),
    };
    let Ok(_permit) = s.runs.try_acquire() else {
        return (StatusCode::TOO_MANY_REQUESTS, "busy: try again").into_response();
    };
    match tokio::task::spawn_blocking(move || api::file(&sc, &name).map(|f| (f, name))).await {
        Ok(Ok(((kind, bytes), name))) => (
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", name.replace('"', "")),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(r)) => refused(r),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the computation failed: {e}"),
        )
            .into_response(),
    }
}

/// The explorer's routes for a server reachable as `hosts`, starting
/// from scenario file text `base`.
pub fn router(base: String, hosts: Vec<String>) -> Router {
    let shared = Arc::new(Shared {
        base,
        hosts,
        runs: Semaphore::new(CONCURRENT_RUNS),
        pages: std::sync::Mutex::new(std::collections::HashMap::new()),
    });
    Router::new()
        .route("/", get(page))
        .route("/api/params", get(params))
        .route("/api/scenario", get(base_scenario).post(scenario_file))
        .route("/api/run", post(run))
        .route("/api/progress", get(progress))
        .route("/api/file/{name}", post(file))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(shared.clone(), same_origin))
        .with_state(shared)
}

/// The Host values a server bound to `addr` answers to.
pub fn hosts_for(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![format!("{addr}")];
    if addr.ip().is_loopback() {
        for h in [
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ] {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    hosts
}

/// Serves the explorer on `addr` (port 0: any free port), printing its URL
/// through `announce`, until the process is stopped.
pub fn serve(
    base: String,
    addr: SocketAddr,
    announce: impl FnOnce(&str),
) -> Result<(), std::io::Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        announce(&format!("http://{bound}/"));
        axum::serve(listener, router(base, hosts_for(bound))).await
    })
}
