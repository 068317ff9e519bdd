use goodhart::model::timeline::{Change, Event, Timeline};
use goodhart::model::{metrics::WeekMetrics, rng, simulate};
use goodhart::params::MODEL_PARAMS;
use goodhart::params::registry::{Value, find};
use goodhart::params::{Leaderboard, ModelParams};
fn main() {
    let mut base = ModelParams::default();
    base.employees = 10_000;
    let mut amazon = base.clone();
    amazon.levers.adoption_target = 0.8;
    amazon.levers.leaderboard = Leaderboard::Org;
    amazon.levers.assurance = 1.0;
    amazon.levers.true_eval_weight = 0.1;
    let tl = Timeline {
        events: vec![Event {
            param: find(MODEL_PARAMS, "leaderboard").unwrap(),
            change: Change::Set {
                week: 26,
                value: Value::Text("manager".into()),
            },
        }],
    };
    for (name, p, t) in [
        ("baseline", &base, Timeline::default()),
        ("amazon", &amazon, tl),
    ] {
        let mut acc = vec![0.0; WeekMetrics::NAMES.len()];
        let t0 = std::time::Instant::now();
        for r in 0..5 {
            let w = simulate(p, &t, rng::run_seed(1, r));
            for (a, v) in acc.iter_mut().zip(w[26].values()) {
                *a += v / 5.0;
            }
        }
        println!("{name} ({:?})", t0.elapsed());
        for (n, v) in WeekMetrics::NAMES.iter().zip(&acc) {
            println!("  {n:30} {v:.4}");
        }
    }
}
