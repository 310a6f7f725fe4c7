//! Declarative macros that expand the generated types' trait impls. The generated sources stay
//! short and reviewable (a spec update shows as a change of a list, not of pages of impls), and
//! the generator does not have to format the same boilerplate a thousand times.

// A spec may not need every macro (a small spec has no unions, say).
#![allow(unused_macros, unused_imports)]

/// Impls for an open string enum: `as_str`, `From<&str>`, `Display`, `Serialize`, `Deserialize`.
/// Unknown values decode into `Unknown(String)`.
macro_rules! string_enum {
    ($(#[$attr:meta])* $name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        $(#[$attr])*
        impl $name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Unknown(s) => s,
                }
            }
        }
        $(#[$attr])*
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }
        $(#[$attr])*
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        $(#[$attr])*
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        $(#[$attr])*
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::runtime::de_str(d).map(|s| Self::from(s.as_ref()))
            }
        }
        $(#[$attr])*
        impl $crate::runtime::http::QueryValue for $name {
            fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
                out.push((name, self.as_str().to_string()));
            }
        }
    };
}
pub(crate) use string_enum;

/// Impls for a fixed value (`const`): the unit struct always serializes to it and only decodes
/// from it. `str`, `bool` or `json` (any other JSON value, written as JSON text).
macro_rules! const_value {
    ($name:ident, str, $value:literal) => {
        impl $name {
            #[doc = concat!("Always `\"", $value, "\"`.")]
            pub const VALUE: &'static str = $value;
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(Self::VALUE)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::runtime::expect_str(d, Self::VALUE).map(|()| Self)
            }
        }
    };
    ($name:ident, bool, $value:literal) => {
        impl $name {
            #[doc = concat!("Always `", stringify!($value), "`.")]
            pub const VALUE: bool = $value;
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bool(Self::VALUE)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::runtime::expect_value(d, &serde_json::Value::Bool(Self::VALUE)).map(|()| Self)
            }
        }
    };
    ($name:ident, json, $value:literal) => {
        impl $name {
            #[doc = concat!("Always `", $value, "` (JSON).")]
            pub const VALUE: &'static str = $value;
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let v: serde_json::Value = serde_json::from_str(Self::VALUE).map_err(serde::ser::Error::custom)?;
                serde::Serialize::serialize(&v, s)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let expected: serde_json::Value = serde_json::from_str(Self::VALUE).map_err(serde::de::Error::custom)?;
                $crate::runtime::expect_value(d, &expected).map(|()| Self)
            }
        }
    };
}
pub(crate) use const_value;

/// `tag()` for a discriminated union.
macro_rules! tagged_union {
    ($(#[$attr:meta])* $name:ident, $tag:literal {
        $($variant:ident = [$first:literal $(, $more:literal)*] $how:ident $(($field:ident))?),* $(,)?
    }) => {
        $(#[$attr])*
        impl $name {
            /// The discriminator value (`None` for an unknown variant without one).
            pub fn tag(&self) -> Option<&str> {
                match self {
                    $(Self::$variant(_) => Some($first),)*
                    Self::Unknown(v) => v.get($tag).and_then(serde_json::Value::as_str),
                }
            }
        }
    };
}
pub(crate) use tagged_union;

/// `Serialize` for a discriminated union: the variant's own fields, with the tag added when the
/// variant type does not carry it (`inject`) or leaves its own tag field unset (`carries_if`):
/// the tag is always written.
macro_rules! tagged_union_ser {
    ($(#[$attr:meta])* $name:ident, $tag:literal {
        $($variant:ident = [$first:literal $(, $more:literal)*] $how:ident $(($field:ident))?),* $(,)?
    }) => {
        $(#[$attr])*
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(v) => $crate::runtime::tagged_ser!($how $(($field))?, s, v, $tag, $first),)*
                    Self::Unknown(v) => serde::Serialize::serialize(v, s),
                }
            }
        }
    };
}
pub(crate) use tagged_union_ser;

/// `Deserialize` for a discriminated union, by the tag; unknown tags are kept as
/// `Unknown(serde_json::Value)`.
macro_rules! tagged_union_de {
    ($(#[$attr:meta])* $name:ident, $tag:literal {
        $($variant:ident = [$first:literal $(, $more:literal)*] $how:ident $(($field:ident))?),* $(,)?
    }) => {
        $(#[$attr])*
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                Ok(match value.get($tag).and_then(serde_json::Value::as_str) {
                    $(Some($first $(| $more)*) => $crate::runtime::decode::<_, D::Error>(value).map(Self::$variant)?,)*
                    _ => Self::Unknown(value),
                })
            }
        }
    };
}
pub(crate) use tagged_union_de;

macro_rules! tagged_ser {
    (carries, $s:ident, $v:ident, $tag:literal, $value:literal) => {
        serde::Serialize::serialize($v, $s)
    };
    (carries_if($field:ident), $s:ident, $v:ident, $tag:literal, $value:literal) => {
        if $crate::runtime::TagField::is_set(&$v.$field) {
            serde::Serialize::serialize($v, $s)
        } else {
            $crate::runtime::serialize_tagged($s, $tag, $value, $v)
        }
    };
    (inject, $s:ident, $v:ident, $tag:literal, $value:literal) => {
        $crate::runtime::serialize_tagged($s, $tag, $value, $v)
    };
}
pub(crate) use tagged_ser;

/// A text field every variant of a union has (`id`, `name`): an accessor reading it whatever
/// the variant (from the raw JSON for an unknown one).
macro_rules! union_field {
    ($(#[$attr:meta])* $name:ident, $field:ident = $wire:literal { $($variant:ident),* $(,)? }) => {
        $(#[$attr])*
        impl $name {
            #[doc = concat!("The `", $wire, "` every variant has (`None` for an unknown variant without one).")]
            pub fn $field(&self) -> Option<&str> {
                match self {
                    $(Self::$variant(v) => Some(v.$field.as_str()),)*
                    Self::Unknown(v) => v.get($wire).and_then(serde_json::Value::as_str),
                }
            }
        }
    };
}
pub(crate) use union_field;

/// `Serialize` for a union without a discriminator: as the variant.
macro_rules! untagged_union_ser {
    ($(#[$attr:meta])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$attr])*
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(v) => serde::Serialize::serialize(v, s),)*
                    Self::Unknown(v) => serde::Serialize::serialize(v, s),
                }
            }
        }
    };
}
pub(crate) use untagged_union_ser;

/// `Deserialize` for a union without a discriminator: the variants are tried in order (most
/// specific first); anything else is kept as `Unknown(serde_json::Value)`.
macro_rules! untagged_union_de {
    ($(#[$attr:meta])* $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$attr])*
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                $(
                    // The variant's type is inferred from its constructor.
                    if let Ok(v) = serde::Deserialize::deserialize(&value).map(Self::$variant) {
                        return Ok(v);
                    }
                )*
                Ok(Self::Unknown(value))
            }
        }
    };
}
pub(crate) use untagged_union_de;

/// `From` impls from each variant's type (listed only where the type is unambiguous), from
/// `&str` for a union with a string variant, and from `Vec<&str>`, `&[&str]` and `[&str; N]`
/// for one with a list-of-strings variant.
macro_rules! union_from {
    ($(#[$attr:meta])* $name:ident { $($variants:tt)* } $(str => $str_variant:ident)? $(strs => $strs_variant:ident)?) => {
        $crate::runtime::union_from!(@each [$(#[$attr])*] $name; $($variants)*);
        $(
            impl From<&str> for $name {
                fn from(v: &str) -> Self {
                    Self::$str_variant(v.to_string())
                }
            }
        )?
        $(
            impl From<Vec<&str>> for $name {
                fn from(v: Vec<&str>) -> Self {
                    Self::$strs_variant(v.into_iter().map(String::from).collect())
                }
            }
            impl From<&[&str]> for $name {
                fn from(v: &[&str]) -> Self {
                    Self::$strs_variant(v.iter().map(|s| s.to_string()).collect())
                }
            }
            impl<const N: usize> From<[&str; N]> for $name {
                fn from(v: [&str; N]) -> Self {
                    Self::$strs_variant(v.iter().map(|s| s.to_string()).collect())
                }
            }
        )?
    };
    (@each [$($attrs:tt)*] $name:ident;) => {};
    (@each [$($attrs:tt)*] $name:ident; $variant:ident(box $ty:ty) $(, $($rest:tt)*)?) => {
        $($attrs)*
        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                Self::$variant(Box::new(v))
            }
        }
        $crate::runtime::union_from!(@each [$($attrs)*] $name; $($($rest)*)?);
    };
    (@each [$($attrs:tt)*] $name:ident; $variant:ident($ty:ty) $(, $($rest:tt)*)?) => {
        $($attrs)*
        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                Self::$variant(v)
            }
        }
        $crate::runtime::union_from!(@each [$($attrs)*] $name; $($($rest)*)?);
    };
}
pub(crate) use union_from;

/// `Deserialize` for a struct of named fields, as serde's derive decodes an object (unknown keys
/// skipped, a repeated key an error, a missing required field an error naming it, a missing
/// optional field its default) in a fraction of the code: the derive's field enum, field
/// visitor and sequence form were most of the crate's compile time. The first list holds the
/// fields that must be present, the second those that take `Default::default()` when absent
/// (`None`, `Nullable::Absent`, a const); `field = "wire"` when the key is not the field's name.
/// Structs with flattened fields keep serde's derive.
macro_rules! struct_de {
    ($name:ident, [$($req:ident $(= $rw:literal)?),* $(,)?] [$($opt:ident $(= $ow:literal)?),* $(,)?]) => {
        #[allow(deprecated)]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<__D: serde::Deserializer<'de>>(d: __D) -> Result<Self, __D::Error> {
                struct __Visitor;
                impl<'de> serde::de::Visitor<'de> for __Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }
                    #[allow(deprecated)]
                    fn visit_map<__A: serde::de::MapAccess<'de>>(self, mut map: __A) -> Result<$name, __A::Error> {
                        $(let mut $req = None;)*
                        $(let mut $opt = None;)*
                        while let Some(key) = map.next_key::<$crate::runtime::Key<'de>>()? {
                            match &*key.0 {
                                $($crate::runtime::struct_de!(@wire $req $($rw)?) => $crate::runtime::struct_de!(@set map $req $($rw)?),)*
                                $($crate::runtime::struct_de!(@wire $opt $($ow)?) => $crate::runtime::struct_de!(@set map $opt $($ow)?),)*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok($name {
                            $($req: match $req {
                                Some(v) => v,
                                None => return Err($crate::runtime::missing($crate::runtime::struct_de!(@wire $req $($rw)?))),
                            },)*
                            $($opt: $opt.unwrap_or_default(),)*
                        })
                    }
                }
                d.deserialize_map(__Visitor)
            }
        }
    };
    (@wire $field:ident) => {
        stringify!($field)
    };
    (@wire $field:ident $wire:literal) => {
        $wire
    };
    (@set $map:ident $field:ident $($wire:literal)?) => {{
        if $field.is_some() {
            return Err(serde::de::Error::duplicate_field($crate::runtime::struct_de!(@wire $field $($wire)?)));
        }
        $field = Some($map.next_value()?);
    }};
}
pub(crate) use struct_de;

/// A model's `new(required…)`: each required field is a parameter taking `impl Into<T>` (`plain`,
/// `some` for a required nullable field, `boxed`/`some_boxed` for recursive ones); the fields in
/// the second list start at their default.
macro_rules! constructor {
    (nullable $($rest:tt)*) => {
        $crate::runtime::constructor!(@fn
            #[doc = "Builds a value from its required fields; optional fields start unset. Required"]
            #[doc = "nullable fields take a value here; set them to `None` to send `null`."]
            $($rest)*);
    };
    (@fn $(#[$attr:meta])* [$($p:ident: $ty:ty => $how:ident),* $(,)?] [$($d:ident),* $(,)?]) => {
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        pub fn new($($p: impl Into<$ty>),*) -> Self {
            Self {
                $($p: $crate::runtime::ctor_value!($how, $p.into()),)*
                $($d: Default::default(),)*
            }
        }
    };
    ($($rest:tt)*) => {
        $crate::runtime::constructor!(@fn
            #[doc = "Builds a value from its required fields; optional fields start unset."]
            $($rest)*);
    };
}
pub(crate) use constructor;

macro_rules! ctor_value {
    (plain, $v:expr) => {
        $v
    };
    (some, $v:expr) => {
        Some($v)
    };
    (boxed, $v:expr) => {
        Box::new($v)
    };
    (some_boxed, $v:expr) => {
        Some(Box::new($v))
    };
}
pub(crate) use ctor_value;

/// Builder-style setters for optional fields, used inside a struct's `impl` block:
/// `optional` fields become `Some(value)`, `nullable` ones `Nullable::Value(value)`; the
/// `_boxed` forms box the value (recursive types).
macro_rules! setters {
    ($($(#[$attr:meta])* $field:ident: $ty:ty => $how:ident),* $(,)?) => {
        $(
            #[doc = concat!("Sets `", stringify!($field), "`.")]
            $(#[$attr])*
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$field = $crate::runtime::setter_value!($how, value.into());
                self
            }
        )*
    };
}
pub(crate) use setters;

macro_rules! setter_value {
    (optional, $v:expr) => {
        Some($v)
    };
    (nullable, $v:expr) => {
        $crate::Nullable::Value($v)
    };
    (optional_boxed, $v:expr) => {
        Some(Box::new($v))
    };
    (nullable_boxed, $v:expr) => {
        $crate::Nullable::Value(Box::new($v))
    };
}
pub(crate) use setter_value;

/// An operation's static description: `operation!(NAME = "id" "group.method", METHOD "/path", [schemes], [(status,
/// decoder)], [success statuses])`, and for an event stream with a terminator
/// `, sentinel "[DONE]"` or `, events ["name", …]` (see `StreamEnd`).
macro_rules! operation {
    ($name:ident = $id:literal $sdk:literal, $method:ident $path:literal, [$($sec:ident),* $(,)?], [$($err:expr),* $(,)?], [$($ok:literal),* $(,)?] $(, $end:ident $end_value:tt)?) => {
        static $name: $crate::runtime::http::Operation = $crate::runtime::http::Operation {
            id: $id,
            name: $sdk,
            method: reqwest::Method::$method,
            path: $path,
            security: &[$($crate::auth::Scheme::$sec),*],
            errors: &[$($err),*],
            success: &[$($ok),*],
            stream_end: $crate::runtime::operation!(@end $($end $end_value)?),
        };
    };
    (@end) => { $crate::runtime::http::StreamEnd::Open };
    (@end sentinel $v:literal) => { $crate::runtime::http::StreamEnd::Sentinel($v) };
    (@end events [$($v:literal),* $(,)?]) => { $crate::runtime::http::StreamEnd::Events(&[$($v),*]) };
}
pub(crate) use operation;

/// Per-call options, expanded inside every request builder's `impl` block. `#[inline]` keeps
/// them free until a user calls them.
macro_rules! request_options {
    () => {
        /// Timeout for each attempt of this call, instead of the client's.
        #[inline]
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.opts.timeout = Some(timeout);
            self
        }

        /// Retry policy for this call, instead of the client's (`RetryPolicy::none()` turns retries off).
        #[inline]
        pub fn retry(mut self, policy: $crate::RetryPolicy) -> Self {
            self.opts.retry = Some(policy);
            self
        }

        /// An extra header for this call.
        #[inline]
        pub fn header(mut self, name: &str, value: &str) -> Self {
            self.opts.header(name, value);
            self
        }

        /// Sends this call to another server (a URL; its path is kept as a base path).
        #[inline]
        pub fn server_url(mut self, url: impl Into<String>) -> Self {
            self.opts.server_url = Some(url.into());
            self
        }

        /// Puts the successful response's status and headers (its request id) in `meta`.
        #[inline]
        pub fn capture_response(mut self, meta: &$crate::ResponseMeta) -> Self {
            self.opts.capture = Some(meta.clone());
            self
        }
    };
}
pub(crate) use request_options;

/// Options of request builders whose answer is read as a stream (events, downloads).
macro_rules! stream_options {
    () => {
        /// Ends the event stream or download with an error after this long without bytes from
        /// the server (instead of the client's `stream_idle_timeout`, 300 s by default).
        #[inline]
        pub fn idle_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.opts.idle_timeout = Some(timeout);
            self
        }
    };
}
pub(crate) use stream_options;

/// `IntoFuture` for a request builder, so `builder.await` sends it.
macro_rules! into_future {
    ($builder:ident, $out:ty) => {
        impl<'c> std::future::IntoFuture for $builder<'c> {
            type Output = $crate::Result<$out>;
            type IntoFuture = $crate::Pending<'c, $out>;
            // Inline, like `send`: the request's encoding and the response's decoding are
            // compiled in the crate that calls the method, so a build pays only for the
            // methods it uses.
            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    };
}
pub(crate) use into_future;

/// Setters for a request builder's optional parameters (`self.name = Some(value)`), with the
/// parameter docs passed through.
macro_rules! param_setters {
    ($($(#[$attr:meta])* $field:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$attr])*
            #[inline]
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$field = Some(value.into());
                self
            }
        )*
    };
}
pub(crate) use param_setters;

/// The options every provider client shares with [`crate::ClientBuilder`], as setters that pass
/// them on to the builder's `common` field (one list, so the clients cannot drift apart).
macro_rules! client_options {
    () => {
        $crate::runtime::client_options!(
            /// See [`ClientBuilder::http_client`](crate::ClientBuilder::http_client).
            http_client(client: reqwest::Client);
            /// See [`ClientBuilder::default_header`](crate::ClientBuilder::default_header).
            default_header(name: impl Into<String>, value: impl Into<String>);
            /// See [`ClientBuilder::user_agent`](crate::ClientBuilder::user_agent).
            user_agent(ua: impl Into<String>);
            /// See [`ClientBuilder::timeout`](crate::ClientBuilder::timeout).
            timeout(d: std::time::Duration);
            /// See [`ClientBuilder::stream_idle_timeout`](crate::ClientBuilder::stream_idle_timeout).
            stream_idle_timeout(d: std::time::Duration);
            /// See [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout).
            connect_timeout(d: std::time::Duration);
            /// See [`ClientBuilder::max_body_size`](crate::ClientBuilder::max_body_size).
            max_body_size(bytes: usize);
            /// See [`ClientBuilder::max_event_size`](crate::ClientBuilder::max_event_size).
            max_event_size(bytes: usize);
            /// See [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy).
            retry_policy(policy: $crate::RetryPolicy);
            /// See [`ClientBuilder::hook`](crate::ClientBuilder::hook).
            hook(hook: impl $crate::Hook);
        );
    };
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $($arg: $ty),*) -> Self {
                self.common = self.common.$name($($arg),*);
                self
            }
        )*
    };
}
pub(crate) use client_options;
