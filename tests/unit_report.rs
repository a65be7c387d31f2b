//! A unit's monthly report as XLSX (rates, rank and its open appeals) and the list's
//! `unit_id` filter that the printable report uses.

mod common;

use std::io::Read;

use common::spawn_app;
use serde_json::{Value, json};

/// The files of a zip archive, checked as a spreadsheet program would.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut at = 0;
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    while bytes[at..at + 4] == [0x50, 0x4b, 0x03, 0x04] {
        let compressed = u32_at(at + 18) as usize;
        let name_length = u16_at(at + 26);
        let extra = u16_at(at + 28);
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_length].to_vec()).unwrap();
        let start = at + 30 + name_length + extra;
        let mut content = String::new();
        flate2::read::DeflateDecoder::new(&bytes[start..start + compressed]).read_to_string(&mut content).unwrap();
        roxmltree::Document::parse(&content).unwrap_or_else(|error| panic!("{name}: {error}"));
        files.push((name, content));
        at = start + compressed;
    }
    files
}

fn rows(sheet: &str) -> Vec<Vec<String>> {
    let document = roxmltree::Document::parse(sheet).unwrap();
    document
        .descendants()
        .filter(|node| node.has_tag_name("row"))
        .map(|row| row.descendants().filter(|node| node.has_tag_name("t")).map(|cell| cell.text().unwrap_or("").to_string()).collect())
        .collect()
}

#[tokio::test]
async fn a_units_monthly_report_lists_its_open_appeals_and_downloads_as_xlsx() {
    let app = spawn_app().await;
    let client = &app.client;
    let village = app.token("yanru").await;
    let mut numbers = Vec::new();
    for text in ["晏如村路灯坏了", "晏如村的水管漏水"] {
        let receipt: Value = client
            .post(app.url("/api/v1/appeals"))
            .json(&json!({"text": text, "lat": 29.05, "lng": 102.05}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        numbers.push(receipt["number"].as_str().unwrap().to_string());
    }
    // The first goes to the housing department; the second stays with the village.
    let act = |number: &str, action: &str, body: Value| {
        client.post(app.url(&format!("/api/v1/appeals/{number}/actions/{action}"))).bearer_auth(&village).json(&body).send()
    };
    assert_eq!(act(&numbers[0], "accept", json!({})).await.unwrap().status(), 200);
    assert_eq!(act(&numbers[0], "dispatch", json!({"lead_unit_id": app.county.housing})).await.unwrap().status(), 200);

    // The list by unit: a leader at the centre sees the housing department's appeal only.
    let leader = app.token("leader").await;
    let listed: Value = client
        .get(app.url(&format!("/api/v1/appeals?unit_id={}&status=open", app.county.housing)))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|item| item["number"].as_str().unwrap()).collect();
    assert_eq!(listed, vec![numbers[0].as_str()]);
    let clash = client
        .get(app.url(&format!("/api/v1/appeals?unit_id={}&queue=mine", app.county.housing)))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(clash.status(), 400);
    // Scope still applies: another township's committee sees none of it.
    let meiluo = app.token("meiluo").await;
    let outside: Value = client
        .get(app.url(&format!("/api/v1/appeals?unit_id={}", app.county.housing)))
        .bearer_auth(&meiluo)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outside["items"], json!([]));

    // The workbook: the rates sheet names the unit; the open sheet lists its appeal.
    let url = app.url(&format!("/api/v1/reports/unit-month.xlsx?unit_id={}&month=2026-11", app.county.housing));
    assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
    let response = client.get(&url).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let files = unzip(&response.bytes().await.unwrap());
    let workbook = &files.iter().find(|(name, _)| name == "xl/workbook.xml").unwrap().1;
    assert!(workbook.contains("name=\"指标\"") && workbook.contains("name=\"在办诉求\""), "{workbook}");
    let rates = rows(&files.iter().find(|(name, _)| name == "xl/worksheets/sheet1.xml").unwrap().1);
    assert_eq!(rates[1], vec!["单位".to_string(), "县住房和城乡建设局".to_string()]);
    assert_eq!(rates[2], vec!["月份".to_string(), "2026-11".to_string()]);
    let open = rows(&files.iter().find(|(name, _)| name == "xl/worksheets/sheet2.xml").unwrap().1);
    assert_eq!(open.len(), 2, "a header and one open appeal: {open:?}");
    assert_eq!(open[1][0], numbers[0]);
    assert_eq!(open[1][1], "已派单");
    let missing = client.get(app.url("/api/v1/reports/unit-month.xlsx?unit_id=999999")).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let bad_month = client
        .get(app.url(&format!("/api/v1/reports/unit-month.xlsx?unit_id={}&month=2026-13", app.county.housing)))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_month.status(), 400);
}
