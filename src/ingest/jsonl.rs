//! JSON Lines: one object per line with `trace_id` (a string in any accepted form, or a
//! non-negative integer), `time` (or `ts`: RFC 3339 string or integer in the declared unit),
//! and fields. JSON types give field types: integers → int, other numbers → float, strings
//! → tag, booleans → bool, null → null. Blank lines are skipped.
//!
//! JSON has no NaN or infinity (SPEC §2 wants them as floats), so two forms are read as
//! floats: the bare tokens `NaN`, `Infinity` and `-Infinity` that Python's `json.dumps`
//! writes by default, anywhere; and a string spelling one (`"NaN"`, `"inf"`, `"-Infinity"`,
//! any case) for a field that is already float or int. Any other string is a tag.

use super::text::{parse_number, parse_time, read_trace_id};
use super::{conflict, IngestOptions, Sink};
use crate::error::Result;
use seamdb_storage::model::valid_field_name;
use seamdb_storage::{BatchBuilder, FieldType, Value};
use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Read};

pub(super) fn read(sink: &mut Sink<'_, '_>, input: impl Read, o: &IngestOptions, progress: &mut dyn FnMut(u64)) -> Result<()> {
    let mut input = BufReader::with_capacity(1 << 20, input);
    let mut line = Vec::new();
    let mut builder = BatchBuilder::new();
    let mut line_no = 0u64;
    let mut chunk_bytes = 0;
    let component = sink.component();
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        sink.report.bytes += n as u64;
        let text = trim_line(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err((column, message)) = row(text, &mut builder, sink.schema(), &component, o) {
            sink.bad(line_no, column, message)?;
        }
        chunk_bytes += n;
        if chunk_bytes >= o.chunk_bytes {
            chunk_bytes = 0;
            sink.append(std::mem::take(&mut builder).finish()?)?;
            progress(sink.report.bytes);
        }
    }
    if builder.rows() > 0 {
        sink.append(builder.finish()?)?;
    }
    progress(sink.report.bytes);
    Ok(())
}

fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

pub(super) type RowError = (Option<usize>, String);

pub(super) fn row(
    text: &[u8],
    builder: &mut BatchBuilder,
    schema: &seamdb_storage::Schema,
    component: &str,
    o: &IngestOptions,
) -> std::result::Result<(), RowError> {
    let object: serde_json::Map<String, Json> = match serde_json::from_slice(text) {
        Ok(object) => object,
        Err(e) => python_non_finite(text)
            .and_then(|t| serde_json::from_slice(&t).ok())
            .ok_or_else(|| (Some(e.column()), format!("not a JSON object: {e}")))?,
    };
    let mut trace_id = None;
    let mut time = None;
    let mut values = Vec::with_capacity(object.len());
    for (key, json) in &object {
        match key.as_str() {
            "trace_id" => trace_id = Some(json_trace_id(json, o)?),
            "time" | "ts" if time.is_none() => time = Some(json_time(json, o)?),
            "time" | "ts" => return Err((None, "both time and ts are given".into())),
            name => {
                if !valid_field_name(name) {
                    return Err((None, format!("{name:?} is not a valid field name")));
                }
                let value = json_value(name, json, schema.field_type(name))?;
                if let (Some(expected), Some(found)) = (schema.field_type(name), value.field_type()) {
                    let fits = expected == found
                        || matches!((expected, found), (FieldType::Float, FieldType::Int) | (FieldType::Int, FieldType::Float));
                    if !fits {
                        return Err((None, conflict(component, name, expected, &json.to_string(), found.name())));
                    }
                }
                values.push((name, value));
            }
        }
    }
    let trace_id = trace_id.ok_or((None, "the object has no trace_id".to_string()))?;
    let time = time.ok_or((None, "the object has no time (or ts)".to_string()))?;
    builder.push(trace_id, time, &values).map_err(|c| {
        (
            None,
            conflict(
                component,
                &c.field,
                c.expected,
                &format!("{:?}", values.iter().find(|(n, _)| *n == c.field).map(|(_, v)| v)),
                c.found.name(),
            ),
        )
    })
}

fn json_trace_id(json: &Json, o: &IngestOptions) -> std::result::Result<u128, RowError> {
    match json {
        Json::String(s) => read_trace_id(s, o).map_err(|e| (None, e)),
        Json::Number(n) => n
            .as_u64()
            .map(u128::from)
            .ok_or((None, format!("trace_id {n} is not a non-negative integer below 2^64 (write larger IDs as strings)"))),
        other => Err((None, format!("trace_id {other} is neither a string nor an integer"))),
    }
}

fn json_time(json: &Json, o: &IngestOptions) -> std::result::Result<i64, RowError> {
    match json {
        Json::String(s) => parse_time(s, o.time_unit).map_err(|e| (None, e)),
        Json::Number(n) if n.is_i64() => parse_time(&n.to_string(), o.time_unit).map_err(|e| (None, e)),
        other => Err((None, format!("time {other} is neither an RFC 3339 string nor an integer"))),
    }
}

fn json_value(name: &str, json: &Json, ty: Option<FieldType>) -> std::result::Result<Value, RowError> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => match s.strip_prefix(NON_FINITE).and_then(parse_number) {
            Some(x) => Value::Float(x),
            None => match ty {
                Some(FieldType::Float | FieldType::Int) => match parse_number(s) {
                    Some(x) if !x.is_finite() => Value::Float(x),
                    _ => Value::Tag(s.clone()),
                },
                _ => Value::Tag(s.clone()),
            },
        },
        Json::Array(_) | Json::Object(_) => {
            return Err((None, format!("field {name:?} holds a nested value; fields are float, int, bool or tag")))
        }
    })
}

/// Starts a string that stood for a bare non-finite token. JSON text cannot hold a raw NUL,
/// so an input string starts with one only through an explicit `\u0000`, read the same way.
const NON_FINITE: &str = "\0";

/// `text` with Python's bare `NaN`, `Infinity` and `-Infinity` outside strings turned into
/// marked strings that [`json_value`] reads as floats; `None` if there are none.
fn python_non_finite(text: &[u8]) -> Option<Vec<u8>> {
    const TOKENS: [&[u8]; 3] = [b"NaN", b"Infinity", b"-Infinity"];
    let mut out = Vec::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped, mut found) = (false, false, false);
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if in_string {
            (escaped, in_string) = (!escaped && b == b'\\', escaped || b != b'"');
        } else if b == b'"' {
            in_string = true;
        } else if let Some(t) = TOKENS.iter().find(|t| text[i..].starts_with(t)) {
            out.extend_from_slice(b"\"\\u0000");
            out.extend_from_slice(t);
            out.push(b'"');
            (i, found) = (i + t.len(), true);
            continue;
        }
        out.push(b);
        i += 1;
    }
    found.then_some(out)
}
