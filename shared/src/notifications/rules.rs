//! Who gets what, on which channel: the preference object and its rules below. Pure.
//! Transactional messages ignore topic switches but follow channel switches, and fall back to
//! email when every channel is off; topics follow both; promotional also needs marketing consent.
use serde::Serialize;
use serde_json::{Map, Value};

pub const KEYS: [&str; 7] = [
    "whatsapp",
    "email",
    "sms",
    "marketing",
    "session_reminders",
    "progress_updates",
    "promotional",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preferences {
    pub whatsapp: bool,
    pub email: bool,
    pub sms: bool,
    pub marketing: bool,
    pub session_reminders: bool,
    pub progress_updates: bool,
    pub promotional: bool,
}

impl Default for Preferences {
    /// The seed's defaults.
    fn default() -> Self {
        Preferences {
            whatsapp: true,
            email: true,
            sms: false,
            marketing: false,
            session_reminders: true,
            progress_updates: true,
            promotional: false,
        }
    }
}

impl Preferences {
    /// Reads a stored object leniently: unknown keys and non-booleans fall back to defaults.
    pub fn from_stored(v: Option<&Value>) -> Self {
        let mut p = Preferences::default();
        if let Some(Value::Object(m)) = v {
            for key in KEYS {
                if let Some(Value::Bool(b)) = m.get(key) {
                    p.set(key, *b);
                }
            }
        }
        p
    }

    fn set(&mut self, key: &str, value: bool) {
        match key {
            "whatsapp" => self.whatsapp = value,
            "email" => self.email = value,
            "sms" => self.sms = value,
            "marketing" => self.marketing = value,
            "session_reminders" => self.session_reminders = value,
            "progress_updates" => self.progress_updates = value,
            "promotional" => self.promotional = value,
            _ => {}
        }
    }

    pub fn to_json(self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn channel(&self, c: Channel) -> bool {
        match c {
            Channel::Email => self.email,
            Channel::Whatsapp => self.whatsapp,
            Channel::Sms => self.sms,
        }
    }
}

/// Validates a PUT body: an object whose keys are known and whose values are booleans. Returns
/// the patch, or the first offending key and why.
pub fn parse_patch(body: &Value) -> Result<Map<String, Value>, (String, &'static str)> {
    let Value::Object(m) = body else {
        return Err(("body".into(), "must be a JSON object"));
    };
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for k in keys {
        if !KEYS.contains(&k.as_str()) {
            return Err((k.clone(), "unknown preference"));
        }
        if !m[k].is_boolean() {
            return Err((k.clone(), "must be true or false"));
        }
    }
    Ok(m.clone())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Whatsapp,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Whatsapp, Channel::Sms];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Whatsapp => "whatsapp",
            Channel::Sms => "sms",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Transactional,
    SessionReminders,
    ProgressUpdates,
    Promotional,
}

impl Category {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "transactional" => Category::Transactional,
            "session_reminders" => Category::SessionReminders,
            "progress_updates" => Category::ProgressUpdates,
            "promotional" => Category::Promotional,
            _ => return None,
        })
    }
}

/// What the rules say for one channel: send, or skip naming the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Send,
    Skip(&'static str),
}

/// What can carry a message to this recipient.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    pub has_email: bool,
    pub has_phone: bool,
    pub email_configured: bool,
    pub whatsapp_configured: bool,
    pub sms_configured: bool,
}

pub fn decide(category: Category, prefs: &Preferences, reach: &Reach) -> Vec<(Channel, Decision)> {
    let topic_off = match category {
        Category::Transactional => None,
        Category::SessionReminders => {
            (!prefs.session_reminders).then_some("topic_session_reminders_off")
        }
        Category::ProgressUpdates => {
            (!prefs.progress_updates).then_some("topic_progress_updates_off")
        }
        Category::Promotional if !prefs.marketing => Some("no_marketing_consent"),
        Category::Promotional => (!prefs.promotional).then_some("topic_promotional_off"),
    };
    let all_channels_off = !prefs.email && !prefs.whatsapp && !prefs.sms;
    Channel::ALL
        .iter()
        .map(|&c| {
            let decision = if let Some(rule) = topic_off {
                Decision::Skip(rule)
            } else if !prefs.channel(c) {
                if category == Category::Transactional && all_channels_off && c == Channel::Email {
                    // A parent must still hear that a payment failed or a refund moved.
                    availability(c, reach)
                } else {
                    Decision::Skip(match c {
                        Channel::Email => "channel_email_off",
                        Channel::Whatsapp => "channel_whatsapp_off",
                        Channel::Sms => "channel_sms_off",
                    })
                }
            } else {
                availability(c, reach)
            };
            (c, decision)
        })
        .collect()
}

fn availability(c: Channel, reach: &Reach) -> Decision {
    match c {
        Channel::Email if !reach.has_email => Decision::Skip("no_email_address"),
        Channel::Email if !reach.email_configured => Decision::Skip("email_not_configured"),
        Channel::Whatsapp if !reach.has_phone => Decision::Skip("no_phone_number"),
        Channel::Whatsapp if !reach.whatsapp_configured => {
            Decision::Skip("whatsapp_not_configured")
        }
        Channel::Sms if !reach.has_phone => Decision::Skip("no_phone_number"),
        Channel::Sms if !reach.sms_configured => Decision::Skip("sms_provider_not_configured"),
        _ => Decision::Send,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const REACH: Reach = Reach {
        has_email: true,
        has_phone: true,
        email_configured: true,
        whatsapp_configured: true,
        sms_configured: false,
    };

    fn sent(d: &[(Channel, Decision)]) -> Vec<Channel> {
        d.iter()
            .filter(|(_, x)| *x == Decision::Send)
            .map(|(c, _)| *c)
            .collect()
    }

    #[test]
    fn the_whole_matrix_of_category_and_channel_switch() {
        let categories = [
            (Category::Transactional, "transactional"),
            (Category::SessionReminders, "session_reminders"),
            (Category::ProgressUpdates, "progress_updates"),
            (Category::Promotional, "promotional"),
        ];
        for (cat, name) in categories {
            for channel in [Channel::Email, Channel::Whatsapp] {
                for on in [true, false] {
                    let mut p = Preferences {
                        marketing: true,
                        promotional: true,
                        ..Preferences::default()
                    };
                    p.set(channel.as_str(), on);
                    let d = decide(cat, &p, &REACH);
                    let got = d.iter().find(|(c, _)| *c == channel).map(|(_, x)| *x);
                    let want = if on {
                        Decision::Send
                    } else {
                        Decision::Skip(if channel == Channel::Email {
                            "channel_email_off"
                        } else {
                            "channel_whatsapp_off"
                        })
                    };
                    assert_eq!(got, Some(want), "{name} with {} {}", channel.as_str(), on);
                }
            }
            // Topic switch off: transactional still goes, the others are skipped by that rule.
            let mut p = Preferences {
                marketing: true,
                promotional: true,
                ..Preferences::default()
            };
            p.set(name, false);
            let d = decide(cat, &p, &REACH);
            if cat == Category::Transactional {
                assert_eq!(sent(&d), vec![Channel::Email, Channel::Whatsapp]);
            } else {
                assert!(sent(&d).is_empty(), "{name}");
                assert!(d.iter().all(|(_, x)| *x
                    == Decision::Skip(match cat {
                        Category::SessionReminders => "topic_session_reminders_off",
                        Category::ProgressUpdates => "topic_progress_updates_off",
                        _ => "topic_promotional_off",
                    })));
            }
        }
    }

    #[test]
    fn transactional_with_every_channel_off_falls_back_to_email() {
        let p = Preferences {
            email: false,
            whatsapp: false,
            sms: false,
            ..Preferences::default()
        };
        assert_eq!(
            sent(&decide(Category::Transactional, &p, &REACH)),
            vec![Channel::Email]
        );
        assert!(sent(&decide(Category::SessionReminders, &p, &REACH)).is_empty());
    }

    #[test]
    fn promotional_needs_marketing_consent() {
        let p = Preferences {
            promotional: true,
            marketing: false,
            ..Preferences::default()
        };
        let d = decide(Category::Promotional, &p, &REACH);
        assert!(d
            .iter()
            .all(|(_, x)| *x == Decision::Skip("no_marketing_consent")));
        // Defaults: no promotions at all.
        assert!(sent(&decide(
            Category::Promotional,
            &Preferences::default(),
            &REACH
        ))
        .is_empty());
    }

    #[test]
    fn no_channel_without_an_address_or_provider() {
        let reach = Reach {
            has_email: false,
            ..REACH
        };
        let d = decide(
            Category::Transactional,
            &Preferences {
                sms: true,
                ..Preferences::default()
            },
            &reach,
        );
        assert_eq!(d[0], (Channel::Email, Decision::Skip("no_email_address")));
        assert_eq!(d[1], (Channel::Whatsapp, Decision::Send));
        assert_eq!(
            d[2],
            (Channel::Sms, Decision::Skip("sms_provider_not_configured"))
        );
    }

    #[test]
    fn patches_name_the_offending_key() {
        assert!(parse_patch(&json!({"email": false})).is_ok());
        assert_eq!(
            parse_patch(&json!({"telegram": true})).err().map(|e| e.0),
            Some("telegram".into())
        );
        assert_eq!(
            parse_patch(&json!({"email": "no"})).err().map(|e| e.0),
            Some("email".into())
        );
        assert_eq!(
            parse_patch(&json!([1])).err().map(|e| e.0),
            Some("body".into())
        );
    }

    #[test]
    fn stored_garbage_reads_as_defaults() {
        let p = Preferences::from_stored(Some(&json!({"email": "yes", "whatsapp": false, "x": 1})));
        assert!(p.email && !p.whatsapp);
        assert_eq!(Preferences::from_stored(None), Preferences::default());
    }
}
