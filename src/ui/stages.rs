//! The user stages tab (新增 / 活跃 / 沉默 / 流失 / 回流): the event that makes a user
//! active, the interval, the silent and churned thresholds in days, where users' creation
//! comes from, the two dates of the transition table and a breakdown; below the chart a
//! table of the stages per interval (then one per breakdown value) and the transition
//! table as a heat map whose cells list their users.

use super::count;
use super::retention::heat;
use super::i18n::{t, Lang, STAGE_KEYS};
use super::shell::{use_spec, PanelProps, Shell, SpecState};
use super::widgets::{
    edit, event_options, from_name, granularity_options, json_name, number_input, select,
    text_input, BreakdownPicker, FilterEditor,
};
use crate::engine::analysis::lifecycle::suggest_created_at;
use crate::engine::analysis::stages::{StagesResult, StagesSpec, STAGES};
use crate::engine::analysis::transitions::{Cell, Transitions, UNSEEN_NAME};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

/// Most member ids listed on the page (the CSV download holds all).
const SHOWN_MEMBERS: usize = 200;

/// The stages tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = use_spec(p, || StagesSpec {
        created_at: {
            let names: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
            suggest_created_at(&names).map(str::to_owned)
        },
        ..Default::default()
    });
    let mut created = vec![(String::new(), t(lang, "created_first_event").to_string())];
    created.extend(props.iter().map(|x| (x.name.clone(), x.name.clone())));
    let on_filters = edit(&spec, |s, g: FilterGroup| s.event_filters = g);
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
            <label for="silent-days">{ t(lang, "st_silent_days") }</label>
            { number_input("silent-days", spec.silent_days, 1, 3650, edit(&spec, |s, v| s.silent_days = v)) }
            <label for="churned-days">{ t(lang, "st_churned_days") }</label>
            { number_input("churned-days", spec.churned_days, 2, 3650, edit(&spec, |s, v| s.churned_days = v)) }
            <label for="created-at">{ t(lang, "created_at") }</label>
            { select("created-at", created, spec.created_at.as_deref().unwrap_or(""), edit(&spec, |s, v| s.created_at = (!v.is_empty()).then_some(v))) }
            <label for="transition-from">{ t(lang, "tr_from") }</label>
            { text_input("transition-from", spec.from.as_deref().unwrap_or(""), t(lang, "tr_first"), { let spec = spec.clone(); Callback::from(move |v: String| { let mut s = spec.latest(); s.from = date(v); s.members = None; spec.set(s); }) }) }
            <label for="transition-to">{ t(lang, "tr_to") }</label>
            { text_input("transition-to", spec.to.as_deref().unwrap_or(""), t(lang, "tr_last"), { let spec = spec.clone(); Callback::from(move |v: String| { let mut s = spec.latest(); s.to = date(v); s.members = None; spec.set(s); }) }) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "stages_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Stages(r)) => html! {
            <>
                { stage_table(lang, r, r.series(), &r.seen, "stages-table") }
                <p class="muted small">{ t(lang, "lifecycle_incomplete_note") }</p>
                { for r.breakdowns.iter().enumerate().map(|(k, b)| html! {
                    <>
                        <h3>{ b.value.clone() }</h3>
                        { stage_table(lang, r, b.series(), &b.seen, &format!("stages-table-{k}")) }
                    </>
                }) }
                { transition_table(lang, &r.transitions, &STAGE_KEYS, "stages", &spec, |s: &mut StagesSpec, c| s.members = c) }
            </>
        },
        _ => html! {},
    };
    // one chart panel per breakdown value
    let values = match p.result().as_deref() {
        Some(AnalysisResult::Stages(r)) => r.breakdowns.len(),
        _ => 0,
    };
    let chart_height = panels_height(values);
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} {chart_height} /> }
}

/// The chart height of a stages or health chart with `values` breakdown panels: about
/// 120 px per panel below the legend row (`chart::panels`), at least the usual 380 px.
pub(crate) fn panels_height(values: usize) -> u32 {
    380.max(56 + 120 * values as u32)
}

/// The stages per interval: `series` in [`STAGES`] order and `seen` (all users' or one
/// breakdown value's), in the table `id`.
fn stage_table(
    lang: Lang,
    r: &StagesResult,
    series: [&Vec<u64>; 5],
    seen: &[u64],
    id: &str,
) -> Html {
    let rows = r.buckets.iter().enumerate().map(|(b, label)| {
        let class = if r.incomplete[b] { "incomplete" } else { "" };
        html! {
            <tr class={class}>
                <td class="name">{ label.clone() }</td>
                <td>{ r.evaluated_on[b].clone() }</td>
                { for series.iter().map(|s| html! { <td class="num">{ count(s[b]) }</td> }) }
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
                    { for STAGE_KEYS.iter().map(|k| html! { <th class="num">{ t(lang, k) }</th> }) }
                    <th class="num">{ t(lang, "st_seen") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// A transition table as a heat map (shared with the health tab): rows are the states at
/// `from` (first "not yet seen"), columns the states at `to`; clicking a cell sets the
/// spec's `members` (through `set`) so the run lists that cell's users.
pub fn transition_table<T: Clone + PartialEq + AnalysisSpec + 'static>(
    lang: Lang,
    tr: &Transitions,
    keys: &[&'static str],
    id: &str,
    spec: &SpecState<T>,
    set: fn(&mut T, Option<Cell>),
) -> Html {
    let max = tr
        .counts
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let name = |r: usize| -> String {
        if r == 0 {
            t(lang, "tr_unseen").to_string()
        } else {
            t(lang, keys[r - 1]).to_string()
        }
    };
    let rows = tr.counts.iter().enumerate().map(|(r, row)| {
        let cells = row.iter().enumerate().map(|(c, &v)| {
            let style = heat(v as f64 / max);
            let cell = Cell {
                from: if r == 0 { UNSEEN_NAME.to_string() } else { tr.states[r - 1].clone() },
                to: tr.states[c].clone(),
            };
            let onclick = {
                let spec = spec.clone();
                Callback::from(move |_: MouseEvent| {
                    let mut s = spec.latest();
                    set(&mut s, Some(cell.clone()));
                    spec.set(s);
                })
            };
            let title = format!("{} → {}: {}", name(r), t(lang, keys[c]), count(v));
            let testid = format!("{id}-cell-{r}-{c}");
            html! {
                <td class="num cell" {style}>
                    <button class="link" data-testid={testid} title={title.clone()} aria-label={title} {onclick}>{ count(v) }</button>
                </td>
            }
        });
        html! { <tr><th scope="row">{ name(r) }</th>{ for cells }</tr> }
    });
    let members = (!tr.members.is_empty()).then(|| {
        let list = tr.members.iter().take(SHOWN_MEMBERS).map(|m| html! { <li>{ m.clone() }</li> });
        html! {
            <>
                <h3>{ t(lang, "tr_members") }{ format!(" ({})", count(tr.members.len() as u64)) }</h3>
                <div class="scroll tall" tabindex="0"><ul data-testid={format!("{id}-members")}>{ for list }</ul></div>
            </>
        }
    });
    html! {
        <>
            <h3>{ format!("{} {} → {}", t(lang, "tr_title"), tr.from, tr.to) }</h3>
            <p class="muted small">{ t(lang, "tr_note") }</p>
            <div class="scroll" tabindex="0">
                <table class="grid heat" data-testid={format!("{id}-transitions")}>
                    <thead><tr>
                        <th>{ t(lang, "tr_corner") }</th>
                        { for keys.iter().map(|k| html! { <th class="num">{ t(lang, k) }</th> }) }
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            { members }
        </>
    }
}

// the stage keys of the i18n table follow the engine's stage order
const _: () = assert!(STAGES.len() == STAGE_KEYS.len());
