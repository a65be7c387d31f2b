//! The administration endpoints over HTTP: users, units, categories, grid members and
//! the holiday calendar. Each write is refused to non-administrators and changes nothing
//! when its input is bad.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn an_administrator_manages_users_units_categories_grids_and_the_calendar() {
    let app = spawn_app().await;
    let client = &app.client;
    let admin = app.token("admin").await;
    let leader = app.token("leader").await;
    let get = |path: &str, token: &str| client.get(app.url(path)).bearer_auth(token.to_string()).send();

    // Users: listed with units and roles, never with password hashes.
    let users: Value = get("/api/v1/admin/users", &admin).await.unwrap().json().await.unwrap();
    let yanru = users.as_array().unwrap().iter().find(|user| user["username"] == "yanru").unwrap().clone();
    assert_eq!(yanru["unit_name"], "晏如村党支部");
    assert!(yanru.get("password_hash").is_none());
    assert_eq!(get("/api/v1/admin/users", &leader).await.unwrap().status(), 403);

    // Creating still works beside the listing on the same path.
    let created = client
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "wangge1", "display_name": "网格员小李", "unit_id": app.county.yanru, "roles": ["grid_worker"], "password": "grid-worker-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let new_id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // Editing: roles and name change; a bad role list changes nothing.
    let patch = |id: i64, body: Value, token: String| {
        client.patch(app.url(&format!("/api/v1/admin/users/{id}"))).bearer_auth(token).json(&body).send()
    };
    let bad = patch(new_id, json!({"roles": [], "display_name": "不应写入"}), admin.clone()).await.unwrap();
    assert_eq!(bad.status(), 400);
    let edited: Value = patch(new_id, json!({"roles": ["grid_worker", "party_rep"], "display_name": "李网格"}), admin.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["display_name"], "李网格");
    assert_eq!(edited["roles"], json!(["grid_worker", "party_rep"]));
    assert_eq!(patch(new_id, json!({"active": false}), leader.clone()).await.unwrap().status(), 403);

    // Deactivating stops the person's session at once; they cannot sign in again.
    let worker_token = {
        let answer: Value = client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "wangge1", "password": "grid-worker-1"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["token"].as_str().unwrap().to_string()
    };
    assert_eq!(get("/api/v1/me", &worker_token).await.unwrap().status(), 200);
    assert_eq!(patch(new_id, json!({"active": false}), admin.clone()).await.unwrap().status(), 200);
    assert_eq!(get("/api/v1/me", &worker_token).await.unwrap().status(), 401);
    let again =
        client.post(app.url("/api/v1/auth/login")).json(&json!({"username": "wangge1", "password": "grid-worker-1"})).send().await.unwrap();
    assert_eq!(again.status(), 401);
    // An administrator cannot lock themself out.
    let admin_id = users.as_array().unwrap().iter().find(|user| user["username"] == "admin").unwrap()["id"].as_i64().unwrap();
    assert_eq!(patch(admin_id, json!({"active": false}), admin.clone()).await.unwrap().status(), 400);
    assert_eq!(patch(admin_id, json!({"roles": ["leader"]}), admin.clone()).await.unwrap().status(), 400);

    // Units: rename and name a head among the members; a stranger cannot be head.
    let yanru_id = yanru["id"].as_i64().unwrap();
    let unit_url = app.url(&format!("/api/v1/admin/units/{}", app.county.yanru));
    let renamed: Value = client
        .patch(&unit_url)
        .bearer_auth(&admin)
        .json(&json!({"name": "晏如村党总支", "head_user_id": yanru_id}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["name"], "晏如村党总支");
    assert_eq!(renamed["head_user_id"], yanru_id);
    let stranger = client.patch(&unit_url).bearer_auth(&admin).json(&json!({"head_user_id": admin_id})).send().await.unwrap();
    assert_eq!(stranger.status(), 400);
    let cleared: Value =
        client.patch(&unit_url).bearer_auth(&admin).json(&json!({"head_user_id": null})).send().await.unwrap().json().await.unwrap();
    assert_eq!(cleared["head_user_id"], Value::Null);
    assert_eq!(cleared["name"], "晏如村党总支", "an absent field stays as it was");

    // Categories: a child needs its parent's prefix; deactivating hides it from the taxonomy.
    let categories_url = app.url("/api/v1/admin/categories");
    for (body, status) in [
        (json!({"code": "0299", "name": "x", "parent_code": "01", "department": "县住房和城乡建设局", "default_working_days": 5}), 400),
        (json!({"code": "0199", "name": "", "parent_code": "01", "department": "县住房和城乡建设局", "default_working_days": 5}), 400),
        (
            json!({"code": "0199", "name": "屋顶光伏", "parent_code": "01", "department": "县住房和城乡建设局", "default_working_days": 0}),
            400,
        ),
        (
            json!({"code": "0199", "name": "屋顶光伏", "parent_code": "01", "department": "县住房和城乡建设局", "default_working_days": 5}),
            201,
        ),
        (
            json!({"code": "0199", "name": "屋顶光伏", "parent_code": "01", "department": "县住房和城乡建设局", "default_working_days": 5}),
            409,
        ),
    ] {
        let response = client.post(&categories_url).bearer_auth(&admin).json(&body).send().await.unwrap();
        assert_eq!(response.status(), status, "{body}");
    }
    let public: Value = client.get(app.url("/api/v1/categories")).send().await.unwrap().json().await.unwrap();
    assert!(public.as_array().unwrap().iter().any(|category| category["code"] == "0199"), "a new category is offered at once");
    let edited: Value = client
        .put(app.url("/api/v1/admin/categories/0199"))
        .bearer_auth(&admin)
        .json(&json!({"name": "屋顶光伏安装", "department": "县发展和改革局", "default_working_days": 10, "active": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["active"], false);
    let public: Value = client.get(app.url("/api/v1/categories")).send().await.unwrap().json().await.unwrap();
    assert!(!public.as_array().unwrap().iter().any(|category| category["code"] == "0199"), "a deactivated category is no longer offered");
    let all: Value = get("/api/v1/admin/categories", &admin).await.unwrap().json().await.unwrap();
    assert!(all.as_array().unwrap().iter().any(|category| category["code"] == "0199" && category["name"] == "屋顶光伏安装"));

    // Grid members: assign, list with user names, remove.
    let members_url = app.url("/api/v1/admin/grids/511824101203-01/members");
    let assigned =
        client.post(&members_url).bearer_auth(&admin).json(&json!({"username": "yanru", "role": "grid_worker"})).send().await.unwrap();
    assert_eq!(assigned.status(), 204);
    let members: Value = get("/api/v1/admin/grids/511824101203-01/members", &admin).await.unwrap().json().await.unwrap();
    assert_eq!(members, json!([{"user_id": yanru_id, "username": "yanru", "display_name": "yanru", "role": "grid_worker"}]));
    let remove_url = app.url(&format!("/api/v1/admin/grids/511824101203-01/members/{yanru_id}?role=grid_worker"));
    assert_eq!(client.delete(&remove_url).bearer_auth(&leader).send().await.unwrap().status(), 403);
    assert_eq!(client.delete(&remove_url).bearer_auth(&admin).send().await.unwrap().status(), 204);
    assert_eq!(client.delete(&remove_url).bearer_auth(&admin).send().await.unwrap().status(), 404);
    assert_eq!(get("/api/v1/admin/grids/511824101203-01/members", &admin).await.unwrap().json::<Value>().await.unwrap(), json!([]));

    // Calendar: the shipped 2026 Spring Festival make-up day is listed; a bad file imports
    // nothing; a good one is stored and marked as waiting for a restart.
    let year: Value = get("/api/v1/calendar?year=2026", &leader).await.unwrap().json().await.unwrap();
    let make_up = year["days"].as_array().unwrap().iter().find(|day| day["date"] == "2026-02-14").unwrap();
    assert_eq!(make_up["kind"], "working");
    let calendar_url = app.url("/api/v1/admin/calendar");
    let broken =
        client.post(&calendar_url).bearer_auth(&admin).header("content-type", "text/calendar").body("not a calendar").send().await.unwrap();
    assert_eq!(broken.status(), 400);
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:元旦(休)\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270102\r\nSUMMARY:元旦(班)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert_eq!(client.post(&calendar_url).bearer_auth(&leader).body(ics).send().await.unwrap().status(), 403);
    let imported: Value = client
        .post(&calendar_url)
        .bearer_auth(&admin)
        .header("content-type", "text/calendar")
        .body(ics)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(imported, json!({"imported": 2, "restart_needed": true}));
    let year: Value = get("/api/v1/calendar?year=2027", &admin).await.unwrap().json().await.unwrap();
    assert_eq!(
        year["days"],
        json!([
            {"date": "2027-01-01", "kind": "off", "name": "元旦", "source": "imported", "pending_restart": true},
            {"date": "2027-01-02", "kind": "working", "name": "元旦", "source": "imported", "pending_restart": true},
        ])
    );
}
