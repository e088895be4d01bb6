//! Talking to a running `seam serve` (docs/PROTOCOL.md): the connection `--remote` and
//! `--token-file` describe, and `seam ingest --remote`.

use anyhow::Context;
use seamdb::ingest::IngestOptions;
use seamdb::{FieldType, Schema};
use seamdb_server::protocol::ErrorCode;
use seamdb_server::{Client, Error};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Connects to the server at `addr`, presenting the token in `token_file` (surrounding
/// whitespace ignored) if given.
pub fn connect(addr: &str, token_file: Option<&Path>) -> anyhow::Result<Client> {
    let token = match token_file {
        Some(path) => Some(std::fs::read(path).with_context(|| format!("reading the token file {}", path.display()))?),
        None => None,
    };
    let token = token.as_deref().map(<[u8]>::trim_ascii);
    Client::connect(addr, token).with_context(|| format!("cannot talk to seam serve at {addr}"))
}

/// `seam ingest --remote`: parses the file here, as a local ingest reads it into the
/// component's schema on the server, and sends it as one INGEST request with the hash of its
/// bytes. The server stores it as `seam ingest` stores a file (one commit: whole or not at
/// all, the content refused a second time unless `--again`, a new component only with
/// `--create`); a file too large for one request is refused with nothing stored.
pub fn ingest(
    addr: &str,
    token_file: Option<&Path>,
    component: &str,
    name: &str,
    mut input: impl Read,
    options: &IngestOptions,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut client = connect(addr, token_file)?;
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).with_context(|| format!("reading {name}"))?;
    let schema = schema(&mut client, component)?;
    let (batch, report) =
        seamdb::ingest::parse(component, &schema, &bytes, options).with_context(|| format!("{name}: nothing was stored"))?;
    let hash = seamdb::ingest::content_hash(&bytes[..]).with_context(|| format!("reading {name}"))?;
    match client.ingest(component, &batch, hash, options.again, options.create) {
        Ok(_) => {}
        Err(Error::Server { code: ErrorCode::TooLarge, message }) => anyhow::bail!(
            "{name}: nothing was stored: as one request it is too large for the server ({message}); a remote ingest is \
             one request, so that the file is stored whole or not at all: split the file, or raise the server's --max-frame-mib"
        ),
        Err(Error::Server { code: ErrorCode::AlreadyIngested, message }) => {
            anyhow::bail!("{name}: nothing was stored: {message}; pass --again to store it again")
        }
        Err(Error::Server { code: ErrorCode::UnknownComponent, message }) => {
            anyhow::bail!("{name}: nothing was stored: {message}; pass --create to start a new one")
        }
        Err(e) => return Err(e).with_context(|| format!("{name}: nothing was stored")),
    }
    for bad in &report.bad_rows {
        eprintln!("skipped {}: {}", bad.place, bad.message);
    }
    let skipped = if report.bad_rows.is_empty() { String::new() } else { format!("; skipped {} bad rows", report.bad_rows.len()) };
    outln!("ingested {} rows into {component} at {addr} in {:.2} s{skipped}", report.rows, start.elapsed().as_secs_f64())?;
    Ok(())
}

/// The component's schema on the server (empty for a component it does not have yet), so
/// that the file's values are read as the server would take them.
fn schema(client: &mut Client, component: &str) -> anyhow::Result<Schema> {
    let components = client.query("SHOW COMPONENTS")?;
    if !components.rows.iter().any(|row| row.first().is_some_and(|c| c.text() == component)) {
        return Ok(Schema::default());
    }
    let described = client.query(&format!("DESCRIBE {component}"))?;
    let fields = described
        .rows
        .iter()
        .filter_map(|row| {
            let ty = match row.get(1)?.text().as_str() {
                "float" => FieldType::Float,
                "int" => FieldType::Int,
                "bool" => FieldType::Bool,
                "tag" => FieldType::Tag,
                _ => return None, // trace_id and time
            };
            Some((row.first()?.text(), ty))
        })
        .collect();
    Ok(Schema::new(fields))
}
