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
        r#"{"analysis":"funnel","steps":[{"event":"a"},{"event":"b"}]}"#,
        "--dialect",
        "duckdb",
    ]);
    assert_eq!(code(&o), 3);
    assert!(
        o.stdout.is_empty(),
        "no query when SQL cannot express the spec"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("not yet expressible in SQL"));
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
    // header differs is refused
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
    assert!(String::from_utf8_lossy(&o.stderr).contains("header"));
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
