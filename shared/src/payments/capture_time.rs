//! When the money was captured, by Razorpay's clock — not this delivery's: a webhook retried
//! hours later must not stretch the 24-hour full-refund window that starts at the capture.

/// When the money was captured, by Razorpay's clock: the event's time, else the payment's
/// creation, else now (an event without either).
pub fn capture_time(
    event_at: Option<i64>,
    payment_at: Option<i64>,
) -> chrono::DateTime<chrono::Utc> {
    event_at
        .or(payment_at)
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_time_wins_then_the_payment_time() {
        assert_eq!(
            capture_time(Some(1_700_000_000), Some(1_600_000_000)).timestamp(),
            1_700_000_000
        );
        assert_eq!(
            capture_time(None, Some(1_600_000_000)).timestamp(),
            1_600_000_000
        );
        let before = chrono::Utc::now().timestamp();
        assert!(capture_time(None, None).timestamp() >= before);
    }
}
