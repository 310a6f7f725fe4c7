//! Paging through list operations: the `pages()` and `items()` streams of the builders whose
//! operation the spec marks as paginated (`x-speakeasy-pagination`).
//!
//! Both streams are lazy: a page is requested when the previous one has been taken. They end
//! after the last page (no next cursor, or an empty page) or after the first error, which is
//! yielded. A server that sends back a cursor it already sent, or the same items again for a
//! new offset, would make them loop forever: that is an [`Error::Pagination`] instead.

// Only the groups with paginated lists use the paging functions; a crate built with other
// features compiles them unused.
#![allow(dead_code)]

use crate::runtime::error::Error;
use crate::runtime::http::Operation;
use futures::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use std::collections::HashSet;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The pages of a list operation, in order (see [`pages`](self)).
#[must_use = "streams do nothing unless polled"]
pub struct Pages<'c, P> {
    inner: BoxStream<'c, crate::Result<P>>,
}

/// The items of every page of a list operation, in order.
#[must_use = "streams do nothing unless polled"]
pub struct Items<'c, T> {
    inner: BoxStream<'c, crate::Result<T>>,
}

impl<P> Stream for Pages<'_, P> {
    type Item = crate::Result<P>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T> Stream for Items<'_, T> {
    type Item = crate::Result<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<P> std::fmt::Debug for Pages<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages")
    }
}

impl<T> std::fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Items")
    }
}

impl<'c, P: Send + 'c> Pages<'c, P> {
    /// Every item of every page, taken out of each page by `take`.
    pub(crate) fn items<T: Send + 'c>(self, take: fn(P) -> Vec<T>) -> Items<'c, T> {
        Items { inner: self.inner.map_ok(move |page| futures::stream::iter(take(page).into_iter().map(Ok))).try_flatten().boxed() }
    }
}

/// A response field that holds the page's items, whatever its presence.
pub trait PageItems<T> {
    fn count(&self) -> usize;
    fn into_items(self) -> Vec<T>;
}

impl<T> PageItems<T> for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }
    fn into_items(self) -> Vec<T> {
        self
    }
}

impl<T> PageItems<T> for Option<Vec<T>> {
    fn count(&self) -> usize {
        self.as_ref().map_or(0, Vec::len)
    }
    fn into_items(self) -> Vec<T> {
        self.unwrap_or_default()
    }
}

impl<T> PageItems<T> for crate::Nullable<Vec<T>> {
    fn count(&self) -> usize {
        self.as_option().map_or(0, Vec::len)
    }
    fn into_items(self) -> Vec<T> {
        self.into_option().unwrap_or_default()
    }
}

/// A response field that holds the next cursor, whatever its presence; empty is none.
pub trait PageCursor {
    fn cursor(&self) -> Option<&str>;
}

impl PageCursor for String {
    fn cursor(&self) -> Option<&str> {
        Some(self.as_str()).filter(|c| !c.is_empty())
    }
}

impl PageCursor for Option<String> {
    fn cursor(&self) -> Option<&str> {
        self.as_deref().filter(|c| !c.is_empty())
    }
}

impl PageCursor for crate::Nullable<String> {
    fn cursor(&self) -> Option<&str> {
        self.as_option().map(String::as_str).filter(|c| !c.is_empty())
    }
}

/// How a builder moves through a cursor-paged list: the accessors the generated code passes.
pub(crate) struct Cursor<B, P> {
    pub get: fn(&B) -> Option<String>,
    pub set: fn(&mut B, String),
    pub count: fn(&P) -> usize,
    pub next: fn(&P) -> Option<&str>,
}

/// The pages of a cursor-paged list, starting from the builder as it is (its cursor included).
pub(crate) fn cursor<'c, B, P>(op: &'static Operation, builder: B, at: Cursor<B, P>, send: fn(B) -> crate::Pending<'c, P>) -> Pages<'c, P>
where
    B: Clone + Send + 'c,
    P: Send + 'c,
{
    let mut seen = HashSet::new();
    seen.extend((at.get)(&builder));
    let state = Some((builder, seen));
    let inner = futures::stream::unfold(state, move |state| async move {
        let (mut builder, mut seen) = state?;
        let page = match send(builder.clone()).await {
            Ok(page) => page,
            Err(e) => return Some((vec![Err(e)], None)),
        };
        let next = match (at.next)(&page) {
            Some(next) if (at.count)(&page) > 0 => next.to_string(),
            _ => return Some((vec![Ok(page)], None)),
        };
        if !seen.insert(next.clone()) {
            let e = Error::Pagination { operation: op.name, message: format!("the server sent the cursor `{next}` a second time") };
            return Some((vec![Ok(page), Err(e)], None));
        }
        (at.set)(&mut builder, next);
        Some((vec![Ok(page)], Some((builder, seen))))
    })
    .flat_map(futures::stream::iter);
    Pages { inner: inner.boxed() }
}

/// How a builder moves through an offset-paged list.
pub(crate) struct Offset<B, P> {
    pub get: fn(&B) -> Option<u64>,
    pub set: fn(&mut B, u64),
    pub count: fn(&P) -> usize,
    /// Whether two pages hold the same items.
    pub same: fn(&P, &P) -> bool,
}

/// The pages of an offset-paged list, from the builder's offset (or 0), each next offset moved
/// by the items received.
pub(crate) fn offset<'c, B, P>(op: &'static Operation, builder: B, at: Offset<B, P>, send: fn(B) -> crate::Pending<'c, P>) -> Pages<'c, P>
where
    B: Clone + Send + 'c,
    P: Clone + Send + 'c,
{
    let start = (at.get)(&builder).unwrap_or(0);
    let state: Option<(B, u64, Option<P>)> = Some((builder, start, None));
    let inner = futures::stream::unfold(state, move |state| async move {
        let (mut builder, offset, previous) = state?;
        (at.set)(&mut builder, offset);
        let page = match send(builder.clone()).await {
            Ok(page) => page,
            Err(e) => return Some((vec![Err(e)], None)),
        };
        let n = (at.count)(&page);
        if n == 0 {
            return Some((vec![Ok(page)], None));
        }
        if previous.as_ref().is_some_and(|p| (at.same)(p, &page)) {
            let e = Error::Pagination { operation: op.name, message: format!("the page at offset {offset} holds the same items as the one before") };
            return Some((vec![Err(e)], None));
        }
        let next = offset.saturating_add(n as u64);
        Some((vec![Ok(page.clone())], Some((builder, next, Some(page)))))
    })
    .flat_map(futures::stream::iter);
    Pages { inner: inner.boxed() }
}
