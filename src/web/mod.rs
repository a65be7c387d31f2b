//! The web interface: server-rendered page shells (askama) in Simplified Chinese or
//! English, and our own small JavaScript and CSS, embedded in the binary.
//!
//! Every page is a light shell; its script calls the JSON API (`/api/v1`). Staff sign in
//! through `POST /api/v1/auth/login` and the token is kept in the tab's
//! `sessionStorage`, sent as `Authorization: Bearer`. No cookie carries authority, so
//! there is nothing for a cross-site request to ride on (no CSRF surface), the API stays
//! the one way in, and closing the tab signs out. The price is that a script injected
//! into the page could read the token; every page therefore carries a strict
//! Content-Security-Policy (scripts only from this origin, no inline script) and the
//! scripts build the DOM with `textContent`, never with HTML from data.
//!
//! The language is a plain preference cookie (`mq_lang`), not a credential.

pub mod i18n;

use std::sync::LazyLock;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::service::Hub;
use i18n::{Lang, Texts};

/// One embedded static file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset { name: $name, content_type: $type, bytes: include_bytes!(concat!("static/", $name)) }
    };
}

const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("common.js", "text/javascript; charset=utf-8"),
    asset!("svgmap.js", "text/javascript; charset=utf-8"),
    asset!("portal.js", "text/javascript; charset=utf-8"),
    asset!("follow.js", "text/javascript; charset=utf-8"),
    asset!("login.js", "text/javascript; charset=utf-8"),
    asset!("queue.js", "text/javascript; charset=utf-8"),
    asset!("appeal.js", "text/javascript; charset=utf-8"),
    asset!("intake.js", "text/javascript; charset=utf-8"),
    asset!("map.js", "text/javascript; charset=utf-8"),
    asset!("dashboard.js", "text/javascript; charset=utf-8"),
    asset!("report.js", "text/javascript; charset=utf-8"),
    asset!("insights.js", "text/javascript; charset=utf-8"),
    asset!("admin.js", "text/javascript; charset=utf-8"),
    asset!("board.js", "text/javascript; charset=utf-8"),
    asset!("programmes.js", "text/javascript; charset=utf-8"),
    asset!("work.js", "text/javascript; charset=utf-8"),
    asset!("challenges.js", "text/javascript; charset=utf-8"),
    asset!("order.js", "text/javascript; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
];

const SERVICE_WORKER: &[u8] = include_bytes!("static/sw.js");

/// A short hash of every asset and the dictionary: changes whenever any of them does, so
/// asset URLs carry it and may be cached for a year.
pub static ASSET_VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = Sha256::new();
    for asset in ASSETS {
        hasher.update(asset.name.as_bytes());
        hasher.update(asset.bytes);
    }
    hasher.update(SERVICE_WORKER);
    hasher.update(i18n::dictionary_js(Lang::Zh).as_bytes());
    hasher.update(i18n::dictionary_js(Lang::En).as_bytes());
    hex::encode(&hasher.finalize()[..6])
});

/// The security policy of every page. Images come only from this site, unless the
/// deployment configured its own tile server, whose origin is then allowed for images.
fn content_security_policy(tile_origin: Option<&str>) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{}; \
         connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        tile_origin.map(|origin| format!(" {origin}")).unwrap_or_default()
    )
}

/// The options of `minqing serve` for the web interface.
#[derive(Debug, Clone, clap::Args)]
pub struct WebArgs {
    /// The deployment's own map tile server (Web Mercator tiles on WGS84, e.g. from
    /// 天地图 or an OpenStreetMap server), as `https://HOST/{z}/{x}/{y}.png`. Without it,
    /// maps draw the grid outlines alone and fetch nothing from outside.
    #[arg(long, env = "MINQING_TILE_URL")]
    pub tile_url: Option<String>,
}

impl WebArgs {
    /// The checked tile URL template, if one was given.
    pub fn tile_url(&self) -> anyhow::Result<Option<String>> {
        match self.tile_url.as_deref().map(str::trim).filter(|url| !url.is_empty()) {
            None => Ok(None),
            Some(url) => {
                tile_origin(url).map_err(|problem| anyhow::anyhow!("--tile-url: {problem}"))?;
                Ok(Some(url.to_string()))
            }
        }
    }
}

/// The origin (`scheme://host[:port]`) of a tile URL template, after checking that it is
/// an http(s) URL with `{z}`, `{x}` and `{y}` and nothing that could break out of the
/// page's security header or an attribute.
pub fn tile_origin(url: &str) -> Result<String, String> {
    let rest =
        url.strip_prefix("https://").map(|rest| ("https://", rest)).or_else(|| url.strip_prefix("http://").map(|rest| ("http://", rest)));
    let Some((scheme, rest)) = rest else {
        return Err(format!("`{url}` must start with http:// or https://"));
    };
    for placeholder in ["{z}", "{x}", "{y}"] {
        if !url.contains(placeholder) {
            return Err(format!("`{url}` lacks the placeholder {placeholder}"));
        }
    }
    if url.len() > 500
        || url.chars().any(|ch| ch.is_whitespace() || ch.is_control() || matches!(ch, '"' | '\'' | ';' | ',' | '<' | '>' | '\\'))
    {
        return Err("the URL must be a plain URL without spaces, quotes, ; or ,".into());
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || !host.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | ':' | '[' | ']')) {
        return Err(format!("`{host}` is not a host name"));
    }
    Ok(format!("{scheme}{host}"))
}

/// The routes of the web interface, merged into the main router.
pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/", get(portal))
        .route("/follow", get(follow))
        .route("/board", get(board))
        .route("/staff", get(queue))
        .route("/staff/login", get(login))
        .route("/staff/appeals/{number}", get(appeal))
        .route("/staff/intake", get(intake))
        .route("/staff/map", get(map))
        .route("/staff/dashboard", get(dashboard))
        .route("/staff/report", get(report))
        .route("/staff/admin", get(admin))
        .route("/staff/programmes", get(programmes))
        .route("/staff/work/{number}", get(work_item))
        .route("/programmes/challenges", get(challenges))
        .route("/orders", get(order))
        .route("/lang/{lang}", get(switch_language))
        .route("/static/{name}", get(static_asset))
        .route("/i18n/{file}", get(dictionary))
        .route("/sw.js", get(service_worker))
}

/// The one page template: a shell whose `page` picks the body and the script.
#[derive(Template)]
#[template(path = "page.html")]
struct Page {
    t: Texts,
    lang: &'static str,
    other_lang: &'static str,
    page: &'static str,
    staff: bool,
    version: &'static str,
    county_code: String,
    /// The path of this page, for the language switch to come back to.
    here: String,
    /// The appeal number on the appeal page.
    number: String,
    /// The deployment's tile URL template, or empty: maps draw outlines only.
    tiles: String,
}

fn language(headers: &HeaderMap) -> Lang {
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).flat_map(|value| value.split(';'));
    for cookie in cookies {
        if let Some(("mq_lang", value)) = cookie.trim().split_once('=') {
            return if value == "en" { Lang::En } else { Lang::Zh };
        }
    }
    Lang::Zh
}

fn render(hub: &Hub, headers: &HeaderMap, page: &'static str, here: String, number: String) -> Response {
    let lang = language(headers);
    let shell = Page {
        t: Texts(lang),
        lang: lang.code(),
        other_lang: lang.other().code(),
        page,
        staff: !matches!(page, "portal" | "follow" | "board" | "challenges" | "order"),
        version: ASSET_VERSION.as_str(),
        county_code: hub.config.county_code.clone(),
        here,
        number,
        tiles: hub.config.tile_url.clone().unwrap_or_default(),
    };
    let policy = content_security_policy(hub.config.tile_url.as_deref().and_then(|url| tile_origin(url).ok()).as_deref());
    match shell.render() {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
                (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            ],
            html,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, page, "a page template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

async fn portal(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "portal", "/".into(), String::new())
}

async fn follow(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "follow", "/follow".into(), String::new())
}

async fn board(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "board", "/board".into(), String::new())
}

async fn login(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "login", "/staff/login".into(), String::new())
}

async fn queue(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "queue", "/staff".into(), String::new())
}

async fn appeal(State(hub): State<Hub>, headers: HeaderMap, Path(number): Path<String>) -> Response {
    match crate::domain::appeal::AppealNumber::parse(&number) {
        Some(number) => {
            let number = number.as_str().to_string();
            render(&hub, &headers, "appeal", format!("/staff/appeals/{number}"), number)
        }
        None => (StatusCode::NOT_FOUND, "no such appeal number").into_response(),
    }
}

async fn intake(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "intake", "/staff/intake".into(), String::new())
}

async fn map(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "map", "/staff/map".into(), String::new())
}

async fn dashboard(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "dashboard", "/staff/dashboard".into(), String::new())
}

async fn report(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "report", "/staff/report".into(), String::new())
}

async fn admin(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "admin", "/staff/admin".into(), String::new())
}

async fn programmes(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "programmes", "/staff/programmes".into(), String::new())
}

/// A work item's number as the engine writes it (`JB-20261116-0001`): two capital
/// letters, the day and a sequence. Anything else is not a page.
fn work_number(text: &str) -> Option<&str> {
    let mut parts = text.split('-');
    let (Some(prefix), Some(day), Some(sequence), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let prefix_ok = matches!(prefix, "JB" | "FW" | "TZ" | "TJ");
    let day_ok = day.len() == 8 && day.bytes().all(|byte| byte.is_ascii_digit());
    let sequence_ok = (1..=9).contains(&sequence.len()) && sequence.bytes().all(|byte| byte.is_ascii_digit());
    (prefix_ok && day_ok && sequence_ok).then_some(text)
}

async fn work_item(State(hub): State<Hub>, headers: HeaderMap, Path(number): Path<String>) -> Response {
    match work_number(&number) {
        Some(number) => render(&hub, &headers, "work", format!("/staff/work/{number}"), number.to_string()),
        None => (StatusCode::NOT_FOUND, "no such work item number").into_response(),
    }
}

async fn order(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "order", "/orders".into(), String::new())
}

async fn challenges(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    render(&hub, &headers, "challenges", "/programmes/challenges".into(), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_numbers_are_checked() {
        assert_eq!(work_number("JB-20261116-0001"), Some("JB-20261116-0001"));
        assert_eq!(work_number("FW-20261116-12345"), Some("FW-20261116-12345"));
        for bad in ["MQ-20261116-000001", "JB-2026116-0001", "JB-20261116", "JB-20261116-0001-2", "jb-20261116-0001", "JB-20261116-<x>"] {
            assert_eq!(work_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn tile_urls_are_checked_and_give_their_origin() {
        assert_eq!(tile_origin("https://tiles.shimian.gov.cn/{z}/{x}/{y}.png"), Ok("https://tiles.shimian.gov.cn".into()));
        assert_eq!(tile_origin("http://10.0.0.5:8081/osm/{z}/{x}/{y}.png"), Ok("http://10.0.0.5:8081".into()));
        for bad in [
            "ftp://tiles/{z}/{x}/{y}.png",
            "https://tiles/{z}/{x}.png",
            "https://tiles/{z}/{x}/{y}.png; script-src *",
            "https://tiles/{z}/{x}/{y}.png\" onload=\"x",
            "https:///{z}/{x}/{y}",
            "https://til es/{z}/{x}/{y}",
        ] {
            assert!(tile_origin(bad).is_err(), "{bad}");
        }
        assert!(!content_security_policy(None).contains("http"));
        assert!(
            content_security_policy(Some("https://tiles.shimian.gov.cn"))
                .contains("img-src 'self' data: blob: https://tiles.shimian.gov.cn;")
        );
    }
}

#[derive(Deserialize)]
struct SwitchQuery {
    back: Option<String>,
}

/// Sets the language preference and goes back to the page (only paths on this site).
async fn switch_language(Path(lang): Path<String>, Query(query): Query<SwitchQuery>) -> Response {
    let lang = if lang == "en" { Lang::En } else { Lang::Zh };
    let back = query
        .back
        .filter(|back| back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') && back.len() < 300)
        .unwrap_or_else(|| "/".into());
    let cookie = format!("mq_lang={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
struct VersionQuery {
    v: Option<String>,
}

fn cache_control(version: Option<&str>) -> HeaderValue {
    if version == Some(ASSET_VERSION.as_str()) {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    }
}

async fn static_asset(Path(name): Path<String>, Query(query): Query<VersionQuery>) -> Response {
    match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (header::CACHE_CONTROL, cache_control(query.v.as_deref())),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            asset.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// The interface texts for the scripts, as `/i18n/zh.js` or `/i18n/en.js`.
async fn dictionary(Path(file): Path<String>, Query(query): Query<VersionQuery>) -> Response {
    let lang = match file.as_str() {
        "zh.js" => Lang::Zh,
        "en.js" => Lang::En,
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, cache_control(query.v.as_deref())),
        ],
        i18n::dictionary_js(lang),
    )
        .into_response()
}

/// The service worker that keeps the portal usable without a connection. Served from the
/// root so that its scope covers the portal; never cached long, so updates reach phones.
async fn service_worker() -> Response {
    let body = String::from_utf8_lossy(SERVICE_WORKER).replace("__VERSION__", ASSET_VERSION.as_str());
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
