//! The overview tab: what was loaded, what was rejected and why.

use super::canvas::{Chart, Picture};
use super::i18n::{t, Lang};
use super::{bytes, count, pct};
use crate::engine::time::days_from_civil;
use crate::protocol::LoadedReply;
use std::rc::Rc;
use yew::prelude::*;

/// Rows shown in a table before the rest is summarised (keeps the page responsive with
/// messy exports that have many thousands of event names).
const MAX_ROWS: usize = 500;

/// Props of [`OverviewPanel`].
#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    /// UI language.
    pub lang: Lang,
    /// The loaded dataset.
    pub data: Rc<LoadedReply>,
    /// Engine handle (the mapping step).
    pub engine: super::Engine,
}

/// The translation key of each reject reason code (the engine's `RejectReason`, snake_case).
pub const REJECT_REASON_KEYS: [(&str, &str); 8] = [
    ("missing_user", "reason_missing_user"),
    ("missing_event", "reason_missing_event"),
    ("missing_time", "reason_missing_time"),
    ("bad_time", "reason_bad_time"),
    ("field_count", "reason_field_count"),
    ("encoding", "reason_encoding"),
    ("bad_json", "reason_bad_json"),
    ("not_an_object", "reason_not_an_object"),
];

/// The translation key of each set-aside reason code (the engine's `SetAsideReason`).
pub const SET_ASIDE_REASON_KEYS: [(&str, &str); 3] = [
    ("profile_row", "aside_profile_row"),
    ("item_row", "aside_item_row"),
    ("not_an_event", "aside_not_an_event"),
];

/// A reject reason in `lang`; `fallback` (the engine's English text) for an unknown code.
fn reason_text(lang: Lang, code: &str, fallback: &str) -> String {
    REJECT_REASON_KEYS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| fallback.to_string(), |(_, k)| t(lang, k).to_string())
}

/// How the file was read: format, container, files in an archive, vendor shape, encoding.
fn read_as(lang: Lang, o: &crate::engine::overview::Overview) -> String {
    let mut parts = vec![o.format.clone()];
    if !o.container.is_empty() {
        parts.push(o.container.clone());
    }
    if o.entries > 0 {
        parts.push(format!("{} {}", count(o.entries), t(lang, "zip_entries")));
    }
    if let Some(shape) = &o.shape {
        parts.push(shape.clone());
    }
    if !o.encoding.is_empty() {
        let how = match o.encoding_source.as_str() {
            "option" => t(lang, "encoding_option"),
            "bom" => t(lang, "encoding_bom"),
            _ => t(lang, "encoding_detected"),
        };
        parts.push(format!("{} {} ({how})", t(lang, "encoding"), o.encoding));
    }
    format!("{}: {}", t(lang, "read_as"), parts.join(" · "))
}

fn card(label: &str, value: String, testid: &'static str) -> Html {
    html! { <div class="card"><div class="card-label">{ label.to_string() }</div><div class="card-value" data-testid={testid}>{ value }</div></div> }
}

/// Shows the overview of the loaded dataset.
#[function_component(OverviewPanel)]
pub fn overview_panel(p: &OverviewProps) -> Html {
    let lang = p.lang;
    let o = &p.data.overview;
    let span = match (&o.first_event, &o.last_event) {
        (Some(a), Some(b)) => format!("{} → {}", &a[..10.min(a.len())], &b[..10.min(b.len())]),
        _ => "-".into(),
    };
    let max_events = o.event_names.first().map_or(1, |e| e.events.max(1));
    let events = o.event_names.iter().take(MAX_ROWS).map(|e| {
        let w = format!("width: {:.1}%", e.events as f64 / max_events as f64 * 100.0);
        html! {
            <tr key={e.name.clone()}>
                <td class="name" title={e.name.clone()}>{ e.name.clone() }</td>
                <td class="num">{ count(e.events) }</td>
                <td class="num">{ count(e.users) }</td>
                <td class="barcell"><div class="hbar" style={w}></div></td>
            </tr>
        }
    });
    let props = o.properties.iter().map(|pr| {
        let top: Vec<String> = pr
            .top
            .iter()
            .map(|(v, n)| format!("{v} ({})", count(*n)))
            .collect();
        let range = match (pr.min, pr.max) {
            (Some(a), Some(b)) => format!(" [{a} … {b}]"),
            _ => String::new(),
        };
        let empty = 1.0 - pr.non_null as f64 / o.events.max(1) as f64;
        let top = top.join(", ");
        html! {
            <tr key={pr.name.clone()}>
                <td class="name" title={pr.name.clone()}>{ pr.name.clone() }</td>
                <td>{ pr.kind.clone() }{ range }{ if pr.per_user { format!(" · {}", t(lang, "user_property")) } else { String::new() } }</td>
                <td class="num">{ count(pr.distinct) }</td>
                <td class="num" data-testid="empty-share">{ pct(empty) }</td>
                <td class="small top-values" title={top.clone()}>{ top }</td>
            </tr>
        }
    });
    let reasons = o.rejected_by_reason.iter().map(|r| {
        html! {
            <li><b>{ count(r.rows) }</b>{" "}{ reason_text(lang, &r.reason, &r.description) }</li>
        }
    });
    let aside = o.set_aside_by_reason.iter().map(|r| {
        let text = SET_ASIDE_REASON_KEYS
            .iter()
            .find(|(c, _)| *c == r.reason)
            .map_or_else(|| r.description.clone(), |(_, k)| t(lang, k).to_string());
        html! { <li><b>{ count(r.rows) }</b>{" "}{ text }</li> }
    });
    let files = o.files.iter().map(|f| {
        let mut how = vec![f.format.clone()];
        how.extend(
            [&f.container, &f.encoding]
                .into_iter()
                .filter(|s| !s.is_empty())
                .cloned(),
        );
        html! {
            <tr key={f.name.clone()}>
                <td class="name" title={f.name.clone()}>{ f.name.clone() }</td>
                <td>{ how.join(" · ") }</td>
                <td class="num">{ count(f.rows_in) }</td>
                <td class="num">{ count(f.imported) }</td>
                <td class="num">{ count(f.duplicates) }</td>
                <td class="num">{ count(f.rejected) }</td>
            </tr>
        }
    });
    // several files: each sample names its file
    let named = o.reject_samples.iter().any(|s| s.file.is_some());
    let samples = o.reject_samples.iter().take(200).map(|s| html! {
        <tr>
            if named { <td>{ s.file.clone().unwrap_or_default() }</td> }
            <td class="num">{ s.line }</td><td>{ reason_text(lang, &s.reason, &s.reason) }</td><td class="small">{ s.detail.clone() }</td>
        </tr>
    });
    let download_rejects = {
        let data = p.data.clone();
        Callback::from(move |_| {
            let o = &data.overview;
            let rows =
                crate::engine::overview::rejects_table(o, |code| reason_text(lang, code, code));
            let text = crate::engine::analysis::table::spreadsheet_rows_csv(rows);
            let _ = super::download(
                "rejected-rows.csv",
                "text/csv;charset=utf-8",
                text.as_bytes(),
            );
        })
    };
    let kept_all = o.reject_samples.len() as u64 == o.rejected;
    let c = &o.columns;
    // bars from the UTC day of the first event (the overview's timestamps are UTC)
    let daily = o
        .first_event
        .as_deref()
        .and_then(|f| {
            let day = |r: std::ops::Range<usize>| f.get(r).and_then(|x| x.parse::<i64>().ok());
            Some(days_from_civil(
                day(0..4)?,
                day(5..7)? as u32,
                day(8..10)? as u32,
            ))
        })
        .filter(|_| !o.per_day.is_empty())
        .map(|first_day| Picture::Daily {
            first_day,
            counts: Rc::new(o.per_day.clone()),
        });
    let open_mapping = {
        let e = p.engine.clone();
        Callback::from(move |_| e.open_mapping())
    };
    // the note says a remembered mapping was used, until it is forgotten
    let reused = use_state(|| p.data.mapping_reused.clone());
    let forget = {
        let reused = reused.clone();
        Callback::from(move |_| {
            if let Some(k) = reused.as_ref() {
                super::mapping::forget(k);
            }
            reused.set(None)
        })
    };
    html! {
        <div class="overview">
            <div class="cards">
                { card(t(lang, "rows"), count(o.rows_in), "rows-in") }
                { card(t(lang, "imported"), count(o.imported), "imported") }
                { card(t(lang, "duplicates"), count(o.duplicates), "duplicates") }
                { card(t(lang, "rejected"), count(o.rejected), "rejected") }
                if o.set_aside > 0 { { card(t(lang, "set_aside"), count(o.set_aside), "set-aside") } }
                { card(t(lang, "users"), count(o.users), "users") }
                { card(t(lang, "time_span"), span, "span") }
                { card(t(lang, "memory"), bytes(o.store_bytes), "memory") }
            </div>
            if let Some(picture) = daily {
                <h3>{ t(lang, "events_per_day") }</h3>
                <div data-testid="per-day"><Chart picture={picture} lang={lang} height={160} /></div>
            }
            <p class="muted small" data-testid="read-as">{ read_as(lang, o) }</p>
            if !o.files.is_empty() {
                <h3>{ t(lang, "dataset_files") }{ format!(" ({})", o.files.len()) }</h3>
                <div class="scroll" tabindex="0" aria-label={t(lang, "dataset_files")}>
                    <table class="grid small" data-testid="dataset-files">
                        <thead><tr><th>{ t(lang, "file") }</th><th>{ t(lang, "format") }</th><th class="num">{ t(lang, "rows") }</th><th class="num">{ t(lang, "imported") }</th><th class="num">{ t(lang, "duplicates") }</th><th class="num">{ t(lang, "rejected") }</th></tr></thead>
                        <tbody>{ for files }</tbody>
                    </table>
                </div>
            }
            <div class="import-settings">
                if p.engine.has_file() {
                    <button class="secondary" onclick={open_mapping} data-testid="open-mapping">{ t(lang, "map_open") }</button>
                }
                if reused.is_some() {
                    <span class="note" data-testid="map-reused">
                        { t(lang, "map_reused") }{" "}
                        <button class="secondary" onclick={forget} data-testid="map-forget">{ t(lang, "map_forget") }</button>
                    </span>
                }
            </div>
            <p class="muted small">
                { t(lang, "columns") }{": "}
                { t(lang, "user_col") }{" = "}<code>{ c.user.clone() }</code>{" · "}
                { t(lang, "event") }{" = "}<code>{ c.event.clone() }</code>{" · "}
                { t(lang, "time_col") }{" = "}<code>{ c.time.clone() }</code>
            </p>
            <div class="two-col">
                <div>
                    <h3>{ t(lang, "event_names") }{ format!(" ({})", o.event_names.len()) }</h3>
                    <table class="grid" data-testid="event-table">
                        <thead><tr><th>{ t(lang, "event") }</th><th class="num">{ t(lang, "events") }</th><th class="num">{ t(lang, "users") }</th><th></th></tr></thead>
                        <tbody>{ for events }</tbody>
                        if o.event_names.len() > MAX_ROWS {
                            <tfoot><tr><td colspan="4" class="muted small">{ format!("… +{}", count((o.event_names.len() - MAX_ROWS) as u64)) }</td></tr></tfoot>
                        }
                    </table>
                </div>
                <div>
                    <h3>{ t(lang, "properties") }{ format!(" ({})", o.properties.len()) }</h3>
                    <table class="grid">
                        <thead><tr><th>{ t(lang, "property") }</th><th>{ t(lang, "type") }</th><th class="num">{ t(lang, "distinct") }</th><th class="num" title={t(lang, "empty_share_hint")}>{ t(lang, "empty_share") }</th><th>{ t(lang, "top_values") }</th></tr></thead>
                        <tbody>{ for props }</tbody>
                    </table>
                    if o.set_aside > 0 {
                        <h3>{ t(lang, "set_aside") }</h3>
                        <ul class="reasons" data-testid="set-aside-reasons">{ for aside }</ul>
                    }
                    <h3>{ t(lang, "rejects") }</h3>
                    if o.rejected == 0 {
                        <p class="ok" data-testid="no-rejects">{ t(lang, "no_rejects") }</p>
                    } else {
                        <ul class="reasons" data-testid="reject-reasons">{ for reasons }</ul>
                        <p>
                            <button class="secondary" onclick={download_rejects} data-testid="rejects-download">{ t(lang, "rejects_download") }</button>
                            if !kept_all { {" "}<span class="muted small">{ t(lang, "rejects_kept") }</span> }
                        </p>
                        <div class="scroll" tabindex="0">
                        <table class="grid small">
                            <thead><tr>
                                if named { <th>{ t(lang, "file") }</th> }
                                <th class="num">{ t(lang, "line") }</th><th>{ t(lang, "reason") }</th><th>{ t(lang, "detail") }</th>
                            </tr></thead>
                            <tbody>{ for samples }</tbody>
                        </table>
                        </div>
                    }
                </div>
            </div>
        </div>
    }
}
