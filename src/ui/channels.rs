//! The channels tab (渠道分析): the channel property (suggested from the dataset's names),
//! first- or last-touch attribution, the activation events in order and their window, the
//! retention days, the purchase event and amount, the LTV day, the number of channels shown
//! and a box for each channel's cost (read by the revenue analysis's `parse_costs`); below
//! the chart a table of new users, activation, retention, paying rate, ARPU, LTV and ROI
//! per channel, with the total.

use super::i18n::{t, Lang};
use super::revenue::money;
use super::shell::{use_spec, PanelProps, Shell, SpecState};
use super::widgets::{
    amount_options, edit, event_options, from_name, json_name, keyed, number_input, select,
    suggested_purchase, text_input, with_name,
};
use super::{count, pct};
use crate::engine::analysis::channels::{
    Attribution, ChannelRow, ChannelsResult, ChannelsSpec, Windowed, MAX_DAYS, MAX_STEPS,
};
use crate::engine::analysis::revenue::{format_costs, parse_costs, suggest_channel};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// The activation events editor of any spec holding them in `list`: one event select per
/// step with a remove button, and a button adding a step (up to [`MAX_STEPS`]).
pub(crate) fn activation_steps<T: Clone + 'static>(
    lang: Lang,
    names: &[String],
    spec: &SpecState<T>,
    list: fn(&mut T) -> &mut Vec<String>,
) -> Html {
    let steps = list(&mut spec.latest()).clone();
    let change = |i: usize| {
        let spec = spec.clone();
        Callback::from(move |v: String| {
            let mut s = spec.latest();
            list(&mut s)[i] = v;
            spec.set(s);
        })
    };
    let remove = |i: usize| {
        let spec = spec.clone();
        Callback::from(move |_: MouseEvent| {
            let mut s = spec.latest();
            list(&mut s).remove(i);
            spec.set(s);
        })
    };
    let rows = steps.iter().enumerate().map(|(i, e)| {
        let label = format!("{} {}", t(lang, "ch_activation_step"), i + 1);
        html! {
            <div class="row">
                { with_name(select(&format!("activation-{i}"), event_options(lang, names, false), e, change(i)), label.clone()) }
                <button class="icon" title={t(lang, "remove")} aria-label={format!("{label}: {}", t(lang, "remove"))} data-testid={format!("activation-{i}-remove")} onclick={remove(i)}>{"×"}</button>
            </div>
        }
    });
    let add = {
        let (spec, first) = (spec.clone(), names.first().cloned().unwrap_or_default());
        Callback::from(move |_: MouseEvent| {
            let mut s = spec.latest();
            list(&mut s).push(first.clone());
            spec.set(s);
        })
    };
    html! {
        <>
            { for rows }
            if steps.len() < MAX_STEPS { <button class="secondary small" onclick={add} data-testid="add-activation">{"+ "}{ t(lang, "ch_add_activation") }</button> }
        </>
    }
}

/// The name of day-N retention in `lang` (`次日留存`, `7日留存`, `D7 retention`).
pub(crate) fn day_name(lang: Lang, n: u32) -> String {
    if n == 1 {
        t(lang, "ch_d1").to_string()
    } else {
        t(lang, "ch_dn").replace("{n}", &n.to_string())
    }
}

/// Retention days as typed: numbers separated by commas or spaces.
pub(crate) fn parse_days(text: &str) -> Option<Vec<u32>> {
    let days: Option<Vec<u32>> = text
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect();
    days.filter(|d| !d.is_empty())
}

fn rate(w: Option<&Windowed>) -> String {
    w.and_then(|w| w.rate)
        .map(pct)
        .unwrap_or_else(|| "–".into())
}

/// The channels tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = {
        let all: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
        let d = ChannelsSpec::default();
        let channel = suggest_channel(&all)
            .map(str::to_owned)
            .unwrap_or(d.channel.clone());
        let (purchase_event, amount) = suggested_purchase(p);
        let purchase_event = purchase_event.unwrap_or(d.purchase_event.clone());
        let amount = amount.unwrap_or(d.amount.clone());
        use_spec(p, move || ChannelsSpec {
            channel,
            purchase_event,
            amount,
            ..d
        })
    };
    let costs_text = {
        let costs = spec.costs.clone();
        use_state(move || format_costs(&costs))
    };
    let on_costs = {
        let (spec, text) = (spec.clone(), costs_text.clone());
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
    let line_errors = match parse_costs(&costs_text) {
        Ok(_) => html! {},
        Err(errors) => {
            let items = errors.iter().map(|e| {
                html! { <li>{ format!("{} {}: {} — “{}”", t(lang, "line"), e.line, t(lang, e.code), e.text) }</li> }
            });
            html! { <ul class="error inline small" role="alert" data-testid="cost-errors">{ for items }</ul> }
        }
    };
    let days_bad = use_state(|| false);
    let on_days = {
        let (spec, bad) = (spec.clone(), days_bad.clone());
        Callback::from(move |v: String| match parse_days(&v) {
            Some(days) => {
                bad.set(false);
                let mut s = spec.latest();
                s.retention_days = days;
                spec.set(s);
            }
            None => bad.set(true),
        })
    };
    let days_text = spec
        .retention_days
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let amounts = amount_options(p, &spec.amount);
    let mut channels: Vec<(String, String)> = props
        .iter()
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    if !props.iter().any(|x| x.name == spec.channel) {
        channels.insert(0, (spec.channel.clone(), spec.channel.clone()));
    }
    let attribution = keyed(
        &[
            (Attribution::FirstTouch, "ch_first_touch"),
            (Attribution::LastTouch, "ch_last_touch"),
        ],
        lang,
    );
    let n = spec.activation.len();
    let builder = html! {
        <>
            <label for="channel">{ t(lang, "ch_channel") }</label>
            { select("channel", channels, &spec.channel, edit(&spec, |s: &mut ChannelsSpec, v: String| s.channel = v)) }
            <label for="attribution">{ t(lang, "ch_attribution") }</label>
            { select("attribution", attribution, &json_name(&spec.attribution), edit(&spec, |s: &mut ChannelsSpec, v: String| if let Some(a) = from_name(&v) { s.attribution = a })) }
            <label>{ t(lang, "ch_activation") }</label>
            { activation_steps(lang, &names, &spec, |s: &mut ChannelsSpec| &mut s.activation) }
            if n > 0 {
                <label for="activation-days">{ t(lang, "ch_activation_days") }</label>
                { number_input("activation-days", spec.activation_days, 1, MAX_DAYS, edit(&spec, |s: &mut ChannelsSpec, v: u32| s.activation_days = v)) }
            }
            <label for="retention-days">{ t(lang, "ch_retention_days") }</label>
            { text_input("retention-days", &days_text, "1, 7, 30", on_days) }
            if *days_bad { <p class="error inline small" role="alert">{ t(lang, "ch_days_invalid") }</p> }
            <label for="purchase-event">{ t(lang, "rv_purchase_event") }</label>
            { select("purchase-event", event_options(lang, &names, false), &spec.purchase_event, edit(&spec, |s: &mut ChannelsSpec, v: String| s.purchase_event = v)) }
            <label for="amount">{ t(lang, "rv_amount") }</label>
            { select("amount", amounts, &spec.amount, edit(&spec, |s: &mut ChannelsSpec, v: String| s.amount = v)) }
            <label for="ltv-days">{ t(lang, "ch_ltv_days") }</label>
            { number_input("ltv-days", spec.ltv_days, 0, MAX_DAYS, edit(&spec, |s: &mut ChannelsSpec, v: u32| s.ltv_days = v)) }
            <label for="limit">{ t(lang, "ch_limit") }</label>
            { number_input("limit", spec.limit, 0, 1000, edit(&spec, |s: &mut ChannelsSpec, v: u32| s.limit = v)) }
            <label for="costs">{ t(lang, "rv_costs") }</label>
            <textarea id="costs" class="costs" data-testid="costs" rows="4" placeholder={t(lang, "rv_costs_placeholder")} value={(*costs_text).clone()} oninput={on_costs} />
            { line_errors }
            <p class="muted small">{ t(lang, "ch_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Channels(r)) => channel_table(lang, r),
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// One row's cells after its name.
fn cells(r: &ChannelsResult, row: &ChannelRow) -> Html {
    let act = (!r.activation.is_empty())
        .then(|| html! { <td class="num">{ rate(row.activation.as_ref()) }</td> });
    let ret = row
        .retention
        .iter()
        .map(|w| html! { <td class="num">{ rate(Some(w)) }</td> });
    html! {
        <>
            <td class="num">{ count(row.new_users) }</td>
            { for act }
            { for ret }
            <td class="num">{ count(row.paying_users) }</td>
            <td class="num">{ row.paying_rate.map(pct).unwrap_or_else(|| "–".into()) }</td>
            <td class="num">{ money(Some(row.revenue)) }</td>
            <td class="num">{ money(row.arpu) }</td>
            <td class="num">{ money(row.ltv.ltv) }</td>
            <td class="num">{ money(row.cost) }</td>
            <td class="num">{ row.roi.map(pct).unwrap_or_else(|| "–".into()) }</td>
            <td class="num">{ money(row.cac) }</td>
        </>
    }
}

/// The measures per channel, then the total.
fn channel_table(lang: Lang, r: &ChannelsResult) -> Html {
    let mut heads = vec![t(lang, "ch_new_users").to_string()];
    if !r.activation.is_empty() {
        heads.push(t(lang, "ch_activation_rate").to_string());
    }
    heads.extend(r.retention_days.iter().map(|&d| day_name(lang, d)));
    heads.extend(
        ["rv_paying_users", "ch_paying_rate", "rv_revenue", "ch_arpu"]
            .map(|k| t(lang, k).to_string()),
    );
    heads.push(format!("{} {}", t(lang, "ch_ltv"), r.ltv_days));
    heads.extend(["rv_cost", "rv_roi", "rv_cac"].map(|k| t(lang, k).to_string()));
    let heads = heads
        .into_iter()
        .map(|h| html! { <th class="num">{ h }</th> });
    let rows = r.rows.iter().map(|row| {
        html! { <tr><td class="name">{ row.channel.clone() }</td>{ cells(r, row) }</tr> }
    });
    html! {
        <>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="channels-table">
                    <thead><tr><th>{ r.channel.clone() }</th>{ for heads }</tr></thead>
                    <tbody>
                        { for rows }
                        <tr class="avg" data-testid="channels-total"><td class="name">{ t(lang, "total") }</td>{ cells(r, &r.total) }</tr>
                    </tbody>
                </table>
            </div>
            <p class="muted small">{ t(lang, "ch_window_note") }</p>
        </>
    }
}
