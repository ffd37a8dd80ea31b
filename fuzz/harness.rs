//! The check every ingest fuzz input goes through, shared by the coverage-guided targets in
//! `fuzz/fuzz_targets/` (cargo-fuzz, `make fuzz`) and the stable smoke run in
//! `tests/fuzz.rs` (part of `make test`).
//!
//! An input is loaded as a dropped file is (`ingest::load_file`, which sniffs zip, gzip, the
//! encoding and the format). Any error is an acceptable answer for malformed bytes; a panic,
//! or a load that succeeds with rows that are not accounted for, is a failure:
//! `rows_in = imported + duplicates + rejected + set_aside`, the store holds exactly
//! `imported` events, the per-reason counts add up to `rejected` and to `set_aside`, and the
//! kept samples are the first ones.

use loupe::engine::ingest::{self, ImportReport, LoadOptions, MAX_REJECT_SAMPLES};
use std::io::Cursor;

/// Loads `data` with `opts` and checks the accounting. `Ok(None)` is a clean error (the
/// input was refused as a whole), `Ok(Some(report))` a load whose every row is accounted for,
/// `Err` a broken invariant, described.
pub fn check(data: &[u8], opts: &LoadOptions) -> Result<Option<ImportReport>, String> {
    let total = Some(data.len() as u64);
    let loaded = ingest::load_file(Cursor::new(data), total, opts, &mut |_| true);
    let Ok(dataset) = loaded else {
        return Ok(None);
    };
    let r = dataset.report;
    let events = dataset.store.len() as u64;
    if r.rows_in != r.imported + r.duplicates + r.rejected + r.set_aside {
        return Err(format!(
            "rows_in {} != imported {} + duplicates {} + rejected {} + set aside {}",
            r.rows_in, r.imported, r.duplicates, r.rejected, r.set_aside
        ));
    }
    if events != r.imported {
        return Err(format!(
            "the store holds {events} events, imported says {}",
            r.imported
        ));
    }
    let by_reason: u64 = r.rejected_by_reason.values().sum();
    if by_reason != r.rejected {
        return Err(format!(
            "rejects by reason add up to {by_reason}, not {}",
            r.rejected
        ));
    }
    let aside: u64 = r.set_aside_by_reason.values().sum();
    if aside != r.set_aside {
        return Err(format!(
            "set-aside rows by reason add up to {aside}, not {}",
            r.set_aside
        ));
    }
    let kept = (r.rejected as usize).min(MAX_REJECT_SAMPLES);
    if r.reject_samples.len() != kept {
        return Err(format!(
            "{} reject samples kept for {} rejected rows",
            r.reject_samples.len(),
            r.rejected
        ));
    }
    Ok(Some(r))
}
