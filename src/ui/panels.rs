//! The three analysis tabs: a builder for the spec, the chart, and a table of the numbers.
//!
//! Each builder edits the engine's own spec type; "Run" sends it as JSON to the worker, so
//! what the page computes is exactly what `loupe run --spec` computes for the same JSON.

use super::canvas::Chart;
use super::i18n::{t, Lang};
use super::{count, duration, pct, Engine, Outcome, Tab};
use crate::engine::analysis::funnel::{
    Entry, FunnelSpec, FunnelStep, Ties, Window, WindowUnit, MAX_STEPS,
};
use crate::engine::analysis::retention::{RetentionMode, RetentionSpec};
use crate::engine::analysis::segmentation::{Measure, SegmentationSpec};
use crate::engine::analysis::{AnalysisResult, Spec};
use crate::engine::time::{Granularity, TimeZone};
use crate::web::protocol::LoadedReply;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Props shared by the analysis panels.
#[derive(Properties, PartialEq)]
pub struct PanelProps {
    /// UI language.
    pub lang: Lang,
    /// The loaded dataset.
    pub data: Rc<LoadedReply>,
    /// Changes when a new dataset loads.
    pub generation: u32,
    /// Engine handle.
    pub engine: Engine,
    /// The last spec run in this tab and its outcome.
    pub last: Option<(Spec, Outcome)>,
    /// A spec from the URL hash, used when nothing ran yet.
    pub linked: Option<Spec>,
}

fn event_names(d: &LoadedReply) -> Vec<String> {
    d.overview
        .event_names
        .iter()
        .map(|e| e.name.clone())
        .collect()
}

fn select(
    id: &str,
    options: Vec<(String, String)>,
    selected: &str,
    onchange: Callback<String>,
) -> Html {
    let onchange = Callback::from(move |e: Event| {
        let el: HtmlSelectElement = e.target_unchecked_into();
        onchange.emit(el.value());
    });
    let opts = options.into_iter().map(|(value, label)| {
        let sel = value == selected;
        html! { <option value={value.clone()} selected={sel}>{ label }</option> }
    });
    html! { <select data-testid={id.to_string()} {onchange}>{ for opts }</select> }
}

fn number_input(id: &str, value: u32, min: u32, max: u32, onchange: Callback<u32>) -> Html {
    let onchange = Callback::from(move |e: Event| {
        let el: HtmlInputElement = e.target_unchecked_into();
        if let Ok(v) = el.value().trim().parse::<u32>() {
            onchange.emit(v.clamp(min, max));
        }
    });
    html! { <input type="number" class="num-input" data-testid={id.to_string()} value={value.to_string()} min={min.to_string()} max={max.to_string()} {onchange} /> }
}

/// Select options from (value, translation key) pairs; values as their JSON names.
fn keyed<T: serde::Serialize>(pairs: &[(T, &'static str)], lang: Lang) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, k)| (json_name(v), t(lang, k).to_string()))
        .collect()
}

fn granularity_options(lang: Lang, with_hour: bool) -> Vec<(String, String)> {
    let mut g = vec![
        (Granularity::Day, "day"),
        (Granularity::Week, "week"),
        (Granularity::Month, "month"),
    ];
    if with_hour {
        g.insert(0, (Granularity::Hour, "hour"));
    }
    keyed(&g, lang)
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn from_name<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// The browser's time zone (its IANA name, so daylight saving is followed), or its
/// current UTC offset when the browser does not name it.
pub fn browser_zone() -> TimeZone {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let name = js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string());
    name.and_then(|n| TimeZone::parse(&n)).unwrap_or_else(|| {
        let minutes = -js_sys::Date::new_0().get_timezone_offset();
        TimeZone::Fixed((minutes * 60.0) as i32)
    })
}

fn zone_options(current: &TimeZone) -> Vec<(String, String)> {
    let mut zones = vec![TimeZone::UTC, browser_zone(), current.clone()];
    for z in [
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Asia/Singapore",
        "Asia/Kolkata",
        "Europe/London",
        "Europe/Berlin",
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "America/Sao_Paulo",
        "Australia/Sydney",
        "+08:00",
        "-05:00",
    ] {
        zones.extend(TimeZone::parse(z));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for z in zones {
        let s = z.to_string();
        if !out.iter().any(|o| o.0 == s) {
            out.push((s.clone(), s));
        }
    }
    out
}

/// Sends the spec when the panel first shows a dataset with no result yet.
#[hook]
fn use_auto_run(p: &PanelProps, tab: Tab, spec: Spec) {
    let engine = p.engine.clone();
    let has = p.last.is_some();
    use_effect_with(p.generation, move |_| {
        if !has {
            engine.run(tab, spec.clone());
        }
    });
}

fn run_button(lang: Lang, running: bool, onclick: Callback<MouseEvent>) -> Html {
    html! {
        <button class="run" data-testid="run" {onclick} disabled={running}>
            { if running { t(lang, "running") } else { t(lang, "run") } }
        </button>
    }
}

fn status(lang: Lang, last: &Option<(Spec, Outcome)>) -> Html {
    match last {
        Some((_, Outcome::Failed(m))) => {
            html! { <div class="error inline" role="alert" data-testid="run-error">{ m.clone() }</div> }
        }
        Some((_, Outcome::Done(id, r))) => {
            html! { <span class="muted small" data-testid="timing" data-run-id={id.to_string()}>{ t(lang, "computed_in") }{ format!(" {:.1} ms", r.ms) }</span> }
        }
        _ => html! {},
    }
}

/// "CSV" and "PNG" buttons for a finished result.
fn exports(lang: Lang, name: &'static str, result: &Option<Rc<AnalysisResult>>) -> Html {
    let Some(r) = result.clone() else {
        return html! {};
    };
    let csv = Callback::from(move |_| {
        let text = crate::engine::analysis::table::csv(&r);
        // a BOM so spreadsheet programs read the UTF-8 (Chinese names) correctly
        let data = [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat();
        if let Err(e) = super::download(&format!("loupe-{name}.csv"), "text/csv", &data) {
            gloo::console::error!(e);
        }
    });
    let png = Callback::from(move |_| {
        if let Err(e) = super::download_chart_png(&format!("loupe-{name}.png")) {
            gloo::console::error!(e);
        }
    });
    html! {
        <div class="exports">
            <button class="secondary small" onclick={csv} data-testid="download-csv" title={t(lang, "download_csv")}>{"⤓ CSV"}</button>
            <button class="secondary small" onclick={png} data-testid="download-png" title={t(lang, "download_png")}>{"⤓ PNG"}</button>
        </div>
    }
}

fn running(last: &Option<(Spec, Outcome)>) -> bool {
    matches!(last, Some((_, Outcome::Running)))
}

fn result_of(last: &Option<(Spec, Outcome)>) -> Option<Rc<AnalysisResult>> {
    match last {
        Some((_, Outcome::Done(_, r))) => Some(Rc::new(r.result.clone())),
        _ => None,
    }
}

/// A reasonable first funnel: a known purchase path if the events have one, otherwise the
/// two most frequent events.
pub fn default_funnel(names: &[String]) -> Vec<String> {
    const PATH: [&[&str]; 4] = [
        &["signup", "sign_up", "register", "注册"],
        &["view_item", "product_view", "view_product", "浏览商品"],
        &["add_to_cart", "加购", "加入购物车"],
        &["purchase", "order_completed", "pay", "支付", "下单"],
    ];
    let picked: Vec<String> = PATH
        .iter()
        .filter_map(|alts| {
            alts.iter()
                .find(|a| names.iter().any(|n| n == *a))
                .map(|s| s.to_string())
        })
        .collect();
    if picked.len() >= 2 {
        picked
    } else {
        names.iter().take(2).cloned().collect()
    }
}

/// A callback that edits a spec held in `spec` with the selected value.
fn edit<T: Clone + 'static, V: 'static>(spec: &UseStateHandle<T>, f: fn(&mut T, V)) -> Callback<V> {
    let spec = spec.clone();
    Callback::from(move |v: V| {
        let mut s = (*spec).clone();
        f(&mut s, v);
        spec.set(s);
    })
}

/// The funnel tab.
#[function_component(FunnelPanel)]
pub fn funnel_panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = event_names(&p.data);
    let initial = match (&p.last, &p.linked) {
        (Some((Spec::Funnel(s), _)), _) | (None, Some(Spec::Funnel(s))) => s.clone(),
        _ => FunnelSpec {
            steps: default_funnel(&names)
                .into_iter()
                .map(|event| FunnelStep { event })
                .collect(),
            window: Window {
                value: 7,
                unit: WindowUnit::Day,
            },
            entry: Default::default(),
            ties: Default::default(),
        },
    };
    use_auto_run(p, Tab::Funnel, Spec::Funnel(initial.clone()));
    let spec = use_state(|| initial);
    let run = {
        let (spec, engine) = (spec.clone(), p.engine.clone());
        Callback::from(move |_| engine.run(Tab::Funnel, Spec::Funnel((*spec).clone())))
    };
    let options: Vec<(String, String)> = names.iter().map(|n| (n.clone(), n.clone())).collect();
    let steps = spec.steps.iter().enumerate().map(|(i, s)| {
        let set = {
            let spec = spec.clone();
            Callback::from(move |v: String| {
                let mut s = (*spec).clone();
                s.steps[i].event = v;
                spec.set(s);
            })
        };
        let remove = {
            let spec = spec.clone();
            Callback::from(move |_| {
                let mut s = (*spec).clone();
                s.steps.remove(i);
                spec.set(s);
            })
        };
        html! {
            <div class="step" key={i}>
                <span class="step-n">{ i + 1 }</span>
                { select(&format!("step-{i}"), options.clone(), &s.event, set) }
                if spec.steps.len() > 2 { <button class="icon" title={t(lang, "remove")} onclick={remove}>{"×"}</button> }
            </div>
        }
    });
    let add = {
        let (spec, first) = (spec.clone(), names.first().cloned().unwrap_or_default());
        Callback::from(move |_| {
            let mut s = (*spec).clone();
            if s.steps.len() < MAX_STEPS {
                s.steps.push(FunnelStep {
                    event: first.clone(),
                });
            }
            spec.set(s);
        })
    };
    let set_window = edit(&spec, |s, v: u32| s.window.value = v);
    let set_unit = edit(&spec, |s, v: String| {
        if let Some(u) = from_name(&v) {
            s.window.unit = u;
        }
    });
    let units = keyed(
        &[
            (WindowUnit::Minute, "minute"),
            (WindowUnit::Hour, "hour"),
            (WindowUnit::Day, "day"),
            (WindowUnit::Week, "week"),
        ],
        lang,
    );
    let entries = keyed(
        &[(Entry::Every, "entry_every"), (Entry::First, "entry_first")],
        lang,
    );
    let ties = keyed(
        &[
            (Ties::SourceOrder, "ties_source_order"),
            (Ties::StrictlyLater, "ties_strictly_later"),
        ],
        lang,
    );
    let result = result_of(&p.last);
    let table = match result.as_deref() {
        Some(AnalysisResult::Funnel(r)) => {
            let rows = r.steps.iter().enumerate().map(|(k, s)| html! {
                <tr>
                    <td class="num">{ k + 1 }</td>
                    <td class="name">{ s.event.clone() }</td>
                    <td class="num" data-testid={format!("funnel-users-{k}")}>{ count(s.users) }</td>
                    <td class="num" data-testid={format!("funnel-conv-{k}")}>{ pct(s.conversion) }</td>
                    <td class="num">{ if k == 0 { "-".to_string() } else { pct(s.step_conversion) } }</td>
                    <td class="num">{ if k == 0 { "-".to_string() } else { count(s.dropped) } }</td>
                    <td class="num">{ s.median_seconds.map(duration).unwrap_or_else(|| "-".into()) }</td>
                </tr>
            });
            html! {
                <table class="grid" data-testid="funnel-table">
                    <thead><tr><th class="num">{"#"}</th><th>{ t(lang, "event") }</th><th class="num">{ t(lang, "users") }</th>
                    <th class="num">{ t(lang, "conversion") }</th><th class="num">{ t(lang, "step_conversion") }</th>
                    <th class="num">{ t(lang, "dropped") }</th><th class="num">{ t(lang, "median_time") }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            }
        }
        _ => html! {},
    };
    html! {
        <div class="analysis">
            <div class="builder">
                <label>{ t(lang, "steps") }</label>
                <div class="steps">{ for steps }</div>
                if spec.steps.len() < MAX_STEPS { <button class="secondary small" onclick={add} data-testid="add-step">{"+ "}{ t(lang, "add_step") }</button> }
                <label>{ t(lang, "window") }</label>
                <div class="row">
                    { number_input("window-value", spec.window.value, 1, 10_000, set_window) }
                    { select("window-unit", units, &json_name(&spec.window.unit), set_unit) }
                </div>
                <label>{ t(lang, "entry") }</label>
                { select("entry", entries, &json_name(&spec.entry), edit(&spec, |s, v| if let Some(e) = from_name(&v) { s.entry = e })) }
                <label>{ t(lang, "ties") }</label>
                { select("ties", ties, &json_name(&spec.ties), edit(&spec, |s, v| if let Some(e) = from_name(&v) { s.ties = e })) }
                { run_button(lang, running(&p.last), run) }
                { status(lang, &p.last) }
            </div>
            <div class="results">
                { exports(lang, "funnel", &result) }
                if let Some(r) = result.clone() { <Chart result={r} lang={lang} /> }
                { table }
            </div>
        </div>
    }
}

fn heat(rate: f64) -> String {
    // white → blue, text turns white on dark cells
    let a = (rate.clamp(0.0, 1.0)).sqrt();
    let fg = if a > 0.6 { "#fff" } else { "#1f2937" };
    format!("background: rgba(78,121,167,{a:.3}); color: {fg}")
}

/// The retention tab.
#[function_component(RetentionPanel)]
pub fn retention_panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = event_names(&p.data);
    let initial = match (&p.last, &p.linked) {
        (Some((Spec::Retention(s), _)), _) | (None, Some(Spec::Retention(s))) => s.clone(),
        _ => RetentionSpec {
            period: Granularity::Day,
            periods: Some(14),
            timezone: browser_zone(),
            ..Default::default()
        },
    };
    use_auto_run(p, Tab::Retention, Spec::Retention(initial.clone()));
    let spec = use_state(|| initial);
    let run = {
        let (spec, engine) = (spec.clone(), p.engine.clone());
        Callback::from(move |_| engine.run(Tab::Retention, Spec::Retention((*spec).clone())))
    };
    let mut event_opts = vec![(String::new(), t(lang, "any_event").to_string())];
    event_opts.extend(names.iter().map(|n| (n.clone(), n.clone())));
    let set_periods = edit(&spec, |s, v: u32| s.periods = Some(v));
    let modes = keyed(
        &[
            (RetentionMode::On, "mode_on"),
            (RetentionMode::OnOrAfter, "mode_on_or_after"),
        ],
        lang,
    );
    let result = result_of(&p.last);
    let table = match result.as_deref() {
        Some(AnalysisResult::Retention(r)) => {
            let n = r.periods as usize + 1;
            let head = (0..n).map(|i| html! { <th class="num">{ i }</th> });
            let avg = r.average.iter().map(|a| match a.weighted {
                Some(w) => html! { <td class="num cell" style={heat(w)}>{ pct(w) }</td> },
                None => html! { <td class="num cell"></td> },
            });
            let rows = r.cohorts.iter().map(|c| {
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
                <>
                <div class="scroll">
                    <table class="grid heat" data-testid="retention-table">
                        <thead><tr><th>{ t(lang, "cohort") }</th><th class="num">{ t(lang, "size") }</th>{ for head }</tr></thead>
                        <tbody>
                            <tr class="avg"><td class="name">{ t(lang, "average") }</td><td class="num">{ count(r.users) }</td>{ for avg }</tr>
                            { for rows }
                        </tbody>
                    </table>
                </div>
                <p class="muted small">{ t(lang, "incomplete_note") }</p>
                </>
            }
        }
        _ => html! {},
    };
    html! {
        <div class="analysis">
            <div class="builder">
                <label>{ t(lang, "start_event") }</label>
                { select("start-event", event_opts.clone(), spec.start_event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.start_event = (!v.is_empty()).then_some(v))) }
                <label>{ t(lang, "return_event") }</label>
                { select("return-event", event_opts, spec.return_event.as_deref().unwrap_or(""), edit(&spec, |s, v| s.return_event = (!v.is_empty()).then_some(v))) }
                <label>{ t(lang, "period") }</label>
                <div class="row">
                    { select("period", granularity_options(lang, false), &json_name(&spec.period), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.period = g })) }
                    { number_input("periods", spec.period_count(), 1, 400, set_periods) }
                </div>
                <label>{ t(lang, "mode") }</label>
                { select("mode", modes, &json_name(&spec.mode), edit(&spec, |s, v| if let Some(m) = from_name(&v) { s.mode = m })) }
                <label>{ t(lang, "timezone") }</label>
                { select("timezone", zone_options(&spec.timezone), &spec.timezone.to_string(), edit(&spec, |s, v| if let Some(z) = TimeZone::parse(&v) { s.timezone = z })) }
                { run_button(lang, running(&p.last), run) }
                { status(lang, &p.last) }
            </div>
            <div class="results">
                { exports(lang, "retention", &result) }
                if let Some(r) = result.clone() { <Chart result={r} lang={lang} height={300} /> }
                { table }
            </div>
        </div>
    }
}

/// The segmentation tab.
#[function_component(SegmentationPanel)]
pub fn segmentation_panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = event_names(&p.data);
    let initial = match (&p.last, &p.linked) {
        (Some((Spec::Segmentation(s), _)), _) | (None, Some(Spec::Segmentation(s))) => s.clone(),
        _ => SegmentationSpec {
            events: names.iter().take(1).cloned().collect(),
            measure: Measure::Users,
            timezone: browser_zone(),
            ..Default::default()
        },
    };
    use_auto_run(p, Tab::Segmentation, Spec::Segmentation(initial.clone()));
    let spec = use_state(|| initial);
    let run = {
        let (spec, engine) = (spec.clone(), p.engine.clone());
        Callback::from(move |_| engine.run(Tab::Segmentation, Spec::Segmentation((*spec).clone())))
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
    let set_limit = edit(&spec, |s, v: u32| s.limit = v as usize);
    let measures = keyed(
        &[
            (Measure::Users, "users"),
            (Measure::Events, "events"),
            (Measure::EventsPerUser, "events_per_user"),
        ],
        lang,
    );
    let mut props = vec![(String::new(), t(lang, "none").to_string())];
    props.extend(
        p.data
            .overview
            .properties
            .iter()
            .map(|p| (p.name.clone(), p.name.clone())),
    );
    let result = result_of(&p.last);
    let table = match result.as_deref() {
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
    html! {
        <div class="analysis">
            <div class="builder">
                <label>{ t(lang, "choose_events") }</label>
                <div class="checks">{ for checks }</div>
                <label>{ t(lang, "measure") }</label>
                { select("measure", measures, &json_name(&spec.measure), edit(&spec, |s, v| if let Some(m) = from_name(&v) { s.measure = m })) }
                <label>{ t(lang, "interval") }</label>
                { select("interval", granularity_options(lang, true), &json_name(&spec.interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.interval = g })) }
                <label>{ t(lang, "breakdown") }</label>
                { select("breakdown", props, spec.breakdown.as_deref().unwrap_or(""), edit(&spec, |s, v| s.breakdown = (!v.is_empty()).then_some(v))) }
                if spec.breakdown.is_some() {
                    <label>{ t(lang, "top_n") }</label>
                    { number_input("limit", spec.limit as u32, 1, 1000, set_limit) }
                }
                <label>{ t(lang, "timezone") }</label>
                { select("timezone", zone_options(&spec.timezone), &spec.timezone.to_string(), edit(&spec, |s, v| if let Some(z) = TimeZone::parse(&v) { s.timezone = z })) }
                { run_button(lang, running(&p.last), run) }
                { status(lang, &p.last) }
            </div>
            <div class="results">
                { exports(lang, "segmentation", &result) }
                if let Some(r) = result.clone() { <Chart result={r} lang={lang} /> }
                { table }
            </div>
        </div>
    }
}
