//! Sessions and web metrics: page views (PV, 浏览量), visitors (UV, 访客数), sessions
//! (访问次数), pages per session, bounce rate (跳出率), exit rate (退出率), session duration
//! (平均访问时长), time on page (页面停留时间), entry pages (入口页) and exit pages (退出页),
//! per page and over time (DESIGN.md §3, research features.md §2.8).
//!
//! **Events in scope.** An event is *in scope* when it lies in the date range and passes the
//! shared filters. Everything below is built from the events in scope only: a filter on
//! `platform = iOS` builds sessions from the iOS events alone, and a session that crosses
//! the start or end of the date range is cut there.
//!
//! **Page views.** A *page view* is an event in scope whose name is one of `page_events`
//! (any event name when the list is empty) and that has a value of the `page` property
//! (default `page`). Events of the named page events without a page value are not page
//! views; a warning (`page_missing`) counts them.
//!
//! **Sessions.** Without `session`, a user's events in scope, in time order (then source
//! row), form one session while the gap between consecutive events is shorter than
//! `timeout_minutes` (default 30): a gap of exactly the timeout starts a new session. All
//! of the user's events in scope take part, page views or not. Sessions do not restart at
//! midnight or after some maximum length (GA4's rule; PostHog also cuts at 24 h, Loupe does
//! not). With `session` (a session-id property), a user's events in scope with the same
//! value of that property form one session, however far apart and even if other sessions'
//! events lie between them; events in scope without a value take part in no session and
//! are left out of every number (a warning, `session_missing`, counts them).
//!
//! **Which sessions count.** Like PostHog's web analytics, only sessions with at least one
//! page view count as sessions; `sessions_without_page_views` counts the others.
//!
//! **Definitions**, per session with page views p₁ … pₖ (k ≥ 1, in time order):
//! - *entry page* = page of p₁, *exit page* = page of pₖ;
//! - the session *bounces* when k = 1 (exactly one page view; Amplitude's and classic
//!   analytics' rule; GA4's bounce = not engaged, i.e. under 10 s, no key event and fewer
//!   than 2 page views, is not implemented);
//! - *duration* = last event − first event of the session (all its events, not only page
//!   views); a session with one event lasts 0 and counts in the average as 0;
//! - *time on page* of pⱼ (j < k) = t(pⱼ₊₁) − t(pⱼ); the last page view of a session has no
//!   time on page: it is left out of the average (not counted as 0).
//!
//! **Totals:** `page_views` (PV), `users` (UV: distinct users with a page view), `sessions`,
//! `pages_per_session` = PV ÷ sessions, `bounce_rate` = bounced sessions ÷ sessions,
//! `average_session_seconds` = mean duration over sessions, `average_time_on_page_seconds`
//! = mean time on page over the page views that have one.
//!
//! **Per page** (the top `limit` pages by views, ties by name; 0 keeps all): `views`,
//! `viewers` (distinct users), `entries` (sessions entering on it), `exits` (sessions
//! leaving from it), `bounces` (sessions entering on it that bounced), `bounce_rate` =
//! bounces ÷ entries, `exit_rate` = exits ÷ views, `average_time_on_page_seconds` (its
//! page views with a next page view in the session).
//!
//! **Over time** (calendar intervals of `interval` in the scope's zone and week start, from
//! the one holding the later of the data's first event and the range's start to the one
//! holding the earlier of the data's last event and the range's end, whatever the filters,
//! as in trends; empty ones included, partial ones flagged `incomplete` by the shared
//! rule): `page_views` and
//! `users` by each page view's own time; `sessions`, `pages_per_session` (page views of
//! those sessions ÷ sessions), `bounce_rate` and `average_session_seconds` of the sessions
//! whose *first event* lies in the interval.
//!
//! **Breakdown.** A session takes the breakdown value of its *first event* (the first in
//! scope, page view or not; a `source: "user"` property gives the user's value): the
//! session's page views, bounce, duration and times on page all count under that value.
//! Per value: the totals above, with `users` = distinct users with a session of that value
//! that has a page view (a user with sessions under two values counts in both, so users do
//! not add up; every other count does). Values are ranked by their sessions (with page
//! views), the top `limit` kept, then `(other)` and `(none)` (sessions whose first event
//! has no value). Pages and the over-time view stay those of all sessions.
//!
//! **Computation.** One pass over each user's events in time order, flat `Vec` counters
//! indexed by page code and interval; with a session column, a user's events are grouped
//! by session through a flat table of the column's codes (sorted only when a user's
//! sessions interleave).

use super::table::{opt, Table};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{Breakdown, BreakdownValues, Ranked, Scoped, Warning};
use crate::engine::time::{format_rfc3339, Granularity};
use serde::{Deserialize, Serialize};

/// Most intervals the over-time view may have.
pub const MAX_INTERVALS: usize = super::trends::MAX_BUCKETS;

/// The page property a spec names when it names none.
pub const DEFAULT_PAGE: &str = "page";

/// Default inactivity timeout in minutes.
pub const DEFAULT_TIMEOUT_MINUTES: u32 = 30;

/// Default number of pages listed.
pub const DEFAULT_LIMIT: usize = 20;

/// Longest timeout accepted: 7 days, in minutes.
pub const MAX_TIMEOUT_MINUTES: u32 = 7 * 24 * 60;

/// A sessions analysis to compute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionsSpec {
    /// The page-view events; any event with a page value when empty (default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_events: Vec<String>,
    /// The property holding the page (default `page`).
    #[serde(default = "default_page")]
    pub page: String,
    /// A session-id property; sessions split at `timeout_minutes` of inactivity when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Minutes of inactivity that end a session (default 30; ignored with `session`).
    #[serde(default = "default_timeout")]
    pub timeout_minutes: u32,
    /// Interval of the over-time view (default day).
    #[serde(default)]
    pub interval: Granularity,
    /// Pages listed, the most viewed first (default 20; 0 keeps all).
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// What the chart and the table show: pages (default) or over time.
    #[serde(default)]
    pub view: SessionsView,
    /// The totals per value of the property of each session's first event (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

fn default_page() -> String {
    DEFAULT_PAGE.to_string()
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MINUTES
}

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

impl Default for SessionsSpec {
    fn default() -> Self {
        SessionsSpec {
            page_events: Vec::new(),
            page: default_page(),
            session: None,
            timeout_minutes: DEFAULT_TIMEOUT_MINUTES,
            interval: Granularity::Day,
            limit: DEFAULT_LIMIT,
            view: SessionsView::default(),
            breakdown: None,
        }
    }
}

/// Which part of the result the chart and the table show (the result has both).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SessionsView {
    /// The per-page numbers.
    #[default]
    Pages,
    /// The numbers per interval.
    OverTime,
}

/// Sessions and web metrics.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SessionsResult {
    /// What the chart and the table show.
    pub view: SessionsView,
    /// The page property.
    pub page: String,
    /// The session-id property, if sessions come from one.
    pub session: Option<String>,
    /// The inactivity timeout in minutes (used when `session` is absent).
    pub timeout_minutes: u32,
    /// Interval of the over-time view.
    pub interval: Granularity,
    /// The numbers over all pages and intervals.
    pub totals: SessionTotals,
    /// Distinct pages viewed.
    pub page_count: u64,
    /// The most viewed pages (at most `limit`), most views first, ties by name.
    pub pages: Vec<PageRow>,
    /// The numbers per interval.
    pub over_time: OverTime,
    /// The breakdown's name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<String>,
    /// The totals of the sessions of each breakdown value (empty without a breakdown):
    /// the top values by sessions, then `(other)`, then `(none)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<SessionsBreakdown>,
}

/// The totals of the sessions whose first event has one breakdown value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SessionsBreakdown {
    /// The value's label (`(other)`, `(none)` included).
    pub value: String,
    /// The totals over those sessions.
    pub totals: SessionTotals,
}

/// Summable counters of the sessions of one breakdown key or value.
#[derive(Clone, Copy, Default)]
struct ValueCount {
    page_views: u64,
    sessions: u64,
    without_pv: u64,
    bounces: u64,
    duration: i64,
    time_sum: i64,
    timed: u64,
}

impl ValueCount {
    fn add(&mut self, o: &ValueCount) {
        self.page_views += o.page_views;
        self.sessions += o.sessions;
        self.without_pv += o.without_pv;
        self.bounces += o.bounces;
        self.duration += o.duration;
        self.time_sum += o.time_sum;
        self.timed += o.timed;
    }

    fn totals(&self, users: u64) -> SessionTotals {
        SessionTotals {
            page_views: self.page_views,
            users,
            sessions: self.sessions,
            sessions_without_page_views: self.without_pv,
            bounces: self.bounces,
            pages_per_session: ratio(self.page_views as f64, self.sessions),
            bounce_rate: ratio(self.bounces as f64, self.sessions),
            average_session_seconds: ratio(self.duration as f64 / SECOND, self.sessions),
            average_time_on_page_seconds: ratio(self.time_sum as f64 / SECOND, self.timed),
        }
    }
}

/// The numbers over all pages and intervals.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SessionTotals {
    /// Page views (PV).
    pub page_views: u64,
    /// Distinct users with a page view (UV).
    pub users: u64,
    /// Sessions with at least one page view.
    pub sessions: u64,
    /// Sessions without a page view (not in `sessions`).
    pub sessions_without_page_views: u64,
    /// Sessions with exactly one page view.
    pub bounces: u64,
    /// `page_views` ÷ `sessions` (absent without sessions).
    pub pages_per_session: Option<f64>,
    /// `bounces` ÷ `sessions`.
    pub bounce_rate: Option<f64>,
    /// Mean session duration in seconds (one-event sessions count as 0).
    pub average_session_seconds: Option<f64>,
    /// Mean time on page in seconds over the page views that have a next page view in
    /// their session.
    pub average_time_on_page_seconds: Option<f64>,
}

/// The numbers of one page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PageRow {
    /// The page value.
    pub page: String,
    /// Page views.
    pub views: u64,
    /// Distinct users who viewed it.
    pub viewers: u64,
    /// Sessions whose first page view is this page.
    pub entries: u64,
    /// Sessions whose last page view is this page.
    pub exits: u64,
    /// Sessions entering on this page with exactly one page view.
    pub bounces: u64,
    /// `bounces` ÷ `entries`.
    pub bounce_rate: Option<f64>,
    /// `exits` ÷ `views`.
    pub exit_rate: Option<f64>,
    /// Mean time to the next page view of the session, in seconds (last page views of
    /// sessions left out).
    pub average_time_on_page_seconds: Option<f64>,
}

/// The numbers per interval.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct OverTime {
    /// Interval labels, e.g. `2025-09-01`.
    pub buckets: Vec<String>,
    /// Interval start instants (RFC 3339).
    pub bucket_starts: Vec<String>,
    /// Intervals only partly covered by the date range or the data.
    pub incomplete: Vec<bool>,
    /// Page views in the interval.
    pub page_views: Vec<u64>,
    /// Distinct users with a page view in the interval.
    pub users: Vec<u64>,
    /// Sessions whose first event lies in the interval.
    pub sessions: Vec<u64>,
    /// Page views of those sessions ÷ sessions.
    pub pages_per_session: Vec<Option<f64>>,
    /// Bounced sessions ÷ sessions (sessions starting in the interval).
    pub bounce_rate: Vec<Option<f64>>,
    /// Mean duration in seconds of the sessions starting in the interval.
    pub average_session_seconds: Vec<Option<f64>>,
}

/// `a / b`, absent when `b` is 0.
fn ratio(a: f64, b: u64) -> Option<f64> {
    (b > 0).then(|| a / b as f64)
}

/// Microseconds per second.
const SECOND: f64 = 1e6;

/// Counters of the pass, flat and indexed by page key or interval.
struct Counts {
    // per page key
    views: Vec<u64>,
    viewers: Vec<u64>,
    last_viewer: Vec<u32>,
    entries: Vec<u64>,
    exits: Vec<u64>,
    bounces: Vec<u64>,
    time_sum: Vec<i64>,
    timed: Vec<u64>,
    // per interval
    pv: Vec<u64>,
    uv: Vec<u64>,
    last_user: Vec<u32>,
    sessions: Vec<u64>,
    session_pv: Vec<u64>,
    session_bounces: Vec<u64>,
    duration_sum: Vec<i64>,
    // totals
    users: u64,
    without_pv: u64,
    // per breakdown key (empty without a breakdown)
    by_key: Vec<ValueCount>,
}

/// The session being read.
#[derive(Clone, Copy)]
struct Open {
    /// First and last event time.
    first: i64,
    last: i64,
    /// Interval of the first event.
    bucket: u32,
    /// Page views so far.
    views: u64,
    /// Key of the first page view.
    entry: u32,
    /// Key and time of the latest page view.
    prev: (u32, i64),
    /// Breakdown key of the first event (0 without a breakdown).
    value: u32,
    /// Time on page so far: sum and page views timed.
    time: (i64, u64),
}

impl Counts {
    fn new(pages: usize, nb: usize, keys: usize) -> Self {
        Counts {
            views: vec![0; pages],
            viewers: vec![0; pages],
            last_viewer: vec![u32::MAX; pages],
            entries: vec![0; pages],
            exits: vec![0; pages],
            bounces: vec![0; pages],
            time_sum: vec![0; pages],
            timed: vec![0; pages],
            pv: vec![0; nb],
            uv: vec![0; nb],
            last_user: vec![u32::MAX; nb],
            sessions: vec![0; nb],
            session_pv: vec![0; nb],
            session_bounces: vec![0; nb],
            duration_sum: vec![0; nb],
            users: 0,
            without_pv: 0,
            by_key: vec![ValueCount::default(); keys],
        }
    }

    /// Adds event at `t` (interval `b`, page key `page`, 0 = not a page view, breakdown
    /// key `value`) of user `u` to the open session `s`, or opens one.
    #[inline]
    fn event(&mut self, s: &mut Option<Open>, u: u32, t: i64, b: u32, page: u32, value: u32) {
        let open = s.get_or_insert(Open {
            first: t,
            last: t,
            bucket: b,
            views: 0,
            entry: 0,
            prev: (0, 0),
            value,
            time: (0, 0),
        });
        open.last = t;
        if page == 0 {
            return;
        }
        let p = page as usize;
        self.views[p] += 1;
        if self.last_viewer[p] != u {
            self.last_viewer[p] = u;
            self.viewers[p] += 1;
        }
        let bi = b as usize;
        self.pv[bi] += 1;
        if self.last_user[bi] != u {
            self.last_user[bi] = u;
            self.uv[bi] += 1;
        }
        if open.views == 0 {
            open.entry = page;
        } else {
            let q = open.prev.0 as usize;
            self.time_sum[q] += t - open.prev.1;
            self.timed[q] += 1;
            open.time.0 += t - open.prev.1;
            open.time.1 += 1;
        }
        open.views += 1;
        open.prev = (page, t);
    }

    /// Closes the open session, if any.
    #[inline]
    fn close(&mut self, s: &mut Option<Open>) {
        let Some(o) = s.take() else { return };
        if let Some(v) = self.by_key.get_mut(o.value as usize) {
            v.add(&ValueCount {
                page_views: o.views,
                sessions: u64::from(o.views > 0),
                without_pv: u64::from(o.views == 0),
                bounces: u64::from(o.views == 1),
                duration: if o.views > 0 { o.last - o.first } else { 0 },
                time_sum: o.time.0,
                timed: o.time.1,
            });
        }
        if o.views == 0 {
            self.without_pv += 1;
            return;
        }
        self.entries[o.entry as usize] += 1;
        self.exits[o.prev.0 as usize] += 1;
        let b = o.bucket as usize;
        self.sessions[b] += 1;
        self.session_pv[b] += o.views;
        self.duration_sum[b] += o.last - o.first;
        if o.views == 1 {
            self.bounces[o.entry as usize] += 1;
            self.session_bounces[b] += 1;
        }
    }
}

/// Computes sessions and web metrics.
pub fn run(scope: &mut Scoped, spec: &SessionsSpec) -> Result<SessionsResult> {
    let mut split = SessionSplit::new(scope, spec.session.as_deref(), spec.timeout_minutes)?;
    let store = scope.store;
    // event code -> is a page-view event
    let mut page_event = vec![spec.page_events.is_empty(); store.event_names().len()];
    for (k, name) in spec.page_events.iter().enumerate() {
        let m = scope.matcher(
            &format!("page_events[{k}]"),
            Some(name),
            &Default::default(),
            false,
        )?;
        if let Some(c) = m.event {
            page_event[c as usize] = true;
        }
    }
    scope.property_index("page", &spec.page)?;
    let pages = scope.breakdown("page", &Breakdown::by(&spec.page))?;
    let values = match &spec.breakdown {
        Some(b) => Some(scope.breakdown("breakdown", b)?),
        None => None,
    };
    let value_of = |i: usize| values.as_ref().map_or(0, |v| v.key(i));
    let (codes, times) = (store.event_codes(), store.times());
    let missing_page = if spec.page_events.is_empty() {
        0
    } else {
        (0..store.len())
            .filter(|&i| {
                page_event[codes[i] as usize]
                    && pages.key(i) == 0
                    && scope.in_range(times[i])
                    && scope.keep(i)
            })
            .count()
    };
    if missing_page > 0 {
        scope.warnings.push(Warning {
            code: "page_missing".into(),
            field: "page".into(),
            value: missing_page.to_string(),
            hint: None,
            message: format!(
                "{missing_page} page-view events have no \"{}\": they are not page views",
                spec.page
            ),
        });
    }
    let scope = &*scope;
    let in_scope = |i: usize| scope.in_range(times[i]) && scope.keep(i);
    // page key of a page view, 0 for other events
    let page_of = |i: usize| {
        if page_event[codes[i] as usize] {
            pages.key(i)
        } else {
            0
        }
    };
    let cal = scope.calendar(spec.interval);
    let (first, _, nb) =
        scope.intervals(&cal, scope.data_in_range()?, MAX_INTERVALS, "interval")?;
    let mut c = Counts::new(pages.len(), nb, values.as_ref().map_or(0, |v| v.len()));
    let mut cursor = cal.cursor();
    let mut last_key = (i64::MIN, 0u32);
    let mut bucket = |t: i64| -> u32 {
        let key = cursor.key(t);
        if key != last_key.0 {
            last_key = (key, cal.index(first, key) as u32);
        }
        last_key.1
    };
    let mut open: Option<Open> = None;
    for (u, r) in scope.users() {
        let mut had_view = false;
        split.each(r, times, in_scope, |i, new| {
            if new {
                c.close(&mut open);
            }
            let page = page_of(i);
            had_view |= page != 0;
            c.event(&mut open, u, times[i], bucket(times[i]), page, value_of(i));
        });
        c.close(&mut open);
        c.users += u64::from(had_view);
    }
    let mut out = result(scope, spec, &pages, &c, first, nb);
    if let (Some(v), Some(b)) = (&values, &spec.breakdown) {
        out.breakdown = Some(b.name());
        out.breakdowns = breakdowns(scope, &mut split, v, b.limit, &c.by_key, &page_of);
    }
    Ok(out)
}

/// The totals per ranked breakdown value from the counters per key; a second pass over
/// the sessions finds each value's distinct users with a page view.
fn breakdowns(
    scope: &Scoped,
    split: &mut SessionSplit,
    values: &BreakdownValues,
    limit: usize,
    by_key: &[ValueCount],
    page_of: &dyn Fn(usize) -> u32,
) -> Vec<SessionsBreakdown> {
    let rank: Vec<u64> = by_key.iter().map(|v| v.sessions).collect();
    let present: Vec<bool> = by_key
        .iter()
        .map(|v| v.sessions + v.without_pv > 0)
        .collect();
    let ranked = Ranked::new(values, &rank, &present, limit);
    let n = ranked.labels.len();
    let mut sums = vec![ValueCount::default(); n];
    for (k, v) in by_key.iter().enumerate() {
        if ranked.slot[k] != usize::MAX {
            sums[ranked.slot[k]].add(v);
        }
    }
    let times = scope.store.times();
    let in_scope = |i: usize| scope.in_range(times[i]) && scope.keep(i);
    let mut users = vec![0u64; n];
    let mut last_user = vec![u32::MAX; n];
    for (u, r) in scope.users() {
        // the slot of the open session and whether it has a page view
        let mut open = (usize::MAX, false);
        let mut mark = |(slot, viewed): (usize, bool)| {
            if viewed && last_user[slot] != u {
                last_user[slot] = u;
                users[slot] += 1;
            }
        };
        split.each(r, times, in_scope, |i, new| {
            if new {
                if open.0 != usize::MAX {
                    mark(open);
                }
                open = (ranked.slot[values.key(i) as usize], false);
            }
            open.1 |= page_of(i) != 0;
        });
        if open.0 != usize::MAX {
            mark(open);
        }
    }
    ranked
        .labels
        .iter()
        .enumerate()
        .map(|(s, label)| SessionsBreakdown {
            value: label.clone(),
            totals: sums[s].totals(users[s]),
        })
        .collect()
}

/// Checks a session timeout in minutes (`field` names it in errors): at least 1, at most
/// [`MAX_TIMEOUT_MINUTES`].
pub fn check_timeout(field: &str, minutes: u32) -> Result<()> {
    if minutes == 0 {
        return Err(Error::spec(field, "must be at least 1").keyed("at_least_one", &[]));
    }
    if minutes > MAX_TIMEOUT_MINUTES {
        return Err(Error::spec(
            field,
            format!(
                "a session timeout of {minutes} minutes is too long (at most {MAX_TIMEOUT_MINUTES}, 7 days)"
            ),
        )
        .keyed(
            "timeout_too_long",
            &[("got", &minutes), ("max", &MAX_TIMEOUT_MINUTES)],
        ));
    }
    Ok(())
}

/// Cuts each user's events in scope into sessions (the rule in the module doc): at
/// `timeout_minutes` of inactivity, or by the values of a session-id property. The
/// sessions and the paths analyses share it; its buffers are reused from user to user.
pub struct SessionSplit<'a> {
    /// Inactivity that ends a session, in microseconds.
    timeout: i64,
    /// Session-id keys per event, when sessions come from a property.
    ids: Option<BreakdownValues<'a>>,
    /// Session key -> slot of the user's session (`u32::MAX`: none yet).
    slot_of: Vec<u32>,
    /// Session keys given a slot for the current user.
    touched: Vec<u32>,
    /// (slot, event) of the current user's events with a session id.
    buf: Vec<(u32, u32)>,
}

impl<'a> SessionSplit<'a> {
    /// Checks the timeout (field `timeout_minutes`) and the session property (field
    /// `session`), and warns (`session_missing`) about events in scope without a session
    /// id: they belong to no session.
    pub fn new(
        scope: &mut Scoped<'a>,
        session: Option<&str>,
        timeout_minutes: u32,
    ) -> Result<Self> {
        check_timeout("timeout_minutes", timeout_minutes)?;
        let ids = match session {
            Some(name) => {
                scope.property_index("session", name)?;
                Some(scope.breakdown("session", &Breakdown::by(name))?)
            }
            None => None,
        };
        if let (Some(ids), Some(name)) = (&ids, session) {
            let times = scope.store.times();
            let missing = (0..scope.store.len())
                .filter(|&i| ids.key(i) == 0 && scope.in_range(times[i]) && scope.keep(i))
                .count();
            if missing > 0 {
                scope.warnings.push(Warning {
                    code: "session_missing".into(),
                    field: "session".into(),
                    value: missing.to_string(),
                    hint: None,
                    message: format!(
                        "{missing} events have no \"{name}\": they belong to no session and are left out"
                    ),
                });
            }
        }
        Ok(SessionSplit {
            timeout: timeout_minutes as i64 * 60 * 1_000_000,
            slot_of: vec![u32::MAX; ids.as_ref().map_or(0, BreakdownValues::len)],
            ids,
            touched: Vec::new(),
            buf: Vec::new(),
        })
    }

    /// Calls `f(i, new)` for every event `i` of the user's event range `r` that is
    /// `in_scope` and belongs to a session, session after session, each session's events
    /// in time order; `new` is true on the first event of each session.
    #[inline]
    pub fn each(
        &mut self,
        r: std::ops::Range<usize>,
        times: &[i64],
        in_scope: impl Fn(usize) -> bool,
        mut f: impl FnMut(usize, bool),
    ) {
        let Some(ids) = &self.ids else {
            let mut last: Option<i64> = None;
            for i in r {
                if !in_scope(i) {
                    continue;
                }
                let t = times[i];
                f(i, last.is_none_or(|l| t - l >= self.timeout));
                last = Some(t);
            }
            return;
        };
        self.buf.clear();
        let mut grouped = true;
        for i in r {
            let k = ids.key(i);
            if k == 0 || !in_scope(i) {
                continue;
            }
            let s = &mut self.slot_of[k as usize];
            if *s == u32::MAX {
                *s = self.touched.len() as u32;
                self.touched.push(k);
            }
            grouped &= self.buf.last().is_none_or(|q| q.0 <= *s);
            self.buf.push((*s, i as u32));
        }
        for &k in &self.touched {
            self.slot_of[k as usize] = u32::MAX;
        }
        self.touched.clear();
        if !grouped {
            // stable: each session keeps its events in time order
            self.buf.sort_by_key(|q| q.0);
        }
        let mut current = u32::MAX;
        for &(s, i) in &self.buf {
            f(i as usize, s != current);
            current = s;
        }
    }
}

/// Builds the result from the counters.
fn result(
    scope: &Scoped,
    spec: &SessionsSpec,
    pages: &BreakdownValues,
    c: &Counts,
    first: i64,
    nb: usize,
) -> SessionsResult {
    let sum = |v: &[u64]| v.iter().sum::<u64>();
    let page_views = sum(&c.views);
    let sessions = sum(&c.sessions);
    let bounces = sum(&c.session_bounces);
    let duration: i64 = c.duration_sum.iter().sum();
    let timed = sum(&c.timed);
    let time_sum: i64 = c.time_sum.iter().sum();
    let totals = SessionTotals {
        page_views,
        users: c.users,
        sessions,
        sessions_without_page_views: c.without_pv,
        bounces,
        pages_per_session: ratio(page_views as f64, sessions),
        bounce_rate: ratio(bounces as f64, sessions),
        average_session_seconds: ratio(duration as f64 / SECOND, sessions),
        average_time_on_page_seconds: ratio(time_sum as f64 / SECOND, timed),
    };
    let mut viewed: Vec<usize> = (1..pages.len()).filter(|&p| c.views[p] > 0).collect();
    let page_count = viewed.len() as u64;
    viewed.sort_by(|&a, &b| {
        c.views[b]
            .cmp(&c.views[a])
            .then_with(|| pages.label(a as u32).cmp(pages.label(b as u32)))
    });
    if spec.limit > 0 {
        viewed.truncate(spec.limit);
    }
    let rows = viewed
        .into_iter()
        .map(|p| PageRow {
            page: pages.label(p as u32).to_string(),
            views: c.views[p],
            viewers: c.viewers[p],
            entries: c.entries[p],
            exits: c.exits[p],
            bounces: c.bounces[p],
            bounce_rate: ratio(c.bounces[p] as f64, c.entries[p]),
            exit_rate: ratio(c.exits[p] as f64, c.views[p]),
            average_time_on_page_seconds: ratio(c.time_sum[p] as f64 / SECOND, c.timed[p]),
        })
        .collect();
    let cal = scope.calendar(spec.interval);
    let keys: Vec<i64> = (0..nb as i64).map(|n| cal.add(first, n)).collect();
    let over_time = OverTime {
        buckets: keys.iter().map(|&k| cal.label(k)).collect(),
        bucket_starts: keys
            .iter()
            .map(|&k| format_rfc3339(cal.start_micros(k)))
            .collect(),
        incomplete: keys.iter().map(|&k| scope.incomplete(&cal, k)).collect(),
        page_views: c.pv.clone(),
        users: c.uv.clone(),
        sessions: c.sessions.clone(),
        pages_per_session: (0..nb)
            .map(|b| ratio(c.session_pv[b] as f64, c.sessions[b]))
            .collect(),
        bounce_rate: (0..nb)
            .map(|b| ratio(c.session_bounces[b] as f64, c.sessions[b]))
            .collect(),
        average_session_seconds: (0..nb)
            .map(|b| ratio(c.duration_sum[b] as f64 / SECOND, c.sessions[b]))
            .collect(),
    };
    SessionsResult {
        view: spec.view,
        page: spec.page.clone(),
        session: spec.session.clone(),
        timeout_minutes: spec.timeout_minutes,
        interval: spec.interval,
        totals,
        page_count,
        pages: rows,
        over_time,
        breakdown: None,
        breakdowns: Vec::new(),
    }
}

/// The names a page property usually has, normalised (lowercase, no `$ _ - . ` or space).
const PAGE_NAMES: [&str; 12] = [
    "page",
    "pagepath",
    "path",
    "pathname",
    "currenturl",
    "url",
    "pageurl",
    "pagelocation",
    "screen",
    "screenname",
    "页面",
    "页面路径",
];

/// The names a session-id property usually has, normalised like [`PAGE_NAMES`].
const SESSION_NAMES: [&str; 5] = ["sessionid", "session", "gasessionid", "会话id", "会话"];

fn suggest<'a>(wanted: &[&str], names: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, '$' | '_' | '-' | '.' | ' '))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    wanted
        .iter()
        .find_map(|want| names.iter().copied().find(|n| norm(n) == *want))
}

/// The property among `names` most likely to hold the page (`page`, `$current_url`,
/// `page_path`, `screen`, `页面`, ...); the app preselects it.
pub fn suggest_page<'a>(names: &[&'a str]) -> Option<&'a str> {
    suggest(&PAGE_NAMES, names)
}

/// The property among `names` most likely to hold a session id (`session_id`,
/// `$session_id`, `ga_session_id`, ...); the app preselects it.
pub fn suggest_session<'a>(names: &[&'a str]) -> Option<&'a str> {
    suggest(&SESSION_NAMES, names)
}

/// The result as a table: one row per page plus a `(total)` row (view `pages`), or one
/// row per interval (view `over_time`). With a breakdown (either view), one row per value
/// with its totals after a leading `breakdown` column.
pub fn table(r: &SessionsResult) -> Table {
    if !r.breakdowns.is_empty() {
        let mut t = vec![[
            "breakdown",
            "page_views",
            "users",
            "sessions",
            "sessions_without_page_views",
            "bounces",
            "pages_per_session",
            "bounce_rate",
            "average_session_seconds",
            "average_time_on_page_seconds",
        ]
        .map(String::from)
        .to_vec()];
        for b in &r.breakdowns {
            let s = &b.totals;
            t.push(vec![
                b.value.clone(),
                s.page_views.to_string(),
                s.users.to_string(),
                s.sessions.to_string(),
                s.sessions_without_page_views.to_string(),
                s.bounces.to_string(),
                opt(s.pages_per_session),
                opt(s.bounce_rate),
                opt(s.average_session_seconds),
                opt(s.average_time_on_page_seconds),
            ]);
        }
        return t;
    }
    let mut t: Table;
    match r.view {
        SessionsView::Pages => {
            t = vec![[
                "page",
                "views",
                "viewers",
                "entries",
                "exits",
                "bounces",
                "bounce_rate",
                "exit_rate",
                "average_time_on_page_seconds",
            ]
            .map(String::from)
            .to_vec()];
            for p in &r.pages {
                t.push(vec![
                    p.page.clone(),
                    p.views.to_string(),
                    p.viewers.to_string(),
                    p.entries.to_string(),
                    p.exits.to_string(),
                    p.bounces.to_string(),
                    opt(p.bounce_rate),
                    opt(p.exit_rate),
                    opt(p.average_time_on_page_seconds),
                ]);
            }
            let s = &r.totals;
            t.push(vec![
                "(total)".into(),
                s.page_views.to_string(),
                s.users.to_string(),
                s.sessions.to_string(),
                s.sessions.to_string(),
                s.bounces.to_string(),
                opt(s.bounce_rate),
                opt(ratio(s.sessions as f64, s.page_views)),
                opt(s.average_time_on_page_seconds),
            ]);
        }
        SessionsView::OverTime => {
            t = vec![[
                "interval",
                "complete",
                "page_views",
                "users",
                "sessions",
                "pages_per_session",
                "bounce_rate",
                "average_session_seconds",
            ]
            .map(String::from)
            .to_vec()];
            let o = &r.over_time;
            for (b, label) in o.buckets.iter().enumerate() {
                t.push(vec![
                    label.clone(),
                    (!o.incomplete[b]).to_string(),
                    o.page_views[b].to_string(),
                    o.users[b].to_string(),
                    o.sessions[b].to_string(),
                    opt(o.pages_per_session[b]),
                    opt(o.bounce_rate[b]),
                    opt(o.average_session_seconds[b]),
                ]);
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_common_names() {
        assert_eq!(
            suggest_page(&["country", "$current_url"]),
            Some("$current_url")
        );
        assert_eq!(suggest_page(&["url", "page"]), Some("page"));
        assert_eq!(suggest_page(&["页面", "country"]), Some("页面"));
        assert_eq!(suggest_page(&["country"]), None);
        assert_eq!(
            suggest_session(&["$session_id", "page"]),
            Some("$session_id")
        );
        assert_eq!(suggest_session(&["page"]), None);
    }
}
