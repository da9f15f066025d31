//! Which refund at Razorpay belongs to which attempt of a termination. A termination's first
//! attempt uses the termination id as its idempotency key (as before retries existed); attempt
//! `n > 1` uses `<termination id>_<n>` (Razorpay keys take letters, digits, `-` and `_`). Every
//! refund carries `notes.terminationId` and, from the second attempt on, `notes.attempt`, so a
//! refund found in Razorpay's list or in a webhook can be matched to the attempt that made it.
use crate::clients::razorpay::{note_str, Refund};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The `X-Refund-Idempotency` key of attempt `attempt` of termination `id`.
pub fn idempotency_key(id: Uuid, attempt: i32) -> String {
    if attempt <= 1 {
        id.to_string()
    } else {
        format!("{id}_{attempt}")
    }
}

/// The notes sent with the refund of this attempt. The same on every try of one attempt:
/// Razorpay refuses a reused key with a different body.
pub fn notes(id: Uuid, enrollment_id: Uuid, attempt: i32) -> Map<String, Value> {
    let mut notes = Map::new();
    notes.insert("terminationId".into(), Value::String(id.to_string()));
    notes.insert(
        "enrollmentId".into(),
        Value::String(enrollment_id.to_string()),
    );
    if attempt > 1 {
        notes.insert("attempt".into(), Value::String(attempt.to_string()));
    }
    notes
}

/// The attempt a refund says it belongs to (1 when it carries no `attempt` note), if it names
/// termination `id` at all.
pub fn attempt_of(refund: &Refund, id: Uuid) -> Option<i32> {
    attempt_in_notes(&refund.notes, id)
}

/// The same, from a refund's notes (a webhook's refund entity).
pub fn attempt_in_notes(notes: &Map<String, Value>, id: Uuid) -> Option<i32> {
    let named = note_str(notes, "terminationId").and_then(|s| Uuid::parse_str(s).ok());
    if named != Some(id) {
        return None;
    }
    Some(match notes.get("attempt") {
        None => 1,
        Some(v) => match v.as_i64() {
            Some(n) => i32::try_from(n).unwrap_or(0),
            None => note_str(notes, "attempt")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        },
    })
}

/// The refund in `refunds` made by the current attempt of termination `id`, or the one whose id
/// the termination already records.
pub fn current<'a>(
    id: Uuid,
    attempt: i32,
    known_refund_id: Option<&str>,
    refunds: &'a [Refund],
) -> Option<&'a Refund> {
    refunds
        .iter()
        .find(|r| attempt_of(r, id) == Some(attempt.max(1)))
        .or_else(|| known_refund_id.and_then(|rid| refunds.iter().find(|r| r.id == rid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(id: &str, notes: Value) -> Refund {
        serde_json::from_value(serde_json::json!({"id": id, "status": "processed", "notes": notes}))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn first_attempt_keeps_the_termination_id_as_key_and_later_ones_add_the_number() {
        let id = Uuid::nil();
        assert_eq!(idempotency_key(id, 1), id.to_string());
        assert_eq!(idempotency_key(id, 3), format!("{id}_3"));
        let k = idempotency_key(id, 12);
        assert!(k.len() >= 10);
        assert!(k
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert!(!notes(id, id, 1).contains_key("attempt"));
        assert_eq!(notes(id, id, 2)["attempt"], "2");
    }

    #[test]
    fn a_refund_is_matched_to_its_attempt_only() {
        let id = Uuid::new_v4();
        let other = Uuid::new_v4();
        let first = refund(
            "rfnd_1",
            serde_json::json!({"terminationId": id.to_string()}),
        );
        let second = refund(
            "rfnd_2",
            serde_json::json!({"terminationId": id.to_string(), "attempt": "2"}),
        );
        let foreign = refund(
            "rfnd_3",
            serde_json::json!({"terminationId": other.to_string()}),
        );
        let manual = refund("rfnd_4", serde_json::json!([]));
        assert_eq!(attempt_of(&first, id), Some(1));
        assert_eq!(attempt_of(&second, id), Some(2));
        assert_eq!(attempt_of(&foreign, id), None);
        assert_eq!(attempt_of(&manual, id), None);
        let all = [first, second, foreign, manual];
        assert_eq!(
            current(id, 1, None, &all).map(|r| r.id.as_str()),
            Some("rfnd_1")
        );
        assert_eq!(
            current(id, 2, None, &all).map(|r| r.id.as_str()),
            Some("rfnd_2")
        );
        assert_eq!(current(id, 3, None, &all).map(|r| r.id.as_str()), None);
        assert_eq!(
            current(id, 3, Some("rfnd_4"), &all).map(|r| r.id.as_str()),
            Some("rfnd_4")
        );
    }
}
