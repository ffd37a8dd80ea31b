//! The sessions tab: which events are page views (any event with a page, or one event),
//! the page property (preselected from the data's names), sessions from a session-id
//! property or an inactivity timeout, the over-time interval, what the chart shows and how
//! many pages are listed, and a breakdown; below the chart the totals, the totals per
//! breakdown value, the per-page table and the over-time table.

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, event_set, from_name, with_name, granularity_options, json_name, keyed, number_input, select, BreakdownPicker,
};
use super::{count, duration, pct};
use crate::engine::analysis::sessions::{
    suggest_page, suggest_session, SessionsResult, SessionsSpec, SessionsView, MAX_TIMEOUT_MINUTES,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::Breakdown;
use yew::prelude::*;

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), pct)
}

fn secs(lang: Lang, v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |x| duration(lang, x))
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |x| format!("{x:.2}"))
}

/// The sessions tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let spec = use_spec(p, || {
        let names: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
        SessionsSpec {
            page: suggest_page(&names).unwrap_or("page").to_owned(),
            session: suggest_session(&names).map(str::to_owned),
            ..Default::default()
        }
    });
    let mut pages: Vec<(String, String)> = props
        .iter()
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    if !props.iter().any(|x| x.name == spec.page) {
        pages.insert(0, (spec.page.clone(), spec.page.clone()));
    }
    let mut sessions = vec![(String::new(), t(lang, "session_timeout").to_string())];
    sessions.extend(props.iter().map(|x| (x.name.clone(), x.name.clone())));
    let views = keyed(
        &[
            (SessionsView::Pages, "view_pages"),
            (SessionsView::OverTime, "view_over_time"),
        ],
        lang,
    );
    let builder = html! {
        <>
            <label for="page-event">{ t(lang, "page_events") }</label>
            { event_set("page-event", lang, &names, &spec.page_events, t(lang, "any_page_event"), edit(&spec, |s, v| s.page_events = v)) }
            <label for="page-property">{ t(lang, "page_property") }</label>
            { select("page-property", pages, &spec.page, edit(&spec, |s, v| s.page = v)) }
            <label for="session-property">{ t(lang, "session_from") }</label>
            { select("session-property", sessions, spec.session.as_deref().unwrap_or(""), edit(&spec, |s, v| s.session = (!v.is_empty()).then_some(v))) }
            if spec.session.is_none() {
                <div class="row">
                    { with_name(number_input("timeout", spec.timeout_minutes, 1, MAX_TIMEOUT_MINUTES, edit(&spec, |s, v: u32| s.timeout_minutes = v)), t(lang, "session_timeout")) }
                    <span class="muted small">{ t(lang, "timeout_minutes") }</span>
                </div>
            }
            <label for="sessions-view">{ t(lang, "sessions_view") }</label>
            { select("sessions-view", views, &json_name(&spec.view), edit(&spec, |s, v| if let Some(x) = from_name(&v) { s.view = x })) }
            <label for="interval">{ t(lang, "interval") }</label>
            { select("interval", granularity_options(lang, true), &json_name(&spec.interval), edit(&spec, |s, v| if let Some(g) = from_name(&v) { s.interval = g })) }
            <label for="page-limit">{ t(lang, "pages_shown") }</label>
            { number_input("page-limit", spec.limit as u32, 1, 1000, edit(&spec, |s, v: u32| s.limit = v as usize)) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "sessions_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Sessions(r)) => html! {
            <>
                { totals(lang, r) }
                { values_table(lang, r) }
                { pages_table(lang, r) }
                { over_time_table(lang, r) }
            </>
        },
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// The numbers over everything.
fn totals(lang: Lang, r: &SessionsResult) -> Html {
    let s = &r.totals;
    let item = |key: &str, v: String, id: &str| {
        html! {
            <span class="stat"><strong>{ t(lang, key) }{ ": " }</strong><span data-testid={id.to_string()}>{ v }</span>{ " " }</span>
        }
    };
    html! {
        <p class="stats">
            { item("web_page_views", count(s.page_views), "sessions-pv") }
            { item("web_visitors", count(s.users), "sessions-uv") }
            { item("web_sessions", count(s.sessions), "sessions-count") }
            { item("web_pages_per_session", ratio(s.pages_per_session), "sessions-pps") }
            { item("web_bounce_rate", rate(s.bounce_rate), "sessions-bounce") }
            { item("web_avg_session", secs(lang, s.average_session_seconds), "sessions-duration") }
            { item("web_time_on_page", secs(lang, s.average_time_on_page_seconds), "sessions-top") }
            if s.sessions_without_page_views > 0 {
                <span class="muted small">{ format!("{} {}", count(s.sessions_without_page_views), t(lang, "sessions_no_page_views")) }</span>
            }
        </p>
    }
}

/// The totals per breakdown value (nothing without a breakdown).
fn values_table(lang: Lang, r: &SessionsResult) -> Html {
    if r.breakdowns.is_empty() {
        return html! {};
    }
    let rows = r.breakdowns.iter().map(|b| {
        let s = &b.totals;
        html! {
            <tr>
                <td class="name">{ b.value.clone() }</td>
                <td class="num">{ count(s.page_views) }</td>
                <td class="num">{ count(s.users) }</td>
                <td class="num">{ count(s.sessions) }</td>
                <td class="num">{ ratio(s.pages_per_session) }</td>
                <td class="num">{ rate(s.bounce_rate) }</td>
                <td class="num">{ secs(lang, s.average_session_seconds) }</td>
                <td class="num">{ secs(lang, s.average_time_on_page_seconds) }</td>
            </tr>
        }
    });
    html! {
        <>
            <div class="scroll" tabindex="0">
                <table class="grid" data-testid="sessions-breakdown">
                    <thead><tr>
                        <th>{ r.breakdown.clone().unwrap_or_default() }</th>
                        <th class="num">{ t(lang, "web_page_views") }</th>
                        <th class="num">{ t(lang, "web_visitors") }</th>
                        <th class="num">{ t(lang, "web_sessions") }</th>
                        <th class="num">{ t(lang, "web_pages_per_session") }</th>
                        <th class="num">{ t(lang, "web_bounce_rate") }</th>
                        <th class="num">{ t(lang, "web_avg_session") }</th>
                        <th class="num">{ t(lang, "web_time_on_page") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <p class="muted small">{ t(lang, "sessions_breakdown_note") }</p>
        </>
    }
}

/// The per-page table.
fn pages_table(lang: Lang, r: &SessionsResult) -> Html {
    let rows = r.pages.iter().map(|p| {
        html! {
            <tr>
                <td class="name">{ p.page.clone() }</td>
                <td class="num">{ count(p.views) }</td>
                <td class="num">{ count(p.viewers) }</td>
                <td class="num">{ count(p.entries) }</td>
                <td class="num">{ count(p.exits) }</td>
                <td class="num">{ rate(p.bounce_rate) }</td>
                <td class="num">{ rate(p.exit_rate) }</td>
                <td class="num">{ secs(lang, p.average_time_on_page_seconds) }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll tall" tabindex="0">
            <p class="muted small">{ format!("{} / {} {}", r.pages.len(), r.page_count, t(lang, "web_page_count")) }</p>
            <table class="grid" data-testid="sessions-pages">
                <thead><tr>
                    <th>{ t(lang, "page") }</th>
                    <th class="num">{ t(lang, "web_page_views") }</th>
                    <th class="num">{ t(lang, "web_viewers") }</th>
                    <th class="num">{ t(lang, "web_entries") }</th>
                    <th class="num">{ t(lang, "web_exits") }</th>
                    <th class="num">{ t(lang, "web_bounce_rate") }</th>
                    <th class="num">{ t(lang, "web_exit_rate") }</th>
                    <th class="num">{ t(lang, "web_time_on_page") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// The over-time table.
fn over_time_table(lang: Lang, r: &SessionsResult) -> Html {
    let o = &r.over_time;
    let rows = o.buckets.iter().enumerate().map(|(b, label)| {
        let class = if o.incomplete[b] { "incomplete" } else { "" };
        html! {
            <tr class={class}>
                <td class="name">{ label.clone() }</td>
                <td class="num">{ count(o.page_views[b]) }</td>
                <td class="num">{ count(o.users[b]) }</td>
                <td class="num">{ count(o.sessions[b]) }</td>
                <td class="num">{ ratio(o.pages_per_session[b]) }</td>
                <td class="num">{ rate(o.bounce_rate[b]) }</td>
                <td class="num">{ secs(lang, o.average_session_seconds[b]) }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll tall" tabindex="0">
            <table class="grid" data-testid="sessions-over-time">
                <thead><tr>
                    <th>{ t(lang, "interval") }</th>
                    <th class="num">{ t(lang, "web_page_views") }</th>
                    <th class="num">{ t(lang, "web_visitors") }</th>
                    <th class="num">{ t(lang, "web_sessions") }</th>
                    <th class="num">{ t(lang, "web_pages_per_session") }</th>
                    <th class="num">{ t(lang, "web_bounce_rate") }</th>
                    <th class="num">{ t(lang, "web_avg_session") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p class="muted small">{ t(lang, "lifecycle_incomplete_note") }</p>
        </div>
    }
}
