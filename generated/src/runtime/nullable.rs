//! `Nullable<T>`: a field that is optional *and* nullable on the wire.

/// A field that can be absent, explicitly `null`, or hold a value.
///
/// Used for schema properties that are both optional and nullable, so a request can say
/// "leave unchanged" (absent) apart from "clear it" (null), and a response round-trips exactly.
/// Use [`Nullable::as_option`] or [`Nullable::into_option`] when the difference does not matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Nullable<T> {
    /// Not sent / not present.
    #[default]
    Absent,
    /// Sent as `null`.
    Null,
    /// A value.
    Value(T),
}

impl<T> Nullable<T> {
    /// `true` when the field is not present (used to skip it when serializing).
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// `true` when the field is explicitly `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }

    /// The value, if there is one.
    pub fn as_option(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if there is one.
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// `true` when it holds a value.
    pub fn is_some(&self) -> bool {
        matches!(self, Nullable::Value(_))
    }

    /// `true` when it holds no value (absent or `null`).
    pub fn is_none(&self) -> bool {
        !self.is_some()
    }

    /// A reference to the value, keeping absent and `null` apart.
    pub fn as_ref(&self) -> Nullable<&T> {
        match self {
            Nullable::Value(v) => Nullable::Value(v),
            Nullable::Null => Nullable::Null,
            Nullable::Absent => Nullable::Absent,
        }
    }

    /// A mutable reference to the value, if there is one.
    pub fn as_mut(&mut self) -> Option<&mut T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value through [`Deref`](std::ops::Deref) (`Nullable<String>` to `Option<&str>`).
    pub fn as_deref(&self) -> Option<&T::Target>
    where
        T: std::ops::Deref,
    {
        self.as_option().map(|v| &**v)
    }

    /// Maps the value, keeping absent and `null` apart.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Nullable::Value(v) => Nullable::Value(f(v)),
            Nullable::Null => Nullable::Null,
            Nullable::Absent => Nullable::Absent,
        }
    }

    /// The value, or `default`.
    pub fn unwrap_or(self, default: T) -> T {
        self.into_option().unwrap_or(default)
    }

    /// The value, or the type's default.
    pub fn unwrap_or_default(self) -> T
    where
        T: Default,
    {
        self.into_option().unwrap_or_default()
    }

    /// An iterator over the value (none or one).
    pub fn iter(&self) -> std::option::IntoIter<&T> {
        self.as_option().into_iter()
    }
}

impl<T> From<Nullable<T>> for Option<T> {
    fn from(v: Nullable<T>) -> Option<T> {
        v.into_option()
    }
}

impl<'a, T> IntoIterator for &'a Nullable<T> {
    type Item = &'a T;
    type IntoIter = std::option::IntoIter<&'a T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(v: T) -> Self {
        Nullable::Value(v)
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `None` becomes an explicit `null`.
    fn from(v: Option<T>) -> Self {
        match v {
            Some(v) => Nullable::Value(v),
            None => Nullable::Null,
        }
    }
}

impl<T: serde::Serialize> serde::Serialize for Nullable<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(v) => s.serialize_some(v),
            Nullable::Absent | Nullable::Null => s.serialize_none(),
        }
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Nullable<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Nullable::Value(v),
            None => Nullable::Null,
        })
    }
}
