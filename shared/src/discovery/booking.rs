//! The rule that turns Cal.com booking events, arriving in any order and any number of times,
//! into one call's state: the end state is the one of the events applied in Cal.com's
//! `createdAt` order (ties: created < rescheduled < cancelled < ended / no-show). Each part of the
//! state remembers which event set it — (createdAt, rank) — and an older event changes none of
//! it; what an event only describes (the parent, the child) fills what is still empty.
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// An event's place in Cal.com's order.
pub type Stamp = (DateTime<Utc>, i32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Created,
    Rescheduled,
    /// `request_reschedule`: the organiser asked the booker to pick another time — not a
    /// cancellation (the status stays; the times are cleared until the new booking arrives).
    Cancelled {
        request_reschedule: bool,
    },
    Ended,
    NoShow,
}

impl Kind {
    pub fn from_trigger(
        trigger: &str,
        request_reschedule: bool,
        reschedule_uid: bool,
    ) -> Option<Kind> {
        Some(match trigger {
            "BOOKING_CREATED" if reschedule_uid => Kind::Rescheduled,
            "BOOKING_CREATED" => Kind::Created,
            "BOOKING_RESCHEDULED" => Kind::Rescheduled,
            "BOOKING_CANCELLED" => Kind::Cancelled { request_reschedule },
            "MEETING_ENDED" => Kind::Ended,
            "BOOKING_NO_SHOW_UPDATED" => Kind::NoShow,
            _ => return None,
        })
    }

    pub fn rank(self) -> i32 {
        match self {
            Kind::Created => 0,
            Kind::Rescheduled => 1,
            Kind::Cancelled { .. } => 2,
            Kind::Ended | Kind::NoShow => 3,
        }
    }

    fn status(self) -> Option<Status> {
        match self {
            Kind::Created => Some(Status::Scheduled),
            Kind::Rescheduled => Some(Status::Rescheduled),
            Kind::Cancelled {
                request_reschedule: false,
            } => Some(Status::Cancelled),
            Kind::Cancelled {
                request_reschedule: true,
            } => None,
            Kind::Ended => Some(Status::Completed),
            Kind::NoShow => Some(Status::NoShow),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Scheduled,
    Rescheduled,
    Cancelled,
    Completed,
    NoShow,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Rescheduled => "rescheduled",
            Status::Cancelled => "cancelled",
            Status::Completed => "completed",
            Status::NoShow => "no_show",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "scheduled" => Status::Scheduled,
            "rescheduled" => Status::Rescheduled,
            "cancelled" => Status::Cancelled,
            "completed" => Status::Completed,
            "no_show" => Status::NoShow,
            _ => return None,
        })
    }
    fn is_final(self) -> bool {
        matches!(self, Status::Cancelled | Status::Completed | Status::NoShow)
    }
}

/// What one event says about the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub kind: Kind,
    pub stamp: Stamp,
    /// The booking this event is about (for a reschedule: the new one).
    pub uid: String,
    /// For a reschedule: the booking it replaces.
    pub reschedule_uid: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub parent_email: Option<String>,
    pub parent_name: Option<String>,
    pub parent_phone: Option<String>,
    pub parent_timezone: Option<String>,
    pub child_name: Option<String>,
    pub child_age: Option<i32>,
    pub metadata_child_id: Option<Uuid>,
}

/// A call as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Call {
    pub uid: String,
    pub previous_uids: Vec<String>,
    pub status: Option<Status>,
    pub status_at: Option<Stamp>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub times_at: Option<Stamp>,
    pub uid_at: Option<DateTime<Utc>>,
    pub parent_email: Option<String>,
    pub parent_name: Option<String>,
    pub parent_phone: Option<String>,
    pub parent_timezone: Option<String>,
    pub child_name: Option<String>,
    pub child_age: Option<i32>,
    pub metadata_child_id: Option<Uuid>,
}

fn newer(stamp: Stamp, than: Option<Stamp>) -> bool {
    than.is_none_or(|t| stamp > t)
}

/// Applies one event to the call (`None`: no row knows any of its uids yet).
pub fn apply(call: Option<Call>, b: &Booking) -> Call {
    let mut c = call.unwrap_or_else(|| Call {
        uid: b.uid.clone(),
        ..Call::default()
    });
    // Identity: the uid a created or rescheduled event introduces is current when that event is
    // the newest such; every other uid seen is an earlier one.
    let mut seen: Vec<String> = vec![b.uid.clone()];
    seen.extend(b.reschedule_uid.iter().cloned());
    let introduces = matches!(b.kind, Kind::Created | Kind::Rescheduled);
    if introduces && c.uid_at.is_none_or(|t| b.stamp.0 > t) {
        seen.push(std::mem::replace(&mut c.uid, b.uid.clone()));
        c.uid_at = Some(b.stamp.0);
    }
    for u in seen {
        if !c.previous_uids.contains(&u) {
            c.previous_uids.push(u);
        }
    }
    let current = c.uid.clone();
    c.previous_uids.retain(|u| *u != current);
    c.previous_uids.sort();

    // Status: the newest event's, except that a final state only yields to a later reschedule.
    if let Some(status) = b.kind.status() {
        if newer(b.stamp, c.status_at) {
            let blocked = c.status.is_some_and(Status::is_final) && b.kind != Kind::Rescheduled;
            if !blocked {
                c.status = Some(status);
                c.status_at = Some(b.stamp);
            }
        }
    }

    // Times: from the newest event that sets them; a reschedule request clears them.
    let sets_times = match b.kind {
        Kind::Created | Kind::Rescheduled => b.start.is_some(),
        Kind::Cancelled {
            request_reschedule: true,
        } => true,
        _ => false,
    };
    if sets_times && newer(b.stamp, c.times_at) {
        let clear = matches!(
            b.kind,
            Kind::Cancelled {
                request_reschedule: true
            }
        );
        c.scheduled_at = if clear { None } else { b.start };
        c.ends_at = if clear { None } else { b.end };
        c.times_at = Some(b.stamp);
    }
    // An event that creates the row from a cancellation still says when the call was.
    if c.times_at.is_none() && c.scheduled_at.is_none() {
        c.scheduled_at = b.start;
        c.ends_at = b.end;
    }

    // What the events describe: first known wins.
    fill(&mut c.parent_email, &b.parent_email);
    fill(&mut c.parent_name, &b.parent_name);
    fill(&mut c.parent_phone, &b.parent_phone);
    fill(&mut c.parent_timezone, &b.parent_timezone);
    fill(&mut c.child_name, &b.child_name);
    if c.child_age.is_none() {
        c.child_age = b.child_age;
    }
    if c.metadata_child_id.is_none() {
        c.metadata_child_id = b.metadata_child_id;
    }
    c
}

/// The call a set of events makes: applied in Cal.com's order (createdAt, then rank, then uid
/// so that equal stamps are ordered the same way every time).
pub fn replay(mut bookings: Vec<Booking>) -> Option<Call> {
    bookings.sort_by(|a, b| a.stamp.cmp(&b.stamp).then_with(|| a.uid.cmp(&b.uid)));
    bookings.dedup();
    bookings.iter().fold(None, |call, b| Some(apply(call, b)))
}

fn fill(slot: &mut Option<String>, value: &Option<String>) {
    if slot.is_none() {
        slot.clone_from(value);
    }
}

/// Cal.com's webhook body: `{triggerEvent, createdAt, payload}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalEvent {
    #[serde(default)]
    pub trigger_event: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub payload: Map<String, Value>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => text(o.get("value")),
        _ => None,
    }
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    text(v).and_then(|s| {
        DateTime::parse_from_rfc3339(&s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

impl CalEvent {
    /// The booking uid the event is about: `payload.uid`, else `payload.bookingUid`.
    pub fn uid(&self) -> Option<String> {
        text(self.payload.get("uid")).or_else(|| text(self.payload.get("bookingUid")))
    }

    /// `<triggerEvent>:<uid>:<createdAt>`: one delivery, however many times it comes.
    pub fn event_id(&self) -> String {
        format!(
            "{}:{}:{}",
            self.trigger_event,
            self.uid().unwrap_or_default(),
            self.created_at.as_deref().unwrap_or_default()
        )
    }

    /// What the event says of the call, when it is a booking event with a uid and a time.
    pub fn booking(&self) -> Option<Booking> {
        let p = &self.payload;
        let reschedule_uid = text(p.get("rescheduleUid"));
        let request_reschedule = p.get("requestReschedule").and_then(Value::as_bool) == Some(true);
        let kind = Kind::from_trigger(
            &self.trigger_event,
            request_reschedule,
            reschedule_uid.is_some(),
        )?;
        let created = self
            .created_at
            .as_deref()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())?
            .with_timezone(&Utc);
        let attendee = p
            .get("attendees")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned()
            .unwrap_or(Value::Null);
        let responses = p.get("responses").cloned().unwrap_or(Value::Null);
        let answer = |keys: &[&str]| keys.iter().find_map(|k| text(responses.get(*k)));
        let child_age = answer(&["childAge", "child_age"])
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|a| (0.0..=25.0).contains(a))
            .map(|a| a as i32);
        Some(Booking {
            kind,
            stamp: (created, kind.rank()),
            uid: self.uid()?,
            reschedule_uid,
            start: time(p.get("startTime")),
            end: time(p.get("endTime")),
            parent_email: text(attendee.get("email")).map(|e| e.to_lowercase()),
            parent_name: text(attendee.get("name")),
            parent_phone: answer(&["attendeePhoneNumber", "phone"])
                .or_else(|| text(attendee.get("phoneNumber"))),
            parent_timezone: text(attendee.get("timeZone")),
            child_name: answer(&["childName", "child_name"]),
            child_age,
            metadata_child_id: p
                .get("metadata")
                .and_then(|m| text(m.get("childId")))
                .and_then(|s| Uuid::parse_str(&s).ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(trigger: &str, at: &str, payload: Value) -> Booking {
        let e: CalEvent = serde_json::from_value(
            json!({"triggerEvent": trigger, "createdAt": at, "payload": payload}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        e.booking()
            .unwrap_or_else(|| panic!("not a booking: {trigger}"))
    }

    fn story() -> Vec<Booking> {
        vec![
            event(
                "BOOKING_CREATED",
                "2026-11-20T10:00:00Z",
                json!({"uid": "u1", "startTime": "2026-11-27T10:00:00Z", "endTime": "2026-11-27T10:30:00Z",
                       "attendees": [{"email": "Meera@Example.com ", "name": "Meera", "timeZone": "Asia/Kolkata"}],
                       "responses": {"childName": {"label": "Child's name", "value": " Kabir "}, "childAge": {"value": "7"},
                                     "attendeePhoneNumber": {"value": "+91 98111 11111"}}}),
            ),
            event(
                "BOOKING_RESCHEDULED",
                "2026-11-21T10:00:00Z",
                json!({"uid": "u2", "rescheduleUid": "u1", "startTime": "2026-11-28T11:00:00Z", "endTime": "2026-11-28T11:30:00Z",
                       "attendees": [{"email": "meera@example.com", "name": "Meera"}]}),
            ),
            event(
                "BOOKING_CANCELLED",
                "2026-11-22T10:00:00Z",
                json!({"uid": "u2", "startTime": "2026-11-28T11:00:00Z", "endTime": "2026-11-28T11:30:00Z"}),
            ),
        ]
    }

    fn run(order: &[usize]) -> Call {
        let events = story();
        let mut call: Option<Call> = None;
        for &i in order {
            call = Some(apply(call, &events[i]));
        }
        call.unwrap_or_default()
    }

    #[test]
    fn every_order_of_created_rescheduled_cancelled_ends_where_the_in_order_pass_ends() {
        let want = run(&[0, 1, 2]);
        assert_eq!(want.uid, "u2");
        assert_eq!(want.previous_uids, vec!["u1"]);
        assert_eq!(want.status, Some(Status::Cancelled));
        assert_eq!(
            want.scheduled_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-28T11:00:00+00:00")
        );
        assert_eq!(want.parent_email.as_deref(), Some("meera@example.com"));
        assert_eq!(want.child_name.as_deref(), Some("Kabir"));
        assert_eq!(want.child_age, Some(7));
        assert_eq!(want.parent_phone.as_deref(), Some("+91 98111 11111"));
        for order in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            let got = run(&order);
            assert_eq!(
                (
                    &got.uid,
                    &got.previous_uids,
                    got.status,
                    got.scheduled_at,
                    got.ends_at,
                    &got.parent_email,
                    &got.child_name
                ),
                (
                    &want.uid,
                    &want.previous_uids,
                    want.status,
                    want.scheduled_at,
                    want.ends_at,
                    &want.parent_email,
                    &want.child_name
                ),
                "order {order:?}"
            );
        }
        // Twice the same events: nothing more.
        assert_eq!(run(&[0, 1, 2, 2, 1, 0]).status, Some(Status::Cancelled));
        // Replaying any delivery order gives the in-order call exactly.
        let events = story();
        for order in [[2, 1, 0], [1, 2, 0], [0, 2, 1]] {
            let got = replay(order.iter().map(|&i| events[i].clone()).collect());
            assert_eq!(got.as_ref(), Some(&want), "replay {order:?}");
        }
    }

    #[test]
    fn a_reschedule_request_is_not_a_cancellation_and_a_late_create_does_not_revive() {
        let events = story();
        let asked = event(
            "BOOKING_CANCELLED",
            "2026-11-20T12:00:00Z",
            json!({"uid": "u1", "requestReschedule": true, "startTime": "2026-11-27T10:00:00Z"}),
        );
        let c = apply(Some(apply(None, &events[0])), &asked);
        assert_eq!(c.status, Some(Status::Scheduled));
        assert_eq!(c.scheduled_at, None);
        // A cancel first, its create late: the call stays cancelled.
        let cancel = event(
            "BOOKING_CANCELLED",
            "2026-11-20T12:00:00Z",
            json!({"uid": "u1"}),
        );
        let c = apply(Some(apply(None, &cancel)), &events[0]);
        assert_eq!(c.status, Some(Status::Cancelled));
        assert_eq!(c.child_name.as_deref(), Some("Kabir"));
        // A later reschedule revives a cancelled call; an ended call stays completed otherwise.
        let ended = event(
            "MEETING_ENDED",
            "2026-11-27T10:31:00Z",
            json!({"uid": "u1"}),
        );
        let c = apply(Some(apply(None, &events[0])), &ended);
        assert_eq!(c.status, Some(Status::Completed));
    }

    #[test]
    fn ids_kinds_and_answers_are_read_as_cal_com_sends_them() {
        let e: CalEvent = serde_json::from_value(json!({"triggerEvent": "BOOKING_CREATED", "createdAt": "2026-11-20T10:00:00.000Z",
            "payload": {"bookingUid": "b9", "rescheduleUid": "b8", "responses": {"child_age": 6, "phone": "9811111111"},
                        "attendees": [{"email": "a@b.c", "phoneNumber": "+919800000000"}], "metadata": {"childId": "00000000-0000-4000-8000-0000000000d1"}}}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.event_id(), "BOOKING_CREATED:b9:2026-11-20T10:00:00.000Z");
        let b = e.booking().unwrap_or_else(|| panic!("booking"));
        assert_eq!(
            b.kind,
            Kind::Rescheduled,
            "a create naming rescheduleUid is a reschedule"
        );
        assert_eq!(b.child_age, Some(6));
        assert_eq!(b.parent_phone.as_deref(), Some("9811111111"));
        assert!(b.metadata_child_id.is_some());
        let ping: CalEvent = serde_json::from_value(
            json!({"triggerEvent": "PING", "createdAt": "2026-11-20T10:00:00Z", "payload": {}}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(ping.booking().is_none());
    }
}
