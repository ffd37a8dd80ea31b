//! The UI's two languages. Every visible string goes through [`t`]; a key missing from the
//! table shows as the key itself, which the wasm test suite checks never happens.

/// The local-storage key of the chosen language.
const STORAGE_KEY: &str = "loupe.lang";

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

    /// The language the user chose last (kept in the browser's local storage, the only
    /// thing Loupe keeps there unasked: a preference, never data), else the browser's.
    pub fn load() -> Lang {
        let saved = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        match saved.as_deref() {
            Some("zh") => Lang::Zh,
            Some("en") => Lang::En,
            _ => Lang::detect(),
        }
    }

    /// Makes this the page's language: `<html lang>`, for screen readers and fonts.
    pub fn apply(self) {
        let tag = match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        };
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", tag);
        }
    }

    /// Remembers this language as the user's choice (called when they switch).
    pub fn save(self) {
        let code = match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        };
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.set_item(STORAGE_KEY, code);
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
        "Drop an event export here (CSV, TSV, JSON lines, JSON; gzipped or not)",
        "将事件导出文件拖到这里（CSV、TSV、JSON Lines、JSON，可为 gzip 压缩）",
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
    ("trends", "Trends", "趋势分析"),
    ("events", "Events", "事件数"),
    ("users", "Users", "用户数"),
    ("events_per_user", "Events per user", "人均次数"),
    ("time_span", "Time span", "时间范围"),
    ("imported", "Imported", "已导入"),
    ("rejected", "Rejected", "已拒绝"),
    ("duplicates", "Duplicates", "重复"),
    ("reason_missing_user", "user id is empty", "用户 ID 为空"),
    ("reason_missing_event", "event name is empty", "事件名为空"),
    ("reason_missing_time", "timestamp is empty", "时间为空"),
    ("reason_bad_time", "timestamp not recognised", "无法识别的时间"),
    ("reason_field_count", "wrong number of fields", "字段数与表头不一致"),
    ("reason_encoding", "not valid UTF-8 text", "不是有效的 UTF-8 文本"),
    ("reason_bad_json", "not valid JSON", "不是有效的 JSON"),
    ("reason_not_an_object", "JSON value is not an object", "JSON 值不是对象"),
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
    ("series_label", "Label (optional)", "名称（可选）"),
    ("hide_series", "Hide in the chart", "图中隐藏"),
    ("formula", "Formula", "公式"),
    ("formulas", "Formulas (A / B, A - B, A * 100 / B)", "公式（A / B、A - B、A * 100 / B）"),
    ("add_series", "+ Add a series", "+ 添加系列"),
    ("add_formula", "+ Add a formula", "+ 添加公式"),
    ("compare_previous", "Compare with the previous period", "与上一周期对比"),
    ("display", "Chart", "图表类型"),
    ("display_line", "Line", "折线图"),
    ("display_area", "Stacked area", "堆积面积图"),
    ("display_bar", "Bars", "柱状图"),
    ("display_number", "Single number", "数值"),
    ("m_sum", "Sum of a property", "属性求和"),
    ("m_avg", "Average of a property", "属性平均值"),
    ("m_min", "Minimum of a property", "属性最小值"),
    ("m_max", "Maximum of a property", "属性最大值"),
    ("m_median", "Median of a property", "属性中位数"),
    ("m_p90", "90th percentile of a property", "属性 90 分位数"),
    (
        "no_numeric_property",
        "The data has no numeric property to measure.",
        "数据中没有可计算的数值属性。",
    ),
    ("previous_period", "Previous period", "上一周期"),
    ("incomplete_short", "incomplete", "不完整"),
    (
        "chart_label",
        "Chart of the result; the table below lists every number",
        "结果图表；下方表格列出全部数值",
    ),
    (
        "chart_label_hover",
        "Chart of the result: point at it, or focus it and use the arrow keys, for exact values; the table below lists every number",
        "结果图表：指向图表，或选中后用方向键查看精确数值；下方表格列出全部数值",
    ),
    (
        "incomplete_period",
        "Incomplete period: the data or the date range covers only part of it",
        "不完整周期：数据或日期范围只覆盖了其中一部分",
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
    ("add_exclusion", "Add exclusion", "添加排除事件"),
    ("add_filter", "Add filter", "添加筛选"),
    (
        "attr_all_events",
        "All events (each value)",
        "所有事件（每个值）",
    ),
    ("attr_first_touch", "First touch", "首次触点"),
    ("attr_last_touch", "Last touch", "末次触点"),
    ("attribution", "Attribution", "归因方式"),
    ("average_cells", "Average over", "平均值计算范围"),
    (
        "avg_all",
        "All cells (incomplete included)",
        "全部单元格（含未完整周期）",
    ),
    ("avg_complete", "Complete cells only", "仅完整周期"),
    (
        "brackets",
        "Custom brackets (periods)",
        "自定义区间（周期）",
    ),
    (
        "brackets_invalid",
        "Write brackets like 1-3, 4-7, 8-14",
        "区间格式如 1-3, 4-7, 8-14",
    ),
    (
        "cohort_first_ever",
        "First-ever occurrence",
        "首次发生（全部历史）",
    ),
    (
        "cohort_first_time",
        "First time (matching filters)",
        "首次（符合筛选）",
    ),
    ("cohort_kind", "Cohort", "同期群"),
    (
        "cohort_recurring",
        "Recurring (every period)",
        "重复（每个周期）",
    ),
    ("combine_all", "All conditions (AND)", "满足全部条件（且）"),
    ("combine_any", "Any condition (OR)", "满足任一条件（或）"),
    ("conversion_over_time", "Conversion over time", "转化率趋势"),
    ("converted", "Converted", "已转化"),
    ("counting", "Count", "计数方式"),
    (
        "counting_totals",
        "Attempts (re-entry allowed)",
        "次数（可重复进入）",
    ),
    ("counting_users", "Unique users", "去重用户"),
    ("date_range", "Date range", "日期范围"),
    ("did_you_mean", "did you mean", "是否指"),
    ("entered", "Entered", "进入"),
    ("entry_interval", "Entry", "进入时间"),
    (
        "excluded_note",
        "users removed by an exclusion",
        "位用户因排除事件被移出",
    ),
    ("exclusion", "exclusion", "排除"),
    (
        "exclusions",
        "Exclusions (between steps)",
        "排除事件（步骤之间）",
    ),
    ("filters", "Filters", "筛选"),
    (
        "insert_step",
        "Insert a step after this one",
        "在此步骤后插入",
    ),
    (
        "min_occurrences",
        "Minimum returns per period",
        "每周期最少回访次数",
    ),
    ("monday", "Monday", "周一"),
    ("more_options", "More options", "更多选项"),
    ("move_down", "Move down", "下移"),
    ("move_up", "Move up", "上移"),
    (
        "nested_groups",
        "nested groups from the link",
        "个来自链接的嵌套条件组",
    ),
    ("op_contains", "contains", "包含"),
    ("op_eq", "equals", "等于"),
    ("op_gt", ">", "大于"),
    ("op_gte", "≥", "大于等于"),
    ("op_in", "is one of", "属于"),
    ("op_is_not_set", "is not set", "无值"),
    ("op_is_set", "is set", "有值"),
    ("op_lt", "<", "小于"),
    ("op_lte", "≤", "小于等于"),
    ("op_neq", "does not equal", "不等于"),
    ("op_not_contains", "does not contain", "不包含"),
    ("op_not_in", "is none of", "不属于"),
    ("order", "Step order", "步骤顺序"),
    ("order_any", "Any order", "任意顺序"),
    (
        "order_ordered",
        "In order (others allowed between)",
        "依次（中间可有其他事件）",
    ),
    (
        "order_strict",
        "Strict (nothing in between)",
        "严格（中间无其他事件）",
    ),
    ("outcome_converted", "Converted", "已转化"),
    ("outcome_dropped", "Dropped", "流失"),
    ("outcome_excluded", "Excluded", "被排除"),
    ("outcome_not_entered", "Did not enter", "未进入漏斗"),
    ("outcome_not_found", "User not found", "未找到该用户"),
    ("outside_range", "outside the date range", "在日期范围外"),
    ("preset", "Reproduce", "对齐产品口径"),
    ("preset_custom", "Custom", "自定义"),
    ("range_30", "Last 30 days", "最近30天"),
    ("range_7", "Last 7 days", "最近7天"),
    ("range_90", "Last 90 days", "最近90天"),
    ("range_all", "All data", "全部数据"),
    ("range_custom", "Custom", "自定义"),
    ("range_month", "This month", "本月"),
    ("range_rule", "Date range applies to", "日期范围作用于"),
    ("range_rule_all_steps", "Every step", "所有步骤"),
    (
        "range_rule_entry",
        "The entry (step 1)",
        "进入步骤（第1步）",
    ),
    ("second", "Second", "秒"),
    (
        "stale",
        "The options changed: updating the result…",
        "选项已更改：正在更新结果…",
    ),
    ("step_filters", "Filters of this step", "此步骤的筛选"),
    ("sunday", "Sunday", "周日"),
    (
        "ties_step_order",
        "In step order (PostHog)",
        "按步骤顺序（PostHog）",
    ),
    ("time", "Time", "时间"),
    ("time_to_convert", "Time to convert", "转化耗时"),
    ("trace", "Trace", "用户轨迹"),
    ("trace_user", "Explain one user", "解释单个用户"),
    ("trend_interval", "Conversion over time by", "转化趋势粒度"),
    ("user_id", "user id", "用户ID"),
    ("user_property", "user", "用户属性"),
    ("value", "Value", "值"),
    (
        "warn_event_not_found",
        "No such event in the data; the step counts 0:",
        "数据中没有该事件，此步骤计为 0：",
    ),
    ("week_start", "Week starts", "每周开始于"),
    ("windows", "Periods", "周期划分"),
    ("windows_calendar", "Calendar periods", "自然周期"),
    (
        "windows_rolling",
        "Rolling from the start event",
        "从起始事件滚动计算",
    ),
    ("err_io", "The file could not be read", "无法读取文件"),
    ("err_format", "The file cannot be imported", "文件无法导入"),
    (
        "err_mapping",
        "The columns could not be mapped",
        "无法识别所需的列",
    ),
    ("err_spec", "Invalid option", "选项无效"),
    ("err_spec_json", "Invalid spec", "分析配置无效"),
    ("err_no_events", "No events", "没有事件"),
    ("err_cancelled", "Cancelled", "已取消"),
    ("err_no_data", "No data loaded", "尚未加载数据"),
    ("err_bad_request", "Bad request", "请求无效"),
    ("err_engine_stopped", "The engine stopped", "分析引擎已停止"),
    ("lifecycle", "Lifecycle", "生命周期"),
    ("lc_new", "New", "新增"),
    ("lc_returning", "Returning", "回访"),
    ("lc_resurrecting", "Resurrecting", "回流"),
    ("lc_dormant", "Dormant", "流失"),
    ("lc_active", "Active", "活跃"),
    ("pulse", "Pulse", "增长脉搏"),
    (
        "pulse_note",
        "(new + resurrecting) ÷ dormant over the intervals shown; above 1 the active base grows",
        "（新增 + 回流）÷ 流失，按所示全部区间计算；大于 1 表示活跃用户在增长",
    ),
    ("active_event", "Active when doing", "活跃行为"),
    ("created_at", "User created at", "用户创建时间"),
    (
        "created_first_event",
        "First event (in all data)",
        "首次事件（全部数据）",
    ),
    (
        "lifecycle_note",
        "New: created in the interval. Returning: also active in the previous interval. Resurrecting: inactive in the previous one. Dormant: active in the previous interval, not in this one. A breakdown splits users by their own value.",
        "新增：在该区间创建的用户。回访：上一区间也活跃。回流：上一区间未活跃。流失：上一区间活跃、本区间未活跃。分组按用户自身的属性值划分用户。",
    ),
    (
        "lifecycle_incomplete_note",
        "Italic rows are intervals only partly covered by the data or the date range.",
        "斜体行的区间只被数据或日期范围部分覆盖。",
    ),
    (
        "warn_created_at_fallback",
        "users have no readable creation time, so their first event is used; e.g.",
        "位用户没有可读的创建时间，改用其首次事件；例如",
    ),
    (
        "warn_amount_missing",
        "purchase events have no amount; they count as purchases of 0",
        "条购买事件没有金额，按金额 0 的购买计算",
    ),
    ("stickiness", "Stickiness", "粘性"),
    ("active_users", "Active users", "活跃用户"),
    ("computed", "Count users active in", "统计口径"),
    ("computed_exact", "Exactly N intervals", "恰好 N 个周期"),
    ("computed_cumulative", "N or more intervals", "N 个及以上周期"),
    ("criteria", "An interval counts with", "周期计为活跃的条件"),
    ("events_per_interval", "events in it", "次事件"),
    ("intervals_in_range", "intervals in the date range", "个周期在日期范围内"),
    ("active_intervals", "Active intervals", "活跃周期数"),
    ("average_intervals", "Average active intervals", "平均活跃周期数"),
    ("active_events", "Active means doing", "活跃的定义（做过以下事件）"),
    ("add_event", "Add event", "添加事件"),
    ("mau_window", "MAU window", "月活统计窗口"),
    ("mau_30", "30 days", "30 天"),
    ("mau_28", "28 days", "28 天"),
    ("frequency", "Active days per", "活跃天数统计周期"),
    ("per_week", "Week", "每周"),
    ("per_month", "Month", "每月"),
    ("dau", "DAU", "日活 DAU"),
    ("wau", "WAU", "周活 WAU"),
    ("mau", "MAU", "月活 MAU"),
    ("dau_mau", "DAU/MAU", "日活/月活"),
    ("dau_wau", "DAU/WAU", "日活/周活"),
    ("ratio", "Ratio", "比值"),
    (
        "partial_note",
        "dashed or starred: the window begins before the data does",
        "虚线或带星号：统计窗口早于数据开始日",
    ),
    ("data_starts", "data starts", "数据开始于"),
    (
        "days_active_per_week",
        "Users by active days per week",
        "每周活跃天数分布",
    ),
    (
        "days_active_per_month",
        "Users by active days per month",
        "每月活跃天数分布",
    ),
    (
        "partial_period_note",
        "Starred periods are cut by the date range (fewer days).",
        "带星号的周期被日期范围截断（天数不全）。",
    ),
    (
        "average_all_note",
        "Averages include the incomplete last periods (in italics).",
        "平均值包含尚未结束的周期（斜体）。",
    ),
    ("ab_test", "A/B test", "AB 测试"),
    ("ab_variant", "Variant property", "实验分组属性"),
    ("ab_control", "Control", "对照组"),
    ("ab_control_auto", "Automatic (control, else the first)", "自动（control，否则第一个）"),
    ("ab_control_short", "control", "对照组"),
    ("ab_exposure", "Exposure event (enters the test)", "曝光事件（进入实验）"),
    ("ab_conversion", "Conversion (steps in order)", "转化（按顺序完成的步骤）"),
    ("ab_no_window", "No window (until the range ends)", "不限（至日期范围结束）"),
    ("ab_confidence", "Confidence level", "置信水平"),
    ("ab_revenue", "Revenue per user", "人均收入"),
    ("ab_purchase_event", "Purchase event", "购买事件"),
    ("ab_amount", "Amount property", "金额属性"),
    (
        "ab_note",
        "A user's variant is the value on their first event that has one; users with several values are left out. Conversions count from the exposure on.",
        "用户的分组取其首个带值事件上的值；有多个不同值的用户不计入。转化从曝光起计算。",
    ),
    ("ab_variant_col", "Variant", "实验组"),
    ("ab_conversions", "Conversions", "转化用户数"),
    ("ab_rate", "Conversion rate", "转化率"),
    ("ab_rate_ci", "Rate interval", "转化率置信区间"),
    ("ab_lift", "Lift", "提升"),
    ("ab_lift_ci", "Lift interval", "提升置信区间"),
    ("ab_p_value", "p-value", "p 值"),
    ("ab_significant", "Significant", "显著"),
    ("ab_interval", "interval", "置信区间"),
    ("ab_revenue_per_user", "Revenue per user", "人均收入"),
    ("ab_revenue_p", "Revenue p-value (Welch)", "收入 p 值（Welch t 检验）"),
    ("ab_chi_square", "Chi-square test across variants", "各组卡方检验"),
    ("ab_srm", "Sample ratio check (SRM)", "样本比例检验（SRM）"),
    ("ab_mixed_users", "users with several variants left out", "位用户有多个分组，已排除"),
    ("ab_no_variant_users", "exposed users without a variant", "位曝光用户没有分组"),
    (
        "ab_method_note",
        "Wilson intervals for rates, delta-method intervals for lift, two-proportion z-test against the control; confidence",
        "转化率用 Wilson 区间，提升用 delta 方法区间，与对照组做双比例 z 检验；置信水平",
    ),
    (
        "ab_small_note",
        "Italic rows are small samples (under 100 users or 10 conversions).",
        "斜体行为小样本（少于 100 位用户或 10 次转化）。",
    ),
    ("yes", "yes", "是"),
    ("no", "no", "否"),
    (
        "warn_mixed_variants",
        "users have several variant values and are left out",
        "位用户有多个不同的分组值，已排除",
    ),
    (
        "warn_srm",
        "Sample ratio mismatch: the users per variant differ from the expected split; check the assignment and the exposure. p =",
        "样本比例不匹配（SRM）：各组用户数与预期比例不符，请检查分流和曝光。p =",
    ),
    (
        "warn_small_sample",
        "Small sample (under 100 users or 10 conversions), intervals and p-values are rough:",
        "小样本（少于 100 位用户或 10 次转化），置信区间和 p 值仅供参考：",
    ),
    (
        "warn_small_expected",
        "An expected count of the chi-square test is below 5: its p-value is rough",
        "卡方检验有期望频数小于 5，p 值仅供参考",
    ),
];

/// Chinese texts of the engine's spec error messages, by message code; `{name}` stands
/// for a parameter. In English the engine's own message is shown.
pub const SPEC_ERRORS_ZH: &[(&str, &str)] = &[
    ("unknown_timezone", "未知时区“{zone}”（不在时区数据库中）"),
    (
        "series_count",
        "趋势需要 1 到 {max} 个系列，当前为 {got} 个",
    ),
    ("property_needed", "此指标需要一个数值属性"),
    (
        "property_unused",
        "只有求和、平均值、最小值、最大值、中位数和 90 分位数需要属性",
    ),
    ("property_not_numeric", "“{name}”是文本，不是数字"),
    ("formula_count", "最多 {max} 个公式，当前为 {got} 个"),
    ("formula_syntax", "公式第 {position} 个字符有误"),
    (
        "formula_series",
        "公式引用了系列 {letter}，但系列只有 A 到 {last}",
    ),
    (
        "too_many_values",
        "需要计算 {count} 个值，超过上限 {max}；请降低细分数量、减少系列或选择更长的周期",
    ),
    ("range_reversed", "日期范围的结束早于开始（{from} 至 {to}）"),
    (
        "bad_date",
        "“{value}”不是日期（2025-01-31）或时间（2025-01-31T12:00:00Z）",
    ),
    (
        "unknown_property",
        "没有名为“{name}”的属性；现有属性：{names}",
    ),
    (
        "unknown_property_hint",
        "没有名为“{name}”的属性；是否指“{hint}”？",
    ),
    ("no_value_expected", "“有值”和“无值”不需要填写值"),
    ("list_scalars", "列表中只能是文本或数字"),
    ("list_needed", "“属于”和“不属于”需要一组值（用逗号分隔）"),
    ("scalar_needed", "值必须是文本或数字"),
    ("value_needed", "此比较需要填写值"),
    ("not_a_number", "“{value}”不是数字"),
    ("number_column", "“{property}”是数字列，“{value}”不是数字"),
    (
        "unknown_event",
        "数据中没有名为“{name}”的事件；已有事件包括：{names}",
    ),
    (
        "unknown_event_hint",
        "数据中没有名为“{name}”的事件；是否指“{hint}”？",
    ),
    ("steps_count", "漏斗需要 2 到 {max} 个步骤，当前为 {got} 个"),
    ("at_least_one", "至少为 1"),
    ("window_too_long", "转化窗口 {value} 太长，最多 {max} 天"),
    (
        "exclusion_steps",
        "排除事件须位于两个步骤之间：需满足 1 ≤ 起始步骤（{from}）< 结束步骤（{to}）≤ {n}",
    ),
    (
        "attribution_step",
        "按步骤归因须指定第 1 到第 {n} 步，当前为第 {got} 步",
    ),
    ("periods_range", "周期数须在 1 到 {max} 之间，当前为 {got}"),
    (
        "bracket_start",
        "区间须从第 1 个周期或之后开始（第 0 期总是第一列）",
    ),
    ("bracket_reversed", "区间 [{from}, {to}] 的结束早于开始"),
    (
        "brackets_order",
        "区间须按升序排列且不重叠：[{from}, {to}] 开始于第 {prev} 期或更早",
    ),
    ("range_empty", "日期范围内没有任何事件"),
    ("mau_days", "月活窗口为 30 或 28 天，当前为 {got}"),
    (
        "too_many_cells",
        "{series} 个分组 × {count} 个周期太多（最多 {max} 个数值）；请减少分组取值或选择更长的周期",
    ),
    (
        "too_many_intervals",
        "{count} 个时间区间太多，无法绘图（最多 {max} 个）；请选择更长的粒度",
    ),
    ("confidence_range", "置信水平须在 0.5 到 0.999 之间，当前为 {got}"),
    ("conversion_steps", "转化需要 1 到 {max} 个步骤，当前为 {got} 个"),
    ("no_variants", "实验中没有用户带有“{name}”的值"),
    (
        "too_many_variants",
        "实验用户中“{name}”有 {got} 个不同值；AB 测试最多 {max} 个实验组",
    ),
    ("unknown_variant", "实验中没有用户属于分组“{name}”；现有分组：{names}"),
    ("one_variant", "实验用户都属于分组“{name}”：AB 测试至少需要两个组"),
    ("share_positive", "“{name}”的预期比例须为正数"),
    ("share_missing", "请为每个实验组给出预期比例；“{name}”缺少比例"),
];

/// A spec error's message in `lang`: the Chinese text of its code with the parameters
/// filled in, or the engine's English message.
pub fn spec_message(
    lang: Lang,
    key: Option<&str>,
    params: &std::collections::BTreeMap<String, String>,
    english: &str,
) -> String {
    let zh = key
        .and_then(|k| SPEC_ERRORS_ZH.iter().find(|(c, _)| *c == k))
        .map(|(_, z)| *z);
    match (lang, zh) {
        (Lang::Zh, Some(text)) => params.iter().fold(text.to_string(), |s, (k, v)| {
            s.replace(&format!("{{{k}}}"), v)
        }),
        _ => english.to_string(),
    }
}

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
pub fn chart_labels(lang: Lang) -> crate::chart::Labels {
    crate::chart::Labels {
        users: t(lang, "users").into(),
        events: t(lang, "events").into(),
        events_per_user: t(lang, "events_per_user").into(),
        retention: t(lang, "retention").into(),
        periods: ["hour", "day", "week", "month"].map(|k| t(lang, k).to_string()),
        average: t(lang, "average").into(),
        step: t(lang, "step").into(),
        lifecycle: ["lc_new", "lc_returning", "lc_resurrecting", "lc_dormant"]
            .map(|k| t(lang, k).to_string()),
        active_intervals: t(lang, "active_intervals").into(),
        ratio: t(lang, "ratio").into(),
        active: ["dau", "wau", "mau", "dau_mau", "dau_wau"].map(|k| t(lang, k).to_string()),
        partial: t(lang, "partial_note").into(),
        frequency: ["days_active_per_week", "days_active_per_month"]
            .map(|k| t(lang, k).to_string()),
        previous: t(lang, "previous_period").into(),
        incomplete: t(lang, "incomplete_short").into(),
        ab: ["ab_rate", "ab_conversions", "ab_lift", "ab_p_value", "ab_interval"]
            .map(|k| t(lang, k).to_string()),
    }
}
