//! The manifest: which segments are live, each component's schema, how far each component's
//! log has been sealed, the content each component has ingested, and the components dropped
//! and each maintained join pair's files (docs/FORMAT.md §Manifest). It is replaced atomically, so every change to the set of
//! segments is all-or-nothing.

use crate::codec::{Put, Reader};
use crate::error::{Error, IoContext, Result};
use crate::fs;
use crate::model::{FieldType, Schema};
use crate::segment::SegmentMeta;
use crate::snapshot::Slo;
use std::path::Path;

const MAGIC: &[u8; 8] = b"SEAMMAN\0";
/// The version written. Versions 1 (no ingest hashes, no dropped components), 2 (no join
/// pairs) and 3 (no last append times, no SLOs) are still read.
const VERSION: u32 = 4;
/// How "no append time recorded" is written.
const NO_TIME: i64 = i64::MIN;
pub(crate) const FILE_NAME: &str = "MANIFEST";

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Manifest {
    pub next_segment_id: u64,
    /// The highest LSN ever assigned when this manifest was written.
    pub last_lsn: u64,
    pub components: Vec<ComponentEntry>,
    /// Dropped components as (name, LSN): log records of that name up to the LSN belong to
    /// the dropped component, and replay skips them.
    pub dropped: Vec<(String, u64)>,
    /// Maintained join pairs and their files.
    pub pairs: Vec<PairEntry>,
    /// SLO definitions, by name.
    pub slos: Vec<Slo>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct PairEntry {
    pub driving: String,
    pub joined: String,
    /// (driving segment ID, join file ID), one per sealed driving segment.
    pub files: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ComponentEntry {
    pub name: String,
    pub schema: Schema,
    /// Every logged batch of this component with an LSN up to here is in a segment.
    pub sealed_lsn: u64,
    pub segments: Vec<SegmentMeta>,
    /// Hashes of the inputs ingested into this component (opaque here; the facade's XXH3-128
    /// of the input's bytes), so the same content is not stored twice by mistake.
    pub ingested: Vec<u128>,
    /// When the component's newest append or bulk load arrived (µs since the Unix epoch).
    pub last_append_us: Option<i64>,
}

impl Manifest {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.put_u32(VERSION);
        out.put_u32(0);
        out.put_u64(self.next_segment_id);
        out.put_u64(self.last_lsn);
        out.put_u32(self.components.len() as u32);
        for c in &self.components {
            out.put_str16(&c.name);
            out.put_u32(c.schema.fields().len() as u32);
            for (name, ty) in c.schema.fields() {
                out.put_str16(name);
                out.put_u8(*ty as u8);
            }
            out.put_u64(c.sealed_lsn);
            out.put_u32(c.segments.len() as u32);
            for s in &c.segments {
                out.put_u64(s.id);
                out.put_u64(s.rows);
                out.put_i64(s.min_time);
                out.put_i64(s.max_time);
                out.put_u64(s.size_bytes);
            }
            out.put_u32(c.ingested.len() as u32);
            for h in &c.ingested {
                out.put_u128(*h);
            }
            out.put_i64(c.last_append_us.unwrap_or(NO_TIME));
        }
        out.put_u32(self.dropped.len() as u32);
        for (name, lsn) in &self.dropped {
            out.put_str16(name);
            out.put_u64(*lsn);
        }
        out.put_u32(self.pairs.len() as u32);
        for p in &self.pairs {
            out.put_str16(&p.driving);
            out.put_str16(&p.joined);
            out.put_u32(p.files.len() as u32);
            for (segment, file) in &p.files {
                out.put_u64(*segment);
                out.put_u64(*file);
            }
        }
        out.put_u32(self.slos.len() as u32);
        for slo in &self.slos {
            out.put_str16(&slo.name);
            out.put_str16(&slo.text);
            out.put_i64(slo.created_us);
        }
        let crc = crc32fast::hash(&out);
        out.put_u32(crc);
        out
    }

    pub fn decode(bytes: &[u8], path: &Path) -> Result<Manifest> {
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(Error::corrupt(path, 0, "not a manifest (bad magic)"));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if !crate::codec::crc_matches(body, u32::from_le_bytes(crc.try_into().unwrap_or_default())) {
            return Err(Error::corrupt(path, body.len() as u64, "manifest checksum mismatch"));
        }
        let mut r = Reader::new(&body[8..], 8, path);
        let version = r.u32("version")?;
        if !(1..=VERSION).contains(&version) {
            return Err(Error::UnsupportedVersion { path: path.to_owned(), found: version, supported: VERSION });
        }
        r.u32("reserved")?;
        let mut m = Manifest {
            next_segment_id: r.u64("next segment id")?,
            last_lsn: r.u64("last lsn")?,
            components: Vec::new(),
            dropped: Vec::new(),
            pairs: Vec::new(),
            slos: Vec::new(),
        };
        let n = r.u32("component count")?;
        for _ in 0..n {
            let name = r.str16("component name")?.to_owned();
            let n_fields = r.u32("field count")?;
            let mut fields = Vec::new();
            for _ in 0..n_fields {
                let fname = r.str16("field name")?.to_owned();
                let code = r.u8("field type")?;
                let ty = FieldType::from_code(code).ok_or_else(|| r.corrupt(format!("unknown field type {code}")))?;
                fields.push((fname, ty));
            }
            let sealed_lsn = r.u64("sealed lsn")?;
            let n_segments = r.u32("segment count")?;
            let mut segments = Vec::new();
            for _ in 0..n_segments {
                segments.push(SegmentMeta {
                    id: r.u64("segment id")?,
                    rows: r.u64("segment rows")?,
                    min_time: r.i64("segment min time")?,
                    max_time: r.i64("segment max time")?,
                    size_bytes: r.u64("segment size")?,
                });
            }
            let mut ingested = Vec::new();
            if version >= 2 {
                let n = r.u32("ingest count")?;
                for _ in 0..r.len(n.into(), 16, "ingest hashes")? {
                    ingested.push(r.u128("ingest hash")?);
                }
            }
            let last_append_us = if version >= 4 { Some(r.i64("last append time")?).filter(|&t| t != NO_TIME) } else { None };
            m.components.push(ComponentEntry { name, schema: Schema::new(fields), sealed_lsn, segments, ingested, last_append_us });
        }
        if version >= 2 {
            let n = r.u32("dropped count")?;
            for _ in 0..n {
                let name = r.str16("dropped component name")?.to_owned();
                m.dropped.push((name, r.u64("dropped lsn")?));
            }
        }
        if version >= 3 {
            let n = r.u32("join pair count")?;
            for _ in 0..n {
                let mut pair = PairEntry {
                    driving: r.str16("join driving component")?.to_owned(),
                    joined: r.str16("join joined component")?.to_owned(),
                    files: Vec::new(),
                };
                let n = r.u32("join file count")?;
                for _ in 0..r.len(n.into(), 16, "join files")? {
                    pair.files.push((r.u64("join driving segment")?, r.u64("join file id")?));
                }
                m.pairs.push(pair);
            }
        }
        if version >= 4 {
            let n = r.u32("SLO count")?;
            for _ in 0..n {
                let name = r.str16("SLO name")?.to_owned();
                let text = r.str16("SLO text")?.to_owned();
                m.slos.push(Slo { name, text, created_us: r.i64("SLO created time")? });
            }
        }
        if r.remaining() != 0 {
            return Err(r.corrupt("unexpected bytes after the last component"));
        }
        Ok(m)
    }

    /// Reads the manifest in `dir`, or `None` if there is none yet.
    pub fn load(dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(FILE_NAME);
        read_bytes(dir)?.map(|bytes| Manifest::decode(&bytes, &path)).transpose()
    }

    pub fn store(&self, dir: &Path) -> Result<()> {
        fs::write_atomic(&dir.join(FILE_NAME), &self.encode())
    }
}

/// The bytes of the manifest in `dir`, or `None` if there is none yet. A reader beside a
/// writer compares them before and after it reads the files they name.
pub(crate) fn read_bytes(dir: &Path) -> Result<Option<Vec<u8>>> {
    let path = dir.join(FILE_NAME);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).context(|| format!("read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_4_round_trips_ingest_hashes_append_times_dropped_components_and_join_pairs() {
        let m = Manifest {
            next_segment_id: 9,
            last_lsn: 41,
            components: vec![ComponentEntry {
                name: "inference".into(),
                schema: Schema::new(vec![("score".into(), FieldType::Float)]),
                sealed_lsn: 40,
                segments: Vec::new(),
                ingested: vec![u128::MAX - 1, 7],
                last_append_us: Some(1_767_571_200_000_001),
            }],
            dropped: vec![("feedback".into(), 39)],
            pairs: vec![PairEntry { driving: "inference".into(), joined: "labels".into(), files: vec![(3, 8), (5, 9)] }],
            slos: vec![Slo {
                name: "acc".into(),
                text: "SELECT count() AS n FROM inference GROUP BY window(1d) EXPECT n > 0".into(),
                created_us: 5,
            }],
        };
        let path = Path::new("MANIFEST");
        assert_eq!(Manifest::decode(&m.encode(), path).unwrap(), m);
    }

    /// `body` (without its CRC) under another version number, with a matching CRC.
    fn with_version(mut body: Vec<u8>, version: u32) -> Vec<u8> {
        body[8..12].copy_from_slice(&version.to_le_bytes());
        let crc = crc32fast::hash(&body);
        body.put_u32(crc);
        body
    }

    #[test]
    fn older_versions_read_without_their_missing_lists_and_a_later_version_is_refused() {
        // Version 3 is version 4 without the SLO count; version 2 also without the pair
        // count; version 1 also without the dropped count (with no components, the ingest
        // lists and append times do not appear).
        let mut body = Manifest { next_segment_id: 3, last_lsn: 5, ..Manifest::default() }.encode();
        body.truncate(body.len() - 8); // the CRC and the SLO count
        let m = Manifest::decode(&with_version(body.clone(), 3), Path::new("MANIFEST")).unwrap();
        assert_eq!((m.next_segment_id, m.last_lsn, m.slos.len()), (3, 5, 0));
        body.truncate(body.len() - 4); // the pair count
        let m = Manifest::decode(&with_version(body.clone(), 2), Path::new("MANIFEST")).unwrap();
        assert_eq!((m.next_segment_id, m.last_lsn, m.pairs.len()), (3, 5, 0));
        body.truncate(body.len() - 4); // the dropped count
        let m = Manifest::decode(&with_version(body.clone(), 1), Path::new("MANIFEST")).unwrap();
        assert_eq!((m.next_segment_id, m.last_lsn, m.dropped.len()), (3, 5, 0));
        body.put_u32(0);
        body.put_u32(0);
        let e = Manifest::decode(&with_version(body, 5), Path::new("MANIFEST")).unwrap_err();
        assert!(matches!(e, Error::UnsupportedVersion { found: 5, .. }), "{e}");
    }
}
