//! Column roles: which header is the user, the event and the timestamp.
//!
//! Detection compares normalised header names (lower case, without spaces, `_`, `-`, `.`, `$`)
//! against common names in English and Chinese, in priority order. Any role can be named
//! explicitly instead. Two optional roles are detected by name only: an insert id
//! (`$insert_id`, `insert_id`, `messageId`), used to drop resent events, and, behind a
//! `userId` column, an `anonymousId` (Segment), a `device_id` (Amplitude), a
//! `user_pseudo_id` (GA4) or a `domain_userid` (Snowplow) column read where the user id is
//! empty ([`LoadOptions::identity`] chooses the user id only, the device id only, or this
//! fallback). Columns named in [`LoadOptions::ignore_columns`] are not imported: they
//! play no role and are no property. A vendor shape puts its own names first (Snowplow: `event_name`,
//! `derived_tstamp`, `event_id`; Sensors Data: `_track_id`) and may name columns whose JSON
//! cells are expanded (`expand_columns`). All other columns become event properties.

use crate::engine::error::{Error, Result};
use crate::engine::ingest::{Identity, LoadOptions};
use serde::{Deserialize, Serialize};

/// Names tried for the user column, best first (normalised: lower case, without spaces,
/// `_`, `-`, `.` and `$`), covering Mixpanel (`distinct_id`), PostHog (`person_id`), GA4
/// (`user_pseudo_id`), Amplitude (`amplitude_id`), Segment (`anonymous_id`), WeChat
/// (`openid`) and Chinese exports.
const USER: &[&str] = &[
    "userid",
    "distinctid",
    "uid",
    "personid",
    "user",
    "userpseudoid",
    "amplitudeid",
    "customerid",
    "memberid",
    "accountid",
    "visitorid",
    "clientid",
    "openid",
    "unionid",
    "deviceid",
    "anonymousid",
    "用户id",
    "用户",
    "用户标识",
    "用户编号",
    "会员id",
    "账号id",
    "账号",
    "设备id",
];
/// Names tried for the event column, best first.
const EVENT: &[&str] = &[
    "event",
    "eventname",
    "eventtype",
    "eventaction",
    "action",
    "eventkey",
    "事件",
    "事件名",
    "事件名称",
    "行为",
    "行为名称",
    "行为类型",
    "事件类型",
    // Mixpanel's and GA4's warehouse tables
    "name",
];
/// Names tried for the timestamp column, best first.
const TIME: &[&str] = &[
    "timestamp",
    "time",
    "ts",
    "eventtime",
    "eventtimestamp",
    "datetime",
    "eventdatetime",
    "clienteventtime",
    "servertime",
    "createdat",
    "occurredat",
    "date",
    "eventdate",
    "时间",
    "事件时间",
    "发生时间",
    "行为时间",
    "时间戳",
    "日期",
];

/// Names of an insert id (an id the vendor gives each event so a resent event can be
/// dropped): Mixpanel and Amplitude `$insert_id` / `insert_id`, Segment `messageId`.
const INSERT_ID: &[&str] = &["insertid", "messageid"];
/// The user column names that fall back to an anonymous id column when empty (Segment:
/// `userId`, else `anonymousId`).
const FALLBACK_FROM: &str = "userid";
/// The ids a user id falls back to, best first: Segment's anonymous id, Amplitude's device
/// id, GA4's pseudonymous id, Snowplow's first-party cookie id.
const FALLBACK_TO: &[&str] = &["anonymousid", "deviceid", "userpseudoid", "domainuserid"];

/// The header names that play each role, plus the property columns.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ColumnRoles {
    /// User id column.
    pub user: String,
    /// Event name column.
    pub event: String,
    /// Timestamp column.
    pub time: String,
    /// Column read as the user id where the user column is empty (Segment's `anonymousId`
    /// behind `userId`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_fallback: Option<String>,
    /// Insert id column (`$insert_id`, `insert_id`, `messageId`), if any: a row repeating an
    /// earlier row's insert id is a duplicate and not imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insert_id: Option<String>,
    /// Every other column, in file order.
    pub properties: Vec<String>,
    /// The columns not imported ([`LoadOptions::ignore_columns`]), in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
    /// The identity asked for ([`LoadOptions::identity`]): with `user_or_device`, rows
    /// read `user_fallback` where `user` is empty.
    #[serde(default)]
    pub identity: Identity,
}

/// Column indices of the roles.
#[derive(Clone, Debug)]
pub(crate) struct RoleIndex {
    pub user: usize,
    pub event: usize,
    pub time: usize,
    pub user_fallback: Option<usize>,
    pub insert_id: Option<usize>,
    pub properties: Vec<usize>,
}

fn normalise(h: &str) -> String {
    h.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '$'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The aliases a vendor shape puts first, per role: (user, event, time, insert id).
fn shape_aliases(shape: Option<&str>) -> [&'static [&'static str]; 4] {
    match shape {
        // Sensors Data: `_track_id` dedupes
        Some("sensors") => [&[], &[], &[], &["trackid"]],
        // Snowplow: `event` is the kind (`page_view`, `struct`, `unstruct`), `event_name`
        // the name; `derived_tstamp` corrects the device clock with the collector's
        Some("snowplow") => [
            &[],
            &["eventname"],
            &["derivedtstamp", "collectortstamp", "dvcecreatedtstamp"],
            &["eventid"],
        ],
        _ => [&[], &[], &[], &[]],
    }
}

/// The vendor shape of a delimited file's header (normalised names), if recognised:
/// `snowplow` (`event_id`, `collector_tstamp`, `domain_userid`) or `amplitude` (a warehouse
/// table: `event_type`, `event_time`, `event_properties`).
pub(crate) fn shape_of_headers(headers: &[String]) -> Option<&'static str> {
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let has = |n: &str| norm.iter().any(|h| h == n);
    if has("eventid") && has("collectortstamp") && has("domainuserid") {
        Some("snowplow")
    } else if has("eventtype") && has("eventtime") && has("eventproperties") {
        Some("amplitude")
    } else {
        None
    }
}

/// The columns whose JSON cells are expanded into properties: those `named`
/// ([`LoadOptions::expand_json`]) and those the vendor `shape` expands by itself (Amplitude's
/// `event_properties`, `user_properties`, `group_properties`; Snowplow's `contexts*`,
/// `derived_contexts`, `unstruct_event`), in header order. A named column that is not in the
/// header, or that plays a role, is an error.
pub(crate) fn expand_columns(
    headers: &[String],
    idx: &RoleIndex,
    shape: Option<&str>,
    named: &[String],
) -> Result<Vec<usize>> {
    let by_shape = |h: &str| {
        let h = h.to_lowercase();
        match shape {
            Some("amplitude") => {
                matches!(
                    h.as_str(),
                    "event_properties" | "user_properties" | "group_properties"
                )
            }
            Some("snowplow") => {
                h.starts_with("contexts") || h == "derived_contexts" || h == "unstruct_event"
            }
            _ => false,
        }
    };
    let mut out: Vec<usize> = (0..headers.len())
        .filter(|i| idx.properties.contains(i) && by_shape(&headers[*i]))
        .collect();
    for name in named {
        let Some(i) = headers.iter().position(|h| h.trim() == name.trim()) else {
            return Err(Error::mapping(format!(
                "expand_json: the column \"{name}\" is not in the header"
            ))
            .keyed("expand_json_unknown", &[("name", name)]));
        };
        if !idx.properties.contains(&i) {
            return Err(Error::mapping(format!(
                "expand_json: the column \"{name}\" is the user, event, time or insert id \
                 column, not a property"
            ))
            .keyed("expand_json_role", &[("name", name)]));
        }
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The column of one role: the column `named` (by exact or normalised name) when given,
/// else the first alias in `aliases` that names a column not in `taken`.
fn find_role(
    headers: &[String],
    norm: &[String],
    role: &str,
    named: &Option<String>,
    aliases: &[&str],
    taken: &[usize],
) -> Result<usize> {
    let listing = || {
        headers
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = named {
        return headers
            .iter()
            .position(|h| h.trim() == name.trim())
            .or_else(|| norm.iter().position(|h| *h == normalise(name)))
            .ok_or_else(|| {
                Error::mapping(format!(
                    "the {role} column \"{name}\" is not in the header; columns are: {}",
                    listing()
                ))
                .keyed(
                    "column_not_in_header",
                    &[("role", &role), ("name", name), ("columns", &listing())],
                )
            });
    }
    aliases
        .iter()
        .find_map(|a| {
            norm.iter()
                .enumerate()
                .position(|(i, h)| h == a && !taken.contains(&i))
        })
        .ok_or_else(|| {
            let e = Error::mapping(format!(
                "no {role} column found; columns are: {}. Name it explicitly \
                 (CLI: --{role}-col NAME)",
                listing()
            ));
            let columns = listing();
            match role {
                "user" => e.keyed("no_user_column", &[("columns", &columns)]),
                "event" => e.keyed("no_event_column", &[("columns", &columns)]),
                _ => e.keyed("no_time_column", &[("columns", &columns)]),
            }
        })
}

/// True when `cell` is a name the role detection knows (a user, event, time, insert id or
/// anonymous id column name): such a cell makes a first row a header line.
pub(crate) fn is_role_name(cell: &str) -> bool {
    let n = normalise(cell);
    [USER, EVENT, TIME, INSERT_ID, FALLBACK_TO]
        .iter()
        .any(|names| names.contains(&n.as_str()))
}

/// The user, event and time columns that can be found, each on its own (`None` where a
/// role has no column): what the mapping step shows before the user completes it.
pub(crate) fn partial_roles(
    headers: &[String],
    opts: &LoadOptions,
    shape: Option<&str>,
) -> [Option<usize>; 3] {
    let [s_user, s_event, s_time, _] = shape_aliases(shape);
    let chain = |a: &[&'static str], b: &[&'static str]| -> Vec<&'static str> {
        a.iter().chain(b).copied().collect()
    };
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let user = find_role(
        headers,
        &norm,
        "user",
        &opts.user_column,
        &chain(s_user, USER),
        &[],
    )
    .ok();
    let taken: Vec<usize> = user.into_iter().collect();
    let event = find_role(
        headers,
        &norm,
        "event",
        &opts.event_column,
        &chain(s_event, EVENT),
        &taken,
    )
    .ok();
    let taken: Vec<usize> = user.into_iter().chain(event).collect();
    let time = find_role(
        headers,
        &norm,
        "time",
        &opts.time_column,
        &chain(s_time, TIME),
        &taken,
    )
    .ok();
    [user, event, time]
}

/// The indices of the columns [`LoadOptions::ignore_columns`] names, in file order; a name
/// not in the header is a keyed error (`ignore_unknown`).
pub(crate) fn ignored_columns(
    headers: &[String],
    opts: &LoadOptions,
    listing: &dyn Fn() -> String,
) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(opts.ignore_columns.len());
    for name in &opts.ignore_columns {
        let Some(i) = headers.iter().position(|h| h.trim() == name.trim()) else {
            return Err(Error::mapping(format!(
                "ignore_columns: the column \"{name}\" is not in the header; columns are: {}",
                listing()
            ))
            .keyed("ignore_unknown", &[("name", name), ("columns", &listing())]));
        };
        out.push(i);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// `opts` ignoring only the columns among `names`: JSON discovers its keys as it reads, so
/// a key to ignore that the first records lack is no error (it is ignored where it shows).
pub(crate) fn ignoring_seen(opts: &LoadOptions, names: &[String]) -> LoadOptions {
    let mut o = opts.clone();
    o.ignore_columns.retain(|c| names.contains(c));
    o
}

/// Decides the roles for a header row; `shape` is the vendor shape recognised, if any,
/// whose own names come first.
pub(crate) fn map_columns(
    headers: &[String],
    opts: &LoadOptions,
    shape: Option<&str>,
) -> Result<(ColumnRoles, RoleIndex)> {
    let [s_user, s_event, s_time, s_insert] = shape_aliases(shape);
    let chain = |a: &'static [&'static str], b: &'static [&'static str]| -> Vec<&'static str> {
        a.iter().chain(b).copied().collect()
    };
    let (user_names, event_names, time_names, insert_names) = (
        chain(s_user, USER),
        chain(s_event, EVENT),
        chain(s_time, TIME),
        chain(s_insert, INSERT_ID),
    );
    let norm: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let listing = || {
        headers
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ignored = ignored_columns(headers, opts, &listing)?;
    let find = |role: &str, named: &Option<String>, aliases: &[&str], taken: &[usize]| {
        let taken: Vec<usize> = taken.iter().chain(&ignored).copied().collect();
        find_role(headers, &norm, role, named, aliases, &taken)
    };
    let device_names: Vec<&str> = match (opts.identity, &opts.user_column) {
        (Identity::Device, None) => FALLBACK_TO.to_vec(),
        _ => Vec::new(),
    };
    let user = if device_names.is_empty() {
        find("user", &opts.user_column, &user_names, &[])?
    } else {
        find("device id", &None, &device_names, &[]).map_err(|_| {
            Error::mapping(format!(
                "identity \"device\": no device or anonymous id column (anonymousId, \
                 device_id, user_pseudo_id, domain_userid); columns are: {}",
                listing()
            ))
            .keyed("no_device_column", &[("columns", &listing())])
        })?
    };
    let event = find("event", &opts.event_column, &event_names, &[user])?;
    let time = find("time", &opts.time_column, &time_names, &[user, event])?;
    if user == event || user == time || event == time {
        return Err(Error::mapping(format!(
            "one column cannot play two roles (user \"{}\", event \"{}\", time \"{}\")",
            headers[user], headers[event], headers[time]
        ))
        .keyed(
            "column_two_roles",
            &[
                ("user", &headers[user]),
                ("event", &headers[event]),
                ("time", &headers[time]),
            ],
        ));
    }
    if let Some(&i) = [user, event, time].iter().find(|i| ignored.contains(i)) {
        return Err(Error::mapping(format!(
            "the column \"{}\" is both ignored and named for a role (user, event or time)",
            headers[i]
        ))
        .keyed("ignored_role", &[("name", &headers[i])]));
    }
    let free = |i: &usize| ![user, event, time].contains(i) && !ignored.contains(i);
    let user_fallback = (norm[user] == FALLBACK_FROM && opts.identity == Identity::UserOrDevice)
        .then(|| {
            FALLBACK_TO
                .iter()
                .find_map(|a| (0..headers.len()).find(|i| free(i) && norm[*i] == *a))
        })
        .flatten();
    let insert_id = insert_names
        .iter()
        .find_map(|a| (0..headers.len()).find(|i| free(i) && norm[*i] == *a));
    let properties: Vec<usize> = (0..headers.len())
        .filter(|i| free(i) && Some(*i) != user_fallback && Some(*i) != insert_id)
        .collect();
    let roles = ColumnRoles {
        user: headers[user].clone(),
        event: headers[event].clone(),
        time: headers[time].clone(),
        user_fallback: user_fallback.map(|i| headers[i].clone()),
        identity: opts.identity,
        insert_id: insert_id.map(|i| headers[i].clone()),
        properties: properties.iter().map(|&i| headers[i].clone()).collect(),
        ignored: ignored.iter().map(|&i| headers[i].clone()).collect(),
    };
    Ok((
        roles,
        RoleIndex {
            user,
            event,
            time,
            user_fallback,
            insert_id,
            properties,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_english_and_chinese_names() {
        let (r, _) = map_columns(
            &h(&["Distinct ID", "Event Name", "time", "country"]),
            &LoadOptions::default(),
            None,
        )
        .unwrap();
        assert_eq!(
            (r.user.as_str(), r.event.as_str(), r.time.as_str()),
            ("Distinct ID", "Event Name", "time")
        );
        assert_eq!(r.properties, ["country"]);
        let (r, i) = map_columns(
            &h(&["事件", "用户ID", "时间", "渠道"]),
            &LoadOptions::default(),
            None,
        )
        .unwrap();
        assert_eq!((i.user, i.event, i.time), (1, 0, 2));
        assert_eq!(r.properties, ["渠道"]);
    }

    #[test]
    fn prefers_better_aliases_and_honours_explicit_names() {
        let (r, _) = map_columns(
            &h(&["device_id", "user_id", "event", "date", "timestamp"]),
            &LoadOptions::default(),
            None,
        )
        .unwrap();
        assert_eq!(r.user, "user_id");
        assert_eq!(r.time, "timestamp");
        let opts = LoadOptions {
            user_column: Some("device_id".into()),
            ..Default::default()
        };
        let (r, _) = map_columns(
            &h(&["device_id", "user_id", "event", "timestamp"]),
            &opts,
            None,
        )
        .unwrap();
        assert_eq!(r.user, "device_id");
        assert_eq!(r.properties, ["user_id"]);
    }

    #[test]
    fn vendor_headers() {
        let d = LoadOptions::default();
        let roles = |h: &[&str]| {
            let (r, _) = map_columns(&self::h(h), &d, None).unwrap();
            (r.user, r.event, r.time)
        };
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            roles(&["user_pseudo_id", "event_name", "event_timestamp"]),
            s("user_pseudo_id", "event_name", "event_timestamp")
        );
        assert_eq!(
            roles(&["$distinct_id", "event", "$time"]),
            s("$distinct_id", "event", "$time")
        );
        assert_eq!(
            roles(&["amplitude_id", "event_type", "event_time", "user_id"]),
            s("user_id", "event_type", "event_time")
        );
        assert_eq!(
            roles(&["openid", "行为类型", "行为时间"]),
            s("openid", "行为类型", "行为时间")
        );
    }

    #[test]
    fn insert_id_and_anonymous_fallback_are_roles_not_properties() {
        let (r, i) = map_columns(
            &h(&[
                "messageId",
                "anonymousId",
                "userId",
                "event",
                "timestamp",
                "plan",
            ]),
            &LoadOptions::default(),
            None,
        )
        .unwrap();
        assert_eq!(r.user, "userId");
        assert_eq!(r.user_fallback.as_deref(), Some("anonymousId"));
        assert_eq!(r.insert_id.as_deref(), Some("messageId"));
        assert_eq!((i.user_fallback, i.insert_id), (Some(1), Some(0)));
        assert_eq!(r.properties, ["plan"]);
        // no fallback behind a distinct id
        let (r, _) = map_columns(
            &h(&["distinct_id", "anonymous_id", "event", "time", "$insert_id"]),
            &LoadOptions::default(),
            None,
        )
        .unwrap();
        assert_eq!(r.user_fallback, None);
        assert_eq!(r.insert_id.as_deref(), Some("$insert_id"));
        assert_eq!(r.properties, ["anonymous_id"]);
    }

    #[test]
    fn missing_role_names_the_columns() {
        let err =
            map_columns(&h(&["a", "event", "ts"]), &LoadOptions::default(), None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("no user column") && msg.contains("\"a\""),
            "{msg}"
        );
        let opts = LoadOptions {
            time_column: Some("when".into()),
            ..Default::default()
        };
        let msg = map_columns(&h(&["uid", "event", "ts"]), &opts, None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("\"when\" is not in the header"), "{msg}");
    }
}
