//! A fixed-capacity ring of samples, stored column-free as rows of `f64` in one allocation made
//! up front: recording a sample never allocates, and a sampler can never outgrow its capacity.

use super::SamplingError;

/// Upper bound on samples per ring (about 8 MiB per field at most).
pub const MAX_CAPACITY: usize = 1 << 20;
/// Upper bound on figures per sample (the memoryUsage fields, V8's heap spaces and a few more).
pub const MAX_FIELDS: usize = 64;

pub struct SampleRing {
    fields: Vec<String>,
    capacity: usize,
    times: Vec<f64>,
    after_gc: Vec<bool>,
    values: Vec<f64>,
    /// Index of the oldest sample.
    start: usize,
    len: usize,
}

/// One sample as stored: its timestamp (ms), whether it was taken right after a major GC, and
/// one value per field in the ring's field order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleRef<'a> {
    pub timestamp: f64,
    pub after_gc: bool,
    pub values: &'a [f64],
}

impl SampleRing {
    pub fn new(fields: Vec<String>, capacity: usize) -> Result<Self, SamplingError> {
        if capacity == 0 || capacity > MAX_CAPACITY {
            return Err(SamplingError::Capacity {
                got: capacity,
                max: MAX_CAPACITY,
            });
        }
        if fields.is_empty() || fields.len() > MAX_FIELDS {
            return Err(SamplingError::FieldCount {
                got: fields.len(),
                max: MAX_FIELDS,
            });
        }
        for (i, f) in fields.iter().enumerate() {
            if f.is_empty() || fields[..i].contains(f) {
                return Err(SamplingError::FieldName(f.clone()));
            }
        }
        let width = fields.len();
        Ok(Self {
            fields,
            capacity,
            times: vec![0.0; capacity],
            after_gc: vec![false; capacity],
            values: vec![0.0; capacity * width],
            start: 0,
            len: 0,
        })
    }

    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    pub fn width(&self) -> usize {
        self.fields.len()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks a sample against the ring without storing it.
    pub fn validate(&self, timestamp: f64, row: &[f64]) -> Result<(), SamplingError> {
        if !timestamp.is_finite() {
            return Err(SamplingError::Timestamp { got: timestamp });
        }
        if let Some(last) = self.last()
            && timestamp < last.timestamp
        {
            return Err(SamplingError::TimeWentBack {
                got: timestamp,
                previous: last.timestamp,
            });
        }
        if row.len() != self.width() {
            return Err(SamplingError::RowWidth {
                expected: self.width(),
                got: row.len(),
            });
        }
        if let Some((i, &v)) = row
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || **v < 0.0)
        {
            return Err(SamplingError::Value {
                field: self.fields[i].clone(),
                value: v,
            });
        }
        Ok(())
    }

    /// Stores a sample, overwriting the oldest once the ring is full.
    pub fn push(
        &mut self,
        timestamp: f64,
        after_gc: bool,
        row: &[f64],
    ) -> Result<(), SamplingError> {
        self.validate(timestamp, row)?;
        let slot = (self.start + self.len) % self.capacity;
        if self.len == self.capacity {
            self.start = (self.start + 1) % self.capacity;
        } else {
            self.len += 1;
        }
        self.times[slot] = timestamp;
        self.after_gc[slot] = after_gc;
        let w = self.width();
        self.values[slot * w..(slot + 1) * w].copy_from_slice(row);
        Ok(())
    }

    /// The `i`-th sample, oldest first.
    pub fn get(&self, i: usize) -> Option<SampleRef<'_>> {
        if i >= self.len {
            return None;
        }
        let slot = (self.start + i) % self.capacity;
        let w = self.width();
        Some(SampleRef {
            timestamp: self.times[slot],
            after_gc: self.after_gc[slot],
            values: &self.values[slot * w..(slot + 1) * w],
        })
    }

    pub fn last(&self) -> Option<SampleRef<'_>> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = SampleRef<'_>> + '_ {
        (0..self.len).map(|i| self.get(i).expect("index below len"))
    }

    /// One field's values, oldest first.
    pub fn column(&self, field: usize) -> impl Iterator<Item = f64> + '_ {
        self.iter().map(move |s| s.values[field])
    }

    pub fn clear(&mut self) {
        self.start = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(capacity: usize) -> SampleRing {
        SampleRing::new(vec!["a".into(), "b".into()], capacity).unwrap()
    }

    #[test]
    fn keeps_the_newest_samples_in_order() {
        let mut r = ring(3);
        for i in 0..5 {
            r.push(i as f64, i % 2 == 0, &[i as f64, 10.0 * i as f64])
                .unwrap();
        }
        assert_eq!(r.len(), 3);
        let times: Vec<f64> = r.iter().map(|s| s.timestamp).collect();
        assert_eq!(times, [2.0, 3.0, 4.0]);
        assert_eq!(r.column(1).collect::<Vec<_>>(), [20.0, 30.0, 40.0]);
        assert!(r.get(0).unwrap().after_gc && !r.get(1).unwrap().after_gc);
        assert_eq!(r.last().unwrap().values, &[4.0, 40.0]);
        assert!(r.get(3).is_none());
    }

    #[test]
    fn refuses_bad_shapes_and_values() {
        assert!(matches!(
            SampleRing::new(vec!["a".into()], 0),
            Err(SamplingError::Capacity { .. })
        ));
        assert!(matches!(
            SampleRing::new(vec!["a".into()], MAX_CAPACITY + 1),
            Err(SamplingError::Capacity { .. })
        ));
        assert!(matches!(
            SampleRing::new(vec![], 4),
            Err(SamplingError::FieldCount { .. })
        ));
        assert_eq!(
            SampleRing::new(vec!["a".into(), "a".into()], 4).err(),
            Some(SamplingError::FieldName("a".into()))
        );
        let mut r = ring(2);
        assert!(matches!(
            r.push(0.0, false, &[1.0]),
            Err(SamplingError::RowWidth { .. })
        ));
        assert!(matches!(
            r.push(0.0, false, &[1.0, f64::NAN]),
            Err(SamplingError::Value { .. })
        ));
        assert!(matches!(
            r.push(f64::INFINITY, false, &[1.0, 1.0]),
            Err(SamplingError::Timestamp { .. })
        ));
        r.push(5.0, false, &[1.0, 1.0]).unwrap();
        assert!(matches!(
            r.push(4.0, false, &[1.0, 1.0]),
            Err(SamplingError::TimeWentBack { .. })
        ));
        assert_eq!(r.len(), 1, "a refused sample is not stored");
    }
}
