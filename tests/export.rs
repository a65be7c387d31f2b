//! Exports of filtered appeal lists as CSV and XLSX: same filters and scope as the list,
//! contact details masked as for the reader, no formula injection.

mod common;

use std::io::Read;

use common::spawn_app;
use serde_json::json;

/// The files of a zip archive, read with the checks a spreadsheet program makes.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut at = 0;
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    while bytes[at..at + 4] == [0x50, 0x4b, 0x03, 0x04] {
        let crc = u32_at(at + 14);
        let compressed = u32_at(at + 18) as usize;
        let size = u32_at(at + 22) as usize;
        let name_length = u16_at(at + 26);
        let extra = u16_at(at + 28);
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_length].to_vec()).unwrap();
        let start = at + 30 + name_length + extra;
        let mut content = Vec::new();
        flate2::read::DeflateDecoder::new(&bytes[start..start + compressed]).read_to_end(&mut content).unwrap();
        assert_eq!(content.len(), size, "{name}");
        let mut check = flate2::Crc::new();
        check.update(&content);
        assert_eq!(check.sum(), crc, "{name}");
        files.push((name, content));
        at = start + compressed;
    }
    assert_eq!(bytes[at..at + 4], [0x50, 0x4b, 0x01, 0x02], "central directory follows the files");
    files
}

#[tokio::test]
async fn filtered_lists_export_to_csv_and_xlsx_masked_for_the_reader() {
    let app = spawn_app().await;
    let appeals = [
        json!({"text": "晏如村村口路灯坏了", "lat": 29.05, "lng": 102.05, "contact_name": "张三", "contact_phone": "13812345678"}),
        json!({"text": "=HYPERLINK(\"http://x\") 晏如村垃圾没人清运", "lat": 29.05, "lng": 102.06}),
        json!({"text": "方元村停水了", "lat": 29.15, "lng": 102.05}),
    ];
    for appeal in &appeals {
        let response = app.client.post(app.url("/api/v1/appeals")).json(appeal).send().await.unwrap();
        assert_eq!(response.status(), 201);
    }
    let village = app.token("yanru").await;
    let operator = app.token("operator").await;

    // The village sees its two appeals, with the phone masked; the formula is defused.
    let response = app.client.get(app.url("/api/v1/appeals/export.csv?sort=newest")).bearer_auth(&village).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains(".csv"));
    let text = response.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "a byte-order mark for spreadsheet programs");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows.iter().any(|row| &row[14] == "138****5678"), "{text}");
    assert!(rows.iter().any(|row| row[3].starts_with("'=HYPERLINK")), "{text}");
    assert!(!text.contains("方元村"), "out of the village's scope");

    // Filters narrow it, as on the list.
    let filtered = app
        .client
        .get(app.url("/api/v1/appeals/export.csv?category_code=0201"))
        .bearer_auth(&village)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 2, "{filtered}");
    let bad = app.client.get(app.url("/api/v1/appeals/export.csv?status=sleeping")).bearer_auth(&village).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let anonymous = app.client.get(app.url("/api/v1/appeals/export.xlsx")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // The operator sees all three, unmasked, in an XLSX workbook.
    let response = app.client.get(app.url("/api/v1/appeals/export.xlsx")).bearer_auth(&operator).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = response.bytes().await.unwrap();
    let files = unzip(&bytes);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    for part in
        ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"]
    {
        assert!(names.contains(&part), "{part} missing from {names:?}");
    }
    for (name, content) in &files {
        roxmltree::Document::parse(std::str::from_utf8(content).unwrap()).unwrap_or_else(|error| panic!("{name}: {error}"));
    }
    let sheet = std::str::from_utf8(&files.iter().find(|(name, _)| name == "xl/worksheets/sheet1.xml").unwrap().1).unwrap().to_string();
    let document = roxmltree::Document::parse(&sheet).unwrap();
    let rows: Vec<Vec<String>> = document
        .descendants()
        .filter(|node| node.has_tag_name("row"))
        .map(|row| row.descendants().filter(|node| node.has_tag_name("t")).map(|cell| cell.text().unwrap_or("").to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 4, "a header and three appeals");
    assert_eq!(rows[0][0], "编号");
    assert!(rows.iter().any(|row| row[14] == "13812345678"), "the operator sees the phone");
    assert!(!sheet.contains("<f>"), "no formulas");
}
