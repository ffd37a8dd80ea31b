//! Local calendar days of the events, derived once per time zone and kept beside the store.
//!
//! Most analyses cut time into days, weeks or months of one zone, and every such bucket is
//! a function of the event's local calendar day (see [`Calendar::day_key`]). A
//! [`DayIndex`] holds that day for every event as a `u16` counted from the data's first
//! local day, so a pass reads 2 bytes per event instead of an 8-byte instant and does no
//! calendar arithmetic; a table from day to bucket column does the rest. It also holds
//! the *runs* of each user: consecutive events on one local day, as (day, events). A user's
//! runs are in event order; where the zone's clock steps back across midnight a day can
//! come again after a later one, as it does for the events themselves. An analysis that
//! counts every event (no filter, no event name, the whole data) reads the runs: about one
//! entry per active user-day instead of one per event.
//!
//! The index is exact for every zone (it is computed with the zone's own rules) but only
//! for day, week and month buckets: hour buckets read the instants. Data spanning more
//! than 65,536 local days has no index, and callers read the instants.

use crate::engine::store::EventStore;
use crate::engine::time::{Calendar, Granularity, Zone};

/// The local day of every event in one zone, and every user's runs of same-day events.
#[derive(Debug)]
pub struct DayIndex {
    /// The zone the days are local to.
    zone: Zone,
    /// Days since the epoch of day 0 (the earliest local day of the data).
    base: i64,
    /// Number of days from day 0 to the latest local day of the data, included.
    span: usize,
    /// Per event, its local day minus `base`.
    days: Vec<u16>,
    /// Per run, its local day minus `base`.
    run_days: Vec<u16>,
    /// Per run, its number of events.
    run_events: Vec<u32>,
    /// Runs of user `u`: `user_runs[u]..user_runs[u + 1]`.
    user_runs: Vec<u32>,
}

impl DayIndex {
    /// Computes the index of `store` in `zone`; `None` when the store is empty or spans
    /// more local days than a `u16` counts.
    pub fn build(store: &EventStore, zone: &Zone) -> Option<DayIndex> {
        let (lo, hi) = store.time_span()?;
        let cal = Calendar::new(Granularity::Day, zone.clone());
        let (first, last) = cal.key_span(lo, hi);
        if last - first > i64::from(u16::MAX) {
            return None;
        }
        let times = store.times();
        let mut days = Vec::with_capacity(times.len());
        let mut run_days = Vec::new();
        let mut run_events = Vec::new();
        let mut user_runs = Vec::with_capacity(store.user_count() + 1);
        user_runs.push(0u32);
        let mut cursor = cal.cursor();
        for r in store.user_ranges() {
            let mut prev = u32::MAX;
            for &t in &times[r] {
                let d = (cursor.key(t) - first) as u16;
                days.push(d);
                if u32::from(d) == prev {
                    *run_events.last_mut().expect("a run is open") += 1;
                } else {
                    run_days.push(d);
                    run_events.push(1);
                    prev = u32::from(d);
                }
            }
            user_runs.push(run_days.len() as u32);
        }
        run_days.shrink_to_fit();
        run_events.shrink_to_fit();
        Some(DayIndex {
            zone: zone.clone(),
            base: first,
            span: (last - first) as usize + 1,
            days,
            run_days,
            run_events,
            user_runs,
        })
    }

    /// The zone the days are local to.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// Per event, its local day counted from the data's first local day.
    pub fn days(&self) -> &[u16] {
        &self.days
    }

    /// The runs of user `u` (consecutive events on one local day, in event order): their
    /// days and their numbers of events.
    #[inline]
    pub fn runs(&self, u: usize) -> (&[u16], &[u32]) {
        let r = self.user_runs[u] as usize..self.user_runs[u + 1] as usize;
        (&self.run_days[r.clone()], &self.run_events[r])
    }

    /// Per day of the index (0 to the data's last local day), the key of its bucket in
    /// `cal` (whose zone must be the index's), or `None` for hour buckets.
    pub fn keys(&self, cal: &Calendar) -> Option<Vec<i64>> {
        debug_assert!(cal.zone == self.zone);
        (0..self.span as i64)
            .map(|d| cal.day_key(self.base + d))
            .collect()
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.days.capacity() * 2
            + self.run_days.capacity() * 2
            + self.run_events.capacity() * 4
            + self.user_runs.capacity() * 4
    }
}

/// The [`DayIndex`] of the zone asked last, kept by the store: the app's worker keeps a
/// dataset between queries, so the index is built once per zone in use. Only one zone is
/// kept (its 2 bytes per event and the runs), so a change of zone builds the new one.
#[derive(Default)]
pub struct DayCache(std::sync::Mutex<Option<std::sync::Arc<DayIndex>>>);

impl DayCache {
    /// The index of `store` in `zone`, built now unless it is the one kept.
    pub fn get(&self, store: &EventStore, zone: &Zone) -> Option<std::sync::Arc<DayIndex>> {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ix) = kept.as_ref().filter(|ix| ix.zone() == zone) {
            return Some(ix.clone());
        }
        let ix = std::sync::Arc::new(DayIndex::build(store, zone)?);
        *kept = Some(ix.clone());
        Some(ix)
    }
}

/// A copy of a store starts with no index (it is derived again when asked).
impl Clone for DayCache {
    fn clone(&self) -> Self {
        DayCache::default()
    }
}

impl std::fmt::Debug for DayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DayCache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::StoreBuilder;
    use crate::engine::time::{TimeZone, DAY, HOUR};

    fn zone(s: &str) -> Zone {
        TimeZone::parse(s).unwrap().resolve().unwrap()
    }

    /// Three users, one with events every 20 minutes over a year (every transition of
    /// the zones below), one with two events far apart, one with one event.
    fn store() -> EventStore {
        let mut b = StoreBuilder::new(Vec::new());
        let start = 1_672_531_200_000_000; // 2023-01-01T00:00:00Z
        for k in 0..365 * 72 {
            b.push("a", "e", start + k * HOUR / 3, []);
        }
        b.push("b", "e", start + 5 * DAY + 7, []);
        b.push("b", "e", start + 300 * DAY, []);
        b.push("c", "e", start - 40 * DAY, []);
        b.finish()
    }

    #[test]
    fn every_event_has_the_day_the_calendar_gives() {
        let s = store();
        for name in [
            "UTC",
            "+05:45",
            "-11",
            "Asia/Beirut",
            "America/Santiago",
            "Australia/Lord_Howe",
        ] {
            let z = zone(name);
            let cal = Calendar::new(Granularity::Day, z.clone());
            let ix = DayIndex::build(&s, &z).unwrap();
            let base = s.times().iter().map(|&t| cal.bucket(t)).min().unwrap();
            assert_eq!(ix.days().len(), s.len());
            for (i, &t) in s.times().iter().enumerate() {
                assert_eq!(
                    base + ix.days()[i] as i64,
                    cal.bucket(t),
                    "{name} event {i}"
                );
            }
            // the runs are the events' days with equal neighbours folded
            for u in 0..s.user_count() {
                let r = s.user_range(u);
                let mut folded: Vec<(u16, u32)> = Vec::new();
                for &d in &ix.days()[r] {
                    match folded.last_mut() {
                        Some((p, n)) if *p == d => *n += 1,
                        _ => folded.push((d, 1)),
                    }
                }
                let (days, events) = ix.runs(u);
                let runs: Vec<(u16, u32)> =
                    days.iter().copied().zip(events.iter().copied()).collect();
                assert_eq!(runs, folded, "{name} user {u}");
            }
        }
    }

    #[test]
    fn week_and_month_keys_of_a_day_are_the_calendars() {
        let s = store();
        let z = zone("America/Santiago");
        let ix = DayIndex::build(&s, &z).unwrap();
        for g in [Granularity::Day, Granularity::Week, Granularity::Month] {
            let mut cal = Calendar::new(g, z.clone());
            cal.week_start = crate::engine::time::WeekStart::Sunday;
            let keys = ix.keys(&cal).unwrap();
            for (i, &t) in s.times().iter().enumerate() {
                assert_eq!(
                    keys[ix.days()[i] as usize],
                    cal.bucket(t),
                    "{g:?} event {i}"
                );
            }
        }
        assert!(ix.keys(&Calendar::new(Granularity::Hour, z)).is_none());
    }

    #[test]
    fn the_cache_keeps_the_zone_asked_last() {
        let s = store();
        let (a, b) = (zone("UTC"), zone("+08:00"));
        let first = s.day_index(&a).unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &s.day_index(&a).unwrap()));
        assert_eq!(s.day_index(&b).unwrap().zone(), &b);
        assert!(!std::sync::Arc::ptr_eq(&first, &s.day_index(&a).unwrap()));
    }

    #[test]
    fn data_over_too_many_days_has_no_index() {
        let mut b = StoreBuilder::new(Vec::new());
        b.push("a", "e", 0, []);
        b.push("a", "e", 70_000 * DAY, []);
        assert!(DayIndex::build(&b.finish(), &Zone::utc()).is_none());
    }
}
