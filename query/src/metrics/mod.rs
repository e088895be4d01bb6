//! The metric functions of SPEC §4 as plain functions over one group's non-null values. The
//! executor collects a group's inputs (dropping nulls, as every function does) and calls
//! these; each follows its SPEC definition to the letter, including when it is undefined
//! (`None`, printed as null).

pub mod classification;
pub mod distribution;
pub mod drift;
pub mod regression;
