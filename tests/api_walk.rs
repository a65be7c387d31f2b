//! Runs the curl walk of docs/API.md against the test county's server, so that the
//! documented commands stay true. Needs `bash`, `curl` and `jq` (.ci/setup.d/api-tools.sh).

mod common;

use common::spawn_app;

fn walk_script() -> String {
    let doc = include_str!("../docs/API.md");
    let start = doc.find("<!-- walk:start -->").expect("walk start marker");
    let end = doc.find("<!-- walk:end -->").expect("walk end marker");
    let block = &doc[start..end];
    let body_start = block.find("```sh\n").expect("sh block") + "```sh\n".len();
    let body_end = block.rfind("```").expect("block end");
    block[body_start..body_end].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_curl_walk_works() {
    let app = spawn_app().await;
    let script = walk_script();
    let address = app.address.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash").arg("-euo").arg("pipefail").arg("-c").arg(&script).env("MQ", &address).output()
    })
    .await
    .expect("join")
    .expect("bash runs (install bash, curl and jq: .ci/setup.d/api-tools.sh)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the walk failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(stdout.contains("\"grid_id\": \"511824101203-01\""), "{stdout}");
    assert!(stdout.contains("已更换灯泡和镇流器"), "{stdout}");
    let rated =
        app.county.hub.db.list_appeals(None, &Default::default(), minqing::storage::appeals::AppealOrder::Newest, None, 10).await.unwrap();
    assert_eq!(rated.len(), 1);
    assert_eq!(rated[0].status.as_str(), "rated");
}
