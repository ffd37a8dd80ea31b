//! Purchases: which events are purchases and which numeric property holds their amount.
//!
//! Shared by every analysis that reads money (revenue, LTV, RFM, A/B revenue per user,
//! channels). A spec names the purchase event and the amount property in its own fields
//! (`purchase_event`, `amount`); [`resolve`] checks both against the data once and gives a
//! [`Purchases`] that answers per event. The rules, the same everywhere:
//! - a purchase is an event of the purchase event (with its filters, if the spec has any);
//! - its amount is the property's value; an amount of 0 is still a purchase;
//! - an event of the purchase event with a negative amount is a refund: it lowers revenue
//!   (revenue is net) but is not a purchase (not in purchase counts, paying users,
//!   frequency);
//! - a purchase without an amount counts as a purchase of 0, and a warning
//!   (`amount_missing`, value = how many) says so.
//!
//! [`suggest_purchase_event`] and [`suggest_amount`] pick defaults from the names in the
//! data for the app's builders.

use crate::engine::error::Result;
use crate::engine::spec::{EventMatcher, FilterGroup, Scoped, Warning};

/// The purchase event a spec names when it names none.
pub const DEFAULT_PURCHASE_EVENT: &str = "purchase";

/// The amount property a spec names when it names none.
pub const DEFAULT_AMOUNT: &str = "revenue";

/// Event names that usually mean a purchase, normalised (lowercase, no `$ _ - . ` or space),
/// most specific first.
const PURCHASE_NAMES: [&str; 12] = [
    "purchase",
    "ordercompleted",
    "orderpaid",
    "paysuccess",
    "paymentsuccess",
    "checkoutcompleted",
    "purchased",
    "payment",
    "pay",
    "order",
    "支付成功",
    "购买",
];

/// Property names that usually hold an order's amount, normalised like [`PURCHASE_NAMES`].
const AMOUNT_NAMES: [&str; 14] = [
    "revenue",
    "amount",
    "orderamount",
    "payamount",
    "price",
    "value",
    "total",
    "ordertotal",
    "propertiesrevenue",
    "propertiesamount",
    "propertiesprice",
    "支付金额",
    "订单金额",
    "金额",
];

/// A name lowercased without `$ _ - . ` and spaces, to compare column names loosely.
pub(crate) fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '$' | '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first name of `wanted` (most specific first) that one of `names` spells,
/// compared without case, `$ _ - .` or spaces.
pub(crate) fn suggest<'a>(wanted: &[&str], names: &[&'a str]) -> Option<&'a str> {
    wanted
        .iter()
        .find_map(|want| names.iter().copied().find(|n| normalise(n) == *want))
}

/// The event among `names` most likely to be a purchase, if any looks like one.
pub fn suggest_purchase_event<'a>(names: &[&'a str]) -> Option<&'a str> {
    suggest(&PURCHASE_NAMES, names)
}

/// The property among `names` most likely to hold an amount, if any looks like one.
pub fn suggest_amount<'a>(names: &[&'a str]) -> Option<&'a str> {
    suggest(&AMOUNT_NAMES, names)
}

/// The purchases of a spec, resolved against the data.
pub struct Purchases<'a> {
    /// Matches purchase events.
    pub matcher: EventMatcher,
    amounts: &'a [f64],
}

impl Purchases<'_> {
    /// The amount of event `i` (0 when it has none). Call it for purchase events only.
    #[inline]
    pub fn amount(&self, i: usize) -> f64 {
        let v = self.amounts[i];
        if v.is_nan() {
            0.0
        } else {
            v
        }
    }

    /// True when purchase event `i` is a refund (a negative amount).
    #[inline]
    pub fn is_refund(&self, i: usize) -> bool {
        self.amounts[i] < 0.0
    }

    /// True when event `i` of user `u` is of the purchase event (a purchase or a refund) (the shared filters are not checked:
    /// see [`Scoped::keep`]).
    #[inline]
    pub fn is_purchase_event(&self, scope: &Scoped, i: usize, u: u32) -> bool {
        scope.matches(&self.matcher, i, u)
    }
}

/// Resolves the purchase event `event` (with `filters`) and the numeric property `amount`.
///
/// `event_field` and `amount_field` name the spec fields in errors: an unknown event is an
/// error with a "did you mean", an unknown or text property a keyed `unknown_property` /
/// `property_not_numeric` error. Purchases in the data without an amount add an
/// `amount_missing` warning.
pub fn resolve<'a>(
    scope: &mut Scoped<'a>,
    event_field: &str,
    event: &str,
    filters: &FilterGroup,
    amount_field: &str,
    amount: &str,
) -> Result<Purchases<'a>> {
    let amounts = scope.numeric_property(amount_field, amount)?;
    let matcher = scope.matcher(event_field, Some(event), filters, false)?;
    let code = matcher.event;
    let codes = scope.store.event_codes();
    let missing = codes
        .iter()
        .zip(amounts)
        .filter(|&(&c, v)| Some(c) == code && v.is_nan())
        .count();
    if missing > 0 {
        scope.warnings.push(Warning {
            code: "amount_missing".into(),
            field: amount_field.into(),
            value: missing.to_string(),
            hint: None,
            message: format!(
                "{missing} \"{event}\" events have no \"{amount}\": they count as purchases of 0"
            ),
        });
    }
    Ok(Purchases { matcher, amounts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_common_names() {
        assert_eq!(
            suggest_purchase_event(&["app_open", "Order Completed", "view"]),
            Some("Order Completed")
        );
        assert_eq!(
            suggest_purchase_event(&["pay", "purchase"]),
            Some("purchase")
        );
        assert_eq!(suggest_purchase_event(&["open", "view"]), None);
        assert_eq!(
            suggest_amount(&["platform", "properties.revenue", "price"]),
            Some("price")
        );
        assert_eq!(suggest_amount(&["country", "支付金额"]), Some("支付金额"));
        assert_eq!(suggest_amount(&["country"]), None);
    }
}
