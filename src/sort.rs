//! One stable sort for the whole crate, compiled once.
//!
//! Every `slice::sort_by` call site instantiates the standard library's sort anew for its
//! element type and closure (1 to 5 KB each at opt-level z): 27 sites cost 60 KB of the
//! static daemon. The lists sorted here are short (processes, groups, files, names), so
//! one bottom-up merge sort of indices behind `&dyn` comparators does: its generic part is
//! only the final permutation. Like `slice::sort_by` it is stable and never panics.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, keeping equal elements in their order (like `slice::sort_by`).
pub fn sort_by<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = order(v.len(), &|i, j| cmp(&v[i], &v[j]));
    permute(order, &mut |i, j| v.swap(i, j));
}

/// Sorts `v` in ascending order (like `slice::sort`).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, &|a, b| a.cmp(b));
}

/// The indices `0..n` in stable sorted order: position `k` of the result names the element
/// that belongs at `k`.
fn order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut from: Vec<usize> = (0..n).collect();
    let mut to = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = lo.saturating_add(width).min(n);
            let hi = mid.saturating_add(width).min(n);
            let (mut i, mut j) = (lo, mid);
            for slot in &mut to[lo..hi] {
                // The left run wins ties: that is what keeps the sort stable.
                let left = i < mid && (j >= hi || cmp(from[j], from[i]) != Ordering::Less);
                if left {
                    *slot = from[i];
                    i += 1;
                } else {
                    *slot = from[j];
                    j += 1;
                }
            }
            lo = hi;
        }
        std::mem::swap(&mut from, &mut to);
        width = width.saturating_mul(2);
    }
    from
}

/// Rearranges by swaps so that position `k` holds what was at `order[k]`, one cycle at a
/// time.
fn permute(mut order: Vec<usize>, swap: &mut dyn FnMut(usize, usize)) {
    for start in 0..order.len() {
        let mut cur = start;
        // A position is done once `order` maps it to itself.
        while order[cur] != cur {
            let src = order[cur];
            order[cur] = cur;
            if src == start {
                break;
            }
            swap(cur, src);
            cur = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so that failures replay.
    fn values(seed: u64, n: usize, range: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 33) % range
            })
            .collect()
    }

    #[test]
    fn matches_the_standard_stable_sort_with_ties_in_order() {
        for n in 0..70 {
            for (seed, range) in [(1, 3), (2, 10), (3, 1000)] {
                // (key, original position): equal keys must keep their positions' order.
                let v: Vec<(u64, usize)> = values(seed + n as u64, n, range)
                    .into_iter()
                    .enumerate()
                    .map(|(i, k)| (k, i))
                    .collect();
                let mut ours = v.clone();
                sort_by(&mut ours, &|a, b| a.0.cmp(&b.0));
                let mut std = v.clone();
                std.sort_by_key(|a| a.0);
                assert_eq!(ours, std, "n={n} seed={seed}");
            }
        }
    }

    #[test]
    fn sorts_large_inputs_and_owned_values() {
        let mut v: Vec<String> = values(7, 5000, 100_000)
            .into_iter()
            .map(|k| k.to_string())
            .collect();
        let mut expected = v.clone();
        expected.sort();
        sort(&mut v);
        assert_eq!(v, expected);
    }

    #[test]
    fn reversed_comparators_and_already_sorted_input() {
        let mut v: Vec<u32> = (0..100).collect();
        sort(&mut v);
        assert_eq!(v, (0..100).collect::<Vec<_>>());
        sort_by(&mut v, &|a, b| b.cmp(a));
        assert_eq!(v, (0..100).rev().collect::<Vec<_>>());
    }
}
