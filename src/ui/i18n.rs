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
    (
        "err_engine_restarted",
        "The engine stopped and was restarted; the file is being loaded again and the analysis on screen will run again",
        "分析引擎意外停止，已重新启动：正在重新加载文件，当前分析将自动重新运行",
    ),
    (
        "err_engine_stopped_twice",
        "The engine stopped twice on this file. A browser tab gives the engine at most 4 GB of memory, and loading needs about 1.4 times the file's uncompressed size: try a smaller export, or the command-line tool",
        "分析引擎在此文件上两次停止。浏览器标签页最多只能给引擎 4 GB 内存，而加载约需文件未压缩大小的 1.4 倍：请换用更小的导出文件，或使用命令行工具",
    ),
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
    ("result_ready", "Result ready in", "结果已更新，用时"),
    ("download_svg", "Download the chart as SVG", "下载图表（SVG）"),
    ("copy_link", "Copy link", "复制链接"),
    ("link_copied", "Link copied", "链接已复制"),
    (
        "copy_link_hint",
        "Copy a link to this analysis (the spec only, never data): it opens on the same file",
        "复制此分析的链接（只含分析设置，不含数据），在同一文件上打开即可复现",
    ),
    ("events_per_day", "Events per day (UTC)", "每日事件数（UTC）"),
    ("empty_share", "Empty", "空值"),
    (
        "empty_share_hint",
        "Share of events without a value for this property",
        "该属性没有值的事件占比",
    ),
    ("unit_s", "s", "秒"),
    ("unit_min", "min", "分钟"),
    ("unit_h", "h", "小时"),
    ("unit_d", "d", "天"),
    ("board", "Board", "看板"),
    ("board_name", "Board name", "看板名称"),
    ("board_save", "Save in this browser", "保存在此浏览器"),
    (
        "board_save_hint",
        "Keeps the board's specs (never data) in this browser until you forget it",
        "在此浏览器中保存看板的分析设置（不含数据），直到你选择忘记",
    ),
    ("board_saved", "Saved in this browser.", "已保存在此浏览器。"),
    ("board_not_saved", "This browser does not allow saving.", "此浏览器不允许保存。"),
    ("board_forget", "Forget", "忘记"),
    ("board_forgotten", "Removed from this browser.", "已从此浏览器移除。"),
    ("board_export", "Export", "导出"),
    ("board_import", "Import", "导入"),
    ("board_imported", "Analyses imported:", "已导入分析数："),
    ("board_bad_file", "Not a board file", "不是有效的看板文件"),
    ("board_open", "Open", "打开"),
    ("board_item_title", "Title", "标题"),
    (
        "board_empty",
        "No analyses yet: press \"Add to board\" beside an analysis's downloads, or import a board file.",
        "还没有分析：在任一分析的下载按钮旁点击“加入看板”，或导入看板文件。",
    ),
    ("add_to_board", "Add to board", "加入看板"),
    ("added_to_board", "On the board", "已加入看板"),
    (
        "add_to_board_hint",
        "Put this analysis, as it is now, on the board",
        "把当前这个分析加入看板",
    ),
    ("board_full", "The board is full", "看板已满"),
    ("date_from", "from", "开始"),
    ("date_to", "to", "结束"),
    ("drag_to_reorder", "Drag to reorder", "拖动以调整顺序"),
    ("operator", "Operator", "运算符"),
    ("exclusion_from", "Excluded after step", "排除起始步骤"),
    ("exclusion_to", "Excluded before step", "排除截止步骤"),
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
    ("sessions", "Sessions & pages", "访问与页面"),
    ("web_page_views", "Page views (PV)", "浏览量 PV"),
    ("web_visitors", "Visitors (UV)", "访客数 UV"),
    ("web_sessions", "Sessions", "访问次数"),
    ("web_pages_per_session", "Pages per session", "平均访问页数"),
    ("web_bounce_rate", "Bounce rate", "跳出率"),
    ("web_avg_session", "Average session duration", "平均访问时长"),
    ("web_viewers", "Viewers", "浏览用户数"),
    ("web_entries", "Entries", "入口次数"),
    ("web_exits", "Exits", "退出次数"),
    ("web_exit_rate", "Exit rate", "退出率"),
    ("web_time_on_page", "Average time on page", "平均页面停留时间"),
    ("web_page_count", "pages viewed", "个页面被浏览"),
    ("page", "Page", "页面"),
    ("page_event", "Page views are", "页面浏览事件"),
    ("any_page_event", "Any event with a page", "任何带页面值的事件"),
    ("page_property", "Page property", "页面属性"),
    ("session_from", "Sessions from", "会话划分依据"),
    ("session_timeout", "Inactivity timeout", "无操作超时"),
    (
        "timeout_minutes",
        "minutes without an event end a session",
        "分钟内无任何事件即结束本次访问",
    ),
    ("sessions_view", "Chart shows", "图表显示"),
    ("view_pages", "Pages", "页面"),
    ("view_over_time", "Over time", "随时间变化"),
    ("pages_shown", "Pages listed", "列出页面数"),
    (
        "sessions_no_page_views",
        "sessions without a page view (not counted)",
        "次访问没有页面浏览（不计入）",
    ),
    (
        "sessions_note",
        "A session is a user's run of events with gaps shorter than the timeout (or one session-id value); only sessions with a page view count. Bounce: exactly one page view. Exit rate: exits ÷ views of the page. Time on page: to the next page view of the session; the last page of a session has none (left out, not 0). Over time, a session belongs to the interval of its first event.",
        "一次访问是同一用户相邻事件间隔短于超时时长的一段事件（或同一会话 ID 的事件）；只统计含页面浏览的访问。跳出：仅浏览一个页面。退出率：从该页面退出的次数 ÷ 该页面浏览量。页面停留时间：到本次访问下一个页面浏览的时长；每次访问的最后一个页面没有停留时间（不计入，而非按 0 计）。按时间统计时，访问归入其第一个事件所在的区间。",
    ),
    (
        "warn_page_missing",
        "page-view events have no page value; they are not page views",
        "条页面浏览事件没有页面值，不计为页面浏览",
    ),
    (
        "warn_session_missing",
        "events have no session id; they belong to no session and are left out",
        "条事件没有会话 ID，不属于任何访问，已排除",
    ),
    ("ltv", "LTV", "生命周期价值 LTV"),
    ("customers", "Customers", "客户价值汇总"),
    ("purchase_event", "Purchase event", "付费事件"),
    ("amount", "Amount", "金额"),
    ("ltv_age_unit", "Age unit", "生命周期单位"),
    ("ltv_ages", "ages (0, 1, 2, …)", "个周期（0、1、2…）"),
    ("ltv_users", "Users", "用户"),
    ("ltv_all_users", "All users", "全部用户"),
    ("ltv_paying_users", "Paying users only", "仅付费用户"),
    (
        "ltv_note",
        "Cohorts by first activity in the whole data; a cell is the cumulative net revenue (refunds subtracted) up to the end of that age, divided by the cohort's users. Paying users: anyone with a purchase anywhere in the data.",
        "按用户在全部数据中的首次活跃划分同期群；每格为截至该周期末的累计净收入（已扣除退款）除以同期群人数。付费用户：在全部数据中有过付费的用户。",
    ),
    ("ltv_members", "Users", "用户数"),
    ("ltv_paying", "Paying", "付费用户"),
    (
        "ltv_incomplete_note",
        "Cells in italics are ages not yet over for every user of the cohort; the average row uses complete cells only, weighted by cohort size.",
        "斜体格表示该周期尚未对同期群所有用户结束；平均行只用已结束的格，按同期群人数加权。",
    ),
    ("ltv_axis", "Cumulative revenue per user", "人均累计收入"),
    ("ltv_age", "Age", "生命周期"),
    ("customers_axis", "Customers", "付费用户数"),
    (
        "repeat_days",
        "Repeat purchase days (frequency)",
        "复购天数（frequency）",
    ),
    ("repeat_customers", "repeat customers", "复购用户"),
    ("observation_date", "Observation date", "观察日"),
    (
        "observation_date_default",
        "last day of data",
        "默认：数据最后一天",
    ),
    (
        "customers_note",
        "One row per paying user, as lifetime-value (BTYD) models read it: frequency = repeat purchase days, recency and T in days from the first purchase day, monetary value = mean daily total of the repeat days. The CSV has every customer.",
        "每个付费用户一行，供生命周期价值（BTYD）模型使用：frequency = 复购天数，recency 与 T 为距首次付费日的天数，monetary value = 复购日的日均付费金额。CSV 包含全部客户。",
    ),
    ("customers_shown", "shown", "显示"),
    ("user", "User", "用户"),
    ("cust_frequency", "Frequency", "复购天数"),
    ("cust_recency", "Recency (days)", "最近复购（天）"),
    ("cust_t", "T (days)", "T（天）"),
    ("cust_monetary", "Monetary value", "复购日均金额"),
    ("cust_purchases", "Purchases", "付费次数"),
    ("cust_revenue", "Revenue", "净收入"),
    ("cust_first", "First purchase", "首次付费"),
    ("cust_last", "Last purchase", "最后付费"),
    ("revenue", "Revenue", "收入与付费"),
    ("rv_purchase_event", "Purchase event", "购买事件"),
    ("rv_amount", "Amount property", "金额属性"),
    ("rv_channel", "Channel (first touch)", "渠道（首次触点）"),
    ("rv_no_channel", "No channel table", "不按渠道分析"),
    ("rv_costs", "Cost per channel", "各渠道成本"),
    (
        "rv_costs_placeholder",
        "channel,cost — one per line, or paste two columns from a spreadsheet",
        "渠道,成本 — 每行一个，或从表格粘贴两列",
    ),
    (
        "rv_costs_note",
        "The spend on each channel over the date range; a header line (channel, cost) is skipped.",
        "各渠道在所选日期范围内的投放花费；表头行（渠道, 成本）会被忽略。",
    ),
    (
        "rv_note",
        "Refunds (negative amounts) lower revenue but are not purchases; an amount of 0 is a purchase. Active: the active event or a purchase in the interval. ARPU = revenue ÷ active users = paying rate × ARPPU.",
        "退款（负金额）计入收入但不算购买；金额为 0 也算购买。活跃：在区间内做过活跃行为或购买。ARPU = 收入 ÷ 活跃用户 = 付费率 × ARPPU。",
    ),
    ("rv_revenue", "Revenue", "收入"),
    ("rv_purchases", "Purchases", "购买次数"),
    ("rv_refunds", "Refunds", "退款次数"),
    ("rv_refund_amount", "Refunded", "退款金额"),
    ("rv_paying_users", "Paying users", "付费用户"),
    ("rv_active_users", "Active users", "活跃用户"),
    ("rv_paying_rate", "Paying rate", "付费率"),
    ("rv_arpu", "ARPU", "ARPU（每活跃用户收入）"),
    ("rv_arppu", "ARPPU", "ARPPU（每付费用户收入）"),
    ("rv_new_users", "New users", "新增用户"),
    (
        "rv_arpu_acquired",
        "ARPU per acquired user to date",
        "累计每新增用户收入",
    ),
    ("rv_per_user", "Revenue per user", "人均收入"),
    ("rv_cost", "Cost", "成本"),
    ("rv_roi", "ROI", "投资回报率 ROI"),
    ("rv_cac", "CAC", "获客成本 CAC"),
    ("rv_payback", "Paid back in", "回本周期"),
    ("rv_roi_title", "ROI by channel", "渠道投资回报率"),
    (
        "rv_roi_note",
        "Users acquired in the date range, by the channel of their first event that has one; their revenue in the range. ROI = (revenue − cost) ÷ cost; CAC = cost ÷ new users; paid back: the first interval at whose end their revenue reaches the cost.",
        "按首次触点渠道统计日期范围内的新增用户及其在范围内的收入。ROI =（收入 − 成本）÷ 成本；获客成本 = 成本 ÷ 新增用户；回本周期：累计收入首次达到成本的区间。",
    ),
    (
        "cost_line_fields",
        "needs a channel and a cost, separated by a comma or a tab",
        "需要渠道和成本两项，用逗号或制表符分隔",
    ),
    ("cost_line_number", "the cost is not a number", "成本不是数字"),
    ("cost_line_negative", "the cost is negative", "成本不能为负数"),
    (
        "cost_line_duplicate",
        "this channel has a cost on an earlier line",
        "该渠道在前面的行中已有成本",
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
        "timeout_too_long",
        "会话超时 {got} 分钟太长（最多 {max} 分钟，即 7 天）",
    ),
    (
        "too_many_intervals",
        "{count} 个时间区间太多，无法绘图（最多 {max} 个）；请选择更长的粒度",
    ),
    ("sql_unsupported", "尚无法用 SQL 表达：{what}"),
    ("ltv_hour", "须为天、周或月，不能为小时"),
    ("not_a_day", "“{value}”不是日期（2025-01-31）"),
    ("channel_needed", "成本按渠道填写：请先选择渠道属性"),
    (
        "cost_invalid",
        "“{name}”的成本须为不小于 0 的数字，当前为 {value}",
    ),
    ("cost_duplicate", "“{name}”已填写过成本"),
    ("unknown_channel", "数据中“{property}”没有取值“{name}”"),
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
        web: [
            "web_page_views",
            "web_visitors",
            "web_sessions",
            "web_pages_per_session",
            "web_bounce_rate",
            "web_avg_session",
            "web_viewers",
            "web_entries",
            "web_exits",
            "web_exit_rate",
            "web_time_on_page",
        ]
        .map(|k| t(lang, k).to_string()),
        ltv: t(lang, "ltv_axis").into(),
        age: t(lang, "ltv_age").into(),
        customers: t(lang, "customers_axis").into(),
        repeat_days: t(lang, "repeat_days").into(),
        revenue: [
            "rv_revenue",
            "rv_arpu",
            "rv_arppu",
            "rv_per_user",
            "rv_paying_rate",
            "rv_paying_users",
            "rv_active_users",
        ]
        .map(|k| t(lang, k).to_string()),
    }
}
