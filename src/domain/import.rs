//! Importing historical appeals from other 12345 systems: the column mapping and the
//! checks of each row.
//!
//! A mapping (a small TOML file, see `docs/import-example.toml`) says which source column
//! holds which of our fields, how its times are written, and how its values translate
//! into ours. `convert_row` turns one spreadsheet row into an `ImportRow` or into every
//! problem found in it, so that a dry run can report all of them at once. Pure: the
//! categories, regions and "now" come in as arguments.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::appeal::{AppealStatus, Channel, Rating, Resolution, Satisfaction};
use super::contact::Contact;
use super::taxonomy::Category;

/// The statuses an imported appeal may end in. Open appeals come in as `received` and go
/// to the county's triage queue; finished ones keep their final state.
pub const IMPORTABLE_STATUSES: &[AppealStatus] =
    &[AppealStatus::Received, AppealStatus::Resolved, AppealStatus::Rated, AppealStatus::Closed, AppealStatus::Rejected];

/// The whole mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub source: SourceSettings,
    pub columns: ColumnMap,
}

/// Where the file comes from and how to read it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    /// The source system's name, recorded in every imported appeal's history.
    pub name: Option<String>,
    /// `auto` (the default: UTF-8 if the bytes are valid UTF-8, else GBK), `utf-8` or `gbk`.
    /// Only CSV files have an encoding; XLSX is always UTF-8.
    pub encoding: Option<String>,
    /// The XLSX sheet to read, by name; the first sheet by default.
    pub sheet: Option<String>,
    /// The coordinate system of `lat`/`lng`: `wgs84` (the default), `gcj02` or `bd09`.
    pub coord_system: Option<String>,
}

/// Which source column feeds each of our fields. `source_ref`, `text`, `received_at` and
/// `status` are required; the rest may be left out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    pub source_ref: ColumnSpec,
    pub text: ColumnSpec,
    pub received_at: ColumnSpec,
    pub status: ColumnSpec,
    pub category: Option<ColumnSpec>,
    pub region: Option<ColumnSpec>,
    pub address: Option<ColumnSpec>,
    pub lat: Option<ColumnSpec>,
    pub lng: Option<ColumnSpec>,
    pub channel: Option<ColumnSpec>,
    pub contact_name: Option<ColumnSpec>,
    pub contact_phone: Option<ColumnSpec>,
    pub reply: Option<ColumnSpec>,
    pub resolution: Option<ColumnSpec>,
    pub satisfaction: Option<ColumnSpec>,
    pub closed_at: Option<ColumnSpec>,
}

/// One field's source: a column (or only a default), with an optional value map.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The column's header text in the source file.
    pub column: Option<String>,
    /// Times: a strftime format such as `%Y-%m-%d %H:%M:%S`, read as China time unless it
    /// has `%z`. Without one, RFC 3339 and `YYYY-MM-DD HH:MM[:SS]` are accepted.
    pub format: Option<String>,
    /// Category and region: look the value up by `code` (the default) or by `name`.
    pub by: Option<String>,
    /// Source value → our value (or code, or name), applied before the lookup.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// The value when the column is absent or the cell is empty.
    pub default: Option<String>,
}

/// Parses a mapping file's text.
pub fn parse_mapping(text: &str) -> Result<Mapping, String> {
    let mapping: Mapping = toml::from_str(text).map_err(|error| error.to_string())?;
    for (field, spec) in mapping.columns.specs() {
        if spec.column.is_none() && spec.default.is_none() {
            return Err(format!("columns.{field} needs `column` (the source column's header) or a `default`"));
        }
        if let Some(by) = spec.by.as_deref() {
            if !matches!(by, "code" | "name") {
                return Err(format!("columns.{field}.by must be `code` or `name`, not `{by}`"));
            }
        }
    }
    match mapping.source.encoding.as_deref() {
        None | Some("auto" | "utf-8" | "utf8" | "gbk" | "gb18030") => {}
        Some(other) => return Err(format!("source.encoding must be auto, utf-8 or gbk, not `{other}`")),
    }
    match mapping.source.coord_system.as_deref() {
        None | Some("wgs84" | "gcj02" | "bd09") => {}
        Some(other) => return Err(format!("source.coord_system must be wgs84, gcj02 or bd09, not `{other}`")),
    }
    Ok(mapping)
}

impl ColumnMap {
    /// Every field that is mapped, by our name.
    pub fn specs(&self) -> Vec<(&'static str, &ColumnSpec)> {
        let mut specs =
            vec![("source_ref", &self.source_ref), ("text", &self.text), ("received_at", &self.received_at), ("status", &self.status)];
        let optional = [
            ("category", &self.category),
            ("region", &self.region),
            ("address", &self.address),
            ("lat", &self.lat),
            ("lng", &self.lng),
            ("channel", &self.channel),
            ("contact_name", &self.contact_name),
            ("contact_phone", &self.contact_phone),
            ("reply", &self.reply),
            ("resolution", &self.resolution),
            ("satisfaction", &self.satisfaction),
            ("closed_at", &self.closed_at),
        ];
        specs.extend(optional.into_iter().filter_map(|(name, spec)| spec.as_ref().map(|spec| (name, spec))));
        specs
    }
}

/// The header of a file, resolved against a mapping: each mapped column's index.
#[derive(Debug, Clone)]
pub struct ResolvedColumns {
    index: HashMap<&'static str, usize>,
}

/// Finds each mapped column in the header. Every column the mapping names must exist.
pub fn resolve_columns(mapping: &Mapping, header: &[String]) -> Result<ResolvedColumns, Vec<String>> {
    let mut index = HashMap::new();
    let mut missing = Vec::new();
    for (field, spec) in mapping.columns.specs() {
        if let Some(column) = &spec.column {
            match header.iter().position(|name| name.trim() == column.trim()) {
                Some(position) => {
                    index.insert(field, position);
                }
                None => missing.push(format!("columns.{field}: the file has no column `{column}`")),
            }
        }
    }
    if missing.is_empty() { Ok(ResolvedColumns { index }) } else { Err(missing) }
}

/// What one row needs to be checked against.
pub struct RowContext<'a> {
    pub categories: &'a [Category],
    /// Every region of the county (the county itself included): (code, name).
    pub regions: &'a [(String, String)],
    pub county_code: &'a str,
    /// Times after this are refused (received in the future).
    pub now_ms: i64,
}

/// One problem with one row: which row, which column, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The row number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The source column's header, or our field name when it has no column.
    pub column: String,
    pub problem: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}, column {}: {}", self.row, self.column, self.problem)
    }
}

/// A checked row, ready to become an appeal.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub row: usize,
    pub source_ref: String,
    pub text: String,
    pub received_ms: i64,
    pub status: AppealStatus,
    pub category_code: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    /// WGS84 (lng, lat).
    pub point: Option<(f64, f64)>,
    pub channel: Channel,
    pub contact: Contact,
    pub reply: Option<String>,
    pub rating: Option<Rating>,
    /// When it was finished (resolved, closed or rejected) in the source system.
    pub closed_ms: Option<i64>,
}

/// The longest text we take (the same limit as intake).
const MAX_TEXT_CHARS: usize = 5000;

struct Cells<'a> {
    mapping: &'a Mapping,
    columns: &'a ResolvedColumns,
    cells: &'a [String],
    row: usize,
    problems: Vec<RowProblem>,
}

impl Cells<'_> {
    fn spec(&self, field: &'static str) -> Option<&ColumnSpec> {
        self.mapping.columns.specs().into_iter().find(|(name, _)| *name == field).map(|(_, spec)| spec)
    }

    fn column_name(&self, field: &'static str) -> String {
        self.spec(field).and_then(|spec| spec.column.clone()).unwrap_or_else(|| field.to_string())
    }

    /// The cell's text after the value map and the default; `None` when empty.
    fn value(&self, field: &'static str) -> Option<String> {
        let spec = self.spec(field)?;
        let raw = self.columns.index.get(field).and_then(|index| self.cells.get(*index)).map(|cell| cell.trim()).unwrap_or("");
        let mapped = spec.values.get(raw).map(String::as_str).unwrap_or(raw).trim();
        if mapped.is_empty() { spec.default.clone().filter(|text| !text.trim().is_empty()) } else { Some(mapped.to_string()) }
    }

    fn problem(&mut self, field: &'static str, problem: impl Into<String>) {
        let column = self.column_name(field);
        self.problems.push(RowProblem { row: self.row, column, problem: problem.into() });
    }

    fn time(&mut self, field: &'static str) -> Option<i64> {
        let text = self.value(field)?;
        let format = self.spec(field).and_then(|spec| spec.format.clone());
        match parse_time(&text, format.as_deref()) {
            Ok(ms) => Some(ms),
            Err(problem) => {
                self.problem(field, problem);
                None
            }
        }
    }

    fn number(&mut self, field: &'static str) -> Option<f64> {
        let text = self.value(field)?;
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            _ => {
                self.problem(field, format!("`{text}` is not a number"));
                None
            }
        }
    }
}

/// Checks one row and converts it. Returns every problem found in the row.
pub fn convert_row(
    mapping: &Mapping,
    columns: &ResolvedColumns,
    context: &RowContext<'_>,
    row: usize,
    cells: &[String],
) -> Result<ImportRow, Vec<RowProblem>> {
    let mut c = Cells { mapping, columns, cells, row, problems: Vec::new() };

    let source_ref = c.value("source_ref");
    if source_ref.is_none() {
        c.problem("source_ref", "the original number is empty; every imported appeal needs it");
    }
    if source_ref.as_ref().is_some_and(|text| text.chars().count() > 100) {
        c.problem("source_ref", "the original number is longer than 100 characters");
    }

    let text = c.value("text");
    match &text {
        None => c.problem("text", "the appeal's text is empty"),
        Some(text) if text.chars().count() > MAX_TEXT_CHARS => {
            c.problem("text", format!("the text is longer than {MAX_TEXT_CHARS} characters"))
        }
        Some(_) => {}
    }

    let received_ms = c.time("received_at");
    if received_ms.is_none() && !c.problems.iter().any(|problem| problem.column == c.column_name("received_at")) {
        c.problem("received_at", "the received time is empty");
    }
    if received_ms.is_some_and(|ms| ms > context.now_ms) {
        c.problem("received_at", "the received time is in the future");
    }

    let status = match c.value("status") {
        None => {
            c.problem("status", "the status is empty");
            None
        }
        Some(text) => match parse_status(&text) {
            Some(status) if IMPORTABLE_STATUSES.contains(&status) => Some(status),
            Some(status) => {
                c.problem("status", format!("status `{text}` ({status}) cannot be imported: map it to received (to carry on handling it here), resolved, rated, closed or rejected"));
                None
            }
            None => {
                c.problem("status", format!("status `{text}` is unknown: add it to columns.status.values (e.g. \"{text}\" = \"closed\")"));
                None
            }
        },
    };

    let category_code = match c.value("category") {
        None => None,
        Some(text) => {
            let by_name = c.spec("category").and_then(|spec| spec.by.as_deref()) == Some("name");
            let found: Vec<&Category> =
                context.categories.iter().filter(|category| if by_name { category.name == text } else { category.code == text }).collect();
            // A name shared by a group and its child means the more specific child.
            let found = if found.len() > 1 { found.into_iter().filter(|category| category.parent_code.is_some()).collect() } else { found };
            match found.as_slice() {
                [category] => Some(category.code.clone()),
                [] => {
                    c.problem("category", format!("category `{text}` is not in our taxonomy: map it in columns.category.values"));
                    None
                }
                _ => {
                    c.problem(
                        "category",
                        format!("category `{text}` names several categories: map it to a code in columns.category.values"),
                    );
                    None
                }
            }
        }
    };

    let region_code = match c.value("region") {
        None => None,
        Some(text) => {
            let by_name = c.spec("region").and_then(|spec| spec.by.as_deref()) == Some("name");
            let found: Vec<&(String, String)> =
                context.regions.iter().filter(|(code, name)| if by_name { *name == text } else { *code == text }).collect();
            match found.as_slice() {
                [(code, _)] => Some(code.clone()),
                [] => {
                    c.problem("region", format!("region `{text}` is not a region of county {}", context.county_code));
                    None
                }
                several => {
                    let codes: Vec<&str> = several.iter().map(|(code, _)| code.as_str()).collect();
                    c.problem(
                        "region",
                        format!("region name `{text}` is ambiguous ({}): map it to a code in columns.region.values", codes.join(", ")),
                    );
                    None
                }
            }
        }
    };

    let address = c.value("address");
    if address.as_ref().is_some_and(|text| text.chars().count() > 500) {
        c.problem("address", "the address is longer than 500 characters");
    }

    let lat = c.number("lat");
    let lng = c.number("lng");
    let point = match (lat, lng) {
        (Some(lat), Some(lng)) => {
            if !(-90.0..=90.0).contains(&lat) {
                c.problem("lat", format!("latitude {lat} is not within -90..90"));
                None
            } else if !(-180.0..=180.0).contains(&lng) {
                c.problem("lng", format!("longitude {lng} is not within -180..180"));
                None
            } else {
                Some(to_wgs84(mapping.source.coord_system.as_deref(), lng, lat))
            }
        }
        (Some(_), None) => {
            c.problem("lng", "the latitude has no longitude");
            None
        }
        (None, Some(_)) => {
            c.problem("lat", "the longitude has no latitude");
            None
        }
        (None, None) => None,
    };

    let channel = match c.value("channel") {
        None => Channel::Hotline,
        Some(text) => {
            match text.parse::<Channel>().ok().or_else(|| Channel::ALL.iter().copied().find(|channel| channel.label_zh() == text)) {
                Some(channel) => channel,
                None => {
                    let allowed: Vec<&str> = Channel::ALL.iter().map(|channel| channel.as_str()).collect();
                    c.problem(
                        "channel",
                        format!("channel `{text}` is unknown: map it in columns.channel.values to one of {}", allowed.join(", ")),
                    );
                    Channel::Hotline
                }
            }
        }
    };

    let contact_name = c.value("contact_name");
    let contact_phone = c.value("contact_phone");
    let contact = match Contact::parse(contact_name.as_deref(), contact_phone.as_deref()) {
        Ok(contact) => contact,
        Err(error) => {
            let field = if matches!(error, super::contact::ContactError::BadPhone) { "contact_phone" } else { "contact_name" };
            c.problem(field, error.to_string());
            Contact::default()
        }
    };

    let reply = c.value("reply");
    if reply.as_ref().is_some_and(|text| text.chars().count() > MAX_TEXT_CHARS) {
        c.problem("reply", format!("the reply is longer than {MAX_TEXT_CHARS} characters"));
    }

    let resolution = c.value("resolution").and_then(|text| match parse_resolution(&text) {
        Some(value) => Some(value),
        None => {
            c.problem("resolution", format!("resolution `{text}` is unknown: map it to resolved, partly or not_resolved"));
            None
        }
    });
    let satisfaction = c.value("satisfaction").and_then(|text| match parse_satisfaction(&text) {
        Some(value) => Some(value),
        None => {
            c.problem(
                "satisfaction",
                format!("satisfaction `{text}` is unknown: map it to satisfied, basically_satisfied or dissatisfied"),
            );
            None
        }
    });
    let rating = match (resolution, satisfaction) {
        (Some(resolution), Some(satisfaction)) => Some(Rating { resolution, satisfaction }),
        (Some(_), None) => {
            c.problem("satisfaction", "a rating needs both resolution and satisfaction; satisfaction is empty");
            None
        }
        (None, Some(_)) => {
            c.problem("resolution", "a rating needs both resolution and satisfaction; resolution is empty");
            None
        }
        (None, None) => None,
    };

    let closed_ms = c.time("closed_at");
    if let (Some(received), Some(closed)) = (received_ms, closed_ms) {
        if closed < received {
            c.problem("closed_at", "the closing time is before the received time");
        }
        if closed > context.now_ms {
            c.problem("closed_at", "the closing time is in the future");
        }
    }
    match status {
        Some(AppealStatus::Resolved | AppealStatus::Rated | AppealStatus::Closed) if closed_ms.is_none() => {
            if !c.problems.iter().any(|problem| problem.column == c.column_name("closed_at")) {
                c.problem("closed_at", "a finished appeal needs the time it was finished, and it is empty");
            }
        }
        Some(AppealStatus::Rated) if rating.is_none() && resolution.is_none() && satisfaction.is_none() => {
            c.problem("satisfaction", "a rated appeal needs its rating (resolution and satisfaction), and it is empty");
        }
        Some(AppealStatus::Received) if closed_ms.is_some() || rating.is_some() => {
            c.problem("status", "an open (received) appeal cannot have a closing time or a rating");
        }
        _ => {}
    }

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    match (source_ref, text, received_ms, status) {
        (Some(source_ref), Some(text), Some(received_ms), Some(status)) => Ok(ImportRow {
            row,
            source_ref,
            text,
            received_ms,
            status,
            category_code,
            region_code,
            address,
            point,
            channel,
            contact,
            reply,
            rating,
            closed_ms,
        }),
        // Every missing required value was reported above.
        _ => Err(vec![RowProblem { row, column: "-".into(), problem: "a required value is missing".into() }]),
    }
}

fn to_wgs84(system: Option<&str>, lng: f64, lat: f64) -> (f64, f64) {
    match system {
        Some("gcj02") => super::geo::coords::gcj02_to_wgs84(lng, lat),
        Some("bd09") => super::geo::coords::bd09_to_wgs84(lng, lat),
        _ => (lng, lat),
    }
}

/// Our status from its code or its Chinese label.
fn parse_status(text: &str) -> Option<AppealStatus> {
    text.parse().ok().or_else(|| AppealStatus::ALL.iter().copied().find(|status| status.label_zh() == text))
}

fn parse_resolution(text: &str) -> Option<Resolution> {
    text.parse().ok().or(match text {
        "已解决" | "解决" => Some(Resolution::Resolved),
        "部分解决" => Some(Resolution::Partly),
        "未解决" => Some(Resolution::NotResolved),
        _ => None,
    })
}

fn parse_satisfaction(text: &str) -> Option<Satisfaction> {
    text.parse().ok().or(match text {
        "满意" | "非常满意" => Some(Satisfaction::Satisfied),
        "基本满意" => Some(Satisfaction::Basically),
        "不满意" => Some(Satisfaction::Dissatisfied),
        _ => None,
    })
}

/// Days between 1899-12-30 (the Excel epoch, with its 1900 leap-year quirk) and 1970-01-01.
const EXCEL_EPOCH_OFFSET_DAYS: f64 = 25569.0;

/// Reads a time: with the given strftime format (China time unless the format has an
/// offset), else RFC 3339 or `YYYY-MM-DD HH:MM[:SS]` (also with `/`); a bare number is an
/// Excel date serial (spreadsheets store dates so). Returns epoch milliseconds.
pub fn parse_time(text: &str, format: Option<&str>) -> Result<i64, String> {
    let text = text.trim();
    let china = jiff::tz::TimeZone::get("Asia/Shanghai").map_err(|error| error.to_string())?;
    if let Some(format) = format {
        if let Ok(zoned) = jiff::fmt::strtime::parse(format, text).and_then(|parsed| parsed.to_zoned()) {
            return Ok(zoned.timestamp().as_millisecond());
        }
        if let Ok(civil) = jiff::fmt::strtime::parse(format, text).and_then(|parsed| parsed.to_datetime()) {
            return civil.to_zoned(china).map(|zoned| zoned.timestamp().as_millisecond()).map_err(|error| error.to_string());
        }
        if let Ok(date) = jiff::fmt::strtime::parse(format, text).and_then(|parsed| parsed.to_date()) {
            return date.to_zoned(china).map(|zoned| zoned.timestamp().as_millisecond()).map_err(|error| error.to_string());
        }
    }
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Ok(at.as_millisecond());
    }
    let normalised = text.replace('/', "-").replacen(' ', "T", 1);
    if let Ok(civil) = normalised.parse::<jiff::civil::DateTime>() {
        return civil.to_zoned(china).map(|zoned| zoned.timestamp().as_millisecond()).map_err(|error| error.to_string());
    }
    if let Ok(serial) = text.parse::<f64>() {
        // Excel serials for 1950..2100 only, so that a stray number is not read as a date.
        if (18264.0..=73051.0).contains(&serial) {
            let utc_ms = ((serial - EXCEL_EPOCH_OFFSET_DAYS) * 86_400_000.0).round() as i64;
            // The serial is a wall-clock time in China: shift from "as if UTC" by +08:00.
            return Ok(utc_ms - 8 * 3_600_000);
        }
    }
    Err(match format {
        Some(format) => format!("`{text}` does not match the time format `{format}`"),
        None => format!("`{text}` is not a time (expected e.g. 2024-03-15 09:30:00, or set a format)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_china_time_with_formats_serials_and_offsets() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("2024-03-15 09:30:00", None, "2024-03-15T01:30:00Z"),
            ("2024/03/15 09:30", None, "2024-03-15T01:30:00Z"),
            ("2024年03月15日 09时30分", Some("%Y年%m月%d日 %H时%M分"), "2024-03-15T01:30:00Z"),
            ("15.03.2024", Some("%d.%m.%Y"), "2024-03-14T16:00:00Z"),
            ("2024-03-15T09:30:00+08:00", None, "2024-03-15T01:30:00Z"),
            ("45366.395833333336", None, "2024-03-15T01:30:00Z"),
        ];
        for (text, format, expected) in cases {
            let expected: jiff::Timestamp = expected.parse().unwrap();
            assert_eq!(parse_time(text, *format), Ok(expected.as_millisecond()), "{text}");
        }
        for bad in ["yesterday", "2024-13-40 09:00", "12"] {
            assert!(parse_time(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_mapping_needs_a_column_or_a_default_for_each_field() {
        let text = "[columns]\nsource_ref = { column = \"编号\" }\ntext = { column = \"内容\" }\nreceived_at = { column = \"时间\" }\nstatus = { }\n";
        assert!(parse_mapping(text).unwrap_err().contains("columns.status"));
        let unknown = "[columns]\nsource_ref = { column = \"编号\" }\ntext = { column = \"内容\" }\nreceived_at = { column = \"时间\" }\nstatus = { default = \"closed\" }\ncolour = { column = \"x\" }\n";
        assert!(parse_mapping(unknown).unwrap_err().contains("colour"));
    }
}
