//! Open311 GeoReport v2 conformance: every endpoint, both formats, every error case and
//! the lenient parameter rules (empty = absent; api_key and jurisdiction_id in the query
//! or the form body), over real HTTP against the fixture county.

mod common;

use common::{TestApp, spawn_app};
use minqing::service::auth;
use serde_json::{Value, json};

/// What a case expects back.
struct Case {
    name: &'static str,
    method: &'static str,
    /// Path under /open311/v2/ with the query; `{N}`, `{W}`, `{H}`, `{KEY}`, `{READER}` are filled in.
    path: &'static str,
    /// A form body for POST.
    form: Option<&'static str>,
    status: u16,
    /// Text the body must contain (after placeholders are filled in).
    contains: &'static [&'static str],
    /// Text the body must not contain.
    lacks: &'static [&'static str],
    /// For JSON lists, the number of items.
    items: Option<usize>,
}

const fn case(name: &'static str, method: &'static str, path: &'static str, status: u16) -> Case {
    Case { name, method, path, form: None, status, contains: &[], lacks: &[], items: None }
}

struct Fixture {
    app: TestApp,
    /// An Open311 request routed to 晏如村 (路灯).
    lamp: String,
    /// An Open311 request for water (0203) with its required attribute.
    water: String,
    /// A hotline appeal, not filed through Open311.
    hotline: String,
    client_key: String,
    reader_key: String,
}

impl Fixture {
    fn fill(&self, template: &str) -> String {
        template
            .replace("{N}", &self.lamp)
            .replace("{W}", &self.water)
            .replace("{H}", &self.hotline)
            .replace("{KEY}", &self.client_key)
            .replace("{READER}", &self.reader_key)
    }

    async fn send(&self, method: &str, path: &str, form: Option<&str>) -> (u16, String, String) {
        let url = self.app.url(&format!("/open311/v2/{}", self.fill(path)));
        let request = match method {
            "POST" => self
                .app
                .client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.map(|form| self.fill(form)).unwrap_or_default()),
            _ => self.app.client.get(url),
        };
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or("").to_string();
        (status, content_type, response.text().await.expect("body"))
    }
}

async fn post_form(app: &TestApp, path: &str, form: &str) -> (u16, String) {
    let response = app
        .client
        .post(app.url(&format!("/open311/v2/{path}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .expect("post");
    (response.status().as_u16(), response.text().await.expect("body"))
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let hub = &app.county.hub;
    let client_key = auth::create_api_token(hub, "operator", "open311 client").await.expect("client key");
    let reader_key = auth::create_api_token(hub, "leader", "open311 reader").await.expect("reader key");

    // api_key in the form body, jurisdiction_id in the query string.
    let (status, body) = post_form(
        &app,
        "requests.json?jurisdiction_id=511824",
        &format!("api_key={client_key}&service_code=0201&lat=29.05&long=102.05&description=%E6%99%8F%E5%A6%82%E6%9D%91%E6%9D%91%E5%8F%A3%E8%B7%AF%E7%81%AF%E5%9D%8F%E4%BA%86&attribute%5Blamps_out%5D=2&first_name=%E4%B8%89&last_name=%E5%BC%A0&phone=13812345678&email="),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let receipt: Value = serde_json::from_str(&body).expect("json");
    let lamp = receipt[0]["service_request_id"].as_str().expect("id").to_string();
    assert!(receipt[0]["minqing_secret"].as_str().is_some_and(|secret| secret.len() == 6));

    // api_key in the query string, attributes of every kind in the body, XML answer.
    let (status, body) = post_form(
        &app,
        &format!("requests.xml?api_key={client_key}"),
        "jurisdiction_id=&service_code=0203&address_string=%E7%BE%8E%E7%BD%97%E9%95%87%E6%96%B9%E5%85%83%E6%9D%91&attribute%5Boutage_scope%5D=building&attribute%5Boutage_since%5D=2026-11-16T07%3A30%3A00%2B08%3A00",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let document = roxmltree::Document::parse(&body).expect("well-formed XML");
    let water =
        document.descendants().find(|node| node.has_tag_name("service_request_id")).and_then(|node| node.text()).expect("id").to_string();

    let hotline_receipt: Value = app
        .client
        .post(app.url("/api/v1/appeals"))
        .json(&json!({"text": "福龙村停电了", "region_code": "511824101204"}))
        .send()
        .await
        .expect("hotline")
        .json()
        .await
        .expect("json");
    let hotline = hotline_receipt["number"].as_str().expect("number").to_string();
    Fixture { app, lamp, water, hotline, client_key, reader_key }
}

fn cases() -> Vec<Case> {
    vec![
        // discovery
        Case { contains: &["GeoReport_v2", "application/json", "/open311/v2"], ..case("discovery json", "GET", "discovery.json", 200) },
        Case { contains: &["<discovery>", "<format>text/xml</format>"], ..case("discovery xml", "GET", "discovery.xml", 200) },
        // services
        Case {
            contains: &["\"service_code\":\"0203\"", "\"group\":\"市政设施\"", "停水"],
            lacks: &["\"service_code\":\"02\""],
            ..case("services json", "GET", "services.json", 200)
        },
        Case {
            contains: &[
                "<service><description>",
                "<service_code>0203</service_code>",
                "<metadata>true</metadata>",
                "<type>realtime</type>",
            ],
            ..case("services xml", "GET", "services.xml", 200)
        },
        Case { contains: &["\"service_code\":\"0101\""], ..case("services without suffix default to json", "GET", "services", 200) },
        Case { contains: &["0203"], ..case("jurisdiction in the query", "GET", "services.json?jurisdiction_id=511824", 200) },
        Case { contains: &["0203"], ..case("empty jurisdiction is absent", "GET", "services.json?jurisdiction_id=", 200) },
        Case {
            contains: &["\"code\":404", "jurisdiction_id"],
            ..case("unknown jurisdiction json", "GET", "services.json?jurisdiction_id=110101", 404)
        },
        Case {
            contains: &["<errors><error><code>404</code>"],
            ..case("unknown jurisdiction xml", "GET", "services.xml?jurisdiction_id=110101", 404)
        },
        Case { contains: &["\"code\":404", "format"], ..case("unknown format", "GET", "services.csv", 404) },
        Case { contains: &["\"code\":404"], ..case("unknown resource", "GET", "widgets.json", 404) },
        Case { contains: &["<errors>"], ..case("unknown resource xml", "GET", "widgets.xml", 404) },
        Case { contains: &["<code>405</code>"], ..case("services is read-only", "POST", "services.xml", 405) },
        // service definitions
        Case {
            contains: &["\"datatype\":\"singlevaluelist\"", "停水范围", "\"key\":\"building\"", "\"datatype\":\"datetime\""],
            ..case("definition json", "GET", "services/0203.json", 200)
        },
        Case {
            contains: &["<service_definition>", "<datatype>multivaluelist</datatype>", "<value><key>household</key>"],
            ..case("definition xml", "GET", "services/0302.xml", 200)
        },
        Case {
            contains: &["\"datatype\":\"number\"", "\"datatype\":\"string\""],
            ..case("definition number and string", "GET", "services/0201.json", 200)
        },
        Case { contains: &["\"datatype\":\"text\""], ..case("definition text", "GET", "services/0101.json", 200) },
        Case { contains: &["\"variable\":false"], ..case("definition with information only", "GET", "services/1201.json", 200) },
        Case { contains: &["\"attributes\":[]"], ..case("definition without attributes", "GET", "services/0401.json", 200) },
        Case { contains: &["\"code\":404"], ..case("definition unknown json", "GET", "services/9999.json", 404) },
        Case { contains: &["<code>404</code>"], ..case("definition unknown xml", "GET", "services/9999.xml", 404) },
        Case {
            contains: &["<code>404</code>"],
            ..case("definition wrong jurisdiction", "GET", "services/0203.xml?jurisdiction_id=1", 404)
        },
        // searching requests
        Case {
            contains: &["{N}", "{W}", "\"status\":\"open\"", "\"requested_datetime\":\"2026-11-16T09:00:00+08:00\""],
            lacks: &["{H}"],
            items: Some(2),
            ..case("anonymous sees open311 requests", "GET", "requests.json", 200)
        },
        Case {
            contains: &["<service_requests><request>", "<service_request_id>{N}</service_request_id>", "<long>102.05</long>"],
            ..case("requests xml", "GET", "requests.xml", 200)
        },
        Case { items: Some(3), contains: &["{H}"], ..case("a client key sees its scope", "GET", "requests.json?api_key={KEY}", 200) },
        Case { items: Some(3), ..case("a reader key sees its scope", "GET", "requests.json?api_key={READER}", 200) },
        Case { items: Some(2), ..case("empty api_key is absent", "GET", "requests.json?api_key=&jurisdiction_id=", 200) },
        Case { contains: &["\"code\":403"], ..case("bad api_key json", "GET", "requests.json?api_key=mq_nope", 403) },
        Case { contains: &["<code>403</code>"], ..case("bad api_key xml", "GET", "requests.xml?api_key=mq_nope", 403) },
        Case {
            items: Some(2),
            ..case("ids override other filters", "GET", "requests.json?service_request_id={N},{H}&status=closed&api_key={KEY}", 200)
        },
        Case { items: Some(1), lacks: &["{H}"], ..case("ids respect visibility", "GET", "requests.json?service_request_id={N},{H}", 200) },
        Case { items: Some(0), ..case("ids that do not exist", "GET", "requests.json?service_request_id=MQ-20990101-000001,x", 200) },
        Case { items: Some(1), contains: &["{W}"], ..case("service_code", "GET", "requests.json?service_code=0203", 200) },
        Case { items: Some(2), ..case("service_code list", "GET", "requests.json?service_code=0203,0201", 200) },
        Case { items: Some(0), ..case("service_code matching nothing", "GET", "requests.json?service_code=0401", 200) },
        Case { items: Some(2), ..case("status open", "GET", "requests.json?status=open", 200) },
        Case { items: Some(0), ..case("status closed", "GET", "requests.json?status=closed", 200) },
        Case { items: Some(2), ..case("status list in capitals", "GET", "requests.json?status=OPEN,closed", 200) },
        Case { items: Some(2), ..case("empty status is absent", "GET", "requests.json?status=", 200) },
        Case { contains: &["\"code\":400", "status"], ..case("bad status", "GET", "requests.json?status=pending", 400) },
        Case { contains: &["<code>400</code>"], ..case("bad status xml", "GET", "requests.xml?status=pending", 400) },
        Case {
            items: Some(2),
            ..case("date window", "GET", "requests.json?start_date=2026-11-16T00:00:00%2B08:00&end_date=2026-11-16T23:59:59%2B08:00", 200)
        },
        Case { items: Some(2), ..case("start only", "GET", "requests.json?start_date=2026-11-01T00:00:00Z", 200) },
        Case { items: Some(0), ..case("end before everything", "GET", "requests.json?end_date=2026-11-15T00:00:00%2B08:00", 200) },
        Case { items: Some(0), ..case("start after everything", "GET", "requests.json?start_date=2030-01-01T00:00:00%2B08:00", 200) },
        Case { contains: &["start_date"], ..case("bad start_date", "GET", "requests.json?start_date=yesterday", 400) },
        Case { contains: &["end_date"], ..case("bad end_date", "GET", "requests.xml?end_date=2026-13-01", 400) },
        Case {
            contains: &["start_date must not be after end_date"],
            ..case("inverted window", "GET", "requests.json?start_date=2026-11-17T00:00:00Z&end_date=2026-11-16T00:00:00Z", 400)
        },
        Case { items: Some(1), contains: &["{W}"], ..case("page 1 of size 1 (newest first)", "GET", "requests.json?page_size=1", 200) },
        Case { items: Some(1), contains: &["{N}"], ..case("page 2 of size 1", "GET", "requests.json?page=2&page_size=1", 200) },
        Case { items: Some(0), ..case("page past the end", "GET", "requests.json?page=3&page_size=1", 200) },
        Case { contains: &["page"], ..case("page 0", "GET", "requests.json?page=0", 400) },
        Case { contains: &["page_size"], ..case("page_size too big", "GET", "requests.json?page_size=5000", 400) },
        Case { contains: &["page_size"], ..case("page_size not a number", "GET", "requests.xml?page_size=ten", 400) },
        Case {
            contains: &["<code>404</code>"],
            ..case("requests in another jurisdiction", "GET", "requests.xml?jurisdiction_id=150422", 404)
        },
        // one request
        Case {
            items: Some(1),
            contains: &["{N}", "路灯照明", "晏如村党支部", "待受理（received）", "\"expected_datetime\":\"2026-"],
            ..case("one request json", "GET", "requests/{N}.json", 200)
        },
        Case {
            contains: &["<request><address", "<service_code>0203</service_code>", "整栋楼"],
            ..case("one request xml", "GET", "requests/{W}.xml", 200)
        },
        Case {
            contains: &["\"extended_attributes\"", "\"events\"", "\"kind\":\"received\"", "\"tier\""],
            ..case("extensions", "GET", "requests/{N}.json?extensions=true", 200)
        },
        Case {
            contains: &["<extended_attributes>", "<events><event>"],
            ..case("extensions xml", "GET", "requests/{N}.xml?extensions=true", 200)
        },
        Case { lacks: &["extended_attributes"], ..case("no extensions by default", "GET", "requests/{N}.json", 200) },
        Case { contains: &["\"code\":404"], ..case("a hotline appeal is not public", "GET", "requests/{H}.json", 404) },
        Case { contains: &["{H}"], ..case("a client key reads a hotline appeal", "GET", "requests/{H}.json?api_key={KEY}", 200) },
        Case { contains: &["\"code\":404"], ..case("unknown request json", "GET", "requests/MQ-20990101-000001.json", 404) },
        Case { contains: &["<code>404</code>"], ..case("malformed request id xml", "GET", "requests/42.xml", 404) },
        Case { contains: &["<code>403</code>"], ..case("one request with a bad key", "GET", "requests/{N}.xml?api_key=nope", 403) },
        // tokens
        Case { contains: &["\"token\":\"{N}\"", "\"service_request_id\":\"{N}\""], ..case("token json", "GET", "tokens/{N}.json", 200) },
        Case { contains: &["<token>{N}</token>"], ..case("token xml", "GET", "tokens/{N}.xml", 200) },
        Case { contains: &["\"code\":404"], ..case("unknown token", "GET", "tokens/abc.json", 404) },
        Case { contains: &["<code>404</code>"], ..case("unknown token xml", "GET", "tokens/abc.xml", 404) },
        Case { contains: &["<code>404</code>"], ..case("unknown item resource", "GET", "widgets/1.xml", 404) },
        // filing requests: errors
        Case {
            form: Some("service_code=0201&lat=29.05&long=102.05"),
            contains: &["\"code\":403", "api_key"],
            ..case("post without key", "POST", "requests.json", 403)
        },
        Case {
            form: Some("api_key=&service_code=0201&lat=29.05&long=102.05"),
            contains: &["<code>403</code>"],
            ..case("post with empty key xml", "POST", "requests.xml", 403)
        },
        Case {
            form: Some("api_key=mq_nope&service_code=0201&lat=29.05&long=102.05"),
            contains: &["\"code\":403"],
            ..case("post with bad key", "POST", "requests.json", 403)
        },
        Case {
            form: Some("api_key={READER}&service_code=0201&lat=29.05&long=102.05&attribute[lamps_out]=1"),
            contains: &["\"code\":403"],
            ..case("post with a read-only key", "POST", "requests.json", 403)
        },
        Case {
            form: Some("api_key={KEY}&lat=29.05&long=102.05"),
            contains: &["\"code\":400", "service_code"],
            ..case("post without service_code", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=&lat=29.05&long=102.05"),
            contains: &["<code>400</code>"],
            ..case("post with empty service_code", "POST", "requests.xml", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=9999&lat=29.05&long=102.05"),
            contains: &["\"code\":404", "9999"],
            ..case("post unknown service_code", "POST", "requests.json", 404)
        },
        Case {
            form: Some("api_key={KEY}&service_code=02&lat=29.05&long=102.05"),
            contains: &["\"code\":404"],
            ..case("post a group, not a service", "POST", "requests.json", 404)
        },
        Case {
            form: Some("api_key={KEY}&jurisdiction_id=150422&service_code=0201&lat=29.05&long=102.05"),
            contains: &["\"code\":404", "jurisdiction_id"],
            ..case("post in another jurisdiction", "POST", "requests.json", 404)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0401&description=x"),
            contains: &["\"code\":400", "location"],
            ..case("post without a location", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0401&lat=29.05"),
            contains: &["\"code\":400", "long"],
            ..case("post with lat only", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0401&lat=91&long=102"),
            contains: &["\"code\":400"],
            ..case("post with lat out of range", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0401&lat=north&long=102"),
            contains: &["<code>400</code>"],
            ..case("post with lat not a number", "POST", "requests.xml", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0203&address_string=x"),
            contains: &["\"code\":400", "outage_scope"],
            ..case("post missing a required attribute", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0203&address_string=x&attribute[outage_scope]="),
            contains: &["outage_scope"],
            ..case("empty attribute is absent", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0203&address_string=x&attribute[outage_scope]=street"),
            contains: &["\"code\":400", "street"],
            ..case("post a value outside the list", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0201&address_string=x&attribute[lamps_out]=many"),
            contains: &["lamps_out"],
            ..case("post a number that is not", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0203&address_string=x&attribute[outage_scope]=building&attribute[outage_since]=morning"),
            contains: &["outage_since"],
            ..case("post a bad datetime", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0302&address_string=x&attribute[waste_kinds][]=household&attribute[waste_kinds][]=gold"),
            contains: &["gold"],
            ..case("post a bad multivalue", "POST", "requests.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_code=0401&address_string=x&phone=12"),
            contains: &["\"code\":400"],
            ..case("post a bad phone", "POST", "requests.json", 400)
        },
        // updates
        Case {
            contains: &["\"update_id\":\"{N}-1\"", "\"status\":\"open\"", "登记"],
            lacks: &["{H}"],
            ..case("updates json", "GET", "servicerequestupdates.json", 200)
        },
        Case {
            contains: &["<service_request_updates><request_update>", "<update_id>{W}-1</update_id>"],
            ..case("updates xml", "GET", "servicerequestupdates.xml", 200)
        },
        Case { contains: &["{H}-1"], ..case("updates with a key", "GET", "servicerequestupdates.json?api_key={KEY}", 200) },
        Case { items: Some(1), ..case("updates paged", "GET", "servicerequestupdates.json?page_size=1", 200) },
        Case { items: Some(0), ..case("updates in a window", "GET", "servicerequestupdates.json?start_date=2030-01-01T00:00:00Z", 200) },
        Case { contains: &["start_date"], ..case("updates bad date", "GET", "servicerequestupdates.xml?start_date=x", 400) },
        Case {
            form: Some("service_request_id={N}&description=hi"),
            contains: &["\"code\":403"],
            ..case("update without key", "POST", "servicerequestupdates.json", 403)
        },
        Case {
            form: Some("api_key={KEY}&description=hi"),
            contains: &["service_request_id"],
            ..case("update without id", "POST", "servicerequestupdates.json", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_request_id={N}&description="),
            contains: &["<code>400</code>", "description"],
            ..case("update without description", "POST", "servicerequestupdates.xml", 400)
        },
        Case {
            form: Some("api_key={KEY}&service_request_id=MQ-20990101-000001&description=hi"),
            contains: &["\"code\":404"],
            ..case("update unknown id", "POST", "servicerequestupdates.json", 404)
        },
        Case {
            form: Some("api_key={KEY}&service_request_id={N}&description=hi&status=pending"),
            contains: &["status"],
            ..case("update bad status", "POST", "servicerequestupdates.json", 400)
        },
    ]
}

#[tokio::test]
async fn every_endpoint_format_and_error_case() {
    let fixture = fixture().await;
    let mut failures = Vec::new();
    for case in cases() {
        let (status, content_type, body) = fixture.send(case.method, case.path, case.form).await;
        let mut problems = Vec::new();
        if status != case.status {
            problems.push(format!("status {status}, expected {}", case.status));
        }
        let xml = case.path.split('?').next().is_some_and(|path| path.ends_with(".xml"));
        if xml {
            if !content_type.starts_with("text/xml") {
                problems.push(format!("content-type {content_type}"));
            }
            if let Err(error) = roxmltree::Document::parse(&body) {
                problems.push(format!("not well-formed XML: {error}"));
            }
        } else {
            if !content_type.starts_with("application/json") {
                problems.push(format!("content-type {content_type}"));
            }
            match serde_json::from_str::<Value>(&body) {
                Err(error) => problems.push(format!("not JSON: {error}")),
                Ok(value) => {
                    if status >= 400 && !(value.is_array() && value[0]["code"] == json!(status) && value[0]["description"].is_string()) {
                        problems.push("error not in the spec's format".into());
                    }
                    if let Some(items) = case.items {
                        if value.as_array().map(Vec::len) != Some(items) {
                            problems.push(format!("{} items, expected {items}", value.as_array().map_or(0, Vec::len)));
                        }
                    }
                }
            }
        }
        for needle in case.contains {
            if !body.contains(&fixture.fill(needle)) {
                problems.push(format!("lacks {}", fixture.fill(needle)));
            }
        }
        for needle in case.lacks {
            if body.contains(&fixture.fill(needle)) {
                problems.push(format!("contains {}", fixture.fill(needle)));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{} ({} {}): {}\n    {}",
                case.name,
                case.method,
                case.path,
                problems.join("; "),
                body.chars().take(400).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
    // No error case wrote anything: two Open311 requests and one hotline appeal.
    assert_eq!(fixture.app.county.hub.db.count_appeals().await.unwrap(), 3);
}

#[tokio::test]
async fn an_open311_request_is_an_ordinary_appeal_and_follows_its_life() {
    let fixture = fixture().await;
    let app = &fixture.app;
    let hub = &app.county.hub;

    // Routed to its grid, triaged, owned by the village, deadlined, with the answers in its text.
    let appeal = hub.db.appeal_by_number(&fixture.lamp).await.unwrap().unwrap();
    assert_eq!(appeal.channel.as_str(), "open311");
    assert_eq!(appeal.grid_id.as_deref(), Some("511824101203-01"));
    assert_eq!(appeal.category_code.as_deref(), Some("0201"));
    assert_eq!(appeal.owner_unit_id, Some(app.county.yanru));
    assert!(!appeal.needs_triage);
    assert!(appeal.text.contains("【不亮的路灯数量】2"), "{}", appeal.text);
    assert_eq!(appeal.contact_name.as_deref(), Some("张三"));
    let water = hub.db.appeal_by_number(&fixture.water).await.unwrap().unwrap();
    assert!(water.text.contains("【停水范围】整栋楼"), "{}", water.text);

    // Visible in the village's workbench queue.
    let village = app.token("yanru").await;
    let queue: Value =
        app.client.get(app.url("/api/v1/appeals?queue=mine")).bearer_auth(&village).send().await.unwrap().json().await.unwrap();
    assert!(queue["items"].as_array().unwrap().iter().any(|item| item["number"] == json!(fixture.lamp)), "{queue}");

    // A client's update is a supplement in the history and changes no state.
    let (status, body) = post_form(
        app,
        "servicerequestupdates.json",
        &format!("api_key={}&service_request_id={}&description=%E8%BF%98%E6%98%AF%E4%B8%8D%E4%BA%AE&status=OPEN&updated_datetime=2026-11-16T10:00:00%2B08:00", fixture.client_key, fixture.lamp),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let update: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(update[0]["update_id"], json!(format!("{}-2", fixture.lamp)));
    let after = hub.db.appeal_by_number(&fixture.lamp).await.unwrap().unwrap();
    assert_eq!(after.status, appeal.status);
    assert_eq!(after.event_count, 2);

    // Staff walk it to resolution; Open311 then says closed, with our state and reply.
    let step = |action: &'static str, body: Value| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/appeals/{}/actions/{action}", fixture.lamp));
        let token = village.clone();
        async move { client.post(url).bearer_auth(token).json(&body).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(step("accept", json!({})).await, 200);
    assert_eq!(step("dispatch", json!({"lead_unit_id": app.county.yanru})).await, 200);
    assert_eq!(step("sign_for", json!({})).await, 200);
    assert_eq!(step("resolve", json!({"reply": "已更换两盏路灯"})).await, 200);
    let (status, _, body) = fixture.send("GET", "requests/{N}.json?extensions=true", None).await;
    assert_eq!(status, 200);
    let request: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(request[0]["status"], "closed");
    assert_eq!(request[0]["status_notes"], "已办结（resolved）：已更换两盏路灯");
    assert_eq!(request[0]["expected_datetime"], Value::Null);
    let kinds: Vec<&str> =
        request[0]["extended_attributes"]["events"].as_array().unwrap().iter().map(|event| event["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["received", "supplemented", "accepted", "dispatched", "signed_for", "resolved"]);
    let (_, _, closed) = fixture.send("GET", "requests.json?status=closed", None).await;
    assert!(closed.contains(&fixture.lamp));
    let (_, _, updates) = fixture.send("GET", "servicerequestupdates.json", None).await;
    let updates: Value = serde_json::from_str(&updates).unwrap();
    let last = updates.as_array().unwrap().iter().rev().find(|update| update["service_request_id"] == json!(fixture.lamp)).unwrap().clone();
    assert_eq!(last["status"], "closed");
    assert_eq!(last["description"], "办结：已更换两盏路灯");

    // The resident rates it with the secret through the JSON API, and the chain holds.
    assert!(minqing::cli::audit_verify(&hub.db).await.unwrap() == 0);
}
