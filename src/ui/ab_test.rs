//! The A/B test tab: the variant property (a name like `variant` or `实验组` is chosen when
//! the data has one), the control, the exposure event, the conversion (one event or
//! several steps in order), the window, the confidence level and revenue per user; below
//! the chart the variant table (users, conversions, rate and interval, lift and interval,
//! p-value, significance, revenue per user) and the tests across variants; with a
//! breakdown, below them the same rows per breakdown value after a leading value column.

use super::count;
use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, edit_at, event_options, with_name, from_name, json_name, keyed, number_input, select, BreakdownPicker, FilterEditor,
};
use crate::engine::analysis::ab_test::{
    suggest_variant, AbTestResult, AbTestSpec, Revenue, VariantResult, DEFAULT_VARIANT,
};
use crate::engine::analysis::funnel::{FunnelStep, Window, WindowUnit, MAX_STEPS};
use crate::engine::analysis::purchases::{suggest_amount, suggest_purchase_event};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

/// Confidence levels offered.
const CONFIDENCE: [(&str, f64); 3] = [("0.9", 0.9), ("0.95", 0.95), ("0.99", 0.99)];

fn percent(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

fn signed(v: f64) -> String {
    format!("{:+.2}%", v * 100.0)
}

fn interval(ci: Option<[f64; 2]>, f: fn(f64) -> String) -> String {
    ci.map(|[a, b]| format!("{} – {}", f(a), f(b)))
        .unwrap_or_else(|| "–".into())
}

fn p_text(p: Option<f64>) -> String {
    match p {
        None => "–".into(),
        Some(p) if p < 0.0001 => format!("{p:.2e}"),
        Some(p) => format!("{p:.4}"),
    }
}

fn money(v: f64) -> String {
    format!("{v:.2}")
}

fn yes_no(lang: Lang, b: bool) -> &'static str {
    t(lang, if b { "yes" } else { "no" })
}

/// The A/B test tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let prop_names: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
    let purchase = {
        let events: Vec<&str> = names.iter().map(String::as_str).collect();
        suggest_purchase_event(&events).map(str::to_owned)
    };
    let amount = suggest_amount(&prop_names).map(str::to_owned);
    let spec = use_spec(p, || AbTestSpec {
        variant: suggest_variant(&prop_names)
            .unwrap_or(DEFAULT_VARIANT)
            .to_string(),
        conversion: vec![FunnelStep::event(
            purchase
                .as_deref()
                .or(names.get(1).map(String::as_str))
                .unwrap_or_default(),
        )],
        ..Default::default()
    });
    let variant_values: Vec<String> = props
        .iter()
        .find(|x| x.name == spec.variant)
        .map(|x| x.top.iter().map(|(v, _)| v.clone()).collect())
        .unwrap_or_default();
    let mut controls = vec![(String::new(), t(lang, "ab_control_auto").to_string())];
    controls.extend(variant_values.iter().map(|v| (v.clone(), v.clone())));
    let property_list: Vec<(String, String)> = props
        .iter()
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    let mut units = vec![(String::new(), t(lang, "ab_no_window").to_string())];
    units.extend(keyed(
        &[
            (WindowUnit::Hour, "hour"),
            (WindowUnit::Day, "day"),
            (WindowUnit::Week, "week"),
        ],
        lang,
    ));
    let confidence: Vec<(String, String)> = CONFIDENCE
        .iter()
        .map(|(k, v)| (k.to_string(), format!("{:.0}%", v * 100.0)))
        .collect();
    let n = spec.conversion.len();
    let steps = spec.conversion.iter().enumerate().map(|(i, s)| {
        html! {
            <div class="step" key={i}>
                <span class="step-n">{ i + 1 }</span>
                { with_name(select(&format!("conversion-{i}"), event_options(lang, &names, true), s.event.as_deref().unwrap_or(""), edit_at(&spec, i, |s, i, v: String| s.conversion[i].event = (!v.is_empty()).then_some(v))), format!("{} {}", t(lang, "step"), i + 1)) }
                if n > 1 {
                    <button class="icon" title={t(lang, "remove")} aria-label={format!("{} {}: {}", t(lang, "step"), i + 1, t(lang, "remove"))} onclick={edit_at(&spec, i, |s, i, _: MouseEvent| { s.conversion.remove(i); })}>{"×"}</button>
                }
            </div>
        }
    });
    let add_step = {
        let (spec, first) = (spec.clone(), names.first().cloned().unwrap_or_default());
        Callback::from(move |_: MouseEvent| {
            let mut s = spec.latest();
            if s.conversion.len() < MAX_STEPS {
                s.conversion.push(FunnelStep::event(&first));
            }
            spec.set(s);
        })
    };
    let toggle_revenue = {
        let (spec, purchase, amount) = (spec.clone(), purchase.clone(), amount.clone());
        Callback::from(move |_: Event| {
            let mut s = spec.latest();
            s.revenue = match s.revenue {
                Some(_) => None,
                None => Some(Revenue {
                    purchase_event: purchase
                        .clone()
                        .unwrap_or_else(|| Revenue::default().purchase_event),
                    amount: amount.clone().unwrap_or_else(|| Revenue::default().amount),
                    ..Default::default()
                }),
            };
            spec.set(s);
        })
    };
    let toggle_split = {
        let (spec, values) = (spec.clone(), variant_values.clone());
        Callback::from(move |_: Event| {
            let mut s = spec.latest();
            s.expected_split = match s.expected_split {
                Some(_) => None,
                None => Some(values.iter().map(|v| (v.clone(), 1.0)).collect()),
            };
            spec.set(s);
        })
    };
    let split_rows = spec.expected_split.iter().flat_map(|split| {
        variant_values.iter().enumerate().map(|(k, v)| {
            let id = format!("split-{k}");
            let weight = split.get(v).map_or(0, |&w| w.round() as u32);
            let on_weight = {
                let (spec, v) = (spec.clone(), v.clone());
                Callback::from(move |w: u32| {
                    let mut s = spec.latest();
                    if let Some(split) = s.expected_split.as_mut() {
                        split.insert(v.clone(), f64::from(w));
                    }
                    spec.set(s);
                })
            };
            html! {
                <div class="row" key={v.clone()}>
                    <label for={id.clone()}>{ v.clone() }</label>
                    { number_input(&id, weight, 1, 1000, on_weight) }
                </div>
            }
        })
    });
    let on_exposure_filters = edit(&spec, |s, g: FilterGroup| s.exposure_filters = g);
    let window_unit = spec.window.map(|w| json_name(&w.unit)).unwrap_or_default();
    let numeric: Vec<(String, String)> = props
        .iter()
        .filter(|x| x.kind == "number")
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    let builder = html! {
        <>
            <label for="variant">{ t(lang, "ab_variant") }</label>
            { select("variant", property_list, &spec.variant, edit(&spec, |s, v| { s.variant = v; s.control = None; })) }
            <label for="control">{ t(lang, "ab_control") }</label>
            { select("control", controls, spec.control.as_deref().unwrap_or(""), edit(&spec, |s, v| s.control = (!v.is_empty()).then_some(v))) }
            <label for="exposure">{ t(lang, "ab_exposure") }</label>
            { select("exposure", event_options(lang, &names, true), spec.exposure_event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.exposure_event = (!v.is_empty()).then_some(v))) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.exposure_filters.clone()} on_change={on_exposure_filters} id="exposure-filter" />
            <label>{ t(lang, "ab_conversion") }</label>
            <div class="steps">{ for steps }</div>
            if n < MAX_STEPS { <button class="secondary small" onclick={add_step} data-testid="add-conversion-step">{"+ "}{ t(lang, "add_step") }</button> }
            <label for="window-value">{ t(lang, "window") }</label>
            <div class="row">
                if let Some(w) = spec.window {
                    { number_input("window-value", w.value, 1, 100_000, edit(&spec, |s, v: u32| if let Some(w) = s.window.as_mut() { w.value = v })) }
                }
                <label class="sr-only" for="window-unit">{ t(lang, "window") }</label>
                { select("window-unit", units, &window_unit, edit(&spec, |s, v| {
                    s.window = from_name::<WindowUnit>(&v).map(|unit| Window { value: s.window.map_or(7, |w| w.value), unit });
                })) }
            </div>
            <label for="confidence">{ t(lang, "ab_confidence") }</label>
            { select("confidence", confidence, &spec.confidence.to_string(), edit(&spec, |s, v| if let Ok(c) = v.parse() { s.confidence = c })) }
            <label class="check"><input type="checkbox" checked={spec.expected_split.is_some()} onchange={toggle_split} data-testid="custom-split" />{ t(lang, "ab_custom_split") }</label>
            if spec.expected_split.is_some() {
                <p class="muted small">{ t(lang, "ab_split_parts") }</p>
                { for split_rows }
            }
            <label class="check"><input type="checkbox" checked={spec.revenue.is_some()} onchange={toggle_revenue} data-testid="revenue" />{ t(lang, "ab_revenue") }</label>
            if let Some(r) = &spec.revenue {
                <label for="purchase-event">{ t(lang, "ab_purchase_event") }</label>
                { select("purchase-event", event_options(lang, &names, false), &r.purchase_event, edit(&spec, |s, v| if let Some(r) = s.revenue.as_mut() { r.purchase_event = v })) }
                <label for="amount">{ t(lang, "ab_amount") }</label>
                { select("amount", numeric, &r.amount, edit(&spec, |s, v| if let Some(r) = s.revenue.as_mut() { r.amount = v })) }
            }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "ab_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::AbTest(r)) => table(lang, r),
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// One variant's row, after a leading breakdown value cell when `value` is given.
fn variant_row(lang: Lang, r: &AbTestResult, value: Option<&str>, v: &VariantResult) -> Html {
    let rev = v.revenue.as_ref();
    let control = v.value == r.control;
    html! {
        <tr class={if v.small_sample { "incomplete" } else { "" }}>
            if let Some(value) = value {
                <td class="name">{ value.to_string() }</td>
            }
            <td class="name">{ v.value.clone() }{ if control { format!(" ({})", t(lang, "ab_control_short")) } else { String::new() } }</td>
                <td class="num">{ count(v.users) }</td>
                <td class="num">{ count(v.conversions) }</td>
                <td class="num">{ percent(v.rate) }</td>
                <td class="num">{ interval(Some(v.rate_ci), percent) }</td>
                <td class="num">{ v.lift.map(signed).unwrap_or_else(|| "–".into()) }</td>
                <td class="num">{ interval(v.lift_ci, signed) }</td>
                <td class="num">{ p_text(v.p_value) }</td>
                <td>{ if v.p_value.is_none() { "–" } else { yes_no(lang, v.significant) } }</td>
                if r.revenue {
                    <td class="num">{ rev.map(|x| money(x.mean)).unwrap_or_default() }</td>
                    <td class="num">{ p_text(rev.and_then(|x| x.p_value)) }</td>
                }
            </tr>
    }
}

/// The table's header row, after a leading breakdown column when `by` is given.
fn head(lang: Lang, r: &AbTestResult, by: Option<&str>) -> Html {
    html! {
        <thead><tr>
            if let Some(by) = by {
                <th>{ by.to_string() }</th>
            }
            <th>{ t(lang, "ab_variant_col") }</th>
            <th class="num">{ t(lang, "users") }</th>
            <th class="num">{ t(lang, "ab_conversions") }</th>
            <th class="num">{ t(lang, "ab_rate") }</th>
            <th class="num">{ t(lang, "ab_rate_ci") }</th>
            <th class="num">{ t(lang, "ab_lift") }</th>
            <th class="num">{ t(lang, "ab_lift_ci") }</th>
            <th class="num">{ t(lang, "ab_p_value") }</th>
            <th>{ t(lang, "ab_significant") }</th>
            if r.revenue {
                <th class="num">{ t(lang, "ab_revenue_per_user") }</th>
                <th class="num">{ t(lang, "ab_revenue_p") }</th>
            }
        </tr></thead>
    }
}

/// The test per breakdown value: a leading value column, each segment's variants.
fn segments(lang: Lang, r: &AbTestResult) -> Html {
    let Some(by) = &r.breakdown else {
        return html! {};
    };
    let rows = (r.segments.iter())
        .flat_map(|g| g.variants.iter().map(move |v| variant_row(lang, r, Some(&g.value), v)));
    html! {
        <>
            <h3>{ t(lang, "breakdown") }{": "}{ by.clone() }</h3>
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="ab-breakdown-table">
                    { head(lang, r, Some(by.as_str())) }
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </>
    }
}

/// The variant table and the tests across variants.
fn table(lang: Lang, r: &AbTestResult) -> Html {
    let rows = r.variants.iter().map(|v| variant_row(lang, r, None, v));
    let tests = match &r.chi_square {
        Some(c) => format!(
            "{}: χ² = {:.3}, df = {}, p = {} · ",
            t(lang, "ab_chi_square"),
            c.statistic,
            c.df,
            p_text(Some(c.p_value))
        ),
        None => String::new(),
    };
    html! {
        <div class="scroll" tabindex="0">
            <table class="grid" data-testid="ab-table">
                { head(lang, r, None) }
                <tbody>{ for rows }</tbody>
            </table>
            <p class="muted small" data-testid="ab-tests">
                { tests }
                { format!("{}: p = {}", t(lang, "ab_srm"), p_text(Some(r.srm.p_value))) }
                { format!(" · {} {} · {} {}", count(r.mixed_users), t(lang, "ab_mixed_users"), count(r.no_variant_users), t(lang, "ab_no_variant_users")) }
            </p>
            <p class="muted small">{ format!("{} {:.0}%. ", t(lang, "ab_method_note"), r.confidence * 100.0) }{ t(lang, "ab_small_note") }</p>
            { segments(lang, r) }
        </div>
    }
}
