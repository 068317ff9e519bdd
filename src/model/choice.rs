//! The vectorised middle pass of a block's week (MODEL.md steps 5-7):
//! option values, logit choice, partial adjustment and realisation of
//! every agent in the block.
//!
//! This is where most of the arithmetic is (two ranks, each a logarithm
//! and a normal CDF; the usage bar and top-k curves; the softmax), so the
//! pass is one straight-line loop over the block's arrays with no random
//! draws and no branches (the shocks' uniforms were drawn in the first
//! pass and are turned into normals here; the events come in the last), written with [`super::fastmath`], so that LLVM
//! processes four agents per instruction where the CPU has AVX2.

use super::WeekContext;
use super::block::{Agents, Scratch};
use super::fastmath as fm;
use super::values::{AgentView, RankGroup, ai_option_values, softmax3};

/// The pass over all `a`'s agents. Inlined into the block's step, which is
/// compiled per instruction set (see [`super::block::Block::step`]).
#[inline(always)]
pub(crate) fn choose_all(ctx: &WeekContext, a: &mut Agents, s: &mut Scratch) {
    let vc = &ctx.values;
    let n = a.ability.len();
    // Every array sliced to the same length, so the loop has no bounds
    // checks and vectorises.
    let ability = &a.ability[..n];
    let speedup = &a.ai_speedup[..n];
    let intensity = &a.productive_intensity[..n];
    let aversion = &a.gaming_aversion[..n];
    let status = &a.status_drive[..n];
    let conformity = &a.conformity[..n];
    let habit = &a.habit[..n];
    let productive = &mut a.productive[..n];
    let performative = &mut a.performative[..n];
    let measured_tokens = &mut a.measured_tokens[..n];
    let surveillance_stake = &s.surveillance_stake[..n];
    let peer_performative = &s.peer_performative[..n];
    let group_mean = &s.group_mean[..n];
    let group_sd = &s.group_sd[..n];
    let manual_value = &s.manual_value[..n];
    let [radius_0, radius_1] = &s.shock_radius;
    let [angle_0, angle_1] = &s.shock_angle;
    let (radius_0, radius_1) = (&radius_0[..n], &radius_1[..n]);
    let (angle_0, angle_1) = (&angle_0[..n], &angle_1[..n]);
    let output = &mut s.output[..n];
    let incident_rate = &mut s.incident_rate[..n];
    let log_measured = &mut s.log_measured[..n];
    let keep = 1.0 - ctx.adjustment_rate;
    for i in 0..n {
        // Steps 5-6: option values, value shocks, logit choice, damping.
        let agent = AgentView {
            ability: ability[i],
            ai_speedup: speedup[i],
            productive_intensity: intensity[i],
            gaming_aversion: aversion[i],
            status_drive: status[i],
            conformity: conformity[i],
            habit: habit[i],
            surveillance_stake: surveillance_stake[i],
            peer_performative: peer_performative[i],
        };
        let group = RankGroup {
            mean: group_mean[i],
            sd: group_sd[i],
        };
        let [v_p, v_g] = ai_option_values(vc, &agent, group);
        // Standard normal value shocks (the second pair's sine is unused).
        let (z_m, z_p) = fm::normal_pair(radius_0[i], angle_0[i]);
        let (z_g, _) = fm::normal_pair(radius_1[i], angle_1[i]);
        let v = [
            manual_value[i] + ctx.choice_noise * z_m,
            v_p + ctx.choice_noise * z_p,
            v_g + ctx.choice_noise * z_g,
        ];
        let x = softmax3(ctx.rationality, v);
        let p = keep * productive[i] + ctx.adjustment_rate * x[1];
        let g = keep * performative[i] + ctx.adjustment_rate * x[2];
        productive[i] = p;
        performative[i] = g;

        // Step 7: realisation (random events follow in the last pass).
        let kp = agent.productive_intensity;
        let productive_tokens = kp * p;
        let performative_tokens = vc.performative_multiplier * kp * g;
        let measured =
            (productive_tokens + (1.0 - vc.metric_filter) * performative_tokens).min(vc.token_cap);
        measured_tokens[i] = measured;
        log_measured[i] = fm::ln(measured + vc.token_floor);
        output[i] = agent.ability * ((1.0 - p - g) + (1.0 + agent.ai_speedup) * p);
        incident_rate[i] = ctx.agent_permissions
            * (ctx.incidents_per_performative * performative_tokens
                + ctx.incidents_per_productive * productive_tokens);
    }
}
