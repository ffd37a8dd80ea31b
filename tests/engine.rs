//! Integration tests of the engine (one binary, one module per area).
//!
//! - `funnel`, `retention`, `segmentation`, `ingest`: hand-worked fixtures loaded from small
//!   CSV strings; every expected number is worked out by hand in a comment next to it.
//! - `oracle`: literal brute-force implementations of the definitions in the module docs
//!   (DESIGN.md §3), compared number by number with the engine on the sample dataset and
//!   on seeded random datasets full of equal timestamps.
//!
//! Nothing here computes an expected value by calling the function under test.

mod common;
mod funnel;
mod ingest;
mod oracle;
mod retention;
mod segmentation;
