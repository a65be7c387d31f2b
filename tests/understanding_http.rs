//! The reading endpoints over HTTP: search, duplicates, classifier preview and rules,
//! hot spots and 每月一题, with their reasons and their errors.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn reading_endpoints_explain_themselves() {
    let app = spawn_app().await;
    let client = &app.client;
    let dispatcher = app.token("dispatcher").await;
    let get = |path: String, token: String| {
        let client = client.clone();
        let url = app.url(&path);
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };

    let mut numbers = Vec::new();
    for text in ["方元村二组楼下烧烤摊晚上噪音太大，吵得睡不着", "方元村三组的歌厅噪音扰民到半夜", "方元村广场舞音响太吵，噪音很大"]
    {
        let response =
            client.post(app.url("/api/v1/appeals")).json(&json!({"text": text, "lat": 29.15, "lng": 102.05})).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        numbers.push(body["number"].as_str().unwrap().to_string());
    }

    // Search: words, scope, errors.
    let response = get("/api/v1/appeals/search?q=噪音扰民".into(), dispatcher.clone()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["items"].as_array().unwrap().iter().any(|item| item["number"] == numbers[1].as_str()), "{body}");
    assert!(!body["words"].as_array().unwrap().is_empty(), "{body}");
    let huilong = app.token("huilong").await;
    let body: Value = get("/api/v1/appeals/search?q=噪音".into(), huilong.clone()).await.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 0, "another township sees nothing: {body}");
    assert_eq!(get("/api/v1/appeals/search?q=".into(), dispatcher.clone()).await.status(), 400);
    assert_eq!(get("/api/v1/appeals/search?q=噪音&limit=0".into(), dispatcher.clone()).await.status(), 400);
    assert_eq!(client.get(app.url("/api/v1/appeals/search?q=噪音")).send().await.unwrap().status(), 401);

    // Duplicates.
    let response = get(format!("/api/v1/appeals/{}/duplicates", numbers[2]), dispatcher.clone()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    for item in body["items"].as_array().unwrap() {
        assert!(!item["reasons"].as_array().unwrap().is_empty(), "{body}");
    }
    assert_eq!(get(format!("/api/v1/appeals/{}/duplicates", numbers[2]), huilong.clone()).await.status(), 404);
    assert_eq!(get("/api/v1/appeals/not-a-number/duplicates".into(), dispatcher.clone()).await.status(), 400);

    // Classifier preview and rules.
    let response = client
        .post(app.url("/api/v1/classifier/suggest"))
        .bearer_auth(&dispatcher)
        .json(&json!({"text": "山上滑坡了，石头滚到路上，下面有住户", "channel": "hotline"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["suggestion"]["urgent"], true, "{body}");
    assert_eq!(body["suggestion"]["tier"], "red", "{body}");
    assert!(!body["suggestion"]["reasons"].as_array().unwrap().is_empty(), "{body}");
    let rules: Value = get("/api/v1/classifier/rules".into(), dispatcher.clone()).await.json().await.unwrap();
    assert!(rules["items"].as_array().unwrap().len() > 40, "the keyword rules are seeded");
    let new_rule = json!({"name": "养蜂", "category_code": "0702", "all_of": ["蜜蜂"], "weight": 10});
    let refused = client.post(app.url("/api/v1/classifier/rules")).bearer_auth(&dispatcher).json(&new_rule).send().await.unwrap();
    assert_eq!(refused.status(), 403, "only administrators edit rules");

    // Hot spots and 每月一题.
    let scanned = client.post(app.url("/api/v1/hotspots/scan")).bearer_auth(&dispatcher).send().await.unwrap();
    assert_eq!(scanned.status(), 200);
    let body: Value = scanned.json().await.unwrap();
    let warning =
        body["items"].as_array().unwrap().iter().find(|item| item["category_code"] == "0301").cloned().unwrap_or_else(|| panic!("{body}"));
    assert!(!warning["reasons"].as_array().unwrap().is_empty());
    let fangyuan = app.token("fangyuan").await;
    let listed: Value = get("/api/v1/hotspots/warnings?status=open".into(), fangyuan.clone()).await.json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().iter().any(|item| item["id"] == warning["id"]), "{listed}");
    assert_eq!(get("/api/v1/hotspots/warnings?status=maybe".into(), fangyuan.clone()).await.status(), 400);
    let acknowledged = client
        .post(app.url(&format!("/api/v1/hotspots/warnings/{}/acknowledge", warning["id"])))
        .bearer_auth(&fangyuan)
        .send()
        .await
        .unwrap();
    assert_eq!(acknowledged.status(), 200);
    let handler = app.token("housing").await;
    assert_eq!(client.post(app.url("/api/v1/hotspots/scan")).bearer_auth(&handler).send().await.unwrap().status(), 403);
    let topics: Value = get("/api/v1/hotspots/monthly-topics?month=2026-11".into(), dispatcher.clone()).await.json().await.unwrap();
    assert_eq!(topics["month"], "2026-11");
    let township = topics["townships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|township| township["region_code"] == "511824102")
        .cloned()
        .unwrap_or_else(|| panic!("{topics}"));
    assert_eq!(township["candidates"][0]["category_code"], "0301", "{topics}");
    assert!(township["candidates"][0]["reason"].as_str().unwrap().contains("3 件"), "{topics}");
    assert_eq!(get("/api/v1/hotspots/monthly-topics?month=November".into(), dispatcher.clone()).await.status(), 400);
}
