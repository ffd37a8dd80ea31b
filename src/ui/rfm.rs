//! The RFM tab: the model (quintile scores or the eight classes), the tie rule or the
//! high / low split, the as-of day, the purchase event and the amount property (both
//! suggested from the data's names); below the chart the segment table and the member
//! list, filtered by segment (the CSV download holds every member; a second button
//! downloads the chosen segment's members). With a breakdown, the segment table has a
//! leading value column (one block of segments per value) and the member list shows each
//! customer's value.

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    amount_options, suggested_purchase, edit, event_options, from_name, json_name, keyed, select, text_input, with_name, BreakdownPicker, FilterEditor,
};
use super::{count, pct};
use crate::chart::tip_number;
use crate::engine::analysis::rfm::{
    self, Model, RfmResult, RfmSpec, Segment, Split, SplitRule, Thresholds, Ties,
};
use crate::engine::analysis::table::spreadsheet_csv;
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

/// The name of segment `s` in `lang`.
pub fn segment_name(lang: Lang, s: Segment) -> &'static str {
    t(lang, super::i18n::SEGMENT_KEYS[s as usize].1)
}

/// Most members listed on the page (the downloads hold all).
const SHOWN_MEMBERS: usize = 100;

/// The split select's value: `mean`, `median` or `values`.
fn split_name(s: &Split) -> String {
    match s {
        Split::Rule(r) => json_name(r),
        Split::Values(_) => "values".into(),
    }
}

/// A number as an input shows it (no trailing zeros).
fn plain(v: f64) -> String {
    tip_number(Some(v)).replace(',', "")
}

/// The RFM tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let names = p.event_names();
    let props = p.data.overview.properties.clone();
    let (purchase_event, amount) = suggested_purchase(p);
    let spec = use_spec(p, || {
        let d = RfmSpec::default();
        RfmSpec {
            purchase_event: purchase_event.unwrap_or(d.purchase_event.clone()),
            amount: amount.unwrap_or(d.amount.clone()),
            ..d
        }
    });
    let shown_segment = use_state(String::new);
    let models = keyed(
        &[
            (Model::Quintile, "rfm_quintile"),
            (Model::EightClass, "rfm_eight_class"),
        ],
        lang,
    );
    let ties = keyed(
        &[
            (Ties::Split, "rfm_ties_split"),
            (Ties::Shared, "rfm_ties_shared"),
        ],
        lang,
    );
    let splits = vec![
        ("mean".to_string(), t(lang, "rfm_split_mean").to_string()),
        (
            "median".to_string(),
            t(lang, "rfm_split_median").to_string(),
        ),
        (
            "values".to_string(),
            t(lang, "rfm_split_values").to_string(),
        ),
    ];
    let amounts = amount_options(p, &spec.amount);
    let on_split = edit(&spec, |s, v: String| {
        s.split = match v.as_str() {
            "values" => Split::Values(match s.split {
                Split::Values(t) => t,
                _ => Thresholds {
                    r: 30.0,
                    f: 2.0,
                    m: 100.0,
                },
            }),
            other => from_name::<SplitRule>(other).map_or(s.split, Split::Rule),
        }
    });
    // an explicit threshold: the typed number, or the field unchanged when it is none
    let threshold = |f: fn(&mut Thresholds, f64)| {
        let spec = spec.clone();
        Callback::from(move |v: String| {
            let (Ok(x), Split::Values(mut th)) = (v.trim().parse::<f64>(), spec.split) else {
                return;
            };
            f(&mut th, x);
            let mut s = spec.latest();
            s.split = Split::Values(th);
            spec.set(s);
        })
    };
    let values = match spec.split {
        Split::Values(th) if spec.model == Model::EightClass => html! {
            <div class="row">
                <span class="muted small">{ t(lang, "rfm_threshold_r") }</span>
                { text_input("rfm-threshold-r", &plain(th.r), "30", threshold(|t, x| t.r = x)) }
                <span class="muted small">{ t(lang, "rfm_threshold_f") }</span>
                { text_input("rfm-threshold-f", &plain(th.f), "2", threshold(|t, x| t.f = x)) }
                <span class="muted small">{ t(lang, "rfm_threshold_m") }</span>
                { text_input("rfm-threshold-m", &plain(th.m), "100", threshold(|t, x| t.m = x)) }
            </div>
        },
        _ => html! {},
    };
    let builder = html! {
        <>
            <label for="rfm-purchase-event">{ t(lang, "rfm_purchase_event") }</label>
            { select("rfm-purchase-event", event_options(lang, &names, false), &spec.purchase_event, edit(&spec, |s, v| s.purchase_event = v)) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.purchase_filters.clone()} on_change={edit(&spec, |s, g: FilterGroup| s.purchase_filters = g)} id="purchase-filter" />
            <label for="rfm-amount">{ t(lang, "rfm_amount") }</label>
            { select("rfm-amount", amounts, &spec.amount, edit(&spec, |s, v| s.amount = v)) }
            <label for="rfm-as-of">{ t(lang, "rfm_as_of") }</label>
            { text_input("rfm-as-of", spec.as_of.as_deref().unwrap_or(""), t(lang, "rfm_as_of_default"), edit(&spec, |s, v: String| s.as_of = (!v.trim().is_empty()).then(|| v.trim().to_string()))) }
            <label for="rfm-model">{ t(lang, "rfm_model") }</label>
            { select("rfm-model", models, &json_name(&spec.model), edit(&spec, |s, v| if let Some(m) = from_name(&v) { s.model = m })) }
            if spec.model == Model::Quintile {
                <label for="rfm-ties">{ t(lang, "rfm_ties") }</label>
                { select("rfm-ties", ties, &json_name(&spec.ties), edit(&spec, |s, v| if let Some(x) = from_name(&v) { s.ties = x })) }
            } else {
                <label for="rfm-split">{ t(lang, "rfm_split") }</label>
                { select("rfm-split", splits, &split_name(&spec.split), on_split) }
                { values }
            }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props.clone()} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "rfm_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Rfm(r)) => html! {
            <>
                { summary(lang, r) }
                { segments(lang, r) }
                { members(lang, r, &shown_segment) }
            </>
        },
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} chart_height={460} /> }
}

/// Customers, revenue, as-of day and thresholds.
fn summary(lang: Lang, r: &RfmResult) -> Html {
    let th = r.thresholds.map(|th| {
        format!(
            " · {}: R ≤ {} · F ≥ {} · M ≥ {}",
            t(lang, "rfm_thresholds"),
            plain(th.r),
            plain(th.f),
            plain(th.m)
        )
    });
    html! {
        <p class="muted small" data-testid="rfm-summary">
            { format!("{}: {} · {}: {} · {}: {}", t(lang, "rfm_customers"), count(r.customers), t(lang, "rfm_revenue"), tip_number(Some(r.revenue)), t(lang, "rfm_as_of"), r.as_of) }
            { th.unwrap_or_default() }
        </p>
    }
}

fn avg(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "–".into())
}

/// The segment table: all customers, or with a breakdown each value's segments after a
/// leading value column.
fn segments(lang: Lang, r: &RfmResult) -> Html {
    let blocks: Vec<(Option<&str>, &[rfm::SegmentRow])> = if r.breakdowns.is_empty() {
        vec![(None, &r.segments[..])]
    } else {
        (r.breakdowns.iter())
            .map(|b| (Some(b.value.as_str()), &b.segments[..]))
            .collect()
    };
    let rows = blocks.into_iter().flat_map(|(value, rows)| rows.iter().map(move |s| (value, s))).map(|(value, s)| {
        html! {
            <tr data-segment={s.segment.id()}>
                if let Some(v) = value {
                    <td class="name">{ v }</td>
                }
                <td class="name">{ segment_name(lang, s.segment) }</td>
                <td class="num">{ count(s.customers) }</td>
                <td class="num">{ pct(s.customer_share) }</td>
                <td class="num">{ format!("{:.2}", s.revenue) }</td>
                <td class="num">{ s.revenue_share.map(pct).unwrap_or_else(|| "–".into()) }</td>
                <td class="num">{ avg(s.avg_recency) }</td>
                <td class="num">{ avg(s.avg_frequency) }</td>
                <td class="num">{ avg(s.avg_monetary) }</td>
            </tr>
        }
    });
    html! {
        <div class="scroll" tabindex="0">
            <table class="grid" data-testid="rfm-segments">
                <thead><tr>
                    if let Some(b) = &r.breakdown {
                        <th>{ b.clone() }</th>
                    }
                    <th>{ t(lang, "rfm_segment") }</th>
                    <th class="num">{ t(lang, "rfm_customers") }</th>
                    <th class="num">{ t(lang, "rfm_customer_share") }</th>
                    <th class="num">{ t(lang, "rfm_revenue") }</th>
                    <th class="num">{ t(lang, "rfm_revenue_share") }</th>
                    <th class="num">{ t(lang, "rfm_avg_r") }</th>
                    <th class="num">{ t(lang, "rfm_avg_f") }</th>
                    <th class="num">{ t(lang, "rfm_avg_m") }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// The CSV download of the members of segment `id` (all when empty), like the shell's
/// download of the whole result.
fn members_csv(r: &RfmResult, id: &str) -> Vec<u8> {
    let mut only = r.clone();
    only.members
        .retain(|m| id.is_empty() || m.segment.id() == id);
    let text = spreadsheet_csv(&AnalysisResult::Rfm(only));
    [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat()
}

/// The member list, filtered by a segment select, with a download of the shown segment.
fn members(lang: Lang, r: &RfmResult, shown: &UseStateHandle<String>) -> Html {
    let id = (**shown).clone();
    let mut options = vec![(String::new(), t(lang, "rfm_all_segments").to_string())];
    options.extend(r.segments.iter().map(|s| {
        (
            s.segment.id().to_string(),
            segment_name(lang, s.segment).to_string(),
        )
    }));
    let on_segment = {
        let shown = shown.clone();
        Callback::from(move |v: String| shown.set(v))
    };
    let list: Vec<&rfm::Member> = (r.members.iter())
        .filter(|m| id.is_empty() || m.segment.id() == id)
        .collect();
    let download = {
        let (r, id) = (r.clone(), id.clone());
        Callback::from(move |_| {
            let name = if id.is_empty() {
                "loupe-rfm-members.csv".to_string()
            } else {
                format!("loupe-rfm-{id}.csv")
            };
            if let Err(e) = super::download(&name, "text/csv", &members_csv(&r, &id)) {
                gloo::console::error!(e);
            }
        })
    };
    let rows = list.iter().take(SHOWN_MEMBERS).map(|m| {
        html! {
            <tr>
                if let Some(v) = &m.value {
                    <td class="name">{ v.clone() }</td>
                }
                <td class="name">{ m.user_id.clone() }</td>
                <td>{ segment_name(lang, m.segment) }</td>
                <td class="num">{ m.recency }</td>
                <td class="num">{ m.frequency }</td>
                <td class="num">{ format!("{:.2}", m.monetary) }</td>
                <td class="num">{ format!("{}{}{}", m.r_score, m.f_score, m.m_score) }</td>
            </tr>
        }
    });
    html! {
        <>
            <h3>{ t(lang, "rfm_members") }</h3>
            <div class="row">
                { with_name(select("rfm-member-segment", options, &id, on_segment), t(lang, "rfm_members")) }
                <button class="secondary small" data-testid="rfm-download-members" onclick={download}>{ t(lang, "rfm_download_members") }</button>
                <span class="muted small" data-testid="rfm-members-count">{ format!("{} / {} · {} {}", count(list.len() as u64), count(r.customers), t(lang, "rfm_members_shown"), SHOWN_MEMBERS.min(list.len())) }</span>
            </div>
            <div class="scroll tall" tabindex="0">
                <table class="grid" data-testid="rfm-members">
                    <thead><tr>
                        if let Some(b) = &r.breakdown {
                            <th>{ b.clone() }</th>
                        }
                        <th>{ t(lang, "user_id") }</th>
                        <th>{ t(lang, "rfm_segment") }</th>
                        <th class="num">{ t(lang, "rfm_recency") }</th>
                        <th class="num">{ t(lang, "rfm_frequency") }</th>
                        <th class="num">{ t(lang, "rfm_monetary") }</th>
                        <th class="num">{ t(lang, "rfm_scores") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </>
    }
}
