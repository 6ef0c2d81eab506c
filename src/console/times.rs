//! Times as people read them: wall time in the configured zone (the
//! calendars' default zone), with the UTC instant on hover.

use jiff::tz::TimeZone;
use maud::{Markup, html};

use crate::api::state::AppState;
use crate::api::wire::timestamp;
use crate::engine::Millis;

/// The zone pages show times in, and the time now.
#[derive(Clone)]
pub struct Times {
    pub zone_name: String,
    zone: TimeZone,
    pub now: Millis,
}

impl Times {
    pub fn of(state: &AppState) -> Self {
        let catalog = state.runtime().catalog();
        let (name, zone) = catalog.calendars().default_zone();
        Times {
            zone_name: name.to_owned(),
            zone: zone.clone(),
            now: state.now(),
        }
    }

    /// `2026-11-26 08:45` in the zone.
    pub fn local(&self, millis: Millis) -> String {
        match jiff::Timestamp::from_millisecond(millis) {
            Ok(at) => at
                .to_zoned(self.zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            Err(_) => timestamp(millis),
        }
    }

    /// A `<time>` element: local wall time, the UTC instant on hover.
    pub fn at(&self, millis: Millis) -> Markup {
        let utc = timestamp(millis);
        html! { time datetime=(utc) title=(format!("{utc} (UTC)")) { (self.local(millis)) } }
    }

    /// [`Self::at`] for an RFC 3339 text from a view; shown as it is when it
    /// does not parse.
    pub fn text(&self, rfc3339: &str) -> Markup {
        match crate::api::wire::parse_timestamp(rfc3339) {
            Some(millis) => self.at(millis),
            None => html! { (rfc3339) },
        }
    }

    /// Midnight today in the zone, for "today" counts.
    pub fn start_of_today(&self) -> Millis {
        jiff::Timestamp::from_millisecond(self.now)
            .ok()
            .map(|at| at.to_zoned(self.zone.clone()))
            .and_then(|zoned| zoned.start_of_day().ok())
            .map_or(self.now, |midnight| midnight.timestamp().as_millisecond())
    }

    /// The month (`YYYY-MM`) now in the zone, the assessment's default.
    pub fn this_month(&self) -> String {
        jiff::Timestamp::from_millisecond(self.now)
            .map(|at| at.to_zoned(self.zone.clone()).strftime("%Y-%m").to_string())
            .unwrap_or_default()
    }
}

/// A duration in words: `2 h 5 min`, `3 d 4 h`, `45 s`.
pub fn span(millis: i64) -> String {
    let secs = millis.unsigned_abs() / 1000;
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {minutes} min")
    } else if minutes > 0 {
        format!("{minutes} min")
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn spans_read_at_the_two_largest_units() {
        assert_eq!(span(45_000), "45 s");
        assert_eq!(span(-(2 * 3_600_000 + 5 * 60_000)), "2 h 5 min");
        assert_eq!(span(3 * 86_400_000 + 4 * 3_600_000 + 1), "3 d 4 h");
    }
}
