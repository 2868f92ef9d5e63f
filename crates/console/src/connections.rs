//! Who holds the console's connections. The accept loop accepts every
//! connection at once (a slot taken before `accept` let idle sockets keep
//! token holders waiting in the backlog) and admits it here:
//! - at most [`ConnectionLimits::per_address`] from one client address (an
//!   IPv6 client: its /64, which one host usually holds whole); past it
//!   the new connection is closed at once;
//! - a connection is *unauthenticated* until one of its requests passes the
//!   token check ([`trust`], called by `auth`; on a console without a token
//!   any request that reaches a route counts). Those are idle sockets and
//!   clients still sending their headers: at most
//!   [`ConnectionLimits::unauthenticated`] of them are kept, and when that
//!   pool is full, or [`ConnectionLimits::total`] is reached, the oldest is
//!   dropped to make room for the new one. So a socket that sends nothing
//!   never holds a place a token-bearing request needs;
//! - when every connection is a token holder's and the total is reached, the
//!   new one is closed.
//!
//! The router learns its connection through [`ConnectionTrust`] in each
//! request's extensions (the accept loop puts it there). Drops are logged
//! (`action = "console_connection"`), at most one line a second with the
//! count since the last, so a flood does not rotate the log away.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::Request;
use tokio_util::sync::CancellationToken;

/// How many connections are kept, and of which kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub(crate) total: usize,
    pub(crate) per_address: usize,
    pub(crate) unauthenticated: usize,
}

impl ConnectionLimits {
    pub(crate) const DEFAULT: Self = Self {
        total: crate::MAX_CONNECTIONS,
        per_address: crate::MAX_CONNECTIONS_PER_ADDRESS,
        unauthenticated: crate::MAX_UNAUTHENTICATED_CONNECTIONS,
    };
}

/// The address a client's connections are counted under: IPv4 as it is
/// (an IPv4-mapped IPv6 address as its IPv4), IPv6 by its /64.
fn client_key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

#[derive(Debug)]
struct Entry {
    client: IpAddr,
    /// Cancelled when the connection is dropped for a newer one.
    dropped: CancellationToken,
}

/// Why a connection was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DropReason {
    /// The new connection: its address holds as many as it may.
    TooManyFromAddress,
    /// The new connection: every connection is a token holder's.
    Full,
    /// The oldest unauthenticated connection, for the new one.
    OldestUnauthenticated,
}

impl DropReason {
    fn code(self) -> &'static str {
        match self {
            Self::TooManyFromAddress => "too_many_from_address",
            Self::Full => "connections_full",
            Self::OldestUnauthenticated => "unauthenticated_evicted",
        }
    }
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    entries: HashMap<u64, Entry>,
    per_client: HashMap<IpAddr, usize>,
    /// The unauthenticated connections' ids, oldest first (ids grow).
    unauthenticated: BTreeSet<u64>,
    /// Drops not yet logged, and when the last line was written.
    unlogged_drops: u64,
    last_logged: Option<Instant>,
}

impl Table {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        self.unauthenticated.remove(&id);
        if let Some(count) = self.per_client.get_mut(&entry.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_client.remove(&entry.client);
            }
        }
        Some(entry)
    }

    /// Drops the oldest unauthenticated connection; whether there was one.
    fn drop_oldest_unauthenticated(&mut self) -> bool {
        let Some(&oldest) = self.unauthenticated.first() else {
            return false;
        };
        if let Some(entry) = self.remove(oldest) {
            entry.dropped.cancel();
        }
        true
    }

    /// Counts a drop; the number to log when a line is due.
    fn note_drop(&mut self) -> Option<u64> {
        self.unlogged_drops += 1;
        let due = self
            .last_logged
            .is_none_or(|last| last.elapsed() >= Duration::from_secs(1));
        if !due {
            return None;
        }
        self.last_logged = Some(Instant::now());
        Some(std::mem::take(&mut self.unlogged_drops))
    }
}

/// Every open connection of one listener.
#[derive(Debug)]
pub(crate) struct Connections {
    limits: ConnectionLimits,
    table: Mutex<Table>,
}

/// An admitted connection: its place is given back when it is dropped.
#[derive(Debug)]
pub(crate) struct Connection {
    id: u64,
    connections: Arc<Connections>,
    dropped: CancellationToken,
}

/// What the router gets to vouch for its request's connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionTrust {
    id: u64,
    connections: Arc<Connections>,
}

impl Connections {
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            table: Mutex::new(Table::default()),
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a new connection from `peer` (unauthenticated, the
    /// newest), the oldest unauthenticated one dropped if need be; `None`:
    /// close it at once.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Connection> {
        let client = client_key(peer);
        let limits = self.limits;
        let mut table = self.table();
        let mut dropped = Vec::new();
        let outcome = if table.per_client.get(&client).copied().unwrap_or(0) >= limits.per_address {
            dropped.push(DropReason::TooManyFromAddress);
            None
        } else {
            while table.unauthenticated.len() >= limits.unauthenticated
                && table.drop_oldest_unauthenticated()
            {
                dropped.push(DropReason::OldestUnauthenticated);
            }
            while table.entries.len() >= limits.total && table.drop_oldest_unauthenticated() {
                dropped.push(DropReason::OldestUnauthenticated);
            }
            if table.entries.len() >= limits.total || limits.unauthenticated == 0 {
                dropped.push(DropReason::Full);
                None
            } else {
                let id = table.next_id;
                table.next_id += 1;
                let token = CancellationToken::new();
                table.entries.insert(
                    id,
                    Entry {
                        client,
                        dropped: token.clone(),
                    },
                );
                *table.per_client.entry(client).or_insert(0) += 1;
                table.unauthenticated.insert(id);
                Some(Connection {
                    id,
                    connections: Arc::clone(self),
                    dropped: token,
                })
            }
        };
        let log: Vec<(DropReason, u64)> = dropped
            .into_iter()
            .filter_map(|reason| table.note_drop().map(|count| (reason, count)))
            .collect();
        drop(table);
        for (reason, count) in log {
            tracing::warn!(
                action = "console_connection",
                status = "dropped",
                error = reason.code(),
                peer = %peer,
                dropped = count,
            );
        }
        outcome
    }

    fn trust(&self, id: u64) {
        self.table().unauthenticated.remove(&id);
    }

    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let table = self.table();
        (table.entries.len(), table.unauthenticated.len())
    }
}

impl Connection {
    /// Cancelled when this connection was dropped to make room for another.
    pub(crate) fn dropped(&self) -> CancellationToken {
        self.dropped.clone()
    }

    /// For the connection's requests' extensions.
    pub(crate) fn trust_handle(&self) -> ConnectionTrust {
        ConnectionTrust {
            id: self.id,
            connections: Arc::clone(&self.connections),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.connections.table().remove(self.id);
    }
}

impl ConnectionTrust {
    /// The connection is a token holder's (or the console has no token):
    /// it is no longer dropped for newer ones.
    pub(crate) fn trust(&self) {
        self.connections.trust(self.id);
    }
}

/// Vouches for `request`'s connection, if it came through the accept loop.
pub(crate) fn trust(request: &Request) {
    if let Some(trust) = request.extensions().get::<ConnectionTrust>() {
        trust.trust();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ConnectionLimits = ConnectionLimits {
        total: 4,
        per_address: 3,
        unauthenticated: 2,
    };

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn the_oldest_unauthenticated_connection_makes_room() {
        let pool = Connections::new(LIMITS);
        let first = pool.admit(ip(2)).expect("admitted");
        let second = pool.admit(ip(3)).expect("admitted");
        let third = pool.admit(ip(4)).expect("admitted");
        assert!(first.dropped().is_cancelled(), "the oldest made room");
        assert!(!second.dropped().is_cancelled());
        assert!(!third.dropped().is_cancelled());
        assert_eq!(pool.counts(), (2, 2));
        // Dropping the evicted one gives back nothing twice.
        drop(first);
        assert_eq!(pool.counts(), (2, 2));
    }

    #[test]
    fn a_trusted_connection_is_never_dropped_for_a_newer_one() {
        let pool = Connections::new(LIMITS);
        let trusted: Vec<Connection> = (0..3)
            .map(|_| {
                let connection = pool.admit(ip(1)).expect("admitted");
                connection.trust_handle().trust();
                connection
            })
            .collect();
        // One place left of the total: the unauthenticated take turns in it.
        let a = pool.admit(ip(2)).expect("admitted");
        let b = pool.admit(ip(3)).expect("admitted");
        assert!(a.dropped().is_cancelled());
        assert!(!b.dropped().is_cancelled());
        assert!(trusted.iter().all(|c| !c.dropped().is_cancelled()));
        b.trust_handle().trust();
        // Every place is a token holder's: the new one is closed.
        assert!(pool.admit(ip(5)).is_none());
        drop(b);
        assert!(pool.admit(ip(5)).is_some());
    }

    #[test]
    fn one_address_holds_only_so_many() {
        let pool = Connections::new(ConnectionLimits {
            total: 10,
            per_address: 2,
            unauthenticated: 10,
        });
        let held: Vec<Connection> = (0..2)
            .map(|_| pool.admit(ip(2)).expect("admitted"))
            .collect();
        assert!(pool.admit(ip(2)).is_none(), "past the bound: closed");
        assert!(held.iter().all(|c| !c.dropped().is_cancelled()));
        assert!(pool.admit(ip(3)).is_some(), "another address is served");
        drop(held);
        assert!(pool.admit(ip(2)).is_some(), "places given back");
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(client_key(mapped), IpAddr::from([10, 0, 0, 1]));
    }
}
