//! Deadlines for appeals: when a case is due, when to warn that it is close,
//! how an extension moves it and how a pause (waiting on the resident)
//! shifts it.
//!
//! All functions are pure: the caller passes every instant in.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

// `super::calendar` works both in this crate and as a sibling module in
// src/domain/ of the main crate.
use super::calendar::{WorkingCalendar, add_saturating};

/// A time limit as written in a rule or a policy.
///
/// It serialises as a one-key object: `{"working_days": 7}`,
/// `{"working_hours": 4}` or `{"clock_hours": 2}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeLimit {
    /// Working days; the deadline keeps the local time of day of the start
    /// (see `WorkingCalendar::add_working_days`).
    WorkingDays(u32),
    /// Whole hours of business time on working days.
    WorkingHours(u32),
    /// Whole wall-clock hours, counted around the clock and through holidays
    /// (for emergencies such as 2 hours to respond to a danger to life).
    ClockHours(u32),
}

impl TimeLimit {
    /// Whether the limit counts wall-clock time rather than business time.
    pub fn counts_wall_clock(self) -> bool {
        matches!(self, TimeLimit::ClockHours(_))
    }
}

/// The instant a limit counted from `from` runs out.
///
/// A zero limit returns `from`. Wall-clock results past the representable
/// range are clamped to `Timestamp::MAX`.
pub fn due_at(cal: &WorkingCalendar, from: Timestamp, limit: TimeLimit) -> Timestamp {
    match limit {
        TimeLimit::WorkingDays(days) => cal.add_working_days(from, days),
        TimeLimit::WorkingHours(hours) => cal.add_working_hours(from, SignedDuration::from_hours(i64::from(hours))),
        TimeLimit::ClockHours(hours) => add_saturating(from, SignedDuration::from_hours(i64::from(hours))),
    }
}

/// The instant at which `share` of the time between `from` and `due` has
/// elapsed, for "80% of the time has passed" warnings.
///
/// For `ClockHours` limits wall-clock time is shared; for working-day and
/// working-hour limits business time is shared, so a warning never falls in
/// a night, a weekend or a holiday unless the whole span does.
///
/// The result is the earliest instant at which that share has elapsed, so
/// it may fall at the end of a business period (17:30) rather than later in
/// the evening. A share of 1.0 or more returns `due` itself.
///
/// `share` is clamped to 0.0..=1.0 (NaN counts as 0.0, which warns at
/// `from`, so the mistake is visible). The result is rounded to whole
/// seconds of elapsed time and never lies outside `from..=due`. If `due` is
/// not after `from`, `due` is returned. If no business time lies between
/// `from` and `due` (possible only with an absurd calendar), wall-clock time
/// is shared instead.
pub fn warning_at(cal: &WorkingCalendar, from: Timestamp, due: Timestamp, limit: TimeLimit, share: f64) -> Timestamp {
    if due <= from {
        return due;
    }
    let share = if share.is_nan() { 0.0 } else { share.clamp(0.0, 1.0) };
    if share >= 1.0 {
        // The whole limit has elapsed only at the deadline itself, even if
        // the last business minute came earlier (for example 17:30 before a
        // deadline of 09:00 the next morning).
        return due;
    }
    let working_total = cal.working_time_between(from, due);
    let result = if limit.counts_wall_clock() || working_total.is_zero() {
        let elapsed = scale_to_whole_seconds(due.duration_since(from), share);
        add_saturating(from, elapsed)
    } else {
        let elapsed = scale_to_whole_seconds(working_total, share);
        cal.add_working_hours(from, elapsed)
    };
    result.clamp(from, due)
}

/// `total * share`, rounded to whole seconds. `share` must be in 0.0..=1.0.
fn scale_to_whole_seconds(total: SignedDuration, share: f64) -> SignedDuration {
    let scaled = (total.as_secs() as f64 * share).round();
    // The product lies between zero and `total`, so it fits an i64; the
    // clamp below only guards against rounding at the extremes.
    let seconds = scaled.clamp(0.0, total.as_secs() as f64) as i64;
    SignedDuration::from_secs(seconds)
}

/// Moves a deadline by an extension: the new deadline is `limit` counted from
/// the old `due`, with the same rules as `due_at`.
pub fn extend(cal: &WorkingCalendar, due: Timestamp, limit: TimeLimit) -> Timestamp {
    due_at(cal, due, limit)
}

/// The deadline after a pause from `paused_at` to `resumed_at` (for example
/// while waiting for the resident to supply material).
///
/// The deadline moves forward by the business time that elapsed during the
/// pause, counted from `due` with `add_working_hours`. A pause that covers
/// no business time (a weekend, a night) leaves `due` unchanged, and so does
/// a pause whose `resumed_at` is not after `paused_at`. The pause is counted
/// wherever it lies relative to `due`.
///
/// This is right for working-day and working-hour limits. For clock-hour
/// limits use `resume_after_pause_for`, which shifts by wall-clock time.
pub fn resume_after_pause(cal: &WorkingCalendar, due: Timestamp, paused_at: Timestamp, resumed_at: Timestamp) -> Timestamp {
    let paused_for = cal.working_time_between(paused_at, resumed_at);
    cal.add_working_hours(due, paused_for)
}

/// Like `resume_after_pause`, but for a `ClockHours` limit the deadline moves
/// by the wall-clock length of the pause instead of its business time.
pub fn resume_after_pause_for(
    cal: &WorkingCalendar,
    limit: TimeLimit,
    due: Timestamp,
    paused_at: Timestamp,
    resumed_at: Timestamp,
) -> Timestamp {
    if !limit.counts_wall_clock() {
        return resume_after_pause(cal, due, paused_at, resumed_at);
    }
    if resumed_at <= paused_at {
        return due;
    }
    add_saturating(due, resumed_at.duration_since(paused_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn china() -> WorkingCalendar {
        WorkingCalendar::china_default().unwrap()
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn time_limit_serde_table() {
        let cases: &[(TimeLimit, &str)] = &[
            (TimeLimit::WorkingDays(7), r#"{"working_days":7}"#),
            (TimeLimit::WorkingHours(4), r#"{"working_hours":4}"#),
            (TimeLimit::ClockHours(2), r#"{"clock_hours":2}"#),
        ];
        for (limit, json) in cases {
            assert_eq!(serde_json::to_string(limit).unwrap(), *json);
            assert_eq!(serde_json::from_str::<TimeLimit>(json).unwrap(), *limit);
        }
        let bad = [r#"{"days":7}"#, r#"{"working_days":-1}"#, r#""working_days""#, r#"{"clock_hours":1.5}"#];
        for json in bad {
            assert!(serde_json::from_str::<TimeLimit>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn due_at_table() {
        let cal = china();
        let cases: &[(&str, TimeLimit, &str, &str)] = &[
            ("2026-09-28T10:00:00+08:00", TimeLimit::WorkingDays(7), "2026-10-13T10:00:00+08:00", "over National Day"),
            ("2026-02-10T15:00:00+08:00", TimeLimit::WorkingDays(15), "2026-03-09T15:00:00+08:00", "over Spring Festival"),
            ("2026-02-13T10:00:00+08:00", TimeLimit::WorkingDays(1), "2026-02-14T10:00:00+08:00", "make-up Saturday"),
            ("2026-03-07T10:00:00+08:00", TimeLimit::WorkingDays(1), "2026-03-09T10:00:00+08:00", "from a Saturday"),
            ("2026-03-06T10:00:00+08:00", TimeLimit::WorkingDays(0), "2026-03-06T10:00:00+08:00", "zero days"),
            ("2026-02-13T16:00:00+08:00", TimeLimit::WorkingHours(4), "2026-02-14T11:30:00+08:00", "hours into make-up day"),
            ("2026-09-30T16:00:00+08:00", TimeLimit::WorkingHours(2), "2026-10-08T09:30:00+08:00", "hours over National Day"),
            ("2026-03-03T11:00:00+08:00", TimeLimit::WorkingHours(1), "2026-03-03T12:00:00+08:00", "ends at noon"),
            ("2026-10-03T03:00:00+08:00", TimeLimit::ClockHours(2), "2026-10-03T05:00:00+08:00", "clock during holiday"),
            ("2026-03-06T23:00:00+08:00", TimeLimit::ClockHours(2), "2026-03-07T01:00:00+08:00", "clock past midnight"),
            ("2026-03-06T23:00:00+08:00", TimeLimit::ClockHours(0), "2026-03-06T23:00:00+08:00", "zero clock hours"),
        ];
        for (from, limit, expected, why) in cases {
            assert_eq!(due_at(&cal, ts(from), *limit), ts(expected), "{from} + {limit:?}: {why}");
        }
        assert_eq!(due_at(&cal, Timestamp::MAX, TimeLimit::ClockHours(2)), Timestamp::MAX);
    }

    #[test]
    fn warning_at_table() {
        let cal = china();
        // (from, limit, share, expected warning, why); due is computed with due_at.
        let cases: &[(&str, TimeLimit, f64, &str, &str)] = &[
            ("2026-03-02T09:00:00+08:00", TimeLimit::WorkingDays(1), 0.8, "2026-03-02T16:06:00+08:00", "5h36m of 7h"),
            ("2026-09-30T09:00:00+08:00", TimeLimit::WorkingDays(2), 0.5, "2026-09-30T17:30:00+08:00", "half ends at close"),
            ("2026-09-30T09:00:00+08:00", TimeLimit::WorkingDays(2), 0.8, "2026-10-08T14:42:00+08:00", "over National Day"),
            ("2026-02-13T16:00:00+08:00", TimeLimit::WorkingHours(4), 0.5, "2026-02-14T09:30:00+08:00", "hours, make-up day"),
            ("2026-03-07T20:00:00+08:00", TimeLimit::WorkingDays(1), 0.8, "2026-03-09T16:06:00+08:00", "from a Saturday night"),
            ("2026-10-03T00:00:00+08:00", TimeLimit::ClockHours(2), 0.8, "2026-10-03T01:36:00+08:00", "clock hours in a holiday"),
            ("2026-03-02T09:00:00+08:00", TimeLimit::WorkingDays(1), 0.0, "2026-03-02T09:00:00+08:00", "share 0 is from"),
            ("2026-03-02T09:00:00+08:00", TimeLimit::WorkingDays(1), f64::NAN, "2026-03-02T09:00:00+08:00", "NaN is from"),
            ("2026-03-02T09:00:00+08:00", TimeLimit::WorkingDays(1), 1.0, "2026-03-03T09:00:00+08:00", "share 1 is due"),
            ("2026-03-02T09:00:00+08:00", TimeLimit::WorkingDays(1), 7.5, "2026-03-03T09:00:00+08:00", "share above 1 is due"),
            ("2026-03-02T09:00:00+08:00", TimeLimit::WorkingDays(0), 0.8, "2026-03-02T09:00:00+08:00", "zero limit"),
        ];
        for (from, limit, share, expected, why) in cases {
            let from = ts(from);
            let due = due_at(&cal, from, *limit);
            let warning = warning_at(&cal, from, due, *limit, *share);
            assert_eq!(warning, ts(expected), "{from} {limit:?} share {share}: {why}");
            assert!(from <= warning && warning <= due, "{why}");
        }
    }

    #[test]
    fn warning_at_with_due_after_close_stays_before_due() {
        let cal = china();
        // Received Friday 18:00; due Monday 18:00. All 7 business hours lie on
        // Monday, so 99% is reached before 17:30, but a share of 1.0 is the
        // due time itself.
        let from = ts("2026-03-06T18:00:00+08:00");
        let due = due_at(&cal, from, TimeLimit::WorkingDays(1));
        assert_eq!(due, ts("2026-03-09T18:00:00+08:00"));
        let cases: &[(f64, &str)] = &[
            (0.0, "2026-03-06T18:00:00+08:00"),
            (0.5, "2026-03-09T14:00:00+08:00"),
            (0.8, "2026-03-09T16:06:00+08:00"),
            (0.99, "2026-03-09T17:25:48+08:00"),
            (1.0, "2026-03-09T18:00:00+08:00"),
        ];
        for (share, expected) in cases {
            assert_eq!(warning_at(&cal, from, due, TimeLimit::WorkingDays(1), *share), ts(expected), "{share}");
        }
        assert_eq!(warning_at(&cal, due, from, TimeLimit::WorkingDays(1), 0.8), from);
    }

    #[test]
    fn extend_table() {
        let cal = china();
        let cases: &[(&str, TimeLimit, &str)] = &[
            ("2026-09-30T10:00:00+08:00", TimeLimit::WorkingDays(1), "2026-10-08T10:00:00+08:00"),
            ("2026-02-13T17:00:00+08:00", TimeLimit::WorkingDays(30), "2026-04-02T17:00:00+08:00"),
            ("2026-02-14T17:00:00+08:00", TimeLimit::WorkingHours(1), "2026-02-24T09:30:00+08:00"),
            ("2026-10-01T10:00:00+08:00", TimeLimit::ClockHours(24), "2026-10-02T10:00:00+08:00"),
        ];
        for (due, limit, expected) in cases {
            assert_eq!(extend(&cal, ts(due), *limit), ts(expected), "{due} extended by {limit:?}");
        }
    }

    #[test]
    fn resume_after_pause_table() {
        let cal = china();
        // (due, paused_at, resumed_at, expected new due, why)
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            (
                "2026-03-06T10:00:00+08:00",
                "2026-03-02T16:30:00+08:00",
                "2026-03-03T10:00:00+08:00",
                "2026-03-06T12:00:00+08:00",
                "two business hours overnight",
            ),
            (
                "2026-03-06T10:00:00+08:00",
                "2026-03-07T09:00:00+08:00",
                "2026-03-08T18:00:00+08:00",
                "2026-03-06T10:00:00+08:00",
                "weekend pause changes nothing",
            ),
            (
                "2026-03-06T10:00:00+08:00",
                "2026-03-03T12:05:00+08:00",
                "2026-03-03T13:25:00+08:00",
                "2026-03-06T10:00:00+08:00",
                "lunch pause changes nothing",
            ),
            (
                "2026-02-26T10:00:00+08:00",
                "2026-02-13T17:00:00+08:00",
                "2026-02-25T09:00:00+08:00",
                "2026-02-28T10:30:00+08:00",
                "14.5 h over Spring Festival, ends on make-up Saturday",
            ),
            (
                "2026-09-30T16:00:00+08:00",
                "2026-09-29T09:00:00+08:00",
                "2026-09-29T17:30:00+08:00",
                "2026-10-08T16:00:00+08:00",
                "a full day pushes past National Day",
            ),
            (
                "2026-03-06T10:00:00+08:00",
                "2026-03-03T10:00:00+08:00",
                "2026-03-02T10:00:00+08:00",
                "2026-03-06T10:00:00+08:00",
                "resumed before paused",
            ),
            (
                "2026-03-06T17:30:00+08:00",
                "2026-03-09T09:00:00+08:00",
                "2026-03-09T10:00:00+08:00",
                "2026-03-09T10:00:00+08:00",
                "pause after due, due at close",
            ),
        ];
        for (due, paused, resumed, expected, why) in cases {
            assert_eq!(resume_after_pause(&cal, ts(due), ts(paused), ts(resumed)), ts(expected), "{why}");
        }
    }

    #[test]
    fn resume_after_pause_for_clock_limits_uses_wall_time() {
        let cal = china();
        let due = ts("2026-10-03T05:00:00+08:00");
        let cases: &[(TimeLimit, &str, &str, &str)] = &[
            (TimeLimit::ClockHours(2), "2026-10-03T03:10:00+08:00", "2026-10-03T03:40:00+08:00", "2026-10-03T05:30:00+08:00"),
            (TimeLimit::ClockHours(2), "2026-10-03T03:40:00+08:00", "2026-10-03T03:10:00+08:00", "2026-10-03T05:00:00+08:00"),
            // A working-day limit paused during a holiday does not move.
            (TimeLimit::WorkingDays(1), "2026-10-03T03:10:00+08:00", "2026-10-03T03:40:00+08:00", "2026-10-03T05:00:00+08:00"),
        ];
        for (limit, paused, resumed, expected) in cases {
            assert_eq!(resume_after_pause_for(&cal, *limit, due, ts(paused), ts(resumed)), ts(expected), "{limit:?}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const START_SECONDS: i64 = 1_704_038_400;
        const END_SECONDS: i64 = 1_798_732_800;

        fn any_limit() -> impl Strategy<Value = TimeLimit> {
            prop_oneof![
                (0u32..60).prop_map(TimeLimit::WorkingDays),
                (0u32..200).prop_map(TimeLimit::WorkingHours),
                (0u32..200).prop_map(TimeLimit::ClockHours),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn warning_lies_between_from_and_due_and_grows_with_share(
                start in START_SECONDS..END_SECONDS,
                limit in any_limit(),
                low in 0.0f64..=1.0,
                high in 0.0f64..=1.0,
            ) {
                let cal = china();
                let from = Timestamp::from_second(start).unwrap();
                let due = due_at(&cal, from, limit);
                prop_assert!(due >= from);
                let (low, high) = if low <= high { (low, high) } else { (high, low) };
                let early = warning_at(&cal, from, due, limit, low);
                let late = warning_at(&cal, from, due, limit, high);
                prop_assert!(from <= early && early <= late && late <= due);
            }

            #[test]
            fn a_pause_never_moves_the_deadline_earlier(
                due in START_SECONDS..END_SECONDS,
                paused in START_SECONDS..END_SECONDS,
                length in 0i64..(30 * 86_400),
                limit in any_limit(),
            ) {
                let cal = china();
                let due = Timestamp::from_second(due).unwrap();
                let paused_at = Timestamp::from_second(paused).unwrap();
                let resumed_at = paused_at + SignedDuration::from_secs(length);
                let new_due = resume_after_pause_for(&cal, limit, due, paused_at, resumed_at);
                prop_assert!(new_due >= due);
                if !limit.counts_wall_clock() {
                    prop_assert_eq!(
                        cal.working_time_between(due, new_due.max(due)) ,
                        cal.working_time_between(paused_at, resumed_at)
                    );
                }
            }
        }
    }
}
