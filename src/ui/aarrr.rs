//! The AARRR tab (海盗指标): every default of the overview editable — the channel property
//! and attribution, the channels shown, the activation events and window, the retention
//! days, the purchase event and amount, the referral event (or none) and the interval of
//! the small charts, each suggested from the dataset's names (`aarrr::suggested`); below
//! the chart one row per headline number (current period, previous period, change, 环比)
//! and the new users per channel of both periods.

use super::channels::{activation_steps, day_name, parse_days};
use super::i18n::{t, Lang};
use super::revenue::money;
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, event_options, from_name, granularity_options, json_name, keyed, number_input, select,
    text_input,
};
use super::{count, pct};
use crate::engine::analysis::aarrr::{suggested, AarrrResult, Block, Metric};
use crate::engine::analysis::channels::{Attribution, MAX_DAYS};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use yew::prelude::*;

/// The i18n key of a block's name.
fn block_key(b: Block) -> &'static str {
    match b {
        Block::Acquisition => "aa_acquisition",
        Block::Activation => "aa_activation",
        Block::Retention => "aa_retention",
        Block::Revenue => "aa_revenue",
        Block::Referral => "aa_referral",
    }
}

/// A metric's name in `lang`.
fn metric_name(lang: Lang, key: &str) -> String {
    let k = match key {
        "new_users" => "ch_new_users",
        "activation_rate" => "ch_activation_rate",
        "paying_rate" => "ch_paying_rate",
        "arpu" => "ch_arpu",
        "arppu" => "rv_arppu",
        "referral_users" => "aa_referral_users",
        "referral_rate" => "aa_referral_rate",
        "referral_events" => "aa_referral_events",
        _ => {
            let day = key
                .strip_prefix('d')
                .and_then(|d| d.strip_suffix("_retention"))
                .and_then(|d| d.parse().ok());
            return day.map_or_else(|| key.to_string(), |n| day_name(lang, n));
        }
    };
    t(lang, k).to_string()
}

/// A value of metric `key` as shown: rates in percent, money with cents, counts grouped.
fn value(key: &str, v: Option<f64>) -> String {
    match (key, v) {
        (_, None) => "–".into(),
        ("arpu" | "arppu", _) => money(v),
        (k, Some(x)) if k.ends_with("_rate") || k.ends_with("_retention") => pct(x),
        (_, Some(x)) => count(x.round() as u64),
    }
}

/// The change of metric `m`: percentage points for rates, the value's unit otherwise.
fn change(m: &Metric) -> String {
    match m.change {
        None => "–".into(),
        Some(c) if m.key.ends_with("_rate") || m.key.ends_with("_retention") => {
            format!("{:+.1} pp", c * 100.0)
        }
        Some(c) if m.key == "arpu" || m.key == "arppu" => {
            let s = money(Some(c.abs()));
            if c < 0.0 {
                format!("-{s}")
            } else {
                format!("+{s}")
            }
        }
        Some(c) => format!("{c:+.0}"),
    }
}

/// The AARRR tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = {
        let (start, _) = suggested(&p.data.overview);
        use_spec(p, move || start)
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
    let listed = |all: Vec<String>, chosen: &str| {
        let mut v: Vec<(String, String)> = all.iter().map(|n| (n.clone(), n.clone())).collect();
        if !all.iter().any(|n| n == chosen) {
            v.insert(0, (chosen.to_string(), chosen.to_string()));
        }
        v
    };
    let channels = listed(
        props.iter().map(|x| x.name.clone()).collect(),
        &spec.channel,
    );
    let amounts = listed(
        props
            .iter()
            .filter(|x| x.kind == "number")
            .map(|x| x.name.clone())
            .collect(),
        &spec.amount,
    );
    let attribution = keyed(
        &[
            (Attribution::FirstTouch, "ch_first_touch"),
            (Attribution::LastTouch, "ch_last_touch"),
        ],
        lang,
    );
    let mut referral = vec![(String::new(), t(lang, "aa_no_referral").to_string())];
    referral.extend(event_options(lang, &names, false));
    let builder = html! {
        <>
            <label for="channel">{ t(lang, "ch_channel") }</label>
            { select("channel", channels, &spec.channel, edit(&spec, |s, v: String| s.channel = v)) }
            <label for="attribution">{ t(lang, "ch_attribution") }</label>
            { select("attribution", attribution, &json_name(&spec.attribution), edit(&spec, |s, v: String| if let Some(a) = from_name(&v) { s.attribution = a })) }
            <label for="limit">{ t(lang, "ch_limit") }</label>
            { number_input("limit", spec.limit, 0, 1000, edit(&spec, |s, v: u32| s.limit = v)) }
            <label>{ t(lang, "ch_activation") }</label>
            { activation_steps(lang, &names, &spec, |s| &mut s.activation) }
            if !spec.activation.is_empty() {
                <label for="activation-days">{ t(lang, "ch_activation_days") }</label>
                { number_input("activation-days", spec.activation_days, 1, MAX_DAYS, edit(&spec, |s, v: u32| s.activation_days = v)) }
            }
            <label for="retention-days">{ t(lang, "ch_retention_days") }</label>
            { text_input("retention-days", &days_text, "1, 7, 30", on_days) }
            if *days_bad { <p class="error inline small" role="alert">{ t(lang, "ch_days_invalid") }</p> }
            <label for="purchase-event">{ t(lang, "rv_purchase_event") }</label>
            { select("purchase-event", event_options(lang, &names, false), &spec.purchase_event, edit(&spec, |s, v: String| s.purchase_event = v)) }
            <label for="amount">{ t(lang, "rv_amount") }</label>
            { select("amount", amounts, &spec.amount, edit(&spec, |s, v: String| s.amount = v)) }
            <label for="referral-event">{ t(lang, "aa_referral_event") }</label>
            { select("referral-event", referral, spec.referral_event.as_deref().unwrap_or(""), edit(&spec, |s, v: String| s.referral_event = (!v.is_empty()).then_some(v))) }
            <label for="interval">{ t(lang, "interval") }</label>
            { select("interval", granularity_options(lang, true), &json_name(&spec.interval), edit(&spec, |s, v: String| if let Some(g) = from_name(&v) { s.interval = g })) }
            <p class="muted small">{ t(lang, "aa_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Aarrr(r)) => tables(lang, r),
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// The headline numbers, then the new users per channel.
fn tables(lang: Lang, r: &AarrrResult) -> Html {
    let rows = r.metrics.iter().map(|m| {
        html! {
            <tr>
                <td>{ t(lang, block_key(m.block)) }</td>
                <td class="name">{ metric_name(lang, &m.key) }</td>
                <td class="num">{ value(&m.key, m.current) }</td>
                <td class="num">{ value(&m.key, m.previous) }</td>
                <td class="num">{ change(m) }</td>
                <td class="num">{ m.relative_change.map(pct).unwrap_or_else(|| "–".into()) }</td>
            </tr>
        }
    });
    let channels = r.channels.iter().map(|c| {
        html! {
            <tr>
                <td class="name">{ c.channel.clone() }</td>
                <td class="num">{ count(c.current) }</td>
                <td class="num">{ count(c.previous) }</td>
            </tr>
        }
    });
    let missing = [
        (r.activation.is_empty(), "aa_activation"),
        (r.referral_event.is_none(), "aa_referral"),
    ]
    .into_iter()
    .filter(|(m, _)| *m)
    .map(|(_, k)| {
        html! { <p class="muted small" data-testid={format!("{k}-missing")}>{ format!("{}: {}", t(lang, k), t(lang, "aa_not_configured")) }</p> }
    });
    let period = |from: &str, to: &str| {
        format!(
            "{} – {}",
            &from[..10.min(from.len())],
            &to[..10.min(to.len())]
        )
    };
    html! {
        <>
            <p class="muted small" data-testid="aarrr-periods">
                { format!("{}: {} · {}: {} ({})", t(lang, "aa_current"), period(&r.current.from, &r.current.to), t(lang, "aa_previous"), period(&r.previous.from, &r.previous.to), t(lang, "aa_period_note")) }
            </p>
            { for missing }
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="aarrr-table">
                    <thead><tr>
                        <th>{ t(lang, "aa_block") }</th>
                        <th>{ t(lang, "aa_metric") }</th>
                        <th class="num">{ t(lang, "aa_current") }</th>
                        <th class="num">{ t(lang, "aa_previous") }</th>
                        <th class="num">{ t(lang, "aa_change") }</th>
                        <th class="num">{ t(lang, "aa_relative_change") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="aarrr-channels">
                    <thead><tr>
                        <th>{ r.channel.clone() }</th>
                        <th class="num">{ format!("{} · {}", t(lang, "ch_new_users"), t(lang, "aa_current")) }</th>
                        <th class="num">{ format!("{} · {}", t(lang, "ch_new_users"), t(lang, "aa_previous")) }</th>
                    </tr></thead>
                    <tbody>{ for channels }</tbody>
                </table>
            </div>
        </>
    }
}
