//! The lifecycle tab: the event that makes a user active (any event, or one event with its
//! own filters), the interval, where users' creation comes from (a created-at property,
//! chosen automatically when the data has one, or the first event) and a breakdown; below
//! the chart the pulse and a table of the four states per interval.

use super::count;
use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, event_options, from_name, granularity_options, json_name, select, BreakdownPicker,
    FilterEditor,
};
use crate::engine::analysis::lifecycle::{
    suggest_created_at, LifecycleResult, LifecycleSpec, States,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

fn pulse_text(p: Option<f64>) -> String {
    p.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into())
}

/// The lifecycle tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = use_spec(p, || LifecycleSpec {
        created_at: {
            let names: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
            suggest_created_at(&names).map(str::to_owned)
        },
        ..Default::default()
    });
    let mut created = vec![(String::new(), t(lang, "created_first_event").to_string())];
    created.extend(props.iter().map(|x| (x.name.clone(), x.name.clone())));
    let on_filters = edit(&spec, |s, g: FilterGroup| s.event_filters = g);
    let on_breakdown = edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b);
    let builder = html! {
        <>
            <label for="event">{ t(lang, "active_event") }</label>
            { select("event", event_options(lang, &names, true), spec.event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.event = (!v.is_empty()).then_some(v))) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.event_filters.clone()} on_change={on_filters} id="event-filter" />
            <label for="interval">{ t(lang, "interval") }</label>
            { select("interval", granularity_options(lang, true), &json_name(&spec.interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.interval = g })) }
            <label for="created-at">{ t(lang, "created_at") }</label>
            { select("created-at", created, spec.created_at.as_deref().unwrap_or(""), edit(&spec, |s, v| s.created_at = (!v.is_empty()).then_some(v))) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={on_breakdown} />
            <p class="muted small">{ t(lang, "lifecycle_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Lifecycle(r)) => {
            let per_value = r.breakdowns.iter().enumerate().map(|(k, b)| {
                html! {
                    <>
                        <h3>{ b.value.clone() }</h3>
                        { table(lang, r, &b.states, &format!("lifecycle-table-{k}")) }
                    </>
                }
            });
            html! {
                <>
                    <p class="pulse">
                        <strong>{ t(lang, "pulse") }{ ": " }</strong>
                        <span data-testid="lifecycle-pulse">{ pulse_text(r.states.pulse_overall) }</span>
                        <span class="muted small">{ " — " }{ t(lang, "pulse_note") }</span>
                    </p>
                    { table(lang, r, &r.states, "lifecycle-table") }
                    <p class="muted small">{ t(lang, "lifecycle_incomplete_note") }</p>
                    { for per_value }
                </>
            }
        }
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// One table of the four states per interval.
fn table(lang: Lang, r: &LifecycleResult, s: &States, id: &str) -> Html {
    let rows = r.buckets.iter().enumerate().map(|(b, label)| {
        let class = if r.incomplete[b] { "incomplete" } else { "" };
        html! {
            <tr class={class}>
                <td class="name">{ label.clone() }</td>
                <td class="num">{ count(s.new[b]) }</td>
                <td class="num">{ count(s.returning[b]) }</td>
                <td class="num">{ count(s.resurrecting[b]) }</td>
                <td class="num">{ if s.dormant[b] < 0 { format!("-{}", count(s.dormant[b].unsigned_abs())) } else { "0".into() } }</td>
                <td class="num">{ count(s.active[b]) }</td>
                <td class="num">{ pulse_text(s.pulse[b]) }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll tall" tabindex="0">
            <table class="grid" data-testid={id.to_string()}>
                <thead><tr>
                    <th>{ t(lang, "interval") }</th>
                    <th class="num">{ t(lang, "lc_new") }</th>
                    <th class="num">{ t(lang, "lc_returning") }</th>
                    <th class="num">{ t(lang, "lc_resurrecting") }</th>
                    <th class="num">{ t(lang, "lc_dormant") }</th>
                    <th class="num">{ t(lang, "lc_active") }</th>
                    <th class="num">{ t(lang, "pulse") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
