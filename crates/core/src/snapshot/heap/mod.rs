//! The heap as a graph: node and edge columns, lookups by object id, and the dominator tree
//! with retained sizes.

pub(crate) mod dominators;
pub(crate) mod graph;
pub(crate) mod id_cursor;
pub(crate) mod nodes;
pub(crate) mod object_ids;
pub(crate) mod retained;
