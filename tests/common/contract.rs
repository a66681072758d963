//! The OpenAPI slice in ../shared/spec as a checker: answers, request bodies and query
//! parameters validated against the operation they belong to.

use std::path::PathBuf;

use serde_json::{Value, json};

/// OpenAPI 3.0 `nullable: true` as JSON Schema; examples dropped.
fn json_schema(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, val) in m {
                if k == "nullable" || k == "example" {
                    continue;
                }
                out.insert(k.clone(), json_schema(val));
            }
            if m.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = out.get_mut("enum")
                    && !e.contains(&Value::Null)
                {
                    e.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

/// The slice, ready to check with.
pub struct Contract {
    /// The OpenAPI document.
    pub spec: Value,
    components: Value,
}

impl Contract {
    /// The slice, or `None` (with a message) when ../shared/spec is absent.
    pub fn load() -> Option<Contract> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/spec/cloudflare-tunnel-openapi.json");
        if !path.exists() {
            // CI sets CFINGRESS_REQUIRE_SPEC: there, a missing spec is a failure, not a skip.
            assert!(
                std::env::var_os("CFINGRESS_REQUIRE_SPEC").is_none(),
                "{} is absent and CFINGRESS_REQUIRE_SPEC is set",
                path.display()
            );
            eprintln!("SKIPPED: {} is absent", path.display());
            return None;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let spec: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        Some(Contract {
            components: json_schema(&spec["components"]),
            spec,
        })
    }

    /// Checks `instance` against `schema` (which may refer to the slice's components).
    pub fn check(&self, schema: &Value, instance: &Value, what: &str) {
        let root = json!({"allOf": [json_schema(schema)], "components": self.components});
        let validator =
            jsonschema::draft7::new(&root).unwrap_or_else(|e| panic!("{what}: bad schema: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not match the OpenAPI slice:\n{}\n{instance:#}",
            errors.join("\n")
        );
    }

    /// Checks an answer of `method path` (a template such as `/zones/{zone_id}/dns_records`).
    pub fn response(&self, path: &str, method: &str, status: u16, body: &Value) {
        let responses = &self.spec["paths"][path][method]["responses"];
        let key = if (200..300).contains(&status) {
            "200".to_owned()
        } else {
            "4XX".to_owned()
        };
        let schema = &responses[&key]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "no schema for {method} {path} {key}");
        self.check(
            schema,
            body,
            &format!("{} {path} -> {status}", method.to_uppercase()),
        );
    }

    /// Checks a request body of `method path`.
    pub fn request(&self, path: &str, method: &str, body: &Value) {
        let schema = &self.spec["paths"][path][method]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert!(
            !schema.is_null(),
            "{method} {path} takes no JSON body, but one was sent: {body}"
        );
        self.check(
            schema,
            body,
            &format!("request body of {} {path}", method.to_uppercase()),
        );
    }

    /// Checks query parameters of `method path`: each one declared by the operation, its value
    /// valid for its schema (numbers within their bounds, enums, strings).
    pub fn query(&self, path: &str, method: &str, pairs: &[(String, String)]) {
        let params = self.spec["paths"][path][method]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (key, value) in pairs {
            let Some(param) = params
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == key.as_str())
            else {
                panic!("{method} {path}: query parameter {key} is not in the OpenAPI slice");
            };
            let schema = &param["schema"];
            let resolved = match schema["$ref"].as_str() {
                Some(r) => self.spec["components"]["schemas"]
                    [r.trim_start_matches("#/components/schemas/")]
                .clone(),
                None => schema.clone(),
            };
            let instance = match resolved["type"].as_str() {
                Some("number" | "integer") => value
                    .parse::<f64>()
                    .map(|n| json!(n))
                    .unwrap_or_else(|_| panic!("{method} {path}: {key}={value} is not a number")),
                Some("boolean") => json!(value == "true"),
                _ => json!(value),
            };
            self.check(
                schema,
                &instance,
                &format!("query {key}={value} of {} {path}", method.to_uppercase()),
            );
        }
    }
}
