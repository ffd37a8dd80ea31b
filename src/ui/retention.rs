//! The retention tab: start and return events with their own filters, cohort kind,
//! periods or custom brackets, calendar or rolling windows, minimum occurrences, "on" or
//! "on or after", the average rule and a breakdown; below the chart the cohort table (one
//! per breakdown value).

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, event_options, from_name, granularity_options, json_name, keyed, number_input, select,
    text_input, BreakdownPicker, FilterEditor,
};
use super::{count, pct};
use crate::engine::analysis::retention::{
    AverageCell, AverageCells, Cohort, CohortKind, RetentionMode, RetentionResult, RetentionSpec,
    Windows,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use crate::engine::time::Granularity;
use yew::prelude::*;

/// The style of a heat-map cell for a share `rate` in 0..=1 (also the stages' transition
/// table).
pub(crate) fn heat(rate: f64) -> String {
    // white → blue, text turns white on dark cells
    let a = (rate.clamp(0.0, 1.0)).sqrt();
    // a solid colour between white and a dark blue, with the text colour that reads best on
    // it (contrast of at least 4.5:1 either way, in light and dark mode alike)
    let mix = |c: f64| (255.0 + (c - 255.0) * a).round();
    let (r, g, b) = (mix(44.0), mix(90.0), mix(140.0));
    let lin = |c: f64| {
        let c = c / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    // white or black, whichever contrasts more: one of them always reaches 4.5:1
    let fg = if 1.05 / (lum + 0.05) > (lum + 0.05) / 0.05 { "#fff" } else { "#000" };
    format!("background: rgb({r}, {g}, {b}); color: {fg}")
}

/// Brackets as text: `1-3, 4-7`.
fn brackets_text(b: &[[u32; 2]]) -> String {
    b.iter()
        .map(|[a, z]| format!("{a}-{z}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses `1-3, 4-7, 8` (a single number is a one-period bracket); `None` when malformed.
fn parse_brackets(s: &str) -> Option<Vec<[u32; 2]>> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('-') {
            Some((a, z)) => Some([a.trim().parse().ok()?, z.trim().parse().ok()?]),
            None => p.parse().ok().map(|v| [v, v]),
        })
        .collect()
}

/// The retention tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let spec = use_spec(p, || RetentionSpec {
        period: Granularity::Day,
        periods: Some(14),
        ..Default::default()
    });
    let brackets_error = use_state(|| false);
    let props = p.data.overview.properties.clone();
    let modes = keyed(
        &[
            (RetentionMode::On, "mode_on"),
            (RetentionMode::OnOrAfter, "mode_on_or_after"),
        ],
        lang,
    );
    let cohorts = keyed(
        &[
            (CohortKind::FirstTime, "cohort_first_time"),
            (CohortKind::FirstEver, "cohort_first_ever"),
            (CohortKind::Recurring, "cohort_recurring"),
        ],
        lang,
    );
    let windows = keyed(
        &[
            (Windows::Calendar, "windows_calendar"),
            (Windows::Rolling, "windows_rolling"),
        ],
        lang,
    );
    let averages = keyed(
        &[
            (AverageCells::Complete, "avg_complete"),
            (AverageCells::All, "avg_all"),
        ],
        lang,
    );
    let periods = granularity_options(lang, true);
    let set_brackets = {
        let (spec, err) = (spec.clone(), brackets_error.clone());
        Callback::from(move |v: String| match parse_brackets(&v) {
            Some(b) => {
                let mut s = spec.latest();
                s.brackets = b;
                spec.set(s);
                err.set(false);
            }
            None => err.set(true),
        })
    };
    let on_start_filters = edit(&spec, |s, g: FilterGroup| s.start_filters = g);
    let on_return_filters = edit(&spec, |s, g: FilterGroup| s.return_filters = g);
    let on_breakdown = edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b);
    let builder = html! {
        <>
            <label for="start-event">{ t(lang, "start_event") }</label>
            { select("start-event", event_options(lang, &names, true), spec.start_event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.start_event = (!v.is_empty()).then_some(v))) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.start_filters.clone()} on_change={on_start_filters} id="start-filter" />
            <label for="return-event">{ t(lang, "return_event") }</label>
            { select("return-event", event_options(lang, &names, true), spec.return_event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.return_event = (!v.is_empty()).then_some(v))) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.return_filters.clone()} on_change={on_return_filters} id="return-filter" />
            <label for="cohort">{ t(lang, "cohort_kind") }</label>
            { select("cohort", cohorts, &json_name(&spec.cohort), edit(&spec, |s, v| if let Some(c) = from_name(&v) { s.cohort = c })) }
            <label for="period">{ t(lang, "period") }</label>
            <div class="row">
                { select("period", periods, &json_name(&spec.period), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.period = g })) }
                <label class="sr-only" for="periods">{ t(lang, "period") }</label>
                { number_input("periods", spec.period_count(), 1, 400, edit(&spec, |s, v: u32| s.periods = Some(v))) }
            </div>
            <label for="mode">{ t(lang, "mode") }</label>
            { select("mode", modes, &json_name(&spec.mode), edit(&spec, |s, v| if let Some(m) = from_name(&v) { s.mode = m })) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={on_breakdown} />
            <details class="more">
                <summary>{ t(lang, "more_options") }</summary>
                <div class="more-body">
                <label for="windows">{ t(lang, "windows") }</label>
                { select("windows", windows, &json_name(&spec.windows), edit(&spec, |s, v| if let Some(w) = from_name(&v) { s.windows = w })) }
                <label for="min-occurrences">{ t(lang, "min_occurrences") }</label>
                { number_input("min-occurrences", spec.min_occurrences.max(1), 1, 1000, edit(&spec, |s, v: u32| s.min_occurrences = v)) }
                <label for="brackets">{ t(lang, "brackets") }</label>
                { text_input("brackets", &brackets_text(&spec.brackets), "1-3, 4-7, 8-14", set_brackets) }
                if *brackets_error { <div class="error inline">{ t(lang, "brackets_invalid") }</div> }
                <label for="average-cells">{ t(lang, "average_cells") }</label>
                { select("average-cells", averages, &json_name(&spec.average_cells), edit(&spec, |s, v| if let Some(a) = from_name(&v) { s.average_cells = a })) }
                </div>
            </details>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Retention(r)) => {
            let per_value = r.breakdowns.iter().enumerate().map(|(k, b)| html! {
                <>
                    <h3>{ b.value.clone() }</h3>
                    { table(lang, r, &format!("retention-table-{k}"), &b.cohorts, &b.average, b.users) }
                </>
            });
            let rule = match r.average_cells {
                AverageCells::Complete => t(lang, "incomplete_note"),
                AverageCells::All => t(lang, "average_all_note"),
            };
            html! {
                <>
                    { table(lang, r, "retention-table", &r.cohorts, &r.average, r.users) }
                    <p class="muted small">{ rule }</p>
                    { for per_value }
                </>
            }
        }
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} chart_height={300} /> }
}

/// One cohort table with its average row.
fn table(
    lang: Lang,
    r: &RetentionResult,
    id: &str,
    cohorts: &[Cohort],
    average: &[AverageCell],
    users: u64,
) -> Html {
    let n = r.periods as usize + 1;
    let head = (0..n).map(|i| html! { <th class="num">{ r.columns.get(i).cloned().unwrap_or_else(|| i.to_string()) }</th> });
    let avg = average.iter().map(|a| match a.weighted {
        Some(w) => html! { <td class="num cell" style={heat(w)}>{ pct(w) }</td> },
        None => html! { <td class="num cell"></td> },
    });
    let rows = cohorts.iter().map(|c| {
        let cells = (0..n).map(|i| match (c.rates.get(i), c.complete.get(i)) {
            (Some(&rate), Some(&done)) => {
                let class = if done { "num cell" } else { "num cell incomplete" };
                html! { <td class={class} style={heat(rate)} title={format!("{} / {}", c.retained[i], c.size)}>{ pct(rate) }</td> }
            }
            _ => html! { <td class="num cell"></td> },
        });
        html! { <tr><td class="name">{ c.label.clone() }</td><td class="num">{ count(c.size) }</td>{ for cells }</tr> }
    });
    html! {
        <div class="scroll" tabindex="0">
            <table class="grid heat" data-testid={id.to_string()}>
                <thead><tr><th>{ t(lang, "cohort") }</th><th class="num">{ t(lang, "size") }</th>{ for head }</tr></thead>
                <tbody>
                    <tr class="avg"><td class="name">{ t(lang, "average") }</td><td class="num">{ count(users) }</td>{ for avg }</tr>
                    { for rows }
                </tbody>
            </table>
        </div>
    }
}
