//! Walks the spanned TOML tree of a scenario and builds parameters.
//!
//! Values are checked against the registry's [`Kind`]s as they are read;
//! every problem becomes a [`Diagnostic`] at the span of the key or value
//! concerned, with a suggestion (the closest valid name, the table a key
//! belongs in, the allowed range).

use super::error::Diagnostic;
mod explore;
pub mod sweep;
mod timeline;
mod values;
pub mod variants;

use crate::params::registry::{self, Kind, ParamDef, Section, Value, closest};
use crate::params::timeline::Timeline;
use crate::params::{MODEL_PARAMS, ModelParams, RUN_SETTINGS, RunSettings};
use crate::scenario::Scenario;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use values::{Located, distribution, integer, real};

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "run",
    "organisation",
    "policy",
    "behaviour",
    "population",
    "timeline",
    "variants",
    "sweep",
    "explore",
];

pub(super) type Item<'a> = Spanned<DeValue<'a>>;

/// Parses scenario text into a [`Scenario`]; on failure returns every
/// problem found.
pub(super) fn parse(text: &str, default_name: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let doc = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim().to_string();
        vec![
            Diagnostic::new(span, format!("invalid TOML: {msg}"))
                .help("check quotes, brackets and `key = value` syntax on this line"),
        ]
    })?;
    let mut p = Parser {
        errors: Vec::new(),
        out: Scenario {
            name: default_name.to_string(),
            description: String::new(),
            params: ModelParams::default(),
            run: RunSettings::default(),
            timeline: Timeline::default(),
            variants: Vec::new(),
            sweep: None,
            explore: None,
            input_sha256: super::sha256_hex(text.as_bytes()),
            text: text.to_string(),
        },
    };
    let mut timeline = None;
    let mut variants = None;
    let mut sweep = None;
    let mut explore = None;
    for (key, item) in doc.get_ref() {
        let k = key.get_ref().as_ref();
        match k {
            "name" | "description" => match item.get_ref().as_str() {
                Some(s) if k == "name" => p.out.name = s.to_string(),
                Some(s) => p.out.description = s.trim().to_string(),
                None => p.error(
                    item.span(),
                    format!("`{k}` must be a string"),
                    "put the text in double quotes",
                ),
            },
            "timeline" => timeline = Some(item),
            "variants" => variants = Some(item),
            "sweep" => sweep = Some(item),
            "explore" => explore = Some(item),
            _ => match Section::ALL.iter().find(|s| s.name() == k) {
                Some(&section) => p.section(section, item),
                None => p.misplaced_or_unknown(key, None),
            },
        }
    }
    p.check_conflicts(&doc);
    if let Some(item) = timeline {
        let params = p.out.params.clone();
        p.out.timeline = p.timeline(item, &params);
    }
    if let Some(item) = variants {
        let (base, tl) = (p.out.params.clone(), p.out.timeline.clone());
        p.out.variants = p.variants(item, &base, &tl);
    }
    if let Some(item) = sweep {
        p.out.sweep = p.sweep(item, p.out.run.replicates);
    }
    if let Some(item) = explore {
        if sweep.is_some() {
            p.error(
                item.span(),
                "a scenario has a [sweep] or an [explore] table, not both",
                "put the exploration in a file of its own",
            );
        }
        p.out.explore = p.explore(item, p.out.run.replicates);
    }
    p.check_name(&doc);
    if p.errors.is_empty() {
        Ok(p.out)
    } else {
        p.errors
            .sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
        Err(p.errors)
    }
}

pub(super) struct Parser {
    errors: Vec<Diagnostic>,
    out: Scenario,
}

/// Span of `key = value` for parameter `name` in a section table of `doc`.
fn key_span(doc: &Spanned<DeTable<'_>>, name: &str) -> Option<Range<usize>> {
    doc.get_ref().values().find_map(|section| {
        let (key, value) = section.get_ref().as_table()?.get_key_value(name)?;
        Some(key.span().start..value.span().end)
    })
}

impl Parser {
    pub(super) fn error(
        &mut self,
        span: Range<usize>,
        msg: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.errors.push(Diagnostic::new(span, msg).help(help));
    }

    /// Rules between two base parameters, reported at the key of the one
    /// the message is about (or of the other, if only that one is set).
    fn check_conflicts(&mut self, doc: &Spanned<DeTable<'_>>) {
        for c in self.out.params.conflicts() {
            let span = key_span(doc, c.param)
                .or_else(|| key_span(doc, c.other))
                .unwrap_or(0..0);
            self.error(span, c.message, c.help);
        }
    }

    fn check_name(&mut self, doc: &Spanned<DeTable<'_>>) {
        let name = &self.out.name;
        // A directory name of its own: not "." or "..", not hidden.
        let ok = name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !ok {
            let span = doc.get_ref().get("name").map_or(0..0, |item| item.span());
            self.error(
                span,
                format!("scenario name {name:?} cannot be used as a directory name"),
                "start with a letter or digit and use letters, digits, '-', '_' or '.' only, e.g. name = \"amazon-2026\"",
            );
        }
    }

    /// Reports a key that is not valid where it stands, pointing to the
    /// table it belongs in or to the closest valid name.
    fn misplaced_or_unknown(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        here: Option<Section>,
    ) {
        let k = key.get_ref().as_ref();
        let owner = MODEL_PARAMS
            .iter()
            .map(|d| (d.name, d.section))
            .chain(RUN_SETTINGS.iter().map(|d| (d.name, d.section)))
            .find(|(n, _)| *n == k);
        let where_ = here.map_or("at the top level".to_string(), |s| {
            format!("in [{}]", s.name())
        });
        if let Some((_, section)) = owner {
            self.error(
                key.span(),
                format!("`{k}` does not belong {where_}"),
                format!("move it under the [{}] table", section.name()),
            );
            return;
        }
        let candidates: Vec<&str> = match here {
            None => TOP_KEYS.to_vec(),
            Some(s) => section_names(s),
        };
        let all_names = MODEL_PARAMS
            .iter()
            .map(|d| d.name)
            .chain(RUN_SETTINGS.iter().map(|d| d.name));
        let help = match closest(candidates.iter().copied(), k).or_else(|| closest(all_names, k)) {
            Some(c) => format!("did you mean `{c}`? (`goodhart params` lists every parameter)"),
            None => match here {
                Some(s) => format!("valid keys in [{}]: {}", s.name(), candidates.join(", ")),
                None => format!("valid top-level keys: {}", TOP_KEYS.join(", ")),
            },
        };
        self.error(key.span(), format!("unknown key `{k}` {where_}"), help);
    }

    fn section(&mut self, section: Section, item: &Item<'_>) {
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                format!("`{}` must be a table", section.name()),
                format!(
                    "write it as a [{}] header followed by `key = value` lines",
                    section.name()
                ),
            );
            return;
        };
        for (key, value) in table {
            let k = key.get_ref().as_ref();
            if section == Section::Run {
                match registry::find(RUN_SETTINGS, k) {
                    Some(def) => {
                        if let Some(v) = self.value(def, value) {
                            def.set_checked(&mut self.out.run, &v);
                        }
                    }
                    None => self.misplaced_or_unknown(key, Some(section)),
                }
                continue;
            }
            match registry::find(MODEL_PARAMS, k).filter(|d| d.section == section) {
                Some(def) => {
                    if let Some(v) = self.value(def, value) {
                        def.set_checked(&mut self.out.params, &v);
                    }
                }
                None => self.misplaced_or_unknown(key, Some(section)),
            }
        }
    }

    /// Reads a value for `def`, or records why it cannot.
    pub(super) fn value<T>(&mut self, def: &ParamDef<T>, item: &Item<'_>) -> Option<Value> {
        let span = item.span();
        let name = def.name;
        let res = match def.kind {
            Kind::Real { min, max, words } => real(item, min, max, words),
            Kind::Integer { min, max } => integer(item, min, max),
            Kind::Choice(words) => match item.get_ref().as_str() {
                Some(w) if words.contains(&w) => Ok(Value::Text(w.to_string())),
                Some(w) => Err(match closest(words.iter().copied(), w) {
                    Some(c) => (
                        format!("`{name}` cannot be \"{w}\""),
                        format!("did you mean \"{c}\"?"),
                    ),
                    None => (
                        format!("`{name}` cannot be \"{w}\""),
                        format!("use one of {}", def.kind.describe()),
                    ),
                }),
                None => Err((
                    format!("`{name}` must be a word in quotes"),
                    format!("use one of {}", def.kind.describe()),
                )),
            },
            Kind::Distribution { min, max } => match distribution(item, name, min, max) {
                Ok(d) => Ok(Value::Dist(d)),
                Err(Located {
                    span: Some(at),
                    problem: (msg, help),
                }) => {
                    self.error(at, msg, help);
                    return None;
                }
                Err(Located {
                    span: None,
                    problem,
                }) => Err(problem),
            },
        };
        match res {
            Ok(v) => Some(v),
            Err((msg, help)) => {
                self.error(span, msg, help);
                None
            }
        }
    }
}

fn section_names(s: Section) -> Vec<&'static str> {
    if s == Section::Run {
        return RUN_SETTINGS.iter().map(|d| d.name).collect();
    }
    MODEL_PARAMS
        .iter()
        .filter(|d| d.section == s)
        .map(|d| d.name)
        .collect()
}
