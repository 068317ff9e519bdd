//! The vectorised middle pass of a block's week (MODEL.md steps 4-7):
//! perceived stake, option values, logit choice, partial adjustment and
//! realisation of every agent in the block.
//!
//! This is where most of the arithmetic is (two ranks, each a normal CDF;
//! the usage bar and top-k curves; the value shocks; the softmax), so the
//! pass is five straight-line loops over the block's arrays with no
//! branches:
//! 1. the value shocks ([`shocks_loop`]: counter-based words,
//!    [`super::rng::word`], computed from each agent's position like any
//!    other arithmetic);
//! 2. both options' ranks ([`ranks_loop`]);
//! 3. the option values, added to the shocks in their arrays;
//! 4. the softmax choice, partial adjustment and realisation;
//! 5. ln(Tm + eps_T) of the measured tokens.
//!
//! Each agent's work is a long chain of dependent operations (a division,
//! a polynomial, an exponential, another division...), computed in single
//! precision where the results allow ([`super::fastmath`]'s `single`
//! functions: half the chain of double precision). In
//! one loop, one agent's chain filled the CPU's reorder window and the
//! next agent's independent work waited (llvm-mca: 0.9 instructions per
//! cycle under AVX-512); shorter loops let the CPU overlap agents
//! (docs/PERFORMANCE.md). The events come in the last pass. Written with
//! [`super::fastmath`], the loops become SIMD code that handles four
//! (AVX2) or eight (AVX-512) agents per instruction ([`super::simd`]).

use super::WeekContext;
use super::fastmath::{self as fm, Arith};
use super::rng::{self, slots};
use super::state::{Agents, Attr, Scratch};
use super::values::{
    AgentView, GroupView, RankGroup, ValueContext, option_values_from_ranks, softmax3_with,
};

/// The pass over all `a`'s agents. Inlined into the block's step, which is
/// compiled per instruction set (see [`super::block::Block::step`]).
#[inline(always)]
pub(crate) fn choose_all<A: Arith>(
    ctx: &WeekContext,
    a: &mut Agents,
    s: &mut Scratch,
    first_employee: usize,
) {
    let n = a.ability.len();
    let state = |slot| ctx.draw_state(first_employee, slot);
    shocks_loop::<A>(
        ctx,
        [
            state(slots::RADIUS_0),
            state(slots::RADIUS_1),
            state(slots::ANGLES),
        ],
        &mut s.shock_m[..n],
        &mut s.shock_p[..n],
        &mut s.shock_g[..n],
    );
    ranks_loop::<A>(
        &ctx.values,
        [
            &a.log_tokens_productive[..n],
            &a.log_tokens_performative[..n],
        ],
        [&s.group_mean[..n], &s.group_inv_sd[..n]],
        &mut s.rank_p[..n],
        &mut s.rank_g[..n],
    );
    // Every array sliced to the same length, so the loop has no bounds
    // checks.
    let inputs = Inputs {
        ability: &a.ability[..n],
        speedup: &a.ai_speedup[..n],
        intensity: &a.productive_intensity[..n],
        aversion: &a.gaming_aversion[..n],
        status: &a.status_drive[..n],
        conformity: &a.conformity[..n],
        habit: &a.habit[..n],
        alpha: &a.alpha[..n],
        beta: &a.beta[..n],
        stake: &s.stake[..n],
        group_stake_part: &s.group_stake_part[..n],
        group_rank0: &s.group_rank0[..n],
        group_top0: &s.group_top0[..n],
        peer_sum: &s.peer_sum[..n],
        peer_weight: &s.peer_weight[..n],
        ranks: [&s.rank_p[..n], &s.rank_g[..n]],
    };
    let (value_m, value_p, value_g) = (
        &mut s.shock_m[..n],
        &mut s.shock_p[..n],
        &mut s.shock_g[..n],
    );
    let outputs = (
        &mut a.productive[..n],
        &mut a.performative[..n],
        &mut a.measured_tokens[..n],
        &mut s.output[..n],
        &mut s.incident_rate[..n],
        &mut s.log_measured[..n],
    );
    // The kernel without the terms that have no weight this week (the
    // same values, fewer exponentials). Called directly, not through a
    // function pointer, so that each is inlined into the step compiled
    // for this CPU's instruction set.
    macro_rules! run {
        ($bar:literal, $top:literal) => {
            choose_kernel::<A, $bar, $top>(
                ctx, &inputs, value_m, value_p, value_g, outputs.0, outputs.1, outputs.2,
                outputs.3, outputs.4, outputs.5,
            )
        };
    }
    match ctx.values.weighted_terms() {
        (true, true) => run!(true, true),
        (true, false) => run!(true, false),
        (false, true) => run!(false, true),
        (false, false) => run!(false, false),
    }
}

/// Recomputes every agent's option log-tokens (after the levers they
/// depend on changed, [`super::values::ValueContext::option_log_tokens`]).
#[inline(always)]
pub(crate) fn refresh_log_tokens<A: Arith>(ctx: &WeekContext, a: &mut Agents) {
    let n = a.productive_intensity.len();
    let intensity = &a.productive_intensity[..n];
    log_tokens_loop::<A>(
        &ctx.values,
        intensity,
        &mut a.log_tokens_productive[..n],
        &mut a.log_tokens_performative[..n],
    );
}

#[inline(always)]
pub(crate) fn log_tokens_loop<A: Arith>(
    vc: &super::values::ValueContext,
    intensity: &[Attr],
    productive: &mut [f64],
    performative: &mut [f64],
) {
    let n = intensity.len();
    let (productive, performative) = (&mut productive[..n], &mut performative[..n]);
    for i in 0..n {
        let (lp, lg) = vc.option_log_tokens_with::<A>(f64::from(intensity[i]));
        productive[i] = lp;
        performative[i] = lg;
    }
}

/// Every agent's three value shocks, the choice noise times standard
/// normals from the agent's three counter-based words: a Box-Muller pair
/// and a single normal, in single precision
/// ([`super::fastmath::Maths::normal_f32`]). The second
/// argument holds the SplitMix64 states of the block's first agent's
/// words (the two radii, and both angles in one word's halves); agent i's
/// are `i * EMPLOYEE_STATE_STEP` further on. A loop of its own, before the
/// values: one loop doing both needed more registers than there are, and
/// spilled.
#[inline(always)]
fn shocks_loop<A: Arith>(
    ctx: &WeekContext,
    [radius_0, radius_1, angles]: [u64; 3],
    shock_m: &mut [f64],
    shock_p: &mut [f64],
    shock_g: &mut [f64],
) {
    let n = shock_m.len();
    let (shock_p, shock_g) = (&mut shock_p[..n], &mut shock_g[..n]);
    let m = ctx.values.maths;
    for i in 0..n {
        let offset = (i as u64).wrapping_mul(rng::EMPLOYEE_STATE_STEP);
        let word = |state: u64| rng::mix(state.wrapping_add(offset));
        let angles = word(angles);
        let (z_m, z_p) = m.normal_pair_f32::<A>(rng::open52(word(radius_0)), rng::high32(angles));
        let z_g = m.normal_f32::<A>(rng::open52(word(radius_1)), rng::centred_low32(angles));
        shock_m[i] = ctx.choice_noise * z_m;
        shock_p[i] = ctx.choice_noise * z_p;
        shock_g[i] = ctx.choice_noise * z_g;
    }
}

/// Every agent's ranks of its two options' measured tokens in its rank
/// reference group, R(T_p) and R(T_g): a loop of its own, as the normal
/// CDFs are long chains of dependent multiply-adds, which in the values
/// loop kept the CPU waiting (docs/PERFORMANCE.md).
#[inline(always)]
fn ranks_loop<A: Arith>(
    vc: &ValueContext,
    [log_p, log_g]: [&[f64]; 2],
    [mean, inv_sd]: [&[f64]; 2],
    rank_p: &mut [f64],
    rank_g: &mut [f64],
) {
    let n = rank_p.len();
    let (rank_g, log_p, log_g, mean, inv_sd) = (
        &mut rank_g[..n],
        &log_p[..n],
        &log_g[..n],
        &mean[..n],
        &inv_sd[..n],
    );
    for i in 0..n {
        let group = RankGroup {
            mean: mean[i],
            inv_sd: inv_sd[i],
        };
        [rank_p[i], rank_g[i]] = vc.ranks_from_logs::<A>([log_p[i], log_g[i]], group);
    }
}

/// The arrays the choice pass only reads, all of one length.
struct Inputs<'a> {
    ability: &'a [Attr],
    speedup: &'a [Attr],
    intensity: &'a [Attr],
    aversion: &'a [Attr],
    status: &'a [Attr],
    conformity: &'a [Attr],
    habit: &'a [f64],
    alpha: &'a [f64],
    beta: &'a [f64],
    stake: &'a [f64],
    group_stake_part: &'a [f64],
    group_rank0: &'a [f64],
    group_top0: &'a [f64],
    peer_sum: &'a [f64],
    peer_weight: &'a [f64],
    /// Each agent's ranks of the two options ([`ranks_loop`]).
    ranks: [&'a [f64]; 2],
}

/// The values loop, then the choice and realisation loop, then the
/// logarithms. `value_m`, `value_p`, `value_g` hold the value shocks on
/// entry and the values with their shocks after the first loop. The
/// arrays the loops write are separate `&mut` arguments: that tells LLVM
/// they overlap nothing else (slices of different `Vec`s inside one
/// function do not), so it vectorises without run-time overlap checks, of
/// which it allows only a few.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn choose_kernel<A: Arith, const BAR: bool, const TOP: bool>(
    ctx: &WeekContext,
    inputs: &Inputs,
    value_m: &mut [f64],
    value_p: &mut [f64],
    value_g: &mut [f64],
    productive: &mut [f64],
    performative: &mut [f64],
    measured_tokens: &mut [f64],
    output: &mut [f64],
    incident_rate: &mut [f64],
    log_measured: &mut [f64],
) {
    let vc = &ctx.values;
    let n = inputs.ability.len();
    let Inputs {
        ability,
        speedup,
        intensity,
        aversion,
        status,
        conformity,
        habit,
        alpha,
        beta,
        stake,
        group_stake_part,
        group_rank0,
        group_top0,
        peer_sum,
        peer_weight,
        ranks: [rank_p, rank_g],
    } = *inputs;
    let (rank_p, rank_g) = (&rank_p[..n], &rank_g[..n]);
    let (value_m, value_p, value_g) = (&mut value_m[..n], &mut value_p[..n], &mut value_g[..n]);
    let (ability, speedup, intensity, aversion) = (
        &ability[..n],
        &speedup[..n],
        &intensity[..n],
        &aversion[..n],
    );
    let (productive, performative, measured_tokens) = (
        &mut productive[..n],
        &mut performative[..n],
        &mut measured_tokens[..n],
    );
    let (output, incident_rate, log_measured) = (
        &mut output[..n],
        &mut incident_rate[..n],
        &mut log_measured[..n],
    );
    let keep = 1.0 - ctx.adjustment_rate;
    for i in 0..n {
        // Step 4: perceived surveillance times stake; peers' mean gaming
        // (gbar_i, itself excluded; 0 without neighbours).
        // alpha + beta > 0: the settle pass keeps it so.
        let pi = alpha[i] / (alpha[i] + beta[i]);
        let pi_b = pi * stake[i];
        let gbar = (peer_sum[i] - performative[i]) * peer_weight[i];
        // Step 5: option values (the ranks came from the ranks loop, so
        // the group's moments and the log-tokens are not read here).
        let view = GroupView {
            group: RankGroup::default(),
            stake_part: group_stake_part[i],
            rank0: group_rank0[i],
            top0: group_top0[i],
        };
        let agent = AgentView {
            ability: f64::from(ability[i]),
            ai_speedup: f64::from(speedup[i]),
            productive_intensity: f64::from(intensity[i]),
            gaming_aversion: f64::from(aversion[i]),
            status_drive: f64::from(status[i]),
            conformity: f64::from(conformity[i]),
            habit: habit[i],
            surveillance_stake: pi_b,
            peer_performative: gbar,
            log_tokens: (f64::NAN, f64::NAN),
        };
        let [v_m, v_p, v_g] =
            option_values_from_ranks::<A, BAR, TOP>(vc, &agent, &view, [rank_p[i], rank_g[i]]);
        // The shocks' arrays take the values, shocks included.
        value_m[i] += v_m;
        value_p[i] += v_p;
        value_g[i] += v_g;
    }
    for i in 0..n {
        // Step 6: logit choice and partial adjustment.
        let v = [value_m[i], value_p[i], value_g[i]];
        let x = softmax3_with::<A>(vc.maths, ctx.rationality, v);
        // The bounds only undo rounding (the softmax's single-precision
        // shares can sum to 1 plus a few f32 ulp): they keep the allocation on the simplex, so manual
        // time 1 - p - g, output and habit never turn negative.
        let p = fm::select_min(keep * productive[i] + ctx.adjustment_rate * x[1], 1.0);
        let g = fm::select_min(keep * performative[i] + ctx.adjustment_rate * x[2], 1.0 - p);
        productive[i] = p;
        performative[i] = g;

        // Step 7: realisation (random events follow in the last pass).
        let kp = f64::from(intensity[i]);
        let productive_tokens = kp * p;
        let performative_tokens = vc.performative_multiplier * kp * g;
        let measured = fm::select_min(
            productive_tokens + (1.0 - vc.metric_filter) * performative_tokens,
            vc.token_cap,
        );
        measured_tokens[i] = measured;
        output[i] = f64::from(ability[i]) * ((1.0 - p - g) + (1.0 + f64::from(speedup[i])) * p);
        incident_rate[i] = ctx.agent_permissions
            * (ctx.incidents_per_performative * performative_tokens
                + ctx.incidents_per_productive * productive_tokens);
    }
    // A loop of its own too: the logarithm after the softmax made one
    // long chain of the loop above.
    for i in 0..n {
        log_measured[i] = vc.maths.ln::<A>(measured_tokens[i] + vc.token_floor);
    }
}
