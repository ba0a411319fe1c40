package outbox

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// forbiddenRanges lists the non-public networks refused by the SSRF guard,
// with the reason reported.
var forbiddenRanges = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (this network)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "CGNAT shared address space"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Prefixes of IPv6 forms that carry an IPv4 address in their low 32 bits; the
// embedded address is checked. IPv4-mapped (::ffff:0:0/96) is handled by
// Unmap.
var embeds4 = []netip.Prefix{
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // SIIT IPv4-translated
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 well-known prefix
	netip.MustParsePrefix("64:ff9b:1::/48"),  // NAT64 local-use prefix
}

// Forbidden reports whether ip is an address webhooks must never reach, and
// why: loopback, private (RFC 1918), link-local (including the cloud
// metadata address 169.254.169.254), CGNAT (100.64.0.0/10), multicast,
// unspecified, reserved and documentation ranges, IPv6 unique-local and
// site-local, and IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms of any
// forbidden IPv4 address. The zero Addr is forbidden.
func Forbidden(ip netip.Addr) (reason string, forbidden bool) {
	if !ip.IsValid() {
		return "invalid", true
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		if r, bad := Forbidden(ip.Unmap()); bad {
			return "IPv4-mapped " + r, true
		}
		return "", false
	}
	for _, f := range forbiddenRanges {
		if f.prefix.Contains(ip) {
			return f.reason, true
		}
	}
	if ip.Is6() {
		b := ip.As16()
		for _, p := range embeds4 {
			if p.Contains(ip) {
				v4 := netip.AddrFrom4([4]byte(b[12:16]))
				if r, bad := Forbidden(v4); bad {
					return "IPv4-embedding " + r, true
				}
			}
		}
		// 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
		if b[0] == 0x20 && b[1] == 0x02 {
			v4 := netip.AddrFrom4([4]byte(b[2:6]))
			if r, bad := Forbidden(v4); bad {
				return "6to4 " + r, true
			}
		}
		// Teredo (2001::/32) carries the client address inverted in the low
		// 32 bits.
		if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0 {
			v4 := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
			if r, bad := Forbidden(v4); bad {
				return "Teredo " + r, true
			}
		}
	}
	return "", false
}

// dialControl is the net.Dialer Control hook of the guarded transport. It
// runs for every connection, after DNS resolution, with the literal address
// about to be connected, so a host name that resolves (or re-resolves) to an
// internal address is refused.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable dial address %q", ErrForbiddenAddress, address)
	}
	if reason, bad := Forbidden(ap.Addr()); bad {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, ap.Addr(), reason)
	}
	return nil
}

// guardTransport returns a copy of base (or of a fresh default transport)
// whose connections go through the SSRF guard, never through a proxy.
// Without guard (the development option), only the proxy is removed.
func guardTransport(base *http.Transport, guard bool, timeout time.Duration) *http.Transport {
	var t *http.Transport
	if base != nil {
		t = base.Clone()
	} else {
		t = http.DefaultTransport.(*http.Transport).Clone()
	}
	// A proxy would make the guard check the proxy's address instead of
	// the target's, and could reach internal hosts on our behalf.
	t.Proxy = nil
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if guard {
		d.Control = dialControl
	}
	t.DialContext = d.DialContext
	t.DialTLSContext = nil
	t.Dial = nil
	t.DialTLS = nil
	t.ResponseHeaderTimeout = timeout
	t.MaxResponseHeaderBytes = 64 << 10
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// noRedirect makes clients return 3xx responses instead of following them.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
