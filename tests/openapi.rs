//! `openapi.yaml` and the code describe the same API: every route of the function list is in the
//! document and every documented operation is a route; each `events/` HTTP sample, run through
//! its handler against the demo data, answers a status the document lists with a body its
//! schema accepts.
use crate::support;

use serde_json::{json, Map, Value};
use shared::functions::{routes, ALL};
use std::collections::BTreeSet;
use support::{TestApp, TestResult};
use yaml_rust2::{Yaml, YamlLoader};

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => s.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    other => format!("{other:?}"),
                };
                m.insert(key, to_json(v));
            }
            Value::Object(m)
        }
        _ => Value::Null,
    }
}

pub fn document() -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let text = std::fs::read_to_string(format!("{}/openapi.yaml", env!("CARGO_MANIFEST_DIR")))?;
    let docs = YamlLoader::load_from_str(&text)?;
    Ok(to_json(docs.first().ok_or("openapi.yaml is empty")?))
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

#[test]
fn every_route_is_documented_and_every_documented_operation_is_a_route() -> TestResult {
    let doc = document()?;
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .ok_or("no paths")?
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let coded: BTreeSet<(String, String)> = routes()
        .map(|(r, _)| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(
        coded.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes missing from openapi.yaml"
    );
    assert_eq!(
        documented.difference(&coded).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented operations no function serves"
    );
    // Each operation documents its errors with the one error shape, and an auth story.
    for (method, path) in &documented {
        let op = &doc["paths"][path][method.to_lowercase()];
        let responses = op["responses"].as_object().ok_or("no responses")?;
        assert!(
            responses.contains_key("503"),
            "{method} {path} documents no 503"
        );
        let public = op.get("security").is_some_and(|s| s.as_array().is_some());
        if !public {
            assert!(
                responses.contains_key("401") && responses.contains_key("403"),
                "{method} {path}: 401/403"
            );
        }
    }
    Ok(())
}

/// The schema of `status` for an operation, as a JSON pointer into the document.
fn response_schema(
    doc: &Value,
    method: &str,
    path: &str,
    status: u16,
    media_type: Option<&str>,
) -> Option<(String, Option<String>)> {
    let esc = |s: &str| s.replace('~', "~0").replace('/', "~1");
    let op_ptr = format!("/paths/{}/{}", esc(path), method.to_lowercase());
    let mut ptr = format!("{op_ptr}/responses/{status}");
    let mut resp = doc.pointer(&ptr)?;
    if let Some(r) = resp.get("$ref").and_then(Value::as_str) {
        ptr = r.trim_start_matches('#').to_string();
        resp = doc.pointer(&ptr)?;
    }
    let content = resp.get("content")?.as_object()?;
    // The media type the answer says it has (a JSON error body has no header here: the first).
    let media = match media_type {
        Some(m) => content.keys().find(|k| k.as_str() == m)?.clone(),
        None => content.keys().next()?.clone(),
    };
    Some((
        media.clone(),
        Some(format!("{ptr}/content/{}/schema", esc(&media))),
    ))
}

pub fn validate(
    doc: &Value,
    method: &str,
    path: &str,
    status: u16,
    body: &[u8],
) -> Result<(), String> {
    validate_as(doc, method, path, status, None, body)
}

/// `validate` for an answer of a given media type (`content-type` without parameters).
pub fn validate_as(
    doc: &Value,
    method: &str,
    path: &str,
    status: u16,
    media_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let Some((media, Some(schema_ptr))) = response_schema(doc, method, path, status, media_type)
    else {
        return Err(format!("{method} {path} does not document {status}"));
    };
    if media != "application/json" {
        return Ok(());
    }
    let instance: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let mut root = doc.clone();
    // A JSON pointer in a URI fragment: `{` and `}` (path templates) must be percent-encoded.
    let fragment = schema_ptr.replace('{', "%7B").replace('}', "%7D");
    root["$ref"] = json!(format!("#{fragment}"));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{method} {path} {status}: {errors:?} in {instance}"
        ))
    }
}

#[tokio::test]
async fn every_sample_event_answers_as_the_document_says() -> TestResult {
    let doc = document()?;
    let app = TestApp::spawn_with(|c| {
        c.with("SUPABASE_JWT_SECRET", devtools::demo::DEV_JWT_SECRET)
            .with(
                "RAZORPAY_WEBHOOK_SECRET",
                devtools::demo::DEV_WEBHOOK_SECRET,
            )
    })
    .await?;
    let mut db = shared::clients::db::connect(&app.db_url).await?;
    devtools::demo::seed(&mut db).await?;
    for (id, amount) in devtools::demo::PAYMENTS {
        app.razorpay.add_payment(id, *amount);
    }
    let mut checked = 0;
    let mut files: Vec<_> = std::fs::read_dir(format!("{}/events", env!("CARGO_MANIFEST_DIR")))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let event: Value = serde_json::from_str(&text)?;
        let Some(route_key) = event["routeKey"].as_str() else {
            continue;
        };
        let (method, path) = route_key.split_once(' ').ok_or("routeKey")?;
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let function = ALL
            .iter()
            .find(|f| {
                f.routes()
                    .iter()
                    .any(|r| r.method == method && r.path == path)
            })
            .ok_or(format!("{name}: no function serves {route_key}"))?;
        let req = lambda_http::request::from_str(&text)?;
        let resp = function
            .call_http(&app.ctx, req)
            .await
            .ok_or("not an HTTP function")?;
        let status = resp.status().as_u16();
        assert!(status < 500, "{name} answered {status}");
        let media = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_string());
        validate_as(
            &doc,
            method,
            path,
            status,
            media.as_deref(),
            resp.body().as_ref(),
        )
        .map_err(|e| format!("{name}: {e}"))?;
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} HTTP samples");
    // The check can fail: a body missing required fields, or a status not documented.
    assert!(validate(&doc, "GET", "/admin/payments/stats", 200, b"{}").is_err());
    assert!(validate(&doc, "GET", "/admin/payments/stats", 418, b"{}").is_err());
    assert!(validate(
        &doc,
        "POST",
        "/admin/refunds/{terminationId}/retry",
        404,
        br#"{"error":"x","code":"Not Snake","requestId":"r"}"#
    )
    .is_err());
    Ok(())
}
