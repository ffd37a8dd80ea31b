//! The active-users tab: which events make a user active (any event, or a list of events
//! each with its own filters), the MAU window and the frequency period; below the chart a
//! daily table (DAU, WAU, MAU and the ratios, partial windows marked) and the frequency
//! table (users by active days per week or month).

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    with_name,
    edit, edit_at, event_options, from_name, json_name, keyed, select, FilterEditor,
};
use super::{count, pct};
use crate::engine::analysis::active_users::{
    ActiveEvent, ActiveUsersResult, ActiveUsersSpec, Frequency,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::FilterGroup;
use yew::prelude::*;

/// The active-users tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let spec = use_spec(p, ActiveUsersSpec::default);
    let props = p.data.overview.properties.clone();
    let rows = spec.events.iter().enumerate().map(|(k, e)| {
        let set_event = edit_at(&spec, k, |s, k, v| s.events[k].event = v);
        let set_filters = edit_at(&spec, k, |s, k, g: FilterGroup| s.events[k].filters = g);
        let remove = edit_at(&spec, k, |s, k, _: MouseEvent| {
            s.events.remove(k);
        });
        html! {
            <div class="active-event" key={k}>
                <div class="row">
                    { with_name(select(&format!("active-event-{k}"), event_options(lang, &names, false), &e.event, set_event), t(lang, "active_events")) }
                    <button class="icon" title={t(lang, "remove")} aria-label={t(lang, "remove")} onclick={remove}>{"×"}</button>
                </div>
                <FilterEditor lang={lang} props={props.clone()} group={e.filters.clone()} on_change={set_filters} id={format!("active-event-{k}-filter")} />
            </div>
        }
    });
    let add = {
        let (spec, first) = (spec.clone(), names.first().cloned());
        Callback::from(move |_| {
            if let Some(event) = first.clone() {
                let mut s = spec.latest();
                s.events.push(ActiveEvent {
                    event,
                    filters: FilterGroup::default(),
                });
                spec.set(s);
            }
        })
    };
    let mau_days = vec![
        ("30".to_string(), t(lang, "mau_30").to_string()),
        ("28".to_string(), t(lang, "mau_28").to_string()),
    ];
    let frequency = keyed(
        &[
            (Frequency::Week, "per_week"),
            (Frequency::Month, "per_month"),
        ],
        lang,
    );
    let builder = html! {
        <>
            <label>{ t(lang, "active_events") }</label>
            if spec.events.is_empty() { <div class="muted small">{ t(lang, "any_event") }</div> }
            { for rows }
            <button class="secondary small" data-testid="add-active-event" onclick={add}>{"+ "}{ t(lang, "add_event") }</button>
            <label for="mau-days">{ t(lang, "mau_window") }</label>
            { select("mau-days", mau_days, &spec.mau_days.to_string(), edit(&spec, |s, v: String| if let Ok(d) = v.parse() { s.mau_days = d })) }
            <label for="frequency">{ t(lang, "frequency") }</label>
            { select("frequency", frequency, &json_name(&spec.frequency), edit(&spec, |s, v| if let Some(f) = from_name(&v) { s.frequency = f })) }
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::ActiveUsers(r)) => html! {
            <>
                { daily(lang, r) }
                { frequency_table(lang, r) }
            </>
        },
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} chart_height={460} /> }
}

/// The daily table; cells of partial windows are marked.
fn daily(lang: Lang, r: &ActiveUsersResult) -> Html {
    let cell = |text: String, partial: bool| {
        if partial {
            html! { <td class="num partial" title={t(lang, "partial_note")}>{ text }{"*"}</td> }
        } else {
            html! { <td class="num">{ text }</td> }
        }
    };
    let ratio = |v: Option<f64>| v.map(pct).unwrap_or_default();
    let rows = r.days.iter().enumerate().map(|(d, day)| {
        let (w, m) = (r.wau_partial[d], r.mau_partial[d]);
        html! {
            <tr>
                <td class="name">{ day.clone() }</td>
                <td class="num">{ count(r.dau[d]) }</td>
                { cell(count(r.wau[d]), w) }
                { cell(count(r.mau[d]), m) }
                { cell(ratio(r.dau_mau[d]), m) }
                { cell(ratio(r.dau_wau[d]), w) }
            </tr>
        }
    });
    html! {
        <>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="active-users-table">
                    <thead><tr>
                        <th>{ t(lang, "day") }</th>
                        <th class="num">{ t(lang, "dau") }</th>
                        <th class="num">{ t(lang, "wau") }</th>
                        <th class="num">{ format!("{} ({})", t(lang, "mau"), r.mau_days) }</th>
                        <th class="num">{ t(lang, "dau_mau") }</th>
                        <th class="num">{ t(lang, "dau_wau") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <p class="muted small">{ format!("* {} ({} {})", t(lang, "partial_note"), t(lang, "data_starts"), r.data_start) }</p>
        </>
    }
}

/// Users by number of active days per week or month, and the sum over periods.
fn frequency_table(lang: Lang, r: &ActiveUsersResult) -> Html {
    let width = r.frequency.max_days();
    let head = (1..=width).map(|k| html! { <th class="num">{ k }</th> });
    let row = |label: String, partial: bool, users: &[u64], total: u64| {
        let cells = users
            .iter()
            .map(|&u| html! { <td class="num">{ count(u) }</td> });
        let class = if partial { "name partial" } else { "name" };
        html! { <tr><td class={class}>{ label }{ if partial { "*" } else { "" } }</td><td class="num">{ count(total) }</td>{ for cells }</tr> }
    };
    let total: u64 = r.frequency_total.iter().sum();
    let rows = r
        .periods
        .iter()
        .map(|p| row(p.label.clone(), p.partial, &p.users, p.active_users));
    let title = match r.frequency {
        Frequency::Week => t(lang, "days_active_per_week"),
        Frequency::Month => t(lang, "days_active_per_month"),
    };
    html! {
        <>
            <h3>{ title }</h3>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="frequency-table">
                    <thead><tr><th>{ t(lang, "period") }</th><th class="num">{ t(lang, "users") }</th>{ for head }</tr></thead>
                    <tbody>
                        { row(t(lang, "total").to_string(), false, &r.frequency_total, total) }
                        { for rows }
                    </tbody>
                </table>
            </div>
            <p class="muted small">{ t(lang, "partial_period_note") }</p>
        </>
    }
}
