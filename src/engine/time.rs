//! Time: parsing timestamps from exports, civil-calendar arithmetic and calendar buckets.
//!
//! The store keeps every timestamp as `i64` microseconds since the Unix epoch, UTC. Parsing
//! accepts what real exports contain: ISO-8601 / RFC 3339 with `Z` or an offset, naive
//! `YYYY-MM-DD HH:MM:SS[.f]` (interpreted at a caller-chosen offset, UTC by default), plain
//! dates, `/` as date separator, and epoch numbers whose unit is decided by magnitude
//! (< 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds).
//!
//! Calendar buckets (hour, day, ISO week, month) are computed in a [`TimeZone`]: UTC, a
//! fixed offset, or an IANA name whose daylight-saving rules come from the tz database
//! bundled with the engine (jiff), resolved once per analysis into a table of offsets.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Microseconds per second.
pub const SECOND: i64 = 1_000_000;
/// Microseconds per minute.
pub const MINUTE: i64 = 60 * SECOND;
/// Microseconds per hour.
pub const HOUR: i64 = 60 * MINUTE;
/// Microseconds per day.
pub const DAY: i64 = 24 * HOUR;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A time zone as a spec names it: `"UTC"`, a fixed offset such as `"+08:00"`, or an IANA
/// name such as `"Asia/Shanghai"` or `"Europe/Berlin"` (daylight saving followed).
///
/// Parsing only checks the form; [`TimeZone::resolve`] looks a name up in the tz database
/// bundled with the engine (the same database natively and in wasm), so the page, which
/// never computes, does not carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeZone {
    /// Seconds east of UTC.
    Fixed(i32),
    /// An IANA time zone name.
    Named(String),
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::UTC
    }
}

impl TimeZone {
    /// UTC.
    pub const UTC: TimeZone = TimeZone::Fixed(0);

    /// Parses `UTC`, `Z`, `GMT`, `+08:00`, `-0530`, `+8`, `UTC+8`, `UTC-05:00`, or an IANA
    /// name (`Area/Location`, letters, digits, `_`, `-`, `+`).
    pub fn parse(s: &str) -> Option<TimeZone> {
        let t = s.trim();
        let rest = t
            .strip_prefix("UTC")
            .or_else(|| t.strip_prefix("GMT"))
            .unwrap_or(t);
        if rest.is_empty() || rest == "Z" {
            return Some(TimeZone::UTC);
        }
        if let Some(offset) = parse_offset(rest.as_bytes()) {
            return Some(TimeZone::Fixed(offset));
        }
        let named = t.contains('/')
            && t.split('/').all(|part| {
                !part.is_empty()
                    && part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
            });
        named.then(|| TimeZone::Named(t.to_string()))
    }

    /// Looks the zone up and prepares its offsets.
    pub fn resolve(&self) -> Result<Zone, String> {
        match self {
            TimeZone::Fixed(s) => Ok(Zone {
                fixed: *s as i64 * SECOND,
                spans: Vec::new(),
            }),
            TimeZone::Named(name) => {
                thread_local! {
                    /// Named zones already resolved: building the table of a zone's
                    /// offsets from 1900 to 2100 costs milliseconds, and the app asks for
                    /// the browser's zone on every query.
                    static RESOLVED: std::cell::RefCell<rustc_hash::FxHashMap<String, Zone>> =
                        Default::default();
                }
                if let Some(z) = RESOLVED.with(|c| c.borrow().get(name).cloned()) {
                    return Ok(z);
                }
                let zone = Self::resolve_named(name)?;
                RESOLVED.with(|c| c.borrow_mut().insert(name.clone(), zone.clone()));
                Ok(zone)
            }
        }
    }

    /// The offsets of the IANA zone `name` from 1900 to 2100, from the bundled database.
    fn resolve_named(name: &str) -> Result<Zone, String> {
        let tz = jiff::tz::TimeZone::get(name)
            .map_err(|_| format!("unknown time zone \"{name}\" (not in the tz database)"))?;
        let from = jiff::Timestamp::from_second(days_from_civil(1900, 1, 1) * 86_400)
            .map_err(|e| e.to_string())?;
        let until = days_from_civil(2100, 1, 1) * DAY;
        let mut spans = vec![(i64::MIN, tz.to_offset(from).seconds() as i64 * SECOND)];
        for t in tz.following(from) {
            let at = t.timestamp().as_microsecond();
            if at > until {
                break;
            }
            spans.push((at, t.offset().seconds() as i64 * SECOND));
        }
        Ok(Zone { fixed: 0, spans })
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeZone::Fixed(0) => f.write_str("UTC"),
            TimeZone::Fixed(s) => {
                let sign = if *s < 0 { '-' } else { '+' };
                let a = s.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
            }
            TimeZone::Named(n) => f.write_str(n),
        }
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeZone::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown time zone '{s}': use \"UTC\", a fixed offset such as \"+08:00\", \
                 or an IANA name such as \"Asia/Shanghai\""
            ))
        })
    }
}

/// A resolved time zone: the UTC offset in force at any instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Zone {
    /// The offset of a fixed zone (microseconds), when `spans` is empty.
    fixed: i64,
    /// (UTC instant from which it holds, offset), sorted; the first starts at `i64::MIN`.
    spans: Vec<(i64, i64)>,
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone {
            fixed: 0,
            spans: Vec::new(),
        }
    }

    /// The offset (microseconds east of UTC) in force at the UTC instant `utc`.
    pub fn offset_at(&self, utc: i64) -> i64 {
        if self.spans.is_empty() {
            return self.fixed;
        }
        let i = self.spans.partition_point(|s| s.0 <= utc);
        self.spans[i.max(1) - 1].1
    }

    /// The UTC instant of a local wall-clock time. In a gap (clocks jump forward) the time
    /// is read with the offset from before the jump; in an overlap, the earlier instant.
    pub fn local_to_utc(&self, local: i64) -> i64 {
        if self.spans.is_empty() {
            return local - self.fixed;
        }
        let before = local - self.offset_at(local - 2 * DAY);
        let after = local - self.offset_at(local + 2 * DAY);
        // try both offsets around the wall time; keep one that maps back to it
        for utc in [before.min(after), before.max(after)] {
            if utc + self.offset_at(utc) == local {
                return utc;
            }
        }
        before
    }
}

/// Parses `±HH`, `±HHMM`, `±HH:MM` into seconds east of UTC.
fn parse_offset(b: &[u8]) -> Option<i32> {
    let (sign, rest) = match b.first()? {
        b'+' => (1, &b[1..]),
        b'-' => (-1, &b[1..]),
        _ => return None,
    };
    let digits: Vec<u8> = rest.iter().copied().filter(|c| *c != b':').collect();
    if digits.iter().any(|c| !c.is_ascii_digit()) || rest.first() == Some(&b':') {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (num(&digits)?, 0),
        4 => (num(&digits[..2])?, num(&digits[2..])?),
        3 => (num(&digits[..1])?, num(&digits[1..])?),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
    })
}

/// Parses one timestamp cell into UTC microseconds. Naive date-times are read at `naive_tz`.
/// Returns `None` for anything that is not a recognisable timestamp (a `NN/NN/YYYY` date
/// among them: its order is not known here, see [`parse_timestamp_in`]).
pub fn parse_timestamp(s: &str, naive_tz: &Zone) -> Option<i64> {
    parse_timestamp_in(s, naive_tz, None)
}

/// The first two numbers of a date written day and month first, `NN/NN/YYYY` (also with
/// `.` or `-`, optionally followed by a time), if `s` is one: which comes first, the day
/// or the month, is decided from the data (see [`parse_timestamp_in`]).
pub fn leading_date_parts(s: &str) -> Option<(u32, u32)> {
    let b = s.trim().as_bytes();
    let mut i = 0;
    let a = take_digits(b, &mut i, 1, 2)?;
    let sep = *b.get(i)?;
    if !matches!(sep, b'/' | b'.' | b'-') {
        return None;
    }
    i += 1;
    let c = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&sep) {
        return None;
    }
    i += 1;
    take_digits(b, &mut i, 4, 4)?;
    if i < b.len() && !matches!(b[i], b' ' | b'T' | b't') {
        return None;
    }
    Some((a, c))
}

/// [`parse_timestamp`], also reading `NN/NN/YYYY[ time]` dates as day first
/// (`day_first = Some(true)`) or month first (`Some(false)`); with `None` they are not
/// timestamps.
pub fn parse_timestamp_in(s: &str, naive_tz: &Zone, day_first: Option<bool>) -> Option<i64> {
    // the common shape first, before the trim (it starts with a digit and ends in `Z`)
    if let Some(t) = parse_iso_utc(s.as_bytes()) {
        return Some(t);
    }
    let s = s.trim();
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    if leading_date_parts(s).is_some() {
        return parse_day_month(b, naive_tz, day_first?);
    }
    if b[0].is_ascii_digit() && b.len() >= 5 && b[4].is_ascii() && b[4] != b'-' && b[4] != b'/' {
        // compact calendar forms first: 8 digits YYYYMMDD, 14 digits YYYYMMDDHHMMSS (as epoch
        // numbers they would be dates in 1970 or after 2200, which no export contains)
        if let Some(t) = parse_compact(b, naive_tz) {
            return Some(t);
        }
        return parse_epoch(s);
    }
    if b[0] == b'-' {
        return parse_epoch(s);
    }
    parse_iso(b, naive_tz)
}

/// The common export shape `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.fffZ`, read
/// without the general parser's scanning (issue 18: a tenth of the load); `None` for any
/// other shape (the general parser then decides). Same checks and value as [`parse_iso`].
fn parse_iso_utc(b: &[u8]) -> Option<i64> {
    let frac = match b.len() {
        20 => false,
        24 if b[19] == b'.' => true,
        _ => return None,
    };
    // a fixed-size view: the checks and digits below compile without bounds checks
    let h: &[u8; 19] = b[..19].try_into().ok()?;
    if h[4] != b'-'
        || h[7] != b'-'
        || h[10] != b'T'
        || h[13] != b':'
        || h[16] != b':'
        || b[b.len() - 1] != b'Z'
    {
        return None;
    }
    let digit = |i: usize| h[i].wrapping_sub(b'0');
    // every digit checked at once (no early exit: the common case has them all)
    let over = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        .iter()
        .fold(0, |acc, &i| acc | u8::from(digit(i) > 9));
    if over != 0 {
        return None;
    }
    let d = |i: usize| digit(i) as i64 * 10 + digit(i + 1) as i64;
    let year = d(0) * 100 + d(2);
    let (month, day) = (d(5) as u32, d(8) as u32);
    let (hour, minute, second) = (d(11), d(14), d(17));
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut micros = days_from_civil(year, month, day) * DAY
        + hour * HOUR
        + minute * MINUTE
        + second.min(59) * SECOND;
    if frac {
        let f: &[u8; 3] = b[20..23].try_into().ok()?;
        let [x, y, z] = f.map(|c| c.wrapping_sub(b'0'));
        if x > 9 || y > 9 || z > 9 {
            return None;
        }
        micros += (x as i64 * 100 + y as i64 * 10 + z as i64) * 1000;
    }
    Some(micros)
}

fn parse_compact(b: &[u8], naive_tz: &Zone) -> Option<i64> {
    if (b.len() != 8 && b.len() != 14) || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (y, m, d) = (num(&b[..4])? as i64, num(&b[4..6])?, num(&b[6..8])?);
    if !(1900..=2199).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let mut micros = days_from_civil(y, m, d) * DAY;
    if b.len() == 14 {
        let (h, mi, sec) = (num(&b[8..10])?, num(&b[10..12])?, num(&b[12..14])?);
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        micros += h as i64 * HOUR + mi as i64 * MINUTE + sec as i64 * SECOND;
    }
    Some(naive_tz.local_to_utc(micros))
}

fn parse_epoch(s: &str) -> Option<i64> {
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let neg = int_part.starts_with('-');
    let digits = int_part.strip_prefix('-').unwrap_or(int_part);
    if digits.is_empty()
        || digits.len() > 19
        || !digits.bytes().all(|c| c.is_ascii_digit())
        || !frac_part.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    // unit from magnitude: seconds, milliseconds, microseconds, nanoseconds
    let (scale, frac_scale): (i64, i64) = if v < 100_000_000_000 {
        (SECOND, SECOND)
    } else if v < 100_000_000_000_000 {
        (1_000, 1_000)
    } else if v < 100_000_000_000_000_000 {
        (1, 1)
    } else {
        return Some(if neg { -v } else { v } / 1_000);
    };
    let mut micros = v.checked_mul(scale)?;
    if !frac_part.is_empty() {
        let f = &frac_part[..frac_part.len().min(9)];
        let fv: i64 = f.parse().ok()?;
        micros += fv * frac_scale / 10i64.pow(f.len() as u32);
    }
    Some(if neg { -micros } else { micros })
}

/// `D/M/YYYY` (`day_first`) or `M/D/YYYY`, with `/`, `.` or `-`, and an optional time as in
/// [`parse_iso`].
fn parse_day_month(b: &[u8], naive_tz: &Zone, day_first: bool) -> Option<i64> {
    let mut i = 0;
    let a = take_digits(b, &mut i, 1, 2)?;
    i += 1;
    let c = take_digits(b, &mut i, 1, 2)?;
    i += 1;
    let year = take_digits(b, &mut i, 4, 4)? as i64;
    let (month, day) = if day_first { (c, a) } else { (a, c) };
    parse_time_of_day(b, i, year, month, day, naive_tz, false)
}

fn parse_iso(b: &[u8], naive_tz: &Zone) -> Option<i64> {
    // date: YYYY-MM-DD or YYYY/MM/DD (month and day may have one digit with '/'), or
    // 2024年1月5日
    const NIAN: &[u8] = "年".as_bytes();
    const YUE: &[u8] = "月".as_bytes();
    const RI: &[u8] = "日".as_bytes();
    let mut i = 0;
    let year = take_digits(b, &mut i, 4, 4)? as i64;
    if b[i..].starts_with(NIAN) {
        i += NIAN.len();
        let month = take_digits(b, &mut i, 1, 2)?;
        b[i..].starts_with(YUE).then_some(())?;
        i += YUE.len();
        let day = take_digits(b, &mut i, 1, 2)?;
        b[i..].starts_with(RI).then_some(())?;
        i += RI.len();
        return parse_time_of_day(b, i, year, month, day, naive_tz, true);
    }
    let sep = *b.get(i)?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    i += 1;
    let month = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&sep) {
        return None;
    }
    i += 1;
    let day = take_digits(b, &mut i, 1, 2)?;
    parse_time_of_day(b, i, year, month, day, naive_tz, false)
}

/// The instant of a date and of the time of day written from `b[i]` on (nothing, or `T` or
/// spaces then `H:MM[:SS][.fff][zone]`; `bare`: the time may follow the date directly).
fn parse_time_of_day(
    b: &[u8],
    mut i: usize,
    year: i64,
    month: u32,
    day: u32,
    naive_tz: &Zone,
    bare: bool,
) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut micros = days_from_civil(year, month, day) * DAY;
    if i == b.len() {
        return Some(naive_tz.local_to_utc(micros));
    }
    if matches!(b[i], b'T' | b' ' | b't') {
        i += 1;
    } else if !bare {
        return None;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let hour = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let minute = take_digits(b, &mut i, 2, 2)?;
    let mut second = 0;
    if b.get(i) == Some(&b':') {
        i += 1;
        second = take_digits(b, &mut i, 2, 2)?;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    micros += hour as i64 * HOUR + minute as i64 * MINUTE + second.min(59) as i64 * SECOND;
    if matches!(b.get(i), Some(b'.') | Some(b',')) {
        i += 1;
        let start = i;
        let mut frac: i64 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                frac = frac * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        let n = (i - start).min(6);
        if i == start {
            return None;
        }
        micros += frac * 10i64.pow(6 - n as u32);
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let rest = &b[i..];
    let offset = match rest {
        [] => return Some(naive_tz.local_to_utc(micros)),
        b"Z" | b"z" | b"UTC" | b"GMT" => 0,
        _ => {
            let r = rest
                .strip_prefix(b"UTC")
                .or_else(|| rest.strip_prefix(b"GMT"))
                .unwrap_or(rest);
            parse_offset(r)?
        }
    };
    Some(micros - offset as i64 * SECOND)
}

fn take_digits(b: &[u8], i: &mut usize, min: usize, max: usize) -> Option<u32> {
    let start = *i;
    while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i - start < min {
        return None;
    }
    num(&b[start..*i])
}

/// Formats UTC microseconds as RFC 3339 with millisecond precision, e.g. `2025-09-01T08:00:00.000Z`.
pub fn format_rfc3339(micros: i64) -> String {
    let days = micros.div_euclid(DAY);
    let rem = micros.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, ms) = (
        rem / HOUR,
        (rem % HOUR) / MINUTE,
        (rem % MINUTE) / SECOND,
        (rem % SECOND) / 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// Calendar granularity of buckets and retention periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// Clock hours.
    Hour,
    /// Calendar days (the default).
    #[default]
    Day,
    /// Calendar weeks, starting Monday (ISO) unless the spec says Sunday.
    Week,
    /// Calendar months.
    Month,
}

/// First day of a calendar week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WeekStart {
    /// ISO weeks (the default).
    #[default]
    Monday,
    /// US-style weeks.
    Sunday,
}

/// Cuts UTC timestamps into calendar buckets in a time zone.
///
/// A bucket is identified by an `i64` key whose meaning depends on the granularity: hours
/// since the epoch, days since the epoch (for days and for the first day of a week), or
/// months since year 0. Keys of one granularity are ordered and [`Calendar::index`] turns
/// two keys into a period distance.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// Bucket size.
    pub granularity: Granularity,
    /// Zone in which calendar boundaries are drawn.
    pub zone: Zone,
    /// First day of a week.
    pub week_start: WeekStart,
}

/// The bucket of the last instant asked and the span it holds for: consecutive events of
/// a user mostly share a bucket, so most of them cost two comparisons.
pub struct BucketCursor<'c> {
    cal: &'c Calendar,
    from: i64,
    until: i64,
    key: i64,
}

impl BucketCursor<'_> {
    /// The key of the bucket holding `t`.
    #[inline]
    pub fn key(&mut self, t: i64) -> i64 {
        if !(self.from <= t && t < self.until) {
            (self.key, self.until) = self.cal.bucket_until(t);
            self.from = t;
        }
        self.key
    }
}

impl Calendar {
    /// A calendar with the given granularity and zone, weeks starting Monday.
    pub fn new(granularity: Granularity, zone: Zone) -> Self {
        Calendar {
            granularity,
            zone,
            week_start: WeekStart::Monday,
        }
    }

    /// The key of the bucket holding `micros`.
    pub fn bucket(&self, micros: i64) -> i64 {
        let local = micros + self.zone.offset_at(micros);
        match self.granularity {
            Granularity::Hour => local.div_euclid(HOUR),
            _ => self.day_key(local.div_euclid(DAY)).expect("not hours"),
        }
    }

    /// The key of the bucket holding local calendar day `day` (days since 1970-01-01), or
    /// `None` for hour buckets: day, week and month buckets are a function of the day.
    pub fn day_key(&self, day: i64) -> Option<i64> {
        Some(match self.granularity {
            Granularity::Hour => return None,
            Granularity::Day => day,
            Granularity::Week => {
                // 1970-01-01 was a Thursday: Monday-based weekday = (day + 3) mod 7
                let shift = match self.week_start {
                    WeekStart::Monday => 3,
                    WeekStart::Sunday => 4,
                };
                day - (day + shift).rem_euclid(7)
            }
            Granularity::Month => {
                let (y, m, _) = civil_from_days(day);
                y * 12 + m as i64 - 1
            }
        })
    }

    /// The smallest and largest bucket keys of the instants in `[lo, hi]`. Local time can
    /// step back at a zone transition (a 2-hour shift at 03:00 repeats hour 01), so the
    /// buckets of the two ends are not always the extremes.
    pub fn key_span(&self, lo: i64, hi: i64) -> (i64, i64) {
        let (mut a, mut b) = (self.bucket(lo), self.bucket(hi));
        let spans = &self.zone.spans;
        let from = spans.partition_point(|s| s.0 <= lo);
        for &(at, _) in spans[from..].iter().take_while(|s| s.0 <= hi) {
            a = a.min(self.bucket(at));
            b = b.max(self.bucket(at - 1));
        }
        (a, b)
    }

    /// The key of the bucket holding `micros`, and the instant (excluded) until which every
    /// later instant is in that bucket too: the next bucket's start or the zone's next
    /// transition, whichever comes first. A pass over sorted times can then skip the
    /// bucket arithmetic for most events.
    pub fn bucket_until(&self, micros: i64) -> (i64, i64) {
        let key = self.bucket(micros);
        let mut until = self.start_micros(self.add(key, 1));
        let spans = &self.zone.spans;
        if let Some(&(at, _)) = spans.get(spans.partition_point(|s| s.0 <= micros)) {
            until = until.min(at);
        }
        (key, until.max(micros + 1))
    }

    /// A cursor giving the bucket of instants read in (mostly) increasing order, with
    /// the arithmetic done once per bucket ([`Calendar::bucket_until`]).
    pub fn cursor(&self) -> BucketCursor<'_> {
        BucketCursor {
            cal: self,
            from: i64::MAX,
            until: i64::MIN,
            key: 0,
        }
    }

    /// The key `n` buckets after `key`.
    pub fn add(&self, key: i64, n: i64) -> i64 {
        match self.granularity {
            Granularity::Week => key + 7 * n,
            _ => key + n,
        }
    }

    /// How many buckets `later` is after `earlier`.
    pub fn index(&self, earlier: i64, later: i64) -> i64 {
        match self.granularity {
            Granularity::Week => (later - earlier).div_euclid(7),
            _ => later - earlier,
        }
    }

    /// The local wall-clock time (as microseconds of a UTC-like scale) at which bucket
    /// `key` starts.
    fn local_start(&self, key: i64) -> i64 {
        match self.granularity {
            Granularity::Hour => key * HOUR,
            Granularity::Day | Granularity::Week => key * DAY,
            Granularity::Month => {
                days_from_civil(key.div_euclid(12), key.rem_euclid(12) as u32 + 1, 1) * DAY
            }
        }
    }

    /// The UTC instant (microseconds) at which bucket `key` starts.
    pub fn start_micros(&self, key: i64) -> i64 {
        self.zone.local_to_utc(self.local_start(key))
    }

    /// A short label for a bucket: `2025-09-01`, `2025-09`, or `2025-09-01 13:00`.
    pub fn label(&self, key: i64) -> String {
        let local = self.local_start(key);
        let (y, m, d) = civil_from_days(local.div_euclid(DAY));
        match self.granularity {
            Granularity::Month => format!("{y:04}-{m:02}"),
            Granularity::Hour => format!(
                "{y:04}-{m:02}-{d:02} {:02}:00",
                local.rem_euclid(DAY) / HOUR
            ),
            _ => format!("{y:04}-{m:02}-{d:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<i64> {
        parse_timestamp(s, &Zone::utc())
    }

    fn zone(s: &str) -> Zone {
        TimeZone::parse(s).unwrap().resolve().unwrap()
    }

    #[test]
    fn civil_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 59, 60, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }

    #[test]
    fn iso_forms() {
        let base = days_from_civil(2024, 3, 1) * DAY + 9 * HOUR;
        assert_eq!(utc("2024-03-01T09:00:00Z"), Some(base));
        assert_eq!(utc("2024-03-01 09:00:00"), Some(base));
        assert_eq!(utc("2024-03-01 09:00"), Some(base));
        assert_eq!(utc("2024/3/1 09:00:00"), Some(base));
        assert_eq!(utc("2024-03-01T17:00:00+08:00"), Some(base));
        assert_eq!(utc("2024-03-01T17:00:00+0800"), Some(base));
        assert_eq!(utc("2024-03-01T04:00:00-05"), Some(base));
        assert_eq!(utc("2024-03-01 09:00:00 UTC"), Some(base));
        assert_eq!(utc("2024-03-01T09:00:00.250Z"), Some(base + 250_000));
        assert_eq!(utc("2024-03-01T09:00:00.123456789Z"), Some(base + 123_456));
        assert_eq!(utc("2024-03-01"), Some(base - 9 * HOUR));
        let cn = zone("+08:00");
        assert_eq!(parse_timestamp("2024-03-01 17:00:00", &cn), Some(base));
        assert_eq!(parse_timestamp("2024-03-01T09:00:00Z", &cn), Some(base));
        let sh = zone("Asia/Shanghai");
        assert_eq!(parse_timestamp("2024-03-01 17:00:00", &sh), Some(base));
    }

    #[test]
    fn the_fast_iso_shape_reads_as_the_general_parser() {
        let z = Zone::utc();
        let mut x = 11u64;
        let mut next = move |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let mut fast = 0;
        for _ in 0..20_000 {
            let mut t = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z",
                1960 + next(100),
                next(14),
                next(33),
                next(25),
                next(61),
                next(62),
                [".000", ".250", ".999", ""][next(4) as usize]
            )
            .into_bytes();
            // one byte changed in some: a stray digit, letter, separator or white space
            if next(3) == 0 {
                let at = next(t.len() as u64) as usize;
                t[at] = b"09a:-T. Z/"[next(10) as usize];
            }
            let t = String::from_utf8(t).unwrap();
            let got = parse_iso_utc(t.as_bytes());
            fast += usize::from(got.is_some());
            // the fast path answers only what the general parser answers the same way
            if got.is_some() {
                assert_eq!(got, parse_iso(t.trim().as_bytes(), &z), "{t}");
            }
            assert_eq!(
                parse_timestamp_in(&t, &z, None),
                got.or_else(|| parse_timestamp_in(t.trim(), &z, None)),
                "{t}"
            );
        }
        assert!(fast > 5_000);
    }

    #[test]
    fn chinese_and_day_month_forms() {
        // 2024-01-05: 19_727 days after 1970-01-01 (2024-01-01 is 19_723)
        let day = 19_727 * DAY;
        let at = day + 13 * HOUR + 5 * MINUTE;
        assert_eq!(utc("2024年1月5日 13:05"), Some(at));
        assert_eq!(utc("2024年01月05日13:05:00"), Some(at));
        assert_eq!(utc("2024年1月5日"), Some(day));
        assert_eq!(utc("2024/1/5 13:05:00"), Some(at));
        assert_eq!(utc("2024年13月5日"), None);
        assert_eq!(utc("2024年1月5"), None);
        // NN/NN/YYYY needs an order
        assert_eq!(leading_date_parts("05/01/2024 13:05"), Some((5, 1)));
        assert_eq!(leading_date_parts("31.12.2024"), Some((31, 12)));
        assert_eq!(leading_date_parts("2024/01/05"), None);
        assert_eq!(leading_date_parts("05/01/24"), None);
        assert_eq!(utc("05/01/2024"), None);
        let z = Zone::utc();
        assert_eq!(
            parse_timestamp_in("05/01/2024 13:05", &z, Some(true)),
            Some(at)
        );
        assert_eq!(
            parse_timestamp_in("1/5/2024 13:05", &z, Some(false)),
            Some(at)
        );
        assert_eq!(parse_timestamp_in("05-01-2024", &z, Some(true)), Some(day));
        assert_eq!(parse_timestamp_in("05.01.2024", &z, Some(true)), Some(day));
        // day first, but the second part is no month
        assert_eq!(parse_timestamp_in("05/13/2024", &z, Some(true)), None);
        assert_eq!(parse_timestamp_in("05/13/2024", &z, None), None);
        // epoch and ISO forms are unchanged by an order
        assert_eq!(
            parse_timestamp_in("2024-01-05 13:05", &z, Some(false)),
            Some(at)
        );
        assert_eq!(parse_timestamp_in("1704459900", &z, Some(true)), Some(at));
    }

    #[test]
    fn epoch_units_by_magnitude() {
        let t = 1_709_283_600i64;
        assert_eq!(utc("1709283600"), Some(t * SECOND));
        assert_eq!(utc("1709283600.5"), Some(t * SECOND + 500_000));
        assert_eq!(utc("1709283600123"), Some(t * SECOND + 123_000));
        assert_eq!(utc("1709283600123456"), Some(t * SECOND + 123_456));
        assert_eq!(utc("1709283600123456789"), Some(t * SECOND + 123_456));
    }

    #[test]
    fn compact_calendar_forms() {
        let base = days_from_civil(2024, 3, 1) * DAY;
        assert_eq!(utc("20240301"), Some(base));
        assert_eq!(utc("20240301093000"), Some(base + 9 * HOUR + 30 * MINUTE));
        // not a valid date: an epoch number after all
        assert_eq!(utc("99999999"), Some(99_999_999 * SECOND));
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "abc",
            "2024-13-01",
            "2024-02-30",
            "2024-03-01T25:00",
            "2024-03-01X",
            "12:00",
            "2024-03-01T09:00:00+25:00",
            "1.2.3",
            "2024-03-01T09:00:00 foo",
        ] {
            assert_eq!(utc(s), None, "{s}");
        }
    }

    #[test]
    fn zones() {
        assert_eq!(TimeZone::parse("UTC+8"), Some(TimeZone::Fixed(8 * 3600)));
        assert_eq!(TimeZone::parse("-05:30"), Some(TimeZone::Fixed(-19_800)));
        assert_eq!(TimeZone::parse("+08:00").unwrap().to_string(), "+08:00");
        assert_eq!(
            TimeZone::parse("Asia/Shanghai"),
            Some(TimeZone::Named("Asia/Shanghai".into()))
        );
        assert_eq!(
            TimeZone::parse("America/Argentina/Buenos_Aires")
                .unwrap()
                .to_string(),
            "America/Argentina/Buenos_Aires"
        );
        assert_eq!(TimeZone::parse("Shanghai"), None);
        assert_eq!(TimeZone::parse("../etc"), None);
        let e = TimeZone::parse("Asia/Shangai")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.contains("unknown time zone"), "{e}");
    }

    #[test]
    fn daylight_saving_is_followed() {
        let berlin = zone("Europe/Berlin");
        // winter +01:00, summer +02:00 (2024: from 31 March 01:00 UTC to 27 October 01:00 UTC)
        assert_eq!(berlin.offset_at(utc("2024-01-15T12:00:00Z").unwrap()), HOUR);
        assert_eq!(
            berlin.offset_at(utc("2024-07-15T12:00:00Z").unwrap()),
            2 * HOUR
        );
        assert_eq!(berlin.offset_at(utc("2024-03-31T00:59:59Z").unwrap()), HOUR);
        assert_eq!(
            berlin.offset_at(utc("2024-03-31T01:00:00Z").unwrap()),
            2 * HOUR
        );
        // naive local times: summer and winter, the gap, the overlap (earlier instant)
        assert_eq!(
            parse_timestamp("2024-07-15 14:00", &berlin),
            utc("2024-07-15T12:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2024-01-15 13:00", &berlin),
            utc("2024-01-15T12:00:00Z")
        );
        assert_eq!(
            parse_timestamp("2024-03-31 02:30", &berlin),
            utc("2024-03-31T01:30:00Z")
        );
        assert_eq!(
            parse_timestamp("2024-10-27 02:30", &berlin),
            utc("2024-10-27T00:30:00Z")
        );
        // a day bucket ends at local midnight in both seasons
        let day = Calendar::new(Granularity::Day, berlin.clone());
        let summer = utc("2024-07-15T22:30:00Z").unwrap(); // 00:30 on the 16th in Berlin
        assert_eq!(day.label(day.bucket(summer)), "2024-07-16");
        let winter = utc("2024-01-15T22:30:00Z").unwrap(); // 23:30 on the 15th
        assert_eq!(day.label(day.bucket(winter)), "2024-01-15");
        assert_eq!(
            day.start_micros(day.bucket(summer)),
            utc("2024-07-15T22:00:00Z").unwrap()
        );
        let month = Calendar::new(Granularity::Month, berlin);
        assert_eq!(
            month.start_micros(month.bucket(summer)),
            utc("2024-06-30T22:00:00Z").unwrap()
        );
    }

    #[test]
    fn bucket_until_stops_at_the_next_bucket_or_transition() {
        let day = Calendar::new(Granularity::Day, zone("Europe/Berlin"));
        // 00:30 on 31 March in Berlin; clocks move forward at 01:00 UTC that day
        let t = utc("2024-03-30T23:30:00Z").unwrap();
        let (key, until) = day.bucket_until(t);
        assert_eq!(day.label(key), "2024-03-31");
        assert_eq!(until, utc("2024-03-31T01:00:00Z").unwrap());
        // after the transition: until the next local midnight (22:00 UTC, summer time)
        let (key2, until) = day.bucket_until(until);
        assert_eq!(key2, key);
        assert_eq!(until, utc("2024-03-31T22:00:00Z").unwrap());
        let week = Calendar::new(Granularity::Week, Zone::utc());
        let (k, until) = week.bucket_until(utc("2024-03-06T12:00:00Z").unwrap());
        assert_eq!(week.label(k), "2024-03-04");
        assert_eq!(until, utc("2024-03-11").unwrap());
        // hour 01 happens twice in Antarctica/Troll on 27 October 2024
        let hour = Calendar::new(Granularity::Hour, zone("Antarctica/Troll"));
        let (a, b) = hour.key_span(
            utc("2024-10-26T23:30:00Z").unwrap(),
            utc("2024-10-27T01:30:00Z").unwrap(),
        );
        assert_eq!(
            (hour.label(a), hour.label(b)),
            ("2024-10-27 01:00".into(), "2024-10-27 02:00".into())
        );
    }

    #[test]
    fn calendar_buckets() {
        let t = utc("2024-03-06T23:30:00Z").unwrap(); // a Wednesday
        let day = Calendar::new(Granularity::Day, Zone::utc());
        assert_eq!(day.label(day.bucket(t)), "2024-03-06");
        let cn = Calendar::new(Granularity::Day, zone("+08:00"));
        assert_eq!(cn.label(cn.bucket(t)), "2024-03-07");
        let mut week = Calendar::new(Granularity::Week, Zone::utc());
        assert_eq!(week.label(week.bucket(t)), "2024-03-04");
        week.week_start = WeekStart::Sunday;
        assert_eq!(week.label(week.bucket(t)), "2024-03-03");
        let month = Calendar::new(Granularity::Month, Zone::utc());
        let k = month.bucket(t);
        assert_eq!(month.label(k), "2024-03");
        assert_eq!(month.label(month.add(k, 10)), "2025-01");
        assert_eq!(
            month.start_micros(month.add(k, 1)),
            utc("2024-04-01").unwrap()
        );
        let hour = Calendar::new(Granularity::Hour, Zone::utc());
        assert_eq!(hour.label(hour.bucket(t)), "2024-03-06 23:00");
        assert_eq!(format_rfc3339(t), "2024-03-06T23:30:00.000Z");
    }
}
