package adapter

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/core"
)

// The Keystone v3 shapes of SPEC B.1.1 (the billing manual shows them), plus
// an access-key method: {"methods":["access_key"],"access_key":{"id","secret"}}.

type nameOrID struct {
	ID     string    `json:"id,omitempty"`
	Name   string    `json:"name,omitempty"`
	Domain *nameOrID `json:"domain,omitempty"`
}

type authRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User struct {
					nameOrID
					Password string `json:"password"`
				} `json:"user"`
			} `json:"password,omitempty"`
			AccessKey *struct {
				ID     string `json:"id"`
				Secret string `json:"secret"`
			} `json:"access_key,omitempty"`
		} `json:"identity"`
		Scope *struct {
			Project *nameOrID `json:"project,omitempty"`
		} `json:"scope,omitempty"`
	} `json:"auth"`
}

// TimeFormat is SPEC A.0.4's: ISO 8601, UTC, microseconds.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

type refView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Domain *refView `json:"domain,omitempty"`
}

type tokenView struct {
	Token struct {
		Methods   []string  `json:"methods"`
		IssuedAt  string    `json:"issued_at"`
		ExpiresAt string    `json:"expires_at"`
		User      refView   `json:"user"`
		Project   *refView  `json:"project,omitempty"`
		Roles     []refView `json:"roles"`
	} `json:"token"`
}

func (s *Server) tokenView(t identity.Token) tokenView {
	var v tokenView
	v.Token.Methods = []string{t.Method}
	v.Token.IssuedAt = t.IssuedAt.UTC().Format(TimeFormat)
	v.Token.ExpiresAt = t.ExpiresAt.UTC().Format(TimeFormat)
	v.Token.User = refView{ID: t.User.ID, Name: t.User.Name, Domain: &refView{ID: t.User.Domain, Name: t.User.Domain}}
	if t.Project != nil {
		v.Token.Project = &refView{ID: t.Project.ID, Name: t.Project.Name, Domain: &refView{ID: t.Project.DepartmentID}}
	}
	v.Token.Roles = []refView{}
	for _, r := range t.Roles {
		v.Token.Roles = append(v.Token.Roles, refView{ID: string(r), Name: string(r)})
	}
	return v
}

// createToken authenticates (B.1.1): the token goes in X-Subject-Token.
func (s *Server) createToken(c echo.Context) error {
	var req authRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	id := req.Auth.Identity
	if len(id.Methods) != 1 {
		return core.Errorf(core.InvalidArgument, "auth.identity.methods: give exactly one of password, access_key")
	}
	var cr identity.Credentials
	switch id.Methods[0] {
	case identity.MethodPassword:
		if id.Password == nil {
			return core.Errorf(core.InvalidArgument, "auth.identity.password: is required with the password method")
		}
		u := id.Password.User
		cr.UserID, cr.UserName, cr.Password = u.ID, u.Name, u.Password
		if u.Domain != nil {
			cr.Domain = u.Domain.Name
			if cr.Domain == "" {
				cr.Domain = u.Domain.ID
			}
		}
		if cr.UserID == "" && cr.UserName == "" {
			return core.Errorf(core.InvalidArgument, "auth.identity.password.user: give an id or a name")
		}
	case identity.MethodAccessKey:
		if id.AccessKey == nil {
			return core.Errorf(core.InvalidArgument, "auth.identity.access_key: is required with the access_key method")
		}
		cr.AccessKeyID, cr.Secret = id.AccessKey.ID, id.AccessKey.Secret
	default:
		return core.Errorf(core.InvalidArgument, "auth.identity.methods: %q is not password or access_key", id.Methods[0])
	}
	if sc := req.Auth.Scope; sc != nil && sc.Project != nil {
		p := sc.Project
		cr.Scope = &identity.Scope{ProjectID: p.ID, ProjectName: p.Name}
		if p.ID == "" {
			if p.Name == "" {
				return core.Errorf(core.InvalidArgument, "auth.scope.project: give an id or a name")
			}
			if p.Domain == nil || (p.Domain.ID == "" && p.Domain.Name == "") {
				return core.Errorf(core.InvalidArgument, "auth.scope.project.domain: is required with a project name")
			}
			cr.Scope.DepartmentID, cr.Scope.DepartmentName = p.Domain.ID, p.Domain.Name
		}
	}
	tok, err := s.ids.Authenticate(c.Request().Context(), cr)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Subject-Token", tok.Value)
	return c.JSON(http.StatusCreated, s.tokenView(tok))
}

// checkToken validates the X-Subject-Token (Keystone's GET).
func (s *Server) checkToken(c echo.Context) error {
	subject := c.Request().Header.Get("X-Subject-Token")
	if subject == "" {
		return core.Errorf(core.InvalidArgument, "X-Subject-Token is required")
	}
	tok, err := s.ids.ValidateToken(c.Request().Context(), subject)
	if err != nil {
		return core.Errorf(core.NotFound, "the subject token is not valid")
	}
	c.Response().Header().Set("X-Subject-Token", subject)
	return c.JSON(http.StatusOK, s.tokenView(tok))
}

// revokeToken revokes the X-Subject-Token (Keystone's DELETE). A user may
// revoke their own tokens; a cloud admin anyone's.
func (s *Server) revokeToken(c echo.Context) error {
	subject := c.Request().Header.Get("X-Subject-Token")
	if subject == "" {
		return core.Errorf(core.InvalidArgument, "X-Subject-Token is required")
	}
	ctx := c.Request().Context()
	tok, err := s.ids.ValidateToken(ctx, subject)
	if err != nil {
		return core.Errorf(core.NotFound, "the subject token is not valid")
	}
	caller := c.Get("identity").(*identity.Token)
	if caller.User.ID != tok.User.ID && !caller.HasRole(identity.RoleAdmin) {
		return core.Errorf(core.PermissionDenied, "only its owner or a cloud admin may revoke a token")
	}
	if err := s.ids.RevokeToken(ctx, subject); err != nil {
		return err
	}
	s.tokens.drop(subject)
	return c.NoContent(http.StatusNoContent)
}
