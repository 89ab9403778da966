// Package api holds the OpenAPI document of gisiaas, embedded so that the
// server validates requests against the very file it serves.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
