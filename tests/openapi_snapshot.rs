//! The OpenAPI document is generated from the code; this test keeps docs/openapi.json in
//! step with it. Run with UPDATE_SNAPSHOTS=1 to accept a deliberate change.

#[test]
fn openapi_document_matches_the_snapshot() {
    let document = serde_json::to_string_pretty(&minqing::http::openapi::document()).expect("serialise") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::write(&path, &document).expect("write snapshot");
        return;
    }
    let snapshot = std::fs::read_to_string(&path).expect("read snapshot");
    assert!(
        snapshot == document,
        "the OpenAPI document changed; review the diff and run `UPDATE_SNAPSHOTS=1 cargo test --test openapi_snapshot`"
    );
    let parsed: serde_json::Value = serde_json::from_str(&document).expect("valid JSON");
    for path in ["/api/v1/appeals", "/api/v1/appeals/{number}", "/api/v1/grids/{id}", "/api/v1/regions/{code}/grids"] {
        assert!(parsed["paths"].get(path).is_some(), "{path} is documented");
    }
}
