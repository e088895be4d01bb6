//! SeamDB's benchmark support: the machine's own limits, shared by the harness binary and the
//! criterion benches.

pub mod heap;
pub mod machine;
pub mod queries;
pub mod tcp;
