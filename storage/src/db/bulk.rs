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
}

impl<'a> BulkLoad<'a> {
    pub(super) fn new(inner: &'a Inner, component: &str) -> Result<BulkLoad<'a>> {
        check_name(component)?;
        let schema = inner.version().components.get(component).map(|c| c.schema.clone()).unwrap_or_default();
        let builder = SegmentBuilder::new(&schema);
        Ok(BulkLoad { inner, component: component.to_owned(), schema, builder, segments: Vec::new(), rows: 0 })
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
        let result = self.inner.commit(|v| {
            let state = Arc::make_mut(v.components.entry(self.component.clone()).or_default());
            state.schema = state.schema.merge(&self.component, &self.schema)?;
            state.segments.extend(segments.iter().cloned());
            Ok(())
        });
        // Refused before the manifest was touched: the files are nobody's, so Drop removes
        // them. Any other failure is a failed store, which may still have replaced the
        // manifest (a rename whose directory fsync failed) so that it names these files:
        // they stay, and the next open removes them if no manifest does.
        if let Err(Error::SchemaConflict { .. } | Error::Invalid(_)) = &result {
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
