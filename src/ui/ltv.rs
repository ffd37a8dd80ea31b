//! The LTV tab (生命周期价值): the purchase event (with its own filters) and the amount
//! property, preselected from the data's names; cohort interval, age unit and number of
//! ages; all users or paying users only. Below the chart the cohort × age table with the
//! weighted average row; partly observed cells are marked like retention's. With a
//! breakdown, a table of each value's average above it.

use super::count;
use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    amount_options, edit, from_name, granularity_options, json_name, keyed, number_input,
    purchase_options, select, suggested_purchase, BreakdownPicker, FilterEditor,
};
use crate::engine::analysis::ltv::{LtvSpec, LtvUsers, MAX_PERIODS};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

fn money(v: f64) -> String {
    format!("{v:.2}")
}

/// The LTV tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let props = p.data.overview.properties.clone();
    let (event, amount) = suggested_purchase(p);
    let spec = use_spec(p, || {
        let d = LtvSpec::default();
        LtvSpec {
            purchase_event: event.unwrap_or(d.purchase_event.clone()),
            amount: amount.unwrap_or(d.amount.clone()),
            ..d
        }
    });
    let users = keyed(
        &[
            (LtvUsers::All, "ltv_all_users"),
            (LtvUsers::Paying, "ltv_paying_users"),
        ],
        lang,
    );
    let on_filters = edit(&spec, |s, g: FilterGroup| s.purchase_filters = g);
    let on_breakdown = edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b);
    let builder = html! {
        <>
            <label for="purchase-event">{ t(lang, "purchase_event") }</label>
            { select("purchase-event", purchase_options(p, &spec.purchase_event), &spec.purchase_event, edit(&spec, |s, v| s.purchase_event = v)) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.purchase_filters.clone()} on_change={on_filters} id="purchase-filter" />
            <label for="amount">{ t(lang, "amount") }</label>
            { select("amount", amount_options(p, &spec.amount), &spec.amount, edit(&spec, |s, v| s.amount = v)) }
            <label for="cohort">{ t(lang, "cohort") }</label>
            { select("cohort", granularity_options(lang, false), &json_name(&spec.cohort), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.cohort = g })) }
            <label for="period">{ t(lang, "ltv_age_unit") }</label>
            <div class="row">
                { select("period", granularity_options(lang, false), &json_name(&spec.period), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.period = g })) }
                <label class="sr-only" for="periods">{ t(lang, "ltv_age_unit") }</label>
                { number_input("periods", spec.periods, 1, MAX_PERIODS, edit(&spec, |s, v: u32| s.periods = v)) }
                <span class="muted small">{ t(lang, "ltv_ages") }</span>
            </div>
            <label for="users">{ t(lang, "ltv_users") }</label>
            { select("users", users, &json_name(&spec.users), edit(&spec, |s, v| if let Some(u) = from_name(&v) { s.users = u })) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props} breakdown={spec.breakdown.clone()} on_change={on_breakdown} />
            <p class="muted small">{ t(lang, "ltv_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Ltv(r)) => html! { <>{ values(lang, r) }{ table(lang, r) }</> },
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} chart_height={300} /> }
}

/// Each breakdown value's average per age (nothing without a breakdown).
fn values(lang: Lang, r: &crate::engine::analysis::ltv::LtvResult) -> Html {
    if r.breakdowns.is_empty() {
        return html! {};
    }
    let rows = r.breakdowns.iter().map(|b| {
        let cells = b.average.iter().map(|a| match a.ltv {
            Some(v) => html! { <td class="num" title={format!("{} · {}", a.cohorts, count(a.size))}>{ money(v) }</td> },
            None => html! { <td class="num"></td> },
        });
        html! {
            <tr>
                <td class="name">{ b.value.clone() }</td>
                <td class="num">{ count(b.members) }</td>
                <td class="num">{ count(b.paying) }</td>
                { for cells }
            </tr>
        }
    });
    html! {
        <>
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="ltv-breakdown-table">
                    <thead><tr>
                        <th>{ r.breakdown.clone().unwrap_or_default() }</th>
                        <th class="num">{ t(lang, "ltv_members") }</th>
                        <th class="num">{ t(lang, "ltv_paying") }</th>
                        { for (0..r.periods).map(|k| html! { <th class="num">{ k }</th> }) }
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <p class="muted small">{ t(lang, "ltv_breakdown_note") }</p>
        </>
    }
}

/// The cohort × age table with the average row first.
fn table(lang: Lang, r: &crate::engine::analysis::ltv::LtvResult) -> Html {
    let n = r.periods as usize;
    let head = (0..n).map(|k| html! { <th class="num">{ k }</th> });
    let avg = r.average.iter().map(|a| match a.ltv {
        Some(v) => html! { <td class="num" title={format!("{} · {}", a.cohorts, count(a.size))}>{ money(v) }</td> },
        None => html! { <td class="num"></td> },
    });
    let rows = r.cohorts.iter().map(|c| {
        let cells = (0..n).map(|k| match (c.ltv.get(k), c.complete.get(k)) {
            (Some(&v), Some(&done)) => {
                let class = if done { "num cell" } else { "num cell incomplete" };
                html! { <td class={class} title={format!("{} / {}", money(c.revenue[k]), c.size)}>{ money(v) }</td> }
            }
            _ => html! { <td class="num cell"></td> },
        });
        html! {
            <tr>
                <td class="name">{ c.label.clone() }</td>
                <td class="num">{ count(c.members) }</td>
                <td class="num">{ count(c.paying) }</td>
                <td class="num">{ count(c.size) }</td>
                { for cells }
            </tr>
        }
    });
    html! {
        <>
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="ltv-table">
                    <thead><tr>
                        <th>{ t(lang, "cohort") }</th>
                        <th class="num">{ t(lang, "ltv_members") }</th>
                        <th class="num">{ t(lang, "ltv_paying") }</th>
                        <th class="num">{ t(lang, "size") }</th>
                        { for head }
                    </tr></thead>
                    <tbody>
                        <tr class="avg"><td class="name">{ t(lang, "average") }</td><td class="num">{ count(r.members) }</td><td class="num">{ count(r.paying) }</td><td class="num"></td>{ for avg }</tr>
                        { for rows }
                    </tbody>
                </table>
            </div>
            <p class="muted small">{ t(lang, "ltv_incomplete_note") }</p>
        </>
    }
}
