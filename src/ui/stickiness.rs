//! The stickiness tab: the event (any event, or one with its own filters), the interval
//! and how many make one, exact or cumulative counts, the per-interval criteria and a
//! breakdown; below the chart a table of users (and shares) per number of active
//! intervals, one column per series.

use super::i18n::t;
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, event_options, from_name, granularity_options, json_name, keyed, number_input, select,
    BreakdownPicker, FilterEditor,
};
use super::{count, pct};
use crate::engine::analysis::stickiness::{Computed, CountOp, StickinessSpec};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

/// The stickiness tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let spec = use_spec(p, StickinessSpec::default);
    let props = p.data.overview.properties.clone();
    let computed = keyed(
        &[
            (Computed::NonCumulative, "computed_exact"),
            (Computed::Cumulative, "computed_cumulative"),
        ],
        lang,
    );
    let ops = keyed(
        &[
            (CountOp::Gte, "op_gte"),
            (CountOp::Lte, "op_lte"),
            (CountOp::Eq, "op_eq"),
        ],
        lang,
    );
    let on_filters = edit(&spec, |s, g: FilterGroup| s.event_filters = g);
    let on_breakdown = edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b);
    let builder = html! {
        <>
            <label for="event">{ t(lang, "event") }</label>
            { select("event", event_options(lang, &names, true), spec.event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.event = (!v.is_empty()).then_some(v))) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.event_filters.clone()} on_change={on_filters} id="event-filter" />
            <label for="interval-count">{ t(lang, "interval") }</label>
            <div class="row">
                { number_input("interval-count", spec.interval_count, 1, 365, edit(&spec, |s, v: u32| s.interval_count = v)) }
                <label class="sr-only" for="interval">{ t(lang, "interval") }</label>
                { select("interval", granularity_options(lang, true), &json_name(&spec.interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.interval = g })) }
            </div>
            <label for="computed">{ t(lang, "computed") }</label>
            { select("computed", computed, &json_name(&spec.computed), edit(&spec, |s, v| if let Some(c) = from_name(&v) { s.computed = c })) }
            <label for="criteria-op">{ t(lang, "criteria") }</label>
            <div class="row">
                { select("criteria-op", ops, &json_name(&spec.criteria.op), edit(&spec, |s, v| if let Some(o) = from_name(&v) { s.criteria.op = o })) }
                <label class="sr-only" for="criteria-value">{ t(lang, "criteria") }</label>
                { number_input("criteria-value", spec.criteria.value, 1, 100_000, edit(&spec, |s, v: u32| s.criteria.value = v)) }
                <span class="muted small">{ t(lang, "events_per_interval") }</span>
            </div>
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props} breakdown={spec.breakdown.clone()} on_change={on_breakdown} />
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Stickiness(r)) => {
            let head = r
                .series
                .iter()
                .map(|s| html! { <th class="num" colspan="2">{ s.label.clone() }</th> });
            let totals = r.series.iter().map(|s| html! { <><td class="num">{ count(s.total_users) }</td><td class="num">{ "100%" }</td></> });
            let averages = r.series.iter().map(|s| html! { <td class="num" colspan="2">{ format!("{:.2}", s.average_intervals) }</td> });
            let rows = r.x.iter().enumerate().map(|(k, x)| {
                let cells = r.series.iter().map(|s| html! {
                    <><td class="num">{ count(s.users[k]) }</td><td class="num muted">{ pct(s.percent[k]) }</td></>
                });
                let label = match r.computed {
                    Computed::NonCumulative => x.to_string(),
                    Computed::Cumulative => format!("≥ {x}"),
                };
                html! { <tr><td class="name">{ label }</td>{ for cells }</tr> }
            });
            html! {
                <div class="scroll tall" tabindex="0">
                    <p class="muted small">{ format!("{} – {} · {} {}", r.first_interval, r.last_interval, r.x.len(), t(lang, "intervals_in_range")) }</p>
                    <table class="grid" data-testid="stickiness-table">
                        <thead><tr><th>{ t(lang, "active_intervals") }</th>{ for head }</tr></thead>
                        <tbody>
                            <tr class="avg"><td class="name">{ t(lang, "total") }</td>{ for totals }</tr>
                            <tr class="avg"><td class="name">{ t(lang, "average_intervals") }</td>{ for averages }</tr>
                            { for rows }
                        </tbody>
                    </table>
                </div>
            }
        }
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}
