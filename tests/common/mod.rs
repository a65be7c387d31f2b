//! Shared test helpers: a fresh database on each backend, a small two-township county,
//! and `spawn_app` for HTTP tests on a random port.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use minqing::domain::access::{Role, Staff, UnitKind};
use minqing::domain::region::RegionLevel;
use minqing::service::{Clock, Hub, HubConfig, auth, places};
use minqing::storage::Db;
use minqing::storage::places::Region;

/// The PostgreSQL server the story runs against when reachable.
pub fn postgres_admin_url() -> String {
    std::env::var("MINQING_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A database for one test, removed afterwards where that matters.
pub struct TestDb {
    pub db: Db,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open_sqlite_file(&dir.path().join("test.db")).await.expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb { db, label: "sqlite", _dir: Some(dir), pg_name: None }
    }

    /// A fresh PostgreSQL database, or None (with a clear message) when the server is not reachable.
    pub async fn postgres() -> Option<TestDb> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let admin_url = postgres_admin_url();
        let admin = match tokio::time::timeout(std::time::Duration::from_secs(5), Db::connect(&admin_url)).await {
            Ok(Ok(admin)) => admin,
            _ => {
                eprintln!("SKIPPED on PostgreSQL: no server reachable at {admin_url} (set MINQING_TEST_POSTGRES)");
                return None;
            }
        };
        drop_databases_of_dead_runs(&admin).await;
        let name = format!(
            "minqing_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            jiff::Timestamp::now().as_millisecond() % 1_000_000
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin.pool).await.expect("create database");
        admin.pool.close().await;
        let base = admin_url.rsplit_once('/').map(|(base, _)| base.to_string()).unwrap_or(admin_url.clone());
        let db = Db::connect(&format!("{base}/{name}")).await.expect("connect postgres");
        db.migrate().await.expect("migrate postgres");
        Some(TestDb { db, label: "postgres", _dir: None, pg_name: Some(name) })
    }

    /// Every backend available here: SQLite always, PostgreSQL when reachable.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        if let Some(pg) = TestDb::postgres().await {
            dbs.push(pg);
        }
        dbs
    }

    pub async fn cleanup(self) {
        self.db.pool.close().await;
        if let Some(name) = self.pg_name {
            if let Ok(admin) = Db::connect(&postgres_admin_url()).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&admin.pool).await;
            }
        }
    }
}

/// Drops the test databases of test processes that are gone (a test that panics never
/// reaches `cleanup`), once per process. A database's name carries its process id; one
/// whose process still runs is left alone, so concurrent test binaries are safe.
async fn drop_databases_of_dead_runs(admin: &Db) {
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = sqlx::query("SELECT datname::text FROM pg_database WHERE datname LIKE 'minqing_t_%'").fetch_all(&admin.pool).await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = sqlx::Row::try_get::<String, _>(&row, 0) else { continue };
        let Some(pid) = name.strip_prefix("minqing_t_").and_then(|rest| rest.split('_').next()).and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&admin.pool).await;
        }
    }
}

/// A Monday at 09:00 in China, a working day.
pub fn monday_morning() -> jiff::Timestamp {
    "2026-11-16T09:00:00+08:00".parse().expect("time")
}

/// Square grids for the fixture: (id, village, west, south). Each is 0.1° wide.
/// The first two share the edge at longitude 102.1.
pub const FIXTURE_GRIDS: &[(&str, &str, f64, f64)] = &[
    ("511824101203-01", "511824101203", 102.0, 29.0),
    ("511824101204-01", "511824101204", 102.1, 29.0),
    ("511824102200-01", "511824102200", 102.0, 29.1),
];

pub const PASSWORD: &str = "test-password-1";

/// The people of the fixture county, by user name.
pub struct County {
    pub hub: Hub,
    pub centre: i64,
    pub housing: i64,
    pub water: i64,
    pub huilong: i64,
    pub meiluo: i64,
    pub yanru: i64,
    pub fulong: i64,
    pub fangyuan: i64,
}

impl County {
    pub async fn staff(&self, username: &str) -> Staff {
        self.hub.db.user_by_name(username).await.expect("query").expect("user").staff
    }
}

fn square(west: f64, south: f64) -> serde_json::Value {
    let (east, north) = (west + 0.1, south + 0.1);
    serde_json::json!({"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]})
}

/// Builds a small county: two townships (回隆镇, 美罗镇), three villages with a grid each,
/// the service centre, two departments and a user for each role that the stories need.
pub async fn county(db: Db) -> County {
    let regions = [
        ("51", "四川省", None, RegionLevel::Province),
        ("5118", "雅安市", Some("51"), RegionLevel::City),
        ("511824", "石棉县", Some("5118"), RegionLevel::County),
        ("511824101", "回隆镇", Some("511824"), RegionLevel::Township),
        ("511824102", "美罗镇", Some("511824"), RegionLevel::Township),
        ("511824101203", "晏如村", Some("511824101"), RegionLevel::Village),
        ("511824101204", "福龙村", Some("511824101"), RegionLevel::Village),
        ("511824102200", "方元村", Some("511824102"), RegionLevel::Village),
    ];
    let regions: Vec<Region> = regions
        .iter()
        .map(|(code, name, parent, level)| Region {
            code: code.to_string(),
            name: name.to_string(),
            parent_code: parent.map(str::to_string),
            level: *level,
        })
        .collect();
    db.upsert_regions(&regions).await.expect("regions");
    let categories = minqing::domain::taxonomy::parse_categories_csv(minqing::domain::taxonomy::DEFAULT_CATEGORIES_CSV).expect("taxonomy");
    db.upsert_categories(&categories).await.expect("categories");
    let hub = Hub::new(db, HubConfig::default(), Clock::manual(monday_morning())).await.expect("hub");
    let features: Vec<serde_json::Value> = FIXTURE_GRIDS
        .iter()
        .map(|(id, village, west, south)| {
            serde_json::json!({"type": "Feature", "properties": {"id": id, "region_code": village, "name": id}, "geometry": square(*west, *south)})
        })
        .collect();
    let collection = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    places::import_grids(&hub, &collection).await.expect("grids");

    let db = &hub.db;
    let unit = |name: &'static str, kind: UnitKind, region: &'static str| async move {
        db.ensure_unit(name, kind, region).await.expect("unit").id
    };
    let centre = unit("石棉县群众急难愁盼事项服务中心", UnitKind::ServiceCentre, "511824").await;
    let housing = unit("县住房和城乡建设局", UnitKind::Department, "511824").await;
    let water = unit("县水利局", UnitKind::Department, "511824").await;
    let huilong = unit("回隆镇党委", UnitKind::TownshipCommittee, "511824101").await;
    let meiluo = unit("美罗镇党委", UnitKind::TownshipCommittee, "511824102").await;
    let yanru = unit("晏如村党支部", UnitKind::VillageOrganisation, "511824101203").await;
    let fulong = unit("福龙村党支部", UnitKind::VillageOrganisation, "511824101204").await;
    let fangyuan = unit("方元村党支部", UnitKind::VillageOrganisation, "511824102200").await;

    let users: &[(&str, i64, &[Role])] = &[
        ("admin", centre, &[Role::Admin]),
        ("operator", centre, &[Role::Operator]),
        ("dispatcher", centre, &[Role::Dispatcher]),
        ("supervisor", centre, &[Role::Supervisor]),
        ("leader", centre, &[Role::Leader]),
        ("housing", housing, &[Role::Handler]),
        ("water", water, &[Role::Handler]),
        ("huilong", huilong, &[Role::Dispatcher, Role::Handler]),
        ("meiluo", meiluo, &[Role::Dispatcher, Role::Handler]),
        ("yanru", yanru, &[Role::Dispatcher, Role::Handler]),
        ("fangyuan", fangyuan, &[Role::Dispatcher, Role::Handler]),
    ];
    for (name, unit_id, roles) in users {
        auth::create_user(&hub, name, name, *unit_id, roles, PASSWORD).await.expect("user");
    }
    County { hub, centre, housing, water, huilong, meiluo, yanru, fulong, fangyuan }
}

/// A running server on a random local port.
pub struct TestApp {
    pub address: String,
    pub county: County,
    pub client: reqwest::Client,
    _db: TestDb,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Signs in over HTTP and returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 200, "login {username}");
        let body: serde_json::Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }
}

pub async fn spawn_app() -> TestApp {
    let test_db = TestDb::sqlite().await;
    let county = county(test_db.db.clone()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let router = minqing::http::router(county.hub.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    TestApp { address, county, client: reqwest::Client::new(), _db: test_db }
}
