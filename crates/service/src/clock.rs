//! Where the service takes the time from: the system's clock when it runs,
//! a clock set by hand in tests and benchmarks, so that what "today", "now"
//! and "already past" mean does not depend on the hour a test runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The application's clock; clones share one time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Microseconds since 1970 when set by hand; `None` reads the system.
    set: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock { set: None }
    }

    /// A clock standing at `at` until it is moved.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock {
            set: Some(Arc::new(AtomicI64::new(at.timestamp_micros()))),
        }
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.set {
            None => Utc::now(),
            Some(micros) => DateTime::from_timestamp_micros(micros.load(Ordering::SeqCst))
                .expect("a clock set by hand holds a time chrono can show"),
        }
    }

    /// Moves a clock set by hand to `at`; the system's clock is not moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(micros) = &self.set {
            micros.store(at.timestamp_micros(), Ordering::SeqCst);
        }
    }

    /// Moves a clock set by hand forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_fixed_clock_stands_still_until_moved_and_its_clones_move_with_it() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 13, 30, 0).unwrap();
        let clock = Clock::fixed(at);
        let other = clock.clone();
        assert_eq!(clock.now(), at);
        assert_eq!(clock.now(), at);
        other.advance(Duration::minutes(90));
        assert_eq!(clock.now(), at + Duration::minutes(90));
        clock.set(at);
        assert_eq!(other.now(), at);
    }

    #[test]
    fn the_system_clock_is_not_moved_by_hand() {
        let clock = Clock::system();
        let before = Utc::now();
        clock.set(before - Duration::days(400));
        assert!(clock.now() >= before);
    }
}
