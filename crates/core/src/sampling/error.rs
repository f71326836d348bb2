//! Errors for bad sampling input: each names the option or field at fault.

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SamplingError {
    #[error("capacity must be from 1 to {max}, got {got}")]
    Capacity { got: usize, max: usize },
    #[error("a sample needs from 1 to {max} fields, got {got}")]
    FieldCount { got: usize, max: usize },
    #[error("field name {0:?} is empty or used twice")]
    FieldName(String),
    #[error("a sample of this series has {expected} values, got {got}")]
    RowWidth { expected: usize, got: usize },
    #[error("field `{field}` of a sample is {value}, expected a finite number of bytes ≥ 0")]
    Value { field: String, value: f64 },
    #[error("timestamp {got} is not a finite number of milliseconds")]
    Timestamp { got: f64 },
    #[error(
        "timestamp {got} is earlier than the previous sample's {previous}; timestamps must not go back"
    )]
    TimeWentBack { got: f64, previous: f64 },
    #[error("metric family {family:?}: {problem}")]
    Metric { family: String, problem: String },
    #[error("option `{name}` {problem}")]
    Option { name: &'static str, problem: String },
}
