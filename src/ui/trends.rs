//! The trends tab: series (an event or any event, its filters, a measure, a numeric
//! property, a label), formulas between them, the interval, a breakdown, the previous
//! period and the chart type; below the chart a table of every line per interval, with
//! the total and its change from the previous period first and incomplete intervals
//! marked.

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    with_name,
    edit, edit_at, event_options, from_name, granularity_options, json_name, keyed, select,
    text_input, toggle_in, BreakdownPicker, FilterEditor,
};
use super::{count, pct};
use crate::engine::analysis::trends::{
    change, Display, FormulaSpec, Line, Measure, SeriesSpec, TrendsSpec, MAX_FORMULAS, MAX_SERIES,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

const MEASURES: [(Measure, &str); 9] = [
    (Measure::Events, "events"),
    (Measure::Users, "users"),
    (Measure::EventsPerUser, "events_per_user"),
    (Measure::Sum, "m_sum"),
    (Measure::Avg, "m_avg"),
    (Measure::Min, "m_min"),
    (Measure::Max, "m_max"),
    (Measure::Median, "m_median"),
    (Measure::P90, "m_p90"),
];

const DISPLAYS: [(Display, &str); 4] = [
    (Display::Line, "display_line"),
    (Display::Area, "display_area"),
    (Display::Bar, "display_bar"),
    (Display::Number, "display_number"),
];

/// A number as the table shows it: counts with separators, others with two decimals.
fn number(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => {
            let s = count(x.abs() as u64);
            if x < 0.0 {
                format!("-{s}")
            } else {
                s
            }
        }
        Some(x) => format!("{x:.2}"),
    }
}

/// The change from the previous period as `+12.5%`.
fn delta(current: Option<f64>, previous: Option<f64>) -> Html {
    match change(current, previous) {
        Some(c) => {
            let class = if c >= 0.0 { "delta up" } else { "delta down" };
            let sign = if c >= 0.0 { "+" } else { "" };
            html! { <span class={class}>{ format!(" {sign}{}", pct(c)) }</span> }
        }
        None => html! {},
    }
}

fn default_spec(names: &[String]) -> TrendsSpec {
    TrendsSpec {
        series: vec![SeriesSpec {
            event: names.first().cloned(),
            measure: Measure::Users,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The trends tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let spec = use_spec(p, || default_spec(&names));
    let open_filters = use_state(Vec::<usize>::new);
    let props = p.data.overview.properties.clone();
    let numeric: Vec<(String, String)> = props
        .iter()
        .filter(|x| x.kind == "number")
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    let n = spec.series.len();

    let series_rows = spec.series.iter().enumerate().map(|(i, s)| {
        let letter = ((b'A' + i as u8) as char).to_string();
        let on_measure = {
            let first = numeric.first().map(|x| x.0.clone());
            let spec = spec.clone();
            Callback::from(move |v: String| {
                let mut x = spec.latest();
                if let Some(m) = from_name::<Measure>(&v) {
                    let s = &mut x.series[i];
                    s.measure = m;
                    s.property = if m.needs_property() {
                        s.property.clone().or(first.clone())
                    } else {
                        None
                    };
                }
                spec.set(x);
            })
        };
        let on_filters = edit_at(&spec, i, |x, i, g: FilterGroup| x.series[i].filters = g);
        let toggle_filters = toggle_in(&open_filters, i);
        let toggle_hidden = edit_at(&spec, i, |x, i, _: Event| x.series[i].hidden = !x.series[i].hidden);
        let remove = edit_at(&spec, i, |x, i, _: MouseEvent| {
            x.series.remove(i);
        });
        let show_filters = !s.filters.is_empty() || open_filters.contains(&i);
        let name = format!("{} {letter}", t(lang, "series"));
        html! {
            <div class="step-block" key={i}>
                <div class="step">
                    <span class="step-n">{ letter.clone() }</span>
                    { with_name(select(&format!("series-{i}-event"), event_options(lang, &names, true), s.event.as_deref().unwrap_or(""), edit_at(&spec, i, |x, i, v: String| x.series[i].event = (!v.is_empty()).then_some(v))), format!("{name}: {}", t(lang, "event"))) }
                    <button class={if show_filters { "icon on" } else { "icon" }} title={t(lang, "step_filters")} aria-label={format!("{name}: {}", t(lang, "step_filters"))} data-testid={format!("series-{i}-filters")} onclick={toggle_filters}>{"⚲"}</button>
                    if n > 1 {
                        <button class="icon" title={t(lang, "remove")} aria-label={format!("{name}: {}", t(lang, "remove"))} onclick={remove}>{"×"}</button>
                    }
                </div>
                <div class="row">
                    { with_name(select(&format!("series-{i}-measure"), keyed(&MEASURES, lang), &json_name(&s.measure), on_measure), format!("{name}: {}", t(lang, "measure"))) }
                    if s.measure.needs_property() {
                        { with_name(select(&format!("series-{i}-property"), numeric.clone(), s.property.as_deref().unwrap_or(""), edit_at(&spec, i, |x, i, v: String| x.series[i].property = (!v.is_empty()).then_some(v))), format!("{name}: {}", t(lang, "property"))) }
                    }
                </div>
                <div class="row">
                    { text_input(&format!("series-{i}-label"), s.label.as_deref().unwrap_or(""), t(lang, "series_label"), edit_at(&spec, i, |x, i, v: String| x.series[i].label = (!v.trim().is_empty()).then_some(v))) }
                    <label class="check"><input type="checkbox" checked={s.hidden} onchange={toggle_hidden} data-testid={format!("series-{i}-hidden")} />{ t(lang, "hide_series") }</label>
                </div>
                if s.measure.needs_property() && numeric.is_empty() {
                    <p class="hint">{ t(lang, "no_numeric_property") }</p>
                }
                if show_filters {
                    <FilterEditor lang={lang} props={props.clone()} group={s.filters.clone()} on_change={on_filters} id={format!("series-{i}-filter")} />
                }
            </div>
        }
    });
    let add_series = {
        let (spec, first) = (spec.clone(), names.first().cloned());
        Callback::from(move |_| {
            let mut x = spec.latest();
            if x.series.len() < MAX_SERIES {
                x.series.push(SeriesSpec {
                    event: first.clone(),
                    ..Default::default()
                });
            }
            spec.set(x);
        })
    };

    let formula_rows = spec.formulas.iter().enumerate().map(|(j, f)| {
        let remove = edit_at(&spec, j, |x, j, _: MouseEvent| {
            x.formulas.remove(j);
        });
        let name = format!("{} F{}", t(lang, "formula"), j + 1);
        html! {
            <div class="step-block" key={j}>
                <div class="step">
                    <span class="step-n">{ format!("F{}", j + 1) }</span>
                    { text_input(&format!("formula-{j}"), &f.expression, "A / B", edit_at(&spec, j, |x, j, v| x.formulas[j].expression = v)) }
                    <button class="icon" title={t(lang, "remove")} aria-label={format!("{name}: {}", t(lang, "remove"))} onclick={remove}>{"×"}</button>
                </div>
                <div class="row">
                    { text_input(&format!("formula-{j}-label"), f.label.as_deref().unwrap_or(""), t(lang, "series_label"), edit_at(&spec, j, |x, j, v: String| x.formulas[j].label = (!v.trim().is_empty()).then_some(v))) }
                </div>
            </div>
        }
    });
    let add_formula = {
        let spec = spec.clone();
        Callback::from(move |_| {
            let mut x = spec.latest();
            if x.formulas.len() < MAX_FORMULAS {
                let expr = if x.series.len() >= 2 {
                    "A / B"
                } else {
                    "A * 100"
                };
                x.formulas.push(FormulaSpec {
                    expression: expr.into(),
                    label: None,
                });
            }
            spec.set(x);
        })
    };
    let toggle_compare = edit(&spec, |s, _: Event| s.compare = !s.compare);
    let on_breakdown = edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b);
    let builder = html! {
        <>
            <label>{ t(lang, "series") }</label>
            <div class="steps">{ for series_rows }</div>
            if n < MAX_SERIES {
                <button class="secondary small" data-testid="add-series" onclick={add_series}>{ t(lang, "add_series") }</button>
            }
            <label>{ t(lang, "formulas") }</label>
            <div class="steps">{ for formula_rows }</div>
            if spec.formulas.len() < MAX_FORMULAS {
                <button class="secondary small" data-testid="add-formula" onclick={add_formula}>{ t(lang, "add_formula") }</button>
            }
            <label for="interval">{ t(lang, "interval") }</label>
            { select("interval", granularity_options(lang, true), &json_name(&spec.interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.interval = g })) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={on_breakdown} />
            <label class="check"><input type="checkbox" checked={spec.compare} onchange={toggle_compare} data-testid="compare" />{ t(lang, "compare_previous") }</label>
            <label for="display">{ t(lang, "display") }</label>
            { select("display", keyed(&DISPLAYS, lang), &json_name(&spec.display), edit(&spec, |s, v| if let Some(d) = from_name(&v) { s.display = d })) }
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Trends(r)) => table(lang, r),
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// The table below the chart: a column per line, the total first, then every interval.
fn table(lang: Lang, r: &crate::engine::analysis::trends::TrendsResult) -> Html {
    let compare = !r.previous_buckets.is_empty();
    let head = r.lines.iter().map(|l: &Line| {
        let m = l
            .measure
            .and_then(|m| MEASURES.iter().find(|x| x.0 == m))
            .map(|x| t(lang, x.1));
        html! { <th class="num" title={m.unwrap_or_default().to_string()}>{ l.label() }</th> }
    });
    let totals = r.lines.iter().map(|l| {
        html! { <td class="num">{ number(l.total) }{ if compare { delta(l.total, l.previous_total) } else { html! {} } }</td> }
    });
    let rows = r.buckets.iter().enumerate().map(|(b, label)| {
        let cells = r.lines.iter().map(|l| {
            let title = if compare {
                format!("{} {}: {}", t(lang, "previous_period"), r.previous_buckets[b], number(l.previous[b]))
            } else {
                String::new()
            };
            html! { <td class="num" title={title}>{ number(l.values[b]) }{ if compare { delta(l.values[b], l.previous[b]) } else { html! {} } }</td> }
        });
        let partial = r.incomplete[b];
        html! {
            <tr class={if partial { "partial" } else { "" }}>
                <td class="name" title={if partial { t(lang, "incomplete_period") } else { "" }}>{ label.clone() }{ if partial { " *" } else { "" } }</td>
                { for cells }
            </tr>
        }
    });
    let note = r.incomplete.iter().any(|&x| x);
    html! {
        <>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="trends-table">
                    <thead><tr><th>{ t(lang, "interval") }</th>{ for head }</tr></thead>
                    <tbody>
                        <tr class="avg"><td class="name">{ t(lang, "total") }</td>{ for totals }</tr>
                        { for rows }
                    </tbody>
                </table>
            </div>
            if note {
                <p class="hint">{ format!("* {}", t(lang, "incomplete_period")) }</p>
            }
        </>
    }
}
