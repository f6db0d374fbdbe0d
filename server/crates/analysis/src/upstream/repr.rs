//! Serialisable mirrors of option paths and types (the analysis types hold
//! salsa handles and ranges, which have no meaning outside one database).

use serde::{Deserialize, Serialize};

use crate::module::DefKind;
use crate::types::{StrKind, TypeData};
use crate::{OptionPath, Segment};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SegRepr {
    Name(String),
    AnyName,
    AnyIndex,
}

pub fn path_repr(path: &[Segment]) -> Vec<SegRepr> {
    path.iter()
        .map(|segment| match segment {
            Segment::Name(name) => SegRepr::Name(name.clone()),
            Segment::AnyName => SegRepr::AnyName,
            Segment::AnyIndex => SegRepr::AnyIndex,
        })
        .collect()
}

pub fn path_from(path: &[SegRepr]) -> OptionPath {
    path.iter()
        .map(|segment| match segment {
            SegRepr::Name(name) => Segment::Name(name.clone()),
            SegRepr::AnyName => Segment::AnyName,
            SegRepr::AnyIndex => Segment::AnyIndex,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LitRepr {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TypeRepr {
    Bool,
    Int {
        name: String,
        min: i64,
        max: i64,
    },
    Float,
    Number,
    /// StrKind as an index: 0 str, 1 nonEmpty, 2 singleLine, 3 lines, 4 commas, 5 envVar.
    Str(u8),
    StrMatching(String),
    Path,
    PathInStore,
    Package,
    Enum(Vec<LitRepr>),
    ListOf(Box<TypeRepr>),
    AttrsOf(Box<TypeRepr>),
    NullOr(Box<TypeRepr>),
    OneOf(Vec<TypeRepr>),
    Submodule,
    FunctionTo(Box<TypeRepr>),
    Attrs,
    Any(String),
}

impl TypeRepr {
    pub fn of(ty: &TypeData) -> TypeRepr {
        match ty {
            TypeData::Bool => TypeRepr::Bool,
            TypeData::Int { name, min, max } => TypeRepr::Int {
                name: name.clone(),
                min: *min,
                max: *max,
            },
            TypeData::Float => TypeRepr::Float,
            TypeData::Number => TypeRepr::Number,
            TypeData::Str(kind) => TypeRepr::Str(match kind {
                StrKind::Str => 0,
                StrKind::NonEmpty => 1,
                StrKind::SingleLine => 2,
                StrKind::Lines => 3,
                StrKind::Commas => 4,
                StrKind::EnvVar => 5,
            }),
            TypeData::StrMatching(re) => TypeRepr::StrMatching(re.clone()),
            TypeData::Path => TypeRepr::Path,
            TypeData::PathInStore => TypeRepr::PathInStore,
            TypeData::Package => TypeRepr::Package,
            TypeData::Enum(members) => TypeRepr::Enum(
                members
                    .iter()
                    .map(|member| match member {
                        DefKind::Bool(b) => LitRepr::Bool(*b),
                        DefKind::Int(i) => LitRepr::Int(*i),
                        DefKind::Float(f) => LitRepr::Float(*f),
                        DefKind::Str(s) => LitRepr::Str(s.clone()),
                        _ => LitRepr::Null,
                    })
                    .collect(),
            ),
            TypeData::ListOf(inner) => TypeRepr::ListOf(Box::new(TypeRepr::of(inner))),
            TypeData::AttrsOf(inner) => TypeRepr::AttrsOf(Box::new(TypeRepr::of(inner))),
            TypeData::NullOr(inner) => TypeRepr::NullOr(Box::new(TypeRepr::of(inner))),
            TypeData::OneOf(members) => TypeRepr::OneOf(members.iter().map(TypeRepr::of).collect()),
            TypeData::Submodule => TypeRepr::Submodule,
            TypeData::FunctionTo(inner) => TypeRepr::FunctionTo(Box::new(TypeRepr::of(inner))),
            TypeData::Attrs => TypeRepr::Attrs,
            TypeData::Any(name) => TypeRepr::Any(name.clone()),
        }
    }

    pub fn to_type(&self) -> TypeData {
        match self {
            TypeRepr::Bool => TypeData::Bool,
            TypeRepr::Int { name, min, max } => TypeData::Int {
                name: name.clone(),
                min: *min,
                max: *max,
            },
            TypeRepr::Float => TypeData::Float,
            TypeRepr::Number => TypeData::Number,
            TypeRepr::Str(kind) => TypeData::Str(match kind {
                1 => StrKind::NonEmpty,
                2 => StrKind::SingleLine,
                3 => StrKind::Lines,
                4 => StrKind::Commas,
                5 => StrKind::EnvVar,
                _ => StrKind::Str,
            }),
            TypeRepr::StrMatching(re) => TypeData::StrMatching(re.clone()),
            TypeRepr::Path => TypeData::Path,
            TypeRepr::PathInStore => TypeData::PathInStore,
            TypeRepr::Package => TypeData::Package,
            TypeRepr::Enum(members) => TypeData::Enum(
                members
                    .iter()
                    .map(|member| match member {
                        LitRepr::Null => DefKind::Null,
                        LitRepr::Bool(b) => DefKind::Bool(*b),
                        LitRepr::Int(i) => DefKind::Int(*i),
                        LitRepr::Float(f) => DefKind::Float(*f),
                        LitRepr::Str(s) => DefKind::Str(s.clone()),
                    })
                    .collect(),
            ),
            TypeRepr::ListOf(inner) => TypeData::ListOf(Box::new(inner.to_type())),
            TypeRepr::AttrsOf(inner) => TypeData::AttrsOf(Box::new(inner.to_type())),
            TypeRepr::NullOr(inner) => TypeData::NullOr(Box::new(inner.to_type())),
            TypeRepr::OneOf(members) => {
                TypeData::OneOf(members.iter().map(Self::to_type).collect())
            }
            TypeRepr::Submodule => TypeData::Submodule,
            TypeRepr::FunctionTo(inner) => TypeData::FunctionTo(Box::new(inner.to_type())),
            TypeRepr::Attrs => TypeData::Attrs,
            TypeRepr::Any(name) => TypeData::Any(name.clone()),
        }
    }

    /// The type constructor as nixpkgs names it (`types.<name>`), for
    /// comparison with the evaluator's `type.name`.
    pub fn constructor(&self) -> String {
        match self {
            TypeRepr::Bool => "bool".into(),
            TypeRepr::Int { name, .. } => match name.as_str() {
                "int" => "int".into(),
                other => other.into(),
            },
            TypeRepr::Float => "float".into(),
            TypeRepr::Number => "number".into(),
            TypeRepr::Str(kind) => match kind {
                1 => "nonEmptyStr",
                2 => "singleLineStr",
                3 => "lines",
                4 => "commas",
                5 => "envVar",
                _ => "str",
            }
            .into(),
            TypeRepr::StrMatching(_) => "strMatching".into(),
            TypeRepr::Path => "path".into(),
            TypeRepr::PathInStore => "pathInStore".into(),
            TypeRepr::Package => "package".into(),
            TypeRepr::Enum(_) => "enum".into(),
            TypeRepr::ListOf(_) => "listOf".into(),
            TypeRepr::AttrsOf(_) => "attrsOf".into(),
            TypeRepr::NullOr(_) => "nullOr".into(),
            TypeRepr::OneOf(members) if members.len() == 2 => "either".into(),
            TypeRepr::OneOf(_) => "oneOf".into(),
            TypeRepr::Submodule => "submodule".into(),
            TypeRepr::FunctionTo(_) => "functionTo".into(),
            TypeRepr::Attrs => "attrs".into(),
            TypeRepr::Any(name) => name.strip_prefix("types.").unwrap_or(name).into(),
        }
    }
}
