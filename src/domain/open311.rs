//! Open311 GeoReport v2 in domain terms: service attributes (extra questions per
//! category), checking a client's answers, and how our finer states map onto the
//! specification's `open`/`closed`.
//!
//! The attribute table is data (`data/open311/attributes.json`), not code, so that a
//! county can change its questions without touching the rules here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::appeal::AppealStatus;
use super::history::EventKind;

/// The datatypes of GeoReport v2 attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeDatatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl AttributeDatatype {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeDatatype::String => "string",
            AttributeDatatype::Number => "number",
            AttributeDatatype::Datetime => "datetime",
            AttributeDatatype::Text => "text",
            AttributeDatatype::Singlevaluelist => "singlevaluelist",
            AttributeDatatype::Multivaluelist => "multivaluelist",
        }
    }
}

/// One allowed value of a list attribute.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// One extra question a service asks (a GeoReport v2 attribute).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceAttribute {
    pub code: String,
    pub datatype: AttributeDatatype,
    pub required: bool,
    /// False for information shown to the resident rather than a question.
    pub variable: bool,
    pub order: u32,
    pub description: String,
    #[serde(default)]
    pub datatype_description: Option<String>,
    #[serde(default)]
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Deserialize)]
struct AttributeFile {
    services: BTreeMap<String, Vec<ServiceAttribute>>,
}

/// The shipped attribute table.
pub const DEFAULT_ATTRIBUTES_JSON: &str = include_str!("../../data/open311/attributes.json");

/// Parses an attribute table and checks that it makes sense (list types have values,
/// other types have none, codes are unique per service).
pub fn parse_attribute_table(text: &str) -> Result<BTreeMap<String, Vec<ServiceAttribute>>, String> {
    let file: AttributeFile = serde_json::from_str(text).map_err(|error| format!("attribute table: {error}"))?;
    let mut services = file.services;
    for (service, attributes) in &mut services {
        attributes.sort_by_key(|attribute| attribute.order);
        for (index, attribute) in attributes.iter().enumerate() {
            let is_list = matches!(attribute.datatype, AttributeDatatype::Singlevaluelist | AttributeDatatype::Multivaluelist);
            if is_list == attribute.values.is_empty() {
                return Err(format!("attribute {service}/{}: list datatypes need values, other datatypes take none", attribute.code));
            }
            if attributes[..index].iter().any(|earlier| earlier.code == attribute.code) {
                return Err(format!("attribute {service}/{} is defined twice", attribute.code));
            }
        }
    }
    Ok(services)
}

/// The attributes of every service that asks for extra fields.
pub fn attribute_table() -> &'static BTreeMap<String, Vec<ServiceAttribute>> {
    static TABLE: OnceLock<BTreeMap<String, Vec<ServiceAttribute>>> = OnceLock::new();
    // The shipped table is checked by a unit test; a broken one yields no attributes
    // rather than a panic.
    TABLE.get_or_init(|| parse_attribute_table(DEFAULT_ATTRIBUTES_JSON).unwrap_or_default())
}

/// The attributes one service asks for (empty when none).
pub fn attributes_of(service_code: &str) -> &'static [ServiceAttribute] {
    attribute_table().get(service_code).map(Vec::as_slice).unwrap_or(&[])
}

/// A client's answer to one attribute, checked and ready to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeAnswer {
    pub code: String,
    /// The question, as the appeal text shows it.
    pub question: String,
    /// The answer in words (list keys turned into their names).
    pub answer: String,
    /// The raw values as sent (list keys).
    pub raw: Vec<String>,
}

/// Why an answer was refused: the attribute code and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeProblem {
    pub code: String,
    pub message: String,
}

/// Checks the submitted answers (`code`, values) against a service's attributes.
/// Unknown codes are ignored, as clients may send answers for questions we do not ask.
pub fn check_answers(
    attributes: &[ServiceAttribute],
    submitted: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<AttributeAnswer>, AttributeProblem> {
    let mut answers = Vec::new();
    for attribute in attributes.iter().filter(|attribute| attribute.variable) {
        let values: Vec<String> = submitted
            .get(&attribute.code)
            .map(|values| values.iter().map(|value| value.trim().to_string()).filter(|value| !value.is_empty()).collect())
            .unwrap_or_default();
        let problem = |message: String| AttributeProblem { code: attribute.code.clone(), message };
        if values.is_empty() {
            if attribute.required {
                return Err(problem(format!("attribute[{}] ({}) is required", attribute.code, attribute.description)));
            }
            continue;
        }
        if attribute.datatype != AttributeDatatype::Multivaluelist && values.len() > 1 {
            return Err(problem(format!("attribute[{}] takes one value", attribute.code)));
        }
        let first = &values[0];
        let answer = match attribute.datatype {
            AttributeDatatype::String => {
                if first.chars().count() > 200 {
                    return Err(problem(format!("attribute[{}] must be at most 200 characters", attribute.code)));
                }
                first.clone()
            }
            AttributeDatatype::Text => {
                if first.chars().count() > 2000 {
                    return Err(problem(format!("attribute[{}] must be at most 2000 characters", attribute.code)));
                }
                first.clone()
            }
            AttributeDatatype::Number => match first.parse::<f64>() {
                Ok(number) if number.is_finite() => first.clone(),
                _ => return Err(problem(format!("attribute[{}] must be a number", attribute.code))),
            },
            AttributeDatatype::Datetime => match parse_w3c_datetime(first) {
                Some(_) => first.clone(),
                None => {
                    return Err(problem(format!("attribute[{}] must be a W3C datetime like 2026-11-16T07:30:00+08:00", attribute.code)));
                }
            },
            AttributeDatatype::Singlevaluelist | AttributeDatatype::Multivaluelist => {
                let mut names = Vec::new();
                for value in &values {
                    match attribute.values.iter().find(|allowed| &allowed.key == value) {
                        Some(allowed) => names.push(allowed.name.clone()),
                        None => {
                            let keys: Vec<&str> = attribute.values.iter().map(|allowed| allowed.key.as_str()).collect();
                            return Err(problem(format!(
                                "attribute[{}] value `{}` is not one of: {}",
                                attribute.code,
                                value.chars().take(40).collect::<String>(),
                                keys.join(", ")
                            )));
                        }
                    }
                }
                names.join("、")
            }
        };
        answers.push(AttributeAnswer { code: attribute.code.clone(), question: attribute.description.clone(), answer, raw: values });
    }
    Ok(answers)
}

/// Parses a W3C (ISO 8601) datetime. Without an offset it is read as China time,
/// which is what a county's clients mean.
pub fn parse_w3c_datetime(text: &str) -> Option<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Some(at);
    }
    let civil: jiff::civil::DateTime =
        text.parse().ok().or_else(|| text.parse::<jiff::civil::Date>().ok().map(|date| date.to_datetime(jiff::civil::Time::midnight())))?;
    civil.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))).ok().map(|zoned| zoned.timestamp())
}

/// GeoReport v2 knows two states. Open while a unit still owes work; closed once the
/// appeal is resolved, rejected, merged or closed.
pub fn open311_status(status: AppealStatus) -> &'static str {
    if status.is_open() { "open" } else { "closed" }
}

/// The GeoReport status right after an event of this kind (for the updates extension).
/// `None` when the event does not change it (a supplement or an urge keeps what was).
pub fn status_after_event(kind: EventKind) -> Option<&'static str> {
    match kind {
        EventKind::Received
        | EventKind::Accepted
        | EventKind::Dispatched
        | EventKind::SignedFor
        | EventKind::Progress
        | EventKind::Returned
        | EventKind::ExtensionRequested
        | EventKind::ExtensionGranted
        | EventKind::ExtensionRefused
        | EventKind::Paused
        | EventKind::Resumed
        | EventKind::Reopened
        | EventKind::Escalated => Some("open"),
        EventKind::Rejected
        | EventKind::Resolved
        | EventKind::FollowedUp
        | EventKind::Rated
        | EventKind::Merged
        | EventKind::PrimaryResolved
        | EventKind::Closed => Some("closed"),
        EventKind::DuplicateAttached | EventKind::Reclassified | EventKind::Urged | EventKind::Supplemented | EventKind::Imported => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_covers_every_datatype() {
        let table = parse_attribute_table(DEFAULT_ATTRIBUTES_JSON).unwrap();
        for datatype in [
            AttributeDatatype::String,
            AttributeDatatype::Number,
            AttributeDatatype::Datetime,
            AttributeDatatype::Text,
            AttributeDatatype::Singlevaluelist,
            AttributeDatatype::Multivaluelist,
        ] {
            assert!(table.values().flatten().any(|attribute| attribute.datatype == datatype), "no {datatype:?} attribute");
        }
        assert_eq!(attributes_of("0203")[0].description, "停水范围");
    }

    #[test]
    fn answers_are_checked_by_datatype() {
        let attributes = attributes_of("0203");
        let answers = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            pairs.iter().map(|(code, values)| (code.to_string(), values.iter().map(|value| value.to_string()).collect())).collect()
        };
        let cases: &[(&[(&str, &[&str])], Result<&str, &str>)] = &[
            (&[("outage_scope", &["building"])], Ok("整栋楼")),
            (&[], Err("outage_scope")),
            (&[("outage_scope", &["  "])], Err("outage_scope")),
            (&[("outage_scope", &["street"])], Err("outage_scope")),
            (&[("outage_scope", &["building", "estate"])], Err("outage_scope")),
            (&[("outage_scope", &["unknown"]), ("outage_since", &["yesterday"])], Err("outage_since")),
            (&[("outage_scope", &["unknown"]), ("outage_since", &["2026-11-16T07:30:00+08:00"]), ("other", &["x"])], Ok("不清楚")),
        ];
        for (submitted, expected) in cases {
            let outcome = check_answers(attributes, &answers(submitted));
            match (outcome, expected) {
                (Ok(answers), Ok(first)) => assert_eq!(answers[0].answer, *first),
                (Err(problem), Err(code)) => assert_eq!(problem.code, *code),
                (outcome, expected) => panic!("{submitted:?}: got {outcome:?}, expected {expected:?}"),
            }
        }
        let many = check_answers(attributes_of("0302"), &answers(&[("waste_kinds", &["household", "bulky"])])).unwrap();
        assert_eq!(many[0].answer, "生活垃圾、大件垃圾");
        assert!(check_answers(attributes_of("0201"), &answers(&[("lamps_out", &["three"])])).is_err());
        assert!(check_answers(attributes_of("0201"), &answers(&[("lamps_out", &["3"])])).is_ok());
    }

    #[test]
    fn datetimes_without_offset_are_china_time() {
        let with = parse_w3c_datetime("2026-11-16T09:00:00+08:00").unwrap();
        assert_eq!(parse_w3c_datetime("2026-11-16T09:00:00"), Some(with));
        assert_eq!(parse_w3c_datetime("2026-11-16T01:00:00Z"), Some(with));
        assert!(parse_w3c_datetime("16/11/2026").is_none());
    }
}
