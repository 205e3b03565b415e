package policy

import (
	_ "embed"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
)

//go:embed schema/input.json
var inputSchema []byte

// InputSchema returns the JSON schema of Input, the document policies see as
// `input` (a copy of schema/input.json). Policies are type-checked against
// it, so a misspelled field such as input.fleet.hots does not compile; pass
// it to `opa test -s` or `opa eval -s` to get the same checks from OPA.
func InputSchema() []byte {
	return append([]byte(nil), inputSchema...)
}

// schemaSet returns the schema set the compiler checks policies against.
func schemaSet() (*ast.SchemaSet, error) {
	var doc any
	if err := util.UnmarshalJSON(inputSchema, &doc); err != nil {
		return nil, fmt.Errorf("read input schema: %w", err)
	}
	ss := ast.NewSchemaSet()
	ss.Put(ast.SchemaRootRef, doc)
	return ss, nil
}
