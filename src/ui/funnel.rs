//! The funnel tab: steps (with their own filters, reordered or inserted anywhere), order,
//! window, entry and tie rules, exclusions, breakdown with attribution, vendor presets,
//! counting, and a per-user trace; below the chart the step table, the breakdown table,
//! conversion over time, the time-to-convert histogram and the trace.

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    with_name,
    edit, edit_at, event_options, from_name, granularity_options, json_name, keyed, number_input,
    select, text_input, toggle_in, BreakdownPicker, FilterEditor,
};
use super::{count, duration, pct};
use crate::engine::analysis::funnel::{
    Attribution, Counting, Entry, Exclusion, FunnelResult, FunnelSpec, FunnelStep, Order, Preset,
    RangeRule, Ties, Window, WindowUnit, MAX_STEPS,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use crate::engine::time::Granularity;
use yew::prelude::*;

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

fn default_spec(names: &[String]) -> FunnelSpec {
    FunnelSpec {
        steps: default_funnel(names)
            .iter()
            .map(|e| FunnelStep::event(e))
            .collect(),
        window: Window {
            value: 7,
            unit: WindowUnit::Day,
        },
        order: Order::Ordered,
        entry: Entry::Every,
        ties: Ties::SourceOrder,
        exclusions: Vec::new(),
        range: RangeRule::Entry,
        counting: Counting::Users,
        breakdown: None,
        attribution: Attribution::FirstTouch,
        trend_interval: Granularity::Day,
        trace_user: None,
    }
}

fn attribution_key(a: Attribution) -> String {
    match a {
        Attribution::Step(k) => format!("step_{k}"),
        other => json_name(&other),
    }
}

fn parse_attribution(v: &str) -> Option<Attribution> {
    match v.strip_prefix("step_") {
        Some(k) => k.parse().ok().map(Attribution::Step),
        None => from_name(v),
    }
}

/// The funnel tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let spec = use_spec(p, || default_spec(&names));
    let open_filters = use_state(Vec::<usize>::new);
    let hist_step = use_state(|| 0usize);
    // the step being dragged (steps reorder by drag and drop, or by the arrow buttons)
    let dragging = use_state(|| None::<usize>);
    let props = p.data.overview.properties.clone();
    let n = spec.steps.len();

    // --- steps
    let step_rows = spec.steps.iter().enumerate().map(|(i, s)| {
        let toggle_filters = toggle_in(&open_filters, i);
        let on_filters = edit_at(&spec, i, |s, i, g: FilterGroup| s.steps[i].filters = g);
        let show_filters = !s.filters.is_empty() || open_filters.contains(&i);
        let label = format!("{} {}", t(lang, "step"), i + 1);
        let ondragstart = {
            let dragging = dragging.clone();
            Callback::from(move |e: DragEvent| {
                if let Some(dt) = e.data_transfer() {
                    let _ = dt.set_data("text/plain", &i.to_string());
                    dt.set_effect_allowed("move");
                }
                dragging.set(Some(i));
            })
        };
        let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
        let ondrop = {
            let (dragging, spec) = (dragging.clone(), spec.clone());
            Callback::from(move |e: DragEvent| {
                e.prevent_default();
                if let Some(from) = (*dragging).filter(|&f| f != i) {
                    let mut s = spec.latest();
                    let step = s.steps.remove(from);
                    s.steps.insert(i, step);
                    spec.set(s);
                }
                dragging.set(None);
            })
        };
        let ondragend = {
            let dragging = dragging.clone();
            Callback::from(move |_: DragEvent| dragging.set(None))
        };
        let class = if *dragging == Some(i) { "step dragging" } else { "step" };
        html! {
            <div class="step-block" key={i}>
                <div class={class} draggable="true" data-testid={format!("step-row-{i}")} {ondragstart} {ondragover} {ondrop} {ondragend}>
                    <span class="drag-handle" aria-hidden="true" title={t(lang, "drag_to_reorder")}>{"⠿"}</span>
                    <span class="step-n">{ i + 1 }</span>
                    { with_name(select(&format!("step-{i}"), event_options(lang, &names, true), s.event.as_deref().unwrap_or(""), edit_at(&spec, i, |s, i, v: String| s.steps[i].event = (!v.is_empty()).then_some(v))), label.clone()) }
                    <button class={if show_filters { "icon on" } else { "icon" }} title={t(lang, "step_filters")} aria-label={format!("{label}: {}", t(lang, "step_filters"))} data-testid={format!("step-{i}-filters")} onclick={toggle_filters}>{"⚲"}</button>
                    <button class="icon" disabled={i == 0} title={t(lang, "move_up")} aria-label={format!("{label}: {}", t(lang, "move_up"))} onclick={edit_at(&spec, i, |s, i, _: MouseEvent| s.steps.swap(i - 1, i))}>{"↑"}</button>
                    <button class="icon" disabled={i + 1 == n} title={t(lang, "move_down")} aria-label={format!("{label}: {}", t(lang, "move_down"))} onclick={edit_at(&spec, i, |s, i, _: MouseEvent| s.steps.swap(i, i + 1))}>{"↓"}</button>
                    if n < MAX_STEPS {
                        <button class="icon" title={t(lang, "insert_step")} aria-label={format!("{label}: {}", t(lang, "insert_step"))} data-testid={format!("insert-{i}")} onclick={edit_at(&spec, i, |s, i, _: MouseEvent| { let e = s.steps[i].clone(); s.steps.insert(i + 1, FunnelStep { filters: FilterGroup::default(), ..e }); })}>{"+"}</button>
                    }
                    if n > 2 {
                        <button class="icon" title={t(lang, "remove")} aria-label={format!("{label}: {}", t(lang, "remove"))} onclick={edit_at(&spec, i, |s, i, _: MouseEvent| { s.steps.remove(i); })}>{"×"}</button>
                    }
                </div>
                if show_filters {
                    <FilterEditor lang={lang} props={props.clone()} group={s.filters.clone()} on_change={on_filters} id={format!("step-{i}-filter")} />
                }
            </div>
        }
    });
    let add = {
        let (spec, first) = (spec.clone(), names.first().cloned().unwrap_or_default());
        Callback::from(move |_| {
            let mut s = spec.latest();
            if s.steps.len() < MAX_STEPS {
                s.steps.push(FunnelStep::event(&first));
            }
            spec.set(s);
        })
    };

    // --- exclusions
    let step_numbers: Vec<(String, String)> = (1..=n)
        .map(|k| (k.to_string(), format!("{} {k}", t(lang, "step"))))
        .collect();
    let excl_rows = spec.exclusions.iter().enumerate().map(|(j, x)| {
        let remove = edit_at(&spec, j, |s, j, _: MouseEvent| {
            s.exclusions.remove(j);
        });
        let to = x.to_step.unwrap_or(n).to_string();
        html! {
            <div class="exclusion" key={j}>
                { with_name(select(&format!("exclusion-{j}"), event_options(lang, &names, false), &x.event, edit_at(&spec, j, |s, j, v| s.exclusions[j].event = v)), t(lang, "exclusions")) }
                <div class="row">
                    { with_name(select(&format!("exclusion-{j}-from"), step_numbers.clone(), &x.from_step.to_string(), edit_at(&spec, j, |s, j, v: String| s.exclusions[j].from_step = v.parse().unwrap_or(1))), t(lang, "exclusion_from")) }
                    <span class="muted">{"→"}</span>
                    { with_name(select(&format!("exclusion-{j}-to"), step_numbers.clone(), &to, edit_at(&spec, j, |s, j, v: String| s.exclusions[j].to_step = v.parse().ok())), t(lang, "exclusion_to")) }
                    <button class="icon" title={t(lang, "remove")} aria-label={t(lang, "remove")} onclick={remove}>{"×"}</button>
                </div>
            </div>
        }
    });
    let add_exclusion = {
        let (spec, first) = (spec.clone(), names.first().cloned().unwrap_or_default());
        Callback::from(move |_| {
            let mut s = spec.latest();
            s.exclusions.push(Exclusion {
                event: first.clone(),
                filters: FilterGroup::default(),
                from_step: 1,
                to_step: None,
            });
            spec.set(s);
        })
    };

    // --- options
    let presets = vec![
        (String::new(), t(lang, "preset_custom").to_string()),
        (json_name(&Preset::Posthog), "PostHog".to_string()),
        (json_name(&Preset::Mixpanel), "Mixpanel".to_string()),
        (json_name(&Preset::Amplitude), "Amplitude".to_string()),
    ];
    let preset = Preset::of(&spec).map(|p| json_name(&p)).unwrap_or_default();
    let set_preset = edit(&spec, |s, v: String| {
        if let Some(p) = from_name::<Preset>(&v) {
            p.apply(s);
        }
    });
    let units = keyed(
        &[
            (WindowUnit::Second, "second"),
            (WindowUnit::Minute, "minute"),
            (WindowUnit::Hour, "hour"),
            (WindowUnit::Day, "day"),
            (WindowUnit::Week, "week"),
            (WindowUnit::Month, "month"),
        ],
        lang,
    );
    let orders = keyed(
        &[
            (Order::Ordered, "order_ordered"),
            (Order::Strict, "order_strict"),
            (Order::Any, "order_any"),
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
            (Ties::StepOrder, "ties_step_order"),
        ],
        lang,
    );
    let ranges = keyed(
        &[
            (RangeRule::Entry, "range_rule_entry"),
            (RangeRule::AllSteps, "range_rule_all_steps"),
        ],
        lang,
    );
    let countings = keyed(
        &[
            (Counting::Users, "counting_users"),
            (Counting::Totals, "counting_totals"),
        ],
        lang,
    );
    let mut attributions = vec![
        (
            attribution_key(Attribution::FirstTouch),
            t(lang, "attr_first_touch").to_string(),
        ),
        (
            attribution_key(Attribution::LastTouch),
            t(lang, "attr_last_touch").to_string(),
        ),
        (
            attribution_key(Attribution::AllEvents),
            t(lang, "attr_all_events").to_string(),
        ),
    ];
    attributions.extend((1..=n).map(|k| {
        (
            attribution_key(Attribution::Step(k)),
            format!("{} {k}", t(lang, "step")),
        )
    }));
    let intervals = granularity_options(lang, false);
    let on_breakdown = edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b);

    let builder = html! {
        <>
            <label for="preset">{ t(lang, "preset") }</label>
            { select("preset", presets, &preset, set_preset) }
            <label>{ t(lang, "steps") }</label>
            <div class="steps">{ for step_rows }</div>
            if n < MAX_STEPS { <button class="secondary small" onclick={add} data-testid="add-step">{"+ "}{ t(lang, "add_step") }</button> }
            <label for="order">{ t(lang, "order") }</label>
            { select("order", orders, &json_name(&spec.order), edit(&spec, |s, v| if let Some(o) = from_name(&v) { s.order = o })) }
            <label for="window-value">{ t(lang, "window") }</label>
            <div class="row">
                { number_input("window-value", spec.window.value, 1, 100_000, edit(&spec, |s, v: u32| s.window.value = v)) }
                <label class="sr-only" for="window-unit">{ t(lang, "window") }</label>
                { select("window-unit", units, &json_name(&spec.window.unit), edit(&spec, |s, v| if let Some(u) = from_name(&v) { s.window.unit = u })) }
            </div>
            <label>{ t(lang, "exclusions") }</label>
            <div class="exclusions">{ for excl_rows }</div>
            <button class="secondary small" onclick={add_exclusion} data-testid="add-exclusion">{"+ "}{ t(lang, "add_exclusion") }</button>
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={on_breakdown} />
            if spec.breakdown.is_some() {
                <label for="attribution">{ t(lang, "attribution") }</label>
                { select("attribution", attributions, &attribution_key(spec.attribution), edit(&spec, |s, v| if let Some(a) = parse_attribution(&v) { s.attribution = a })) }
            }
            <details class="more">
                <summary>{ t(lang, "more_options") }</summary>
                <div class="more-body">
                <label for="entry">{ t(lang, "entry") }</label>
                { select("entry", entries, &json_name(&spec.entry), edit(&spec, |s, v| if let Some(e) = from_name(&v) { s.entry = e })) }
                <label for="ties">{ t(lang, "ties") }</label>
                { select("ties", ties, &json_name(&spec.ties), edit(&spec, |s, v| if let Some(e) = from_name(&v) { s.ties = e })) }
                <label for="range-rule">{ t(lang, "range_rule") }</label>
                { select("range-rule", ranges, &json_name(&spec.range), edit(&spec, |s, v| if let Some(e) = from_name(&v) { s.range = e })) }
                <label for="counting">{ t(lang, "counting") }</label>
                { select("counting", countings, &json_name(&spec.counting), edit(&spec, |s, v| if let Some(e) = from_name(&v) { s.counting = e })) }
                <label for="trend-interval">{ t(lang, "trend_interval") }</label>
                { select("trend-interval", intervals, &json_name(&spec.trend_interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.trend_interval = g })) }
                <label for="trace-user">{ t(lang, "trace_user") }</label>
                { text_input("trace-user", spec.trace_user.as_deref().unwrap_or(""), t(lang, "user_id"), edit(&spec, |s, v: String| s.trace_user = (!v.trim().is_empty()).then(|| v.trim().to_string()))) }
                </div>
            </details>
        </>
    };

    let body = match p.result().as_deref() {
        Some(AnalysisResult::Funnel(r)) => {
            let pick = {
                let h = hist_step.clone();
                Callback::from(move |v: String| h.set(v.parse().unwrap_or(0)))
            };
            html! {
                <>
                    { steps_table(lang, r) }
                    if r.excluded > 0 {
                        <p class="muted small" data-testid="excluded">{ format!("{} {}", count(r.excluded), t(lang, "excluded_note")) }</p>
                    }
                    { breakdown_table(lang, r) }
                    { histogram(lang, r, *hist_step, pick) }
                    { over_time(lang, r) }
                    { trace(lang, r) }
                </>
            }
        }
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

fn step_cells(lang: Lang, s: &crate::engine::analysis::funnel::FunnelStepResult, k: usize) -> Html {
    html! {
        <>
            <td class="num">{ pct(s.conversion) }</td>
            <td class="num">{ if k == 0 { "-".to_string() } else { pct(s.step_conversion) } }</td>
            <td class="num">{ if k == 0 { "-".to_string() } else { count(s.dropped) } }</td>
            <td class="num">{ s.median_seconds.map(|v| duration(lang, v)).unwrap_or_else(|| "-".into()) }</td>
        </>
    }
}

fn steps_table(lang: Lang, r: &FunnelResult) -> Html {
    let who = if r.counting == Counting::Totals {
        "attempts"
    } else {
        "users"
    };
    let rows = r.steps.iter().enumerate().map(|(k, s)| {
        html! {
            <tr>
                <td class="num">{ k + 1 }</td>
                <td class="name">{ s.event.clone() }</td>
                <td class="num" data-testid={format!("funnel-users-{k}")}>{ count(s.users) }</td>
                <td class="num" data-testid={format!("funnel-conv-{k}")}>{ pct(s.conversion) }</td>
                <td class="num">{ if k == 0 { "-".to_string() } else { pct(s.step_conversion) } }</td>
                <td class="num">{ if k == 0 { "-".to_string() } else { count(s.dropped) } }</td>
                <td class="num">{ s.median_seconds.map(|v| duration(lang, v)).unwrap_or_else(|| "-".into()) }</td>
            </tr>
        }
    });
    html! {
        <table class="grid" data-testid="funnel-table">
            <thead><tr><th class="num">{"#"}</th><th>{ t(lang, "event") }</th><th class="num">{ t(lang, who) }</th>
            <th class="num">{ t(lang, "conversion") }</th><th class="num">{ t(lang, "step_conversion") }</th>
            <th class="num">{ t(lang, "dropped") }</th><th class="num">{ t(lang, "median_time") }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn breakdown_table(lang: Lang, r: &FunnelResult) -> Html {
    if r.breakdowns.is_empty() {
        return html! {};
    }
    let rows = r.breakdowns.iter().flat_map(|b| {
        b.steps.iter().enumerate().map(move |(k, s)| {
            html! {
                <tr>
                    <td class="name">{ if k == 0 { b.value.clone() } else { String::new() } }</td>
                    <td class="num">{ k + 1 }</td>
                    <td class="name">{ s.event.clone() }</td>
                    <td class="num">{ count(s.users) }</td>
                    { step_cells(lang, s, k) }
                </tr>
            }
        })
    });
    html! {
        <>
            <h3>{ t(lang, "breakdown") }{": "}{ r.breakdown.clone().unwrap_or_default() }</h3>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="funnel-breakdown-table">
                    <thead><tr><th>{ t(lang, "value") }</th><th class="num">{"#"}</th><th>{ t(lang, "event") }</th><th class="num">{ t(lang, "users") }</th>
                    <th class="num">{ t(lang, "conversion") }</th><th class="num">{ t(lang, "step_conversion") }</th>
                    <th class="num">{ t(lang, "dropped") }</th><th class="num">{ t(lang, "median_time") }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </>
    }
}

fn histogram(lang: Lang, r: &FunnelResult, chosen: usize, pick: Callback<String>) -> Html {
    let n = r.steps.len();
    let k = if (1..n).contains(&chosen) {
        chosen
    } else {
        n - 1
    };
    let bins = &r.steps[k].histogram;
    let options: Vec<(String, String)> = (1..n)
        .map(|k| {
            (
                k.to_string(),
                format!("{} {k} → {}", t(lang, "step"), k + 1),
            )
        })
        .collect();
    let max = bins.iter().map(|b| b.users).max().unwrap_or(0).max(1);
    let rows = bins.iter().map(|b| {
        let w = b.users as f64 * 100.0 / max as f64;
        html! {
            <tr>
                <td class="name">{ format!("{} – {}", duration(lang, b.from), duration(lang, b.to)) }</td>
                <td class="num">{ count(b.users) }</td>
                <td class="barcell"><div class="hbar" style={format!("width: {w:.1}%")}></div></td>
            </tr>
        }
    });
    html! {
        <>
            <h3>{ t(lang, "time_to_convert") }</h3>
            { with_name(select("histogram-step", options, &k.to_string(), pick), t(lang, "time_to_convert")) }
            <table class="grid" data-testid="funnel-histogram">
                <thead><tr><th>{ t(lang, "time") }</th><th class="num">{ t(lang, "users") }</th><th></th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </>
    }
}

fn over_time(lang: Lang, r: &FunnelResult) -> Html {
    if r.over_time.is_empty() {
        return html! {};
    }
    let rows = r.over_time.iter().map(|p| {
        html! {
            <tr><td class="name">{ p.label.clone() }</td><td class="num">{ count(p.entered) }</td><td class="num">{ count(p.converted) }</td><td class="num">{ pct(p.rate) }</td></tr>
        }
    });
    html! {
        <>
            <h3>{ t(lang, "conversion_over_time") }</h3>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="funnel-over-time">
                    <thead><tr><th>{ t(lang, "entry_interval") }</th><th class="num">{ t(lang, "entered") }</th><th class="num">{ t(lang, "converted") }</th><th class="num">{ t(lang, "conversion") }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </>
    }
}

fn trace(lang: Lang, r: &FunnelResult) -> Html {
    let Some(tr) = &r.trace else {
        return html! {};
    };
    let rows = tr.events.iter().map(|e| {
        let steps = e.steps.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ");
        let excl = if e.exclusions.is_empty() { String::new() } else { t(lang, "exclusion").to_string() };
        html! {
            <tr><td class="name">{ e.time.clone() }</td><td class="name">{ e.event.clone() }</td><td class="num">{ steps }</td><td>{ excl }</td><td>{ if e.in_range { "" } else { t(lang, "outside_range") } }</td></tr>
        }
    });
    html! {
        <div class="trace" data-testid="trace">
            <h3>{ t(lang, "trace") }{": "}{ tr.user.clone() }</h3>
            <p data-testid="trace-outcome"><b>{ outcome(lang, &tr.outcome) }</b>{" · "}<span class="muted small">{ tr.reason.clone() }</span></p>
            <div class="scroll tall" tabindex="0">
                <table class="grid">
                    <thead><tr><th>{ t(lang, "time") }</th><th>{ t(lang, "event") }</th><th class="num">{ t(lang, "steps") }</th><th></th><th></th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </div>
    }
}

fn outcome(lang: Lang, o: &str) -> &'static str {
    match o {
        "converted" => t(lang, "outcome_converted"),
        "dropped" => t(lang, "outcome_dropped"),
        "excluded" => t(lang, "outcome_excluded"),
        "not_found" => t(lang, "outcome_not_found"),
        _ => t(lang, "outcome_not_entered"),
    }
}
