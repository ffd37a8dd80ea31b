//! User portrait (用户画像): the composition of a set of users by one or more properties
//! (gender, age band, region, device ...), text values as categories and numbers in bins,
//! with an optional second property as a cross-tab (DESIGN.md §3 "Channel / segments").
//!
//! **Users** (`users`): `active` (default): users with at least one event in the date
//! range that passes the shared filters; `new`: users whose first event in the whole data
//! lies in the date range and passes the shared filters (the `new_users` rule of revenue
//! and channels).
//!
//! **A user's value** of a property is the value of their **last** event in the whole data
//! that has one (time, then source-row order; whatever the filters or the range), so a
//! property that changes (a new device, a birthday) counts as it is now. Users without any
//! value are `(none)`. The scope's `user_properties` rule is not used: this is the rule.
//!
//! **Categories** of a text property: the values ranked by users (ties by value); the top
//! `limit` (0 = all) are listed, then `(other)` (the rest summed), then `(none)`.
//!
//! **Bins** of a numeric property: with `edges` e0 < e1 < … < ek, the bins are `< e0`,
//! `[e0, e1)`, …, `[e(k−1), ek)`, `≥ ek`, all listed (empty ones too). Without edges,
//! `bins` (default 10) equal-width bins between the smallest and the largest value of the
//! users: bin j holds lo(j) ≤ v < lo(j + 1) with lo(j) = min + j × (max − min) / bins, and
//! the last bin also holds the largest value (`[a, b]`); all bins are listed; when every
//! value is equal there is one bin. Then `(none)`.
//!
//! **Share** = users of the category ÷ the users counted. **Cross-tab** (`breakdown`, a
//! property with the same rules): per category, the users of each breakdown category (its
//! columns: `breakdown_labels`).
//!
//! **Computation**: one pass over the users: each member's last value per property is
//! found by scanning their events backwards; counts in flat vectors.

use super::table::Table;
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Scoped, NONE, OTHER};
use crate::engine::store::{format_number, PropertyValues};
use serde::{Deserialize, Serialize};

/// Most properties in one portrait.
pub const MAX_PROPERTIES: usize = 10;

/// Most bins of a numeric property.
pub const MAX_BINS: u32 = 100;

/// A user portrait to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortraitSpec {
    /// Which users (default: active in the date range).
    #[serde(default)]
    pub users: PortraitUsers,
    /// The properties to describe (1 to 10).
    pub properties: Vec<PortraitProperty>,
    /// A second property whose categories split each category (a cross-tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<PortraitProperty>,
    /// Text categories listed before `(other)` (default 10; 0 = all).
    #[serde(default = "ten")]
    pub limit: u32,
}

impl Default for PortraitSpec {
    fn default() -> Self {
        PortraitSpec {
            users: PortraitUsers::default(),
            properties: Vec::new(),
            breakdown: None,
            limit: ten(),
        }
    }
}

fn ten() -> u32 {
    10
}

fn is_ten(v: &u32) -> bool {
    *v == 10
}

/// Which users a portrait describes.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PortraitUsers {
    /// Users with an event in the date range.
    #[default]
    Active,
    /// Users whose first event lies in the date range.
    New,
}

/// One property of a portrait and how its numbers are binned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortraitProperty {
    /// The property.
    pub property: String,
    /// Equal-width bins of a numeric property without `edges` (default 10, 1 to 100).
    #[serde(default = "ten", skip_serializing_if = "is_ten")]
    pub bins: u32,
    /// Bin edges of a numeric property, increasing (default none: equal-width bins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
}

impl PortraitProperty {
    /// The property with default binning.
    pub fn by(name: &str) -> Self {
        PortraitProperty {
            property: name.to_string(),
            bins: ten(),
            edges: Vec::new(),
        }
    }
}

/// One category (a value, a bin, `(other)` or `(none)`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Category {
    /// The value, the bin (`[10, 20)`), `(other)` or `(none)`.
    pub label: String,
    /// A bin's lower and upper bound (none for text values and the open ends).
    pub lo: Option<f64>,
    /// See `lo`.
    pub hi: Option<f64>,
    /// Users with it.
    pub users: u64,
    /// Users ÷ the users counted.
    pub share: f64,
    /// Users per breakdown category (empty without a breakdown).
    pub by: Vec<u64>,
}

/// The composition by one property.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Composition {
    /// The property.
    pub property: String,
    /// True when binned (a numeric property).
    pub numeric: bool,
    /// Its categories in order.
    pub categories: Vec<Category>,
}

/// A user portrait.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PortraitResult {
    /// Which users.
    pub users: PortraitUsers,
    /// How many users are counted.
    pub total: u64,
    /// One composition per property, in the spec's order.
    pub properties: Vec<Composition>,
    /// The breakdown property, if any.
    pub breakdown: Option<String>,
    /// The breakdown's categories (the cross-tab's columns).
    pub breakdown_labels: Vec<String>,
    /// Users per breakdown category.
    pub breakdown_users: Vec<u64>,
}

/// A property's users' values, and how they become categories.
struct Column<'a> {
    values: Values<'a>,
}

enum Values<'a> {
    Text(&'a [u32], usize),
    Number(&'a [f64]),
}

/// Names of the usual portrait properties, normalised like purchase names (lowercase, no
/// `$ _ - .` or space): gender, age, region, device, in that order.
const PORTRAIT_NAMES: [&str; 24] = [
    "gender",
    "sex",
    "性别",
    "age",
    "ageband",
    "agegroup",
    "年龄",
    "年龄段",
    "region",
    "province",
    "city",
    "country",
    "地区",
    "省份",
    "城市",
    "国家",
    "device",
    "devicemodel",
    "platform",
    "os",
    "设备",
    "机型",
    "平台",
    "系统",
];

/// The properties among `names` a portrait usually describes (gender, age, region,
/// device ...), at most four, in that order; the app preselects them.
pub fn suggest_properties<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = Vec::new();
    for want in PORTRAIT_NAMES {
        if let Some(n) = names
            .iter()
            .copied()
            .find(|n| super::purchases::normalise(n) == want)
        {
            if !out.contains(&n) && out.len() < 4 {
                out.push(n);
            }
        }
    }
    out
}

/// A number as a bin label (at most 6 decimals).
fn number(v: f64) -> String {
    format_number((v * 1e6).round() / 1e6)
}

/// Checks a property spec and finds its column.
fn column<'a>(scope: &Scoped<'a>, field: &str, p: &PortraitProperty) -> Result<Column<'a>> {
    let i = scope.property_index(&format!("{field}.property"), &p.property)?;
    let store: &'a crate::engine::store::EventStore = scope.store;
    let values = match &store.properties()[i].values {
        PropertyValues::String { dict, codes } => {
            if !p.edges.is_empty() {
                return Err(Error::spec(
                    format!("{field}.edges"),
                    format!("\"{}\" holds text: only numbers have bins", p.property),
                )
                .keyed("bins_on_text", &[("name", &p.property)]));
            }
            Values::Text(codes.as_slice(), dict.len())
        }
        PropertyValues::Number { values } => Values::Number(values.as_slice()),
    };
    check_binning(field, p)?;
    Ok(Column { values })
}

/// Checks a property's `bins` (`bins_range`) and `edges` (`edges_order`); `field` names
/// the property in errors.
pub fn check_binning(field: &str, p: &PortraitProperty) -> Result<()> {
    if p.bins == 0 || p.bins > MAX_BINS {
        return Err(Error::spec(
            format!("{field}.bins"),
            format!("must be between 1 and {MAX_BINS}, got {}", p.bins),
        )
        .keyed("bins_range", &[("max", &MAX_BINS), ("got", &p.bins)]));
    }
    for (k, e) in p.edges.iter().enumerate() {
        if !e.is_finite() || (k > 0 && *e <= p.edges[k - 1]) {
            return Err(Error::spec(
                format!("{field}.edges[{k}]"),
                "edges must be finite numbers, each larger than the one before",
            )
            .keyed("edges_order", &[("got", &e)]));
        }
    }
    Ok(())
}

/// The labels of the bins of `edges` (at least one): `< e0`, `[e0, e1)`, …, `≥ ek`.
pub fn edge_labels(edges: &[f64]) -> Vec<String> {
    let mut out = vec![format!("< {}", number(edges[0]))];
    for w in edges.windows(2) {
        out.push(format!("[{}, {})", number(w[0]), number(w[1])));
    }
    out.push(format!("≥ {}", number(edges[edges.len() - 1])));
    out
}

/// Checks the number of properties (`properties_count`).
pub fn check_properties(spec: &PortraitSpec) -> Result<()> {
    if spec.properties.is_empty() || spec.properties.len() > MAX_PROPERTIES {
        return Err(Error::spec(
            "properties",
            format!(
                "give 1 to {MAX_PROPERTIES} properties, got {}",
                spec.properties.len()
            ),
        )
        .keyed(
            "properties_count",
            &[("max", &MAX_PROPERTIES), ("got", &spec.properties.len())],
        ));
    }
    Ok(())
}

/// A category before counting: its label and bounds.
type Bin = (String, Option<f64>, Option<f64>);

/// The categories of one property over the members: a key per member (into the labels)
/// and the categories (without counts).
fn categorise(
    col: &Column,
    p: &PortraitProperty,
    last: &[usize],
    dict: Option<&crate::engine::store::Dictionary>,
    limit: usize,
) -> (Vec<usize>, Vec<Bin>) {
    match col.values {
        Values::Text(codes, n) => {
            let dict = dict.expect("a text column has a dictionary");
            let mut count = vec![0u64; n + 1];
            let vals: Vec<u32> = last
                .iter()
                .map(|&i| if i == usize::MAX { 0 } else { codes[i] })
                .collect();
            for &c in &vals {
                count[c as usize] += 1;
            }
            let mut ranked: Vec<usize> = (1..=n).filter(|&c| count[c] > 0).collect();
            ranked.sort_by(|&a, &b| {
                count[b]
                    .cmp(&count[a])
                    .then_with(|| dict.get(a as u32 - 1).cmp(dict.get(b as u32 - 1)))
            });
            let keep = if limit == 0 {
                ranked.len()
            } else {
                limit.min(ranked.len())
            };
            let mut slot = vec![usize::MAX; n + 1];
            let mut cats: Vec<Bin> = ranked[..keep]
                .iter()
                .enumerate()
                .map(|(s, &c)| {
                    slot[c] = s;
                    (dict.get(c as u32 - 1).to_string(), None, None)
                })
                .collect();
            if keep < ranked.len() {
                for &c in &ranked[keep..] {
                    slot[c] = cats.len();
                }
                cats.push((OTHER.to_string(), None, None));
            }
            if count[0] > 0 {
                slot[0] = cats.len();
                cats.push((NONE.to_string(), None, None));
            }
            (vals.iter().map(|&c| slot[c as usize]).collect(), cats)
        }
        Values::Number(values) => {
            let vals: Vec<f64> = last
                .iter()
                .map(|&i| if i == usize::MAX { f64::NAN } else { values[i] })
                .collect();
            let mut cats = Vec::new();
            let key_of: Box<dyn Fn(f64) -> usize> = if !p.edges.is_empty() {
                let e = p.edges.clone();
                let labels = edge_labels(&e);
                // bin k lies between edges k - 1 and k (open at both ends)
                for (k, label) in labels.into_iter().enumerate() {
                    let lo = k.checked_sub(1).map(|j| e[j]);
                    cats.push((label, lo, e.get(k).copied()));
                }
                // the number of edges at or below v
                Box::new(move |v| e.partition_point(|&x| x <= v))
            } else {
                let (lo, hi) = vals
                    .iter()
                    .filter(|v| !v.is_nan())
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
                if lo > hi {
                    Box::new(|_| 0)
                } else {
                    let n = if lo == hi { 1 } else { p.bins as usize };
                    let width = (hi - lo) / n as f64;
                    let bound = move |j: usize| lo + j as f64 * width;
                    for j in 0..n {
                        let (a, b) = (bound(j), if j + 1 == n { hi } else { bound(j + 1) });
                        let close = if j + 1 == n { "]" } else { ")" };
                        cats.push((
                            format!("[{}, {}{close}", number(a), number(b)),
                            Some(a),
                            Some(b),
                        ));
                    }
                    Box::new(move |v| {
                        let mut j = (((v - lo) / width) as usize).min(n - 1);
                        while j + 1 < n && v >= bound(j + 1) {
                            j += 1;
                        }
                        while j > 0 && v < bound(j) {
                            j -= 1;
                        }
                        j
                    })
                }
            };
            let none = cats.len();
            let keys: Vec<usize> = vals
                .iter()
                .map(|&v| if v.is_nan() { none } else { key_of(v) })
                .collect();
            if keys.contains(&none) {
                cats.push((NONE.to_string(), None, None));
            }
            (keys, cats)
        }
    }
}

/// The event index of each member's last value of property column `col`
/// (`usize::MAX`: none).
fn last_values(scope: &Scoped, members: &[u32], col: &Column) -> Vec<usize> {
    let store = scope.store;
    members
        .iter()
        .map(|&u| {
            let r = store.user_range(u as usize);
            let found = match col.values {
                Values::Text(codes, _) => r.rev().find(|&i| codes[i] != 0),
                Values::Number(values) => r.rev().find(|&i| !values[i].is_nan()),
            };
            found.unwrap_or(usize::MAX)
        })
        .collect()
}

/// The dictionary of a text property.
fn dictionary<'a>(scope: &Scoped<'a>, name: &str) -> Option<&'a crate::engine::store::Dictionary> {
    let store: &'a crate::engine::store::EventStore = scope.store;
    match &store.property(name)?.values {
        PropertyValues::String { dict, .. } => Some(dict),
        PropertyValues::Number { .. } => None,
    }
}

/// Computes a user portrait.
pub fn run(scope: &mut Scoped, spec: &PortraitSpec) -> Result<PortraitResult> {
    check_properties(spec)?;
    let scope = &*scope;
    let cols: Vec<Column> = spec
        .properties
        .iter()
        .enumerate()
        .map(|(k, p)| column(scope, &format!("properties[{k}]"), p))
        .collect::<Result<_>>()?;
    let by = match &spec.breakdown {
        Some(b) => Some(column(scope, "breakdown", b)?),
        None => None,
    };
    scope.data_in_range()?;
    let t = scope.store.times();
    let members: Vec<u32> = scope
        .users()
        .filter(|(_, r)| match spec.users {
            PortraitUsers::Active => r.clone().any(|i| scope.in_range(t[i]) && scope.keep(i)),
            PortraitUsers::New => scope.in_range(t[r.start]) && scope.keep(r.start),
        })
        .map(|(u, _)| u)
        .collect();
    let total = members.len() as u64;
    let limit = spec.limit as usize;
    let (by_keys, by_cats) = match (&by, &spec.breakdown) {
        (Some(col), Some(p)) => {
            let last = last_values(scope, &members, col);
            categorise(col, p, &last, dictionary(scope, &p.property), limit)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let nb = by_cats.len();
    let mut breakdown_users = vec![0u64; nb];
    for &b in &by_keys {
        breakdown_users[b] += 1;
    }
    let share = |n: u64| {
        if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        }
    };
    let mut properties = Vec::with_capacity(cols.len());
    for (col, p) in cols.iter().zip(&spec.properties) {
        let last = last_values(scope, &members, col);
        let (keys, cats) = categorise(col, p, &last, dictionary(scope, &p.property), limit);
        let mut users = vec![0u64; cats.len()];
        let mut cross = vec![0u64; cats.len() * nb];
        for (m, &k) in keys.iter().enumerate() {
            users[k] += 1;
            if nb > 0 {
                cross[k * nb + by_keys[m]] += 1;
            }
        }
        properties.push(Composition {
            property: p.property.clone(),
            numeric: matches!(col.values, Values::Number(_)),
            categories: cats
                .into_iter()
                .enumerate()
                .map(|(k, (label, lo, hi))| Category {
                    label,
                    lo,
                    hi,
                    users: users[k],
                    share: share(users[k]),
                    by: cross[k * nb..(k + 1) * nb].to_vec(),
                })
                .collect(),
        });
    }
    Ok(PortraitResult {
        users: spec.users,
        total,
        properties,
        breakdown: spec.breakdown.as_ref().map(|b| b.property.clone()),
        breakdown_labels: by_cats.into_iter().map(|c| c.0).collect(),
        breakdown_users,
    })
}

/// The result as a table: one row per (property, category): `property`, `category`,
/// `users`, `share`, then one column per breakdown category (users).
pub fn table(r: &PortraitResult) -> Table {
    let mut head = ["property", "category", "users", "share"]
        .map(String::from)
        .to_vec();
    head.extend(r.breakdown_labels.iter().cloned());
    let mut t = vec![head];
    for c in &r.properties {
        for x in &c.categories {
            let mut row = vec![
                c.property.clone(),
                x.label.clone(),
                x.users.to_string(),
                if r.total == 0 {
                    String::new()
                } else {
                    (x.users as f64 / r.total as f64).to_string()
                },
            ];
            row.extend(x.by.iter().map(u64::to_string));
            t.push(row);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_properties_are_suggested_in_order() {
        assert_eq!(
            suggest_properties(&["channel", "Platform", "country", "Gender", "年龄段"]),
            ["Gender", "年龄段", "country", "Platform"]
        );
        assert!(suggest_properties(&["channel", "revenue"]).is_empty());
    }
}
