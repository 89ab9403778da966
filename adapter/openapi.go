package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"github.com/gisiaas/gisiaas/api"
	"github.com/gisiaas/gisiaas/core"
)

// openAPI is the loaded document and its router.
type openAPI struct {
	doc    *openapi3.T
	router routers.Router
}

func loadOpenAPI() (*openAPI, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return &openAPI{doc: doc, router: r}, nil
}

// validate checks each request against the document before any handler:
// wrong types, missing or unknown fields and bad parameters are a 400
// naming the field. Routes the document does not know fall through to the
// router's own 404/405. The body is bounded first, so junk stays cheap;
// a streamed upload (an operation taking application/octet-stream, sent as
// such) is bounded by MaxImageBytes instead and left unread, for the
// handler to stream: validating it would read it whole into memory.
func (o *openAPI) validate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		route, params, err := o.router.FindRoute(req)
		stream := err == nil && isStreamedUpload(route.Operation, req)
		if req.Body != nil {
			limit := int64(MaxBodyBytes)
			if stream {
				limit = MaxImageBytes
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		}
		if err != nil {
			return next(c)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: false,
				ExcludeRequestBody: stream}}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			return requestError(err)
		}
		return next(c)
	}
}

// isStreamedUpload reports whether req sends application/octet-stream to an
// operation that declares it: its body is data to stream, not a document.
func isStreamedUpload(op *openapi3.Operation, req *http.Request) bool {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	return ct == "application/octet-stream" && op.RequestBody.Value.Content.Get(ct) != nil
}

// requestError says what the document refused, naming the field.
func requestError(err error) error {
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return core.Errorf(core.InvalidArgument, "request body is larger than %d bytes", MaxBodyBytes)
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		var se *openapi3.SchemaError
		if re.Parameter != nil { // a path, query or header parameter: name it, not "body"
			if errors.As(re.Err, &se) {
				return core.Errorf(core.InvalidArgument, "%s: %s", re.Parameter.Name, se.Reason)
			}
			return core.Errorf(core.InvalidArgument, "%s: %v", re.Parameter.Name, re.Err)
		}
		if errors.As(re.Err, &se) {
			field := strings.Join(se.JSONPointer(), ".")
			if field == "" {
				field = "body"
			}
			return core.Errorf(core.InvalidArgument, "%s: %s", field, se.Reason)
		}
		msg := re.Error()
		if re.Err != nil {
			msg = re.Err.Error()
		}
		var syn *json.SyntaxError
		if errors.As(re.Err, &syn) || strings.Contains(msg, "unexpected EOF") {
			return core.Errorf(core.InvalidArgument, "malformed JSON in the request body: %s", msg)
		}
		return core.Errorf(core.InvalidArgument, "request body: %s", msg)
	}
	return core.Errorf(core.InvalidArgument, "%v", err)
}
