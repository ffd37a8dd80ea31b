//! The built-in demo dataset: a deterministic e-commerce app.
//!
//! About 50,000 users sign up over 90 days (more towards the end, fewer at weekends), from
//! channels, platforms and countries with different behaviour. Each user has a buying
//! propensity and an engagement that decays with age, so funnels drop off and retention
//! curves decay as in real products; purchases carry revenue. Only integer arithmetic,
//! `+ - * /` and `sqrt` on `f64` are used, so the data is identical on every platform
//! (native CLI and wasm), and [`generate`] with the same options always yields the same
//! events in the same order.
//!
//! Besides platform, country and channel (constant per user) and revenue (on purchases), page
//! views carry a `page` path (for the web metrics and paths) and every user has an A/B
//! `variant` of a checkout experiment: `treatment` users complete a begun checkout a little
//! more often than `control` users.

use crate::engine::ingest::{ColumnRoles, Dataset, ImportReport};
use crate::engine::store::{format_number, StoreBuilder};
use crate::engine::time::{days_from_civil, format_rfc3339, DAY, HOUR, SECOND};
use std::io::Write;

/// Columns of the sample data, in CSV order.
pub const COLUMNS: [&str; 9] = [
    "user_id",
    "event",
    "timestamp",
    "platform",
    "country",
    "channel",
    "revenue",
    "page",
    "variant",
];

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct SampleOptions {
    /// Users to simulate.
    pub users: u32,
    /// Days in the export.
    pub days: u32,
    /// Random seed.
    pub seed: u64,
    /// First day, as days since 1970-01-01 (UTC).
    pub start_day: i64,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            users: 50_000,
            days: 90,
            seed: 20_250_901,
            start_day: days_from_civil(2025, 9, 1),
        }
    }
}

/// One generated event.
#[derive(Clone, Debug)]
pub struct SampleEvent<'a> {
    /// User id.
    pub user: &'a str,
    /// Event name.
    pub event: &'static str,
    /// UTC microseconds.
    pub time: i64,
    /// ios / android / web.
    pub platform: &'static str,
    /// ISO country code.
    pub country: &'static str,
    /// Acquisition channel.
    pub channel: &'static str,
    /// Order value on `purchase` events.
    pub revenue: Option<f64>,
    /// Path of the page on page views (`view_home`, `view_category`, `search`, `view_item`),
    /// empty on other events.
    pub page: &'a str,
    /// A/B variant of the checkout experiment: `control` or `treatment`.
    pub variant: &'static str,
}

/// splitmix64: tiny, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|i| i.1).sum();
        let mut r = self.below(total as u64) as u32;
        for &(v, w) in items {
            if r < w {
                return v;
            }
            r -= w;
        }
        items[items.len() - 1].0
    }
    /// Seconds between events in a session: mostly 5–60 s, sometimes minutes.
    fn gap(&mut self) -> i64 {
        let base = 3 + self.below(40) as i64;
        if self.chance(0.15) {
            base + 60 + self.below(400) as i64
        } else {
            base
        }
    }
}

const CHANNELS: [(&str, u32, f64); 7] = [
    // name, weight, chance to never come back
    ("organic", 30, 0.34),
    ("paid_search", 18, 0.42),
    ("wechat", 14, 0.36),
    ("douyin", 12, 0.52),
    ("referral", 10, 0.28),
    ("email", 8, 0.38),
    ("app_store", 8, 0.40),
];
/// Product categories, by popularity.
const CATEGORIES: [(&str, u32); 6] = [
    ("shoes", 30),
    ("bags", 22),
    ("watches", 16),
    ("beauty", 14),
    ("home", 10),
    ("toys", 8),
];
/// Items per category (`/item/<category>-<n>`).
const ITEMS_PER_CATEGORY: u64 = 12;
/// Chance that a begun checkout ends in a purchase, per variant.
const PURCHASE_CHANCE: [(&str, f64); 2] = [("control", 0.70), ("treatment", 0.76)];

const PLATFORMS: [(&str, u32); 3] = [("ios", 40), ("android", 42), ("web", 18)];
const COUNTRIES: [(&str, u32, i64); 10] = [
    // code, weight, UTC offset in hours
    ("CN", 30, 8),
    ("US", 22, -5),
    ("IN", 10, 5),
    ("GB", 6, 0),
    ("DE", 6, 1),
    ("BR", 6, -3),
    ("JP", 5, 9),
    ("FR", 5, 1),
    ("ID", 5, 7),
    ("MX", 5, -6),
];
/// Relative chance of a session starting in each local hour.
const HOURS: [(i64, u32); 24] = [
    (0, 10),
    (1, 6),
    (2, 4),
    (3, 3),
    (4, 3),
    (5, 5),
    (6, 12),
    (7, 24),
    (8, 32),
    (9, 34),
    (10, 35),
    (11, 38),
    (12, 44),
    (13, 43),
    (14, 38),
    (15, 36),
    (16, 37),
    (17, 40),
    (18, 46),
    (19, 53),
    (20, 56),
    (21, 50),
    (22, 36),
    (23, 20),
];

/// Generates the events user by user; each user's events are in time order.
pub fn generate(opts: &SampleOptions, mut emit: impl FnMut(&SampleEvent)) {
    let mut rng = Rng(opts.seed);
    // pages come from their own stream, so they do not shift the behaviour drawn from `rng`
    let mut pages = Rng(opts.seed ^ 0x05EE_D0F9_A6E5);
    let mut page = String::new();
    let days = opts.days.max(1) as i64;
    // engagement decay by age in days: 0.35 + 0.65 * 0.9^age, by repeated multiplication
    let mut decay = Vec::with_capacity(days as usize);
    let mut f = 1.0f64;
    for _ in 0..days {
        decay.push(0.35 + 0.65 * f);
        f *= 0.9;
    }
    let mut user = String::new();
    for u in 0..opts.users {
        user.clear();
        user.push_str(&format!("u{:06}", u + 1));
        // growth: half uniform, half with density rising over the window; fewer at weekends
        let signup_day = loop {
            let r = rng.f();
            let d = if rng.chance(0.5) {
                r * days as f64
            } else {
                r.sqrt() * days as f64
            } as i64;
            let weekday = (opts.start_day + d + 3).rem_euclid(7); // 5, 6 = Sat, Sun
            if weekday < 5 || rng.chance(0.75) {
                break d.min(days - 1);
            }
        };
        let ch = CHANNELS[rng.pick(&[(0, 30), (1, 18), (2, 14), (3, 12), (4, 10), (5, 8), (6, 8)])];
        let platform = rng.pick(&PLATFORMS);
        let ci = rng.pick(&[
            (0usize, 30),
            (1, 22),
            (2, 10),
            (3, 6),
            (4, 6),
            (5, 6),
            (6, 5),
            (7, 5),
            (8, 5),
            (9, 5),
        ]);
        let (country, _, offset) = COUNTRIES[ci];
        let buyer = rng.pick(&[(0.45f64, 50), (1.0, 35), (2.0, 15)]);
        let one_and_done = rng.chance(ch.2);
        let loyal = rng.chance(0.2);
        let lifetime = if one_and_done {
            1
        } else if loyal {
            days
        } else {
            1 + (rng.f() * rng.f() * 80.0) as i64
        };
        let p_active = 0.04 + 0.26 * rng.f() * rng.f().sqrt();
        let signs_up = rng.chance(0.86);
        let (variant, purchase_chance) = PURCHASE_CHANCE[(pages.next() & 1) as usize];
        let mut ev = |event: &'static str, time: i64, revenue: Option<f64>| {
            page.clear();
            match event {
                "view_home" => page.push('/'),
                "search" => page.push_str("/search"),
                "view_category" => {
                    page.push_str("/category/");
                    page.push_str(pages.pick(&CATEGORIES));
                }
                "view_item" => {
                    let category = pages.pick(&CATEGORIES);
                    // popular items first: the smaller of two draws
                    let n = pages
                        .below(ITEMS_PER_CATEGORY)
                        .min(pages.below(ITEMS_PER_CATEGORY));
                    page.push_str(&format!("/item/{category}-{}", n + 1));
                }
                _ => {}
            }
            emit(&SampleEvent {
                user: &user,
                event,
                time,
                platform,
                country,
                channel: ch.0,
                revenue,
                page: &page,
                variant,
            })
        };
        let mut last_end = i64::MIN;
        for age in 0..lifetime.min(days - signup_day) {
            if age > 0 && !rng.chance(p_active * decay[age as usize]) {
                continue;
            }
            let day = opts.start_day + signup_day + age;
            let sessions = 1 + usize::from(rng.chance(0.2));
            for s in 0..sessions {
                let hour = rng.pick(&HOURS);
                let mut t =
                    day * DAY + hour * HOUR - offset * HOUR + rng.below(3600) as i64 * SECOND;
                t = t.max(last_end + 60 * SECOND);
                ev("app_open", t, None);
                let first = age == 0 && s == 0;
                if first && signs_up {
                    t += rng.gap() * SECOND;
                    ev("signup", t, None);
                }
                t += rng.gap() * SECOND;
                ev("view_home", t, None);
                let views = if first && rng.chance(0.15) {
                    0
                } else {
                    1 + rng.below(if first { 2 } else { 3 })
                };
                let mut in_cart = false;
                for _ in 0..views {
                    if rng.chance(0.55) {
                        t += rng.gap() * SECOND;
                        ev(
                            if rng.chance(0.4) {
                                "search"
                            } else {
                                "view_category"
                            },
                            t,
                            None,
                        );
                    }
                    t += rng.gap() * SECOND;
                    ev("view_item", t, None);
                    if rng.chance(0.05) {
                        t += rng.gap() * SECOND;
                        ev("share_item", t, None);
                    }
                    if rng.chance(0.22 * buyer) {
                        t += rng.gap() * SECOND;
                        ev("add_to_cart", t, None);
                        in_cart = true;
                    }
                }
                if in_cart && rng.chance(0.45 * buyer.min(1.6)) {
                    t += rng.gap() * SECOND;
                    ev("begin_checkout", t, None);
                    if rng.chance(purchase_chance) {
                        t += (30 + rng.below(240) as i64) * SECOND;
                        let cents = 500
                            + rng.below(4000)
                            + rng.below(4000)
                            + rng.below(12_000) * rng.below(2);
                        ev("purchase", t, Some(cents as f64 / 100.0));
                    }
                }
                last_end = t;
            }
        }
    }
}

/// The sample as a dataset, as if imported from a CSV with [`COLUMNS`].
pub fn dataset(opts: &SampleOptions) -> Dataset {
    let mut b = StoreBuilder::new(COLUMNS[3..].iter().map(|s| s.to_string()).collect());
    let mut rev = String::new();
    generate(opts, |e| {
        rev.clear();
        if let Some(r) = e.revenue {
            rev.push_str(&format_number(r));
        }
        b.push(
            e.user,
            e.event,
            e.time,
            [
                e.platform,
                e.country,
                e.channel,
                rev.as_str(),
                e.page,
                e.variant,
            ],
        );
    });
    let n = b.len() as u64;
    let report = ImportReport {
        rows_in: n,
        imported: n,
        columns: ColumnRoles {
            user: COLUMNS[0].into(),
            event: COLUMNS[1].into(),
            time: COLUMNS[2].into(),
            user_fallback: None,
            insert_id: None,
            identity: Default::default(),
            properties: COLUMNS[3..].iter().map(|s| s.to_string()).collect(),
            ignored: Vec::new(),
        },
        delimiter: ',',
        format: "sample".into(),
        ..Default::default()
    };
    Dataset {
        store: b.finish(),
        report,
    }
}

/// Writes the sample as CSV (RFC 3339 timestamps with milliseconds).
pub fn write_csv(opts: &SampleOptions, out: impl Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(out);
    writeln!(w, "{}", COLUMNS.join(","))?;
    let mut err = Ok(());
    generate(opts, |e| {
        if err.is_ok() {
            let rev = e.revenue.map(format_number).unwrap_or_default();
            err = writeln!(
                w,
                "{},{},{},{},{},{},{},{},{}",
                e.user,
                e.event,
                format_rfc3339(e.time),
                e.platform,
                e.country,
                e.channel,
                rev,
                e.page,
                e.variant
            );
        }
    });
    err?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_shaped_like_an_app() {
        let opts = SampleOptions {
            users: 2000,
            ..Default::default()
        };
        let mut a = Vec::new();
        write_csv(&opts, &mut a).unwrap();
        let mut b = Vec::new();
        write_csv(&opts, &mut b).unwrap();
        assert_eq!(a, b);
        let d = dataset(&opts);
        assert_eq!(d.store.user_count(), 2000);
        let per_user = d.store.len() as f64 / 2000.0;
        assert!(
            (6.0..16.0).contains(&per_user),
            "{per_user} events per user"
        );
        let count = |name: &str| {
            let c = d.store.event_names().code(name).unwrap();
            d.store.event_codes().iter().filter(|&&e| e == c).count()
        };
        // a funnel that narrows
        assert!(count("view_item") > count("add_to_cart"));
        assert!(count("add_to_cart") > count("begin_checkout"));
        assert!(count("begin_checkout") > count("purchase"));
        assert!(count("purchase") > 0);
        // pages exactly on page views; both variants present
        let mut seen_variants = std::collections::BTreeSet::new();
        generate(&opts, |e| {
            let view = matches!(
                e.event,
                "view_home" | "view_category" | "search" | "view_item"
            );
            assert_eq!(view, e.page.starts_with('/'), "{} {:?}", e.event, e.page);
            seen_variants.insert(e.variant);
        });
        assert_eq!(
            seen_variants.into_iter().collect::<Vec<_>>(),
            ["control", "treatment"]
        );
    }
}
