//! The programmes' endpoints over real HTTP on a random port: for each route of
//! `programme_routes`, the happy path; bad input answers the JSON error envelope with a
//! clear message and changes nothing; another township's items answer 404; residents and
//! anonymous callers cannot take staff actions; public endpoints show no personal data;
//! points never go negative, even under concurrent spends.

mod common;

use common::{TestApp, spawn_app};
use minqing::domain::access::{Role, UnitKind};
use minqing::domain::programme::WorkKind;
use minqing::service::auth;
use minqing::storage::work_items::WorkFilter;
use serde_json::{Value, json};

/// 晏如村, in 回隆镇; 美罗镇 and its 方元村 are the other township.
const VILLAGE: &str = "511824101203";
const OTHER_VILLAGE: &str = "511824102200";

/// A call's status and JSON body (Null when the body is not JSON).
async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let url = app.url(path);
    let mut request = match method {
        "GET" => app.client.get(url),
        "PUT" => app.client.put(url),
        _ => app.client.post(url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts the error envelope: the status, a stable code and a message a person can act on.
#[track_caller]
fn assert_error(answer: &(u16, Value), status: u16, context: &str) {
    assert_eq!(answer.0, status, "{context}: {}", answer.1);
    let error = &answer.1["error"];
    assert!(error["code"].as_str().is_some_and(|code| !code.is_empty()), "{context}: no error code in {}", answer.1);
    assert!(error["message"].as_str().is_some_and(|message| message.len() > 5), "{context}: no clear message in {}", answer.1);
}

fn in_days(app: &TestApp, days: i64) -> String {
    (app.county.hub.clock.now() + jiff::SignedDuration::from_hours(24 * days)).to_string()
}

async fn work_count(app: &TestApp, kind: WorkKind) -> usize {
    app.county.hub.db.work_items(&WorkFilter { kind: Some(kind), limit: 5000, ..WorkFilter::default() }).await.expect("items").len()
}

/// A service team in 晏如村 with one member, `volunteer`.
async fn service_team(app: &TestApp) -> i64 {
    let hub = &app.county.hub;
    let team = hub.db.ensure_unit("晏如村志愿服务队", UnitKind::ServiceTeam, VILLAGE).await.expect("team").id;
    auth::create_user(hub, "volunteer", "志愿者小李", team, &[Role::Handler], common::PASSWORD).await.expect("volunteer");
    team
}

#[tokio::test]
async fn anonymous_callers_get_401_on_every_staff_endpoint_and_public_ones_answer() {
    let app = spawn_app().await;
    let staff_only: &[(&str, &str, Option<Value>)] = &[
        ("GET", "/api/v1/work-items", None),
        ("GET", "/api/v1/work-items/FW-20261116-0001", None),
        ("POST", "/api/v1/work-items/FW-20261116-0001/actions/take", Some(json!({}))),
        (
            "POST",
            "/api/v1/challenge-lists",
            Some(json!({"title": "x", "region_code": "511824", "due_at": "2027-01-01T00:00:00Z", "problems": []})),
        ),
        ("GET", "/api/v1/challenge-lists/claimants", None),
        ("PUT", "/api/v1/service-catalogue", Some(json!({"region_code": VILLAGE, "code": "meal", "name": "助餐", "finish_hours": 2}))),
        ("GET", "/api/v1/service-circle", None),
        ("PUT", "/api/v1/service-circle", Some(json!({"region_code": VILLAGE, "response_minutes": 10}))),
        ("POST", "/api/v1/task-ledgers", Some(json!({"title": "x", "region_code": "511824", "tasks": []}))),
        ("GET", "/api/v1/task-ledgers/1", None),
        ("POST", "/api/v1/task-ledgers/1/reminders", Some(json!({}))),
        ("POST", "/api/v1/disputes", Some(json!({"title": "x", "summary": "x", "region_code": VILLAGE, "parties": []}))),
        ("GET", "/api/v1/meetings/1", None),
        ("POST", "/api/v1/meetings/1/attendance", Some(json!({"attendees": []}))),
        ("GET", "/api/v1/meeting-schedules", None),
        (
            "POST",
            "/api/v1/meeting-schedules",
            Some(json!({"kind": "演练", "title": "x", "region_code": VILLAGE, "every_months": 3, "starts_month": "2026-01"})),
        ),
        ("GET", "/api/v1/dashboard/programmes", None),
        (
            "PUT",
            "/api/v1/points/rules",
            Some(json!({"region_code": VILLAGE, "code": "patrol", "label": "巡逻", "direction": "earn", "points": 5})),
        ),
        (
            "POST",
            "/api/v1/points/earn",
            Some(json!({"region_code": VILLAGE, "holder_name": "王大爷", "holder_phone": "13812345678", "rule_code": "patrol"})),
        ),
        ("POST", "/api/v1/points/spend", Some(json!({"account_id": 1, "rule_code": "soap"}))),
        ("POST", "/api/v1/points/journals/1/correct", Some(json!({"reason": "x"}))),
        ("GET", &*format!("/api/v1/points/accounts?region_code={VILLAGE}"), None),
        ("GET", "/api/v1/points/accounts/1/statement?month=2026-11", None),
    ];
    for (method, path, body) in staff_only {
        let answer = call(&app, method, path, None, body.clone()).await;
        assert_error(&answer, 401, &format!("{method} {path}"));
        // A resident's token does not exist; a made-up one is refused the same way.
        let answer = call(&app, method, path, Some("not-a-token"), body.clone()).await;
        assert_error(&answer, 401, &format!("{method} {path} with a bad token"));
    }
    for path in [
        "/api/v1/public/challenge-lists",
        &format!("/api/v1/service-catalogue?region_code={VILLAGE}"),
        &format!("/api/v1/points/rules?region_code={VILLAGE}"),
    ] {
        let (status, body) = call(&app, "GET", path, None, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body.is_array(), "{path}");
    }
}

#[tokio::test]
async fn challenge_lists_are_published_claimed_assessed_and_refused_when_wrong() {
    let app = spawn_app().await;
    let leader = app.token("leader").await;
    let housing = app.token("housing").await;
    let huilong = app.token("huilong").await;
    let operator = app.token("operator").await;
    let list = |title: &str, region: &str, due: String, problems: Value| json!({"title": title, "region_code": region, "due_at": due, "problems": problems});
    let problem = json!([{"title": "老旧小区加装电梯", "goal": "年内完成3部", "criteria": "完成数量与群众满意度"}]);

    // Bad input: the envelope, the field, and nothing published.
    let bad: Vec<(&str, Value, u16, &str)> = vec![
        ("empty title", list(" ", "511824", in_days(&app, 30), problem.clone()), 400, "title"),
        ("past deadline", list("榜单", "511824", in_days(&app, -1), problem.clone()), 400, "due_at"),
        ("unreadable deadline", list("榜单", "511824", "next month".into(), problem.clone()), 400, "due_at"),
        ("no problems", list("榜单", "511824", in_days(&app, 30), json!([])), 400, "problems"),
        ("unknown region", list("榜单", "519999", in_days(&app, 30), problem.clone()), 400, "region_code"),
        (
            "problem without goal",
            list("榜单", "511824", in_days(&app, 30), json!([{"title": "x", "goal": "", "criteria": "y"}])),
            400,
            "goal",
        ),
        (
            "unknown field",
            json!({"title": "榜单", "region_code": "511824", "due_at": in_days(&app, 30), "problems": problem, "owner": 1}),
            400,
            "",
        ),
    ];
    for (case, body, status, field) in bad {
        let answer = call(&app, "POST", "/api/v1/challenge-lists", Some(&leader), Some(body)).await;
        assert_error(&answer, status, case);
        if !field.is_empty() {
            assert_eq!(answer.1["error"]["field"], field, "{case}");
        }
    }
    // Not a committee's leader or dispatcher; another region than one's own.
    assert_error(
        &call(&app, "POST", "/api/v1/challenge-lists", Some(&housing), Some(list("榜单", "511824", in_days(&app, 30), problem.clone())))
            .await,
        403,
        "a department",
    );
    assert_error(
        &call(&app, "POST", "/api/v1/challenge-lists", Some(&operator), Some(list("榜单", "511824", in_days(&app, 30), problem.clone())))
            .await,
        403,
        "an operator",
    );
    assert_error(
        &call(&app, "POST", "/api/v1/challenge-lists", Some(&huilong), Some(list("榜单", "511824102", in_days(&app, 30), problem.clone())))
            .await,
        400,
        "another township's region",
    );
    assert_eq!(work_count(&app, WorkKind::Challenge).await, 0, "nothing was published");

    let (status, created) = call(
        &app,
        "POST",
        "/api/v1/challenge-lists",
        Some(&leader),
        Some(list("2026年揭榜挂帅榜单", "511824", in_days(&app, 60), problem)),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let number = created["problems"][0]["number"].as_str().expect("number").to_string();
    let act = |token: String, action: &'static str, body: Value| {
        let app = &app;
        let path = format!("/api/v1/work-items/{number}/actions/{action}");
        async move { call(app, "POST", &path, Some(&token), Some(body)).await }
    };

    // Claiming: for one's own team only, with a leader named; once.
    assert_error(
        &act(housing.clone(), "claim", json!({"lead_unit_id": app.county.water, "person_name": "王局长"})).await,
        403,
        "claim for others",
    );
    let missing = act(housing.clone(), "claim", json!({"lead_unit_id": app.county.housing})).await;
    assert_error(&missing, 400, "claim without a leader");
    assert_eq!(missing.1["error"]["field"], "person_name");
    assert_error(
        &act(housing.clone(), "claim", json!({"lead_unit_id": 999_999, "person_name": "王局长"})).await,
        400,
        "claim for a unit that does not exist",
    );
    assert_error(&act(housing.clone(), "conquer", json!({})).await, 400, "unknown action");
    let claim = json!({"lead_unit_id": app.county.housing, "co_unit_ids": [app.county.huilong], "person_name": "张局长"});
    let (status, claimed) = act(housing.clone(), "claim", claim.clone()).await;
    assert_eq!((status, claimed["status"].as_str()), (200, Some("claimed")), "{claimed}");
    assert_error(&act(housing.clone(), "claim", claim).await, 409, "claimed twice");

    // The co-unit reports; only the lead submits; only the committee assesses, 0 to 100.
    assert_eq!(act(huilong.clone(), "report_milestone", json!({"reason": "第一部电梯开工", "evidence": ["elevator-1.jpg"]})).await.0, 200);
    assert_error(
        &act(huilong.clone(), "report_milestone", json!({"reason": "x", "evidence": [""]})).await,
        400,
        "empty evidence reference",
    );
    assert_error(&act(huilong.clone(), "submit", json!({"reason": "完成"})).await, 403, "a co-unit submits");
    assert_error(&act(housing.clone(), "submit", json!({"reason": "  "})).await, 400, "submit without saying what was done");
    assert_eq!(act(housing.clone(), "submit", json!({"reason": "3部电梯投入使用"})).await.0, 200);
    assert_error(&act(housing.clone(), "assess", json!({"reason": "好", "score": 95})).await, 403, "the claimant scores itself");
    assert_error(&act(leader.clone(), "assess", json!({"reason": "好", "score": 101})).await, 400, "score above 100");
    let (status, assessed) = act(leader.clone(), "assess", json!({"reason": "达标", "score": 92})).await;
    assert_eq!((status, assessed["score"].as_f64()), (200, Some(92.0)));
    let (_, detail) = call(&app, "GET", &format!("/api/v1/work-items/{number}"), Some(&huilong), None).await;
    let kinds: Vec<&str> = detail["events"].as_array().expect("events").iter().filter_map(|event| event["kind"].as_str()).collect();
    assert_eq!(kinds, ["created", "claim", "report_milestone", "submit", "assess"], "refused commands left no trace");

    // The public view names units and leaders, never people's contacts.
    let (status, public) = call(&app, "GET", "/api/v1/public/challenge-lists", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(public[0]["problems"][0]["leader"], "张局长");
    assert_eq!(public[0]["problems"][0]["milestones"], 1);
    let text = public.to_string();
    for private in ["phone", "requester", "secret", "assignee"] {
        assert!(!text.contains(private), "the public lists show no {private}: {text}");
    }
    assert_error(&call(&app, "GET", "/api/v1/public/challenge-lists?month=2026-13", None, None).await, 400, "bad month");

    // The committee's view is for territorial units.
    let (status, claimants) = call(&app, "GET", "/api/v1/challenge-lists/claimants", Some(&leader), None).await;
    assert_eq!(status, 200);
    assert!(claimants.as_array().expect("claimants").iter().any(|row| row["unit_id"] == app.county.housing && row["mean_score"] == 92.0));
    assert_error(
        &call(&app, "GET", "/api/v1/challenge-lists/claimants", Some(&housing), None).await,
        403,
        "a department reads the committee's view",
    );
}

#[tokio::test]
async fn service_orders_run_the_circle_are_scoped_and_rated_by_the_resident() {
    let app = spawn_app().await;
    let team = service_team(&app).await;
    let yanru = app.token("yanru").await;
    let meiluo = app.token("meiluo").await;
    let fangyuan = app.token("fangyuan").await;
    let huilong = app.token("huilong").await;
    let volunteer = app.token("volunteer").await;

    // The catalogue and the circle: the community's staff set them; others cannot.
    let meal = json!({"region_code": VILLAGE, "code": "meal", "name": "助餐送餐", "finish_hours": 4});
    assert_eq!(call(&app, "PUT", "/api/v1/service-catalogue", Some(&yanru), Some(meal.clone())).await.0, 200);
    assert_error(&call(&app, "PUT", "/api/v1/service-catalogue", Some(&meiluo), Some(meal)).await, 403, "another township's catalogue");
    let bad = json!({"region_code": VILLAGE, "code": "visit", "name": "探访", "finish_hours": 0});
    assert_error(&call(&app, "PUT", "/api/v1/service-catalogue", Some(&yanru), Some(bad)).await, 400, "finish_hours 0");
    let (status, catalogue) = call(&app, "GET", &format!("/api/v1/service-catalogue?region_code={VILLAGE}"), None, None).await;
    assert_eq!((status, catalogue.as_array().map(Vec::len)), (200, Some(1)), "the bad service was not added");
    assert_error(
        &call(&app, "PUT", "/api/v1/service-circle", Some(&yanru), Some(json!({"region_code": VILLAGE, "response_minutes": 0}))).await,
        400,
        "0 minutes",
    );
    assert_error(
        &call(&app, "PUT", "/api/v1/service-circle", Some(&fangyuan), Some(json!({"region_code": VILLAGE, "response_minutes": 10}))).await,
        403,
        "another village's circle",
    );
    let (status, circle) =
        call(&app, "PUT", "/api/v1/service-circle", Some(&yanru), Some(json!({"region_code": VILLAGE, "response_minutes": 10}))).await;
    assert_eq!((status, circle["response_minutes"].as_i64()), (200, Some(10)));
    let rule = json!({"region_code": VILLAGE, "code": "service_order", "label": "完成服务订单", "direction": "earn", "points": 3});
    assert_eq!(call(&app, "PUT", "/api/v1/points/rules", Some(&yanru), Some(rule)).await.0, 200);

    // Ordering: bad orders change nothing.
    let order = |service: &str, phone: &str, extra: Value| {
        let mut body = json!({"region_code": VILLAGE, "service_code": service, "requester_name": "李奶奶", "requester_phone": phone, "address": "晏如村3组"});
        for (key, value) in extra.as_object().expect("object") {
            body[key] = value.clone();
        }
        body
    };
    let bad_orders = [
        ("unknown service", order("massage", "13900001111", json!({})), "service_code"),
        ("bad phone", order("meal", "12", json!({})), "requester_phone"),
        (
            "window backwards",
            order("meal", "13900001111", json!({"window_start": in_days(&app, 2), "window_end": in_days(&app, 1)})),
            "window_end",
        ),
        ("window passed", order("meal", "13900001111", json!({"window_end": in_days(&app, -1)})), "window_end"),
        ("unreadable window", order("meal", "13900001111", json!({"window_start": "tomorrow"})), "window_start"),
        (
            "region without a community",
            json!({"region_code": "511824", "service_code": "meal", "requester_name": "李奶奶", "requester_phone": "13900001111"}),
            "service_code",
        ),
    ];
    for (case, body, field) in bad_orders {
        let answer = call(&app, "POST", "/api/v1/service-orders", None, Some(body)).await;
        assert_error(&answer, 400, case);
        assert_eq!(answer.1["error"]["field"], field, "{case}");
    }
    assert_eq!(work_count(&app, WorkKind::ServiceOrder).await, 0, "no bad order was stored");
    let (status, receipt) = call(&app, "POST", "/api/v1/service-orders", None, Some(order("meal", "13900001111", json!({})))).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["order"]["requester_phone"], "13900001111", "the resident's own receipt");
    let number = receipt["order"]["number"].as_str().expect("number").to_string();
    let secret = receipt["secret"].as_str().expect("secret").to_string();
    let item_path = format!("/api/v1/work-items/{number}");
    let act = |token: String, action: &'static str, body: Value| {
        let app = &app;
        let path = format!("/api/v1/work-items/{number}/actions/{action}");
        async move { call(app, "POST", &path, Some(&token), Some(body)).await }
    };

    // Scoping: another township sees nothing and cannot act (404); the township above
    // oversees it with the resident's contact masked; the community sees it in full.
    assert_error(&call(&app, "GET", &item_path, Some(&meiluo), None).await, 404, "another township reads the order");
    assert_error(&act(fangyuan.clone(), "place", json!({"lead_unit_id": team})).await, 404, "another village places the order");
    assert_error(&act(meiluo.clone(), "urge", json!({"reason": "快"})).await, 404, "another township urges");
    let (_, others) = call(&app, "GET", "/api/v1/work-items?kind=service_order", Some(&meiluo), None).await;
    assert_eq!(others, json!([]), "another township's list is empty");
    let (status, overseen) = call(&app, "GET", &item_path, Some(&huilong), None).await;
    assert_eq!(status, 200);
    assert_eq!(overseen["item"]["requester_phone"], "139****1111", "the township above sees a masked phone");
    let (_, own) = call(&app, "GET", &item_path, Some(&yanru), None).await;
    assert_eq!(own["item"]["requester_phone"], "13900001111", "the community places it and may call");
    assert_error(&call(&app, "GET", "/api/v1/work-items?kind=parcel", Some(&yanru), None).await, 400, "unknown kind");
    assert_error(&call(&app, "GET", "/api/v1/work-items?limit=0", Some(&yanru), None).await, 400, "limit 0");

    // The lifecycle; the team does not rate itself; the resident rates with the secret.
    assert_error(&act(yanru.clone(), "place", json!({})).await, 400, "place without a team");
    assert_eq!(act(yanru.clone(), "place", json!({"lead_unit_id": team})).await.0, 200);
    assert_error(&act(fangyuan.clone(), "take", json!({})).await, 404, "a stranger takes it");
    assert_eq!(act(volunteer.clone(), "take", json!({})).await.0, 200);
    assert_error(&act(volunteer.clone(), "take", json!({})).await, 409, "taken twice");
    assert_eq!(act(volunteer.clone(), "deliver", json!({"reason": "午餐已送达"})).await.0, 200);
    assert_error(&act(volunteer.clone(), "rate", json!({"rating": 5})).await, 403, "the team rates itself");
    // The resident follows the order with the secret: its state, no one's contact, and
    // whether it may be rated now; a wrong secret reads as an unknown number.
    let follow_path = format!("/api/v1/public/work-items/{number}?secret={secret}");
    let (status, followed) = call(&app, "GET", &follow_path, None, None).await;
    assert_eq!((status, followed["status"].as_str(), followed["may_rate"].as_bool()), (200, Some("delivered"), Some(true)), "{followed}");
    assert!(!followed.to_string().contains("1111"), "no phone in the resident's view: {followed}");
    assert_error(
        &call(&app, "GET", &format!("/api/v1/public/work-items/{number}?secret=AAAAAAAA"), None, None).await,
        404,
        "follow, wrong secret",
    );
    assert_error(&call(&app, "GET", &format!("/api/v1/public/work-items/{number}"), None, None).await, 400, "follow without a secret");
    let rate_path = format!("/api/v1/public/work-items/{number}/rate");
    assert_error(&call(&app, "POST", &rate_path, None, Some(json!({"secret": "AAAAAAAA", "rating": 5}))).await, 404, "a wrong secret");
    assert_error(
        &call(&app, "POST", "/api/v1/public/work-items/FW-20991231-0001/rate", None, Some(json!({"secret": secret, "rating": 5}))).await,
        404,
        "a wrong number",
    );
    assert_error(&call(&app, "POST", &rate_path, None, Some(json!({"secret": secret, "rating": 6}))).await, 400, "rating 6");
    let (status, rated) = call(&app, "POST", &rate_path, None, Some(json!({"secret": secret, "rating": 5, "comment": "很好"}))).await;
    assert_eq!((status, rated["status"].as_str()), (200, Some("rated")), "{rated}");
    assert_eq!(rated["requester_phone"], "139****1111", "the public answer masks the contact");
    assert_error(&call(&app, "POST", &rate_path, None, Some(json!({"secret": secret, "rating": 1}))).await, 409, "rated twice");
    let (_, followed) = call(&app, "GET", &follow_path, None, None).await;
    assert_eq!((followed["rating"].as_i64(), followed["may_rate"].as_bool()), (Some(5), Some(false)), "{followed}");
    let (_, accounts) = call(&app, "GET", &format!("/api/v1/points/accounts?region_code={VILLAGE}"), Some(&yanru), None).await;
    assert!(
        accounts.as_array().expect("accounts").iter().any(|account| account["balance"] == 3),
        "the rated order paid the volunteer: {accounts}"
    );

    // The circle record and the dashboard count it.
    let (status, record) = call(&app, "GET", &format!("/api/v1/service-circle?region_code={VILLAGE}"), Some(&yanru), None).await;
    assert_eq!((status, record["orders"].as_i64(), record["taken_within_target"].as_i64()), (200, Some(1), Some(1)));
    let (status, board) = call(&app, "GET", "/api/v1/dashboard/programmes", Some(&huilong), None).await;
    assert_eq!((status, board["orders_total"].as_i64()), (200, Some(1)));
    assert_error(&call(&app, "GET", "/api/v1/dashboard/programmes?month=May", Some(&huilong), None).await, 400, "bad month");
}

#[tokio::test]
async fn ledgers_disputes_meetings_and_schedules_over_http() {
    let app = spawn_app().await;
    let supervisor = app.token("supervisor").await;
    let housing = app.token("housing").await;
    let water = app.token("water").await;
    let fangyuan = app.token("fangyuan").await;

    // ---- Task ledgers.
    let task = |unit: i64, due: String| json!({"title": "排查危房", "unit_id": unit, "due_at": due});
    let ledger = |tasks: Value| json!({"title": "重点工作台账", "region_code": "511824", "tasks": tasks});
    for (case, body, field) in [
        ("no tasks", ledger(json!([])), "tasks"),
        ("unreadable due date", ledger(json!([task(app.county.housing, "soon".into())])), "due_at"),
        ("unknown unit", ledger(json!([task(999_999, in_days(&app, 3))])), "unit_id"),
    ] {
        let answer = call(&app, "POST", "/api/v1/task-ledgers", Some(&supervisor), Some(body)).await;
        assert_error(&answer, 400, case);
        assert_eq!(answer.1["error"]["field"], field, "{case}");
    }
    assert_error(
        &call(&app, "POST", "/api/v1/task-ledgers", Some(&housing), Some(ledger(json!([task(app.county.housing, in_days(&app, 3))]))))
            .await,
        403,
        "a department keeps a ledger",
    );
    assert_eq!(work_count(&app, WorkKind::Task).await, 0);
    let tasks = json!([task(app.county.housing, in_days(&app, 3)), task(app.county.water, in_days(&app, 3))]);
    let (status, opened) = call(&app, "POST", "/api/v1/task-ledgers", Some(&supervisor), Some(ledger(tasks))).await;
    assert_eq!(status, 201, "{opened}");
    let ledger_id = opened["ledger"]["id"].as_i64().expect("id");
    let first = opened["tasks"][0]["number"].as_str().expect("number").to_string();
    let ledger_path = format!("/api/v1/task-ledgers/{ledger_id}");
    assert_eq!(call(&app, "GET", &ledger_path, Some(&housing), None).await.0, 200, "a unit with a task reads the ledger");
    assert_error(&call(&app, "GET", &ledger_path, Some(&fangyuan), None).await, 404, "a village without a task");
    assert_error(&call(&app, "GET", "/api/v1/task-ledgers/999999", Some(&supervisor), None).await, 404, "no such ledger");
    let check_off = |token: String| {
        let app = &app;
        let path = format!("/api/v1/work-items/{first}/actions/check_off");
        async move { call(app, "POST", &path, Some(&token), Some(json!({"reason": "已排查12户", "evidence": ["台账.xlsx"]}))).await }
    };
    assert_error(&check_off(water.clone()).await, 404, "another department's task");
    assert_eq!(check_off(housing.clone()).await.0, 200);
    assert_error(&check_off(housing.clone()).await, 409, "checked off twice");
    assert_error(
        &call(&app, "POST", &format!("{ledger_path}/reminders"), Some(&housing), Some(json!({}))).await,
        403,
        "a unit reminds the keeper",
    );
    // Four days on, the water task is overdue (sessions expire meanwhile: sign in again).
    app.county.hub.clock.advance(jiff::SignedDuration::from_hours(24 * 4));
    let (supervisor, yanru, meiluo, fangyuan, huilong) = (
        app.token("supervisor").await,
        app.token("yanru").await,
        app.token("meiluo").await,
        app.token("fangyuan").await,
        app.token("huilong").await,
    );
    let housing = app.token("housing").await;
    let (status, reminded) = call(&app, "POST", &format!("{ledger_path}/reminders"), Some(&supervisor), Some(json!({}))).await;
    assert_eq!((status, reminded), (200, json!([{"unit_id": app.county.water, "overdue_tasks": 1}])));
    let (_, progress) = call(&app, "GET", &ledger_path, Some(&supervisor), None).await;
    assert!(progress["progress"].as_array().expect("progress").iter().any(|row| row["unit_id"] == app.county.water && row["overdue"] == 1));

    // ---- Disputes.
    let party = |name: &str| json!({"name": name, "role": "当事人"});
    let dispute = |region: &str, parties: Value, appeal: Option<&str>| json!({"title": "邻里通道纠纷", "summary": "占用通道", "region_code": region, "parties": parties, "appeal_number": appeal});
    for (case, body, field) in [
        ("one party", dispute(VILLAGE, json!([party("赵先生")]), None), "parties"),
        ("another region", dispute(OTHER_VILLAGE, json!([party("赵先生"), party("钱女士")]), None), "region_code"),
        ("unknown appeal", dispute(VILLAGE, json!([party("赵先生"), party("钱女士")]), Some("MQ-20991231-000001")), "appeal_number"),
        ("unknown region", dispute("519999999999", json!([party("赵先生"), party("钱女士")]), None), "region_code"),
    ] {
        let answer = call(&app, "POST", "/api/v1/disputes", Some(&yanru), Some(body)).await;
        assert_error(&answer, 400, case);
        assert_eq!(answer.1["error"]["field"], field, "{case}");
    }
    assert_error(
        &call(&app, "POST", "/api/v1/disputes", Some(&housing), Some(dispute(VILLAGE, json!([party("赵先生"), party("钱女士")]), None)))
            .await,
        403,
        "a department registers",
    );
    assert_eq!(work_count(&app, WorkKind::Mediation).await, 0);
    let (status, registered) =
        call(&app, "POST", "/api/v1/disputes", Some(&yanru), Some(dispute(VILLAGE, json!([party("赵先生"), party("钱女士")]), None))).await;
    assert_eq!(status, 201, "{registered}");
    let case_number = registered["number"].as_str().expect("number").to_string();
    let act = |token: String, action: &'static str, body: Value| {
        let app = &app;
        let path = format!("/api/v1/work-items/{case_number}/actions/{action}");
        async move { call(app, "POST", &path, Some(&token), Some(body)).await }
    };
    assert_error(
        &call(&app, "GET", &format!("/api/v1/work-items/{case_number}"), Some(&meiluo), None).await,
        404,
        "another township reads the dispute",
    );
    assert_error(&act(fangyuan.clone(), "assign", json!({"person_name": "周大爷"})).await, 404, "another village assigns");
    assert_error(&act(yanru.clone(), "assign", json!({})).await, 400, "assign without mediators");
    assert_eq!(act(yanru.clone(), "assign", json!({"person_name": "老党员周大爷、村调解委员会"})).await.0, 200);
    assert_error(&act(housing.clone(), "urge", json!({"reason": "加快"})).await, 404, "a department out of scope urges");
    assert_eq!(act(huilong.clone(), "urge", json!({"reason": "请加快调解"})).await.0, 200, "the township above urges");
    assert_eq!(act(yanru.clone(), "reach_agreement", json!({"reason": "三日内清理杂物"})).await.0, 200);

    // ---- Meetings (recorded with their appeals by POST /api/v1/meetings) and attendance.
    let minutes = json!({"kind": "板凳会", "title": "院坝板凳会", "region_code": VILLAGE, "held_at": app.county.hub.clock.now().to_string(),
        "appeals": [{"text": "村口路灯坏了三盏", "contact_name": "王大爷", "contact_phone": "13812345678"}]});
    let (status, recorded) = call(&app, "POST", "/api/v1/meetings", Some(&yanru), Some(minutes)).await;
    assert_eq!(status, 201, "{recorded}");
    let meeting_id = recorded["meeting_id"].as_i64().expect("id");
    let meeting_path = format!("/api/v1/meetings/{meeting_id}");
    let rule = json!({"region_code": VILLAGE, "code": "meeting", "label": "参加板凳会", "direction": "earn", "points": 2});
    assert_eq!(call(&app, "PUT", "/api/v1/points/rules", Some(&yanru), Some(rule)).await.0, 200);
    let attendance = |schedule: Option<i64>| {
        json!({"attendees": [{"name": "王大爷", "phone": "13812345678", "role": "群众"}, {"name": "刘书记", "role": "党员"}],
            "attachments": ["photo-1.jpg"], "schedule_id": schedule, "points_rule": "meeting"})
    };
    assert_error(
        &call(&app, "POST", &format!("{meeting_path}/attendance"), Some(&yanru), Some(attendance(Some(999_999)))).await,
        400,
        "unknown schedule",
    );
    assert_error(
        &call(&app, "POST", &format!("{meeting_path}/attendance"), Some(&meiluo), Some(attendance(None))).await,
        404,
        "another township",
    );
    assert_error(
        &call(&app, "POST", "/api/v1/meetings/999999/attendance", Some(&yanru), Some(attendance(None))).await,
        404,
        "no such meeting",
    );
    let (_, untouched) = call(&app, "GET", &meeting_path, Some(&yanru), None).await;
    assert_eq!(untouched["attendees"], json!([]), "refused attendance recorded nobody");
    let schedule = json!({"kind": "板凳会", "title": "每月板凳会", "region_code": VILLAGE, "every_months": 1, "starts_month": "2026-11"});
    for (case, change) in [
        ("every 2 months", json!({"every_months": 2})),
        ("bad month", json!({"starts_month": "11/2026"})),
        ("out of scope", json!({"region_code": OTHER_VILLAGE})),
    ] {
        let mut body = schedule.clone();
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        assert_error(&call(&app, "POST", "/api/v1/meeting-schedules", Some(&yanru), Some(body)).await, 400, case);
    }
    let (status, created) = call(&app, "POST", "/api/v1/meeting-schedules", Some(&yanru), Some(schedule)).await;
    assert_eq!(status, 201, "{created}");
    let schedule_id = created["schedule"]["id"].as_i64().expect("id");
    let (status, meeting) =
        call(&app, "POST", &format!("{meeting_path}/attendance"), Some(&yanru), Some(attendance(Some(schedule_id)))).await;
    assert_eq!(status, 200, "{meeting}");
    assert_eq!(meeting["appeal_numbers"].as_array().map(Vec::len), Some(1));
    assert_eq!(meeting["meeting"]["schedule_id"], schedule_id);
    let again = call(&app, "POST", &format!("{meeting_path}/attendance"), Some(&yanru), Some(attendance(None))).await;
    assert_error(&again, 409, "the same attendee paid twice for one meeting");
    assert_error(&call(&app, "GET", &meeting_path, Some(&meiluo), None).await, 404, "another township reads the meeting");
    let (status, schedules) = call(&app, "GET", &format!("/api/v1/meeting-schedules?region_code={VILLAGE}"), Some(&yanru), None).await;
    assert_eq!(status, 200);
    assert_eq!(schedules[0]["periods"][0]["held"], true, "{schedules}");
}

#[tokio::test]
async fn points_never_go_negative_even_under_concurrent_spends() {
    let app = spawn_app().await;
    let yanru = app.token("yanru").await;
    let meiluo = app.token("meiluo").await;
    let housing = app.token("housing").await;
    let leader = app.token("leader").await;
    let rule = |code: &str, direction: &str, points: i64| json!({"region_code": VILLAGE, "code": code, "label": "治安巡逻一次", "direction": direction, "points": points});

    // Rules: the community's staff set them, with a code, a label and 1..100000 points.
    assert_error(
        &call(&app, "PUT", "/api/v1/points/rules", Some(&meiluo), Some(rule("patrol", "earn", 5))).await,
        403,
        "another township's rules",
    );
    assert_error(
        &call(&app, "PUT", "/api/v1/points/rules", Some(&yanru), Some(rule("巡逻", "earn", 5))).await,
        400,
        "a code that is not ASCII",
    );
    assert_error(&call(&app, "PUT", "/api/v1/points/rules", Some(&yanru), Some(rule("patrol", "earn", 0))).await, 400, "zero points");
    assert_error(
        &call(&app, "PUT", "/api/v1/points/rules", Some(&yanru), Some(rule("patrol", "sideways", 5))).await,
        400,
        "unknown direction",
    );
    assert_eq!(call(&app, "PUT", "/api/v1/points/rules", Some(&yanru), Some(rule("patrol", "earn", 5))).await.0, 200);
    assert_eq!(call(&app, "PUT", "/api/v1/points/rules", Some(&yanru), Some(rule("soap", "spend", 4))).await.0, 200);
    let (_, rules) = call(&app, "GET", &format!("/api/v1/points/rules?region_code={VILLAGE}"), None, None).await;
    assert_eq!(rules.as_array().map(Vec::len), Some(2));

    // Earning: bad input records nothing.
    let earn = |phone: &str, rule: &str, quantity: i64| json!({"region_code": VILLAGE, "holder_name": "王大爷", "holder_phone": phone, "rule_code": rule, "quantity": quantity, "reason": "夜间巡逻"});
    for (case, body, field) in [
        ("a phone that is not one", earn("abc", "patrol", 1), "holder_phone"),
        ("unknown rule", earn("13812345678", "dance", 1), "rule_code"),
        ("a spending rule", earn("13812345678", "soap", 1), "rule_code"),
        ("quantity 0", earn("13812345678", "patrol", 0), "quantity"),
    ] {
        let answer = call(&app, "POST", "/api/v1/points/earn", Some(&yanru), Some(body)).await;
        assert_error(&answer, 400, case);
        assert_eq!(answer.1["error"]["field"], field, "{case}");
    }
    assert_error(
        &call(&app, "POST", "/api/v1/points/earn", Some(&housing), Some(earn("13812345678", "patrol", 1))).await,
        403,
        "a department grants points",
    );
    let (_, none) = call(&app, "GET", &format!("/api/v1/points/accounts?region_code={VILLAGE}"), Some(&yanru), None).await;
    assert_eq!(none, json!([]), "nothing was recorded");
    let (status, earned) = call(&app, "POST", "/api/v1/points/earn", Some(&yanru), Some(earn("13812345678", "patrol", 4))).await;
    assert_eq!(status, 201, "{earned}");
    let account = earned["postings"]
        .as_array()
        .expect("postings")
        .iter()
        .find(|posting| posting["amount"].as_i64() > Some(0))
        .expect("credit")["account_id"]
        .as_i64()
        .expect("id");

    // Accounts: phones masked; other townships cannot read them.
    let (_, accounts) = call(&app, "GET", &format!("/api/v1/points/accounts?region_code={VILLAGE}"), Some(&yanru), None).await;
    let person = accounts.as_array().expect("accounts").iter().find(|row| row["id"] == account).expect("account").clone();
    assert_eq!((person["balance"].as_i64(), person["holder_phone"].as_str()), (Some(20), Some("138****5678")));
    assert_error(
        &call(&app, "GET", &format!("/api/v1/points/accounts?region_code={VILLAGE}"), Some(&meiluo), None).await,
        403,
        "another township's accounts",
    );

    // Spending: more than the balance is refused and changes nothing; concurrent spends of
    // the same points cannot all succeed: 20 points, eight spends of 4 at once → five.
    let spend = |quantity: i64| json!({"account_id": account, "rule_code": "soap", "quantity": quantity});
    assert_error(&call(&app, "POST", "/api/v1/points/spend", Some(&yanru), Some(spend(6))).await, 409, "24 points from 20");
    assert_error(&call(&app, "POST", "/api/v1/points/spend", Some(&meiluo), Some(spend(1))).await, 404, "another township spends");
    assert_error(
        &call(&app, "POST", "/api/v1/points/spend", Some(&yanru), Some(json!({"account_id": account, "rule_code": "patrol"}))).await,
        400,
        "spend on an earning rule",
    );
    let balance = |app: &TestApp| {
        let db = app.county.hub.db.clone();
        async move { db.point_account(account).await.expect("query").expect("account").balance }
    };
    assert_eq!(balance(&app).await, 20);
    let spends: Vec<_> = (0..8)
        .map(|_| {
            let request = app.client.post(app.url("/api/v1/points/spend")).bearer_auth(&yanru).json(&spend(1));
            tokio::spawn(async move { request.send().await.expect("spend").status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in spends {
        statuses.push(handle.await.expect("task"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 201, 201, 201, 409, 409, 409]);
    assert_eq!(balance(&app).await, 0, "never below zero");

    // Corrections: by the keeper, once, and not when the points were spent.
    let correct = |id: i64| format!("/api/v1/points/journals/{id}/correct");
    let earned_id = earned["id"].as_i64().expect("id");
    assert_error(
        &call(&app, "POST", &correct(earned_id), Some(&yanru), Some(json!({"reason": "记错了"}))).await,
        409,
        "correcting spent points",
    );
    let (_, again) = call(&app, "POST", "/api/v1/points/earn", Some(&yanru), Some(earn("13812345678", "patrol", 1))).await;
    let again_id = again["id"].as_i64().expect("id");
    assert_error(
        &call(&app, "POST", &correct(again_id), Some(&meiluo), Some(json!({"reason": "冲正"}))).await,
        403,
        "another township corrects",
    );
    assert_error(&call(&app, "POST", &correct(again_id), Some(&yanru), Some(json!({"reason": " "}))).await, 400, "no reason");
    assert_error(&call(&app, "POST", &correct(999_999), Some(&yanru), Some(json!({"reason": "冲正"}))).await, 404, "no such journal");
    assert_eq!(call(&app, "POST", &correct(again_id), Some(&yanru), Some(json!({"reason": "当天未巡逻，冲正"}))).await.0, 201);
    assert_error(&call(&app, "POST", &correct(again_id), Some(&yanru), Some(json!({"reason": "再冲一次"}))).await, 409, "corrected twice");
    assert_eq!(balance(&app).await, 0);

    // Statements: the keeper reads it in full, a leader with the phone masked, others not.
    let month = app.county.hub.calendar.local_date(app.county.hub.clock.now()).strftime("%Y-%m").to_string();
    let statement = format!("/api/v1/points/accounts/{account}/statement?month={month}");
    let (status, body) = call(&app, "GET", &statement, Some(&yanru), None).await;
    assert_eq!(
        (status, body["statement"]["closing_balance"].as_i64(), body["account"]["holder_phone"].as_str()),
        (200, Some(0), Some("13812345678"))
    );
    let (status, body) = call(&app, "GET", &statement, Some(&leader), None).await;
    assert_eq!((status, body["account"]["holder_phone"].as_str()), (200, Some("138****5678")));
    assert_error(&call(&app, "GET", &statement, Some(&meiluo), None).await, 404, "another township's statement");
    assert_error(
        &call(&app, "GET", &format!("/api/v1/points/accounts/{account}/statement?month=2026-13"), Some(&yanru), None).await,
        400,
        "bad month",
    );
    assert!(app.county.hub.db.audit_points().await.expect("audit").is_empty(), "the ledger balances");
}
