//! Photos with appeals: stored in the database on both backends (so backups carry them),
//! checked by their bytes, stored once however often a phone retries, and shown only to
//! those who may read the appeal.

mod common;

use common::{TestDb, county, spawn_app};
use minqing::domain::access::Staff;
use minqing::domain::appeal::Channel;
use minqing::domain::contact::Contact;
use minqing::service::ServiceError;
use minqing::service::attachments::{Reader, attach_photo, list_photos, photo};
use minqing::service::intake::{NewAppeal, submit};
use serde_json::{Value, json};

/// A tiny but real 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82";

fn jpeg(seed: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, seed];
    bytes.extend(std::iter::repeat_n(seed, 300));
    bytes
}

fn appeal(text: &str) -> NewAppeal {
    NewAppeal {
        text: text.to_string(),
        point: Some((102.05, 29.05)),
        region_code: None,
        address: None,
        channel: Channel::Web,
        contact: Contact::parse(None, None).expect("contact"),
        category_code: None,
        meeting_id: None,
        judgement: None,
    }
}

#[tokio::test]
async fn photos_are_stored_once_checked_and_scoped_on_every_backend() {
    for test_db in TestDb::all().await {
        let county = county(test_db.db.clone()).await;
        let hub = &county.hub;
        let receipt = submit(hub, appeal("晏如村村口的垃圾堆了一个星期"), None).await.expect("submit");
        let number = receipt.appeal.number.clone();
        let resident = Reader::Resident { secret: &receipt.secret };

        let (first, new) = attach_photo(hub, &number, &resident, PNG).await.expect("attach");
        assert!(new);
        assert_eq!(first.content_type, "image/png");
        let (again, new) = attach_photo(hub, &number, &resident, PNG).await.expect("retry");
        assert!(!new, "the same bytes sent again are the same attachment");
        assert_eq!(again.id, first.id);

        // Bytes come back exactly, to the resident and to staff in scope only.
        let (_, bytes) = photo(hub, &number, &resident, first.id).await.expect("read");
        assert_eq!(bytes, PNG);
        let village: Staff = county.staff("yanru").await;
        assert_eq!(list_photos(hub, &number, &Reader::Staff(&village)).await.expect("list").len(), 1);
        let other_township: Staff = county.staff("meiluo").await;
        assert!(matches!(list_photos(hub, &number, &Reader::Staff(&other_township)).await, Err(ServiceError::NotFound(_))));
        assert!(matches!(photo(hub, &number, &Reader::Resident { secret: "WRONG1" }, first.id).await, Err(ServiceError::NotFound(_))));

        // Not an image, or too many: refused, nothing stored.
        assert!(matches!(attach_photo(hub, &number, &resident, b"<svg onload=alert(1)>").await, Err(ServiceError::Invalid { .. })));
        for seed in 1..9u8 {
            attach_photo(hub, &number, &Reader::Staff(&village), &jpeg(seed)).await.expect("within the limit");
        }
        assert!(matches!(attach_photo(hub, &number, &resident, &jpeg(99)).await, Err(ServiceError::Conflict(_))));
        let all = list_photos(hub, &number, &resident).await.expect("list");
        assert_eq!(all.len(), 9);
        assert_eq!(all[1].uploaded_by, "user:yanru");
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn photos_travel_over_http_with_the_secret_or_a_token() {
    let app = spawn_app().await;
    let client = &app.client;
    let receipt: Value = client
        .post(app.url("/api/v1/appeals"))
        .json(&json!({"text": "晏如村的桥栏杆断了", "lat": 29.05, "lng": 102.05}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = receipt["number"].as_str().unwrap();
    let secret = receipt["secret"].as_str().unwrap();
    let url = app.url(&format!("/api/v1/appeals/{number}/attachments"));

    // A resident attaches a photo; the declared type is ignored, the bytes decide.
    let sent = client.post(format!("{url}?secret={secret}")).header("content-type", "image/gif").body(PNG.to_vec()).send().await.unwrap();
    assert_eq!(sent.status(), 201);
    let attached: Value = sent.json().await.unwrap();
    assert_eq!(attached["content_type"], "image/png");
    let retried = client.post(format!("{url}?secret={secret}")).body(PNG.to_vec()).send().await.unwrap();
    assert_eq!(retried.status(), 200, "a retried upload is recognised");
    let html = client
        .post(format!("{url}?secret={secret}"))
        .header("content-type", "image/jpeg")
        .body("<html><script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 400);
    // A photo larger than the API's usual body limit (256 kB) but within 5 MB is taken.
    let mut large = jpeg(2);
    large.resize(3 * 1024 * 1024, 7);
    assert_eq!(client.post(format!("{url}?secret={secret}")).body(large).send().await.unwrap().status(), 201);
    let mut huge = jpeg(1);
    huge.resize(6 * 1024 * 1024, 0);
    let too_big = client.post(format!("{url}?secret={secret}")).body(huge).send().await.unwrap();
    assert!(too_big.status() == 413 || too_big.status() == 400, "{}", too_big.status());

    // Reading: with the secret, or with a token in scope; nobody else.
    let href = app.url(attached["href"].as_str().unwrap());
    let image = client.get(format!("{href}?secret={secret}")).send().await.unwrap();
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.headers()["x-content-type-options"], "nosniff");
    assert_eq!(image.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(client.get(&href).send().await.unwrap().status(), 401);
    assert_eq!(client.get(format!("{href}?secret=AAAAAA")).send().await.unwrap().status(), 404);
    let village = app.token("yanru").await;
    let listed: Value = client.get(&url).bearer_auth(&village).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let outsider = app.token("meiluo").await;
    assert_eq!(client.get(&href).bearer_auth(&outsider).send().await.unwrap().status(), 404);
    let housing = app.token("housing").await;
    assert_eq!(
        client.get(&url).bearer_auth(&housing).send().await.unwrap().status(),
        404,
        "a department sees only what was dispatched to it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_carries_the_photos() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let db = minqing::storage::Db::open_sqlite_file(&data_dir.join("minqing.db")).await.unwrap();
    db.migrate().await.unwrap();
    let county = county(db).await;
    let receipt = submit(&county.hub, appeal("晏如村的水沟堵了"), None).await.expect("submit");
    attach_photo(&county.hub, &receipt.appeal.number, &Reader::Resident { secret: &receipt.secret }, PNG).await.expect("attach");
    let backup = dir.path().join("backup.db");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(["backup", "--data-dir", data_dir.to_str().unwrap(), "--out", backup.to_str().unwrap()])
        .env_remove("MINQING_DATABASE_URL")
        .output()
        .expect("run minqing backup");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let copy = minqing::storage::Db::connect(&format!("sqlite://{}?mode=ro", backup.display())).await.unwrap();
    let restored = copy.appeal_by_number(&receipt.appeal.number).await.unwrap().expect("appeal in the backup");
    let photos = copy.attachments_of(restored.id).await.unwrap();
    assert_eq!(photos.len(), 1);
    let (_, bytes) = copy.attachment_bytes(restored.id, photos[0].id).await.unwrap().expect("bytes");
    assert_eq!(bytes, PNG);
}
