//! The columnar event store every analysis reads.
//!
//! After loading, events are sorted by (user, time, source row), so one user's events are a
//! contiguous range given by `user_offsets` and every user-level metric is one pass over
//! contiguous memory. Event names, user ids and string properties are dictionary-encoded;
//! timestamps are `i64` microseconds UTC; a property column whose every value parses as a
//! number becomes an `f64` column with nulls. The store is immutable: [`StoreBuilder`] is the
//! only way to make one, from any ingest path (delimited text, JSON lines, JSON arrays) or
//! from the sample generator. Property columns may be added while rows are pushed (JSON keys
//! appear mid-stream); each column's type is decided when the store is built.

use crate::engine::days::{DayCache, DayIndex};
use crate::engine::time::Zone;
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use serde::Serialize;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A string dictionary: code `i` stands for the `i`-th distinct string.
///
/// Strings are stored once, back to back in one buffer, with their end offsets; the hash
/// table holds only codes. A distinct string costs its length plus about 9 bytes.
#[derive(Clone, Default)]
pub struct Dictionary {
    bytes: String,
    ends: Vec<u32>,
    table: HashTable<u32>,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// The `code`-th string of a buffer of strings with end offsets `ends`.
fn slice<'a>(bytes: &'a str, ends: &[u32], code: u32) -> &'a str {
    let end = ends[code as usize] as usize;
    let start = if code == 0 {
        0
    } else {
        ends[code as usize - 1] as usize
    };
    &bytes[start..end]
}

impl Dictionary {
    /// The code of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let hash = hash_str(s);
        let (bytes, ends) = (&self.bytes, &self.ends);
        if let Some(&c) = self.table.find(hash, |&c| slice(bytes, ends, c) == s) {
            return c;
        }
        let code = self.ends.len() as u32;
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len() as u32);
        let (bytes, ends) = (&self.bytes, &self.ends);
        self.table
            .insert_unique(hash, code, |&c| hash_str(slice(bytes, ends, c)));
        code
    }

    /// [`intern`](Self::intern) with a one-entry cache: `last` is the code this column got
    /// last (`u32::MAX` for none). Exports repeat a value on consecutive rows (a user's
    /// events, a session, a platform), and comparing with the last string skips the hash and
    /// the table's cache misses.
    fn intern_after(&mut self, s: &str, last: &mut u32) -> u32 {
        if *last != u32::MAX && self.get(*last) == s {
            return *last;
        }
        *last = self.intern(s);
        *last
    }

    /// The code of `s`, if present.
    pub fn code(&self, s: &str) -> Option<u32> {
        self.table.find(hash_str(s), |&c| self.get(c) == s).copied()
    }

    /// The string of a code.
    pub fn get(&self, code: u32) -> &str {
        slice(&self.bytes, &self.ends, code)
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// All strings in code order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len() as u32).map(|c| self.get(c))
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 4 + self.table.capacity() * 5
    }
}

/// The type of a property column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyKind {
    /// Dictionary-encoded text.
    String,
    /// Numbers (`f64`), null where the cell was empty.
    Number,
}

/// Values of one property column, aligned with the event columns.
#[derive(Clone, Debug)]
pub enum PropertyValues {
    /// `codes[i] == 0` is null, otherwise `dict.get(codes[i] - 1)`.
    String {
        /// Distinct non-empty values.
        dict: Dictionary,
        /// One code per event, 0 = null.
        codes: Vec<u32>,
    },
    /// `values[i]` is NaN where the cell was empty.
    Number {
        /// One value per event.
        values: Vec<f64>,
    },
}

/// A named property column.
#[derive(Clone, Debug)]
pub struct Property {
    /// Column name as in the file's header.
    pub name: String,
    /// The values.
    pub values: PropertyValues,
}

impl Property {
    /// String or number.
    pub fn kind(&self) -> PropertyKind {
        match self.values {
            PropertyValues::String { .. } => PropertyKind::String,
            PropertyValues::Number { .. } => PropertyKind::Number,
        }
    }

    /// The value of event `i` as display text, `None` when null.
    pub fn display(&self, i: usize) -> Option<String> {
        match &self.values {
            PropertyValues::String { dict, codes } => match codes[i] {
                0 => None,
                c => Some(dict.get(c - 1).to_owned()),
            },
            PropertyValues::Number { values } => {
                let v = values[i];
                (!v.is_nan()).then(|| format_number(v))
            }
        }
    }
}

/// Formats a number without a trailing `.0` for integers.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Events sorted by (user, time, source row), in columns.
#[derive(Clone, Debug, Default)]
pub struct EventStore {
    users: Dictionary,
    user_offsets: Vec<u32>,
    events: Dictionary,
    event: Vec<u32>,
    time: Vec<i64>,
    props: Vec<Property>,
    /// Earliest and latest timestamp, computed once when the store is built.
    span: Option<(i64, i64)>,
    /// Local days of the events in the zone asked last, derived when first asked.
    days: DayCache,
}

impl EventStore {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.event.len()
    }

    /// True when there are no events.
    pub fn is_empty(&self) -> bool {
        self.event.is_empty()
    }

    /// Number of distinct users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The id of user `u`.
    pub fn user_id(&self, u: usize) -> &str {
        self.users.get(u as u32)
    }

    /// The index of the user with id `id`.
    pub fn user_index(&self, id: &str) -> Option<usize> {
        self.users.code(id).map(|c| c as usize)
    }

    /// The event index range of user `u`.
    pub fn user_range(&self, u: usize) -> std::ops::Range<usize> {
        self.user_offsets[u] as usize..self.user_offsets[u + 1] as usize
    }

    /// Iterates over every user's event range.
    pub fn user_ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.user_offsets
            .windows(2)
            .map(|w| w[0] as usize..w[1] as usize)
    }

    /// The event-name dictionary.
    pub fn event_names(&self) -> &Dictionary {
        &self.events
    }

    /// Event-name codes, one per event.
    pub fn event_codes(&self) -> &[u32] {
        &self.event
    }

    /// Timestamps (UTC microseconds), one per event.
    pub fn times(&self) -> &[i64] {
        &self.time
    }

    /// Property columns.
    pub fn properties(&self) -> &[Property] {
        &self.props
    }

    /// The property column called `name`.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Earliest and latest timestamp, `None` when empty (computed when the store was built:
    /// every analysis asks for it).
    pub fn time_span(&self) -> Option<(i64, i64)> {
        self.span
    }

    /// The local day of every event in `zone`, and every user's runs of same-day events
    /// (see [`DayIndex`]): built on the first call for a zone and kept until another zone
    /// is asked; `None` when the data spans too many days for the index.
    pub fn day_index(&self, zone: &Zone) -> Option<Arc<DayIndex>> {
        self.days.get(self, zone)
    }

    /// Approximate heap bytes held by the store.
    pub fn heap_bytes(&self) -> usize {
        let dict = |d: &Dictionary| d.heap_bytes();
        let mut n = dict(&self.users) + dict(&self.events);
        n += self.user_offsets.len() * 4 + self.event.len() * 4 + self.time.len() * 8;
        for p in &self.props {
            n += match &p.values {
                PropertyValues::String { dict: d, codes } => dict(d) + codes.len() * 4,
                PropertyValues::Number { values } => values.len() * 8,
            };
        }
        n
    }
}

/// Collects events in any order and builds an [`EventStore`].
#[derive(Debug)]
pub struct StoreBuilder {
    users: Dictionary,
    events: Dictionary,
    user: Vec<u32>,
    event: Vec<u32>,
    time: Vec<i64>,
    prop_names: Vec<String>,
    prop_dicts: Vec<Dictionary>,
    prop_codes: Vec<Vec<u32>>,
    /// The code each dictionary column got last (users, events, then the properties;
    /// `u32::MAX` for none): the cache of [`Dictionary::intern_after`].
    last: Vec<u32>,
}

impl StoreBuilder {
    /// A builder for events carrying the named properties, in this order.
    pub fn new(prop_names: Vec<String>) -> Self {
        let n = prop_names.len();
        StoreBuilder {
            users: Dictionary::default(),
            events: Dictionary::default(),
            user: Vec::new(),
            event: Vec::new(),
            time: Vec::new(),
            prop_names,
            prop_dicts: vec![Dictionary::default(); n],
            prop_codes: vec![Vec::new(); n],
            last: vec![u32::MAX; n + 2],
        }
    }

    /// Number of events pushed so far.
    pub fn len(&self) -> usize {
        self.event.len()
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.event.is_empty()
    }

    /// Adds one event. `props` holds one cell per property name (empty = null); missing
    /// trailing cells are null.
    pub fn push<'a>(
        &mut self,
        user: &str,
        event: &str,
        time: i64,
        props: impl IntoIterator<Item = &'a str>,
    ) {
        let (last_user, rest) = self.last.split_at_mut(1);
        let (last_event, last_props) = rest.split_at_mut(1);
        self.user
            .push(self.users.intern_after(user, &mut last_user[0]));
        self.event
            .push(self.events.intern_after(event, &mut last_event[0]));
        self.time.push(time);
        let mut it = props.into_iter();
        for ((dict, codes), last) in self
            .prop_dicts
            .iter_mut()
            .zip(self.prop_codes.iter_mut())
            .zip(last_props.iter_mut())
        {
            let code = match it.next() {
                None | Some("") => 0,
                Some(v) => dict.intern_after(v, last) + 1,
            };
            codes.push(code);
        }
    }

    /// Adds a property column after events were pushed (a key first seen mid-stream, as in
    /// JSON lines): earlier events are null in it. Returns the column's index, the position
    /// of its cell in [`push`](Self::push) and [`push_sparse`](Self::push_sparse).
    pub fn add_property(&mut self, name: String) -> usize {
        self.prop_names.push(name);
        self.prop_dicts.push(Dictionary::default());
        self.prop_codes.push(vec![0; self.event.len()]);
        self.last.push(u32::MAX);
        self.prop_names.len() - 1
    }

    /// Number of property columns so far.
    pub fn property_count(&self) -> usize {
        self.prop_names.len()
    }

    /// Adds one event whose properties are given as (column index, value) pairs; columns not
    /// named, and empty values, are null. An index names a column from [`new`](Self::new) or
    /// [`add_property`](Self::add_property).
    pub fn push_sparse<'a>(
        &mut self,
        user: &str,
        event: &str,
        time: i64,
        props: impl IntoIterator<Item = (usize, &'a str)>,
    ) {
        self.push(user, event, time, std::iter::empty());
        for (col, v) in props {
            if !v.is_empty() {
                let code = self.prop_dicts[col].intern(v) + 1;
                *self.prop_codes[col]
                    .last_mut()
                    .expect("push added a cell to every column") = code;
            }
        }
    }

    /// Frees the room the columns grew beyond their length (a builder kept while others
    /// fill, as in the parallel load, holds only its events).
    pub fn shrink_to_fit(&mut self) {
        self.user.shrink_to_fit();
        self.event.shrink_to_fit();
        self.time.shrink_to_fit();
        self.prop_codes.iter_mut().for_each(Vec::shrink_to_fit);
    }

    /// Joins builders filled from consecutive stretches of one input, in their order (the
    /// parallel load, issue 18): the result equals one builder that got every push of
    /// `parts[0]`, then of `parts[1]`, …, so codes still follow first appearance and ties
    /// keep the input's order. Every part has the same property columns (made with the same
    /// names, no [`add_property`](Self::add_property)). Columns are joined on `threads`
    /// threads; each part's column is freed as soon as it is copied.
    pub fn concat(parts: Vec<StoreBuilder>, threads: usize) -> StoreBuilder {
        let Some(first) = parts.first() else {
            return StoreBuilder::new(Vec::new());
        };
        let prop_names = first.prop_names.clone();
        let n_props = prop_names.len();
        assert!(
            parts.iter().all(|p| p.prop_names == prop_names),
            "concatenated builders have the same property columns"
        );
        // one job per column: (dictionary, codes) of every part, and whether 0 is null
        let mut columns: Vec<(Vec<Coded>, bool)> = (0..n_props + 2)
            .map(|c| (Vec::with_capacity(parts.len()), c >= 2))
            .collect();
        let mut times = Vec::with_capacity(parts.len());
        for p in parts {
            columns[0].0.push((p.users, p.user));
            columns[1].0.push((p.events, p.event));
            for (c, pair) in p.prop_dicts.into_iter().zip(p.prop_codes).enumerate() {
                columns[c + 2].0.push(pair);
            }
            times.push(p.time);
        }
        let jobs = std::sync::Mutex::new(columns.into_iter().enumerate().collect::<Vec<_>>());
        let done = std::sync::Mutex::new(Vec::with_capacity(n_props + 2));
        let work = || loop {
            let job = jobs.lock().expect("no panics while locked").pop();
            let Some((c, (column, nullable))) = job else {
                break;
            };
            let merged = merge_column(column, nullable);
            done.lock()
                .expect("no panics while locked")
                .push((c, merged));
        };
        let time: Vec<i64> = std::thread::scope(|s| {
            for _ in 1..threads.max(1) {
                s.spawn(work);
            }
            let total = times.iter().map(Vec::len).sum();
            let mut time = Vec::with_capacity(total);
            for t in times {
                time.extend_from_slice(&t);
            }
            work();
            time
        });
        let mut done = done.into_inner().expect("no panics while locked");
        done.sort_by_key(|(c, _)| *c);
        let mut merged = done.into_iter().map(|(_, m)| m);
        let (users, user) = merged.next().expect("the user column");
        let (events, event) = merged.next().expect("the event column");
        let (prop_dicts, prop_codes) = merged.unzip();
        StoreBuilder {
            users,
            events,
            user,
            event,
            time,
            prop_names,
            prop_dicts,
            prop_codes,
            last: vec![u32::MAX; n_props + 2],
        }
    }

    /// Sorts by (user, time, push order) and types the property columns.
    pub fn finish(self) -> EventStore {
        // each column the builder holds is freed as soon as its sorted copy is made, so the
        // peak stays near the store's own size (issue 18)
        let StoreBuilder {
            users,
            events,
            user,
            event,
            time,
            prop_names,
            prop_dicts,
            prop_codes,
            last: _,
        } = self;
        let n = event.len();
        let mut user_offsets = vec![0u32; users.len() + 1];
        for &u in &user {
            user_offsets[u as usize + 1] += 1;
        }
        for i in 1..user_offsets.len() {
            user_offsets[i] += user_offsets[i - 1];
        }
        // counting sort by user (stable: push order kept), then a stable sort by time
        // within each user; exports are mostly in time order, which that sort finds cheap
        let mut order = vec![0u32; n];
        let mut next = user_offsets.clone();
        for (i, &u) in user.iter().enumerate() {
            order[next[u as usize] as usize] = i as u32;
            next[u as usize] += 1;
        }
        drop(next);
        drop(user);
        for w in user_offsets.windows(2) {
            order[w[0] as usize..w[1] as usize].sort_by_key(|&i| time[i as usize]);
        }
        let permute_u32 = |v: &[u32]| order.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
        let event = {
            let sorted = permute_u32(&event);
            drop(event);
            sorted
        };
        let time: Vec<i64> = {
            let sorted = order.iter().map(|&i| time[i as usize]).collect();
            drop(time);
            sorted
        };
        let props = prop_names
            .into_iter()
            .zip(prop_dicts)
            .zip(prop_codes)
            .map(|((name, dict), codes)| {
                let codes = permute_u32(&codes);
                let numbers: Option<Vec<f64>> = (!dict.is_empty())
                    .then(|| dict.iter().map(parse_number).collect())
                    .flatten();
                let values = match numbers {
                    Some(nums) => PropertyValues::Number {
                        values: codes
                            .iter()
                            .map(|&c| {
                                if c == 0 {
                                    f64::NAN
                                } else {
                                    nums[c as usize - 1]
                                }
                            })
                            .collect(),
                    },
                    None => PropertyValues::String { dict, codes },
                };
                Property { name, values }
            })
            .collect();
        let span = time.iter().fold(None, |s: Option<(i64, i64)>, &t| match s {
            None => Some((t, t)),
            Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
        });
        EventStore {
            users,
            user_offsets,
            events,
            event,
            time,
            props,
            span,
            days: DayCache::default(),
        }
    }
}

/// A dictionary column: its strings and one code per event.
type Coded = (Dictionary, Vec<u32>);

/// One dictionary column of consecutive parts as one: the first part's dictionary grows
/// with the later parts' new strings and their codes are mapped to it (`nullable`: code 0
/// is null and code `c` is string `c - 1`).
fn merge_column(parts: Vec<Coded>, nullable: bool) -> Coded {
    let total = parts.iter().map(|(_, c)| c.len()).sum();
    let mut parts = parts.into_iter();
    let Some((mut dict, first)) = parts.next() else {
        return (Dictionary::default(), Vec::new());
    };
    let mut codes = Vec::with_capacity(total);
    codes.extend_from_slice(&first);
    drop(first);
    let mut map = Vec::new();
    for (local, part) in parts {
        map.clear();
        if nullable {
            map.push(0);
        }
        let shift = u32::from(nullable);
        map.extend(local.iter().map(|s| dict.intern(s) + shift));
        drop(local);
        codes.extend(part.iter().map(|&c| map[c as usize]));
    }
    (dict, codes)
}

/// A finite number in plain decimal or exponent notation; not `inf`, `nan` or hex.
fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_user_time_then_push_order_and_types_columns() {
        let mut b = StoreBuilder::new(vec!["plan".into(), "revenue".into()]);
        b.push("u2", "b", 20, ["pro", "1.5"]);
        b.push("u1", "a", 10, ["free", ""]);
        b.push("u2", "a", 10, ["pro", "2"]);
        b.push("u2", "c", 10, ["", "3e1"]);
        let s = b.finish();
        assert_eq!(s.len(), 4);
        assert_eq!(s.user_count(), 2);
        // user codes follow first appearance: u2 = 0, u1 = 1
        assert_eq!(s.user_id(0), "u2");
        assert_eq!(s.user_range(0), 0..3);
        assert_eq!(s.user_range(1), 3..4);
        let names: Vec<&str> = s
            .event_codes()
            .iter()
            .map(|&c| s.event_names().get(c))
            .collect();
        // equal times keep push order: a (pushed 3rd) before c (pushed 4th)
        assert_eq!(names, ["a", "c", "b", "a"]);
        assert_eq!(s.times(), &[10, 10, 20, 10]);
        assert_eq!(s.property("plan").unwrap().kind(), PropertyKind::String);
        let rev = s.property("revenue").unwrap();
        assert_eq!(rev.kind(), PropertyKind::Number);
        assert_eq!(rev.display(0).as_deref(), Some("2"));
        assert_eq!(rev.display(1).as_deref(), Some("30"));
        assert_eq!(rev.display(3), None);
        assert_eq!(s.time_span(), Some((10, 20)));
    }

    #[test]
    fn columns_added_mid_stream_are_null_before() {
        let mut b = StoreBuilder::new(vec!["a".into()]);
        b.push_sparse("u", "e", 1, [(0, "x")]);
        let n = b.add_property("n".into());
        assert_eq!((n, b.property_count()), (1, 2));
        b.push_sparse("u", "e", 2, [(1, "7")]);
        b.push_sparse("u", "e", 3, [(1, ""), (0, "y")]);
        let s = b.finish();
        let a = s.property("a").unwrap();
        let n = s.property("n").unwrap();
        assert_eq!(n.kind(), PropertyKind::Number);
        let got: Vec<(Option<String>, Option<String>)> =
            (0..3).map(|i| (a.display(i), n.display(i))).collect();
        assert_eq!(
            got,
            [
                (Some("x".into()), None),
                (None, Some("7".into())),
                (Some("y".into()), None)
            ]
        );
    }

    #[test]
    fn numbers_only_when_every_value_parses() {
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("0x10"), None);
        let mut b = StoreBuilder::new(vec!["v".into()]);
        b.push("u", "e", 1, ["1"]);
        b.push("u", "e", 2, ["n/a"]);
        assert_eq!(b.finish().properties()[0].kind(), PropertyKind::String);
    }
}
