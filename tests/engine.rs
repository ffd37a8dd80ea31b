//! Integration tests of the engine (one binary, one module per area).
//!
//! - `funnel`, `retention`, `trends`, `stickiness`, `active_users`, `lifecycle`, `ltv`,
//!   `revenue`, `ingest`:
//! - `funnel`, `retention`, `trends`, `stickiness`, `active_users`, `lifecycle`, `ab_test`,
//!   `ingest`:
//!   hand-worked fixtures loaded from small CSV strings; every expected number is worked
//!   out by hand in a comment next to it.
//! - `rfm`: hand-worked RFM fixtures (ties both ways, refunds, as-of, zones, eight
//!   classes); `oracle_rfm`: a literal RFM on seeded random data.
//! - `formats`: one seeded event list written as CSV, JSON lines, a JSON array, Mixpanel,
//!   PostHog, Segment, Amplitude, GA4 (JSON and flattened CSV), Sensors Data and Snowplow
//!   exports, warehouse tables, JSON-in-CSV cells and day/month dates, plain and gzipped
//!   (one and two members), each loaded and compared event by event with the list;
//!   malformed variants (broken line, repeated insert id, truncated gzip, gzip bomb, bad JSON
//!   cells, ambiguous or mixed date orders, set-aside records) checked for positions and
//!   counts.
//! - `oracle`: literal brute-force implementations of the definitions in the module docs
//!   (DESIGN.md §3), compared number by number with the engine on the sample dataset and
//!   on seeded random datasets full of equal timestamps; `oracle_retention` does the same
//!   for the retention options (cohort kinds, occurrences, rolling windows, brackets,
//!   averages, breakdowns); `oracle_trends` for trends (measures, formulas, breakdowns,
//!   date ranges, the previous period);
//!   `oracle_lifecycle` for the lifecycle (per-user interval sets
//!   under several zones, week starts, ranges, filters, created-at rules, breakdowns);
//!   `oracle_activity` for stickiness and active users; `oracle_ltv` for the cohort LTV
//!   and the customer summary; `oracle_revenue` for revenue (per-interval measures,
//!   totals, to-date values and ROI by channel).
//!
//! `parquet`: the seeded sample written as Parquet (every codec read, several row groups,
//! nulls, typed and text timestamps) loads to the CSV's dataset; typed values, nested groups,
//! rejects by row number and damaged files on small hand-made files.
//!
//! `sessions` (fixtures) and `oracle_sessions` (brute force) check the sessions analysis.
//! `paths` (fixtures) and `oracle_paths` (brute force) check the paths analysis.
//!   `oracle_activity` for stickiness and active users; `oracle_ab_test` for the A/B test
//!   counts (users, conversions, revenue per variant).
//!
//! `channels`: hand-worked channel fixtures (first / last touch, retention day edges,
//! windows not yet ended) and a brute-force oracle on seeded random data; `portrait` the
//! same for the user portrait (last values, bin edges, cross-tabs).
//! `stages` and `health` (fixtures) and `oracle_stages` (brute force, both analyses) check
//! the user stages, the health tiers and their transition tables.
//!
//! Nothing here computes an expected value by calling the function under test.

#[path = "engine/aarrr.rs"]
mod aarrr;
#[path = "engine/ab_test.rs"]
mod ab_test;
#[path = "engine/active_users.rs"]
mod active_users;
#[path = "engine/channels.rs"]
mod channels;
#[path = "engine/common.rs"]
mod common;
#[path = "engine/files.rs"]
mod files;
#[path = "engine/formats.rs"]
mod formats;
#[path = "engine/funnel.rs"]
mod funnel;
#[path = "engine/health.rs"]
mod health;
#[path = "engine/ingest.rs"]
mod ingest;
#[path = "engine/lifecycle.rs"]
mod lifecycle;
#[path = "engine/load_errors.rs"]
mod load_errors;
#[path = "engine/ltv.rs"]
mod ltv;
#[path = "engine/mapping.rs"]
mod mapping;
#[path = "engine/oracle.rs"]
mod oracle;
#[path = "engine/oracle_ab_test.rs"]
mod oracle_ab_test;
#[path = "engine/oracle_activity.rs"]
mod oracle_activity;
#[path = "engine/oracle_lifecycle.rs"]
mod oracle_lifecycle;
#[path = "engine/oracle_ltv.rs"]
mod oracle_ltv;
#[path = "engine/oracle_paths.rs"]
mod oracle_paths;
#[path = "engine/oracle_retention.rs"]
mod oracle_retention;
#[path = "engine/oracle_revenue.rs"]
mod oracle_revenue;
#[path = "engine/oracle_rfm.rs"]
mod oracle_rfm;
#[path = "engine/oracle_sessions.rs"]
mod oracle_sessions;
#[path = "engine/oracle_stages.rs"]
mod oracle_stages;
#[path = "engine/oracle_trends.rs"]
mod oracle_trends;
#[path = "engine/parquet.rs"]
mod parquet;
#[path = "engine/paths.rs"]
mod paths;
#[path = "engine/portrait.rs"]
mod portrait;
#[path = "engine/retention.rs"]
mod retention;
#[path = "engine/revenue.rs"]
mod revenue;
#[path = "engine/rfm.rs"]
mod rfm;
#[path = "engine/sessions.rs"]
mod sessions;
#[path = "engine/stages.rs"]
mod stages;
#[path = "engine/stickiness.rs"]
mod stickiness;
#[path = "engine/trends.rs"]
mod trends;
