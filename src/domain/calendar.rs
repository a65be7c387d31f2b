//! Working calendar for Chinese counties: which days are working days, which
//! hours of a working day count as business time, and arithmetic over both.
//!
//! All functions here are pure. Nothing reads a clock or a file at run time;
//! the caller passes every instant in, and the built-in holiday table is
//! embedded into the binary at compile time.
//!
//! A day is a working day when it is a State Council make-up working day
//! (调休上班), or when it is Monday to Friday and not a public holiday.
//! Business time is the union of the `BusinessHours` periods on working days,
//! read in the calendar's time zone (Asia/Shanghai by default).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

/// Expands to the path of the embedded holiday table, relative to this file.
///
/// It is a macro rather than only a const because `include_str!` needs a
/// literal; `HOLIDAY_JSON_PATH` below carries the same text for callers.
macro_rules! holiday_json_path {
    () => {
        "../../data/calendar/cn-holidays-2024-2026.json"
    };
}

/// The path, relative to this source file, of the embedded holiday table.
pub const HOLIDAY_JSON_PATH: &str = holiday_json_path!();

/// The embedded State Council holiday table for 2024 to 2026.
pub const EMBEDDED_HOLIDAY_JSON: &str = include_str!(holiday_json_path!());

/// The IANA name of the time zone every county in the product works in.
pub const CHINA_TIME_ZONE: &str = "Asia/Shanghai";

/// The longest run of consecutive days without business time that a search
/// will walk through before it decides the calendar is absurd (for example,
/// every day marked as a holiday). Ten years is far beyond any real holiday.
pub const MAX_SEARCH_DAYS: u32 = 3660;

/// Errors raised while building a calendar or reading calendar data.
///
/// Every message says what was wrong and, where possible, where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A business-hours string or period list could not be used.
    #[error("invalid business hours \"{input}\": {reason}; expected comma-separated periods such as \"09:00-12:00,13:30-17:30\"")]
    InvalidBusinessHours {
        /// The text that was given (or a rendering of the periods).
        input: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The holiday JSON could not be parsed.
    #[error(
        "holiday JSON is malformed: {0}; expected {{\"timezone\": \"Asia/Shanghai\", \"years\": {{\"2026\": {{\"holidays\": [\"2026-01-01\"], \"adjusted_workdays\": [\"2026-01-04\"]}}}}}}"
    )]
    HolidayJson(String),

    /// The time zone named in the data is not known.
    #[error("unknown time zone \"{name}\": {reason}; use an IANA name such as \"Asia/Shanghai\"")]
    UnknownTimeZone {
        /// The name that was given.
        name: String,
        /// Why it could not be used.
        reason: String,
    },

    /// A date was listed both as a day off and as a make-up working day.
    #[error("date {date} is listed both as a holiday and as a make-up working day; remove it from one of the two lists")]
    ConflictingDay {
        /// The date listed twice.
        date: Date,
    },

    /// The text given as iCalendar is not an iCalendar file at all.
    #[error("the text is not an iCalendar file: its first line must be BEGIN:VCALENDAR (was the JSON holiday table uploaded by mistake?)")]
    NotICalendar,

    /// A problem at a particular line of an iCalendar file.
    #[error("iCalendar line {line}: {message}")]
    Ics {
        /// The 1-based physical line number where the problem starts.
        line: usize,
        /// What is wrong there.
        message: String,
    },
}

/// The hours of a working day that count as business time.
///
/// The periods are ordered, non-empty and do not overlap. Two periods may
/// touch (one ends when the next starts). A period cannot run past midnight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    periods: Vec<(Time, Time)>,
}

impl BusinessHours {
    /// Builds business hours from `(start, end)` periods.
    ///
    /// The periods may be given in any order; they are sorted by start. An
    /// error is returned if the list is empty, if a period does not end after
    /// it starts, or if two periods overlap.
    pub fn new(periods: Vec<(Time, Time)>) -> Result<Self, CalendarError> {
        let mut periods = periods;
        periods.sort();
        let input = render_periods(&periods);
        let invalid = |reason: String| CalendarError::InvalidBusinessHours { input: input.clone(), reason };
        if periods.is_empty() {
            return Err(invalid("at least one period is needed".to_string()));
        }
        for &(start, end) in &periods {
            if end <= start {
                return Err(invalid(format!("period {} must end after it starts", render_period(start, end))));
            }
        }
        for pair in periods.windows(2) {
            let (first_start, first_end) = pair[0];
            let (second_start, second_end) = pair[1];
            if second_start < first_end {
                return Err(invalid(format!(
                    "periods {} and {} overlap",
                    render_period(first_start, first_end),
                    render_period(second_start, second_end)
                )));
            }
        }
        Ok(BusinessHours { periods })
    }

    /// Parses a string such as `"09:00-12:00,13:30-17:30"`.
    ///
    /// Times are `H:MM`, `HH:MM` or `HH:MM:SS` in 24-hour form; spaces around
    /// the separators are allowed. A period cannot end at `24:00`; use
    /// `23:59:59` for the end of the day.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let invalid = |reason: String| CalendarError::InvalidBusinessHours { input: text.to_string(), reason };
        if text.trim().is_empty() {
            return Err(invalid("the text is empty".to_string()));
        }
        let mut periods = Vec::new();
        for piece in text.split(',') {
            let piece = piece.trim();
            let Some((start_text, end_text)) = piece.split_once('-') else {
                return Err(invalid(format!("period \"{piece}\" has no '-' between its start and end")));
            };
            let start = parse_clock_time(start_text.trim()).map_err(&invalid)?;
            let end = parse_clock_time(end_text.trim()).map_err(&invalid)?;
            periods.push((start, end));
        }
        // Re-label errors from `new` with the caller's original text.
        BusinessHours::new(periods).map_err(|error| match error {
            CalendarError::InvalidBusinessHours { reason, .. } => invalid(reason),
            other => other,
        })
    }

    /// The periods, ordered by start time.
    pub fn periods(&self) -> &[(Time, Time)] {
        &self.periods
    }

    /// The total business time in one working day.
    pub fn daily_duration(&self) -> SignedDuration {
        let mut total = SignedDuration::ZERO;
        for &(start, end) in &self.periods {
            total += end.duration_since(start);
        }
        total
    }
}

impl Default for BusinessHours {
    /// The usual government office hours: 09:00–12:00 and 13:30–17:30.
    fn default() -> Self {
        BusinessHours {
            periods: vec![
                (Time::constant(9, 0, 0, 0), Time::constant(12, 0, 0, 0)),
                (Time::constant(13, 30, 0, 0), Time::constant(17, 30, 0, 0)),
            ],
        }
    }
}

impl FromStr for BusinessHours {
    type Err = CalendarError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        BusinessHours::parse(text)
    }
}

impl fmt::Display for BusinessHours {
    /// Renders the periods in the same form `parse` accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render_periods(&self.periods))
    }
}

/// Parses `H:MM`, `HH:MM` or `HH:MM:SS`, returning a reason on failure.
fn parse_clock_time(text: &str) -> Result<Time, String> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!("time \"{text}\" is not in HH:MM form"));
    }
    let mut numbers = [0i8; 3];
    for (index, part) in parts.iter().enumerate() {
        let digits_ok = !part.is_empty() && part.len() <= 2 && part.bytes().all(|b| b.is_ascii_digit());
        let minutes_or_seconds_ok = index == 0 || part.len() == 2;
        if !digits_ok || !minutes_or_seconds_ok {
            return Err(format!("time \"{text}\" is not in HH:MM form"));
        }
        match part.parse::<i8>() {
            Ok(number) => numbers[index] = number,
            Err(_) => return Err(format!("time \"{text}\" is not in HH:MM form")),
        }
    }
    Time::new(numbers[0], numbers[1], numbers[2], 0)
        .map_err(|_| format!("time \"{text}\" is out of range (hours 0-23, minutes and seconds 0-59)"))
}

fn render_time(time: Time) -> String {
    if time.second() == 0 && time.subsec_nanosecond() == 0 {
        format!("{:02}:{:02}", time.hour(), time.minute())
    } else {
        format!("{:02}:{:02}:{:02}", time.hour(), time.minute(), time.second())
    }
}

fn render_period(start: Time, end: Time) -> String {
    format!("{}-{}", render_time(start), render_time(end))
}

fn render_periods(periods: &[(Time, Time)]) -> String {
    let rendered: Vec<String> = periods.iter().map(|&(start, end)| render_period(start, end)).collect();
    rendered.join(",")
}

/// Whether an imported day is a day off or a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DayKind {
    /// A day off (休), even if it falls on a weekday.
    Off,
    /// A working day (班), even if it falls on a weekend.
    Working,
}

/// One day imported from a published calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    /// The local calendar date.
    pub date: Date,
    /// Whether the day is off or working.
    pub kind: DayKind,
    /// The name of the holiday, for example "春节", without the (休)/(班) mark.
    pub name: String,
}

/// The JSON holiday table: `{"timezone": ..., "years": {"2026": {...}}}`.
#[derive(Debug, Deserialize)]
struct HolidayTable {
    #[serde(default)]
    timezone: Option<String>,
    years: BTreeMap<String, HolidayYear>,
}

/// One year of the JSON holiday table.
#[derive(Debug, Deserialize)]
struct HolidayYear {
    #[serde(default)]
    holidays: Vec<Date>,
    #[serde(default)]
    adjusted_workdays: Vec<Date>,
}

/// Working days, business hours and the time zone they are read in.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingCalendar {
    holidays: BTreeSet<Date>,
    makeup_workdays: BTreeSet<Date>,
    hours: BusinessHours,
    tz: TimeZone,
}

impl WorkingCalendar {
    /// Builds a calendar from explicit parts.
    ///
    /// Returns `ConflictingDay` if a date is both a holiday and a make-up
    /// working day.
    pub fn new(
        holidays: BTreeSet<Date>,
        makeup_workdays: BTreeSet<Date>,
        hours: BusinessHours,
        tz: TimeZone,
    ) -> Result<Self, CalendarError> {
        if let Some(date) = holidays.intersection(&makeup_workdays).next() {
            return Err(CalendarError::ConflictingDay { date: *date });
        }
        Ok(WorkingCalendar { holidays, makeup_workdays, hours, tz })
    }

    /// The built-in calendar: the embedded 2024–2026 State Council holiday
    /// table, default business hours and Asia/Shanghai time.
    ///
    /// The embedded table is checked by this module's tests, so an error here
    /// means the data file was edited into an invalid state before building.
    pub fn china_default() -> Result<Self, CalendarError> {
        WorkingCalendar::from_holiday_json(EMBEDDED_HOLIDAY_JSON)
    }

    /// Builds a calendar from a holiday table in the embedded JSON format,
    /// with default business hours.
    ///
    /// The optional `timezone` field names the time zone; without it the
    /// calendar uses Asia/Shanghai. The year keys only group the dates and are
    /// not checked against them.
    pub fn from_holiday_json(text: &str) -> Result<Self, CalendarError> {
        let table: HolidayTable = serde_json::from_str(text).map_err(|error| CalendarError::HolidayJson(error.to_string()))?;
        let tz = match table.timezone.as_deref() {
            None => china_time_zone(),
            Some(name) => {
                TimeZone::get(name).map_err(|error| CalendarError::UnknownTimeZone { name: name.to_string(), reason: error.to_string() })?
            }
        };
        let mut holidays = BTreeSet::new();
        let mut makeup_workdays = BTreeSet::new();
        for year in table.years.values() {
            holidays.extend(year.holidays.iter().copied());
            makeup_workdays.extend(year.adjusted_workdays.iter().copied());
        }
        WorkingCalendar::new(holidays, makeup_workdays, BusinessHours::default(), tz)
    }

    /// Returns this calendar with different business hours.
    pub fn with_hours(mut self, hours: BusinessHours) -> Self {
        self.hours = hours;
        self
    }

    /// Applies imported days on top of the calendar.
    ///
    /// An imported day overrides whatever the calendar said about that date:
    /// an `Off` day becomes a holiday (and stops being a make-up day), a
    /// `Working` day becomes a make-up working day (and stops being a
    /// holiday). If the list names the same date twice, the later entry wins.
    pub fn merge_days(&mut self, days: &[CalendarDay]) {
        for day in days {
            match day.kind {
                DayKind::Off => {
                    self.makeup_workdays.remove(&day.date);
                    self.holidays.insert(day.date);
                }
                DayKind::Working => {
                    self.holidays.remove(&day.date);
                    self.makeup_workdays.insert(day.date);
                }
            }
        }
    }

    /// Whether `date` is a working day: make-up days are, holidays and
    /// weekends are not, every other day is.
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.makeup_workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// Dates that are days off although they may fall on a weekday.
    pub fn holidays(&self) -> &BTreeSet<Date> {
        &self.holidays
    }

    /// Dates that are working days although they may fall on a weekend.
    pub fn makeup_workdays(&self) -> &BTreeSet<Date> {
        &self.makeup_workdays
    }

    /// The business hours of a working day.
    pub fn hours(&self) -> &BusinessHours {
        &self.hours
    }

    /// The time zone in which dates and business hours are read.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The local date of an instant in this calendar's time zone.
    pub fn local_date(&self, instant: Timestamp) -> Date {
        instant.to_zoned(self.tz.clone()).date()
    }

    /// Adds `n` working days: the result has the same local time of day as
    /// `from`, on the `n`-th working day strictly after `from`'s local date.
    /// `n == 0` returns `from` unchanged.
    ///
    /// The local time of day is kept even when it lies outside business
    /// hours (a case received at 20:00 is due at 20:00).
    ///
    /// If the calendar has no working day within `MAX_SEARCH_DAYS`
    /// consecutive days (an absurd calendar, such as every day marked off),
    /// the search stops and `n` calendar days are added to `from` instead, as
    /// if every day were a working day. An absurd calendar thus gives an early
    /// deadline that people notice, never a loop or a panic. If the date range
    /// of `jiff` is exhausted, `Timestamp::MAX` is returned.
    pub fn add_working_days(&self, from: Timestamp, n: u32) -> Timestamp {
        if n == 0 {
            return from;
        }
        let local = from.to_zoned(self.tz.clone());
        let time = local.time();
        let mut date = local.date();
        let mut counted: u32 = 0;
        let mut days_without_work: u32 = 0;
        while counted < n {
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => return Timestamp::MAX,
            };
            if self.is_working_day(date) {
                counted += 1;
                days_without_work = 0;
            } else {
                days_without_work += 1;
                if days_without_work > MAX_SEARCH_DAYS {
                    return self.add_calendar_days(local.date(), time, n);
                }
            }
        }
        self.local_instant(date, time).unwrap_or(Timestamp::MAX)
    }

    /// The fallback of `add_working_days`: the same local time `n` calendar
    /// days after `date`.
    fn add_calendar_days(&self, date: Date, time: Time, n: u32) -> Timestamp {
        let target = date.checked_add(jiff::Span::new().days(i64::from(n)));
        match target {
            Ok(target) => self.local_instant(target, time).unwrap_or(Timestamp::MAX),
            Err(_) => Timestamp::MAX,
        }
    }

    /// Adds `duration` of business time to `from`.
    ///
    /// Only business periods on working days are counted. If `from` lies
    /// outside business time, counting starts at the next business period.
    /// If the count ends exactly at the end of a period, that end is returned
    /// (12:00, not 13:30). A zero or negative duration returns `from`
    /// unchanged.
    ///
    /// If no business time is found within `MAX_SEARCH_DAYS` consecutive days
    /// (an absurd calendar), the search stops and `duration` is added to
    /// `from` as wall-clock time, as if business time never stopped. An
    /// absurd calendar thus gives an early deadline, never a loop or a panic.
    pub fn add_working_hours(&self, from: Timestamp, duration: SignedDuration) -> Timestamp {
        if !duration.is_positive() {
            return from;
        }
        let mut remaining = duration;
        let mut cursor = from;
        let mut date = self.local_date(from);
        let mut days_without_work: u32 = 0;
        loop {
            let mut found_time_today = false;
            for (start, end) in self.business_periods_on(date) {
                if end <= cursor {
                    continue;
                }
                found_time_today = true;
                let segment_start = if start > cursor { start } else { cursor };
                let available = end.duration_since(segment_start);
                if remaining <= available {
                    return add_saturating(segment_start, remaining);
                }
                remaining -= available;
                cursor = end;
            }
            if found_time_today {
                days_without_work = 0;
            } else {
                days_without_work += 1;
                if days_without_work > MAX_SEARCH_DAYS {
                    return add_saturating(from, duration);
                }
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => return Timestamp::MAX,
            };
        }
    }

    /// The business time that elapses between `a` and `b`; zero if `b` is
    /// not after `a`.
    pub fn working_time_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        if b <= a {
            return SignedDuration::ZERO;
        }
        let mut total = SignedDuration::ZERO;
        let mut date = self.local_date(a);
        let last_date = self.local_date(b);
        while date <= last_date {
            for (start, end) in self.business_periods_on(date) {
                let overlap_start = if start > a { start } else { a };
                let overlap_end = if end < b { end } else { b };
                if overlap_end > overlap_start {
                    total += overlap_end.duration_since(overlap_start);
                }
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        total
    }

    /// The business periods on `date` as instants; empty on non-working days.
    /// A period whose bounds cannot be represented is skipped.
    fn business_periods_on(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if !self.is_working_day(date) {
            return Vec::new();
        }
        let mut periods = Vec::with_capacity(self.hours.periods.len());
        for &(start, end) in &self.hours.periods {
            let start_instant = self.local_instant(date, start);
            let end_instant = self.local_instant(date, end);
            if let (Some(start_instant), Some(end_instant)) = (start_instant, end_instant)
                && end_instant > start_instant
            {
                periods.push((start_instant, end_instant));
            }
        }
        periods
    }

    /// The instant of a local date and time. A time skipped by a daylight
    /// saving change is moved forward, a repeated one takes the earlier
    /// instant (jiff's "compatible" rule). `None` only outside jiff's range.
    fn local_instant(&self, date: Date, time: Time) -> Option<Timestamp> {
        self.tz.to_timestamp(DateTime::from_parts(date, time)).ok()
    }
}

/// Asia/Shanghai from the bundled database; if it were ever missing, a fixed
/// +08:00 offset, which is the same thing for every date since 1992.
fn china_time_zone() -> TimeZone {
    match TimeZone::get(CHINA_TIME_ZONE) {
        Ok(tz) => tz,
        Err(_) => TimeZone::fixed(Offset::constant(8)),
    }
}

/// Adds a duration, clamping at the ends of the representable range.
pub(crate) fn add_saturating(instant: Timestamp, duration: SignedDuration) -> Timestamp {
    match instant.checked_add(duration) {
        Ok(result) => result,
        Err(_) if duration.is_negative() => Timestamp::MIN,
        Err(_) => Timestamp::MAX,
    }
}

/// Parses iCalendar text as calendar apps publish it and returns the days
/// marked (休) as `Off` and (班) as `Working`.
///
/// Handled: CRLF or LF line ends, a leading byte-order mark, RFC 5545 line
/// folding (a line starting with a space or tab continues the previous one),
/// text escapes in SUMMARY, and `DTSTART`/`DTEND` as `;VALUE=DATE:YYYYMMDD`,
/// `:YYYYMMDD` or `:YYYYMMDDTHHMMSS` (with or without a TZID parameter). A
/// date-time ending in `Z` is UTC and is converted to the China date
/// (UTC+8). `DTEND` is exclusive, so an event from 20261001 to 20261008
/// yields seven days; without `DTEND` (or with one not after `DTSTART`) an
/// event covers its start date only.
///
/// A SUMMARY ending in `(休)` or `（休）` marks days off, one ending in `(班)`
/// or `（班）` marks working days; any other event is ignored, and its dates
/// are not checked. Days are returned in file order, expanded day by day;
/// a date may appear more than once.
pub fn parse_ics(text: &str) -> Result<Vec<CalendarDay>, CalendarError> {
    let lines = unfold_ics_lines(text)?;
    match lines.iter().find(|line| !line.text.trim().is_empty()) {
        Some(first) if first.text.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") => {}
        _ => return Err(CalendarError::NotICalendar),
    }

    let mut days = Vec::new();
    let mut event: Option<PendingEvent> = None;
    // Depth of components nested inside the current VEVENT, such as VALARM.
    let mut nested_depth: usize = 0;

    for line in &lines {
        if line.text.trim().is_empty() {
            continue;
        }
        let property = split_property(&line.text).ok_or_else(|| CalendarError::Ics {
            line: line.number,
            message: format!("\"{}\" is not a NAME:VALUE line", shorten(&line.text)),
        })?;
        let value_upper = property.value.trim().to_ascii_uppercase();
        match (property.name.as_str(), event.as_mut()) {
            ("BEGIN", None) if value_upper == "VEVENT" => {
                event = Some(PendingEvent::new(line.number));
                nested_depth = 0;
            }
            ("BEGIN", Some(_)) => {
                if value_upper == "VEVENT" {
                    return Err(CalendarError::Ics {
                        line: line.number,
                        message: "BEGIN:VEVENT inside another VEVENT; an END:VEVENT is missing before it".to_string(),
                    });
                }
                nested_depth += 1;
            }
            ("END", Some(pending)) if value_upper == "VEVENT" && nested_depth == 0 => {
                if let Some(kind_and_name) = pending.classify() {
                    days.extend(pending.expand(kind_and_name)?);
                }
                event = None;
            }
            ("END", Some(_)) => {
                nested_depth = nested_depth.saturating_sub(1);
            }
            ("END", None) if value_upper == "VEVENT" => {
                return Err(CalendarError::Ics { line: line.number, message: "END:VEVENT without a matching BEGIN:VEVENT".to_string() });
            }
            (_, Some(pending)) if nested_depth == 0 => {
                pending.record(&property, line.number);
            }
            _ => {}
        }
    }

    if let Some(pending) = event {
        return Err(CalendarError::Ics {
            line: pending.begin_line,
            message: "BEGIN:VEVENT has no matching END:VEVENT (is the file truncated?)".to_string(),
        });
    }
    Ok(days)
}

/// One logical (unfolded) line and the physical line it starts on.
struct IcsLine {
    number: usize,
    text: String,
}

/// Splits text into lines, accepting CRLF or LF, and joins folded lines.
fn unfold_ics_lines(text: &str) -> Result<Vec<IcsLine>, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<IcsLine> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let number = index + 1;
        if let Some(rest) = raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')) {
            match lines.last_mut() {
                Some(previous) => previous.text.push_str(rest),
                None => {
                    return Err(CalendarError::Ics {
                        line: number,
                        message: "a continuation line (starting with a space or tab) has no line before it".to_string(),
                    });
                }
            }
        } else {
            lines.push(IcsLine { number, text: raw.to_string() });
        }
    }
    Ok(lines)
}

/// A content line split into its upper-cased name, parameters and value.
struct IcsProperty {
    name: String,
    params: Vec<String>,
    value: String,
}

/// Splits `NAME;PARAM=X:VALUE`. The first colon outside double quotes ends
/// the name and parameters. Returns `None` if there is no such colon.
fn split_property(line: &str) -> Option<IcsProperty> {
    let mut in_quotes = false;
    let mut colon_at = None;
    for (index, character) in line.char_indices() {
        match character {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                colon_at = Some(index);
                break;
            }
            _ => {}
        }
    }
    let colon_at = colon_at?;
    let head = &line[..colon_at];
    let value = &line[colon_at + 1..];
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or("").trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts.map(|param| param.trim().to_ascii_uppercase()).collect();
    Some(IcsProperty { name, params, value: value.to_string() })
}

/// A DTSTART or DTEND value with the line it came from.
struct IcsDateValue {
    line: usize,
    raw: String,
    value_is_date: bool,
}

/// The properties of a VEVENT collected so far.
struct PendingEvent {
    begin_line: usize,
    summary: Option<String>,
    start: Option<IcsDateValue>,
    end: Option<IcsDateValue>,
}

/// Refuse to expand a single event into more days than this; a longer
/// holiday is almost certainly a typing mistake in DTEND.
const MAX_EVENT_DAYS: i64 = 366;

impl PendingEvent {
    fn new(begin_line: usize) -> Self {
        PendingEvent { begin_line, summary: None, start: None, end: None }
    }

    fn record(&mut self, property: &IcsProperty, line: usize) {
        let value_is_date = property.params.iter().any(|param| param == "VALUE=DATE");
        let date_value = || IcsDateValue { line, raw: property.value.trim().to_string(), value_is_date };
        match property.name.as_str() {
            "SUMMARY" => self.summary = Some(unescape_ics_text(&property.value)),
            "DTSTART" => self.start = Some(date_value()),
            "DTEND" => self.end = Some(date_value()),
            _ => {}
        }
    }

    /// The kind and holiday name from the SUMMARY mark, if it has one.
    fn classify(&self) -> Option<(DayKind, String)> {
        let summary = self.summary.as_deref()?.trim();
        let marks = [("(休)", DayKind::Off), ("（休）", DayKind::Off), ("(班)", DayKind::Working), ("（班）", DayKind::Working)];
        for (mark, kind) in marks {
            if let Some(name) = summary.strip_suffix(mark) {
                return Some((kind, name.trim().to_string()));
            }
        }
        None
    }

    /// Every date the event covers, as calendar days.
    fn expand(&self, (kind, name): (DayKind, String)) -> Result<Vec<CalendarDay>, CalendarError> {
        let Some(start_value) = &self.start else {
            return Err(CalendarError::Ics {
                line: self.begin_line,
                message: format!("event \"{}\" has no DTSTART", self.summary.as_deref().unwrap_or("")),
            });
        };
        let (start_date, _) = parse_ics_date(start_value)?;
        // The last date covered, inclusive.
        let mut last_date = start_date;
        if let Some(end_value) = &self.end {
            let (end_date, end_has_time_after_midnight) = parse_ics_date(end_value)?;
            if end_date < start_date {
                return Err(CalendarError::Ics {
                    line: end_value.line,
                    message: format!("DTEND {} is before DTSTART {} (line {})", end_value.raw, start_value.raw, start_value.line),
                });
            }
            // DTEND is exclusive: an end at midnight does not cover its date,
            // an end later in the day does.
            let inclusive_end = if end_has_time_after_midnight { Ok(end_date) } else { end_date.yesterday() };
            if let Ok(inclusive_end) = inclusive_end
                && inclusive_end > last_date
            {
                last_date = inclusive_end;
            }
            let span_days = i64::from(last_date.since(start_date).map(|span| span.get_days()).unwrap_or(0)) + 1;
            if span_days > MAX_EVENT_DAYS {
                return Err(CalendarError::Ics {
                    line: end_value.line,
                    message: format!("event \"{name}\" spans {span_days} days, more than {MAX_EVENT_DAYS}; check DTEND {}", end_value.raw),
                });
            }
        }
        let mut days = Vec::new();
        let mut date = start_date;
        loop {
            days.push(CalendarDay { date, kind, name: name.clone() });
            if date >= last_date {
                break;
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        Ok(days)
    }
}

/// Parses `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ`.
///
/// Returns the local date and whether the value has a time of day after
/// midnight. A trailing `Z` means UTC, converted to China time (UTC+8).
fn parse_ics_date(value: &IcsDateValue) -> Result<(Date, bool), CalendarError> {
    let error = || CalendarError::Ics {
        line: value.line,
        message: format!("\"{}\" is not a date; expected YYYYMMDD or YYYYMMDDTHHMMSS", shorten(&value.raw)),
    };
    let raw = value.raw.as_str();
    let (date_part, time_part) = match raw.split_once(['T', 't']) {
        Some((date_part, time_part)) => (date_part, Some(time_part)),
        None => (raw, None),
    };
    if value.value_is_date && time_part.is_some() {
        return Err(error());
    }
    let date = parse_digits_date(date_part).ok_or_else(error)?;
    let Some(time_part) = time_part else {
        return Ok((date, false));
    };
    let (time_digits, is_utc) = match time_part.strip_suffix(['Z', 'z']) {
        Some(digits) => (digits, true),
        None => (time_part, false),
    };
    let time = parse_digits_time(time_digits).ok_or_else(error)?;
    let mut local = DateTime::from_parts(date, time);
    if is_utc {
        local = local.checked_add(SignedDuration::from_hours(8)).map_err(|_| error())?;
    }
    Ok((local.date(), local.time() != Time::midnight()))
}

fn parse_digits_date(text: &str) -> Option<Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = text[0..4].parse::<i16>().ok()?;
    let month = text[4..6].parse::<i8>().ok()?;
    let day = text[6..8].parse::<i8>().ok()?;
    Date::new(year, month, day).ok()
}

fn parse_digits_time(text: &str) -> Option<Time> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour = text[0..2].parse::<i8>().ok()?;
    let minute = text[2..4].parse::<i8>().ok()?;
    let second = text[4..6].parse::<i8>().ok()?;
    Time::new(hour, minute, second, 0).ok()
}

/// Undoes iCalendar TEXT escapes: `\\`, `\;`, `\,`, `\n` and `\N`.
fn unescape_ics_text(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            result.push(character);
            continue;
        }
        match characters.next() {
            Some('n') | Some('N') => result.push('\n'),
            Some(other) => result.push(other),
            None => result.push('\\'),
        }
    }
    result
}

/// The first 60 characters of a line, for error messages.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const ICS_FIXTURE: &str = include_str!("../../data/calendar/cn-holidays.ics");

    fn china() -> WorkingCalendar {
        WorkingCalendar::china_default().unwrap()
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn hm(hours: i64, minutes: i64) -> SignedDuration {
        SignedDuration::from_hours(hours) + SignedDuration::from_mins(minutes)
    }

    fn t(hour: i8, minute: i8) -> Time {
        Time::constant(hour, minute, 0, 0)
    }

    #[test]
    fn embedded_path_constant_matches_the_macro() {
        assert_eq!(HOLIDAY_JSON_PATH, "../../data/calendar/cn-holidays-2024-2026.json");
        assert!(EMBEDDED_HOLIDAY_JSON.contains("\"years\""));
    }

    #[test]
    fn china_default_loads_embedded_data() {
        let cal = china();
        assert_eq!(cal.time_zone().iana_name(), Some("Asia/Shanghai"));
        assert_eq!(cal.hours(), &BusinessHours::default());
        assert_eq!(cal.holidays().len(), 28 + 28 + 33);
        assert_eq!(cal.makeup_workdays().len(), 8 + 5 + 6);
    }

    #[test]
    fn business_hours_parse_accepts_valid_text() {
        let cases: &[(&str, &[(Time, Time)])] = &[
            ("09:00-12:00,13:30-17:30", &[(t(9, 0), t(12, 0)), (t(13, 30), t(17, 30))]),
            (" 9:00 - 12:00 , 13:30-17:30 ", &[(t(9, 0), t(12, 0)), (t(13, 30), t(17, 30))]),
            ("13:30-17:30,09:00-12:00", &[(t(9, 0), t(12, 0)), (t(13, 30), t(17, 30))]),
            ("08:30-17:00", &[(t(8, 30), t(17, 0))]),
            ("09:00-12:00,12:00-13:00", &[(t(9, 0), t(12, 0)), (t(12, 0), t(13, 0))]),
            ("00:00-23:59:59", &[(t(0, 0), Time::constant(23, 59, 59, 0))]),
        ];
        for (text, expected) in cases {
            let hours = BusinessHours::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(hours.periods(), *expected, "{text}");
        }
    }

    #[test]
    fn business_hours_parse_rejects_invalid_text() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("   ", "empty"),
            ("09:00", "no '-'"),
            ("12:00-09:00", "must end after it starts"),
            ("09:00-09:00", "must end after it starts"),
            ("09:00-12:00,11:00-13:00", "overlap"),
            ("25:00-26:00", "out of range"),
            ("09:60-10:00", "out of range"),
            ("9-10", "HH:MM"),
            ("09:00-12:0", "HH:MM"),
            ("09:00-24:00", "out of range"),
            ("09:00-12:00,", "no '-'"),
            ("a:bc-12:00", "HH:MM"),
        ];
        for (text, needle) in cases {
            let error = BusinessHours::parse(text).expect_err(text);
            let message = error.to_string();
            assert!(message.contains(needle), "{text}: {message}");
            assert!(message.contains("09:00-12:00,13:30-17:30"), "{text}: {message}");
        }
    }

    #[test]
    fn business_hours_display_round_trips_and_sums() {
        let hours = BusinessHours::default();
        assert_eq!(hours.to_string(), "09:00-12:00,13:30-17:30");
        assert_eq!(hours.to_string().parse::<BusinessHours>().unwrap(), hours);
        assert_eq!(hours.daily_duration(), hm(7, 0));
        assert!(BusinessHours::new(Vec::new()).is_err());
    }

    #[test]
    fn working_day_table() {
        let cal = china();
        let cases: &[(&str, bool, &str)] = &[
            ("2026-02-13", true, "Friday before Spring Festival"),
            ("2026-02-14", true, "Saturday make-up day"),
            ("2026-02-15", false, "Spring Festival, Sunday"),
            ("2026-02-16", false, "Spring Festival, Monday"),
            ("2026-02-23", false, "Spring Festival, last day"),
            ("2026-02-24", true, "first day back"),
            ("2026-02-28", true, "Saturday make-up day"),
            ("2026-03-01", false, "ordinary Sunday"),
            ("2026-03-07", false, "ordinary Saturday"),
            ("2026-03-09", true, "ordinary Monday"),
            ("2026-09-20", true, "Sunday make-up day for National Day"),
            ("2026-09-25", false, "Mid-Autumn Festival, Friday"),
            ("2026-09-30", true, "Wednesday before National Day"),
            ("2026-10-01", false, "National Day"),
            ("2026-10-07", false, "National Day, last day"),
            ("2026-10-08", true, "first day back"),
            ("2026-10-10", true, "Saturday make-up day"),
            ("2026-01-04", true, "Sunday make-up day for New Year"),
            ("2025-10-08", false, "National Day 2025, last day"),
            ("2024-02-18", true, "Sunday make-up day 2024"),
            ("2027-01-01", true, "outside the table: a Friday counts as working"),
        ];
        for (text, expected, why) in cases {
            assert_eq!(cal.is_working_day(d(text)), *expected, "{text}: {why}");
        }
    }

    #[test]
    fn from_holiday_json_table() {
        let ok = r#"{"years": {"2030": {"holidays": ["2030-01-01"], "adjusted_workdays": ["2030-01-05"]}}}"#;
        let cal = WorkingCalendar::from_holiday_json(ok).unwrap();
        assert_eq!(cal.time_zone().iana_name(), Some("Asia/Shanghai"));
        assert!(!cal.is_working_day(d("2030-01-01")));
        assert!(cal.is_working_day(d("2030-01-05")));

        let only_holidays = r#"{"timezone": "Asia/Urumqi", "years": {"2030": {"holidays": ["2030-01-02"]}}}"#;
        let cal = WorkingCalendar::from_holiday_json(only_holidays).unwrap();
        assert_eq!(cal.time_zone().iana_name(), Some("Asia/Urumqi"));
        assert!(cal.makeup_workdays().is_empty());

        let failures: &[(&str, &str)] = &[
            ("not json", "holiday JSON is malformed"),
            (r#"{"years": {"2030": {"holidays": ["2030-02-30"]}}}"#, "holiday JSON is malformed"),
            (r#"{"holidays": []}"#, "years"),
            (r#"{"timezone": "Mars/Olympus", "years": {}}"#, "unknown time zone \"Mars/Olympus\""),
            (r#"{"years": {"2030": {"holidays": ["2030-01-05"], "adjusted_workdays": ["2030-01-05"]}}}"#, "2030-01-05 is listed both"),
        ];
        for (text, needle) in failures {
            let message = WorkingCalendar::from_holiday_json(text).expect_err(text).to_string();
            assert!(message.contains(needle), "{text}: {message}");
        }
    }

    #[test]
    fn merge_days_overrides_the_table() {
        let mut cal = china();
        cal.merge_days(&[
            CalendarDay { date: d("2026-03-10"), kind: DayKind::Off, name: "县庆".into() },
            CalendarDay { date: d("2026-03-15"), kind: DayKind::Working, name: "补班".into() },
            CalendarDay { date: d("2026-02-14"), kind: DayKind::Off, name: "改休".into() },
            CalendarDay { date: d("2026-10-05"), kind: DayKind::Working, name: "改班".into() },
            CalendarDay { date: d("2026-03-11"), kind: DayKind::Off, name: "first".into() },
            CalendarDay { date: d("2026-03-11"), kind: DayKind::Working, name: "later wins".into() },
        ]);
        let cases: &[(&str, bool)] =
            &[("2026-03-10", false), ("2026-03-15", true), ("2026-02-14", false), ("2026-10-05", true), ("2026-03-11", true)];
        for (text, expected) in cases {
            assert_eq!(cal.is_working_day(d(text)), *expected, "{text}");
        }
        assert!(!cal.makeup_workdays().contains(&d("2026-02-14")));
        assert!(!cal.holidays().contains(&d("2026-10-05")));
    }

    #[test]
    fn new_rejects_a_date_in_both_sets() {
        let both: BTreeSet<Date> = [date(2030, 1, 5)].into_iter().collect();
        let error = WorkingCalendar::new(both.clone(), both, BusinessHours::default(), TimeZone::UTC).unwrap_err();
        assert_eq!(error, CalendarError::ConflictingDay { date: date(2030, 1, 5) });
    }

    #[test]
    fn add_working_days_table() {
        let cal = china();
        let cases: &[(&str, u32, &str)] = &[
            ("2026-02-13T10:00:00+08:00", 0, "2026-02-13T10:00:00+08:00"),
            ("2026-02-13T10:00:00+08:00", 1, "2026-02-14T10:00:00+08:00"),
            ("2026-02-13T10:00:00+08:00", 2, "2026-02-24T10:00:00+08:00"),
            ("2026-02-13T10:00:00+08:00", 3, "2026-02-25T10:00:00+08:00"),
            ("2026-02-14T16:45:00+08:00", 1, "2026-02-24T16:45:00+08:00"),
            ("2026-02-27T09:00:00+08:00", 1, "2026-02-28T09:00:00+08:00"),
            ("2026-02-27T09:00:00+08:00", 2, "2026-03-02T09:00:00+08:00"),
            ("2026-09-30T10:00:00+08:00", 1, "2026-10-08T10:00:00+08:00"),
            ("2026-09-30T10:00:00+08:00", 3, "2026-10-10T10:00:00+08:00"),
            ("2026-09-30T10:00:00+08:00", 4, "2026-10-12T10:00:00+08:00"),
            ("2026-09-24T10:00:00+08:00", 1, "2026-09-28T10:00:00+08:00"),
            ("2026-09-19T10:00:00+08:00", 1, "2026-09-20T10:00:00+08:00"),
            ("2026-10-03T20:00:00+08:00", 1, "2026-10-08T20:00:00+08:00"),
            ("2026-03-06T17:30:00+08:00", 1, "2026-03-09T17:30:00+08:00"),
            ("2026-03-07T11:00:00+08:00", 5, "2026-03-13T11:00:00+08:00"),
            // 23:30 UTC on 2026-03-05 is 07:30 on Friday 2026-03-06 in China.
            ("2026-03-05T23:30:00Z", 1, "2026-03-09T07:30:00+08:00"),
        ];
        for (from, n, expected) in cases {
            assert_eq!(cal.add_working_days(ts(from), *n), ts(expected), "{from} + {n} working days");
        }
    }

    #[test]
    fn add_working_hours_table() {
        let cal = china();
        let cases: &[(&str, SignedDuration, &str, &str)] = &[
            ("2026-03-03T11:59:00+08:00", hm(0, 2), "2026-03-03T13:31:00+08:00", "11:59 + 2 min skips lunch"),
            ("2026-03-03T11:00:00+08:00", hm(1, 0), "2026-03-03T12:00:00+08:00", "ends exactly at 12:00"),
            ("2026-03-03T12:00:00+08:00", hm(0, 30), "2026-03-03T14:00:00+08:00", "from 12:00 exactly"),
            ("2026-03-03T12:30:00+08:00", hm(1, 0), "2026-03-03T14:30:00+08:00", "from lunch break"),
            ("2026-03-03T13:30:00+08:00", hm(4, 0), "2026-03-03T17:30:00+08:00", "ends exactly at 17:30"),
            ("2026-03-03T17:30:00+08:00", hm(1, 0), "2026-03-04T10:00:00+08:00", "from 17:30 exactly"),
            ("2026-03-03T17:00:00+08:00", hm(0, 30), "2026-03-03T17:30:00+08:00", "last half hour"),
            ("2026-03-03T08:00:00+08:00", hm(1, 0), "2026-03-03T10:00:00+08:00", "before opening"),
            ("2026-03-03T20:00:00+08:00", hm(1, 0), "2026-03-04T10:00:00+08:00", "evening"),
            ("2026-03-03T09:00:00+08:00", hm(7, 0), "2026-03-03T17:30:00+08:00", "one full day"),
            ("2026-03-03T17:30:00+08:00", hm(7, 0), "2026-03-04T17:30:00+08:00", "one full day from close"),
            ("2026-03-06T16:00:00+08:00", hm(2, 0), "2026-03-09T09:30:00+08:00", "over a weekend"),
            ("2026-03-07T10:00:00+08:00", hm(1, 0), "2026-03-09T10:00:00+08:00", "from a Saturday"),
            ("2026-02-13T16:00:00+08:00", hm(2, 0), "2026-02-14T09:30:00+08:00", "into a make-up Saturday"),
            ("2026-02-14T17:00:00+08:00", hm(1, 0), "2026-02-24T09:30:00+08:00", "over Spring Festival"),
            ("2026-02-18T10:00:00+08:00", hm(0, 1), "2026-02-24T09:01:00+08:00", "from inside Spring Festival"),
            ("2026-09-30T17:00:00+08:00", hm(2, 0), "2026-10-08T10:30:00+08:00", "over National Day"),
            ("2026-10-03T10:00:00+08:00", hm(14, 0), "2026-10-09T17:30:00+08:00", "from inside National Day"),
            ("2026-03-07T03:00:00+08:00", hm(0, 0), "2026-03-07T03:00:00+08:00", "zero is unchanged"),
            ("2026-03-07T03:00:00+08:00", hm(-1, 0), "2026-03-07T03:00:00+08:00", "negative is unchanged"),
        ];
        for (from, duration, expected, why) in cases {
            assert_eq!(cal.add_working_hours(ts(from), *duration), ts(expected), "{from} + {duration}: {why}");
        }
    }

    #[test]
    fn working_time_between_table() {
        let cal = china();
        let cases: &[(&str, &str, SignedDuration, &str)] = &[
            ("2026-03-02T09:00:00+08:00", "2026-03-02T17:30:00+08:00", hm(7, 0), "one full day"),
            ("2026-03-02T00:00:00+08:00", "2026-03-03T00:00:00+08:00", hm(7, 0), "midnight to midnight"),
            ("2026-03-06T17:00:00+08:00", "2026-03-09T09:30:00+08:00", hm(1, 0), "over a weekend"),
            ("2026-03-02T12:10:00+08:00", "2026-03-02T13:20:00+08:00", hm(0, 0), "inside lunch"),
            ("2026-03-02T11:59:00+08:00", "2026-03-02T13:31:00+08:00", hm(0, 2), "across lunch"),
            ("2026-03-02T17:30:00+08:00", "2026-03-02T09:00:00+08:00", hm(0, 0), "reversed"),
            ("2026-03-02T10:00:00+08:00", "2026-03-02T10:00:00+08:00", hm(0, 0), "empty"),
            ("2026-09-30T00:00:00+08:00", "2026-10-08T00:00:00+08:00", hm(7, 0), "National Day week"),
            ("2026-02-13T00:00:00+08:00", "2026-02-25T00:00:00+08:00", hm(21, 0), "Spring Festival"),
            ("2026-10-01T00:00:00+08:00", "2026-10-07T23:59:59+08:00", hm(0, 0), "inside National Day"),
        ];
        for (a, b, expected, why) in cases {
            assert_eq!(cal.working_time_between(ts(a), ts(b)), *expected, "{a} .. {b}: {why}");
        }
    }

    #[test]
    fn custom_hours_are_used() {
        let cal = china().with_hours(BusinessHours::parse("08:30-17:00").unwrap());
        assert_eq!(cal.add_working_hours(ts("2026-03-02T16:30:00+08:00"), hm(1, 0)), ts("2026-03-03T09:00:00+08:00"));
        assert_eq!(cal.working_time_between(ts("2026-03-02T00:00:00+08:00"), ts("2026-03-03T00:00:00+08:00")), hm(8, 30));
    }

    #[test]
    fn absurd_calendar_terminates_without_panicking() {
        let mut every_day = BTreeSet::new();
        let mut day = date(2026, 1, 1);
        while day < date(2060, 1, 1) {
            every_day.insert(day);
            day = day.tomorrow().unwrap();
        }
        let cal = WorkingCalendar::new(every_day, BTreeSet::new(), BusinessHours::default(), TimeZone::UTC).unwrap();
        let from = ts("2026-01-01T10:00:00Z");
        let after_days = cal.add_working_days(from, 1);
        assert!(after_days > from);
        assert_eq!(after_days, ts("2026-01-02T10:00:00Z"));
        assert_eq!(cal.add_working_days(from, 3), ts("2026-01-04T10:00:00Z"));
        assert_eq!(cal.add_working_hours(from, hm(1, 0)), ts("2026-01-01T11:00:00Z"));
        assert_eq!(cal.working_time_between(from, ts("2030-01-01T00:00:00Z")), SignedDuration::ZERO);
    }

    #[test]
    fn huge_counts_end_at_the_range_limit_without_panicking() {
        let cal = china();
        // Start near the end of jiff's range so the walk to it stays short.
        let from = ts("9990-03-02T10:00:00+08:00");
        assert_eq!(cal.add_working_days(from, u32::MAX), Timestamp::MAX);
        assert_eq!(cal.add_working_hours(from, SignedDuration::from_hours(100_000_000)), Timestamp::MAX);
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let cal = china();
        assert_eq!(cal.add_working_days(Timestamp::MAX, 1), Timestamp::MAX);
        let near_max = Timestamp::MAX;
        assert!(cal.add_working_hours(near_max, hm(1, 0)) >= near_max);
        let _ = cal.add_working_days(Timestamp::MIN, 3);
        let _ = cal.add_working_hours(Timestamp::MIN, hm(3, 0));
    }

    #[test]
    fn parse_ics_real_file_agrees_with_the_json() {
        let days = parse_ics(ICS_FIXTURE).unwrap();
        let off: BTreeSet<Date> = days.iter().filter(|day| day.kind == DayKind::Off).map(|day| day.date).collect();
        let working: BTreeSet<Date> = days.iter().filter(|day| day.kind == DayKind::Working).map(|day| day.date).collect();
        let cal = china();
        assert_eq!(&off, cal.holidays());
        assert_eq!(&working, cal.makeup_workdays());
        let spring = days.iter().find(|day| day.date == d("2026-02-17")).unwrap();
        assert_eq!(spring.name, "春节");
        assert_eq!(spring.kind, DayKind::Off);
        let makeup = days.iter().find(|day| day.date == d("2026-02-14")).unwrap();
        assert_eq!(makeup.kind, DayKind::Working);

        let mut merged =
            WorkingCalendar::new(BTreeSet::new(), BTreeSet::new(), BusinessHours::default(), TimeZone::get("Asia/Shanghai").unwrap())
                .unwrap();
        merged.merge_days(&days);
        assert_eq!(merged, cal);
    }

    /// A test case: why, the iCalendar text, and the expected (date, kind, name) rows.
    type IcsCase = (&'static str, String, Vec<(&'static str, DayKind, &'static str)>);

    fn wrap_event(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n")
    }

    #[test]
    fn parse_ics_variants_table() {
        let cases: Vec<IcsCase> = vec![
            (
                "date value with exclusive DTEND",
                wrap_event("DTSTART;VALUE=DATE:20261001\r\nDTEND;VALUE=DATE:20261004\r\nSUMMARY:国庆节(休)\r\n"),
                vec![
                    ("2026-10-01", DayKind::Off, "国庆节"),
                    ("2026-10-02", DayKind::Off, "国庆节"),
                    ("2026-10-03", DayKind::Off, "国庆节"),
                ],
            ),
            (
                "plain DTSTART, no DTEND",
                wrap_event("DTSTART:20261010\r\nSUMMARY:国庆节(班)\r\n"),
                vec![("2026-10-10", DayKind::Working, "国庆节")],
            ),
            (
                "date-time DTSTART and DTEND at midnight",
                wrap_event("DTSTART:20260214T000000\r\nDTEND:20260216T000000\r\nSUMMARY:测试(休)\r\n"),
                vec![("2026-02-14", DayKind::Off, "测试"), ("2026-02-15", DayKind::Off, "测试")],
            ),
            (
                "date-time DTEND after midnight covers its date",
                wrap_event("DTSTART;TZID=Asia/Shanghai:20260214T090000\r\nDTEND;TZID=Asia/Shanghai:20260215T120000\r\nSUMMARY:测试(班)\r\n"),
                vec![("2026-02-14", DayKind::Working, "测试"), ("2026-02-15", DayKind::Working, "测试")],
            ),
            (
                "UTC date-time is read as China date",
                wrap_event("DTSTART:20251231T160000Z\r\nDTEND:20260101T160000Z\r\nSUMMARY:元旦(休)\r\n"),
                vec![("2026-01-01", DayKind::Off, "元旦")],
            ),
            (
                "full-width parentheses and trailing space",
                wrap_event("DTSTART;VALUE=DATE:20260101\r\nSUMMARY:元旦（休） \r\n"),
                vec![("2026-01-01", DayKind::Off, "元旦")],
            ),
            (
                "full-width working mark",
                wrap_event("DTSTART;VALUE=DATE:20260104\r\nSUMMARY:元旦（班）\r\n"),
                vec![("2026-01-04", DayKind::Working, "元旦")],
            ),
            (
                "folded SUMMARY line",
                wrap_event("DTSTART;VALUE=DATE:20260101\r\nSUMMARY:元\r\n 旦(\r\n\t休)\r\n"),
                vec![("2026-01-01", DayKind::Off, "元旦")],
            ),
            (
                "folded DTSTART line",
                wrap_event("DTSTART;VALUE=DATE:2026\r\n 0101\r\nSUMMARY:元旦(休)\r\n"),
                vec![("2026-01-01", DayKind::Off, "元旦")],
            ),
            (
                "LF line ends",
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nSUMMARY:元旦(休)\nEND:VEVENT\nEND:VCALENDAR\n"
                    .to_string(),
                vec![("2026-01-01", DayKind::Off, "元旦")],
            ),
            (
                "byte-order mark and lower-case keywords",
                "\u{feff}begin:vcalendar\nbegin:vevent\ndtstart;value=date:20260101\nsummary:元旦(休)\nend:vevent\nend:vcalendar"
                    .to_string(),
                vec![("2026-01-01", DayKind::Off, "元旦")],
            ),
            (
                "events without a mark are ignored, even with odd dates",
                wrap_event("DTSTART;VALUE=DATE:garbage\r\nSUMMARY:生日\r\n"),
                vec![],
            ),
            (
                "event without SUMMARY is ignored",
                wrap_event("DTSTART;VALUE=DATE:20260101\r\n"),
                vec![],
            ),
            (
                "VALARM inside the event does not confuse parsing",
                wrap_event(
                    "DTSTART;VALUE=DATE:20260101\r\nBEGIN:VALARM\r\nTRIGGER:-PT15M\r\nSUMMARY:提醒\r\nEND:VALARM\r\nSUMMARY:元旦(休)\r\n",
                ),
                vec![("2026-01-01", DayKind::Off, "元旦")],
            ),
            (
                "escaped text in SUMMARY",
                wrap_event("DTSTART;VALUE=DATE:20260101\r\nSUMMARY:元旦\\, 新年(休)\r\n"),
                vec![("2026-01-01", DayKind::Off, "元旦, 新年")],
            ),
            (
                "DTSTART outside VEVENT (in VTIMEZONE) is ignored",
                "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
                    .to_string(),
                vec![],
            ),
        ];
        for (why, text, expected) in cases {
            let days = parse_ics(&text).unwrap_or_else(|e| panic!("{why}: {e}"));
            let expected: Vec<CalendarDay> = expected
                .into_iter()
                .map(|(date_text, kind, name)| CalendarDay { date: d(date_text), kind, name: name.to_string() })
                .collect();
            assert_eq!(days, expected, "{why}");
        }
    }

    #[test]
    fn parse_ics_errors_table() {
        let cases: Vec<(&str, String, &str)> = vec![
            ("empty text", String::new(), "not an iCalendar file"),
            ("JSON instead", EMBEDDED_HOLIDAY_JSON.to_string(), "not an iCalendar file"),
            ("bad date", wrap_event("DTSTART;VALUE=DATE:2026013\r\nSUMMARY:元旦(休)\r\n"), "iCalendar line 4: \"2026013\" is not a date"),
            (
                "impossible date",
                wrap_event("DTSTART;VALUE=DATE:20260230\r\nSUMMARY:元旦(休)\r\n"),
                "iCalendar line 4: \"20260230\" is not a date",
            ),
            ("date-time under VALUE=DATE", wrap_event("DTSTART;VALUE=DATE:20260101T000000\r\nSUMMARY:元旦(休)\r\n"), "iCalendar line 4:"),
            (
                "DTEND before DTSTART",
                wrap_event("DTSTART;VALUE=DATE:20260105\r\nDTEND;VALUE=DATE:20260101\r\nSUMMARY:元旦(休)\r\n"),
                "iCalendar line 5: DTEND 20260101 is before DTSTART 20260105 (line 4)",
            ),
            ("missing DTSTART", wrap_event("SUMMARY:元旦(休)\r\n"), "iCalendar line 3: event \"元旦(休)\" has no DTSTART"),
            (
                "very long event",
                wrap_event("DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20990101\r\nSUMMARY:元旦(休)\r\n"),
                "iCalendar line 5: event \"元旦\" spans",
            ),
            (
                "truncated file",
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\n".to_string(),
                "iCalendar line 2: BEGIN:VEVENT has no matching END:VEVENT",
            ),
            (
                "nested VEVENT",
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nBEGIN:VEVENT\r\n".to_string(),
                "iCalendar line 3: BEGIN:VEVENT inside another VEVENT",
            ),
            (
                "stray END:VEVENT",
                "BEGIN:VCALENDAR\r\nEND:VEVENT\r\n".to_string(),
                "iCalendar line 2: END:VEVENT without a matching BEGIN:VEVENT",
            ),
            (
                "line without a colon",
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nthis is not ics\r\nEND:VEVENT\r\n".to_string(),
                "iCalendar line 3: \"this is not ics\" is not a NAME:VALUE line",
            ),
            ("continuation line first", " BEGIN:VCALENDAR\r\n".to_string(), "iCalendar line 1: a continuation line"),
        ];
        for (why, text, needle) in cases {
            let message = parse_ics(&text).expect_err(why).to_string();
            assert!(message.contains(needle), "{why}: {message}");
        }
    }

    #[test]
    fn parse_ics_line_numbers_count_physical_lines_after_folding() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:long\r\n  text\r\n  more\r\nDTSTART;VALUE=DATE:bad\r\nSUMMARY:x(休)\r\nEND:VEVENT\r\n";
        let message = parse_ics(text).unwrap_err().to_string();
        assert!(message.starts_with("iCalendar line 6:"), "{message}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        // Instants from 2024-01-01 to 2026-12-31, China time.
        const START_SECONDS: i64 = 1_704_038_400;
        const END_SECONDS: i64 = 1_798_732_800;

        fn instant(seconds: i64) -> Timestamp {
            Timestamp::from_second(seconds).unwrap()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn adding_then_measuring_gives_the_duration_back(
                start in START_SECONDS..END_SECONDS,
                seconds in 1i64..(200 * 3600),
            ) {
                let cal = china();
                let from = instant(start);
                let duration = SignedDuration::from_secs(seconds);
                let result = cal.add_working_hours(from, duration);
                prop_assert!(result > from);
                prop_assert_eq!(cal.working_time_between(from, result), duration);
                // The result is the earliest such instant: one second earlier
                // has not yet reached the full duration.
                let earlier = result - SignedDuration::from_secs(1);
                prop_assert!(cal.working_time_between(from, earlier) < duration);
            }

            #[test]
            fn working_time_is_additive(
                a in START_SECONDS..END_SECONDS,
                b in START_SECONDS..END_SECONDS,
                c in START_SECONDS..END_SECONDS,
            ) {
                let mut points = [a, b, c];
                points.sort();
                let [a, b, c] = points.map(instant);
                let cal = china();
                prop_assert_eq!(
                    cal.working_time_between(a, c),
                    cal.working_time_between(a, b) + cal.working_time_between(b, c)
                );
            }

            #[test]
            fn working_days_land_on_working_days_at_the_same_time(
                start in START_SECONDS..END_SECONDS,
                n in 1u32..40,
            ) {
                let cal = china();
                let from = instant(start);
                let result = cal.add_working_days(from, n);
                let tz = cal.time_zone().clone();
                let local_from = from.to_zoned(tz.clone());
                let local_result = result.to_zoned(tz);
                prop_assert!(cal.is_working_day(local_result.date()));
                prop_assert_eq!(local_from.time(), local_result.time());
                let mut count = 0;
                let mut day = local_from.date();
                while day < local_result.date() {
                    day = day.tomorrow().unwrap();
                    if cal.is_working_day(day) {
                        count += 1;
                    }
                }
                prop_assert_eq!(count, n);
            }
        }
    }
}
