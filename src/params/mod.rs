//! Validated model parameters of TM-1 and their defaults.
//!
//! [`ModelParams`] is what the engine reads: organisation structure, policy
//! levers, behavioural parameters and attribute distributions, each field
//! named as in MODEL.md's "names in files". [`MODEL_PARAMS`] is the one
//! registry of those names with unit, range and meaning; [`RUN_SETTINGS`]
//! covers the two run settings (replicates, seed) that are not part of the
//! model. Defaults are MODEL.md's calibrated values.

pub mod dist;
pub mod outputs;
pub mod registry;
pub mod sample;
pub mod timeline;

use dist::{Dist, LogLocation, Shape};
use registry::{Kind, ParamDef, word_enum};
use serde::Serialize;

/// Who can see the token leaderboard (MODEL.md, lever V).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Leaderboard {
    #[default]
    None,
    SelfOnly,
    Manager,
    Team,
    Org,
}
word_enum!(Leaderboard { None = "none", SelfOnly = "self", Manager = "manager", Team = "team", Org = "org" });

/// Over whom an employee averages peers' performative use (`gbar`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Neighbourhood {
    #[default]
    Team,
    Org,
}
word_enum!(Neighbourhood { Team = "team", Org = "org" });

/// Policy levers: organisation state that the timeline may change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Levers {
    pub adoption_target: f64,
    pub active_threshold: f64,
    pub leaderboard: Leaderboard,
    pub top_k: usize,
    pub assurance: f64,
    pub true_eval_weight: f64,
    pub audit_rate: f64,
    pub audit_detection: f64,
    pub audit_penalty: f64,
    pub chargeback: f64,
    pub price_usd_per_mtok: f64,
    pub token_cap: f64,
    pub metric_filter: f64,
    pub agent_permissions: f64,
}

impl Default for Levers {
    fn default() -> Self {
        Levers {
            adoption_target: 0.0,
            active_threshold: 7.0,
            leaderboard: Leaderboard::None,
            top_k: 0,
            assurance: 0.0,
            true_eval_weight: 0.0,
            audit_rate: 0.0,
            audit_detection: 0.8,
            audit_penalty: 2.0,
            chargeback: 0.0,
            price_usd_per_mtok: 3.0,
            token_cap: f64::INFINITY,
            metric_filter: 0.0,
            agent_permissions: 1.0,
        }
    }
}

/// Behavioural and structural parameters (MODEL.md tables and step text).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Behaviour {
    pub pressure_base: f64,
    pub target_pressure: f64,
    pub pressure_per_gap: f64,
    pub stake: f64,
    pub bar_weight: f64,
    pub bar_softness: f64,
    pub top_k_bonus: f64,
    pub top_k_softness: f64,
    pub token_floor: f64,
    pub habit_weight: f64,
    pub rationality: f64,
    pub choice_noise: f64,
    pub adjustment_rate: f64,
    pub performative_multiplier: f64,
    pub value_per_output_usd: f64,
    pub prior_alpha: f64,
    pub prior_beta: f64,
    pub status_weight_self: f64,
    pub status_weight_manager: f64,
    pub status_weight_team: f64,
    pub status_weight_org: f64,
    pub observations_per_week: usize,
    pub belief_discount: f64,
    pub ambient_evidence_rate: f64,
    pub evidence_from_eval: f64,
    pub evidence_from_manager: f64,
    pub evidence_from_org_board: f64,
    pub credibility_erosion: f64,
    pub social_averaging: f64,
    pub habit_formation_rate: f64,
    pub habit_decay_rate: f64,
    pub stress_rate: f64,
    pub incidents_per_performative_mtok: f64,
    pub incidents_per_productive_mtok: f64,
    pub incident_loss: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            pressure_base: 0.0,
            target_pressure: 0.5,
            pressure_per_gap: 4.0,
            stake: 4.0,
            bar_weight: 0.7,
            bar_softness: 0.5,
            top_k_bonus: 1.0,
            top_k_softness: 0.02,
            token_floor: 0.01,
            habit_weight: 1.0,
            rationality: 3.5,
            choice_noise: 0.2,
            adjustment_rate: 0.3,
            performative_multiplier: 5.0,
            value_per_output_usd: 4000.0,
            prior_alpha: 2.0,
            prior_beta: 3.0,
            status_weight_self: 0.3,
            status_weight_manager: 0.5,
            status_weight_team: 0.7,
            status_weight_org: 1.0,
            observations_per_week: 3,
            belief_discount: 0.95,
            ambient_evidence_rate: 0.4,
            evidence_from_eval: 0.5,
            evidence_from_manager: 0.3,
            evidence_from_org_board: 0.1,
            credibility_erosion: 0.5,
            social_averaging: 0.1,
            habit_formation_rate: 0.25,
            habit_decay_rate: 0.06,
            stress_rate: 0.2,
            incidents_per_performative_mtok: 2e-4,
            incidents_per_productive_mtok: 5e-5,
            incident_loss: 5.0,
        }
    }
}

/// Distributions of attributes drawn once at the start of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Population {
    pub ability: Dist,
    pub ai_speedup: Dist,
    pub productive_intensity: Dist,
    pub gaming_aversion: Dist,
    pub status_drive: Dist,
    pub conformity: Dist,
    pub credibility: Dist,
    pub manager_watchfulness: Dist,
}

impl Default for Population {
    fn default() -> Self {
        let lognormal = |location, sigma| Dist::new(Shape::LogNormal { location, sigma });
        Population {
            ability: lognormal(LogLocation::Mean(1.0), 0.3),
            ai_speedup: Dist::clipped(
                Shape::Normal {
                    mean: 0.20,
                    sd: 0.25,
                },
                -0.2,
                1.3,
            ),
            productive_intensity: lognormal(LogLocation::Median(20.0), 1.2),
            gaming_aversion: lognormal(LogLocation::Median(0.6), 0.8),
            status_drive: lognormal(LogLocation::Median(1.0), 0.6),
            conformity: Dist::constant(1.0),
            credibility: Dist::new(Shape::Beta { a: 4.0, b: 4.0 }),
            manager_watchfulness: Dist::new(Shape::Beta { a: 2.0, b: 2.0 }),
        }
    }
}

/// Everything the engine needs for one run, apart from the seed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelParams {
    pub employees: usize,
    pub team_size: usize,
    pub weeks: usize,
    pub neighbourhood: Neighbourhood,
    pub initial_productive_share: f64,
    pub levers: Levers,
    pub behaviour: Behaviour,
    pub population: Population,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            employees: 1000,
            team_size: 8,
            weeks: 52,
            neighbourhood: Neighbourhood::Team,
            initial_productive_share: 0.5,
            levers: Levers::default(),
            behaviour: Behaviour::default(),
            population: Population::default(),
        }
    }
}

/// Everything wrong with a set of parameters, or with a timeline acting on
/// them, one problem per line in the words of the scenario layer (which
/// reports the same problems at a file's line and column).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid parameters:\n  {}", .problems.join("\n  "))]
pub struct InvalidParams {
    pub problems: Vec<String>,
}

impl InvalidParams {
    /// `Ok` if `problems` is empty.
    pub fn check(problems: Vec<String>) -> Result<(), InvalidParams> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidParams { problems })
        }
    }
}

/// A rule between two parameters that a set of values breaks (each value
/// being in its own range).
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The parameter the message is about, and the other one involved.
    pub param: &'static str,
    pub other: &'static str,
    pub message: String,
    pub help: String,
}

impl ModelParams {
    /// Checks every parameter against its range in the registry and the
    /// rules between parameters: the library's boundary
    /// ([`crate::model::Simulation::new`] refuses what fails).
    pub fn validate(&self) -> Result<(), InvalidParams> {
        let mut problems: Vec<String> = MODEL_PARAMS
            .iter()
            .filter_map(|def| {
                def.kind
                    .check(&(def.get)(self))
                    .err()
                    .map(|p| format!("`{}`: {}; {}", def.name, p.message, p.help))
            })
            .collect();
        problems.extend(
            self.conflicts()
                .into_iter()
                .map(|c| format!("{}; {}", c.message, c.help)),
        );
        InvalidParams::check(problems)
    }

    /// The rules between parameters that these values break. Each
    /// parameter's own range is checked where it is read; these need two.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        if self.levers.top_k > self.employees {
            out.push(Conflict {
                param: "top_k",
                other: "employees",
                message: format!(
                    "top_k = {} exceeds employees = {}: a top-k board cannot list more people than there are",
                    self.levers.top_k, self.employees
                ),
                help: format!(
                    "use top_k <= {} (or top_k = 0 for a board that shows every rank)",
                    self.employees
                ),
            });
        }
        out
    }

    /// Status weight v_V of the current leaderboard level.
    pub fn status_weight(&self, board: Leaderboard) -> f64 {
        let b = &self.behaviour;
        match board {
            Leaderboard::None => 0.0,
            Leaderboard::SelfOnly => b.status_weight_self,
            Leaderboard::Manager => b.status_weight_manager,
            Leaderboard::Team => b.status_weight_team,
            Leaderboard::Org => b.status_weight_org,
        }
    }
}

/// Settings of a batch of runs that are not part of the model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSettings {
    pub replicates: usize,
    pub seed: u64,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            replicates: 5,
            seed: 1,
        }
    }
}

const INF: f64 = f64::INFINITY;

/// The largest magnitude any parameter or attribute may take, in its own
/// unit. Far beyond anything the model was built for (a stake of a
/// million output units, a million MTok per week), and small enough that
/// no product of parameters in the weekly step can overflow, so every
/// metric stays finite for every accepted scenario. Open ranges end here;
/// distributions may not put more than [`dist::TAIL_LIMIT`] of their mass
/// beyond it.
pub const CEILING: f64 = 1e6;
const fn real(min: f64, max: f64) -> Kind {
    Kind::Real {
        min,
        max,
        words: &[],
    }
}
const SHARE: Kind = real(0.0, 1.0);
const NONNEG: Kind = real(0.0, CEILING);
const fn int(min: i64, max: i64) -> Kind {
    Kind::Integer { min, max }
}
const fn dist(min: f64, max: f64) -> Kind {
    Kind::Distribution { min, max }
}

/// Every model parameter, in the order `goodhart params` and `goodhart init`
/// list them.
pub static MODEL_PARAMS: &[ParamDef<ModelParams>] = registry::registry! { ModelParams;
    Organisation employees: usize = employees, "people", int(1, 100_000_000), false,
        "number of employees N";
    Organisation team_size: usize = team_size, "people", int(1, 1_000_000), false,
        "employees per team (consecutive; the last team may be smaller); one manager each";
    Organisation weeks: usize = weeks, "weeks", int(1, 100_000), false,
        "number of simulated weeks (one step = one week, numbered from 0)";
    Organisation neighbourhood: Neighbourhood = neighbourhood, "-", Kind::Choice(Neighbourhood::WORDS), false,
        "whose performative use an employee sees as the norm (gbar): own team or whole organisation";
    Organisation initial_productive_share: f64 = initial_productive_share, "share of week", SHARE, false,
        "p0: productive AI share at week 0 (allocation starts at (1-p0, p0, 0))";

    Policy adoption_target: f64 = levers.adoption_target, "share of staff", SHARE, true,
        "tau: share of staff who must be weekly AI users; 0 = no target";
    Policy active_threshold: f64 = levers.active_threshold, "MTok/week", NONNEG, true,
        "T_min: tokens per week that count as having used AI that week";
    Policy leaderboard: Leaderboard = levers.leaderboard, "-", Kind::Choice(Leaderboard::WORDS), true,
        "V: who sees the token leaderboard (none, the employee, their manager, their team, everyone)";
    Policy top_k: usize = levers.top_k, "ranks", int(0, 100_000_000), true,
        "an org leaderboard shows only the top k (0 = all ranks)";
    Policy assurance: f64 = levers.assurance, "pseudo-obs/week", NONNEG, true,
        "n_A: weekly pseudo-observations that 'numbers are not used to judge you'; 0 = none";
    Policy true_eval_weight: f64 = levers.true_eval_weight, "share", SHARE, true,
        "w_act: how much managers really use the token numbers";
    Policy audit_rate: f64 = levers.audit_rate, "prob/week", SHARE, true,
        "d: weekly probability that an employee's automations are audited";
    Policy audit_detection: f64 = levers.audit_detection, "prob", SHARE, true,
        "delta: probability that an audit of a full week of pointless automation detects it";
    Policy audit_penalty: f64 = levers.audit_penalty, "output units", NONNEG, true,
        "P_a: utility cost of a detected audit";
    Policy chargeback: f64 = levers.chargeback, "share", SHARE, true,
        "chi: share of token cost felt by the employee's team";
    Policy price_usd_per_mtok: f64 = levers.price_usd_per_mtok, "USD/MTok", NONNEG, true,
        "blended token price";
    Policy token_cap: f64 = levers.token_cap, "MTok/week", Kind::Real { min: 0.0, max: CEILING, words: &[("none", INF)] }, true,
        "tokens per week per employee above which usage is cut off";
    Policy metric_filter: f64 = levers.metric_filter, "share", SHARE, true,
        "f: share of performative tokens an outcome-linked metric can tell apart and drop";
    Policy agent_permissions: f64 = levers.agent_permissions, "breadth", Kind::Real { min: 0.0, max: CEILING, words: &[("broad", 1.0), ("scoped", 0.2)] }, true,
        "perm: breadth of permissions given to AI agents (scales security incidents)";

    Behaviour pressure_base: f64 = behaviour.pressure_base, "-", NONNEG, true,
        "P_base: managerial pressure without a target";
    Behaviour target_pressure: f64 = behaviour.target_pressure, "-", NONNEG, true,
        "P_tau: pressure that an adoption target adds";
    Behaviour pressure_per_gap: f64 = behaviour.pressure_per_gap, "per unit gap", NONNEG, true,
        "k_gap: extra pressure per unit of team shortfall below the target";
    Behaviour stake: f64 = behaviour.stake, "output units", NONNEG, true,
        "output units at stake when numbers are believed to be used (B = stake * P)";
    Behaviour bar_weight: f64 = behaviour.bar_weight, "share", SHARE, true,
        "zeta: weight of the usage bar vs rank in the perceived evaluation";
    Behaviour bar_softness: f64 = behaviour.bar_softness, "MTok", real(1e-9, CEILING), true,
        "s_T: width of the logistic usage bar";
    Behaviour top_k_bonus: f64 = behaviour.top_k_bonus, "-", NONNEG, true,
        "b_top: status bonus for appearing on a top-k board";
    Behaviour top_k_softness: f64 = behaviour.top_k_softness, "rank", real(1e-9, CEILING), true,
        "s_q: width of the logistic top-k cut-off in rank";
    Behaviour token_floor: f64 = behaviour.token_floor, "MTok", real(1e-12, CEILING), false,
        "eps_T: keeps ln(T + eps_T) finite in rank readings";
    Behaviour habit_weight: f64 = behaviour.habit_weight, "-", NONNEG, true,
        "h: weight of habit in the value of performative use (Lally et al. 2010)";
    Behaviour rationality: f64 = behaviour.rationality, "1/utility", NONNEG, true,
        "lambda: logit precision of the quantal response (McFadden; Brock & Durlauf 2001)";
    Behaviour choice_noise: f64 = behaviour.choice_noise, "utility", NONNEG, true,
        "sd of the weekly value shocks eps";
    Behaviour adjustment_rate: f64 = behaviour.adjustment_rate, "share/week", SHARE, true,
        "eta: share of the gap to the new choice closed each week";
    Behaviour performative_multiplier: f64 = behaviour.performative_multiplier, "-", NONNEG, true,
        "r_g: performative tokens per unit time relative to productive (kg = r_g * kp)";
    Behaviour value_per_output_usd: f64 = behaviour.value_per_output_usd, "USD/output unit", real(1e-9, CEILING), true,
        "USD value of one output unit (one average employee's manual week)";
    Behaviour prior_alpha: f64 = behaviour.prior_alpha, "pseudo-counts", real(1e-9, CEILING), false,
        "alpha0: prior pseudo-count for 'token numbers are used to judge me'";
    Behaviour prior_beta: f64 = behaviour.prior_beta, "pseudo-counts", real(1e-9, CEILING), false,
        "beta0: prior pseudo-count for 'token numbers are not used'";
    Behaviour status_weight_self: f64 = behaviour.status_weight_self, "-", NONNEG, true,
        "v_self: status weight of a leaderboard only the employee sees";
    Behaviour status_weight_manager: f64 = behaviour.status_weight_manager, "-", NONNEG, true,
        "v_manager: status weight of a board the employee and manager see";
    Behaviour status_weight_team: f64 = behaviour.status_weight_team, "-", NONNEG, true,
        "v_team: status weight of a team-wide board";
    Behaviour status_weight_org: f64 = behaviour.status_weight_org, "-", NONNEG, true,
        "v_org: status weight of an organisation-wide board";
    Behaviour observations_per_week: usize = behaviour.observations_per_week, "obs/week", int(0, 1000), true,
        "n_obs: weekly observations of whether numbers are used";
    Behaviour belief_discount: f64 = behaviour.belief_discount, "per week", SHARE, true,
        "gamma: weekly discount of past belief counts";
    Behaviour ambient_evidence_rate: f64 = behaviour.ambient_evidence_rate, "prob", SHARE, true,
        "q0: chance an observation suggests numbers are used, without policy signals";
    Behaviour evidence_from_eval: f64 = behaviour.evidence_from_eval, "prob", SHARE, true,
        "q_eval: extra evidence per unit of true_eval_weight";
    Behaviour evidence_from_manager: f64 = behaviour.evidence_from_manager, "prob", SHARE, true,
        "q_mgr: extra evidence from a watchful, pressed manager who sees ranks";
    Behaviour evidence_from_org_board: f64 = behaviour.evidence_from_org_board, "prob", SHARE, true,
        "q_org: extra evidence from an organisation-wide board";
    Behaviour credibility_erosion: f64 = behaviour.credibility_erosion, "-", NONNEG, true,
        "k_c: loss of credibility per unit of evidence above q0";
    Behaviour social_averaging: f64 = behaviour.social_averaging, "share", SHARE, true,
        "omega: weight of the team's mean belief in each weekly update";
    Behaviour habit_formation_rate: f64 = behaviour.habit_formation_rate, "share/week", SHARE, true,
        "rho_up: speed at which habit rises towards performative use";
    Behaviour habit_decay_rate: f64 = behaviour.habit_decay_rate, "share/week", SHARE, true,
        "rho_down: speed at which habit decays (slower: Lally et al. 2010)";
    Behaviour stress_rate: f64 = behaviour.stress_rate, "share/week", SHARE, true,
        "d_S: speed at which stress follows perceived stakes (Ravid et al. 2023)";
    Behaviour incidents_per_performative_mtok: f64 = behaviour.incidents_per_performative_mtok, "incidents/MTok", NONNEG, true,
        "e_g: security incident rate per performative MTok at broad permissions";
    Behaviour incidents_per_productive_mtok: f64 = behaviour.incidents_per_productive_mtok, "incidents/MTok", NONNEG, true,
        "e_p: security incident rate per productive MTok at broad permissions";
    Behaviour incident_loss: f64 = behaviour.incident_loss, "output units", NONNEG, true,
        "output units lost per security incident";

    Population ability: Dist = population.ability, "output/week", dist(0.0, CEILING), false,
        "a_i: output per week of manual work";
    Population ai_speedup: Dist = population.ai_speedup, "fraction", dist(-1.0, CEILING), false,
        "s_i: AI speedup on real work (negative = AI slows this person down)";
    Population productive_intensity: Dist = population.productive_intensity, "MTok/week", dist(0.0, CEILING), false,
        "kp_i: tokens per week at full-time productive AI use";
    Population gaming_aversion: Dist = population.gaming_aversion, "utility", dist(0.0, CEILING), false,
        "mu_i: utility cost of a full week of pointless work";
    Population status_drive: Dist = population.status_drive, "-", dist(0.0, CEILING), false,
        "sigma_i: weight on leaderboard rank";
    Population conformity: Dist = population.conformity, "-", dist(0.0, CEILING), false,
        "J_i: weight on peers' performative use";
    Population credibility: Dist = population.credibility, "prob", dist(0.0, 1.0), false,
        "c_i: credibility the employee gives official assurances";
    Population manager_watchfulness: Dist = population.manager_watchfulness, "prob", dist(0.0, 1.0), false,
        "w_j: how closely team j's manager watches the numbers";
};

/// The run settings, documented like the model parameters.
pub static RUN_SETTINGS: &[ParamDef<RunSettings>] = registry::registry! { RunSettings;
    Run replicates: usize = replicates, "runs", int(1, 1_000_000), false,
        "independent replicate runs (seeds derived from `seed`)";
    Run seed: u64 = seed, "-", int(0, i64::MAX), false,
        "master seed; replicate r uses streams derived from (seed, r)";
};

#[cfg(test)]
mod tests;
