//! Query results: a table of typed cells, printed for people (aligned text), as JSON (one
//! array of objects, SPEC §5) or as CSV.

use serde_json::{Map, Value as Json};

/// One result value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// Microseconds since the epoch, printed as RFC 3339 UTC with `Z`.
    Time(i64),
}

impl Cell {
    /// The cell as text: what the table and CSV forms print (`null` is empty in CSV).
    pub fn text(&self) -> String {
        match self {
            Cell::Null => "null".into(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Time(us) => format_time(*us),
        }
    }

    /// The instant a cell names: a time, or the text of one (a window start in a time zone
    /// prints as text with its offset).
    pub fn instant(&self) -> Option<i64> {
        match self {
            Cell::Time(t) => Some(*t),
            Cell::Text(t) => crate::parse_time(t),
            _ => None,
        }
    }

    fn json(&self) -> Json {
        match self {
            Cell::Null => Json::Null,
            Cell::Int(i) => Json::from(*i),
            Cell::Float(x) => serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number),
            Cell::Bool(b) => Json::Bool(*b),
            Cell::Text(s) => Json::String(s.clone()),
            Cell::Time(us) => Json::String(format_time(*us)),
        }
    }
}

/// Microseconds since the epoch as RFC 3339 UTC with `Z`.
pub fn format_time(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

/// A result: named columns and rows of cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(columns: impl IntoIterator<Item = impl Into<String>>) -> Table {
        Table { columns: columns.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    /// One JSON array of objects keyed by column name, in column order.
    pub fn to_json(&self) -> String {
        Json::Array(self.json_objects()).to_string()
    }

    /// Each row as a JSON object keyed by column name, in column order.
    pub fn json_objects(&self) -> Vec<Json> {
        self.rows
            .iter()
            .map(|row| Json::Object(self.columns.iter().cloned().zip(row.iter().map(Cell::json)).collect::<Map<String, Json>>()))
            .collect()
    }

    /// RFC 4180 CSV with a header row; null is an empty field.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let line = |cells: Vec<String>, out: &mut String| {
            out.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
            out.push('\n');
        };
        line(self.columns.clone(), &mut out);
        for row in &self.rows {
            line(row.iter().map(|c| if *c == Cell::Null { String::new() } else { c.text() }).collect(), &mut out);
        }
        out
    }

    /// Columns aligned for people: numbers to the right, text to the left.
    pub fn to_text(&self) -> String {
        let texts: Vec<Vec<String>> = self.rows.iter().map(|r| r.iter().map(Cell::text).collect()).collect();
        // A column holding numbers is right-aligned throughout, its nulls included.
        let numeric: Vec<bool> =
            (0..self.columns.len()).map(|i| self.rows.iter().any(|r| matches!(r.get(i), Some(Cell::Int(_) | Cell::Float(_))))).collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                texts.iter().map(|r| r.get(i).map_or(0, |t| t.chars().count())).chain([self.columns[i].chars().count()]).max().unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(header.join("  ").trim_end());
        out.push('\n');
        out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
        out.push('\n');
        for row in &texts {
            let fields: Vec<String> = row
                .iter()
                .zip(&widths)
                .zip(&numeric)
                .map(|((t, w), &right)| if right { format!("{t:>w$}") } else { format!("{t:<w$}") })
                .collect();
            out.push_str(fields.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
