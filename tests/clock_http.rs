//! The clock's JSON API over real HTTP: policies, the inbox, templates, supervision, jobs.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn policies_inbox_templates_and_supervision_over_http() {
    let app = spawn_app().await;
    let client = &app.client;

    // The fixture county already has an administrator named `admin`.
    let admin = app.token("admin").await;
    let village = app.token("yanru").await;
    let supervisor = app.token("supervisor").await;

    // Policies: everyone signed in reads; only an administrator writes; bad input is refused.
    let current: Value = client.get(app.url("/api/v1/policies/current")).bearer_auth(&village).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["version"], 1);
    assert_eq!(current["policy"]["warn_share"], 0.8);
    let mut policy = current["policy"].clone();
    policy["warn_share"] = json!(0.75);
    let body = json!({"based_on": 1, "note": "提前预警", "policy": policy});
    let refused = client.put(app.url("/api/v1/policies")).bearer_auth(&village).json(&body).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let mut bad = body.clone();
    bad["policy"]["warn_share"] = json!(3);
    let invalid = client.put(app.url("/api/v1/policies")).bearer_auth(&admin).json(&bad).send().await.unwrap();
    assert_eq!(invalid.status(), 400);
    let error: Value = invalid.json().await.unwrap();
    assert_eq!(error["error"]["field"], "warn_share");
    let saved = client.put(app.url("/api/v1/policies")).bearer_auth(&admin).json(&body).send().await.unwrap();
    assert_eq!(saved.status(), 200);
    let stale = client.put(app.url("/api/v1/policies")).bearer_auth(&admin).json(&body).send().await.unwrap();
    assert_eq!(stale.status(), 409);
    let first: Value = client.get(app.url("/api/v1/policies/1")).bearer_auth(&village).send().await.unwrap().json().await.unwrap();
    assert_eq!(first["policy"]["warn_share"], 0.8, "version 1 is unchanged");
    let versions: Value = client.get(app.url("/api/v1/policies")).bearer_auth(&village).send().await.unwrap().json().await.unwrap();
    assert_eq!(versions.as_array().map(Vec::len), Some(2));

    // Templates: an administrator edits; the next notification uses the new text.
    let edit = json!({"title": "派单提醒：{number}", "body": "{number}已派给你们，{deadline}前签收"});
    assert_eq!(
        client.put(app.url("/api/v1/notification-templates/dispatched")).bearer_auth(&village).json(&edit).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        client.put(app.url("/api/v1/notification-templates/nonsense")).bearer_auth(&admin).json(&edit).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        client.put(app.url("/api/v1/notification-templates/dispatched")).bearer_auth(&admin).json(&edit).send().await.unwrap().status(),
        200
    );
    let templates: Value =
        client.get(app.url("/api/v1/notification-templates")).bearer_auth(&village).send().await.unwrap().json().await.unwrap();
    assert!(
        templates.as_array().unwrap().iter().any(|template| template["kind"] == "dispatched" && template["title"] == "派单提醒：{number}")
    );

    // An appeal dispatched to the housing bureau lands in its unit inbox.
    let receipt: Value = client
        .post(app.url("/api/v1/appeals"))
        .json(&json!({"text": "晏如村村口路灯坏了", "lat": 29.05, "lng": 102.05}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = receipt["number"].as_str().unwrap().to_string();
    let act = |token: String, action: &'static str, body: Value| {
        let client = client.clone();
        let url = app.url(&format!("/api/v1/appeals/{number}/actions/{action}"));
        async move { client.post(url).bearer_auth(token).json(&body).send().await.unwrap().status() }
    };
    assert_eq!(act(village.clone(), "accept", json!({})).await, 200);
    assert_eq!(act(village.clone(), "dispatch", json!({"lead_unit_id": app.county.housing})).await, 200);
    let housing = app.token("housing").await;
    let counts: Value =
        client.get(app.url("/api/v1/notifications/unread-count")).bearer_auth(&housing).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts, json!({"me": 0, "unit": 1}));
    let page: Value =
        client.get(app.url("/api/v1/notifications?box=unit&unread=true")).bearer_auth(&housing).send().await.unwrap().json().await.unwrap();
    let item = &page["items"][0];
    assert_eq!(item["title"], format!("派单提醒：{number}"));
    assert_eq!(item["appeal_number"], number);
    let id = item["id"].as_i64().unwrap();
    // Someone else's notification is not found; the owner marks it read, twice harmlessly.
    assert_eq!(client.post(app.url(&format!("/api/v1/notifications/{id}/read"))).bearer_auth(&village).send().await.unwrap().status(), 404);
    for _ in 0..2 {
        assert_eq!(
            client.post(app.url(&format!("/api/v1/notifications/{id}/read"))).bearer_auth(&housing).send().await.unwrap().status(),
            200
        );
    }
    let counts: Value =
        client.get(app.url("/api/v1/notifications/unread-count")).bearer_auth(&housing).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts["unit"], 0);
    assert_eq!(client.get(app.url("/api/v1/notifications?box=everyone")).bearer_auth(&housing).send().await.unwrap().status(), 400);

    // Supervision by hand: a supervisor issues a notice; it is listed with the key list.
    let url = app.url(&format!("/api/v1/appeals/{number}/supervision-notices"));
    assert_eq!(client.post(&url).bearer_auth(&village).json(&json!({"reason": "x"})).send().await.unwrap().status(), 403);
    assert_eq!(client.post(&url).bearer_auth(&supervisor).json(&json!({"reason": " "})).send().await.unwrap().status(), 400);
    let issued = client.post(&url).bearer_auth(&supervisor).json(&json!({"reason": "群众多次来电"})).send().await.unwrap();
    assert_eq!(issued.status(), 201);
    let key_list: Value =
        client.get(app.url("/api/v1/supervision/key-list")).bearer_auth(&supervisor).send().await.unwrap().json().await.unwrap();
    assert_eq!(key_list[0]["appeal_number"], number);
    assert_eq!(act(supervisor.clone(), "urge", json!({"note": "请尽快签收"})).await, 200);
    let urges: Value =
        client.get(app.url("/api/v1/supervision/urges")).bearer_auth(&supervisor).send().await.unwrap().json().await.unwrap();
    assert_eq!(urges[0]["urge_count"], 1);
    assert_eq!(client.get(app.url("/api/v1/supervision/notices")).bearer_auth(&village).send().await.unwrap().status(), 403);

    // The jobs table is for administrators.
    assert_eq!(client.get(app.url("/api/v1/jobs")).bearer_auth(&supervisor).send().await.unwrap().status(), 403);
    assert_eq!(client.get(app.url("/api/v1/jobs?state=done")).bearer_auth(&admin).send().await.unwrap().status(), 200);
    assert_eq!(client.get(app.url("/api/v1/jobs?state=bogus")).bearer_auth(&admin).send().await.unwrap().status(), 400);
}
