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
use seamdb_storage::{Batch, BulkLoad, Db, Schema};
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
    /// Said after the error about a trace ID in no accepted form: how this caller's user turns
    /// on hashing (`seam ingest`: "pass --hash-trace-ids to hash other strings"). `None` where
    /// there is no such switch (the server's APPEND_JSON), so no error names one.
    pub hash_hint: Option<&'static str>,
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
            hash_hint: None,
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
    let mut load = start_load(db, component, options)?;
    let mut report = IngestReport::default();
    let mut sink = Sink { target: Target::Load(&mut load), report: &mut report, skip_bad_rows: options.skip_bad_rows };
    let mut input = content::Hashing::new(input);
    read(&mut sink, &mut input, options, progress)?;
    load.set_content_hash(input.digest(), options.again);
    load.commit()?;
    Ok(report)
}

/// A bulk load into `component`, once [`IngestOptions::create`] allows it: into a database
/// that has components, a new one is most likely a typo of one of them.
fn start_load<'d>(db: &'d Db, component: &str, options: &IngestOptions) -> Result<BulkLoad<'d>> {
    let snapshot = db.snapshot();
    if !options.create && snapshot.component_names().next().is_some() {
        require_component(&snapshot, component)?;
    }
    Ok(db.bulk_load(component)?)
}

/// Stores a file's events that were parsed elsewhere ([`parse`], by `seam ingest --remote`)
/// as [`ingest`] stores a file: whole or not at all, with the hash of the file's bytes in the
/// same commit, refused if the component already holds that content (unless
/// [`IngestOptions::again`]) and, without [`IngestOptions::create`], if the component is new.
/// The server's INGEST. Returns the rows stored.
pub fn store(db: &Db, component: &str, batch: Batch, content_hash: u128, options: &IngestOptions) -> Result<u64> {
    let mut load = start_load(db, component, options)?;
    load.append(batch)?;
    load.set_content_hash(content_hash, options.again);
    Ok(load.commit()?)
}

/// Parses one whole input into one batch, as [`ingest`] would read it into a component whose
/// schema is `schema` (the same rows, types and errors), and stores nothing: `seam ingest
/// --remote` sends the batch to a server as one request, which stores it whole or not at all.
pub fn parse(component: &str, schema: &Schema, input: &[u8], options: &IngestOptions) -> Result<(Batch, IngestReport)> {
    // One chunk for the whole input, so that the readers hand over exactly one batch.
    let options = IngestOptions { chunk_bytes: input.len() + 1, ..options.clone() };
    let mut report = IngestReport::default();
    let target = Target::Batch { component: component.to_owned(), schema: schema.clone(), batch: None };
    let mut sink = Sink { target, report: &mut report, skip_bad_rows: options.skip_bad_rows };
    read(&mut sink, input, &options, &mut |_| {})?;
    match sink.target {
        Target::Batch { batch: Some(batch), .. } => Ok((batch, report)),
        _ => Err(Error::input(1, None, "the input holds no events")),
    }
}

/// Reads `input` into `sink`; an input without a single good row is an error.
fn read(sink: &mut Sink<'_, '_>, input: impl Read, options: &IngestOptions, progress: &mut dyn FnMut(u64)) -> Result<()> {
    match options.format {
        Format::Csv => csv::read(sink, input, options, progress)?,
        Format::Jsonl => jsonl::read(sink, input, options, progress)?,
    }
    if sink.report.rows == 0 {
        let why = if sink.report.bad_rows.is_empty() { "the input holds no events" } else { "every row of the input is bad" };
        return Err(Error::input(1, None, why));
    }
    Ok(())
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
    target: Target<'a, 'db>,
    report: &'a mut IngestReport,
    skip_bad_rows: bool,
}

/// Where a [`Sink`]'s rows go.
enum Target<'a, 'db> {
    Load(&'a mut BulkLoad<'db>),
    /// The one batch of [`parse`], with the schema it gives the component.
    Batch {
        component: String,
        schema: Schema,
        batch: Option<Batch>,
    },
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

    fn append(&mut self, mut batch: Batch) -> Result<()> {
        self.report.rows += batch.rows() as u64;
        match &mut self.target {
            Target::Load(load) => load.append(batch)?,
            Target::Batch { batch: Some(_), .. } => return Err(Error::input(1, None, "the input did not parse as one chunk")),
            Target::Batch { component, schema, batch: slot } => {
                *schema = schema.absorb(component, &mut batch)?;
                *slot = Some(batch);
            }
        }
        Ok(())
    }

    fn schema(&self) -> &Schema {
        match &self.target {
            Target::Load(load) => load.schema(),
            Target::Batch { schema, .. } => schema,
        }
    }

    fn component(&self) -> String {
        match &self.target {
            Target::Load(load) => load.component().to_owned(),
            Target::Batch { component, .. } => component.clone(),
        }
    }
}

/// The conflict message of SPEC §2: component, field, both types, and the value.
fn conflict(component: &str, field: &str, expected: seamdb_storage::FieldType, found: &str, found_ty: &str) -> String {
    format!("component {component:?}: field {field:?} is {expected} but got {found_ty} {found}")
}
