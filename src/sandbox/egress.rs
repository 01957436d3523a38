//! The egress fence: a sandbox with its own network namespace whose only way out is an HTTP
//! proxy that agent-install runs (issue 14).
//!
//! Why a proxy and not a firewall: the sandbox's namespace has nothing but loopback, so a
//! process that ignores the proxy settings (a raw socket, a `/dev/tcp` redirection, a resolver
//! call) reaches nothing at all; the package managers and downloaders honour `http_proxy` /
//! `https_proxy`, and the proxy sees the host name of every request (the `CONNECT` target or
//! the absolute URL of a plain HTTP request) without decrypting anything. No veth pair, no
//! address and no firewall rule is set up on the host: the proxy's listening socket is created
//! *inside* the sandbox's namespace (a thread enters it with `setns`, binds, and leaves; a
//! socket keeps the namespace it was made in), while the proxy connects out from the host's.
//!
//! Every request is recorded — host, port, bytes both ways, allowed or blocked — and the
//! caller drains the records after each command ([`Proxy::take_requests`]). A blocked request
//! gets `403 Forbidden` with a body that says how to allow it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The proxy's port on the sandbox's own loopback (a private namespace: no clash possible).
pub const PROXY_PORT: u16 = 3128;

/// The largest request head the proxy reads before giving up on a client.
const MAX_HEAD: usize = 64 * 1024;

/// How long connecting to an allowed host may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Which hosts the fence lets through. Patterns: `host` (exact, case-insensitive), `*.domain`
/// (any subdomain), either with `:port` to allow one port only. Deny wins over allow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EgressRules {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl EgressRules {
    /// Whether a request to `host:port` may pass.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let matches = |pattern: &String| host_matches(pattern, host, port);
        !self.deny.iter().any(matches) && self.allow.iter().any(matches)
    }
}

fn host_matches(pattern: &str, host: &str, port: u16) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let (name, wanted_port) = match pattern.rsplit_once(':') {
        Some((name, port_text)) if !name.contains(':') || name.starts_with('[') => {
            match port_text.parse::<u16>() {
                Ok(number) => (name.to_string(), Some(number)),
                Err(_) => (pattern.clone(), None),
            }
        }
        _ => (pattern.clone(), None),
    };
    if wanted_port.is_some_and(|wanted| wanted != port) {
        return false;
    }
    let name = name.trim_matches(['[', ']']);
    match name.strip_prefix("*.") {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => host == name,
    }
}

/// One connection through the fence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRequest {
    pub host: String,
    pub port: u16,
    /// Bytes relayed both ways (0 when blocked).
    pub bytes: u64,
    pub allowed: bool,
}

impl NetworkRequest {
    /// `host`, or `host:port` off the web's default ports: how reports and plans name it.
    pub fn address(&self) -> String {
        match self.port {
            80 | 443 => self.host.clone(),
            port => format!("{}:{port}", self.host),
        }
    }
}

struct Entry {
    host: String,
    port: u16,
    allowed: bool,
    bytes: Arc<AtomicU64>,
}

struct Shared {
    /// Grows during the session as commands that passed the policy name new downloads.
    rules: std::sync::RwLock<EgressRules>,
    entries: Mutex<Vec<Entry>>,
}

/// The proxy of one sandbox session: the rules, the record, and one listener per generation of
/// the sandbox's namespace.
pub struct Proxy {
    shared: Arc<Shared>,
    listeners: Vec<(Arc<TcpListener>, JoinHandle<()>)>,
}

impl Proxy {
    pub fn new(rules: EgressRules) -> Proxy {
        Proxy {
            shared: Arc::new(Shared {
                rules: std::sync::RwLock::new(rules),
                entries: Mutex::new(Vec::new()),
            }),
            listeners: Vec::new(),
        }
    }

    /// Lets `hosts` through from now on (the deny list still wins).
    pub fn allow(&self, hosts: &[String]) {
        let mut rules = match self.shared.rules.write() {
            Ok(rules) => rules,
            Err(poisoned) => poisoned.into_inner(),
        };
        for host in hosts {
            if !rules.allow.contains(host) {
                rules.allow.push(host.clone());
            }
        }
    }

    /// Starts listening on `127.0.0.1:PROXY_PORT` inside the network namespace of process
    /// `pid` (the sandbox's init), serving from this process's own namespace.
    pub fn listen_in(&mut self, pid: i32) -> io::Result<()> {
        let target = File::open(format!("/proc/{pid}/ns/net"))?;
        let (sender, receiver) = std::sync::mpsc::channel::<io::Result<Arc<TcpListener>>>();
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new()
            .name("egress-proxy".to_string())
            .spawn(move || {
                let listener = match bind_in(&target) {
                    Ok(listener) => Arc::new(listener),
                    Err(error) => {
                        let _ = sender.send(Err(error));
                        return;
                    }
                };
                let _ = sender.send(Ok(Arc::clone(&listener)));
                accept_loop(&listener, &shared);
            })?;
        let listener = receiver
            .recv()
            .map_err(|_| io::Error::other("the proxy thread ended before listening"))??;
        self.listeners.push((listener, thread));
        Ok(())
    }

    /// Stops every listener (their namespaces are gone or going); connections in flight end
    /// with their peers.
    pub fn stop_listening(&mut self) {
        for (listener, thread) in self.listeners.drain(..) {
            // SAFETY: shutdown on a descriptor the Arc keeps open; on a listening socket it
            // wakes the thread blocked in accept, which then returns.
            unsafe { libc::shutdown(listener.as_raw_fd(), libc::SHUT_RDWR) };
            let _ = thread.join();
        }
    }

    /// The requests since the last call, in order, with the bytes relayed so far.
    pub fn take_requests(&self) -> Vec<NetworkRequest> {
        let mut entries = match self.shared.entries.lock() {
            Ok(entries) => entries,
            Err(poisoned) => poisoned.into_inner(),
        };
        entries
            .drain(..)
            .map(|entry| NetworkRequest {
                host: entry.host,
                port: entry.port,
                bytes: entry.bytes.load(Ordering::SeqCst),
                allowed: entry.allowed,
            })
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop_listening();
    }
}

/// Enters the namespace `target` on this thread, binds the listener, and comes back.
fn bind_in(target: &File) -> io::Result<TcpListener> {
    let home = File::open("/proc/thread-self/ns/net")?;
    enter(target)?;
    let bound = TcpListener::bind(("127.0.0.1", PROXY_PORT));
    // Coming back must not fail silently: this thread would otherwise connect out from the
    // sandbox's namespace, where nothing is reachable.
    enter(&home)?;
    bound
}

fn enter(namespace: &File) -> io::Result<()> {
    // SAFETY: setns with a descriptor of a network namespace file affects this thread only.
    let result = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        match listener.accept() {
            Ok((client, _)) => {
                let shared = Arc::clone(shared);
                let _ = std::thread::Builder::new()
                    .name("egress-connection".to_string())
                    .spawn(move || serve(client, &shared));
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            // Shut down (EINVAL) or the namespace is gone.
            Err(_) => return,
        }
    }
}

/// A parsed request head.
struct Head {
    connect: bool,
    host: String,
    port: u16,
    /// For plain HTTP: the head rewritten for the origin server.
    forward: Vec<u8>,
}

fn serve(mut client: TcpStream, shared: &Shared) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok((head_bytes, rest)) = read_head(&mut client) else {
        return;
    };
    let Some(head) = parse_head(&head_bytes) else {
        let _ = client.write_all(
            b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        );
        return;
    };
    // A name may only reach this machine's loopback when it is the loopback address itself,
    // as written in an allowed entry: `localhost:PORT` or a public name that resolves to
    // 127.0.0.1 (a DNS trick) must not open the host's local services to the sandbox.
    let mut allowed = match shared.rules.read() {
        Ok(rules) => rules.allows(&head.host, head.port),
        Err(poisoned) => poisoned.into_inner().allows(&head.host, head.port),
    };
    let mut addresses = Vec::new();
    let mut why = "the host is not in the sandbox's network allowlist (the target's package \
                   sources and the hosts the install route downloads from)";
    if allowed {
        addresses = (head.host.as_str(), head.port)
            .to_socket_addrs()
            .map(Iterator::collect)
            .unwrap_or_default();
        if resolves_to_loopback(&head.host, &addresses) {
            allowed = false;
            why = "the name resolves to a loopback address; only a loopback address written \
                   as such can be allowed";
        }
    }
    let bytes = Arc::new(AtomicU64::new(0));
    if let Ok(mut entries) = shared.entries.lock() {
        entries.push(Entry {
            host: head.host.clone(),
            port: head.port,
            allowed,
            bytes: Arc::clone(&bytes),
        });
    }
    if !allowed {
        let body = format!(
            "agent-install blocked {}:{}: {why}.\n\
             To allow it, add it to a policy file and pass it with --policy:\n\
             [network]\nallow = [\"{}\"]\n",
            head.host, head.port, head.host
        );
        let _ = write!(
            client,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    let upstream = addresses
        .iter()
        .find_map(|address| TcpStream::connect_timeout(address, CONNECT_TIMEOUT).ok());
    let Some(mut upstream) = upstream else {
        let _ = client.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        );
        return;
    };
    if head.connect {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
    } else if upstream.write_all(&head.forward).is_err() {
        return;
    }
    if !rest.is_empty() && upstream.write_all(&rest).is_err() {
        return;
    }
    bytes.fetch_add((head.forward.len() + rest.len()) as u64, Ordering::SeqCst);
    let _ = client.set_read_timeout(None);
    relay(client, upstream, &bytes);
}

/// Whether `host`, a name rather than an address, resolved to a loopback or unspecified
/// address.
pub fn resolves_to_loopback(host: &str, addresses: &[std::net::SocketAddr]) -> bool {
    let literal = host
        .trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_ok();
    !literal
        && addresses
            .iter()
            .any(|address| address.ip().is_loopback() || address.ip().is_unspecified())
}

/// Copies both ways until each side has closed, counting bytes.
fn relay(client: TcpStream, upstream: TcpStream, bytes: &Arc<AtomicU64>) {
    let (Ok(client_reader), Ok(upstream_reader)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let counter = Arc::clone(bytes);
    let outbound = std::thread::spawn(move || copy_counting(client_reader, upstream, &counter));
    copy_counting(upstream_reader, client, bytes);
    let _ = outbound.join();
}

fn copy_counting(mut from: TcpStream, mut to: TcpStream, bytes: &AtomicU64) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => {
                if to.write_all(&buffer[..count]).is_err() {
                    break;
                }
                bytes.fetch_add(count as u64, Ordering::SeqCst);
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

/// Reads up to the end of the request head; returns the head and what came after it.
fn read_head(client: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = find(&data, b"\r\n\r\n") {
            let rest = data.split_off(end + 4);
            return Ok((data, rest));
        }
        if data.len() > MAX_HEAD {
            return Err(io::Error::other("request head too large"));
        }
        let count = client.read(&mut buffer)?;
        if count == 0 {
            return Err(io::Error::other("closed before the request head ended"));
        }
        data.extend_from_slice(&buffer[..count]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `CONNECT host:port HTTP/1.1` or `GET http://host[:port]/path HTTP/1.1` (other forms are
/// refused: a client of a proxy always sends one of these).
fn parse_head(head: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next()?;
    let mut parts = request_line.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next()?;
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = split_authority(target, 443)?;
        return Some(Head {
            connect: true,
            host,
            port,
            forward: Vec::new(),
        });
    }
    let rest = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("HTTP://"))?;
    let (authority, path) = match rest.find('/') {
        Some(index) => (&rest[..index], &rest[index..]),
        None => (rest, "/"),
    };
    let authority = authority.rsplit('@').next()?;
    let (host, port) = split_authority(authority, 80)?;
    let mut forward = format!("{method} {path} {version}\r\n");
    for line in lines.filter(|line| !line.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("proxy-connection")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            continue;
        }
        forward.push_str(line);
        forward.push_str("\r\n");
    }
    forward.push_str("\r\n");
    Some(Head {
        connect: false,
        host,
        port,
        forward: forward.into_bytes(),
    })
}

/// `host:port`, `[v6]:port` or `host` (with `default` port).
fn split_authority(authority: &str, default: u16) -> Option<(String, u16)> {
    if authority.is_empty() {
        return None;
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None => default,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some(("", _)) => None,
        Some((host, port)) => Some((host.to_ascii_lowercase(), port.parse().ok()?)),
        None => Some((authority.to_ascii_lowercase(), default)),
    }
}

/// What a user reads when the fence refused `blocked` (`host:port` each): what was blocked
/// and the policy line that would allow it.
pub fn blocked_message(blocked: &[String]) -> String {
    let hosts: Vec<String> = blocked
        .iter()
        .map(|address| match address.rsplit_once(':') {
            Some((host, "80" | "443")) => format!("\"{host}\""),
            _ => format!("\"{address}\""),
        })
        .collect();
    format!(
        "the egress fence blocked {}: the host is not among the package sources and downloads \
         of this install; if it needs the host, allow it with `[network] allow = [{}]` in a \
         --policy file",
        blocked.join(", "),
        hosts.join(", ")
    )
}

/// Groups requests by host and port: bytes summed, blocked if any was.
pub fn summarize(requests: &[NetworkRequest]) -> Vec<NetworkRequest> {
    let mut summary: Vec<NetworkRequest> = Vec::new();
    for request in requests {
        match summary
            .iter_mut()
            .find(|seen| seen.host == request.host && seen.port == request.port)
        {
            Some(seen) => {
                seen.bytes += request.bytes;
                seen.allowed &= request.allowed;
            }
            None => summary.push(request.clone()),
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_hosts_ports_and_subdomains() {
        let rules = EgressRules {
            allow: vec![
                "deb.example.org".to_string(),
                "*.files.example".to_string(),
                "127.0.0.1:8080".to_string(),
            ],
            deny: vec!["bad.files.example".to_string()],
        };
        assert!(rules.allows("deb.example.org", 80));
        assert!(rules.allows("DEB.example.org.", 443));
        assert!(rules.allows("a.files.example", 443));
        assert!(!rules.allows("files.example", 443));
        assert!(!rules.allows("bad.files.example", 443));
        assert!(rules.allows("127.0.0.1", 8080));
        assert!(!rules.allows("127.0.0.1", 8081));
        assert!(!rules.allows("evil.example", 443));
        assert!(!EgressRules::default().allows("deb.example.org", 80));
    }

    #[test]
    fn names_that_resolve_to_loopback_are_not_loopback_addresses() {
        let loopback: Vec<std::net::SocketAddr> = vec!["127.0.0.1:8080".parse().unwrap()];
        let public: Vec<std::net::SocketAddr> = vec!["192.0.2.7:80".parse().unwrap()];
        assert!(resolves_to_loopback("localhost", &loopback));
        assert!(resolves_to_loopback("rebind.example", &loopback));
        assert!(!resolves_to_loopback("127.0.0.1", &loopback));
        assert!(!resolves_to_loopback(
            "[::1]",
            &["[::1]:80".parse().unwrap()]
        ));
        assert!(!resolves_to_loopback("deb.example.org", &public));
    }

    #[test]
    fn request_heads_name_their_host() {
        let head = parse_head(b"CONNECT pkg.example:443 HTTP/1.1\r\nHost: pkg.example:443\r\n\r\n")
            .unwrap();
        assert!(head.connect);
        assert_eq!((head.host.as_str(), head.port), ("pkg.example", 443));

        let head = parse_head(
            b"GET http://Mirror.example/debian/dists/x HTTP/1.1\r\nHost: mirror.example\r\nProxy-Connection: keep-alive\r\n\r\n",
        )
        .unwrap();
        assert!(!head.connect);
        assert_eq!((head.host.as_str(), head.port), ("mirror.example", 80));
        let forward = String::from_utf8(head.forward).unwrap();
        assert!(
            forward.starts_with("GET /debian/dists/x HTTP/1.1\r\n"),
            "{forward}"
        );
        assert!(!forward.contains("Proxy-Connection"), "{forward}");

        let head = parse_head(b"GET http://127.0.0.1:18777 HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!((head.host.as_str(), head.port), ("127.0.0.1", 18777));
        assert!(parse_head(b"GET /relative HTTP/1.1\r\n\r\n").is_none());
        assert!(parse_head(b"CONNECT :443 HTTP/1.1\r\n\r\n").is_none());
    }
}
