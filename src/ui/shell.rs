//! The frame every analysis tab shares: run, status, out-of-date note, warnings,
//! downloads, chart. A panel (`funnel.rs`, `retention.rs`, ...) supplies only its builder
//! and its tables; running, errors, the chart and the CSV / PNG downloads live here once.

use super::canvas::{Chart, Picture};
use super::i18n::{t, Lang};
use super::widgets::select;
use super::{Engine, Outcome};
use crate::engine::analysis::{AnalysisResult, Query, Spec};
use crate::engine::spec::Warning;
use crate::protocol::UserError;
use std::rc::Rc;
use yew::prelude::*;

pub use super::panel::{use_spec, PanelProps, SpecState};

/// How long the builder waits after a change before it runs the query (ms).
const AUTO_RUN_MS: u32 = 250;

/// Props of [`Shell`].
#[derive(Properties, PartialEq)]
pub struct ShellProps {
    /// What the panel received.
    pub panel: PanelProps,
    /// The builder's current spec.
    pub spec: Spec,
    /// The builder's controls.
    pub builder: Html,
    /// Tables and notes below the chart.
    pub body: Html,
    /// Chart height in CSS pixels.
    #[prop_or(380)]
    pub chart_height: u32,
}

fn warning_text(lang: Lang, w: &Warning) -> String {
    match w.code.as_str() {
        "event_not_found" => {
            let mut s = format!(
                "{} \"{}\" ({})",
                t(lang, "warn_event_not_found"),
                w.value,
                w.field
            );
            if let Some(h) = &w.hint {
                s.push_str(&format!("; {} \"{h}\"?", t(lang, "did_you_mean")));
            }
            s
        }
        "created_at_fallback" => {
            let mut s = format!("{} {}", w.value, t(lang, "warn_created_at_fallback"));
            if let Some(h) = &w.hint {
                s.push_str(&format!(" \"{h}\""));
            }
            s
        }
        "amount_missing" => format!(
            "{} {} ({})",
            w.value,
            t(lang, "warn_amount_missing"),
            w.field
        ),
        "page_missing" => format!("{} {} ({})", w.value, t(lang, "warn_page_missing"), w.field),
        "session_missing" => format!(
            "{} {} ({})",
            w.value,
            t(lang, "warn_session_missing"),
            w.field
        ),
        "mixed_variants" => format!("{} {}", w.value, t(lang, "warn_mixed_variants")),
        "sample_ratio_mismatch" => format!("{} {}", t(lang, "warn_srm"), w.value),
        "small_sample" => format!("{} {}", t(lang, "warn_small_sample"), w.value),
        "small_expected_counts" => t(lang, "warn_small_expected").to_string(),
        _ => w.message.clone(),
    }
}

/// Runs the spec in the shared scope, shows the chart, downloads and the panel's tables.
#[function_component(Shell)]
pub fn shell(p: &ShellProps) -> Html {
    let lang = p.panel.lang;
    let query = Query {
        scope: p.panel.scope.clone(),
        spec: p.spec.clone(),
    };
    let kind = p.spec.kind();
    {
        // the result follows the builder and the scope: a change runs the query after a
        // short pause (so typing or several quick clicks send one query)
        let engine = p.panel.engine.clone();
        use_effect_with(
            (p.panel.generation, query.clone()),
            move |(generation, q)| {
                let (generation, q) = (*generation, q.clone());
                let timer = gloo::timers::callback::Timeout::new(AUTO_RUN_MS, move || {
                    engine.run_if_new(kind, generation, q)
                });
                move || drop(timer)
            },
        );
    }
    let run = {
        let (engine, q, generation) = (p.panel.engine.clone(), query.clone(), p.panel.generation);
        Callback::from(move |_| engine.run(kind, generation, q.clone()))
    };
    let cancel = {
        let engine = p.panel.engine.clone();
        Callback::from(move |_| engine.cancel_run(kind))
    };
    // what an export said about the query shown (for the live region)
    let said = use_state(|| None::<(Query, String)>);
    let say = {
        let said = said.clone();
        Callback::from(move |x: (Query, String)| said.set(Some(x)))
    };
    let last = &p.panel.last;
    let running = matches!(last, Some((_, Outcome::Running)));
    let stale = matches!(last, Some((q, Outcome::Done(..))) if *q != query);
    let status = match last {
        Some((_, Outcome::Failed(m))) => {
            html! { <div class="error inline" role="alert" data-testid="run-error">{ super::error_text(lang, m) }</div> }
        }
        Some((_, Outcome::Done(id, r))) => html! {
            <span class="muted small" data-testid="timing" data-run-id={id.to_string()}>{ t(lang, "computed_in") }{ format!(" {:.1} ms", r.ms) }</span>
        },
        _ => html! {},
    };
    let warnings = match last {
        Some((_, Outcome::Done(_, r))) if !r.output.warnings.is_empty() => {
            let items = r
                .output
                .warnings
                .iter()
                .map(|w| html! { <li>{ warning_text(lang, w) }</li> });
            html! { <ul class="warnings" role="status" data-testid="warnings">{ for items }</ul> }
        }
        _ => html! {},
    };
    let result = p.panel.result();
    // what a screen reader hears when the result changes (errors are alerts above)
    let announce = match last {
        // what an export said about the result shown ("SQL copied", or why there is none)
        Some((q, Outcome::Done(..))) if said.as_ref().is_some_and(|(sq, _)| sq == q) => said
            .as_ref()
            .map(|(_, text)| text.clone())
            .unwrap_or_default(),
        Some((_, Outcome::Done(_, r))) => format!("{} {:.1} ms", t(lang, "result_ready"), r.ms),
        Some((_, Outcome::Running)) => t(lang, "running").to_string(),
        _ => String::new(),
    };
    html! {
        <div class="analysis">
            <div class="builder">
                { p.builder.clone() }
                <button class="run" data-testid="run" onclick={run} disabled={running}>
                    { if running { t(lang, "running") } else { t(lang, "run") } }
                </button>
                if running {
                    <button class="secondary small" data-testid="cancel-run" onclick={cancel}>{ t(lang, "cancel") }</button>
                }
                { status }
                if stale { <div class="stale muted small" data-testid="stale">{ t(lang, "stale") }</div> }
            </div>
            <div class={if stale || running { "results stale" } else { "results" }} aria-busy={(stale || running).to_string()}>
                <div class="sr-only" aria-live="polite" data-testid="announce">{ announce }</div>
                <Exports lang={lang} name={kind} result={result.clone()} engine={p.panel.engine.clone()} query={last.as_ref().map(|(q, _)| q.clone())} board_full={p.panel.board_full} on_say={say} />
                { warnings }
                if let Some(r) = result.clone() { <Chart picture={Picture::Result(r)} lang={lang} height={p.chart_height} /> }
                { p.body.clone() }
            </div>
        </div>
    }
}

/// Props of [`Exports`].
#[derive(Properties, PartialEq)]
struct ExportsProps {
    lang: Lang,
    name: &'static str,
    result: Option<Rc<AnalysisResult>>,
    engine: Engine,
    /// The query of the result shown (what "Add to board" adds).
    query: Option<Query>,
    board_full: bool,
    /// Says something about the result in the live region (for this query).
    on_say: Callback<(Query, String)>,
}

/// "CSV", "PNG" and "SVG" downloads of a finished result, "copy link" and "add to board".
#[function_component(Exports)]
fn exports(p: &ExportsProps) -> Html {
    let copied = use_state(|| false);
    let added = use_state(|| None::<Query>);
    let dialect = use_state(|| "duckdb");
    // the query whose SQL was copied last
    let sql_done = use_state(|| None::<Query>);
    let Some(r) = p.result.clone() else {
        return html! {};
    };
    let (lang, name) = (p.lang, p.name);
    let csv = {
        let r = r.clone();
        Callback::from(move |_| {
            let text = crate::engine::analysis::table::spreadsheet_csv(&r);
            // a BOM so spreadsheet programs read the UTF-8 (Chinese names) correctly
            let data = [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat();
            if let Err(e) = super::download(&format!("loupe-{name}.csv"), "text/csv", &data) {
                gloo::console::error!(e);
            }
        })
    };
    let png = Callback::from(move |_| {
        if let Err(e) = super::download_chart_png(&format!("loupe-{name}.png")) {
            gloo::console::error!(e);
        }
    });
    let svg = Callback::from(move |_| {
        let done = super::canvas::svg(&r, lang).and_then(|text| {
            super::download(
                &format!("loupe-{name}.svg"),
                "image/svg+xml",
                text.as_bytes(),
            )
            .map_err(|e| format!("{e:?}"))
        });
        if let Err(e) = done {
            gloo::console::error!(e);
        }
    });
    let copy = {
        let copied = copied.clone();
        Callback::from(move |_| match super::copy_link() {
            Ok(()) => copied.set(true),
            Err(e) => gloo::console::error!(e),
        })
    };
    let sql_copied = (*sql_done).is_some() && *sql_done == p.query;
    let copy_sql = {
        let (engine, query, dialect) = (p.engine.clone(), p.query.clone(), dialect.clone());
        let (say, sql_done) = (p.on_say.clone(), sql_done.clone());
        Callback::from(move |_| {
            let Some(q) = query.clone() else { return };
            let (say, sql_done) = (say.clone(), sql_done.clone());
            engine.sql(
                &q.clone(),
                &dialect,
                Callback::from(move |r: Result<String, UserError>| match r {
                    Ok(text) => match super::copy_text(&text) {
                        Ok(()) => {
                            sql_done.set(Some(q.clone()));
                            say.emit((q.clone(), t(lang, "sql_copied").to_string()));
                        }
                        Err(e) => gloo::console::error!(e),
                    },
                    Err(e) => {
                        sql_done.set(None);
                        say.emit((q.clone(), super::error_text(lang, &e)));
                    }
                }),
            );
        })
    };
    let set_dialect = {
        let (dialect, sql_done) = (dialect.clone(), sql_done.clone());
        Callback::from(move |v: String| {
            sql_done.set(None);
            dialect.set(if v == "clickhouse" {
                "clickhouse"
            } else {
                "duckdb"
            });
        })
    };
    let dialects = vec![
        ("duckdb".to_string(), "DuckDB".to_string()),
        ("clickhouse".to_string(), "ClickHouse".to_string()),
    ];
    let is_added = (*added).is_some() && *added == p.query;
    let add = {
        let (engine, query, added) = (p.engine.clone(), p.query.clone(), added.clone());
        Callback::from(move |_| {
            if let Some(q) = &query {
                engine.add_to_board(crate::board::BoardItem {
                    title: t(lang, q.spec.kind()).to_string(),
                    query: q.clone(),
                });
                added.set(Some(q.clone()));
            }
        })
    };
    html! {
        <div class="exports">
            <button class="secondary small" onclick={add} data-testid="add-to-board" disabled={p.board_full || is_added || p.query.is_none()} title={t(lang, if p.board_full { "board_full" } else { "add_to_board_hint" })}>
                { if is_added { t(lang, "added_to_board") } else { t(lang, "add_to_board") } }
            </button>
            <button class="secondary small" onclick={csv} data-testid="download-csv" title={t(lang, "download_csv")}>{"⤓ CSV"}</button>
            <button class="secondary small" onclick={png} data-testid="download-png" title={t(lang, "download_png")}>{"⤓ PNG"}</button>
            <button class="secondary small" onclick={svg} data-testid="download-svg" title={t(lang, "download_svg")}>{"⤓ SVG"}</button>
            <button class="secondary small" onclick={copy} data-testid="copy-link" title={t(lang, "copy_link_hint")}>
                { if *copied { t(lang, "link_copied") } else { t(lang, "copy_link") } }
            </button>
            <label for="sql-dialect" class="small">{ t(lang, "sql_dialect") }</label>
            { select("sql-dialect", dialects, &dialect, set_dialect) }
            <button class="secondary small" onclick={copy_sql} data-testid="copy-sql" disabled={p.query.is_none()} title={t(lang, "copy_sql_hint")}>
                { if sql_copied { t(lang, "sql_copied") } else { t(lang, "copy_sql") } }
            </button>
        </div>
    }
}
