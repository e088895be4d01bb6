//! Building a segment: rows from any parts are gathered into columns of the component's
//! current schema, ordered by time, indexed, and written once (docs/FORMAT.md §Segment).

use super::format::{Footer, Header, SectionKind, Zone, ALIGN, CHUNK_ROWS, FOOTER_MAGIC, MAGIC, NO_FIELD, VERSION};
use super::trace_lookup::TraceLookup;
use crate::codec::Put;
use crate::error::{IoContext, Result};
use crate::fs;
use crate::model::column_builder::merge_dictionary;
use crate::model::{is_valid, FieldType, Schema, Validity};
use crate::scan::{Part, Values};
use hashbrown::HashMap;
use roaring::RoaringBitmap;
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
/// writing a segment every `seal_rows` rows. A builder is reused from segment to segment so
/// that its buffers are allocated (and their pages first touched) once, not per seal.
pub(crate) struct SegmentBuilder {
    trace_ids: Vec<u128>,
    times: Vec<i64>,
    columns: Vec<BuildColumn>,
    /// Columns of earlier schemas, kept for their buffers.
    spare: Vec<BuildColumn>,
    order_scratch: OrderScratch,
}

impl std::fmt::Debug for SegmentBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentBuilder").field("rows", &self.rows()).finish()
    }
}

impl SegmentBuilder {
    pub fn new(schema: &Schema) -> SegmentBuilder {
        let mut b = SegmentBuilder {
            trace_ids: Vec::new(),
            times: Vec::new(),
            columns: Vec::new(),
            spare: Vec::new(),
            order_scratch: OrderScratch::default(),
        };
        b.reset(schema);
        b
    }

    /// Empties the builder for a new segment of `schema`, keeping every buffer's capacity.
    pub fn reset(&mut self, schema: &Schema) {
        self.trace_ids.clear();
        self.times.clear();
        self.spare.append(&mut self.columns);
        for (name, ty) in schema.fields() {
            let reusable = self.spare.iter().position(|c| &c.name == name && c.data.field_type() == *ty);
            let mut col = match reusable {
                Some(i) => self.spare.swap_remove(i),
                None => BuildColumn { name: name.clone(), data: Data::empty(*ty), validity: Validity::default() },
            };
            col.data.clear();
            col.validity = Validity::default();
            self.columns.push(col);
        }
    }

    /// Makes room for `rows` more rows at once, instead of growing by doubling.
    pub fn reserve(&mut self, rows: usize) {
        self.trace_ids.reserve(rows);
        self.times.reserve(rows);
        for col in &mut self.columns {
            col.data.reserve(rows);
        }
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

    /// Appends the rows of `part` (all of them, or those listed in `rows`, ascending). Whole
    /// parts are copied slice by slice; a row list (retention) is gathered.
    pub fn append(&mut self, part: Part<'_>, rows: Option<&[u32]>) {
        take(&mut self.trace_ids, part.trace_ids(), rows, |x| x);
        take(&mut self.times, part.times(), rows, |x| x);
        for col in &mut self.columns {
            col.append(part, rows);
        }
    }

    /// Appends whole parts, copying half of the columns on a second thread: a seal copies
    /// the whole tail, and the copy is memory-bound work the other core can share.
    pub fn append_parts(&mut self, parts: &[Part<'_>]) {
        let (ids, times) = (&mut self.trace_ids, &mut self.times);
        let half = self.columns.len() / 2;
        let (mine, theirs) = self.columns.split_at_mut(half);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for part in parts {
                    theirs.iter_mut().for_each(|col| col.append(*part, None));
                }
            });
            for part in parts {
                take(ids, part.trace_ids(), None, |x| x);
                take(times, part.times(), None, |x| x);
                mine.iter_mut().for_each(|col| col.append(*part, None));
            }
        });
    }

    /// Sorts, indexes and writes the segment to `path` (which must not exist) and syncs it;
    /// the builder is left empty. The directory entry is synced by the caller, once per
    /// manifest update.
    pub fn write(&mut self, path: &Path, id: u64) -> Result<SegmentMeta> {
        let result = self.write_file(path, id);
        let schema = Schema::new(self.columns.iter().map(|c| (c.name.clone(), c.data.field_type())).collect());
        self.reset(&schema);
        result
    }

    fn write_file(&mut self, path: &Path, id: u64) -> Result<SegmentMeta> {
        self.sort_by_time();
        let rows = self.rows();
        let min_time = self.times.first().copied().unwrap_or(0);
        let max_time = self.times.last().copied().unwrap_or(0);
        let file = fs::create_new(path)?;
        let mut out = SectionWriter { file: BufWriter::with_capacity(1 << 20, file), path, offset: 0, sections: Vec::new(), started: 0 };
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

    /// Writes every section. The CPU-heavy indexes (the trace order, each tag's sorted
    /// dictionary and bitmaps) are computed on a second thread while this one writes the
    /// plain columns; the indexed sections follow.
    fn write_sections(&mut self, out: &mut SectionWriter<'_>) -> std::io::Result<()> {
        let (ids, scratch, times) = (&self.trace_ids, &mut self.order_scratch, &self.times);
        let (tags, plain): (Vec<_>, Vec<_>) = self.columns.iter_mut().enumerate().partition(|(_, c)| matches!(c.data, Data::Tag { .. }));
        std::thread::scope(|scope| {
            let indexes = scope.spawn(move || {
                let order = trace_order(ids, scratch);
                let lookup = TraceLookup::build(ids, &order);
                let tags: Vec<TagIndex<'_>> = tags.into_iter().filter_map(|(i, c)| TagIndex::build(i as u32, c)).collect();
                (order, lookup, tags)
            });
            out.section(NO_FIELD, SectionKind::TraceIds, bytemuck::cast_slice(ids))?;
            out.section(NO_FIELD, SectionKind::Times, bytemuck::cast_slice(times))?;
            out.section(NO_FIELD, SectionKind::TimeZones, bytemuck::cast_slice(&zones_i64(times, None)))?;
            for (i, col) in plain {
                write_plain(i as u32, col, out)?;
            }
            let (order, lookup, tags) = indexes.join().map_err(|_| std::io::Error::other("index thread panicked"))?;
            for tag in tags {
                tag.write(out)?;
            }
            out.section(NO_FIELD, SectionKind::TraceOrder, bytemuck::cast_slice(&order))?;
            out.section(NO_FIELD, SectionKind::TraceBloom, bytemuck::cast_slice(lookup.blocks()))?;
            out.section(NO_FIELD, SectionKind::TraceFence, bytemuck::cast_slice(lookup.fence()))
        })
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

impl BuildColumn {
    /// Appends this field's values of `part` (all rows, or the listed ones).
    fn append(&mut self, part: Part<'_>, rows: Option<&[u32]>) {
        let n = rows.map_or(part.rows(), <[u32]>::len);
        let view = part.field(&self.name);
        match (&mut self.data, view.map(|v| v.values)) {
            (Data::Float(out), Some(Values::Float(v))) => take(out, v, rows, |x| x),
            (Data::Float(out), Some(Values::Int(v))) => take(out, v, rows, |x| x as f64),
            (Data::Int(out), Some(Values::Int(v))) => take(out, v, rows, |x| x),
            (Data::Bool(out), Some(Values::Bool(v))) => take(out, v, rows, |x| x),
            (Data::Tag { codes: out, dict: out_dict, index }, Some(Values::Tag { codes, dict })) => {
                let remap = merge_dictionary(index, out_dict, dict.iter());
                codes.extend_into(out, rows, |c| remap.get(c as usize).copied().unwrap_or(0));
            }
            // A field the part lacks is null. The schema only widens int to float, so no
            // other pairing can occur; were it to, the rows read null rather than panic.
            (data, _) => {
                (0..n).for_each(|_| data.push_null());
                self.validity.extend_from(Some(&[]), n);
                return;
            }
        }
        let validity = view.and_then(|v| v.validity);
        match rows {
            None => self.validity.extend_from(validity, n),
            Some(rows) => rows.iter().for_each(|&r| self.validity.push(validity.is_none_or(|w| is_valid(w, r as usize)))),
        }
    }
}

impl Data {
    fn clear(&mut self) {
        match self {
            Data::Float(v) => v.clear(),
            Data::Int(v) => v.clear(),
            Data::Bool(v) => v.clear(),
            Data::Tag { codes, dict, index } => {
                codes.clear();
                dict.clear();
                index.clear();
            }
        }
    }

    fn reserve(&mut self, rows: usize) {
        match self {
            Data::Float(v) => v.reserve(rows),
            Data::Int(v) => v.reserve(rows),
            Data::Bool(v) => v.reserve(rows),
            Data::Tag { codes, .. } => codes.reserve(rows),
        }
    }

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

struct SectionWriter<'a> {
    file: BufWriter<std::fs::File>,
    path: &'a Path,
    offset: u64,
    sections: Vec<Section>,
    /// Bytes up to here have had writeback started.
    started: u64,
}

/// Writeback is started every this many bytes, so the disk writes while the CPU builds the
/// rest and the closing fdatasync has little left to wait for.
const WRITEBACK_BYTES: u64 = 8 << 20;

impl SectionWriter<'_> {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        fs::write_io(&mut self.file, bytes, self.path)?;
        self.offset += bytes.len() as u64;
        if self.offset - self.started >= WRITEBACK_BYTES {
            self.file.flush()?;
            fs::start_writeback(self.file.get_ref(), self.started, self.offset - self.started);
            self.started = self.offset;
        }
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

/// Appends `values` (or the listed rows of them) to `out`, converted by `f`.
fn take<T: Copy, U>(out: &mut Vec<U>, values: &[T], rows: Option<&[u32]>, f: impl Fn(T) -> U) {
    match rows {
        None => out.extend(values.iter().map(|&x| f(x))),
        Some(rows) => out.extend(rows.iter().map(|&r| f(values[r as usize]))),
    }
}

fn gather<T: Copy>(values: &[T], order: &[u32]) -> Vec<T> {
    order.iter().map(|&r| values[r as usize]).collect()
}

/// Bytes per tag code in a segment with `values` dictionary entries (docs/FORMAT.md §Segment).
pub(crate) fn code_width(values: usize) -> usize {
    if values <= 1 << 8 {
        1
    } else if values <= 1 << 16 {
        2
    } else {
        4
    }
}

/// Scratch space of the trace-order sort, kept with the builder so it is allocated once.
#[derive(Default)]
pub(crate) struct OrderScratch {
    narrow: Vec<(u64, u32)>,
    wide: Vec<(u128, u32)>,
}

/// Row numbers ordered by (trace ID, row): a counting sort on the top 16 significant bits of
/// the IDs puts (ID, row) pairs into buckets, then each small bucket is sorted in place. IDs
/// that all fit in 64 bits (the usual case) sort as 16-byte pairs instead of 32-byte ones.
fn trace_order(ids: &[u128], scratch: &mut OrderScratch) -> Vec<u32> {
    let max = ids.iter().copied().max().unwrap_or(0);
    if max >> 64 == 0 {
        bucket_sort(ids.len(), |r| ids[r] as u64, (64 - (max as u64).leading_zeros()).saturating_sub(BUCKET_BITS), &mut scratch.narrow)
    } else {
        bucket_sort(ids.len(), |r| ids[r], (128 - max.leading_zeros()).saturating_sub(BUCKET_BITS), &mut scratch.wide)
    }
}

const BUCKET_BITS: u32 = 16;

fn bucket_sort<K>(n: usize, key: impl Fn(usize) -> K, shift: u32, pairs: &mut Vec<(K, u32)>) -> Vec<u32>
where
    K: Copy + Ord + Default + std::ops::Shr<u32, Output = K> + TryInto<usize>,
{
    let bucket = |k: K| (k >> shift).try_into().unwrap_or(0);
    let mut starts = vec![0u32; (1 << BUCKET_BITS) + 1];
    for r in 0..n {
        starts[bucket(key(r)) + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    pairs.clear();
    pairs.resize(n, (K::default(), 0));
    let mut next = starts.clone();
    for r in 0..n {
        let k = key(r);
        let b = bucket(k);
        pairs[next[b] as usize] = (k, r as u32);
        next[b] += 1;
    }
    for w in starts.windows(2) {
        let bucket = &mut pairs[w[0] as usize..w[1] as usize];
        if bucket.len() <= 32 {
            insertion_sort(bucket);
        } else {
            bucket.sort_unstable();
        }
    }
    pairs.iter().map(|&(_, row)| row).collect()
}

/// Buckets hold about 16 pairs; for so few, insertion sort beats a general sort's set-up.
fn insertion_sort<T: Copy + Ord>(v: &mut [T]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
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

/// Min, max and null count per chunk of `CHUNK_ROWS` rows. `empty` is the (min, max) a
/// chunk without values reports (min > max), and `bits` stores a value in a `Zone`.
fn zones<T: Copy + PartialOrd>(values: &[T], validity: Option<&Validity>, empty: (T, T), bits: impl Fn(T) -> u64) -> Vec<Zone> {
    values
        .chunks(CHUNK_ROWS)
        .enumerate()
        .map(|(c, chunk)| {
            let ((mut min, mut max), mut nulls) = (empty, 0u32);
            for (i, &v) in chunk.iter().enumerate() {
                if validity.is_none_or(|m| m.is_valid(c * CHUNK_ROWS + i)) {
                    if v < min {
                        min = v;
                    }
                    if v > max {
                        max = v;
                    }
                } else {
                    nulls += 1;
                }
            }
            Zone { min: bits(min), max: bits(max), nulls, rows: chunk.len() as u32 }
        })
        .collect()
}

fn zones_i64(values: &[i64], validity: Option<&Validity>) -> Vec<Zone> {
    zones(values, validity, (i64::MAX, i64::MIN), |v| v as u64)
}

fn zones_f64(values: &[f64], validity: Option<&Validity>) -> Vec<Zone> {
    zones(values, validity, (f64::INFINITY, f64::NEG_INFINITY), f64::to_bits)
}

/// The sections of a float, int or bool field.
fn write_plain(field: u32, col: &BuildColumn, out: &mut SectionWriter<'_>) -> std::io::Result<()> {
    let validity = (col.validity.null_count() > 0).then_some(&col.validity);
    match &col.data {
        Data::Float(v) => {
            out.section(field, SectionKind::Values, bytemuck::cast_slice(v))?;
            out.section(field, SectionKind::Zones, bytemuck::cast_slice(&zones_f64(v, validity)))?;
        }
        Data::Int(v) => {
            out.section(field, SectionKind::Values, bytemuck::cast_slice(v))?;
            out.section(field, SectionKind::Zones, bytemuck::cast_slice(&zones_i64(v, validity)))?;
        }
        Data::Bool(v) => out.section(field, SectionKind::Values, v)?,
        Data::Tag { .. } => {}
    }
    if let Some(v) = validity {
        out.section(field, SectionKind::Validity, bytemuck::cast_slice(v.words()))?;
    }
    Ok(())
}

/// A tag field's sections, computed ahead of writing: codes renumbered to the sorted
/// dictionary, the dictionary itself, and one bitmap per value (the slice index).
struct TagIndex<'a> {
    field: u32,
    codes: &'a [u32],
    validity: Option<&'a Validity>,
    dict_offsets: Vec<u32>,
    dict_bytes: Vec<u8>,
    bitmap_offsets: Vec<u64>,
    bitmaps: Vec<u8>,
}

impl<'a> TagIndex<'a> {
    fn build(field: u32, col: &'a mut BuildColumn) -> Option<TagIndex<'a>> {
        let validity = (col.validity.null_count() > 0).then_some(&col.validity);
        let Data::Tag { codes, dict, .. } = &mut col.data else { return None };
        let (sorted, remap) = sorted_dict(dict);
        codes.iter_mut().for_each(|c| *c = remap.get(*c as usize).copied().unwrap_or(0));
        let mut dict_offsets = vec![0u32];
        let mut dict_bytes = Vec::new();
        for s in &sorted {
            dict_bytes.extend_from_slice(s.as_bytes());
            dict_offsets.push(dict_bytes.len() as u32);
        }
        let (bitmap_offsets, bitmaps) = bitmaps(codes, validity, sorted.len());
        Some(TagIndex { field, codes, validity, dict_offsets, dict_bytes, bitmap_offsets, bitmaps })
    }

    fn write(&self, out: &mut SectionWriter<'_>) -> std::io::Result<()> {
        let field = self.field;
        match code_width(self.dict_offsets.len() - 1) {
            1 => out.section(field, SectionKind::Values, &self.codes.iter().map(|&c| c as u8).collect::<Vec<u8>>())?,
            2 => {
                out.section(field, SectionKind::Values, bytemuck::cast_slice(&self.codes.iter().map(|&c| c as u16).collect::<Vec<u16>>()))?
            }
            _ => out.section(field, SectionKind::Values, bytemuck::cast_slice(self.codes))?,
        }
        out.section(field, SectionKind::DictOffsets, bytemuck::cast_slice(&self.dict_offsets))?;
        out.section(field, SectionKind::DictBytes, &self.dict_bytes)?;
        out.section(field, SectionKind::BitmapOffsets, bytemuck::cast_slice(&self.bitmap_offsets))?;
        out.section(field, SectionKind::Bitmaps, &self.bitmaps)?;
        if let Some(v) = self.validity {
            out.section(field, SectionKind::Validity, bytemuck::cast_slice(v.words()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(ids: &[u128]) -> Vec<u32> {
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        order.sort_by_key(|&r| (ids[r as usize], r));
        order
    }

    proptest! {
        #[test]
        fn trace_order_matches_a_plain_sort(
            ids in proptest::collection::vec(prop_oneof![0u128..8, any::<u64>().prop_map(u128::from), any::<u128>()], 0..3000),
            narrow in any::<bool>(),
        ) {
            let ids: Vec<u128> = if narrow { ids.iter().map(|&i| i as u64 as u128).collect() } else { ids };
            prop_assert_eq!(trace_order(&ids, &mut OrderScratch::default()), naive(&ids));
        }
    }
}
