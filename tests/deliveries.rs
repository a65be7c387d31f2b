//! Delivery beyond the inbox: a signed webhook to a local sink that fails once, retried
//! with backoff by the jobs, with every attempt in the delivery log.

mod common;

use std::sync::{Arc, Mutex};

use common::{TestDb, county};
use minqing::domain::workflow::{Actor, Command};
use minqing::service::notifications::register_sender;
use minqing::service::webhook::{WebhookSender, hmac_sha256_hex};
use minqing::service::{actions, intake, jobs};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A webhook sink on a random port: answers 500 to the first request, then 200, and keeps
/// each request's signature header and body.
async fn start_sink() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut requests = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            requests += 1;
            let mut data = Vec::new();
            let mut buffer = [0u8; 4096];
            loop {
                let read = stream.read(&mut buffer).await.unwrap_or(0);
                if read == 0 {
                    break;
                }
                data.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&data).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length: usize = head
                        .lines()
                        .find_map(|line| line.strip_prefix("Content-Length: "))
                        .and_then(|value| value.trim().parse().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        let signature = head.lines().find_map(|line| line.strip_prefix("X-Minqing-Signature: ")).unwrap_or("").to_string();
                        record.lock().expect("lock").push((signature, body.to_string()));
                        break;
                    }
                }
            }
            let status = if requests == 1 { "500 Internal Server Error" } else { "200 OK" };
            let _ = stream.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes()).await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_signed_webhook_is_retried_until_delivered() {
    let test_db = TestDb::sqlite().await;
    let county = county(test_db.db.clone()).await;
    let (url, seen) = start_sink().await;
    register_sender(Arc::new(WebhookSender::new("webhook", &url, b"county-secret").expect("sender")));

    let appeal = intake::submit(
        &county.hub,
        intake::NewAppeal {
            text: "晏如村村口路灯坏了".into(),
            point: Some((102.05, 29.05)),
            region_code: None,
            address: None,
            channel: minqing::domain::appeal::Channel::Web,
            contact: minqing::domain::contact::Contact::parse(None, None).expect("contact"),
            category_code: None,
            meeting_id: None,
            judgement: None,
        },
        None,
    )
    .await
    .expect("submit")
    .appeal;
    let village = Actor::Staff(county.staff("yanru").await);
    actions::act(&county.hub, &appeal.number, &village, Command::Accept { note: None }).await.expect("accept");
    actions::act(
        &county.hub,
        &appeal.number,
        &village,
        Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None },
    )
    .await
    .expect("dispatch");

    // First attempt: the sink answers 500, the job is put back for later.
    let first = jobs::tick(&county.hub, "node").await.expect("tick");
    assert_eq!(first.jobs_failed, 1, "{first:?}");
    let log = county.hub.db.deliveries(10).await.expect("log");
    assert_eq!((log[0].channel.as_str(), log[0].state.as_str(), log[0].attempts), ("webhook", "retrying", 1));
    assert!(log[0].last_error.as_deref().is_some_and(|error| error.contains("500")));

    // Not before the backoff has passed; then delivered.
    assert_eq!(jobs::tick(&county.hub, "node").await.expect("tick").jobs_failed, 0);
    assert_eq!(seen.lock().expect("lock").len(), 1);
    county.hub.clock.advance(jiff::SignedDuration::from_millis(jobs::backoff_ms(1) + 1000));
    let second = jobs::tick(&county.hub, "node").await.expect("tick");
    assert_eq!((second.jobs_run, second.jobs_failed), (1, 0), "{second:?}");
    let log = county.hub.db.deliveries(10).await.expect("log");
    assert_eq!((log[0].state.as_str(), log[0].attempts), ("delivered", 2));

    // The receiver can check the signature over the exact body.
    let requests = seen.lock().expect("lock").clone();
    assert_eq!(requests.len(), 2);
    for (signature, body) in &requests {
        assert_eq!(signature, &format!("sha256={}", hmac_sha256_hex(b"county-secret", body.as_bytes())));
        let message: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(message["address"], format!("unit:{}", county.housing));
        assert!(message["title"].as_str().is_some_and(|title| title.contains(&appeal.number)));
    }
    test_db.cleanup().await;
}

#[tokio::test]
async fn the_scheduler_stops_on_shutdown() {
    let test_db = TestDb::sqlite().await;
    let county = county(test_db.db.clone()).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = jobs::spawn_scheduler(county.hub.clone(), std::time::Duration::from_millis(10), stopped);
    stop.send(true).expect("send");
    handle.await.expect("the scheduler task ends cleanly");
    test_db.cleanup().await;
}
