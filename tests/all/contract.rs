//! Holds every answer the end-to-end tests get to the OpenAPI document the
//! server serves: the operation must be documented, the status must be one of
//! its documented responses, and a JSON body must match the response's schema.

use serde_json::{Map, Value};

pub struct Contract {
    document: Value,
}

impl Contract {
    pub fn new(document: Value) -> Self {
        assert!(
            document["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.")),
            "not an OpenAPI 3 document: {document:#}"
        );
        Contract { document }
    }

    /// The documented path template that `path` (without its query) falls under.
    fn template(&self, path: &str) -> Option<&str> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.document["paths"]
            .as_object()?
            .keys()
            .find(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                parts.len() == segments.len()
                    && parts
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
            })
            .map(String::as_str)
    }

    /// Why the answer contradicts the document, if it does.
    pub fn check(&self, method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
        let Some(template) = self.template(path) else {
            // Only the fallback may answer a path the document does not have.
            return if status == 404 {
                Ok(())
            } else {
                Err(format!(
                    "{path} is not in the document but answered {status}"
                ))
            };
        };
        let operation = &self.document["paths"][template][method.to_lowercase()];
        if operation.is_null() {
            return if status == 405 {
                Ok(())
            } else {
                Err(format!("{method} {template} is not documented"))
            };
        }
        let response = &operation["responses"][status.to_string()];
        if response.is_null() {
            return Err(format!(
                "{method} {template} answered {status}, which it does not document: {body}"
            ));
        }
        let Some(schema) = response["content"]["application/json"]["schema"].as_object() else {
            return Ok(());
        };
        let mut root = Map::new();
        root.insert("components".into(), self.document["components"].clone());
        root.extend(schema.clone());
        let validator = jsonschema::validator_for(&Value::Object(root))
            .map_err(|e| format!("the schema of {method} {template} {status} is invalid: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {template} {status} does not match its schema:\n  {}\nbody: {body:#}",
                errors.join("\n  ")
            ))
        }
    }
}

#[test]
fn answers_that_contradict_the_document_are_caught() {
    let document = serde_json::to_value(onewindow::http::openapi()).unwrap();
    let contract = Contract::new(document);
    let not_found = serde_json::json!({"error": "not_found", "message": "no case 1"});
    assert_eq!(
        contract.check("GET", "/api/v1/cases/1", 404, &not_found),
        Ok(())
    );
    let wrong_shape = serde_json::json!({"case_no": 1});
    let err = contract
        .check("GET", "/api/v1/cases/1", 200, &wrong_shape)
        .unwrap_err();
    assert!(err.contains("does not match its schema"), "{err}");
    let err = contract
        .check("GET", "/api/v1/cases/1", 418, &not_found)
        .unwrap_err();
    assert!(err.contains("does not document"), "{err}");
    let err = contract
        .check("DELETE", "/api/v1/cases/1", 200, &Value::Null)
        .unwrap_err();
    assert!(err.contains("is not documented"), "{err}");
    // Query strings do not change the operation.
    let items = serde_json::json!({"items": []});
    assert_eq!(
        contract.check("GET", "/api/v1/matters?q=企业", 200, &items),
        Ok(())
    );
}
