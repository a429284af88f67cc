//! The delay before an automatic restart: the reference's `n` seconds after the n-th failed
//! start, or, with a `backoff` policy, a linear or exponential curve with a ceiling and
//! jitter. Pure: the jitter comes from a hash of values the caller passes, not from a
//! random source, so a fake clock replays it exactly.

use crate::config::model::{Backoff, Curve};

/// Milliseconds to wait before restart number `tries` (1 for the first).
///
/// `seed` varies the jitter between processes and attempts (the caller passes e.g. a hash of
/// the name and the current time).
pub fn delay_ms(policy: Option<&Backoff>, tries: u32, seed: u64) -> u64 {
    let tries = u64::from(tries.max(1));
    let Some(p) = policy else {
        return tries.saturating_mul(1000);
    };
    let secs = match p.curve {
        Curve::Linear => tries,
        // 2^(n-1), saturating long before it could overflow.
        Curve::Exponential => 1u64 << (tries - 1).min(62),
    };
    let base = secs.min(p.max.max(1)).saturating_mul(1000);
    jitter(base, p.jitter_permille, seed)
}

/// `base` moved by up to `permille`/1000 of itself either way.
fn jitter(base: u64, permille: u32, seed: u64) -> u64 {
    let span = base.saturating_mul(u64::from(permille.min(1000))) / 1000;
    if span == 0 {
        return base;
    }
    // Uniform-ish in [0, 2*span], then shifted to [-span, +span].
    let r = mix(seed) % (2 * span + 1);
    (base + r).saturating_sub(span)
}

/// SplitMix64's finaliser: spreads close seeds far apart.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed from a name (FNV-1a) and a number.
pub fn seed(name: &str, n: u64) -> u64 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    h ^ mix(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(curve: Curve, max: u64, jitter_permille: u32) -> Backoff {
        Backoff {
            curve,
            max,
            jitter_permille,
            reset: 60,
        }
    }

    #[test]
    fn without_a_policy_it_is_the_references_n_seconds() {
        for n in 1..10 {
            assert_eq!(delay_ms(None, n, 42), u64::from(n) * 1000);
        }
    }

    #[test]
    fn curves_rise_to_their_ceiling() {
        let lin = policy(Curve::Linear, 4, 0);
        let got: Vec<u64> = (1..7).map(|n| delay_ms(Some(&lin), n, 0)).collect();
        assert_eq!(got, [1000, 2000, 3000, 4000, 4000, 4000]);
        let exp = policy(Curve::Exponential, 60, 0);
        let got: Vec<u64> = (1..9).map(|n| delay_ms(Some(&exp), n, 0)).collect();
        assert_eq!(got, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
        assert_eq!(delay_ms(Some(&exp), u32::MAX, 0), 60000);
    }

    #[test]
    fn jitter_stays_within_its_fraction_and_varies() {
        let p = policy(Curve::Exponential, 60, 100);
        let mut seen = std::collections::BTreeSet::new();
        for s in 0..1000 {
            let d = delay_ms(Some(&p), 4, seed("web", s));
            assert!((7200..=8800).contains(&d), "{d}");
            seen.insert(d);
        }
        assert!(seen.len() > 100, "jitter barely varies: {}", seen.len());
        assert_eq!(delay_ms(Some(&p), 4, 7), delay_ms(Some(&p), 4, 7));
    }
}
