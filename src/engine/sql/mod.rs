//! `loupe sql`: a spec rendered as one SQL query for DuckDB or ClickHouse.
//!
//! The query reads a table (or any table expression) with the columns of an import:
//! `user_id`, `event`, `timestamp` (a `TIMESTAMPTZ` in DuckDB, a `DateTime64` in
//! ClickHouse) and one column per property, and returns exactly the rows and columns of
//! `loupe run --csv` for the same spec, as text, in the same order.
//!
//! Each analysis that has a rendering has one module here with
//! `pub fn render(&Sql, &Query, &Spec) -> Result<String>`, dispatched in [`render`]; an
//! analysis or an option without one is a `sql_unsupported` error naming the field, never
//! a query that answers something else. [`Sql`] holds what every rendering shares: the
//! dialect's spelling of names, literals, time-zone arithmetic, calendar buckets, the
//! shared filters and date range, breakdown values and number formatting.

pub mod ab_test;
pub mod active_users;
pub mod channels;
pub mod customers;
pub mod erfc;
pub mod funnel;
pub mod health;
pub mod lifecycle;
pub mod ltv;
pub mod paths;
pub mod portrait;
pub mod retention;
pub mod revenue;
pub mod rfm;
pub mod sessions;
pub mod stages;
pub mod stickiness;
pub mod trends;

use crate::engine::analysis::transitions::UNSEEN_NAME;
use crate::engine::analysis::{Query, Spec};
use crate::engine::error::{Error, Result};
use crate::engine::spec::{
    Breakdown, DateRange, Filter, FilterGroup, FilterItem, Op, Source, UserValue, NONE, OTHER,
};
use crate::engine::time::{parse_timestamp, Calendar, Granularity, TimeZone, WeekStart, Zone};
use serde_json::Value;

/// A SQL dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB (1.x and later).
    DuckDb,
    /// ClickHouse (also chDB, embedded ClickHouse).
    ClickHouse,
}

impl Dialect {
    /// The dialect's name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::ClickHouse => "clickhouse",
        }
    }
}

/// Where a rendered query reads its events.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a> {
    /// The table, or any table expression (`read_csv('events.csv')`).
    pub from: &'a str,
    /// The column holding each row's position in the file (several files: file by file),
    /// when the table has one. The engine orders a user's events by time and events at one
    /// instant by the file; a table has no order, so an analysis or option whose answer
    /// depends on that order renders only with this column (`--order-col`).
    pub order: Option<&'a str>,
}

impl<'a> Table<'a> {
    /// The table expression `from`, without a file-order column.
    pub fn new(from: &'a str) -> Self {
        Table { from, order: None }
    }
}

/// Renders `query` as one SQL query in `dialect`, reading `table`.
pub fn render(query: &Query, dialect: Dialect, table: Table) -> Result<String> {
    let sql = Sql::new(query, dialect, table)?;
    match &query.spec {
        Spec::Trends(s) => trends::render(&sql, s),
        Spec::ActiveUsers(s) => active_users::render(&sql, s),
        Spec::Stickiness(s) => stickiness::render(&sql, s),
        Spec::Lifecycle(s) => lifecycle::render(&sql, s),
        Spec::Funnel(s) => funnel::render(&sql, s),
        Spec::Retention(s) => retention::render(&sql, s),
        Spec::Revenue(s) => revenue::render(&sql, s),
        Spec::Rfm(s) => rfm::render(&sql, s),
        Spec::Stages(s) => stages::render(&sql, s),
        Spec::Health(s) => health::render(&sql, s),
        Spec::Ltv(s) => ltv::render(&sql, s),
        Spec::AbTest(s) => ab_test::render(&sql, s),
        Spec::Customers(s) => customers::render(&sql, s),
        Spec::Portrait(s) => portrait::render(&sql, s),
        Spec::Sessions(s) => sessions::render(&sql, s),
        Spec::Paths(s) => paths::render(&sql, s),
        Spec::Aarrr(_) => Err(unsupported(
            "analysis",
            "the AARRR overview (channels, revenue and referral trends over the current and the previous period in one table) has no rendering yet",
        )),
        Spec::Channels(s) => channels::render(&sql, s),
    }
}

/// The `sql_unsupported` error: `what` about `field` cannot be expressed in SQL (yet).
pub fn unsupported(field: &str, what: &str) -> Error {
    Error::spec(field, format!("not yet expressible in SQL: {what}"))
        .keyed("sql_unsupported", &[("what", &what)])
}

/// The `sql_needs_order` error: `what` about `field` depends on the file order of events at
/// one instant, and the table was given no column holding it ([`Table::order`]).
pub fn needs_order(field: &str, what: &str) -> Error {
    Error::spec(
        field,
        format!(
            "{what} depends on the file order of events at one instant: name the column holding each row's position in the file (--order-col)"
        ),
    )
    .keyed("sql_needs_order", &[("what", &what)])
}

/// The CTEs of the intervals an analysis shows and the date range's condition (see
/// [`Sql::intervals`]).
pub struct Intervals {
    /// The CTEs `span`, `cover`, `first_last`, `keys`, `bounds`, `intervals`, each
    /// followed by a comma.
    pub ctes: String,
    /// The date range as a condition on the instant `t`.
    pub in_range: String,
}

/// Microseconds per hour and per day.
const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 86_400_000_000;

/// What every rendering shares: the dialect, the table, the zone and the resolved scope.
pub struct Sql<'a> {
    /// The dialect.
    pub dialect: Dialect,
    /// The table expression the query reads.
    pub from: &'a str,
    /// The file-order column, when the table has one ([`Table::order`]).
    order: Option<&'a str>,
    query: &'a Query,
    zone: Zone,
    /// Seconds east of UTC when the zone is fixed (UTC included), else `None`.
    fixed: Option<i64>,
    /// The IANA name of a zone that is not fixed.
    name: String,
}

impl<'a> Sql<'a> {
    fn new(query: &'a Query, dialect: Dialect, table: Table<'a>) -> Result<Sql<'a>> {
        let tz = &query.scope.timezone;
        let zone = tz
            .resolve()
            .map_err(|e| Error::spec("timezone", e).keyed("unknown_timezone", &[("zone", tz)]))?;
        let (fixed, name) = match tz {
            TimeZone::Fixed(s) => (Some(*s as i64), String::new()),
            TimeZone::Named(n) => (None, n.clone()),
        };
        Ok(Sql {
            dialect,
            from: table.from,
            order: table.order,
            query,
            zone,
            fixed,
            name,
        })
    }

    /// The file-order column as a quoted identifier, for an analysis or option (`what`,
    /// about `field`) whose answer depends on the file order of events at one instant; a
    /// `sql_needs_order` error when the table has none.
    pub fn file_order(&self, field: &str, what: &str) -> Result<String> {
        match self.order {
            Some(c) => Ok(self.ident(c)),
            None => Err(needs_order(field, what)),
        }
    }

    fn duck(&self) -> bool {
        self.dialect == Dialect::DuckDb
    }

    /// A quoted identifier.
    pub fn ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// A string literal.
    pub fn lit(&self, s: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("'{}'", s.replace('\'', "''")),
            Dialect::ClickHouse => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    /// A property's value as text, NULL when it has none (NULL or empty).
    pub fn text(&self, property: &str) -> String {
        self.text_of(&self.ident(property))
    }

    /// A value (a column or an expression) as text, NULL when it has none (NULL or empty).
    fn text_of(&self, c: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("NULLIF(CAST({c} AS VARCHAR), '')"),
            Dialect::ClickHouse => format!("nullIf(toString({c}), '')"),
        }
    }

    /// A property's value as a number, NULL when it has none or is not a number.
    pub fn num(&self, property: &str) -> String {
        self.num_of(&self.ident(property))
    }

    /// A value (a column or an expression) as a number, NULL when it has none or is not
    /// a number.
    fn num_of(&self, c: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("TRY_CAST({c} AS DOUBLE)"),
            Dialect::ClickHouse => format!("toFloat64OrNull(toString({c}))"),
        }
    }

    /// The `timestamp` column as microseconds since the epoch (UTC).
    pub fn ts_us(&self) -> String {
        let c = self.ident("timestamp");
        match self.dialect {
            Dialect::DuckDb => format!("epoch_us({c})"),
            Dialect::ClickHouse => format!("toUnixTimestamp64Micro(toDateTime64({c}, 6, 'UTC'))"),
        }
    }

    /// Local wall-clock microseconds (in the scope's zone) of the instant `us`.
    pub fn local_of(&self, us: &str) -> String {
        if let Some(off) = self.fixed {
            return format!("({us} + {})", off * 1_000_000);
        }
        let z = self.lit(&self.name);
        match self.dialect {
            Dialect::DuckDb => {
                format!("epoch_us(timezone({z}, timezone('UTC', make_timestamp({us}))))")
            }
            Dialect::ClickHouse => format!(
                "({us} + 1000000 * toInt64(timeZoneOffset(fromUnixTimestamp64Micro({us}, {z}))))"
            ),
        }
    }

    /// The instant (microseconds, UTC) of local wall-clock microseconds `l` in the zone.
    pub fn instant_of(&self, l: &str) -> String {
        if let Some(off) = self.fixed {
            return format!("({l} - {})", off * 1_000_000);
        }
        let z = self.lit(&self.name);
        match self.dialect {
            Dialect::DuckDb => format!("epoch_us(timezone({z}, make_timestamp({l})))"),
            Dialect::ClickHouse => format!(
                "toUnixTimestamp64Micro(toDateTime64(formatDateTime(fromUnixTimestamp64Micro({l}, 'UTC'), '%Y-%m-%d %H:%i:%S'), 6, {z}))"
            ),
        }
    }

    /// `a` divided by the positive constant `m`, rounded down, as an integer.
    fn floor_div(&self, a: &str, m: i64) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("CAST(floor({a} / {m}) AS BIGINT)"),
            Dialect::ClickHouse => format!("toInt64(floor({a} / {m}))"),
        }
    }

    /// The key of the calendar interval holding local microseconds `l`, numbered as
    /// [`Calendar::bucket`] numbers them (hours and days since the epoch, weeks by their
    /// first day, months as year × 12 + month − 1).
    pub fn key(&self, g: Granularity, l: &str) -> String {
        match g {
            Granularity::Hour => self.floor_div(l, HOUR_US),
            Granularity::Day => self.floor_div(l, DAY_US),
            Granularity::Week => {
                let d = self.floor_div(l, DAY_US);
                let shift = match self.query.scope.week_start {
                    WeekStart::Monday => 3,
                    WeekStart::Sunday => 4,
                };
                format!("({d} - ((({d} + {shift}) % 7) + 7) % 7)")
            }
            Granularity::Month => match self.dialect {
                Dialect::DuckDb => format!(
                    "(year(make_timestamp({l})) * 12 + month(make_timestamp({l})) - 1)"
                ),
                Dialect::ClickHouse => format!(
                    "(toInt64(toYear(fromUnixTimestamp64Micro({l}, 'UTC'))) * 12 + toMonth(fromUnixTimestamp64Micro({l}, 'UTC')) - 1)"
                ),
            },
        }
    }

    /// The step between consecutive keys.
    pub fn key_step(g: Granularity) -> i64 {
        if g == Granularity::Week {
            7
        } else {
            1
        }
    }

    /// Local microseconds at which interval `key` starts.
    pub fn key_start(&self, g: Granularity, key: &str) -> String {
        match g {
            Granularity::Hour => format!("({key} * {HOUR_US})"),
            Granularity::Day | Granularity::Week => format!("({key} * {DAY_US})"),
            Granularity::Month => match self.dialect {
                Dialect::DuckDb => format!(
                    "epoch_us(CAST(make_date(CAST(floor({key} / 12) AS BIGINT), CAST({key} - 12 * floor({key} / 12) + 1 AS BIGINT), 1) AS TIMESTAMP))"
                ),
                Dialect::ClickHouse => format!(
                    "toUnixTimestamp64Micro(toDateTime64(makeDate32(toInt64(floor({key} / 12)), toInt64({key} - 12 * floor({key} / 12) + 1), 1), 6, 'UTC'))"
                ),
            },
        }
    }

    /// The label of the interval starting at local microseconds `l` (`2025-01-06`,
    /// `2025-01-06 13:00`, `2025-01`), as [`Calendar::label`] writes it.
    pub fn label(&self, g: Granularity, l: &str) -> String {
        let fmt = match g {
            Granularity::Hour => "%Y-%m-%d %H:00",
            Granularity::Day | Granularity::Week => "%Y-%m-%d",
            Granularity::Month => "%Y-%m",
        };
        match self.dialect {
            Dialect::DuckDb => format!("strftime(make_timestamp({l}), '{fmt}')"),
            Dialect::ClickHouse => {
                format!("formatDateTime(fromUnixTimestamp64Micro({l}, 'UTC'), '{fmt}')")
            }
        }
    }

    /// An instant (microseconds, UTC) in RFC 3339 with milliseconds, as the engine writes
    /// interval starts (`2025-01-06T00:00:00.000Z`).
    pub fn rfc3339(&self, us: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!(
                "strftime(make_timestamp({us}), '%Y-%m-%dT%H:%M:%S.') || lpad(CAST(CAST(floor(({us} % 1000000) / 1000) AS BIGINT) AS VARCHAR), 3, '0') || 'Z'"
            ),
            Dialect::ClickHouse => format!(
                "concat(formatDateTime(fromUnixTimestamp64Micro({us}, 'UTC'), '%Y-%m-%dT%H:%i:%S.'), leftPad(toString(intDiv({us} % 1000000, 1000)), 3, '0'), 'Z')"
            ),
        }
    }

    /// A nullable number as the engine's CSV writes it: whole numbers below 10^15 without
    /// a decimal point, others in the shortest form that reads back the same, and no value
    /// as NULL (an empty cell; see [`Sql::cell`]).
    pub fn number(&self, x: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!(
                "CASE WHEN {x} IS NULL THEN NULL WHEN {x} = trunc({x}) AND abs({x}) < 1e15 THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE {} END",
                self.positional(&format!("CAST({x} AS VARCHAR)"))
            ),
            Dialect::ClickHouse => format!(
                "multiIf({x} IS NULL, NULL, {x} = trunc({x}) AND abs({x}) < 1e15, toString(toInt64({x})), {})",
                self.positional(&format!("toString({x})"))
            ),
        }
    }

    /// The text `s` of a double (the database's shortest digits that read back the same)
    /// without an exponent, as Rust writes every double: `1.5e-07` as `0.00000015`,
    /// `1.5e+16` as `15000000000000000`, and DuckDB's `1000000000000000.0` as
    /// `1000000000000000`. The databases write the mantissa with one digit before the point.
    fn positional(&self, s: &str) -> String {
        let duck = self.duck();
        let (mantissa, exp) = if duck {
            (
                format!("split_part({s}, 'e', 1)"),
                format!("TRY_CAST(split_part({s}, 'e', 2) AS INTEGER)"),
            )
        } else {
            (
                format!("splitByChar('e', {s})[1]"),
                format!("toInt32OrZero(splitByChar('e', {s})[2])"),
            )
        };
        let digits = format!("replace(replace({mantissa}, '-', ''), '.', '')");
        let sign = format!("CASE WHEN {s} LIKE '-%' THEN '-' ELSE '' END");
        let substr = if duck { "substr" } else { "substring" };
        let zeros = |n: String| {
            if duck {
                format!("repeat('0', {n})")
            } else {
                format!("repeat('0', toUInt32({n}))")
            }
        };
        format!(
            "(CASE WHEN {s} LIKE '%e%' THEN {sign} || (CASE WHEN {exp} < 0 THEN '0.' || {neg} || {digits} WHEN length({digits}) <= {exp} + 1 THEN {digits} || {pad} ELSE {substr}({digits}, 1, {exp} + 1) || '.' || {substr}({digits}, {exp} + 2) END) WHEN {s} LIKE '%.0' THEN {substr}({s}, 1, length({s}) - 2) ELSE {s} END)",
            neg = zeros(format!("-{exp} - 1")),
            pad = zeros(format!("{exp} + 1 - length({digits})")),
        )
    }

    /// The `q` quantile of the non-null values of `v` in a group, as the engine
    /// interpolates it (sorted values x, pos = q (n − 1), x[floor] + (x[ceil] − x[floor])
    /// (pos − floor); the databases' own quantile functions round differently in the last
    /// digit). Undefined for a group without values: guard it with `count(v) = 0`.
    pub fn quantile(&self, v: &str, q: &str) -> String {
        let duck = self.duck();
        let xs = if duck {
            format!("list_sort(list({v}) FILTER (WHERE {v} IS NOT NULL))")
        } else {
            format!("arraySort(groupArray({v}))")
        };
        let n = if duck {
            format!("len({xs})")
        } else {
            format!("length({xs})")
        };
        let pos = if duck {
            format!("(CAST({q} AS DOUBLE) * ({n} - 1))")
        } else {
            format!("({q} * ({n} - 1))")
        };
        let at = |f: &str| {
            if duck {
                format!("{xs}[CAST({f}({pos}) AS BIGINT) + 1]")
            } else {
                format!("arrayElement({xs}, toInt64({f}({pos})) + 1)")
            }
        };
        let (lo, hi) = (at("floor"), at("ceil"));
        format!("({lo} + ({hi} - {lo}) * ({pos} - floor({pos})))")
    }

    /// A condition from a filter group on event properties (`TRUE` when empty).
    pub fn filter(&self, field: &str, g: &FilterGroup) -> Result<String> {
        let (items, joiner) = match g {
            FilterGroup::All(v) => (v, " AND "),
            FilterGroup::Any(v) => (v, " OR "),
        };
        if items.is_empty() {
            return Ok(self.bool(true));
        }
        let parts = items
            .iter()
            .enumerate()
            .map(|(k, item)| match item {
                FilterItem::Filter(f) => self.condition(&format!("{field}[{k}]"), f),
                FilterItem::Group(g) => self.filter(&format!("{field}[{k}]"), g),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(format!("({})", parts.join(joiner)))
    }

    fn condition(&self, field: &str, f: &Filter) -> Result<String> {
        let raw = self.property_value(&format!("{field}.source"), &f.property, f.source)?;
        let text = self.text_of(&raw);
        let num = self.num_of(&raw);
        // the engine's own checks and error codes (`Scoped::compile_filter`)
        let vfield = format!("{field}.value");
        let as_text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let one_text = || -> Result<String> {
            match &f.value {
                None | Some(Value::Null) => {
                    Err(Error::spec(&vfield, "this comparison needs a value")
                        .keyed("value_needed", &[]))
                }
                Some(v) => as_text(v).ok_or_else(|| {
                    Error::spec(&vfield, "the value must be a string or a number")
                        .keyed("scalar_needed", &[])
                }),
            }
        };
        let number = || -> Result<f64> {
            let v = one_text()?;
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    Error::spec(&vfield, format!("\"{v}\" is not a number"))
                        .keyed("not_a_number", &[("value", &v)])
                })
        };
        let list = || -> Result<String> {
            let Some(Value::Array(a)) = &f.value else {
                return Err(Error::spec(&vfield, "in and not_in need a list of values")
                    .keyed("list_needed", &[]));
            };
            let items = a
                .iter()
                .map(as_text)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    Error::spec(&vfield, "the list may hold only strings and numbers")
                        .keyed("list_scalars", &[])
                })?;
            if items.is_empty() {
                return Ok("NULL".into());
            }
            Ok(items
                .iter()
                .map(|s| self.lit(s))
                .collect::<Vec<_>>()
                .join(", "))
        };
        if matches!(f.op, Op::IsSet | Op::IsNotSet) && !matches!(f.value, None | Some(Value::Null))
        {
            return Err(Error::spec(vfield, "is_set and is_not_set take no value")
                .keyed("no_value_expected", &[]));
        }
        let contains = |needle: &str| match self.dialect {
            Dialect::DuckDb => format!("contains({text}, {})", self.lit(needle)),
            Dialect::ClickHouse => format!("position({text}, {}) > 0", self.lit(needle)),
        };
        let (yes, no) = (self.bool(true), self.bool(false));
        Ok(match f.op {
            Op::Eq => match &f.value {
                Some(Value::Number(_)) => format!("coalesce({num} = {}, {no})", number()?),
                _ => format!("coalesce({text} = {}, {no})", self.lit(&one_text()?)),
            },
            Op::Neq => match &f.value {
                Some(Value::Number(_)) => format!("coalesce({num} <> {}, {yes})", number()?),
                _ => format!("coalesce({text} <> {}, {yes})", self.lit(&one_text()?)),
            },
            Op::Contains => format!("coalesce({}, {no})", contains(&one_text()?)),
            Op::NotContains => format!("coalesce(NOT ({}), {yes})", contains(&one_text()?)),
            Op::In => format!("coalesce({text} IN ({}), {no})", list()?),
            Op::NotIn => format!("coalesce({text} NOT IN ({}), {yes})", list()?),
            Op::Gt => format!("coalesce({num} > {}, {no})", number()?),
            Op::Gte => format!("coalesce({num} >= {}, {no})", number()?),
            Op::Lt => format!("coalesce({num} < {}, {no})", number()?),
            Op::Lte => format!("coalesce({num} <= {}, {no})", number()?),
            Op::IsSet => format!("({text} IS NOT NULL)"),
            Op::IsNotSet => format!("({text} IS NULL)"),
        })
    }

    /// The shared filters as a condition.
    pub fn shared_filter(&self) -> Result<String> {
        self.filter("filters", &self.query.scope.filters)
    }

    /// The date range as two expressions of instants (microseconds, UTC; start included,
    /// end excluded) over `max_us`, the latest instant of the data (`None`: open).
    pub fn range(&self, max_us: &str) -> Result<(Option<String>, Option<String>)> {
        let day = Granularity::Day;
        let last_day = || self.key(day, &self.local_of(max_us));
        let start_of = |g, key: String| self.instant_of(&self.key_start(g, &key));
        Ok(match &self.query.scope.date_range {
            DateRange::All => (None, None),
            DateRange::LastDays(n) => (
                Some(start_of(
                    day,
                    format!("({} - {})", last_day(), *n as i64 - 1),
                )),
                Some(start_of(day, format!("({} + 1)", last_day()))),
            ),
            DateRange::ThisMonth => {
                let m = self.key(Granularity::Month, &self.local_of(max_us));
                (
                    Some(start_of(Granularity::Month, m.clone())),
                    Some(start_of(Granularity::Month, format!("({m} + 1)"))),
                )
            }
            DateRange::Between { from, to } => {
                let end = |field: &str, s: &Option<String>, end: bool| -> Result<Option<i64>> {
                    s.as_ref().map(|s| self.instant(field, s, end)).transpose()
                };
                let (a, b) = (
                    end("date_range.from", from, false)?,
                    end("date_range.to", to, true)?,
                );
                if let (Some(a), Some(b)) = (a, b) {
                    if a >= b {
                        let (f, t) = (from.as_deref().unwrap_or("…"), to.as_deref().unwrap_or("…"));
                        return Err(Error::spec(
                            "date_range",
                            format!("the range ends before it starts ({f} to {t})"),
                        )
                        .keyed("range_reversed", &[("from", &f), ("to", &t)]));
                    }
                }
                (a.map(|v| self.int(v)), b.map(|v| self.int(v)))
            }
        })
    }

    /// A date (a whole day in the zone) or a timestamp of a date range, as the engine
    /// resolves it; `end` gives the excluded end.
    fn instant(&self, field: &str, s: &str, end: bool) -> Result<i64> {
        let t = s.trim();
        let is_date = t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
        let at = parse_timestamp(t, &self.zone).ok_or_else(|| {
            Error::spec(
                field,
                format!("\"{s}\" is not a date (2025-01-31) or a timestamp (2025-01-31T12:00:00Z)"),
            )
            .keyed("bad_date", &[("value", &s)])
        })?;
        if !is_date {
            return Ok(if end { at + 1 } else { at });
        }
        let days = Calendar {
            granularity: Granularity::Day,
            zone: self.zone.clone(),
            week_start: self.query.scope.week_start,
        };
        let key = days.bucket(at);
        Ok(days.start_micros(if end { key + 1 } else { key }))
    }

    /// A breakdown's value per event as text: the value, or `a / b` for several
    /// properties (a missing part `(none)`), and `''` when the event has none of them.
    pub fn breakdown_value(&self, b: &Breakdown) -> Result<String> {
        let texts: Vec<String> = b
            .properties
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let field = format!("breakdown.properties[{k}].source");
                Ok(self.text_of(&self.property_value(&field, &p.property, p.source)?))
            })
            .collect::<Result<_>>()?;
        if let [one] = texts.as_slice() {
            return Ok(format!("coalesce({one}, '')"));
        }
        let none = self.lit(NONE);
        let all_missing = texts
            .iter()
            .map(|t| format!("{t} IS NULL"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let parts = texts
            .iter()
            .map(|t| format!("coalesce({t}, {none})"))
            .collect::<Vec<_>>()
            .join(" || ' / ' || ");
        Ok(format!("CASE WHEN {all_missing} THEN '' ELSE {parts} END"))
    }

    /// The `slots` CTE of a breakdown, from the CTEs `present (bv)` (every value, `''` for
    /// none) and `ranked (bv, rn)` (the values but none, ranked from 1): each value's
    /// series label (the top `limit` values, 0 = all, as themselves, the rest as
    /// `(other)`, none as `(none)`) and its position among the series.
    pub fn slots(&self, limit: usize) -> String {
        let kept = if limit == 0 {
            self.bool(true)
        } else {
            format!("rn <= {limit}")
        };
        format!(
            "slots AS (
  SELECT bv, CASE WHEN {kept} THEN bv ELSE {other} END AS label, CASE WHEN {kept} THEN rn ELSE 1000000000 END AS pos FROM ranked
  UNION ALL
  SELECT bv, {none} AS label, 2000000000 AS pos FROM present WHERE bv = ''
),",
            other = self.lit(OTHER),
            none = self.lit(NONE),
        )
    }

    /// Text for the final result: an empty cell as NULL, which DuckDB's CSV writer (like
    /// the engine's) writes as nothing, where it writes an empty string as `""`.
    pub fn cell(&self, x: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("NULLIF({x}, '')"),
            Dialect::ClickHouse => format!("nullIf({x}, '')"),
        }
    }

    /// A whole number (or any value) as text.
    pub fn to_text(&self, x: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("CAST({x} AS VARCHAR)"),
            Dialect::ClickHouse => format!("toString({x})"),
        }
    }

    /// `a / b` as a nullable double: no value when `b` is 0, as the engine's ratios.
    pub fn ratio(&self, a: &str, b: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => {
                format!("(CASE WHEN {b} = 0 THEN NULL ELSE CAST({a} AS DOUBLE) / {b} END)")
            }
            Dialect::ClickHouse => format!("if({b} = 0, NULL, toFloat64({a}) / {b})"),
        }
    }

    /// The `SETTINGS` a query needs after its `ORDER BY` (ClickHouse: outer joins give
    /// NULL, not a default value, where nothing matched).
    pub fn settings(&self) -> &'static str {
        match self.dialect {
            Dialect::DuckDb => "",
            Dialect::ClickHouse => "\nSETTINGS join_use_nulls = 1",
        }
    }

    /// The columns `p` (the event is of the purchase event `event` and passes `filters`)
    /// and `amt` (its `amount` as a double, 0 when it has none) of a `src` row, as in
    /// `analysis/purchases.rs`: a purchase event with `amt < 0` is a refund.
    pub fn purchase_cols(
        &self,
        event: &str,
        filters_field: &str,
        filters: &FilterGroup,
        amount: &str,
    ) -> Result<String> {
        let mut p = format!("{} = {}", self.ident("event"), self.lit(event));
        if !filters.is_empty() {
            p = format!("{p} AND {}", self.filter(filters_field, filters)?);
        }
        let amt = match self.dialect {
            Dialect::DuckDb => format!("CAST(coalesce({}, 0) AS DOUBLE)", self.num(amount)),
            Dialect::ClickHouse => format!("toFloat64(coalesce({}, 0))", self.num(amount)),
        };
        Ok(format!("({p}) AS p, {amt} AS amt"))
    }

    /// The calendar intervals of `g` an analysis shows, as CTEs after a `src` CTE with the
    /// instant `t` of every event: `span (t0, t1)` (the data's first and last instant),
    /// `cover (c0, c1)` (the part of the date range the data covers, end excluded),
    /// `first_last (k0, k1)`, and `intervals (k, ilabel, istart, icomplete, ipartial)`: every
    /// interval from the one holding `c0` to the one holding `c1 − 1`, with its label, its
    /// start (RFC 3339), and `'true'` / `'false'` for complete and its opposite (the
    /// engine's `Scoped::incomplete`: the range or the data misses more than 1/24 of it).
    /// `in_range` is the condition on `t` of the date range (it reads `span`).
    pub fn intervals(&self, g: Granularity) -> Result<Intervals> {
        let step = Self::key_step(g);
        let (r0, r1) = self.range("t1")?;
        let c0 = r0
            .as_ref()
            .map_or_else(|| "t0".into(), |r| format!("greatest(t0, {r})"));
        let c1 = r1
            .as_ref()
            .map_or_else(|| "t1 + 1".into(), |r| format!("least(t1 + 1, {r})"));
        let in_range = match (&r0, &r1) {
            (None, None) => self.bool(true),
            (Some(a), None) => format!("t >= {a}"),
            (None, Some(b)) => format!("t < {b}"),
            (Some(a), Some(b)) => format!("t >= {a} AND t < {b}"),
        };
        let keys = match self.dialect {
            Dialect::DuckDb => format!(
                "SELECT unnest(generate_series(k0, k1, {})) AS k FROM first_last",
                self.int(step)
            ),
            Dialect::ClickHouse => format!(
                "SELECT arrayJoin(range(k0, k1 + 1, {})) AS k FROM first_last",
                self.int(step)
            ),
        };
        let ctes = format!(
            "span AS (SELECT min(t) AS t0, max(t) AS t1 FROM src),
cover AS (SELECT {c0} AS c0, {c1} AS c1 FROM span),
first_last AS (SELECT {first_key} AS k0, {last_key} AS k1 FROM cover),
keys AS ({keys}),
bounds AS (SELECT k, {start} AS s_us, {end} AS e_us FROM keys),
intervals AS (
  SELECT k, {label} AS ilabel, {start_text} AS istart,
    CASE WHEN c0 - s_us > {slack} OR e_us - c1 > {slack} THEN 'false' ELSE 'true' END AS icomplete,
    CASE WHEN c0 - s_us > {slack} OR e_us - c1 > {slack} THEN 'true' ELSE 'false' END AS ipartial
  FROM bounds, cover
),",
            first_key = self.key(g, &self.local_of("c0")),
            last_key = self.key(g, &self.local_of("(c1 - 1)")),
            start = self.instant_of(&self.key_start(g, "k")),
            end = self.instant_of(&self.key_start(g, &format!("(k + {step})"))),
            label = self.label(g, &self.key_start(g, "k")),
            start_text = self.rfc3339("s_us"),
            slack = self.int_div("(e_us - s_us)", "24"),
        );
        Ok(Intervals { ctes, in_range })
    }

    /// The value of `x` on the row before in `order` within `partition` (NULL on the
    /// first), as a window function.
    pub fn lag(&self, x: &str, partition: &str, order: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("lag({x}) OVER (PARTITION BY {partition} ORDER BY {order})"),
            Dialect::ClickHouse => format!(
                "lagInFrame(toNullable({x})) OVER (PARTITION BY {partition} ORDER BY {order} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
            ),
        }
    }

    /// The key of the interval of `g` holding the date or timestamp `value` of spec field
    /// `field`, as the engine reads such a field (`parse_timestamp` in the zone; a date is
    /// its midnight); unreadable, it is the error `code` with the value as `date`.
    pub fn key_of_date(
        &self,
        field: &str,
        g: Granularity,
        value: &str,
        code: &'static str,
    ) -> Result<i64> {
        let t = parse_timestamp(value, &self.zone).ok_or_else(|| {
            Error::spec(
                field,
                format!("\"{value}\" is no date of an interval shown"),
            )
            .keyed(code, &[("date", &value)])
        })?;
        let cal = Calendar {
            granularity: g,
            zone: self.zone.clone(),
            week_start: self.query.scope.week_start,
        };
        Ok(cal.bucket(t))
    }

    /// A nullable amount of money as the engine's tables write sums of amounts
    /// (`table::amount`): rounded to 9 decimals, without trailing zeros, `-0` as `0`.
    pub fn amount(&self, x: &str) -> String {
        self.number(&format!("round({x}, 9)"))
    }

    /// The interval keys of a transition table's `from` and `to` dates (`None`: the first
    /// and the last interval shown), with the engine's errors (`transition_date`,
    /// `transition_order`).
    pub fn transition_keys(
        &self,
        g: Granularity,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(Option<i64>, Option<i64>)> {
        let kf = from
            .map(|v| self.key_of_date("from", g, v, "transition_date"))
            .transpose()?;
        let kt = to
            .map(|v| self.key_of_date("to", g, v, "transition_date"))
            .transpose()?;
        if let (Some(a), Some(b)) = (kf, kt) {
            if a > b {
                return Err(Error::spec(
                    "to",
                    "the interval to compare must not be before the first one",
                )
                .keyed(
                    "transition_order",
                    &[("from", &from.unwrap_or("")), ("to", &to.unwrap_or(""))],
                ));
            }
        }
        Ok((kf, kt))
    }

    /// The end of a query over users in states per interval (user stages, health), in
    /// the layout `section, interval, to_interval, from_state, state, users` of
    /// `transitions::HEADER`: from the CTEs `intervals` (of [`Sql::intervals`]),
    /// `first_last` and `staged (u, k, stage)` (a user's state, an index into `states`,
    /// in each interval where they have appeared), the counts per interval and state and
    /// `seen` (section `section`), then the users by state at interval `kf` (rows,
    /// `unseen` first) and at `kt` (columns), section `transitions`; `None`: the first and
    /// the last interval; with `cell` (row, column of that table, row 0 `unseen`), its
    /// users, section `member`, in the order of their first row in the file (the column
    /// `o` of `src`).
    pub fn state_tables(
        &self,
        section: &str,
        states: &[&str],
        kf: Option<i64>,
        kt: Option<i64>,
        cell: Option<(usize, usize)>,
    ) -> String {
        let names = |list: &mut dyn Iterator<Item = (usize, &str)>| {
            list.map(|(k, n)| {
                format!(
                    "SELECT {} AS s, {} AS name",
                    self.int(k as i64),
                    self.lit(n)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
        };
        let state_names = names(&mut states.iter().copied().chain(["seen"]).enumerate());
        let row_names = names(
            &mut [UNSEEN_NAME]
                .into_iter()
                .chain(states.iter().copied())
                .enumerate(),
        );
        let col_names = names(&mut states.iter().copied().enumerate());
        let members = match cell {
            None => String::new(),
            Some((r, c)) => format!(
                "
  UNION ALL
  SELECT {i2} AS sec, {i0} AS k, fo.o AS a, {i0} AS b2, 'member' AS section, fi.ilabel AS ilabel,
    ti.ilabel AS to_label, {from} AS from_state, {to} AS state, {id} AS users
  FROM ends
  JOIN intervals AS fi ON fi.k = ends.kf
  JOIN intervals AS ti ON ti.k = ends.kt
  JOIN (SELECT st.u AS u, st.stage AS stage FROM staged AS st, ends WHERE st.k = ends.kt) AS tt ON tt.stage = {c}
  LEFT JOIN (SELECT st.u AS u, st.stage AS stage FROM staged AS st, ends WHERE st.k = ends.kf) AS fr
    ON fr.u = tt.u
  JOIN (SELECT u, {first_row} AS o FROM src GROUP BY u) AS fo ON fo.u = tt.u
  WHERE coalesce(fr.stage + 1, 0) = {r}",
                i0 = self.int(0),
                i2 = self.int(2),
                from = self.lit(if r == 0 { UNSEEN_NAME } else { states[r - 1] }),
                to = self.lit(states[c]),
                id = self.to_text("tt.u"),
                first_row = match self.dialect {
                    Dialect::DuckDb => "CAST(min(o) AS BIGINT)",
                    Dialect::ClickHouse => "toInt64(min(o))",
                },
                c = self.int(c as i64),
                r = self.int(r as i64),
            ),
        };
        format!(
            "counts AS (
  SELECT k, stage AS s, count(*) AS n FROM staged GROUP BY k, stage
  UNION ALL
  SELECT k, {seen} AS s, count(*) AS n FROM staged GROUP BY k
),
state_names AS ({state_names}),
row_names AS ({row_names}),
col_names AS ({col_names}),
ends AS (SELECT {kf} AS kf, {kt} AS kt FROM first_last),
moves AS (
  SELECT coalesce(fr.stage + 1, 0) AS r, tt.stage AS c, count(*) AS n
  FROM (SELECT st.u AS u, st.stage AS stage FROM staged AS st, ends WHERE st.k = ends.kt) AS tt
  LEFT JOIN (SELECT st.u AS u, st.stage AS stage FROM staged AS st, ends WHERE st.k = ends.kf) AS fr
    ON fr.u = tt.u
  GROUP BY coalesce(fr.stage + 1, 0), tt.stage
),
table_rows AS (
  SELECT {i0} AS sec, iv.k AS k, sn.s AS a, {i0} AS b2, {section} AS section, iv.ilabel AS ilabel,
    '' AS to_label, '' AS from_state, sn.name AS state, {count} AS users
  FROM intervals AS iv CROSS JOIN state_names AS sn
  LEFT JOIN counts AS c ON c.k = iv.k AND c.s = sn.s
  UNION ALL
  SELECT {i1} AS sec, {i0} AS k, rn.s AS a, cn.s AS b2, 'transitions' AS section, fi.ilabel AS ilabel,
    ti.ilabel AS to_label, rn.name AS from_state, cn.name AS state, {moved} AS users
  FROM ends
  JOIN intervals AS fi ON fi.k = ends.kf
  JOIN intervals AS ti ON ti.k = ends.kt
  CROSS JOIN row_names AS rn CROSS JOIN col_names AS cn
  LEFT JOIN moves AS mv ON mv.r = rn.s AND mv.c = cn.s{members}
)
SELECT section AS \"section\", ilabel AS \"interval\", {to_cell} AS \"to_interval\",
  {from_cell} AS \"from_state\", state AS \"state\", {users} AS \"users\"
FROM table_rows
ORDER BY sec, k, a, b2{settings}",
            seen = self.int(states.len() as i64),
            section = self.lit(section),
            count = self.to_text("coalesce(c.n, 0)"),
            moved = self.to_text("coalesce(mv.n, 0)"),
            members = members,
            kf = kf.map_or_else(|| "k0".to_string(), |k| self.int(k)),
            kt = kt.map_or_else(|| "k1".to_string(), |k| self.int(k)),
            i0 = self.int(0),
            i1 = self.int(1),
            to_cell = self.cell("to_label"),
            from_cell = self.cell("from_state"),
            users = self.to_text("users"),
            settings = self.settings(),
        )
    }

    /// A boolean literal.
    pub fn bool(&self, b: bool) -> String {
        match (self.dialect, b) {
            (Dialect::DuckDb, true) => "TRUE".into(),
            (Dialect::DuckDb, false) => "FALSE".into(),
            (Dialect::ClickHouse, true) => "1".into(),
            (Dialect::ClickHouse, false) => "0".into(),
        }
    }

    /// Integer division of `a` by `b` (both whole and not negative).
    pub fn int_div(&self, a: &str, b: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => format!("({a} // {b})"),
            Dialect::ClickHouse => format!("intDiv({a}, {b})"),
        }
    }

    /// A whole-number SQL literal of type 64-bit integer.
    pub fn int(&self, v: i64) -> String {
        if self.duck() {
            format!("CAST({v} AS BIGINT)")
        } else {
            format!("toInt64({v})")
        }
    }

    /// The value of `x` on the row after in `order` within `partition` (NULL on the
    /// last), as a window function.
    pub fn lead_in(&self, x: &str, partition: &str, order: &str) -> String {
        match self.dialect {
            Dialect::DuckDb => {
                format!("lead({x}) OVER (PARTITION BY {partition} ORDER BY {order})")
            }
            Dialect::ClickHouse => format!(
                "leadInFrame(toNullable({x})) OVER (PARTITION BY {partition} ORDER BY {order} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
            ),
        }
    }

    /// The scope's calendar of `g` (its zone and week start), to read spec fields as the
    /// engine reads them.
    pub fn calendar_of(&self, g: Granularity) -> Calendar {
        Calendar {
            granularity: g,
            zone: self.zone.clone(),
            week_start: self.query.scope.week_start,
        }
    }

    /// The raw value of `property` on a row of the table as an analysis reads it: the
    /// row's own (source `event`), or the user's (source `user`): the value of their first
    /// row with one (`user_properties: latest`: their last), rows in time order and rows
    /// at one instant in file order, over all their rows, as the engine's user columns.
    /// A window expression: only for the select list of a `src` CTE reading the table.
    pub fn property_value(&self, field: &str, property: &str, source: Source) -> Result<String> {
        let c = self.ident(property);
        if source == Source::Event {
            return Ok(c);
        }
        let order = self.file_order(field, "a user property (source \"user\")")?;
        let pick = match self.query.scope.user_properties {
            UserValue::First => "first_value",
            UserValue::Latest => "last_value",
        };
        let has = format!(
            "CASE WHEN {} IS NULL THEN NULL ELSE {c} END",
            self.text_of(&c)
        );
        // ClickHouse's first_value / last_value skip NULLs; DuckDB's do when told to
        let arg = match self.dialect {
            Dialect::DuckDb => format!("{has} IGNORE NULLS"),
            Dialect::ClickHouse => has,
        };
        Ok(format!(
            "{pick}({arg}) OVER (PARTITION BY {} ORDER BY {}, {order} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
            self.ident("user_id"),
            self.ident("timestamp"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(json: &str, dialect: Dialect) -> Result<String> {
        render(&Query::from_json(json)?, dialect, Table::new("events"))
    }

    #[test]
    fn file_order_needs_the_column() {
        let q = Query::from_json(r#"{"analysis": "trends"}"#).unwrap();
        let with = Table {
            from: "events",
            order: Some("file \"row\""),
        };
        let s = Sql::new(&q, Dialect::DuckDb, with).unwrap();
        assert_eq!(s.file_order("x", "y").unwrap(), "\"file \"\"row\"\"\"");
        let s = Sql::new(&q, Dialect::ClickHouse, Table::new("events")).unwrap();
        let e = s.file_order("breakdown", "a first value").unwrap_err();
        assert_eq!(key(&e), "sql_needs_order");
        assert!(e.to_string().contains("--order-col"), "{e}");
    }

    #[test]
    fn what_needs_the_file_order_asks_for_its_column() {
        for (json, field) in [
            (
                r#"{"analysis":"stages","members":{"from":"unseen","to":"new"}}"#,
                "members",
            ),
            (
                r#"{"analysis":"health","members":{"from":"unseen","to":"core"}}"#,
                "members",
            ),
            (
                r#"{"analysis":"revenue","filters":[{"property":"c","op":"is_set"}]}"#,
                "filters",
            ),
            (
                r#"{"analysis":"funnel","ties":"strictly_later","breakdown":"c","steps":[{"event":"a"},{"event":"b"}]}"#,
                "attribution",
            ),
            (
                r#"{"analysis":"funnel","ties":"strictly_later","exclusions":[{"event":"c"}],"steps":[{"event":"a"},{"event":"b"}]}"#,
                "exclusions",
            ),
            (
                r#"{"analysis":"funnel","steps":[{"event":"a"},{"event":"b"}]}"#,
                "ties",
            ),
            (
                r#"{"analysis":"retention","cohort":"first_ever"}"#,
                "cohort",
            ),
            (
                r#"{"analysis":"retention","return_event":"b"}"#,
                "return_event",
            ),
            (
                r#"{"analysis":"retention","breakdown":[{"property":"c","source":"user"}]}"#,
                "breakdown.properties[0].source",
            ),
            (
                r#"{"analysis":"trends","filters":[{"property":"plan","source":"user","op":"eq","value":"pro"}]}"#,
                "filters[0].source",
            ),
            (
                r#"{"analysis":"trends","breakdown":[{"property":"plan","source":"user"}]}"#,
                "breakdown.properties[0].source",
            ),
        ] {
            for d in [Dialect::DuckDb, Dialect::ClickHouse] {
                let e = sql(json, d).unwrap_err();
                assert_eq!(key(&e), "sql_needs_order", "{json}: {e}");
                assert!(
                    e.to_string().contains(&format!(": {field}: ")),
                    "{json}: {e}"
                );
                let q = Query::from_json(json).unwrap();
                let table = Table {
                    from: "events",
                    order: Some("file_row"),
                };
                assert!(render(&q, d, table).is_ok(), "{json}");
            }
        }
    }

    fn key(e: &Error) -> &'static str {
        match e {
            Error::Spec { key, .. } => key,
            _ => "",
        }
    }

    #[test]
    fn what_sql_cannot_express_is_a_keyed_error_not_a_query() {
        for (json, field) in [
            (
                r#"{"analysis":"funnel","ties":"strictly_later","order":"strict","steps":[{"event":"a"},{"event":"b"}]}"#,
                "order",
            ),
            (
                r#"{"analysis":"funnel","ties":"step_order","steps":[{"event":"a"},{"event":"b"},{"event":"a"}]}"#,
                "ties",
            ),
            (
                r#"{"analysis":"funnel","ties":"step_order","steps":[{"event":"a"},{}]}"#,
                "ties",
            ),
            (
                r#"{"analysis":"ab_test","conversion":{"event":"b"},"revenue":{}}"#,
                "revenue",
            ),
            (
                r#"{"analysis":"ab_test","conversion":[{"event":"a"},{"event":"b"}]}"#,
                "conversion",
            ),
            (
                r#"{"analysis":"ab_test","conversion":{"event":"b"},"exposure_event":"a"}"#,
                "exposure_event",
            ),
            (
                r#"{"analysis":"ab_test","conversion":{"event":"b"},"expected_split":{"x":0.5,"y":0.5}}"#,
                "expected_split",
            ),
            (r#"{"analysis":"aarrr"}"#, "AARRR"),
            (
                r#"{"analysis":"funnel","ties":"step_order","exclusions":[{"event":"b"}],"steps":[{"event":"a"},{"event":"b"}]}"#,
                "exclusions[0].event",
            ),
            (r#"{"analysis":"trends","compare":true}"#, "compare"),
            (
                r#"{"analysis":"lifecycle","created_at":"signup_at"}"#,
                "created_at",
            ),
            (
                r#"{"analysis":"revenue","channel":"utm_source"}"#,
                "channel",
            ),
            (
                r#"{"analysis":"stages","created_at":"signup_at"}"#,
                "created_at",
            ),
            (
                r#"{"analysis":"portrait","properties":[{"property":"c"}],"breakdown":{"property":"d"}}"#,
                "breakdown",
            ),
        ] {
            for d in [Dialect::DuckDb, Dialect::ClickHouse] {
                let e = sql(json, d).unwrap_err();
                assert_eq!(key(&e), "sql_unsupported", "{json}: {e}");
                assert!(e.to_string().contains(field), "{json}: {e}");
            }
        }
    }

    #[test]
    fn bad_options_are_the_engines_errors() {
        let e = sql(
            r#"{"analysis":"trends","filters":[{"property":"n","op":"gt","value":"x"}]}"#,
            Dialect::DuckDb,
        )
        .unwrap_err();
        assert_eq!(key(&e), "not_a_number");
        let e = sql(
            r#"{"analysis":"trends","filters":[{"property":"c","op":"in","value":"CN"}]}"#,
            Dialect::ClickHouse,
        )
        .unwrap_err();
        assert_eq!(key(&e), "list_needed");
        let e = sql(
            r#"{"analysis":"active_users","mau_days":7}"#,
            Dialect::DuckDb,
        )
        .unwrap_err();
        assert_eq!(key(&e), "mau_days");
        let e = sql(
            r#"{"analysis":"trends","date_range":{"from":"2025-02-01","to":"2025-01-31"}}"#,
            Dialect::DuckDb,
        )
        .unwrap_err();
        assert_eq!(key(&e), "range_reversed");
        let e = sql(
            r#"{"analysis":"revenue","costs":[{"channel":"ads","cost":1}]}"#,
            Dialect::ClickHouse,
        )
        .unwrap_err();
        assert_eq!(key(&e), "channel_needed");
        let e = sql(
            r#"{"analysis":"stages","interval":"hour"}"#,
            Dialect::DuckDb,
        )
        .unwrap_err();
        assert_eq!(key(&e), "whole_days_interval");
        let e = sql(
            r#"{"analysis":"stages","silent_days":30,"churned_days":30}"#,
            Dialect::DuckDb,
        )
        .unwrap_err();
        assert_eq!(key(&e), "stage_days");
        let e = sql(
            r#"{"analysis":"stages","from":"2025-03-10","to":"2025-03-01"}"#,
            Dialect::ClickHouse,
        )
        .unwrap_err();
        assert_eq!(key(&e), "transition_order");
        let e = sql(r#"{"analysis":"ltv","period":"hour"}"#, Dialect::DuckDb).unwrap_err();
        assert_eq!(key(&e), "ltv_hour");
        let e = sql(
            r#"{"analysis":"health","interval":"hour"}"#,
            Dialect::DuckDb,
        )
        .unwrap_err();
        assert_eq!(key(&e), "whole_days_interval");
        let e = sql(
            r#"{"analysis":"health","tiers":{"core":{"max_recency_days":1,"min_frequency":1,"min_value":5},"active":{"max_recency_days":1,"min_frequency":1},"casual":{"max_recency_days":1,"min_frequency":1},"at_risk":{"max_recency_days":1,"min_frequency":1}}}"#,
            Dialect::ClickHouse,
        )
        .unwrap_err();
        assert_eq!(key(&e), "health_rule");
        let e = sql(r#"{"analysis":"ltv","periods":0}"#, Dialect::ClickHouse).unwrap_err();
        assert_eq!(key(&e), "periods_range");
        let e = sql(
            r#"{"analysis":"trends","timezone":"Mars/Base"}"#,
            Dialect::DuckDb,
        );
        assert!(e.is_err());
    }

    #[test]
    fn literals_are_escaped_per_dialect() {
        let q = Query::from_json(r#"{"analysis":"trends"}"#).unwrap();
        let duck = Sql::new(&q, Dialect::DuckDb, Table::new("events")).unwrap();
        let ch = Sql::new(&q, Dialect::ClickHouse, Table::new("events")).unwrap();
        assert_eq!(duck.lit(r"it's a\b"), r"'it''s a\b'");
        assert_eq!(ch.lit(r"it's a\b"), r"'it\'s a\\b'");
        assert_eq!(duck.ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn dates_of_a_range_are_whole_days_in_the_zone() {
        // 2025-03-30 starts at 00:00 CET = 2025-03-29T23:00Z; the day after the end
        // (2025-03-31 00:00 CEST) = 2025-03-30T22:00Z: a 23-hour day
        let q = Query::from_json(
            r#"{"analysis":"trends","timezone":"Europe/Berlin","date_range":{"from":"2025-03-30","to":"2025-03-30"}}"#,
        )
        .unwrap();
        let s = Sql::new(&q, Dialect::DuckDb, Table::new("events")).unwrap();
        let (from, to) = s.range("t1").unwrap();
        let from_us: i64 = 1_743_289_200 * 1_000_000;
        assert_eq!(from.unwrap(), format!("CAST({from_us} AS BIGINT)"));
        assert_eq!(
            to.unwrap(),
            format!("CAST({} AS BIGINT)", from_us + 23 * 3_600_000_000)
        );
    }
}
