//! Credentials of a control server (`username`/`password` of `[unix_http_server]` or
//! `[inet_http_server]`) and the constant-time check of an `auth` line.
//!
//! Both the user name and the password are compared as SHA-1 digests with a comparison
//! whose time does not depend on where the bytes differ, so a client cannot learn the
//! secret byte by byte from response times. A `{SHA}` password stores the digest itself.

use super::sha1;

/// The configured credentials of one server.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user_digest: [u8; 20],
    /// `None` when a `{SHA}` value is not 40 hex digits: no password can match it, as in
    /// the reference (which compares hex strings).
    password_digest: Option<[u8; 20]>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets, not even their digests.
        f.write_str("Credentials { .. }")
    }
}

impl Credentials {
    /// Credentials from the config values: `password` is plain text or `{SHA}` followed by
    /// the hex SHA-1 of the password.
    pub fn new(user: &str, password: &str) -> Credentials {
        let password_digest = match password.strip_prefix("{SHA}") {
            Some(hex) => sha1::parse_hex(hex),
            None => Some(sha1::digest(password.as_bytes())),
        };
        Credentials {
            user_digest: sha1::digest(user.as_bytes()),
            password_digest,
        }
    }

    /// True when `user` and `password` match. Takes the same time wherever they differ.
    pub fn check(&self, user: &str, password: &str) -> bool {
        let user_ok = ct_eq(&sha1::digest(user.as_bytes()), &self.user_digest);
        let given = sha1::digest(password.as_bytes());
        let (stored, valid) = match &self.password_digest {
            Some(d) => (*d, true),
            None => ([0u8; 20], false),
        };
        let pass_ok = ct_eq(&given, &stored);
        user_ok & pass_ok & valid
    }
}

/// Compares two digests without an early exit.
fn ct_eq(a: &[u8; 20], b: &[u8; 20]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold back into a short-circuit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_sha_passwords() {
        let cases = [
            (Credentials::new("bob", "secret"), "bob", "secret", true),
            (Credentials::new("bob", "secret"), "bob", "Secret", false),
            (Credentials::new("bob", "secret"), "bobby", "secret", false),
            (Credentials::new("bob", "secret"), "", "", false),
            (Credentials::new("", ""), "", "", true),
            (
                Credentials::new("bob", "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"),
                "bob",
                "secret",
                true,
            ),
            (
                Credentials::new("bob", "{SHA}E5E9FA1BA31ECD1AE84F75CAAA474F3A663F05F4"),
                "bob",
                "secret",
                true,
            ),
            (
                Credentials::new("bob", "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"),
                "bob",
                "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4",
                false,
            ),
            (
                Credentials::new("bob", "{SHA}nothex"),
                "bob",
                "nothex",
                false,
            ),
        ];
        for (i, (c, u, p, want)) in cases.iter().enumerate() {
            assert_eq!(c.check(u, p), *want, "case {i}");
        }
        assert_eq!(
            format!("{:?}", Credentials::new("a", "b")),
            "Credentials { .. }"
        );
    }
}
