//! Feature sets for training: many inks' features and labels in one safetensors file.
//!
//! Layout (format `inkjot-features`, version 1):
//! - `features`: F32 `[curves, 10]`, all inks' rows concatenated;
//! - `offsets`: I64 `[inks + 1]`, ink i owns rows `offsets[i]..offsets[i+1]`;
//! - `labels` / `label_offsets`: U8 UTF-8 bytes and I64 `[inks + 1]` byte offsets;
//! - `ids` / `id_offsets`: the same for the ids;
//! - metadata: `format`, `version`, `feature_dim`, `feature_names`.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};

use super::vector::{FEATURE_DIM, FEATURE_NAMES};
use crate::error::{Error, Result};

/// Features of many inks, built in memory and written as one safetensors file.
#[derive(Debug, Default, Clone)]
pub struct FeatureSet {
    features: Vec<f32>,
    offsets: Vec<i64>,
    labels: Vec<u8>,
    label_offsets: Vec<i64>,
    ids: Vec<u8>,
    id_offsets: Vec<i64>,
}

impl FeatureSet {
    /// An empty set.
    pub fn new() -> Self {
        FeatureSet {
            offsets: vec![0],
            label_offsets: vec![0],
            id_offsets: vec![0],
            ..Default::default()
        }
    }

    /// Adds one ink's feature rows with its id and label.
    pub fn push(&mut self, id: &str, label: &str, rows: &[[f32; FEATURE_DIM]]) {
        self.features.extend(rows.iter().flatten());
        self.offsets
            .push((self.features.len() / FEATURE_DIM) as i64);
        self.labels.extend_from_slice(label.as_bytes());
        self.label_offsets.push(self.labels.len() as i64);
        self.ids.extend_from_slice(id.as_bytes());
        self.id_offsets.push(self.ids.len() as i64);
    }

    /// Number of inks.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when no ink was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total number of curves.
    pub fn curve_count(&self) -> usize {
        self.features.len() / FEATURE_DIM
    }

    /// Serializes the set (see the module docs for the layout).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let features = f32_bytes(&self.features);
        let offsets = i64_bytes(&self.offsets);
        let label_offsets = i64_bytes(&self.label_offsets);
        let id_offsets = i64_bytes(&self.id_offsets);
        let views = [
            (
                "features",
                TensorView::new(Dtype::F32, vec![self.curve_count(), FEATURE_DIM], &features),
            ),
            (
                "offsets",
                TensorView::new(Dtype::I64, vec![self.offsets.len()], &offsets),
            ),
            (
                "labels",
                TensorView::new(Dtype::U8, vec![self.labels.len()], &self.labels),
            ),
            (
                "label_offsets",
                TensorView::new(Dtype::I64, vec![self.label_offsets.len()], &label_offsets),
            ),
            (
                "ids",
                TensorView::new(Dtype::U8, vec![self.ids.len()], &self.ids),
            ),
            (
                "id_offsets",
                TensorView::new(Dtype::I64, vec![self.id_offsets.len()], &id_offsets),
            ),
        ];
        let mut tensors = Vec::with_capacity(views.len());
        for (name, view) in views {
            let view = view.map_err(|e| Error::Serialize {
                what: "a feature set",
                reason: format!("tensor {name}: {e}"),
            })?;
            tensors.push((name, view));
        }
        let metadata: HashMap<String, String> = [
            ("format", "inkjot-features".to_string()),
            ("version", "1".to_string()),
            ("feature_dim", FEATURE_DIM.to_string()),
            ("feature_names", FEATURE_NAMES.join(",")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        safetensors::serialize(tensors, &Some(metadata)).map_err(|e| Error::Serialize {
            what: "a feature set",
            reason: e.to_string(),
        })
    }

    /// Writes the set to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_bytes()?)?;
        Ok(())
    }
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn i64_bytes(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}
