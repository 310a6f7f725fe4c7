//! Small, non-generic-where-possible helpers the generated serde impls call, so generated code
//! stays thin.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

/// Deserializes a string, borrowing when the input allows.
pub fn de_str<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
    }
    d.deserialize_str(V)
}

/// An object's key, borrowed from the input when it allows (see `struct_de!`).
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_str(d).map(Key)
    }
}

/// The error for a required field the object lacks (as serde's derive reports it).
pub fn missing<E: serde::de::Error>(field: &'static str) -> E {
    E::missing_field(field)
}

/// Checks that a const string field holds its one allowed value.
pub fn expect_str<'de, D: Deserializer<'de>>(d: D, expected: &'static str) -> Result<(), D::Error> {
    let s = de_str(d)?;
    if s == expected {
        Ok(())
    } else {
        Err(D::Error::custom(format_args!("expected `{expected}`, found `{s}`")))
    }
}

/// Checks that a const field of any JSON type holds its one allowed value.
pub fn expect_value<'de, D: Deserializer<'de>>(d: D, expected: &serde_json::Value) -> Result<(), D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    if &v == expected {
        Ok(())
    } else {
        Err(D::Error::custom(format_args!("expected `{expected}`, found `{v}`")))
    }
}

/// Decodes a union variant from its buffered JSON, naming the JSON path that failed.
pub fn decode<T: serde::de::DeserializeOwned, E: serde::de::Error>(value: serde_json::Value) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            E::custom(e.into_inner())
        } else {
            E::custom(format_args!("at `{path}`: {}", e.into_inner()))
        }
    })
}

/// Serializes a tagged-union variant whose own type does not carry the tag field.
pub fn serialize_tagged<S: Serializer, T: Serialize>(s: S, tag: &str, value: &str, inner: &T) -> Result<S::Ok, S::Error> {
    let mut v = serde_json::to_value(inner).map_err(serde::ser::Error::custom)?;
    if let serde_json::Value::Object(map) = &mut v {
        map.insert(tag.to_string(), serde_json::Value::String(value.to_string()));
    }
    v.serialize(s)
}

/// A variant's own tag field that may be unset (`Option`, `Nullable`): whether it holds a value.
pub trait TagField {
    fn is_set(&self) -> bool;
}

impl<T> TagField for Option<T> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}

impl<T> TagField for crate::Nullable<T> {
    fn is_set(&self) -> bool {
        self.as_option().is_some()
    }
}
