//! Several files of one dataset (dropped together, or named together in the CLI).
//!
//! Each file is read on its own through [`load_file`], so each is sniffed on its own: its
//! container, format, encoding, delimiter, header line and columns may differ from the
//! others', and it may have its own options (a mapping the app remembered for its header).
//! The files are one dataset when their columns map to the same roles: the same user, event
//! and time columns, the same user fallback, insert id and identity. Their columns may come
//! in another order, and a file may have property columns the others lack (null in the
//! others' events). A file whose roles differ is an error naming it and both mappings
//! (`files_roles_differ`); any other error of a file names the file too.
//!
//! The events are appended in file order (events of one user at one instant keep that
//! order), and the reports are added up: `rows_in = imported + duplicates + rejected +
//! set_aside` holds for the whole as for each file. A property that is a number in one file
//! and text in another becomes text, the numbers written as the store writes them
//! (`1.50` reads `1.5`). Insert ids are compared across files as within one: a row
//! whose insert id was seen in an earlier file (vendor exports of overlapping days) is a
//! duplicate of its own file, the event kept where it was seen first. The report's format,
//! container, encoding and shape list the files' distinct values joined by `+`
//! (`csv+ndjson`), and `files` gives each file's name, format, encoding and own counts.

use super::{
    load_file_after, Dataset, Dedup, FileReport, ImportReport, LoadOptions, Progress, Reject,
};
use crate::engine::error::{Error, Result};
use crate::engine::store::{format_number, PropertyValues, StoreBuilder};
use std::io::{Read, Seek};

/// One file of several.
pub struct Source<R> {
    /// The file's name, as errors and the report name it.
    pub name: String,
    /// Its bytes.
    pub input: R,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
    /// How it is read.
    pub options: LoadOptions,
}

/// The roles of a report's columns, as one comparable text: `user=…, event=…, time=…`
/// with the fallback, insert id and identity when set.
fn roles_text(r: &ImportReport) -> String {
    let c = &r.columns;
    let mut s = format!("user={}, event={}, time={}", c.user, c.event, c.time);
    if let Some(f) = &c.user_fallback {
        s.push_str(&format!(", user_fallback={f}"));
    }
    if let Some(i) = &c.insert_id {
        s.push_str(&format!(", insert_id={i}"));
    }
    let identity = serde_json::to_value(c.identity).unwrap_or_default();
    s.push_str(&format!(
        ", identity={}",
        identity.as_str().unwrap_or_default()
    ));
    s
}

/// Loads several files into one dataset (see the module doc). `progress` reports the bytes
/// of all files together; one file is loaded as [`load_file`] does.
pub fn load_files<R: Read + Seek>(
    files: Vec<Source<R>>,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Dataset> {
    let total: Option<u64> = files.iter().map(|f| f.size).sum();
    let several = files.len() > 1;
    let mut done = 0u64;
    let mut dedup = Dedup::default();
    let mut loaded: Vec<(String, Dataset)> = Vec::with_capacity(files.len());
    for f in files {
        let mut relay = |mut p: Progress| {
            p.bytes += done;
            p.total_bytes = total;
            progress(p)
        };
        let data =
            load_file_after(f.input, f.size, &f.options, &mut dedup, &mut relay).map_err(|e| {
                match several {
                    true => e.in_file(&f.name),
                    false => e,
                }
            })?;
        if let Some((first, d)) = loaded.first() {
            let (want, got) = (roles_text(&d.report), roles_text(&data.report));
            if want != got {
                return Err(Error::format(format!(
                    "\"{}\" maps its columns to other roles ({got}) than \"{first}\" \
                     ({want}); files are one dataset only when their columns map to the same \
                     roles (load it alone, or choose the same columns for it)",
                    f.name
                ))
                .keyed(
                    "files_roles_differ",
                    &[
                        ("file", &f.name),
                        ("roles", &got),
                        ("first", first),
                        ("first_roles", &want),
                    ],
                ));
            }
        }
        done += f.size.unwrap_or(data.report.bytes);
        loaded.push((f.name, data));
    }
    if loaded.len() == 1 {
        return Ok(loaded.pop().expect("one file").1);
    }
    Ok(append(loaded))
}

/// The datasets appended into one, in order (their roles agree).
fn append(parts: Vec<(String, Dataset)>) -> Dataset {
    // property columns: the union of the files' columns, in order of first appearance
    let mut names: Vec<String> = Vec::new();
    for (_, d) in &parts {
        for p in d.store.properties() {
            if !names.contains(&p.name) {
                names.push(p.name.clone());
            }
        }
    }
    let mut builder = StoreBuilder::new(names.clone());
    let mut report = ImportReport {
        columns: parts[0].1.report.columns.clone(),
        delimiter: parts[0].1.report.delimiter,
        ..Default::default()
    };
    report.columns.properties = names.clone();
    let joined = |f: &dyn Fn(&ImportReport) -> &str| {
        let mut seen: Vec<&str> = Vec::new();
        for (_, d) in &parts {
            let v = f(&d.report);
            if !v.is_empty() && !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen.join("+")
    };
    report.format = joined(&|r| r.format.as_str());
    report.container = joined(&|r| r.container.as_str());
    report.encoding = joined(&|r| r.encoding.as_str());
    report.encoding_source = joined(&|r| r.encoding_source.as_str());
    let shapes = joined(&|r| r.shape.as_deref().unwrap_or(""));
    report.shape = (!shapes.is_empty()).then_some(shapes);
    let mut numbers: Vec<String> = vec![String::new(); names.len()];
    for (name, d) in &parts {
        let (s, r) = (&d.store, &d.report);
        let cols: Vec<usize> = s
            .properties()
            .iter()
            .map(|p| names.iter().position(|n| *n == p.name).expect("a union"))
            .collect();
        for u in 0..s.user_count() {
            let user = s.user_id(u);
            for i in s.user_range(u) {
                let event = s.event_names().get(s.event_codes()[i]);
                for (p, &c) in s.properties().iter().zip(&cols) {
                    numbers[c].clear();
                    if let PropertyValues::Number { values } = &p.values {
                        if !values[i].is_nan() {
                            numbers[c].push_str(&format_number(values[i]));
                        }
                    }
                }
                let cells = s.properties().iter().zip(&cols).map(|(p, &c)| {
                    let v = match &p.values {
                        PropertyValues::String { dict, codes } => match codes[i] {
                            0 => "",
                            code => dict.get(code - 1),
                        },
                        PropertyValues::Number { .. } => numbers[c].as_str(),
                    };
                    (c, v)
                });
                builder.push_sparse(user, event, s.times()[i], cells);
            }
        }
        report.rows_in += r.rows_in;
        report.imported += r.imported;
        report.duplicates += r.duplicates;
        report.rejected += r.rejected;
        report.set_aside += r.set_aside;
        report.bytes += r.bytes;
        report.entries += r.entries;
        report.json_cells_invalid += r.json_cells_invalid;
        for (k, v) in &r.rejected_by_reason {
            *report.rejected_by_reason.entry(*k).or_default() += v;
        }
        for (k, v) in &r.set_aside_by_reason {
            *report.set_aside_by_reason.entry(*k).or_default() += v;
        }
        for c in &r.expanded_json {
            if !report.expanded_json.contains(c) {
                report.expanded_json.push(c.clone());
            }
        }
        let room = super::MAX_REJECT_SAMPLES.saturating_sub(report.reject_samples.len());
        report
            .reject_samples
            .extend(r.reject_samples.iter().take(room).map(|x| Reject {
                file: Some(name.clone()),
                ..x.clone()
            }));
        report.files.push(FileReport::of(name, r));
    }
    Dataset {
        store: builder.finish(),
        report,
    }
}
