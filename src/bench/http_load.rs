//! A small HTTP/1.1 load generator for loopback benchmarks.
//!
//! It keeps one connection per client open (keep-alive), sends a fixed request shape,
//! reads `Content-Length` framed responses, and records each latency. It refuses any
//! target that is not a loopback address, and every run is bounded in requests and time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One request shape; `body_for(index)` makes each body distinct where that matters.
pub struct RequestPlan {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body_for: Box<dyn Fn(usize) -> Option<String> + Send + Sync>,
    pub expect_status: u16,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub requests: usize,
    pub failures: usize,
    pub elapsed: Duration,
    pub latencies_ms: Vec<f64>,
}

impl LoadReport {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The p-th percentile latency (0..=100) in milliseconds.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }

    pub fn summary(&self) -> String {
        format!(
            "{} requests ({} failed) in {:.2} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
            self.requests,
            self.failures,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.percentile(50.0),
            self.percentile(99.0)
        )
    }
}

/// Runs `total` requests over `concurrency` connections, stopping at `max_time`.
pub async fn run(
    address: SocketAddr,
    plan: std::sync::Arc<RequestPlan>,
    concurrency: usize,
    total: usize,
    max_time: Duration,
) -> anyhow::Result<LoadReport> {
    if !address.ip().is_loopback() {
        anyhow::bail!("load tests target loopback only; {address} is not a loopback address");
    }
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + max_time;
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let plan = plan.clone();
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            let mut stream: Option<BufReader<TcpStream>> = None;
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if index >= total || Instant::now() >= deadline {
                    break;
                }
                let began = Instant::now();
                let outcome = send_one(&mut stream, address, &plan, index).await;
                match outcome {
                    Ok(status) if status == plan.expect_status => latencies.push(began.elapsed().as_secs_f64() * 1000.0),
                    _ => {
                        failures += 1;
                        stream = None;
                    }
                }
            }
            (latencies, failures)
        }));
    }
    let mut report = LoadReport { requests: 0, failures: 0, elapsed: Duration::ZERO, latencies_ms: Vec::new() };
    for worker in workers {
        let (latencies, failures) = worker.await?;
        report.requests += latencies.len();
        report.failures += failures;
        report.latencies_ms.extend(latencies);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn send_one(stream: &mut Option<BufReader<TcpStream>>, address: SocketAddr, plan: &RequestPlan, index: usize) -> anyhow::Result<u16> {
    if stream.is_none() {
        let socket = TcpStream::connect(address).await?;
        socket.set_nodelay(true)?;
        *stream = Some(BufReader::new(socket));
    }
    let Some(connection) = stream.as_mut() else { anyhow::bail!("no connection") };
    let body = (plan.body_for)(index);
    let mut request = format!("{} {} HTTP/1.1\r\nHost: {address}\r\n", plan.method, plan.path);
    for (name, value) in &plan.headers {
        request.push_str(&format!("{name}: {}\r\n", value.replace("{i}", &index.to_string())));
    }
    if let Some(body) = &body {
        request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    if let Some(body) = &body {
        request.push_str(body);
    }
    connection.get_mut().write_all(request.as_bytes()).await?;
    let mut status_line = String::new();
    connection.read_line(&mut status_line).await?;
    let status: u16 =
        status_line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| anyhow::anyhow!("bad status line"))?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        connection.read_line(&mut line).await?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    connection.read_exact(&mut body).await?;
    Ok(status)
}
