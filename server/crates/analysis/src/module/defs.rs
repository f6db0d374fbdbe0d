//! Definition trees of a module's `config`: entries with ranges, literal
//! values as far as they are known, seeing through `mkIf`/`mkMerge`.

use super::*;
use crate::eval::{Evaluator, Thunk, Value};

const MAX_DEF_DEPTH: u32 = 24;
const MAX_DEF_ENTRIES: usize = 20_000;

/// The entries of a config value, seeing through `mkIf`/`mkMerge`/
/// `mkOverride`/`mkOrder`. Returns the entries and whether some were unknown.
pub fn definition_entries(ev: &Evaluator, thunk: &Thunk, depth: u32) -> (Vec<DefEntry>, bool) {
    let mut entries = Vec::new();
    let mut incomplete = false;
    let mut budget = MAX_DEF_ENTRIES;
    let mut when = Vec::new();
    collect_entries(
        ev,
        thunk,
        depth,
        &mut entries,
        &mut incomplete,
        &mut budget,
        &mut when,
    );
    (entries, incomplete)
}

fn collect_entries(
    ev: &Evaluator,
    thunk: &Thunk,
    depth: u32,
    out: &mut Vec<DefEntry>,
    incomplete: &mut bool,
    budget: &mut usize,
    when: &mut Vec<Cond>,
) {
    if depth > MAX_DEF_DEPTH || *budget == 0 {
        *incomplete = true;
        return;
    }
    let value = ev.force(thunk);
    let Value::Attrs(attrs) = value else {
        *incomplete = true;
        return;
    };
    match attrs.marker {
        Some(marker @ ("if" | "override" | "order")) => {
            let before = when.len();
            if marker == "if" {
                when.extend(condition(ev, &attrs));
            }
            match attrs.get("content") {
                Some(content) => {
                    collect_entries(ev, &content.value, depth, out, incomplete, budget, when)
                }
                None => *incomplete = true,
            }
            when.truncate(before);
            return;
        }
        Some("merge") => {
            match attrs.get("contents").map(|c| ev.force(&c.value)) {
                Some(Value::List(items)) => {
                    for item in items.iter() {
                        collect_entries(ev, item, depth, out, incomplete, budget, when);
                    }
                }
                _ => *incomplete = true,
            }
            return;
        }
        Some(_) => {
            *incomplete = true;
            return;
        }
        None => {}
    }
    if attrs.incomplete {
        *incomplete = true;
    }
    for (name, entry) in &attrs.entries {
        if *budget == 0 {
            *incomplete = true;
            return;
        }
        *budget -= 1;
        let mut value = def_value(ev, &entry.value, depth + 1, budget);
        if !when.is_empty() {
            value.when.splice(0..0, when.iter().cloned());
        }
        out.push(DefEntry {
            name: name.to_string(),
            key: entry.key,
            path_range: entry.path_range(),
            value,
        });
    }
}

/// The shape of a definition's value, unwrapping module-system wrappers.
pub fn def_value(ev: &Evaluator, thunk: &Thunk, depth: u32, budget: &mut usize) -> DefValue {
    let range = thunk.loc();
    if depth > MAX_DEF_DEPTH {
        return DefValue {
            kind: DefKind::Unknown,
            range,
            when: Vec::new(),
        };
    }
    let value = ev.force(thunk);
    let kind = match value {
        Value::Null => DefKind::Null,
        Value::Bool(b) => DefKind::Bool(b),
        Value::Int(i) => DefKind::Int(i),
        Value::Float(f) => DefKind::Float(f.to_bits()),
        Value::Str(s) => DefKind::Str(s.to_string()),
        Value::AnyStr => DefKind::AnyStr,
        Value::Path(p) => DefKind::Path(p.to_string()),
        Value::List(items) => DefKind::List(
            items
                .iter()
                .map(|item| def_value(ev, item, depth + 1, budget))
                .collect(),
        ),
        Value::Attrs(attrs) => match attrs.marker {
            Some(marker @ ("if" | "override" | "order")) => {
                let mut value = match attrs.get("content") {
                    Some(content) => def_value(ev, &content.value, depth, budget),
                    None => DefValue {
                        kind: DefKind::Unknown,
                        range,
                        when: Vec::new(),
                    },
                };
                if marker == "if" {
                    value.when.splice(0..0, condition(ev, &attrs));
                }
                return value;
            }
            Some("merge") => {
                // A merge of lists is the concatenation of their elements.
                let contents = match attrs.get("contents").map(|c| ev.force(&c.value)) {
                    Some(Value::List(items)) => items.to_vec(),
                    _ => Vec::new(),
                };
                let parts: Vec<DefValue> = contents
                    .iter()
                    .map(|item| def_value(ev, item, depth + 1, budget))
                    .collect();
                if !parts.is_empty() && parts.iter().all(|p| matches!(p.kind, DefKind::List(_))) {
                    DefKind::List(
                        parts
                            .into_iter()
                            .flat_map(|part| match part.kind {
                                DefKind::List(items) => items,
                                _ => Vec::new(),
                            })
                            .collect(),
                    )
                } else {
                    let (entries, incomplete) = definition_entries(ev, thunk, depth);
                    if entries.is_empty() {
                        DefKind::Unknown
                    } else {
                        DefKind::Attrs {
                            entries,
                            incomplete,
                        }
                    }
                }
            }
            Some(_) => DefKind::Unknown,
            None => {
                let mut entries = Vec::new();
                let mut incomplete = attrs.incomplete;
                for (name, entry) in &attrs.entries {
                    if *budget == 0 {
                        incomplete = true;
                        break;
                    }
                    *budget -= 1;
                    entries.push(DefEntry {
                        name: name.to_string(),
                        key: entry.key,
                        path_range: entry.path_range(),
                        value: def_value(ev, &entry.value, depth + 1, budget),
                    });
                }
                DefKind::Attrs {
                    entries,
                    incomplete,
                }
            }
        },
        _ => DefKind::Unknown,
    };
    DefValue {
        kind,
        range,
        when: Vec::new(),
    }
}

/// The condition of an `mkIf` marker.
/// A literal `true` is no condition (an empty list).
fn condition(ev: &Evaluator, attrs: &crate::eval::Attrs) -> Vec<Cond> {
    match attrs.get("condition").map(|entry| ev.force(&entry.value)) {
        Some(Value::Bool(true)) => Vec::new(),
        Some(Value::Bool(false)) => vec![Cond::False],
        Some(Value::Config(path)) => vec![Cond::Option(
            path.iter().map(|name| name.to_string()).collect(),
        )],
        _ => vec![Cond::Unknown],
    }
}
