//! The bar above every analysis: date range, property filters, time zone and week start.
//! It edits the one [`Scope`] the app holds; every analysis tab runs in it.

use super::i18n::{t, Lang};
use super::widgets::{json_name, select, zone_options, FilterEditor};
use crate::engine::overview::PropertySummary;
use crate::engine::spec::{DateRange, FilterGroup, Scope};
use crate::engine::time::{TimeZone, WeekStart};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`ScopeBar`].
#[derive(Properties, PartialEq)]
pub struct ScopeBarProps {
    /// UI language.
    pub lang: Lang,
    /// The dataset's properties.
    pub props: Vec<PropertySummary>,
    /// The scope being edited.
    pub scope: Scope,
    /// Receives the edited scope.
    pub on_change: Callback<Scope>,
}

/// The select value of a date range.
fn range_key(r: &DateRange) -> String {
    match r {
        DateRange::All => "all".into(),
        DateRange::LastDays(n @ (7 | 30 | 90)) => format!("last_{n}_days"),
        DateRange::ThisMonth => "this_month".into(),
        _ => "custom".into(),
    }
}

/// Date range, filters, time zone and week start.
#[function_component(ScopeBar)]
pub fn scope_bar(p: &ScopeBarProps) -> Html {
    let lang = p.lang;
    let scope = p.scope.clone();
    let change = |f: fn(&mut Scope, String)| {
        let (scope, on_change) = (scope.clone(), p.on_change.clone());
        Callback::from(move |v: String| {
            let mut s = scope.clone();
            f(&mut s, v);
            on_change.emit(s);
        })
    };
    let ranges = [
        ("all", "range_all"),
        ("last_7_days", "range_7"),
        ("last_30_days", "range_30"),
        ("last_90_days", "range_90"),
        ("this_month", "range_month"),
        ("custom", "range_custom"),
    ]
    .map(|(v, k)| (v.to_string(), t(lang, k).to_string()))
    .to_vec();
    let set_range = change(|s, v| {
        s.date_range = match v.as_str() {
            "custom" => match &s.date_range {
                DateRange::Between { .. } => s.date_range.clone(),
                _ => DateRange::Between {
                    from: None,
                    to: None,
                },
            },
            other => {
                serde_json::from_value(serde_json::Value::String(other.into())).unwrap_or_default()
            }
        }
    });
    let (from, to) = match &scope.date_range {
        DateRange::Between { from, to } => (from.clone(), to.clone()),
        _ => (None, None),
    };
    let date_input = |id: &'static str, value: Option<String>, is_from: bool| {
        let (scope, on_change) = (scope.clone(), p.on_change.clone());
        let onchange = Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            let v = el.value();
            let v = (!v.is_empty()).then_some(v);
            let mut s = scope.clone();
            if let DateRange::Between { from, to } = &mut s.date_range {
                if is_from {
                    *from = v;
                } else {
                    *to = v;
                }
            }
            on_change.emit(s);
        });
        let name = format!(
            "{}: {}",
            t(lang, "date_range"),
            t(lang, if is_from { "date_from" } else { "date_to" })
        );
        html! { <input type="date" id={id} data-testid={id} aria-label={name} value={value.unwrap_or_default()} {onchange} /> }
    };
    let on_filters = {
        let (scope, on_change) = (scope.clone(), p.on_change.clone());
        Callback::from(move |g: FilterGroup| {
            let mut s = scope.clone();
            s.filters = g;
            on_change.emit(s);
        })
    };
    let weeks = vec![
        (json_name(&WeekStart::Monday), t(lang, "monday").to_string()),
        (json_name(&WeekStart::Sunday), t(lang, "sunday").to_string()),
    ];
    html! {
        <div class="scope-bar" data-testid="scope-bar">
            <div class="scope-item">
                <label for="date-range">{ t(lang, "date_range") }</label>
                <div class="row">
                    { select("date-range", ranges, &range_key(&scope.date_range), set_range) }
                    if matches!(scope.date_range, DateRange::Between { .. }) {
                        <label class="sr-only" for="date-from">{ t(lang, "date_range") }</label>
                        { date_input("date-from", from, true) }
                        <span class="muted">{"–"}</span>
                        <label class="sr-only" for="date-to">{ t(lang, "date_range") }</label>
                        { date_input("date-to", to, false) }
                    }
                </div>
            </div>
            <div class="scope-item grow">
                <label>{ t(lang, "filters") }</label>
                <FilterEditor lang={lang} props={p.props.clone()} group={scope.filters.clone()} on_change={on_filters} id="filter" />
            </div>
            <div class="scope-item">
                <label for="timezone">{ t(lang, "timezone") }</label>
                { select("timezone", zone_options(&scope.timezone), &scope.timezone.to_string(), change(|s, v| if let Some(z) = TimeZone::parse(&v) { s.timezone = z })) }
            </div>
            <div class="scope-item">
                <label for="week-start">{ t(lang, "week_start") }</label>
                { select("week-start", weeks, &json_name(&scope.week_start), change(|s, v| if let Some(w) = super::widgets::from_name(&v) { s.week_start = w })) }
            </div>
        </div>
    }
}
