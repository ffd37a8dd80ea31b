//! The UI's two languages. Every visible string goes through [`t`]; a key missing from the
//! table shows as the key itself, which the wasm test suite checks never happens.

/// A UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The browser's preferred language: Chinese for `zh*`, English otherwise.
    pub fn detect() -> Lang {
        let nav = web_sys::window()
            .map(|w| w.navigator().language().unwrap_or_default())
            .unwrap_or_default();
        if nav.to_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The other language.
    pub fn toggle(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }
}

/// (key, English, Chinese).
pub const STRINGS: &[(&str, &str, &str)] = &[
    (
        "tagline",
        "Product analytics that never leaves your browser",
        "数据不出浏览器的产品分析",
    ),
    (
        "privacy",
        "Your data stays in this tab: nothing is uploaded.",
        "数据只在本页面内处理，不会上传。",
    ),
    (
        "drop",
        "Drop an event export here (CSV, TSV)",
        "将事件导出文件拖到这里（CSV、TSV）",
    ),
    (
        "drop_hint",
        "Columns like user_id, event, timestamp, plus any properties",
        "需要用户ID、事件、时间列，其余列作为属性",
    ),
    ("choose_file", "Choose a file", "选择文件"),
    ("try_sample", "Try the sample data", "试用示例数据"),
    (
        "sample_name",
        "Sample data (e-commerce app)",
        "示例数据（电商应用）",
    ),
    (
        "sample_desc",
        "An e-commerce app: 50,000 users over 90 days",
        "电商应用示例：5 万用户，90 天",
    ),
    ("loading", "Loading", "正在加载"),
    ("rows", "Rows", "行数"),
    ("cancel", "Cancel", "取消"),
    ("open_other", "Open another file", "打开其他文件"),
    ("overview", "Overview", "概览"),
    ("funnel", "Funnel", "漏斗"),
    ("retention", "Retention", "留存"),
    ("segmentation", "Segmentation", "事件分析"),
    ("events", "Events", "事件数"),
    ("users", "Users", "用户数"),
    ("events_per_user", "Events per user", "人均次数"),
    ("time_span", "Time span", "时间范围"),
    ("imported", "Imported", "已导入"),
    ("rejected", "Rejected", "已拒绝"),
    ("event_names", "Event names", "事件名称"),
    ("event", "Event", "事件"),
    ("properties", "Properties", "属性"),
    ("property", "Property", "属性"),
    ("type", "Type", "类型"),
    ("distinct", "Distinct", "取值数"),
    ("top_values", "Top values", "最常见取值"),
    ("columns", "Columns", "列"),
    ("user_col", "User", "用户"),
    ("time_col", "Time", "时间"),
    ("rejects", "Rejected rows", "被拒绝的行"),
    ("no_rejects", "Every row was imported.", "所有行均已导入。"),
    ("line", "Line", "行号"),
    ("reason", "Reason", "原因"),
    ("detail", "Detail", "详情"),
    ("steps", "Steps", "步骤"),
    ("step", "Step", "步骤"),
    ("add_step", "Add step", "添加步骤"),
    ("remove", "Remove", "删除"),
    ("window", "Conversion window", "转化窗口期"),
    ("run", "Run", "计算"),
    ("entry", "Counting", "计数方式"),
    (
        "entry_every",
        "Every attempt, furthest counts",
        "每次进入，取最远步骤",
    ),
    ("entry_first", "First entry only", "仅首次进入"),
    ("ties", "Same timestamp", "相同时间戳"),
    (
        "ties_source_order",
        "Counts, in file order",
        "按文件顺序计入",
    ),
    (
        "ties_strictly_later",
        "Next step must be later",
        "下一步须严格晚于上一步",
    ),
    ("top_n", "Top values shown", "显示前 N 个取值"),
    ("running", "Computing…", "计算中…"),
    ("conversion", "Conversion", "总转化率"),
    ("step_conversion", "Step conversion", "步骤转化率"),
    ("dropped", "Dropped", "流失"),
    ("median_time", "Median time", "中位耗时"),
    ("start_event", "Start event", "起始事件"),
    ("return_event", "Return event", "回访事件"),
    ("any_event", "Any event", "任意事件"),
    ("period", "Period", "周期"),
    ("periods", "Periods", "周期数"),
    ("mode", "Mode", "口径"),
    ("mode_on", "On period N", "第 N 期"),
    ("mode_on_or_after", "On or after period N", "第 N 期及以后"),
    ("cohort", "Cohort", "同期群"),
    ("size", "Size", "人数"),
    ("average", "Weighted average", "加权平均"),
    (
        "incomplete_note",
        "Italic cells are still incomplete and left out of the average.",
        "斜体单元格的周期尚未结束，不计入平均值。",
    ),
    ("measure", "Measure", "指标"),
    ("interval", "Interval", "时间粒度"),
    ("breakdown", "Breakdown", "分组"),
    ("none", "None", "无"),
    ("all_events", "All events", "全部事件"),
    ("timezone", "Time zone", "时区"),
    ("hour", "Hour", "小时"),
    ("day", "Day", "天"),
    ("week", "Week", "周"),
    ("month", "Month", "月"),
    ("minute", "Minute", "分钟"),
    ("total", "Total", "合计"),
    ("series", "Series", "系列"),
    ("computed_in", "computed in", "耗时"),
    ("loaded_in", "loaded in", "加载耗时"),
    ("error", "Error", "错误"),
    ("dismiss", "Dismiss", "关闭"),
    (
        "choose_events",
        "Events to count (none = all)",
        "统计的事件（不选为全部）",
    ),
    ("memory", "Memory", "内存"),
    (
        "download_csv",
        "Download the table as CSV",
        "下载表格（CSV）",
    ),
    (
        "download_png",
        "Download the chart as PNG",
        "下载图表（PNG）",
    ),
];

/// The text of `key` in `lang`.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match STRINGS.iter().find(|s| s.0 == key) {
        Some(&(_, en, zh)) => match lang {
            Lang::En => en,
            Lang::Zh => zh,
        },
        None => {
            gloo::console::warn!(format!("missing translation key {key}"));
            "?"
        }
    }
}

/// Chart labels in `lang`.
pub fn chart_labels(lang: Lang, period: &str) -> crate::chart::Labels {
    crate::chart::Labels {
        users: t(lang, "users").into(),
        events: t(lang, "events").into(),
        events_per_user: t(lang, "events_per_user").into(),
        retention: t(lang, "retention").into(),
        period: t(lang, period).into(),
        average: t(lang, "average").into(),
    }
}
