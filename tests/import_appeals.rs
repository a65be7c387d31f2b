//! Importing historical appeals from other 12345 systems' CSV and XLSX exports: the
//! shipped example, every kind of bad row, dry runs that change nothing, all-or-nothing
//! real runs, XLSX and GBK files, and re-imports that skip what is already there.

mod common;

use clap::Parser;
use common::{TestDb, county, spawn_app};
use minqing::domain::appeal::{AppealStatus, Resolution, Satisfaction};
use minqing::domain::history::{EventKind, verify_chain};
use minqing::service::Hub;
use minqing::service::import::{ImportReport, import_appeals};
use minqing::storage::appeals::{AppealFilter, AppealOrder};

const EXAMPLE_CSV: &str = include_str!("../docs/import-example.csv");
const EXAMPLE_MAPPING: &str = include_str!("../docs/import-example.toml");

/// Every chain of the database, verified as `minqing audit verify` does.
async fn chain_breaks(hub: &Hub) -> usize {
    let mut breaks = 0;
    hub.db.all_chains(|number, head, chain| breaks += verify_chain(number, &chain, head).len()).await.expect("chains");
    breaks
}

async fn by_source_ref(hub: &Hub, source_ref: &str) -> minqing::storage::appeals::AppealRecord {
    let filter = AppealFilter { source_ref: Some(source_ref.to_string()), ..AppealFilter::default() };
    let mut found = hub.db.list_appeals(None, &filter, AppealOrder::Newest, None, 10).await.expect("list");
    assert_eq!(found.len(), 1, "{source_ref}");
    found.remove(0)
}

async fn import(hub: &Hub, name: &str, bytes: &[u8], dry_run: bool) -> ImportReport {
    import_appeals(hub, name, bytes, EXAMPLE_MAPPING, dry_run).await.expect("import runs")
}

#[tokio::test]
async fn the_example_imports_with_final_states_numbers_history_and_a_verified_chain() {
    for test_db in TestDb::all().await {
        let label = test_db.label;
        let county = county(test_db.db.clone()).await;
        let hub = &county.hub;

        // A dry run reports what it would do and changes nothing, not even the day counters.
        let dry = import(hub, "import-example.csv", EXAMPLE_CSV.as_bytes(), true).await;
        assert!(dry.is_clean(), "{label}: {:?}", dry.problems);
        assert_eq!(dry.imported.len(), 5, "{label}");
        assert_eq!(hub.db.count_appeals().await.unwrap(), 0, "{label}: a dry run changes nothing");

        let report = import(hub, "import-example.csv", EXAMPLE_CSV.as_bytes(), false).await;
        assert!(report.is_clean(), "{label}: {:?}", report.problems);
        assert_eq!(report.imported.len(), 5, "{label}");
        assert_eq!(hub.db.count_appeals().await.unwrap(), 5, "{label}");
        assert_eq!(report.imported, dry.imported, "{label}: the dry run predicted the numbers");

        // Rated: numbered by its original day, received and finished at the original times,
        // the reply and the rating kept, the history ending in `imported`.
        let rated = by_source_ref(hub, "YA12345-2024-000101").await;
        assert_eq!(rated.number, "MQ-20240315-000001", "{label}");
        assert_eq!(rated.status, AppealStatus::Rated, "{label}");
        assert_eq!(rated.received_ms, "2024-03-15T09:30:00+08:00".parse::<jiff::Timestamp>().unwrap().as_millisecond());
        assert_eq!(rated.resolved_ms, Some("2024-03-18T16:00:00+08:00".parse::<jiff::Timestamp>().unwrap().as_millisecond()));
        assert_eq!(
            rated.rating.map(|rating| (rating.resolution, rating.satisfaction)),
            Some((Resolution::Resolved, Satisfaction::Satisfied))
        );
        assert_eq!(rated.region_code, "511824101203", "{label}: 晏如村 by name");
        assert_eq!(rated.category_code.as_deref(), Some("0201"), "{label}: 路灯 → 路灯照明");
        assert_eq!(rated.contact_phone.as_deref(), Some("13812345678"));
        assert!(!rated.needs_triage);
        let events = hub.db.events_of(rated.id).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
        assert_eq!(kinds, ["received", "resolved", "rated", "imported"], "{label}");
        assert_eq!(events[1].reason, "已更换灯泡，路灯恢复照明");
        assert!(events[3].reason.contains("YA12345-2024-000101") && events[3].reason.contains("第 2 行"), "{}", events[3].reason);
        let public = minqing::service::view::public_detail(hub, &rated).await.unwrap();
        assert_eq!(public.reply.as_deref(), Some("已更换灯泡，路灯恢复照明"));
        assert!(!public.can_rate, "already rated");

        // Closed with a partial rating, routed by its (GCJ-02) point to 方元村's grid.
        let closed = by_source_ref(hub, "YA12345-2024-000102").await;
        assert_eq!(closed.status, AppealStatus::Closed, "{label}");
        assert_eq!(closed.grid_id.as_deref(), Some("511824102200-01"), "{label}");
        assert_eq!(closed.rating.map(|rating| rating.satisfaction), Some(Satisfaction::Basically));
        let kinds: Vec<String> = hub.db.events_of(closed.id).await.unwrap().into_iter().map(|event| event.kind).collect();
        assert_eq!(kinds, ["received", "resolved", "rated", "closed", "imported"], "{label}");

        // Resolved without a rating can still be followed up and rated here.
        let resolved = by_source_ref(hub, "YA12345-2024-000103").await;
        assert_eq!(resolved.status, AppealStatus::Resolved, "{label}");
        assert!(minqing::service::view::public_detail(hub, &resolved).await.unwrap().can_rate);

        // Rejected, with the reason.
        let rejected = by_source_ref(hub, "YA12345-2024-000104").await;
        assert_eq!(rejected.status, AppealStatus::Rejected, "{label}");
        assert_eq!(rejected.channel, minqing::domain::appeal::Channel::MiniProgram);

        // Still open in the old system: in the county's triage queue with a fresh deadline.
        let open = by_source_ref(hub, "YA12345-2024-000105").await;
        assert_eq!(open.status, AppealStatus::Received, "{label}");
        assert!(open.needs_triage);
        assert_eq!(open.owner_unit_id, Some(county.centre), "{label}");
        assert!(open.next_deadline_ms > hub.clock.now_ms(), "{label}: the deadline runs from the import");

        assert_eq!(chain_breaks(hub).await, 0, "{label}: every imported chain verifies");

        // Re-importing the same file skips every row by its source number.
        let again = import(hub, "import-example.csv", EXAMPLE_CSV.as_bytes(), false).await;
        assert!(again.is_clean(), "{label}");
        assert!(again.imported.is_empty(), "{label}");
        assert_eq!(again.skipped.len(), 5, "{label}");
        assert_eq!(again.skipped[0].2, "MQ-20240315-000001");
        assert_eq!(hub.db.count_appeals().await.unwrap(), 5, "{label}");
        test_db.cleanup().await;
    }
}

/// A header and a good row; each case appends one bad row (row 3) to them.
const HEADER: &str =
    "工单编号,受理时间,来源渠道,诉求内容,问题类别,所属村社,事发地址,纬度,经度,来电人,来电号码,工单状态,办理结果,解决情况,满意度,办结时间";
const GOOD_ROW: &str =
    "G-1,2024-03-15 09:30:00,电话,路灯不亮,路灯,晏如村,,,,张三,13812345678,已回访,已修好,已解决,满意,2024-03-18 16:00:00";

#[tokio::test]
async fn a_dry_run_reports_every_bad_row_with_its_column_and_a_real_run_imports_nothing() {
    // (bad row, column at fault, words of the problem)
    let cases: &[(&str, &str, &str)] = &[
        (",2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已办结,好,,,2024-03-16 09:00:00", "工单编号", "original number is empty"),
        ("B-2,2024-03-15 09:30:00,电话,,,,,,,,,已办结,好,,,2024-03-16 09:00:00", "诉求内容", "text is empty"),
        ("B-3,15/03/2024,电话,路灯不亮,,,,,,,,已办结,好,,,2024-03-16 09:00:00", "受理时间", "does not match the time format"),
        ("B-4,2030-01-01 09:00:00,电话,路灯不亮,,,,,,,,办理中,,,,", "受理时间", "in the future"),
        ("B-5,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,挂起,,,,", "工单状态", "is unknown"),
        ("B-6,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已派单,,,,", "工单状态", "cannot be imported"),
        ("B-7,2024-03-15 09:30:00,电话,路灯不亮,飞碟,,,,,,,已办结,好,,,2024-03-16 09:00:00", "问题类别", "not in our taxonomy"),
        ("B-8,2024-03-15 09:30:00,电话,路灯不亮,,火星村,,,,,,已办结,好,,,2024-03-16 09:00:00", "所属村社", "not a region"),
        ("B-9,2024-03-15 09:30:00,电话,路灯不亮,,,,北纬,102.05,,,已办结,好,,,2024-03-16 09:00:00", "纬度", "not a number"),
        ("B-10,2024-03-15 09:30:00,电话,路灯不亮,,,,95,102.05,,,已办结,好,,,2024-03-16 09:00:00", "纬度", "within -90..90"),
        ("B-11,2024-03-15 09:30:00,电话,路灯不亮,,,,29.05,,,,已办结,好,,,2024-03-16 09:00:00", "经度", "no longitude"),
        ("B-12,2024-03-15 09:30:00,信鸽,路灯不亮,,,,,,,,已办结,好,,,2024-03-16 09:00:00", "来源渠道", "channel `信鸽` is unknown"),
        ("B-13,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,12-ab,已办结,好,,,2024-03-16 09:00:00", "来电号码", "contact_phone"),
        (
            "B-14,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已回访,好,已解决,很好,2024-03-16 09:00:00",
            "满意度",
            "satisfaction `很好` is unknown",
        ),
        ("B-15,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已回访,好,已解决,,2024-03-16 09:00:00", "满意度", "needs both"),
        ("B-16,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已回访,好,,,2024-03-16 09:00:00", "满意度", "needs its rating"),
        ("B-17,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已办结,好,,,", "办结时间", "needs the time it was finished"),
        ("B-18,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已办结,好,,,2024-03-14 09:00:00", "办结时间", "before the received time"),
        ("B-19,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,办理中,,,,2024-03-16 09:00:00", "工单状态", "cannot have a closing time"),
        ("G-1,2024-03-15 09:30:00,电话,路灯不亮,,,,,,,,已办结,好,,,2024-03-16 09:00:00", "工单编号", "also on row 2"),
    ];
    let test_db = TestDb::sqlite().await;
    let county = county(test_db.db.clone()).await;
    let hub = &county.hub;
    for (bad_row, column, words) in cases {
        let file = format!("{HEADER}\n{GOOD_ROW}\n{bad_row}\n");
        for dry_run in [true, false] {
            let report = import(hub, "bad.csv", file.as_bytes(), dry_run).await;
            assert!(!report.is_clean(), "{bad_row}");
            assert!(report.problems.iter().all(|problem| problem.row == 3), "{bad_row}: {:?}", report.problems);
            assert!(
                report.problems.iter().any(|problem| problem.column == *column && problem.problem.contains(words)),
                "{bad_row}: expected `{words}` in column {column}, got {:?}",
                report.problems
            );
            assert!(report.imported.is_empty(), "{bad_row}");
            assert_eq!(hub.db.count_appeals().await.unwrap(), 0, "{bad_row}: nothing half-imported (dry_run {dry_run})");
        }
    }

    // All the bad rows in one file: every one is reported, each with its own row number.
    let all = format!("{HEADER}\n{GOOD_ROW}\n{}\n", cases.iter().map(|(row, _, _)| *row).collect::<Vec<_>>().join("\n"));
    let report = import(hub, "bad.csv", all.as_bytes(), true).await;
    let mut rows: Vec<usize> = report.problems.iter().map(|problem| problem.row).collect();
    rows.dedup();
    assert_eq!(rows, (3..3 + cases.len()).collect::<Vec<_>>());
    let lines = minqing::service::import::report_lines(&report);
    assert!(lines.last().unwrap().starts_with(&format!("FAILED: {} of {} rows", cases.len(), cases.len() + 1)), "{lines:?}");

    // A mapping that names a column the file lacks is refused before any row.
    let error = import_appeals(hub, "bad.csv", "编号,内容\nA,B\n".as_bytes(), EXAMPLE_MAPPING, true).await.unwrap_err();
    assert!(error.to_string().contains("no column `工单编号`"), "{error}");
    test_db.cleanup().await;
}

#[tokio::test]
async fn a_real_run_that_fails_midway_leaves_nothing_behind() {
    let test_db = TestDb::sqlite().await;
    let county = county(test_db.db.clone()).await;
    let hub = &county.hub;
    // The database refuses the fourth appeal, after three were written in the transaction.
    sqlx::query(
        "CREATE TRIGGER refuse_fourth BEFORE INSERT ON appeals WHEN NEW.text LIKE '%社保%' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .execute(&hub.db.pool)
    .await
    .unwrap();
    let error = import_appeals(hub, "import-example.csv", EXAMPLE_CSV.as_bytes(), EXAMPLE_MAPPING, false).await.unwrap_err();
    assert!(error.to_string().contains("refused"), "{error}");
    assert_eq!(hub.db.count_appeals().await.unwrap(), 0, "all or nothing");
    sqlx::query("DROP TRIGGER refuse_fourth").execute(&hub.db.pool).await.unwrap();
    let report = import(hub, "import-example.csv", EXAMPLE_CSV.as_bytes(), false).await;
    assert_eq!(report.imported.len(), 5);
    assert_eq!(report.imported[0].2, "MQ-20240315-000001", "the failed run took no numbers");
    test_db.cleanup().await;
}

#[tokio::test]
async fn xlsx_and_gbk_csv_import_like_the_utf8_csv_and_source_ref_is_a_list_filter() {
    // The example as an XLSX workbook (written by our own exporter) and as GBK CSV.
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(EXAMPLE_CSV.as_bytes());
    let mut records: Vec<Vec<String>> = reader.records().map(|record| record.unwrap().iter().map(str::to_string).collect()).collect();
    let header = records.remove(0);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let xlsx = minqing::service::xlsx::workbook_bytes("工单", &header, &records).unwrap();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(EXAMPLE_CSV);
    assert!(!unmappable);

    for (name, bytes) in [("export.xlsx", xlsx.clone()), ("export-gbk.csv", gbk.into_owned())] {
        let test_db = TestDb::sqlite().await;
        let county = county(test_db.db.clone()).await;
        let report = import(&county.hub, name, &bytes, false).await;
        assert!(report.is_clean(), "{name}: {:?}", report.problems);
        assert_eq!(report.imported.len(), 5, "{name}");
        let rated = by_source_ref(&county.hub, "YA12345-2024-000101").await;
        assert_eq!(rated.text, "晏如村村口路灯不亮已经一周了", "{name}");
        assert_eq!(rated.status, AppealStatus::Rated, "{name}");
        let closed = by_source_ref(&county.hub, "YA12345-2024-000102").await;
        assert_eq!(closed.contact_phone.as_deref(), Some("08358861234"), "{name}");
        test_db.cleanup().await;
    }

    // Staff find an imported appeal by its old number through the API.
    let app = spawn_app().await;
    let report = import(&app.county.hub, "export.xlsx", &xlsx, false).await;
    assert_eq!(report.imported.len(), 5);
    let token = app.token("admin").await;
    let page: serde_json::Value = app
        .client
        .get(app.url("/api/v1/appeals?source_ref=YA12345-2024-000102"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["number"], report.imported[1].2.as_str());
    let detail: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/v1/appeals/{}", report.imported[1].2)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = detail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], EventKind::Imported.as_str(), "{detail}");
    assert_eq!(last["label"], "历史导入");
}

#[tokio::test]
async fn the_command_line_exits_non_zero_on_rejected_rows_and_the_audit_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("minqing.db");
    let db = minqing::storage::Db::open_sqlite_file(&db_path).await.unwrap();
    db.migrate().await.unwrap();
    let _county = county(db).await;
    let url = format!("sqlite://{}", db_path.display());
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, EXAMPLE_MAPPING).unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, EXAMPLE_CSV).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{HEADER}\n{GOOD_ROW}\nX-1,2024-03-15 09:30:00,电话,,,,,,,,,挂起,,,,\n")).unwrap();

    let run = |args: Vec<String>| async move { minqing::cli::run(minqing::cli::Cli::parse_from(args)).await.unwrap() };
    let import_args = |file: &std::path::Path, dry_run: bool| {
        let mut args: Vec<String> = vec!["minqing".into(), "import".into(), "--database-url".into(), url.clone(), "appeals".into()];
        args.push(file.display().to_string());
        args.push("--mapping".into());
        args.push(mapping.display().to_string());
        if dry_run {
            args.push("--dry-run".into());
        }
        args
    };
    assert_eq!(run(import_args(&bad, true)).await, 1, "a dry run with rejected rows fails");
    assert_eq!(run(import_args(&bad, false)).await, 1, "a real run with rejected rows fails");
    assert_eq!(run(import_args(&good, true)).await, 0);
    assert_eq!(run(import_args(&good, false)).await, 0);
    let audit = vec!["minqing".into(), "audit".into(), "--database-url".into(), url.clone(), "verify".into()];
    assert_eq!(run(audit).await, 0, "every imported chain verifies");
}
