package api

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON loads the OpenAPI document and returns it as JSON.
func openAPIJSON() ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("api: unable to load openapi.yaml: %w", err)
	}
	return json.Marshal(doc)
}
