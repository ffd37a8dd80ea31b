//! Results as tables: a header row and data rows of text, for CSV downloads in the app and
//! `loupe run --csv`. Numbers are written in full (no thousands separators, rates as
//! fractions), so the CSV round-trips into a spreadsheet without loss.

use super::AnalysisResult;

/// A header row plus data rows.
pub type Table = Vec<Vec<String>>;

/// An optional number as text (empty when absent).
pub fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// A sum of amounts (money) as text, rounded to 9 decimals without trailing zeros
/// (`-0` as `0`): a sum that crossed JSON (worker to page) may be off in its last bit, and
/// the app's download must equal `loupe run --csv`.
pub fn amount(v: f64) -> String {
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// The result as a table.
pub fn table(r: &AnalysisResult) -> Table {
    r.table()
}

/// The result as CSV text (RFC 4180 quoting), every cell as it is: what `loupe run
/// --csv` prints for other programs to read.
pub fn csv(r: &AnalysisResult) -> String {
    write(table(r))
}

/// The result as CSV text for a spreadsheet (the app's download): a text cell that a
/// spreadsheet would run as a formula gets a leading `'` ([`spreadsheet_safe`]).
pub fn spreadsheet_csv(r: &AnalysisResult) -> String {
    spreadsheet_rows_csv(table(r))
}

/// Any table of text as CSV for a spreadsheet: every cell through [`spreadsheet_safe`].
pub fn spreadsheet_rows_csv(rows: Table) -> String {
    write(
        rows.into_iter()
            .map(|row| row.iter().map(|c| spreadsheet_safe(c)).collect())
            .collect(),
    )
}

/// `cell`, or `'` + `cell` when a spreadsheet would read it as a formula: text starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's rule), unless the whole
/// cell is a plain number such as `-2.5`. Breakdown values and event names come from the
/// user's data, so `=HYPERLINK(...)` or `-2+3` in a file must not run when the download
/// is opened.
pub fn spreadsheet_safe(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn write(rows: Table) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        // writing to memory cannot fail
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_from_the_data_do_not_run_in_a_spreadsheet() {
        for (cell, safe) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("-2+3", "'-2+3"),
            ("+cmd", "'+cmd"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("-2.5", "-2.5"),
            ("+3", "+3"),
            ("1e5", "1e5"),
            ("CN", "CN"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe, "{cell:?}");
        }
        let data = "user_id,event,timestamp,country\n\
                    a,=HYPERLINK(\"http://x\"),2025-01-01T00:00:00Z,-2+3\n";
        let d = load(data.as_bytes(), None, &LoadOptions::default(), &mut |_| {
            true
        })
        .unwrap();
        let q = Query::from_json(r#"{"analysis":"trends","series":[{"event":"=HYPERLINK(\"http://x\")"}],"breakdown":"country"}"#).unwrap();
        let r = run(&d.store, &q).unwrap().result;
        let safe = spreadsheet_csv(&r);
        assert!(
            safe.contains(",\"'=HYPERLINK(\"\"http://x\"\")\",'-2+3,"),
            "{safe}"
        );
        // the CLI's CSV keeps the values as they are
        assert!(csv(&r).contains(",\"=HYPERLINK(\"\"http://x\"\")\",-2+3,"));
    }
    use crate::engine::analysis::{run, Query};
    use crate::engine::ingest::{csv::load, LoadOptions};

    #[test]
    fn csv_of_each_result() {
        let data = "user_id,event,timestamp,country\n\
                    a,signup,2025-01-01T00:00:00Z,\"CN, East\"\n\
                    a,buy,2025-01-02T00:00:00Z,\"CN, East\"\n\
                    b,signup,2025-01-02T00:00:00Z,US\n";
        let d = load(data.as_bytes(), None, &LoadOptions::default(), &mut |_| {
            true
        })
        .unwrap();
        let f = run(
            &d.store,
            &Query::from_json(
                r#"{"analysis":"funnel","steps":[{"event":"signup"},{"event":"buy"}]}"#,
            )
            .unwrap(),
        )
        .unwrap()
        .result;
        let text = csv(&f);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "step,event,users,conversion,step_conversion,dropped,median_seconds,mean_seconds"
        );
        assert_eq!(lines[1], "1,signup,2,1,1,0,,");
        assert_eq!(lines[2], "2,buy,1,0.5,0.5,1,86400,86400");
        let r = run(
            &d.store,
            &Query::from_json(r#"{"analysis":"retention","periods":1}"#).unwrap(),
        )
        .unwrap()
        .result;
        let text = csv(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "cohort,size,users_0,users_1,rate_0,rate_1,complete_0,complete_1"
        );
        // a's cohort 2025-01-01 (2 days observable), b's 2025-01-02 (only day 0)
        assert_eq!(lines[1], "2025-01-01,1,1,1,1,1,true,false");
        assert_eq!(lines[2], "2025-01-02,1,1,,1,,false,");
        let s = run(
            &d.store,
            &Query::from_json(
                r#"{"analysis":"trends","series":[{"measure":"users"}],"breakdown":"country"}"#,
            )
            .unwrap(),
        )
        .unwrap()
        .result;
        let text = csv(&s);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "interval,start,complete,key,series,breakdown,value"
        );
        // a (CN, East) on both days, b (US) on the second
        assert!(
            text.contains(
                "2025-01-01,2025-01-01T00:00:00.000Z,true,A,(all events),\"CN, East\",1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("2025-01-02,2025-01-02T00:00:00.000Z,false,A,(all events),US,1\n"),
            "{text}"
        );
        assert!(
            text.contains("total,,,A,(all events),\"CN, East\",1\n"),
            "{text}"
        );
    }
}
