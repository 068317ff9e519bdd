//! `[variants.NAME]` tables: named policy alternatives run next to the base
//! scenario with the same replicate seeds.
//!
//! A variant holds `description`, any `[policy]`, `[behaviour]` or
//! `[population]` parameter by name (applied on top of the base), and
//! optionally its own `[[variants.NAME.timeline]]`, which replaces the
//! base timeline (`timeline = []` runs without events).

use super::{Item, Parser};
use crate::params::registry::{self, Section, closest};
use crate::params::{MODEL_PARAMS, ModelParams};
use crate::scenario::Variant;

/// The name of the base scenario among its variants.
pub const BASE: &str = "base";

impl Parser {
    pub(super) fn variants(
        &mut self,
        item: &Item<'_>,
        base: &ModelParams,
        base_timeline: &crate::params::timeline::Timeline,
    ) -> Vec<Variant> {
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "`variants` must be a table of named variants",
                "write each as [variants.NAME] followed by the levers it changes",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, body) in table {
            let name = key.get_ref().as_ref();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !valid || name == BASE {
                self.error(
                    key.span(),
                    format!("variant name {name:?} is not allowed"),
                    "use letters, digits, '-', '_' or '.', and not \"base\" (the scenario itself)",
                );
                continue;
            }
            let Some(fields) = body.get_ref().as_table() else {
                self.error(
                    body.span(),
                    format!("variant `{name}` must be a table"),
                    format!("write [variants.{name}] followed by `lever = value` lines"),
                );
                continue;
            };
            let mut v = Variant {
                name: name.to_string(),
                description: String::new(),
                params: base.clone(),
                timeline: base_timeline.clone(),
            };
            let mut timeline = None;
            for (k, value) in fields {
                match k.get_ref().as_ref() {
                    "description" => match value.get_ref().as_str() {
                        Some(s) => v.description = s.trim().to_string(),
                        None => self.error(
                            value.span(),
                            "`description` must be a string",
                            "put the text in double quotes",
                        ),
                    },
                    "timeline" => timeline = Some(value),
                    p => self.variant_param(k, p, value, &mut v.params),
                }
            }
            if let Some(t) = timeline {
                v.timeline = self.timeline(t, &v.params);
            }
            out.push(v);
        }
        out
    }

    fn variant_param(
        &mut self,
        key: &toml::Spanned<std::borrow::Cow<'_, str>>,
        name: &str,
        value: &Item<'_>,
        params: &mut ModelParams,
    ) {
        let allowed = [Section::Policy, Section::Behaviour, Section::Population];
        match registry::find(MODEL_PARAMS, name) {
            Some(def) if allowed.contains(&def.section) => {
                if let Some(v) = self
                    .value(def, value)
                    .filter(|v| self.consistent(def, v, params, value))
                {
                    def.set_checked(params, &v);
                }
            }
            Some(def) => self.error(
                key.span(),
                format!("a variant cannot change `{name}` ([{}])", def.section.name()),
                "variants share the organisation and run settings of the base so that they compare like with like; make a separate scenario instead",
            ),
            None => {
                let names = MODEL_PARAMS.iter().filter(|d| allowed.contains(&d.section)).map(|d| d.name);
                let help = closest(names, name).map_or_else(
                    || "a variant may set `description`, `timeline` and any [policy], [behaviour] or [population] parameter".to_string(),
                    |c| format!("did you mean `{c}`?"),
                );
                self.error(key.span(), format!("unknown key `{name}` in a variant"), help);
            }
        }
    }
}
