//! The JSON API over real HTTP on a random port: intake, following, actions, errors.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn a_resident_submits_follows_and_rates_over_http() {
    let app = spawn_app().await;
    let client = &app.client;
    let response = client
        .post(app.url("/api/v1/appeals"))
        .header("Idempotency-Key", "abc-1")
        .json(&json!({"text": "晏如村村口路灯坏了", "lat": 29.05, "lng": 102.05, "contact_name": "张三", "contact_phone": "13812345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    for field in ["number", "status", "grid_id", "region_code", "category_code", "tier", "triage"] {
        assert!(receipt.get(field).is_some(), "receipt lacks {field}: {receipt}");
    }
    assert_eq!(receipt["grid_id"], "511824101203-01");
    assert_eq!(receipt["status"], "received");
    let number = receipt["number"].as_str().unwrap().to_string();
    let secret = receipt["secret"].as_str().unwrap().to_string();

    // A retry with the same key returns the same receipt and creates nothing new.
    let retry = client
        .post(app.url("/api/v1/appeals"))
        .header("Idempotency-Key", "abc-1")
        .json(&json!({"text": "晏如村村口路灯坏了", "lat": 29.05, "lng": 102.05, "contact_name": "张三", "contact_phone": "13812345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = retry.json().await.unwrap();
    assert_eq!(again["number"], receipt["number"]);
    assert_eq!(app.county.hub.db.count_appeals().await.unwrap(), 1);
    let reused =
        client.post(app.url("/api/v1/appeals")).header("Idempotency-Key", "abc-1").json(&json!({"text": "另一件事"})).send().await.unwrap();
    assert_eq!(reused.status(), 409);

    // Following by number and secret shows the public view; a wrong secret is a 404.
    let followed: Value =
        client.get(app.url(&format!("/api/v1/appeals/{number}?secret={secret}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(followed["status"], "received");
    assert!(followed["events"].as_array().is_some_and(|events| !events.is_empty()));
    assert!(followed.get("contact_phone").is_none(), "the public view never shows contact details");
    let wrong = client.get(app.url(&format!("/api/v1/public/appeals/{number}?secret=AAAAAA"))).send().await.unwrap();
    assert_eq!(wrong.status(), 404);
    let anonymous = client.get(app.url(&format!("/api/v1/appeals/{number}"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // Staff walk it to resolution over HTTP.
    let village = app.token("yanru").await;
    let housing_unit = app.county.housing;
    let step = |token: String, action: &'static str, body: Value| {
        let client = client.clone();
        let url = app.url(&format!("/api/v1/appeals/{number}/actions/{action}"));
        async move { client.post(url).bearer_auth(token).json(&body).send().await.unwrap() }
    };
    assert_eq!(step(village.clone(), "accept", json!({})).await.status(), 200);
    let dispatched = step(village.clone(), "dispatch", json!({"lead_unit_id": housing_unit})).await;
    assert_eq!(dispatched.status(), 200);
    let view: Value = dispatched.json().await.unwrap();
    assert_eq!(view["status"], "dispatched");
    assert_eq!(view["contact_phone"], "138****5678", "the village dispatcher sees a masked phone");
    let housing = app.token("housing").await;
    let detail: Value =
        client.get(app.url(&format!("/api/v1/appeals/{number}"))).bearer_auth(&housing).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["contact_phone"], "13812345678", "the lead unit's handler can call the resident");
    assert_eq!(detail["available_actions"], json!(["sign_for", "return"]));
    assert_eq!(step(housing.clone(), "resolve", json!({"reply": "x"})).await.status(), 409, "resolve before signing is illegal");
    assert_eq!(step(housing.clone(), "sign_for", json!({})).await.status(), 200);
    assert_eq!(step(housing.clone(), "resolve", json!({"reply": "已更换灯泡"})).await.status(), 200);

    // The resident rates with the secret.
    let rated = client
        .post(app.url(&format!("/api/v1/public/appeals/{number}/rate")))
        .json(&json!({"secret": secret, "resolution": "resolved", "satisfaction": "satisfied"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rated.status(), 200);
    let rated: Value = rated.json().await.unwrap();
    assert_eq!(rated["status"], "rated");
    assert_eq!(rated["reply"], "已更换灯泡");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let app = spawn_app().await;
    let operator = app.token("operator").await;
    let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
        ("POST", "/api/v1/appeals", Some(""), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some("{"), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": ""}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "   "}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "lat": 29.0}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "lat": 91, "lng": 102}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "channel": "hotline"}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "channel": "fax"}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "region_code": "12"}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "region_code": "5118249"}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "category_code": "9999"}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": "x", "contact_phone": "call me"}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"{"text": 5}"#), 400, "invalid_input"),
        ("POST", "/api/v1/appeals", Some(r#"[]"#), 400, "invalid_input"),
        ("GET", "/api/v1/appeals/not-a-number", None, 400, "invalid_input"),
        ("GET", "/api/v1/appeals/MQ-20261116-999999?secret=ABCDEF", None, 404, "not_found"),
        ("GET", "/api/v1/appeals", None, 401, "unauthenticated"),
        ("GET", "/api/v1/grids/nope", None, 404, "not_found"),
        ("GET", "/api/v1/regions/abc/grids", None, 400, "invalid_input"),
        ("GET", "/api/v1/regions/511824999/grids", None, 404, "not_found"),
        ("GET", "/api/v1/route?lat=x&lng=1", None, 400, "invalid_input"),
        ("GET", "/api/v1/nowhere", None, 404, "not_found"),
        ("POST", "/api/v1/auth/login", Some(r#"{"username": "operator", "password": "wrong"}"#), 401, "unauthenticated"),
    ];
    for (method, path, body, status, code) in cases {
        let mut request = app.client.request(method.parse().unwrap(), app.url(path));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), *status, "{method} {path} {body:?}");
        let envelope: Value = response.json().await.unwrap_or_else(|_| panic!("{method} {path}: not JSON"));
        assert_eq!(envelope["error"]["code"], *code, "{method} {path}: {envelope}");
        assert!(envelope["error"]["message"].as_str().is_some_and(|message| message.len() > 10), "{envelope}");
    }
    assert_eq!(app.county.hub.db.count_appeals().await.unwrap(), 0, "no bad request wrote anything");

    // Actions with bad bodies, unknown actions and foreign units.
    let created: Value = app
        .client
        .post(app.url("/api/v1/appeals"))
        .bearer_auth(&operator)
        .json(&json!({"text": "晏如村路灯坏了", "region_code": "511824101203"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["status"], "received");
    let number = created["number"].as_str().unwrap();
    let dispatcher = app.token("dispatcher").await;
    let action_cases: &[(&str, Value, u16, &str)] = &[
        ("teleport", json!({}), 404, "unknown_action"),
        ("reject", json!({}), 400, "invalid_input"),
        ("reject", json!({"reason": "  "}), 400, "invalid_input"),
        ("dispatch", json!({"lead_unit_id": 1}), 409, "illegal_transition"),
        ("accept", json!({"surprise": true}), 400, "invalid_input"),
        ("sign_for", json!({}), 409, "illegal_transition"),
    ];
    for (action, body, status, code) in action_cases {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/appeals/{number}/actions/{action}")))
            .bearer_auth(&dispatcher)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), *status, "{action} {body}");
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["error"]["code"], *code, "{action}: {envelope}");
    }
    let events = app.county.hub.db.events_of(app.county.hub.db.appeal_by_number(number).await.unwrap().unwrap().id).await.unwrap();
    assert_eq!(events.len(), 1, "refused actions wrote no history");
    let unknown_unit = app
        .client
        .post(app.url(&format!("/api/v1/appeals/{number}/actions/accept")))
        .bearer_auth(&dispatcher)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_unit.status(), 200);
    let response = app
        .client
        .post(app.url(&format!("/api/v1/appeals/{number}/actions/dispatch")))
        .bearer_auth(&dispatcher)
        .json(&json!({"lead_unit_id": 99999}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn lists_are_scoped_and_paged_by_cursor() {
    let app = spawn_app().await;
    let operator = app.token("operator").await;
    for index in 0..7 {
        let region = if index % 2 == 0 { "511824101203" } else { "511824102200" };
        let response = app
            .client
            .post(app.url("/api/v1/appeals"))
            .bearer_auth(&operator)
            .json(&json!({"text": format!("路灯坏了 {index}"), "region_code": region}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let huilong = app.token("huilong").await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = app.url("/api/v1/appeals?limit=2&sort=newest");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = app.client.get(url).bearer_auth(&huilong).send().await.unwrap().json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            assert!(item["region_code"].as_str().unwrap().starts_with("511824101"), "{item}");
            seen.push(item["number"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4, "回隆镇 sees its four appeals and none of 美罗镇's");
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "pages do not overlap");
    let meiluo = app.token("meiluo").await;
    let page: Value =
        app.client.get(app.url("/api/v1/appeals?status=open")).bearer_auth(&meiluo).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let housing = app.token("housing").await;
    let page: Value = app.client.get(app.url("/api/v1/appeals")).bearer_auth(&housing).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "a department sees nothing until something is dispatched to it");
}

#[tokio::test]
async fn places_are_served_as_geojson() {
    let app = spawn_app().await;
    let grid: Value = app.client.get(app.url("/api/v1/grids/511824101203-01")).send().await.unwrap().json().await.unwrap();
    assert_eq!(grid["type"], "Feature");
    assert_eq!(grid["properties"]["region_code"], "511824101203");
    assert_eq!(grid["geometry"]["type"], "MultiPolygon");
    let grids: Value = app.client.get(app.url("/api/v1/regions/511824101/grids")).send().await.unwrap().json().await.unwrap();
    assert_eq!(grids["type"], "FeatureCollection");
    assert_eq!(grids["features"].as_array().unwrap().len(), 2);
    let routed: Value = app.client.get(app.url("/api/v1/route?lat=29.05&lng=102.1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(routed["grid_id"], "511824101203-01", "the shared edge goes to the smaller grid id");
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn administrators_manage_units_users_and_grids() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let operator = app.token("operator").await;
    let post = |token: &str, path: &str, body: String| {
        app.client.post(app.url(path)).bearer_auth(token).header("content-type", "application/json").body(body).send()
    };
    let forbidden =
        post(&operator, "/api/v1/admin/units", json!({"name": "县林业局", "kind": "department", "region_code": "511824"}).to_string())
            .await
            .unwrap();
    assert_eq!(forbidden.status(), 403);
    let unit = post(&admin, "/api/v1/admin/units", json!({"name": "县林业局", "kind": "department", "region_code": "511824"}).to_string())
        .await
        .unwrap();
    assert_eq!(unit.status(), 201);
    let unit: Value = unit.json().await.unwrap();
    let user = post(
        &admin,
        "/api/v1/admin/users",
        json!({"username": "forest", "unit_id": unit["id"], "roles": ["handler"], "password": "long-enough-1"}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(user.status(), 201);
    let again = post(
        &admin,
        "/api/v1/admin/users",
        json!({"username": "forest", "unit_id": unit["id"], "roles": ["handler"], "password": "long-enough-1"}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(again.status(), 409);
    let short = post(
        &admin,
        "/api/v1/admin/users",
        json!({"username": "x", "unit_id": unit["id"], "roles": ["handler"], "password": "short"}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(short.status(), 400);

    // A grid file with one bad feature imports nothing.
    let square = |west: f64| json!({"type": "Polygon", "coordinates": [[[west, 29.2], [west + 0.05, 29.2], [west + 0.05, 29.25], [west, 29.25], [west, 29.2]]]});
    let bad = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "g-new-1", "region_code": "511824102200"}, "geometry": square(102.0)},
        {"type": "Feature", "properties": {"id": "g-new-2", "region_code": "511824102"}, "geometry": square(102.05)},
    ]});
    let refused = post(&admin, "/api/v1/admin/grids", bad.to_string()).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(app.client.get(app.url("/api/v1/grids/g-new-1")).send().await.unwrap().status(), 404, "nothing half-imported");
    let good = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "g-new-1", "region_code": "511824102200", "name": "方元村第2网格"}, "geometry": square(102.0)},
    ]});
    assert_eq!(post(&admin, "/api/v1/admin/grids", good.to_string()).await.unwrap().status(), 200);
    let routed: Value = app.client.get(app.url("/api/v1/route?lat=29.22&lng=102.02")).send().await.unwrap().json().await.unwrap();
    assert_eq!(routed["grid_id"], "g-new-1", "a new grid routes at once");

    // A grid drawn (or re-drawn) with crossing sides or no area is refused, and the grid
    // that was there stays as it was; a re-drawn valid outline replaces it.
    let reshape = |coordinates: Value| {
        json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"id": "g-new-1", "region_code": "511824102200", "name": "方元村第2网格"},
             "geometry": {"type": "Polygon", "coordinates": coordinates}},
        ]})
        .to_string()
    };
    for (coordinates, expected) in [
        (json!([[[102.0, 29.2], [102.05, 29.25], [102.05, 29.2], [102.0, 29.25], [102.0, 29.2]]]), "self-intersection"),
        (json!([[[102.0, 29.2], [102.02, 29.2], [102.04, 29.2], [102.0, 29.2]]]), "g-new-1"),
    ] {
        let refused = post(&admin, "/api/v1/admin/grids", reshape(coordinates)).await.unwrap();
        assert_eq!(refused.status(), 400);
        let error: Value = refused.json().await.unwrap();
        let message = error["error"]["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(expected), "{message}");
    }
    let unchanged: Value = app.client.get(app.url("/api/v1/route?lat=29.22&lng=102.02")).send().await.unwrap().json().await.unwrap();
    assert_eq!(unchanged["grid_id"], "g-new-1", "a refused re-drawing leaves the grid as it was");
    let moved = reshape(json!([[[102.1, 29.2], [102.15, 29.2], [102.15, 29.25], [102.1, 29.25], [102.1, 29.2]]]));
    assert_eq!(post(&admin, "/api/v1/admin/grids", moved).await.unwrap().status(), 200);
    let old_place: Value = app.client.get(app.url("/api/v1/route?lat=29.22&lng=102.02")).send().await.unwrap().json().await.unwrap();
    assert_ne!(old_place["grid_id"], "g-new-1", "the re-drawn grid no longer covers its old place");
    let new_place: Value = app.client.get(app.url("/api/v1/route?lat=29.22&lng=102.12")).send().await.unwrap().json().await.unwrap();
    assert_eq!(new_place["grid_id"], "g-new-1", "and covers its new one at once");
    let assigned = post(&admin, "/api/v1/admin/grids/g-new-1/members", json!({"username": "fangyuan", "role": "grid_worker"}).to_string())
        .await
        .unwrap();
    assert_eq!(assigned.status(), 204);
    let grid: Value = app.client.get(app.url("/api/v1/grids/g-new-1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(grid["properties"]["members"][0]["role"], "grid_worker");
}

#[tokio::test]
async fn concurrent_intake_is_batched_durably_and_exactly_once_per_key() {
    let app = spawn_app().await;
    let send = |key: Option<String>, text: String| {
        let mut request = app.client.post(app.url("/api/v1/appeals")).json(&json!({"text": text, "region_code": "511824101203"}));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send()
    };
    // Twelve retries of one submission at once: one appeal, one number for all.
    let retries: Vec<_> = (0..12).map(|_| send(Some("phone-offline-queue-7".into()), "村口路灯坏了".into())).collect();
    let mut numbers = Vec::new();
    for response in futures_join_all(retries).await {
        let response = response.unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        numbers.push(body["number"].as_str().unwrap().to_string());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "every retry got the same appeal");
    // Forty different submissions at once: forty appeals with distinct numbers.
    let distinct: Vec<_> = (0..40).map(|index| send(None, format!("第{index}件事：路灯坏了"))).collect();
    let mut numbers: Vec<String> = Vec::new();
    for response in futures_join_all(distinct).await {
        let body: Value = response.unwrap().json().await.unwrap();
        numbers.push(body["number"].as_str().unwrap().to_string());
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 40);
    assert_eq!(app.county.hub.db.count_appeals().await.unwrap(), 41);
    assert_eq!(minqing::cli::audit_verify(&app.county.hub.db).await.unwrap(), 0);
}

/// Awaits every future concurrently (a tiny join_all, to avoid a dependency).
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
    F: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

#[tokio::test]
async fn operators_judge_urgency_at_intake_and_residents_cannot() {
    let app = spawn_app().await;
    let operator = app.token("operator").await;
    let judged: Value = app
        .client
        .post(app.url("/api/v1/appeals"))
        .bearer_auth(&operator)
        .json(&json!({"text": "晏如村有户人家闻到很重的异味", "region_code": "511824101203", "urgent": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(judged["tier"], "red");
    assert_eq!(judged["urgent"], true);
    assert_eq!(judged["owner_unit_id"], app.county.centre);
    let resident = app.client.post(app.url("/api/v1/appeals")).json(&json!({"text": "我家的事很急", "urgent": true})).send().await.unwrap();
    assert_eq!(resident.status(), 400);

    // Triage from the county queue hands the appeal to its tier's owner.
    let vague: Value = app
        .client
        .post(app.url("/api/v1/appeals"))
        .bearer_auth(&operator)
        .json(&json!({"text": "有件事想反映一下", "region_code": "511824101203"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(vague["needs_triage"], true);
    assert_eq!(vague["owner_unit_id"], app.county.centre);
    let dispatcher = app.token("dispatcher").await;
    let number = vague["number"].as_str().unwrap();
    let triaged: Value = app
        .client
        .post(app.url(&format!("/api/v1/appeals/{number}/actions/reclassify")))
        .bearer_auth(&dispatcher)
        .json(&json!({"category_code": "0201", "reason": "电话核实为路灯问题"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(triaged["owner_unit_id"], app.county.yanru, "a blue appeal belongs to its village once triaged");
    assert_eq!(triaged["needs_triage"], false);
}
