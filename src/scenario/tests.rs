//! Tests of scenario parsing and its error messages.

use super::*;
use crate::params::Leaderboard;

fn errors(text: &str) -> String {
    match Scenario::parse(text, "s.toml", "s") {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn empty_file_gives_defaults() {
    let sc = Scenario::parse("", "s.toml", "s").unwrap();
    assert_eq!(sc.params, ModelParams::default());
    assert_eq!(sc.name, "s");
}

#[test]
fn values_and_timeline_are_read() {
    let text = r#"
name = "demo"
[policy]
adoption_target = 0.8
leaderboard = "org"
token_cap = "none"
agent_permissions = "scoped"
[population]
conformity = 0.5
credibility = { dist = "uniform", low = 0.2, high = 0.9 }
[[timeline]]
week = 26
leaderboard = "manager"
[[timeline]]
from = 10
to = 20
audit_rate = [0.0, 0.4]
"#;
    let sc = Scenario::parse(text, "s.toml", "s").unwrap();
    assert_eq!(sc.name, "demo");
    assert_eq!(sc.params.levers.leaderboard, Leaderboard::Org);
    assert_eq!(sc.params.levers.agent_permissions, 0.2);
    assert!(sc.params.levers.token_cap.is_infinite());
    assert_eq!(sc.timeline.events.len(), 2);
    let mut p = sc.params.clone();
    sc.timeline.apply(15, &mut p);
    assert!((p.levers.audit_rate - 0.2).abs() < 1e-12);
}

#[test]
fn typo_key_names_line_and_suggests() {
    let e = errors("[policy]\nadoption_targt = 0.8\n");
    assert!(e.contains("s.toml:2:1"), "{e}");
    assert!(e.contains("did you mean `adoption_target`"), "{e}");
}

#[test]
fn out_of_range_value_names_line_column_and_range() {
    let e = errors("[policy]\nadoption_target = 80\n");
    assert!(e.contains("s.toml:2:19"), "{e}");
    assert!(e.contains("out of range"), "{e}");
    assert!(e.contains("[0, 1]") && e.contains("0.8"), "{e}");
}

#[test]
fn bad_toml_names_the_line() {
    let e = errors("[policy]\nadoption_target = = 0.8\n");
    assert!(e.contains("s.toml:2:"), "{e}");
    assert!(e.contains("invalid TOML"), "{e}");
}

#[test]
fn misplaced_key_points_to_its_table() {
    let e = errors("[policy]\nrationality = 2.0\n");
    assert!(e.contains("move it under the [behaviour] table"), "{e}");
}

#[test]
fn wrong_word_suggests_the_closest() {
    let e = errors("[policy]\nleaderboard = \"orgs\"\n");
    assert!(e.contains("did you mean \"org\""), "{e}");
}

#[test]
fn distribution_outside_support_suggests_a_clip() {
    let e = errors("[population]\ncredibility = { dist = \"normal\", mean = 0.5, sd = 0.2 }\n");
    assert!(e.contains("min = 0") && e.contains("max = 1"), "{e}");
}

#[test]
fn timeline_errors_are_reported() {
    let e = errors("[[timeline]]\nweek = 60\nleaderboard = \"manager\"\n");
    assert!(e.contains("never simulated"), "{e}");
    let e = errors("[[timeline]]\nweek = 5\nemployees = 10\n");
    assert!(e.contains("cannot change during a run"), "{e}");
    let e = errors("[[timeline]]\nfrom = 5\nto = 2\naudit_rate = [0, 1]\n");
    assert!(e.contains("must end after it starts"), "{e}");
    let e = errors("[[timeline]]\nfrom = 1\nto = 4\nleaderboard = [\"org\", \"none\"]\n");
    assert!(e.contains("cannot be ramped"), "{e}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let e = errors("[policy]\nadoption_targt = 0.8\nchargeback = 2\n[behaviour]\nrationalty = 1\n");
    assert!(e.contains("3 problems"), "{e}");
}

#[test]
fn variants_override_the_base_and_keep_file_order() {
    let text = r#"
[policy]
adoption_target = 0.8
leaderboard = "org"
[[timeline]]
week = 10
leaderboard = "manager"
[variants.zeta]
leaderboard = "none"
timeline = []
[variants.alpha]
description = "audits"
audit_rate = 0.2
"#;
    let mut sc = Scenario::parse(text, "s.toml", "s").unwrap();
    let names: Vec<String> = sc.arms().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["base", "zeta", "alpha"]);
    let zeta = &sc.variants[0];
    assert_eq!(zeta.params.levers.leaderboard, Leaderboard::None);
    assert!(zeta.timeline.events.is_empty());
    let alpha = &sc.variants[1];
    assert_eq!(alpha.params.levers.audit_rate, 0.2);
    assert_eq!(alpha.params.levers.adoption_target, 0.8);
    assert_eq!(
        alpha.timeline, sc.timeline,
        "a variant without a timeline keeps the base's"
    );
    // Organisation overrides reach every variant.
    sc.set("employees", crate::params::registry::Value::Int(40))
        .unwrap();
    assert!(sc.arms().iter().all(|a| a.params.employees == 40));
}

#[test]
fn variant_errors_are_located() {
    let e = errors("[variants.x]\nemployees = 10\n");
    assert!(
        e.contains("s.toml:2:1") && e.contains("cannot change `employees`"),
        "{e}"
    );
    let e = errors("[variants.x]\nleaderbord = \"org\"\n");
    assert!(e.contains("did you mean `leaderboard`?"), "{e}");
    let e = errors("[variants.base]\naudit_rate = 0.1\n");
    assert!(e.contains("not allowed"), "{e}");
}
