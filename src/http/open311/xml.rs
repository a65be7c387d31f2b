//! A tiny XML writer for the Open311 responses: turns a JSON value into the element
//! tree the GeoReport v2 specification shows, with proper escaping.
//!
//! Objects become elements named by their keys; arrays become one child element per
//! item, named by `item_name` (e.g. `services` holds `service`); null becomes an empty
//! element. That is all the specification's XML uses.

use serde_json::Value;

/// The element name of the items of a list element.
pub fn item_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "service_request_updates" => "request_update",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        "events" => "event",
        _ => "item",
    }
}

/// Escapes text for element content and drops characters XML 1.0 cannot carry.
pub fn escape(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            ch if (ch as u32) < 0x20 || ch == '\u{FFFE}' || ch == '\u{FFFF}' => {}
            ch => out.push(ch),
        }
    }
}

fn write_element(name: &str, value: &Value, out: &mut String) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Array(items) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            let item = item_name(name);
            for value in items {
                write_element(item, value, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        Value::Object(fields) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            for (key, value) in fields {
                write_element(key, value, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        Value::Bool(flag) => write_text(name, if *flag { "true" } else { "false" }, out),
        Value::Number(number) => write_text(name, &number.to_string(), out),
        Value::String(text) => write_text(name, text, out),
    }
}

fn write_text(name: &str, text: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape(text, out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A whole document with its declaration and one root element.
pub fn document(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_element(root, value, &mut out);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_objects_and_nulls_follow_the_spec_shape() {
        let cases = [
            (
                "errors",
                json!([{"code": 404, "description": "a < b & \"c\""}]),
                "<errors><error><code>404</code><description>a &lt; b &amp; &quot;c&quot;</description></error></errors>",
            ),
            (
                "services",
                json!([{"metadata": true, "group": null}]),
                "<services><service><group/><metadata>true</metadata></service></services>",
            ),
            ("service_requests", json!([]), "<service_requests></service_requests>"),
            ("x", json!({"text": "bell\u{7}ok"}), "<x><text>bellok</text></x>"),
        ];
        for (root, value, expected) in cases {
            let xml = document(root, &value);
            assert_eq!(xml.lines().nth(1), Some(expected), "{root}");
        }
    }
}
