//! The OpenAPI document's parameters are where the API reads them: a path parameter is in
//! its path template, and query filters are query parameters (so generated clients and
//! the API fuzzer send them where the server looks).

use utoipa::OpenApi;

#[test]
fn every_path_parameter_is_in_its_path_and_query_parameters_are_optional_unless_needed() {
    let document = serde_json::to_value(minqing::http::openapi::ApiDoc::openapi()).unwrap();
    let mut misplaced = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let placed_in_path = parameter["in"] == "path";
                if placed_in_path != path.contains(&format!("{{{name}}}")) {
                    misplaced.push(format!("{method} {path}: {name} is in {}", parameter["in"]));
                }
            }
        }
    }
    assert!(misplaced.is_empty(), "parameters documented in the wrong place:\n{}", misplaced.join("\n"));
}
