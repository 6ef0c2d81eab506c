//! The JSON Schema accepts every valid workflow file and rejects keys the
//! loader rejects, so editor completion agrees with `flowkeeper validate`.

use std::path::{Path, PathBuf};

use flowkeeper::model::{json_schema, load_file};
use serde_json::Value as Json;

/// The fixtures, and the shipped workflows when the repository has them.
fn workflow_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![super::ticket_fixture()];
    if let Ok(entries) = std::fs::read_dir(root.join("workflows")) {
        files.extend(
            entries
                .filter_map(|entry| Some(entry.ok()?.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
                .filter(|path| {
                    path.file_name()
                        .is_some_and(|name| name != "assessment.toml" && name != "calendars.toml")
                }),
        );
    }
    files
}

fn as_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap();
    toml::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn the_schema_is_draft_07_and_names_every_section() {
    let schema = json_schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "id", "version", "start", "data", "states", "events", "timers", "slas",
    ] {
        assert!(properties.contains_key(key), "{key} missing");
    }
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn every_valid_workflow_file_validates_against_the_schema() {
    let validator = jsonschema::draft7::new(&json_schema()).unwrap();
    for file in workflow_files() {
        load_file(&file).unwrap_or_else(|problems| panic!("{problems}"));
        let instance = as_json(&file);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }
}

#[test]
fn the_schema_rejects_unknown_keys_and_wrong_types_like_the_loader() {
    let validator = jsonschema::draft7::new(&json_schema()).unwrap();
    let mut instance = as_json(&super::ticket_fixture());
    instance["states"]["open"]["terminl"] = Json::Bool(true);
    assert!(!validator.is_valid(&instance));
    let mut instance = as_json(&super::ticket_fixture());
    instance["slas"]["fix"]["within"] = Json::from(5);
    assert!(!validator.is_valid(&instance));
}

#[test]
fn the_schema_document_is_stable() {
    insta::assert_json_snapshot!("workflow_schema", json_schema());
}

/// The workflow files name `./workflow.schema.json` in their `#:schema`
/// header, so the shipped copy must be the schema this build generates.
#[test]
fn the_shipped_schema_file_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/workflow.schema.json");
    let shipped: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        shipped,
        json_schema(),
        "regenerate it: cargo run -- schema > workflows/workflow.schema.json"
    );
}
