//! The adaptive poll interval: short while the tree changes, doubling up to a ceiling while
//! it does not, so a quiet command costs few polls and a busy one is watched closely.

use std::time::Duration;

pub(super) struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff { min, max, current: min }
    }

    /// The wait before the next poll, after a poll that did or did not see something new.
    pub fn next(&mut self, changed: bool) -> Duration {
        self.current = if changed { self.min } else { (self.current * 2).min(self.max) };
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_while_quiet_and_drops_to_the_minimum_on_change() {
        let ms = Duration::from_millis;
        let mut backoff = Backoff::new(ms(2), ms(50));
        let quiet: Vec<Duration> = (0..6).map(|_| backoff.next(false)).collect();
        assert_eq!(quiet, [ms(4), ms(8), ms(16), ms(32), ms(50), ms(50)]);
        assert_eq!(backoff.next(true), ms(2));
        assert_eq!(backoff.next(false), ms(4));
    }
}
