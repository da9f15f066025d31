//! Whether a session may be moved at all (gap 6), before any slot is looked at. The codes are the
//! API's 409 codes, checked in this order.
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Completed, cancelled or missed, no time on record, or its enrollment is not active.
    NotReschedulable,
    /// It starts within the notice, or is past.
    TooLate,
    /// The enrollment has used all its reschedules.
    LimitReached,
    /// The new time fails the slot rule.
    SlotUnavailable,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotReschedulable => "not_reschedulable",
            Refusal::TooLate => "too_late",
            Refusal::LimitReached => "reschedule_limit_reached",
            Refusal::SlotUnavailable => "slot_unavailable",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotReschedulable => "this session cannot be rescheduled",
            Refusal::TooLate => "this session starts too soon to be rescheduled",
            Refusal::LimitReached => "this enrollment has used all its reschedules",
            Refusal::SlotUnavailable => "that time is not available",
        }
    }
}

/// What the rule reads of a session and its enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: String,
    pub enrollment_status: Option<String>,
    pub scheduled_time: Option<DateTime<Utc>>,
    pub reschedules_used: i32,
    pub max_reschedules: i32,
}

pub const MOVABLE: [&str; 2] = ["scheduled", "pending"];

pub fn check(s: &State, now: DateTime<Utc>, notice: Duration) -> Result<(), Refusal> {
    let Some(at) = s.scheduled_time else {
        return Err(Refusal::NotReschedulable);
    };
    if !MOVABLE.contains(&s.status.as_str()) || s.enrollment_status.as_deref() != Some("active") {
        return Err(Refusal::NotReschedulable);
    }
    if at < now + notice {
        return Err(Refusal::TooLate);
    }
    if s.reschedules_used >= s.max_reschedules {
        return Err(Refusal::LimitReached);
    }
    Ok(())
}

/// How many reschedules are left after `used` of `max`.
pub fn left(used: i32, max: i32) -> i32 {
    (max - used).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            status: "scheduled".into(),
            enrollment_status: Some("active".into()),
            scheduled_time: Some(now() + Duration::days(3)),
            reschedules_used: 0,
            max_reschedules: 2,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn refusals_in_order() {
        let notice = Duration::hours(24);
        assert_eq!(check(&state(), now(), notice), Ok(()));
        for status in ["completed", "cancelled", "missed"] {
            let s = State {
                status: status.into(),
                ..state()
            };
            assert_eq!(
                check(&s, now(), notice),
                Err(Refusal::NotReschedulable),
                "{status}"
            );
        }
        let s = State {
            enrollment_status: Some("terminated".into()),
            ..state()
        };
        assert_eq!(check(&s, now(), notice), Err(Refusal::NotReschedulable));
        let s = State {
            scheduled_time: None,
            ..state()
        };
        assert_eq!(check(&s, now(), notice), Err(Refusal::NotReschedulable));
        // Exactly the notice away is still allowed; a second less is too late; the past too.
        let s = State {
            scheduled_time: Some(now() + notice),
            ..state()
        };
        assert_eq!(check(&s, now(), notice), Ok(()));
        let s = State {
            scheduled_time: Some(now() + notice - Duration::seconds(1)),
            ..state()
        };
        assert_eq!(check(&s, now(), notice), Err(Refusal::TooLate));
        let s = State {
            scheduled_time: Some(now() - Duration::days(1)),
            reschedules_used: 2,
            ..state()
        };
        assert_eq!(
            check(&s, now(), notice),
            Err(Refusal::TooLate),
            "too late before the limit"
        );
        let s = State {
            reschedules_used: 2,
            ..state()
        };
        assert_eq!(check(&s, now(), notice), Err(Refusal::LimitReached));
        assert_eq!(left(1, 2), 1);
        assert_eq!(left(3, 2), 0);
    }
}
