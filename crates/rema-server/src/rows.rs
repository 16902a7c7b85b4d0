//! Studies sent as JSON objects (`"rows": [{"study": "A", "ai": 4, ...}]`)
//! in place of CSV text.
//!
//! Rows become the same [`Table`] a CSV would: the columns are the keys in
//! order of first appearance, a number becomes its shortest round-trip text
//! (so `0.1` is read back as the same `f64`), a string is kept, a `null` or a
//! missing key is an empty (missing) cell. Row `i` is read as line `i + 2` of
//! a CSV with a header, so `studies[].line` is the same for both forms.
//! Booleans, arrays and nested objects are refused, naming `rows[i].key`.

use std::fmt;

use rema_data::table::Row;
use rema_data::Table;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::AppError;

/// One study as a JSON object, its keys kept in the order they were sent.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRow(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for JsonRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonRow, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonRow;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object of one study, e.g. {\"study\": \"A\", \"yi\": 0.1, \"vi\": 0.02}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<JsonRow, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    if out.iter().any(|(key, _)| *key == k) {
                        return Err(serde::de::Error::custom(format!(
                            "key `{k}` appears twice in the object"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(JsonRow(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for JsonRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The table the rows stand for; errors name `rows[i].key`.
pub fn rows_to_table(rows: &[JsonRow], source: &str) -> Result<Table, AppError> {
    if rows.is_empty() {
        return Err(AppError::InvalidRequest {
            field: Some("rows".to_string()),
            message: "`rows` is empty; send one object per study".to_string(),
        });
    }
    let mut headers: Vec<String> = Vec::new();
    for row in rows {
        for (k, _) in &row.0 {
            if !headers.contains(k) {
                headers.push(k.clone());
            }
        }
    }
    if let Some(k) = headers.iter().find(|k| k.trim().is_empty()) {
        return Err(AppError::InvalidRequest {
            field: Some("rows".to_string()),
            message: format!("key `{k}` is blank; every column needs a name"),
        });
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mut cells = vec![String::new(); headers.len()];
        for (k, v) in &row.0 {
            let j = headers
                .iter()
                .position(|h| h == k)
                .expect("collected above");
            cells[j] = match v {
                Value::Null => String::new(),
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.trim().to_string(),
                Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
                    return Err(AppError::InvalidRequest {
                        field: Some(format!("rows[{i}].{k}")),
                        message: format!(
                            "rows[{i}].{k} is {}; write a number, a string or null",
                            kind(v)
                        ),
                    })
                }
            };
        }
        out.push(Row {
            line: i as u64 + 2,
            cells,
        });
    }
    Ok(Table {
        source: source.to_string(),
        headers,
        rows: out,
        decimal_comma: false,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        _ => "a scalar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(json: &str) -> Vec<JsonRow> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn rows_become_the_table_of_the_same_csv() {
        let r =
            rows(r#"[{"study": "A", "yi": 0.1, "vi": 2}, {"vi": 1e-3, "study": "B", "yi": null}]"#);
        let t = rows_to_table(&r, "rows").unwrap();
        assert_eq!(t.headers, ["study", "yi", "vi"], "first-appearance order");
        assert_eq!(t.rows[0].cells, ["A", "0.1", "2"]);
        assert_eq!(t.rows[1].cells, ["B", "", "0.001"]);
        assert_eq!(t.rows[1].line, 3);
    }

    #[test]
    fn a_boolean_cell_names_its_row_and_key() {
        let r = rows(r#"[{"yi": 1, "vi": 1}, {"yi": true, "vi": 1}]"#);
        match rows_to_table(&r, "rows") {
            Err(AppError::InvalidRequest { field, .. }) => {
                assert_eq!(field.as_deref(), Some("rows[1].yi"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_keys_and_non_objects_are_refused() {
        assert!(serde_json::from_str::<Vec<JsonRow>>(r#"[{"yi": 1, "yi": 2}]"#).is_err());
        assert!(serde_json::from_str::<Vec<JsonRow>>(r#"[[1, 2]]"#).is_err());
        assert!(matches!(
            rows_to_table(&[], "rows"),
            Err(AppError::InvalidRequest { .. })
        ));
    }
}
