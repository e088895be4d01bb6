//! Building a segment: rows from any parts are gathered into columns of the component's
//! current schema, ordered by time, indexed, and written once (docs/FORMAT.md §Segment).

use super::format::{Footer, Header, SectionKind, Zone, ALIGN, CHUNK_ROWS, FOOTER_MAGIC, MAGIC, NO_FIELD, VERSION};
use crate::codec::Put;
use crate::error::{IoContext, Result};
use crate::fs;
use crate::model::{FieldType, Schema, Validity};
use crate::scan::{Part, Values};
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;

/// What the manifest records about a written segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentMeta {
    pub id: u64,
    pub rows: u64,
    pub min_time: i64,
    pub max_time: i64,
    pub size_bytes: u64,
}

enum Data {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<u8>),
    Tag { codes: Vec<u32>, dict: Vec<String>, index: HashMap<String, u32> },
}

struct BuildColumn {
    name: String,
    data: Data,
    validity: Validity,
}

/// Collects rows for one segment. Memory is about the segment's size; callers bound it by
/// writing a segment every `seal_rows` rows.
pub(crate) struct SegmentBuilder {
    trace_ids: Vec<u128>,
    times: Vec<i64>,
    columns: Vec<BuildColumn>,
}

impl SegmentBuilder {
    pub fn new(schema: &Schema) -> SegmentBuilder {
        let columns = schema
            .fields()
            .iter()
            .map(|(name, ty)| BuildColumn { name: name.clone(), data: Data::empty(*ty), validity: Validity::default() })
            .collect();
        SegmentBuilder { trace_ids: Vec::new(), times: Vec::new(), columns }
    }

    pub fn rows(&self) -> usize {
        self.trace_ids.len()
    }

    /// Follows a schema change mid-build: new fields start null, `int` fields widen to `float`.
    pub fn evolve(&mut self, schema: &Schema) {
        let rows = self.rows();
        for (name, ty) in schema.fields() {
            match self.columns.iter_mut().find(|c| &c.name == name) {
                Some(col) => {
                    if let (Data::Int(v), FieldType::Float) = (&col.data, ty) {
                        col.data = Data::Float(v.iter().map(|&x| x as f64).collect());
                    }
                }
                None => {
                    let mut col = BuildColumn { name: name.clone(), data: Data::empty(*ty), validity: Validity::default() };
                    for _ in 0..rows {
                        col.data.push_null();
                        col.validity.push(false);
                    }
                    self.columns.push(col);
                }
            }
        }
    }

    /// Appends the rows of `part` (all of them, or those listed in `rows`, ascending).
    pub fn append(&mut self, part: Part<'_>, rows: Option<&[u32]>) {
        let pick = |n: usize| -> Box<dyn Iterator<Item = usize> + '_> {
            match rows {
                None => Box::new(0..n),
                Some(r) => Box::new(r.iter().map(|&r| r as usize)),
            }
        };
        let n = part.rows();
        let ids = part.trace_ids();
        let times = part.times();
        match rows {
            None => {
                self.trace_ids.extend_from_slice(ids);
                self.times.extend_from_slice(times);
            }
            Some(r) => {
                self.trace_ids.extend(r.iter().map(|&i| ids[i as usize]));
                self.times.extend(r.iter().map(|&i| times[i as usize]));
            }
        }
        for col in &mut self.columns {
            let Some(view) = part.field(&col.name) else {
                for _ in pick(n) {
                    col.validity.push(false);
                    col.data.push_null();
                }
                continue;
            };
            for r in pick(n) {
                col.validity.push(view.is_valid(r));
            }
            match (&mut col.data, view.values) {
                (Data::Float(out), Values::Float(v)) => out.extend(pick(n).map(|r| v[r])),
                (Data::Float(out), Values::Int(v)) => out.extend(pick(n).map(|r| v[r] as f64)),
                (Data::Int(out), Values::Int(v)) => out.extend(pick(n).map(|r| v[r])),
                (Data::Bool(out), Values::Bool(v)) => out.extend(pick(n).map(|r| v[r])),
                (Data::Tag { codes: out, dict: out_dict, index }, Values::Tag { codes, dict }) => {
                    let remap: Vec<u32> = dict
                        .iter()
                        .map(|s| {
                            *index.entry(s.to_owned()).or_insert_with(|| {
                                out_dict.push(s.to_owned());
                                out_dict.len() as u32 - 1
                            })
                        })
                        .collect();
                    out.extend(pick(n).map(|r| remap.get(codes[r] as usize).copied().unwrap_or(0)));
                }
                // The schema only widens int to float, so no other pairing can occur; keep the
                // rows null rather than panic if a caller breaks that.
                (data, _) => {
                    let valid = &mut col.validity;
                    let start = valid.len() - pick(n).count();
                    let mut words = valid.words().to_vec();
                    for row in start..valid.len() {
                        words[row / 64] &= !(1 << (row % 64));
                    }
                    *valid = Validity::from_words(words, valid.len());
                    for _ in pick(n) {
                        data.push_null();
                    }
                }
            }
        }
    }

    /// Sorts, indexes and writes the segment to `path` (which must not exist) and syncs it.
    /// The directory entry is synced by the caller, once per manifest update.
    pub fn write(mut self, path: &Path, id: u64) -> Result<SegmentMeta> {
        self.sort_by_time();
        let rows = self.rows();
        let min_time = self.times.first().copied().unwrap_or(0);
        let max_time = self.times.last().copied().unwrap_or(0);
        let file = fs::create_new(path)?;
        let mut out = SectionWriter { file: BufWriter::with_capacity(1 << 20, file), offset: 0, sections: Vec::new() };
        let header = header(rows, min_time, max_time, self.columns.len());
        out.raw(bytemuck::bytes_of(&header)).context(|| format!("write {}", path.display()))?;
        self.write_sections(&mut out).context(|| format!("write {}", path.display()))?;
        let dir = self.directory(&out.sections);
        let dir_offset = out.offset;
        out.raw(&dir).context(|| format!("write {}", path.display()))?;
        let footer = footer(dir_offset, &dir, rows);
        out.raw(bytemuck::bytes_of(&footer)).context(|| format!("write {}", path.display()))?;
        let file = out.file.into_inner().map_err(|e| e.into_error()).context(|| format!("write {}", path.display()))?;
        fs::sync_data(&file, path)?;
        Ok(SegmentMeta { id, rows: rows as u64, min_time, max_time, size_bytes: out.offset })
    }

    /// Orders rows by time, keeping arrival order among equal times.
    fn sort_by_time(&mut self) {
        if self.times.is_sorted() {
            return;
        }
        let mut order: Vec<u32> = (0..self.rows() as u32).collect();
        order.sort_by_key(|&r| self.times[r as usize]);
        self.trace_ids = gather(&self.trace_ids, &order);
        self.times = gather(&self.times, &order);
        for col in &mut self.columns {
            col.validity = {
                let mut v = Validity::default();
                order.iter().for_each(|&r| v.push(col.validity.is_valid(r as usize)));
                v
            };
            match &mut col.data {
                Data::Float(v) => *v = gather(v, &order),
                Data::Int(v) => *v = gather(v, &order),
                Data::Bool(v) => *v = gather(v, &order),
                Data::Tag { codes, .. } => *codes = gather(codes, &order),
            }
        }
    }

    fn write_sections(&mut self, out: &mut SectionWriter) -> std::io::Result<()> {
        out.section(NO_FIELD, SectionKind::TraceIds, bytemuck::cast_slice(&self.trace_ids))?;
        out.section(NO_FIELD, SectionKind::Times, bytemuck::cast_slice(&self.times))?;
        let mut order: Vec<u32> = (0..self.rows() as u32).collect();
        let ids = &self.trace_ids;
        order.sort_unstable_by_key(|&r| (ids[r as usize], r));
        out.section(NO_FIELD, SectionKind::TraceOrder, bytemuck::cast_slice(&order))?;
        out.section(NO_FIELD, SectionKind::TimeZones, bytemuck::cast_slice(&zones_i64(&self.times, None)))?;
        for (i, col) in self.columns.iter_mut().enumerate() {
            let field = i as u32;
            let validity = (col.validity.null_count() > 0).then_some(&col.validity);
            match &mut col.data {
                Data::Float(v) => {
                    out.section(field, SectionKind::Values, bytemuck::cast_slice(v))?;
                    out.section(field, SectionKind::Zones, bytemuck::cast_slice(&zones_f64(v, validity)))?;
                }
                Data::Int(v) => {
                    out.section(field, SectionKind::Values, bytemuck::cast_slice(v))?;
                    out.section(field, SectionKind::Zones, bytemuck::cast_slice(&zones_i64(v, validity)))?;
                }
                Data::Bool(v) => out.section(field, SectionKind::Values, v)?,
                Data::Tag { codes, dict, .. } => {
                    let (sorted, remap) = sorted_dict(dict);
                    codes.iter_mut().for_each(|c| *c = remap.get(*c as usize).copied().unwrap_or(0));
                    out.section(field, SectionKind::Values, bytemuck::cast_slice(codes))?;
                    let mut offsets = vec![0u32];
                    let mut bytes = Vec::new();
                    for s in &sorted {
                        bytes.extend_from_slice(s.as_bytes());
                        offsets.push(bytes.len() as u32);
                    }
                    out.section(field, SectionKind::DictOffsets, bytemuck::cast_slice(&offsets))?;
                    out.section(field, SectionKind::DictBytes, &bytes)?;
                    let (bitmap_offsets, bitmaps) = bitmaps(codes, validity, sorted.len());
                    out.section(field, SectionKind::BitmapOffsets, bytemuck::cast_slice(&bitmap_offsets))?;
                    out.section(field, SectionKind::Bitmaps, &bitmaps)?;
                }
            }
            if let Some(v) = validity {
                out.section(field, SectionKind::Validity, bytemuck::cast_slice(v.words()))?;
            }
        }
        Ok(())
    }

    fn directory(&self, sections: &[Section]) -> Vec<u8> {
        let mut dir = Vec::new();
        dir.put_u32(self.columns.len() as u32);
        for col in &self.columns {
            dir.put_str16(&col.name);
            dir.put_u8(col.data.field_type() as u8);
        }
        dir.put_u32(sections.len() as u32);
        for s in sections {
            dir.put_u32(s.field);
            dir.put_u8(s.kind as u8);
            dir.extend_from_slice(&[0; 3]);
            dir.put_u32(s.crc);
            dir.put_u64(s.offset);
            dir.put_u64(s.len);
        }
        dir
    }
}

impl Data {
    fn empty(ty: FieldType) -> Data {
        match ty {
            FieldType::Float => Data::Float(Vec::new()),
            FieldType::Int => Data::Int(Vec::new()),
            FieldType::Bool => Data::Bool(Vec::new()),
            FieldType::Tag => Data::Tag { codes: Vec::new(), dict: Vec::new(), index: HashMap::new() },
        }
    }

    fn push_null(&mut self) {
        match self {
            Data::Float(v) => v.push(0.0),
            Data::Int(v) => v.push(0),
            Data::Bool(v) => v.push(0),
            Data::Tag { codes, .. } => codes.push(0),
        }
    }

    fn field_type(&self) -> FieldType {
        match self {
            Data::Float(_) => FieldType::Float,
            Data::Int(_) => FieldType::Int,
            Data::Bool(_) => FieldType::Bool,
            Data::Tag { .. } => FieldType::Tag,
        }
    }
}

pub(crate) struct Section {
    pub field: u32,
    pub kind: SectionKind,
    pub crc: u32,
    pub offset: u64,
    pub len: u64,
}

struct SectionWriter {
    file: BufWriter<std::fs::File>,
    offset: u64,
    sections: Vec<Section>,
}

impl SectionWriter {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Pads to [`ALIGN`], writes a section and records where it is and its CRC.
    fn section(&mut self, field: u32, kind: SectionKind, bytes: &[u8]) -> std::io::Result<()> {
        let pad = (ALIGN - (self.offset as usize % ALIGN)) % ALIGN;
        self.raw(&[0u8; ALIGN][..pad])?;
        let offset = self.offset;
        self.raw(bytes)?;
        self.sections.push(Section { field, kind, crc: crc32fast::hash(bytes), offset, len: bytes.len() as u64 });
        Ok(())
    }
}

fn header(rows: usize, min_time: i64, max_time: i64, n_fields: usize) -> Header {
    let mut h = Header {
        magic: MAGIC,
        version: VERSION,
        flags: 0,
        rows: rows as u64,
        min_time,
        max_time,
        chunk_rows: CHUNK_ROWS as u32,
        n_fields: n_fields as u32,
        reserved: [0; 12],
        crc: 0,
    };
    h.crc = crc32fast::hash(&bytemuck::bytes_of(&h)[..60]);
    h
}

fn footer(dir_offset: u64, dir: &[u8], rows: usize) -> Footer {
    let mut f = Footer {
        dir_offset,
        dir_len: dir.len() as u64,
        rows: rows as u64,
        dir_crc: crc32fast::hash(dir),
        version: VERSION,
        reserved: [0; 16],
        magic: FOOTER_MAGIC,
        crc: 0,
        pad: 0,
    };
    f.crc = crc32fast::hash(&bytemuck::bytes_of(&f)[..56]);
    f
}

fn gather<T: Copy>(values: &[T], order: &[u32]) -> Vec<T> {
    order.iter().map(|&r| values[r as usize]).collect()
}

/// The dictionary sorted (so codes order like values), and old code → new code.
fn sorted_dict(dict: &[String]) -> (Vec<&str>, Vec<u32>) {
    let mut by_value: Vec<u32> = (0..dict.len() as u32).collect();
    by_value.sort_by(|&a, &b| dict[a as usize].cmp(&dict[b as usize]));
    let mut remap = vec![0u32; dict.len()];
    for (new, &old) in by_value.iter().enumerate() {
        remap[old as usize] = new as u32;
    }
    (by_value.iter().map(|&i| dict[i as usize].as_str()).collect(), remap)
}

/// One serialized roaring bitmap per dictionary value, and their offsets.
fn bitmaps(codes: &[u32], validity: Option<&Validity>, values: usize) -> (Vec<u64>, Vec<u8>) {
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); values];
    for (r, &c) in codes.iter().enumerate() {
        if validity.is_none_or(|v| v.is_valid(r)) {
            if let Some(list) = rows.get_mut(c as usize) {
                list.push(r as u32);
            }
        }
    }
    let mut offsets = vec![0u64];
    let mut bytes = Vec::new();
    for list in rows {
        let bitmap = RoaringBitmap::from_sorted_iter(list).unwrap_or_default();
        // Writing into a Vec cannot fail.
        let _ = bitmap.serialize_into(&mut bytes);
        offsets.push(bytes.len() as u64);
    }
    (offsets, bytes)
}

fn zones_i64(values: &[i64], validity: Option<&Validity>) -> Vec<Zone> {
    values
        .chunks(CHUNK_ROWS)
        .enumerate()
        .map(|(c, chunk)| {
            let (mut min, mut max, mut nulls) = (i64::MAX, i64::MIN, 0u32);
            for (i, &v) in chunk.iter().enumerate() {
                if validity.is_none_or(|m| m.is_valid(c * CHUNK_ROWS + i)) {
                    min = min.min(v);
                    max = max.max(v);
                } else {
                    nulls += 1;
                }
            }
            Zone { min: min as u64, max: max as u64, nulls, rows: chunk.len() as u32 }
        })
        .collect()
}

fn zones_f64(values: &[f64], validity: Option<&Validity>) -> Vec<Zone> {
    values
        .chunks(CHUNK_ROWS)
        .enumerate()
        .map(|(c, chunk)| {
            let (mut min, mut max, mut nulls) = (f64::INFINITY, f64::NEG_INFINITY, 0u32);
            for (i, &v) in chunk.iter().enumerate() {
                if validity.is_none_or(|m| m.is_valid(c * CHUNK_ROWS + i)) {
                    min = min.min(v);
                    max = max.max(v);
                } else {
                    nulls += 1;
                }
            }
            Zone { min: min.to_bits(), max: max.to_bits(), nulls, rows: chunk.len() as u32 }
        })
        .collect()
}
