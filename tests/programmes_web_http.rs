//! The endpoints the programmes' web screens need, over HTTP: the actions a reader may
//! take on a work item now, the ledgers and meetings in a reader's scope, activities
//! without appeals, the programmes dashboard as CSV, and the pages themselves.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

fn actions(detail: &Value) -> Vec<String> {
    detail["available_actions"]
        .as_array()
        .expect("available_actions")
        .iter()
        .map(|action| action["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_work_item_offers_only_the_actions_its_status_and_reader_allow() {
    let app = spawn_app().await;
    let client = &app.client;
    let leader = app.token("leader").await;
    let housing = app.token("housing").await;
    let water = app.token("water").await;
    let get = |path: String, token: &str| client.get(app.url(&path)).bearer_auth(token.to_string()).send();
    let post = |path: String, token: &str, body: Value| client.post(app.url(&path)).bearer_auth(token.to_string()).json(&body).send();

    let published = post(
        "/api/v1/challenge-lists".into(),
        &leader,
        json!({"title": "2026年第四季度揭榜挂帅", "region_code": "511824", "due_at": "2026-12-31T18:00:00+08:00",
               "problems": [{"title": "老旧小区加装电梯", "goal": "完成两个小区加装电梯", "criteria": "电梯投入使用"}]}),
    )
    .await
    .unwrap();
    assert_eq!(published.status(), 201);
    let number = published.json::<Value>().await.unwrap()["problems"][0]["number"].as_str().unwrap().to_string();

    // Open: any unit may claim; only the committee may withdraw; nobody may assess yet.
    let seen_by_housing: Value = get(format!("/api/v1/work-items/{number}"), &housing).await.unwrap().json().await.unwrap();
    assert_eq!(actions(&seen_by_housing), vec!["claim"]);
    let claim = &seen_by_housing["available_actions"][0];
    assert_eq!(claim["label_zh"], "揭榜");
    assert_eq!(claim["needs"], json!(["lead_unit_id", "person_name"]));
    let seen_by_leader: Value = get(format!("/api/v1/work-items/{number}"), &leader).await.unwrap().json().await.unwrap();
    assert!(actions(&seen_by_leader).contains(&"withdraw".to_string()));
    assert!(!actions(&seen_by_leader).contains(&"assess".to_string()));
    assert!(!actions(&seen_by_leader).contains(&"escalate".to_string()), "steps only the hub takes are never offered");

    // Claimed by housing: housing reports and submits; another department may do nothing.
    let claimed = post(
        format!("/api/v1/work-items/{number}/actions/claim"),
        &housing,
        json!({"lead_unit_id": app.county.housing, "person_name": "住建局局长"}),
    )
    .await
    .unwrap();
    assert_eq!(claimed.status(), 200);
    let housing_now = actions(&get(format!("/api/v1/work-items/{number}"), &housing).await.unwrap().json().await.unwrap());
    assert_eq!(housing_now, vec!["name_leader", "report_milestone", "submit"]);
    let water_now = actions(&get(format!("/api/v1/work-items/{number}"), &water).await.unwrap().json().await.unwrap());
    assert!(water_now.is_empty(), "{water_now:?}");

    // Submitted: the committee may assess or return it; every offered action is one the engine accepts.
    let submitted = post(
        format!("/api/v1/work-items/{number}/actions/submit"),
        &housing,
        json!({"reason": "两个小区电梯已验收", "evidence": ["验收单.pdf"]}),
    )
    .await
    .unwrap();
    assert_eq!(submitted.status(), 200);
    let leader_now = actions(&get(format!("/api/v1/work-items/{number}"), &leader).await.unwrap().json().await.unwrap());
    assert!(leader_now.contains(&"assess".to_string()) && leader_now.contains(&"return".to_string()), "{leader_now:?}");
    let assessed =
        post(format!("/api/v1/work-items/{number}/actions/assess"), &leader, json!({"score": 92.5, "reason": "按期完成"})).await.unwrap();
    assert_eq!(assessed.status(), 200);
    let detail: Value = get(format!("/api/v1/work-items/{number}"), &leader).await.unwrap().json().await.unwrap();
    assert_eq!(detail["item"]["status"], "assessed");
    assert!(actions(&detail).is_empty(), "nothing more happens to an assessed problem");
}

#[tokio::test]
async fn ledgers_are_listed_to_their_keeper_their_units_and_the_region_above() {
    let app = spawn_app().await;
    let client = &app.client;
    let huilong = app.token("huilong").await;
    let ledgers_url = app.url("/api/v1/task-ledgers");
    let list = |token: String| {
        let url = ledgers_url.clone();
        async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap().as_array().unwrap().clone()
        }
    };
    assert!(list(huilong.clone()).await.is_empty());
    let created = client
        .post(app.url("/api/v1/task-ledgers"))
        .bearer_auth(&huilong)
        .json(&json!({"title": "冬季安全生产台账", "region_code": "511824101", "tasks": [
            {"title": "排查燃气管道", "unit_id": app.county.yanru, "due_at": "2026-11-30T18:00:00+08:00"},
            {"title": "检查消防通道", "unit_id": app.county.housing, "due_at": "2026-11-20T18:00:00+08:00"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let kept = list(huilong.clone()).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["title"], "冬季安全生产台账");
    assert_eq!((kept[0]["tasks"].as_i64(), kept[0]["done"].as_i64(), kept[0]["overdue"].as_i64()), (Some(2), Some(0), Some(0)));
    // A unit with a task sees it; the centre over the region sees it; a township beside it does not.
    assert_eq!(list(app.token("yanru").await).await.len(), 1);
    assert_eq!(list(app.token("housing").await).await.len(), 1);
    assert_eq!(list(app.token("dispatcher").await).await.len(), 1);
    assert!(list(app.token("meiluo").await).await.is_empty());
    assert!(list(app.token("water").await).await.is_empty());

    // After the first deadline passes, the overdue count shows it.
    app.county.hub.clock.advance(jiff::SignedDuration::from_hours(24 * 6));
    // Sessions last 12 hours, so the keeper signs in again days later.
    let later = list(app.token("huilong").await).await;
    assert_eq!(later[0]["overdue"].as_i64(), Some(1));
}

#[tokio::test]
async fn activities_without_appeals_are_recorded_and_meetings_listed_in_scope() {
    let app = spawn_app().await;
    let client = &app.client;
    let yanru = app.token("yanru").await;
    let fangyuan = app.token("fangyuan").await;
    let record = |token: &str, body: Value| client.post(app.url("/api/v1/activities")).bearer_auth(token.to_string()).json(&body).send();
    let meetings = |token: &str, query: &str| {
        let url = app.url(&format!("/api/v1/meetings{query}"));
        let token = token.to_string();
        async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap().as_array().unwrap().clone()
        }
    };

    // Bad input records nothing: no title, a time still to come, a region out of scope.
    let good = json!({"kind": "应急演练", "title": "冬季消防演练", "region_code": "511824101203", "held_at": "2026-11-15T15:00:00+08:00", "place": "村委会"});
    for (field, value) in [("title", json!("  ")), ("held_at", json!("2026-12-20T15:00:00+08:00")), ("region_code", json!("511824102200"))]
    {
        let mut body = good.clone();
        body[field] = value;
        let refused = record(&yanru, body).await.unwrap();
        assert_eq!(refused.status(), 400, "{field}");
    }
    assert!(meetings(&yanru, "").await.is_empty());

    let recorded = record(&yanru, good.clone()).await.unwrap();
    assert_eq!(recorded.status(), 201);
    let body: Value = recorded.json().await.unwrap();
    let id = body["meeting"]["id"].as_i64().unwrap();
    assert_eq!(body["meeting"]["kind"], "应急演练");
    assert_eq!(body["appeal_numbers"], json!([]));

    let mine = meetings(&yanru, "").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"].as_i64(), Some(id));
    assert_eq!(meetings(&yanru, "?month=2026-11").await.len(), 1);
    assert!(meetings(&yanru, "?month=2026-10").await.is_empty());
    // Another village sees none of it, even when it asks for the township.
    assert!(meetings(&fangyuan, "").await.is_empty());
    assert!(meetings(&fangyuan, "?region_code=511824101").await.is_empty());
    assert_eq!(meetings(&app.token("huilong").await, "").await.len(), 1);
    let bad_month = client.get(app.url("/api/v1/meetings?month=2026-13")).bearer_auth(&yanru).send().await.unwrap();
    assert_eq!(bad_month.status(), 400);

    // Attendance is then recorded on it as on any meeting.
    let attendance = client
        .post(app.url(&format!("/api/v1/meetings/{id}/attendance")))
        .bearer_auth(&yanru)
        .json(&json!({"attendees": [{"name": "王秀英", "role": "群众"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(attendance.status(), 200);
    assert_eq!(attendance.json::<Value>().await.unwrap()["attendees"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_programmes_dashboard_downloads_as_csv() {
    let app = spawn_app().await;
    let client = &app.client;
    let leader = app.token("leader").await;
    let csv = client.get(app.url("/api/v1/dashboard/programmes?format=csv&month=2026-11")).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("region_code,month,measure,value"));
    assert_eq!(lines.next(), Some("511824,2026-11,challenges_total,0"));
    assert!(text.contains("disputes_agreed"));
    let json: Value =
        client.get(app.url("/api/v1/dashboard/programmes?month=2026-11")).bearer_auth(&leader).send().await.unwrap().json().await.unwrap();
    assert_eq!(json["orders_total"].as_i64(), Some(0));
    let bad = client.get(app.url("/api/v1/dashboard/programmes?format=xml")).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_programme_pages_are_served() {
    let app = spawn_app().await;
    for (path, status) in [
        ("/staff/programmes", 200),
        ("/staff/work/JB-20261116-0001", 200),
        ("/staff/work/FW-20261116-0012", 200),
        ("/staff/work/MQ-20261116-000001", 404),
        ("/staff/work/JB-20261116-0001%3Cscript%3E", 404),
        ("/programmes/challenges", 200),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        if status == 200 {
            let html = response.text().await.unwrap();
            assert!(html.contains("<main id=\"main\">"), "{path}");
        }
    }
    let public = app.client.get(app.url("/programmes/challenges")).send().await.unwrap().text().await.unwrap();
    assert!(public.contains("/static/challenges.js"));
    assert!(!public.contains("id=\"sign-out\""), "the public page has no staff menu");
    let board = app.client.get(app.url("/board")).send().await.unwrap().text().await.unwrap();
    assert!(board.contains("href=\"/programmes/challenges\""), "the public board links the challenge lists");
    let staff = app.client.get(app.url("/staff")).send().await.unwrap().text().await.unwrap();
    assert!(staff.contains("href=\"/staff/programmes\""), "the staff menu has the programmes");
}
