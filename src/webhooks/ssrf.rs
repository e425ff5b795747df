//! Server-side request forgery protection: webhook targets must be public. An endpoint URL is
//! checked when it is created or changed (a clear 422 where the problem can be seen then), and
//! every delivery is checked again when it is made, because DNS answers change and the
//! configuration may have allowed private targets when the endpoint was created:
//!
//! - [`SafeResolver`] is the delivery client's DNS resolver: it drops every answer that is not
//!   a global address, so a connection can only go to one;
//! - IP-literal hosts never reach a resolver, so [`check_url`] checks them before each attempt.
//!
//! "Global" excludes private, loopback, link-local, shared (CGNAT), multicast, unspecified,
//! broadcast, documentation, benchmarking and reserved ranges, for IPv4 and IPv6; IPv6
//! addresses that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by it.
//! `webhooks.allow_private_targets = true` turns all of this off (development mode's default,
//! tests); refusals name that setting and its environment variable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::ValidationError;

/// How long a create/update waits for DNS before accepting the URL unchecked (it is checked
/// again at every delivery).
const VALIDATION_DNS_TIMEOUT: Duration = Duration::from_secs(3);

/// Why an address may not be a webhook target, or `None` for a global one.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = if ip.is_unspecified() || a == 0 {
        "an unspecified (\"this network\") address"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if a == 100 && (64..128).contains(&b) {
        "a shared (carrier-grade NAT) address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if ip.is_broadcast() || a >= 240 {
        "a reserved address"
    } else if ip.is_documentation() {
        "a documentation address"
    } else if a == 198 && (b == 18 || b == 19) {
        "a benchmarking address"
    } else if a == 192 && b == 0 && c == 0 {
        "an IETF protocol assignment address"
    } else if a == 192 && b == 88 && c == 99 {
        "a 6to4 relay anycast address"
    } else {
        return None;
    };
    Some(reason)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // Forms that carry an IPv4 address are judged by that address: ::ffff:a.b.c.d (mapped),
    // ::a.b.c.d (compatible, deprecated), 64:ff9b::a.b.c.d (NAT64).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4);
    }
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    let embedded = |high: usize| {
        Ipv4Addr::new(
            (segments[high] >> 8) as u8,
            segments[high] as u8,
            (segments[high + 1] >> 8) as u8,
            segments[high + 1] as u8,
        )
    };
    if segments[..6].iter().all(|&s| s == 0) {
        return refusal_v4(embedded(6)).or(Some("an IPv4-compatible address"));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return refusal_v4(embedded(6));
    }
    // 6to4 (2002::/16) embeds the IPv4 address in the next 32 bits.
    if segments[0] == 0x2002 {
        return refusal_v4(embedded(1));
    }
    let reason = match segments[0] {
        // 64:ff9b:1::/48, local-use NAT64.
        0x0064 if segments[1] == 0xff9b => "a local NAT64 address",
        // 100::/64, discard-only.
        0x0100 if segments[1..4] == [0, 0, 0] => "a discard-only address",
        // 2001::/23, IETF protocol assignments (Teredo, ORCHID, benchmarking…).
        0x2001 if segments[1] < 0x0200 => "an IETF protocol assignment address",
        0x2001 if segments[1] == 0x0db8 => "a documentation address",
        s if s & 0xfff0 == 0x3ff0 => "a documentation address",
        s if s & 0xfe00 == 0xfc00 => "a unique local (private) address",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xffc0 == 0xfec0 => "a site-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        // Outside 2000::/3 nothing is allocated for global unicast.
        s if s & 0xe000 != 0x2000 => "a reserved address",
        _ => return None,
    };
    Some(reason)
}

/// Refuses URLs that are not http(s) and IP-literal hosts that are not global. Called before
/// every attempt; names are left to [`SafeResolver`].
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the URL scheme must be http or https, not {}",
            url.scheme()
        ));
    }
    if allow_private {
        return Ok(());
    }
    let Some(ip) = literal_ip(url) else {
        return Ok(());
    };
    match refusal(ip) {
        Some(reason) => Err(private_target(&ip.to_string(), reason)),
        None => Ok(()),
    }
}

/// The host as an IP address, when it is one (`[…]` for IPv6; the URL parser has already
/// turned forms like `http://2130706433/` into dotted IPv4).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let bare = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

fn private_target(host: &str, reason: &str) -> String {
    format!(
        "refused: {host} is {reason}; webhook targets must be public. To allow private \
         targets (a receiver on this machine or network), set webhooks.allow_private_targets \
         = true, or TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS=true (the default in \
         development mode)"
    )
}

/// Checks an endpoint URL at creation or update; returns it normalized. Refuses what is
/// certainly not a public target (a private IP literal, `localhost`, a name whose every DNS
/// answer is private); a name that does not resolve (yet) is accepted, since every delivery
/// is checked again.
pub async fn validate_target(raw: &str, allow_private: bool) -> Result<String, ValidationError> {
    let invalid = |message: String| ValidationError::new("url", message);
    if raw.chars().count() > super::MAX_URL_CHARS {
        return Err(invalid(format!(
            "url must be at most {} characters",
            super::MAX_URL_CHARS
        )));
    }
    let url = Url::parse(raw.trim())
        .map_err(|error| invalid(format!("url is not a valid absolute URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("url must be an http:// or https:// URL".into()));
    }
    let Some(host) = url.host_str().filter(|host| !host.is_empty()) else {
        return Err(invalid("url must name a host".into()));
    };
    if url.fragment().is_some() {
        return Err(invalid("url must not have a #fragment".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // It would be shown in every endpoint listing and delivery log: refuse rather than
        // store a password in plain sight. Receivers verify the signature instead.
        return Err(invalid(
            "url must not carry a user name or password (user:password@); verify the \
             webhook signature in the receiver instead"
                .into(),
        ));
    }
    check_url(&url, allow_private).map_err(invalid)?;
    if allow_private {
        return Ok(url.to_string());
    }
    if literal_ip(&url).is_none() {
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return Err(invalid(private_target(&name, "a loopback name")));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let lookup = tokio::net::lookup_host((name.as_str(), port));
        if let Ok(Ok(addrs)) = tokio::time::timeout(VALIDATION_DNS_TIMEOUT, lookup).await {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if let Some(first) = addrs.first()
                && let Some(reason) = refusal(first.ip())
                && addrs.iter().all(|addr| refusal(addr.ip()).is_some())
            {
                return Err(invalid(private_target(
                    &format!("{name} (which resolves to {})", first.ip()),
                    reason,
                )));
            }
        }
    }
    Ok(url.to_string())
}

/// The delivery client's resolver: the system's resolution, keeping only global addresses
/// (or all of them when private targets are allowed). A name left with none fails with a
/// message saying why, which ends up in the attempt log.
#[derive(Debug, Clone, Copy)]
pub struct SafeResolver {
    pub allow_private: bool,
}

impl Resolve for SafeResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match refusal(addr.ip()) {
                    Some(reason) if !allow_private => {
                        refused.get_or_insert((addr.ip(), reason));
                        false
                    }
                    _ => true,
                })
                .collect();
            if kept.is_empty() {
                let message = match refused {
                    Some((ip, reason)) => {
                        private_target(&format!("{host} (which resolves to {ip})"), reason)
                    }
                    None => format!("{host} has no addresses"),
                };
                return Err(message.into());
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        refusal(text.parse().unwrap()).is_some()
    }

    #[test]
    fn non_global_ipv4_addresses_are_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(refused(ip), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "93.184.216.34",
        ] {
            assert!(!refused(ip), "{ip}");
        }
    }

    #[test]
    fn non_global_ipv6_addresses_and_embedded_private_ipv4_are_refused() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:0001::1",
            "2002:c0a8:0101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "100::1",
            "2001::1",
            "4000::1",
        ] {
            assert!(refused(ip), "{ip}");
        }
        for ip in [
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(!refused(ip), "{ip}");
        }
    }

    #[test]
    fn ip_literal_urls_are_checked_unless_private_targets_are_allowed() {
        for url in [
            "http://127.0.0.1/hook",
            "http://[::1]:8080/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:7f00:1]/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let url = Url::parse(url).unwrap();
            assert!(check_url(&url, false).is_err(), "{url}");
            assert!(check_url(&url, true).is_ok(), "{url}");
        }
        let ftp = Url::parse("ftp://example.com/").unwrap();
        assert!(check_url(&ftp, true).is_err());
        assert!(check_url(&Url::parse("https://8.8.8.8/").unwrap(), false).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_drops_private_answers_unless_allowed() {
        let name: Name = "localhost".parse().unwrap();
        let error = SafeResolver {
            allow_private: false,
        }
        .resolve(name)
        .await
        .err()
        .expect("localhost is refused");
        assert!(error.to_string().contains("loopback"), "{error}");

        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = SafeResolver {
            allow_private: true,
        }
        .resolve(name)
        .await
        .expect("allowed")
        .collect();
        assert!(addrs.iter().all(|addr| addr.ip().is_loopback()));
        assert!(!addrs.is_empty());
    }

    #[tokio::test]
    async fn creation_refuses_private_literals_and_loopback_names() {
        for url in [
            "http://127.0.0.1/",
            "http://localhost:9000/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://[::1]/",
            "http://169.254.169.254/",
        ] {
            let error = validate_target(url, false).await.unwrap_err();
            assert_eq!(error.field(), "url", "{url}");
            assert!(error.to_string().contains("public"), "{url}: {error}");
            assert!(validate_target(url, true).await.is_ok(), "{url}");
        }
        for url in [
            "ftp://example.com/",
            "not a url",
            "http://example.com/#frag",
        ] {
            assert_eq!(validate_target(url, true).await.unwrap_err().field(), "url");
        }
        // A name that does not resolve is accepted: deliveries are checked again.
        assert!(
            validate_target("https://does-not-exist.invalid/hook", false)
                .await
                .is_ok()
        );
    }
}
