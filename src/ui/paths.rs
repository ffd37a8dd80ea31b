//! The paths tab (路径分析): paths from each unit's first event, after a start event or
//! before an end event; the steps, nodes per step, repeats collapsed or not, the label
//! property, one path per session (a session-id property or an inactivity timeout) or per
//! user, which events take part, what the table shows and how many top paths are listed;
//! below the Sankey the totals, the nodes, the links and the top paths; with a breakdown
//! (each path under its user's own value) the top paths per value after a leading value
//! column.

use super::count;
use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, from_name, json_name, keyed, number_input, select, with_name, BreakdownPicker,
};
use crate::engine::analysis::paths::{
    Direction, PathBoundary, PathsResult, PathsSpec, PathsView, MAX_LIMIT, MAX_STEPS, MAX_TOP,
    MIN_STEPS,
};
use crate::engine::analysis::sessions::{suggest_session, MAX_TIMEOUT_MINUTES};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::Breakdown;
use yew::prelude::*;

/// Share as a percentage with one decimal.
fn share(a: u64, b: u64) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.1}%", a as f64 / b as f64 * 100.0)
    }
}

/// The paths tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = use_spec(p, || {
        let names: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
        PathsSpec {
            session: suggest_session(&names).map(str::to_owned),
            ..Default::default()
        }
    });
    let mode = match (&spec.start_event, &spec.end_event) {
        (Some(_), _) => "start",
        (_, Some(_)) => "end",
        _ => "first",
    };
    let modes = vec![
        ("first".to_string(), t(lang, "paths_from_first").to_string()),
        (
            "start".to_string(),
            t(lang, "paths_start_event").to_string(),
        ),
        ("end".to_string(), t(lang, "paths_end_event").to_string()),
    ];
    let first_name = names.first().cloned().unwrap_or_default();
    let set_mode = {
        let spec = spec.clone();
        Callback::from(move |v: String| {
            let mut s = spec.latest();
            let event = s
                .start_event
                .take()
                .or(s.end_event.take())
                .unwrap_or_else(|| first_name.clone());
            match v.as_str() {
                "start" => s.start_event = Some(event),
                "end" => s.end_event = Some(event),
                _ => {}
            }
            spec.set(s);
        })
    };
    let anchor = spec
        .start_event
        .clone()
        .or(spec.end_event.clone())
        .unwrap_or_default();
    let events: Vec<(String, String)> = names.iter().map(|n| (n.clone(), n.clone())).collect();
    let mut labels = vec![(String::new(), t(lang, "paths_event_only").to_string())];
    labels.extend(props.iter().map(|x| (x.name.clone(), x.name.clone())));
    let mut sessions = vec![(String::new(), t(lang, "session_timeout").to_string())];
    sessions.extend(props.iter().map(|x| (x.name.clone(), x.name.clone())));
    let boundaries = keyed(
        &[
            (PathBoundary::Session, "paths_per_session"),
            (PathBoundary::User, "paths_per_user"),
        ],
        lang,
    );
    let views = keyed(
        &[
            (PathsView::Nodes, "paths_view_nodes"),
            (PathsView::Links, "paths_view_links"),
            (PathsView::TopPaths, "paths_view_top"),
        ],
        lang,
    );
    let event_checks = names.iter().map(|n| {
        let on = {
            let spec = spec.clone();
            let n = n.clone();
            Callback::from(move |_: Event| {
                let mut s = spec.latest();
                match s.events.iter().position(|e| *e == n) {
                    Some(k) => {
                        s.events.remove(k);
                    }
                    None => s.events.push(n.clone()),
                }
                spec.set(s);
            })
        };
        html! {
            <label class="check"><input type="checkbox" checked={spec.events.contains(n)} onchange={on} data-testid={format!("paths-event-{n}")} />{ n.clone() }</label>
        }
    });
    let toggle_collapse = edit(&spec, |s, _: Event| {
        s.collapse_repeats = !s.collapse_repeats
    });
    let builder = html! {
        <>
            <label for="paths-mode">{ t(lang, "paths_anchor") }</label>
            { select("paths-mode", modes, mode, set_mode) }
            if mode != "first" {
                <label for="paths-event">{ t(lang, "event") }</label>
                { select("paths-event", events, &anchor, edit(&spec, |s, v: String| if s.end_event.is_some() { s.end_event = Some(v) } else { s.start_event = Some(v) })) }
            }
            <label for="paths-steps">{ t(lang, "paths_steps") }</label>
            { number_input("paths-steps", spec.steps as u32, MIN_STEPS as u32, MAX_STEPS as u32, edit(&spec, |s, v: u32| s.steps = v as usize)) }
            <label for="paths-top">{ t(lang, "paths_top") }</label>
            { number_input("paths-top", spec.top as u32, 1, MAX_TOP as u32, edit(&spec, |s, v: u32| s.top = v as usize)) }
            <label class="check"><input type="checkbox" checked={spec.collapse_repeats} onchange={toggle_collapse} data-testid="paths-collapse" />{ t(lang, "paths_collapse") }</label>
            <label for="paths-property">{ t(lang, "paths_label") }</label>
            { select("paths-property", labels, spec.property.as_deref().unwrap_or(""), edit(&spec, |s, v: String| s.property = (!v.is_empty()).then_some(v))) }
            <label for="paths-boundary">{ t(lang, "paths_boundary") }</label>
            { select("paths-boundary", boundaries, &json_name(&spec.boundary), edit(&spec, |s, v| if let Some(b) = from_name(&v) { s.boundary = b; if b == PathBoundary::User { s.session = None; } })) }
            if spec.boundary == PathBoundary::Session {
                <label for="session-property">{ t(lang, "session_from") }</label>
                { select("session-property", sessions, spec.session.as_deref().unwrap_or(""), edit(&spec, |s, v| s.session = (!v.is_empty()).then_some(v))) }
                if spec.session.is_none() {
                    <div class="row">
                        { with_name(number_input("timeout", spec.timeout_minutes, 1, MAX_TIMEOUT_MINUTES, edit(&spec, |s, v: u32| s.timeout_minutes = v)), t(lang, "session_timeout")) }
                        <span class="muted small">{ t(lang, "timeout_minutes") }</span>
                    </div>
                }
            }
            <details>
                <summary>{ format!("{} ({})", t(lang, "paths_events"), if spec.events.is_empty() { t(lang, "paths_all_events").to_string() } else { spec.events.len().to_string() }) }</summary>
                <div class="scroll" tabindex="0">{ for event_checks }</div>
            </details>
            <label for="paths-view">{ t(lang, "paths_view") }</label>
            { select("paths-view", views, &json_name(&spec.view), edit(&spec, |s, v| if let Some(x) = from_name(&v) { s.view = x })) }
            <label for="paths-limit">{ t(lang, "paths_limit") }</label>
            { number_input("paths-limit", spec.limit as u32, 1, MAX_LIMIT as u32, edit(&spec, |s, v: u32| s.limit = v as usize)) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "paths_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Paths(r)) => html! {
            <>
                <p class="stats">
                    <span class="stat"><strong>{ t(lang, "paths_paths") }{ ": " }</strong><span data-testid="paths-count">{ count(r.paths) }</span>{ " " }</span>
                    <span class="stat"><strong>{ t(lang, "users") }{ ": " }</strong><span data-testid="paths-users">{ count(r.users) }</span>{ " " }</span>
                    <span class="stat"><strong>{ t(lang, "paths_distinct") }{ ": " }</strong><span>{ count(r.distinct_paths) }</span></span>
                </p>
                { match r.view {
                    PathsView::Nodes => nodes_table(lang, r),
                    PathsView::Links => links_table(lang, r),
                    PathsView::TopPaths => top_table(lang, r),
                } }
                { breakdown_table(lang, r) }
            </>
        },
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// The drop-off word of the direction (流失, or the path's start before an end event).
fn drop_word(lang: Lang, r: &PathsResult) -> &'static str {
    match r.direction {
        Direction::After => t(lang, "paths_drop_off"),
        Direction::Before => t(lang, "paths_path_start"),
    }
}

/// One row per node.
fn nodes_table(lang: Lang, r: &PathsResult) -> Html {
    let rows = r.nodes.iter().map(|x| {
        let last = x.step == r.steps;
        let label = if x.other { t(lang, "paths_other").to_string() } else { x.label.clone() };
        html! {
            <tr>
                <td class="num">{ x.step }</td>
                <td class="name">{ label }</td>
                <td class="num">{ count(x.paths) }</td>
                <td class="num">{ count(x.users) }</td>
                <td class="num">{ share(x.paths, r.paths) }</td>
                <td class="num">{ if last { "–".to_string() } else { count(x.drop_off) } }</td>
                <td class="num">{ if last { "–".to_string() } else { share(x.drop_off, x.paths) } }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll tall" tabindex="0">
            <table class="grid" data-testid="paths-nodes">
                <thead><tr>
                    <th class="num">{ t(lang, "step") }</th>
                    <th>{ t(lang, "paths_node") }</th>
                    <th class="num">{ t(lang, "paths_paths") }</th>
                    <th class="num">{ t(lang, "users") }</th>
                    <th class="num">{ t(lang, "paths_share") }</th>
                    <th class="num">{ drop_word(lang, r) }</th>
                    <th class="num">{ format!("{} %", drop_word(lang, r)) }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// One row per link.
fn links_table(lang: Lang, r: &PathsResult) -> Html {
    let name = |i: usize| {
        let x = &r.nodes[i];
        if x.other {
            t(lang, "paths_other").to_string()
        } else {
            x.label.clone()
        }
    };
    let rows = r.links.iter().map(|l| {
        let a = &r.nodes[l.from];
        html! {
            <tr>
                <td class="num">{ a.step }</td>
                <td class="name">{ name(l.from) }</td>
                <td class="name">{ name(l.to) }</td>
                <td class="num">{ count(l.paths) }</td>
                <td class="num">{ share(l.paths, a.paths) }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll tall" tabindex="0">
            <table class="grid" data-testid="paths-links">
                <thead><tr>
                    <th class="num">{ t(lang, "step") }</th>
                    <th>{ t(lang, "paths_from") }</th>
                    <th>{ t(lang, "paths_to") }</th>
                    <th class="num">{ t(lang, "paths_paths") }</th>
                    <th class="num">{ t(lang, "paths_share_of_from") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// The top paths per breakdown value, after a leading value column.
fn breakdown_table(lang: Lang, r: &PathsResult) -> Html {
    let Some(by) = &r.breakdown else {
        return html! {};
    };
    let rows = r.breakdowns.iter().flat_map(|b| {
        b.top_paths.iter().enumerate().map(move |(k, p)| {
            html! {
                <tr>
                    <td class="name">{ b.value.clone() }</td>
                    <td class="num">{ k + 1 }</td>
                    <td class="name">{ p.labels.join(" → ") }</td>
                    <td class="num">{ p.labels.len() }</td>
                    <td class="num">{ count(p.paths) }</td>
                    <td class="num">{ format!("{:.1}%", p.share * 100.0) }</td>
                </tr>
            }
        })
    });
    html! {
        <>
            <h3>{ t(lang, "breakdown") }{": "}{ by.clone() }</h3>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="paths-breakdown">
                    <thead><tr>
                        <th>{ by.clone() }</th>
                        <th class="num">{ "#" }</th>
                        <th>{ t(lang, "paths_path") }</th>
                        <th class="num">{ t(lang, "paths_steps") }</th>
                        <th class="num">{ t(lang, "paths_paths") }</th>
                        <th class="num">{ t(lang, "paths_share") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </>
    }
}

/// One row per top path.
fn top_table(lang: Lang, r: &PathsResult) -> Html {
    let rows = r.top_paths.iter().enumerate().map(|(k, p)| {
        html! {
            <tr>
                <td class="num">{ k + 1 }</td>
                <td class="name">{ p.labels.join(" → ") }</td>
                <td class="num">{ p.labels.len() }</td>
                <td class="num">{ count(p.paths) }</td>
                <td class="num">{ format!("{:.1}%", p.share * 100.0) }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll tall" tabindex="0">
            <table class="grid" data-testid="paths-top">
                <thead><tr>
                    <th class="num">{ "#" }</th>
                    <th>{ t(lang, "paths_path") }</th>
                    <th class="num">{ t(lang, "paths_steps") }</th>
                    <th class="num">{ t(lang, "paths_paths") }</th>
                    <th class="num">{ t(lang, "paths_share") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
