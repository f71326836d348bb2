//! The `snapshot` header: field layouts and type-name tables, with the field
//! offsets derived once so hot loops never look names up.

use serde::Deserialize;
use serde_json::Value;

use crate::snapshot::error::{Result, SnapshotError};

/// Where each node field lives inside one node record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeFieldOffsets {
    pub count: usize,
    pub node_type: usize,
    pub name: usize,
    pub id: usize,
    pub self_size: usize,
    pub edge_count: usize,
    pub trace_node_id: Option<usize>,
    pub detachedness: Option<usize>,
}

/// Where each edge field lives inside one edge record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeFieldOffsets {
    pub count: usize,
    pub edge_type: usize,
    pub name_or_index: usize,
    pub to_node: usize,
}

/// Where each field lives inside one `locations` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocationFieldOffsets {
    pub count: usize,
    pub object_index: usize,
    pub script_id: usize,
    pub line: usize,
    pub column: usize,
}

/// Indices of the node types the analyses care about (None if the snapshot
/// does not declare that type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeTypeIds {
    pub hidden: Option<u8>,
    pub array: Option<u8>,
    pub string: Option<u8>,
    pub object: Option<u8>,
    pub code: Option<u8>,
    pub closure: Option<u8>,
    pub regexp: Option<u8>,
    pub number: Option<u8>,
    pub native: Option<u8>,
    pub synthetic: Option<u8>,
    pub concatenated_string: Option<u8>,
    pub sliced_string: Option<u8>,
    pub symbol: Option<u8>,
    pub bigint: Option<u8>,
    pub object_shape: Option<u8>,
}

/// Indices of the edge types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EdgeTypeIds {
    pub context: Option<u8>,
    pub element: Option<u8>,
    pub property: Option<u8>,
    pub internal: Option<u8>,
    pub hidden: Option<u8>,
    pub shortcut: Option<u8>,
    pub weak: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMeta {
    pub node_fields: Vec<String>,
    pub node_types: Vec<String>,
    pub edge_fields: Vec<String>,
    pub edge_types: Vec<String>,
    pub location_fields: Vec<String>,
    pub trace_function_info_fields: Vec<String>,
    pub trace_node_fields: Vec<String>,
    pub sample_fields: Vec<String>,
    pub node_count: u64,
    pub edge_count: u64,
    pub trace_function_count: u64,
    pub node: NodeFieldOffsets,
    pub edge: EdgeFieldOffsets,
    pub location: Option<LocationFieldOffsets>,
    pub node_type_ids: NodeTypeIds,
    pub edge_type_ids: EdgeTypeIds,
}

#[derive(Deserialize)]
struct HeaderJson {
    meta: Option<MetaJson>,
    node_count: Option<u64>,
    edge_count: Option<u64>,
    trace_function_count: Option<u64>,
}

#[derive(Deserialize)]
struct MetaJson {
    node_fields: Option<Vec<String>>,
    node_types: Option<Vec<Value>>,
    edge_fields: Option<Vec<String>>,
    edge_types: Option<Vec<Value>>,
    location_fields: Option<Vec<String>>,
    trace_function_info_fields: Option<Vec<String>>,
    trace_node_fields: Option<Vec<String>>,
    sample_fields: Option<Vec<String>>,
}

fn field_pos(fields: &[String], name: &'static str, list: &'static str) -> Result<usize> {
    fields
        .iter()
        .position(|f| f == name)
        .ok_or_else(|| SnapshotError::BadMeta(format!("`{list}` has no `{name}` field")))
}

fn optional_pos(fields: &[String], name: &str) -> Option<usize> {
    fields.iter().position(|f| f == name)
}

/// The first element of `node_types`/`edge_types` is the list of type names.
fn type_names(types: Vec<Value>, list: &'static str) -> Result<Vec<String>> {
    let first = types
        .into_iter()
        .next()
        .ok_or_else(|| SnapshotError::BadMeta(format!("`{list}` is empty")))?;
    let Value::Array(names) = first else {
        return Err(SnapshotError::BadMeta(format!(
            "`{list}`[0] is not an array of type names"
        )));
    };
    let names: Vec<String> = names
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            _ => Err(SnapshotError::BadMeta(format!(
                "`{list}`[0] contains a non-string"
            ))),
        })
        .collect::<Result<_>>()?;
    if names.len() > 256 {
        return Err(SnapshotError::TooLarge {
            what: "number of type names",
            value: names.len() as u64,
            limit: 256,
        });
    }
    Ok(names)
}

fn type_id(names: &[String], name: &str) -> Option<u8> {
    names
        .iter()
        .position(|n| n == name)
        .and_then(|i| u8::try_from(i).ok())
}

impl SnapshotMeta {
    /// Parses the buffered `snapshot` header object.
    pub fn from_header_json(bytes: &[u8]) -> Result<SnapshotMeta> {
        let header: HeaderJson = serde_json::from_slice(bytes)
            .map_err(|e| SnapshotError::BadMeta(format!("`snapshot` object: {e}")))?;
        let meta = header.meta.ok_or(SnapshotError::MissingMeta("meta"))?;
        let node_fields = meta
            .node_fields
            .ok_or(SnapshotError::MissingMeta("node_fields"))?;
        let node_types = type_names(
            meta.node_types
                .ok_or(SnapshotError::MissingMeta("node_types"))?,
            "node_types",
        )?;
        let edge_fields = meta
            .edge_fields
            .ok_or(SnapshotError::MissingMeta("edge_fields"))?;
        let edge_types = type_names(
            meta.edge_types
                .ok_or(SnapshotError::MissingMeta("edge_types"))?,
            "edge_types",
        )?;
        let node_count = header
            .node_count
            .ok_or(SnapshotError::MissingMeta("node_count"))?;
        let edge_count = header
            .edge_count
            .ok_or(SnapshotError::MissingMeta("edge_count"))?;

        let node = NodeFieldOffsets {
            count: node_fields.len(),
            node_type: field_pos(&node_fields, "type", "node_fields")?,
            name: field_pos(&node_fields, "name", "node_fields")?,
            id: field_pos(&node_fields, "id", "node_fields")?,
            self_size: field_pos(&node_fields, "self_size", "node_fields")?,
            edge_count: field_pos(&node_fields, "edge_count", "node_fields")?,
            trace_node_id: optional_pos(&node_fields, "trace_node_id"),
            detachedness: optional_pos(&node_fields, "detachedness"),
        };
        let edge = EdgeFieldOffsets {
            count: edge_fields.len(),
            edge_type: field_pos(&edge_fields, "type", "edge_fields")?,
            name_or_index: field_pos(&edge_fields, "name_or_index", "edge_fields")?,
            to_node: field_pos(&edge_fields, "to_node", "edge_fields")?,
        };
        let location_fields = meta.location_fields.unwrap_or_default();
        let location = match (
            optional_pos(&location_fields, "object_index"),
            optional_pos(&location_fields, "script_id"),
            optional_pos(&location_fields, "line"),
            optional_pos(&location_fields, "column"),
        ) {
            (Some(object_index), Some(script_id), Some(line), Some(column)) => {
                Some(LocationFieldOffsets {
                    count: location_fields.len(),
                    object_index,
                    script_id,
                    line,
                    column,
                })
            }
            _ => None,
        };
        let node_type_ids = NodeTypeIds {
            hidden: type_id(&node_types, "hidden"),
            array: type_id(&node_types, "array"),
            string: type_id(&node_types, "string"),
            object: type_id(&node_types, "object"),
            code: type_id(&node_types, "code"),
            closure: type_id(&node_types, "closure"),
            regexp: type_id(&node_types, "regexp"),
            number: type_id(&node_types, "number"),
            native: type_id(&node_types, "native"),
            synthetic: type_id(&node_types, "synthetic"),
            concatenated_string: type_id(&node_types, "concatenated string"),
            sliced_string: type_id(&node_types, "sliced string"),
            symbol: type_id(&node_types, "symbol"),
            bigint: type_id(&node_types, "bigint"),
            object_shape: type_id(&node_types, "object shape"),
        };
        let edge_type_ids = EdgeTypeIds {
            context: type_id(&edge_types, "context"),
            element: type_id(&edge_types, "element"),
            property: type_id(&edge_types, "property"),
            internal: type_id(&edge_types, "internal"),
            hidden: type_id(&edge_types, "hidden"),
            shortcut: type_id(&edge_types, "shortcut"),
            weak: type_id(&edge_types, "weak"),
        };
        Ok(SnapshotMeta {
            node_fields,
            node_types,
            edge_fields,
            edge_types,
            location_fields,
            trace_function_info_fields: meta.trace_function_info_fields.unwrap_or_default(),
            trace_node_fields: meta.trace_node_fields.unwrap_or_default(),
            sample_fields: meta.sample_fields.unwrap_or_default(),
            node_count,
            edge_count,
            trace_function_count: header.trace_function_count.unwrap_or(0),
            node,
            edge,
            location,
            node_type_ids,
            edge_type_ids,
        })
    }

    pub fn node_type_name(&self, index: u8) -> &str {
        self.node_types
            .get(index as usize)
            .map_or("unknown", String::as_str)
    }

    pub fn edge_type_name(&self, index: u8) -> &str {
        self.edge_types
            .get(index as usize)
            .map_or("unknown", String::as_str)
    }

    /// `element` and `hidden` edges carry an index, the others a string index.
    pub fn edge_name_is_index(&self, edge_type: u8) -> bool {
        Some(edge_type) == self.edge_type_ids.element
            || Some(edge_type) == self.edge_type_ids.hidden
    }
}
