//! Signing in and out: passwords and tokens are only ever stored as hashes
//! (argon2id for passwords, SHA-256 for the random session tokens), sessions
//! expire and can be revoked, and failed sign-ins are slowed down per user
//! name and per address, across every node (the attempts are rows). An
//! attempt is counted before its password is checked, in one atomic step
//! with the check of the limits, so guesses sent at once check no more
//! passwords than the limits allow.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::{DateTime, Duration, Utc};
use doorstep_core::records::User;
use doorstep_core::{Language, UserRole};
use doorstep_store::Store;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::access::Actor;
use crate::error::ServiceError;

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// The window in which failed sign-ins are counted.
pub const ATTEMPT_WINDOW_MINUTES: i64 = 15;
/// Failed sign-ins for one user name within the window before it is locked.
pub const MAX_FAILED_PER_USER: u64 = 5;
/// Failed sign-ins from one address within the window before it is locked.
pub const MAX_FAILED_PER_ADDRESS: u64 = 20;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with default parameters")
        .to_string()
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random secret: 256 bits, as 64 hexadecimal characters.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// SHA-256 of a token, hexadecimal: what is stored of it.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The token a session's HTML forms carry, checked when they are sent: a
/// keyed hash of the session's secret (or of a sign-in form's own cookie),
/// so another site, which never sees the secret, cannot write it, and it is
/// never the stored hash of the token itself.
pub fn form_token(secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"doorstep form token\0");
    hasher.update(secret.as_bytes());
    hex(&hasher.finalize())
}

/// Whether a form sent `sent` as the token of `secret`, compared in constant
/// time.
pub fn form_token_matches(secret: &str, sent: &str) -> bool {
    let expected = form_token(secret);
    expected.len() == sent.len()
        && expected
            .bytes()
            .zip(sent.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signed-in session: the token (shown once) and who it is.
#[derive(Clone, Debug)]
pub struct Session {
    /// The bearer token; only its hash is stored.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The user.
    pub user: UserInfo,
}

/// What a user may see of themselves.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UserInfo {
    /// Id.
    pub id: i32,
    /// Sign-in name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Role.
    pub role: UserRole,
    /// The team of a leader or volunteer.
    pub team_id: Option<i32>,
    /// The area of an official.
    pub area_id: Option<i32>,
    /// The member record of a leader or volunteer.
    pub member_id: Option<i32>,
    /// The language of their pages.
    pub language: Language,
}

impl UserInfo {
    fn from_record(u: &User) -> UserInfo {
        UserInfo {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            team_id: u.team_id,
            area_id: u.area_id,
            member_id: u.member_id,
            language: u.language,
        }
    }

    /// The actor this user is.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.id),
            username: self.username.clone(),
            role: self.role,
            team_id: self.team_id,
            area_id: self.area_id,
            member_id: self.member_id,
        }
    }
}

fn wrong_credentials() -> ServiceError {
    ServiceError::Unauthorized(
        "sai tên đăng nhập hoặc mật khẩu".into(),
        "wrong user name or password".into(),
    )
}

/// Signs a user in from `address`.
///
/// # Errors
/// Wrong user name or password (the same answer for both), too many failed
/// attempts for the name or the address (with the seconds to wait), or the
/// store fails.
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Session, ServiceError> {
    let db = store.connection();
    // The attempt is counted, as failed, before its password is checked, in
    // one step with the check of the limits: guesses sent at once cannot
    // all pass the check before any of them is counted.
    let limits = doorstep_store::AttemptLimits {
        since: now - Duration::minutes(ATTEMPT_WINDOW_MINUTES),
        per_name: MAX_FAILED_PER_USER,
        per_address: MAX_FAILED_PER_ADDRESS,
    };
    let attempt = match doorstep_store::count_login_attempt(db, username, address, limits, now)
        .await?
    {
        doorstep_store::LoginAttempt::Counted(attempt) => attempt,
        doorstep_store::LoginAttempt::Locked(failed) => {
            let until = failed.oldest.unwrap_or(now) + Duration::minutes(ATTEMPT_WINDOW_MINUTES);
            return Err(ServiceError::TooManyAttempts(
                (until - now).num_seconds().max(1) as u64,
            ));
        }
    };
    let user = doorstep_store::find_user_by_name(db, username)
        .await?
        .filter(|u| u.active);
    // A missing user costs the same hashing as a wrong password.
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = user.as_ref().map_or_else(
        || DECOY.get_or_init(|| hash_password("decoy")).clone(),
        |u| u.password_hash.clone(),
    );
    let given = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&given, &hash))
        .await
        .map_err(|e| ServiceError::Internal(format!("password check stopped: {e}")))?;
    let ok = matches && user.is_some();
    if ok {
        doorstep_store::login_attempt_succeeded(db, attempt).await?;
    }
    let Some(user) = user.filter(|_| ok) else {
        return Err(wrong_credentials());
    };
    let token = new_secret();
    let expires_at = now + Duration::hours(SESSION_HOURS);
    doorstep_store::create_session(db, user.id, &token_hash(&token), now, expires_at).await?;
    Ok(Session {
        token,
        expires_at,
        user: UserInfo::from_record(&user),
    })
}

/// The user of a live session token.
///
/// # Errors
/// Unauthorized for an unknown, expired or revoked token; or the store fails.
pub async fn authenticate(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<UserInfo, ServiceError> {
    doorstep_store::session_user(store.connection(), &token_hash(token), now)
        .await?
        .map(|u| UserInfo::from_record(&u))
        .ok_or_else(|| {
            ServiceError::Unauthorized(
                "phiên đăng nhập không hợp lệ hoặc đã hết hạn, hãy đăng nhập lại".into(),
                "the session is unknown, expired or signed out; sign in again".into(),
            )
        })
}

/// Sets the language of a user's pages, and of their messages when they are
/// a member: both stand or fall together.
///
/// # Errors
/// The store fails.
pub async fn set_language(
    store: &Store,
    user: &UserInfo,
    language: Language,
) -> Result<(), ServiceError> {
    doorstep_store::repo::users::set_language(store.connection(), user.id, language).await?;
    Ok(())
}

/// Ends a session: the token stops working at once.
///
/// # Errors
/// The store fails.
pub async fn logout(store: &Store, token: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
    doorstep_store::revoke_session(store.connection(), &token_hash(token), now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("rằm tháng tám");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("rằm tháng tám", &hash));
        assert!(!verify_password("ram thang tam", &hash));
        assert_ne!(hash, hash_password("rằm tháng tám"), "salts differ");
    }

    #[test]
    fn secrets_are_256_bits_and_stored_hashed() {
        let a = new_secret();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
