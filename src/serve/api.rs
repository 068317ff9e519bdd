//! What `goodhart serve` computes, apart from HTTP: the parameter registry
//! as JSON, a scenario composed from a base file and the page's settings,
//! and a run's weekly means, intervals, paired differences and charts.

use crate::charts::data::RunResults;
use crate::charts::defaults::{AnyChart, run_charts};
use crate::charts::{Chart, to_svg};
use crate::model::metrics::Metric;
use crate::params::registry::{Kind, ParamDef};
use crate::params::{MODEL_PARAMS, ModelParams, RUN_SETTINGS, RunSettings};
use crate::scenario::Scenario;
use serde_json::{Value as Json, json};

/// The largest population the explorer simulates, and the most
/// agent-weeks (employees x weeks x replicates x arms) of one request:
/// beyond them the answer could not follow a slider, and `goodhart run`
/// is the tool.
pub const MAX_EMPLOYEES: usize = 100_000;
pub const MAX_AGENT_WEEKS: f64 = 5e7;

/// A request the explorer refuses, with the field it is about, if any.
#[derive(Debug)]
pub struct Refusal {
    pub field: Option<String>,
    pub message: String,
}

impl Refusal {
    fn new(field: Option<&str>, message: impl Into<String>) -> Refusal {
        Refusal {
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

fn kind_json(k: &Kind) -> Json {
    match *k {
        Kind::Real { min, max, words } => json!({
            "type": "real", "min": min, "max": max,
            "words": words.iter().map(|(w, v)| json!({"word": w, "value": v})).collect::<Vec<_>>(),
        }),
        Kind::Integer { min, max } => json!({"type": "integer", "min": min, "max": max}),
        Kind::Choice(words) => json!({"type": "choice", "values": words}),
        Kind::Distribution { min, max } => json!({"type": "distribution", "min": min, "max": max}),
    }
}

fn defs_json<T>(defs: &'static [ParamDef<T>], defaults: &T, sc: &T) -> Vec<Json> {
    defs.iter()
        .map(|d| {
            json!({
                "name": d.name,
                "section": d.section.name(),
                "unit": d.unit,
                "kind": kind_json(&d.kind),
                "allowed": d.kind.describe(),
                "timeline": d.timeline,
                "meaning": d.meaning,
                "default": d.show(&(d.get)(defaults)).trim_matches('"'),
                "value": d.show(&(d.get)(sc)).trim_matches('"'),
            })
        })
        .collect()
}

/// The metrics whose last week the page tabulates (`/api/params` tells the
/// page; `bench --explorer` asks for the same answer).
pub const PAGE_METRICS: [&str; 7] = [
    "measured_adoption",
    "performative_share",
    "goodhart_gap",
    "output_index",
    "net_value_usd",
    "tokens_per_employee_mtok",
    "incidents",
];

/// Every parameter of the registry (run settings first), with its range,
/// unit, meaning, default and its value in scenario `sc`.
pub fn params(sc: &Scenario) -> Json {
    let mut all = defs_json(RUN_SETTINGS, &RunSettings::default(), &sc.run);
    all.extend(defs_json(MODEL_PARAMS, &ModelParams::default(), &sc.params));
    json!({
        "sections": crate::params::registry::Section::ALL
            .iter()
            .map(|s| json!({"name": s.name(), "describe": s.describe()}))
            .collect::<Vec<_>>(),
        "params": all,
        "page_metrics": PAGE_METRICS,
    })
}

/// The section (TOML table) of parameter `name`.
fn section_of(name: &str) -> Option<&'static str> {
    crate::params::registry::find(RUN_SETTINGS, name)
        .map(|d| d.section.name())
        .or_else(|| crate::params::registry::find(MODEL_PARAMS, name).map(|d| d.section.name()))
}

/// A JSON value of the page as a TOML value.
fn toml_value(name: &str, v: &Json) -> Result<toml::Value, Refusal> {
    match v {
        Json::Number(n) => Ok(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(x)) => toml::Value::Float(x),
            _ => return Err(Refusal::new(Some(name), "not a number")),
        }),
        Json::String(s) => {
            // A number typed into a text field is a number.
            if let Ok(i) = s.trim().parse::<i64>() {
                Ok(toml::Value::Integer(i))
            } else if let Ok(x) = s.trim().parse::<f64>() {
                Ok(toml::Value::Float(x))
            } else if s.trim_start().starts_with('{') {
                // A distribution as an inline table: `{ dist = "beta", ... }`.
                let doc = format!("x = {s}");
                let t: toml::Table = doc.parse().map_err(|e: toml::de::Error| {
                    Refusal::new(Some(name), format!("not a distribution: {}", e.message()))
                })?;
                Ok(t["x"].clone())
            } else {
                Ok(toml::Value::String(s.clone()))
            }
        }
        _ => Err(Refusal::new(Some(name), "give a number or a word")),
    }
}

/// The base timeline of a scenario file as the page edits it: a list of
/// `{"week", "param", "value"}` events and `{"from", "to", "param",
/// "start", "end"}` ramps.
pub fn timeline_json(text: &str) -> Json {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return json!([]);
    };
    let Some(toml::Value::Array(events)) = doc.get("timeline") else {
        return json!([]);
    };
    let show = |v: &toml::Value| match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(x) => json!(x),
        other => json!(other.to_string()),
    };
    events
        .iter()
        .filter_map(|e| {
            let t = e.as_table()?;
            let (param, value) = t
                .iter()
                .find(|(k, _)| !["week", "from", "to"].contains(&k.as_str()))?;
            Some(match (t.get("week"), t.get("from"), t.get("to"), value) {
                (Some(w), _, _, v) => json!({"week": show(w), "param": param, "value": show(v)}),
                (_, Some(f), Some(to), toml::Value::Array(ends)) if ends.len() == 2 => json!({
                    "from": show(f), "to": show(to), "param": param,
                    "start": show(&ends[0]), "end": show(&ends[1]),
                }),
                _ => return None,
            })
        })
        .collect()
}

/// An integer field of a timeline entry.
fn week_of(e: &serde_json::Map<String, Json>, key: &str) -> Result<toml::Value, Refusal> {
    let v = e
        .get(key)
        .ok_or_else(|| Refusal::new(None, format!("a timeline entry needs `{key}`")))?;
    let n = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .ok_or_else(|| {
            Refusal::new(
                None,
                format!("timeline `{key}` must be a whole number of weeks"),
            )
        })?;
    Ok(toml::Value::Integer(n))
}

/// The page's timeline list as the file's `[[timeline]]` tables.
fn timeline_toml(list: &[Json]) -> Result<toml::Value, Refusal> {
    let mut out = Vec::new();
    for e in list {
        let e = e
            .as_object()
            .ok_or_else(|| Refusal::new(None, "a timeline entry must be an object"))?;
        let param = e
            .get("param")
            .and_then(Json::as_str)
            .ok_or_else(|| Refusal::new(None, "a timeline entry needs `param`"))?;
        let mut t = toml::Table::new();
        if e.contains_key("week") {
            t.insert("week".into(), week_of(e, "week")?);
            let v = e.get("value").unwrap_or(&Json::Null);
            t.insert(param.into(), toml_value(param, v)?);
        } else {
            t.insert("from".into(), week_of(e, "from")?);
            t.insert("to".into(), week_of(e, "to")?);
            let ends = ["start", "end"]
                .iter()
                .map(|k| toml_value(param, e.get(*k).unwrap_or(&Json::Null)))
                .collect::<Result<Vec<_>, _>>()?;
            t.insert(param.into(), toml::Value::Array(ends));
        }
        out.push(toml::Value::Table(t));
    }
    Ok(toml::Value::Array(out))
}

/// The scenario file the page's settings make: the base file `base` with
/// each of `set` written into its table, and the base timeline replaced by
/// `timeline` when given. `goodhart run` on this text reproduces the
/// page's numbers exactly.
pub fn compose_with(
    base: &str,
    set: &serde_json::Map<String, Json>,
    timeline: Option<&[Json]>,
) -> Result<String, Refusal> {
    let mut doc: toml::Table = base
        .parse()
        .map_err(|e: toml::de::Error| Refusal::new(None, format!("scenario: {}", e.message())))?;
    if let Some(list) = timeline {
        doc.insert("timeline".into(), timeline_toml(list)?);
    }
    compose_doc(doc, set)
}

/// [`compose_with`] without a timeline change.
pub fn compose(base: &str, set: &serde_json::Map<String, Json>) -> Result<String, Refusal> {
    compose_with(base, set, None)
}

fn compose_doc(
    mut doc: toml::Table,
    set: &serde_json::Map<String, Json>,
) -> Result<String, Refusal> {
    for (name, v) in set {
        let section = section_of(name)
            .ok_or_else(|| Refusal::new(Some(name), format!("`{name}` is not a parameter")))?;
        let value = toml_value(name, v)?;
        let table = doc
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(t) = table else {
            return Err(Refusal::new(None, format!("`{section}` is not a table")));
        };
        t.insert(name.clone(), value);
    }
    toml::to_string(&doc).map_err(|e| Refusal::new(None, e.to_string()))
}

/// A validator message as one line: "7 is out of range; use a value in
/// [0, 1]; ..." (the first problem's text and its help).
fn short(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or("");
    // "explorer.toml:13:19: 7 is out of range" -> "7 is out of range".
    let text = first.splitn(4, ':').nth(3).map_or(first, str::trim);
    let help = lines
        .find_map(|l| l.trim().strip_prefix("help:"))
        .map(str::trim);
    match help {
        Some(h) => format!("{text}; {h}"),
        None => text.to_string(),
    }
}

/// Parses and checks a composed scenario, refusing what the explorer
/// will not simulate.
pub fn scenario(text: &str) -> Result<Scenario, Refusal> {
    let sc = Scenario::parse(text, "explorer.toml", "explorer").map_err(|e| {
        // The validator's message names the key; the page shows it next
        // to the field of that name.
        let message = e.to_string();
        let field = MODEL_PARAMS
            .iter()
            .map(|d| d.name)
            .chain(RUN_SETTINGS.iter().map(|d| d.name))
            .find(|n| message.contains(&format!("`{n}`")) || message.contains(&format!("{n} =")));
        match field {
            // Next to its field: the problem and the help, without the
            // location in a file the user never wrote.
            Some(f) => Refusal::new(Some(f), short(&message)),
            None => Refusal::new(None, message),
        }
    })?;
    if sc.sweep.is_some() {
        return Err(Refusal::new(
            None,
            "the explorer runs scenarios, not sweeps: remove [sweep] or use goodhart sweep",
        ));
    }
    let employees = sc.params.employees;
    if employees > MAX_EMPLOYEES {
        return Err(Refusal::new(
            Some("employees"),
            format!(
                "{employees} employees: the explorer simulates at most {MAX_EMPLOYEES}; use goodhart run for more"
            ),
        ));
    }
    let work = employees as f64
        * sc.params.weeks as f64
        * sc.run.replicates as f64
        * (1 + sc.variants.len()) as f64;
    if work > MAX_AGENT_WEEKS {
        return Err(Refusal::new(
            Some("replicates"),
            format!(
                "{work:.0} agent-weeks (employees x weeks x replicates x arms) is more than the explorer's {MAX_AGENT_WEEKS:.0}; lower one of them, or use goodhart run"
            ),
        ));
    }
    Ok(sc)
}

/// How much of the weekly series an answer carries: every metric (or
/// the named ones), over every week (or only the last). The page asks for
/// the last week of the metrics it tabulates, which keeps its answer small;
/// scripts get everything by default.
#[derive(Clone, Debug, Default)]
pub struct Detail {
    /// The metrics whose series to send; `None` for all of them.
    pub metrics: Option<Vec<Metric>>,
    /// Send only the last week's mean and interval.
    pub last_week_only: bool,
}

impl Detail {
    /// Reads the optional `"metrics"` (a list of metric names) and
    /// `"series"` (`"weekly"`, the default, or `"last"`) of a request.
    pub fn from_request(body: &serde_json::Map<String, Json>) -> Result<Detail, Refusal> {
        let metrics = match body.get("metrics") {
            None | Some(Json::Null) => None,
            Some(Json::Array(names)) => Some(
                names
                    .iter()
                    .map(|n| {
                        let name = n.as_str().unwrap_or_default();
                        Metric::from_name(name).ok_or_else(|| {
                            let names = Metric::ALL.iter().map(|m| m.name());
                            let hint = match crate::params::registry::closest(names.clone(), name) {
                                Some(c) => format!("did you mean {c}?"),
                                None => format!(
                                    "the metrics are {}",
                                    names.collect::<Vec<_>>().join(", ")
                                ),
                            };
                            Refusal::new(None, format!("`metrics`: no metric {n}; {hint}"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => {
                return Err(Refusal::new(
                    None,
                    "`metrics` must be a list of metric names",
                ));
            }
        };
        let last_week_only = match body.get("series").map(|s| s.as_str()) {
            None | Some(Some("weekly")) => false,
            Some(Some("last")) => true,
            Some(_) => {
                return Err(Refusal::new(
                    None,
                    "`series` must be \"weekly\" (every week, the default) or \"last\" (the last week only)",
                ));
            }
        };
        Ok(Detail {
            metrics,
            last_week_only,
        })
    }
}

fn series_json(r: &RunResults, m: Metric, detail: &Detail) -> Json {
    let from = if detail.last_week_only {
        r.weeks.saturating_sub(1)
    } else {
        0
    };
    let arms: Vec<Json> = (0..r.variants.len())
        .map(|v| {
            let band = r.band_from(v, m, from);
            json!({
                "arm": r.variants[v],
                "mean": band.iter().map(|b| b.1).collect::<Vec<_>>(),
                "low": band.iter().map(|b| b.2).collect::<Vec<_>>(),
                "high": band.iter().map(|b| b.3).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"name": m.name(), "label": m.label(), "unit": m.unit(), "first_week": from, "arms": arms})
}

/// A recording that records nothing but that its run finished: the batch
/// runner hands each run's part over as its chunk of runs ends, which is
/// where a superseded computation stops.
struct Finished(bool);

impl crate::model::Observer for Finished {
    fn observe(
        &mut self,
        _: &crate::model::Simulation,
        _: usize,
        _: &crate::model::metrics::WeekMetrics,
    ) {
        self.0 = true;
    }
}

impl crate::batch::Record for Finished {
    type Part = ();

    fn take_part(&mut self) -> Option<()> {
        std::mem::take(&mut self.0).then_some(())
    }

    fn size(&self, _: &ModelParams) -> crate::resources::RecordSize {
        crate::resources::RecordSize::default()
    }
}

/// Why runs stopped: a problem, or a newer request.
enum Stop {
    Invalid(crate::params::InvalidParams),
    Superseded,
}

impl From<crate::params::InvalidParams> for Stop {
    fn from(e: crate::params::InvalidParams) -> Stop {
        Stop::Invalid(e)
    }
}

/// The message of a computation stopped because a newer request from the
/// same page superseded it.
pub const SUPERSEDED: &str = "superseded by a newer request";

/// The number of runs of scenario `sc`: replicates x arms.
pub fn runs_of(sc: &Scenario) -> usize {
    sc.run.replicates * (1 + sc.variants.len())
}

/// The replicates of every arm of `sc`. As each run ends, `watch` hears
/// how many have ended; the runs stop (between chunks of runs) once it
/// answers that a newer request has superseded them.
fn runs_until(
    sc: &Scenario,
    watch: &dyn Fn(usize) -> bool,
) -> Result<Vec<crate::experiment::RunResult>, Refusal> {
    let mut done = 0;
    let mut check = |_: &crate::experiment::Run, _: ()| {
        done += 1;
        if watch(done) {
            Err(Stop::Superseded)
        } else {
            Ok(())
        }
    };
    crate::experiment::run_replicates_recording(
        sc,
        &|_| Finished(false),
        &mut check,
        &mut |_, _| {},
    )
    .map_err(|e| match e {
        Stop::Invalid(e) => Refusal::new(None, e.to_string()),
        Stop::Superseded => Refusal::new(None, SUPERSEDED),
    })
}

/// Runs scenario `sc` and returns what the page shows: every metric's
/// weekly mean and 95% CI per arm, each variant's paired difference from
/// the base in the last week, and the dashboard and differences charts as
/// SVG (drawn by the same code as `goodhart run`).
pub fn run(sc: &Scenario, detail: &Detail) -> Result<Json, Refusal> {
    run_until(sc, detail, &|_| false)
}

/// [`run`], telling `watch` how many runs have ended as each ends, and
/// stopped early (with [`SUPERSEDED`]) once `watch` answers true.
pub fn run_until(
    sc: &Scenario,
    detail: &Detail,
    watch: &dyn Fn(usize) -> bool,
) -> Result<Json, Refusal> {
    let started = std::time::Instant::now();
    let runs = runs_until(sc, watch)?;
    let simulated = started.elapsed();
    let r = RunResults::from_runs(sc, &runs).map_err(|e| Refusal::new(None, e.to_string()))?;
    let last = r.weeks.saturating_sub(1);
    let differences: Vec<Json> = Metric::EFFECTS
        .iter()
        .flat_map(|&m| {
            let r = &r;
            (1..r.variants.len()).map(move |v| {
                let d = r.paired_difference(v, m, last);
                json!({"metric": m.name(), "arm": r.variants[v], "mean": d.mean, "low": d.ci_low, "high": d.ci_high})
            })
        })
        .collect();
    let mut charts = serde_json::Map::new();
    for c in run_charts(&r, &[]).map_err(|e| Refusal::new(None, e.to_string()))? {
        if matches!(c, AnyChart::Dashboard(_) | AnyChart::Differences(_)) {
            let svg = to_svg(&c).map_err(|e| Refusal::new(None, e.to_string()))?;
            charts.insert(c.stem(), Json::String(svg));
        }
    }
    Ok(json!({
        "scenario": r.scenario,
        "arms": r.variants,
        "weeks": r.weeks,
        "replicates": r.replicates,
        "employees": sc.params.employees,
        "metrics": detail
            .metrics
            .as_deref()
            .unwrap_or(Metric::ALL)
            .iter()
            .map(|&m| series_json(&r, m, detail))
            .collect::<Vec<_>>(),
        "differences": differences,
        "charts": charts,
        "simulate_ms": simulated.as_secs_f64() * 1e3,
        "total_ms": started.elapsed().as_secs_f64() * 1e3,
    }))
}

/// A file of the run of `sc`, byte for byte what `goodhart run` (the CSV
/// files) or `goodhart plot` (a chart, `STEM.svg` or `STEM.png` of the
/// default set) writes for the same scenario: (content type, bytes).
pub fn file(sc: &Scenario, name: &str) -> Result<(&'static str, Vec<u8>), Refusal> {
    let fail = |e: String| Refusal::new(None, e);
    let runs = crate::experiment::run_replicates(sc).map_err(|e| fail(e.to_string()))?;
    let csv = |bytes: Result<Vec<u8>, crate::output::OutputError>| {
        bytes
            .map(|b| ("text/csv; charset=utf-8", b))
            .map_err(|e| fail(e.to_string()))
    };
    match name {
        "weekly.csv" => csv(crate::output::csv_rows(
            "weekly.csv",
            crate::output::weekly_rows(&sc.name, &runs),
        )),
        "summary.csv" => csv(crate::output::csv_rows(
            "summary.csv",
            crate::output::summary_rows(&sc.name, &runs),
        )),
        _ => {
            let (stem, png) = match (name.strip_suffix(".svg"), name.strip_suffix(".png")) {
                (Some(s), _) => (s, false),
                (_, Some(s)) => (s, true),
                _ => {
                    return Err(fail(format!(
                        "no file {name}: ask for weekly.csv, summary.csv or a chart's STEM.svg or STEM.png"
                    )));
                }
            };
            let r = RunResults::from_runs(sc, &runs).map_err(|e| fail(e.to_string()))?;
            let charts = run_charts(&r, &[]).map_err(|e| fail(e.to_string()))?;
            let stems: Vec<String> = charts.iter().map(|c| c.stem()).collect();
            let chart = charts.iter().find(|c| c.stem() == stem).ok_or_else(|| {
                fail(format!(
                    "no chart {stem}: this run has {}",
                    stems.join(", ")
                ))
            })?;
            if png {
                let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
                let written = crate::charts::render(chart, tmp.path(), crate::charts::Format::Png)
                    .map_err(|e| fail(e.to_string()))?;
                let path = written.first().ok_or_else(|| fail("no PNG drawn".into()))?;
                let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
                Ok(("image/png", bytes))
            } else {
                let svg = to_svg(chart).map_err(|e| fail(e.to_string()))?;
                Ok(("image/svg+xml", svg.into_bytes()))
            }
        }
    }
}
