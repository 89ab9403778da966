package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/core"
)

// Role is what a user may do in a project (billing manual §2.5).
type Role string

// The roles, from widest to narrowest.
const (
	RoleAdmin           Role = "admin"            // cloud administrator
	RoleDepartmentAdmin Role = "department_admin" // administers the project's department
	RoleProjectAdmin    Role = "project_admin"    // administers the project
	RoleMember          Role = "member"           // uses the project's resources
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleAdmin, RoleDepartmentAdmin, RoleProjectAdmin, RoleMember}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// DefaultDomain is the domain every user lives in, as in Keystone's default
// deployment; login by user name names it.
const DefaultDomain = "Default"

// DefaultTokenTTL is how long a token lives unless WithTokenTTL says
// otherwise: a working day, so nobody re-logs in mid-task, while a leaked
// token dies overnight.
const DefaultTokenTTL = 8 * time.Hour

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

// The names Bootstrap creates.
const (
	BootstrapDepartment = "Default"
	BootstrapProject    = "admin"
	BootstrapUser       = "admin"
)

// Authentication methods recorded on a token.
const (
	MethodPassword  = "password"
	MethodAccessKey = "access_key"
)

// Department groups projects and users (billing manual §2.5).
type Department struct {
	ID          string    `db:"id"`
	Name        string    `db:"name"`
	Description string    `db:"description"`
	CreatedAt   time.Time `db:"created_at"`
}

// Project belongs to one department; resources and roles live in projects.
type Project struct {
	ID           string    `db:"id"`
	Name         string    `db:"name"`
	DepartmentID string    `db:"department_id"`
	CreatedAt    time.Time `db:"created_at"`
}

// User belongs to exactly one department. Its password hash never leaves
// this package.
type User struct {
	ID           string    `db:"id"`
	Name         string    `db:"name"`
	Domain       string    `db:"domain"`
	DepartmentID string    `db:"department_id"`
	CreatedAt    time.Time `db:"created_at"`
}

// AccessKey is a user's key pair for programmatic access. Secret is set only
// by CreateAccessKey: it is stored hashed and cannot be shown again.
type AccessKey struct {
	ID        string
	UserID    string
	Secret    string
	CreatedAt time.Time
}

// Token is an authenticated identity. Value, the bearer string, is set only
// by Authenticate: only its SHA-256 is stored. An unscoped token has no
// Project and no Roles.
type Token struct {
	Value     string
	ID        string // the token's record id: safe to log, useless to present
	Method    string
	User      User
	Project   *Project
	Roles     []Role
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// HasRole reports whether the token carries role r.
func (t *Token) HasRole(r Role) bool {
	for _, x := range t.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Credentials identify a user by exactly one method: a password with the
// user's id or name (+ domain, DefaultDomain when empty), or an access key id
// with its secret. Scope, when set, asks for a project-scoped token.
type Credentials struct {
	UserID   string
	UserName string
	Domain   string
	Password string

	AccessKeyID string
	Secret      string

	Scope *Scope
}

// Scope names a project by id, or by name within a department given by id or
// name.
type Scope struct {
	ProjectID      string
	ProjectName    string
	DepartmentID   string
	DepartmentName string
}

// Service is the identity store. It is safe for concurrent use.
type Service struct {
	db     *store.DB
	now    func() time.Time
	ttl    time.Duration
	argon  Argon2Params
	dummy  string // a password hash to verify against when the user is unknown
	random func([]byte) (int, error)
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now, so tests can move time instead of sleeping.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithTokenTTL sets how long new tokens live.
func WithTokenTTL(d time.Duration) Option { return func(s *Service) { s.ttl = d } }

// WithArgon2Params sets the cost of new password hashes.
func WithArgon2Params(p Argon2Params) Option { return func(s *Service) { s.argon = p } }

// New returns a Service over db, which must be open and migrated.
func New(db *store.DB, opts ...Option) (*Service, error) {
	s := &Service{db: db, now: time.Now, ttl: DefaultTokenTTL, argon: DefaultArgon2Params, random: rand.Read}
	for _, o := range opts {
		o(s)
	}
	if s.ttl <= 0 {
		return nil, core.Errorf(core.InvalidArgument, "token ttl: must be positive, got %s", s.ttl)
	}
	// Logging in as an unknown user costs the same argon2 work as a wrong
	// password, so timing does not reveal which user names exist.
	dummy, err := hashPassword("no user has this password", s.argon)
	if err != nil {
		return nil, core.Wrap(core.Internal, "identity.New", err)
	}
	s.dummy = dummy
	return s, nil
}

// errBadCredentials is the one answer to any wrong user, password, key or
// secret: telling which part was wrong would help a guesser.
func errBadCredentials() error {
	return core.Errorf(core.Unauthenticated, "authentication failed: invalid credentials")
}

func errBadToken() error {
	return core.Errorf(core.Unauthenticated, "token is invalid, expired or revoked")
}

func (s *Service) clock() time.Time {
	// Microseconds: what PostgreSQL keeps, so a value reads back equal.
	return s.now().UTC().Truncate(time.Microsecond)
}

func (s *Service) newID() (string, error) {
	var b [16]byte
	if _, err := s.random(b[:]); err != nil {
		return "", core.Wrap(core.Internal, "identity.newID", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// newSecret returns 256 random bits, URL-safe.
func (s *Service) newSecret() (string, error) {
	var b [32]byte
	if _, err := s.random(b[:]); err != nil {
		return "", core.Wrap(core.Internal, "identity.newSecret", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// sha256Hex hashes a high-entropy secret for storage. Tokens and access-key
// secrets are 256 random bits, so a fast hash suffices: there is nothing to
// guess, only a leaked table to make useless.
func sha256Hex(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

const maxNameLen = 255

func checkName(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return core.Errorf(core.InvalidArgument, "%s: must not be empty", field)
	}
	if v != strings.TrimSpace(v) {
		return core.Errorf(core.InvalidArgument, "%s: must not begin or end with spaces", field)
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxNameLen {
		return core.Errorf(core.InvalidArgument, "%s: must be valid UTF-8 of at most %d characters", field, maxNameLen)
	}
	return nil
}

func checkID(field, v string) error {
	if v == "" {
		return core.Errorf(core.InvalidArgument, "%s: must not be empty", field)
	}
	return nil
}

func checkPassword(p string) error {
	if utf8.RuneCountInString(p) < MinPasswordLen {
		return core.Errorf(core.InvalidArgument, "password: must be at least %d characters", MinPasswordLen)
	}
	return nil
}

func internal(op string, err error) error {
	if core.KindOf(err) != core.Internal {
		return err // already classified
	}
	return core.Wrap(core.Internal, op, err)
}

// querier is what sqlx.DB and sqlx.Tx share, so lookups run in or out of a
// transaction.
type querier interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
	Rebind(string) string
}

func get(ctx context.Context, q querier, dst any, query string, args ...any) (bool, error) {
	err := sqlx.GetContext(ctx, q, dst, q.Rebind(query), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, q.Rebind(query), args...)
}

const (
	deptCols    = `id, name, description, created_at`
	projectCols = `id, name, department_id, created_at`
	userCols    = `id, name, domain, department_id, created_at`
)

func utcDepartment(d Department) Department { d.CreatedAt = d.CreatedAt.UTC(); return d }
func utcProject(p Project) Project          { p.CreatedAt = p.CreatedAt.UTC(); return p }
func utcUser(u User) User                   { u.CreatedAt = u.CreatedAt.UTC(); return u }

// CreateDepartment creates a department; its name is unique.
func (s *Service) CreateDepartment(ctx context.Context, name, description string) (Department, error) {
	const op = "CreateDepartment"
	if err := checkName("name", name); err != nil {
		return Department{}, core.WithOp(op, err)
	}
	id, err := s.newID()
	if err != nil {
		return Department{}, err
	}
	d := Department{ID: id, Name: name, Description: description, CreatedAt: s.clock()}
	_, err = exec(ctx, s.db, `INSERT INTO departments (`+deptCols+`) VALUES (?, ?, ?, ?)`, d.ID, d.Name, d.Description, d.CreatedAt)
	if store.IsUniqueViolation(err) {
		return Department{}, &core.Error{Kind: core.Conflict, Op: op, Message: fmt.Sprintf("department %q already exists", name)}
	}
	if err != nil {
		return Department{}, internal(op, err)
	}
	return d, nil
}

// ListDepartments lists every department by name.
func (s *Service) ListDepartments(ctx context.Context) ([]Department, error) {
	var ds []Department
	if err := s.db.SelectContext(ctx, &ds, `SELECT `+deptCols+` FROM departments ORDER BY name`); err != nil {
		return nil, internal("ListDepartments", err)
	}
	for i := range ds {
		ds[i] = utcDepartment(ds[i])
	}
	return ds, nil
}

// GetDepartment returns the department with id.
func (s *Service) GetDepartment(ctx context.Context, id string) (Department, error) {
	return s.getDepartment(ctx, s.db, id)
}

func (s *Service) getDepartment(ctx context.Context, q querier, id string) (Department, error) {
	const op = "GetDepartment"
	if err := checkID("department_id", id); err != nil {
		return Department{}, core.WithOp(op, err)
	}
	var d Department
	ok, err := get(ctx, q, &d, `SELECT `+deptCols+` FROM departments WHERE id = ?`, id)
	if err != nil {
		return Department{}, internal(op, err)
	}
	if !ok {
		return Department{}, &core.Error{Kind: core.NotFound, Op: op, Message: fmt.Sprintf("department %q not found", id)}
	}
	return utcDepartment(d), nil
}

// CreateProject creates a project in a department; its name is unique
// within the department.
func (s *Service) CreateProject(ctx context.Context, name, departmentID string) (Project, error) {
	const op = "CreateProject"
	if err := checkName("name", name); err != nil {
		return Project{}, core.WithOp(op, err)
	}
	if err := checkID("department_id", departmentID); err != nil {
		return Project{}, core.WithOp(op, err)
	}
	id, err := s.newID()
	if err != nil {
		return Project{}, err
	}
	p := Project{ID: id, Name: name, DepartmentID: departmentID, CreatedAt: s.clock()}
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.getDepartment(ctx, tx, departmentID); err != nil {
			return core.WithOp(op, err)
		}
		_, err := exec(ctx, tx, `INSERT INTO projects (`+projectCols+`) VALUES (?, ?, ?, ?)`, p.ID, p.Name, p.DepartmentID, p.CreatedAt)
		return err
	})
	switch {
	case store.IsUniqueViolation(err):
		return Project{}, &core.Error{Kind: core.Conflict, Op: op, Message: fmt.Sprintf("project %q already exists in department %q", name, departmentID)}
	case store.IsForeignKeyViolation(err):
		return Project{}, &core.Error{Kind: core.NotFound, Op: op, Message: fmt.Sprintf("department %q not found", departmentID)}
	case err != nil:
		return Project{}, internal(op, err)
	}
	return p, nil
}

// GetProject returns the project with id.
func (s *Service) GetProject(ctx context.Context, id string) (Project, error) {
	return s.getProject(ctx, s.db, id)
}

func (s *Service) getProject(ctx context.Context, q querier, id string) (Project, error) {
	const op = "GetProject"
	if err := checkID("project_id", id); err != nil {
		return Project{}, core.WithOp(op, err)
	}
	var p Project
	ok, err := get(ctx, q, &p, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id)
	if err != nil {
		return Project{}, internal(op, err)
	}
	if !ok {
		return Project{}, &core.Error{Kind: core.NotFound, Op: op, Message: fmt.Sprintf("project %q not found", id)}
	}
	return utcProject(p), nil
}

// CreateUser creates a user of the Default domain in a department; the name
// is unique within the domain.
func (s *Service) CreateUser(ctx context.Context, name, password, departmentID string) (User, error) {
	const op = "CreateUser"
	if err := checkName("name", name); err != nil {
		return User{}, core.WithOp(op, err)
	}
	if err := checkPassword(password); err != nil {
		return User{}, core.WithOp(op, err)
	}
	if err := checkID("department_id", departmentID); err != nil {
		return User{}, core.WithOp(op, err)
	}
	id, err := s.newID()
	if err != nil {
		return User{}, err
	}
	// Hash before the transaction: argon2 is deliberately slow and must not
	// hold SQLite's write lock.
	hash, err := hashPassword(password, s.argon)
	if err != nil {
		return User{}, internal(op, err)
	}
	u := User{ID: id, Name: name, Domain: DefaultDomain, DepartmentID: departmentID, CreatedAt: s.clock()}
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.getDepartment(ctx, tx, departmentID); err != nil {
			return core.WithOp(op, err)
		}
		_, err := exec(ctx, tx, `INSERT INTO users (`+userCols+`, password_hash) VALUES (?, ?, ?, ?, ?, ?)`,
			u.ID, u.Name, u.Domain, u.DepartmentID, u.CreatedAt, hash)
		return err
	})
	switch {
	case store.IsUniqueViolation(err):
		return User{}, &core.Error{Kind: core.Conflict, Op: op, Message: fmt.Sprintf("user %q already exists in domain %q", name, DefaultDomain)}
	case store.IsForeignKeyViolation(err):
		return User{}, &core.Error{Kind: core.NotFound, Op: op, Message: fmt.Sprintf("department %q not found", departmentID)}
	case err != nil:
		return User{}, internal(op, err)
	}
	return u, nil
}

// GetUser returns the user with id.
func (s *Service) GetUser(ctx context.Context, id string) (User, error) {
	return s.getUser(ctx, s.db, id)
}

func (s *Service) getUser(ctx context.Context, q querier, id string) (User, error) {
	const op = "GetUser"
	if err := checkID("user_id", id); err != nil {
		return User{}, core.WithOp(op, err)
	}
	var u User
	ok, err := get(ctx, q, &u, `SELECT `+userCols+` FROM users WHERE id = ?`, id)
	if err != nil {
		return User{}, internal(op, err)
	}
	if !ok {
		return User{}, &core.Error{Kind: core.NotFound, Op: op, Message: fmt.Sprintf("user %q not found", id)}
	}
	return utcUser(u), nil
}

func checkRole(role Role) error {
	if !role.Valid() {
		return core.Errorf(core.InvalidArgument, "role: %q is not one of admin, department_admin, project_admin, member", role)
	}
	return nil
}

// GrantRole gives a user a role in a project. Granting a role the user
// already has is not an error, as in Keystone: the outcome is the same.
func (s *Service) GrantRole(ctx context.Context, projectID, userID string, role Role) error {
	const op = "GrantRole"
	if err := checkRole(role); err != nil {
		return core.WithOp(op, err)
	}
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.getProject(ctx, tx, projectID); err != nil {
			return err
		}
		if _, err := s.getUser(ctx, tx, userID); err != nil {
			return err
		}
		return grant(ctx, tx, projectID, userID, role, s.clock())
	})
	if store.IsForeignKeyViolation(err) {
		return &core.Error{Kind: core.NotFound, Op: op, Message: "project or user no longer exists"}
	}
	if err != nil {
		return core.WithOp(op, internal(op, err))
	}
	return nil
}

func grant(ctx context.Context, q querier, projectID, userID string, role Role, at time.Time) error {
	_, err := exec(ctx, q, `INSERT INTO role_assignments (project_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (project_id, user_id, role) DO NOTHING`, projectID, userID, string(role), at)
	return err
}

// RevokeRole takes a role away. Tokens scoped to the project carry the
// user's current roles, so the change applies to them at once.
func (s *Service) RevokeRole(ctx context.Context, projectID, userID string, role Role) error {
	const op = "RevokeRole"
	if err := checkRole(role); err != nil {
		return core.WithOp(op, err)
	}
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.getProject(ctx, tx, projectID); err != nil {
			return err
		}
		if _, err := s.getUser(ctx, tx, userID); err != nil {
			return err
		}
		res, err := exec(ctx, tx, `DELETE FROM role_assignments WHERE project_id = ? AND user_id = ? AND role = ?`, projectID, userID, string(role))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.NotFound, "user %q has no role %q in project %q", userID, role, projectID)
		}
		return nil
	})
	if err != nil {
		return core.WithOp(op, internal(op, err))
	}
	return nil
}

// ListRoles lists a user's roles in a project, in the order of Roles.
func (s *Service) ListRoles(ctx context.Context, userID, projectID string) ([]Role, error) {
	const op = "ListRoles"
	if _, err := s.getUser(ctx, s.db, userID); err != nil {
		return nil, core.WithOp(op, err)
	}
	if _, err := s.getProject(ctx, s.db, projectID); err != nil {
		return nil, core.WithOp(op, err)
	}
	roles, err := rolesOf(ctx, s.db, userID, projectID)
	if err != nil {
		return nil, internal(op, err)
	}
	return roles, nil
}

func rolesOf(ctx context.Context, q querier, userID, projectID string) ([]Role, error) {
	var names []string
	if err := sqlx.SelectContext(ctx, q, &names, q.Rebind(`SELECT role FROM role_assignments WHERE user_id = ? AND project_id = ?`), userID, projectID); err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	roles := []Role{}
	for _, r := range Roles {
		if have[string(r)] {
			roles = append(roles, r)
		}
	}
	return roles, nil
}

// CreateAccessKey creates a key pair for a user. The secret is returned
// once; only its SHA-256 is kept.
func (s *Service) CreateAccessKey(ctx context.Context, userID string) (AccessKey, error) {
	const op = "CreateAccessKey"
	id, err := s.newID()
	if err != nil {
		return AccessKey{}, err
	}
	secret, err := s.newSecret()
	if err != nil {
		return AccessKey{}, err
	}
	k := AccessKey{ID: strings.ToUpper(id), UserID: userID, Secret: secret, CreatedAt: s.clock()}
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.getUser(ctx, tx, userID); err != nil {
			return err
		}
		_, err := exec(ctx, tx, `INSERT INTO access_keys (id, user_id, secret_hash, created_at) VALUES (?, ?, ?, ?)`,
			k.ID, k.UserID, sha256Hex(secret), k.CreatedAt)
		return err
	})
	if err != nil {
		return AccessKey{}, core.WithOp(op, internal(op, err))
	}
	return k, nil
}

// Authenticate checks credentials and issues a token, scoped to a project
// when c.Scope is set. Any wrong user, password, key or secret gives the same
// Unauthenticated error; a scope the user has no role in is PermissionDenied.
func (s *Service) Authenticate(ctx context.Context, c Credentials) (Token, error) {
	const op = "Authenticate"
	user, method, err := s.checkCredentials(ctx, c)
	if err != nil {
		return Token{}, core.WithOp(op, err)
	}
	var project *Project
	var roles []Role
	if c.Scope != nil {
		p, err := s.resolveScope(ctx, *c.Scope)
		if err != nil {
			return Token{}, core.WithOp(op, err)
		}
		if roles, err = rolesOf(ctx, s.db, user.ID, p.ID); err != nil {
			return Token{}, internal(op, err)
		}
		if len(roles) == 0 {
			return Token{}, &core.Error{Kind: core.PermissionDenied, Op: op,
				Message: fmt.Sprintf("user %q has no role in project %q", user.ID, p.ID)}
		}
		project = &p
	}
	id, err := s.newID()
	if err != nil {
		return Token{}, err
	}
	value, err := s.newSecret()
	if err != nil {
		return Token{}, err
	}
	now := s.clock()
	t := Token{Value: value, ID: id, Method: method, User: user, Project: project, Roles: roles,
		IssuedAt: now, ExpiresAt: now.Add(s.ttl)}
	var projectID sql.NullString
	if project != nil {
		projectID = store.NullString(project.ID)
	}
	if _, err := exec(ctx, s.db, `INSERT INTO tokens (id, token_hash, user_id, project_id, method, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, sha256Hex(value), user.ID, projectID, method, t.IssuedAt, t.ExpiresAt); err != nil {
		if store.IsForeignKeyViolation(err) {
			return Token{}, errBadCredentials() // the user or project vanished meanwhile
		}
		return Token{}, internal(op, err)
	}
	return t, nil
}

func (s *Service) checkCredentials(ctx context.Context, c Credentials) (User, string, error) {
	byPassword := c.Password != "" || c.UserID != "" || c.UserName != ""
	byKey := c.AccessKeyID != "" || c.Secret != ""
	switch {
	case byPassword && byKey:
		return User{}, "", core.Errorf(core.InvalidArgument, "credentials: give a password or an access key, not both")
	case byPassword:
		return s.checkPassword(ctx, c)
	case byKey:
		return s.checkAccessKey(ctx, c)
	}
	return User{}, "", core.Errorf(core.InvalidArgument, "credentials: give a user and password, or an access key and secret")
}

func (s *Service) checkPassword(ctx context.Context, c Credentials) (User, string, error) {
	if c.UserID != "" && c.UserName != "" {
		return User{}, "", core.Errorf(core.InvalidArgument, "credentials: give a user id or a user name, not both")
	}
	if c.UserID == "" && c.UserName == "" {
		return User{}, "", core.Errorf(core.InvalidArgument, "credentials: user id or user name required")
	}
	var row struct {
		User
		Hash string `db:"password_hash"`
	}
	var found bool
	var err error
	if c.UserID != "" {
		found, err = get(ctx, s.db, &row, `SELECT `+userCols+`, password_hash FROM users WHERE id = ?`, c.UserID)
	} else {
		domain := c.Domain
		if domain == "" {
			domain = DefaultDomain
		}
		found, err = get(ctx, s.db, &row, `SELECT `+userCols+`, password_hash FROM users WHERE domain = ? AND name = ?`, domain, c.UserName)
	}
	if err != nil {
		return User{}, "", internal("Authenticate", err)
	}
	hash := row.Hash
	if !found {
		hash = s.dummy
	}
	ok, err := verifyPassword(c.Password, hash)
	if err != nil {
		return User{}, "", internal("Authenticate", err)
	}
	if !found || !ok {
		return User{}, "", errBadCredentials()
	}
	return utcUser(row.User), MethodPassword, nil
}

// dummySecretHash stands in for an unknown access key, so it costs the same
// comparison as a known one.
var dummySecretHash = sha256Hex("no access key has this secret")

func (s *Service) checkAccessKey(ctx context.Context, c Credentials) (User, string, error) {
	if c.AccessKeyID == "" || c.Secret == "" {
		return User{}, "", core.Errorf(core.InvalidArgument, "credentials: access key id and secret required together")
	}
	var row struct {
		UserID string `db:"user_id"`
		Hash   string `db:"secret_hash"`
	}
	found, err := get(ctx, s.db, &row, `SELECT user_id, secret_hash FROM access_keys WHERE id = ?`, c.AccessKeyID)
	if err != nil {
		return User{}, "", internal("Authenticate", err)
	}
	want := row.Hash
	if !found {
		want = dummySecretHash
	}
	if subtle.ConstantTimeCompare([]byte(sha256Hex(c.Secret)), []byte(want)) != 1 || !found {
		return User{}, "", errBadCredentials()
	}
	u, err := s.getUser(ctx, s.db, row.UserID)
	if core.KindOf(err) == core.NotFound {
		return User{}, "", errBadCredentials()
	}
	if err != nil {
		return User{}, "", err
	}
	return u, MethodAccessKey, nil
}

func (s *Service) resolveScope(ctx context.Context, sc Scope) (Project, error) {
	if sc.ProjectID != "" {
		if sc.ProjectName != "" || sc.DepartmentID != "" || sc.DepartmentName != "" {
			return Project{}, core.Errorf(core.InvalidArgument, "scope: give a project id, or a project name with its department, not both")
		}
		return s.getProject(ctx, s.db, sc.ProjectID)
	}
	if sc.ProjectName == "" {
		return Project{}, core.Errorf(core.InvalidArgument, "scope: project id or project name required")
	}
	if (sc.DepartmentID == "") == (sc.DepartmentName == "") {
		return Project{}, core.Errorf(core.InvalidArgument, "scope: a project name needs exactly one of department id or department name")
	}
	var p Project
	var found bool
	var err error
	if sc.DepartmentID != "" {
		found, err = get(ctx, s.db, &p, `SELECT `+projectCols+` FROM projects WHERE department_id = ? AND name = ?`, sc.DepartmentID, sc.ProjectName)
	} else {
		found, err = get(ctx, s.db, &p, `SELECT p.id, p.name, p.department_id, p.created_at FROM projects p
			JOIN departments d ON d.id = p.department_id WHERE d.name = ? AND p.name = ?`, sc.DepartmentName, sc.ProjectName)
	}
	if err != nil {
		return Project{}, internal("Authenticate", err)
	}
	if !found {
		dept := sc.DepartmentID
		if dept == "" {
			dept = sc.DepartmentName
		}
		return Project{}, core.Errorf(core.NotFound, "project %q not found in department %q", sc.ProjectName, dept)
	}
	return utcProject(p), nil
}

// ValidateToken returns the identity behind a bearer token, with the user's
// current roles in its project. An unknown, expired or revoked token — or a
// scoped one whose user has lost every role in the project — is
// Unauthenticated, with one message for all. Value is not set.
func (s *Service) ValidateToken(ctx context.Context, token string) (Token, error) {
	const op = "ValidateToken"
	if token == "" {
		return Token{}, core.WithOp(op, errBadToken())
	}
	var row struct {
		ID        string         `db:"id"`
		UserID    string         `db:"user_id"`
		ProjectID sql.NullString `db:"project_id"`
		Method    string         `db:"method"`
		IssuedAt  time.Time      `db:"issued_at"`
		ExpiresAt time.Time      `db:"expires_at"`
		RevokedAt sql.NullTime   `db:"revoked_at"`
	}
	found, err := get(ctx, s.db, &row, `SELECT id, user_id, project_id, method, issued_at, expires_at, revoked_at FROM tokens WHERE token_hash = ?`, sha256Hex(token))
	if err != nil {
		return Token{}, internal(op, err)
	}
	// Expiry is compared here, not in SQL, so the injected clock decides and
	// SQLite's text timestamps never meet PostgreSQL's typed ones in a query.
	if !found || row.RevokedAt.Valid || !s.clock().Before(row.ExpiresAt) {
		return Token{}, core.WithOp(op, errBadToken())
	}
	t := Token{ID: row.ID, Method: row.Method, IssuedAt: row.IssuedAt.UTC(), ExpiresAt: row.ExpiresAt.UTC()}
	if t.User, err = s.getUser(ctx, s.db, row.UserID); err != nil {
		if core.KindOf(err) == core.NotFound {
			return Token{}, core.WithOp(op, errBadToken())
		}
		return Token{}, err
	}
	if row.ProjectID.Valid {
		p, err := s.getProject(ctx, s.db, row.ProjectID.String)
		if core.KindOf(err) == core.NotFound {
			return Token{}, core.WithOp(op, errBadToken())
		}
		if err != nil {
			return Token{}, err
		}
		if t.Roles, err = rolesOf(ctx, s.db, t.User.ID, p.ID); err != nil {
			return Token{}, internal(op, err)
		}
		if len(t.Roles) == 0 {
			return Token{}, core.WithOp(op, errBadToken())
		}
		t.Project = &p
	}
	return t, nil
}

// RevokeToken ends a token before its expiry. Revoking a revoked or expired
// token is not an error; an unknown one is NotFound.
func (s *Service) RevokeToken(ctx context.Context, token string) error {
	const op = "RevokeToken"
	if token == "" {
		return core.WithOp(op, core.Errorf(core.InvalidArgument, "token: must not be empty"))
	}
	h := sha256Hex(token)
	res, err := exec(ctx, s.db, `UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`, s.clock(), h)
	if err != nil {
		return internal(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return internal(op, err)
	} else if n > 0 {
		return nil
	}
	var one int
	found, err := get(ctx, s.db, &one, `SELECT 1 FROM tokens WHERE token_hash = ?`, h)
	if err != nil {
		return internal(op, err)
	}
	if !found {
		return &core.Error{Kind: core.NotFound, Op: op, Message: "token not found"}
	}
	return nil
}

// Bootstrap makes sure the first administrator exists: department "Default",
// project "admin" in it, user "admin" with role admin there. It is
// idempotent and safe to race; password is used (and checked) only when the
// user is created, and created says whether it was, so a server can print a
// generated password exactly once.
func (s *Service) Bootstrap(ctx context.Context, password string) (created bool, err error) {
	const op = "Bootstrap"
	var exists int
	found, err := get(ctx, s.db, &exists, `SELECT 1 FROM users WHERE domain = ? AND name = ?`, DefaultDomain, BootstrapUser)
	if err != nil {
		return false, internal(op, err)
	}
	hash := ""
	if !found {
		if err := checkPassword(password); err != nil {
			return false, core.WithOp(op, err)
		}
		if hash, err = hashPassword(password, s.argon); err != nil {
			return false, internal(op, err)
		}
	}
	ids := make([]string, 3)
	for i := range ids {
		if ids[i], err = s.newID(); err != nil {
			return false, err
		}
	}
	now := s.clock()
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		// ON CONFLICT DO NOTHING then read back: whichever server wins the
		// race, all see the same rows.
		if _, err := exec(ctx, tx, `INSERT INTO departments (`+deptCols+`) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			ids[0], BootstrapDepartment, "the default department", now); err != nil {
			return err
		}
		var deptID, projectID, userID string
		if _, err := get(ctx, tx, &deptID, `SELECT id FROM departments WHERE name = ?`, BootstrapDepartment); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `INSERT INTO projects (`+projectCols+`) VALUES (?, ?, ?, ?) ON CONFLICT (department_id, name) DO NOTHING`,
			ids[1], BootstrapProject, deptID, now); err != nil {
			return err
		}
		if _, err := get(ctx, tx, &projectID, `SELECT id FROM projects WHERE department_id = ? AND name = ?`, deptID, BootstrapProject); err != nil {
			return err
		}
		if hash != "" {
			res, err := exec(ctx, tx, `INSERT INTO users (`+userCols+`, password_hash) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (domain, name) DO NOTHING`,
				ids[2], BootstrapUser, DefaultDomain, deptID, now, hash)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			created = n == 1
		}
		ok, err := get(ctx, tx, &userID, `SELECT id FROM users WHERE domain = ? AND name = ?`, DefaultDomain, BootstrapUser)
		if err != nil {
			return err
		}
		if !ok {
			return core.Errorf(core.Internal, "bootstrap user vanished")
		}
		return grant(ctx, tx, projectID, userID, RoleAdmin, now)
	})
	if err != nil {
		return false, internal(op, err)
	}
	return created, nil
}
