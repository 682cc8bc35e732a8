package api

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON returns the OpenAPI document as JSON. It is converted as
// plain YAML, not loaded with kin-openapi (which TestOpenAPIDocument
// validates it with): that library's JSON Schema dependency compiles its
// meta-schemas at init, 5 to 20 ms of every run of the binary.
func openAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("api: unable to load openapi.yaml: %w", err)
	}
	return json.Marshal(doc)
}
