//! The segmentation tab: events to count, the measure, the interval and a breakdown; below
//! the chart a table of every series per interval.

use super::count;
use super::i18n::t;
use super::shell::{PanelProps, Shell};
use super::widgets::{granularity_options, edit, from_name, json_name, keyed, select, BreakdownPicker};
use crate::engine::analysis::segmentation::{Measure, SegmentationSpec};
use crate::engine::analysis::{AnalysisResult, Spec};
use crate::engine::spec::Breakdown;
use yew::prelude::*;

/// The segmentation tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let spec = {
        let initial = p.initial(
            |s| match s {
                Spec::Segmentation(x) => Some(x),
                _ => None,
            },
            || SegmentationSpec {
                events: names.iter().take(1).cloned().collect(),
                measure: Measure::Users,
                ..Default::default()
            },
        );
        use_state(|| initial)
    };
    let checks = names.iter().map(|n| {
        let checked = spec.events.contains(n);
        let toggle = {
            let (spec, n) = (spec.clone(), n.clone());
            Callback::from(move |_| {
                let mut s = (*spec).clone();
                if let Some(i) = s.events.iter().position(|e| *e == n) {
                    s.events.remove(i);
                } else {
                    s.events.push(n.clone());
                }
                spec.set(s);
            })
        };
        html! { <label class="check" key={n.clone()}><input type="checkbox" checked={checked} onchange={toggle} data-event={n.clone()} />{ n.clone() }</label> }
    });
    let measures = keyed(
        &[
            (Measure::Users, "users"),
            (Measure::Events, "events"),
            (Measure::EventsPerUser, "events_per_user"),
        ],
        lang,
    );
    let intervals = granularity_options(lang, true);
    let on_breakdown = edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b);
    let builder = html! {
        <>
            <label>{ t(lang, "choose_events") }</label>
            <div class="checks">{ for checks }</div>
            <label>{ t(lang, "measure") }</label>
            { select("measure", measures, &json_name(&spec.measure), edit(&spec, |s, v| if let Some(m) = from_name(&v) { s.measure = m })) }
            <label>{ t(lang, "interval") }</label>
            { select("interval", intervals, &json_name(&spec.interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.interval = g })) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={p.data.overview.properties.clone()} breakdown={spec.breakdown.clone()} on_change={on_breakdown} />
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Segmentation(r)) => {
            let head = r
                .series
                .iter()
                .map(|s| html! { <th class="num">{ s.label.clone() }</th> });
            let totals = r.series.iter().map(|s| html! { <td class="num">{ match r.measure { Measure::Events => count(s.total_events), _ => count(s.total_users) } }</td> });
            let values: Vec<Vec<f64>> = r.series.iter().map(|s| s.values(r.measure)).collect();
            let rows = r.buckets.iter().enumerate().map(|(b, label)| {
                let cells = values.iter().map(|v| {
                    let x = v[b];
                    html! { <td class="num">{ if r.measure == Measure::EventsPerUser { format!("{x:.2}") } else { count(x as u64) } }</td> }
                });
                html! { <tr><td class="name">{ label.clone() }</td>{ for cells }</tr> }
            });
            html! {
                <div class="scroll tall">
                    <table class="grid" data-testid="segmentation-table">
                        <thead><tr><th>{ t(lang, "interval") }</th>{ for head }</tr></thead>
                        <tbody>
                            <tr class="avg"><td class="name">{ t(lang, "total") }</td>{ for totals }</tr>
                            { for rows }
                        </tbody>
                    </table>
                </div>
            }
        }
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={Spec::Segmentation((*spec).clone())} {builder} {body} /> }
}
