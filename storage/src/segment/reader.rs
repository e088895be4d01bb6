//! Opening a segment: map it, check header, footer, directory and section sizes, verify every
//! section checksum (at open, or — opened deferred, as a database opens its segments — each
//! group of sections the first time a reader asks for it), then serve its columns as slices
//! cast straight from the map.

use super::format::{Footer, Header, SectionKind, Zone, ALIGN, CHUNK_ROWS, FOOTER_MAGIC, MAGIC, NO_FIELD, OLDEST_VERSION, VERSION};
use super::map::map_sealed;
use super::trace_lookup::{bloom_blocks, fence_len, TraceLookup};
use super::writer::code_width;
use crate::codec::Reader;
use crate::error::{Error, IoContext, Result};
use crate::model::FieldType;
use crate::scan::{Codes, Dict, FieldView, Values};
use memmap2::Mmap;
use roaring::RoaringBitmap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// An open, verified, immutable segment file.
#[derive(Debug)]
pub struct Segment {
    id: u64,
    path: PathBuf,
    map: Mmap,
    rows: usize,
    time_range: Option<(i64, i64)>,
    builtin: Sections,
    fields: Vec<SegmentField>,
    /// The format version the file was written in.
    version: u32,
    /// A version 1 segment's trace lookup, built at its first lookup (a version 2 segment
    /// stores it; see [`TraceLookup`]).
    trace_lookup: OnceLock<TraceLookup<'static>>,
    /// Every section's group and checksum, as the directory lists them.
    checksums: Vec<(usize, SectionKind, Range<usize>, u32)>,
    /// Per group (see [`Group`]), the outcome of its verification: set at open for a segment
    /// opened whole or just written, at first use for one opened deferred.
    checked: Box<[OnceLock<Checked>]>,
}

/// A group's verification: fine, or the offset and what is wrong there.
type Checked = std::result::Result<(), (u64, String)>;

/// Which sections a reader is about to read. A segment opened deferred verifies a group's
/// checksums, and the contents reads rely on, the first time it is asked for
/// ([`Segment::verify`]); a query so verifies the columns it reads, not the whole file.
#[derive(Clone, Copy, Debug)]
pub enum Group<'a> {
    /// Trace IDs, the trace order and the stored trace lookup.
    Trace,
    /// Times and their zone maps.
    Time,
    /// Every section of one field (nothing, for a field the segment does not store).
    Field(&'a str),
}

const TRACE_GROUP: usize = 0;
const TIME_GROUP: usize = 1;

/// The group of a built-in section kind (fields' sections are group 2 + field index).
fn builtin_group(kind: SectionKind) -> usize {
    match kind {
        SectionKind::Times | SectionKind::TimeZones => TIME_GROUP,
        _ => TRACE_GROUP,
    }
}

/// A segment's or a field's sections by kind: a handful, so a short list beats a hash map
/// on the lookups every column access makes.
#[derive(Debug, Default)]
struct Sections(Vec<(SectionKind, Range<usize>)>);

impl Sections {
    fn get(&self, kind: &SectionKind) -> Option<&Range<usize>> {
        self.0.iter().find(|(k, _)| k == kind).map(|(_, r)| r)
    }

    /// Adds a section; a later one of the same kind replaces the earlier.
    fn insert(&mut self, kind: SectionKind, range: Range<usize>) {
        match self.0.iter_mut().find(|(k, _)| *k == kind) {
            Some(slot) => slot.1 = range,
            None => self.0.push((kind, range)),
        }
    }

    fn values(&self) -> impl Iterator<Item = &Range<usize>> {
        self.0.iter().map(|(_, r)| r)
    }
}

#[derive(Debug)]
struct SegmentField {
    name: String,
    ty: FieldType,
    sections: Sections,
}

impl Segment {
    /// Opens and fully verifies the segment at `path`.
    pub fn open(path: &Path, id: u64) -> Result<Segment> {
        let segment = Segment::open_checked(path, id, true)?;
        segment.mark_checked();
        Ok(segment)
    }

    /// Opens a segment this process has just written: structure, section sizes and header,
    /// footer and directory checksums are checked; section checksums and contents, computed
    /// from the very bytes written, are not re-read (that would touch every page of it).
    pub(crate) fn open_written(path: &Path, id: u64) -> Result<Segment> {
        let segment = Segment::open_checked(path, id, false)?;
        segment.mark_checked();
        Ok(segment)
    }

    /// Opens the segment at `path` with structure, section sizes and header, footer and
    /// directory checksums checked; each group of sections is verified the first time a
    /// reader asks for it ([`Segment::verify`]). Nothing may read a group before that.
    pub(crate) fn open_deferred(path: &Path, id: u64) -> Result<Segment> {
        Segment::open_checked(path, id, false)
    }

    fn mark_checked(&self) {
        self.checked.iter().for_each(|c| drop(c.set(Ok(()))));
    }

    /// Verifies the checksums of `group`'s sections, and the contents reads rely on, unless
    /// done before in this process; an error names the file, the offset and the section.
    pub fn verify(&self, group: Group<'_>) -> Result<()> {
        let index = match group {
            Group::Trace => TRACE_GROUP,
            Group::Time => TIME_GROUP,
            Group::Field(name) => match self.fields.iter().position(|f| f.name == name) {
                Some(i) => 2 + i,
                None => return Ok(()),
            },
        };
        self.checked[index].get_or_init(|| self.check_group(index)).clone().map_err(|(offset, what)| self.corrupt(offset, what))
    }

    /// Verifies every group (before the segment is rewritten whole: compaction, retention).
    pub fn verify_all(&self) -> Result<()> {
        self.verify(Group::Trace)?;
        self.verify(Group::Time)?;
        self.fields.iter().try_for_each(|f| self.verify(Group::Field(&f.name)))
    }

    fn check_group(&self, index: usize) -> Checked {
        for (_, kind, range, crc) in self.checksums.iter().filter(|c| c.0 == index) {
            if !crate::codec::crc_matches(&self.map[range.clone()], *crc) {
                return Err((range.start as u64, format!("{kind:?} section checksum mismatch")));
            }
        }
        let contents = match index {
            TRACE_GROUP => self.check_trace_order(),
            TIME_GROUP => self.check_time_order(),
            field => match &self.fields[field - 2] {
                f if f.ty == FieldType::Tag => self.check_dictionary(f),
                _ => Ok(()),
            },
        };
        contents.map_err(|e| match e {
            Error::Corrupt { offset, what, .. } => (offset, what),
            other => (0, other.to_string()),
        })
    }

    fn open_checked(path: &Path, id: u64, verify_contents: bool) -> Result<Segment> {
        let file = std::fs::File::open(path).context(|| format!("open {}", path.display()))?;
        // SAFETY: segment files are immutable once sealed (see `map_sealed`).
        #[allow(unsafe_code)]
        let map = unsafe { map_sealed(&file) }.context(|| format!("map {}", path.display()))?;
        let mut segment = Segment {
            id,
            path: path.to_owned(),
            map,
            rows: 0,
            time_range: None,
            builtin: Sections::default(),
            fields: Vec::new(),
            version: 0,
            trace_lookup: OnceLock::new(),
            checksums: Vec::new(),
            checked: Box::new([]),
        };
        segment.verify_file(verify_contents)?;
        segment.checked = (0..2 + segment.fields.len()).map(|_| OnceLock::new()).collect();
        Ok(segment)
    }

    fn corrupt(&self, offset: u64, what: impl Into<String>) -> Error {
        Error::corrupt(&self.path, offset, what)
    }

    fn verify_file(&mut self, verify_contents: bool) -> Result<()> {
        let len = self.map.len();
        if len < 128 {
            return Err(self.corrupt(0, format!("file of {len} bytes is too short to be a segment")));
        }
        let header: Header = bytemuck::pod_read_unaligned(&self.map[..64]);
        if header.magic != MAGIC {
            return Err(self.corrupt(0, "not a segment file (bad magic)"));
        }
        if !(OLDEST_VERSION..=VERSION).contains(&header.version) {
            return Err(Error::UnsupportedVersion { path: self.path.clone(), found: header.version, supported: VERSION });
        }
        self.version = header.version;
        if !crate::codec::crc_matches(&self.map[..60], header.crc) {
            return Err(self.corrupt(60, "header checksum mismatch"));
        }
        let footer_at = len - 64;
        let footer: Footer = bytemuck::pod_read_unaligned(&self.map[footer_at..]);
        if footer.magic != FOOTER_MAGIC || !crate::codec::crc_matches(&self.map[footer_at..footer_at + 56], footer.crc) || footer.pad != 0 {
            return Err(self.corrupt(footer_at as u64, "footer damaged (bad magic or checksum)"));
        }
        if footer.rows != header.rows || header.chunk_rows as usize != CHUNK_ROWS {
            return Err(self.corrupt(footer_at as u64, "footer and header disagree"));
        }
        let dir = match (footer.dir_offset as usize).checked_add(footer.dir_len as usize) {
            Some(end) if end == footer_at && footer.dir_offset >= 64 => footer.dir_offset as usize..end,
            _ => return Err(self.corrupt(footer_at as u64, "directory lies outside the file")),
        };
        if !crate::codec::crc_matches(&self.map[dir.clone()], footer.dir_crc) {
            return Err(self.corrupt(dir.start as u64, "directory checksum mismatch"));
        }
        self.rows = usize::try_from(header.rows).map_err(|_| self.corrupt(8, "row count too large"))?;
        if self.rows > 0 {
            self.time_range = Some((header.min_time, header.max_time));
        }
        self.read_directory(dir, footer_at, verify_contents)?;
        self.check_shapes()?;
        if verify_contents {
            self.check_contents()?;
        }
        Ok(())
    }

    fn read_directory(&mut self, dir: Range<usize>, data_end: usize, verify_contents: bool) -> Result<()> {
        let map = &self.map;
        let mut r = Reader::new(&map[dir.clone()], dir.start as u64, &self.path);
        let n_fields = r.u32("field count")?;
        let n_fields = r.len(n_fields as u64, 3, "field count")?;
        let mut fields = Vec::with_capacity(n_fields);
        for _ in 0..n_fields {
            let name = r.str16("field name")?.to_owned();
            let code = r.u8("field type")?;
            let ty = FieldType::from_code(code).ok_or_else(|| r.corrupt(format!("unknown field type {code}")))?;
            fields.push(SegmentField { name, ty, sections: Sections::default() });
        }
        let n_sections = r.u32("section count")?;
        let n_sections = r.len(n_sections as u64, 28, "section count")?;
        let mut builtin = Sections::default();
        let mut checksums = Vec::with_capacity(n_sections);
        for _ in 0..n_sections {
            let at = r.offset();
            let field = r.u32("section field")?;
            let code = r.u8("section kind")?;
            r.take(3, "padding")?;
            let crc = r.u32("section checksum")?;
            let offset = r.u64("section offset")?;
            let len = r.u64("section length")?;
            let kind = SectionKind::from_code(code).ok_or_else(|| r.corrupt(format!("unknown section kind {code}")))?;
            let range = match (offset as usize).checked_add(len as usize) {
                Some(end) if end <= data_end && offset >= 64 && (offset as usize).is_multiple_of(ALIGN) => offset as usize..end,
                _ => return Err(Error::corrupt(&self.path, at, format!("section {kind:?} lies outside the file or is misaligned"))),
            };
            if verify_contents && !crate::codec::crc_matches(&map[range.clone()], crc) {
                return Err(Error::corrupt(&self.path, offset, format!("{kind:?} section checksum mismatch")));
            }
            let (group, target) = if field == NO_FIELD {
                (builtin_group(kind), &mut builtin)
            } else {
                let f = fields.get_mut(field as usize).ok_or_else(|| Error::corrupt(&self.path, at, "section names a missing field"))?;
                (2 + field as usize, &mut f.sections)
            };
            target.insert(kind, range.clone());
            checksums.push((group, kind, range, crc));
        }
        self.builtin = builtin;
        self.fields = fields;
        self.checksums = checksums;
        self.check_gaps(dir.start)
    }

    /// Sections must not overlap, and the alignment padding between them must be zero, so
    /// that every byte of the file is covered by a checksum or a check.
    fn check_gaps(&self, dir_start: usize) -> Result<()> {
        let mut ranges: Vec<&Range<usize>> = self.builtin.values().chain(self.fields.iter().flat_map(|f| f.sections.values())).collect();
        ranges.sort_by_key(|r| (r.start, r.end));
        let mut at = 64;
        for r in ranges.into_iter().chain(std::iter::once(&(dir_start..dir_start))) {
            if r.start < at {
                return Err(self.corrupt(r.start as u64, "sections overlap"));
            }
            if let Some(i) = self.map[at..r.start].iter().position(|&b| b != 0) {
                return Err(self.corrupt((at + i) as u64, "non-zero byte in section padding"));
            }
            at = r.end;
        }
        Ok(())
    }

    /// Every section has the length its row count implies, so later casts cannot fail.
    fn check_shapes(&self) -> Result<()> {
        let rows = self.rows;
        let chunks = rows.div_ceil(CHUNK_ROWS);
        let expect = |sections: &Sections, kind: SectionKind, len: Option<usize>, required: bool| -> Result<()> {
            match (sections.get(&kind), len) {
                (None, _) if !required => Ok(()),
                (None, _) => Err(self.corrupt(0, format!("missing {kind:?} section"))),
                (Some(r), Some(len)) if r.len() != len => {
                    Err(self.corrupt(r.start as u64, format!("{kind:?} section is {} bytes, expected {len}", r.len())))
                }
                _ => Ok(()),
            }
        };
        expect(&self.builtin, SectionKind::TraceIds, Some(rows * 16), true)?;
        expect(&self.builtin, SectionKind::Times, Some(rows * 8), true)?;
        expect(&self.builtin, SectionKind::TraceOrder, Some(rows * 4), true)?;
        expect(&self.builtin, SectionKind::TimeZones, Some(chunks * 24), true)?;
        // Version 2 stores the trace lookup; its sizes keep every probe inside it.
        expect(&self.builtin, SectionKind::TraceBloom, Some(bloom_blocks(rows) * 64), self.version >= 2)?;
        expect(&self.builtin, SectionKind::TraceFence, Some(fence_len(rows) * 16), self.version >= 2)?;
        for f in &self.fields {
            let width = match f.ty {
                FieldType::Float | FieldType::Int => 8,
                FieldType::Bool => 1,
                FieldType::Tag => code_width(self.dict_len(f)),
            };
            expect(&f.sections, SectionKind::Values, Some(rows * width), true)?;
            expect(&f.sections, SectionKind::Validity, Some(rows.div_ceil(64) * 8), false)?;
            if matches!(f.ty, FieldType::Float | FieldType::Int) {
                expect(&f.sections, SectionKind::Zones, Some(chunks * 24), true)?;
            }
        }
        Ok(())
    }

    /// Values that indexing relies on: row numbers in range, times in order, dictionaries
    /// sorted and valid, codes inside them. A checksum cannot vouch for these (a faulty writer
    /// computes checksums over wrong values too), and reads must never panic.
    fn check_contents(&self) -> Result<()> {
        self.check_trace_order()?;
        self.check_time_order()?;
        for f in self.fields.iter().filter(|f| f.ty == FieldType::Tag) {
            self.check_dictionary(f)?;
        }
        Ok(())
    }

    fn check_trace_order(&self) -> Result<()> {
        // A whole-slice fold rather than an early exit: it vectorizes, and this loop over every
        // row is a good part of what verifying a segment costs.
        let order_max = self.trace_order().iter().fold(0, |m, &r| m.max(r));
        if self.rows > 0 && order_max as usize >= self.rows {
            return Err(self.corrupt(0, "trace order names a row past the end"));
        }
        Ok(())
    }

    fn check_time_order(&self) -> Result<()> {
        if !self.times().is_sorted() {
            return Err(self.corrupt(0, "rows are not in time order"));
        }
        Ok(())
    }

    fn check_dictionary(&self, f: &SegmentField) -> Result<()> {
        let offsets: &[u32] = self.cast(f.sections.get(&SectionKind::DictOffsets));
        let bytes = self.bytes(f.sections.get(&SectionKind::DictBytes));
        let bitmap_offsets: &[u64] = self.cast(f.sections.get(&SectionKind::BitmapOffsets));
        let bitmaps = self.bytes(f.sections.get(&SectionKind::Bitmaps));
        let n = offsets.len().saturating_sub(1);
        let bad = |what: &str| {
            self.corrupt(f.sections.get(&SectionKind::DictOffsets).map_or(0, |r| r.start as u64), format!("tag field {:?}: {what}", f.name))
        };
        if offsets.is_empty() || bitmap_offsets.len() != n + 1 {
            return Err(bad("dictionary or bitmap offsets missing"));
        }
        if !offsets.is_sorted()
            || offsets[n] as usize != bytes.len()
            || !bitmap_offsets.is_sorted()
            || bitmap_offsets[n] as usize != bitmaps.len()
        {
            return Err(bad("offsets out of order or out of range"));
        }
        let dict = Dict::Packed { offsets, bytes };
        for i in 0..n {
            if std::str::from_utf8(&bytes[offsets[i] as usize..offsets[i + 1] as usize]).is_err() {
                return Err(bad("a value is not UTF-8"));
            }
            if i > 0 && dict.get(i as u32 - 1) >= dict.get(i as u32) {
                return Err(bad("values are not sorted and unique"));
            }
        }
        let max_code = match self.codes(f) {
            Codes::U8(c) => c.iter().fold(0, |m, &x| m.max(x)) as usize,
            Codes::U16(c) => c.iter().fold(0, |m, &x| m.max(x)) as usize,
            Codes::U32(c) => c.iter().fold(0, |m, &x| m.max(x)) as usize,
        };
        if n > 0 && max_code >= n {
            return Err(bad("a code lies outside the dictionary"));
        }
        Ok(())
    }

    fn bytes(&self, range: Option<&Range<usize>>) -> &[u8] {
        range.and_then(|r| self.map.get(r.clone())).unwrap_or(&[])
    }

    /// Casts a verified section; shapes were checked at open, so the fallback is unreachable
    /// in practice and exists only to keep this path free of panics.
    fn cast<T: bytemuck::Pod>(&self, range: Option<&Range<usize>>) -> &[T] {
        bytemuck::try_cast_slice(self.bytes(range)).unwrap_or(&[])
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// What the manifest records about this segment.
    pub fn meta(&self) -> super::SegmentMeta {
        let (min_time, max_time) = self.time_range.unwrap_or((0, 0));
        super::SegmentMeta { id: self.id, rows: self.rows as u64, min_time, max_time, size_bytes: self.size_bytes() }
    }

    pub fn size_bytes(&self) -> u64 {
        self.map.len() as u64
    }

    pub fn time_range(&self) -> Option<(i64, i64)> {
        self.time_range
    }

    pub fn trace_ids(&self) -> &[u128] {
        self.cast(self.builtin.get(&SectionKind::TraceIds))
    }

    pub fn times(&self) -> &[i64] {
        self.cast(self.builtin.get(&SectionKind::Times))
    }

    /// Row numbers ordered by (trace ID, time).
    pub fn trace_order(&self) -> &[u32] {
        self.cast(self.builtin.get(&SectionKind::TraceOrder))
    }

    /// The fields stored in this segment, with their stored types.
    pub fn fields(&self) -> impl Iterator<Item = (&str, FieldType)> {
        self.fields.iter().map(|f| (f.name.as_str(), f.ty))
    }

    fn find(&self, name: &str) -> Option<&SegmentField> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn field(&self, name: &str) -> Option<FieldView<'_>> {
        let f = self.find(name)?;
        let values = f.sections.get(&SectionKind::Values);
        let values = match f.ty {
            FieldType::Float => Values::Float(self.cast(values)),
            FieldType::Int => Values::Int(self.cast(values)),
            FieldType::Bool => Values::Bool(self.bytes(values)),
            FieldType::Tag => Values::Tag {
                codes: self.codes(f),
                dict: Dict::Packed {
                    offsets: self.cast(f.sections.get(&SectionKind::DictOffsets)),
                    bytes: self.bytes(f.sections.get(&SectionKind::DictBytes)),
                },
            },
        };
        let validity = f.sections.get(&SectionKind::Validity).map(|r| self.cast(Some(r)));
        Some(FieldView { values, validity })
    }

    /// A tag field's codes at the width its dictionary size implies.
    fn codes(&self, f: &SegmentField) -> Codes<'_> {
        let values = f.sections.get(&SectionKind::Values);
        match code_width(self.dict_len(f)) {
            1 => Codes::U8(self.bytes(values)),
            2 => Codes::U16(self.cast(values)),
            _ => Codes::U32(self.cast(values)),
        }
    }

    fn dict_len(&self, f: &SegmentField) -> usize {
        self.cast::<u32>(f.sections.get(&SectionKind::DictOffsets)).len().saturating_sub(1)
    }

    /// Zone maps of `time` or of a float or int field.
    pub fn zones(&self, name: &str) -> Option<&[Zone]> {
        let range =
            if name == "time" { self.builtin.get(&SectionKind::TimeZones) } else { self.find(name)?.sections.get(&SectionKind::Zones) };
        range.map(|r| self.cast(Some(r)))
    }

    /// The slice index: rows whose tag `name` equals `value` (empty if none).
    pub fn tag_rows(&self, name: &str, value: &str) -> Result<RoaringBitmap> {
        let Some(f) = self.find(name) else {
            return Ok(RoaringBitmap::new());
        };
        let Some(FieldView { values: Values::Tag { dict, .. }, .. }) = self.field(name) else {
            return Ok(RoaringBitmap::new());
        };
        let Some(code) = dict.find(value) else {
            return Ok(RoaringBitmap::new());
        };
        let offsets: &[u64] = self.cast(f.sections.get(&SectionKind::BitmapOffsets));
        let blob_range = f.sections.get(&SectionKind::Bitmaps);
        let blob = self.bytes(blob_range);
        let (start, end) = (offsets[code as usize] as usize, offsets[code as usize + 1] as usize);
        let at = blob_range.map_or(0, |r| r.start + start) as u64;
        RoaringBitmap::deserialize_from(&blob[start..end]).map_err(|e| self.corrupt(at, format!("bitmap of {name}={value:?}: {e}")))
    }

    /// Rows of one trace, in time order: a Bloom filter says whether the segment can hold
    /// the trace at all (most hold none of a trace's events), then a binary search over a
    /// sample of the sorted IDs and one block of the trace order finds its rows.
    pub fn trace_rows(&self, trace_id: u128) -> Vec<u32> {
        self.with_lookup(|lookup| lookup.rows(self.trace_ids(), self.trace_order(), trace_id))
    }

    /// Runs `f` with the stored trace lookup (read from the map), or, in a version 1 segment,
    /// the one built at the first lookup.
    fn with_lookup<T>(&self, f: impl FnOnce(&TraceLookup<'_>) -> T) -> T {
        match (self.builtin.get(&SectionKind::TraceBloom), self.builtin.get(&SectionKind::TraceFence)) {
            (Some(blocks), Some(fence)) => f(&TraceLookup::stored(self.cast(Some(blocks)), self.cast(Some(fence)))),
            _ => f(self.trace_lookup.get_or_init(|| TraceLookup::build(self.trace_ids(), self.trace_order()))),
        }
    }

    /// Whether the stored trace lookup is the one the trace IDs and order give (`seam check`;
    /// open checks only its sizes, as wrong contents cannot make a read fail, only miss, and
    /// rebuilding it is what storing it saves). Trivially true for a version 1 segment.
    pub(crate) fn verify_trace_lookup(&self) -> Result<()> {
        let built = TraceLookup::build(self.trace_ids(), self.trace_order());
        match self.with_lookup(|stored| *stored == built) {
            true => Ok(()),
            false => {
                let at = self.builtin.get(&SectionKind::TraceBloom).map_or(0, |r| r.start as u64);
                Err(self.corrupt(at, "the stored trace lookup does not match the trace IDs"))
            }
        }
    }
}
