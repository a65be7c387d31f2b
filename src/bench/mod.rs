//! `minqing bench`: data generation and measurements for docs/PERFORMANCE.md.
//!
//! Every load targets loopback only and is bounded in count and time. Timings are
//! measured here and reported; no test asserts on them.

pub mod escalation;
pub mod http_load;
pub mod seed;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Subcommand;

use crate::cli::DatabaseArgs;
use crate::demo::grid_tiling::representative_point;
use crate::domain::geo::geojson::parse_features;
use crate::domain::geo::routing::{GridIndex, GridShape};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Generate appeals quickly into a database that already holds a county (e.g. the demo).
    Seed {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        appeals: usize,
        /// The share of seeded appeals still open.
        #[arg(long, default_value_t = 0.2)]
        open_share: f64,
        /// How many of the open appeals are past their deadline (the rest are not yet due).
        #[arg(long, default_value_t = 0)]
        overdue: usize,
        #[arg(long, default_value_t = 20261122)]
        seed: u64,
    },
    /// Point-to-grid lookups per second on a synthetic square lattice of grids.
    Route {
        #[arg(long, default_value_t = 100_000)]
        grids: usize,
        #[arg(long, default_value_t = 2_000_000)]
        lookups: usize,
    },
    /// Appeals per second through `POST /api/v1/appeals` of a running server.
    Intake {
        #[arg(long, default_value = "127.0.0.1:8080")]
        target: SocketAddr,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 120)]
        max_seconds: u64,
        /// The county whose grids give the points.
        #[arg(long, default_value = "511824")]
        county: String,
    },
    /// Latency of one page of a unit's open appeals, sorted by deadline.
    List {
        #[arg(long, default_value = "127.0.0.1:8080")]
        target: SocketAddr,
        #[arg(long, default_value = "zhujian")]
        username: String,
        #[arg(long, env = "MINQING_BENCH_PASSWORD", default_value = "minqing-demo")]
        password: String,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        #[arg(long, default_value_t = 60)]
        max_seconds: u64,
        /// The page to time; a dashboard endpoint works too (sign in as `leader`).
        #[arg(long, default_value = "/api/v1/appeals?queue=mine&status=open&sort=deadline&limit=20")]
        path: String,
    },
    /// Computes and stores the dashboards' monthly rollup of every month (what the
    /// scheduler does for new months and every five minutes for the last two).
    Rollup {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Escalates every overdue appeal of a database the way the scheduler does (sweep,
    /// then the claimed jobs), timing it; then times sweeps that find nothing due.
    Escalate {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Stop after this many escalations (the rest stay due).
        #[arg(long, default_value_t = 20_000)]
        limit: usize,
        /// How many idle sweeps to time afterwards.
        #[arg(long, default_value_t = 50)]
        idle_sweeps: usize,
    },
}

pub async fn run(command: BenchCommand) -> anyhow::Result<i32> {
    match command {
        BenchCommand::Seed { database, appeals, open_share, overdue, seed } => {
            let hub = database.hub().await?;
            let started = Instant::now();
            let written = seed::seed_appeals(&hub, appeals, open_share, overdue, seed).await?;
            println!("seeded {written} appeals in {:.1} s", started.elapsed().as_secs_f64());
            Ok(0)
        }
        BenchCommand::Route { grids, lookups } => {
            let (single, parallel, threads, found) = route_rate(grids, lookups);
            println!(
                "routing: {grids} grids, {lookups} lookups, {found} found, {parallel:.0} lookups/s on {threads} threads, {single:.0} lookups/s on one"
            );
            Ok(0)
        }
        BenchCommand::Intake { target, concurrency, requests, max_seconds, county } => {
            let points = county_points(target, &county).await?;
            let texts = [
                "小区路灯坏了好几天，晚上出行不安全",
                "村里的水渠堵塞，灌溉用水不够",
                "楼上漏水，家里天花板一直在滴水",
                "垃圾好几天没人清运",
            ];
            let plan = http_load::RequestPlan {
                method: "POST",
                path: "/api/v1/appeals".into(),
                headers: vec![],
                body_for: Box::new(move |index| {
                    let (lng, lat) = points[index % points.len()];
                    Some(
                        serde_json::json!({"text": texts[index % texts.len()], "lat": lat, "lng": lng, "contact_phone": "13800000000"})
                            .to_string(),
                    )
                }),
                expect_status: 201,
            };
            let report = http_load::run(target, Arc::new(plan), concurrency, requests, Duration::from_secs(max_seconds)).await?;
            println!("intake: {}", report.summary());
            Ok(if report.failures == 0 { 0 } else { 1 })
        }
        BenchCommand::Rollup { database } => {
            let hub = database.hub().await?;
            let started = Instant::now();
            let months = crate::service::rollups::refresh_due(&hub, true).await?;
            let appeals: i64 = months.iter().map(|(_, received)| received).sum();
            println!("rollup: {} months, {appeals} appeals, in {:.1} s", months.len(), started.elapsed().as_secs_f64());
            Ok(0)
        }
        BenchCommand::Escalate { database, limit, idle_sweeps } => {
            let hub = database.hub().await?;
            escalation::run(&hub, limit, idle_sweeps).await?;
            Ok(0)
        }
        BenchCommand::List { target, username, password, concurrency, requests, max_seconds, path } => {
            let token = login(target, &username, &password).await?;
            let plan = http_load::RequestPlan {
                method: "GET",
                path,
                headers: vec![("Authorization".into(), format!("Bearer {token}"))],
                body_for: Box::new(|_| None),
                expect_status: 200,
            };
            let report = http_load::run(target, Arc::new(plan), concurrency, requests, Duration::from_secs(max_seconds)).await?;
            println!("list: {}", report.summary());
            Ok(if report.failures == 0 { 0 } else { 1 })
        }
    }
}

/// Builds a square lattice of `count` grids and times `lookups` point lookups.
pub fn route_rate(count: usize, lookups: usize) -> (f64, f64, usize, usize) {
    let side = (count as f64).sqrt().ceil() as usize;
    let size = 0.001;
    let mut shapes = Vec::with_capacity(count);
    for index in 0..count {
        let (column, row) = ((index % side) as f64, (index / side) as f64);
        let (west, south) = (100.0 + column * size, 25.0 + row * size);
        let square = geo::Polygon::new(
            geo::LineString::from(vec![
                (west, south),
                (west + size, south),
                (west + size, south + size),
                (west, south + size),
                (west, south),
            ]),
            vec![],
        );
        shapes.push(GridShape {
            id: format!("g{index:07}"),
            parent_id: None,
            region_code: "000000000000".into(),
            geometry: geo::MultiPolygon(vec![square]),
        });
    }
    let index = GridIndex::build(shapes);
    let mut rng = seed::Rng::new(7);
    let extent = side as f64 * size;
    let points: Vec<(f64, f64)> = (0..lookups.min(1_000_000))
        .map(|_| (100.0 + (rng.next() % 1_000_000) as f64 / 1e6 * extent, 25.0 + (rng.next() % 1_000_000) as f64 / 1e6 * extent))
        .collect();
    let started = Instant::now();
    let mut found = 0usize;
    for lookup in 0..lookups {
        let (lng, lat) = points[lookup % points.len()];
        if index.locate(lng, lat).is_some() {
            found += 1;
        }
    }
    let single = lookups as f64 / started.elapsed().as_secs_f64();
    // The index is read-only and shared by every request; the server looks up on every
    // core at once. The same lookups split over all cores:
    let threads = std::thread::available_parallelism().map(|count| count.get()).unwrap_or(1);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (index, points) = (&index, &points);
            scope.spawn(move || {
                let mut found = 0usize;
                for lookup in (thread..lookups).step_by(threads) {
                    let (lng, lat) = points[lookup % points.len()];
                    if index.locate(lng, lat).is_some() {
                        found += 1;
                    }
                }
                found
            });
        }
    });
    let parallel = lookups as f64 / started.elapsed().as_secs_f64();
    (single, parallel, threads, found)
}

async fn get_json(target: SocketAddr, path: &str, method: &'static str, body: Option<String>) -> anyhow::Result<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if !target.ip().is_loopback() {
        anyhow::bail!("benchmarks target loopback only");
    }
    let mut stream = tokio::net::TcpStream::connect(target).await?;
    let body = body.unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let (_, payload) = text.split_once("\r\n\r\n").ok_or_else(|| anyhow::anyhow!("no HTTP body"))?;
    Ok(serde_json::from_str(payload)?)
}

async fn login(target: SocketAddr, username: &str, password: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let answer = get_json(target, "/api/v1/auth/login", "POST", Some(body)).await?;
    answer["token"].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("login failed: {answer}"))
}

/// One point inside each grid of the county, from the server's own GeoJSON.
async fn county_points(target: SocketAddr, county: &str) -> anyhow::Result<Vec<(f64, f64)>> {
    let collection = get_json(target, &format!("/api/v1/regions/{county}/grids"), "GET", None).await?;
    let features = parse_features(&collection.to_string())?;
    let points: Vec<(f64, f64)> =
        features.iter().filter_map(|feature| representative_point(&feature.geometry)).map(|point| (point.x(), point.y())).collect();
    if points.is_empty() {
        anyhow::bail!("the server has no grids for county {county}; start it with --demo");
    }
    Ok(points)
}
