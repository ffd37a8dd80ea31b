//! The customer summary tab: the purchase event (with its own filters), the amount
//! property and the observation date; below the chart the first rows of the per-customer
//! summary (frequency, recency, T, monetary value) with the number of customers. The CSV
//! download holds every customer. A breakdown labels each customer with their value in a
//! leading column (the chart stays that of all customers).

use super::count;
use super::i18n::t;
use super::shell::{use_spec, PanelProps, Shell};
use super::widgets::{
    amount_options, edit, purchase_options, select, suggested_purchase, text_input,
    BreakdownPicker, FilterEditor,
};
use crate::engine::analysis::customers::CustomersSpec;
use crate::engine::analysis::{AnalysisResult, AnalysisSpec};
use crate::engine::spec::{Breakdown, FilterGroup};
use yew::prelude::*;

/// Rows shown on the page (the CSV download has them all).
pub const SHOWN: usize = 100;

/// The customer summary tab.
#[function_component(Panel)]
pub fn panel(p: &PanelProps) -> Html {
    let lang = p.lang;
    let props = p.data.overview.properties.clone();
    let (event, amount) = suggested_purchase(p);
    let spec = use_spec(p, || {
        let d = CustomersSpec::default();
        CustomersSpec {
            purchase_event: event.unwrap_or(d.purchase_event.clone()),
            amount: amount.unwrap_or(d.amount.clone()),
            ..d
        }
    });
    let on_filters = edit(&spec, |s, g: FilterGroup| s.purchase_filters = g);
    let builder = html! {
        <>
            <label for="purchase-event">{ t(lang, "purchase_event") }</label>
            { select("purchase-event", purchase_options(p, &spec.purchase_event), &spec.purchase_event, edit(&spec, |s, v| s.purchase_event = v)) }
            <FilterEditor lang={lang} props={props.clone()} group={spec.purchase_filters.clone()} on_change={on_filters} id="purchase-filter" />
            <label for="amount">{ t(lang, "amount") }</label>
            { select("amount", amount_options(p, &spec.amount), &spec.amount, edit(&spec, |s, v| s.amount = v)) }
            <label for="observation-date">{ t(lang, "observation_date") }</label>
            { text_input("observation-date", spec.observation_date.as_deref().unwrap_or(""), t(lang, "observation_date_default"), edit(&spec, |s, v: String| s.observation_date = (!v.trim().is_empty()).then(|| v.trim().to_string()))) }
            <label>{ t(lang, "breakdown") }</label>
            <BreakdownPicker lang={lang} props={props} breakdown={spec.breakdown.clone()} on_change={edit(&spec, |s, b: Option<Breakdown>| s.breakdown = b)} />
            <p class="muted small">{ t(lang, "customers_note") }</p>
        </>
    };
    let body = match p.result().as_deref() {
        Some(AnalysisResult::Customers(r)) => {
            let rows = r.customers.iter().take(SHOWN).map(|c| {
                html! {
                    <tr>
                        if let Some(v) = &c.value {
                            <td class="name">{ v.clone() }</td>
                        }
                        <td class="name">{ c.user.clone() }</td>
                        <td class="num">{ c.frequency }</td>
                        <td class="num">{ c.recency }</td>
                        <td class="num">{ c.t }</td>
                        <td class="num">{ format!("{:.2}", c.monetary_value) }</td>
                        <td class="num">{ c.purchases }</td>
                        <td class="num">{ format!("{:.2}", c.revenue) }</td>
                        <td>{ c.first_purchase.clone() }</td>
                        <td>{ c.last_purchase.clone() }</td>
                    </tr>
                }
            });
            html! {
                <div class="scroll tall" tabindex="0">
                    <p class="muted small" data-testid="customers-count">
                        { format!("{} {} · {} {} · {} {} · {} {}",
                            t(lang, "customers_axis"), count(r.customers.len() as u64),
                            t(lang, "repeat_customers"), count(r.repeat_customers),
                            t(lang, "observation_date"), r.observation_date,
                            t(lang, "customers_shown"), count(r.customers.len().min(SHOWN) as u64)) }
                    </p>
                    <table class="grid" data-testid="customers-table">
                        <thead><tr>
                            if let Some(b) = &r.breakdown {
                                <th>{ b.clone() }</th>
                            }
                            <th>{ t(lang, "user") }</th>
                            <th class="num">{ t(lang, "cust_frequency") }</th>
                            <th class="num">{ t(lang, "cust_recency") }</th>
                            <th class="num">{ t(lang, "cust_t") }</th>
                            <th class="num">{ t(lang, "cust_monetary") }</th>
                            <th class="num">{ t(lang, "cust_purchases") }</th>
                            <th class="num">{ t(lang, "cust_revenue") }</th>
                            <th>{ t(lang, "cust_first") }</th>
                            <th>{ t(lang, "cust_last") }</th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
        }
        _ => html! {},
    };
    html! { <Shell panel={p.clone()} spec={(*spec).clone().into_spec()} {builder} {body} /> }
}
