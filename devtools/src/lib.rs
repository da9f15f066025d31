//! Development and test tooling: the local API server, a local Razorpay, an embedded Postgres
//! cluster, demo data and fresh test databases. Never linked into a Lambda binary.
pub mod demo;
pub mod pg;
pub mod razorpay_sim;
pub mod s3;
pub mod server;
pub mod stats;
pub mod testdb;
pub mod wirecount;
