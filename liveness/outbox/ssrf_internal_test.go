package outbox

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForbidden(t *testing.T) {
	tests := []struct {
		addr      string
		forbidden bool
	}{
		// IPv4 forbidden ranges, at their edges.
		{"0.0.0.0", true}, {"0.255.255.255", true},
		{"10.0.0.0", true}, {"10.255.255.255", true},
		{"100.64.0.0", true}, {"100.127.255.255", true}, // CGNAT
		{"127.0.0.1", true}, {"127.255.255.254", true},
		{"169.254.0.1", true}, {"169.254.169.254", true}, // link-local, cloud metadata
		{"172.16.0.0", true}, {"172.31.255.255", true},
		{"192.0.0.8", true}, {"192.0.2.1", true}, {"192.88.99.1", true},
		{"192.168.0.1", true}, {"192.168.255.255", true},
		{"198.18.0.1", true}, {"198.19.255.255", true}, {"198.51.100.7", true}, {"203.0.113.9", true},
		{"224.0.0.1", true}, {"239.255.255.250", true}, // multicast
		{"240.0.0.1", true}, {"255.255.255.255", true}, // reserved, broadcast
		// IPv4 public, just outside the ranges.
		{"8.8.8.8", false}, {"1.1.1.1", false},
		{"9.255.255.255", false}, {"11.0.0.0", false},
		{"100.63.255.255", false}, {"100.128.0.0", false},
		{"126.255.255.255", false}, {"128.0.0.0", false},
		{"169.253.255.255", false}, {"169.255.0.0", false},
		{"172.15.255.255", false}, {"172.32.0.0", false},
		{"192.167.255.255", false}, {"192.169.0.0", false},
		{"223.255.255.255", false},
		// IPv6.
		{"::", true}, {"::1", true},
		{"fe80::1", true}, {"fe80::1%eth0", true}, {"febf::1", true},
		{"fc00::1", true}, {"fd12:3456:789a::1", true}, // unique-local
		{"fec0::1", true},
		{"ff02::1", true}, {"ff05::1:3", true}, // multicast
		{"2001:db8::1", true}, {"100::1", true},
		{"2606:4700:4700::1111", false}, {"2001:4860:4860::8888", false},
		// IPv4-mapped forms of every IPv4 class.
		{"::ffff:0.0.0.0", true}, {"::ffff:10.1.2.3", true}, {"::ffff:100.64.0.1", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true}, {"::ffff:172.16.0.1", true},
		{"::ffff:192.168.1.1", true}, {"::ffff:224.0.0.1", true}, {"::ffff:255.255.255.255", true},
		{"::ffff:8.8.8.8", false},
		// Other IPv6 forms embedding an IPv4 address.
		{"::127.0.0.1", true}, {"::ffff:0:a9fe:a9fe", true}, // IPv4-compatible, SIIT
		{"64:ff9b::10.0.0.1", true}, {"64:ff9b::169.254.169.254", true}, {"64:ff9b::8.8.8.8", false}, // NAT64
		{"64:ff9b:1::a00:1", true},
		{"2002:7f00:1::1", true}, {"2002:a9fe:a9fe::", true}, {"2002:808:808::1", false}, // 6to4
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", true}, // Teredo for 127.0.0.1
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tc.addr)
			reason, got := Forbidden(ip)
			require.Equal(t, tc.forbidden, got, "Forbidden(%s) (%s)", tc.addr, reason)
			if got {
				require.NotEmpty(t, reason, "no reason given")
			}
			// The dial hook agrees.
			err := dialControl("tcp", netip.AddrPortFrom(ip, 443).String(), nil)
			if tc.forbidden {
				require.ErrorIs(t, err, ErrForbiddenAddress, "dialControl(%s)", tc.addr)
			} else {
				require.NoError(t, err, "dialControl(%s)", tc.addr)
			}
		})
	}
	_, bad := Forbidden(netip.Addr{})
	assert.True(t, bad, "the zero address is allowed")
	assert.ErrorIs(t, dialControl("tcp", "not-an-address", nil), ErrForbiddenAddress, "dialControl(garbage)")
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		want     error
	}{
		{"https://hooks.example.com/x", false, nil},
		{"https://hooks.example.com:8443/x?q=1", false, nil},
		{"https://8.8.8.8/", false, nil},
		{"https://localhost/", false, nil}, // names are checked at dial time
		{"http://hooks.example.com/", false, ErrInsecureURL},
		{"ftp://hooks.example.com/", false, ErrInsecureURL},
		{"hooks.example.com/x", false, ErrInsecureURL},
		{"https:///path", false, ErrInsecureURL},
		{"https://user:pw@hooks.example.com/", false, ErrInsecureURL},
		{"https://127.0.0.1/", false, ErrForbiddenAddress},
		{"https://[::1]:8443/", false, ErrForbiddenAddress},
		{"https://[::ffff:169.254.169.254]/", false, ErrForbiddenAddress},
		{"https://10.0.0.5./", false, ErrForbiddenAddress},
		{"https://[fe80::1%25eth0]/", false, ErrForbiddenAddress},
		{"http://127.0.0.1:8080/", true, nil},
		{"http://localhost/", true, nil},
		{"ftp://localhost/", true, ErrInsecureURL},
		{"://bad", false, ErrInsecureURL},
	}
	for _, tc := range tests {
		err := CheckURL(tc.url, tc.insecure)
		if tc.want == nil {
			assert.NoError(t, err, "CheckURL(%q, %v)", tc.url, tc.insecure)
		} else {
			assert.ErrorIs(t, err, tc.want, "CheckURL(%q, %v)", tc.url, tc.insecure)
		}
	}
}

func TestGuardTransport(t *testing.T) {
	base := &http.Transport{Proxy: http.ProxyFromEnvironment}
	tr := guardTransport(base, true, 5*time.Second)
	assert.Nil(t, tr.Proxy, "guarded transport keeps a proxy")
	assert.NotNil(t, tr.DialContext, "guarded transport does not dial through the guarded dialer")
	assert.Nil(t, tr.DialTLSContext, "guarded transport does not dial through the guarded dialer")
	assert.NotNil(t, base.Proxy, "the caller's transport was modified")
	c, err := buildClient(nil, true, time.Second)
	require.NoError(t, err)
	assert.NotNil(t, c.CheckRedirect, "client follows redirects")
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		err    error
		want   outcome
	}{
		{200, nil, outcomeDelivered}, {299, nil, outcomeDelivered},
		{0, errors.New("connection reset"), outcomeRetry},
		{0, ErrForbiddenAddress, outcomeFail},
		{101, nil, outcomeFail}, {301, nil, outcomeFail}, {304, nil, outcomeFail},
		{400, nil, outcomeFail}, {403, nil, outcomeFail}, {404, nil, outcomeFail}, {422, nil, outcomeFail},
		{408, nil, outcomeRetry}, {429, nil, outcomeRetry},
		{410, nil, outcomeGone},
		{500, nil, outcomeRetry}, {502, nil, outcomeRetry}, {503, nil, outcomeRetry}, {504, nil, outcomeRetry},
		{600, nil, outcomeFail},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, classify(tc.status, tc.err), "classify(%d, %v)", tc.status, tc.err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true}, {"120", 120 * time.Second, true}, {" 7 ", 7 * time.Second, true},
		{"Sun, 01 Jun 2025 12:10:00 GMT", 10 * time.Minute, true},
		{"Sun, 01 Jun 2025 11:00:00 GMT", 0, true}, // in the past
		{"99999999999999999999", 1<<63 - 1, true},
		{"", 0, false}, {"-1", 0, false}, {"1.5", 0, false}, {"soon", 0, false}, {"12a", 0, false},
		{"99999999999x", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.v, now)
		assert.Equal(t, tc.want, got, "parseRetryAfter(%q)", tc.v)
		assert.Equal(t, tc.ok, ok, "parseRetryAfter(%q) ok", tc.v)
	}
}

func TestRetryPolicyNext(t *testing.T) {
	p := DefaultRetryPolicy()
	p.Jitter = 0.1
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 30 * time.Second, 5: time.Hour} {
		lo, _ := p.Next(n, 0, 0)
		mid, _ := p.Next(n, 0.5, 0)
		assert.Equal(t, want, mid, "Next(%d) u=0.5", n)
		assert.Equal(t, want*9/10, lo, "Next(%d) u=0", n)
	}
	_, ok := p.Next(6, 0.5, 0)
	assert.False(t, ok, "a seventh attempt was scheduled")
	_, ok = p.Next(0, 0.5, 0)
	assert.False(t, ok, "attempt 0 scheduled")
	d, _ := p.Next(1, 0.5, 2*time.Hour)
	assert.Equal(t, time.Hour, d, "Retry-After 2h capped")
	p.MaxRetryAfter = 3 * time.Hour
	d, _ = p.Next(1, 0.5, 2*time.Hour)
	assert.Equal(t, 2*time.Hour, d, "Retry-After 2h with a 3h cap")
}
