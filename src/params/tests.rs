//! Tests of the parameter registry and of validation.
use super::*;
use std::collections::HashSet;

#[test]
fn names_are_unique_and_round_trip() {
    let mut seen = HashSet::new();
    let defaults = ModelParams::default();
    for def in MODEL_PARAMS {
        assert!(seen.insert(def.name), "duplicate {}", def.name);
        let mut p = ModelParams::default();
        def.set(&mut p, &(def.get)(&defaults)).unwrap();
        assert_eq!(p, defaults, "{} does not round-trip", def.name);
    }
    for def in RUN_SETTINGS {
        assert!(seen.insert(def.name), "duplicate {}", def.name);
    }
}

#[test]
fn setters_reach_their_field() {
    let mut p = ModelParams::default();
    let def = registry::find(MODEL_PARAMS, "leaderboard").unwrap();
    def.set(&mut p, &registry::Value::Text("org".into()))
        .unwrap();
    assert_eq!(p.levers.leaderboard, Leaderboard::Org);
    let def = registry::find(MODEL_PARAMS, "rationality").unwrap();
    def.set(&mut p, &registry::Value::Real(2.0)).unwrap();
    assert_eq!(p.behaviour.rationality, 2.0);
    // Bad values are refused, with the range, and change nothing.
    let e = def.set(&mut p, &registry::Value::Real(-1.0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`rationality`: -1 is out of range; use a value in [0, 1000000]"
    );
    let e = def
        .set(&mut p, &registry::Value::Real(f64::NAN))
        .unwrap_err();
    assert!(e.to_string().contains("nan is not allowed"), "{e}");
    let def = registry::find(MODEL_PARAMS, "leaderboard").unwrap();
    assert!(
        def.set(&mut p, &registry::Value::Text("everyone".into()))
            .is_err()
    );
    assert_eq!(p.behaviour.rationality, 2.0);
    assert_eq!(p.levers.leaderboard, Leaderboard::Org);
}

#[test]
fn validate_lists_every_problem_in_the_scenario_layers_words() {
    let mut p = ModelParams::default();
    p.behaviour.stake = f64::NAN;
    p.levers.adoption_target = 1.5;
    p.levers.top_k = 5000;
    let e = p.validate().unwrap_err();
    assert_eq!(e.problems.len(), 3, "{e}");
    assert_eq!(
        e.problems[0],
        "`adoption_target`: 1.5 is out of range; use a value in [0, 1]; it is a share, so 1.5% is written 0.015"
    );
    assert!(
        e.problems[1].starts_with("`stake`: nan is not allowed here"),
        "{e}"
    );
    assert!(
        e.problems[2].starts_with("top_k = 5000 exceeds employees = 1000"),
        "{e}"
    );
}

#[test]
fn defaults_lie_in_their_ranges() {
    let p = ModelParams::default();
    for def in MODEL_PARAMS {
        let v = (def.get)(&p);
        assert_eq!(def.kind.check(&v), Ok(()), "{}", def.name);
        assert_eq!(ModelParams::default().validate(), Ok(()));
    }
    let run = RunSettings::default();
    for def in RUN_SETTINGS {
        assert_eq!(def.kind.check(&(def.get)(&run)), Ok(()), "{}", def.name);
    }
}

#[test]
fn a_ramp_never_leaves_its_ends_to_rounding() {
    use crate::params::timeline::{Change, Event, Timeline};
    let def = registry::find(MODEL_PARAMS, "value_per_output_usd").unwrap();
    let t = Timeline {
        events: vec![Event {
            param: def,
            change: Change::Ramp {
                from_week: 0,
                to_week: 7,
                start: 5.0,
                end: 1e-9,
            },
        }],
    };
    let mut p = ModelParams::default();
    for w in 0..10 {
        t.apply(w, &mut p);
        let v = p.behaviour.value_per_output_usd;
        assert!((1e-9..=5.0).contains(&v), "week {w}: {v}");
    }
    assert_eq!(p.behaviour.value_per_output_usd, 1e-9);
}

#[test]
fn the_library_refuses_a_ramp_that_does_not_move_forward() {
    use crate::params::timeline::{Change, Event, Timeline};
    let t = Timeline {
        events: vec![Event {
            param: registry::find(MODEL_PARAMS, "audit_rate").unwrap(),
            change: Change::Ramp {
                from_week: 2,
                to_week: 2,
                start: 0.0,
                end: 0.5,
            },
        }],
    };
    let e = t.validate(&ModelParams::default()).unwrap_err().to_string();
    assert!(e.contains("must end after it starts"), "{e}");
    assert!(crate::model::simulate(&ModelParams::default(), &t, 1).is_err());
}
