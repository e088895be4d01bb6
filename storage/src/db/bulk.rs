//! Bulk loads: many batches made visible together. Rows go straight into new segment files
//! (written once, no log), at most one segment's worth in memory; the commit is a single
//! manifest update, so a crash before it leaves only orphan files that open removes.

use super::{check_name, Inner};
use crate::error::{Error, Result};
use crate::fs;
use crate::model::{Batch, Schema};
use crate::scan::Part;
use crate::segment::{Segment, SegmentBuilder};
use std::sync::Arc;

/// An uncommitted bulk load into one component. Dropping it without [`BulkLoad::commit`]
/// discards everything it wrote.
#[derive(Debug)]
pub struct BulkLoad<'a> {
    inner: &'a Inner,
    component: String,
    schema: Schema,
    builder: SegmentBuilder,
    segments: Vec<Arc<Segment>>,
    rows: u64,
    /// The input's content hash and whether the component may already hold it.
    content: Option<(u128, bool)>,
}

impl<'a> BulkLoad<'a> {
    pub(super) fn new(inner: &'a Inner, component: &str) -> Result<BulkLoad<'a>> {
        check_name(component)?;
        let schema = inner.version().components.get(component).map(|c| c.schema.clone()).unwrap_or_default();
        let builder = SegmentBuilder::new(&schema);
        Ok(BulkLoad { inner, component: component.to_owned(), schema, builder, segments: Vec::new(), rows: 0, content: None })
    }

    pub fn component(&self) -> &str {
        &self.component
    }

    /// The schema this load would leave the component with so far.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Rows appended so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds a batch. On a schema conflict nothing of this batch is kept, and the load may
    /// go on or be dropped.
    pub fn append(&mut self, mut batch: Batch) -> Result<()> {
        let schema = self.schema.absorb(&self.component, &mut batch)?;
        if schema != self.schema {
            self.builder.evolve(&schema);
            self.schema = schema;
        }
        self.builder.append(Part::Tail(&batch), None);
        self.rows += batch.rows() as u64;
        if self.builder.rows() >= self.inner.options.seal_rows {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Records `hash` (opaque here: the caller's hash of the input's bytes) as content the
    /// component holds, in the same manifest update that publishes the rows, so neither can
    /// be stored without the other. Unless `again`, the commit is refused with
    /// [`Error::AlreadyIngested`] when the component already holds that hash.
    pub fn set_content_hash(&mut self, hash: u128, again: bool) {
        self.content = Some((hash, again));
    }

    fn write_pending(&mut self) -> Result<()> {
        if self.builder.rows() > 0 {
            self.segments.push(self.inner.write_segment(&mut self.builder)?);
        }
        Ok(())
    }

    /// Makes every appended row visible at once and durable; returns the row count.
    pub fn commit(mut self) -> Result<u64> {
        self.write_pending()?;
        let segments = std::mem::take(&mut self.segments);
        // Segment lists change under `maintenance` only (stored joins depend on it).
        let _maintenance = self.inner.maintenance.lock();
        let current = self.inner.version().components.get(&self.component).map(|c| c.segments.to_vec()).unwrap_or_default();
        let result = self.inner.publish(&self.component, [current, segments.clone()].concat(), |state| {
            if let Some((hash, again)) = self.content {
                if state.ingested.contains(&hash) {
                    if !again {
                        return Err(Error::AlreadyIngested { component: self.component.clone() });
                    }
                } else {
                    Arc::make_mut(&mut state.ingested).push(hash);
                }
            }
            state.schema = state.schema.merge(&self.component, &self.schema)?;
            if self.rows > 0 {
                state.arrived(crate::model::now_us());
            }
            Ok(())
        });
        // Refused before the manifest was touched: the files are nobody's, so Drop removes
        // them. Any other failure is a failed store, which may still have replaced the
        // manifest (a rename whose directory fsync failed) so that it names these files:
        // they stay, and the next open removes them if no manifest does.
        if let Err(Error::SchemaConflict { .. } | Error::Invalid(_) | Error::AlreadyIngested { .. }) = &result {
            self.segments = segments;
        }
        result.map(|()| self.rows)
    }
}

impl Drop for BulkLoad<'_> {
    fn drop(&mut self) {
        for s in &self.segments {
            let _ = fs::remove(s.path());
        }
    }
}
