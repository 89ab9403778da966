package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gisiaas test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeHTTPS_A01 runs `gisiaas serve` with a TLS certificate and a real
// simulator plugin binary: the API answers over HTTPS only (A.0.1), the
// bootstrap admin logs in, and cancelling stops the server and its plugins.
func TestServeHTTPS_A01(t *testing.T) {
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "gisiaas-driver-sim"), "github.com/gisiaas/gisiaas/cmd/gisiaas-driver-sim")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build plugin: %v\n%s", err, out)
	}
	certFile, keyFile, pool := selfSigned(t, dir)
	cfg := filepath.Join(dir, "gisiaas.yaml")
	body := "listen: 127.0.0.1:0\ndata_dir: " + filepath.Join(dir, "var") + "\nplugin_dirs: [" + dir + "]\n" +
		"tls: {cert: " + certFile + ", key: " + keyFile + "}\n" +
		"datacenters:\n  - {id: dc1, driver: sim, settings: {latency: 0s, datacenters: [{id: dc1}]}}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GISIAAS_ADMIN_PASSWORD", "bootstrap-pass")
	addr, cancel, done := startServe(t, cfg)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	login := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","password":"bootstrap-pass"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}`
	resp, err := client.Post("https://"+addr.String()+"/v3/auth/tokens", "application/json", strings.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Subject-Token") == "" || resp.TLS == nil {
		t.Fatalf("login over HTTPS: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	// Plain HTTP on the TLS port is refused.
	if plain, err := http.Get("http://" + addr.String() + "/v3/auth/tokens"); err == nil {
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP answered %d", plain.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		t.Fatal("still listening after shutdown")
	}
	// The plugin processes went with it.
	plugin := filepath.Join(dir, "gisiaas-driver-sim")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.HasPrefix(string(b), plugin) {
			t.Fatalf("plugin still running: %s", p)
		}
	}
}

// startServe runs serve with the configuration file cfg until cancel is
// called; done delivers serve's result.
func startServe(t *testing.T, cfg string) (addr net.Addr, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	result := make(chan error, 1)
	go func() {
		result <- serve(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg, "", "", func(a net.Addr) { addrc <- a })
	}()
	select {
	case addr = <-addrc:
	case err := <-result:
		cancel()
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not start listening")
	}
	return addr, cancel, result
}
