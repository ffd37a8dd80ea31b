//! Small controls every builder uses: selects and number inputs bound to spec fields, the
//! property filter editor and the breakdown picker. They edit the engine's own serde types
//! (`FilterGroup`, `Breakdown`), so what the page sends is what `loupe run` reads.

use super::i18n::{t, Lang};
use super::panel::{PanelProps, SpecState};
use crate::engine::analysis::purchases::{suggest_amount, suggest_purchase_event};
use crate::engine::overview::PropertySummary;
use crate::engine::spec::{Breakdown, Filter, FilterGroup, FilterItem, Op, PropertyRef, Source};
use crate::engine::time::{Granularity, TimeZone};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// A `<select>` of (value, label) options; `onchange` receives the chosen value.
pub fn select(
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
    html! { <select id={id.to_string()} data-testid={id.to_string()} {onchange}>{ for opts }</select> }
}

/// `control` (a select or input from this module) with an accessible name, for controls
/// that no visible `<label>` names (a row of steps, a filter's operator, ...).
pub fn with_name(mut control: Html, name: impl Into<AttrValue>) -> Html {
    if let Html::VTag(tag) = &mut control {
        std::rc::Rc::make_mut(tag).add_attribute("aria-label", name.into());
    }
    control
}

/// A whole-number input for `min..=max`. A value outside the range (or not a whole
/// number) is never changed into another: the field is marked invalid, says the allowed
/// range (`1 – 400`, the same in every language) and nothing runs until it is fixed.
/// A valid value counts as it is typed (not only when the field is left), so a render
/// that arrives meanwhile (a result) shows the typed value instead of putting back the old.
pub fn number_input(id: &str, value: u32, min: u32, max: u32, onchange: Callback<u32>) -> Html {
    let check = move |el: &HtmlInputElement, report: bool| match el.value().trim().parse::<u32>() {
        Ok(v) if (min..=max).contains(&v) => {
            el.set_custom_validity("");
            Some(v)
        }
        _ => {
            el.set_custom_validity(&format!("{min} – {max}"));
            if report {
                el.report_validity();
            }
            None
        }
    };
    let oninput = {
        let onchange = onchange.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(v) = check(&e.target_unchecked_into(), false) {
                onchange.emit(v);
            }
        })
    };
    let onchange = Callback::from(move |e: Event| {
        if let Some(v) = check(&e.target_unchecked_into(), true) {
            onchange.emit(v);
        }
    });
    html! { <input type="number" class="num-input" id={id.to_string()} data-testid={id.to_string()} value={value.to_string()} min={min.to_string()} max={max.to_string()} step="1" {oninput} {onchange} /> }
}

/// A text input; `onchange` receives the text when the field is left or Enter is pressed.
pub fn text_input(id: &str, value: &str, placeholder: &str, onchange: Callback<String>) -> Html {
    let onchange = Callback::from(move |e: Event| {
        let el: HtmlInputElement = e.target_unchecked_into();
        onchange.emit(el.value());
    });
    html! { <input type="text" id={id.to_string()} data-testid={id.to_string()} value={value.to_string()} placeholder={placeholder.to_string()} {onchange} /> }
}

/// Select options from (value, translation key) pairs; values as their JSON names.
pub fn keyed<T: serde::Serialize>(
    pairs: &[(T, &'static str)],
    lang: Lang,
) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, k)| (json_name(v), t(lang, k).to_string()))
        .collect()
}

/// Granularity options: day, week, month, and the hour first when `with_hour`.
pub fn granularity_options(lang: Lang, with_hour: bool) -> Vec<(String, String)> {
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

/// The JSON name of a unit enum value (`"day"`).
pub fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The enum value of a JSON name.
pub fn from_name<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// A callback that edits a spec held in `spec` with the emitted value.
pub fn edit<T: Clone + 'static, V: 'static>(spec: &SpecState<T>, f: fn(&mut T, V)) -> Callback<V> {
    let spec = spec.clone();
    Callback::from(move |v: V| {
        let mut s = spec.latest();
        f(&mut s, v);
        spec.set(s);
    })
}

/// A callback that edits item `k` of a list in the spec held in `spec` (`f` gets the
/// spec, `k` and the emitted value).
pub fn edit_at<T: Clone + 'static, V: 'static>(
    spec: &SpecState<T>,
    k: usize,
    f: fn(&mut T, usize, V),
) -> Callback<V> {
    let spec = spec.clone();
    Callback::from(move |v: V| {
        let mut s = spec.latest();
        f(&mut s, k, v);
        spec.set(s);
    })
}

/// A callback that adds `k` to the list in `open`, or removes it when present (which
/// list items show their details).
pub fn toggle_in(open: &UseStateHandle<Vec<usize>>, k: usize) -> Callback<MouseEvent> {
    let open = open.clone();
    Callback::from(move |_: MouseEvent| {
        let mut v = (*open).clone();
        match v.iter().position(|&x| x == k) {
            Some(at) => {
                v.remove(at);
            }
            None => v.push(k),
        }
        open.set(v);
    })
}

/// Options of an event select: the dataset's event names, optionally "any event" first.
pub fn event_options(lang: Lang, names: &[String], any: bool) -> Vec<(String, String)> {
    let mut v = Vec::with_capacity(names.len() + 1);
    if any {
        v.push((String::new(), t(lang, "any_event").to_string()));
    }
    v.extend(names.iter().map(|n| (n.clone(), n.clone())));
    v
}

/// A set of event names: one row per chosen event with a remove button, then a select
/// that adds one more (`empty` says what an empty set means, e.g. "any page event").
/// `on_change` receives the whole new set.
pub fn event_set(
    id: &str,
    lang: Lang,
    names: &[String],
    chosen: &[String],
    empty: &str,
    on_change: Callback<Vec<String>>,
) -> Html {
    let rows: Vec<Html> = chosen.iter().enumerate().map(|(k, name)| {
        let remove = {
            let (on_change, chosen) = (on_change.clone(), chosen.to_vec());
            Callback::from(move |_: MouseEvent| {
                let mut rest = chosen.clone();
                rest.remove(k);
                on_change.emit(rest);
            })
        };
        let label = format!("{name}: {}", t(lang, "remove"));
        html! {
            <div class="row" key={name.clone()}>
                <span class="chip">{ name.clone() }</span>
                <button class="icon" title={label.clone()} aria-label={label} onclick={remove}>{"×"}</button>
            </div>
        }
    }).collect();
    let mut options = vec![(String::new(), format!("+ {}", t(lang, "add_event")))];
    options.extend((names.iter().filter(|n| !chosen.contains(n))).map(|n| (n.clone(), n.clone())));
    let add = {
        let (on_change, chosen) = (on_change, chosen.to_vec());
        Callback::from(move |v: String| {
            if !v.is_empty() {
                let mut next = chosen.clone();
                next.push(v);
                on_change.emit(next);
            }
        })
    };
    html! {
        <>
            if chosen.is_empty() { <div class="muted small">{ empty.to_string() }</div> }
            { for rows }
            { with_name(select(id, options, "", add), t(lang, "add_event")) }
        </>
    }
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

/// Time zones offered in the scope bar: UTC, the browser's, the current one, common ones.
pub fn zone_options(current: &TimeZone) -> Vec<(String, String)> {
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

/// A property as a select value: `name` for the event's value, `user:name` for the user's.
fn prop_value(name: &str, source: Source) -> String {
    match source {
        Source::Event => name.to_string(),
        Source::User => format!("user:{name}"),
    }
}

fn parse_prop_value(v: &str) -> (String, Source) {
    match v.strip_prefix("user:") {
        Some(n) => (n.to_string(), Source::User),
        None => (v.to_string(), Source::Event),
    }
}

/// Options naming every property twice: as an event property and as a user property.
pub fn property_options(lang: Lang, props: &[PropertySummary]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = props
        .iter()
        .map(|p| (prop_value(&p.name, Source::Event), p.name.clone()))
        .collect();
    v.extend(props.iter().map(|p| {
        (
            prop_value(&p.name, Source::User),
            format!("{} ({})", p.name, t(lang, "user_property")),
        )
    }));
    v
}

const OPS: [(Op, &str); 12] = [
    (Op::Eq, "op_eq"),
    (Op::Neq, "op_neq"),
    (Op::Contains, "op_contains"),
    (Op::NotContains, "op_not_contains"),
    (Op::In, "op_in"),
    (Op::NotIn, "op_not_in"),
    (Op::Gt, "op_gt"),
    (Op::Gte, "op_gte"),
    (Op::Lt, "op_lt"),
    (Op::Lte, "op_lte"),
    (Op::IsSet, "op_is_set"),
    (Op::IsNotSet, "op_is_not_set"),
];

/// The text shown in a filter's value box.
fn value_text(f: &Filter) -> String {
    let one = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match &f.value {
        None => String::new(),
        Some(serde_json::Value::Array(a)) => a.iter().map(one).collect::<Vec<_>>().join(", "),
        Some(v) => one(v),
    }
}

/// The JSON value of a filter's value box: numbers stay numbers, lists split on commas.
fn value_json(op: Op, text: &str) -> Option<serde_json::Value> {
    let one = |s: &str| -> serde_json::Value {
        let s = s.trim();
        match s.parse::<f64>() {
            Ok(n) if n.is_finite() && !s.is_empty() => serde_json::json!(n),
            _ => serde_json::Value::String(s.to_string()),
        }
    };
    match op {
        Op::IsSet | Op::IsNotSet => None,
        Op::In | Op::NotIn => Some(serde_json::Value::Array(
            text.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(one)
                .collect(),
        )),
        Op::Contains | Op::NotContains => Some(serde_json::Value::String(text.to_string())),
        _ => Some(one(text)),
    }
}

/// Props of [`FilterEditor`].
#[derive(Properties, PartialEq)]
pub struct FilterEditorProps {
    /// UI language.
    pub lang: Lang,
    /// The dataset's properties.
    pub props: Vec<PropertySummary>,
    /// The filters being edited.
    pub group: FilterGroup,
    /// Receives the edited filters.
    pub on_change: Callback<FilterGroup>,
    /// Prefix of the test ids (`filter` → `filter-0-property`).
    pub id: AttrValue,
}

/// Edits a flat list of conditions combined with AND or OR. Nested groups from a link are
/// kept as they are and counted.
#[function_component(FilterEditor)]
pub fn filter_editor(p: &FilterEditorProps) -> Html {
    let lang = p.lang;
    let (items, any) = match &p.group {
        FilterGroup::All(v) => (v.clone(), false),
        FilterGroup::Any(v) => (v.clone(), true),
    };
    let rebuild = |items: Vec<FilterItem>, any: bool| {
        if any {
            FilterGroup::Any(items)
        } else {
            FilterGroup::All(items)
        }
    };
    let nested = items
        .iter()
        .filter(|i| matches!(i, FilterItem::Group(_)))
        .count();
    let rows = items.iter().enumerate().filter_map(|(k, item)| {
        let FilterItem::Filter(f) = item else { return None };
        let id = format!("{}-{k}", p.id);
        let set = |f2: fn(&mut Filter, String)| {
            let (items, on_change) = (items.clone(), p.on_change.clone());
            Callback::from(move |v: String| {
                let mut items = items.clone();
                if let FilterItem::Filter(f) = &mut items[k] {
                    f2(f, v);
                }
                on_change.emit(rebuild(items, any));
            })
        };
        let remove = {
            let (items, on_change) = (items.clone(), p.on_change.clone());
            Callback::from(move |_| {
                let mut items = items.clone();
                items.remove(k);
                on_change.emit(rebuild(items, any));
            })
        };
        let list = format!("{id}-values");
        let values = p
            .props
            .iter()
            .find(|x| x.name == f.property)
            .map(|x| x.top.iter().map(|(v, _)| html! { <option value={v.clone()} /> }).collect::<Html>())
            .unwrap_or_default();
        let needs_value = !matches!(f.op, Op::IsSet | Op::IsNotSet);
        let on_value = set(|f, v| f.value = value_json(f.op, &v));
        let value_change = Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            on_value.emit(el.value());
        });
        Some(html! {
            <div class="filter" key={k}>
                { with_name(select(&format!("{id}-property"), property_options(lang, &p.props), &prop_value(&f.property, f.source), set(|f, v| { let (n, s) = parse_prop_value(&v); f.property = n; f.source = s; })), t(lang, "property")) }
                <div class="row">
                    { with_name(select(&format!("{id}-op"), keyed(&OPS, lang), &json_name(&f.op), set(|f, v| if let Some(op) = from_name::<Op>(&v) {
                        let text = value_text(f);
                        f.op = op;
                        f.value = value_json(op, &text);
                    })), t(lang, "operator")) }
                    if needs_value {
                        <input type="text" list={list.clone()} data-testid={format!("{id}-value")} aria-label={t(lang, "value")} value={value_text(f)} placeholder={t(lang, "value")} onchange={value_change} />
                        <datalist id={list}>{ values }</datalist>
                    }
                    <button class="icon" title={t(lang, "remove")} aria-label={t(lang, "remove")} onclick={remove}>{"×"}</button>
                </div>
            </div>
        })
    });
    let add = {
        let (items, on_change, first) = (
            items.clone(),
            p.on_change.clone(),
            p.props.first().map(|x| x.name.clone()),
        );
        Callback::from(move |_| {
            let mut items = items.clone();
            items.push(FilterItem::Filter(Filter {
                property: first.clone().unwrap_or_default(),
                source: Source::Event,
                op: Op::Eq,
                value: Some(serde_json::Value::String(String::new())),
            }));
            on_change.emit(rebuild(items, any));
        })
    };
    let toggle = {
        let (items, on_change) = (items.clone(), p.on_change.clone());
        Callback::from(move |v: String| on_change.emit(rebuild(items.clone(), v == "any")))
    };
    html! {
        <div class="filters" data-testid={p.id.to_string()}>
            { for rows }
            if nested > 0 { <div class="muted small">{ format!("+ {nested} ") }{ t(lang, "nested_groups") }</div> }
            <div class="row">
                if !p.props.is_empty() {
                    <button class="secondary small" data-testid={format!("{}-add", p.id)} onclick={add}>{"+ "}{ t(lang, "add_filter") }</button>
                }
                if items.len() > 1 {
                    { with_name(select(&format!("{}-combine", p.id), vec![("all".into(), t(lang, "combine_all").into()), ("any".into(), t(lang, "combine_any").into())], if any { "any" } else { "all" }, toggle), t(lang, "filters")) }
                }
            </div>
        </div>
    }
}

/// Props of [`BreakdownPicker`].
#[derive(Properties, PartialEq)]
pub struct BreakdownPickerProps {
    /// UI language.
    pub lang: Lang,
    /// The dataset's properties.
    pub props: Vec<PropertySummary>,
    /// The breakdown being edited.
    pub breakdown: Option<Breakdown>,
    /// Receives the edited breakdown.
    pub on_change: Callback<Option<Breakdown>>,
}

/// Up to two breakdown properties (event or user) and the number of values kept.
#[function_component(BreakdownPicker)]
pub fn breakdown_picker(p: &BreakdownPickerProps) -> Html {
    let lang = p.lang;
    let mut options = vec![(String::new(), t(lang, "none").to_string())];
    options.extend(property_options(lang, &p.props));
    let current: Vec<PropertyRef> = p
        .breakdown
        .as_ref()
        .map(|b| b.properties.clone())
        .unwrap_or_default();
    let limit = p
        .breakdown
        .as_ref()
        .map_or(crate::engine::spec::DEFAULT_LIMIT, |b| b.limit);
    let set = |slot: usize| {
        let (current, on_change) = (current.clone(), p.on_change.clone());
        Callback::from(move |v: String| {
            let mut props = current.clone();
            if v.is_empty() {
                props.truncate(slot);
            } else {
                let (property, source) = parse_prop_value(&v);
                let r = PropertyRef { property, source };
                if slot < props.len() {
                    props[slot] = r;
                } else {
                    props.push(r);
                }
            }
            on_change.emit((!props.is_empty()).then_some(Breakdown {
                properties: props,
                limit,
            }));
        })
    };
    let set_limit = {
        let (b, on_change) = (p.breakdown.clone(), p.on_change.clone());
        Callback::from(move |v: u32| {
            if let Some(mut b) = b.clone() {
                b.limit = v as usize;
                on_change.emit(Some(b));
            }
        })
    };
    let value = |k: usize| {
        current
            .get(k)
            .map(|r| prop_value(&r.property, r.source))
            .unwrap_or_default()
    };
    html! {
        <>
            { with_name(select("breakdown", options.clone(), &value(0), set(0)), t(lang, "breakdown")) }
            if !current.is_empty() {
                { with_name(select("breakdown-2", options, &value(1), set(1)), t(lang, "breakdown")) }
                <label for="limit">{ t(lang, "top_n") }</label>
                { number_input("limit", limit as u32, 0, 1000, set_limit) }
            }
        </>
    }
}

/// The purchase event and amount the data suggests: `(event, amount)`, each only when
/// some name looks like one.
pub fn suggested_purchase(p: &PanelProps) -> (Option<String>, Option<String>) {
    let events = p.event_names();
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    let props = &p.data.overview.properties;
    let numeric: Vec<&str> = props
        .iter()
        .filter(|x| x.kind == "number")
        .map(|x| x.name.as_str())
        .collect();
    (
        suggest_purchase_event(&events).map(str::to_owned),
        suggest_amount(&numeric).map(str::to_owned),
    )
}

/// The select options of the amount: the data's numeric properties, plus `current` when
/// the data lacks it (so the spec's value stays visible and its error explains).
pub fn amount_options(p: &PanelProps, current: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = p
        .data
        .overview
        .properties
        .iter()
        .filter(|x| x.kind == "number")
        .map(|x| (x.name.clone(), x.name.clone()))
        .collect();
    if !v.iter().any(|(n, _)| n == current) {
        v.insert(0, (current.to_string(), current.to_string()));
    }
    v
}

/// The select options of the purchase event: the data's events, plus `current` when
/// the data lacks it.
pub fn purchase_options(p: &PanelProps, current: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = p
        .event_names()
        .into_iter()
        .map(|n| (n.clone(), n))
        .collect();
    if !v.iter().any(|(n, _)| n == current) {
        v.insert(0, (current.to_string(), current.to_string()));
    }
    v
}
