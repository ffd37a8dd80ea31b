//! Movement of users between states from one interval to another: the transition table
//! shared by the user stages (`stages`) and the user health tiers (`health`).
//!
//! A user's state at an interval is a small number (`0..n`, the index of the state in the
//! analysis's list) or [`UNSEEN`] when the user has not appeared yet. The table counts the
//! users by (state at `from`, state at `to`): row 0 is "not yet seen" at `from`, rows
//! `1..=n` the states at `from`; columns are the `n` states at `to`. A user not yet seen at
//! `to` is in no cell. So the row sums of rows `1..=n` are the state counts at `from`, the
//! column sums are the state counts at `to`, and row 0 holds the users who appeared in
//! between (including during `to` itself).

use super::table::Table;
use serde::{Deserialize, Serialize};

/// The state of a user who has not appeared yet.
pub const UNSEEN: u8 = u8::MAX;

/// The row and column name of "not yet seen".
pub const UNSEEN_NAME: &str = "unseen";

/// Users by state at one interval and state at a later one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Transitions {
    /// The label of the interval the rows describe.
    pub from: String,
    /// The label of the interval the columns describe.
    pub to: String,
    /// The states' JSON names, in the order of the columns (rows: `unseen`, then these).
    pub states: Vec<String>,
    /// `counts[row][column]`: row 0 = not yet seen at `from`, row `1 + s` = state `s` at
    /// `from`; column `s` = state `s` at `to`.
    pub counts: Vec<Vec<u64>>,
    /// The cell asked for with `members`, if any.
    pub cell: Option<Cell>,
    /// The user ids of that cell (empty when none was asked).
    pub members: Vec<String>,
}

/// A cell of the transition table, named by its states: `from` may be `unseen`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// The state at the `from` interval (`unseen` for users not yet seen).
    pub from: String,
    /// The state at the `to` interval.
    pub to: String,
}

/// Counts users into a transition table of `n` states, one user at a time.
pub struct Tally {
    n: usize,
    c: Vec<u64>,
    /// The (row, column) whose users are listed, if any.
    cell: Option<(usize, usize)>,
    members: Vec<String>,
}

impl Tally {
    /// An empty table of `n` states; `cell` (row, column) lists the users of that cell.
    pub fn new(n: usize, cell: Option<(usize, usize)>) -> Self {
        Tally {
            n,
            c: vec![0; (n + 1) * n],
            cell,
            members: Vec::new(),
        }
    }

    /// Counts one user with states `from` and `to` ([`UNSEEN`] or `0..n`); a user unseen
    /// at `to` is not counted. `id` gives the user's id when they are in the listed cell.
    #[inline]
    pub fn add(&mut self, from: u8, to: u8, id: impl FnOnce() -> String) {
        if to == UNSEEN {
            return;
        }
        let row = if from == UNSEEN { 0 } else { from as usize + 1 };
        let col = to as usize;
        self.c[row * self.n + col] += 1;
        if self.cell == Some((row, col)) {
            self.members.push(id());
        }
    }

    /// The table, with the states' names and the intervals' labels.
    pub fn finish(self, states: &[&str], from: String, to: String) -> Transitions {
        let n = self.n;
        let name = |r: usize| {
            if r == 0 {
                UNSEEN_NAME.to_string()
            } else {
                states[r - 1].to_string()
            }
        };
        Transitions {
            cell: self.cell.map(|(r, c)| Cell {
                from: name(r),
                to: states[c].to_string(),
            }),
            from,
            to,
            states: states.iter().map(|s| s.to_string()).collect(),
            counts: self.c.chunks(n.max(1)).map(<[u64]>::to_vec).collect(),
            members: self.members,
        }
    }
}

/// The (row, column) of `cell` among `states`, or `None` when a name is unknown (row 0 is
/// [`UNSEEN_NAME`]).
pub fn locate(states: &[&str], cell: &Cell) -> Option<(usize, usize)> {
    let row = if cell.from == UNSEEN_NAME {
        Some(0)
    } else {
        states.iter().position(|s| *s == cell.from).map(|r| r + 1)
    };
    let col = states.iter().position(|s| *s == cell.to);
    row.zip(col)
}

/// The table's rows for a CSV in the layout `section, interval, to_interval, from_state,
/// state, users`: one row per cell, section `transitions`; then, when a cell was asked
/// for, one row per member of it, section `member`, with the user id in the last column.
pub fn rows(t: &Transitions) -> Table {
    let mut out = Vec::new();
    for (r, row) in t.counts.iter().enumerate() {
        let from = if r == 0 {
            UNSEEN_NAME
        } else {
            t.states[r - 1].as_str()
        };
        for (c, v) in row.iter().enumerate() {
            out.push(vec![
                "transitions".to_string(),
                t.from.clone(),
                t.to.clone(),
                from.to_string(),
                t.states[c].clone(),
                v.to_string(),
            ]);
        }
    }
    if let Some(cell) = &t.cell {
        for m in &t.members {
            out.push(vec![
                "member".to_string(),
                t.from.clone(),
                t.to.clone(),
                cell.from.clone(),
                cell.to.clone(),
                m.clone(),
            ]);
        }
    }
    out
}

/// The CSV header of [`rows`] (and of the per-interval rows next to them).
pub const HEADER: [&str; 6] = [
    "section",
    "interval",
    "to_interval",
    "from_state",
    "state",
    "users",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_from_states_and_columns_to_states() {
        let mut t = Tally::new(2, Some((0, 1)));
        t.add(UNSEEN, 1, || "a".into());
        t.add(0, 1, || "b".into());
        t.add(0, 1, || "c".into());
        t.add(1, 0, || "d".into());
        t.add(UNSEEN, UNSEEN, || "e".into());
        let r = t.finish(&["x", "y"], "f".into(), "g".into());
        assert_eq!(r.counts, vec![vec![0, 1], vec![0, 2], vec![1, 0]]);
        assert_eq!(r.members, vec!["a".to_string()]);
        let cell = |f: &str, t: &str| Cell {
            from: f.into(),
            to: t.into(),
        };
        assert_eq!(locate(&["x", "y"], &cell("unseen", "y")), Some((0, 1)));
        assert_eq!(locate(&["x", "y"], &cell("y", "x")), Some((2, 0)));
        assert_eq!(locate(&["x", "y"], &cell("z", "x")), None);
        assert_eq!(rows(&r).len(), 7);
        assert_eq!(rows(&r)[6], ["member", "f", "g", "unseen", "y", "a"]);
        assert_eq!(rows(&r)[3], ["transitions", "f", "g", "x", "y", "2"]);
    }
}
