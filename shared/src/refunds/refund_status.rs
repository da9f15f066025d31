//! A refund's status is a forward-only state machine: pending → processing → completed |
//! failed. Which moves are allowed, and how Razorpay's statuses map onto ours.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RefundStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Processing => "processing",
            RefundStatus::Completed => "completed",
            RefundStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => RefundStatus::Pending,
            "processing" => RefundStatus::Processing,
            "completed" => RefundStatus::Completed,
            "failed" => RefundStatus::Failed,
            _ => return None,
        })
    }
    /// The states a move to `self` may start from: the machine only goes forward.
    pub fn allowed_from(self) -> &'static [&'static str] {
        match self {
            RefundStatus::Pending => &[],
            RefundStatus::Processing => &["pending"],
            RefundStatus::Completed | RefundStatus::Failed => &["pending", "processing"],
        }
    }
    pub fn is_terminal(self) -> bool {
        matches!(self, RefundStatus::Completed | RefundStatus::Failed)
    }
}

/// Razorpay's refund status mapped onto ours. Unknown statuses are treated as in flight.
pub fn status_from_gateway(status: &str) -> RefundStatus {
    match status {
        "processed" => RefundStatus::Completed,
        "failed" => RefundStatus::Failed,
        _ => RefundStatus::Processing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_only_forward() {
        for (to, from) in [
            (RefundStatus::Pending, "pending"),
            (RefundStatus::Processing, "processing"),
            (RefundStatus::Processing, "completed"),
            (RefundStatus::Pending, "failed"),
            (RefundStatus::Completed, "failed"),
            (RefundStatus::Failed, "completed"),
        ] {
            assert!(
                !to.allowed_from().contains(&from),
                "{from} -> {}",
                to.as_str()
            );
        }
        assert!(RefundStatus::Processing.allowed_from().contains(&"pending"));
        assert!(RefundStatus::Completed
            .allowed_from()
            .contains(&"processing"));
        assert!(RefundStatus::Failed.allowed_from().contains(&"pending"));
    }

    #[test]
    fn names_round_trip_and_terminal_states_end() {
        for s in [
            RefundStatus::Pending,
            RefundStatus::Processing,
            RefundStatus::Completed,
            RefundStatus::Failed,
        ] {
            assert_eq!(RefundStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RefundStatus::parse("refunded"), None);
        assert!(RefundStatus::Completed.is_terminal() && RefundStatus::Failed.is_terminal());
        assert!(!RefundStatus::Pending.is_terminal() && !RefundStatus::Processing.is_terminal());
    }

    #[test]
    fn gateway_statuses_map_and_unknown_ones_stay_in_flight() {
        assert_eq!(status_from_gateway("processed"), RefundStatus::Completed);
        assert_eq!(status_from_gateway("failed"), RefundStatus::Failed);
        assert_eq!(status_from_gateway("pending"), RefundStatus::Processing);
        assert_eq!(status_from_gateway("created"), RefundStatus::Processing);
    }
}
