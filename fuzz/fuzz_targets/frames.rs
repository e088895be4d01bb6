//! The server's frame decoder and message parsers on arbitrary bytes: every input is a
//! frame, a request for more bytes, or an error — never a panic or an allocation beyond the
//! limit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seamdb_server::frame::Frame;
use seamdb_server::protocol::{Reply, Request};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((frame, used))) = Frame::decode(rest, 1 << 16) {
        let _ = Request::from_frame(&frame);
        let _ = Reply::from_frame(&frame);
        rest = &rest[used..];
    }
    let _ = Frame::read_from(&mut &data[..], 1 << 16);
});
