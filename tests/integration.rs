//! The integration suite, one test binary: every file beside this one but `aws_client.rs` and
//! `cold_start.rs` (those set the process's environment, so each keeps a process of its own).
//! One binary links the whole dependency tree once instead of once per file: 17 test binaries
//! of ~85 MB each (debug) were most of the test command's disk and link time.
//! `cargo test --test integration refunds::` runs one file's tests.
mod support;

mod auth_matrix;
mod dashboard;
mod discovery;
mod elearning;
mod jwks;
mod lead_scoring;
mod load;
mod matching;
mod migrations;
mod notifications;
mod openapi;
mod payouts;
mod refunds;
mod roundtrips;
mod scheduling;
mod template;
mod webhooks;
