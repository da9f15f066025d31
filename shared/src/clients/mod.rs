//! Clients of what runs outside this code: PostgreSQL (`db`, with `tls`), Razorpay, WhatsApp and
//! SES email (`channels`), Google Calendar (`google`) and the AWS SDK clients (`aws`). They know
//! nothing of the capabilities that use them.
pub mod aws;
pub mod channels;
pub mod db;
pub mod google;
pub mod razorpay;
pub mod tls;
