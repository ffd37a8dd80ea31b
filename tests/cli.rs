//! The `loupe` command line: exit codes, several files as one dataset, `loupe sql`.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn loupe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loupe"))
        .args(args)
        .output()
        .expect("loupe runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("loupe-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn exit_codes_tell_usage_from_input() {
    // 2: bad usage
    assert_eq!(code(&loupe(&["frobnicate"])), 2);
    assert_eq!(code(&loupe(&["run", "@sample"])), 2, "--spec missing");
    assert_eq!(
        code(&loupe(&["sql", "--spec", "{}", "--dialect", "sqlite"])),
        2
    );
    // 3: bad input or spec
    let o = loupe(&["run", "--spec", r#"{"analysis":"trendz"}"#, "@sample"]);
    assert_eq!(code(&o), 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("trendz"));
    assert_eq!(code(&loupe(&["inspect", "/no/such/file.csv"])), 3);
    let o = loupe(&[
        "sql",
        "--spec",
        r#"{"analysis":"trends","compare":true}"#,
        "--dialect",
        "duckdb",
    ]);
    assert_eq!(code(&o), 3);
    assert!(
        o.stdout.is_empty(),
        "no query when SQL cannot express the spec"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("not yet expressible in SQL"));
    // a funnel with ties in file order needs the table's file-order column
    let funnel = r#"{"analysis":"funnel","steps":[{"event":"a"},{"event":"b"}]}"#;
    let o = loupe(&["sql", "--spec", funnel, "--dialect", "duckdb"]);
    assert_eq!(code(&o), 3);
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--order-col"));
    let o = loupe(&[
        "sql",
        "--spec",
        funnel,
        "--dialect",
        "duckdb",
        "--order-col",
        "file_row",
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"file_row\""));
    // 0, and help names the exit codes
    let o = loupe(&["run", "--help"]);
    assert_eq!(code(&o), 0);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("--user-col") && help.contains("Exit codes"),
        "{help}"
    );
}

#[test]
fn several_files_are_one_dataset() {
    // 2 + 3 rows, the second file without a trailing line break; a third file whose
    // time column is another one is refused; a fourth with its columns in another order
    // and a property of its own is appended
    let a = temp(
        "a.csv",
        "user_id,event,timestamp\nu1,a,2025-01-01\nu2,a,2025-01-02\n",
    );
    let b = temp(
        "b.csv",
        "user_id,event,timestamp\nu1,b,2025-01-03\nu3,a,2025-01-03\nu3,b,2025-01-04",
    );
    let c = temp("c.csv", "user_id,event,time\nu9,a,2025-01-01\n");
    let o = loupe(&["inspect", "--json", &a, &b, &a]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["imported"], 7);
    assert_eq!(v["rejected"], 0);
    assert_eq!(v["users"], 3);
    let o = loupe(&["inspect", &a, &c]);
    assert_eq!(code(&o), 3);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("other roles") && err.contains("c.csv\""),
        "{err}"
    );
    let d = temp(
        "d.csv",
        "event,plan,timestamp,user_id\nb,pro,2025-01-05,u4\n",
    );
    let o = loupe(&["inspect", "--json", &a, &d]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["imported"], 3);
    assert_eq!(v["users"], 3);
    // JSON lines files follow one another too
    let j1 = temp(
        "1.jsonl",
        "{\"user_id\":\"u1\",\"event\":\"a\",\"timestamp\":\"2025-01-01\"}",
    );
    let j2 = temp(
        "2.jsonl",
        "{\"user_id\":\"u2\",\"event\":\"a\",\"timestamp\":\"2025-01-02\"}\n",
    );
    let o = loupe(&["inspect", "--json", &j1, &j2]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["imported"], 2);
}

#[test]
fn sql_reads_the_table_given() {
    let o = loupe(&[
        "sql",
        "--spec",
        r#"{"analysis":"trends"}"#,
        "--dialect",
        "clickhouse",
        "--from",
        "file('e.csv', CSVWithNames)",
    ]);
    assert_eq!(code(&o), 0);
    let q = String::from_utf8_lossy(&o.stdout);
    assert!(q.contains("FROM file('e.csv', CSVWithNames)"), "{q}");
    let o = loupe(&[
        "sql",
        "--spec",
        r#"{"analysis":"active_users"}"#,
        "--dialect",
        "duckdb",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("FROM events"));
}

#[test]
fn a_mapping_file_is_read_and_flags_override_it() {
    // no header line: rows of user, event, time, a number
    let data = temp(
        "headerless.csv",
        "u1,signup,2024-03-01T09:00:00Z,3\nu2,view,2024-03-01T10:00:00Z,4\nu2,buy,2024-03-02T10:00:00Z,5\n",
    );
    let o = loupe(&["inspect", "--json", &data]);
    assert_eq!(code(&o), 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no header line"));
    let map = temp(
        "mapping.json",
        r#"{"user_column":"column_1","event_column":"column_2","time_column":"column_3"}"#,
    );
    let json = |args: &[&str]| -> serde_json::Value {
        let o = loupe(args);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let v = json(&["inspect", "--json", "--mapping", &map, &data]);
    // 3 rows, users u1 and u2, events signup / view / buy
    assert_eq!(
        (v["imported"].as_u64(), v["users"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(v["event_names"].as_array().unwrap().len(), 3);
    // the flag wins: the numbers 3, 4, 5 as event names, the users from column_1 still
    let v = json(&[
        "inspect",
        "--json",
        "--mapping",
        &map,
        "--event-col",
        "column_4",
        &data,
    ]);
    assert_eq!(v["columns"]["event"], "column_4");
    assert_eq!(v["users"].as_u64(), Some(2));
    // --header yes: the first row names the columns (u1, signup, ...)
    let o = loupe(&["inspect", "--header", "yes", "--mapping", &map, &data]);
    assert_eq!(code(&o), 3, "column_1 is no longer a column");
    let bad = temp("bad.json", r#"{"event_col":"x"}"#);
    let o = loupe(&["inspect", "--mapping", &bad, &data]);
    assert_eq!(code(&o), 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("event_col"));
    // --sniff: the mapping step's view, as JSON
    let s = json(&["inspect", "--sniff", &data]);
    assert_eq!(s["header"], false);
    assert_eq!(s["columns"][2]["kind"], "time");
    assert_eq!(s["rows"][0][1], "signup");
    let s = json(&["inspect", "--sniff", "--mapping", &map, &data]);
    assert_eq!(s["columns"][1]["role"], "event");
}

#[test]
fn inspect_writes_the_rejected_rows_of_several_files() {
    // a.csv: line 3 has no user; b.csv: line 2 has a time that is not one, line 4 one
    // field too many; every other row is imported
    let a = temp(
        "rej-a.csv",
        "user_id,event,timestamp\nu1,a,2025-01-01\n,a,2025-01-02\n",
    );
    let b = temp(
        "rej-b.csv",
        "user_id,event,timestamp\nu1,b,soon\nu2,b,2025-01-03\nu3,b,2025-01-04,x\n",
    );
    let out = temp("rejects.csv", "");
    let o = loupe(&["inspect", "--rejects", &out, &a, &b]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let mut r = csv::Reader::from_path(&out).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head, ["file", "line", "reason", "description", "detail"]);
    let rows: Vec<(String, String, String)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            let file = std::path::Path::new(&x[0]).file_name().unwrap();
            (
                file.to_string_lossy().into_owned(),
                x[1].to_string(),
                x[2].to_string(),
            )
        })
        .collect();
    let row = |f: &str, l: &str, why: &str| (f.to_string(), l.to_string(), why.to_string());
    assert_eq!(
        rows,
        [
            row("rej-a.csv", "3", "missing_user"),
            row("rej-b.csv", "2", "bad_time"),
            row("rej-b.csv", "4", "field_count"),
        ]
    );
    // the text summary names the file of each sample too
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("rej-b.csv line 4: field_count"), "{text}");
}
