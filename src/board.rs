//! Boards: several analyses on one page, as a small JSON file of specs (never data).
//!
//! The app keeps a board in memory while the user builds it, in the browser's storage only
//! when the user saves it, and exports / imports it as a file a colleague opens on the same
//! data. This module is the file format, shared by the app and its tests:
//!
//! ```json
//! {"loupe_board": 1, "name": "Weekly review",
//!  "items": [{"title": "Checkout funnel", "query": {"analysis": "funnel", "steps": [...]}}]}
//! ```
//!
//! Each `query` is exactly what `loupe run --spec` takes (an analysis with its scope), so an
//! item can also be run from the command line.

use crate::engine::analysis::Query;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format version written in `loupe_board`.
pub const VERSION: u64 = 1;

/// Most items a board holds (each runs when the board is shown).
pub const MAX_ITEMS: usize = 24;

/// One analysis on a board.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardItem {
    /// The title shown above its chart.
    pub title: String,
    /// The analysis and its scope.
    pub query: Query,
}

/// A board: a name and its analyses, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Board {
    /// The board's name.
    pub name: String,
    /// Its analyses.
    pub items: Vec<BoardItem>,
}

/// Why a board file could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardError {
    /// Where: `items[2].query`, or empty for the whole file.
    pub at: String,
    /// What, in English (the app shows it after a translated heading).
    pub message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileItem {
    title: String,
    query: Value,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    loupe_board: u64,
    #[serde(default)]
    name: String,
    items: Vec<FileItem>,
}

impl Board {
    /// The board as the JSON of its file (pretty-printed: people read and diff it).
    pub fn to_json(&self) -> String {
        let file = File {
            loupe_board: VERSION,
            name: self.name.clone(),
            items: self
                .items
                .iter()
                .map(|i| FileItem {
                    title: i.title.clone(),
                    query: serde_json::from_str(&i.query.to_json()).unwrap_or(Value::Null),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Reads a board file; every item's query is checked like a `loupe run` spec, and the
    /// first problem is reported with where it is.
    pub fn from_json(text: &str) -> Result<Board, BoardError> {
        let whole = |message: String| BoardError {
            at: String::new(),
            message,
        };
        let file: File = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| whole(format!("not a Loupe board file: {e}")))?;
        if file.loupe_board != VERSION {
            return Err(whole(format!(
                "board format {} is not supported (this version reads {VERSION})",
                file.loupe_board
            )));
        }
        if file.items.len() > MAX_ITEMS {
            return Err(whole(format!(
                "{} analyses; a board holds at most {MAX_ITEMS}",
                file.items.len()
            )));
        }
        let items = file
            .items
            .into_iter()
            .enumerate()
            .map(|(k, i)| {
                let query = Query::from_json(&i.query.to_string()).map_err(|e| BoardError {
                    at: format!("items[{k}].query"),
                    message: e.to_string(),
                })?;
                Ok(BoardItem {
                    title: i.title,
                    query,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Board {
            name: file.name,
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"loupe_board": 1, "name": "Weekly",
        "items": [
          {"title": "Checkout", "query": {"analysis": "funnel", "steps": [{"event": "view_item"}, {"event": "purchase"}], "timezone": "Asia/Shanghai"}},
          {"title": "Retention", "query": {"analysis": "retention", "period": "week"}}
        ]}"#;

    #[test]
    fn reads_writes_and_reads_back() {
        let b = Board::from_json(FILE).unwrap();
        assert_eq!(b.name, "Weekly");
        assert_eq!(b.items.len(), 2);
        assert_eq!(b.items[0].title, "Checkout");
        assert_eq!(b.items[0].query.spec.kind(), "funnel");
        assert!(b.to_json().contains("Asia/Shanghai"));
        assert_eq!(b.items[1].query.spec.kind(), "retention");
        let again = Board::from_json(&b.to_json()).unwrap();
        assert_eq!(again, b);
        assert!(b.to_json().contains("\"loupe_board\": 1"));
    }

    #[test]
    fn says_what_is_wrong_and_where() {
        let bad_item = FILE.replace("\"period\": \"week\"", "\"period\": \"fortnight\"");
        let e = Board::from_json(&bad_item).unwrap_err();
        assert_eq!(e.at, "items[1].query");
        assert!(e.message.contains("fortnight"), "{}", e.message);
        let e = Board::from_json("{\"loupe_board\": 2, \"items\": []}").unwrap_err();
        assert!(e.message.contains("format 2"), "{}", e.message);
        let e = Board::from_json("[1, 2]").unwrap_err();
        assert!(
            e.message.starts_with("not a Loupe board file"),
            "{}",
            e.message
        );
        let many = format!(
            "{{\"loupe_board\": 1, \"items\": [{}]}}",
            vec![r#"{"title": "t", "query": {"analysis": "retention"}}"#; MAX_ITEMS + 1].join(",")
        );
        assert!(Board::from_json(&many)
            .unwrap_err()
            .message
            .contains("at most"));
    }
}
