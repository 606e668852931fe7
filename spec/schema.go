package spec

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of spec v1, indented. Editors use it through
// the "# yaml-language-server: $schema=..." comment. It describes the shape of a document (fields,
// types, enums, list sizes); the loader checks more (cross-file keys, references, ${NAME}).
func Schema() []byte {
	out := make([]byte, len(schemaJSON))
	copy(out, schemaJSON)
	return out
}
