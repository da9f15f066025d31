//! YesToryd platform backend: the code every Lambda function shares, in one direction.
//!
//! - `functions` lists every function (the only module that names every capability);
//! - each capability (`refunds`, `payments`, `webhooks`, …) declares its functions in its
//!   `mod.rs` and holds its handlers, its service, its pure rules and its store;
//! - `runtime` is what a function runs on (definitions, needs, typed settings, the context, the
//!   Lambda runners, the HTTP edge, auth, idempotency, the outbox);
//! - `clients` talk to what is outside (PostgreSQL, Razorpay, WhatsApp, Google Calendar, AWS);
//! - `common` holds pure helpers (rupees, IST days, spreadsheet rows);
//! - `migrations` applies and checks the schema.
//!
//! Imports point down that list: a capability uses another only through its `service`, and
//! `runtime`, `clients` and `common` import no capability (`scripts/module-graph.py` checks it).
pub mod clients;
pub mod common;
pub mod dashboard;
pub mod discovery;
pub mod elearning;
pub mod functions;
pub mod leads;
pub mod matching;
pub mod migrations;
pub mod notifications;
pub mod payments;
pub mod payouts;
pub mod refunds;
pub mod runtime;
pub mod scheduling;
pub mod webhooks;
