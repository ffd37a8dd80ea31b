//! Browser tests (wasm-bindgen-test in headless Chromium, main thread): the engine compiled
//! to wasm, charts drawn on a real canvas, the yew app mounted in a real DOM, and the
//! translation table.
#![cfg(target_arch = "wasm32")]

use loupe::chart;
use loupe::engine::analysis::{self, AnalysisResult, Query};
use loupe::engine::ingest::{csv, LoadOptions};
use loupe::engine::sample::{self, SampleOptions};
use loupe::ui::i18n::{t, Lang, STRINGS};
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CSV: &str = "user_id,event,timestamp\n\
    a,signup,2025-01-01T00:00:00Z\n\
    a,view,2025-01-01T00:00:00Z\n\
    a,buy,2025-01-08T00:00:00Z\n\
    b,signup,2025-01-01T00:00:00Z\n\
    b,view,2025-01-09T00:00:01Z\n\
    c,view,2025-01-02T00:00:00Z\n";

fn run(json: &str) -> AnalysisResult {
    let d = csv::load(CSV.as_bytes(), None, &LoadOptions::default(), &mut |_| true).unwrap();
    analysis::run(&d.store, &Query::from_json(json).unwrap())
        .unwrap()
        .result
}

#[wasm_bindgen_test]
fn funnel_in_wasm_matches_the_hand_worked_answer() {
    // a: signup, view at the same instant (source order counts), buy exactly 7 days later
    // (window inclusive) -> 3 steps; b: view 1 s after the 8-day... window of 7 days -> 1
    // step; c never signs up.
    let r = run(
        r#"{"analysis":"funnel","steps":[{"event":"signup"},{"event":"view"},{"event":"buy"}],"window":{"value":7,"unit":"day"}}"#,
    );
    let AnalysisResult::Funnel(f) = r else {
        panic!("not a funnel")
    };
    let users: Vec<u64> = f.steps.iter().map(|s| s.users).collect();
    assert_eq!(users, [2, 1, 1]);
    let r = run(
        r#"{"analysis":"funnel","steps":[{"event":"signup"},{"event":"view"}],"ties":"strictly_later"}"#,
    );
    let AnalysisResult::Funnel(f) = r else {
        panic!("not a funnel")
    };
    // with strict ties, a's same-instant view does not count; b's view on day 8 is inside 14 days
    assert_eq!(f.steps[1].users, 1);
}

#[wasm_bindgen_test]
fn large_timestamps_survive_32_bit_usize() {
    // microsecond timestamps exceed 2^32: make sure nothing truncates them in wasm32
    let r = run(r#"{"analysis":"trends","series":[{"event":"view","measure":"users"}]}"#);
    let AnalysisResult::Trends(s) = r else {
        panic!()
    };
    assert_eq!(s.buckets.first().map(String::as_str), Some("2025-01-01"));
    assert_eq!(s.buckets.len(), 9);
    let users: f64 = s.lines[0].values.iter().flatten().sum();
    assert_eq!(users, 3.0);
}

#[wasm_bindgen_test]
fn charts_draw_on_a_canvas() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement =
        doc.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(640);
    canvas.set_height(360);
    doc.body().unwrap().append_child(&canvas).unwrap();
    let data = sample::dataset(&SampleOptions {
        users: 300,
        ..Default::default()
    });
    let spec = Query::from_json(r#"{"analysis":"funnel","steps":[{"event":"app_open"},{"event":"view_item"},{"event":"purchase"}]}"#).unwrap();
    let AnalysisResult::Funnel(f) = analysis::run(&data.store, &spec).unwrap().result else {
        panic!()
    };
    {
        let root = CanvasBackend::with_canvas_object(canvas.clone())
            .unwrap()
            .into_drawing_area();
        root.fill(&WHITE).unwrap();
        chart::funnel::draw(&root, &f, &chart::Labels::english(), 1.0).unwrap();
        root.present().unwrap();
    }
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let px = ctx.get_image_data(0.0, 0.0, 640.0, 360.0).unwrap().data();
    let bar = chart::PALETTE[0];
    let bar_pixels = px
        .chunks(4)
        .filter(|p| p[0] == bar.0 && p[1] == bar.1 && p[2] == bar.2)
        .count();
    // three bars of at least a few thousand pixels each
    assert!(bar_pixels > 3000, "only {bar_pixels} bar-coloured pixels");
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_app_mounts_and_shows_the_landing_page() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<loupe::ui::App>::with_root(root.clone()).render();
    // let yew render
    sleep(50).await;
    let html = root.inner_html();
    assert!(html.contains("data-testid=\"dropzone\""), "{html}");
    assert!(html.contains("data-testid=\"sample\""));
    assert!(html.contains("Loupe"));
}

/// Every `t(lang, "key")` in the UI's source names a key of the table.
#[wasm_bindgen_test]
fn every_key_the_ui_uses_is_translated() {
    let sources = [
        include_str!("../src/ui/mod.rs"),
        include_str!("../src/ui/landing.rs"),
        include_str!("../src/ui/overview.rs"),
        include_str!("../src/ui/mapping.rs"),
        include_str!("../src/ui/canvas.rs"),
        include_str!("../src/ui/shell.rs"),
        include_str!("../src/ui/scope_bar.rs"),
        include_str!("../src/ui/widgets.rs"),
        include_str!("../src/ui/panel.rs"),
        include_str!("../src/ui/funnel.rs"),
        include_str!("../src/ui/retention.rs"),
        include_str!("../src/ui/trends.rs"),
        include_str!("../src/ui/sessions.rs"),
        include_str!("../src/ui/ltv.rs"),
        include_str!("../src/ui/customers.rs"),
        include_str!("../src/ui/revenue.rs"),
        include_str!("../src/ui/rfm.rs"),
        include_str!("../src/ui/ab_test.rs"),
        include_str!("../src/ui/active_users.rs"),
        include_str!("../src/ui/stickiness.rs"),
        include_str!("../src/ui/lifecycle.rs"),
        include_str!("../src/ui/stages.rs"),
        include_str!("../src/ui/health.rs"),
        include_str!("../src/ui/board.rs"),
        include_str!("../src/ui/paths.rs"),
        include_str!("../src/ui/channels.rs"),
        include_str!("../src/ui/portrait.rs"),
        include_str!("../src/ui/aarrr.rs"),
    ];
    let mut used = 0;
    let check = |key: &str| {
        assert!(
            STRINGS.iter().any(|s| s.0 == key),
            "no translation for \"{key}\""
        )
    };
    for src in sources {
        for part in src.split("t(lang, \"").skip(1) {
            check(&part[..part.find('"').unwrap()]);
            used += 1;
        }
        // option pairs: `(Enum::Variant, "key")` and `("value", "key")`
        for part in src.split(", \"").skip(1) {
            let Some(end) = part.find("\")") else {
                continue;
            };
            let key = &part[..end];
            if key.is_empty()
                || !key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                continue;
            }
            // the text before this piece's `, "` (the piece's offset in `src`)
            let at = part.as_ptr() as usize - src.as_ptr() as usize;
            let before = &src[..at - 3];
            let open = before.rfind('(').unwrap_or(0);
            let first = &before[open + 1..];
            let is_pair = (first.starts_with('"') && first.ends_with('"'))
                || (first.contains("::")
                    && first.chars().all(|c| c.is_ascii_alphanumeric() || c == ':'));
            if is_pair {
                check(key);
                used += 1;
            }
        }
    }
    assert!(used > 50, "only {used} uses found: the scan is broken");
}

#[wasm_bindgen_test]
fn every_string_has_both_languages() {
    let mut keys: Vec<&str> = STRINGS.iter().map(|s| s.0).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "duplicate translation keys");
    for (k, en, zh) in STRINGS {
        assert!(!en.is_empty() && !zh.is_empty(), "{k}");
        assert_ne!(en, zh, "{k} is not translated");
        assert_eq!(t(Lang::Zh, k), *zh);
    }
}

/// Every message code the engine gives a spec error has a Chinese text, and the
/// parameters it names are filled in.
#[wasm_bindgen_test]
fn every_spec_error_code_has_a_chinese_text() {
    use loupe::ui::i18n::{spec_message, SPEC_ERRORS_ZH};
    let sources = [
        include_str!("../src/engine/spec.rs"),
        include_str!("../src/engine/analysis/funnel.rs"),
        include_str!("../src/engine/analysis/retention.rs"),
        include_str!("../src/engine/analysis/trends.rs"),
        include_str!("../src/engine/analysis/sessions.rs"),
        include_str!("../src/engine/sql/mod.rs"),
        include_str!("../src/engine/sql/trends.rs"),
        include_str!("../src/engine/sql/active_users.rs"),
        include_str!("../src/engine/sql/stickiness.rs"),
        include_str!("../src/engine/sql/lifecycle.rs"),
        include_str!("../src/engine/sql/revenue.rs"),
        include_str!("../src/engine/sql/rfm.rs"),
        include_str!("../src/engine/sql/stages.rs"),
        include_str!("../src/engine/sql/health.rs"),
        include_str!("../src/engine/sql/ltv.rs"),
        include_str!("../src/engine/sql/funnel.rs"),
        include_str!("../src/engine/sql/retention.rs"),
        include_str!("../src/engine/sql/ab_test.rs"),
        include_str!("../src/engine/sql/customers.rs"),
        include_str!("../src/engine/sql/sessions.rs"),
        include_str!("../src/engine/sql/channels.rs"),
        include_str!("../src/engine/sql/paths.rs"),
        include_str!("../src/engine/sql/portrait.rs"),
        include_str!("../src/engine/analysis/ltv.rs"),
        include_str!("../src/engine/analysis/customers.rs"),
        include_str!("../src/engine/analysis/revenue.rs"),
        include_str!("../src/engine/analysis/rfm.rs"),
        include_str!("../src/engine/analysis/ab_test.rs"),
        include_str!("../src/engine/analysis/active_users.rs"),
        include_str!("../src/engine/analysis/stickiness.rs"),
        include_str!("../src/engine/analysis/lifecycle.rs"),
        include_str!("../src/engine/analysis/paths.rs"),
        include_str!("../src/engine/analysis/purchases.rs"),
        include_str!("../src/engine/analysis/stages.rs"),
        include_str!("../src/engine/analysis/health.rs"),
        include_str!("../src/engine/analysis/transitions.rs"),
        include_str!("../src/engine/stats.rs"),
        include_str!("../src/engine/analysis/channels.rs"),
        include_str!("../src/engine/analysis/portrait.rs"),
        include_str!("../src/engine/analysis/aarrr.rs"),
        include_str!("../src/engine/ingest/mod.rs"),
        include_str!("../src/engine/ingest/csv.rs"),
        include_str!("../src/engine/ingest/json.rs"),
        include_str!("../src/engine/ingest/parquet.rs"),
        include_str!("../src/engine/ingest/archive.rs"),
        include_str!("../src/engine/ingest/container.rs"),
        include_str!("../src/engine/ingest/encoding.rs"),
        include_str!("../src/engine/ingest/mapping.rs"),
    ];
    let mut codes = Vec::new();
    for src in sources {
        for part in src.split(".keyed(").skip(1) {
            let rest = part.trim_start();
            // a literal code, or `if ... { "a" } else { "b" }`
            let head = &rest[..rest.find(',').unwrap_or(rest.len())];
            for lit in head.split('"').skip(1).step_by(2) {
                codes.push(lit.to_string());
            }
        }
    }
    assert!(
        codes.len() >= 25,
        "only {} codes found: the scan is broken",
        codes.len()
    );
    for c in &codes {
        assert!(
            SPEC_ERRORS_ZH.iter().any(|(k, _)| k == c),
            "no Chinese text for {c}"
        );
    }
    // the engine's real error, said in Chinese with its numbers
    let d = csv::load(CSV.as_bytes(), None, &LoadOptions::default(), &mut |_| true).unwrap();
    let q = Query::from_json(r#"{"analysis":"retention","periods":999}"#).unwrap();
    let e = loupe::protocol::UserError::from(&analysis::run(&d.store, &q).unwrap_err());
    let zh = spec_message(Lang::Zh, e.key.as_deref(), &e.params, &e.message);
    assert_eq!(zh, "周期数须在 1 到 400 之间，当前为 999");
    assert_eq!(
        spec_message(Lang::En, e.key.as_deref(), &e.params, &e.message),
        e.message
    );
}

/// Every reject reason code of the engine has a translated text in the overview.
#[wasm_bindgen_test]
fn every_reject_reason_is_translated() {
    use loupe::engine::ingest::RejectReason;
    use loupe::ui::overview::REJECT_REASON_KEYS;
    for r in RejectReason::ALL {
        let code = serde_json::to_value(r).unwrap();
        let key = REJECT_REASON_KEYS
            .iter()
            .find(|(c, _)| Some(*c) == code.as_str())
            .unwrap_or_else(|| panic!("no text for reject reason {code}"))
            .1;
        assert!(STRINGS.iter().any(|s| s.0 == key), "{key}");
    }
    use loupe::engine::ingest::SetAsideReason;
    use loupe::ui::overview::SET_ASIDE_REASON_KEYS;
    for r in SetAsideReason::ALL {
        let code = serde_json::to_value(r).unwrap();
        let key = SET_ASIDE_REASON_KEYS
            .iter()
            .find(|(c, _)| Some(*c) == code.as_str())
            .unwrap_or_else(|| panic!("no text for set-aside reason {code}"))
            .1;
        assert!(STRINGS.iter().any(|s| s.0 == key), "{key}");
    }
}
