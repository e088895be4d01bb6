//! The manifest: which segments are live, each component's schema, and how far each
//! component's log has been sealed (docs/FORMAT.md §Manifest). It is replaced atomically,
//! so every change to the set of segments is all-or-nothing.

use crate::codec::{Put, Reader};
use crate::error::{Error, IoContext, Result};
use crate::fs;
use crate::model::{FieldType, Schema};
use crate::segment::SegmentMeta;
use std::path::Path;

const MAGIC: &[u8; 8] = b"SEAMMAN\0";
const VERSION: u32 = 1;
pub(crate) const FILE_NAME: &str = "MANIFEST";

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Manifest {
    pub next_segment_id: u64,
    /// The highest LSN ever assigned when this manifest was written.
    pub last_lsn: u64,
    pub components: Vec<ComponentEntry>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ComponentEntry {
    pub name: String,
    pub schema: Schema,
    /// Every logged batch of this component with an LSN up to here is in a segment.
    pub sealed_lsn: u64,
    pub segments: Vec<SegmentMeta>,
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
        if version != VERSION {
            return Err(Error::UnsupportedVersion { path: path.to_owned(), found: version, supported: VERSION });
        }
        r.u32("reserved")?;
        let mut m = Manifest { next_segment_id: r.u64("next segment id")?, last_lsn: r.u64("last lsn")?, components: Vec::new() };
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
            m.components.push(ComponentEntry { name, schema: Schema::new(fields), sealed_lsn, segments });
        }
        if r.remaining() != 0 {
            return Err(r.corrupt("unexpected bytes after the last component"));
        }
        Ok(m)
    }

    /// Reads the manifest in `dir`, or `None` if there is none yet.
    pub fn load(dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => Manifest::decode(&bytes, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).context(|| format!("read {}", path.display())),
        }
    }

    pub fn store(&self, dir: &Path) -> Result<()> {
        fs::write_atomic(&dir.join(FILE_NAME), &self.encode())
    }
}
