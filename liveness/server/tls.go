package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tlsSetup is the server's TLS configuration and what the banner shows
// of a self-signed certificate.
type tlsSetup struct {
	config      *tls.Config
	fingerprint string   // SHA-256 of the self-signed certificate, hex pairs
	names       []string // its DNS names and IP addresses
}

// serverTLS returns the TLS configuration of cfg, nil without TLS. A
// self-signed certificate is kept in the state directory
// (tls-self-signed.pem) when there is one, so that a device that accepted it
// keeps accepting it after a restart.
func serverTLS(cfg *Config, addr string, now time.Time) (*tlsSetup, error) {
	switch {
	case cfg.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		return &tlsSetup{config: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}, nil
	case !cfg.TLSSelfSigned:
		return nil, nil
	}
	dns, ips := localNames(addr)
	var path string
	if cfg.StateDir != "" {
		path = filepath.Join(cfg.StateDir, "tls-self-signed.pem")
	}
	certPEM, keyPEM, err := loadSelfSigned(path, dns, ips, now)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, err
	}
	names := append([]string(nil), leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return &tlsSetup{
		config:      &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		fingerprint: strings.Join(pairs, ":"),
		names:       names,
	}, nil
}

// localNames are the names a self-signed certificate covers: localhost,
// the loopback addresses, the host's name, and the listen address or, when
// listening on every interface, the addresses of the interfaces.
func localNames(addr string) (dns []string, ips []net.IP) {
	dns = []string{"localhost"}
	ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if h, err := os.Hostname(); err == nil && h != "" {
		dns = append(dns, h)
	}
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	switch {
	case ip != nil && ip.IsUnspecified():
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
					ips = append(ips, n.IP)
				}
			}
		}
	case ip != nil && !ip.IsLoopback():
		ips = append(ips, ip)
	case ip == nil && host != "" && host != "localhost":
		dns = append(dns, host)
	}
	return dns, ips
}

// loadSelfSigned reads the certificate and key kept at path when they are
// still valid and cover the names, or makes new ones (kept at path when
// path is not empty).
func loadSelfSigned(path string, dns []string, ips []net.IP, now time.Time) (certPEM, keyPEM []byte, err error) {
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			cert, key := splitPEM(b)
			if c, err := tls.X509KeyPair(cert, key); err == nil {
				if leaf, err := x509.ParseCertificate(c.Certificate[0]); err == nil && now.Before(leaf.NotAfter) && covers(leaf, dns, ips) {
					return cert, key, nil
				}
			}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, nil, err
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"openliveness development"}, CommonName: dns[0]},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(90 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	if path != "" {
		if err := os.WriteFile(path, append(append([]byte(nil), certPEM...), keyPEM...), 0o600); err != nil {
			return nil, nil, err
		}
	}
	return certPEM, keyPEM, nil
}

func splitPEM(b []byte) (cert, key []byte) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return cert, key
		}
		if blk.Type == "CERTIFICATE" {
			cert = append(cert, pem.EncodeToMemory(blk)...)
		} else {
			key = append(key, pem.EncodeToMemory(blk)...)
		}
	}
}

func covers(leaf *x509.Certificate, dns []string, ips []net.IP) bool {
	for _, d := range dns {
		if leaf.VerifyHostname(d) != nil {
			return false
		}
	}
	for _, ip := range ips {
		if leaf.VerifyHostname(ip.String()) != nil {
			return false
		}
	}
	return true
}
