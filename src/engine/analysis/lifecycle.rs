//! Lifecycle: PostHog's four user states per calendar interval.
//!
//! Definitions (DESIGN.md §3, research features.md §2.4). Intervals are calendar hours,
//! days, weeks or months in the scope's time zone and week start; the intervals shown run
//! from the one holding the later of the data's first event and the range's start to the
//! one holding the earlier of the data's last event and the range's end (as in
//! trends), empty ones included.
//!
//! - **Activity.** An *active event* passes the shared filters and matches `event` (any
//!   event when none is named) and `event_filters`. A user is *active* in a shown interval
//!   when they have an active event in it that lies in the date range. The *previous
//!   interval* of the first shown interval is the calendar interval before it, whatever
//!   the date range: its active events count even though they lie before the range, so a
//!   range that starts after the data does not make the first bar all new or resurrecting.
//!   (Events of the first interval that lie before the range start, when the range starts
//!   inside an interval, count nowhere; that interval is flagged incomplete.)
//! - **Creation.** Decided over the whole data, never from the window. With `created_at`,
//!   the user's value of that property (the scope's `user_properties` rule: first or latest
//!   non-empty value over all the user's events) read as a timestamp (text in any format
//!   the importer reads, naive ones in the scope's zone, or an epoch number); a user whose
//!   value is missing or unreadable falls back to their first event, and a warning
//!   (`created_at_fallback`) counts them. Without `created_at`, the instant of the user's
//!   first event in the whole data: any event, whatever its name, properties or the
//!   shared filters. (PostHog uses the person profile's `created_at`.)
//! - **States** of a user active in interval k: **new** when their creation lies in
//!   interval k; otherwise **returning** when they were active in interval k−1, else
//!   **resurrecting** (a user created before their first activity shows as resurrecting).
//!   New takes precedence over returning: a user whose `created_at` lies after their
//!   first activity is new in the interval of their creation. A user active in k−1 but not
//!   in k is **dormant** in k, reported as a negative number: a user inactive for several
//!   intervals is dormant once, in the first of them. new + returning + resurrecting =
//!   active users of the interval.
//! - **Pulse** = (new + resurrecting) ÷ |dormant|, per interval and over all the intervals
//!   shown (sums); none when nobody is dormant.
//! - **Incomplete** intervals: an interval `[s, e)` is complete when the date range holds
//!   it (`range.from ≤ s`, `e ≤ range.to`) and the data covers it (first event ≤ s, last
//!   event ≥ e).
//! - **Breakdown.** A lifecycle is about users, so a breakdown splits users, each by their
//!   own value: every property is read as a user property (the scope's `user_properties`
//!   rule over all the user's events), whatever its `source`. Values are ranked by the
//!   users active in the date range; the top `limit` get a lifecycle each, then `(other)`,
//!   then `(none)` (users without a value). The top-level numbers are the lifecycle
//!   without the breakdown, which the values' numbers add up to.

use super::table::{opt, Table};
use crate::engine::error::Result;
use crate::engine::spec::{Breakdown, FilterGroup, PropertyRef, Ranked, Scoped, Source, Warning};
use crate::engine::time::{format_rfc3339, parse_timestamp, Granularity};
use serde::{Deserialize, Serialize};

/// Most intervals a lifecycle may have.
pub const MAX_INTERVALS: usize = 20_000;

/// A lifecycle to compute.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSpec {
    /// The event that makes a user active; any event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Conditions on that event's own properties (default none).
    #[serde(default, skip_serializing_if = "FilterGroup::is_empty")]
    pub event_filters: FilterGroup,
    /// Interval length (default day).
    #[serde(default)]
    pub interval: Granularity,
    /// A property holding when each user was created; the user's first event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Split users by their value of some properties (top `limit` values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

/// The four states per interval.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct States {
    /// Active users created in the interval.
    pub new: Vec<u64>,
    /// Active users who were active in the previous interval (and not new).
    pub returning: Vec<u64>,
    /// Active users who were not active in the previous interval (and not new).
    pub resurrecting: Vec<u64>,
    /// Minus the users active in the previous interval but not in this one.
    pub dormant: Vec<i64>,
    /// Active users (new + returning + resurrecting).
    pub active: Vec<u64>,
    /// (new + resurrecting) ÷ |dormant| per interval; none when nobody is dormant.
    pub pulse: Vec<Option<f64>>,
    /// The same ratio over all intervals shown.
    pub pulse_overall: Option<f64>,
}

/// A lifecycle.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LifecycleResult {
    /// Interval length.
    pub interval: Granularity,
    /// Interval labels, e.g. `2025-09-01`.
    pub buckets: Vec<String>,
    /// Interval start instants (RFC 3339).
    pub bucket_starts: Vec<String>,
    /// Intervals only partly covered by the date range or the data.
    pub incomplete: Vec<bool>,
    /// The states of all users.
    #[serde(flatten)]
    pub states: States,
    /// The property creation was read from; `None`: the first event.
    pub created_at: Option<String>,
    /// The breakdown's name, if any.
    pub breakdown: Option<String>,
    /// One lifecycle per breakdown value (empty without a breakdown).
    pub breakdowns: Vec<LifecycleBreakdown>,
}

/// The lifecycle of the users with one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LifecycleBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// Their states.
    #[serde(flatten)]
    pub states: States,
}

/// Counts per interval of one group of users: new, returning, resurrecting, dormant.
struct Counts {
    nb: usize,
    /// `[state * nb + interval]`, states in the order above (dormant as a positive count).
    c: Vec<u64>,
}

const NEW: usize = 0;
const RETURNING: usize = 1;
const RESURRECTING: usize = 2;
const DORMANT: usize = 3;

impl Counts {
    fn new(nb: usize) -> Self {
        Counts {
            nb,
            c: vec![0; 4 * nb],
        }
    }

    #[inline]
    fn add(&mut self, state: usize, b: usize) {
        self.c[state * self.nb + b] += 1;
    }

    fn states(&self) -> States {
        let nb = self.nb;
        let row = |s: usize| self.c[s * nb..(s + 1) * nb].to_vec();
        let (new, returning, resurrecting, dormant) =
            (row(NEW), row(RETURNING), row(RESURRECTING), row(DORMANT));
        let active: Vec<u64> = (0..nb)
            .map(|b| new[b] + returning[b] + resurrecting[b])
            .collect();
        let pulse = (0..nb)
            .map(|b| ratio(new[b] + resurrecting[b], dormant[b]))
            .collect();
        let pulse_overall = ratio(
            new.iter().sum::<u64>() + resurrecting.iter().sum::<u64>(),
            dormant.iter().sum(),
        );
        States {
            dormant: dormant.iter().map(|&d| -(d as i64)).collect(),
            new,
            returning,
            resurrecting,
            active,
            pulse,
            pulse_overall,
        }
    }
}

/// `up / down`, none when `down` is 0.
fn ratio(up: u64, down: u64) -> Option<f64> {
    (down > 0).then(|| up as f64 / down as f64)
}

/// Computes a lifecycle.
pub fn run(scope: &mut Scoped, spec: &LifecycleSpec) -> Result<LifecycleResult> {
    let matcher = scope.matcher(
        "event",
        spec.event.as_deref(),
        &FilterGroup::default(),
        false,
    )?;
    let own = if spec.event_filters.is_empty() {
        None
    } else {
        Some(scope.compile("event_filters", &spec.event_filters)?)
    };
    let created = match &spec.created_at {
        Some(name) => Some(created_at(scope, name)?),
        None => None,
    };
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", &b.per_user())?),
        None => None,
    };
    let scope = &*scope;
    let store = scope.store;
    let cal = scope.calendar(spec.interval);
    let (lo, hi) = scope.data_in_range()?;
    let (first, _, nb) = scope.intervals(&cal, (lo, hi), MAX_INTERVALS, "interval")?;
    let t = store.times();
    let prev = cal.add(first, -1);
    // a day before the previous interval's start: no event earlier can be in it, whatever
    // the zone's transitions; the key decides exactly
    let prev_floor = cal
        .start_micros(prev)
        .saturating_sub(crate::engine::time::DAY);
    let range_end = scope.range.1;
    // the interval of an active event, as (index, key): index 0.. for the shown ones, -1
    // for the previous one
    let interval = |u: u32, i: usize| -> Option<(i64, i64)> {
        let ti = t[i];
        let shown = scope.in_range(ti);
        if !shown && (ti < prev_floor || ti >= scope.range.0) {
            return None;
        }
        if !(scope.keep(i)
            && scope.matches(&matcher, i, u)
            && own.as_ref().is_none_or(|f| scope.test(f, i, u)))
        {
            return None;
        }
        let k = cal.bucket(ti);
        if shown {
            Some((cal.index(first, k), k))
        } else {
            (k == prev).then_some((-1, k))
        }
    };

    // breakdown: a slot per user, values ranked by users active in the range
    let slots: Option<(Vec<usize>, Vec<String>)> = values.as_ref().map(|v| {
        let mut rank = vec![0u64; v.len()];
        let mut present = vec![false; v.len()];
        for (u, r) in scope.users() {
            let key = v.key(r.start) as usize;
            for i in r {
                if t[i] >= range_end {
                    break;
                }
                match interval(u, i).map(|x| x.0) {
                    Some(-1) => present[key] = true,
                    Some(_) => {
                        present[key] = true;
                        rank[key] += 1;
                        break;
                    }
                    None => {}
                }
            }
        }
        let limit = spec.breakdown.as_ref().map_or(0, |b| b.limit);
        let ranked = Ranked::new(v, &rank, &present, limit);
        (ranked.slot, ranked.labels)
    });

    // every event of the data counts: users' runs of same-day events, and the interval
    // index of each day
    let runs = match scope.days() {
        Some(ix)
            if scope.counts_every_event()
                && matcher.event.is_none()
                && !matcher.has_filter()
                && own.is_none() =>
        {
            ix.keys(&cal).map(|keys| {
                let of_day: Vec<i64> = keys.iter().map(|&k| cal.index(first, k)).collect();
                (ix, of_day)
            })
        }
        _ => None,
    };
    let mut total = Counts::new(nb);
    let groups = slots.as_ref().map_or(0, |s| s.1.len());
    let mut per: Vec<Counts> = (0..groups).map(|_| Counts::new(nb)).collect();
    for (u, r) in scope.users() {
        let born = match &created {
            Some(c) if c.times[u as usize] != i64::MIN => c.times[u as usize],
            _ => t[r.start],
        };
        let born = cal.index(first, cal.bucket(born));
        let slot = match (&slots, &values) {
            (Some((slot, _)), Some(v)) => slot[v.key(r.start) as usize],
            _ => usize::MAX,
        };
        let mut last_active: Option<i64> = None;
        let mut count = |state: usize, b: i64| {
            total.add(state, b as usize);
            if let Some(c) = per.get_mut(slot) {
                c.add(state, b as usize);
            }
        };
        // an active event in interval `b`, in event order; false when it is in the last
        // active interval or before
        let mut active = |b: i64| {
            if last_active.is_some_and(|p| b <= p) {
                return false; // a zone whose clock turns back across a boundary
            }
            if let Some(p) = last_active {
                if b > p + 1 {
                    count(DORMANT, p + 1);
                }
            }
            if b >= 0 {
                let state = if born == b {
                    NEW
                } else if last_active == Some(b - 1) {
                    RETURNING
                } else {
                    RESURRECTING
                };
                count(state, b);
            }
            last_active = Some(b);
            true
        };
        if let Some((ix, of_day)) = &runs {
            // every event counts: the user's runs of same-day events
            for &d in ix.runs(u as usize).0 {
                active(of_day[d as usize]);
            }
        } else {
            // the rest of the last active interval changes nothing: its events are
            // skipped (the bucket holding an instant before `skip_until` is the last
            // active one)
            let mut skip_until = i64::MIN;
            let mut i = r.start;
            while i < r.end {
                let ti = t[i];
                if ti >= range_end {
                    break;
                }
                if ti < skip_until {
                    i += t[i..r.end].partition_point(|&x| x < skip_until);
                    continue;
                }
                i += 1;
                let Some((b, k)) = interval(u, i - 1) else {
                    continue;
                };
                if active(b) {
                    skip_until = cal.start_micros(cal.add(k, 1));
                }
            }
        }
        if let Some(p) = last_active {
            if p + 1 < nb as i64 {
                count(DORMANT, p + 1);
            }
        }
    }

    let keys: Vec<i64> = (0..nb as i64).map(|n| cal.add(first, n)).collect();
    let incomplete = keys.iter().map(|&k| scope.incomplete(&cal, k)).collect();
    let breakdowns = match &slots {
        Some((_, labels)) => labels
            .iter()
            .zip(&per)
            .map(|(label, c)| LifecycleBreakdown {
                value: label.clone(),
                states: c.states(),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(LifecycleResult {
        interval: spec.interval,
        buckets: keys.iter().map(|&k| cal.label(k)).collect(),
        bucket_starts: keys
            .iter()
            .map(|&k| format_rfc3339(cal.start_micros(k)))
            .collect(),
        incomplete,
        states: total.states(),
        created_at: spec.created_at.clone(),
        breakdown: spec.breakdown.as_ref().map(Breakdown::name),
        breakdowns,
    })
}

/// Names of a created-at property, compared without case, `$`, `_`, `-`, `.` and spaces.
const CREATED_NAMES: &[&str] = &[
    "createdat",
    "usercreatedat",
    "personcreatedat",
    "firstseen",
    "firstseenat",
    "signupat",
    "signuptime",
    "signupdate",
    "registeredat",
    "registertime",
    "registrationtime",
    "registrationdate",
    "注册时间",
    "创建时间",
];

/// The property among `names` that most likely holds users' creation time (`created_at`,
/// `$created_at`, `user_created_at`, `first_seen`, `signup_time`, `注册时间`, ...), by the
/// order of [`CREATED_NAMES`]; the app preselects it as `created_at`.
pub fn suggest_created_at<'a>(names: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, '$' | '_' | '-' | '.' | ' '))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    CREATED_NAMES
        .iter()
        .find_map(|want| names.iter().copied().find(|n| norm(n) == *want))
}

/// Every user's creation instant from a property (`i64::MIN`: missing or unreadable).
pub(crate) struct Created {
    /// Per user index: the instant, or `i64::MIN`.
    pub(crate) times: Vec<i64>,
}

/// Reads the `created_at` property per user (the scope's user-property rule) and warns
/// about the users whose value is missing or unreadable.
pub(crate) fn created_at(scope: &mut Scoped, name: &str) -> Result<Created> {
    let b = Breakdown {
        properties: vec![PropertyRef {
            property: name.to_string(),
            source: Source::User,
        }],
        limit: 0,
    };
    let values = scope.breakdown("created_at", &b)?;
    // each distinct value is parsed once
    let parsed: Vec<Option<i64>> = (0..values.len() as u32)
        .map(|k| {
            if k == 0 {
                None
            } else {
                parse_timestamp(values.label(k), &scope.zone)
            }
        })
        .collect();
    let store = scope.store;
    let mut missing = 0u64;
    let mut unreadable: Option<String> = None;
    let times = store
        .user_ranges()
        .map(|r| {
            let k = values.key(r.start);
            match parsed[k as usize] {
                Some(v) => v,
                None => {
                    missing += 1;
                    if k != 0 && unreadable.is_none() {
                        unreadable = Some(values.label(k).to_string());
                    }
                    i64::MIN
                }
            }
        })
        .collect();
    if missing > 0 {
        let users = store.user_count();
        scope.warnings.push(Warning {
            code: "created_at_fallback".into(),
            field: "created_at".into(),
            value: missing.to_string(),
            message: format!(
                "{missing} of {users} users have no readable \"{name}\"{}: their first event decides when they were created",
                unreadable
                    .as_deref()
                    .map(|v| format!(" (e.g. \"{v}\")"))
                    .unwrap_or_default()
            ),
            hint: unreadable,
        });
    }
    Ok(Created { times })
}

/// The result as a table: one row per interval (with a breakdown, a leading `breakdown`
/// column and the rows of every value). The pulse is recomputed from the counts.
pub fn table(r: &LifecycleResult) -> Table {
    let by = !r.breakdowns.is_empty();
    let mut head = Vec::new();
    if by {
        head.push("breakdown".to_string());
    }
    head.extend(
        [
            "interval",
            "new",
            "returning",
            "resurrecting",
            "dormant",
            "active",
            "pulse",
        ]
        .map(String::from),
    );
    let mut t = vec![head];
    let mut rows = |value: Option<&str>, s: &States| {
        for (b, label) in r.buckets.iter().enumerate() {
            let mut row = Vec::with_capacity(8);
            row.extend(value.map(str::to_string));
            row.extend([
                label.clone(),
                s.new[b].to_string(),
                s.returning[b].to_string(),
                s.resurrecting[b].to_string(),
                s.dormant[b].to_string(),
                s.active[b].to_string(),
                // from the counts, not the stored ratio: a result that crossed JSON
                // (worker to page) may have its floats off by one bit
                opt(ratio(
                    s.new[b] + s.resurrecting[b],
                    s.dormant[b].unsigned_abs(),
                )),
            ]);
            t.push(row);
        }
    };
    if by {
        for b in &r.breakdowns {
            rows(Some(&b.value), &b.states);
        }
    } else {
        rows(None, &r.states);
    }
    t
}
