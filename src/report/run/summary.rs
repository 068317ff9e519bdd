//! The executive summary of a run, in sentences with numbers and 95% CIs:
//! what each variant does compared with the base (paired differences),
//! which arm does best, what the timeline's events do, and who games
//! (from agents.csv).

use super::super::text::{self, ci, decimals, noun, numbers};
use crate::charts::agents::{AgentChart, Attribute, Ci};
use crate::charts::data::{MarkerKind, RunResults};
use crate::charts::defaults::AnyChart;
use crate::model::metrics::{Direction, Metric};
use crate::scenario::BASE_ARM;
use crate::stats::Summary;

/// The arm's name in a sentence.
pub(super) fn arm(r: &RunResults, v: usize) -> String {
    if r.variants[v] == BASE_ARM {
        "the base arm".into()
    } else {
        r.variants[v].clone()
    }
}

/// How a metric's differences are shown in the effect table (every
/// variant alike), which the summary's sentences use too.
pub(super) fn row_style(r: &RunResults, m: Metric, last: usize) -> text::Style {
    decimals((1..r.variants.len()).flat_map(|v| numbers(&r.paired_difference(v, m, last))))
}

/// What variant `v` changes, from the manifest: "leaderboard = none".
fn changes(r: &RunResults, v: usize) -> String {
    r.manifest
        .variants
        .iter()
        .find(|x| x.name == r.variants[v])
        .map(|x| {
            x.changes
                .iter()
                .map(|(k, val)| format!("{k} = {}", text::param_value(val)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// One sentence per variant: its clear effects at week `last`, and the
/// headline metrics it leaves unchanged within the intervals.
pub(super) fn variant_sentences(r: &RunResults, last: usize) -> Vec<String> {
    (1..r.variants.len())
        .map(|v| {
            let mut clear = Vec::new();
            let mut unclear = Vec::new();
            for m in Metric::EFFECTS {
                let d = row_style(r, m, last);
                match text::change(m, &r.paired_difference(v, m, last), d) {
                    Some(c) => clear.push(c),
                    None => unclear.push(noun(m)),
                }
            }
            let what = changes(r, v);
            let name = if what.is_empty() {
                r.variants[v].clone()
            } else {
                format!("{} ({what})", r.variants[v])
            };
            let mut s = if clear.is_empty() {
                format!(
                    "{name} has no effect distinguishable from zero on the headline metrics at week {last} with {}",
                    text::count(r.replicates, "replicate")
                )
            } else {
                format!(
                    "Compared with the base, by week {last} {name} {}",
                    text::list(&clear)
                )
            };
            if !clear.is_empty() && !unclear.is_empty() {
                s += &format!(
                    "; {} do not change clearly (95% CIs include 0)",
                    text::list(&unclear)
                );
            }
            s + "."
        })
        .collect()
}

/// Which arm does best and worst on the outcomes with a direction, for
/// those on which some variant differs clearly from the base.
pub(super) fn ranking_sentence(r: &RunResults, last: usize) -> Option<String> {
    let parts: Vec<String> = [Metric::PerformativeShare, Metric::NetValueUsd]
        .into_iter()
        .filter(|&m| (1..r.variants.len()).any(|v| text::clear(&r.paired_difference(v, m, last))))
        .filter_map(|m| {
            let vals: Vec<_> = (0..r.variants.len())
                .map(|v| (v, r.final_value(v, m)))
                .filter(|(_, s)| s.mean.is_finite())
                .collect();
            let d = decimals(vals.iter().flat_map(|(_, s)| numbers(s)));
            let pick = |higher: bool| {
                vals.iter().max_by(|a, b| {
                    let o = a.1.mean.total_cmp(&b.1.mean);
                    if higher { o } else { o.reverse() }
                })
            };
            let higher_better = m.direction() == Direction::HigherIsBetter;
            let (best, worst) = (pick(higher_better)?, pick(!higher_better)?);
            if best.1.mean == worst.1.mean {
                return None;
            }
            let show = |(v, s): &(usize, crate::stats::Summary)| {
                format!("{} ({}{})", arm(r, *v), ci(s, d), text::unit(m))
            };
            Some(format!(
                "{} is {} under {} and {} under {}",
                noun(m),
                if higher_better { "highest" } else { "lowest" },
                show(best),
                if higher_better { "lowest" } else { "highest" },
                show(worst)
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("At week {last}, {}.", text::list(&parts)))
}

/// What the timeline does: the change of performative share across each
/// event (week before it to the last week) or ramp, in each arm that has
/// it; at most four.
pub(super) fn event_sentences(r: &RunResults, last: usize) -> Vec<String> {
    let m = Metric::PerformativeShare;
    let mut out = Vec::new();
    for marker in r.markers().iter().take(4) {
        let (from, to, what) = match &marker.kind {
            MarkerKind::Set { week, what } if *week >= 1 && *week <= last => {
                (week - 1, last, format!("after week {week} ({what})"))
            }
            MarkerKind::Ramp { from, to, what, .. } if to > from && *from <= last => (
                from.saturating_sub(1),
                (*to).min(last),
                if *to > last {
                    format!(
                        "while {what} over weeks {from}-{to} (cut by the end of the run at week {last})"
                    )
                } else {
                    format!("while {what} over weeks {from}-{to}")
                },
            ),
            _ => continue,
        };
        for &v in marker.arms.iter().take(3) {
            let (a, b, c) = (
                r.at_week(v, m, from),
                r.at_week(v, m, to),
                r.change(v, m, from, to),
            );
            let d = decimals([&a, &b, &c].into_iter().flat_map(numbers));
            let s = format!(
                "{what}, in {} {} goes from {} at week {from} to {} at week {to} (change {})",
                arm(r, v),
                noun(m),
                ci(&a, d),
                ci(&b, d),
                ci(&c, d)
            );
            out.push(text::cap(&s) + ".");
        }
    }
    out
}

fn ci_summary(c: Ci) -> Summary {
    Summary {
        n: 0,
        mean: c.0,
        sd: f64::NAN,
        ci_low: c.1,
        ci_high: c.2,
    }
}

/// Who games, from agents.csv (when the run recorded agents): the base
/// arm's performative share and output in the lowest and highest decile of
/// ai_speedup, and its performative share by status_drive.
pub(super) fn agent_sentences(charts: &[&AnyChart]) -> Vec<String> {
    let mut out = Vec::new();
    for c in charts {
        let AnyChart::Agents(AgentChart::Deciles(d)) = *c else {
            continue;
        };
        let Some((arm_name, share, output)) = d.arms.first() else {
            continue;
        };
        let (Some(&lo), Some(&hi)) = (share.first(), share.last()) else {
            continue;
        };
        let (lo, hi) = (ci_summary(lo), ci_summary(hi));
        let st = decimals([&lo, &hi].into_iter().flat_map(numbers));
        let means = (
            d.means.first().copied().unwrap_or(f64::NAN),
            d.means.last().copied().unwrap_or(f64::NAN),
        );
        let md = decimals([means.0, means.1]);
        let name = d.attribute.name();
        let arm_name = if arm_name == BASE_ARM {
            "the base arm"
        } else {
            arm_name.as_str()
        };
        let mut s = format!(
            "Who games ({arm_name}, week {}, from agents.csv): performative share is {} in the lowest {name} decile (mean {name} {}) and {} in the highest (mean {})",
            d.week,
            ci(&lo, st),
            md.show(means.0),
            ci(&hi, st),
            md.show(means.1)
        );
        if d.attribute == Attribute::AiSpeedup
            && let (Some(&a), Some(&b)) = (output.first(), output.last())
        {
            let (a, b) = (ci_summary(a), ci_summary(b));
            let od = decimals([&a, &b].into_iter().flat_map(numbers));
            s += &format!(
                "; output per employee is {} against {} manual-work weeks",
                ci(&a, od),
                ci(&b, od)
            );
        }
        out.push(s + ".");
    }
    out
}

/// A single arm's levels at the end, in one sentence.
pub(super) fn levels_sentence(r: &RunResults, last: usize) -> String {
    let parts: Vec<String> = [
        Metric::MeasuredAdoption,
        Metric::PerformativeShare,
        Metric::GoodhartGap,
        Metric::OutputIndex,
        Metric::NetValueUsd,
    ]
    .into_iter()
    .map(|m| {
        let s = r.final_value(0, m);
        format!(
            "{} {}{}",
            noun(m),
            ci(&s, decimals(numbers(&s))),
            text::unit(m)
        )
    })
    .collect();
    format!(
        "At week {last} ({}, mean [95% CI]): {}.",
        text::count(r.replicates, "replicate"),
        text::list(&parts)
    )
}
