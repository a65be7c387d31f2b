//! `minqing backup` and `minqing restore` on the embedded database: a consistent,
//! checked snapshot while the server writes; a restore that checks the file, refuses a
//! database a server holds unless forced, and keeps the replaced database.

mod common;

use std::path::Path;
use std::process::Command;

use minqing::domain::appeal::Channel;
use minqing::domain::contact::Contact;
use minqing::service::backup::{hold_server_lock, restore, verify_file};
use minqing::service::intake::{NewAppeal, submit};
use minqing::storage::Db;

fn appeal(text: &str) -> NewAppeal {
    NewAppeal {
        text: text.into(),
        point: Some((102.05, 29.05)),
        region_code: None,
        address: None,
        channel: Channel::Web,
        contact: Contact::parse(None, None).unwrap(),
        category_code: None,
        meeting_id: None,
        judgement: None,
    }
}

fn minqing(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_minqing")).args(args).env_remove("MINQING_DATABASE_URL").output().expect("run minqing");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

async fn count(path: &Path) -> i64 {
    let db = Db::connect(&format!("sqlite://{}?mode=rw", path.display())).await.unwrap();
    let count = db.count_appeals().await.unwrap();
    db.pool.close().await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore_with_checks() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let live = data_dir.join("minqing.db");
    let db = Db::open_sqlite_file(&live).await.unwrap();
    db.migrate().await.unwrap();
    let county = common::county(db).await;
    let hub = county.hub.clone();
    // This process plays the running server: it holds the lock and keeps writing.
    let server_lock = hold_server_lock(&live).unwrap();
    submit(&hub, appeal("晏如村路灯坏了"), None).await.unwrap();

    let backup = dir.path().join("backup-1.db");
    let data = data_dir.to_str().unwrap();
    let writer = {
        let hub = hub.clone();
        tokio::spawn(async move {
            for index in 0..20 {
                submit(&hub, appeal(&format!("晏如村垃圾没人清运 {index}")), None).await.unwrap();
            }
        })
    };
    let (ok, output) = tokio::task::spawn_blocking({
        let backup = backup.clone();
        let data = data.to_string();
        move || minqing(&["backup", "--data-dir", &data, "--out", backup.to_str().unwrap()])
    })
    .await
    .unwrap();
    writer.await.unwrap();
    assert!(ok, "{output}");
    assert!(output.contains("every hash chain checked"), "{output}");
    let saved = verify_file(&backup).await.unwrap();
    assert!((1..=21).contains(&saved.appeals), "a snapshot holds whole transactions: {saved:?}");
    assert_eq!(saved.events, saved.appeals, "each appeal has its received event, nothing torn");

    // A backup never overwrites a file.
    let (ok, output) = minqing(&["backup", "--data-dir", data, "--out", backup.to_str().unwrap()]);
    assert!(!ok && output.contains("exists already"), "{output}");

    // The server holds the database: restore refuses without --force.
    let (ok, output) = minqing(&["restore", "--data-dir", data, backup.to_str().unwrap()]);
    assert!(!ok && output.contains("running minqing server"), "{output}");
    assert_eq!(count(&live).await, 21);

    // Files that are not sound backups are refused and change nothing.
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database at all, just some bytes").unwrap();
    let empty = dir.path().join("empty.db");
    Db::open_sqlite_file(&empty).await.unwrap().pool.close().await;
    let tampered = dir.path().join("tampered.db");
    std::fs::copy(&backup, &tampered).unwrap();
    {
        let db = Db::connect(&format!("sqlite://{}?mode=rw", tampered.display())).await.unwrap();
        sqlx::query("UPDATE appeal_events SET reason = 'edited' WHERE seq = 1 AND appeal_id = (SELECT MIN(id) FROM appeals)")
            .execute(&db.pool)
            .await
            .unwrap();
        db.pool.close().await;
    }
    let cases: &[(&Path, &str)] =
        &[(&garbage, "not"), (&empty, "no Minqing schema"), (&tampered, "history"), (&dir.path().join("missing.db"), "is not a file")];
    drop(server_lock);
    hub.db.pool.close().await;
    for (file, expected) in cases {
        let error = restore(file, &live, false).await.unwrap_err().to_string();
        assert!(error.contains(expected), "{}: {error}", file.display());
        assert_eq!(count(&live).await, 21, "{} changed the live database", file.display());
    }

    // With the server stopped the restore goes through and keeps the old database.
    let (ok, output) = minqing(&["restore", "--data-dir", data, backup.to_str().unwrap()]);
    assert!(ok, "{output}");
    assert_eq!(count(&live).await, saved.appeals as i64);
    let kept: Vec<_> = std::fs::read_dir(&data_dir)
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().contains("before-restore"))
        .collect();
    assert!(!kept.is_empty(), "the replaced database is kept");
    let (ok, output) = minqing(&["audit", "--data-dir", data, "verify"]);
    assert!(ok, "{output}");
}

#[tokio::test]
async fn force_restores_under_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("minqing.db");
    let db = Db::open_sqlite_file(&live).await.unwrap();
    db.migrate().await.unwrap();
    let county = common::county(db).await;
    submit(&county.hub, appeal("晏如村路灯坏了"), None).await.unwrap();
    let backup = dir.path().join("backup.db");
    minqing::service::backup::backup(&county.hub.db, &backup).await.unwrap();
    submit(&county.hub, appeal("晏如村路灯又坏了"), None).await.unwrap();
    let _server = hold_server_lock(&live).unwrap();
    county.hub.db.pool.close().await;
    assert!(restore(&backup, &live, false).await.is_err());
    let (report, kept) = restore(&backup, &live, true).await.unwrap();
    assert_eq!(report.appeals, 1);
    assert!(kept.is_some());
    assert_eq!(count(&live).await, 1);
}
