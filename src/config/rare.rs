//! [`Rare`]: a part of a process's config that most configs leave at its default, kept out
//! of line.
//!
//! There is one `ProcessConfig` per process (a thousand for `numprocs=1000`), and the
//! supervisor-rs keys (readiness, health, backoff, environment files, log file options) are
//! unset in most of them. A `Rare<T>` holding the default is one null pointer, and reads the
//! default from a static shared by all; a value that differs lives in a box. It reads,
//! compares and prints as the `T` it holds.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A type whose default value one static can hold for every [`Rare`] of it.
pub trait SharedDefault: Default + PartialEq + 'static {
    /// The default value, shared.
    fn shared_default() -> &'static Self;
}

/// A `T` that is usually its default: stored as nothing then, else boxed.
pub struct Rare<T>(Option<Box<T>>);

impl<T: SharedDefault> Rare<T> {
    /// Holds `value`, boxing it only when it is not the default.
    pub fn new(value: T) -> Rare<T> {
        if value == *T::shared_default() {
            Rare(None)
        } else {
            Rare(Some(Box::new(value)))
        }
    }
}

impl<T> Rare<T> {
    /// Whether a value is boxed (for tests that check nothing was boxed for the default).
    pub fn is_boxed(&self) -> bool {
        self.0.is_some()
    }

    /// The value when it is boxed; `None` while it is the shared default (so that a reset to
    /// the default needs no box).
    pub fn boxed_mut(&mut self) -> Option<&mut T> {
        self.0.as_deref_mut()
    }
}

impl<T> Default for Rare<T> {
    fn default() -> Rare<T> {
        Rare(None)
    }
}

impl<T: SharedDefault> From<T> for Rare<T> {
    fn from(value: T) -> Rare<T> {
        Rare::new(value)
    }
}

impl<T: SharedDefault> Deref for Rare<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            Some(value) => value,
            None => T::shared_default(),
        }
    }
}

/// Writing through it boxes a default first (the loader and tests set fields one by one).
impl<T: SharedDefault> DerefMut for Rare<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T: Clone> Clone for Rare<T> {
    fn clone(&self) -> Rare<T> {
        Rare(self.0.clone())
    }
}

/// By value: a boxed default equals none.
impl<T: SharedDefault> PartialEq for Rare<T> {
    fn eq(&self, other: &Rare<T>) -> bool {
        **self == **other
    }
}

impl<T: SharedDefault + Eq> Eq for Rare<T> {}

impl<T: SharedDefault + fmt::Debug> fmt::Debug for Rare<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    struct Keys {
        list: Vec<u32>,
        on: bool,
    }

    impl SharedDefault for Keys {
        fn shared_default() -> &'static Keys {
            static DEFAULT: Keys = Keys {
                list: Vec::new(),
                on: false,
            };
            &DEFAULT
        }
    }

    #[test]
    fn the_default_takes_no_box_and_reads_as_the_default() {
        let r = Rare::new(Keys::default());
        assert!(r.0.is_none());
        assert_eq!(*r, Keys::default());
        assert_eq!(format!("{r:?}"), format!("{:?}", Keys::default()));
        assert!(Rare::<Keys>::default().0.is_none());
        assert_eq!(std::mem::size_of::<Rare<Keys>>(), 8);
    }

    #[test]
    fn a_set_value_is_kept_and_compares_by_value() {
        let set = Keys {
            list: vec![1],
            on: true,
        };
        let r = Rare::new(set.clone());
        assert_eq!(*r, set);
        assert_ne!(r, Rare::default());
        let mut w = Rare::<Keys>::default();
        w.list.push(1);
        w.on = true;
        assert_eq!(w, r);
        assert!(Rare::<Keys>::default().boxed_mut().is_none());
        w.boxed_mut().unwrap().on = false;
        assert!(!w.on);
        let mut back = r.clone();
        back.on = false;
        back.list.clear();
        // Boxed, but the default all the same.
        assert!(back.0.is_some());
        assert_eq!(back, Rare::default());
    }
}
