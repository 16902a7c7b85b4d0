//! Rate limits: one token bucket per key (a token's id, a client's address).
//!
//! A bucket holds up to `per_minute` requests and refills at `per_minute`
//! per minute, so a client may send a minute's worth at once and then keeps
//! to the rate. An empty bucket answers how many seconds until one request
//! is allowed again: the `Retry-After` of the 429. The buckets live in
//! memory: a restart forgets them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets beyond this many are pruned of the full ones (keys idle for a
/// minute), so a stream of new addresses cannot grow the map without bound.
const PRUNE_ABOVE: usize = 10_000;

/// A token bucket per key. `per_minute = 0` is no limit.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Requests left, fractional while refilling.
    left: f64,
    at: Instant,
}

impl RateLimiter {
    /// A limiter of `per_minute` requests per key (0: unlimited).
    ///
    /// ```
    /// let limit = rema_server::limit::RateLimiter::new(2);
    /// assert!(limit.take("a").is_ok());
    /// assert!(limit.take("a").is_ok());
    /// assert_eq!(limit.take("a"), Err(30), "one more in 30 s");
    /// assert!(limit.take("b").is_ok(), "keys are independent");
    /// ```
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The configured rate (0: unlimited).
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes one request from `key`'s bucket, or answers the whole seconds
    /// until one is available (at least 1).
    pub fn take(&self, key: &str) -> Result<(), u64> {
        self.update(key, true)
    }

    /// Whether [`take`](Self::take) would succeed now, without taking.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.update(key, false)
    }

    fn update(&self, key: &str, take: bool) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let cap = f64::from(self.per_minute);
        let per_second = cap / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets
                .retain(|_, b| b.left + now.duration_since(b.at).as_secs_f64() * per_second < cap);
        }
        let bucket = buckets
            .entry(key.to_string())
            .or_insert(Bucket { left: cap, at: now });
        let refilled = bucket.left + now.duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.left = refilled.min(cap);
        bucket.at = now;
        if bucket.left >= 1.0 {
            if take {
                bucket.left -= 1.0;
            }
            Ok(())
        } else {
            Err(((1.0 - bucket.left) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_no_limit() {
        let l = RateLimiter::new(0);
        for _ in 0..1000 {
            assert!(l.take("k").is_ok());
        }
    }

    #[test]
    fn check_does_not_take() {
        let l = RateLimiter::new(1);
        assert!(l.check("k").is_ok());
        assert!(l.check("k").is_ok());
        assert!(l.take("k").is_ok());
        assert_eq!(l.check("k"), Err(60));
    }

    #[test]
    fn idle_full_buckets_are_pruned() {
        let l = RateLimiter::new(60);
        for i in 0..=PRUNE_ABOVE {
            l.check(&i.to_string()).unwrap();
        }
        l.take("one more").unwrap();
        let n = l.buckets.lock().unwrap().len();
        assert!(n <= 2, "{n} buckets left");
    }
}
