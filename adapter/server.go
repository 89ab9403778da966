package adapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/adapter/events"
	"github.com/gisiaas/gisiaas/adapter/identity"
	"github.com/gisiaas/gisiaas/adapter/registry"
	"github.com/gisiaas/gisiaas/api"
	"github.com/gisiaas/gisiaas/billing"
	"github.com/gisiaas/gisiaas/core"
)

// MaxBodyBytes bounds every JSON request body, so rejecting junk stays cheap.
const MaxBodyBytes = 1 << 20

// Config is what the HTTP API is built from.
type Config struct {
	Identity *identity.Service
	// Registry records every resource the adapter manages and every create.
	Registry *registry.Registry
	// Events is the bus the reconciler publishes lifecycle events on; the
	// events route streams it.
	Events events.Bus
	// Datacenters are served in this order.
	Datacenters []Datacenter
	// Limits protect the clouds and the adapter; zero values take defaults.
	Limits Limits
	// Billing, when set, serves /v1/billing, gets an account for each new
	// department and may refuse creates of a department without balance.
	Billing *billing.Service
}

// Server is the HTTP API.
type Server struct {
	echo     *echo.Echo
	ids      *identity.Service
	reg      *registry.Registry
	bus      events.Bus
	dcs      []Datacenter
	backends map[string]*backend
	limits   Limits
	tokens   *tokenCache
	billing  *billing.Service
	doc      *openAPI
}

// NewServer builds the HTTP API. Every response carries X-Request-Id and
// every error the A.0.3 body.
func NewServer(cfg Config) *Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		WriteError(c.Response(), fromEcho(err))
	}
	e.Pre(echo.WrapMiddleware(RequestID))
	e.Pre(serverTiming)
	doc, err := loadOpenAPI()
	if err != nil {
		panic(err) // the embedded document is broken: a build defect, caught by every test
	}
	limits := cfg.Limits.withDefaults()
	// The rate limit runs first, keyed by the token header without a
	// lookup; the document's validation runs after authentication (route
	// middleware), so a caller without access learns 401/403, not what its
	// body got wrong.
	// The client's address is the socket's: a forwarded-for header is the
	// client's to forge. (Behind a proxy, set a trusted extractor here.)
	e.IPExtractor = echo.ExtractIPDirect()
	tokens := newTokenCache()
	e.Use(newRateLimiter(limits, func(tok string) bool { _, ok := tokens.get(tok, time.Now()); return ok }).middleware)
	s := &Server{echo: e, ids: cfg.Identity, reg: cfg.Registry, bus: cfg.Events, dcs: cfg.Datacenters,
		limits: limits, tokens: tokens, billing: cfg.Billing, doc: doc}
	s.backends = make(map[string]*backend, len(s.dcs))
	for _, dc := range s.dcs {
		s.backends[dc.ID] = newBackend(dc, s.limits)
	}
	s.routes()
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.echo.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", api.OpenAPI)
	})
	s.echo.POST("/v3/auth/tokens", s.createToken, s.doc.validate)
	s.echo.GET("/v3/auth/tokens", s.checkToken, s.authenticated, s.doc.validate)
	s.echo.DELETE("/v3/auth/tokens", s.revokeToken, s.authenticated, s.doc.validate)
	s.identityRoutes()
	s.projectRoutes()
	s.billingRoutes()
}

// fromEcho turns echo's own errors (no route, wrong method, too large)
// into kinds, so they get the A.0.3 body too.
func fromEcho(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := fmt.Sprint(he.Message)
		switch he.Code {
		case http.StatusMethodNotAllowed:
			return &core.Error{Kind: core.InvalidArgument, Message: "method not allowed: " + msg}
		case http.StatusRequestEntityTooLarge:
			return &core.Error{Kind: core.InvalidArgument, Message: fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)}
		}
		return &core.Error{Kind: core.KindFromHTTPStatus(he.Code), Message: msg}
	}
	return err
}

// authenticated requires a valid X-Auth-Token (SPEC A.0.2).
func (s *Server) authenticated(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok := c.Request().Header.Get("X-Auth-Token")
		if tok == "" {
			return core.Errorf(core.Unauthenticated, "X-Auth-Token is required")
		}
		now := time.Now()
		who, ok := s.tokens.get(tok, now)
		if !ok {
			var err error
			if who, err = s.ids.ValidateToken(c.Request().Context(), tok); err != nil {
				return err
			}
			s.tokens.put(tok, who, now)
		}
		who.Value = tok
		c.Set("identity", &who)
		return next(c)
	}
}

// decodeJSON reads a bounded JSON body into v, refusing unknown fields,
// wrong types and trailing data with a message naming the problem.
func decodeJSON(c echo.Context, v any) error {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return core.Errorf(core.InvalidArgument, "Content-Type must be application/json, not %q", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var big *http.MaxBytesError
		switch {
		case errors.As(err, &big):
			return core.Errorf(core.InvalidArgument, "request body is larger than %d bytes", MaxBodyBytes)
		case errors.As(err, &syn):
			return core.Errorf(core.InvalidArgument, "malformed JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return core.Errorf(core.InvalidArgument, "%s: must be %s, not %s", typ.Field, typ.Type, typ.Value)
		case errors.Is(err, io.EOF):
			return core.Errorf(core.InvalidArgument, "request body is empty")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return core.Errorf(core.InvalidArgument, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return core.Errorf(core.InvalidArgument, "malformed JSON: %v", err)
	}
	if dec.More() {
		return core.Errorf(core.InvalidArgument, "request body has data after the JSON value")
	}
	return nil
}
