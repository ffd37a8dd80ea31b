//! The revenue tab: the purchase event and its amount property (chosen automatically from
//! the dataset's names), the interval, the event that makes a user active, the channel
//! property and a box where the user types or pastes a cost per channel (`channel,cost`
//! or a spreadsheet's `channel<TAB>cost` lines, each bad line named in the user's
//! language) and a breakdown; below the chart a table of revenue, paying rate, ARPU and
//! ARPPU per interval with the totals (then one such table per breakdown value), and a
//! table of ROI by channel.

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    amount_options, edit, event_options, from_name, granularity_options, json_name, select,
    suggested_purchase, BreakdownPicker, FilterEditor,
};
use super::{count, pct};
use crate::engine::analysis::revenue::{
    format_costs, parse_costs, suggest_channel, Metrics, RevenueResult, RevenueSpec,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use web_sys::HtmlTextAreaElement;
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

/// An amount with two decimals and thousands separators (`–` for none).
pub(crate) fn money(v: Option<f64>) -> String {
    let Some(v) = v else {
        return "–".into();
    };
    let cents = (v.abs() * 100.0).round() as u64;
    let sign = if v < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", count(cents / 100), cents % 100)
}

fn rate(v: Option<f64>) -> String {
    v.map(pct).unwrap_or_else(|| "–".into())
}

/// The revenue tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = {
        let all: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
        let defaults = RevenueSpec::default();
        let (purchase_event, amount) = suggested_purchase(p);
        let purchase_event = purchase_event.unwrap_or(defaults.purchase_event.clone());
        let amount = amount.unwrap_or(defaults.amount.clone());
        let channel = suggest_channel(&all).map(str::to_owned);
        use_spec(p, move || RevenueSpec {
            purchase_event,
            amount,
            channel,
            ..defaults
        })
    };
    let text = {
        let costs = spec.costs.clone();
        use_state(move || format_costs(&costs))
    };
    let on_costs = {
        let (spec, text) = (spec.clone(), text.clone());
        Callback::from(move |e: InputEvent| {
            let el: HtmlTextAreaElement = e.target_unchecked_into();
            let v = el.value();
            // the spec takes the costs only when every line reads
            if let Ok(costs) = parse_costs(&v) {
                if costs != spec.costs {
                    let mut s = spec.latest();
                    s.costs = costs;
                    spec.set(s);
                }
            }
            text.set(v);
        })
    };
    let on_channel = {
        let (spec, text) = (spec.clone(), text.clone());
        Callback::from(move |v: String| {
            let mut s = spec.latest();
            s.channel = (!v.is_empty()).then_some(v);
            // costs need a channel; with one, they are what the box says (when it reads)
            s.costs = match s.channel {
                Some(_) => parse_costs(&text).unwrap_or_default(),
                None => Vec::new(),
            };
            spec.set(s);
        })
    };
    let line_errors = match parse_costs(&text) {
        Ok(_) => html! {},
        Err(errors) => {
            let items = errors.iter().map(|e| {
                html! { <li>{ format!("{} {}: {} — “{}”", t(lang, "line"), e.line, t(lang, e.code), e.text) }</li> }
            });
            html! { <ul class="error inline small" role="alert" data-testid="cost-errors">{ for items }</ul> }
        }
    };
    let amounts = amount_options(p, &spec.amount);
    let mut channels = vec![(String::new(), t(lang, "rv_no_channel").to_string())];
    channels.extend(props.iter().map(|x| (x.name.clone(), x.name.clone())));
    let builder = html! {
        <>
            <label for="purchase-event">{ t(lang, "rv_purchase_event") }</label>
            { select("purchase-event", event_options(lang, &names, false), &spec.purchase_event, edit(&spec, |s: &mut RevenueSpec, v: String| s.purchase_event = v)) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.purchase_filters.clone()} on_change={edit(&spec, |s, g: FilterGroup| s.purchase_filters = g)} id="purchase-filter" />
            <label for="amount">{ t(lang, "rv_amount") }</label>
            { select("amount", amounts, &spec.amount, edit(&spec, |s: &mut RevenueSpec, v: String| s.amount = v)) }
            <label for="interval">{ t(lang, "interval") }</label>
            { select("interval", granularity_options(lang, false), &json_name(&spec.interval), edit(&spec, |s: &mut RevenueSpec, v: String| if let Some(g) = from_name(&v) { s.interval = g })) }
            <label for="active-event">{ t(lang, "active_event") }</label>
            { select("active-event", event_options(lang, &names, true), spec.active_event.as_deref().unwrap_or(""), edit(&spec, |s: &mut RevenueSpec, v: String| s.active_event = (!v.is_empty()).then_some(v))) }
            <label for="channel">{ t(lang, "rv_channel") }</label>
            { select("channel", channels, spec.channel.as_deref().unwrap_or(""), on_channel) }
            if spec.channel.is_some() {
                <label for="costs">{ t(lang, "rv_costs") }</label>
                <textarea id="costs" class="costs" data-testid="costs" rows="5" placeholder={t(lang, "rv_costs_placeholder")} value={(*text).clone()} oninput={on_costs} />
                { line_errors }
                <p class="muted small">{ t(lang, "rv_costs_note") }</p>
            }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "rv_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Revenue(r)) => html! {
            <>
                { interval_table(lang, r, r.intervals.iter().map(|x| &x.metrics), &r.total, "revenue") }
                <p class="muted small">{ t(lang, "lifecycle_incomplete_note") }</p>
                if !r.breakdowns.is_empty() { <p class="muted small">{ t(lang, "rv_breakdown_note") }</p> }
                { for r.breakdowns.iter().enumerate().map(|(k, b)| html! {
                    <>
                        <h3>{ b.value.clone() }</h3>
                        { interval_table(lang, r, b.intervals.iter(), &b.total, &format!("revenue-{k}")) }
                    </>
                }) }
                if r.channel.is_some() { { channel_table(lang, r) } }
            </>
        },
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

fn metric_cells(m: &Metrics) -> Html {
    html! {
        <>
            <td class="num">{ money(Some(m.revenue)) }</td>
            <td class="num">{ count(m.purchases) }</td>
            <td class="num">{ count(m.refunds) }</td>
            <td class="num">{ money(Some(m.refund_amount)) }</td>
            <td class="num">{ count(m.paying_users) }</td>
            <td class="num">{ count(m.active_users) }</td>
            <td class="num">{ rate(m.paying_rate) }</td>
            <td class="num">{ money(m.arpu) }</td>
            <td class="num">{ money(m.arppu) }</td>
            <td class="num">{ count(m.new_users) }</td>
            <td class="num">{ money(m.arpu_acquired) }</td>
        </>
    }
}

/// The measures per interval (`per`, in the order of the result's intervals), then the
/// totals of the range; `id` names the table (`{id}-table`) and its total row
/// (`{id}-total`).
fn interval_table<'a>(
    lang: Lang,
    r: &RevenueResult,
    per: impl Iterator<Item = &'a Metrics>,
    total: &Metrics,
    id: &str,
) -> Html {
    let rows = r.intervals.iter().zip(per).map(|(x, m)| {
        let class = if x.incomplete { "incomplete" } else { "" };
        html! { <tr class={class}><td class="name">{ x.label.clone() }</td>{ metric_cells(m) }</tr> }
    });
    let heads = [
        "rv_revenue",
        "rv_purchases",
        "rv_refunds",
        "rv_refund_amount",
        "rv_paying_users",
        "rv_active_users",
        "rv_paying_rate",
        "rv_arpu",
        "rv_arppu",
        "rv_new_users",
        "rv_arpu_acquired",
    ]
    .map(|k| html! { <th class="num">{ t(lang, k) }</th> });
    html! {
        <div class="scroll tall" tabindex="0">
            <table class="grid" data-testid={format!("{id}-table")}>
                <thead><tr><th>{ t(lang, "interval") }</th>{ for heads }</tr></thead>
                <tbody>
                    { for rows }
                    <tr class="avg" data-testid={format!("{id}-total")}><td class="name">{ t(lang, "total") }</td>{ metric_cells(total) }</tr>
                </tbody>
            </table>
        </div>
    }
}

/// ROI by channel.
fn channel_table(lang: Lang, r: &RevenueResult) -> Html {
    let rows = r.channels.iter().map(|c| {
        html! {
            <tr>
                <td class="name">{ c.channel.clone() }</td>
                <td class="num">{ count(c.new_users) }</td>
                <td class="num">{ count(c.paying_users) }</td>
                <td class="num">{ money(Some(c.revenue)) }</td>
                <td class="num">{ money(c.cost) }</td>
                <td class="num">{ rate(c.roi) }</td>
                <td class="num">{ money(c.cac) }</td>
                <td class="num">{ c.payback.clone().unwrap_or_else(|| "–".into()) }</td>
            </tr>
        }
    });
    let heads = [
        "rv_new_users",
        "rv_paying_users",
        "rv_revenue",
        "rv_cost",
        "rv_roi",
        "rv_cac",
        "rv_payback",
    ]
    .map(|k| html! { <th class="num">{ t(lang, k) }</th> });
    html! {
        <>
            <h3>{ t(lang, "rv_roi_title") }</h3>
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="revenue-channels">
                    <thead><tr><th>{ r.channel.clone().unwrap_or_default() }</th>{ for heads }</tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <p class="muted small">{ t(lang, "rv_roi_note") }</p>
        </>
    }
}
