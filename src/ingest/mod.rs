//! Text ingest: CSV and JSON Lines into a component, atomically per input (SPEC §5).
//!
//! The input is parsed in chunks of about [`IngestOptions::chunk_bytes`]; each chunk becomes a
//! batch of a [`BulkLoad`], which writes segments as it goes and makes them all visible in
//! one commit at the end. A bad value stops the load and nothing is stored, unless
//! `skip_bad_rows` is set, in which case the row is reported and left out.

mod content;
mod csv;
mod jsonl;
mod rfc3339;
mod text;

pub use content::{content_hash, require_component};
pub use text::{hash_trace_id, parse_time, parse_trace_id, TimeUnit, TraceIdMode};

use crate::error::{Error, Place, Result};
use seamdb_storage::{BulkLoad, Db};
use std::io::Read;

/// The text formats `seam ingest` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Csv,
    Jsonl,
}

#[derive(Clone, Debug)]
pub struct IngestOptions {
    pub format: Format,
    /// Unit of integer times; `None` makes an integer time an error.
    pub time_unit: Option<TimeUnit>,
    pub trace_ids: TraceIdMode,
    /// Store the good rows and report the bad ones instead of failing.
    pub skip_bad_rows: bool,
    /// Input bytes parsed into one batch (chunks end at a record boundary, so a chunk holds
    /// at least one record). New fields take their type from the first chunk that has a value.
    pub chunk_bytes: usize,
    /// Store the input even if the component already holds the same content (the same
    /// bytes); without it, such an ingest is refused with `AlreadyIngested`.
    pub again: bool,
    /// Start the component if it does not exist. Without it, a missing component is an
    /// error ([`Error::UnknownComponent`]) once the database has any component.
    pub create: bool,
}

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions {
            format: Format::Csv,
            time_unit: None,
            trace_ids: TraceIdMode::Strict,
            skip_bad_rows: false,
            chunk_bytes: 4 << 20,
            again: false,
            create: true,
        }
    }
}

/// A row left out under `skip_bad_rows`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub place: Place,
    pub message: String,
}

/// What an ingest stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub rows: u64,
    pub bytes: u64,
    pub bad_rows: Vec<BadRow>,
}

/// Ingests one input into `component`: all of its rows become visible together, or none.
/// The hash of the input's bytes ([`content_hash`]) is recorded with the rows, in the same
/// commit; an input the component already holds is refused unless [`IngestOptions::again`].
/// `progress` is called now and then with the number of input bytes read so far.
pub fn ingest(db: &Db, component: &str, input: impl Read, options: &IngestOptions, progress: &mut dyn FnMut(u64)) -> Result<IngestReport> {
    // Into a database that has components, a new one is most likely a typo of one of them.
    let snapshot = db.snapshot();
    if !options.create && snapshot.component_names().next().is_some() {
        require_component(&snapshot, component)?;
    }
    let mut load = db.bulk_load(component)?;
    let mut report = IngestReport::default();
    let mut sink = Sink { load: &mut load, report: &mut report, skip_bad_rows: options.skip_bad_rows };
    let mut input = content::Hashing::new(input);
    match options.format {
        Format::Csv => csv::read(&mut sink, &mut input, options, progress)?,
        Format::Jsonl => jsonl::read(&mut sink, &mut input, options, progress)?,
    }
    if report.rows == 0 {
        let why = if report.bad_rows.is_empty() { "the input holds no events" } else { "every row of the input is bad" };
        return Err(Error::input(1, None, why));
    }
    load.set_content_hash(input.digest(), options.again);
    load.commit()?;
    Ok(report)
}

/// Parses JSON Lines (one object per line, as `seam ingest --format jsonl` reads) into one
/// batch for [`Db::append`]: the server's APPEND. Field types are checked against the
/// component's schema as it stands; the first bad line is an error with its line and column.
pub fn json_batch(db: &Db, component: &str, text: &[u8], options: &IngestOptions) -> Result<seamdb_storage::Batch> {
    let schema = db.snapshot().component(component).map(|c| c.schema().clone()).unwrap_or_default();
    let mut builder = seamdb_storage::BatchBuilder::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        jsonl::row(line, &mut builder, &schema, component, options)
            .map_err(|(column, message)| Error::input(n as u64 + 1, column, message))?;
    }
    if builder.rows() == 0 {
        return Err(Error::input(1, None, "the input holds no events"));
    }
    Ok(builder.finish()?)
}

/// Where both readers put their rows and report their bad ones.
pub(crate) struct Sink<'a, 'db> {
    load: &'a mut BulkLoad<'db>,
    report: &'a mut IngestReport,
    skip_bad_rows: bool,
}

impl Sink<'_, '_> {
    /// A bad row: fatal, or recorded and skipped.
    fn bad(&mut self, line: u64, column: Option<usize>, message: String) -> Result<()> {
        if !self.skip_bad_rows {
            return Err(Error::input(line, column, message));
        }
        self.report.bad_rows.push(BadRow { place: Place { line, column }, message });
        Ok(())
    }

    fn append(&mut self, batch: seamdb_storage::Batch) -> Result<()> {
        self.report.rows += batch.rows() as u64;
        self.load.append(batch)?;
        Ok(())
    }

    fn schema(&self) -> &seamdb_storage::Schema {
        self.load.schema()
    }

    fn component(&self) -> String {
        self.load.component().to_owned()
    }
}

/// The conflict message of SPEC §2: component, field, both types, and the value.
fn conflict(component: &str, field: &str, expected: seamdb_storage::FieldType, found: &str, found_ty: &str) -> String {
    format!("component {component:?}: field {field:?} is {expected} but got {found_ty} {found}")
}
