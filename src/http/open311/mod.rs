//! Open311 GeoReport v2 at `/open311/v2/`, so that existing Open311 clients and apps
//! can file and follow appeals unchanged (wiki.open311.org/GeoReport_v2).
//!
//! Every resource answers in `.json` and `.xml` (the suffix of the last path segment;
//! without one, JSON). Parameters come from the query string and, for POST, from an
//! `application/x-www-form-urlencoded` body; an empty parameter counts as absent.
//! Errors use the specification's format: a list of `{code, description}` (XML
//! `<errors><error>…`), with status 400, 403 or 404, in the requested format.
//!
//! Decisions where the specification leaves room (see docs/API.md):
//! - The deployment's county is the one jurisdiction; `jurisdiction_id` may be left out,
//!   and any other value is a 404.
//! - `api_key` is one of our API tokens (`minqing token create --user CLIENT`). POST
//!   needs one whose user may enter appeals, so every client is known and can be cut
//!   off; reads work without one but then show only requests filed through Open311.
//! - `service_request_id` is the appeal number; we always know it at once, so POST
//!   returns it and `tokens/{token}` maps a number to itself.
//! - Open is every state in which a unit still owes work; the finer state goes in
//!   `status_notes`, and with `extensions=true` the history in `extended_attributes`.

pub mod xml;

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::domain::access::Staff;
use crate::domain::appeal::{AppealNumber, AppealStatus, Channel};
use crate::domain::contact::Contact;
use crate::domain::history::EventKind;
use crate::domain::open311::{attributes_of, open311_status, parse_w3c_datetime, status_after_event};
use crate::service::actions::visible_to;
use crate::service::open311::{Open311Service, ServiceRequestInput, add_update, service, services, submit_request};
use crate::service::view::rfc3339;
use crate::service::{Hub, ServiceError, auth};
use crate::storage::appeals::{AppealRecord, EventRow, NO_DEADLINE};
use crate::storage::open311::{Open311Search, Open311Visibility};

/// The routes under `/open311/v2`.
pub fn router() -> Router<Hub> {
    Router::new().route("/", get(discovery_root)).route("/{resource}", get(resource).post(resource)).route("/{resource}/{id}", get(item))
}

/// The changeset of our endpoint description (bump when the surface changes).
const CHANGESET: &str = "2026-11-16T00:00:00+08:00";
/// Largest `page_size`; also the default, as the specification suggests 1000.
const MAX_PAGE_SIZE: i64 = 1000;
/// How far back a search without dates looks, as the specification suggests.
const DEFAULT_WINDOW_DAYS: i64 = 90;
const DAY_MS: i64 = 86_400_000;

/// The format a client asked for with the path suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// An error in the specification's format.
#[derive(Debug)]
pub struct Open311Error {
    pub status: StatusCode,
    pub description: String,
    pub format: Format,
}

impl Open311Error {
    fn new(status: StatusCode, format: Format, description: impl Into<String>) -> Open311Error {
        Open311Error { status, description: description.into(), format }
    }

    fn from_service(error: ServiceError, format: Format) -> Open311Error {
        match error {
            ServiceError::Invalid { message, .. } => Open311Error::new(StatusCode::BAD_REQUEST, format, message),
            ServiceError::NotFound(what) => Open311Error::new(StatusCode::NOT_FOUND, format, format!("{what} was not found")),
            ServiceError::Forbidden(message) | ServiceError::Unauthenticated(message) => {
                Open311Error::new(StatusCode::FORBIDDEN, format, message)
            }
            ServiceError::Workflow(error) => Open311Error::new(StatusCode::BAD_REQUEST, format, error.to_string()),
            ServiceError::Conflict(message) => Open311Error::new(StatusCode::CONFLICT, format, message),
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error in open311");
                Open311Error::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format,
                    "something went wrong on our side; it was logged, please try again",
                )
            }
        }
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let body = json!([{"code": self.status.as_u16(), "description": self.description}]);
        render(self.status, self.format, "errors", &body)
    }
}

type Open311Result = Result<Response, Open311Error>;

/// Renders a value in the requested format.
fn render(status: StatusCode, format: Format, root: &str, value: &Value) -> Response {
    match format {
        Format::Json => (status, [("content-type", "application/json; charset=utf-8")], value.to_string()).into_response(),
        Format::Xml => (status, [("content-type", "text/xml; charset=utf-8")], xml::document(root, value)).into_response(),
    }
}

/// Splits `requests.json` into (`requests`, JSON). An unknown suffix is a 404 in JSON.
fn split_format(segment: &str) -> Result<(&str, Format), Open311Error> {
    match segment.rsplit_once('.') {
        None => Ok((segment, Format::Json)),
        Some((name, "json")) => Ok((name, Format::Json)),
        Some((name, "xml")) => Ok((name, Format::Xml)),
        Some((_, other)) => Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            Format::Json,
            format!("format `{}` is not offered; use .json or .xml", other.chars().take(20).collect::<String>()),
        )),
    }
}

/// The parameters of a request: query string and form body together. Empty values
/// count as absent.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    fn parse(uri: &Uri, headers: &HeaderMap, body: &[u8], format: Format) -> Result<Params, Open311Error> {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
        if !body.is_empty() {
            let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
            let media_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if !(media_type.is_empty() || media_type == "application/x-www-form-urlencoded") {
                return Err(Open311Error::new(
                    StatusCode::BAD_REQUEST,
                    format,
                    format!(
                        "send the parameters as application/x-www-form-urlencoded, not `{}`",
                        media_type.chars().take(60).collect::<String>()
                    ),
                ));
            }
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        pairs.retain(|(_, value)| !value.trim().is_empty());
        Ok(Params { pairs })
    }

    /// The first value of a parameter, trimmed.
    fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim())
    }

    /// Attribute answers: `attribute[CODE]=v` and `attribute[CODE][]=v`, repeatable.
    fn attributes(&self) -> BTreeMap<String, Vec<String>> {
        let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in &self.pairs {
            let Some(rest) = key.strip_prefix("attribute[") else { continue };
            let Some((code, tail)) = rest.split_once(']') else { continue };
            if tail.is_empty() || tail == "[]" {
                answers.entry(code.to_string()).or_default().push(value.clone());
            }
        }
        answers
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|value| value.eq_ignore_ascii_case("true") || value == "1")
    }
}

/// What every endpoint checks first: the jurisdiction and the api_key.
async fn client_of(hub: &Hub, params: &Params, headers: &HeaderMap, format: Format) -> Result<Option<Staff>, Open311Error> {
    if let Some(jurisdiction) = params.get("jurisdiction_id") {
        if jurisdiction != hub.config.county_code {
            return Err(Open311Error::new(
                StatusCode::NOT_FOUND,
                format,
                format!(
                    "jurisdiction_id `{}` was not found; this endpoint serves jurisdiction {}",
                    jurisdiction.chars().take(40).collect::<String>(),
                    hub.config.county_code
                ),
            ));
        }
    }
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    match params.get("api_key").map(str::to_string).or(bearer) {
        None => Ok(None),
        Some(key) => match auth::authenticate(hub, &key).await {
            Ok(staff) => Ok(Some(staff)),
            Err(ServiceError::Unauthenticated(_)) => {
                Err(Open311Error::new(StatusCode::FORBIDDEN, format, "api_key is invalid, expired or revoked"))
            }
            Err(other) => Err(Open311Error::from_service(other, format)),
        },
    }
}

/// The request context every handler builds.
struct Call {
    hub: Hub,
    format: Format,
    params: Params,
    client: Option<Staff>,
}

async fn call(hub: Hub, segment: &str, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(String, Call), Open311Error> {
    let (name, format) = split_format(segment)?;
    let params = Params::parse(uri, headers, body, format)?;
    let client = client_of(&hub, &params, headers, format).await?;
    Ok((name.to_string(), Call { hub, format, params, client }))
}

async fn discovery_root(State(hub): State<Hub>, uri: Uri, headers: HeaderMap) -> Open311Result {
    let (_, call) = call(hub, "discovery.json", &uri, &headers, &[]).await?;
    Ok(discovery(&call, &headers))
}

/// `GET|POST /open311/v2/{resource}.{format}`.
pub async fn resource(
    State(hub): State<Hub>,
    method: Method,
    Path(segment): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Open311Result {
    let (name, call) = call(hub, &segment, &uri, &headers, &body).await?;
    match (name.as_str(), method == Method::POST) {
        ("discovery", false) => Ok(discovery(&call, &headers)),
        ("services", false) => Ok(list_services(&call)),
        ("requests", false) => list_requests(&call).await,
        ("requests", true) => create_request(&call).await,
        ("servicerequestupdates", false) => list_updates(&call).await,
        ("servicerequestupdates", true) => create_update(&call).await,
        ("discovery" | "services", true) => {
            Err(Open311Error::new(StatusCode::METHOD_NOT_ALLOWED, call.format, format!("{name} is read with GET")))
        }
        _ => Err(unknown_resource(&name, call.format)),
    }
}

/// `GET /open311/v2/{resource}/{id}.{format}`.
pub async fn item(
    State(hub): State<Hub>,
    Path((resource, segment)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Open311Result {
    let (id, call) = call(hub, &segment, &uri, &headers, &[]).await?;
    match resource.as_str() {
        "services" => service_definition(&call, &id),
        "requests" => one_request(&call, &id).await,
        "tokens" => token(&call, &id).await,
        other => Err(unknown_resource(other, call.format)),
    }
}

fn unknown_resource(name: &str, format: Format) -> Open311Error {
    Open311Error::new(
        StatusCode::NOT_FOUND,
        format,
        format!(
            "`{}` is not an Open311 resource; see discovery.json (services, requests, tokens, servicerequestupdates)",
            name.chars().take(40).collect::<String>()
        ),
    )
}

fn discovery(call: &Call, headers: &HeaderMap) -> Response {
    let host = headers.get(axum::http::header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|value| value.to_str().ok()).unwrap_or("http");
    let body = json!({
        "changeset": CHANGESET,
        "contact": "县群众急难愁盼事项服务中心 (12345)",
        "key_service": "API keys are issued by the county service centre: minqing token create --user CLIENT",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{scheme}://{host}/open311/v2"),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    });
    render(StatusCode::OK, call.format, "discovery", &body)
}

fn service_value(service: &Open311Service) -> Value {
    let category = &service.category;
    json!({
        "service_code": category.code,
        "service_name": category.name,
        "description": format!("{}：默认由{}承办，一般 {} 个工作日内办结", category.name, category.department, category.default_working_days),
        "metadata": service.has_attributes,
        "type": "realtime",
        "keywords": service.keywords.join(","),
        "group": service.group,
    })
}

fn list_services(call: &Call) -> Response {
    let list: Vec<Value> = services(&call.hub).iter().map(service_value).collect();
    render(StatusCode::OK, call.format, "services", &Value::Array(list))
}

fn service_definition(call: &Call, code: &str) -> Open311Result {
    let service = service(&call.hub, code).map_err(|error| Open311Error::from_service(error, call.format))?;
    let attributes: Vec<Value> = attributes_of(&service.category.code)
        .iter()
        .map(|attribute| {
            let values: Vec<Value> = attribute.values.iter().map(|value| json!({"key": value.key, "name": value.name})).collect();
            json!({
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype.as_str(),
                "required": attribute.required,
                "datatype_description": attribute.datatype_description,
                "order": attribute.order,
                "description": attribute.description,
                "values": values,
            })
        })
        .collect();
    let body = json!({"service_code": service.category.code, "attributes": attributes});
    Ok(render(StatusCode::OK, call.format, "service_definition", &body))
}

fn bad(call: &Call, message: impl Into<String>) -> Open311Error {
    Open311Error::new(StatusCode::BAD_REQUEST, call.format, message)
}

fn parse_date(call: &Call, name: &str) -> Result<Option<i64>, Open311Error> {
    match call.params.get(name) {
        None => Ok(None),
        Some(text) => parse_w3c_datetime(text)
            .map(|at| Some(at.as_millisecond()))
            .ok_or_else(|| bad(call, format!("{name} must be a W3C datetime like 2026-11-16T09:00:00+08:00"))),
    }
}

/// `page` (from 1) and `page_size` (1–1000, default 1000) as (offset, limit).
fn paging(call: &Call) -> Result<(i64, i64), Open311Error> {
    let page = match call.params.get("page") {
        None => 1,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|page| (1..=1_000_000).contains(page))
            .ok_or_else(|| bad(call, "page must be a whole number from 1"))?,
    };
    let size = match call.params.get("page_size") {
        None => MAX_PAGE_SIZE,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
            .ok_or_else(|| bad(call, format!("page_size must be a whole number from 1 to {MAX_PAGE_SIZE}")))?,
    };
    Ok(((page - 1) * size, size))
}

/// What the caller may see: a client's scope, or only Open311 requests when anonymous.
fn visibility(call: &Call) -> Open311Visibility {
    match &call.client {
        Some(staff) => Open311Visibility { scope: Some(staff.scope()), channel: None },
        None => Open311Visibility { scope: None, channel: Some(Channel::Open311) },
    }
}

/// The date window of a search: as given, or the last 90 days.
fn window(call: &Call) -> Result<(Option<i64>, Option<i64>), Open311Error> {
    let start = parse_date(call, "start_date")?;
    let end = parse_date(call, "end_date")?;
    if let (Some(start), Some(end)) = (start, end) {
        if start > end {
            return Err(bad(call, "start_date must not be after end_date"));
        }
    }
    if start.is_none() && end.is_none() {
        return Ok((Some(call.hub.clock.now_ms() - DEFAULT_WINDOW_DAYS * DAY_MS), None));
    }
    Ok((start, end))
}

async fn list_requests(call: &Call) -> Open311Result {
    let mut search = Open311Search::default();
    if let Some(ids) = call.params.get("service_request_id") {
        search.numbers = ids.split(',').map(str::trim).filter(|id| !id.is_empty()).take(1000).map(str::to_string).collect();
    }
    if search.numbers.is_empty() {
        if let Some(codes) = call.params.get("service_code") {
            search.category_codes = codes.split(',').map(str::trim).filter(|code| !code.is_empty()).take(200).map(str::to_string).collect();
        }
        if let Some(statuses) = call.params.get("status") {
            for part in statuses.split(',').map(str::trim).filter(|part| !part.is_empty()) {
                let open = match part.to_ascii_lowercase().as_str() {
                    "open" => true,
                    "closed" => false,
                    _ => return Err(bad(call, format!("status `{}` is not open or closed", part.chars().take(20).collect::<String>()))),
                };
                search.statuses.extend(AppealStatus::ALL.iter().copied().filter(|status| status.is_open() == open));
            }
        }
        let (from, until) = window(call)?;
        search.received_from_ms = from;
        search.received_until_ms = until;
    }
    let (offset, limit) = paging(call)?;
    search.offset = offset;
    search.limit = limit;
    let service_error = |error| Open311Error::from_service(ServiceError::from(error), call.format);
    let appeals = call.hub.db.open311_requests(&visibility(call), &search).await.map_err(service_error)?;
    let names = call.hub.db.unit_names().await.map_err(service_error)?;
    let mut list = Vec::with_capacity(appeals.len());
    for appeal in &appeals {
        list.push(request_value(call, appeal, &names).await?);
    }
    Ok(render(StatusCode::OK, call.format, "service_requests", &Value::Array(list)))
}

/// Finds an appeal the caller may see by its number; anything else is a 404.
async fn visible_appeal(call: &Call, id: &str) -> Result<AppealRecord, Open311Error> {
    let not_found = || {
        Open311Error::new(
            StatusCode::NOT_FOUND,
            call.format,
            format!("service_request_id `{}` was not found", id.chars().take(40).collect::<String>()),
        )
    };
    let number = AppealNumber::parse(id).ok_or_else(not_found)?;
    let appeal = call
        .hub
        .db
        .appeal_by_number(number.as_str())
        .await
        .map_err(|error| Open311Error::from_service(ServiceError::from(error), call.format))?
        .ok_or_else(not_found)?;
    let visible = match &call.client {
        Some(staff) => visible_to(&call.hub, staff, &appeal).await.map_err(|error| Open311Error::from_service(error, call.format))?,
        None => appeal.channel == Channel::Open311,
    };
    if visible { Ok(appeal) } else { Err(not_found()) }
}

async fn one_request(call: &Call, id: &str) -> Open311Result {
    let appeal = visible_appeal(call, id).await?;
    let names = call.hub.db.unit_names().await.map_err(|error| Open311Error::from_service(ServiceError::from(error), call.format))?;
    let value = request_value(call, &appeal, &names).await?;
    Ok(render(StatusCode::OK, call.format, "service_requests", &Value::Array(vec![value])))
}

async fn token(call: &Call, token: &str) -> Open311Result {
    // We number an appeal as we take it in, so a token is never needed: the number
    // stands for itself.
    let appeal = visible_appeal(call, token).await?;
    let body = json!([{"service_request_id": appeal.number, "token": appeal.number}]);
    Ok(render(StatusCode::OK, call.format, "service_requests", &body))
}

/// The note of an event that the public may read, if any.
fn public_note(kind: EventKind, reason: &str) -> Option<String> {
    match kind {
        EventKind::Resolved | EventKind::PrimaryResolved | EventKind::Rejected | EventKind::Closed | EventKind::Supplemented => {
            Some(reason.to_string()).filter(|text| !text.is_empty())
        }
        _ => None,
    }
}

async fn request_value(call: &Call, appeal: &AppealRecord, unit_names: &HashMap<i64, String>) -> Result<Value, Open311Error> {
    let extensions = call.params.flag("extensions");
    let needs_events = extensions || !appeal.status.is_open();
    let events: Vec<EventRow> = if needs_events {
        call.hub.db.events_of(appeal.id).await.map_err(|error| Open311Error::from_service(ServiceError::from(error), call.format))?
    } else {
        Vec::new()
    };
    let outcome = events
        .iter()
        .rev()
        .find(|event| matches!(event.kind.parse(), Ok(EventKind::Resolved | EventKind::PrimaryResolved | EventKind::Rejected)))
        .map(|event| event.reason.clone());
    let mut status_notes = format!("{}（{}）", appeal.status.label_zh(), appeal.status.as_str());
    if let Some(outcome) = outcome {
        status_notes.push_str("：");
        status_notes.push_str(&outcome);
    }
    let categories = call.hub.category_list();
    let service_name = appeal
        .category_code
        .as_deref()
        .and_then(|code| categories.iter().find(|category| category.code == code))
        .map(|category| category.name.clone());
    let agency = appeal.lead_unit_id.or(appeal.owner_unit_id).and_then(|id| unit_names.get(&id).cloned());
    let expected = if appeal.status.is_open() {
        appeal.resolve_due_ms.or(Some(appeal.next_deadline_ms)).filter(|ms| *ms != NO_DEADLINE).map(rfc3339)
    } else {
        None
    };
    let mut value = json!({
        "service_request_id": appeal.number,
        "status": open311_status(appeal.status),
        "status_notes": status_notes,
        "service_name": service_name,
        "service_code": appeal.category_code,
        "description": appeal.text,
        "agency_responsible": agency,
        "service_notice": null,
        "requested_datetime": rfc3339(appeal.received_ms),
        "updated_datetime": rfc3339(appeal.updated_ms),
        "expected_datetime": expected,
        "address": appeal.address,
        "address_id": null,
        "zipcode": null,
        "lat": appeal.lat,
        "long": appeal.lng,
        "media_url": null,
    });
    if extensions {
        let staff = call.client.is_some();
        let history: Vec<Value> = events
            .iter()
            .filter_map(|event| {
                let kind: EventKind = event.kind.parse().ok()?;
                if staff {
                    Some(json!({"kind": kind.as_str(), "label": kind.label_zh(), "at": rfc3339(event.at_ms), "actor": event.actor, "note": event.reason}))
                } else if kind.is_public() {
                    Some(json!({"kind": kind.as_str(), "label": kind.label_zh(), "at": rfc3339(event.at_ms), "note": public_note(kind, &event.reason)}))
                } else {
                    None
                }
            })
            .collect();
        value["extended_attributes"] = json!({
            "minqing_status": appeal.status.as_str(),
            "minqing_status_label": appeal.status.label_zh(),
            "tier": appeal.tier.as_str(),
            "triage": appeal.triage.as_str(),
            "region_code": appeal.region_code,
            "grid_id": appeal.grid_id,
            "channel": appeal.channel.as_str(),
            "events": history,
        });
    }
    Ok(value)
}

/// The client behind a write, or 403.
fn writer(call: &Call) -> Result<&Staff, Open311Error> {
    let staff = call.client.as_ref().ok_or_else(|| {
        Open311Error::new(StatusCode::FORBIDDEN, call.format, "api_key was not provided; ask the county service centre for one")
    })?;
    if !staff.has_any(crate::http::appeals::create::INTAKE_ROLES) {
        return Err(Open311Error::new(StatusCode::FORBIDDEN, call.format, "this api_key may read but not file requests"));
    }
    Ok(staff)
}

fn parse_point(call: &Call) -> Result<Option<(f64, f64)>, Open311Error> {
    match (call.params.get("lat"), call.params.get("long")) {
        (None, None) => Ok(None),
        (Some(lat), Some(lng)) => {
            let (lat, lng) = match (lat.parse::<f64>(), lng.parse::<f64>()) {
                (Ok(lat), Ok(lng))
                    if lat.is_finite() && lng.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) =>
                {
                    (lat, lng)
                }
                _ => return Err(bad(call, "lat must be a number within -90..90 and long within -180..180")),
            };
            // Our extension: clients built on Chinese map apps may say which datum they use.
            let point = match call.params.get("coord_system").map(str::to_ascii_lowercase).as_deref() {
                None | Some("wgs84") => (lng, lat),
                Some("gcj02") => crate::domain::geo::coords::gcj02_to_wgs84(lng, lat),
                Some("bd09") => crate::domain::geo::coords::bd09_to_wgs84(lng, lat),
                Some(_) => return Err(bad(call, "coord_system must be wgs84, gcj02 or bd09")),
            };
            Ok(Some(point))
        }
        _ => Err(bad(call, "give both lat and long, or neither")),
    }
}

async fn create_request(call: &Call) -> Open311Result {
    let client = writer(call)?;
    let service_code = call.params.get("service_code").ok_or_else(|| bad(call, "service_code was not provided"))?.to_string();
    let point = parse_point(call)?;
    let address =
        call.params.get("address_string").map(str::to_string).or_else(|| call.params.get("address_id").map(|id| format!("地址编号 {id}")));
    if point.is_none() && address.is_none() {
        return Err(bad(call, "a location is required: lat and long, address_string or address_id"));
    }
    if address.as_ref().is_some_and(|address| address.chars().count() > 200) {
        return Err(bad(call, "address_string must be at most 200 characters"));
    }
    let description = call.params.get("description").map(str::to_string);
    if description.as_ref().is_some_and(|text| text.chars().count() > 4000) {
        return Err(bad(call, "description must be at most 4000 characters"));
    }
    let name = match (call.params.get("last_name"), call.params.get("first_name")) {
        (None, None) => None,
        (last, first) => Some(format!("{}{}", last.unwrap_or(""), first.unwrap_or(""))),
    };
    let contact = Contact::parse(name.as_deref(), call.params.get("phone")).map_err(|error| bad(call, error.to_string()))?;
    let media_url = call.params.get("media_url").map(|url| url.chars().take(500).collect::<String>());
    let input = ServiceRequestInput { service_code, description, point, address, answers: call.params.attributes(), contact, media_url };
    let receipt = submit_request(&call.hub, client, input).await.map_err(|error| Open311Error::from_service(error, call.format))?;
    let appeal = &receipt.appeal;
    let notice = format!("诉求已登记，编号 {}；请在 {} 前留意处理进展。", appeal.number, rfc3339(appeal.next_deadline_ms));
    let body = json!([{
        "service_request_id": appeal.number,
        "service_notice": notice,
        "account_id": null,
        // Our extension: with the number, the secret lets the resident follow and rate
        // the appeal through /api/v1/public/appeals/{number}.
        "minqing_secret": receipt.secret,
    }]);
    Ok(render(StatusCode::CREATED, call.format, "service_requests", &body))
}

async fn list_updates(call: &Call) -> Open311Result {
    let (from, until) = window(call)?;
    let (offset, limit) = paging(call)?;
    let events = call
        .hub
        .db
        .open311_events(&visibility(call), from.unwrap_or(0), until.unwrap_or(i64::MAX), offset, limit)
        .await
        .map_err(|error| Open311Error::from_service(ServiceError::from(error), call.format))?;
    let staff = call.client.is_some();
    let mut list = Vec::new();
    for (number, event) in events {
        let Ok(kind) = event.kind.parse::<EventKind>() else { continue };
        if !staff && !kind.is_public() {
            continue;
        }
        let note = if staff { Some(event.reason.clone()).filter(|text| !text.is_empty()) } else { public_note(kind, &event.reason) };
        let description = match note {
            Some(note) => format!("{}：{note}", kind.label_zh()),
            None => kind.label_zh().to_string(),
        };
        let status = status_after_event(kind)
            .or_else(|| {
                serde_json::from_str::<Value>(&event.payload_json)
                    .ok()?
                    .get("status_at")?
                    .as_str()
                    .map(|status| if status == "open" { "open" } else { "closed" })
            })
            .unwrap_or("open");
        list.push(json!({
            "update_id": format!("{number}-{}", event.seq),
            "service_request_id": number,
            "status": status,
            "updated_datetime": rfc3339(event.at_ms),
            "description": description,
            "media_url": null,
        }));
    }
    Ok(render(StatusCode::OK, call.format, "service_request_updates", &Value::Array(list)))
}

async fn create_update(call: &Call) -> Open311Result {
    let client = writer(call)?;
    let id = call.params.get("service_request_id").ok_or_else(|| bad(call, "service_request_id was not provided"))?;
    let description = call.params.get("description").ok_or_else(|| bad(call, "description was not provided"))?;
    let appeal = visible_appeal(call, id).await?;
    let requested_status = match call.params.get("status").map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some(status @ ("open" | "closed")) => Some(status.to_string()),
        Some(_) => return Err(bad(call, "status must be OPEN or CLOSED")),
    };
    let name = format!("{}{}", call.params.get("last_name").unwrap_or(""), call.params.get("first_name").unwrap_or(""));
    let details = json!({
        "status_at": open311_status(appeal.status),
        "requested_status": requested_status,
        "client_updated_datetime": call.params.get("updated_datetime"),
        "client_update_id": call.params.get("update_id_ext").or(call.params.get("update_id")),
        "media_url": call.params.get("media_url"),
        "name": Some(name).filter(|name| !name.is_empty()),
    });
    let update_id = add_update(&call.hub, client, &appeal.number, description, details)
        .await
        .map_err(|error| Open311Error::from_service(error, call.format))?;
    let body = json!([{"update_id": update_id}]);
    Ok(render(StatusCode::OK, call.format, "service_request_updates", &body))
}
