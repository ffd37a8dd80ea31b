//! The user health tab (用户健康度 / 用户金字塔): the event that makes a user active, the
//! interval, the look-back window, what frequency counts, value from purchases (optional),
//! the rule of each tier (days since the last activity, frequency and value), and the two
//! dates of the transition table and a breakdown; below the chart the tier sizes per
//! interval (then per breakdown value) and the transition table as a heat map (shared with
//! the stages tab).

use super::count;
use super::i18n::{t, Lang, TIER_KEYS};
use super::shell::{use_spec, PanelProps, Shell};
use super::stages::{panels_height, transition_table};
use super::widgets::{
    edit, edit_at, event_options, from_name, granularity_options, json_name, keyed, number_input,
    select, text_input, with_name, BreakdownPicker, FilterEditor,
};
use crate::engine::analysis::health::{Frequency, HealthResult, HealthSpec, Rule, Tiers, Value};
use crate::engine::analysis::purchases::{suggest_amount, DEFAULT_AMOUNT};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

/// Rule `k` of the four upper tiers (core, active, casual, at risk).
fn rule_mut(t: &mut Tiers, k: usize) -> &mut Rule {
    match k {
        0 => &mut t.core,
        1 => &mut t.active,
        2 => &mut t.casual,
        _ => &mut t.at_risk,
    }
}

/// The health tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = use_spec(p, HealthSpec::default);
    let on_filters = edit(&spec, |s, g: FilterGroup| s.event_filters = g);
    let frequencies = keyed(
        &[
            (Frequency::ActiveDays, "hl_active_days"),
            (Frequency::Events, "hl_events"),
        ],
        lang,
    );
    let mut value_events = vec![(String::new(), t(lang, "hl_no_value").to_string())];
    value_events.extend(names.iter().map(|n| (n.clone(), n.clone())));
    let amounts: Vec<(String, String)> = (props.iter())
        .filter(|x| x.kind == "number")
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    let suggested_amount = {
        let numeric: Vec<&str> = amounts.iter().map(|x| x.0.as_str()).collect();
        suggest_amount(&numeric).map(str::to_owned)
    };
    let on_value_event = {
        let spec = spec.clone();
        Callback::from(move |v: String| {
            let mut s = spec.latest();
            s.value = (!v.is_empty()).then(|| Value {
                purchase_event: v,
                amount: s
                    .value
                    .as_ref()
                    .map(|x| x.amount.clone())
                    .or_else(|| suggested_amount.clone())
                    .unwrap_or_else(|| DEFAULT_AMOUNT.into()),
            });
            spec.set(s);
        })
    };
    let on_amount = edit(&spec, |s, v: String| {
        if let Some(x) = s.value.as_mut() {
            x.amount = v;
        }
    });
    let rules = (0..4).map(|k| {
        let r = *rule_mut(&mut spec.tiers.clone(), k);
        let name = t(lang, TIER_KEYS[k]);
        html! {
            <tr>
                <th scope="row">{ name }</th>
                <td>{ with_name(number_input(&format!("tier-{k}-recency"), r.max_recency_days, 0, 3650, edit_at(&spec, k, |s, k, v| rule_mut(&mut s.tiers, k).max_recency_days = v)), format!("{name}: {}", t(lang, "hl_max_recency"))) }</td>
                <td>{ with_name(number_input(&format!("tier-{k}-frequency"), r.min_frequency, 0, 1_000_000, edit_at(&spec, k, |s, k, v| rule_mut(&mut s.tiers, k).min_frequency = v)), format!("{name}: {}", t(lang, "hl_min_frequency"))) }</td>
                <td>{ with_name(number_input(&format!("tier-{k}-value"), r.min_value as u32, 0, 1_000_000_000, edit_at(&spec, k, |s, k, v: u32| rule_mut(&mut s.tiers, k).min_value = v as f64)), format!("{name}: {}", t(lang, "hl_min_value"))) }</td>
            </tr>
        }
    });
    let date = |v: String| {
        let v = v.trim().to_string();
        (!v.is_empty()).then_some(v)
    };
    let builder = html! {
        <>
            <label for="event">{ t(lang, "active_event") }</label>
            { select("event", event_options(lang, &names, true), spec.event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.event = (!v.is_empty()).then_some(v))) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.event_filters.clone()} on_change={on_filters} id="event-filter" />
            <label for="interval">{ t(lang, "interval") }</label>
            { select("interval", granularity_options(lang, false), &json_name(&spec.interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.interval = g })) }
            <label for="window-days">{ t(lang, "hl_window_days") }</label>
            { number_input("window-days", spec.window_days, 1, 3650, edit(&spec, |s, v| s.window_days = v)) }
            <label for="frequency">{ t(lang, "hl_frequency") }</label>
            { select("frequency", frequencies, &json_name(&spec.frequency), edit(&spec, |s, v| if let Some(f) = from_name(&v) { s.frequency = f })) }
            <label for="value-event">{ t(lang, "hl_value") }</label>
            { select("value-event", value_events, spec.value.as_ref().map_or("", |v| v.purchase_event.as_str()), on_value_event) }
            if spec.value.is_some() {
                <>
                    <label for="value-amount">{ t(lang, "hl_amount") }</label>
                    { select("value-amount", amounts, spec.value.as_ref().map_or("", |v| v.amount.as_str()), on_amount) }
                </>
            }
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="health-rules">
                    <thead><tr>
                        <th>{ t(lang, "hl_tier") }</th>
                        <th>{ t(lang, "hl_max_recency") }</th>
                        <th>{ t(lang, "hl_min_frequency") }</th>
                        <th>{ t(lang, "hl_min_value") }</th>
                    </tr></thead>
                    <tbody>{ for rules }</tbody>
                </table>
            </div>
            <label for="transition-from">{ t(lang, "tr_from") }</label>
            { text_input("transition-from", spec.from.as_deref().unwrap_or(""), t(lang, "tr_first"), { let spec = spec.clone(); Callback::from(move |v: String| { let mut s = spec.latest(); s.from = date(v); s.members = None; spec.set(s); }) }) }
            <label for="transition-to">{ t(lang, "tr_to") }</label>
            { text_input("transition-to", spec.to.as_deref().unwrap_or(""), t(lang, "tr_last"), { let spec = spec.clone(); Callback::from(move |v: String| { let mut s = spec.latest(); s.to = date(v); s.members = None; spec.set(s); }) }) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "health_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Health(r)) => html! {
            <>
                { tier_table(lang, r, &r.sizes, &r.seen, "health-table") }
                <p class="muted small">{ t(lang, "lifecycle_incomplete_note") }</p>
                { for r.breakdowns.iter().enumerate().map(|(k, b)| html! {
                    <>
                        <h3>{ b.value.clone() }</h3>
                        { tier_table(lang, r, &b.sizes, &b.seen, &format!("health-table-{k}")) }
                    </>
                }) }
                { transition_table(lang, &r.transitions, &TIER_KEYS, "health", &spec, |s: &mut HealthSpec, c| s.members = c) }
            </>
        },
        _ => html! {},
    };
    // one chart panel per breakdown value
    let values = match p.result().as_deref() {
        Some(AnalysisResult::Health(r)) => r.breakdowns.len(),
        _ => 0,
    };
    let chart_height = panels_height(values);
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} {chart_height} /> }
}

/// The tier sizes per interval (`sizes[tier][interval]` and `seen`, of all users or of one
/// breakdown value), in the table `id`.
fn tier_table(lang: Lang, r: &HealthResult, sizes: &[Vec<u64>], seen: &[u64], id: &str) -> Html {
    let rows = r.buckets.iter().enumerate().map(|(b, label)| {
        let class = if r.incomplete[b] { "incomplete" } else { "" };
        html! {
            <tr class={class}>
                <td class="name">{ label.clone() }</td>
                <td>{ r.evaluated_on[b].clone() }</td>
                { for sizes.iter().map(|s| html! { <td class="num">{ count(s[b]) }</td> }) }
                <td class="num">{ count(seen[b]) }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll tall" tabindex="0">
            <table class="grid" data-testid={id.to_string()}>
                <thead><tr>
                    <th>{ t(lang, "interval") }</th>
                    <th>{ t(lang, "st_evaluated_on") }</th>
                    { for TIER_KEYS.iter().map(|k| html! { <th class="num">{ t(lang, k) }</th> }) }
                    <th class="num">{ t(lang, "st_seen") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
