package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Credentials are what `gisiaas login` keeps between commands. The token is
// a bearer secret, so the file is 0600 in a 0700 directory.
type Credentials struct {
	Endpoint  string    `json:"endpoint"`
	Token     string    `json:"token"`
	ProjectID string    `json:"project_id"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// The rest make messages and later commands match the login.
	User     string `json:"user,omitempty"`
	Project  string `json:"project,omitempty"`
	CACert   string `json:"ca_cert,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
}

// Environment variables that override the saved credentials (CI, scripts).
const (
	envConfigDir = "GISIAAS_CONFIG_DIR"
	envEndpoint  = "GISIAAS_ENDPOINT"
	envToken     = "GISIAAS_TOKEN"
	envProjectID = "GISIAAS_PROJECT_ID"
)

const credentialsFile = "credentials.json"

// credentialsPath is $GISIAAS_CONFIG_DIR/credentials.json, else
// os.UserConfigDir()/gisiaas/credentials.json.
func (c *cli) credentialsPath() (string, error) {
	if dir := c.getenv(envConfigDir); dir != "" {
		return filepath.Join(dir, credentialsFile), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory (set %s): %w", envConfigDir, err)
	}
	return filepath.Join(dir, "gisiaas", credentialsFile), nil
}

// loadCredentials reads the saved credentials; none saved is (nil, nil).
func (c *cli) loadCredentials() (*Credentials, string, error) {
	path, err := c.credentialsPath()
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, path, nil
	}
	if err != nil {
		return nil, path, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(c.stderr, "warning: %s is readable by other users; run chmod 600 on it\n", path)
	}
	var cr Credentials
	if err := json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&cr); err != nil {
		return nil, path, fmt.Errorf("%s is damaged (%v): run gisiaas login again", path, err)
	}
	return &cr, path, nil
}

// saveCredentials replaces the file atomically, so a crash never leaves a
// half-written token and the mode is 0600 from the first byte.
func (c *cli) saveCredentials(cr *Credentials) (string, error) {
	path, err := c.credentialsPath()
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(cr, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*.json") // created 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

// errNotLoggedIn says what to do, not just what is missing.
var errNotLoggedIn = errors.New("not logged in: run gisiaas login --endpoint URL --username USER --project PROJECT " +
	"(or set " + envEndpoint + ", " + envToken + " and " + envProjectID + ")")

// resolveCredentials is the saved credentials overridden field by field by
// the environment; an expired saved token is refused here rather than
// sent, so the message says to log in instead of a bare 401.
func (c *cli) resolveCredentials() (*Credentials, error) {
	cr, path, err := c.loadCredentials()
	if err != nil {
		return nil, err
	}
	if cr == nil {
		cr = &Credentials{}
	}
	if v := c.getenv(envEndpoint); v != "" {
		cr.Endpoint = v
	}
	if v := c.getenv(envToken); v != "" {
		// Its expiry is unknown here; the API judges it.
		cr.Token, cr.ExpiresAt = v, time.Time{}
	}
	if v := c.getenv(envProjectID); v != "" {
		cr.ProjectID = v
	}
	if cr.Endpoint == "" || cr.Token == "" || cr.ProjectID == "" {
		return nil, errNotLoggedIn
	}
	if !cr.ExpiresAt.IsZero() && !c.now().Before(cr.ExpiresAt) {
		return nil, fmt.Errorf("the token saved in %s expired at %s: run gisiaas login",
			path, cr.ExpiresAt.Local().Format(time.RFC3339))
	}
	ep, err := normalizeEndpoint(cr.Endpoint)
	if err != nil {
		return nil, err
	}
	cr.Endpoint = ep
	return cr, nil
}

// loginBody is the Keystone v3 password request with a project scope (B.1.1).
func loginBody(user, domain, password, project, projectDomain string) map[string]any {
	return map[string]any{"auth": map[string]any{
		"identity": map[string]any{
			"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{
				"name": user, "domain": map[string]string{"name": domain}, "password": password,
			}},
		},
		"scope": map[string]any{"project": map[string]any{
			"name": project, "domain": map[string]string{"name": projectDomain},
		}},
	}}
}

func cmdLogin(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("login")
	endpoint := fset.String("endpoint", "", "API URL, e.g. https://iaas.example.org (default $"+envEndpoint+")")
	user := fset.String("username", "", "user name (required)")
	password := fset.String("password", "", "password (visible to other local users in the process list; prefer --password-stdin)")
	fromStdin := fset.Bool("password-stdin", false, "read the password from the first line of standard input")
	domain := fset.String("domain", "Default", "the user's domain (department)")
	project := fset.String("project", "", "project to scope the token to (required)")
	projectDomain := fset.String("project-domain", "", "the project's domain (default: --domain)")
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("login takes no arguments, not %q", pos[0])
	}
	if *endpoint == "" {
		*endpoint = c.getenv(envEndpoint)
	}
	switch {
	case *endpoint == "":
		return usagef("--endpoint is required")
	case *user == "":
		return usagef("--username is required")
	case *project == "":
		return usagef("--project is required")
	case *password != "" && *fromStdin:
		return usagef("give --password or --password-stdin, not both")
	case *password == "" && !*fromStdin:
		return usagef("--password or --password-stdin is required")
	}
	if *fromStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password: %w", err)
		}
		*password = strings.TrimRight(line, "\r\n")
		if *password == "" {
			return usagef("--password-stdin: standard input is empty")
		}
	}
	if *projectDomain == "" {
		*projectDomain = *domain
	}
	ep, err := normalizeEndpoint(*endpoint)
	if err != nil {
		return err
	}
	if u, _ := url.Parse(ep); u.Scheme == "http" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(c.stderr, "warning: %s is plain HTTP: the password and token cross the network unencrypted\n", ep)
	}
	if com.insecure {
		fmt.Fprintln(c.stderr, "warning: --insecure: the endpoint's certificate is not verified, now or by later commands")
	}
	cl, err := c.newClient(com, &Credentials{Endpoint: ep, CACert: com.caCert, Insecure: com.insecure})
	if err != nil {
		return err
	}
	resp, err := cl.Do(ctx, request{method: http.MethodPost, path: "/v3/auth/tokens", noAuth: true,
		body: loginBody(*user, *domain, *password, *project, *projectDomain)})
	if err != nil {
		return err
	}
	token := resp.Header.Get("X-Subject-Token")
	if token == "" {
		return errors.New("the answer carries no X-Subject-Token: is --endpoint a gisiaas API?")
	}
	raw, err := member(resp.Body, "token")
	if err != nil {
		return err
	}
	var tv struct {
		ExpiresAt string `json:"expires_at"`
		User      struct {
			Name string `json:"name"`
		} `json:"user"`
		Project *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
	}
	if err := json.Unmarshal(raw, &tv); err != nil {
		return fmt.Errorf("the token in the answer: %w", err)
	}
	if tv.Project == nil || tv.Project.ID == "" {
		return errors.New("the token is not scoped to a project")
	}
	cr := &Credentials{Endpoint: ep, Token: token, ProjectID: tv.Project.ID, User: tv.User.Name,
		Project: tv.Project.Name, CACert: com.caCert, Insecure: com.insecure}
	if tv.ExpiresAt != "" {
		if cr.ExpiresAt, err = time.Parse(time.RFC3339Nano, tv.ExpiresAt); err != nil {
			return fmt.Errorf("the token's expires_at %q: %w", tv.ExpiresAt, err)
		}
	}
	if cr.CACert != "" {
		// Later commands run from other directories.
		if cr.CACert, err = filepath.Abs(cr.CACert); err != nil {
			return err
		}
	}
	path, err := c.saveCredentials(cr)
	if err != nil {
		return fmt.Errorf("saving the credentials: %w", err)
	}
	if com.output == "json" {
		return c.printJSON(raw)
	}
	fmt.Fprintf(c.stdout, "Logged in to %s as %s, project %s (%s).\n", ep, cr.User, cr.Project, cr.ProjectID)
	if !cr.ExpiresAt.IsZero() {
		fmt.Fprintf(c.stdout, "The token expires at %s (in %s).\n", cr.ExpiresAt.Local().Format(time.RFC3339),
			cr.ExpiresAt.Sub(c.now()).Round(time.Minute))
	}
	fmt.Fprintf(c.stdout, "Saved to %s.\n", path)
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cmdLogout revokes the saved token and forgets it. A token the API no
// longer accepts is forgotten all the same.
func cmdLogout(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("logout")
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("logout takes no arguments, not %q", pos[0])
	}
	cr, path, err := c.loadCredentials()
	if err != nil {
		return err
	}
	if cr == nil {
		fmt.Fprintln(c.stdout, "Not logged in.")
		return nil
	}
	var revokeErr error
	if cr.Token != "" && (cr.ExpiresAt.IsZero() || c.now().Before(cr.ExpiresAt)) {
		cl, err := c.newClient(com, cr)
		if err != nil {
			return err
		}
		_, revokeErr = cl.Do(ctx, request{method: http.MethodDelete, path: "/v3/auth/tokens",
			header: http.Header{"X-Subject-Token": {cr.Token}}})
		if s := statusOf(revokeErr); s == http.StatusUnauthorized || s == http.StatusNotFound {
			revokeErr = nil // already invalid: nothing left to revoke
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if revokeErr != nil {
		return fmt.Errorf("removed %s, but the token could not be revoked (it stays valid until %s): %w",
			path, cr.ExpiresAt.Local().Format(time.RFC3339), revokeErr)
	}
	fmt.Fprintf(c.stdout, "Logged out of %s; removed %s.\n", cr.Endpoint, path)
	return nil
}
