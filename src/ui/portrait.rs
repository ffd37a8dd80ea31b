//! The portrait tab (用户画像): which users (active or new in the date range), the
//! properties to describe (preselected from the dataset's names: gender, age, region,
//! device ...; numeric ones with a number of equal-width bins or typed bin edges), a
//! property to cross-tabulate and how many categories to show; below the chart one table
//! per property with users and shares per category (and per breakdown category).

use super::i18n::{t, Lang};
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    edit, edit_at, from_name, json_name, keyed, number_input, select, text_input, with_name,
};
use super::{count, pct};
use crate::engine::analysis::portrait::{
    suggest_properties, PortraitProperty, PortraitResult, PortraitSpec, PortraitUsers, MAX_BINS,
    MAX_PROPERTIES,
};
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use yew::prelude::*;

/// Bin edges as typed: numbers separated by commas or spaces (empty: equal-width bins).
fn parse_edges(text: &str) -> Option<Vec<f64>> {
    text.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect()
}

/// The portrait tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let props = p.data.overview.properties.clone();
    let spec = {
        let all: Vec<&str> = props.iter().map(|x| x.name.as_str()).collect();
        let mut chosen: Vec<PortraitProperty> = suggest_properties(&all)
            .into_iter()
            .map(PortraitProperty::by)
            .collect();
        if chosen.is_empty() {
            chosen.extend(all.first().map(|n| PortraitProperty::by(n)));
        }
        use_spec(p, move || PortraitSpec {
            properties: chosen,
            ..PortraitSpec::default()
        })
    };
    let edges_bad = use_state(|| false);
    let numeric = |name: &str| props.iter().any(|x| x.name == name && x.kind == "number");
    let names: Vec<(String, String)> = props
        .iter()
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    let users = keyed(
        &[
            (PortraitUsers::Active, "pt_users_active"),
            (PortraitUsers::New, "pt_users_new"),
        ],
        lang,
    );
    let n = spec.properties.len();
    let rows = spec.properties.iter().enumerate().map(|(i, x)| {
        let label = format!("{} {}", t(lang, "pt_property"), i + 1);
        let binning = if numeric(&x.property) {
            let edges_text = x
                .edges
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let on_edges = {
                let (spec, bad) = (spec.clone(), edges_bad.clone());
                Callback::from(move |v: String| match parse_edges(&v) {
                    Some(edges) => {
                        bad.set(false);
                        let mut s = spec.latest();
                        s.properties[i].edges = edges;
                        spec.set(s);
                    }
                    None => bad.set(true),
                })
            };
            html! {
                <div class="row">
                    <label for={format!("bins-{i}")}>{ t(lang, "pt_bins") }</label>
                    { number_input(&format!("bins-{i}"), x.bins, 1, MAX_BINS, edit_at(&spec, i, |s: &mut PortraitSpec, i, v: u32| s.properties[i].bins = v)) }
                    <label for={format!("edges-{i}")}>{ t(lang, "pt_edges") }</label>
                    { text_input(&format!("edges-{i}"), &edges_text, "18, 25, 35, 45", on_edges) }
                </div>
            }
        } else {
            html! {}
        };
        html! {
            <>
                <div class="row">
                    { with_name(select(&format!("property-{i}"), names.clone(), &x.property, edit_at(&spec, i, |s: &mut PortraitSpec, i, v: String| s.properties[i] = PortraitProperty::by(&v))), label.clone()) }
                    if n > 1 {
                        <button class="icon" title={t(lang, "remove")} aria-label={format!("{label}: {}", t(lang, "remove"))} data-testid={format!("property-{i}-remove")} onclick={edit_at(&spec, i, |s: &mut PortraitSpec, i, _: MouseEvent| { s.properties.remove(i); })}>{"×"}</button>
                    }
                </div>
                { binning }
            </>
        }
    });
    let add = {
        let (spec, first) = (
            spec.clone(),
            props.first().map(|x| x.name.clone()).unwrap_or_default(),
        );
        Callback::from(move |_: MouseEvent| {
            let mut s = spec.latest();
            s.properties.push(PortraitProperty::by(&first));
            spec.set(s);
        })
    };
    let mut by_options = vec![(String::new(), t(lang, "pt_no_breakdown").to_string())];
    by_options.extend(names.iter().cloned());
    let builder = html! {
        <>
            <label for="portrait-users">{ t(lang, "pt_users") }</label>
            { select("portrait-users", users, &json_name(&spec.users), edit(&spec, |s: &mut PortraitSpec, v: String| if let Some(u) = from_name(&v) { s.users = u })) }
            <label>{ t(lang, "pt_properties") }</label>
            { for rows }
            if *edges_bad { <p class="error inline small" role="alert">{ t(lang, "pt_edges_invalid") }</p> }
            if n < MAX_PROPERTIES { <button class="secondary small" onclick={add} data-testid="add-property">{"+ "}{ t(lang, "pt_add_property") }</button> }
            <label for="portrait-breakdown">{ t(lang, "pt_breakdown") }</label>
            { select("portrait-breakdown", by_options, spec.breakdown.as_ref().map_or("", |b| b.property.as_str()), edit(&spec, |s: &mut PortraitSpec, v: String| s.breakdown = (!v.is_empty()).then(|| PortraitProperty::by(&v)))) }
            <label for="limit">{ t(lang, "pt_limit") }</label>
            { number_input("limit", spec.limit, 0, 1000, edit(&spec, |s: &mut PortraitSpec, v: u32| s.limit = v)) }
            <p class="muted small">{ t(lang, "pt_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Portrait(r)) => tables(lang, r),
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}

/// One table per property.
fn tables(lang: Lang, r: &PortraitResult) -> Html {
    let share = |users: u64| {
        if r.total == 0 {
            "–".to_string()
        } else {
            pct(users as f64 / r.total as f64)
        }
    };
    let parts = r.properties.iter().enumerate().map(|(i, c)| {
        let heads = r
            .breakdown_labels
            .iter()
            .map(|l| html! { <th class="num">{ l.clone() }</th> });
        let rows = c.categories.iter().map(|x| {
            let by = x.by.iter().map(|v| html! { <td class="num">{ count(*v) }</td> });
            html! {
                <tr>
                    <td class="name">{ x.label.clone() }</td>
                    <td class="num">{ count(x.users) }</td>
                    <td class="num">{ share(x.users) }</td>
                    { for by }
                </tr>
            }
        });
        html! {
            <>
                <h3>{ c.property.clone() }</h3>
                <div class="scroll" tabindex="0">
                    <table class="grid" data-testid={format!("portrait-table-{i}")}>
                        <thead><tr><th>{ c.property.clone() }</th><th class="num">{ t(lang, "users") }</th><th class="num">{ t(lang, "pt_share") }</th>{ for heads }</tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            </>
        }
    });
    html! {
        <>
            <p class="muted small" data-testid="portrait-total">{ format!("{}: {}", t(lang, "pt_total"), count(r.total)) }</p>
            { for parts }
        </>
    }
}
