//! What a source sends to its site that nobody else may see: a basic-auth
//! password, a cookie, header values, a proxy's password. They are kept in
//! types whose `Debug` and `Display` print `<redacted>`, so no log line,
//! error or `{:?}` of a config shows them; they are never written to the
//! database.
//!
//! Passwords and cookies may live in files (`password_file`, `cookie_file`)
//! so that systemd's `LoadCredential=` can hand them over: a relative path
//! is looked up in `$CREDENTIALS_DIRECTORY` when systemd sets it, else next
//! to the config file. Files are read when the config is loaded (and on
//! every reload); one that cannot be read fails that source, not the config.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer};

/// Shown wherever a secret would be.
const REDACTED: &str = "<redacted>";

/// A value that must never be shown: `Debug` and `Display` print
/// `<redacted>`; [`Secret::expose`] is the one way to the text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret itself, for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// A proxy's URL (`http://host:3128`, optionally with `user:password@`),
/// shown with its password redacted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyUrl(url::Url);

impl ProxyUrl {
    /// The URL itself, password included, for the client that connects.
    pub fn expose(&self) -> &url::Url {
        &self.0
    }
}

impl FromStr for ProxyUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // `proxy:3128` as in many HTTP_PROXY values means plain HTTP.
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let url = url::Url::parse(&with_scheme)
            .map_err(|e| format!("bad proxy URL {:?}: {e}", redact_userinfo(text)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "unsupported proxy scheme {:?} (use http:// or https://)",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("proxy URL {:?} has no host", redact_userinfo(text)));
        }
        Ok(ProxyUrl(url))
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            // Only fails for URLs that cannot have a password; these can.
            // `<redacted>` would be percent-encoded in a URL.
            let _ = shown.set_password(Some("redacted"));
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

impl<'de> Deserialize<'de> for ProxyUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

/// `user:pass@host` → `user:<redacted>@host`, for messages about text that
/// did not even parse as a URL.
fn redact_userinfo(text: &str) -> String {
    let Some(at) = text.rfind('@') else {
        return text.to_owned();
    };
    let start = text.find("://").map_or(0, |i| i + 3);
    match text[start..at].split_once(':') {
        Some((user, _)) if start <= at => {
            format!("{}{user}:{REDACTED}{}", &text[..start], &text[at..])
        }
        _ => text.to_owned(),
    }
}

/// A source's password and cookie as read at load.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The basic-auth password (`password_file` or `password_env`).
    pub password: Option<Secret>,
    /// The `Cookie` header (`cookie` or `cookie_file`).
    pub cookie: Option<Secret>,
    /// Why a password or cookie could not be read, naming the key and the
    /// file or variable (`password_file /x: No such file…`); the source
    /// fails with this until a reload reads it.
    pub problem: Option<String>,
}

/// Where a `password_file`/`cookie_file` is: absolute as written, else in
/// systemd's credentials folder when the service has one, else next to the
/// config file.
pub fn secret_path(base_dir: &Path, file: &Path) -> PathBuf {
    if file.is_absolute() {
        return file.to_owned();
    }
    match std::env::var_os("CREDENTIALS_DIRECTORY").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join(file),
        None => base_dir.join(file),
    }
}

/// A secret kept in a file, without the line break that ends it.
pub fn read_secret_file(path: &Path) -> Result<Secret, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
    // `echo secret > file` adds a line break that is not part of the secret.
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    if text.is_empty() {
        return Err(format!("{}: the file is empty", path.display()));
    }
    Ok(Secret::new(text))
}

/// A secret from an environment variable.
pub fn read_secret_env(variable: &str) -> Result<Secret, String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
        Ok(_) => Err(format!("environment variable {variable} is empty")),
        Err(std::env::VarError::NotPresent) => {
            Err(format!("environment variable {variable} is not set"))
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("environment variable {variable} is not UTF-8"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose(), "hunter2");
        let proxy: ProxyUrl = "http://me:hunter2@proxy.example:3128".parse().unwrap();
        assert_eq!(proxy.to_string(), "http://me:redacted@proxy.example:3128/");
        assert!(!format!("{proxy:?}").contains("hunter2"));
        assert_eq!(proxy.expose().password(), Some("hunter2"));
        let e = "socks5://u:hunter2@h:1".parse::<ProxyUrl>().unwrap_err();
        assert!(!e.contains("hunter2") && e.contains("socks5"), "{e}");
        let e = "http://u:hunter2@".parse::<ProxyUrl>().unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn bare_proxy_hosts_are_http() {
        let proxy: ProxyUrl = "proxy.example:3128".parse().unwrap();
        assert_eq!(proxy.expose().as_str(), "http://proxy.example:3128/");
    }

    #[test]
    fn files_lose_their_final_line_break_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret \r\n").unwrap();
        assert_eq!(read_secret_file(&path).unwrap().expose(), "s3cret ");
        std::fs::write(&path, "\n").unwrap();
        assert!(read_secret_file(&path).unwrap_err().contains("empty"));
        let missing = dir.path().join("missing");
        let e = read_secret_file(&missing).unwrap_err();
        assert!(e.starts_with(&missing.display().to_string()), "{e}");
    }
}
