#!/usr/bin/env python3
"""Check `loupe sql` against `loupe run --csv`: for every spec below, the query that
`loupe sql --dialect duckdb` prints, run in DuckDB, and the one of `--dialect clickhouse`,
run in chDB (embedded ClickHouse), must give exactly the CSV of `loupe run --csv` on the
same file. The data is generated here (seeded): ties (several events at one timestamp),
events around midnight UTC and around local midnight and daylight-saving changes in
Europe/Berlin and America/New_York, empty property values, a value with a comma and quotes.

    .venv/bin/python scripts/sqlcheck.py [--loupe target/release/loupe] [--only duckdb]

Run by scripts/crosscheck.sh after the DuckDB cross-check (both pinned in the venv).
A negative control checks that a changed query is caught.
"""
import argparse
import csv
import io
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# every spec kind and option `loupe sql` renders; each must give the engine's CSV exactly
SPECS = {
    "trends_default": {"analysis": "trends"},
    "trends_users_week_sunday_named_zone": {
        "analysis": "trends", "interval": "week", "week_start": "sunday",
        "timezone": "Europe/Berlin",
        "series": [{"event": "view"}, {"event": "buy", "measure": "users"}]},
    "trends_measures_month_new_york": {
        "analysis": "trends", "interval": "month", "timezone": "America/New_York",
        "series": [{"event": "buy", "measure": m, "property": "amount"}
                   for m in ("sum", "avg", "min", "max", "median", "p90")]
        + [{"measure": "events_per_user", "label": "per user"}]},
    "trends_breakdown_top2_other_none": {
        "analysis": "trends", "breakdown": {"properties": ["country"], "limit": 2},
        "series": [{"event": "view", "measure": "users"}, {"event": "buy"}]},
    "trends_breakdown_two_properties_all": {
        "analysis": "trends", "interval": "week",
        "breakdown": {"properties": ["country", "platform"], "limit": 0}},
    "trends_breakdown_by_avg_ties": {
        "analysis": "trends", "breakdown": "platform",
        "series": [{"event": "buy", "measure": "avg", "property": "amount"}]},
    "trends_filters_offset_zone_last_days": {
        "analysis": "trends", "timezone": "+05:30", "date_range": "last_30_days",
        "filters": {"any": [{"property": "country", "op": "in", "value": ["CN", "DE"]},
                            {"property": "page", "op": "contains", "value": "a,b"}]},
        "series": [{"event": "view", "filters": [{"property": "platform", "op": "neq", "value": "web"}]},
                   {"filters": [{"property": "amount", "op": "gte", "value": 10}]},
                   {"filters": [{"property": "country", "op": "is_not_set"}], "measure": "users"}]},
    "trends_dates_range_berlin_hour_offset": {
        "analysis": "trends", "interval": "hour", "timezone": "-03:00",
        "date_range": {"from": "2025-03-29", "to": "2025-03-31"}},
    "trends_dates_range_berlin_day": {
        "analysis": "trends", "timezone": "Europe/Berlin",
        "date_range": {"from": "2025-03-28", "to": "2025-04-02"},
        "filters": [{"property": "page", "op": "not_in", "value": ["/home"]},
                    {"property": "amount", "op": "lt", "value": 40}]},
    "trends_this_month_open_from": {
        "analysis": "trends", "date_range": "this_month",
        "series": [{"event": "buy", "measure": "sum", "property": "amount"}],
        "breakdown": {"properties": ["page"], "limit": 3}},
    "trends_formulas_breakdown": {
        "analysis": "trends", "breakdown": {"properties": ["platform"], "limit": 2},
        "series": [{"event": "buy"}, {"event": "view", "measure": "users"},
                   {"event": "buy", "measure": "avg", "property": "amount", "hidden": True}],
        "formulas": [{"expression": "A / B"}, {"expression": "(A - B) * 100 / B", "label": "change"},
                     {"expression": "-C + 2.5 / (A - A)"}, {"expression": "c × 2 − 0.1"}]},
    # numbers below 1e-5 and whole numbers from 1e15 on, written without an exponent
    "trends_formulas_tiny_and_huge_numbers": {
        "analysis": "trends", "interval": "week",
        "series": [{"event": "view"}, {"event": "buy", "measure": "sum", "property": "amount"}],
        "formulas": [{"expression": "A / 10000000000"}, {"expression": "-A / 3000000"},
                     {"expression": "A * 100000000000000000"}, {"expression": "B * 123456789012345.6"},
                     {"expression": "A * 1000000000000000"}]},
    # user properties (source "user"): the value of the user's first (latest) row with
    # one, rows at one instant in file order
    "trends_user_breakdown_user_filter_first": {
        "analysis": "trends", "series": [{"event": "view", "measure": "users"}, {"event": "buy"}],
        "breakdown": {"properties": [{"property": "page", "source": "user"}], "limit": 0},
        "filters": [{"property": "country", "source": "user", "op": "in", "value": ["CN", "DE", "US"]}]},
    "trends_user_breakdown_latest_amount_filter": {
        "analysis": "trends", "user_properties": "latest", "interval": "week",
        "breakdown": {"properties": [{"property": "page", "source": "user"}, "country"], "limit": 3},
        "series": [{"event": "buy", "measure": "sum", "property": "amount",
                    "filters": [{"property": "amount", "source": "user", "op": "gte", "value": 20}]}]},
    "retention_user_breakdown_berlin": {
        "analysis": "retention", "period": "week", "timezone": "Europe/Berlin",
        "breakdown": {"properties": [{"property": "page", "source": "user"}], "limit": 2}},
    "funnel_step_order_user_breakdown_filter": {
        "analysis": "funnel", "ties": "step_order", "attribution": "all_events",
        "breakdown": {"properties": [{"property": "page", "source": "user"}], "limit": 0},
        "filters": [{"property": "country", "source": "user", "op": "is_set"}],
        "steps": [{"event": "open"}, {"event": "buy"}]},
    "stickiness_user_breakdown_latest": {
        "analysis": "stickiness", "user_properties": "latest",
        "breakdown": {"properties": [{"property": "country", "source": "user"}], "limit": 0}},
    # retention with another return event, return filters, first-ever cohorts: a return
    # at the start's instant counts when later in the file
    "retention_return_other_event_day": {
        "analysis": "retention", "start_event": "open", "return_event": "view", "periods": 10},
    "retention_return_any_event_filters_berlin_breakdown": {
        "analysis": "retention", "start_event": "view", "return_filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "period": "week", "timezone": "Europe/Berlin", "mode": "on_or_after", "min_occurrences": 2,
        "breakdown": {"properties": ["country"], "limit": 2}},
    "retention_first_ever_start_filters_new_york": {
        "analysis": "retention", "cohort": "first_ever", "start_event": "view", "return_event": "buy",
        "start_filters": [{"property": "page", "op": "neq", "value": "/home"}], "timezone": "America/New_York",
        "filters": [{"property": "country", "op": "is_set"}], "date_range": {"from": "2025-03-01", "to": "2025-03-25"}},
    "retention_first_ever_any_event_rolling_breakdown_user": {
        "analysis": "retention", "cohort": "first_ever", "windows": "rolling", "return_event": "buy",
        "breakdown": {"properties": [{"property": "page", "source": "user"}], "limit": 0}},
    "retention_recurring_other_return_rolling_offset": {
        "analysis": "retention", "cohort": "recurring", "start_event": "buy", "return_event": "open",
        "period": "day", "windows": "rolling", "timezone": "+05:30", "breakdown": {"properties": ["page"], "limit": 1}},
    "retention_first_ever_same_event": {
        "analysis": "retention", "cohort": "first_ever", "start_event": "buy", "return_event": "buy",
        "period": "week"},
    # funnels with ties in source order (the default), exclusions and first / last touch:
    # events at one instant go by the file order
    "funnel_source_order_default": {"analysis": "funnel", "steps": [{"event": "view"}, {"event": "buy"}]},
    "funnel_source_order_repeated_any_event_steps_hour": {
        "analysis": "funnel", "window": {"value": 1, "unit": "hour"},
        "steps": [{"event": "view"}, {"event": "view"}, {}, {"event": "buy"}]},
    "funnel_source_order_first_entry_berlin_all_steps": {
        "analysis": "funnel", "entry": "first", "range": "all_steps", "timezone": "Europe/Berlin",
        "date_range": {"from": "2025-03-01", "to": "2025-03-31"},
        "filters": [{"property": "country", "op": "neq", "value": "JP"}],
        "steps": [{"event": "open"}, {"event": "view", "filters": [{"property": "page", "op": "neq", "value": "/home"}]},
                  {"event": "buy"}]},
    "funnel_source_order_exclusions_named_like_steps": {
        "analysis": "funnel", "window": {"value": 2, "unit": "day"},
        "steps": [{"event": "open"}, {"event": "view"}, {"event": "buy"}],
        "exclusions": [{"event": "view", "from_step": 1, "to_step": 2,
                        "filters": [{"property": "platform", "op": "eq", "value": "web"}]},
                       {"event": "open", "from_step": 2}]},
    "funnel_strictly_later_exclusion_first_touch": {
        "analysis": "funnel", "ties": "strictly_later", "window": {"value": 3, "unit": "day"},
        "breakdown": {"properties": ["page"], "limit": 2},
        "steps": [{"event": "view"}, {"event": "buy"}], "exclusions": [{"event": "open"}]},
    "funnel_source_order_last_touch_new_york_range": {
        "analysis": "funnel", "attribution": "last_touch", "timezone": "America/New_York",
        "date_range": "last_30_days", "breakdown": {"properties": ["country", "platform"], "limit": 0},
        "steps": [{"event": "open"}, {"event": "open"}, {"event": "buy"}]},
    "funnel_source_order_first_touch_user_breakdown_exclusion": {
        "analysis": "funnel", "entry": "first",
        "breakdown": {"properties": [{"property": "page", "source": "user"}, "country"], "limit": 3},
        "steps": [{"event": "buy"}, {"event": "view"}], "exclusions": [{"event": "buy"}]},
    "funnel_source_order_all_events_step_attribution": {
        "analysis": "funnel", "attribution": {"step": 2}, "breakdown": "page",
        "steps": [{"event": "open"}, {"event": "view"}, {"event": "view"}]},
    "funnel_source_order_all_events_exclusion_offset": {
        "analysis": "funnel", "attribution": "all_events", "breakdown": "country", "timezone": "+05:30",
        "window": {"value": 6, "unit": "hour"},
        "steps": [{"event": "view"}, {}], "exclusions": [{"event": "buy", "from_step": 1, "to_step": 2}]},
    # revenue with shared filters: a user is acquired when their first event passes them
    "revenue_filters_new_users_first_event_berlin": {
        "analysis": "revenue", "purchase_event": "buy", "amount": "amount", "interval": "week",
        "timezone": "Europe/Berlin", "filters": [{"property": "page", "op": "neq", "value": "/home"}]},
    "revenue_filters_user_property_range": {
        "analysis": "revenue", "purchase_event": "buy", "amount": "amount",
        "date_range": {"from": "2025-03-05", "to": "2025-03-31"},
        "filters": {"any": [{"property": "country", "op": "eq", "value": "DE"},
                            {"property": "platform", "source": "user", "op": "eq", "value": "ios"}]}},
    # the users of a transition cell, in the order of their first row in the file
    "stages_members_unseen_new_week": {
        "analysis": "stages", "interval": "week", "members": {"from": "unseen", "to": "new"}},
    "stages_members_active_silent_berlin_from_to": {
        "analysis": "stages", "timezone": "Europe/Berlin", "silent_days": 2, "churned_days": 5,
        "from": "2025-03-10", "to": "2025-03-20", "members": {"from": "active", "to": "silent"}},
    "health_members_unseen_casual": {
        "analysis": "health", "members": {"from": "unseen", "to": "casual"}},
    "health_members_week_new_york_at_risk": {
        "analysis": "health", "interval": "week", "timezone": "America/New_York",
        "from": "2025-03-02", "members": {"from": "active", "to": "at_risk"}},
    "active_users_default": {"analysis": "active_users"},
    "active_users_events_filters_berlin_28": {
        "analysis": "active_users", "mau_days": 28, "timezone": "Europe/Berlin",
        "events": [{"event": "buy"}, {"event": "view", "filters": [{"property": "platform", "op": "eq", "value": "ios"}]}],
        "filters": [{"property": "country", "op": "neq", "value": "US"}]},
    "active_users_range_new_york": {
        "analysis": "active_users", "timezone": "America/New_York",
        "date_range": {"from": "2025-03-05", "to": "2025-03-20"}},
    "active_users_last_days_offset": {
        "analysis": "active_users", "timezone": "+09:00", "date_range": "last_7_days"},
        "stickiness_default": {"analysis": "stickiness"},
    "stickiness_week_cumulative_breakdown": {
        "analysis": "stickiness", "event": "view", "interval": "week", "week_start": "sunday",
        "computed": "cumulative", "timezone": "America/New_York",
        "breakdown": {"properties": ["country"], "limit": 2}},
    "stickiness_groups_criteria_range": {
        "analysis": "stickiness", "interval_count": 3, "criteria": {"op": "gte", "value": 2},
        "event_filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "date_range": {"from": "2025-03-01", "to": "2025-03-25"}, "timezone": "Europe/Berlin",
        "breakdown": ["platform", "country"]},
    "stickiness_lte_eq_month": {
        "analysis": "stickiness", "interval": "month", "criteria": {"op": "lte", "value": 3},
        "breakdown": "page"},
    "stickiness_eq_hour_offset": {
        "analysis": "stickiness", "interval": "hour", "interval_count": 12, "timezone": "+05:30",
        "criteria": {"op": "eq", "value": 1}, "date_range": "last_7_days"},
        "lifecycle_default": {"analysis": "lifecycle"},
    "lifecycle_week_event_filters_berlin": {
        "analysis": "lifecycle", "interval": "week", "week_start": "sunday",
        "timezone": "Europe/Berlin", "event": "view",
        "event_filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "filters": [{"property": "country", "op": "is_set"}]},
    "lifecycle_range_starts_after_data_new_york": {
        "analysis": "lifecycle", "timezone": "America/New_York",
        "date_range": {"from": "2025-03-06", "to": "2025-03-27"}},
    "lifecycle_hour_last_days_offset": {
        "analysis": "lifecycle", "interval": "hour", "timezone": "-03:00", "date_range": "last_7_days"},
    "lifecycle_month": {"analysis": "lifecycle", "interval": "month", "event": "buy"},
    "funnel_every_strictly_later": {
        "analysis": "funnel", "ties": "strictly_later",
        "steps": [{"event": "view"}, {"event": "buy"}, {"event": "open"}]},
    "funnel_first_entry_hour_window_edge": {
        "analysis": "funnel", "ties": "strictly_later", "entry": "first",
        "window": {"value": 1, "unit": "hour"},
        "steps": [{"event": "open"}, {"event": "view"}]},
    "funnel_repeated_step_any_event_filters": {
        "analysis": "funnel", "ties": "strictly_later", "window": {"value": 2, "unit": "day"},
        "steps": [{"event": "view"}, {"event": "view", "filters": [{"property": "platform", "op": "neq", "value": "web"}]},
                  {}, {"event": "buy", "filters": [{"property": "amount", "op": "gte", "value": 12.5}]}],
        "filters": [{"property": "country", "op": "is_set"}]},
    "funnel_range_entry_berlin": {
        "analysis": "funnel", "ties": "strictly_later", "timezone": "Europe/Berlin",
        "window": {"value": 3, "unit": "day"},
        "date_range": {"from": "2025-03-10", "to": "2025-03-30"},
        "steps": [{"event": "view"}, {"event": "buy"}]},
    "funnel_range_all_steps_first_new_york": {
        "analysis": "funnel", "ties": "strictly_later", "timezone": "America/New_York",
        "range": "all_steps", "entry": "first", "window": {"value": 1, "unit": "week"},
        "date_range": {"from": "2025-03-01", "to": "2025-03-20"},
        "steps": [{"event": "open"}, {"event": "view"}, {"event": "buy"}]},
    "funnel_breakdown_all_events_top2": {
        "analysis": "funnel", "ties": "strictly_later", "attribution": "all_events",
        "breakdown": {"properties": ["country"], "limit": 2},
        "steps": [{"event": "view"}, {"event": "buy"}]},
    "funnel_breakdown_step2_two_properties": {
        "analysis": "funnel", "ties": "strictly_later", "attribution": {"step": 2},
        "breakdown": {"properties": ["page", "platform"], "limit": 0},
        "window": {"value": 36, "unit": "hour"}, "date_range": "last_30_days",
        "steps": [{"event": "view"}, {"event": "open"}, {"event": "buy"}]},
    "funnel_breakdown_step1_first_entry_offset": {
        "analysis": "funnel", "ties": "strictly_later", "attribution": {"step": 1},
        "entry": "first", "timezone": "+05:30", "date_range": "last_7_days",
        "breakdown": "platform", "steps": [{"event": "buy"}, {"event": "buy"}]},
    # ties in step order: steps naming distinct events (a tie of different steps converts)
    "funnel_step_order_every_hour_window": {
        "analysis": "funnel", "ties": "step_order", "window": {"value": 1, "unit": "hour"},
        "steps": [{"event": "open"}, {"event": "view"}, {"event": "buy"}]},
    "funnel_step_order_posthog_berlin_filters": {
        "analysis": "funnel", "ties": "step_order", "range": "all_steps",
        "timezone": "Europe/Berlin", "date_range": {"from": "2025-03-01", "to": "2025-03-31"},
        "filters": [{"property": "country", "op": "neq", "value": "JP"}],
        "steps": [{"event": "view", "filters": [{"property": "platform", "op": "neq", "value": "web"}]},
                  {"event": "buy"}]},
    "funnel_step_order_breakdown_all_events_top2": {
        "analysis": "funnel", "ties": "step_order", "attribution": "all_events",
        "breakdown": {"properties": ["country"], "limit": 2}, "window": {"value": 2, "unit": "day"},
        "steps": [{"event": "view"}, {"event": "open"}, {"event": "buy"}]},
    "funnel_step_order_breakdown_step2_first_new_york": {
        "analysis": "funnel", "ties": "step_order", "attribution": {"step": 2}, "entry": "first",
        "timezone": "America/New_York", "date_range": "last_30_days",
        "breakdown": {"properties": ["page", "platform"], "limit": 3},
        "steps": [{"event": "open"}, {"event": "view"}]},
    # exclusions (with ties in step order: an exclusion at a step's instant is ignored)
    "funnel_step_order_exclusion_window": {
        "analysis": "funnel", "ties": "step_order", "window": {"value": 2, "unit": "day"},
        "steps": [{"event": "view"}, {"event": "buy"}], "exclusions": [{"event": "open"}]},
    "funnel_step_order_exclusion_filters_breakdown_berlin": {
        "analysis": "funnel", "ties": "step_order", "range": "all_steps", "timezone": "Europe/Berlin",
        "date_range": {"from": "2025-03-01", "to": "2025-03-31"}, "attribution": "all_events",
        "breakdown": {"properties": ["country"], "limit": 2},
        "steps": [{"event": "open"}, {"event": "buy"}],
        "exclusions": [{"event": "view", "filters": [{"property": "page", "op": "eq", "value": "/home"}],
                        "from_step": 1, "to_step": 2}]},
    "funnel_step_order_exclusion_step_attribution_first": {
        "analysis": "funnel", "ties": "step_order", "entry": "first", "attribution": {"step": 2},
        "breakdown": "platform", "window": {"value": 7, "unit": "day"},
        "steps": [{"event": "buy"}, {"event": "view"}],
        "exclusions": [{"event": "open", "filters": [{"property": "platform", "op": "neq", "value": "web"}]}]},
    "retention_default": {"analysis": "retention"},
    "retention_event_week_on_or_after_berlin": {
        "analysis": "retention", "start_event": "view", "return_event": "view", "period": "week",
        "periods": 4, "mode": "on_or_after", "timezone": "Europe/Berlin", "week_start": "sunday"},
    "retention_recurring_min2_filters_new_york": {
        "analysis": "retention", "start_event": "view", "return_event": "view", "cohort": "recurring",
        "min_occurrences": 2, "periods": 10, "timezone": "America/New_York",
        "start_filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "return_filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "filters": [{"property": "country", "op": "is_set"}],
        "date_range": {"from": "2025-03-01", "to": "2025-03-20"}},
    "retention_rolling_brackets_offset": {
        "analysis": "retention", "start_event": "buy", "return_event": "buy", "windows": "rolling",
        "brackets": [[1, 3], [4, 7], [8, 8], [9, 30]], "timezone": "+05:30"},
    "retention_rolling_hour_recurring_last_days": {
        "analysis": "retention", "windows": "rolling", "period": "hour", "cohort": "recurring",
        "date_range": "last_7_days", "mode": "on_or_after", "periods": 30},
    "retention_month_brackets_on": {
        "analysis": "retention", "period": "month", "brackets": [[1, 1], [2, 3]],
        "timezone": "America/New_York"},
    # breakdowns: each (user, value) a user of its own; top values, (other), (none)
    "retention_breakdown_top2_week_berlin": {
        "analysis": "retention", "start_event": "view", "return_event": "view", "period": "week",
        "timezone": "Europe/Berlin", "breakdown": {"properties": ["country"], "limit": 2}},
    "retention_breakdown_all_recurring_rolling_min2": {
        "analysis": "retention", "cohort": "recurring", "windows": "rolling", "min_occurrences": 2,
        "periods": 5, "breakdown": {"properties": ["platform"], "limit": 0}},
    "retention_breakdown_two_properties_on_or_after_new_york": {
        "analysis": "retention", "start_event": "buy", "return_event": "buy",
        "start_filters": [{"property": "amount", "op": "gte", "value": 10}],
        "return_filters": [{"property": "amount", "op": "gte", "value": 10}],
        "mode": "on_or_after", "brackets": [[1, 3], [4, 10]], "timezone": "America/New_York",
        "filters": [{"property": "platform", "op": "neq", "value": "android"}],
        "breakdown": {"properties": ["country", "page"], "limit": 3}},
    "retention_breakdown_page_top1_offset_range": {
        "analysis": "retention", "period": "day", "periods": 7, "timezone": "+05:30",
        "date_range": {"from": "2025-03-05", "to": "2025-03-25"},
        "breakdown": {"properties": ["page"], "limit": 1}},
    # A/B tests: three variants (control, treatment, b), users with none or two values
    "ab_test_default_three_variants": {"analysis": "ab_test", "conversion": {"event": "buy"}},
    "ab_test_control_window_filters_berlin": {
        "analysis": "ab_test", "control": "treatment",
        "conversion": {"event": "buy", "filters": [{"property": "amount", "op": "gte", "value": 40}]},
        "window": {"value": 1, "unit": "day"}, "timezone": "Europe/Berlin",
        "date_range": {"from": "2025-03-01", "to": "2025-03-31"},
        "filters": [{"property": "platform", "op": "neq", "value": "web"}]},
    "ab_test_exposure_is_conversion_split_99": {
        "analysis": "ab_test", "exposure_event": "view", "conversion": {"event": "view"},
        "window": {"value": 36, "unit": "hour"}, "confidence": 0.99,
        "expected_split": {"control": 2, "treatment": 1, "b": 1}},
    "ab_test_any_event_conversion_first_value_control_offset": {
        "analysis": "ab_test", "timezone": "+05:30", "date_range": "last_30_days",
        "conversion": {"filters": [{"property": "amount", "op": "gte", "value": 10}]},
        "filters": [{"property": "variant", "op": "neq", "value": "control"}]},
    "revenue_day_buy_amount": {"analysis": "revenue", "purchase_event": "buy", "amount": "amount"},
    "revenue_week_sunday_berlin_active_event_range": {
        "analysis": "revenue", "purchase_event": "buy", "amount": "amount", "interval": "week",
        "week_start": "sunday", "timezone": "Europe/Berlin", "active_event": "view",
        "date_range": {"from": "2025-03-05", "to": "2025-03-31"}},
    "revenue_month_new_york_purchase_filters": {
        "analysis": "revenue", "purchase_event": "buy", "amount": "amount", "interval": "month",
        "timezone": "America/New_York",
        "purchase_filters": [{"property": "platform", "op": "neq", "value": "android"}]},
    "revenue_hour_offset_last_days": {
        "analysis": "revenue", "purchase_event": "buy", "amount": "amount", "interval": "hour",
        "timezone": "+05:30", "date_range": "last_7_days", "active_event": "open"},
    "revenue_this_month": {
        "analysis": "revenue", "purchase_event": "buy", "amount": "amount", "date_range": "this_month"},
    "rfm_quintile_split": {"analysis": "rfm", "purchase_event": "buy", "amount": "amount"},
    "rfm_quintile_shared_berlin_range": {
        "analysis": "rfm", "purchase_event": "buy", "amount": "amount", "ties": "shared",
        "timezone": "Europe/Berlin", "date_range": {"from": "2025-03-01", "to": "2025-03-30"}},
    "rfm_quintile_as_of_filters": {
        "analysis": "rfm", "purchase_event": "buy", "amount": "amount", "as_of": "2025-03-20",
        "timezone": "America/New_York", "filters": [{"property": "country", "op": "is_set"}],
        "purchase_filters": [{"property": "platform", "op": "neq", "value": "android"}]},
    "rfm_eight_class_mean": {
        "analysis": "rfm", "purchase_event": "buy", "amount": "amount", "model": "eight_class"},
    "rfm_eight_class_median_last_days": {
        "analysis": "rfm", "purchase_event": "buy", "amount": "amount", "model": "eight_class",
        "split": "median", "date_range": "last_30_days", "timezone": "+05:30"},
    "rfm_eight_class_values": {
        "analysis": "rfm", "purchase_event": "buy", "amount": "amount", "model": "eight_class",
        "split": {"r": 10, "f": 4, "m": 100.5}},
    "stages_default": {"analysis": "stages"},
    "stages_week_event_filters_berlin": {
        "analysis": "stages", "interval": "week", "week_start": "sunday", "timezone": "Europe/Berlin",
        "event": "view", "event_filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "silent_days": 3, "churned_days": 6, "filters": [{"property": "country", "op": "is_set"}]},
    "stages_month_new_york_range_from_to": {
        "analysis": "stages", "interval": "month", "timezone": "America/New_York",
        "silent_days": 2, "churned_days": 5,
        "date_range": {"from": "2025-03-01", "to": "2025-04-05"}, "from": "2025-03-10", "to": "2025-04-01"},
    "stages_day_offset_last_days_to": {
        "analysis": "stages", "timezone": "+05:30", "date_range": "last_30_days",
        "silent_days": 1, "churned_days": 4, "event": "buy", "to": "2025-03-30"},
    "ltv_default_week": {"analysis": "ltv", "purchase_event": "buy", "amount": "amount"},
    "ltv_day_cohorts_paying_berlin_filters": {
        "analysis": "ltv", "purchase_event": "buy", "amount": "amount", "cohort": "day",
        "period": "day", "periods": 10, "users": "paying", "timezone": "Europe/Berlin",
        "filters": [{"property": "country", "op": "is_set"}],
        "purchase_filters": [{"property": "platform", "op": "neq", "value": "web"}]},
    "ltv_month_cohorts_week_ages_new_york_range": {
        "analysis": "ltv", "purchase_event": "buy", "amount": "amount", "cohort": "month",
        "period": "week", "periods": 4, "week_start": "sunday", "timezone": "America/New_York",
        "date_range": {"from": "2025-03-01", "to": "2025-03-31"}},
    "ltv_week_month_ages_offset_last_days": {
        "analysis": "ltv", "purchase_event": "buy", "amount": "amount", "period": "month",
        "periods": 3, "timezone": "+05:30", "date_range": "last_30_days"},
    "health_default": {"analysis": "health"},
    "health_week_events_value_berlin": {
        "analysis": "health", "interval": "week", "timezone": "Europe/Berlin", "window_days": 14,
        "frequency": "events", "value": {"purchase_event": "buy", "amount": "amount"},
        "event": "view", "event_filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "tiers": {"core": {"max_recency_days": 2, "min_frequency": 5, "min_value": 40},
                  "active": {"max_recency_days": 5, "min_frequency": 3},
                  "casual": {"max_recency_days": 9, "min_frequency": 1, "min_value": 0.5},
                  "at_risk": {"max_recency_days": 13, "min_frequency": 1}},
        "filters": [{"property": "country", "op": "is_set"}]},
    "health_month_new_york_range_from_to": {
        "analysis": "health", "interval": "month", "timezone": "America/New_York",
        "date_range": {"from": "2025-03-01", "to": "2025-04-05"}, "from": "2025-03-10", "to": "2025-04-01"},
    "health_day_offset_last_days": {
        "analysis": "health", "timezone": "+05:30", "date_range": "last_30_days", "window_days": 7,
        "event": "buy", "to": "2025-03-30"},
        "trends_timestamp_range_not_contains": {
        "analysis": "trends", "interval": "day",
        "date_range": {"from": "2025-03-09T06:30:00Z"},
        "filters": [{"property": "page", "op": "not_contains", "value": "item"},
                    {"property": "platform", "op": "is_set"}]},
    # customers (BTYD summary): refunds, purchases of 0, users in first-appearance order
    "customers_default_buy_amount": {"analysis": "customers", "purchase_event": "buy", "amount": "amount"},
    "customers_observation_filters_berlin": {
        "analysis": "customers", "purchase_event": "buy", "amount": "amount",
        "observation_date": "2025-03-30", "timezone": "Europe/Berlin",
        "filters": [{"property": "country", "op": "is_set"}],
        "purchase_filters": [{"property": "platform", "op": "neq", "value": "android"}]},
    "customers_range_new_york": {
        "analysis": "customers", "purchase_event": "buy", "amount": "amount",
        "timezone": "America/New_York", "date_range": {"from": "2025-03-05", "to": "2025-03-25"}},
    "customers_last_days_offset": {
        "analysis": "customers", "purchase_event": "buy", "amount": "amount",
        "timezone": "+05:30", "date_range": "last_30_days"},
    # sessions: page views at one instant (ties) in file order, events without a page
    "sessions_default_pages": {"analysis": "sessions"},
    "sessions_page_events_timeout_limit_berlin": {
        "analysis": "sessions", "page_events": ["view", "open"], "timeout_minutes": 600,
        "limit": 3, "timezone": "Europe/Berlin", "date_range": {"from": "2025-03-01", "to": "2025-03-31"},
        "filters": [{"property": "platform", "op": "neq", "value": "android"}]},
    "sessions_all_pages_short_timeout": {"analysis": "sessions", "timeout_minutes": 1, "limit": 0},
    "sessions_over_time_week_new_york": {
        "analysis": "sessions", "view": "over_time", "interval": "week", "week_start": "sunday",
        "timezone": "America/New_York", "timeout_minutes": 240},
    "sessions_over_time_hour_offset_last_days": {
        "analysis": "sessions", "view": "over_time", "interval": "hour", "timezone": "+05:30",
        "date_range": "last_7_days", "page_events": ["view"]},
    # a session-id property whose values interleave, with events without one
    "sessions_session_property_pages": {"analysis": "sessions", "session": "variant", "limit": 0},
    "sessions_session_property_over_time_month": {
        "analysis": "sessions", "session": "variant", "view": "over_time", "interval": "month",
        "timezone": "Europe/Berlin"},
    "sessions_breakdown_top2": {
        "analysis": "sessions", "breakdown": {"properties": ["country"], "limit": 2}, "timeout_minutes": 120},
    "sessions_breakdown_two_properties_all_session_property": {
        "analysis": "sessions", "session": "variant", "view": "over_time",
        "breakdown": {"properties": ["country", "platform"], "limit": 0}},
    "sessions_breakdown_page_events_range": {
        "analysis": "sessions", "page_events": ["buy"], "breakdown": "platform",
        "date_range": {"from": "2025-03-10", "to": "2025-03-20"}, "timezone": "America/New_York"},
    # channels: first- and last-touch values among tied events, activation in file order
    "channels_first_touch_page": {
        "analysis": "channels", "channel": "page", "purchase_event": "buy", "amount": "amount"},
    "channels_last_touch_activation_berlin_filters": {
        "analysis": "channels", "channel": "page", "attribution": "last_touch",
        "activation": ["view", "buy"], "activation_days": 2, "retention_days": [1, 3, 7],
        "ltv_days": 7, "limit": 2, "purchase_event": "buy", "amount": "amount",
        "timezone": "Europe/Berlin", "filters": [{"property": "platform", "op": "neq", "value": "web"}]},
    "channels_costs_range_new_york": {
        "analysis": "channels", "channel": "country", "purchase_event": "buy", "amount": "amount",
        "costs": [{"channel": "CN", "cost": 100}, {"channel": "DE", "cost": 250.5}, {"channel": "JP", "cost": 0}],
        "limit": 2, "timezone": "America/New_York", "date_range": {"from": "2025-03-01", "to": "2025-03-25"}},
    "channels_repeated_steps_offset_last_days_all": {
        "analysis": "channels", "channel": "variant", "activation": ["open", "open", "buy"],
        "activation_days": 5, "retention_days": [2], "ltv_days": 0, "limit": 0,
        "purchase_event": "buy", "amount": "amount", "timezone": "+05:30", "date_range": "last_30_days"},
    # paths: events at one instant in file order, repeats collapsed or not
    "paths_nodes_default": {"analysis": "paths"},
    "paths_links_start_event_property": {
        "analysis": "paths", "view": "links", "start_event": "view", "property": "platform",
        "steps": 4, "top": 2, "timeout_minutes": 240},
    "paths_top_paths_end_event_no_collapse": {
        "analysis": "paths", "view": "top_paths", "end_event": "buy", "collapse_repeats": False,
        "steps": 3, "limit": 20, "timezone": "Europe/Berlin",
        "date_range": {"from": "2025-03-01", "to": "2025-03-31"}},
    "paths_nodes_end_event_user_boundary_events": {
        "analysis": "paths", "end_event": "buy", "boundary": "user", "events": ["view"],
        "steps": 6, "top": 1, "filters": [{"property": "country", "op": "is_set"}]},
    "paths_top_paths_session_property_page": {
        "analysis": "paths", "view": "top_paths", "session": "variant", "property": "page",
        "steps": 3, "limit": 15},
    "paths_links_user_boundary_start": {
        "analysis": "paths", "view": "links", "boundary": "user", "start_event": "open",
        "steps": 10, "top": 3, "collapse_repeats": False},
    # portrait: each user's last value (ties in file order), text categories, numeric bins
    "portrait_text_and_equal_bins": {
        "analysis": "portrait", "properties": [{"property": "page"}, {"property": "amount"}, {"property": "country"}]},
    "portrait_new_users_limit_edges_berlin": {
        "analysis": "portrait", "users": "new", "limit": 2, "timezone": "Europe/Berlin",
        "date_range": {"from": "2025-03-01", "to": "2025-03-31"},
        "properties": [{"property": "variant"}, {"property": "amount", "edges": [5, 12.5, 50]}]},
    "portrait_filters_bins_all_values": {
        "analysis": "portrait", "limit": 0, "filters": [{"property": "platform", "op": "neq", "value": "web"}],
        "properties": [{"property": "amount", "bins": 7}, {"property": "platform"}]},
}

EVENTS = ["view", "buy", "open"]
COUNTRIES = ["CN", "DE", "US", "JP", ""]
PLATFORMS = ["ios", "web", "android"]
PAGES = ["/home", "/item/a", "/item/b", "a,b \"quoted\"", ""]


def generate(path, seed=11, users=80):
    """Events from 2025-02-20 to 2025-04-10 (DST changes: US 03-09, EU 03-30)."""
    rnd = random.Random(seed)
    start = datetime(2025, 2, 20, tzinfo=timezone.utc)
    rows = []
    for u in range(users):
        uid = f"u{u:03d}"
        country = rnd.choice(COUNTRIES)
        platform = rnd.choice(PLATFORMS)
        t = start + timedelta(minutes=rnd.randrange(0, 49 * 24 * 60))
        for _ in range(rnd.randrange(1, 60)):
            r = rnd.random()
            if r < 0.15:
                step = timedelta(0)  # a tie
            elif r < 0.3:
                # to just before / after a midnight (UTC, Berlin or New York)
                day = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
                day += timedelta(hours=rnd.choice([0, -1, -2, 4, 5]))
                step = max(day - t, timedelta(0)) + timedelta(seconds=rnd.choice([-1, 0, 1]))
            else:
                step = timedelta(seconds=rnd.randrange(1, 4 * 86400))
            t = t + step
            if t >= datetime(2025, 4, 10, tzinfo=timezone.utc):
                break
            event = rnd.choice(EVENTS)
            amount = ""
            if event == "buy" and rnd.random() < 0.85:
                amount = str(rnd.choice([5, 10, 12.5, 20, 49.5, 100, 3.25]))
            rows.append([uid, event, t.strftime("%Y-%m-%d %H:%M:%S.%f"),
                         country if rnd.random() < 0.9 else "", platform,
                         amount, rnd.choice(PAGES)])
    # funnel window edges and ties: a step exactly 1 hour (and 3 days) after the entry is
    # inside the window, one second later is not; a step at the entry's instant is not
    # strictly later
    edge = datetime(2025, 3, 12, 9, 0, tzinfo=timezone.utc)
    for uid, steps in (("edge1", [("open", 0), ("view", 3600), ("buy", 3 * 86400)]),
                       ("edge2", [("open", 0), ("view", 3601), ("view", 3 * 86400 + 1), ("buy", 3 * 86400 + 1)]),
                       ("edge3", [("view", 0), ("open", 0), ("buy", 0), ("open", 3600), ("view", 3600)])):
        for event, secs in steps:
            t = edge + timedelta(seconds=secs)
            rows.append([uid, event, t.strftime("%Y-%m-%d %H:%M:%S.%f"), "DE", "ios",
                         "12.5" if event == "buy" else "", "/home"])
    # refunds (a negative amount: net revenue, not a purchase) and a purchase of 0, one
    # refund tied with a purchase, one before the others' first events
    for uid, steps in (("refund1", [("buy", 0, "20"), ("buy", 0, "-20"), ("view", 60, ""), ("buy", 86400, "0")]),
                       ("refund2", [("buy", -20 * 86400, "-3.25"), ("open", 3 * 86400, ""), ("buy", 3 * 86400, "49.5")])):
        for event, secs, amount in steps:
            t = edge + timedelta(seconds=secs)
            rows.append([uid, event, t.strftime("%Y-%m-%d %H:%M:%S.%f"), "US", "web", amount, "/item/a"])
    # A/B variants from the user id alone (no draw from the generator): control, treatment
    # or b by the id, on three events in four; every 13th user none, every 17th two values
    seen = {}
    for r in rows:
        uid = r[0]
        j = seen[uid] = seen.get(uid, -1) + 1
        k = int(uid[1:]) if uid[1:].isdigit() else 1
        if k % 13 == 0:
            r.append("")
        elif k % 17 == 0:
            r.append(("control", "treatment")[j % 2])
        else:
            r.append(("control", "treatment", "b")[k % 3] if j % 4 != 1 else "")
    # each row's position in the file: the order of events at one instant (`--order-col`)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["user_id", "event", "timestamp", "country", "platform", "amount", "page", "variant", "file_row"])
        w.writerows(r + [i + 1] for i, r in enumerate(rows))
    return len(rows)


def as_csv(cols, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    w.writerows(rows)
    return out.getvalue()


def duckdb_runner(path):
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    table = (f"(SELECT * REPLACE (CAST(timestamp AS TIMESTAMPTZ) AS timestamp, CAST(file_row AS BIGINT) AS file_row) "
             f"FROM read_csv('{path}', all_varchar = true))")

    def run(query):
        cur = con.execute(query)
        return as_csv([d[0] for d in cur.description], cur.fetchall())

    def copy(query, out):
        con.execute(f"COPY ({query}) TO '{out}' (HEADER)")
        with open(out) as f:
            return f.read()
    run.copy = copy
    return table, run


def chdb_runner(path):
    from chdb import session
    s = session.Session()
    structure = ("user_id String, event String, timestamp DateTime64(6, \\'UTC\\'), "
                 "country Nullable(String), platform Nullable(String), "
                 "amount Nullable(Float64), page Nullable(String), variant Nullable(String), "
                 "file_row UInt64")
    table = f"file('{path}', 'CSVWithNames', '{structure}')"

    def run(query):
        res = s.query(query, "CSVWithNames")
        text = res.bytes().decode() if hasattr(res, "bytes") else str(res)
        # ClickHouse quotes every text cell and writes NULL as \N: read the records and
        # write them as the engine does (an empty cell for NULL)
        rows = [["" if c == "\\N" else c for c in r] for r in csv.reader(io.StringIO(text))]
        return as_csv(rows[0], rows[1:]) if rows else ""
    return table, run


# the column of each row's position in the file, given to `loupe sql --order-col`
ORDER = "file_row"


def loupe(args, *cmd):
    p = subprocess.run([args.loupe, *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"loupe {cmd[0]} failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loupe", default=os.path.join(ROOT, "target", "release", "loupe"))
    ap.add_argument("--data", default=os.path.join(ROOT, "target", "sqlcheck"))
    ap.add_argument("--only", choices=["duckdb", "clickhouse"])
    ap.add_argument("--match", default="", help="only the specs whose name contains this")
    args = ap.parse_args()
    for name in [k for k in SPECS if args.match not in k]:
        del SPECS[name]
    os.makedirs(args.data, exist_ok=True)
    path = os.path.join(args.data, "events.csv")
    n = generate(path)
    print(f"sqlcheck: {n} events in {path}")
    import json
    engines = {"duckdb": duckdb_runner, "clickhouse": chdb_runner}
    if args.only:
        engines = {args.only: engines[args.only]}
    passed = failed = 0
    for dialect, make in engines.items():
        table, run = make(path)
        for name, spec in SPECS.items():
            text = json.dumps(spec)
            t0 = time.time()
            try:
                want = loupe(args, "run", "--csv", "--ignore-col", ORDER, "--spec", text, path)
                query = loupe(args, "sql", "--spec", text, "--dialect", dialect, "--from", table, "--order-col", ORDER)
                got = run(query)
            except Exception as e:  # a failing engine or query is a failed check
                got, want = f"error: {e}", ""
            ms = (time.time() - t0) * 1e3
            if got == want:
                passed += 1
                print(f"ok      {dialect:10} {name} ({want.count(chr(10)) - 1} rows, {ms:.0f} ms)")
            else:
                failed += 1
                import difflib
                diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), "loupe run --csv", dialect, lineterm=""))
                print(f"FAILED  {dialect:10} {name}\n" + "\n".join(diff[:30]))
        # DuckDB's own CSV writer gives the engine's file byte for byte (the README's diff)
        if hasattr(run, "copy"):
            bad = 0
            for name, spec in SPECS.items():
                text = json.dumps(spec)
                want = loupe(args, "run", "--csv", "--ignore-col", ORDER, "--spec", text, path)
                query = loupe(args, "sql", "--spec", text, "--dialect", dialect, "--from", table, "--order-col", ORDER)
                if run.copy(query, os.path.join(args.data, "copy.csv")) != want:
                    bad += 1
                    print(f"FAILED  {dialect:10} COPY of {name} differs from loupe run --csv")
            passed += len(SPECS) - bad
            failed += bad
            if not bad:
                print(f"ok      {dialect:10} COPY (query) TO file: {len(SPECS)} specs, the bytes of loupe run --csv")
        # negative control: a query that counts one event less must not compare equal
        text = json.dumps(SPECS.get("trends_default", {"analysis": "trends"}))
        want = loupe(args, "run", "--csv", "--ignore-col", ORDER, "--spec", text, path)
        query = loupe(args, "sql", "--spec", text, "--dialect", dialect, "--from", table, "--order-col", ORDER)
        altered = query.replace("WHERE keep AND", "WHERE t <> (SELECT max(t) FROM src) AND keep AND", 1)
        if altered != query and run(altered) != want:
            passed += 1
            print(f"ok      {dialect:10} negative control (one event dropped is caught)")
        else:
            failed += 1
            print(f"FAILED  {dialect:10} negative control: an altered query still compares equal")
    # what SQL cannot express yet is an error, not a different query
    two = [{"event": "view"}, {"event": "buy"}]
    for spec in ({"analysis": "funnel", "steps": two + [{"event": "view"}], "ties": "step_order"},
                 {"analysis": "funnel", "steps": two + [{}], "ties": "step_order"},
                 {"analysis": "funnel", "steps": two, "ties": "strictly_later", "order": "strict"},
                 {"analysis": "funnel", "steps": two, "ties": "strictly_later", "order": "any"},
                 {"analysis": "funnel", "steps": two, "ties": "strictly_later", "counting": "totals"},
                 {"analysis": "funnel", "steps": two, "ties": "step_order", "exclusions": [{"event": "view"}]},
                 {"analysis": "trends", "compare": True},
                 {"analysis": "ab_test", "conversion": {"event": "buy"}, "revenue": {}},
                 {"analysis": "ab_test", "conversion": two},
                 {"analysis": "ab_test", "conversion": {"event": "buy"}, "exposure_event": "view"},
                 {"analysis": "ab_test", "conversion": {"event": "buy"},
                  "expected_split": {"control": 0.5, "treatment": 0.3, "b": 0.2}},
                 {"analysis": "aarrr"},
                 {"analysis": "lifecycle", "created_at": "amount"},
                 {"analysis": "lifecycle", "breakdown": "country"},
                 {"analysis": "stages", "created_at": "amount"},
                 {"analysis": "portrait", "properties": [{"property": "country"}], "breakdown": {"property": "platform"}},
                 {"analysis": "stages", "breakdown": {"properties": [{"property": "country"}]}},
                 {"analysis": "health", "breakdown": {"properties": [{"property": "country"}]}},
                 {"analysis": "ltv", "purchase_event": "buy", "amount": "amount", "breakdown": "country"},
                 {"analysis": "rfm", "purchase_event": "buy", "amount": "amount", "breakdown": "country"}, {"analysis": "ab_test", "conversion": {"event": "buy"}, "breakdown": "country"},
                 {"analysis": "customers", "purchase_event": "buy", "amount": "amount", "breakdown": "country"}, {"analysis": "paths", "breakdown": "country"},
                 {"analysis": "revenue", "purchase_event": "buy", "amount": "amount",
                  "breakdown": {"properties": [{"property": "country"}]}},
                 {"analysis": "revenue", "purchase_event": "buy", "amount": "amount", "channel": "country"}):
        p = subprocess.run([args.loupe, "sql", "--spec", json.dumps(spec), "--dialect", "duckdb"],
                           capture_output=True, text=True)
        if p.returncode == 3 and "not yet expressible in SQL" in p.stderr and not p.stdout:
            passed += 1
            print(f"ok      refused: {p.stderr.strip()}")
        else:
            failed += 1
            print(f"FAILED  {json.dumps(spec)}: exit {p.returncode}, {p.stderr.strip()}")
    # what depends on the file order of tied events renders only with a file-order column
    for dialect, spec in [("duckdb", x) for x in (
                     {"analysis": "customers", "purchase_event": "buy", "amount": "amount"},
                     {"analysis": "sessions"}, {"analysis": "sessions", "session": "variant"},
                     {"analysis": "sessions", "view": "over_time", "breakdown": "country"},
                     {"analysis": "channels", "channel": "country"}, {"analysis": "paths"},
                     {"analysis": "portrait", "properties": [{"property": "country"}]})] + [
                 ("clickhouse", x) for x in (
                     {"analysis": "retention", "breakdown": {"properties": [{"property": "country", "source": "user"}]}},
                     {"analysis": "retention", "return_event": "buy"},
                     {"analysis": "retention", "return_filters": [{"property": "country", "op": "is_set"}]},
                     {"analysis": "retention", "cohort": "first_ever"},
                     {"analysis": "funnel", "steps": two},
                     {"analysis": "health", "members": {"from": "unseen", "to": "core"}},
                     {"analysis": "stages", "members": {"from": "unseen", "to": "new"}},
                     {"analysis": "revenue", "purchase_event": "buy", "amount": "amount",
                      "filters": [{"property": "country", "op": "is_set"}]},
                     {"analysis": "funnel", "steps": two, "ties": "strictly_later", "exclusions": [{"event": "open"}]},
                     {"analysis": "funnel", "steps": two, "ties": "strictly_later", "breakdown": "country",
                      "attribution": "last_touch"},
                     {"analysis": "trends", "filters": [{"property": "country", "source": "user", "op": "eq", "value": "CN"}]})]:
        p = subprocess.run([args.loupe, "sql", "--spec", json.dumps(spec), "--dialect", dialect],
                           capture_output=True, text=True)
        if p.returncode == 3 and "--order-col" in p.stderr and not p.stdout:
            passed += 1
            print(f"ok      needs --order-col: {p.stderr.strip()}")
        else:
            failed += 1
            print(f"FAILED  {json.dumps(spec)} without --order-col: exit {p.returncode}, {p.stderr.strip()}")
    print(f"sqlcheck: {passed} passed, {failed} failed")
    # counted by scripts/test.sh like node:test results
    print(f"# pass {passed}\n# fail {failed}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
