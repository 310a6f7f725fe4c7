//! `src/auth.rs`: the spec's authentication schemes as `auth::Scheme`, a key setter on
//! `ClientBuilder` per scheme, and the environment variables `Client::from_env` reads.

use crate::ir::{AuthLocation, Ir};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn render(ir: &Ir) -> TokenStream {
    let variant = |v: &str| format_ident!("{}", v);
    let variants = ir.auth.iter().map(|a| {
        let v = variant(&a.variant);
        let place = match &a.location {
            AuthLocation::Bearer => "`Authorization: Bearer <key>`".to_string(),
            AuthLocation::Header(h) => format!("`{h}: <key>`"),
        };
        let mut doc = format!(" `{}`: {place}.", a.name);
        if let Some(d) = &a.docs {
            doc.push_str(&format!(" {}", d.trim()));
        }
        quote!(#[doc = #doc] #v,)
    });
    let arms = |f: &dyn Fn(&crate::ir::AuthScheme) -> TokenStream| {
        let arms = ir.auth.iter().map(|a| {
            let v = variant(&a.variant);
            let value = f(a);
            quote!(Scheme::#v => #value,)
        });
        quote!(match self { #(#arms)* })
    };
    let all = ir.auth.iter().map(|a| variant(&a.variant));
    let default = match ir.auth.iter().find(|a| a.default) {
        Some(a) => {
            let v = variant(&a.variant);
            quote!(Some(Scheme::#v))
        }
        None => quote!(None),
    };
    let name = arms(&|a| {
        let n = &a.name;
        quote!(#n)
    });
    let header = arms(&|a| match &a.location {
        AuthLocation::Bearer => quote!("authorization"),
        AuthLocation::Header(h) => quote!(#h),
    });
    let prefix = arms(&|a| match &a.location {
        AuthLocation::Bearer => quote!("Bearer "),
        AuthLocation::Header(_) => quote!(""),
    });
    let env = arms(&|a| match &a.env {
        Some(_) => {
            let c = env_const(&a.setter);
            quote!(Some(#c))
        }
        None => quote!(None),
    });
    let setter_name = arms(&|a| {
        let s = &a.setter;
        quote!(#s)
    });
    let index = {
        let arms = ir.auth.iter().enumerate().map(|(i, a)| {
            let v = variant(&a.variant);
            quote!(Scheme::#v => #i,)
        });
        quote!(match self { #(#arms)* })
    };
    let consts = ir.auth.iter().filter_map(|a| {
        let e = a.env.as_ref()?;
        let c = env_const(&a.setter);
        let doc = format!(" The environment variable [`Client::from_env`](crate::Client::from_env) reads the `{}` key from.", a.name);
        Some(quote!(#[doc = #doc] pub const #c: &str = #e;))
    });
    let setters = ir.auth.iter().map(|a| {
        let v = variant(&a.variant);
        let s = format_ident!("{}", a.setter);
        let place = match &a.location {
            AuthLocation::Bearer => "sent as `Authorization: Bearer …`".to_string(),
            AuthLocation::Header(h) => format!("sent in the `{h}` header"),
        };
        let mut doc = format!(" The key of the `{}` scheme, {place}, to the operations that accept it.", a.name);
        if let Some(e) = &a.env {
            doc.push_str(&format!(" [`Client::from_env`](crate::Client::from_env) reads it from `{e}`."));
        }
        quote! {
            #[doc = #doc]
            pub fn #s(self, key: impl Into<String>) -> Self {
                self.key(Scheme::#v, key)
            }
        }
    });
    quote! {
        //! Authentication: the API's schemes (the spec's `securitySchemes`), the
        //! [`ClientBuilder`](crate::ClientBuilder) method that sets each key, and the environment
        //! variables [`Client::from_env`](crate::Client::from_env) reads.

        /// An authentication scheme of the API. Each operation accepts some of them, in order; the
        /// first whose key the client has is sent.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Scheme {
            #(#variants)*
        }

        #(#consts)*

        impl Scheme {
            /// Every scheme, in the spec's order.
            pub const ALL: &'static [Scheme] = &[#(Scheme::#all),*];

            /// The scheme [`Client::new`](crate::Client::new) sets the key of: the first one the
            /// spec's top-level `security` names.
            pub const DEFAULT: Option<Scheme> = #default;

            /// The scheme's name in the spec.
            pub const fn name(self) -> &'static str {
                #name
            }

            /// The header the key is sent in (lower case).
            pub const fn header(self) -> &'static str {
                #header
            }

            /// What precedes the key in the header (`Bearer `).
            pub const fn prefix(self) -> &'static str {
                #prefix
            }

            /// The environment variable `Client::from_env` reads the key from, if any.
            pub const fn env(self) -> Option<&'static str> {
                #env
            }

            /// The [`ClientBuilder`](crate::ClientBuilder) method that sets the key.
            pub const fn setter(self) -> &'static str {
                #setter_name
            }

            pub(crate) const fn index(self) -> usize {
                #index
            }
        }

        impl crate::ClientBuilder {
            #(#setters)*
        }
    }
}

/// `api_key` → `API_KEY_ENV`.
fn env_const(setter: &str) -> proc_macro2::Ident {
    format_ident!("{}_ENV", setter.to_ascii_uppercase())
}
