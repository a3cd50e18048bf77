package api

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the API, served by the local server and
// validated against real responses in tests.
func OpenAPI() []byte { return openAPI }
