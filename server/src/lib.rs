//! `seamdb-server`: SeamDB over TCP (SPEC §6). [`frame`] is the wire unit, [`protocol`] the
//! requests and replies inside frames (docs/PROTOCOL.md), [`server`] serves a database and
//! [`client`] talks to it.

pub mod client;
pub mod frame;
pub mod protocol;
pub mod server;

pub use client::{Client, ClientError};
pub use server::{Config, Server, Stopper};
