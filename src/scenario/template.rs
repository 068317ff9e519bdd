//! The commented scenario template written by `goodhart init`.
//!
//! Generated from the parameter registry, so it lists every parameter with
//! its default, unit, range and meaning, and can never fall out of date.
//! Every parameter line is commented out: the template runs as the
//! MODEL.md defaults until the user uncomments what they want to change.

use crate::params::registry::{ParamDef, Section};
use crate::params::{MODEL_PARAMS, ModelParams, RUN_SETTINGS, RunSettings};

/// The template text for a scenario called `name`.
pub fn template(name: &str) -> String {
    let mut s = format!(
        "# Scenario `{name}` for goodhart (reference model TM-1).\n\
         #\n\
         # Every key is optional: a commented-out line shows the default.\n\
         # Uncomment a line and change the value to depart from it.\n\
         # `goodhart params` lists all parameters; `goodhart validate FILE`\n\
         # checks this file; `goodhart run FILE` runs it.\n\n\
         name = \"{name}\"\n\
         description = \"\"\"\n\
         Which question does this scenario answer? Say it here.\n\
         \"\"\"\n"
    );
    let run = RunSettings::default();
    let model = ModelParams::default();
    for section in Section::ALL {
        s.push_str(&format!(
            "\n# {}\n[{}]\n",
            section.describe(),
            section.name()
        ));
        if section == Section::Run {
            lines(&mut s, RUN_SETTINGS.iter(), &run);
        } else {
            lines(
                &mut s,
                MODEL_PARAMS.iter().filter(|d| d.section == section),
                &model,
            );
        }
    }
    s.push_str(
        "\n# Timeline: policy changes during the run (weeks count from 0).\n\
         # Set levers at one week:\n\
         # [[timeline]]\n\
         # week = 26\n\
         # leaderboard = \"manager\"\n\
         #\n\
         # Ramp numeric levers linearly from `from` to `to` ([start, end]):\n\
         # [[timeline]]\n\
         # from = 10\n\
         # to = 30\n\
         # audit_rate = [0.0, 0.2]\n",
    );
    s
}

fn lines<'a, T: 'static>(
    s: &mut String,
    defs: impl Iterator<Item = &'a ParamDef<T>>,
    defaults: &T,
) {
    for d in defs {
        let unit = if d.unit == "-" {
            String::new()
        } else {
            format!(" [{}]", d.unit)
        };
        s.push_str(&format!(
            "# {}{unit}; allowed: {}\n",
            d.meaning,
            d.kind.describe()
        ));
        s.push_str(&format!("# {} = {}\n", d.name, d.show(&(d.get)(defaults))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn template_parses_to_the_defaults() {
        let text = template("demo");
        let sc = Scenario::parse(&text, "demo.toml", "x").expect("template must be valid");
        assert_eq!(sc.name, "demo");
        assert_eq!(sc.params, ModelParams::default());
    }

    #[test]
    fn uncommented_template_lines_also_parse() {
        // Uncommenting every parameter line must give a valid scenario that
        // still equals the defaults: the shown defaults are real TOML.
        let text: String = template("demo")
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.contains(" = ")
                        && !rest.contains(';')
                        && !rest.starts_with("week")
                        && !rest.starts_with("from")
                        && !rest.starts_with("to ")
                        && !rest.starts_with("leaderboard = \"manager\"")
                        && !rest.starts_with("audit_rate = [") =>
                {
                    rest.to_string()
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let sc = Scenario::parse(&text, "demo.toml", "x").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(sc.params, ModelParams::default());
    }
}
