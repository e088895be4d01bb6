//! `seamdb-server`: SeamDB over TCP (SPEC §6). [`frame`] is the wire unit, [`protocol`] the
//! requests and replies inside frames (docs/PROTOCOL.md), [`server`] serves a database and
//! [`client`] talks to it. [`Error`] is what any of them can fail with.

pub mod client;
mod error;
pub mod frame;
mod metrics;
pub mod protocol;
pub mod server;

pub use client::Client;
pub use error::{Error, Result};
pub use server::{Config, Server, Stopper};
