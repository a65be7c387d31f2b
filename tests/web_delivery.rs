//! How pages and data travel: compressed when the client accepts it (photos and XLSX
//! files are not compressed twice), and a tile layer only when a deployment configures
//! its own tile server, which the pages' security policy then names.

mod common;

use std::io::Read;

use common::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn responses_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    let client = &app.client;
    let url = app.url("/api/v1/regions/511824/grids");
    let plain = client.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none(), "a client that accepts nothing gets it plain");
    let plain: Value = plain.json().await.unwrap();
    let zipped = client.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let bytes = zipped.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), plain);
    let brotli = client.get(app.url("/static/app.css")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(brotli.headers()["content-encoding"], "br");

    // A photo is compressed already: it passes as it is.
    let receipt: Value = client
        .post(app.url("/api/v1/appeals"))
        .json(&json!({"text": "晏如村路灯坏了", "lat": 29.05, "lng": 102.05}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (number, secret) = (receipt["number"].as_str().unwrap(), receipt["secret"].as_str().unwrap());
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.resize(4096, 0);
    let attached: Value = client
        .post(app.url(&format!("/api/v1/appeals/{number}/attachments?secret={secret}")))
        .body(jpeg.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let image = client
        .get(app.url(&format!("{}?secret={secret}", attached["href"].as_str().unwrap())))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert!(image.headers().get("content-encoding").is_none());
    assert_eq!(image.bytes().await.unwrap().to_vec(), jpeg);
}

#[tokio::test]
async fn tiles_appear_only_when_the_deployment_has_its_own_tile_server() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("img-src 'self' data: blob:;"), "{policy}");
    assert!(page.text().await.unwrap().contains("data-tiles=\"\""));

    // The same county served with a tile server of its own.
    let mut hub = app.county.hub.clone();
    hub.config.tile_url = Some("https://tiles.shimian.gov.cn/{z}/{x}/{y}.png".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let router = minqing::http::router(hub);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let page = app.client.get(format!("{address}/staff/map")).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("img-src 'self' data: blob: https://tiles.shimian.gov.cn;"), "{policy}");
    assert!(!policy.contains("script-src 'self' https"), "only images may come from the tile server: {policy}");
    assert!(page.text().await.unwrap().contains("data-tiles=\"https://tiles.shimian.gov.cn/{z}/{x}/{y}.png\""));
}
