//! Option types as plain data, and checking literal values against them.

use super::{DefKind, DefValue};
use crate::FileRange;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StrKind {
    Str,
    NonEmpty,
    SingleLine,
    Lines,
    Commas,
    EnvVar,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeData {
    Bool,
    Int {
        name: String,
        min: i64,
        max: i64,
    },
    Float,
    Number,
    Str(StrKind),
    StrMatching(String),
    Path,
    /// `types.pathInStore`: a path inside /nix/store.
    PathInStore,
    Package,
    Enum(Vec<DefKind>),
    ListOf(Box<TypeData>),
    AttrsOf(Box<TypeData>),
    NullOr(Box<TypeData>),
    OneOf(Vec<TypeData>),
    Submodule,
    FunctionTo(Box<TypeData>),
    Attrs,
    /// Accepts anything as far as flakelens can tell (`anything`,
    /// `unspecified`, `raw`, custom types…), with the name to show.
    Any(String),
}

impl TypeData {
    /// The nixpkgs-style type expression, for hovers and listings.
    pub fn nix_name(&self) -> String {
        match self {
            TypeData::Bool => "types.bool".into(),
            TypeData::Int { name, min, max } => match name.as_str() {
                "int" => "types.int".into(),
                "port" => "types.port".into(),
                "between" => format!("types.ints.between {min} {max}"),
                other => format!("types.ints.{other}"),
            },
            TypeData::Float => "types.float".into(),
            TypeData::Number => "types.number".into(),
            TypeData::Str(kind) => match kind {
                StrKind::Str => "types.str",
                StrKind::NonEmpty => "types.nonEmptyStr",
                StrKind::SingleLine => "types.singleLineStr",
                StrKind::Lines => "types.lines",
                StrKind::Commas => "types.commas",
                StrKind::EnvVar => "types.envVar",
            }
            .into(),
            TypeData::StrMatching(re) => format!("types.strMatching {re:?}"),
            TypeData::Path => "types.path".into(),
            TypeData::PathInStore => "types.pathInStore".into(),
            TypeData::Package => "types.package".into(),
            TypeData::Enum(members) => format!(
                "types.enum [ {} ]",
                members
                    .iter()
                    .map(DefKind::to_nix)
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            TypeData::ListOf(inner) => format!("types.listOf ({})", inner.nix_name()),
            TypeData::AttrsOf(inner) => format!("types.attrsOf ({})", inner.nix_name()),
            TypeData::NullOr(inner) => format!("types.nullOr ({})", inner.nix_name()),
            TypeData::OneOf(members) => format!(
                "types.oneOf [ {} ]",
                members
                    .iter()
                    .map(|m| format!("({})", m.nix_name()))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            TypeData::Submodule => "types.submodule".into(),
            TypeData::FunctionTo(inner) => format!("types.functionTo ({})", inner.nix_name()),
            TypeData::Attrs => "types.attrs".into(),
            TypeData::Any(name) => name.clone(),
        }
    }

    /// A short English description: "a port (0–65535)".
    pub fn describe(&self) -> String {
        match self {
            TypeData::Bool => "a boolean".into(),
            TypeData::Int { name, min, max } => match name.as_str() {
                "int" => "an integer".into(),
                "port" => "a port (0–65535)".into(),
                "unsigned" => "a non-negative integer".into(),
                "positive" => "a positive integer".into(),
                _ => format!("an integer between {min} and {max}"),
            },
            TypeData::Float => "a float".into(),
            TypeData::Number => "a number".into(),
            TypeData::Str(kind) => match kind {
                StrKind::NonEmpty => "a non-empty string".into(),
                StrKind::SingleLine => "a single-line string".into(),
                StrKind::Lines => "a string (lines)".into(),
                StrKind::Commas => "a string (comma-separated)".into(),
                _ => "a string".into(),
            },
            TypeData::StrMatching(re) => format!("a string matching {re:?}"),
            TypeData::Path => "an absolute path".into(),
            TypeData::PathInStore => "a path in the Nix store".into(),
            TypeData::Package => "a package".into(),
            TypeData::Enum(members) => format!(
                "one of {}",
                members
                    .iter()
                    .map(DefKind::to_nix)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TypeData::ListOf(inner) => format!("a list of {}", plural(&inner.describe())),
            TypeData::AttrsOf(inner) => {
                format!("an attribute set of {}", plural(&inner.describe()))
            }
            TypeData::NullOr(inner) => format!("null or {}", inner.describe()),
            TypeData::OneOf(members) => members
                .iter()
                .map(TypeData::describe)
                .collect::<Vec<_>>()
                .join(" or "),
            TypeData::Submodule => "a submodule (attribute set)".into(),
            TypeData::FunctionTo(_) => "a function".into(),
            TypeData::Attrs => "an attribute set".into(),
            TypeData::Any(name) => name.clone(),
        }
    }

    /// Whether values of this type have sub-options below them.
    pub fn has_suboptions(&self) -> bool {
        match self {
            TypeData::Submodule => true,
            TypeData::ListOf(inner) | TypeData::AttrsOf(inner) | TypeData::NullOr(inner) => {
                inner.has_suboptions()
            }
            _ => false,
        }
    }
}

/// "a string" → "strings", "an integer between 1 and 2" → "integers between 1 and 2".
fn plural(description: &str) -> String {
    let rest = description
        .strip_prefix("a ")
        .or_else(|| description.strip_prefix("an "))
        .unwrap_or(description);
    let (head, tail) = match rest.find([' ', '(']) {
        Some(index) => rest.split_at(index),
        None => (rest, ""),
    };
    if head.ends_with('s') || description.starts_with("null") || description.starts_with("one of") {
        return rest.to_string();
    }
    format!("{head}s{tail}")
}

/// A type mismatch found in a literal value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mismatch {
    pub range: Option<FileRange>,
    pub expected: String,
    pub found: String,
    /// Set when the mismatch is inside a list or attrset: "element 2".
    pub inner: Option<String>,
}

enum Outcome {
    Fits,
    Unknown,
    Mismatch(Mismatch),
}

/// Checks a definition's value against a declared type. Values that are
/// not literals are unknown and never mismatch. Sub-option values of
/// submodules are not checked here (the caller walks them).
pub fn check_value(value: &DefValue, ty: &TypeData) -> Option<Mismatch> {
    match check(value, ty) {
        Outcome::Mismatch(mismatch) => Some(mismatch),
        _ => None,
    }
}

/// Whether a value is sure to fit a type (not merely not known to
/// mismatch): what a quick fix must know before it rewrites a value.
pub fn value_fits(value: &DefValue, ty: &TypeData) -> bool {
    matches!(check(value, ty), Outcome::Fits)
}

/// `check --explain`: `None` when [`check_value`] could decide (fits or
/// mismatches), else why it could not.
pub fn unchecked_reason(value: &DefValue, ty: &TypeData) -> Option<String> {
    match check(value, ty) {
        Outcome::Fits | Outcome::Mismatch(_) => None,
        Outcome::Unknown if matches!(value.kind, DefKind::Unknown) => {
            Some("its value is not known statically (computed, or from an argument)".into())
        }
        Outcome::Unknown => match ty {
            TypeData::Any(name) => Some(format!("its type `{name}` is not one flakelens checks")),
            _ => Some(format!(
                "its value cannot be decided against `{}` statically",
                ty.describe()
            )),
        },
    }
}

fn mismatch(value: &DefValue, ty: &TypeData) -> Outcome {
    Outcome::Mismatch(Mismatch {
        range: value.range,
        expected: ty.describe(),
        found: value.kind.describe(),
        inner: None,
    })
}

fn check(value: &DefValue, ty: &TypeData) -> Outcome {
    use DefKind as V;
    if matches!(value.kind, V::Unknown) {
        return Outcome::Unknown;
    }
    match ty {
        TypeData::Any(_) => Outcome::Unknown,
        // Literals are never functions; attrsets might be (`__functor`).
        TypeData::FunctionTo(_) => match value.kind {
            V::Attrs { .. } => Outcome::Unknown,
            _ => mismatch(value, ty),
        },
        TypeData::PathInStore => match &value.kind {
            V::Str(text) if text.starts_with("/nix/store/") => Outcome::Fits,
            // A path literal is copied to the store when used.
            V::Path(_) | V::AnyStr => Outcome::Unknown,
            _ => mismatch(value, ty),
        },
        TypeData::Bool => match value.kind {
            V::Bool(_) => Outcome::Fits,
            _ => mismatch(value, ty),
        },
        TypeData::Int { min, max, .. } => match value.kind {
            V::Int(i) if i >= *min && i <= *max => Outcome::Fits,
            _ => mismatch(value, ty),
        },
        TypeData::Float => match value.kind {
            V::Float(_) => Outcome::Fits,
            _ => mismatch(value, ty),
        },
        TypeData::Number => match value.kind {
            V::Float(_) | V::Int(_) => Outcome::Fits,
            _ => mismatch(value, ty),
        },
        TypeData::Str(kind) => match &value.kind {
            V::Str(text) => {
                let fits = match kind {
                    StrKind::NonEmpty => !text.trim().is_empty(),
                    StrKind::SingleLine => !text.contains('\n'),
                    _ => true,
                };
                if fits {
                    Outcome::Fits
                } else {
                    mismatch(value, ty)
                }
            }
            V::AnyStr => Outcome::Unknown,
            _ => mismatch(value, ty),
        },
        TypeData::StrMatching(pattern) => match &value.kind {
            V::Str(text) => match regex::Regex::new(&format!("^(?:{pattern})$")) {
                Ok(re) if re.is_match(text) => Outcome::Fits,
                Ok(_) => mismatch(value, ty),
                // A POSIX pattern the regex crate reads differently: unknown.
                Err(_) => Outcome::Unknown,
            },
            V::AnyStr => Outcome::Unknown,
            _ => mismatch(value, ty),
        },
        TypeData::Path => match &value.kind {
            V::Path(_) => Outcome::Fits,
            V::Str(text) if text.starts_with('/') => Outcome::Fits,
            V::AnyStr => Outcome::Unknown,
            _ => mismatch(value, ty),
        },
        TypeData::Package => match &value.kind {
            // Store paths (absolute strings, paths) can be packages; a name
            // like "ripgrep" cannot.
            V::Str(text) if text.starts_with('/') => Outcome::Unknown,
            V::AnyStr | V::Path(_) | V::Attrs { .. } => Outcome::Unknown,
            _ => mismatch(value, ty),
        },
        TypeData::Enum(members) => match &value.kind {
            V::AnyStr => Outcome::Unknown,
            kind if members.iter().any(|member| member.same_literal(kind)) => Outcome::Fits,
            _ => mismatch(value, ty),
        },
        TypeData::ListOf(inner) => match &value.kind {
            V::List(items) => check_elements(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| (format!("element {} of the list", index + 1), item)),
                inner,
            ),
            _ => mismatch(value, ty),
        },
        TypeData::AttrsOf(inner) => match &value.kind {
            V::Attrs { entries, .. } => check_elements(
                entries.iter().map(|entry| {
                    (
                        format!("attribute {}", crate::Segment::Name(entry.name.clone())),
                        &entry.value,
                    )
                }),
                inner,
            ),
            _ => mismatch(value, ty),
        },
        TypeData::NullOr(inner) => match value.kind {
            V::Null => Outcome::Fits,
            _ => match check(value, inner) {
                Outcome::Mismatch(_) => mismatch(value, ty),
                other => other,
            },
        },
        TypeData::OneOf(members) => {
            let mut unknown = false;
            for member in members {
                match check(value, member) {
                    Outcome::Fits => return Outcome::Fits,
                    Outcome::Unknown => unknown = true,
                    Outcome::Mismatch(_) => {}
                }
            }
            if unknown {
                Outcome::Unknown
            } else {
                mismatch(value, ty)
            }
        }
        TypeData::Submodule => match value.kind {
            V::Attrs { .. } => Outcome::Fits,
            V::Path(_) => Outcome::Unknown,
            _ => mismatch(value, ty),
        },
        TypeData::Attrs => match value.kind {
            V::Attrs { .. } => Outcome::Fits,
            _ => mismatch(value, ty),
        },
    }
}

/// Checks the elements of a list or attrset; the first mismatch names
/// where it is (`element 2 of the list`).
fn check_elements<'a>(
    elements: impl Iterator<Item = (String, &'a DefValue)>,
    element_type: &TypeData,
) -> Outcome {
    let mut unknown = false;
    for (place, element) in elements {
        match check(element, element_type) {
            Outcome::Fits => {}
            Outcome::Unknown => unknown = true,
            Outcome::Mismatch(mut found) => {
                found.inner = Some(match found.inner {
                    Some(inner) => format!("{place}, {inner}"),
                    None => place,
                });
                return Outcome::Mismatch(found);
            }
        }
    }
    if unknown {
        Outcome::Unknown
    } else {
        Outcome::Fits
    }
}
