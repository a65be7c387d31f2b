//! Email over SMTP: the real sender talks to a tiny SMTP sink this test starts on
//! 127.0.0.1, which records what it is given and can refuse the recipient. Through the
//! notification path, a refusal is a failed attempt in the delivery log, retried later.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{TestDb, county};
use minqing::domain::workflow::{Actor, Command};
use minqing::service::notifications::{OutboundMessage, Sender, register_sender};
use minqing::service::smtp::{EmailDirectory, SmtpSender};
use minqing::service::{actions, intake, jobs};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as the sink received it.
#[derive(Debug, Clone, Default)]
struct Received {
    hello: String,
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The DATA lines, with dot-stuffing undone and the final `.` removed.
    data: String,
    quit: bool,
}

/// An SMTP sink on a random port. It answers 220/250/354/221, or 550 to RCPT while
/// `refuse_recipients` is set, and keeps every message it accepts.
async fn start_sink(refuse_recipients: Arc<AtomicBool>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let relay = listener.local_addr().expect("address").to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            let refuse = Arc::clone(&refuse_recipients);
            tokio::spawn(async move {
                let (read_half, mut write_half) = stream.into_split();
                let mut lines = BufReader::new(read_half);
                let mut message = Received::default();
                let _ = write_half.write_all(b"220 sink.test ESMTP\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    assert!(line.ends_with("\r\n"), "commands end in CRLF: {line:?}");
                    let command = line.trim_end().to_string();
                    let upper = command.to_ascii_uppercase();
                    let answer: &[u8] = if upper.starts_with("EHLO ") {
                        message.hello = command[5..].to_string();
                        b"250-sink.test greets you\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
                    } else if let Some(from) = command.strip_prefix("MAIL FROM:") {
                        message.mail_from = from.to_string();
                        b"250 OK\r\n"
                    } else if let Some(to) = command.strip_prefix("RCPT TO:") {
                        if refuse.load(Ordering::SeqCst) {
                            b"550 5.1.1 mailbox unavailable\r\n"
                        } else {
                            message.rcpt_to.push(to.to_string());
                            b"250 OK\r\n"
                        }
                    } else if upper == "DATA" {
                        let _ = write_half.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await;
                        let mut data = String::new();
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                        }
                        message.data = data;
                        record.lock().expect("lock").push(message.clone());
                        b"250 OK queued\r\n"
                    } else if upper == "QUIT" {
                        message.quit = true;
                        if let Some(last) = record.lock().expect("lock").last_mut() {
                            last.quit = true;
                        }
                        let _ = write_half.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"500 unknown command\r\n"
                    };
                    let _ = write_half.write_all(answer).await;
                }
            });
        }
    });
    (relay, seen)
}

/// Standard base64 decoding, written here independently of the sender's encoder.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |byte: u8| match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        other => panic!("not base64: {}", other as char),
    };
    let symbols: Vec<u8> = text.bytes().filter(|byte| !byte.is_ascii_whitespace() && *byte != b'=').map(value).collect();
    let mut bytes = Vec::new();
    for chunk in symbols.chunks(4) {
        let mut group = 0u32;
        for (index, symbol) in chunk.iter().enumerate() {
            group |= u32::from(*symbol) << (18 - 6 * index);
        }
        for index in 0..chunk.len().saturating_sub(1) {
            bytes.push((group >> (16 - 8 * index)) as u8);
        }
    }
    bytes
}

/// The subject, decoded from its RFC 2047 encoded words (which may be folded).
fn decoded_subject(head: &str) -> String {
    let unfolded = head.replace("\r\n ", " ");
    let value = unfolded.lines().find_map(|line| line.strip_prefix("Subject: ")).expect("a Subject header");
    let mut subject = Vec::new();
    for word in value.split(' ') {
        let encoded = word.strip_prefix("=?UTF-8?B?").and_then(|rest| rest.strip_suffix("?=")).expect("an encoded word");
        subject.extend(base64_decode(encoded));
    }
    String::from_utf8(subject).expect("UTF-8 subject")
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| line.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn an_email_reaches_the_relay_with_its_subject_and_body_encoded() {
    let (relay, seen) = start_sink(Arc::new(AtomicBool::new(false))).await;
    let directory = EmailDirectory::default().with("unit:9", "office@shimian.gov.cn");
    let sender = SmtpSender::new(&relay, "minqing@shimian.gov.cn", directory).expect("sender");
    assert!(sender.reaches("unit:9") && !sender.reaches("unit:10"));

    let title = "督办：诉求MQ-2026-000123 已升级为红色，请县住建局负责人督促办理并于今日反馈";
    let body = "红色诉求（晏如村挡墙护栏）已超过办理时限。\n.以点开头的一行\n第三行";
    let message = OutboundMessage { channel: "email".into(), address: "unit:9".into(), title: title.into(), body: body.into() };
    sender.send(&message).await.expect("the sink accepts the message");

    let received = seen.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    let email = &received[0];
    assert_eq!(email.hello, "shimian.gov.cn");
    assert_eq!(email.mail_from, "<minqing@shimian.gov.cn>");
    assert_eq!(email.rcpt_to, vec!["<office@shimian.gov.cn>".to_string()]);
    assert!(email.quit, "the sender says QUIT");
    let (head, encoded_body) = email.data.split_once("\r\n\r\n").expect("headers, a blank line, the body");
    assert_eq!(decoded_subject(head), title);
    assert_eq!(header(head, "To"), Some("office@shimian.gov.cn"));
    assert_eq!(header(head, "From"), Some("minqing@shimian.gov.cn"));
    assert_eq!(header(head, "Content-Type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(header(head, "Content-Transfer-Encoding"), Some("base64"));
    assert!(header(head, "Message-ID").is_some_and(|id| id.starts_with('<') && id.ends_with("@shimian.gov.cn>")));
    let date = header(head, "Date").expect("a Date header");
    assert!(jiff::fmt::rfc2822::parse(date).is_ok(), "an RFC 5322 date: {date}");
    let text = String::from_utf8(base64_decode(encoded_body)).expect("UTF-8 body");
    assert_eq!(text, body.replace('\n', "\r\n"));
}

#[tokio::test]
async fn a_refused_recipient_or_a_dead_relay_is_an_error() {
    let (relay, seen) = start_sink(Arc::new(AtomicBool::new(true))).await;
    let directory = EmailDirectory::default().with("user:4", "head@shimian.gov.cn");
    let sender = SmtpSender::new(&relay, "minqing@shimian.gov.cn", directory.clone()).expect("sender");
    let message =
        OutboundMessage { channel: "email".into(), address: "user:4".into(), title: "催办".into(), body: "请尽快办理".into() };
    let error = sender.send(&message).await.expect_err("550 on RCPT fails the send");
    assert!(error.contains("550") && error.contains("head@shimian.gov.cn"), "{error}");
    assert!(seen.lock().expect("lock").is_empty());

    // Nobody listens on a port just released.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dead = closed.local_addr().expect("address").to_string();
    drop(closed);
    let sender = SmtpSender::new(&dead, "minqing@shimian.gov.cn", directory).expect("sender");
    let error = sender.send(&message).await.expect_err("no relay");
    assert!(error.contains("cannot reach"), "{error}");

    assert!(SmtpSender::new(&relay, "not an address", EmailDirectory::default()).is_err());
}

#[tokio::test]
async fn a_refused_email_is_logged_and_retried_with_backoff_until_delivered() {
    let test_db = TestDb::sqlite().await;
    let county = county(test_db.db.clone()).await;
    let refuse = Arc::new(AtomicBool::new(true));
    let (relay, seen) = start_sink(Arc::clone(&refuse)).await;
    let housing = format!("unit:{}", county.housing);
    let directory = EmailDirectory::default().with(&housing, "zhujian@shimian.gov.cn");
    register_sender(Arc::new(SmtpSender::new(&relay, "minqing@shimian.gov.cn", directory).expect("sender")));

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

    // Only recipients with a known address get an email delivery.
    let log = county.hub.db.deliveries(50).await.expect("log");
    let emails: Vec<_> = log.iter().filter(|delivery| delivery.channel == "email").collect();
    assert_eq!(emails.len(), 1, "{log:?}");
    assert_eq!(emails[0].address, housing);

    // First attempt: the relay refuses the recipient; the attempt is logged, retried later.
    let first = jobs::tick(&county.hub, "node").await.expect("tick");
    assert_eq!(first.jobs_failed, 1, "{first:?}");
    let log = county.hub.db.deliveries(50).await.expect("log");
    let email = log.iter().find(|delivery| delivery.channel == "email").expect("the email delivery");
    assert_eq!((email.state.as_str(), email.attempts), ("retrying", 1));
    assert!(email.last_error.as_deref().is_some_and(|error| error.contains("550")), "{email:?}");

    // Nothing before the backoff has passed; then, with the relay accepting, delivered.
    refuse.store(false, Ordering::SeqCst);
    assert_eq!(jobs::tick(&county.hub, "node").await.expect("tick").jobs_run, 0);
    assert!(seen.lock().expect("lock").is_empty());
    county.hub.clock.advance(jiff::SignedDuration::from_millis(jobs::backoff_ms(1) + 1000));
    let second = jobs::tick(&county.hub, "node").await.expect("tick");
    assert_eq!((second.jobs_run, second.jobs_failed), (1, 0), "{second:?}");
    let log = county.hub.db.deliveries(50).await.expect("log");
    let email = log.iter().find(|delivery| delivery.channel == "email").expect("the email delivery");
    assert_eq!((email.state.as_str(), email.attempts), ("delivered", 2));

    let received = seen.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, vec!["<zhujian@shimian.gov.cn>".to_string()]);
    let (head, _) = received[0].data.split_once("\r\n\r\n").expect("headers");
    assert!(decoded_subject(head).contains(&appeal.number));
    test_db.cleanup().await;
}
