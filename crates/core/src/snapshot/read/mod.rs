//! Reading: sources (files, pipes, chunks pushed from JavaScript) and the scanner that turns
//! their bytes into the snapshot's columns, within the limits of `budget`.

pub(crate) mod budget;
pub(crate) mod byte_blocks;
pub(crate) mod fill;
pub(crate) mod json_scan;
pub(crate) mod light_file;
pub(crate) mod meta;
pub(crate) mod number_array;
pub(crate) mod parser;
pub(crate) mod raw;
pub(crate) mod source;
pub(crate) mod strings;
pub(crate) mod swar;
